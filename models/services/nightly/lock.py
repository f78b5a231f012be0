"""One nightly run at a time: a file lock on this host, plus an advisory lock on PostgreSQL."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, text

from models.services import ServiceError


class LockBusy(ServiceError):
    """Another nightly run holds the lock."""

    status = 409


@contextlib.contextmanager
def nightly_lock(engine: Engine, folder: Path) -> Iterator[None]:
    """An exclusive lock: a file lock on this host, plus an advisory lock on PostgreSQL."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "nightly.lock").open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockBusy("another nightly run is in progress") from None
        conn = None
        try:
            if engine.dialect.name == "postgresql":
                conn = engine.connect()
                if not conn.execute(text("SELECT pg_try_advisory_lock(724061)")).scalar():
                    raise LockBusy("another nightly run is in progress (database lock)")
            yield
        finally:
            if conn is not None:
                conn.execute(text("SELECT pg_advisory_unlock(724061)"))
                conn.close()
            fcntl.flock(fh, fcntl.LOCK_UN)
