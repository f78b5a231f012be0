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
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from benchmarks.world import build_world
from models.db import make_engine, session_scope
from models.services.users import create_token
from models.tables import User, Vacancy

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


def _load(base: str, token: str, paths: list[str], seconds: float, concurrency: int) -> dict[str, Any]:
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
                res = c.get(r.choice(paths))
                dt_ms = (time.perf_counter() - t) * 1000
                with lock:
                    if res.status_code == 200:
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
        "requests": len(lat),
        "errors": errors,
        "rps": round(len(lat) / wall, 1),
        "p50_ms": round(statistics.median(lat), 1) if lat else None,
        "p99_ms": round(_pct(lat, 99), 1) if lat else None,
    }


def run(*, candidates: int, distinct: int, vacancies: int, seconds: float, concurrency: int) -> dict[str, Any]:
    """Build a world, serve it, and load it."""
    folder = Path(tempfile.mkdtemp(prefix="wm-bench-api-"))
    settings, out = build_world(folder, candidates=candidates, vacancies=vacancies, distinct=distinct)
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
        open_vacs = [(v.id, v.area_id) for v in s.scalars(select(Vacancy).where(Vacancy.status == "open"))]
        from models.services.areas import Geo

        code = {a.id: c for c, a in Geo(s).areas.items()}
    r = random.Random(3)
    match_paths = [f"/v1/vacancies/{vid}/matches?area={code[aid]}&limit=20" for vid, aid in r.sample(open_vacs, 200)]
    city_paths = [f"/v1/vacancies/{vid}/matches?limit=20" for vid, _ in r.sample(open_vacs, 200)]
    search_paths = [f"/v1/search/vacancies?q={q}&limit=20" for q in QUERIES]
    env = os.environ | {
        "WERKMATCH_DATA_DIR": str(folder),
        "WERKMATCH_DATABASE_URL": settings.resolved_database_url,
        "WERKMATCH_MODEL_DIR": str(settings.resolved_model_dir),
        "WERKMATCH_ESCO_DIR": str(settings.esco_dir),
    }
    for workers in (1, 2):
        port = 18000 + workers
        proc = subprocess.Popen(
            [sys.executable, "-m", "werkmatch.cli", "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        t = time.perf_counter()
        try:
            while time.perf_counter() - t < 600:
                try:
                    if httpx.get(base + "/ready", timeout=5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(1)
            out[f"w{workers}_startup_s"] = round(time.perf_counter() - t, 1)
            _load(base, token, match_paths[:20], 3, concurrency)  # warm-up
            out[f"w{workers}_matches_gebied"] = _load(base, token, match_paths, seconds, concurrency)
            out[f"w{workers}_matches_city"] = _load(base, token, city_paths, seconds, concurrency)
            out[f"w{workers}_search"] = _load(base, token, search_paths, seconds, concurrency)
            out[f"w{workers}_matches_gebied_1client"] = _load(base, token, match_paths, seconds, 1)
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    eng.dispose()
    return out
