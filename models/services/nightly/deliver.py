"""Deliver: send the ledger's undelivered rows, one recipient at a time, committing around each send."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models.enums import NotificationStatus
from models.services.audit import record_candidate_views
from models.services.mail import Mailer, PermanentMailError, TemporaryMailError
from models.services.nightly.message import MailSettings, render_message
from models.services.nightly.summary import NightlySummary
from models.tables import Candidate, Match, Notification, User, utcnow

log = logging.getLogger("werkmatch.nightly")


def deliver(
    factory: sessionmaker[Session],
    *,
    mailer: Mailer,
    settings: MailSettings,
    since: dt.datetime,
    summary: NightlySummary,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Send every undelivered ledger row, one recipient at a time, committing around each send."""
    with factory() as s:
        user_ids = list(
            dict.fromkeys(
                s.scalars(
                    select(Notification.user_id)
                    .join(User, User.id == Notification.user_id)
                    .where(Notification.status != NotificationStatus.sent, User.active.is_(True))
                    .order_by(User.email)
                )
            )
        )
    summary.recipients = len(user_ids)
    domain = settings.mail_from.split("@")[-1] or "werkmatch"
    for uid in user_ids:
        with factory() as s, s.begin():
            user = s.get(User, uid)
            rows = list(
                s.scalars(
                    select(Notification)
                    .where(Notification.user_id == uid, Notification.status != NotificationStatus.sent)
                    .order_by(Notification.id)
                )
            )
            if user is None or not rows:
                continue
            message_id = f"<wm-{uuid.uuid4().hex}@{domain}>"
            msg = render_message(s, user=user, rows=rows, since=since, settings=settings, message_id=message_id)
            if msg is None:  # nothing this recipient may be told of (or deleted meanwhile): never to be sent
                for n in rows:
                    s.delete(n)
                continue
            for n in rows:
                n.status = NotificationStatus.sending
                n.message_id = message_id
                n.attempts += 1
            ids = [n.id for n in rows]
            email = user.email
        try:
            mailer.send(msg)
        except PermanentMailError as exc:
            _mark(factory, ids, NotificationStatus.failed, str(exc))
            summary.failed_recipients.append(f"{email}: {exc}")
            log.warning("mail refused", extra={"extra_fields": {"to": email, "error": str(exc)}})
            continue
        except TemporaryMailError as exc:
            _mark(factory, ids, NotificationStatus.failed, str(exc))
            summary.failed_recipients.append(f"{email}: {exc}")
            log.warning(
                "mail server unavailable; the rest waits for the next run",
                extra={"extra_fields": {"to": email, "error": str(exc)}},
            )
            break
        _mark(factory, ids, NotificationStatus.sent, None, shown=str(msg["X-Werkmatch-Matches"] or ""))
        summary.sent_messages += 1
        summary.sent_matches += len(ids)
        if progress:
            progress(1)


def _mark(
    factory: sessionmaker[Session],
    ids: list[int],
    status: NotificationStatus,
    error: str | None,
    *,
    shown: str = "",
) -> None:
    """Record the outcome of a send; a sent e-mail is audited as a view of every candidate it shows."""
    with factory() as s, s.begin():
        for n in s.scalars(select(Notification).where(Notification.id.in_(ids))):
            n.status = status
            n.last_error = error
            if status == NotificationStatus.sent:
                n.sent_at = utcnow()
        match_ids = [int(x) for x in shown.split(",") if x.strip().isdigit()]
        if status == NotificationStatus.sent and match_ids:
            rows = s.execute(
                select(Notification.user_id, Match.candidate_id, Candidate.coach_id)
                .join(Match, Match.id == Notification.match_id)
                .join(Candidate, Candidate.id == Match.candidate_id)
                .where(Notification.id.in_(ids), Match.id.in_(match_ids))
            ).all()
            if rows:
                user = s.get(User, rows[0][0])
                if user is not None:
                    record_candidate_views(
                        s,
                        actor=user,
                        candidate_ids=[r[1] for r in rows],
                        views={r[1]: "full" if r[2] == user.id else "anonymised" for r in rows},
                        reason="e-mail met nieuwe matches",
                    )
