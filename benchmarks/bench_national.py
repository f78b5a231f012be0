"""Simulated national scale: N candidates x M vacancies, partitioned by labour-market region, on Dask.

The national exchange partitions by region (the Netherlands has 35 arbeidsmarktregio's): a candidate travels
within reach, so a region's nightly rankings need only that region's profiles (cross-region pairs are left
out, as a regional Werkbedrijf would). Each partition is one task: the worker builds the region's engine
from a seed (synthetic profiles drawn like the demo data over an ESCO-sized vocabulary: 3,200 occupations and
~13k skills; text vectors of 768 dimensions from a seeded random generator: no model, no database) and then
does a first nightly run's rankings with the bulk ranker (every open vacancy's best 50 candidates, every
active client's best 20 vacancies). Reported per partition: profiles, jobs, time to build the engine (stands
for loading the region's snapshot) and to rank, and the worker's peak RSS; then the extrapolation.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import resource
import time
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from data import load_json
from matcher.embedder import Kind
from matcher.enums import CONSTRAINT_CONFLICTS
from matcher.profiles import CandidateProfile, Concept, Experience, VacancyProfile

TODAY = dt.date(2026, 11, 2)
VARIANTS = 100  # occupations = demo occupations x VARIANTS (32 x 100 = 3,200, about ESCO's 3,000)
REGIONS = 35


class SyntheticEmbedder:
    """768-d unit vectors from a random generator seeded by the text (the same text, the same vector)."""

    dim = 768
    version = "synthetic-768"

    def encode(self, texts: Sequence[str], *, kind: Kind = "query") -> np.ndarray:
        """One seeded random unit vector per text."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            v = np.random.default_rng(zlib.crc32(f"{kind}:{t}".encode())).standard_normal(self.dim)
            out[i] = v / np.linalg.norm(v)
        return out


def synthetic_region(
    region: int, candidates: int, vacancies: int
) -> tuple[list[CandidateProfile], list[VacancyProfile]]:
    """A region's profiles, drawn from a seed (ids unique over all regions)."""
    rng = random.Random(region)
    words = load_json("demo.json")
    occs = words["occupations"]
    general = words["general_skills"]
    lat0, lon0 = 51.0 + (region % 7) * 0.4, 4.0 + (region // 7) * 0.5  # a region's centre, in the Netherlands

    def occupation() -> tuple[dict[str, Any], int]:
        return rng.choice(occs), rng.randrange(VARIANTS)

    def name(label: str, variant: int) -> str:
        return label if variant == 0 else f"{label} {variant}"

    def place() -> tuple[str, tuple[float, float]]:
        return f"r{region}-{rng.randrange(40)}", (lat0 + rng.uniform(-0.25, 0.25), lon0 + rng.uniform(-0.3, 0.3))

    cs: list[CandidateProfile] = []
    base_c = region * 10_000_000
    for n in range(candidates):
        wanted = [occupation() for _ in range(rng.choice([1, 1, 2]))]
        skills: list[str] = []
        for o, var in wanted:
            skills += [name(s, var) for s in rng.sample(o["skills"], k=rng.randint(1, len(o["skills"])))]
        skills += rng.sample(general, k=rng.randint(0, 3))
        postcode, loc = place()
        mode = rng.choice(["bike", "bike", "public_transport", "car"])
        hours_min = rng.choice([0, 8, 12, 16, 20, 24, 32])
        cs.append(
            CandidateProfile(
                id=base_c + n,
                area=f"regio-{region}",
                postcode=postcode,
                location=loc,
                status=rng.choices(["active", "paused", "placed"], weights=[88, 8, 4])[0],
                consent=rng.random() < 0.35,
                desired_occupations=[Concept(name(rng.choice(o["synonyms"]), v)) for o, v in wanted],
                skills=[Concept(s) for s in dict.fromkeys(skills)],
                experience=[
                    Experience(name(rng.choice(o["synonyms"]), v), 2.0)
                    for o, v in (occupation() for _ in range(rng.choice([0, 1, 2])))
                ],
                education_level=rng.choice(["none", "vmbo", "mbo2", "mbo3", "mbo4", "hbo"]),
                driving_licences=["B"] if mode == "car" or rng.random() < 0.25 else [],
                travel_mode=mode,
                hours_min=hours_min,
                hours_max=min(40, hours_min + rng.choice([8, 12, 16, 20])),
                available_from=TODAY + dt.timedelta(days=rng.choice([0, 0, 14, 30])),
                ladder_step=rng.choices([1, 2, 3, 4, 5, 6], weights=[4, 14, 24, 28, 22, 8])[0],
                constraints=[k for k in CONSTRAINT_CONFLICTS if rng.random() < 0.12],
            )
        )
    vs: list[VacancyProfile] = []
    base_v = region * 1_000_000
    for n in range(vacancies):
        o, var = occupation()
        title = name(o["title"], var)
        postcode, loc = place()
        hours_min = rng.choice([8, 16, 20, 24, 32])
        required = [name(s, var) for s in rng.sample(o["skills"], k=min(len(o["skills"]), rng.randint(2, 4)))]
        vs.append(
            VacancyProfile(
                id=base_v + n,
                area=f"regio-{region}",
                postcode=postcode,
                title=title,
                location=loc,
                description=f"{title} gezocht voor {hours_min} uur per week. Gevraagd: {', '.join(required)}.",
                occupation=Concept(title),
                required_skills=[Concept(s) for s in required],
                nice_skills=[Concept(s) for s in rng.sample(general, k=rng.randint(0, 2))],
                hours_min=hours_min,
                hours_max=min(40, hours_min + rng.choice([0, 4, 8, 12])),
                offer_type=rng.choice(o["offer"]),
                education_level=o["education"],
                driving_licence=o.get("licence"),
                work_conditions=list(o["conditions"]),
                start_date=TODAY + dt.timedelta(days=rng.choice([0, 7, 14, 30])),
                status=rng.choices(["open", "filled", "closed"], weights=[85, 10, 5])[0],
            )
        )
    return cs, vs


def partition(region: int, candidates: int, vacancies: int) -> dict[str, Any]:
    """One region's first nightly rankings (runs on a Dask worker, or here)."""
    from matcher.bulk import BulkRanker, RankJob
    from matcher.engine import FixedDay, MatchEngine

    t = time.perf_counter()
    cs, vs = synthetic_region(region, candidates, vacancies)
    engine = MatchEngine(SyntheticEmbedder(), today=FixedDay(TODAY))
    engine.upsert_candidates(cs)
    engine.upsert_vacancies(vs)
    built = time.perf_counter() - t
    t = time.perf_counter()
    jobs = [RankJob("vacancy", v.id, 50, 0.0) for v in vs if v.status == "open"]
    jobs += [RankJob("candidate", c.id, 20, 0.0) for c in cs if c.status == "active"]
    ranked = BulkRanker(engine).rank_arrays(jobs)
    return {
        "region": region,
        "candidates": candidates,
        "vacancies": vacancies,
        "jobs": len(jobs),
        "results": int(ranked.counts.sum()),
        "build_s": round(built, 1),
        "rank_s": round(time.perf_counter() - t, 1),
        "worker_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def run(
    *, candidates: int, vacancies: int, partitions: int = REGIONS, measure: int = 4, cluster: str, workers: int = 2
) -> dict[str, Any]:
    """``measure`` of the ``partitions`` regions of a country of ``candidates`` x ``vacancies``, on ``cluster``
    (``none``: one after another in this process; ``local``: a LocalCluster of ``workers`` processes)."""
    per_c, per_v = math.ceil(candidates / partitions), math.ceil(vacancies / partitions)
    regions = list(range(min(measure, partitions)))
    t = time.perf_counter()
    if cluster == "none":
        rows = [partition(r, per_c, per_v) for r in regions]
        n_workers = 1
    else:
        from models.services.distributed import dask_client, worker_count

        with dask_client(cluster, workers=workers) as client:
            n_workers = worker_count(client)
            t = time.perf_counter()
            futures = client.map(partition, regions, [per_c] * len(regions), [per_v] * len(regions), pure=False)
            rows = client.gather(futures)
    wall = time.perf_counter() - t
    per_partition = float(np.median([r["build_s"] + r["rank_s"] for r in rows]))
    total_cpu = per_partition * partitions  # worker-seconds for the whole country
    return {
        "country": {"candidates": candidates, "vacancies": vacancies, "partitions": partitions},
        "cluster": cluster if cluster != "local" else f"local ({n_workers} processes)",
        "measured_partitions": rows,
        "measured_wall_s": round(wall, 1),
        "median_partition_s": round(per_partition, 1),
        "median_rank_s": round(float(np.median([r["rank_s"] for r in rows])), 1),
        "worker_seconds_for_the_country": round(total_cpu),
        "extrapolated_wall_s": {
            f"{m} machine(s) x 2 workers": round(math.ceil(partitions / (2 * m)) * per_partition)
            for m in (1, 2, 4, 9, 18)
        },
    }
