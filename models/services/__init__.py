"""HTTP-free, keyword-only service functions over the database."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError


class ServiceError(Exception):
    """A request the service refuses; routers turn it into an HTTP error."""

    status = 400

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class NotFound(ServiceError):
    """The object does not exist or is out of the caller's scope."""

    status = 404


class Conflict(ServiceError):
    """The request conflicts with the object's current state."""

    status = 409


class Unavailable(ServiceError):
    """A part the request needs (the engine, ESCO) is not available right now."""

    status = 503


class Invalid(ServiceError):
    """The request is well-formed but refers to things that do not exist or cannot be."""

    status = 422


def invalid_from(exc: ValidationError) -> ServiceError:
    """A whole-object validation failure as ``Invalid`` (422), or as ``Conflict`` (409) when only a rule between
    fields is broken (e.g. a partial update that puts hours_max below the stored hours_min)."""
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or None
    detail = "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg'].removeprefix('Value error, ')}"
        for e in exc.errors()
    )
    if all(not e["loc"] for e in exc.errors()):
        return Conflict(detail)
    return Invalid(detail, field=field)
