"""Signing in and out (server-side sessions): through the municipality's OpenID provider where one is configured,
and with a personal token unless that is switched off. The token form has CSRF protection and failures are
throttled; the provider's sign-in is bound to the browser by a signed, short-lived cookie (state, nonce, PKCE)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

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
from models.services import NotFound, sessions
from models.services.oidc import (
    InvalidToken,
    LoginState,
    OpenIdProvider,
    ProviderUnavailable,
    SignInRefused,
    provision,
    record_refusal,
)

router = APIRouter()
START = {
    Role.coach: "/ui/kandidaten",
    Role.employer_adviser: "/ui/vacatures",
    Role.jobhunter: "/ui/zoeken",
    Role.admin: "/ui/beheer",
}
throttle = sessions.SignInThrottle()
log = logging.getLogger("werkmatch.ui")
SSO_COOKIE = "wm_sso"
SSO_SECONDS = 600  # time to sign in at the provider
CALLBACK = "/ui/inloggen/sso/terug"
REFUSED = {
    "no_role": "Je account geeft geen toegang tot werkmatch: je zit niet in een groep die bij een rol hoort. "
    "Vraag je teamleider of de servicedesk om toegang.",
    "unknown_user": "Je account is (nog) niet bekend in werkmatch en je groepen geven geen rol. "
    "Vraag de beheerder van werkmatch om toegang.",
    "deactivated": "Je account in werkmatch is uitgeschakeld. Vraag de beheerder van werkmatch als dat niet klopt.",
    "email_domain": "Met een e-mailadres van dit domein kun je niet inloggen in werkmatch.",
    "email_unverified": "Je e-mailadres is bij de inlogdienst niet bevestigd. Neem contact op met de servicedesk.",
    "subject_conflict": "Dit e-mailadres hoort in werkmatch bij een ander account. Vraag de beheerder om hulp.",
    "unknown_gebied": "Je groep verwijst naar een gebied dat werkmatch niet kent. Vraag de beheerder om hulp.",
    "no_email": "De inlogdienst gaf geen e-mailadres door. Neem contact op met de servicedesk.",
    "no_subject": "De inlogdienst gaf geen gebruikers-id door. Neem contact op met de servicedesk.",
}


def _login_page(request: Request, *, error: str | None = None, status: int = 200) -> HTMLResponse:
    settings = request.app.state.settings
    resp = login_form(
        request,
        "ui/login.html",
        error=error,
        sso=settings.oidc_enabled,
        token_sign_in=settings.token_sign_in,
        signed_out="uitgelogd" in request.query_params,
    )
    resp.status_code = status
    return resp


def _provider(request: Request) -> OpenIdProvider:
    provider: OpenIdProvider | None = request.app.state.oidc
    if provider is None:
        raise NotFound("inloggen via de inlogdienst van de gemeente is niet ingesteld")
    return provider


def _sso_signer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.settings.secret_key, salt="werkmatch-ui-sso")


def _redirect_uri(request: Request) -> str:
    return str(request.app.state.settings.base_url).rstrip("/") + CALLBACK


@router.get("/inloggen/sso")
def sso_start(request: Request) -> Response:
    """Send the browser to the municipality's OpenID provider (authorization code with PKCE)."""
    provider = _provider(request)
    try:
        url, login = provider.authorization_url(redirect_uri=_redirect_uri(request))
    except ProviderUnavailable as exc:
        log.warning("the OpenID provider is unavailable: %s", exc)
        return _login_page(request, error="De inlogdienst van de gemeente is nu niet bereikbaar.", status=503)
    resp = RedirectResponse(url, status_code=303)
    resp.set_cookie(
        SSO_COOKIE,
        _sso_signer(request).dumps([login.state, login.nonce, login.verifier]),
        max_age=SSO_SECONDS,
        httponly=True,
        samesite="lax",  # sent on the provider's top-level redirect back, not on cross-site posts
        secure=request.app.state.settings.base_url.startswith("https://"),
        path="/ui/inloggen",
    )
    return resp


@router.get(CALLBACK.removeprefix("/ui"))
def sso_callback(
    request: Request,
    session: SessionDep,
    code: Annotated[str | None, Query(max_length=2000)] = None,
    state: Annotated[str | None, Query(max_length=200)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The provider sends the browser back: check state, exchange the code, validate the ID token, decide who
    the person is in werkmatch, and start a session."""
    provider = _provider(request)
    client = request.client.host if request.client else "onbekend"
    try:
        state_, nonce, verifier = _sso_signer(request).loads(request.cookies.get(SSO_COOKIE, ""), max_age=SSO_SECONDS)
        login = LoginState(state=str(state_), nonce=str(nonce), verifier=str(verifier))
    except (BadSignature, ValueError, TypeError):
        return _login_page(
            request, error="Het inloggen duurde te lang of is niet hier begonnen. Probeer het opnieuw.", status=400
        )
    if error is not None:
        record_refusal(
            session,
            action="ui.login_refused",
            reason=f"provider: {error}",
            subject=None,
            client=client,
        )
        return _login_page(request, error="De inlogdienst van de gemeente heeft het inloggen afgebroken.", status=400)
    if not code or not state or state != login.state:
        return _login_page(
            request, error="Het inloggen duurde te lang of is niet hier begonnen. Probeer het opnieuw.", status=400
        )
    try:
        signed = provider.finish(code=code, login=login, redirect_uri=_redirect_uri(request))
        user = provision(session, claims=signed.claims, settings=request.app.state.settings, via="ui")
    except ProviderUnavailable as exc:
        log.warning("the OpenID provider is unavailable: %s", exc)
        return _login_page(request, error="De inlogdienst van de gemeente is nu niet bereikbaar.", status=503)
    except InvalidToken as exc:
        record_refusal(
            session,
            action="ui.login_refused",
            reason=f"invalid_token: {exc}"[:200],
            subject=None,
            client=client,
        )
        return _login_page(
            request, error="Het antwoord van de inlogdienst klopt niet. Probeer het opnieuw.", status=400
        )
    except SignInRefused as exc:
        record_refusal(session, action="ui.login_refused", reason=exc.reason, subject=exc.subject, client=client)
        return _login_page(request, error=REFUSED.get(exc.reason, "Je kunt niet inloggen in werkmatch."), status=403)
    raw = sessions.start(session, user=user, id_token=signed.id_token, via="oidc")
    resp = redirect("/ui")
    resp.delete_cookie(SSO_COOKIE, path="/ui/inloggen")
    set_session_cookie(request, resp, raw)
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
    if not request.app.state.settings.token_sign_in:
        return _login_page(
            request, error="Inloggen met een token staat uit. Log in met je gemeente-account.", status=403
        )
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
    """End the session on the server and clear the cookie; a sign-in through the provider ends there too
    (RP-initiated logout), which sends the browser back to the sign-in page."""
    check_csrf(request, csrf)
    raw = session_id(request)
    id_token = sessions.sign_out(session, raw=raw) if raw else None
    provider: OpenIdProvider | None = request.app.state.oidc
    target = "/ui/inloggen?uitgelogd=1"
    if id_token and provider is not None:
        back = request.app.state.settings.base_url.rstrip("/") + "/ui/inloggen?uitgelogd=1"
        target = provider.end_session_url(id_token=id_token, post_logout_redirect_uri=back) or target
    resp = redirect(target)
    resp.delete_cookie(COOKIE, path="/")
    return resp
