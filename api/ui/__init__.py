"""The web UI in Dutch: server-rendered pages that call the same services as the API.

One module per area, mirroring ``api/routers``: ``auth`` (sign in/out), ``vacancies``, ``candidates``,
``search``, ``matches``, ``settings`` (e-mail), ``admin``; ``common`` holds the session cookie, CSRF, the
signed-in user, page rendering and the Dutch error page. Nothing here imports ``api.routers``.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from api.ui import admin, auth, candidates, dashboard, matches, search, settings, vacancies, vum
from api.ui.common import Redirect, UiUser, error_response, redirect
from models.enums import Role

router = APIRouter(prefix="/ui", include_in_schema=False)


@router.get("")
def home(user: UiUser) -> Response:
    """Each role starts where its work is."""
    return redirect(auth.START[Role(user.role)])


for _module in (auth, vacancies, candidates, search, matches, settings, admin, dashboard, vum):
    router.include_router(_module.router)


def install(app: FastAPI) -> None:
    """Mount the pages and send the browser to the sign-in page when it is not signed in."""

    @app.exception_handler(Redirect)
    async def _redirect(_: Request, exc: Redirect) -> Response:
        return RedirectResponse(exc.url, status_code=303)

    app.include_router(router)


__all__ = ["error_response", "install", "router"]
