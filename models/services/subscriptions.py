"""Nightly e-mail subscriptions: the defaults per role, changes by the user, and unsubscribing by link."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import Role, SubscriptionKind
from models.schemas import SubscriptionRead, SubscriptionUpdate
from models.services import NotFound, ServiceError
from models.services.access import require_subscription_kind
from models.tables import Subscription, User

ROLE_DEFAULTS: dict[Role, tuple[SubscriptionKind, float, int]] = {
    Role.employer_adviser: (SubscriptionKind.vacancy_candidates, 60.0, 20),
    Role.coach: (SubscriptionKind.client_vacancies, 55.0, 20),
    Role.jobhunter: (SubscriptionKind.area_pairs, 75.0, 15),
}
"""Per role: the kind of e-mail, the minimum score and the most matches per e-mail."""


def default_kind(user: User) -> SubscriptionKind | None:
    """The nightly e-mail a user's role receives (None: admins receive none)."""
    spec = ROLE_DEFAULTS.get(Role(user.role))
    return spec[0] if spec else None


def list_subscriptions(session: Session, *, user: User) -> list[SubscriptionRead]:
    """The user's subscriptions."""
    rows = session.scalars(select(Subscription).where(Subscription.user_id == user.id).order_by(Subscription.id))
    return [SubscriptionRead.model_validate(s) for s in rows]


def get_subscription(session: Session, *, user: User, kind: SubscriptionKind) -> Subscription | None:
    """The user's subscription of this kind, if any."""
    return session.scalar(select(Subscription).where(Subscription.user_id == user.id, Subscription.kind == kind))


def put_subscription(
    session: Session, *, user: User, kind: SubscriptionKind, data: SubscriptionUpdate
) -> SubscriptionRead:
    """Create or change the user's subscription of this kind (only the kind of the user's role)."""
    require_subscription_kind(user, kind.value, default_kind(user))
    sub = get_subscription(session, user=user, kind=kind)
    if sub is None:
        sub = Subscription(user_id=user.id, kind=kind)
        session.add(sub)
    sub.active, sub.min_score, sub.max_per_mail = data.active, data.min_score, data.max_per_mail
    session.flush()
    return SubscriptionRead.model_validate(sub)


def delete_subscription(session: Session, *, user: User, kind: SubscriptionKind) -> None:
    """Remove the user's subscription of this kind."""
    sub = get_subscription(session, user=user, kind=kind)
    if sub is None:
        raise NotFound(f"no subscription {kind.value}")
    session.delete(sub)


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
