"""The change feed: every change of a candidate or vacancy appends to ``change_log`` in its own transaction.

A flush listener (registered once, for every session of the process) writes one row per inserted, updated
or deleted profile, so no write path can forget it. On PostgreSQL it also sends ``NOTIFY werkmatch_changes``
(delivered at COMMIT) to wake the indexer and every API worker at once; on SQLite they poll the log.
Deleting a profile also deletes its vectors here, in the same transaction: nothing of it outlives the
DELETE (``vectorstore.forget``).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Engine, event, func, insert, select, text
from sqlalchemy.orm import Session

from models.tables import Candidate, ChangeLog, Vacancy, utcnow

log = logging.getLogger("werkmatch.changes")
CHANNEL = "werkmatch_changes"
KINDS: dict[type, str] = {Candidate: "c", Vacancy: "v"}
_local: list[Callable[[], None]] = []
_local_lock = threading.Lock()


def on_local_commit(wake: Callable[[], None]) -> Callable[[], None]:
    """Call ``wake`` after each commit in this process that changed a profile (the in-process indexer and
    follower do not wait for their poll); returns a function that removes it again."""
    with _local_lock:
        _local.append(wake)

    def remove() -> None:
        with _local_lock:
            if wake in _local:
                _local.remove(wake)

    return remove


def append(session: Session, entries: Iterable[tuple[str, int, str]]) -> int:
    """Append ``(kind, entity_id, op)`` rows to the log in the session's transaction; wake the others."""
    rows = [{"kind": k, "entity_id": i, "op": op, "at": utcnow()} for k, i, op in entries]
    if not rows:
        return 0
    conn = session.connection()
    conn.execute(insert(ChangeLog), rows)
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})
    session.info["wm_changed"] = True
    return len(rows)


def position(session: Session) -> int:
    """The newest position of the log (0 when empty)."""
    return int(session.scalar(select(func.coalesce(func.max(ChangeLog.seq), 0))) or 0)


def since(session: Session, seq: int, *, limit: int = 50_000) -> list[tuple[int, str, int, str]]:
    """Log rows after ``seq``, oldest first: ``(seq, kind, entity_id, op)``."""
    stmt = (
        select(ChangeLog.seq, ChangeLog.kind, ChangeLog.entity_id, ChangeLog.op)
        .where(ChangeLog.seq > seq)
        .order_by(ChangeLog.seq)
        .limit(limit)
    )
    return [(int(s), k, int(i), op) for s, k, i, op in session.execute(stmt)]


class Cursor:
    """A reader's position in the change log that never skips a change committed late.

    Positions are handed out when a row is inserted, but transactions commit in their own order: a reader
    may see 12 before 11 is committed. The cursor stops before such a gap and reads past it again until the
    gap fills, or, after ``patience`` seconds, accepts it (a rolled-back transaction leaves a gap for good).
    Entries read twice are harmless: applying a change is idempotent.
    """

    def __init__(self, position: int = 0, *, patience: float = 10.0) -> None:
        self.position = position
        self.patience = patience
        self._gap_since: float | None = None

    def read(self, session: Session, *, limit: int = 50_000) -> list[tuple[int, str, int, str]]:
        """The entries after the position (possibly some read before); moves the position on."""
        entries = since(session, self.position, limit=limit)
        safe = self.position
        for seq, *_rest in entries:
            if seq != safe + 1:
                break
            safe = seq
        if entries and safe < entries[-1][0]:
            now = time.monotonic()
            if self._gap_since is None:
                self._gap_since = now
            if now - self._gap_since >= self.patience:
                safe, self._gap_since = entries[-1][0], None
        else:
            self._gap_since = None
        self.position = safe
        return entries


class Waiter:
    """Waits for the next change: a NOTIFY on PostgreSQL (a connection of its own, listening), a commit in
    this process, or at most ``timeout`` seconds (the poll on SQLite)."""

    def __init__(self, engine: Engine) -> None:
        self._event = threading.Event()
        self._remove = on_local_commit(self._event.set)
        self._raw: Any = None
        if engine.dialect.name == "postgresql":
            try:
                raw = engine.raw_connection()
                dbapi = raw.driver_connection
                dbapi.autocommit = True  # type: ignore[union-attr]
                dbapi.execute(f"LISTEN {CHANNEL}")  # type: ignore[union-attr]
                self._raw = raw
            except Exception:  # no LISTEN: polling still works
                log.warning("LISTEN %s failed; polling the change log instead", CHANNEL, exc_info=True)

    def wait(self, timeout: float) -> None:
        """Return when something changed, or after ``timeout`` seconds."""
        if self._event.is_set():
            self._event.clear()
            return
        if self._raw is not None:
            try:
                for _ in self._raw.driver_connection.notifies(timeout=timeout, stop_after=1):
                    pass
                self._event.clear()
                return
            except Exception:
                log.warning("lost the LISTEN connection; polling the change log instead", exc_info=True)
                self._drop()
        self._event.wait(timeout)
        self._event.clear()

    def _drop(self) -> None:
        raw, self._raw = self._raw, None
        if raw is not None:
            with contextlib.suppress(Exception):
                raw.invalidate()

    def close(self) -> None:
        """Stop listening."""
        self._remove()
        self._drop()


def _after_flush(session: Session, _context: Any) -> None:
    entries: list[tuple[str, int, str]] = []
    deleted: dict[str, list[int]] = {}
    for obj in session.new:
        kind = KINDS.get(type(obj))
        if kind is not None:
            entries.append((kind, obj.id, "upsert"))
    for obj in session.dirty:
        kind = KINDS.get(type(obj))
        if kind is not None and session.is_modified(obj, include_collections=False):
            entries.append((kind, obj.id, "upsert"))
    for obj in session.deleted:
        kind = KINDS.get(type(obj))
        if kind is not None:
            entries.append((kind, obj.id, "delete"))
            deleted.setdefault(kind, []).append(obj.id)
    if not entries:
        return
    append(session, entries)
    if deleted:
        from models.services.vectorstore import forget

        for kind, ids in deleted.items():
            forget(session, kind=kind, ids=ids)


def _after_commit(session: Session) -> None:
    if session.info.pop("wm_changed", False):
        with _local_lock:
            wakers = list(_local)
        for wake in wakers:
            wake()


def _after_rollback(session: Session, _previous: Any = None) -> None:
    session.info.pop("wm_changed", None)


def install() -> None:
    """Register the listeners (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_rollback)


install()
