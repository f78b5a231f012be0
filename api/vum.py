"""The VUM source API (interface specification v3.0.0): its own small application, served over mutual TLS by
`werkmatch vum serve`, apart from the web UI and the werkmatch API.

The party is who its client certificate says it is: the OIN in the certificate's subject (PKIoverheid puts it in
``serialNumber``) must be on the allow-list (``WERKMATCH_VUM_PARTIES``); the X-VUM headers must name this
gemeente as the receiver, and a party that is not the exchange may only ask for itself. Errors use VUM's error
model (``code``, ``message``, ``details``) as the contract says, not problem+json; 401 has no body (as in the
contract). Every response carries the X-VUM headers and API-Version.
"""

from __future__ import annotations

import collections
import re
import threading
import time
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from models.db import session_scope
from models.services import access
from models.services.pc4 import PostcodePoints
from models.services.vum import mapping, source
from models.services.vum.source import Caller, SourceConfig, VumRequestError
from werkmatch.settings import Settings

VERSION = "3.0.0"
OIN = re.compile(r"([0-9]{20})")
SAFE_ID = re.compile(r"^[a-zA-Z0-9_.-]{0,200}$")


def certificate_oin(pem: str) -> str | None:
    """The OIN in a certificate's subject: ``serialNumber`` (PKIoverheid), else ``organizationIdentifier``."""
    cert = x509.load_pem_x509_certificate(pem.encode())
    for oid in (NameOID.SERIAL_NUMBER, NameOID.ORGANIZATION_IDENTIFIER):
        for attr in cert.subject.get_attributes_for_oid(oid):
            m = OIN.search(str(attr.value))
            if m:
                return m.group(1)
    return None


class RateLimiter:
    """At most ``per_minute`` requests per party in any sliding minute (per process)."""

    def __init__(self) -> None:
        self._seen: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)
        self._lock = threading.Lock()

    def allow(self, party: str, per_minute: int) -> bool:
        now = time.monotonic()
        with self._lock:
            q = self._seen[party]
            while q and now - q[0] >= 60.0:
                q.popleft()
            if len(q) >= per_minute:
                return False
            q.append(now)
            return True


def _headers(request: Request, settings: Settings) -> dict[str, str]:
    return {
        "X-VUM-berichtVersie": VERSION,
        "API-Version": VERSION,
        "X-VUM-fromParty": settings.vum_oin or "",
        "X-VUM-toParty": request.headers.get("X-VUM-fromParty", ""),
        "X-VUM-viaParty": request.headers.get("X-VUM-viaParty", ""),
    }


def _error(request: Request, settings: Settings, status: int, code: str, message: str) -> Response:
    headers = _headers(request, settings)
    if status == 401:
        return Response(status_code=401, headers=headers)
    body = {"code": code[:10], "message": message[:500]}  # the contract's lengths
    return JSONResponse(body, status_code=status, headers=headers)


def _caller(request: Request, settings: Settings, limiter: RateLimiter) -> Caller:
    """Check the certificate, the headers and the party's rate; the caller, or a VumRequestError."""
    tls = request.scope.get("extensions", {}).get("tls") or {}
    chain = tls.get("client_cert_chain") or []
    oin = certificate_oin(chain[0]) if chain else None
    party = access.vum_party(settings.vum_parties, certificate_oin=oin)
    assert oin is not None
    h = request.headers
    for name in ("X-VUM-berichtVersie", "API-Version"):
        if h.get(name) != VERSION:
            raise VumRequestError(f"header {name} must be {VERSION}", code="VERSION")
    for name in ("X-VUM-fromParty", "X-VUM-toParty", "X-VUM-viaParty"):
        if not h.get(name):
            raise VumRequestError(f"header {name} is required (an OIN)", code="HEADER")
    if h.get("X-VUM-SUWIparty", "").lower() not in ("true", "false"):
        raise VumRequestError("header X-VUM-SUWIparty is required (true or false)", code="HEADER")
    access.require_vum_addressing(
        party,
        own_oin=settings.vum_oin,
        certificate_oin=oin,
        from_party=h["X-VUM-fromParty"],
        to_party=h["X-VUM-toParty"],
    )
    if not limiter.allow(oin, party.per_minute):
        raise VumRequestError(f"more than {party.per_minute} requests a minute", status=429, code="RATE")
    return Caller(certificate_party=oin, from_party=h["X-VUM-fromParty"], via_party=h["X-VUM-viaParty"])


def create_vum_app(settings: Settings, engine: Engine) -> FastAPI:
    """The VUM source endpoints under ``settings.vum_prefix``."""
    app = FastAPI(title="werkmatch VUM-bron", version=VERSION, docs_url=None, redoc_url=None, openapi_url=None)
    limiter = RateLimiter()
    cfg = SourceConfig(
        secret=settings.secret_key,
        points=PostcodePoints.load(settings.geo_dir),
        crosswalk=mapping.Crosswalk.load(settings.vum_occupation_crosswalk),
        max_results=settings.vum_max_results,
        max_details=settings.vum_max_details,
        selection_hours=settings.vum_selection_hours,
    )
    prefix = settings.vum_prefix

    @app.exception_handler(VumRequestError)
    async def refused(request: Request, exc: VumRequestError) -> Response:
        return _error(request, settings, exc.status, exc.code, exc.detail)

    @app.exception_handler(access.Unauthorised)
    async def unauthorised(request: Request, exc: access.Unauthorised) -> Response:
        return _error(request, settings, 401, "UNAUTH", exc.detail)

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, exc: RequestValidationError) -> Response:
        return _error(request, settings, 400, "INVALID", "the request does not follow the VUM contract")

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception) -> Response:
        return _error(request, settings, 500, "ERROR", "the source could not answer")

    async def selection(request: Request, kind: str) -> Response:
        caller = _caller(request, settings, limiter)
        try:
            body = await request.json()
        except ValueError as exc:
            raise VumRequestError("the body is not JSON") from exc
        if not isinstance(body, Mapping) or set(body) != {"vraagObject"}:
            raise VumRequestError("the body is an object with vraagObject only")

        def answer() -> tuple[list[dict[str, Any]], bool]:
            with session_scope(engine) as session:
                return source.select_matches(session, caller=caller, kind=kind, query=body["vraagObject"], cfg=cfg)

        found, more = await run_in_threadpool(answer)  # committed (and audited) before the answer leaves
        return JSONResponse(
            {"maximumAantalResultatenBereikt": more, "matches": found}, headers=_headers(request, settings)
        )

    async def one(request: Request, kind: str, id_: str) -> Response:
        caller = _caller(request, settings, limiter)
        if not SAFE_ID.match(id_):
            raise VumRequestError("the id has characters the contract does not allow")

        def answer() -> dict[str, Any]:
            with session_scope(engine) as session:
                return source.detail(session, caller=caller, kind=kind, id_=id_, cfg=cfg)

        return JSONResponse(await run_in_threadpool(answer), headers=_headers(request, settings))

    @app.post(f"{prefix}/werkzoekendeProfielen/matches")
    async def werkzoekende_matches(request: Request) -> Response:
        return await selection(request, "c")

    @app.get(f"{prefix}/werkzoekendeProfielen/{{idWerkzoekende}}")
    async def werkzoekende(request: Request, idWerkzoekende: str) -> Response:
        return await one(request, "c", idWerkzoekende)

    @app.post(f"{prefix}/vacatures/matches")
    async def vacature_matches(request: Request) -> Response:
        return await selection(request, "v")

    @app.get(f"{prefix}/vacatures/{{idVacature}}")
    async def vacature(request: Request, idVacature: str) -> Response:
        return await one(request, "v", idVacature)

    return app
