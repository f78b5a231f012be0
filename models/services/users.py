"""Users and personal API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from models.enums import Role
from models.schemas import TokenCreated, UserCreate, UserRead
from models.services import Conflict, NotFound
from models.services.areas import Geo
from models.services.audit import attribute_to_admin, record
from models.tables import ApiToken, User, utcnow

TOKEN_PREFIX = "wm_"
LAST_USED_RESOLUTION = dt.timedelta(minutes=5)


def hash_token(token: str) -> str:
    """SHA-256 of a token; tokens are random, so no salt or slow hash is needed."""
    return hashlib.sha256(token.encode()).hexdigest()


def user_read(user: User) -> UserRead:
    """Schema of a user."""
    return UserRead(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        area=user.area.code if user.area else None,
        active=user.active,
        team_lead=bool(user.team_lead),
    )


def create_user(session: Session, *, data: UserCreate) -> User:
    """Create a user; e-mail addresses are unique."""
    if session.scalar(select(User).where(User.email == data.email.lower())) is not None:
        raise Conflict(f"a user with e-mail {data.email} exists already", field="email")
    area_id = Geo.of(session).area(data.area).id if data.area else None
    if data.role in (Role.coach, Role.employer_adviser, Role.jobhunter) and area_id is None:
        raise Conflict(f"a {data.role.value} needs a gebied", field="area")
    user = User(
        email=data.email.lower(),
        name=data.name,
        role=data.role,
        area_id=area_id,
        active=True,
        team_lead=data.team_lead,
    )
    session.add(user)
    session.flush()
    return user


def get_user_by_email(session: Session, *, email: str) -> User:
    """The user with this e-mail address."""
    user = session.scalar(select(User).where(User.email == email.lower()))
    if user is None:
        raise NotFound(f"no user with e-mail {email}")
    return user


def create_token(
    session: Session, *, user: User, name: str = "cli", ttl_days: int = 365, created_by: User | None = None
) -> str:
    """Create a personal token for ``user``; the plain token is returned once and never stored. A token an
    admin (``created_by``) makes for someone else is attributed to that admin whenever it is used."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            user_id=user.id,
            name=name,
            prefix=token[:10],
            token_hash=hash_token(token),
            expires_at=utcnow() + dt.timedelta(days=ttl_days),
            created_by_id=created_by.id if created_by is not None else None,
        )
    )
    session.flush()
    return token


def revoke_tokens(session: Session, *, user: User) -> int:
    """Revoke every live token of ``user``; return how many."""
    tokens = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))).all()
    for t in tokens:
        t.revoked_at = utcnow()
    return len(tokens)


def authenticate_token(session: Session, *, token: str) -> User | None:
    """The active user owning a live token, or None (its audit events name the admin who made it, if one did)."""
    row = live_token(session, token=token)
    if row is None:
        return None
    attribute_to_admin(row.user, row.created_by_id)
    return row.user


def live_token(session: Session, *, token: str) -> ApiToken | None:
    """The live token row of an active user, or None; notes its use (at most once per resolution)."""
    stmt = select(ApiToken).where(ApiToken.token_hash == hash_token(token)).options(joinedload(ApiToken.user))
    row = session.scalar(stmt)  # the token and its user in one round trip
    if row is None or row.revoked_at is not None:
        return None
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=dt.UTC)
    if expires < utcnow() or not row.user.active:
        return None
    now = utcnow()
    last = row.last_used_at
    if last is None or (last if last.tzinfo else last.replace(tzinfo=dt.UTC)) < now - LAST_USED_RESOLUTION:
        row.last_used_at = now  # written at most once per resolution: a read stays a read-only transaction
    return row


# --------------------------------------------------------------------------- administration flows
def get_user(session: Session, *, user_id: int) -> User:
    """The user with this id."""
    u = session.get(User, user_id)
    if u is None:
        raise NotFound(f"user {user_id} not found")
    return u


def list_users(session: Session) -> list[UserRead]:
    """All users, by id."""
    return [user_read(u) for u in session.scalars(select(User).order_by(User.id))]


def add_user(session: Session, *, actor: User, data: UserCreate) -> UserRead:
    """An admin creates a user; audited."""
    new = create_user(session, data=data)
    record(session, actor=actor, action="user.create", object_type="user", object_id=new.id)
    return user_read(new)


def deactivate_user(session: Session, *, actor: User, user_id: int) -> UserRead:
    """An admin deactivates a user and revokes their tokens; audited."""
    target = get_user(session, user_id=user_id)
    if target.role == Role.admin and target.active:
        others = session.scalar(
            select(func.count()).select_from(User).where(User.role == Role.admin, User.active, User.id != target.id)
        )
        if not others:
            raise Conflict("the last active admin cannot be deactivated: make another user admin first")
    target.active = False
    revoke_tokens(session, user=target)
    record(session, actor=actor, action="user.deactivate", object_type="user", object_id=user_id)
    return user_read(target)


def issue_token(session: Session, *, actor: User, user_id: int, name: str, ttl_days: int) -> TokenCreated:
    """An admin creates a personal token for a user: shown once, only its hash is stored; audited."""
    target = get_user(session, user_id=user_id)
    token = create_token(session, user=target, name=name, ttl_days=ttl_days, created_by=actor)
    record(session, actor=actor, action="token.create", object_type="user", object_id=user_id)
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    assert row is not None
    return TokenCreated(token=token, expires_at=row.expires_at)


def revoke_all_tokens(session: Session, *, actor: User, user_id: int) -> int:
    """An admin revokes every live token of a user; audited. Returns how many."""
    n = revoke_tokens(session, user=get_user(session, user_id=user_id))
    record(session, actor=actor, action="token.revoke", object_type="user", object_id=user_id)
    return n
