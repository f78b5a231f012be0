"""Many rankings at once (``matcher.bulk``): every job gives exactly the engine's own ranking, and every score
is the per-pair score, both directions, on the demo data."""

from __future__ import annotations

import numpy as np

from matcher.bulk import JOBS_PER_BLOCK, BulkRanker, RankJob
from matcher.ranking import score


def _key(results):
    return [(r.candidate_id, r.vacancy_id, r.score, r.eligible) for r in results]


def _engine_ranking(e, job: RankJob):
    if job.side == "vacancy":
        return e.rank_candidates(job.id, k=job.k, min_score=job.min_score, allowed=job.allowed, explain=False)
    return e.rank_vacancies(job.id, k=job.k, min_score=job.min_score, allowed=job.allowed, explain=False)


def _jobs(e) -> list[RankJob]:
    cands = sorted(e.candidates)
    vacs = sorted(e.vacancies)
    some_vacs = np.array(vacs[::4], dtype=np.int64)
    some_cands = np.array(cands[::5], dtype=np.int64)
    jobs = [RankJob("candidate", c, 20, 0.0) for c in cands]
    jobs += [RankJob("candidate", c, 10, 40.0, allowed=some_vacs) for c in cands[::2]]
    jobs += [RankJob("vacancy", v, 50, 0.0) for v in vacs]
    jobs += [RankJob("vacancy", v, 5, 30.0, allowed=some_cands) for v in vacs[::3]]
    return jobs


def test_every_job_ranks_exactly_as_the_engine_both_ways(demo_store) -> None:
    e = demo_store.engine
    jobs = _jobs(e)
    assert len(jobs) > JOBS_PER_BLOCK, "several blocks, so block boundaries are crossed"
    got = BulkRanker(e).rank(jobs)
    assert len(got) == len(jobs)
    pairs = 0
    for job, results in zip(jobs, got, strict=True):
        expected = _engine_ranking(e, job)
        assert _key(results) == _key(expected), (job.side, job.id)
        assert len(results) <= job.k and all(r.score >= job.min_score and r.eligible for r in results)
        if job.allowed is not None:
            other = [r.vacancy_id if job.side == "candidate" else r.candidate_id for r in results]
            assert set(other) <= set(job.allowed.tolist())
        pairs += len(results)
    assert pairs > 10_000, "the demo data ranks plenty of pairs"


def test_every_score_is_the_per_pair_score(demo_store) -> None:
    """The pairs a bulk ranking returns carry the score one pair scored and explained on its own has."""
    e = demo_store.engine
    jobs = [RankJob("candidate", c, 20, 0.0) for c in sorted(e.candidates)[::7]]
    jobs += [RankJob("vacancy", v, 20, 0.0) for v in sorted(e.vacancies)[::5]]
    checked = 0
    for results in BulkRanker(e).rank(jobs):
        for r in results:
            c, v = e.candidates[r.candidate_id], e.vacancies[r.vacancy_id]
            ref = score(c, v, e.features(c, v), e.config, e.today())
            assert (r.score, r.eligible) == (ref.score, ref.eligible), (r.candidate_id, r.vacancy_id)
            checked += 1
    assert checked > 1000


def test_edge_cases_rank_exactly_as_the_engine(demo_store, taxonomy) -> None:
    """Profiles without skills, without occupations or ESCO codes, vacancies without required skills, licences
    and work conditions that block a pair: the tables give the engine's rankings for them too."""
    from dataclasses import replace

    from matcher.engine import MatchEngine
    from matcher.profiles import Concept
    from tests.fakes import FakeEmbedder

    src = demo_store.engine
    cands = [replace(c) for c in list(src.candidates.values())[:150]]
    vacs = [replace(v) for v in list(src.vacancies.values())[:80]]
    for i, c in enumerate(cands):
        if i % 5 == 0:
            c.skills = []
        if i % 7 == 0:
            c.desired_occupations = [Concept(o.label) for o in c.desired_occupations[:1]]
        if i % 11 == 0:
            c.desired_occupations = []
        if i % 3 == 0:
            c.constraints = ["no_weekends", "no_night_shifts"]
        c.driving_licences = ["B"] if i % 2 else []
    for j, v in enumerate(vacs):
        if j % 4 == 0:
            v.required_skills = []
        if j % 6 == 0:
            v.nice_skills = []
        v.driving_licence = "B" if j % 3 == 0 else ("C" if j % 5 == 0 else None)
        v.work_conditions = ["weekends"] if j % 2 else []
    e = MatchEngine(FakeEmbedder(), taxonomy=taxonomy, today=src.today)
    e.upsert_candidates(cands)
    e.upsert_vacancies(vacs)
    jobs = [RankJob("candidate", c.id, 20, 0.0) for c in cands]
    jobs += [RankJob("vacancy", v.id, 40, 0.0) for v in vacs]
    got = BulkRanker(e).rank(jobs)
    blocked = 0
    for job, results in zip(jobs, got, strict=True):
        assert _key(results) == _key(_engine_ranking(e, job)), (job.side, job.id)
    for c in cands[:40]:
        for v in vacs:
            blocked += not e.pair(c.id, v.id).eligible
    assert blocked, "some pairs are blocked by a licence or a work condition"
    assert sum(len(r) for r in got) > 1000


def test_no_jobs_and_jobs_without_pairs(demo_store) -> None:
    e = demo_store.engine
    ranker = BulkRanker(e)
    assert ranker.rank([]) == []
    nothing = np.zeros(0, dtype=np.int64)
    some = sorted(e.candidates)[:3]
    assert ranker.rank([RankJob("candidate", c, 20, 0.0, allowed=nothing) for c in some]) == [[], [], []]
