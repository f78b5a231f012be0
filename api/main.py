"""The FastAPI application factory."""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio.to_thread
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from api import links, problems, routers_meta, ui
from api.auth import Authenticator, BearerTokenAuthenticator
from api.deps import start_follower, start_indexer
from api.observability import Metrics, RequestMiddleware, security_headers, setup_logging
from api.routers import candidates, matching, people, unsubscribe, vacancies
from models.db import session_scope
from models.services.matching import EngineStore, build_lock
from models.services.oidc import OpenIdProvider
from werkmatch import __version__
from werkmatch.context import engine as make_engine
from werkmatch.settings import Settings, get_settings

log = logging.getLogger("werkmatch.api")
TAGS = [
    {"name": "candidates", "description": "Kandidaten: own caseload for coaches, anonymised for others."},
    {"name": "vacancies", "description": "Werkgevers en vacatures, managed per gebied by employer advisers."},
    {"name": "matching", "description": "Rankings both ways, search, ESCO suggestions and the match workflow."},
    {"name": "people", "description": "The current user, subscriptions, administration and the audit log."},
    {"name": "operations", "description": "Health, readiness and metrics."},
]


START_WAIT_SECONDS = 3600.0  # a cold start waits this long at most for the indexer


def _load_store(app: FastAPI) -> None:
    """Load the model and the snapshot (or rebuild it from the vectors in the database), wait until every
    profile has its vectors (a cold start), then serve rankings and follow the change log."""
    settings: Settings = app.state.settings
    stop: threading.Event = app.state.stop
    try:
        with build_lock(settings.resolved_index_dir):
            store = app.state.store_factory(settings)
            start_indexer(app, store)
            with session_scope(app.state.engine) as session:
                store.sync(session)
            deadline, told = time.monotonic() + START_WAIT_SECONDS, 0.0
            while (store.pending["c"] or store.pending["v"]) and not stop.is_set() and time.monotonic() < deadline:
                if time.monotonic() - told > 10:
                    told = time.monotonic()
                    log.info(
                        "waiting for the indexer",
                        extra={
                            "extra_fields": {
                                "candidates": len(store.pending["c"]),
                                "vacancies": len(store.pending["v"]),
                            }
                        },
                    )
                stop.wait(0.2)
                with session_scope(app.state.engine) as session:
                    store.follow(session)
            store.save()
        # The engine's hundreds of thousands of long-lived objects need no cyclic garbage collection: keep the
        # collector from walking them again and again (pauses of a second at 100k candidates).
        gc.collect()
        gc.freeze()
        app.state.store = store
        start_follower(app, store)
        if settings.english_skills:
            threading.Thread(target=_english_skills, args=(store, settings), name="english-skills", daemon=True).start()
        log.info(
            "engine ready",
            extra={
                "extra_fields": {"candidates": len(store.engine.candidates), "vacancies": len(store.engine.vacancies)}
            },
        )
    except Exception:  # the API still serves what needs no engine; /ready says why not
        log.exception("could not load the model and index at start-up")
    finally:
        app.state.loading = False


def _english_skills(store: EngineStore, settings: Settings) -> None:
    """Index the English-only ESCO skills in the background (the parser uses them once they are there)."""
    from matcher.taxonomy import EscoTaxonomy
    from werkmatch.runtime import index_english_skills

    tax = store.engine.taxonomy
    if isinstance(tax, EscoTaxonomy):
        try:
            index_english_skills(tax, settings)
            log.info("English-only ESCO skills indexed for the vacancy parser")
        except Exception:
            log.exception("could not index the English-only ESCO skills; the parser uses the Dutch ones")


def _exit_after(seconds: float, app: FastAPI) -> None:
    """Shutting down (SIGTERM; the server gave requests in flight ``shutdown_grace_seconds`` and then cancelled
    them): a request stuck in the database still holds a thread Python would wait for at exit, forever. End the
    process after ``seconds`` if it is still here."""

    def watchdog() -> None:
        time.sleep(seconds)
        log.error(
            "exiting with requests still running",
            extra={"extra_fields": {"requests": len(app.state.metrics.in_flight)}},
        )
        logging.shutdown()
        os._exit(0)

    threading.Thread(target=watchdog, name="werkmatch-exit", daemon=True).start()


def _make_store(settings: Settings) -> EngineStore:
    from werkmatch.runtime import make_store

    return make_store(settings, embed=False)  # an API worker never embeds a profile: the indexer does


def create_app(
    settings: Settings | None = None,
    *,
    store: EngineStore | None = None,
    preload: bool = True,
    authenticator: Authenticator | None = None,
    store_factory: Callable[[Settings], EngineStore] | None = None,
) -> FastAPI:
    """Build the app; ``store`` injects a ready engine (tests), ``preload`` loads one in the background at
    start-up (``/health`` answers at once, ``/ready`` once it is loaded), ``store_factory`` makes it."""
    settings = settings or get_settings()
    setup_logging()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        if app.state.store is None and preload:
            app.state.loading = True
            threading.Thread(target=_load_store, args=(app,), name="werkmatch-engine-load", daemon=True).start()
        yield
        app.state.stop.set()
        if app.state.exit_when_stuck:
            _exit_after(settings.shutdown_grace_seconds + 5.0, app)
        if app.state.store is not None and preload:
            # its own thread: the request pool may be full of requests that will never finish
            await anyio.to_thread.run_sync(app.state.store.save, limiter=anyio.CapacityLimiter(1))

    app = FastAPI(
        title="werkmatch",
        version=__version__,
        lifespan=lifespan,
        openapi_tags=TAGS,
        description="Matching van kandidaten en vacatures voor Werk & Participatie. The output advises; a "
        "person decides. Every view of a candidate is audited. Authenticate with a personal token "
        "(`Authorization: Bearer wm_…`) or, where configured, an access token of the municipality's OpenID "
        "provider. Errors are RFC 9457 problem details. This service uses the ESCO "
        "classification of the European Commission.",
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings, serving=True)
    app.state.store = store
    app.state.store_factory = store_factory or _make_store
    app.state.loading = False
    app.state.stop = threading.Event()  # ends the indexer and follower threads at shutdown
    app.state.indexer = None
    app.state.exit_when_stuck = False  # `werkmatch serve` (``serve_app``) ends a stuck process at shutdown
    app.state.authenticator = authenticator or BearerTokenAuthenticator()
    app.state.oidc = OpenIdProvider(settings) if settings.oidc_enabled else None
    app.state.metrics = Metrics()
    problems.install(app, html_errors=ui.error_response)
    ui.install(app)
    app.include_router(routers_meta.router)
    app.include_router(unsubscribe.router)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")
    for r in (people.router, candidates.router, vacancies.router, matching.router):
        app.include_router(r, responses=problems.COMMON_RESPONSES)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type"],
        )
    provider_origin: tuple[str, ...] = ()
    if settings.oidc_issuer:
        parts = urlsplit(settings.oidc_issuer)
        provider_origin = (f"{parts.scheme}://{parts.netloc}",)
    app.add_middleware(
        RequestMiddleware,
        metrics=app.state.metrics,
        max_body=settings.max_body_bytes,
        headers=security_headers(form_targets=provider_origin),
    )
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = links.add_links(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def serve_app() -> FastAPI:
    """The app as ``werkmatch serve`` runs it (uvicorn's factory): a process whose shutdown is stuck behind a
    request that never finishes exits anyway (see ``_exit_after``)."""
    app = create_app()
    app.state.exit_when_stuck = True
    return app
