"""Rankings both ways, free-text search, ESCO suggestions, and the match workflow."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import select

from api.deps import CurrentUser, DbId, SessionDep, StoreDep
from matcher.enums import OfferType, Role
from models.schemas import (
    CandidateSearch,
    ConceptSuggestion,
    FeedbackCreate,
    MatchCreate,
    MatchDetail,
    MatchEventRead,
    MatchRead,
    MatchStatusChange,
    RankedCandidates,
    RankedVacancies,
    VacancySearch,
)
from models.services import NotFound, rankings
from models.services.access import View, can_see_candidate
from models.services.candidates import get_candidate
from models.services.matches import add_feedback, change_status, get_match, save_result
from models.services.matching import EngineStore
from models.services.vacancies import get_vacancy
from models.tables import Candidate, Match, User, Vacancy

router = APIRouter(tags=["matching"])
AreaQ = Annotated[list[str] | None, Query(description="gebied codes; empty: whole city", examples=["oost"])]


@router.get("/v1/vacancies/{vacancy_id}/matches", summary="Ranked candidates for a vacancy")
def candidates_for_vacancy(
    vacancy_id: DbId,
    session: SessionDep,
    user: CurrentUser,
    store: StoreDep,
    area: AreaQ = None,
    min_score: Annotated[float, Query(ge=0, le=100)] = 0.0,
    ladder_filter: bool = True,
    consent_only: bool = False,
    include_ineligible: bool = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=400)] = 0,
) -> RankedCandidates:
    """Anonymised for advisers and jobhunters until consent; every candidate shown is audited."""
    return rankings.rank_candidates(
        session,
        store=store,
        user=user,
        vacancy_id=vacancy_id,
        areas=area,
        min_score=min_score,
        ladder_filter=ladder_filter,
        consent_only=consent_only,
        include_ineligible=include_ineligible,
        limit=limit,
        offset=offset,
    )


@router.get("/v1/candidates/{candidate_id}/matches", summary="Ranked vacancies for a candidate")
def vacancies_for_candidate(
    candidate_id: DbId,
    session: SessionDep,
    user: CurrentUser,
    store: StoreDep,
    area: AreaQ = None,
    min_score: Annotated[float, Query(ge=0, le=100)] = 0.0,
    offer_type: Annotated[list[OfferType] | None, Query()] = None,
    ladder_filter: bool = True,
    lks_only: bool = False,
    banenafspraak_only: bool = False,
    include_ineligible: bool = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=400)] = 0,
) -> RankedVacancies:
    """Vacancies city-wide by default; the candidate view is audited."""
    return rankings.rank_vacancies(
        session,
        store=store,
        user=user,
        candidate_id=candidate_id,
        areas=area,
        min_score=min_score,
        offer_types=[o.value for o in offer_type] if offer_type else None,
        ladder_filter=ladder_filter,
        lks_only=lks_only,
        banenafspraak_only=banenafspraak_only,
        include_ineligible=include_ineligible,
        limit=limit,
        offset=offset,
    )


@router.get("/v1/search/candidates", summary="Free-text search over candidates")
def search_candidates(
    session: SessionDep,
    user: CurrentUser,
    store: StoreDep,
    q: Annotated[str, Query(min_length=2, max_length=200, examples=["heftruck"])],
    area: AreaQ = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> CandidateSearch:
    """Anonymised for advisers and jobhunters; coaches search their own clients."""
    return rankings.search_candidates(session, store=store, user=user, q=q, areas=area, limit=limit)


@router.get("/v1/search/vacancies", summary="Free-text search over open vacancies")
def search_vacancies(
    session: SessionDep,
    user: CurrentUser,
    store: StoreDep,
    q: Annotated[str, Query(min_length=2, max_length=200, examples=["schoonmaak Haren"])],
    area: AreaQ = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> VacancySearch:
    """Open vacancies by meaning, not only by words."""
    return rankings.search_vacancies(session, store=store, q=q, areas=area, limit=limit)


def _suggest(store: EngineStore, kind: str, q: str, limit: int) -> list[ConceptSuggestion]:
    tax = store.engine.taxonomy
    if tax is None or not hasattr(tax, "normalizer"):
        raise HTTPException(503, "ESCO is not configured: set WERKMATCH_ESCO_DIR to the ESCO CSV export")
    hits = tax.normalizer(kind).search([q], top=limit)[0]
    return [ConceptSuggestion(uri=h.uri, label=h.label, score=round(h.score, 4)) for h in hits]


@router.get("/v1/taxonomy/occupations", summary="ESCO occupation suggestions for free text")
def suggest_occupations(
    user: CurrentUser,
    store: StoreDep,
    q: Annotated[str, Query(min_length=2, max_length=200, examples=["orderpicker"])],
    limit: Annotated[int, Query(ge=1, le=20)] = 8,
) -> list[ConceptSuggestion]:
    """This service uses the ESCO classification of the European Commission."""
    return _suggest(store, "occupation", q, limit)


@router.get("/v1/taxonomy/skills", summary="ESCO skill suggestions for free text")
def suggest_skills(
    user: CurrentUser,
    store: StoreDep,
    q: Annotated[str, Query(min_length=2, max_length=200, examples=["heftruck"])],
    limit: Annotated[int, Query(ge=1, le=20)] = 8,
) -> list[ConceptSuggestion]:
    """Dutch-labelled ESCO skills."""
    return _suggest(store, "skill", q, limit)


def _visible_match(session: SessionDep, user: User, match_id: DbId) -> Match:
    m = get_match(session, match_id=match_id)
    cand = session.get(Candidate, m.candidate_id)
    if cand is None or not can_see_candidate(user, cand):
        raise NotFound(f"match {match_id} not found")
    return m


def _detail(m: Match) -> MatchDetail:
    return MatchDetail.model_validate(
        MatchRead.model_validate(m).model_dump()
        | {
            "events": [MatchEventRead.model_validate(e) for e in m.events],
            "model_version": m.model_version,
            "index_version": m.index_version,
        }
    )


@router.post("/v1/matches", status_code=201, summary="Save a suggested match so people can act on it")
def create_match(data: MatchCreate, session: SessionDep, user: CurrentUser, store: StoreDep) -> MatchDetail:
    """Computes the score and explanation now and stores them with the model version."""
    cand = get_candidate(session, candidate_id=data.candidate_id)
    if not can_see_candidate(user, cand):
        raise NotFound(f"candidate {data.candidate_id} not found")
    get_vacancy(session, vacancy_id=data.vacancy_id)
    result = rankings.score_pair(session, store=store, candidate_id=data.candidate_id, vacancy_id=data.vacancy_id)
    m, _ = save_result(
        session,
        result=result,
        model_version=store.engine.embedder.version,
        index_version=store.index_version,
        actor=user,
    )
    session.refresh(m)
    return _detail(m)


@router.get("/v1/matches", summary="Matches the user acts on")
def list_matches(
    session: SessionDep,
    user: CurrentUser,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[MatchRead]:
    """Coaches: matches of their clients; advisers: of their gebied's vacancies; others: theirs."""
    stmt = select(Match).order_by(Match.updated_at.desc(), Match.id.desc())
    if user.role == Role.coach:
        stmt = stmt.join(Candidate, Candidate.id == Match.candidate_id).where(Candidate.coach_id == user.id)
    elif user.role == Role.employer_adviser:
        stmt = stmt.join(Vacancy, Vacancy.id == Match.vacancy_id).where(Vacancy.area_id == user.area_id)
    elif user.role == Role.jobhunter:
        stmt = stmt.join(Candidate, Candidate.id == Match.candidate_id).where(Candidate.area_id == user.area_id)
    if status:
        stmt = stmt.where(Match.status == status)
    return [MatchRead.model_validate(m) for m in session.scalars(stmt.limit(limit).offset(offset))]


@router.get("/v1/matches/{match_id}", summary="One match with its history")
def read_match(match_id: DbId, session: SessionDep, user: CurrentUser) -> MatchDetail:
    """A match and every status change (who, when, why)."""
    return _detail(_visible_match(session, user, match_id))


@router.post("/v1/matches/{match_id}/status", summary="Move a match on (a person decides)")
def set_status(match_id: DbId, data: MatchStatusChange, session: SessionDep, user: CurrentUser) -> MatchDetail:
    """suggested → proposed_to_candidate → proposed_to_employer → interview → placed; or rejected/withdrawn
    with a reason. Invalid transitions answer 409; proposing to an employer needs the candidate's consent."""
    m = _visible_match(session, user, match_id)
    return _detail(change_status(session, match=m, to=data.status, reason=data.reason, actor=user))


@router.post("/v1/matches/{match_id}/feedback", status_code=204, summary="Relevance feedback")
def feedback(match_id: DbId, data: FeedbackCreate, session: SessionDep, user: CurrentUser) -> None:
    """Relevant or not (with a reason), stored for learning."""
    m = _visible_match(session, user, match_id)
    add_feedback(session, match=m, relevant=data.relevant, reason=data.reason, actor=user)


__all__ = ["View", "router"]
