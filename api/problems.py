"""RFC 9457 problem details for every error the API returns."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import exc as sa_exc
from starlette.concurrency import run_in_threadpool
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
    400: _resp("The body is not valid JSON"),
    401: _resp("Missing, invalid, expired or revoked token"),
    403: _resp("The role may see this but not do it"),
    404: _resp("Not found, or out of the caller's scope"),
    409: _resp(
        "Conflicts with the current state, or breaks a rule between fields that a schema cannot state "
        "(hours_min ≤ hours_max; closing_date on or after start_date; a reason to reject or withdraw a match)"
    ),
    413: _resp("Request body too large"),
    422: _resp("Invalid input, with a pointer per field"),
    503: _resp("The engine or ESCO is not available"),
}
log = logging.getLogger("werkmatch.api")
DATABASE_UNAVAILABLE = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
)
"""Errors that say the database cannot be reached now (nothing was written): 503 with Retry-After."""
RETRYABLE_HEADER = "x-werkmatch-retryable"
"""Marks a 503 for the request middleware (a read it may run again); never sent to the client."""


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


_TYPE_TAGS = {"none", "int", "str", "float", "bool", "list", "dict"}


def _pointer(loc: Sequence[Any]) -> str:
    """A JSON pointer to the field, without pydantic's union-branch tags (``function-before[...]``, ``none``)."""
    parts: list[str] = []
    for part in loc:
        text = str(part)
        if isinstance(part, str) and ("[" in text or "-" in text or text in _TYPE_TAGS):
            break
        parts.append(text)
    return "/" + "/".join(parts)


def _allowed_methods(request: Request) -> str:
    """Every method the API documents for this path (FastAPI keeps one route per method, so the 405 Starlette
    raises knows only one of them); the path templates come from the app's OpenAPI document."""
    app = request.app
    table = getattr(app.state, "allowed_methods", None)
    if table is None:
        table = [
            (re.compile("^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(path)) + "$"), {m.upper() for m in ops})
            for path, ops in app.openapi().get("paths", {}).items()
        ]
        app.state.allowed_methods = table
    methods: set[str] = set()
    for pattern, ops in table:
        if pattern.match(request.url.path):
            methods |= ops
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


HtmlErrors = Callable[[Request, int, str, Sequence[Any]], Response | None]
"""Renders an error as a page for paths that are pages (the web UI), or returns None; the last argument holds
the validation errors of a 422 (pydantic's shape), for the page to say in its own words."""


def install(app: FastAPI, *, html_errors: HtmlErrors | None = None, html_prefix: str = "/ui") -> None:
    """Register handlers that turn every error into problem+json (or a page, where ``html_errors`` renders one),
    without stack traces."""

    async def as_page(request: Request, status: int, detail: str, errors: Sequence[Any] = ()) -> Response | None:
        if html_errors is None or not request.url.path.startswith(html_prefix):
            return None
        return await run_in_threadpool(html_errors, request, status, detail, errors)  # a page may read its user

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if (html := await as_page(request, exc.status_code, str(exc.detail))) is not None:
            return html
        resp = problem(exc.status_code, _TITLES.get(exc.status_code, "Error"), str(exc.detail))
        for k, v in (exc.headers or {}).items():
            resp.headers[k] = v
        if exc.status_code == 405:
            resp.headers["Allow"] = _allowed_methods(request)
        return resp

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors: list[dict[str, str]] = []
        for e in exc.errors():
            pointer = _pointer(e["loc"])
            if e["type"] == "none_required" and any(x["pointer"] == pointer for x in errors):
                continue  # the null branch of an optional field: the other branch says what is wrong
            if any(x["pointer"] == pointer for x in errors):
                continue
            errors.append({"pointer": pointer, "detail": e["msg"].removeprefix("Value error, ")})
        detail = "; ".join(f"{e['pointer']}: {e['detail']}" for e in errors)
        if (html := await as_page(request, 422, detail, exc.errors())) is not None:
            return html
        if all(len(e["loc"]) <= 1 for e in exc.errors()):  # only rules between fields of a valid-looking body
            return problem(409, "Conflict", detail, errors=errors)
        return problem(422, "Unprocessable Content", detail, errors=errors)

    @app.exception_handler(ServiceError)
    async def _service(request: Request, exc: ServiceError) -> Response:
        if (html := await as_page(request, exc.status, exc.detail)) is not None:
            return html
        where = "query" if request.method in ("GET", "HEAD", "DELETE") else "body"
        extra = {"errors": [{"pointer": f"/{where}/{exc.field}", "detail": exc.detail}]} if exc.field else {}
        return problem(exc.status, _TITLES.get(exc.status, "Error"), exc.detail, **extra)

    async def _database_unavailable(request: Request, exc: Exception) -> Response:
        # Handled here, not by the catch-all below (Starlette re-raises those after answering, and the server
        # then drops the client's keep-alive connection): a restart or a full pool costs one 503, not a socket.
        log.warning("database unavailable on %s %s: %r", request.method, request.url.path, exc)
        resp = await as_page(request, 503, "De database is even niet bereikbaar.") or problem(
            503, "Service Unavailable", "the database is not available right now; try again shortly"
        )
        resp.headers["Retry-After"] = "2"
        resp.headers[RETRYABLE_HEADER] = "database"  # the request middleware may retry a read, then drops this
        return resp

    for cls in DATABASE_UNAVAILABLE:
        app.add_exception_handler(cls, _database_unavailable)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        if (html := await as_page(request, 500, "")) is not None:
            return html
        return problem(500, "Internal Server Error", "Er ging iets mis aan onze kant; probeer het later opnieuw.")
