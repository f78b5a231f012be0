"""Engine and session factory."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, *, pool_size: int = 10, wait_seconds: float = 30.0) -> Engine:
    """Create an engine; SQLite gets foreign keys and a busy timeout. Sessions of every engine write the
    change feed (``models.services.changes``).

    ``wait_seconds`` bounds how long a statement waits for SQLite's write lock or a caller for a pooled
    PostgreSQL connection; then it fails with an ``OperationalError``/``TimeoutError`` (the API answers 503).
    Pooled connections are checked before use (``pool_pre_ping``), so a restarted database costs no request.
    """
    from models.services.changes import install

    install()
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": wait_seconds},
            json_deserializer=orjson.loads,
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=wait_seconds,
        json_deserializer=orjson.loads,  # JSON columns: several times faster than the json module
    )


@lru_cache
def get_engine(url: str, *, pool_size: int = 10, wait_seconds: float = 30.0) -> Engine:
    """Return one engine per URL (and pool settings) for the process."""
    return make_engine(url, pool_size=pool_size, wait_seconds=wait_seconds)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Session factory that keeps objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A transaction: commit on success, roll back on error."""
    with session_factory(engine)() as session, session.begin():
        yield session


def real_transaction(conn: Connection) -> None:
    """Make sure the database has a transaction open before SAVEPOINTs are used.

    pysqlite opens a transaction only before the first write; a SAVEPOINT outside one starts its own, and
    its RELEASE would then commit. Savepoints (a form that may be refused, the nightly dry run) call this first.
    """
    if conn.dialect.name == "sqlite":
        dbapi = conn.connection.dbapi_connection
        if dbapi is not None and not getattr(dbapi, "in_transaction", True):
            conn.exec_driver_sql("BEGIN")
