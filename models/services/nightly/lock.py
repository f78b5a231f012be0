"""One nightly run at a time: a file lock on this host, plus an advisory lock per schema on PostgreSQL."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine

from models.services import ServiceError
from models.services.locks import AdvisoryLock

LOCK_NAMESPACE = 724061
LOCK_SALT = ":werkmatch-nightly"


class LockBusy(ServiceError):
    """Another nightly run holds the lock."""

    status = 409


class RunLock:
    """The held nightly lock; ``check`` raises ``LockLost`` when the database part of it was lost."""

    def __init__(self, advisory: AdvisoryLock | None) -> None:
        self._advisory = advisory

    def check(self) -> None:
        """Still ours? (SQLite: the file lock cannot be lost while the process lives.)"""
        if self._advisory is not None:
            self._advisory.check()


@contextlib.contextmanager
def nightly_lock(engine: Engine, folder: Path) -> Iterator[RunLock]:
    """An exclusive lock: a file lock on this host, plus an advisory lock of this schema on PostgreSQL, held
    on its own autocommit connection (see ``models.services.locks``)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "nightly.lock").open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockBusy("another nightly run is in progress") from None
        advisory = None
        try:
            if engine.dialect.name == "postgresql":
                advisory = AdvisoryLock.try_acquire(
                    engine, namespace=LOCK_NAMESPACE, salt=LOCK_SALT, name="werkmatch-nightly-lock"
                )
                if advisory is None:
                    raise LockBusy("another nightly run is in progress (database lock)")
            yield RunLock(advisory)
        finally:
            if advisory is not None:
                advisory.release()
            fcntl.flock(fh, fcntl.LOCK_UN)
