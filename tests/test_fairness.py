"""Matching never uses personal or special-category data, ladder step or support as a score factor,
and a gap in work history never lowers a score."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from matcher.profiles import CandidateProfile, candidate_texts
from models.services.areas import Geo
from models.services.matching import candidate_profile
from models.tables import Candidate

FORBIDDEN = {
    "name",
    "first_name",
    "last_name",
    "birth_date",
    "age",
    "gender",
    "sex",
    "nationality",
    "health",
    "debts",
    "bsn",
    "email",
    "phone",
    "street",
    "religion",
    "ethnicity",
    "postcode_full",
    "about",
}


def _scores(engine, cid):
    return [(r.vacancy_id, r.score) for r in engine.rank_vacancies(cid, k=10, ladder_filter=False)]


def test_profile_has_no_personal_or_special_category_fields():
    assert not {f.name for f in dataclasses.fields(CandidateProfile)} & FORBIDDEN


def test_changing_personal_data_and_work_history_dates_leaves_every_score_unchanged(demo_db, demo_store):
    engine = demo_store.engine
    with Session(demo_db) as s:
        geo = Geo(s)
        cands = s.scalars(
            select(Candidate)
            .options(selectinload(Candidate.personal))
            .where(Candidate.status == "active")
            .order_by(Candidate.id)
            .limit(15)
        ).all()
        for cand in cands:
            before = _scores(engine, cand.id)
            original = engine.candidates[cand.id]
            texts = candidate_texts(original)
            assert cand.personal.last_name not in " ".join(texts)
            cand.personal.first_name, cand.personal.last_name = "Zeynep", "Yılmaz-Ahmadi"
            cand.personal.birth_date = dt.date(1961, 3, 3)
            cand.personal.email, cand.personal.street = "ander@example.org", "Andere straat 1"
            # A long gap: the last job ended twenty years ago.
            cand.experience = [dict(e, last_year=2006) for e in cand.experience]
            changed = candidate_profile(cand, geo)
            assert replace(changed, stamp="") == replace(candidate_profile(cand, geo), stamp="")
            engine.upsert_candidates([changed])
            assert _scores(engine, cand.id) == before
            engine.upsert_candidates([original])
        s.rollback()


def test_ladder_step_and_support_are_filters_not_score_factors(demo_store):
    engine = demo_store.engine
    pairs = 0
    for cid in sorted(engine.candidates)[:10]:
        c = engine.candidates[cid]
        for r in engine.rank_vacancies(cid, k=3, ladder_filter=False):
            base = r.score
            for change in (
                {"ladder_step": 1},
                {"ladder_step": 6},
                {"lks_eligible": not c.lks_eligible},
                {"doelgroepregister": not c.doelgroepregister},
                {"jobcoach": not c.jobcoach},
            ):
                engine.candidates[cid] = replace(c, **change)
                assert engine.pair(cid, r.vacancy_id).score == base, change
            engine.candidates[cid] = c
            pairs += 1
    assert pairs >= 10


SENSITIVE_ABOUT = [
    "Heeft schulden bij de gemeente en een betalingsregeling.",
    "Psychische klachten, burn-out in 2023; gebruikt medicatie.",
    "Gevlucht uit Syrië, spreekt Arabisch, moslim.",
    "Alleenstaande moeder van drie kinderen, zwanger.",
]


def test_what_a_coach_wrote_about_the_person_never_moves_a_score_or_a_vector(demo_db, demo_store):
    """The free text a coach writes (health, debts, origin, family) stays out of every vector and score."""
    engine = demo_store.engine

    def searches() -> list[list[tuple[int, float]]]:
        return [[(h.id, h.score) for h in engine.search_candidates(q, k=10)] for q in SENSITIVE_ABOUT]

    found_before = searches()
    with Session(demo_db) as s:
        geo = Geo(s)
        cands = s.scalars(select(Candidate).where(Candidate.status == "active").order_by(Candidate.id).limit(8)).all()
        for i, cand in enumerate(cands):
            before = _scores(engine, cand.id)
            texts = candidate_texts(engine.candidates[cand.id])
            cand.about = SENSITIVE_ABOUT[i % len(SENSITIVE_ABOUT)]
            changed = candidate_profile(cand, geo)
            assert candidate_texts(changed) == texts
            engine.upsert_candidates([changed])
            assert _scores(engine, cand.id) == before
        s.rollback()
    assert searches() == found_before
