"""Stored matches and the people-driven workflow around them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from matcher.ranking import MatchResult
from models.enums import MATCH_TRANSITIONS, MatchStatus, NotificationStatus
from models.services import Conflict, NotFound
from models.services.audit import record
from models.tables import (
    AuditEvent,
    Candidate,
    Match,
    MatchEvent,
    MatchFeedback,
    Notification,
    User,
    Vacancy,
    utcnow,
)


def save_result(
    session: Session, *, result: MatchResult, model_version: str, index_version: str, actor: User | None = None
) -> tuple[Match, bool]:
    """Store a computed match (status suggested) or refresh the score of an existing one."""
    m = session.scalar(
        select(Match).where(Match.candidate_id == result.candidate_id, Match.vacancy_id == result.vacancy_id)
    )
    created = m is None
    if m is None:
        m = Match(candidate_id=result.candidate_id, vacancy_id=result.vacancy_id, status=MatchStatus.suggested)
        session.add(m)
    m.score = result.score
    m.components = result.components
    m.explanation = result.explanation()
    m.model_version = model_version
    m.index_version = index_version
    session.flush()
    if created:
        session.add(
            MatchEvent(
                match_id=m.id,
                from_status=None,
                to_status=MatchStatus.suggested.value,
                actor_id=actor.id if actor else None,
                reason="voorgesteld door werkmatch",
            )
        )
    return m, created


def get_match(session: Session, *, match_id: int) -> Match:
    """A stored match with its events."""
    m = session.get(Match, match_id, options=[selectinload(Match.events)])
    if m is None:
        raise NotFound(f"match {match_id} not found")
    return m


def change_status(session: Session, *, match: Match, to: MatchStatus, reason: str | None, actor: User) -> Match:
    """Move a match on; invalid transitions and proposals without consent are conflicts."""
    allowed = MATCH_TRANSITIONS[MatchStatus(match.status)]
    if to.value not in allowed:
        raise Conflict(f"a match cannot go from {match.status} to {to.value}")
    if to == MatchStatus.proposed_to_employer:
        cand = session.get(Candidate, match.candidate_id)
        if cand is None or not cand.consent_to_share:
            raise Conflict("the candidate's coach has not recorded consent to share their details with employers")
    session.add(
        MatchEvent(
            match_id=match.id,
            from_status=str(match.status),
            to_status=to.value,
            actor_id=actor.id,
            reason=reason,
            at=utcnow(),
        )
    )
    match.status = to
    match.status_changed_by_id = actor.id
    match.status_changed_at = utcnow()
    match.status_reason = reason
    record(
        session,
        actor=actor,
        action="match.status",
        object_type="match",
        object_id=match.id,
        reason=reason,
        details={"to": to.value, "candidate_id": match.candidate_id},
    )
    session.flush()
    session.refresh(match)
    return match


def add_feedback(session: Session, *, match: Match, relevant: bool, reason: str | None, actor: User) -> None:
    """Store relevance feedback for learning."""
    session.add(MatchFeedback(match_id=match.id, user_id=actor.id, relevant=relevant, reason=reason))
    record(
        session,
        actor=actor,
        action="match.feedback",
        object_type="match",
        object_id=match.id,
        reason=reason,
        details={"relevant": relevant},
    )


def export_candidate(session: Session, *, candidate: Candidate, full_profile: dict[str, Any]) -> dict[str, Any]:
    """Everything stored about one candidate, for an AVG (GDPR) access request."""
    matches = session.scalars(
        select(Match).where(Match.candidate_id == candidate.id).options(selectinload(Match.events))
    ).all()
    vacancy_titles = {
        v.id: v.title for v in session.scalars(select(Vacancy).where(Vacancy.id.in_([m.vacancy_id for m in matches])))
    }
    audit = session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "candidate", AuditEvent.object_id == str(candidate.id))
    ).all()
    notes = session.scalars(select(Notification).where(Notification.match_id.in_([m.id for m in matches]))).all()
    return {
        "profile": full_profile,
        "consent": {
            "given": candidate.consent_to_share,
            "recorded_at": candidate.consent_recorded_at,
            "recorded_by": candidate.consent_recorded_by_id,
        },
        "matches": [
            {
                "id": m.id,
                "vacancy_id": m.vacancy_id,
                "vacancy_title": vacancy_titles.get(m.vacancy_id),
                "score": m.score,
                "status": str(m.status),
                "explanation": m.explanation,
                "events": [
                    {"from": e.from_status, "to": e.to_status, "by": e.actor_id, "reason": e.reason, "at": e.at}
                    for e in m.events
                ],
            }
            for m in matches
        ],
        "views_and_actions": [
            {"at": a.at, "by": a.actor_id, "action": a.action, "reason": a.reason, "details": a.details} for a in audit
        ],
        "notifications": [{"match_id": n.match_id, "status": str(n.status), "sent_at": n.sent_at} for n in notes],
    }


def pending_notification_count(session: Session, *, candidate_id: int) -> int:
    """Pending e-mail entries that mention a candidate (0 after deletion)."""
    stmt = (
        select(Notification.id)
        .join(Match, Notification.match_id == Match.id)
        .where(Match.candidate_id == candidate_id, Notification.status != NotificationStatus.sent)
    )
    return len(session.scalars(stmt).all())
