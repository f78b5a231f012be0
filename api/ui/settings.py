"""The user's nightly e-mail settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import SessionDep
from api.ui.common import UiUser, check_csrf, page, redirect_with
from models.schemas import SubscriptionUpdate
from models.services import subscriptions
from models.services.access import Forbidden

router = APIRouter()


@router.get("/instellingen", response_class=HTMLResponse)
def settings_page(request: Request, session: SessionDep, user: UiUser) -> HTMLResponse:
    """The e-mail of the user's role, and its settings."""
    kind = subscriptions.default_kind(user)
    if kind is None:
        return page(
            request,
            "ui/error.html",
            user,
            title="Geen e-mail voor deze rol",
            message="Beheerders ontvangen geen e-mail met matches.",
        )
    sub = subscriptions.get_subscription(session, user=user, kind=kind)
    return page(request, "ui/settings.html", user, sub=sub, kind=kind)


@router.post("/instellingen")
def save_settings(
    request: Request,
    session: SessionDep,
    user: UiUser,
    csrf: Annotated[str, Form()],
    min_score: Annotated[float, Form(ge=0, le=100)] = 60,
    max_per_mail: Annotated[int, Form(ge=1, le=200)] = 20,
    active: Annotated[str | None, Form()] = None,
) -> Response:
    """Save the subscription (the same flow as ``PUT /v1/subscriptions/{kind}``)."""
    check_csrf(request, csrf)
    kind = subscriptions.default_kind(user)
    if kind is None:
        raise Forbidden("deze rol ontvangt geen e-mail met matches")
    data = SubscriptionUpdate(active=active == "1", min_score=min_score, max_per_mail=max_per_mail)
    subscriptions.put_subscription(session, user=user, kind=kind, data=data)
    return redirect_with(request, "/ui/instellingen", "Instellingen opgeslagen")
