"""Engine benchmark: encoding speed, index build and memory, ranking latency on 100k candidates.

Encoding 100k distinct profiles would take this 2-core machine about half an hour, so the benchmark
encodes ``distinct`` real demo profiles and fills the index up to ``candidates`` with copies of them
(new ids, other gebieden, vectors perturbed by a little noise and renormalised). Ranking latency is
measured with the embeddings precomputed, as the target asks.
"""

from __future__ import annotations

import datetime as dt
import random
import resource
import statistics
import time
from dataclasses import replace
from typing import Any

import numpy as np

from matcher.engine import MatchEngine
from matcher.index import FaissIndex
from matcher.profiles import CandidateProfile, Concept, Experience, VacancyProfile, candidate_texts

TODAY = dt.date(2026, 11, 2)


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def _profiles(n_cand: int, n_vac: int, seed: int) -> tuple[list[CandidateProfile], list[VacancyProfile]]:
    """Demo profiles straight from the demo generator (no database needed)."""
    from models.services.demo import DemoGenerator

    class _Area:
        def __init__(self, i: int) -> None:
            self.id = i

    class _Geo:
        pass

    from data import load_json

    geo: Any = _Geo()
    areas = load_json("areas.json")["areas"]
    geo.areas = {a["code"]: _Area(i) for i, a in enumerate(areas)}
    from models.services.areas import PostcodeInfo

    geo.postcodes = {
        pc: PostcodeInfo(pc, w["name"], a["code"], lat, lon)
        for a in areas
        for w in a["wijken"]
        for pc, lat, lon in w["postcodes"]
    }
    gen = DemoGenerator(seed=seed, geo=geo, esco=None, today=TODAY)
    code_of = {a.id: c for c, a in geo.areas.items()}
    cands = []
    for i in range(n_cand):
        row, _ = gen.candidate(i, {})
        pc = geo.postcodes[row["postcode"]]
        cands.append(
            CandidateProfile(
                id=i + 1,
                area=code_of[row["area_id"]],
                postcode=row["postcode"],
                location=(pc.lat, pc.lon),
                status=row["status"],
                consent=row["consent_to_share"],
                desired_occupations=[Concept(o["label"], o["uri"]) for o in row["desired_occupations"]],
                skills=[Concept(s["label"], s["uri"]) for s in row["skills"]],
                experience=[Experience(e["title"], e["years"], e["uri"]) for e in row["experience"]],
                education_level=row["education_level"],
                driving_licences=row["driving_licences"],
                travel_mode=row["travel_mode"],
                max_travel_km=row["max_travel_km"],
                max_travel_minutes=row["max_travel_minutes"],
                hours_min=row["hours_min"],
                hours_max=row["hours_max"],
                available_from=row["available_from"],
                ladder_step=row["ladder_step"],
                constraints=row["constraints"],
            )
        )
    employers = [gen.employer(i) | {"id": i + 1} for i in range(40)]
    vacs = []
    for i in range(n_vac):
        row = gen.vacancy(i, employers, {})
        pc = geo.postcodes[row["postcode"]]
        occ = row["occupation"]
        vacs.append(
            VacancyProfile(
                id=i + 1,
                area=code_of[row["area_id"]],
                postcode=row["postcode"],
                title=row["title"],
                location=(pc.lat, pc.lon),
                description=row["description"],
                occupation=Concept(occ["label"], occ["uri"]),
                required_skills=[Concept(s["label"]) for s in row["required_skills"]],
                nice_skills=[Concept(s["label"]) for s in row["nice_skills"]],
                hours_min=row["hours_min"],
                hours_max=row["hours_max"],
                offer_type=row["offer_type"],
                education_level=row["education_level"],
                driving_licence=row["driving_licence"],
                work_conditions=row["work_conditions"],
                start_date=row["start_date"],
                status=row["status"],
            )
        )
    return cands, vacs


def engine_world(
    *, candidates: int, distinct: int, vacancies: int, seed: int = 1
) -> tuple[MatchEngine, list[VacancyProfile], dict[str, Any]]:
    """An engine with ``candidates`` candidates: ``distinct`` encoded demo profiles plus perturbed copies."""
    from werkmatch.runtime import load_embedder

    out: dict[str, Any] = {"candidates": candidates, "distinct_encoded": distinct, "vacancies": vacancies}
    emb = load_embedder()
    cands, vacs = _profiles(distinct, vacancies, seed)
    # Encoding: batch throughput and single-query latency.
    texts = [candidate_texts(c)[2] for c in cands[:512]]
    emb.encode(texts[:16])
    t = time.perf_counter()
    emb.encode(texts)
    out["encode_batch_texts_per_s"] = round(len(texts) / (time.perf_counter() - t), 1)
    lat = []
    for q in ["orderpicker", "schoonmaker kantoren Haren", "heftruck rijden in een magazijn"] * 10:
        t = time.perf_counter()
        emb.encode([q])
        lat.append((time.perf_counter() - t) * 1000)
    out["encode_single_ms_p50"] = round(statistics.median(lat), 2)
    out["encode_single_ms_p99"] = round(_pct(lat, 99), 2)
    # Build: encode the distinct profiles and the vacancies.
    engine = MatchEngine(emb, index_factory=FaissIndex, today=lambda: TODAY)
    t = time.perf_counter()
    engine.upsert_candidates(cands)
    engine.upsert_vacancies(vacs)
    enc_s = time.perf_counter() - t
    out["encode_profiles_s"] = round(enc_s, 1)
    out["encode_profiles_per_s"] = round((len(cands) + len(vacs)) / enc_s, 1)
    # Fill up to `candidates` with perturbed copies (embeddings precomputed).
    rng = np.random.default_rng(seed)
    areas = sorted({c.area for c in cands})
    base_ids = np.array([c.id for c in cands])
    base_vecs = engine.cand_index.get(base_ids)
    extra = candidates - distinct
    t = time.perf_counter()
    if extra > 0:
        pick = rng.integers(0, distinct, size=extra)
        noise = rng.standard_normal((extra, base_vecs.shape[1])).astype(np.float32) * 0.01
        vecs = base_vecs[pick] + noise
        vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-9)
        new_ids = np.arange(distinct + 1, distinct + 1 + extra)
        r = random.Random(seed)
        for nid, p in zip(new_ids.tolist(), pick.tolist(), strict=True):
            src = cands[p]
            engine.candidates[nid] = replace(src, id=nid, area=r.choice(areas))
            engine._cprep[nid] = engine._cprep[src.id]
        engine._cfilter = None
        engine.cand_index.upsert(new_ids, vecs)
    out["index_fill_s"] = round(time.perf_counter() - t, 2)
    out["index_memory_mb"] = round(len(engine.cand_index) * emb.dim * 4 / 2**20, 1)
    out["scoring_vectors_mb"] = round(len(engine.vectors) * emb.dim * 4 / 2**20, 1)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return engine, vacs, out


def run(*, candidates: int, distinct: int, vacancies: int, queries: int, seed: int = 1) -> dict[str, Any]:
    """Run the benchmark and return its numbers."""
    engine, vacs, out = engine_world(candidates=candidates, distinct=distinct, vacancies=vacancies, seed=seed)
    # Ranking latency: top-20 candidates for a vacancy, in its gebied and city-wide.
    open_vacs = [v for v in vacs if v.status == "open"]
    r = random.Random(seed)
    sample = [r.choice(open_vacs) for _ in range(queries)]
    engine.rank_candidates(sample[0].id, k=20)  # warm up (FAISS index built lazily)
    for name, areas_of in (("gebied", lambda v: [v.area]), ("city", lambda v: None)):
        lat, retr = [], []
        for v in sample:
            t = time.perf_counter()
            engine.rank_candidates(v.id, k=20, areas=areas_of(v))
            lat.append((time.perf_counter() - t) * 1000)
            ids = engine.allowed_candidates(areas=areas_of(v), offer_type=v.offer_type)
            q = engine._query(engine._vprep[v.id])
            t = time.perf_counter()
            engine.cand_index.search(q, engine.config.retrieve, allowed=ids)
            retr.append((time.perf_counter() - t) * 1000)
        out[f"rank_{name}_ms_p50"] = round(statistics.median(lat), 2)
        out[f"rank_{name}_ms_p99"] = round(_pct(lat, 99), 2)
        out[f"retrieve_{name}_ms_p50"] = round(statistics.median(retr), 2)
    return out
