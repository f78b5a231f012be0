"""Signing in through the municipality's OpenID provider (Entra ID, ADFS, Keycloak): the authorization-code flow
with PKCE (Authlib), validation of ID and access tokens (joserfc, keys from the provider's JWKS, fetched again when
a token names a key not seen yet), and just-in-time users with role and gebied from a directory claim.

Every decision about who may sign in is here, used by the web UI's sign-in and by the API's bearer tokens alike.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from models.db import session_scope
from models.enums import Role
from models.services.areas import Geo
from models.services.audit import record
from models.tables import UiSession, User, utcnow
from werkmatch.settings import Settings

# Asymmetric signatures only: an HMAC token would be signed with the client secret, "none" with nothing.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
METADATA_SECONDS = 3600.0  # discovery document and keys are fetched again after this long
KEYS_REFETCH_SECONDS = 5.0  # an unknown key id fetches the keys again, at most this often
TIMEOUT_SECONDS = 10.0


class ProviderUnavailable(Exception):
    """The OpenID provider did not answer, or answered something unusable."""


class InvalidToken(Exception):
    """A token that is not valid for werkmatch (signature, issuer, audience, expiry, nonce)."""


class SignInRefused(Exception):
    """The provider vouched for the person, but werkmatch does not let them in; ``reason`` is a code."""

    def __init__(self, reason: str, *, subject: str | None = None, email: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.subject, self.email = reason, subject, email


@dataclass(frozen=True)
class LoginState:
    """What the browser carries from the redirect to the provider to the callback (signed, short-lived)."""

    state: str
    nonce: str
    verifier: str


@dataclass(frozen=True)
class SignedIn:
    """A completed sign-in at the provider: the validated ID token's claims and the token itself."""

    claims: dict[str, Any]
    id_token: str


class OpenIdProvider:
    """The provider named by the settings: discovery, keys, the code flow and token validation (thread-safe)."""

    def __init__(self, settings: Settings) -> None:
        assert settings.oidc_issuer and settings.oidc_client_id
        self.issuer = settings.oidc_issuer
        self.client_id = settings.oidc_client_id
        self.client_secret = settings.oidc_client_secret
        self.scopes = settings.oidc_scopes
        self.audience = settings.oidc_audience
        self.leeway = settings.oidc_clock_skew_seconds
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0
        self._keys: KeySet | None = None
        self._keys_at = 0.0

    # ------------------------------------------------------------------ discovery and keys
    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            res = httpx.get(url, timeout=TIMEOUT_SECONDS, follow_redirects=False)
            res.raise_for_status()
            data = res.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ProviderUnavailable(f"{url}: {exc}") from exc
        if not isinstance(data, dict):
            raise ProviderUnavailable(f"{url}: not a JSON object")
        return data

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (cached for an hour)."""
        with self._lock:
            if self._metadata is None or time.monotonic() - self._metadata_at > METADATA_SECONDS:
                meta = self._get_json(self.issuer.rstrip("/") + "/.well-known/openid-configuration")
                if meta.get("issuer") != self.issuer:
                    raise ProviderUnavailable(f"the discovery document names issuer {meta.get('issuer')!r}")
                self._metadata, self._metadata_at = meta, time.monotonic()
            return self._metadata

    def _keyset(self, kid: str | None) -> KeySet:
        """The provider's signing keys; fetched again when a token names a key id not among them (rotation)."""
        jwks_uri = self.metadata()["jwks_uri"]
        with self._lock:
            now = time.monotonic()
            known = self._keys is not None and (kid is None or any(k.kid == kid for k in self._keys.keys))
            stale = now - self._keys_at > METADATA_SECONDS
            if self._keys is None or stale or (not known and now - self._keys_at >= KEYS_REFETCH_SECONDS):
                try:
                    self._keys = KeySet.import_key_set(self._get_json(jwks_uri))  # type: ignore[arg-type]
                except (JoseError, ValueError, TypeError) as exc:
                    raise ProviderUnavailable(f"unusable keys at {jwks_uri}: {exc}") from exc
                self._keys_at = now
            return self._keys

    # ------------------------------------------------------------------ tokens
    def validate(self, token: str, *, audience: str, nonce: str | None = None) -> dict[str, Any]:
        """The claims of a JWT signed by the provider, for ``audience``, not expired; else InvalidToken."""
        try:
            header = jws.extract_compact(token.encode()).headers() if token.count(".") == 2 else None
        except (JoseError, ValueError) as exc:
            raise InvalidToken(f"not a JWT: {exc}") from exc
        if header is None:
            raise InvalidToken("not a JWT")
        if header.get("alg") not in ALGORITHMS:
            raise InvalidToken(f"signature algorithm {header.get('alg')!r} is not accepted")
        keys = self._keyset(header.get("kid"))
        try:
            decoded = jwt.decode(token, keys, algorithms=list(ALGORITHMS))
            options: dict[str, Any] = {
                "iss": {"essential": True, "value": self.issuer},
                "aud": {"essential": True, "value": audience},
                "sub": {"essential": True},
                "exp": {"essential": True},
            }
            if nonce is not None:
                options["nonce"] = {"essential": True, "value": nonce}
            jwt.JWTClaimsRegistry(leeway=self.leeway, **options).validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise InvalidToken(f"{type(exc).__name__}: {exc}") from exc
        claims = dict(decoded.claims)
        if nonce is None and "nonce" in claims:
            raise InvalidToken("an ID token is not an access token")
        return claims

    def validate_access_token(self, token: str) -> dict[str, Any]:
        """The claims of an access token for werkmatch's API (audience ``oidc_audience``)."""
        if not self.audience:
            raise InvalidToken("the API takes no provider tokens (WERKMATCH_OIDC_AUDIENCE is not set)")
        return self.validate(token, audience=self.audience)

    # ------------------------------------------------------------------ the code flow
    def _client(self, redirect_uri: str) -> OAuth2Client:
        return OAuth2Client(
            client_id=self.client_id,
            client_secret=self.client_secret,
            token_endpoint_auth_method="client_secret_basic" if self.client_secret else "none",
            scope=self.scopes,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            timeout=TIMEOUT_SECONDS,
        )

    def authorization_url(self, *, redirect_uri: str) -> tuple[str, LoginState]:
        """Where to send the browser, and the state, nonce and PKCE verifier to check on its return."""
        login = LoginState(state=generate_token(32), nonce=generate_token(32), verifier=generate_token(64))
        with self._client(redirect_uri) as client:
            url, _ = client.create_authorization_url(
                self.metadata()["authorization_endpoint"],
                state=login.state,
                code_verifier=login.verifier,
                nonce=login.nonce,
            )
        return url, login

    def finish(self, *, code: str, login: LoginState, redirect_uri: str) -> SignedIn:
        """Exchange the code (with the PKCE verifier) and validate the ID token (signature, issuer, audience,
        expiry, nonce)."""
        endpoint = self.metadata()["token_endpoint"]
        try:
            with self._client(redirect_uri) as client:
                token = client.fetch_token(
                    endpoint, grant_type="authorization_code", code=code, code_verifier=login.verifier
                )
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"{endpoint}: {exc}") from exc
        except Exception as exc:  # Authlib's OAuthError: the provider refused the code
            raise InvalidToken(f"the provider refused the code: {exc}") from exc
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise InvalidToken("the provider returned no ID token")
        claims = self.validate(id_token, audience=self.client_id, nonce=login.nonce)
        azp = claims.get("azp")
        if isinstance(claims.get("aud"), list) and len(claims["aud"]) > 1 and azp != self.client_id:
            raise InvalidToken("the ID token was issued to another client (azp)")
        return SignedIn(claims=claims, id_token=id_token)

    def end_session_url(self, *, id_token: str, post_logout_redirect_uri: str) -> str | None:
        """The provider's sign-out address (RP-initiated logout), or None where it offers none."""
        try:
            endpoint = self.metadata().get("end_session_endpoint")
        except ProviderUnavailable:
            return None
        if not isinstance(endpoint, str):
            return None
        query = httpx.QueryParams(
            {
                "id_token_hint": id_token,
                "post_logout_redirect_uri": post_logout_redirect_uri,
                "client_id": self.client_id,
            }
        )
        return f"{endpoint}?{query}"


# ---------------------------------------------------------------------- who may sign in, as what
@dataclass(frozen=True)
class Grant:
    """A role and, for roles that work in one, a gebied, as the directory gives them."""

    role: Role
    area: str | None


def directory_grant(claims: Mapping[str, Any], *, settings: Settings) -> Grant | None:
    """The role the directory claim grants: the first mapped group the user holds; None when none is mapped.

    Raises KeyError when the claim is absent (then the role an admin gave is kept)."""
    held = claims[settings.oidc_role_claim]
    names = {held} if isinstance(held, str) else {str(g) for g in held} if isinstance(held, list) else set()
    for group, grant in settings.oidc_roles.items():
        if group in names:
            role, _, area = grant.partition(":")
            return Grant(role=Role(role), area=area or None)
    return None


def provision(session: Session, *, claims: Mapping[str, Any], settings: Settings, via: str) -> User:
    """The werkmatch user for a person the provider vouched for, created or updated from the claims; audited.

    Refused (SignInRefused) when: the e-mail address is unverified or outside the allowed domains; the role claim
    is present but grants no role (the user loses access at this sign-in); it is absent and no admin created the
    user; the user was deactivated; the e-mail address belongs to a user linked to another subject."""
    subject = str(claims.get("sub") or "")
    raw_email = claims.get(settings.oidc_email_claim)
    email = raw_email.strip().lower() if isinstance(raw_email, str) and "@" in raw_email else None

    def refuse(reason: str) -> SignInRefused:
        return SignInRefused(reason, subject=subject, email=email)

    if not subject:
        raise refuse("no_subject")
    if claims.get("email_verified") is False:
        raise refuse("email_unverified")
    domains = [d.lower().lstrip("@") for d in settings.oidc_email_domains]
    if domains and (email is None or email.rsplit("@", 1)[1] not in domains):
        raise refuse("email_domain")
    try:
        grant: Grant | None = directory_grant(claims, settings=settings)
        claimed = True
    except KeyError:
        grant, claimed = None, False

    user = session.scalar(select(User).where(User.oidc_subject == subject))
    if user is None and email is not None:
        user = session.scalar(select(User).where(User.email == email))
        if user is not None and user.oidc_subject not in (None, subject):
            raise refuse("subject_conflict")
    if user is not None and not user.active:
        raise refuse("deactivated")
    if claimed and grant is None:
        if user is not None:
            end_sessions(session, user=user)
        raise refuse("no_role")
    area_id = None
    if grant is not None and grant.area is not None:
        area = Geo.of(session).areas.get(grant.area)
        if area is None:
            raise refuse("unknown_gebied")
        area_id = area.id
    name = str(claims.get("name") or "").strip()[:200]
    if user is None:
        if grant is None:
            raise refuse("unknown_user")
        if email is None:
            raise refuse("no_email")
        if session.scalar(select(User).where(User.email == email)) is not None:
            raise refuse("subject_conflict")
        user = User(
            email=email, name=name or email, role=grant.role, area_id=area_id, active=True, oidc_subject=subject
        )
        session.add(user)
        session.flush()
        record(
            session,
            actor=user,
            action="user.provision",
            object_type="user",
            object_id=user.id,
            details={"via": via, "role": grant.role.value, "area": grant.area},
        )
        return user
    if user.oidc_subject is None:
        user.oidc_subject = subject
    if grant is not None and (user.role != grant.role or user.area_id != area_id):
        before = {"role": Role(user.role).value, "area": user.area.code if user.area else None}
        user.role, user.area_id = grant.role, area_id
        session.flush()
        session.refresh(user, ["area"])
        record(
            session,
            actor=user,
            action="user.directory_update",
            object_type="user",
            object_id=user.id,
            details={"via": via, "before": before, "role": grant.role.value, "area": grant.area},
        )
    if name and name != user.name:
        user.name = name
    return user


def end_sessions(session: Session, *, user: User) -> int:
    """End every live web UI session of ``user``; return how many."""
    rows = session.scalars(select(UiSession).where(UiSession.user_id == user.id, UiSession.revoked_at.is_(None)))
    n = 0
    for row in rows:
        row.revoked_at = utcnow()
        n += 1
    return n


def record_refusal(session: Session, *, action: str, reason: str, subject: str | None, client: str) -> None:
    """Audit a refused sign-in or provider token: the reason and the provider's subject, never the token."""
    record(
        session,
        actor=None,
        action=action,
        object_type="client",
        object_id=client[:64],
        details={"reason": reason[:200], "subject": (subject or "")[:255]},
    )


def record_refusal_apart(engine: Engine, *, action: str, reason: str, subject: str | None, client: str) -> None:
    """``record_refusal`` in a transaction of its own, for a request whose transaction is rolled back (a 401)."""
    with session_scope(engine) as session:
        record_refusal(session, action=action, reason=reason, subject=subject, client=client)
