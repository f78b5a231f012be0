"""Deliver: send the ledger's open rows, one recipient at a time, committing around each send."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session, sessionmaker

from models.enums import NotificationStatus
from models.services.audit import record_candidate_views
from models.services.mail import DeferredMailError, Mailer, PermanentMailError, TemporaryMailError
from models.services.nightly.lock import RunLock
from models.services.nightly.message import MailSettings, render_message
from models.services.nightly.summary import NightlySummary
from models.tables import Candidate, Match, Notification, Subscription, User, utcnow

log = logging.getLogger("werkmatch.nightly")


OPEN = (NotificationStatus.pending, NotificationStatus.sending)  # still to be sent (sending: a run died mid-send)


def deliver(
    factory: sessionmaker[Session],
    *,
    mailer: Mailer,
    settings: MailSettings,
    since: dt.datetime,
    summary: NightlySummary,
    lock: RunLock | None = None,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Send every open ledger row, one recipient at a time, committing around each send.

    A recipient refused for now (4xx) waits for the next run and the others go on; one refused for good (5xx)
    or tried ``mail_max_attempts`` times is marked failed and never tried again; a mail server that cannot
    be reached stops the run (the rest waits, uncounted). Rows of people who unsubscribed or left are dropped.
    ``lock`` is checked before each recipient: a run that lost its lock stops (``LockLost``).
    """
    summary.dropped_matches += _drop_unsubscribed(factory)
    with factory() as s:
        user_ids = list(
            dict.fromkeys(
                s.scalars(
                    select(Notification.user_id)
                    .join(User, User.id == Notification.user_id)
                    .where(Notification.status.in_(OPEN), User.active.is_(True))
                    .order_by(User.email)
                )
            )
        )
    summary.recipients = len(user_ids)
    domain = settings.mail_from.split("@")[-1] or "werkmatch"
    for uid in user_ids:
        if lock is not None:
            lock.check()
        with factory() as s, s.begin():
            user = s.get(User, uid)
            rows = list(
                s.scalars(
                    select(Notification)
                    .where(Notification.user_id == uid, Notification.status.in_(OPEN))
                    .order_by(Notification.id)
                )
            )
            if user is None or not rows:
                continue
            spent = [n for n in rows if n.attempts >= settings.mail_max_attempts]
            for n in spent:
                n.status = NotificationStatus.failed
                n.last_error = f"given up after {n.attempts} attempts: {n.last_error or ''}".strip()
            if spent:
                summary.failed_recipients.append(f"{user.email}: given up after {settings.mail_max_attempts} attempts")
            rows = [n for n in rows if n.status != NotificationStatus.failed]
            if not rows:
                continue
            message_id = f"<wm-{uuid.uuid4().hex}@{domain}>"
            msg = render_message(s, user=user, rows=rows, since=since, settings=settings, message_id=message_id)
            if msg is None:  # nothing this recipient may be told of (or deleted meanwhile): closed, never sent
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
            log.warning("mail refused for good", extra={"extra_fields": {"to": email, "error": str(exc)}})
            continue
        except DeferredMailError as exc:
            _mark(factory, ids, NotificationStatus.pending, str(exc))
            summary.deferred_recipients.append(f"{email}: {exc}")
            log.warning("mail deferred to the next run", extra={"extra_fields": {"to": email, "error": str(exc)}})
            continue
        except TemporaryMailError as exc:
            _mark(factory, ids, NotificationStatus.pending, str(exc), uncount=True)
            summary.stopped = f"mail server unavailable: {exc}"
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


def _drop_unsubscribed(factory: sessionmaker[Session]) -> int:
    """Remove the open rows of users with no active subscription left, or no longer active: they asked not
    to be mailed (or left); return how many."""
    with factory() as s, s.begin():
        subscribed = select(Subscription.user_id).where(Subscription.active.is_(True))
        gone = list(
            s.scalars(
                select(Notification.id)
                .join(User, User.id == Notification.user_id)
                .where(
                    Notification.status.in_(OPEN),
                    or_(User.active.is_(False), Notification.user_id.not_in(subscribed)),
                )
            )
        )
        if gone:
            s.execute(delete(Notification).where(Notification.id.in_(gone)))
        return len(gone)


def _mark(
    factory: sessionmaker[Session],
    ids: list[int],
    status: NotificationStatus,
    error: str | None,
    *,
    shown: str = "",
    uncount: bool = False,
) -> None:
    """Record the outcome of a send (``uncount``: the attempt was not the recipient's, e.g. the server was
    down); a sent e-mail is audited as a view of every candidate it shows."""
    with factory() as s, s.begin():
        for n in s.scalars(select(Notification).where(Notification.id.in_(ids))):
            n.status = status
            n.last_error = error
            if uncount:
                n.attempts = max(0, n.attempts - 1)
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
