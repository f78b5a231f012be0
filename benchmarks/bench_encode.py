"""Encoding speed and memory, torch (float32) against the int8 ONNX export, each in a process of its own.

``python -m benchmarks encode``: 512 profile texts of the demo data in batches, 30 single queries, the cosine
of the two encodings, and the RSS of a process that loads the model and encodes (nothing else).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from typing import Any

CHILD = r"""
import json, os, resource, statistics, sys, time
import numpy as np
from benchmarks.bench_engine import _profiles
from matcher.profiles import candidate_texts
from werkmatch.runtime import load_embedder
from werkmatch.settings import Settings

backend = sys.argv[1]
t0 = time.perf_counter()
emb = load_embedder(Settings(embedder=backend))
load_s = time.perf_counter() - t0
cands, _ = _profiles(512, 0, 1)
texts = [candidate_texts(c)[2] for c in cands[:512]]
emb.encode(texts[:16], kind="passage")
rates = []
for _ in range(3):
    t = time.perf_counter()
    vecs = emb.encode(texts, kind="passage")
    rates.append(len(texts) / (time.perf_counter() - t))
lat = []
for q in ["orderpicker", "schoonmaker kantoren Haren", "heftruck rijden in een magazijn"] * 10:
    t = time.perf_counter()
    emb.encode([q], kind="query")
    lat.append((time.perf_counter() - t) * 1000)
lat.sort()
np.save(sys.argv[2], vecs)
rss = int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
print(json.dumps({
    "backend": type(emb).__name__, "version": emb.version, "load_s": round(load_s, 1),
    "batch_texts_per_s": round(statistics.median(rates), 1),
    "single_ms_p50": round(statistics.median(lat), 2), "single_ms_p99": round(lat[-1], 2),
    "rss_mb": round(rss), "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    "torch_loaded": "torch" in sys.modules,
}))
"""


def run() -> dict[str, Any]:
    """Both backends, one after the other, each in a fresh process."""
    import numpy as np

    out: dict[str, Any] = {}
    vecs = {}
    for backend in ("torch", "onnx"):
        path = f"/tmp/wm-bench-encode-{backend}-{os.getpid()}.npy"
        res = subprocess.run(
            [sys.executable, "-c", CHILD, backend, path],
            capture_output=True,
            text=True,
            check=True,
            env=os.environ | {"OPENBLAS_NUM_THREADS": "1"},
        )
        out[backend] = json.loads(res.stdout.strip().splitlines()[-1])
        vecs[backend] = np.load(path)
        os.unlink(path)
    cos = (vecs["torch"] * vecs["onnx"]).sum(axis=1)
    out["cosine_min"] = round(float(cos.min()), 4)
    out["cosine_median"] = round(float(statistics.median(cos.tolist())), 4)
    out["batch_speedup"] = round(out["onnx"]["batch_texts_per_s"] / out["torch"]["batch_texts_per_s"], 2)
    out["single_speedup"] = round(out["torch"]["single_ms_p50"] / out["onnx"]["single_ms_p50"], 2)
    return out
