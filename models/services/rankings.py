"""Rankings both ways, free-text search and scoring one pair: the one home of these flows.

Used alike by the API routers, the web UI and (for pairs) the match workflow. Each flow:

1. reads what it needs from the database (scope, gebied codes) *before* it touches the engine;
2. asks the engine under its read lock (shared by all readers), which then only computes (no database I/O is ever done while an
   engine lock is held: a Python lock and a database row lock can otherwise wait on each other forever);
3. hydrates the results from the database, applies the view rules of ``access`` and writes the audit
   events of everything shown in one statement.

A profile the engine has not indexed yet answers :class:`NotIndexed` (409) everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from matcher.engine import SearchHit
from matcher.ranking import MatchResult
from models.schemas import (
    CandidateHit,
    CandidateSearch,
    ConceptSuggestion,
    Page,
    RankedCandidate,
    RankedCandidates,
    RankedVacancies,
    RankedVacancy,
    VacancyHit,
    VacancySearch,
)
from models.services import Conflict, Unavailable
from models.services.access import candidate_view, visible_candidate_ids
from models.services.areas import Geo
from models.services.audit import record_candidate_views
from models.services.candidates import get_candidate
from models.services.vacancies import get_vacancy, vacancy_read
from models.services.views import render
from models.tables import Candidate, User, Vacancy

if TYPE_CHECKING:
    from models.services.matching import EngineStore


class NotIndexed(Conflict):
    """The profile exists but the engine has not indexed it yet (it will within seconds)."""


def _area_codes(geo: Geo, areas: Sequence[str] | None) -> list[str] | None:
    return [geo.area(a).code for a in areas] if areas else None


def _scope(session: Session, user: User) -> np.ndarray | None:
    ids = visible_candidate_ids(session, user=user)
    return None if ids is None else np.array(ids, dtype=np.int64)


WAIT_INDEXED_SECONDS = 2.0


def _await_indexed(store: EngineStore, *, candidate_id: int | None = None, vacancy_id: int | None = None) -> None:
    """Read your own writes: a profile created a moment ago is usually being indexed; wait for it (no lock
    held, at most ``WAIT_INDEXED_SECONDS``) before answering 409."""
    e = store.engine
    if (candidate_id is None or candidate_id in e.candidates) and (vacancy_id is None or vacancy_id in e.vacancies):
        return
    if store.following:
        store.wait_for(candidate_id=candidate_id, vacancy_id=vacancy_id, timeout=WAIT_INDEXED_SECONDS)


def _require_indexed(store: EngineStore, *, candidate_id: int | None = None, vacancy_id: int | None = None) -> None:
    """Called with the engine lock held: pure dictionary look-ups."""
    e = store.engine
    if candidate_id is not None and candidate_id not in e.candidates:
        raise NotIndexed(f"candidate {candidate_id} is not in the index yet; try again shortly")
    if vacancy_id is not None and vacancy_id not in e.vacancies:
        raise NotIndexed(f"vacancy {vacancy_id} is not in the index yet; try again shortly")


def _load_candidates(session: Session, ids: Sequence[int]) -> dict[int, Candidate]:
    # the personal row (one-to-one) in the same query: one round trip for the page
    stmt = select(Candidate).where(Candidate.id.in_(list(ids))).options(joinedload(Candidate.personal))
    return {c.id: c for c in session.scalars(stmt)}


def _load_vacancies(session: Session, ids: Sequence[int]) -> dict[int, Vacancy]:
    return {v.id: v for v in session.scalars(select(Vacancy).where(Vacancy.id.in_(list(ids))))}


def rank_candidates(
    session: Session,
    *,
    store: EngineStore,
    user: User,
    vacancy_id: int,
    areas: Sequence[str] | None = None,
    min_score: float = 0.0,
    ladder_filter: bool = True,
    consent_only: bool = False,
    include_ineligible: bool = False,
    limit: int = 20,
    offset: int = 0,
    reason: str | None = None,
) -> RankedCandidates:
    """The best candidates for a vacancy within the user's scope; every candidate shown is audited."""
    get_vacancy(session, vacancy_id=vacancy_id)
    geo = Geo.of(session)
    codes = _area_codes(geo, areas)
    scope = _scope(session, user)
    session.flush()  # nothing of this request may wait for the database while the engine lock is held
    _await_indexed(store, vacancy_id=vacancy_id)
    with store.reading():
        _require_indexed(store, vacancy_id=vacancy_id)
        results = store.engine.rank_candidates(
            vacancy_id,
            k=offset + limit,
            areas=codes,
            min_score=min_score,
            require_consent=consent_only,
            ladder_filter=ladder_filter,
            include_ineligible=include_ineligible,
            allowed=scope,
        )
    page = results[offset : offset + limit]
    items = _ranked_candidates(session, user=user, results=page, geo=geo)
    record_candidate_views(
        session,
        actor=user,
        candidate_ids=[i.candidate.id for i in items],
        views={i.candidate.id: i.candidate.view for i in items},
        reason=reason or f"ranking voor vacature {vacancy_id}",
    )
    return RankedCandidates(
        vacancy_id=vacancy_id, page=Page(total=len(results), limit=limit, offset=offset), items=items
    )


def _ranked_candidates(
    session: Session, *, user: User, results: Sequence[MatchResult], geo: Geo
) -> list[RankedCandidate]:
    cands = _load_candidates(session, [r.candidate_id for r in results])
    items = []
    for r in results:
        cand = cands.get(r.candidate_id)
        if cand is None:  # deleted a moment ago by another request
            continue
        items.append(
            RankedCandidate(
                score=r.score,
                eligible=r.eligible,
                components=r.components,
                explanation=r.explanation(),
                candidate=render(cand, geo, candidate_view(user, cand)),
            )
        )
    return items


def rank_vacancies(
    session: Session,
    *,
    store: EngineStore,
    user: User,
    candidate_id: int,
    areas: Sequence[str] | None = None,
    min_score: float = 0.0,
    offer_types: Sequence[str] | None = None,
    ladder_filter: bool = True,
    lks_only: bool = False,
    banenafspraak_only: bool = False,
    include_ineligible: bool = False,
    limit: int = 20,
    offset: int = 0,
    reason: str = "vacatures gezocht voor kandidaat",
    audit: bool = True,
) -> RankedVacancies:
    """The best vacancies for a candidate the user may see; the view of the candidate is audited (``audit``
    False: the caller has audited this view already, e.g. a page that shows the profile too)."""
    cand = get_candidate(session, candidate_id=candidate_id)
    view = candidate_view(user, cand)  # NotFound when out of scope
    codes = _area_codes(Geo.of(session), areas)
    session.flush()
    _await_indexed(store, candidate_id=candidate_id)
    with store.reading():
        _require_indexed(store, candidate_id=candidate_id)
        results = store.engine.rank_vacancies(
            candidate_id,
            k=offset + limit,
            areas=codes,
            min_score=min_score,
            offer_types=list(offer_types) if offer_types else None,
            ladder_filter=ladder_filter,
            lks_only=lks_only,
            banenafspraak_only=banenafspraak_only,
            include_ineligible=include_ineligible,
        )
    page = results[offset : offset + limit]
    vacs = _load_vacancies(session, [r.vacancy_id for r in page])
    items = [
        RankedVacancy(
            score=r.score,
            eligible=r.eligible,
            components=r.components,
            explanation=r.explanation(),
            vacancy=vacancy_read(vacs[r.vacancy_id]),
        )
        for r in page
        if r.vacancy_id in vacs
    ]
    if audit:
        record_candidate_views(
            session, actor=user, candidate_ids=[candidate_id], views={candidate_id: view.value}, reason=reason
        )
    return RankedVacancies(
        candidate_id=candidate_id, page=Page(total=len(results), limit=limit, offset=offset), items=items
    )


def search_candidates(
    session: Session,
    *,
    store: EngineStore,
    user: User,
    q: str,
    areas: Sequence[str] | None = None,
    limit: int = 20,
    min_score: float = 0.0,
    reason: str | None = None,
) -> CandidateSearch:
    """Free-text search over the candidates in the user's scope (coaches: own clients); audited."""
    geo = Geo.of(session)
    codes = _area_codes(geo, areas)
    scope = _scope(session, user)
    session.flush()
    vector = store.engine.encode_query(q)  # the one encoding a request does: outside any lock
    with store.reading():
        hits: list[SearchHit] = store.engine.search_candidates(vector, k=limit, areas=codes, allowed=scope)
    hits = [h for h in hits if h.score >= min_score]  # before the audit: only what is shown counts as a view
    cands = _load_candidates(session, [h.id for h in hits])
    items = []
    for h in hits:
        cand = cands.get(h.id)
        if cand is None:
            continue
        items.append(CandidateHit(score=h.score, candidate=render(cand, geo, candidate_view(user, cand))))
    record_candidate_views(
        session,
        actor=user,
        candidate_ids=[i.candidate.id for i in items],
        views={i.candidate.id: i.candidate.view for i in items},
        reason=reason or f"zoeken: {q}",
    )
    return CandidateSearch(query=q, items=items)


def search_vacancies(
    session: Session,
    *,
    store: EngineStore,
    q: str,
    areas: Sequence[str] | None = None,
    limit: int = 20,
    min_score: float = 0.0,
) -> VacancySearch:
    """Free-text search over open vacancies, by meaning rather than only by words."""
    codes = _area_codes(Geo.of(session), areas)
    session.flush()
    vector = store.engine.encode_query(q)
    with store.reading():
        hits = [h for h in store.engine.search_vacancies(vector, k=limit, areas=codes) if h.score >= min_score]
    vacs = _load_vacancies(session, [h.id for h in hits])
    return VacancySearch(
        query=q, items=[VacancyHit(score=h.score, vacancy=vacancy_read(vacs[h.id])) for h in hits if h.id in vacs]
    )


@dataclass(frozen=True)
class Hidden:
    """What a ranking's filters leave out, counted among the best the engine considered (a count, never who):
    the page says so and offers to widen the filter."""

    below_threshold: int
    """Considered with the filters as set, but scored under the threshold."""
    other_areas: int
    """Scored at or above the threshold, but in another gebied."""
    ladder: int
    """Scored at or above the threshold, but left out by the participatieladder filter."""
    ineligible: int
    """Scored at or above the threshold, but failing a hard requirement."""


HINT_DEPTH = 100
"""How deep the counts of ``Hidden`` look (the best this many with each filter widened)."""


def _hidden(
    rank: Callable[..., list[MatchResult]],
    key: Callable[[MatchResult], int],
    *,
    threshold: float,
    areas: list[str] | None,
    ladder_filter: bool,
    include_ineligible: bool,
) -> Hidden:
    """Count what each filter hides (``rank`` is the engine's ranking with everything but the filters bound;
    called with the store's read lock held: computation only)."""

    def strong(**widened: object) -> set[int]:
        filters: dict[str, object] = {
            "areas": areas,
            "ladder_filter": ladder_filter,
            "include_ineligible": include_ineligible,
        }
        return {key(r) for r in rank(k=HINT_DEPTH, min_score=threshold, **(filters | widened))}

    considered = rank(
        k=HINT_DEPTH, areas=areas, min_score=0.0, ladder_filter=ladder_filter, include_ineligible=include_ineligible
    )
    shown = {key(r) for r in considered if r.score >= threshold}
    return Hidden(
        below_threshold=sum(1 for r in considered if r.score < threshold),
        other_areas=len(strong(areas=None) - shown) if areas else 0,
        ladder=len(strong(ladder_filter=False) - shown) if ladder_filter else 0,
        ineligible=len(strong(include_ineligible=True) - shown) if not include_ineligible else 0,
    )


def hidden_candidates(
    session: Session,
    *,
    store: EngineStore,
    user: User,
    vacancy_id: int,
    threshold: float,
    areas: Sequence[str] | None = None,
    ladder_filter: bool = True,
    include_ineligible: bool = False,
) -> Hidden:
    """How many candidates (in the user's scope) each filter of a vacancy's ranking hides; nothing is shown, so
    nothing is audited."""
    get_vacancy(session, vacancy_id=vacancy_id)
    codes = _area_codes(Geo.of(session), areas)
    scope = _scope(session, user)
    session.flush()
    with store.reading():
        _require_indexed(store, vacancy_id=vacancy_id)

        def rank(**kw: object) -> list[MatchResult]:
            return store.engine.rank_candidates(vacancy_id, allowed=scope, explain=False, **kw)  # type: ignore[arg-type]

        return _hidden(
            rank,
            lambda r: r.candidate_id,
            threshold=threshold,
            areas=codes,
            ladder_filter=ladder_filter,
            include_ineligible=include_ineligible,
        )


def hidden_vacancies(
    session: Session,
    *,
    store: EngineStore,
    user: User,
    candidate_id: int,
    threshold: float,
    areas: Sequence[str] | None = None,
    ladder_filter: bool = True,
    include_ineligible: bool = False,
) -> Hidden:
    """How many vacancies each filter of a candidate's ranking hides (the user must be allowed to see the
    candidate)."""
    candidate_view(user, get_candidate(session, candidate_id=candidate_id))  # NotFound when out of scope
    codes = _area_codes(Geo.of(session), areas)
    session.flush()
    with store.reading():
        _require_indexed(store, candidate_id=candidate_id)

        def rank(**kw: object) -> list[MatchResult]:
            return store.engine.rank_vacancies(candidate_id, explain=False, **kw)  # type: ignore[arg-type]

        return _hidden(
            rank,
            lambda r: r.vacancy_id,
            threshold=threshold,
            areas=codes,
            ladder_filter=ladder_filter,
            include_ineligible=include_ineligible,
        )


def score_pair(session: Session, *, store: EngineStore, candidate_id: int, vacancy_id: int) -> MatchResult:
    """Score and explain one pair now (the caller has checked that the user may see both)."""
    session.flush()
    _await_indexed(store, candidate_id=candidate_id, vacancy_id=vacancy_id)
    with store.reading():
        _require_indexed(store, candidate_id=candidate_id, vacancy_id=vacancy_id)
        return store.engine.pair(candidate_id, vacancy_id)


def suggest_concepts(*, store: EngineStore, kind: str, q: str, limit: int) -> list[ConceptSuggestion]:
    """ESCO concepts (``occupation`` or ``skill``) that best fit free text (the taxonomy is read-only)."""
    tax = store.engine.taxonomy
    normalizer = getattr(tax, "normalizer", None)
    if normalizer is None:
        raise Unavailable("ESCO is not configured: set WERKMATCH_ESCO_DIR to the ESCO CSV export")
    hits = normalizer(kind).search([q], top=limit)[0]
    return [ConceptSuggestion(uri=h.uri, label=h.label, score=round(h.score, 4)) for h in hits]


__all__ = [
    "Hidden",
    "NotIndexed",
    "hidden_candidates",
    "hidden_vacancies",
    "rank_candidates",
    "rank_vacancies",
    "score_pair",
    "search_candidates",
    "search_vacancies",
    "suggest_concepts",
]
