"""Authentication behind one protocol, so an OIDC provider can replace tokens without touching routers."""

from __future__ import annotations

from typing import Protocol

from fastapi import Request
from sqlalchemy.orm import Session

from models.services.users import authenticate_token
from models.tables import User


class Authenticator(Protocol):
    """Finds the user making a request (or None)."""

    def authenticate(self, request: Request, session: Session) -> User | None:
        """The authenticated, active user, or None."""
        ...


class BearerTokenAuthenticator:
    """Personal API tokens in ``Authorization: Bearer`` (the API is bearer-only; the web UI has sessions)."""

    def authenticate(self, request: Request, session: Session) -> User | None:
        """Look the token up by its hash."""
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return authenticate_token(session, token=token.strip())
        return None
