"""Signing in and out, and each role's start page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import SessionDep
from api.ui.common import COOKIE, UiUser, check_csrf, page, redirect, set_session_cookie
from models.enums import Role
from models.services.audit import record
from models.services.users import authenticate_token

router = APIRouter()
START = {
    Role.coach: "/ui/kandidaten",
    Role.employer_adviser: "/ui/vacatures",
    Role.jobhunter: "/ui/zoeken",
    Role.admin: "/ui/beheer",
}


@router.get("/inloggen", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    """The sign-in form."""
    return page(request, "ui/login.html", None)


@router.post("/inloggen")
def login(request: Request, session: SessionDep, token: Annotated[str, Form()]) -> Response:
    """Check the token and set the session cookie."""
    user = authenticate_token(session, token=token.strip())
    if user is None:
        return page(request, "ui/login.html", None, error="Dit token is onbekend, verlopen of ingetrokken.")
    record(session, actor=user, action="ui.login", object_type="user", object_id=user.id)
    resp = redirect("/ui")
    set_session_cookie(request, resp, token.strip())
    return resp


@router.post("/uitloggen")
def logout(request: Request, user: UiUser, csrf: Annotated[str, Form()]) -> Response:
    """Clear the session cookie."""
    check_csrf(request, csrf)
    resp = redirect("/ui/inloggen")
    resp.delete_cookie(COOKIE, path="/")
    return resp
