"""Scoring many pairs at once (arrays) gives exactly the per-pair scores, both ways, on the demo data."""

from __future__ import annotations

import datetime as dt

import pytest

from matcher.ranking import Features, PairBlock, RankingConfig, score, score_block

TODAY = dt.date(2026, 11, 2)


def _per_pair(engine, c, v):
    return score(c, v, engine.features(c, v, explain=False), engine.config, TODAY, explain=False)


def test_every_vacancy_against_every_candidate_scores_as_pair_by_pair(demo_store) -> None:
    e = demo_store.engine
    cands = list(e.candidates.values())
    assert len(cands) >= 250 and len(e.vacancies) >= 100
    eligible_seen = ineligible_seen = 0
    for v in e.vacancies.values():
        scores, eligible = score_block(cands, [v] * len(cands), e._block([(c, v) for c in cands]), e.config, TODAY)
        for c, s, ok in zip(cands, scores, eligible, strict=True):
            ref = _per_pair(e, c, v)
            assert (s, bool(ok)) == (ref.score, ref.eligible), (c.id, v.id)
            eligible_seen += ref.eligible
            ineligible_seen += not ref.eligible
    assert eligible_seen and ineligible_seen  # both verdicts occur in the data


def test_every_candidate_against_every_vacancy_scores_as_pair_by_pair(demo_store) -> None:
    e = demo_store.engine
    vacs = list(e.vacancies.values())
    for c in list(e.candidates.values())[::3]:
        scores, eligible = score_block([c] * len(vacs), vacs, e._block([(c, v) for v in vacs]), e.config, TODAY)
        for v, s, ok in zip(vacs, scores, eligible, strict=True):
            ref = _per_pair(e, c, v)
            assert (s, bool(ok)) == (ref.score, ref.eligible), (c.id, v.id)


def test_pairs_that_share_no_side_score_as_pair_by_pair(demo_store) -> None:
    e = demo_store.engine
    pairs = list(zip(list(e.candidates.values())[:50], list(e.vacancies.values())[:50], strict=True))
    scores, eligible = score_block([c for c, _ in pairs], [v for _, v in pairs], e._block(pairs), e.config, TODAY)
    assert [(s, bool(ok)) for s, ok in zip(scores, eligible, strict=True)] == [
        (r.score, r.eligible) for r in (_per_pair(e, c, v) for c, v in pairs)
    ]


@pytest.mark.parametrize(
    ("features", "expected"),
    [
        # nothing in common, no skills asked: only the occupation and the text count
        (Features(0.70, ("a", "b"), None, None, 0.70, []), 0.0),
        (Features(0.95, ("a", "b"), 1.0, 0.95, 0.95, []), 100.0),
    ],
)
def test_score_block_of_single_pairs_matches_the_weights(demo_store, features: Features, expected: float) -> None:
    e = demo_store.engine
    c, v = next(iter(e.candidates.values())), next(iter(e.vacancies.values()))
    block = PairBlock.of([features])
    ref = score(c, v, features, RankingConfig(), TODAY, explain=False)
    scores, _ = score_block([c], [v], block, RankingConfig(), TODAY)
    assert scores == [ref.score]
    penalty = ref.components["penalty"] or 0.0
    assert ref.score == round(max(0.0, expected - penalty), 1)


def test_rankings_return_the_best_scores_in_order(demo_store) -> None:
    e = demo_store.engine
    for vid in list(e.vacancies)[:20]:
        ranked = e.rank_candidates(vid, k=10)
        assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)
        assert all(r.score == e.pair(r.candidate_id, vid).score for r in ranked)


def test_filters_follow_each_change_of_a_candidate_as_a_rebuild_would(demo_store) -> None:
    """Changes are patched into the filter arrays in place (no rebuild per change); what each filter allows
    must equal a fresh engine's answer after every change."""
    from dataclasses import replace

    from matcher.engine import MatchEngine
    from tests.fakes import FakeEmbedder

    src = demo_store.engine
    cands = [replace(c) for c in list(src.candidates.values())[:80]]
    vac = replace(next(iter(src.vacancies.values())))
    live = MatchEngine(FakeEmbedder())
    live.upsert_candidates(cands)
    live.upsert_vacancies([vac])

    def allowed(e: MatchEngine) -> list[tuple[int, ...]]:
        return [
            tuple(e.allowed_candidates(areas=areas, require_consent=consent, offer_type=offer).tolist())
            for areas in (None, ["oost"], ["west", "zuid"])
            for consent in (False, True)
            for offer in (None, "paid_job", "participation")
        ]

    assert allowed(live)  # the arrays exist before the changes: they are patched, not rebuilt
    current = {c.id: c for c in cands}
    changes = [
        {"area": "oost"},
        {"status": "inactive"},
        {"consent": True},
        {"ladder_step": 1},
        {"hours_max": 12},
        {"status": "active", "area": "west"},
    ]
    for n, change in enumerate(changes):
        c = replace(current[cands[n].id], **change)
        current[c.id] = c
        live.upsert_candidates([c])
        fresh = MatchEngine(FakeEmbedder())
        fresh.upsert_candidates(list(current.values()))
        fresh.upsert_vacancies([vac])
        assert allowed(live) == allowed(fresh), change
