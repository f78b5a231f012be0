"""The audit log: who saw or did what, when and why."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from models.tables import AuditEvent, User, utcnow


def _text(value: str | None) -> str | None:
    """Audit text as every database stores it: PostgreSQL refuses NUL characters, so they become U+FFFD."""
    return None if value is None else value.replace("\x00", "\ufffd")[:2000]


_acting_admin: WeakKeyDictionary[User, int] = WeakKeyDictionary()


def attribute_to_admin(user: User, admin_id: int | None) -> None:
    """This request acts through a token (or a session from a token) that an admin made for ``user``: its
    audit events name the admin as the actor, and the user ``as_user``."""
    if admin_id is not None and admin_id != user.id:
        _acting_admin[user] = admin_id
    else:
        _acting_admin.pop(user, None)


def _actor(actor: User | None, details: dict[str, Any]) -> tuple[int | None, dict[str, Any]]:
    if actor is None:
        return None, details
    admin = _acting_admin.get(actor)
    return (actor.id, details) if admin is None else (admin, details | {"as_user": actor.id})


def record(
    session: Session,
    *,
    actor: User | None,
    action: str,
    object_type: str,
    object_id: Any = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Write one audit event."""
    actor_id, details = _actor(actor, details or {})
    session.add(
        AuditEvent(
            actor_id=actor_id,
            action=action,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
            reason=_text(reason),
            details=details,
            at=utcnow(),
        )
    )


def record_candidate_views(
    session: Session, *, actor: User, candidate_ids: Iterable[int], views: dict[int, str], reason: str
) -> None:
    """One audit event per candidate shown (full or anonymised), in one statement."""
    now = utcnow()
    rows = []
    for cid in candidate_ids:
        actor_id, details = _actor(actor, {"view": views.get(cid, "anonymised")})
        rows.append(
            {
                "actor_id": actor_id,
                "action": "candidate.view",
                "object_type": "candidate",
                "object_id": str(cid),
                "reason": _text(reason),
                "details": details,
                "at": now,
            }
        )
    if rows:  # one executemany, sent as one multi-row INSERT (SQLAlchemy's insertmanyvalues): one round
        # trip whatever the page size, and one compiled statement for every page (not one per row count)
        session.execute(insert(AuditEvent), rows)


def prune(session: Session, *, older_than: dt.timedelta) -> int:
    """Remove audit events older than the retention period; return how many (the pruning itself is audited)."""
    cutoff = utcnow() - older_than
    n = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.at < cutoff)) or 0
    session.execute(delete(AuditEvent).where(AuditEvent.at < cutoff))
    record(
        session,
        actor=None,
        action="audit.prune",
        object_type="audit",
        details={"removed": n, "before": cutoff.isoformat()},
    )
    return int(n)


def list_events(
    session: Session,
    *,
    actor_id: int | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    action: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AuditEvent]:
    """Audit events, newest first, filtered."""
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc())
    if actor_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == actor_id)
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditEvent.object_id == object_id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if since:
        stmt = stmt.where(AuditEvent.at >= since)
    if until:
        stmt = stmt.where(AuditEvent.at < until)
    return list(session.scalars(stmt.limit(limit).offset(offset)))


def object_names(session: Session, events: Iterable[AuditEvent]) -> dict[tuple[str, str], str]:
    """What people call the objects of these events: a candidate by cliëntnummer, a vacancy by its title, a user
    by name (an object deleted since keeps its bare id)."""
    from models.tables import Candidate, Vacancy

    wanted: dict[str, set[int]] = {}
    for e in events:
        if e.object_type and e.object_id and e.object_id.isdigit():
            wanted.setdefault(e.object_type, set()).add(int(e.object_id))
    names: dict[tuple[str, str], str] = {}
    for kind, table, column in (
        ("candidate", Candidate, Candidate.external_id),
        ("vacancy", Vacancy, Vacancy.title),
        ("user", User, User.name),
    ):
        ids = wanted.get(kind)
        if ids:
            for row_id, name in session.execute(select(table.id, column).where(table.id.in_(ids))):
                names[(kind, str(row_id))] = str(name)
    return names


def candidate_id_of(session: Session, *, number: str) -> int | None:
    """The id of the candidate with this cliëntnummer (``external_id``), if there is one."""
    from models.tables import Candidate

    found: int | None = session.scalar(select(Candidate.id).where(Candidate.external_id == number.strip()))
    return found
