"""The current user, subscriptions, and administration (users, tokens, audit log)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import select

from api.deps import CurrentUser, DbId, SessionDep, SettingsDep
from matcher.enums import Role, SubscriptionKind
from models.schemas import (
    AuditRead,
    SubscriptionRead,
    SubscriptionUpdate,
    TokenCreate,
    TokenCreated,
    UserCreate,
    UserRead,
)
from models.services import NotFound
from models.services.access import require_role
from models.services.audit import list_events, record
from models.services.users import create_token, create_user, revoke_tokens, user_read
from models.tables import ApiToken, Subscription, User

router = APIRouter(tags=["people"])


@router.get("/v1/me", summary="Who am I")
def me(user: CurrentUser) -> UserRead:
    """The authenticated user."""
    return user_read(user)


@router.get("/v1/subscriptions", summary="My nightly e-mail subscriptions")
def list_subscriptions(session: SessionDep, user: CurrentUser) -> list[SubscriptionRead]:
    """Subscriptions of the current user."""
    rows = session.scalars(select(Subscription).where(Subscription.user_id == user.id).order_by(Subscription.id))
    return [SubscriptionRead.model_validate(s) for s in rows]


@router.put("/v1/subscriptions/{kind}", summary="Subscribe to (or change) a nightly e-mail")
def put_subscription(
    kind: SubscriptionKind, data: SubscriptionUpdate, session: SessionDep, user: CurrentUser
) -> SubscriptionRead:
    """Create or update the user's subscription of this kind."""
    sub = session.scalar(select(Subscription).where(Subscription.user_id == user.id, Subscription.kind == kind))
    if sub is None:
        sub = Subscription(user_id=user.id, kind=kind)
        session.add(sub)
    sub.active, sub.min_score, sub.max_per_mail = data.active, data.min_score, data.max_per_mail
    session.flush()
    return SubscriptionRead.model_validate(sub)


@router.delete("/v1/subscriptions/{kind}", status_code=204, summary="Unsubscribe")
def delete_subscription(kind: SubscriptionKind, session: SessionDep, user: CurrentUser) -> Response:
    """Remove the subscription."""
    sub = session.scalar(select(Subscription).where(Subscription.user_id == user.id, Subscription.kind == kind))
    if sub is None:
        raise NotFound(f"no subscription {kind.value}")
    session.delete(sub)
    return Response(status_code=204)


@router.get("/v1/admin/users", summary="List users (admin)")
def list_users(session: SessionDep, user: CurrentUser) -> list[UserRead]:
    """All users."""
    require_role(user, Role.admin)
    return [user_read(u) for u in session.scalars(select(User).order_by(User.id))]


@router.post("/v1/admin/users", status_code=201, summary="Create a user (admin)")
def admin_create_user(data: UserCreate, session: SessionDep, user: CurrentUser) -> UserRead:
    """Create a user."""
    require_role(user, Role.admin)
    new = create_user(session, data=data)
    record(session, actor=user, action="user.create", object_type="user", object_id=new.id)
    return user_read(new)


def _user(session: SessionDep, user_id: DbId) -> User:
    u = session.get(User, user_id)
    if u is None:
        raise NotFound(f"user {user_id} not found")
    return u


@router.post("/v1/admin/users/{user_id}/deactivate", summary="Deactivate a user and revoke their tokens (admin)")
def deactivate_user(user_id: DbId, session: SessionDep, user: CurrentUser) -> UserRead:
    """Deactivated users cannot sign in."""
    require_role(user, Role.admin)
    target = _user(session, user_id)
    target.active = False
    revoke_tokens(session, user=target)
    record(session, actor=user, action="user.deactivate", object_type="user", object_id=user_id)
    return user_read(target)


@router.post("/v1/admin/users/{user_id}/tokens", status_code=201, summary="Create a token for a user (admin)")
def admin_create_token(
    user_id: DbId, data: TokenCreate, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> TokenCreated:
    """The token is shown once; only its hash is stored."""
    require_role(user, Role.admin)
    target = _user(session, user_id)
    token = create_token(session, user=target, name=data.name, ttl_days=settings.token_ttl_days)
    record(session, actor=user, action="token.create", object_type="user", object_id=user_id)
    row = session.scalar(select(ApiToken).where(ApiToken.user_id == target.id).order_by(ApiToken.id.desc()))
    return TokenCreated(token=token, expires_at=row.expires_at if row else dt.datetime.now(dt.UTC))


@router.delete("/v1/admin/users/{user_id}/tokens", summary="Revoke all tokens of a user (admin)")
def admin_revoke_tokens(user_id: DbId, session: SessionDep, user: CurrentUser) -> dict[str, int]:
    """Revoke."""
    require_role(user, Role.admin)
    n = revoke_tokens(session, user=_user(session, user_id))
    record(session, actor=user, action="token.revoke", object_type="user", object_id=user_id)
    return {"revoked": n}


@router.get("/v1/audit", summary="The audit log (admin)")
def audit(
    session: SessionDep,
    user: CurrentUser,
    actor_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    object_type: str | None = None,
    object_id: str | None = None,
    action: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[AuditRead]:
    """Who saw or did what, newest first."""
    require_role(user, Role.admin)
    events = list_events(
        session,
        actor_id=actor_id,
        object_type=object_type,
        object_id=object_id,
        action=action,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    return [AuditRead.model_validate(e) for e in events]
