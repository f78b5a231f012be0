"""The nightly job: new matches since the last run, one Dutch e-mail per recipient, each match once.

Exactly once: before anything is sent, every (recipient, match) to report is written to the ledger
(``notifications``) as pending, in one transaction. Sending then takes one recipient at a time: the
rows are marked ``sending`` with the Message-ID (committed), the message goes out, and the rows are
marked ``sent`` (committed). A rerun sends what is pending, failed or still ``sending`` and never
what is ``sent``. The only window in which a crash can cause a second copy is between the SMTP
server accepting a message and the ``sent`` commit; the copy then carries the same matches and a
new Message-ID, and is logged. A lock keeps two runs from overlapping.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from matcher.enums import MatchStatus, NotificationStatus, Role, SubscriptionKind
from matcher.ranking import MatchResult
from models.services import ServiceError
from models.services.areas import Geo
from models.services.mail import Mailer, PermanentMailError, TemporaryMailError
from models.services.matches import save_result
from models.services.matching import EngineStore
from models.tables import (
    Candidate,
    Employer,
    Match,
    NightlyRun,
    Notification,
    Subscription,
    User,
    Vacancy,
    utcnow,
)

log = logging.getLogger("werkmatch.nightly")
ROLE_DEFAULTS: dict[Role, tuple[SubscriptionKind, float, int]] = {
    Role.employer_adviser: (SubscriptionKind.vacancy_candidates, 60.0, 20),
    Role.coach: (SubscriptionKind.client_vacancies, 55.0, 20),
    Role.jobhunter: (SubscriptionKind.area_pairs, 75.0, 15),
}
KIND_NL = {
    SubscriptionKind.vacancy_candidates: "nieuwe kandidaten voor mijn vacatures",
    SubscriptionKind.client_vacancies: "nieuwe vacatures voor mijn cliënten",
    SubscriptionKind.area_pairs: "sterke nieuwe combinaties in mijn gebied",
}
JOBHUNTER_STRONG = 75.0
# Each open vacancy is ranked once per run; subscriptions read their part from these top lists (so a coach
# hears of a vacancy for a client when the client is among the vacancy's best candidates).
TOP_PER_VACANCY = 50


class LockBusy(ServiceError):
    """Another nightly run holds the lock."""

    status = 409


@dataclass
class NightlySummary:
    """What a run did."""

    since: dt.datetime
    recipients: int = 0
    new_matches: int = 0
    sent_messages: int = 0
    sent_matches: int = 0
    failed_recipients: list[str] = field(default_factory=list)
    seconds: float = 0.0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """Nothing failed."""
        return not self.failed_recipients

    def line(self) -> str:
        """One-line summary for logs and the CLI."""
        return (
            f"since {self.since:%Y-%m-%d %H:%M} UTC: {self.recipients} recipients, {self.new_matches} new "
            f"matches, {self.sent_messages} e-mails with {self.sent_matches} matches "
            f"{'written' if self.dry_run else 'sent'}, {len(self.failed_recipients)} failed, "
            f"{self.seconds:.1f} s"
        )


# ----------------------------------------------------------------------------------------- lock
@contextlib.contextmanager
def nightly_lock(engine: Engine, folder: Path) -> Iterator[None]:
    """An exclusive lock: a file lock on this host, plus an advisory lock on PostgreSQL."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "nightly.lock").open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockBusy("another nightly run is in progress") from None
        conn = None
        try:
            if engine.dialect.name == "postgresql":
                conn = engine.connect()
                if not conn.execute(text("SELECT pg_try_advisory_lock(724061)")).scalar():
                    raise LockBusy("another nightly run is in progress (database lock)")
            yield
        finally:
            if conn is not None:
                conn.execute(text("SELECT pg_advisory_unlock(724061)"))
                conn.close()
            fcntl.flock(fh, fcntl.LOCK_UN)


# ---------------------------------------------------------------------------------- unsubscribe
def unsubscribe_token(secret: str, user_id: int) -> str:
    """A signed token that unsubscribes a user from every nightly e-mail, without logging in."""
    return URLSafeSerializer(secret, salt="werkmatch-unsubscribe").dumps({"u": user_id})


def unsubscribe(session: Session, *, secret: str, token: str) -> User:
    """Deactivate the user's subscriptions; raise ServiceError for a bad token."""
    try:
        data = URLSafeSerializer(secret, salt="werkmatch-unsubscribe").loads(token)
    except BadSignature:
        raise ServiceError("this unsubscribe link is not valid") from None
    user = session.get(User, int(data["u"]))
    if user is None:
        raise ServiceError("this unsubscribe link is not valid")
    for sub in session.scalars(select(Subscription).where(Subscription.user_id == user.id)):
        sub.active = False
    return user


def ensure_default_subscriptions(session: Session) -> int:
    """Subscribe every active coach, adviser and jobhunter with the defaults of their role (when unset)."""
    n = 0
    have = {(s.user_id, s.kind) for s in session.scalars(select(Subscription))}
    for user in session.scalars(select(User).where(User.active.is_(True))):
        spec = ROLE_DEFAULTS.get(Role(user.role))
        if spec and (user.id, spec[0]) not in have:
            session.add(Subscription(user_id=user.id, kind=spec[0], min_score=spec[1], max_per_mail=spec[2]))
            n += 1
    return n


# ------------------------------------------------------------------------------------- compute
def _changed(session: Session, model: Any, since: dt.datetime) -> set[int]:
    return set(session.scalars(select(model.id).where(model.updated_at >= since)))


def collect(session: Session, *, store: EngineStore, since: dt.datetime) -> tuple[int, int]:
    """Rank for every subscription; store matches and pending ledger rows. Return (new rows, recipients)."""
    e = store.engine
    new_c = _changed(session, Candidate, since)
    new_v = _changed(session, Vacancy, since)
    subs = session.execute(
        select(Subscription, User)
        .join(User, User.id == Subscription.user_id)
        .where(Subscription.active.is_(True), User.active.is_(True))
        .order_by(User.email)
    ).all()
    area_code = {a.id: code for code, a in Geo(session).areas.items()}
    per_user: dict[int, list[MatchResult]] = defaultdict(list)
    limits: dict[int, int] = {}
    floor = min((sub.min_score for sub, _ in subs), default=0.0)
    coach_of = dict(session.execute(select(Candidate.id, Candidate.coach_id)).all())
    with store.lock:
        # Rank every open vacancy once; all subscriptions read from these rankings.
        ranked: dict[int, list[MatchResult]] = {}
        for vid in sorted(i for i, v in e.vacancies.items() if v.status == "open"):
            ranked[vid] = e.rank_candidates(vid, k=TOP_PER_VACANCY, min_score=floor)
        area_of_vac = {vid: e.vacancies[vid].area for vid in ranked}
        for sub, user in subs:
            kind = SubscriptionKind(sub.kind)
            area = area_code.get(user.area_id) if user.area_id else None
            found: list[MatchResult] = []
            for vid, results in ranked.items():
                if kind == SubscriptionKind.vacancy_candidates and area_of_vac[vid] != area:
                    continue
                if kind == SubscriptionKind.area_pairs and area_of_vac[vid] != area:
                    continue
                threshold = (
                    max(sub.min_score, JOBHUNTER_STRONG) if kind == SubscriptionKind.area_pairs else sub.min_score
                )
                for r in results:
                    if r.score < threshold or not (vid in new_v or r.candidate_id in new_c):
                        continue
                    if kind == SubscriptionKind.client_vacancies and coach_of.get(r.candidate_id) != user.id:
                        continue
                    if kind == SubscriptionKind.area_pairs and e.candidates[r.candidate_id].area != area:
                        continue
                    found.append(r)
            per_user[user.id].extend(found)
            limits[user.id] = max(limits.get(user.id, 0), sub.max_per_mail)
    created = 0
    version, index_version = e.embedder.version, store.index_version
    for uid, results in per_user.items():
        best: dict[tuple[int, int], MatchResult] = {}
        for r in results:
            key = (r.candidate_id, r.vacancy_id)
            if key not in best or r.score > best[key].score:
                best[key] = r
        chosen = sorted(best.values(), key=lambda r: (-r.score, r.candidate_id, r.vacancy_id))[: limits[uid]]
        for r in chosen:
            existing = session.scalar(
                select(Match).where(Match.candidate_id == r.candidate_id, Match.vacancy_id == r.vacancy_id)
            )
            if existing is not None and existing.status != MatchStatus.suggested:
                continue  # people have acted on it already
            m, _ = save_result(session, result=r, model_version=version, index_version=index_version)
            seen = session.scalar(
                select(Notification.id).where(Notification.user_id == uid, Notification.match_id == m.id)
            )
            if seen is None:
                session.add(Notification(user_id=uid, match_id=m.id, status=NotificationStatus.pending))
                created += 1
    session.flush()
    return created, len(per_user)


# ------------------------------------------------------------------------------------- deliver
_env = Environment(loader=PackageLoader("models", "templates"), autoescape=select_autoescape(["html"]))


def _items(session: Session, user: User, rows: list[Notification], base_url: str) -> list[dict[str, Any]]:
    geo = Geo(session)
    items = []
    for n in rows:
        m = session.get(Match, n.match_id)
        if m is None:
            continue
        c, v = session.get(Candidate, m.candidate_id), session.get(Vacancy, m.vacancy_id)
        if c is None or v is None:
            continue
        emp = session.get(Employer, v.employer_id)
        pc = geo.postcodes.get(c.postcode)
        if user.role == Role.coach and c.coach_id == user.id:
            label = f"je cliënt {c.external_id}"
            link = f"{base_url}/ui/kandidaten/{c.id}"
        else:
            label = f"kandidaat #{c.id} uit {pc.wijk if pc else '?'} ({geo.area_by_id[c.area_id].name})"
            link = f"{base_url}/ui/vacatures/{v.id}"
        items.append(
            {
                "match_id": m.id,
                "vacancy_title": v.title,
                "employer": emp.name if emp else "",
                "vacancy_area": geo.area_by_id[v.area_id].name,
                "candidate_label": label,
                "occupations": ", ".join(o["label"] for o in c.desired_occupations) or "—",
                "hours": f"{c.hours_min}–{c.hours_max} uur",
                "available": f"{c.available_from:%d-%m-%Y}" if c.available_from else "direct",
                "score": m.score,
                "reasons": (m.explanation or {}).get("reasons", [])[:3],
                "missing": (m.explanation or {}).get("missing_skills", []),
                "link": link,
            }
        )
    return items


def render_message(
    session: Session, *, user: User, rows: list[Notification], since: dt.datetime, settings: Any, message_id: str
) -> EmailMessage | None:
    """One e-mail (plain text and HTML) for a recipient."""
    base = settings.base_url.rstrip("/")
    items = _items(session, user, rows, base)
    if not items:
        return None
    kinds = [
        SubscriptionKind(s.kind) for s in session.scalars(select(Subscription).where(Subscription.user_id == user.id))
    ]
    ctx = {
        "user": user,
        "items": items,
        "since_text": f"{since:%d-%m-%Y %H:%M} (UTC)",
        "kind_label": ", ".join(KIND_NL[k] for k in kinds) or "nieuwe matches",
        "unsubscribe": f"{base}/afmelden/{unsubscribe_token(settings.secret_key, user.id)}",
    }
    msg = EmailMessage()
    msg["Subject"] = f"werkmatch: {len(items)} nieuwe {'match' if len(items) == 1 else 'matches'}"
    msg["From"] = settings.mail_from
    msg["To"] = user.email
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = message_id
    msg["List-Unsubscribe"] = f"<{ctx['unsubscribe']}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Werkmatch-Matches"] = ",".join(str(it["match_id"]) for it in items)
    msg.set_content(_env.get_template("nightly.txt").render(**ctx))
    msg.add_alternative(_env.get_template("nightly.html").render(**ctx), subtype="html")
    return msg


def deliver(
    factory: sessionmaker[Session],
    *,
    mailer: Mailer,
    settings: Any,
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
            for n in rows:
                n.status = NotificationStatus.sending
                n.message_id = message_id
                n.attempts += 1
            ids = [n.id for n in rows]
            email = user.email
        if msg is None:
            continue
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
        _mark(factory, ids, NotificationStatus.sent, None)
        summary.sent_messages += 1
        summary.sent_matches += len(ids)
        if progress:
            progress(1)


def _mark(factory: sessionmaker[Session], ids: list[int], status: NotificationStatus, error: str | None) -> None:
    with factory() as s, s.begin():
        for n in s.scalars(select(Notification).where(Notification.id.in_(ids))):
            n.status = status
            n.last_error = error
            if status == NotificationStatus.sent:
                n.sent_at = utcnow()


# ----------------------------------------------------------------------------------------- run
def last_success(session: Session) -> dt.datetime | None:
    """Start of the last successful run."""
    return session.scalar(
        select(NightlyRun.started_at).where(NightlyRun.status == "ok").order_by(NightlyRun.id.desc()).limit(1)
    )


def run_nightly(
    *,
    engine: Engine,
    store: EngineStore,
    settings: Any,
    mailer: Mailer,
    lock_dir: Path,
    since: dt.datetime | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> NightlySummary:
    """Run the whole job under the lock; a dry run writes .eml files and leaves the ledger untouched."""
    t0 = time.perf_counter()
    factory = sessionmaker(engine, expire_on_commit=False)
    with nightly_lock(engine, lock_dir):
        with factory() as s, s.begin():
            started = utcnow()
            window = since or last_success(s) or (started - dt.timedelta(days=1))
            run = NightlyRun(started_at=started, since=window, status="running")
            s.add(run)
            s.flush()
            run_id = run.id
        summary = NightlySummary(since=window, dry_run=dry_run)
        with factory() as s:
            store.sync(s)
        if dry_run:
            with factory() as s:
                nested = s.begin()
                summary.new_matches, _ = collect(s, store=store, since=window)
                deliver_dry(s, mailer=mailer, settings=settings, since=window, summary=summary)
                nested.rollback()
        else:
            with factory() as s, s.begin():
                summary.new_matches, _ = collect(s, store=store, since=window)
            deliver(factory, mailer=mailer, settings=settings, since=window, summary=summary, progress=progress)
        summary.seconds = time.perf_counter() - t0
        with factory() as s, s.begin():
            done = s.get(NightlyRun, run_id)
            if done is not None:
                done.finished_at = utcnow()
                done.status = "dry-run" if dry_run else ("ok" if summary.ok else "failed")
                done.summary = {"line": summary.line(), "failed": summary.failed_recipients}
    mailer.close()
    return summary


def deliver_dry(
    session: Session, *, mailer: Mailer, settings: Any, since: dt.datetime, summary: NightlySummary
) -> None:
    """Render every pending message inside the (rolled back) transaction and hand it to the mailer."""
    rows = session.scalars(
        select(Notification)
        .where(Notification.status != NotificationStatus.sent)
        .order_by(Notification.user_id, Notification.id)
    ).all()
    by_user: dict[int, list[Notification]] = defaultdict(list)
    for n in rows:
        by_user[n.user_id].append(n)
    summary.recipients = len(by_user)
    domain = settings.mail_from.split("@")[-1] or "werkmatch"
    for uid in sorted(by_user, key=lambda u: session.get(User, u).email):  # type: ignore[union-attr]
        user = session.get(User, uid)
        if user is None:
            continue
        msg = render_message(
            session,
            user=user,
            rows=by_user[uid],
            since=since,
            settings=settings,
            message_id=f"<wm-dry-{uuid.uuid4().hex}@{domain}>",
        )
        if msg is not None:
            mailer.send(msg)
            summary.sent_messages += 1
            summary.sent_matches += len(by_user[uid])
