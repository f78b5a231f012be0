"""Ranking both ways on the demo data: filters, conditions, explanations, determinism."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from matcher.profiles import Concept
from matcher.ranking import offer_fits_ladder

pytestmark = pytest.mark.slow
TODAY = dt.date(2026, 11, 2)


@pytest.fixture(scope="module")
def engine(demo_store):
    return demo_store.engine


def _open_vacancy(engine, **want):
    want.setdefault("driving_licence", None)
    for v in sorted(engine.vacancies.values(), key=lambda v: v.id):
        if v.status == "open" and not v.work_conditions and all(getattr(v, k) == val for k, val in want.items()):
            return v
    pytest.skip(f"no demo vacancy with {want}")


def test_candidates_for_a_vacancy_respect_gebied_status_and_ladder(engine):
    v = _open_vacancy(engine, offer_type="paid_job")
    res = engine.rank_candidates(v.id, k=10, areas=[v.area])
    assert res, "expected candidates"
    scores = [r.score for r in res]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 100 for s in scores)
    for r in res:
        c = engine.candidates[r.candidate_id]
        assert c.area == v.area and c.status == "active" and r.eligible
        assert offer_fits_ladder(v.offer_type, c.ladder_step)


def test_city_wide_ranking_reaches_other_gebieden(engine):
    v = _open_vacancy(engine, offer_type="paid_job")
    areas = {engine.candidates[r.candidate_id].area for r in engine.rank_candidates(v.id, k=40)}
    assert len(areas) > 1


def test_vacancies_for_a_candidate_are_open_and_fit_the_ladder(engine):
    c = next(c for c in engine.candidates.values() if c.status == "active" and c.ladder_step in (4, 5))
    res = engine.rank_vacancies(c.id, k=10)
    assert res
    for r in res:
        v = engine.vacancies[r.vacancy_id]
        assert v.status == "open" and offer_fits_ladder(v.offer_type, c.ladder_step)
    only = engine.rank_vacancies(c.id, k=10, offer_types=["work_experience"])
    assert all(engine.vacancies[r.vacancy_id].offer_type == "work_experience" for r in only)


def test_top_match_shares_the_occupation_and_explains_it_in_dutch(engine):
    v = _open_vacancy(engine, offer_type="paid_job")
    top = engine.rank_candidates(v.id, k=1, ladder_filter=False)[0]
    exp = top.explanation()
    assert exp["reasons"] and all(isinstance(x, str) for x in exp["reasons"])
    assert {c["code"] for c in exp["conditions"]} >= {"hours", "travel"}
    assert all(
        c["label"] in {"Uren", "Reisafstand", "Rijbewijs", "Werktijden en werk", "Opleiding", "Beschikbaarheid"}
        for c in exp["conditions"]
    )
    total = len(exp["matched_skills"]) + len(exp["missing_skills"])
    assert total == len(engine.vacancies[v.id].required_skills)


def test_hard_conditions_filter_and_soft_ones_lower_the_score(engine):
    v = _open_vacancy(engine, offer_type="paid_job")
    c = engine.candidates[engine.rank_candidates(v.id, k=1, ladder_filter=False)[0].candidate_id]
    base = engine.pair(c.id, v.id)
    # Soft: hours that do not overlap lower the score and are named.
    c2 = replace(c, id=990001, hours_min=0, hours_max=max(0, v.hours_min - 12))
    engine.upsert_candidates([c2])
    soft = engine.pair(c2.id, v.id)
    assert soft.score < base.score and soft.eligible
    assert any("uren" in r for r in soft.reasons)
    # Hard: a required licence the candidate lacks, and a stated work constraint.
    v2 = replace(v, id=990002, driving_licence="CE", work_conditions=["night_shifts"])
    engine.upsert_vacancies([v2])
    c3 = replace(c, id=990003, driving_licences=[], constraints=["no_night_shifts"])
    engine.upsert_candidates([c3])
    hard = engine.pair(c3.id, v2.id)
    assert not hard.eligible
    assert {cd.code for cd in hard.conditions if cd.met is False and cd.hard} == {"licence", "constraint"}
    assert c3.id not in [r.candidate_id for r in engine.rank_candidates(v2.id, k=500, ladder_filter=False)]
    engine.remove_candidates([c2.id, c3.id])
    engine.remove_vacancies([v2.id])


def test_esco_essential_skills_of_the_occupation_count_as_skills(engine, taxonomy):
    v = _open_vacancy(engine, offer_type="paid_job")
    vac_occ = engine._vprep[v.id].occ_uris
    if not vac_occ:
        pytest.skip("vacancy occupation not resolved")
    uri = sorted(vac_occ)[0]
    essential = sorted(taxonomy.essential_skills(uri) & set(taxonomy.esco.dutch_skills()))
    if not essential:
        pytest.skip("no Dutch essential skills")
    label = taxonomy.preferred(essential[0])
    vac = replace(v, id=990010, required_skills=[Concept(label, essential[0])], nice_skills=[])
    cand = replace(
        next(iter(engine.candidates.values())),
        id=990011,
        skills=[],
        desired_occupations=[Concept(taxonomy.preferred(uri), uri)],
    )
    engine.upsert_vacancies([vac])
    engine.upsert_candidates([cand])
    r = engine.pair(cand.id, vac.id)
    assert r.explanation()["matched_skills"][0]["via"].startswith("hoort bij beroep")
    assert r.components["occupation_esco"] == 1.0
    engine.remove_candidates([cand.id])
    engine.remove_vacancies([vac.id])


def test_ranking_is_deterministic(engine):
    v = _open_vacancy(engine, offer_type="paid_job")
    a = [(r.candidate_id, r.score) for r in engine.rank_candidates(v.id, k=15)]
    b = [(r.candidate_id, r.score) for r in engine.rank_candidates(v.id, k=15)]
    assert a == b


def test_free_text_search(engine):
    hits = engine.search_vacancies("heftruck rijden in een magazijn", k=5)
    titles = [engine.vacancies[h.id].title.lower() for h in hits]
    assert any(w in t for t in titles for w in ("heftruck", "magazijn", "orderpicker")), titles
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    people = engine.search_candidates("kok in een restaurant", k=5, areas=["oost"])
    assert all(engine.candidates[h.id].area == "oost" for h in people)


def _assert_is_the_full_ranking(ranked, full, key):
    """Same scores and wording as scoring each pair in full; nothing left out scores higher."""
    by_id = {key(r): r for r in full}
    for r in ranked:
        f = by_id[key(r)]
        assert (r.score, r.eligible, r.reasons, r.skills) == (f.score, f.eligible, f.reasons, f.skills)
        assert [c.detail for c in r.conditions] == [c.detail for c in f.conditions]
        assert r.reasons
    order = [(not r.eligible, -r.score) for r in ranked]
    assert order == sorted(order)
    last = order[-1]
    returned = {key(r) for r in ranked}
    assert all(key(f) in returned for f in full if (not f.eligible, -f.score) < last)


def test_ranking_scores_every_pair_as_the_full_explained_scoring_does(engine):
    """The fast first pass (no wording) ranks exactly as scoring each pair in full would."""
    config = engine.config
    engine.config = replace(config, retrieve=1000)  # retrieval keeps every demo candidate
    try:
        for v in sorted((v for v in engine.vacancies.values() if v.status == "open"), key=lambda v: v.id)[:8]:
            ranked = engine.rank_candidates(v.id, k=10, include_ineligible=True)
            ids = engine.allowed_candidates(offer_type=v.offer_type)
            assert len(ids) <= engine.config.retrieve
            full = [engine.pair(int(c), v.id) for c in ids]
            _assert_is_the_full_ranking(ranked, full, key=lambda r: r.candidate_id)
    finally:
        engine.config = config


def test_vacancies_for_a_candidate_score_as_the_full_scoring_does(engine):
    for c in sorted((c for c in engine.candidates.values() if c.status == "active"), key=lambda c: c.id)[:8]:
        ranked = engine.rank_vacancies(c.id, k=10, include_ineligible=True)
        assert ranked
        allowed = engine.allowed_vacancies(ladder_step=c.ladder_step)
        assert len(allowed) <= engine.config.retrieve
        full = [engine.pair(c.id, int(v)) for v in allowed]
        _assert_is_the_full_ranking(ranked, full, key=lambda r: r.vacancy_id)


def test_an_explanation_names_the_occupation_as_the_profile_writes_it(engine, taxonomy):
    """Was: 'Zoekt: magazijnmedewerker' explained as 'pakhuismedewerker' (the ESCO label the engine adds)."""
    v = _open_vacancy(engine, offer_type="paid_job")
    vac_occ = engine._vprep[v.id].occ_uris
    if not vac_occ:
        pytest.skip("vacancy occupation not resolved")
    uri = sorted(vac_occ)[0]
    own = "mijn eigen woord voor dit werk"
    assert own != taxonomy.preferred(uri)
    cand = replace(
        next(iter(engine.candidates.values())), id=990021, desired_occupations=[Concept("kok", None), Concept(own, uri)]
    )
    engine.upsert_candidates([cand])
    try:
        reasons = engine.pair(cand.id, v.id).explanation()["reasons"]
        named = [r for r in reasons if r.startswith("Gewenst beroep")]
        assert named == [f"Gewenst beroep '{own}' is precies het beroep van de vacature"], reasons
        assert taxonomy.preferred(uri) not in " ".join(reasons)
    finally:
        engine.remove_candidates([cand.id])
