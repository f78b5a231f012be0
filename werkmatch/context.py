"""Shared wiring for the CLI and the API: engine, ESCO, embedder from the settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from matcher.esco import Esco, EscoNotConfigured, cached_esco
from models.db import get_engine, session_scope
from werkmatch.settings import Settings, get_settings


def engine(settings: Settings | None = None, *, serving: bool = False) -> Engine:
    """The database engine named in the settings; the data folder is created for SQLite. A serving engine
    (the API) waits ``database_wait_seconds`` for a connection or SQLite's write lock and then fails (503);
    the CLI's waits 30 s (an import beside a busy API)."""
    settings = settings or get_settings()
    url = settings.resolved_database_url
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    wait = settings.database_wait_seconds if serving else 30.0
    return get_engine(url, pool_size=settings.database_pool_size, wait_seconds=wait)


@contextmanager
def transaction(settings: Settings | None = None) -> Iterator[Session]:
    """One database transaction."""
    with session_scope(engine(settings)) as session:
        yield session


def esco_or_none(settings: Settings | None = None) -> Esco | None:
    """ESCO when configured, else None."""
    settings = settings or get_settings()
    try:
        return cached_esco(str(settings.esco_dir)) if settings.esco_dir else None
    except EscoNotConfigured:
        return None


def esco(settings: Settings | None = None) -> Esco:
    """ESCO, or :class:`EscoNotConfigured` with a plain message."""
    settings = settings or get_settings()
    if not settings.esco_available:
        raise EscoNotConfigured(
            f"ESCO is not configured: WERKMATCH_ESCO_DIR={settings.esco_dir} is not a folder. "
            "Download the ESCO CSV export (Dutch) from the ESCO portal and point the setting at it."
        )
    return cached_esco(str(settings.esco_dir))
