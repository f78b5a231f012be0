"""API load test from a second process on loopback: requests/s and latency, one and two workers."""

from __future__ import annotations

import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from benchmarks.world import build_world, drop_database
from models.db import make_engine, session_scope
from models.services.users import create_token
from models.tables import Candidate, User, Vacancy

QUERIES = [
    "orderpicker",
    "schoonmaak Haren",
    "heftruck magazijn",
    "kok restaurant",
    "zorg helpende",
    "kassamedewerker supermarkt",
    "chauffeur",
    "administratief medewerker",
    "beveiliger",
    "bakkerij",
]


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


Request = Callable[[httpx.Client, random.Random], httpx.Response]


def _gets(paths: list[str]) -> Request:
    return lambda c, r: c.get(r.choice(paths))


def _load(base: str, token: str, request: Request, seconds: float, concurrency: int) -> dict[str, Any]:
    lat: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds
    lock = threading.Lock()

    def worker(seed: int) -> None:
        nonlocal errors
        r = random.Random(seed)
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as c:
            while time.perf_counter() < stop:
                t = time.perf_counter()
                try:
                    res = request(c, r)
                    ok = res.status_code < 400
                except httpx.HTTPError:
                    ok = False
                dt_ms = (time.perf_counter() - t) * 1000
                with lock:
                    if ok:
                        lat.append(dt_ms)
                    else:
                        errors += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    return {
        "clients": concurrency,
        "requests": len(lat),
        "errors": errors,
        "rps": round(len(lat) / wall, 1),
        "p50_ms": round(statistics.median(lat), 1) if lat else None,
        "p99_ms": round(_pct(lat, 99), 1) if lat else None,
    }


def _updates(base: str, token: str, clients: list[int], rate: float, stop: threading.Event) -> dict[str, Any]:
    """Candidate updates by their coach at ``rate`` per second until ``stop`` (each changes the profile);
    four writers, so a slow answer does not lower the rate."""
    lat: list[float] = []
    errors = 0
    lock = threading.Lock()

    def writer(n: int, mine: list[int]) -> None:
        nonlocal errors
        r = random.Random(n)
        last: dict[int, int] = {}
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as c:
            due = time.perf_counter() + n / rate
            while not stop.is_set():
                cid = r.choice(mine)
                hours = r.choice([h for h in (32, 34, 36, 38, 40) if h != last.get(cid)])
                last[cid] = hours
                t = time.perf_counter()
                try:
                    ok = c.patch(f"/v1/candidates/{cid}", json={"hours_max": hours}).status_code < 400
                except httpx.HTTPError:
                    ok = False
                with lock:
                    if ok:
                        lat.append((time.perf_counter() - t) * 1000)
                    else:
                        errors += 1
                due += 4 / rate
                stop.wait(max(0.0, due - time.perf_counter()))

    threads = [threading.Thread(target=writer, args=(n, clients[n::4])) for n in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return {
        "updates": len(lat),
        "errors": errors,
        "p50_ms": round(statistics.median(lat), 1) if lat else None,
        "p99_ms": round(_pct(lat, 99), 1) if lat else None,
    }


def _reads_with_updates(
    base: str, token: str, coach_token: str, request: Request, clients: list[int], seconds: float, concurrency: int
) -> dict[str, Any]:
    """Reads by ``concurrency`` clients while the coach updates 5 candidates per second."""
    stop = threading.Event()
    writes: dict[str, Any] = {}
    writer = threading.Thread(target=lambda: writes.update(_updates(base, coach_token, clients, 5.0, stop)))
    writer.start()
    try:
        reads = _load(base, token, request, seconds, concurrency)
    finally:
        stop.set()
        writer.join()
    writes["per_s"] = round(writes.get("updates", 0) / seconds, 1)
    time.sleep(2.5)  # let the last update travel before the lag is read
    return {"reads": reads, "writes": writes}


def _index_states(base: str, polls: int = 60) -> dict[str, Any]:
    """Each worker's view of the change feed (``/ready`` answers from whichever worker takes the request)."""
    states: dict[str, Any] = {}
    with httpx.Client(base_url=base, timeout=10) as c:
        for _ in range(polls):
            try:
                index = c.get("/ready").json().get("index", {})
            except (httpx.HTTPError, ValueError):
                continue
            if index:
                states[str(index.pop("worker"))] = index
    return states


def _wait_ready(base: str, proc: subprocess.Popen[bytes], t: float, workers: int = 1) -> tuple[float | None, float]:
    """Seconds to the first /health and until every worker answered /ready 200 (each reports its pid)."""
    health = None
    ready: set[int] = set()
    while time.perf_counter() - t < 1800 and len(ready) < workers:
        if proc.poll() is not None:
            raise RuntimeError("the server exited")
        try:
            if health is None and httpx.get(base + "/health", timeout=5).status_code == 200:
                health = round(time.perf_counter() - t, 1)
            res = httpx.get(base + "/ready", timeout=5)
            if res.status_code == 200:
                ready.add(int(res.json()["index"]["worker"]))
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        time.sleep(0.1)
    return health, round(time.perf_counter() - t, 1)


def _rss_mb(pid: int) -> list[dict[str, float]]:
    """Memory of a process and each of its children (the uvicorn workers), in MB: resident (RSS), its
    proportional share of shared pages (PSS) and what is its own alone (USS: what one more worker costs)."""
    out = []
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            fields: dict[str, int] = {}
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines()[1:]:
                key, _, value = line.partition(":")
                fields[key] = int(value.split()[0])
            out.append(
                {
                    "pid": p,
                    "rss": round(fields["Rss"] / 1024, 1),
                    "pss": round(fields["Pss"] / 1024, 1),
                    "uss": round((fields["Private_Clean"] + fields["Private_Dirty"]) / 1024, 1),
                }
            )
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, KeyError, ValueError):
            continue
    return out


def run(
    *,
    candidates: int,
    distinct: int,
    vacancies: int,
    seconds: float,
    concurrency: int,
    database: str = "sqlite",
    workers: tuple[int, ...] = (1, 2),
) -> dict[str, Any]:
    """Build a world, serve it, and load it."""
    folder = Path(tempfile.mkdtemp(prefix="wm-bench-api-"))
    settings, out = build_world(
        folder, candidates=candidates, vacancies=vacancies, distinct=distinct, database=database
    )
    out["database"] = database
    out.update(
        {
            "candidates": candidates,
            "distinct_profiles": distinct,
            "vacancies": vacancies,
            "concurrency": concurrency,
            "seconds_per_scenario": seconds,
        }
    )
    eng = make_engine(settings.resolved_database_url)
    with session_scope(eng) as s:
        user = s.scalar(select(User).where(User.email == "adviseur.oost@demo.werkmatch.nl"))
        token = create_token(s, user=user, name="bench")
        coach = s.scalar(select(User).where(User.email == "coach.oost@demo.werkmatch.nl"))
        coach_token = create_token(s, user=coach, name="bench")
        clients = list(s.scalars(select(Candidate.id).where(Candidate.coach_id == coach.id).limit(200)))
        open_vacs = [(v.id, v.area_id) for v in s.scalars(select(Vacancy).where(Vacancy.status == "open"))]
        from models.services.areas import Geo

        code = {a.id: c for c, a in Geo(s).areas.items()}
    r = random.Random(3)
    match_paths = [f"/v1/vacancies/{vid}/matches?area={code[aid]}&limit=20" for vid, aid in r.sample(open_vacs, 200)]
    city_paths = [f"/v1/vacancies/{vid}/matches?limit=20" for vid, _ in r.sample(open_vacs, 200)]
    search_paths = [f"/v1/search/vacancies?q={q}&limit=20" for q in QUERIES]
    cand_search_paths = [f"/v1/search/candidates?q={q}&area=oost&limit=20" for q in QUERIES]

    def mixed(c: httpx.Client, r: random.Random) -> httpx.Response:
        """Rankings, searches and writes together (one in ten a scan update by the coach)."""
        roll = r.random()
        if roll < 0.1:
            cid = r.choice(clients)
            body = {"hours_max": r.choice([32, 36, 40])}
            return c.patch(f"/v1/candidates/{cid}", json=body, headers={"Authorization": f"Bearer {coach_token}"})
        if roll < 0.3:
            return c.get(r.choice(cand_search_paths))
        return c.get(r.choice(match_paths))

    env = os.environ | {
        "WERKMATCH_DATA_DIR": str(folder),
        "WERKMATCH_DATABASE_URL": settings.resolved_database_url,
        "WERKMATCH_MODEL_DIR": str(settings.resolved_model_dir),
        "WERKMATCH_ESCO_DIR": str(settings.esco_dir),
    }
    # A cold start: no snapshot on disk, the vectors are read from the database (nothing is embedded).
    shutil.rmtree(settings.resolved_index_dir, ignore_errors=True)
    port = 18000
    t = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "werkmatch.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        out["cold_health_s"], out["cold_ready_s"] = _wait_ready(f"http://127.0.0.1:{port}", proc, t)
        out["cold_index"] = _index_states(f"http://127.0.0.1:{port}", polls=1)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    for n_workers in workers:
        port = 18000 + n_workers
        proc = subprocess.Popen(
            [sys.executable, "-m", "werkmatch.cli", "serve", "--port", str(port), "--workers", str(n_workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        t = time.perf_counter()
        w = f"w{n_workers}"
        try:
            out[f"{w}_health_s"], out[f"{w}_ready_s"] = _wait_ready(base, proc, t, n_workers)
            _load(base, token, _gets(match_paths[:20]), 3, concurrency)  # warm-up
            out[f"{w}_matches_gebied"] = [
                _load(base, token, _gets(match_paths), seconds, n) for n in sorted({1, concurrency, 16})
            ]
            out[f"{w}_matches_city"] = _load(base, token, _gets(city_paths), seconds, concurrency)
            out[f"{w}_search_vacancies"] = _load(base, token, _gets(search_paths), seconds, concurrency)
            out[f"{w}_search_candidates"] = [
                _load(base, token, _gets(cand_search_paths), seconds, n) for n in sorted({concurrency, 16})
            ]
            out[f"{w}_mixed_16"] = _load(base, token, mixed, seconds, 16)
            out[f"{w}_matches_gebied_16_with_updates"] = _reads_with_updates(
                base, token, coach_token, _gets(match_paths), clients, seconds, 16
            )
            out[f"{w}_index"] = _index_states(base)
            out[f"{w}_rss_mb"] = _rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    eng.dispose()
    drop_database(settings.resolved_database_url)
    return out
