"""The match workflow as people use it, once for the API, the web UI and the nightly job.

werkmatch suggests; a person moves a match on (``suggested → proposed_to_candidate → …``), each step audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import Select, false, select

from models.enums import MATCH_TRANSITIONS, MatchStatus, Role
from models.schemas import MatchDetail, MatchEventRead, MatchRead
from models.services import NotFound
from models.services.access import candidate_view, require_transition, require_works_on_pair
from models.services.audit import record
from models.services.candidates import get_candidate
from models.services.matches import add_feedback, change_status, get_match, save_result
from models.services.rankings import score_pair
from models.services.vacancies import get_vacancy
from models.tables import Candidate, Match, User, Vacancy

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from models.services.matching import EngineStore


def detail(m: Match) -> MatchDetail:
    """A match with every status change (who, when, why) and the versions it was computed with."""
    return MatchDetail.model_validate(
        MatchRead.model_validate(m).model_dump()
        | {
            "events": [MatchEventRead.model_validate(e) for e in m.events],
            "model_version": m.model_version,
            "index_version": m.index_version,
        }
    )


def visible_match(session: Session, *, user: User, match_id: int) -> Match:
    """A match the user works on (404 otherwise, so its existence does not leak)."""
    m = get_match(session, match_id=match_id)
    cand, vac = session.get(Candidate, m.candidate_id), session.get(Vacancy, m.vacancy_id)
    if cand is None or vac is None:
        raise NotFound(f"match {match_id} not found")
    require_works_on_pair(user, cand, vac, what=f"match {match_id}")
    return m


def read_match(session: Session, *, user: User, match_id: int) -> MatchDetail:
    """A match with its history, for the people who work on it; the read is audited."""
    m = visible_match(session, user=user, match_id=match_id)
    record(
        session,
        actor=user,
        action="match.view",
        object_type="match",
        object_id=m.id,
        details={"candidate_id": m.candidate_id},
    )
    return detail(m)


def _own_matches(user: User) -> Select[Match]:
    """Coaches: matches of their clients; advisers: of their gebied's vacancies; jobhunters: of their gebied."""
    stmt = select(Match)
    if user.role == Role.coach:
        stmt = stmt.join(Candidate, Candidate.id == Match.candidate_id).where(Candidate.coach_id == user.id)
    elif user.role == Role.employer_adviser or user.role == Role.jobhunter:
        stmt = stmt.join(Vacancy, Vacancy.id == Match.vacancy_id).where(Vacancy.area_id == user.area_id)
    else:
        stmt = stmt.where(false())  # admins read nothing personal here
    return stmt


def list_matches(
    session: Session, *, user: User, status: MatchStatus | None = None, limit: int = 50, offset: int = 0
) -> list[MatchRead]:
    """The matches the user acts on (see ``_own_matches``), most recently changed first."""
    stmt = _own_matches(user).order_by(Match.updated_at.desc(), Match.id.desc())
    if status:
        stmt = stmt.where(Match.status == status)
    return [MatchRead.model_validate(m) for m in session.scalars(stmt.limit(limit).offset(offset))]


def pair_statuses(
    session: Session, *, user: User, pairs: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], MatchRead]:
    """The stored match of each (candidate, vacancy) pair shown to the user, where one exists and the user
    acts on it (a ranking's cards show where each pair stands)."""
    if not pairs:
        return {}
    wanted = set(pairs)
    stmt = _own_matches(user).where(
        Match.candidate_id.in_({c for c, _ in wanted}), Match.vacancy_id.in_({v for _, v in wanted})
    )
    return {
        (m.candidate_id, m.vacancy_id): MatchRead.model_validate(m)
        for m in session.scalars(stmt)
        if (m.candidate_id, m.vacancy_id) in wanted
    }


def suggest_pair(session: Session, *, store: EngineStore, user: User, candidate_id: int, vacancy_id: int) -> Match:
    """Score a pair now and store it as a suggestion (or refresh the stored score), with the model version."""
    cand = get_candidate(session, candidate_id=candidate_id)
    candidate_view(user, cand)  # NotFound when out of the user's scope
    require_works_on_pair(user, cand, get_vacancy(session, vacancy_id=vacancy_id), what=f"candidate {candidate_id}")
    result = score_pair(session, store=store, candidate_id=candidate_id, vacancy_id=vacancy_id)
    m, _ = save_result(
        session,
        result=result,
        model_version=store.engine.embedder.version,
        index_version=store.index_version,
        actor=user,
    )
    session.refresh(m)
    return m


def move(session: Session, *, user: User, match_id: int, to: MatchStatus, reason: str | None) -> MatchDetail:
    """A person moves a match on; invalid transitions and proposals without consent are conflicts."""
    m = visible_match(session, user=user, match_id=match_id)
    require_transition(user, to)
    return detail(change_status(session, match=m, to=to, reason=reason, actor=user))


def give_feedback(session: Session, *, user: User, match_id: int, relevant: bool, reason: str | None) -> None:
    """Relevant or not (with a reason), stored for learning."""
    m = visible_match(session, user=user, match_id=match_id)
    add_feedback(session, match=m, relevant=relevant, reason=reason, actor=user)


def propose_pair(
    session: Session, *, store: EngineStore, user: User, candidate_id: int, vacancy_id: int
) -> tuple[Match, bool]:
    """The user proposes a suggested pair to the candidate; False when someone had already acted on it."""
    m = suggest_pair(session, store=store, user=user, candidate_id=candidate_id, vacancy_id=vacancy_id)
    if m.status != MatchStatus.suggested:
        return m, False
    require_transition(user, MatchStatus.proposed_to_candidate)
    return change_status(
        session, match=m, to=MatchStatus.proposed_to_candidate, reason="voorgesteld via de UI", actor=user
    ), True


def reject_pair(
    session: Session, *, store: EngineStore, user: User, candidate_id: int, vacancy_id: int, reason: str
) -> tuple[Match, bool]:
    """The user rejects a pair, with the reason; False when the match can no longer be rejected."""
    m = suggest_pair(session, store=store, user=user, candidate_id=candidate_id, vacancy_id=vacancy_id)
    if MatchStatus.rejected.value not in MATCH_TRANSITIONS[MatchStatus(m.status)]:
        return m, False
    require_transition(user, MatchStatus.rejected)
    return change_status(session, match=m, to=MatchStatus.rejected, reason=reason, actor=user), True


def feedback_on_pair(
    session: Session, *, store: EngineStore, user: User, candidate_id: int, vacancy_id: int, relevant: bool
) -> Match:
    """Relevance feedback on a pair shown in a ranking."""
    m = suggest_pair(session, store=store, user=user, candidate_id=candidate_id, vacancy_id=vacancy_id)
    add_feedback(session, match=m, relevant=relevant, reason=None, actor=user)
    return m
