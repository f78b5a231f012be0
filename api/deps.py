"""FastAPI dependencies and their ``Annotated`` shorthands."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Path, Request
from sqlalchemy.orm import Session

from models.db import session_factory
from models.enums import Role
from models.services import Unavailable
from models.services.access import require_role
from models.services.matching import EngineStore
from models.tables import User
from werkmatch.settings import Settings

_store_lock = threading.Lock()


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
                store.sync(session)
                state.store = store
    current: EngineStore = state.store
    current.refresh(session, max_age=FRESHNESS_SECONDS)
    return current


def get_store(request: Request, session: SessionDep) -> EngineStore:
    """The engine store for this request."""
    return ensure_store(request.app, session)


StoreDep = Annotated[EngineStore, Depends(get_store)]


DbId = Annotated[int, Path(ge=1, le=2_147_483_647, description="database id")]
