"""RFC 9457 problem details for every error the API returns."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from models.services import ServiceError

PROBLEM = "application/problem+json"


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] | None = None


def _resp(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {"schema": Problem.model_json_schema()}}}


COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _resp("Missing, invalid, expired or revoked token"),
    403: _resp("The role may see this but not do it"),
    404: _resp("Not found, or out of the caller's scope"),
    409: _resp("Conflicts with the current state"),
    413: _resp("Request body too large"),
    422: _resp("Invalid input, with a pointer per field"),
    503: _resp("The engine or ESCO is not available"),
}
log = logging.getLogger("werkmatch.api")


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    """A problem+json response."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    422: "Unprocessable Content",
    503: "Service Unavailable",
}


_UI_TITLES = {
    401: "Niet ingelogd",
    403: "Geen toegang",
    404: "Niet gevonden",
    409: "Dat kan nu niet",
    413: "Te veel gegevens",
    422: "Controleer wat je invulde",
    500: "Er ging iets mis",
}


def _ui_error(request: Request, status: int, detail: str) -> Response:
    from api.ui import page

    message = {
        404: "Deze pagina of dit gegeven bestaat niet, of je hebt er geen toegang toe.",
        500: "Er ging iets mis aan onze kant. Probeer het later opnieuw; blijft het gebeuren, meld het dan bij de beheerder.",
    }.get(status, detail)
    resp = page(request, "ui/error.html", None, title=_UI_TITLES.get(status, "Er ging iets mis"), message=message)
    resp.status_code = status
    return resp


def install(app: FastAPI) -> None:
    """Register handlers that turn every error into problem+json (or a Dutch page in the UI), without stack traces."""
    from api.ui import Redirect

    @app.exception_handler(Redirect)
    async def _redirect(_: Request, exc: Redirect) -> Response:
        return RedirectResponse(exc.url, status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/ui"):
            return _ui_error(request, exc.status_code, str(exc.detail))
        resp = problem(exc.status_code, _TITLES.get(exc.status_code, "Error"), str(exc.detail))
        for k, v in (exc.headers or {}).items():
            resp.headers[k] = v
        return resp

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "pointer": "/" + "/".join(str(p) for p in e["loc"]),
                "detail": e["msg"].removeprefix("Value error, "),
            }
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['pointer']}: {e['detail']}" for e in errors)
        return problem(422, "Unprocessable Content", detail, errors=errors)

    @app.exception_handler(ServiceError)
    async def _service(request: Request, exc: ServiceError) -> Response:
        if request.url.path.startswith("/ui"):
            return _ui_error(request, exc.status, exc.detail)
        extra = {"errors": [{"pointer": f"/body/{exc.field}", "detail": exc.detail}]} if exc.field else {}
        return problem(exc.status, _TITLES.get(exc.status, "Error"), exc.detail, **extra)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        if request.url.path.startswith("/ui"):
            return _ui_error(request, 500, "")
        return problem(500, "Internal Server Error", "Er ging iets mis aan onze kant; probeer het later opnieuw.")
