"""werkmatch's retrieval next to PostgreSQL + pgvector on the same vectors and the same gebied filter.

The same 100k candidate vectors as the engine benchmark (``engine_world``) are loaded into a throw-away
PostgreSQL 16 with pgvector 0.6 from the PyPI package ``pgserver`` (a benchmark-only extra: ``pip install
pgserver``; never a runtime dependency). For each sampled open vacancy the query is the engine's retrieval
vector and the filter is "active, in the vacancy's gebied". Ground truth is an exact inner-product search in
numpy; recall@20 is the share of the true top 20 a method returns. Latencies: werkmatch is in-process (what
a ranking request pays), pgvector includes the loopback round trip (what the service would pay).
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from typing import Any

import numpy as np

from benchmarks.bench_engine import _pct, engine_world

K = 20


def _stats(lat: list[float], recalls: list[float], counts: list[int]) -> dict[str, Any]:
    return {
        "p50_ms": round(statistics.median(lat), 2),
        "p99_ms": round(_pct(lat, 99), 2),
        "recall_at_20": round(statistics.mean(recalls), 4),
        "min_recall": round(min(recalls), 3),
        "mean_rows": round(statistics.mean(counts), 1),
    }


def run(
    *,
    candidates: int,
    distinct: int,
    vacancies: int,
    queries: int,
    seed: int = 1,
    ef_search: tuple[int, ...] = (40, 100, 400),
) -> dict[str, Any]:
    """Build the vectors, load pgvector, and compare."""
    import pgserver
    import psycopg

    engine, vacs, out = engine_world(candidates=candidates, distinct=distinct, vacancies=vacancies, seed=seed)
    ids = engine.cand_index.ids()
    vecs = engine.cand_index.get(ids)
    arrays = engine._cand_arrays()
    row_of = {int(i): n for n, i in enumerate(arrays["id"].tolist())}
    order = np.array([row_of[int(i)] for i in ids.tolist()])
    area = arrays["area"][order]
    active = arrays["active"][order]
    open_vacs = [v for v in vacs if v.status == "open"]
    r = random.Random(seed)
    sample = [r.choice(open_vacs) for _ in range(queries)]
    qs = [(engine._query(engine._vprep[v.id]), engine._area_codes[v.area], v.area) for v in sample]

    truth: list[set[int]] = []
    for q, code, _name in qs:
        mask = (area == code) & active
        scores = vecs[mask] @ q
        top = np.argsort(-scores)[:K]
        truth.append(set(ids[mask][top].tolist()))

    def recall(got: list[int], want: set[int]) -> float:
        return len(set(got) & want) / len(want) if want else 1.0

    lat, recs, counts = [], [], []
    for (q, _code, name), want in zip(qs, truth, strict=True):
        allowed = engine.allowed_candidates(areas=[name])
        t = time.perf_counter()
        found, _ = engine.cand_index.search(q, K, allowed=allowed)
        lat.append((time.perf_counter() - t) * 1000)
        recs.append(recall(found.tolist(), want))
        counts.append(len(found))
    out["werkmatch_faiss"] = _stats(lat, recs, counts) | {"kind": getattr(engine.cand_index, "kind", "?")}

    folder = tempfile.mkdtemp(prefix="wm-pgvector-")
    server = pgserver.get_server(folder, cleanup_mode="delete")
    try:
        server.psql("CREATE EXTENSION IF NOT EXISTS vector;")
        with psycopg.connect(server.get_uri(), autocommit=True) as conn:
            out["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
            out["pgvector"] = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()[0]  # type: ignore[index]
            dim = vecs.shape[1]
            conn.execute(f"CREATE TABLE items (id integer PRIMARY KEY, area smallint, active boolean, v vector({dim}))")
            t = time.perf_counter()
            with conn.cursor().copy("COPY items (id, area, active, v) FROM STDIN") as copy:
                for i, a, act, v in zip(ids.tolist(), area.tolist(), active.tolist(), vecs, strict=True):
                    copy.write_row((i, a, act, "[" + ",".join(f"{x:.7g}" for x in v.tolist()) + "]"))
            conn.execute("ANALYZE items")
            out["pg_load_s"] = round(time.perf_counter() - t, 1)
            sql = f"SELECT id FROM items WHERE area = %s AND active ORDER BY v <#> %s::vector LIMIT {K}"

            def measure() -> dict[str, Any]:
                lat, recs, counts = [], [], []
                for (q, code, _name), want in zip(qs, truth, strict=True):
                    lit = "[" + ",".join(f"{x:.7g}" for x in q.tolist()) + "]"
                    t = time.perf_counter()
                    got = [row[0] for row in conn.execute(sql, (code, lit))]
                    lat.append((time.perf_counter() - t) * 1000)
                    recs.append(recall(got, want))
                    counts.append(len(got))
                return _stats(lat, recs, counts)

            out["pgvector_exact"] = measure()
            conn.execute("SET maintenance_work_mem = '1GB'")
            t = time.perf_counter()
            conn.execute("CREATE INDEX ON items USING hnsw (v vector_ip_ops) WITH (m = 16, ef_construction = 64)")
            out["pg_hnsw_build_s"] = round(time.perf_counter() - t, 1)
            for ef in ef_search:
                conn.execute(f"SET hnsw.ef_search = {int(ef)}")
                out[f"pgvector_hnsw_ef{ef}"] = measure()
    finally:
        server.cleanup()
    return out
