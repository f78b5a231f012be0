"""Signing in and out (server-side sessions; the sign-in form has CSRF protection and failures are throttled)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import SessionDep
from api.ui.common import (
    COOKIE,
    UiUser,
    check_csrf,
    login_csrf_ok,
    login_form,
    redirect,
    session_id,
    set_session_cookie,
)
from models.enums import Role
from models.services import sessions

router = APIRouter()
START = {
    Role.coach: "/ui/kandidaten",
    Role.employer_adviser: "/ui/vacatures",
    Role.jobhunter: "/ui/zoeken",
    Role.admin: "/ui/beheer",
}
throttle = sessions.SignInThrottle()


def _login_page(request: Request, *, error: str | None = None, status: int = 200) -> HTMLResponse:
    resp = login_form(request, "ui/login.html", error=error)
    resp.status_code = status
    return resp


@router.get("/inloggen", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    """The sign-in form."""
    return _login_page(request)


@router.post("/inloggen")
def login(
    request: Request,
    session: SessionDep,
    token: Annotated[str, Form(max_length=200)],
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Exchange the personal token for a server-side session (the cookie holds a random id, not the token)."""
    client = request.client.host if request.client else "onbekend"
    if throttle.blocked(client):
        return _login_page(
            request, error="Te veel mislukte pogingen. Probeer het over een paar minuten opnieuw.", status=429
        )
    if not login_csrf_ok(request, csrf):
        return _login_page(request, error="Het formulier is verlopen. Probeer het opnieuw.", status=403)
    signed_in = sessions.sign_in(session, token=token.strip())
    if signed_in is None:
        throttle.failed(session, client=client)
        return _login_page(request, error="Dit token is onbekend, verlopen of ingetrokken.")
    resp = redirect("/ui")
    set_session_cookie(request, resp, signed_in[1])
    return resp


@router.post("/uitloggen")
def logout(request: Request, session: SessionDep, user: UiUser, csrf: Annotated[str, Form()]) -> Response:
    """End the session on the server and clear the cookie."""
    check_csrf(request, csrf)
    raw = session_id(request)
    if raw:
        sessions.sign_out(session, raw=raw)
    resp = redirect("/ui/inloggen")
    resp.delete_cookie(COOKIE, path="/")
    return resp
