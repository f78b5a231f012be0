"""Server-side web UI sessions: the browser holds a random id; expiry, idle timeout and sign-out are enforced
here. Failed sign-ins are audited and throttled per client address."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time
from collections import defaultdict, deque

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.services.audit import attribute_to_admin, record
from models.services.users import live_token
from models.tables import UiSession, User, utcnow

SESSION_HOURS = 12
IDLE_MINUTES = 30
SEEN_RESOLUTION = dt.timedelta(minutes=1)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _aware(ts: dt.datetime) -> dt.datetime:
    return ts if ts.tzinfo else ts.replace(tzinfo=dt.UTC)


def _open(session: Session, *, user_id: int, acting_admin_id: int | None, id_token: str | None) -> str:
    raw = secrets.token_urlsafe(32)
    session.add(
        UiSession(
            user_id=user_id,
            id_hash=_hash(raw),
            acting_admin_id=acting_admin_id,
            id_token=id_token,
            expires_at=utcnow() + dt.timedelta(hours=SESSION_HOURS),
        )
    )
    return raw


def sign_in(session: Session, *, token: str) -> tuple[User, str] | None:
    """Exchange a personal token for a new session: (user, the session id for the cookie), or None."""
    row = live_token(session, token=token)
    if row is None:
        return None
    acting = row.created_by_id if row.created_by_id not in (None, row.user_id) else None
    raw = _open(session, user_id=row.user_id, acting_admin_id=acting, id_token=None)
    attribute_to_admin(row.user, acting)
    record(session, actor=row.user, action="ui.login", object_type="user", object_id=row.user_id)
    return row.user, raw


def start(session: Session, *, user: User, id_token: str, via: str) -> str:
    """A new session for a user the OpenID provider signed in (``provision`` decided they may); the session id
    for the cookie. The ID token is kept to end the provider's session at sign-out."""
    raw = _open(session, user_id=user.id, acting_admin_id=None, id_token=id_token)
    record(session, actor=user, action="ui.login", object_type="user", object_id=user.id, details={"via": via})
    return raw


def session_user(session: Session, *, raw: str) -> User | None:
    """The user of a live session (not signed out, expired or idle too long), or None."""
    row = session.scalar(select(UiSession).where(UiSession.id_hash == _hash(raw)))
    now = utcnow()
    if row is None or row.revoked_at is not None or _aware(row.expires_at) < now:
        return None
    if _aware(row.last_seen_at) < now - dt.timedelta(minutes=IDLE_MINUTES) or not row.user.active:
        return None
    if _aware(row.last_seen_at) < now - SEEN_RESOLUTION:
        row.last_seen_at = now
    attribute_to_admin(row.user, row.acting_admin_id)
    return row.user


def sign_out(session: Session, *, raw: str) -> str | None:
    """End the session: its id no longer signs anyone in. Returns the provider's ID token of a session signed
    in through it (to end the provider's session too), else None."""
    row = session.scalar(select(UiSession).where(UiSession.id_hash == _hash(raw)))
    if row is None or row.revoked_at is not None:
        return None
    row.revoked_at = utcnow()
    id_token, row.id_token = row.id_token, None
    record(session, actor=row.user, action="ui.logout", object_type="user", object_id=row.user_id)
    return id_token


class SignInThrottle:
    """At most ``limit`` failed sign-ins per client address within ``window`` seconds (in this process)."""

    def __init__(self, limit: int = 5, window: float = 300.0) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, client: str) -> deque[float]:
        q = self._failures[client]
        while q and q[0] < time.monotonic() - self.window:
            q.popleft()
        return q

    def blocked(self, client: str) -> bool:
        """Whether this address has failed too often lately."""
        with self._lock:
            return len(self._recent(client)) >= self.limit

    def failed(self, session: Session, *, client: str) -> None:
        """Count and audit a failed sign-in (the address only, never the token typed)."""
        with self._lock:
            self._recent(client).append(time.monotonic())
        record(session, actor=None, action="ui.login_failed", object_type="client", object_id=client[:64])
