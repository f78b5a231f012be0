"""Shared wiring for the CLI and the API: engine, ESCO, embedder from the settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from matcher.esco import Esco, EscoNotConfigured, cached_esco
from models.db import get_engine, session_scope
from werkmatch.settings import Settings, get_settings

if TYPE_CHECKING:
    from models.services.vum.client import VumClient


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


def vum_client(settings: Settings | None = None) -> VumClient:
    """The connection to the VUM exchange the settings name (``Unavailable`` when they name none)."""
    from models.services import Unavailable
    from models.services.vum.client import VumClient

    settings = settings or get_settings()
    files = (settings.vum_tls_certfile, settings.vum_tls_keyfile, settings.vum_tls_ca)
    if not (settings.vum_oin and settings.vum_exchange_url and settings.vum_exchange_oin) or None in files:
        raise Unavailable(
            "VUM is not configured: WERKMATCH_VUM_OIN, _VUM_EXCHANGE_URL, _VUM_EXCHANGE_OIN and the TLS files are needed"
        )
    certfile, keyfile, ca = (Path(str(f)) for f in files)
    return VumClient(
        base_url=settings.vum_exchange_url,
        own_oin=settings.vum_oin,
        via_oin=settings.resolved_vum_via_oin or settings.vum_oin,
        to_oin=settings.vum_exchange_oin,
        certfile=certfile,
        keyfile=keyfile,
        ca=ca,
    )


def esco_label_finder(settings: Settings | None = None) -> Callable[[str], str | None]:
    """The preferred Dutch label of an ESCO URI from the ESCO files (no model needed), where ESCO is configured."""
    data = esco_or_none(settings)

    def label_of(uri: str) -> str | None:
        if data is None:
            return None
        occ = data.occupations.get(uri)
        if occ is not None:
            return occ.preferred
        skill = data.skills.get(uri)
        return skill.preferred if skill is not None and skill.dutch else None

    return label_of
