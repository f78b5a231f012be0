"""Authentication behind one protocol: personal tokens, and the OpenID provider's access tokens where one is
configured (who may sign in, as what, is decided in ``models.services.oidc``)."""

from __future__ import annotations

import logging
from typing import Protocol

from fastapi import Request
from sqlalchemy.orm import Session

from models.services import Unavailable
from models.services.oidc import (
    InvalidToken,
    OpenIdProvider,
    ProviderUnavailable,
    SignInRefused,
    provision,
    record_refusal_apart,
)
from models.services.users import TOKEN_PREFIX, authenticate_token
from models.tables import User

log = logging.getLogger("werkmatch.auth")


class Authenticator(Protocol):
    """Finds the user making a request (or None)."""

    def authenticate(self, request: Request, session: Session) -> User | None:
        """The authenticated, active user, or None."""
        ...


def bearer(request: Request) -> str | None:
    """The token in ``Authorization: Bearer``, if any."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class BearerTokenAuthenticator:
    """``Authorization: Bearer``: a personal token (``wm_…``), or an access token of the OpenID provider (a JWT for
    werkmatch's audience) when one is configured. The API is bearer-only; the web UI has sessions."""

    def authenticate(self, request: Request, session: Session) -> User | None:
        """The user of a live personal token, or of a valid provider token whose claims still grant a role."""
        token = bearer(request)
        if token is None:
            return None
        provider: OpenIdProvider | None = getattr(request.app.state, "oidc", None)
        if token.startswith(TOKEN_PREFIX) or provider is None:
            return authenticate_token(session, token=token)
        client = request.client.host if request.client else "onbekend"
        try:
            claims = provider.validate_access_token(token)
            return provision(session, claims=claims, settings=request.app.state.settings, via="api")
        except ProviderUnavailable as exc:
            log.warning("the OpenID provider is unavailable: %s", exc)
            raise Unavailable("the sign-in provider cannot be reached; try again in a moment") from exc
        except InvalidToken as exc:
            reason, subject = f"invalid_token: {exc}"[:200], None
        except SignInRefused as exc:
            reason, subject = exc.reason, exc.subject
        record_refusal_apart(
            request.app.state.engine, action="api.token_refused", reason=reason, subject=subject, client=client
        )
        return None
