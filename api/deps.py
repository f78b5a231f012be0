"""FastAPI dependencies and their ``Annotated`` shorthands."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Path, Request
from sqlalchemy.orm import Session

from models.db import session_factory
from models.enums import Role
from models.services import Unavailable
from models.services.access import require_role
from models.services.indexer import Indexer
from models.services.matching import EngineStore
from models.tables import User
from werkmatch.settings import Settings

_store_lock = threading.Lock()
log = logging.getLogger("werkmatch.api")


def get_settings_dep(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


FRESHNESS_SECONDS = 1.0  # how stale the engine may be w.r.t. writes made by other processes


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request, committed *before* the response is sent (``scope="function"``).

    A write is acknowledged only once it is durable: when the COMMIT fails, the client gets a problem+json
    5xx instead of a 2xx for work that was rolled back.
    """
    with session_factory(request.app.state.engine)() as session, session.begin():
        yield session
    store = request.app.state.store
    if store is not None and request.method not in ("GET", "HEAD", "OPTIONS"):
        store.mark_stale()  # this request may have written: the next ranking checks the database


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_current_user(request: Request, session: SessionDep) -> User:
    """The authenticated user; 401 otherwise."""
    user: User | None = request.app.state.authenticator.authenticate(request, session)
    if user is None:
        raise HTTPException(401, "missing, invalid, expired or revoked token", headers={"WWW-Authenticate": "Bearer"})
    request.state.user_id = user.id
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def requires(*roles: Role) -> Any:
    """A role-only gate, declared on the route: ``dependencies=[requires(Role.admin)]`` (decided in ``access``)."""

    def gate(user: CurrentUser) -> None:
        require_role(user, *roles)

    return Depends(gate)


def start_indexer(app: Any, store: EngineStore) -> None:
    """Run an indexer in this process (unless a separate ``werkmatch worker`` does); with several workers the
    one holding the indexer lock works and the others stand by."""
    settings: Settings = app.state.settings
    if store.embed or not settings.indexer_in_process or getattr(app.state, "indexer", None) is not None:
        return  # a store that embeds indexes inline (the CLI, tests)
    indexer = Indexer(embedder=store.engine.embedder, taxonomy=store.engine.taxonomy)
    app.state.indexer = indexer

    def run() -> None:
        try:
            indexer.run(app.state.engine, stop=app.state.stop, lock_folder=settings.resolved_index_dir.parent)
        except Exception:
            log.exception("the in-process indexer stopped")

    threading.Thread(target=run, name="werkmatch-indexer", daemon=True).start()


def start_follower(app: Any, store: EngineStore) -> None:
    """Keep ``store`` in step with the change log from a thread of its own (requests never sync)."""
    threading.Thread(
        target=store.run_follower,
        args=(app.state.engine,),
        kwargs={"stop": app.state.stop},
        name="werkmatch-follower",
        daemon=True,
    ).start()


def ensure_store(app: object, session: Session) -> EngineStore:
    """The engine store, created on first use and kept in step with the database."""
    state = app.state  # type: ignore[attr-defined]
    if state.store is None and getattr(state, "loading", False):
        raise Unavailable("the model and index are still loading; try again in a moment")
    if state.store is None:
        with _store_lock:
            if state.store is None:
                from werkmatch.runtime import ModelMissing

                try:
                    store = state.store_factory(state.settings)
                except ModelMissing as exc:
                    raise Unavailable(str(exc)) from exc
                start_indexer(app, store)
                store.sync(session)
                state.store = store
                if not store.embed:
                    start_follower(app, store)
    current: EngineStore = state.store
    current.refresh(session, max_age=FRESHNESS_SECONDS)
    return current


def get_store(request: Request, session: SessionDep) -> EngineStore:
    """The engine store for this request."""
    return ensure_store(request.app, session)


StoreDep = Annotated[EngineStore, Depends(get_store)]


DbId = Annotated[int, Path(ge=1, le=2_147_483_647, description="database id")]
