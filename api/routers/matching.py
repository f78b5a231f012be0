"""Rankings both ways, free-text search, ESCO suggestions, and the match workflow."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentUser, DbId, SessionDep, StoreDep
from matcher.enums import OfferType
from models.enums import MatchStatus
from models.schemas import (
    NO_NUL,
    AreaCode,
    CandidateSearch,
    ConceptSuggestion,
    FeedbackCreate,
    MatchCreate,
    MatchDetail,
    MatchRead,
    MatchStatusChange,
    RankedCandidates,
    RankedVacancies,
    VacancySearch,
)
from models.services import match_flows, rankings

router = APIRouter(tags=["matching"])
AreaQ = Annotated[list[AreaCode] | None, Query(description="gebied codes; empty: whole city", examples=["oost"])]


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
    q: Annotated[str, Query(min_length=2, max_length=200, pattern=NO_NUL, examples=["heftruck"])],
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
    q: Annotated[str, Query(min_length=2, max_length=200, pattern=NO_NUL, examples=["schoonmaak Haren"])],
    area: AreaQ = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> VacancySearch:
    """Open vacancies by meaning, not only by words."""
    return rankings.search_vacancies(session, store=store, q=q, areas=area, limit=limit)


@router.get("/v1/taxonomy/occupations", summary="ESCO occupation suggestions for free text")
def suggest_occupations(
    user: CurrentUser,
    store: StoreDep,
    q: Annotated[str, Query(min_length=2, max_length=200, pattern=NO_NUL, examples=["orderpicker"])],
    limit: Annotated[int, Query(ge=1, le=20)] = 8,
) -> list[ConceptSuggestion]:
    """This service uses the ESCO classification of the European Commission."""
    return rankings.suggest_concepts(store=store, kind="occupation", q=q, limit=limit)


@router.get("/v1/taxonomy/skills", summary="ESCO skill suggestions for free text")
def suggest_skills(
    user: CurrentUser,
    store: StoreDep,
    q: Annotated[str, Query(min_length=2, max_length=200, pattern=NO_NUL, examples=["heftruck"])],
    limit: Annotated[int, Query(ge=1, le=20)] = 8,
) -> list[ConceptSuggestion]:
    """Dutch-labelled ESCO skills."""
    return rankings.suggest_concepts(store=store, kind="skill", q=q, limit=limit)


@router.post("/v1/matches", status_code=201, summary="Save a suggested match so people can act on it")
def create_match(data: MatchCreate, session: SessionDep, user: CurrentUser, store: StoreDep) -> MatchDetail:
    """Computes the score and explanation now and stores them with the model version."""
    m = match_flows.suggest_pair(
        session, store=store, user=user, candidate_id=data.candidate_id, vacancy_id=data.vacancy_id
    )
    return match_flows.detail(m)


@router.get("/v1/matches", summary="Matches the user acts on")
def list_matches(
    session: SessionDep,
    user: CurrentUser,
    status: MatchStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[MatchRead]:
    """Coaches: matches of their clients; advisers: of their gebied's vacancies; others: theirs."""
    return match_flows.list_matches(session, user=user, status=status, limit=limit, offset=offset)


@router.get("/v1/matches/{match_id}", summary="One match with its history")
def read_match(match_id: DbId, session: SessionDep, user: CurrentUser) -> MatchDetail:
    """A match and every status change (who, when, why)."""
    return match_flows.read_match(session, user=user, match_id=match_id)


@router.post("/v1/matches/{match_id}/status", summary="Move a match on (a person decides)")
def set_status(match_id: DbId, data: MatchStatusChange, session: SessionDep, user: CurrentUser) -> MatchDetail:
    """suggested → proposed_to_candidate → proposed_to_employer → interview → placed; or rejected/withdrawn
    with a reason. Invalid transitions answer 409; proposing to an employer needs the candidate's consent."""
    return match_flows.move(session, user=user, match_id=match_id, to=data.status, reason=data.reason)


@router.post("/v1/matches/{match_id}/feedback", status_code=204, summary="Relevance feedback")
def feedback(match_id: DbId, data: FeedbackCreate, session: SessionDep, user: CurrentUser) -> None:
    """Relevant or not (with a reason), stored for learning."""
    match_flows.give_feedback(session, user=user, match_id=match_id, relevant=data.relevant, reason=data.reason)
