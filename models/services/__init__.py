"""HTTP-free, keyword-only service functions over the database."""


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


class Invalid(ServiceError):
    """The request is well-formed but refers to things that do not exist or cannot be."""

    status = 422
