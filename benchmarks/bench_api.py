"""API load test from a second process on loopback: requests/s and latency, one and two workers."""

from __future__ import annotations

import os
import random
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


def _rss_mb(pid: int) -> list[float]:
    """Resident memory of a process and each of its children (the uvicorn workers), in MB."""
    out = []
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            out.append(round(int(next(x for x in status.splitlines() if x.startswith("VmRSS")).split()[1]) / 1024, 1))
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration):
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
            health = None
            while time.perf_counter() - t < 900:
                try:
                    if health is None and httpx.get(base + "/health", timeout=5).status_code == 200:
                        health = round(time.perf_counter() - t, 1)
                    if httpx.get(base + "/ready", timeout=5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.5)
            out[f"{w}_health_s"] = health
            out[f"{w}_ready_s"] = round(time.perf_counter() - t, 1)
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
            out[f"{w}_rss_mb"] = _rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    eng.dispose()
    drop_database(settings.resolved_database_url)
    return out
