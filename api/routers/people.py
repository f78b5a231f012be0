"""The current user, subscriptions, and administration (users, tokens, audit log)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import CurrentUser, DbId, SessionDep, SettingsDep, requires
from models.enums import Role, SubscriptionKind
from models.schemas import (
    NO_NUL,
    AuditRead,
    Moment,
    SubscriptionRead,
    SubscriptionUpdate,
    TokenCreate,
    TokenCreated,
    TokensRevoked,
    UserCreate,
    UserRead,
)
from models.services import subscriptions, users
from models.services.audit import list_events
from models.services.users import user_read

router = APIRouter(tags=["people"])


@router.get("/v1/me", summary="Who am I")
def me(user: CurrentUser) -> UserRead:
    """The authenticated user."""
    return user_read(user)


@router.get("/v1/subscriptions", summary="My nightly e-mail subscriptions")
def list_subscriptions(session: SessionDep, user: CurrentUser) -> list[SubscriptionRead]:
    """Subscriptions of the current user."""
    return subscriptions.list_subscriptions(session, user=user)


@router.put("/v1/subscriptions/{kind}", summary="Subscribe to (or change) a nightly e-mail")
def put_subscription(
    kind: SubscriptionKind, data: SubscriptionUpdate, session: SessionDep, user: CurrentUser
) -> SubscriptionRead:
    """Create or update the user's subscription of this kind."""
    return subscriptions.put_subscription(session, user=user, kind=kind, data=data)


@router.delete("/v1/subscriptions/{kind}", status_code=204, summary="Unsubscribe")
def delete_subscription(kind: SubscriptionKind, session: SessionDep, user: CurrentUser) -> Response:
    """Remove the subscription."""
    subscriptions.delete_subscription(session, user=user, kind=kind)
    return Response(status_code=204)


ADMIN = [requires(Role.admin)]


@router.get("/v1/admin/users", summary="List users (admin)", dependencies=ADMIN)
def list_users(session: SessionDep) -> list[UserRead]:
    """All users."""
    return users.list_users(session)


@router.post("/v1/admin/users", status_code=201, summary="Create a user (admin)", dependencies=ADMIN)
def admin_create_user(data: UserCreate, session: SessionDep, user: CurrentUser) -> UserRead:
    """Create a user."""
    return users.add_user(session, actor=user, data=data)


@router.post(
    "/v1/admin/users/{user_id}/deactivate",
    summary="Deactivate a user and revoke their tokens (admin)",
    dependencies=ADMIN,
)
def deactivate_user(user_id: DbId, session: SessionDep, user: CurrentUser) -> UserRead:
    """Deactivated users cannot sign in."""
    return users.deactivate_user(session, actor=user, user_id=user_id)


@router.post(
    "/v1/admin/users/{user_id}/tokens",
    status_code=201,
    summary="Create a token for a user (admin)",
    dependencies=ADMIN,
)
def admin_create_token(
    user_id: DbId, data: TokenCreate, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> TokenCreated:
    """The token is shown once; only its hash is stored."""
    return users.issue_token(session, actor=user, user_id=user_id, name=data.name, ttl_days=settings.token_ttl_days)


@router.delete("/v1/admin/users/{user_id}/tokens", summary="Revoke all tokens of a user (admin)", dependencies=ADMIN)
def admin_revoke_tokens(user_id: DbId, session: SessionDep, user: CurrentUser) -> TokensRevoked:
    """Revoke."""
    return TokensRevoked(revoked=users.revoke_all_tokens(session, actor=user, user_id=user_id))


@router.get("/v1/audit", summary="The audit log (admin)", dependencies=ADMIN)
def audit(
    session: SessionDep,
    actor_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    object_type: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    object_id: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    action: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    since: Moment | None = None,
    until: Moment | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[AuditRead]:
    """Who saw or did what, newest first."""
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
