"""Session-level PostgreSQL advisory locks, one per schema, each on its own autocommit connection.

The connection that holds such a lock is idle between checks, never "idle in transaction": a server that ends
idle transactions (``idle_in_transaction_session_timeout``) does not end it, and a holder that loses it anyway
(the connection killed, the database restarted) finds out with :meth:`AdvisoryLock.check` instead of going
on as if it still held the lock.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from models.services import ServiceError


class LockLost(ServiceError):
    """The connection holding a lock is gone, so the lock is too: stop the work it guarded."""

    status = 503


class AdvisoryLock:
    """A held lock: ``check`` before each step that must not run twice at once; ``release`` at the end."""

    def __init__(self, conn: Connection, namespace: int, key: int) -> None:
        self._conn, self._namespace, self._key = conn, namespace, key
        self._lost = False

    @classmethod
    def try_acquire(cls, engine: Engine, *, namespace: int, salt: str, name: str) -> AdvisoryLock | None:
        """The lock ``namespace`` of this schema, or None when another session holds it."""
        conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            conn.execute(text("SELECT set_config('application_name', :n, false)"), {"n": name})
            key = int(conn.execute(text("SELECT hashtext(current_schema() || :salt)"), {"salt": salt}).scalar_one())
            sql = text("SELECT pg_try_advisory_lock(:n, :k)")
            if conn.execute(sql, {"n": namespace, "k": key}).scalar():
                return cls(conn, namespace, key)
        except BaseException:
            conn.close()
            raise
        conn.close()
        return None

    def check(self) -> None:
        """Raise :class:`LockLost` when the holding connection no longer answers (the lock went with it)."""
        try:
            self._conn.execute(text("SELECT 1"))
        except DBAPIError as exc:
            self._lost = True
            raise LockLost("the database connection that held the lock was lost; stopped") from exc

    def release(self) -> None:
        """Unlock and close (a lost connection has released the lock already)."""
        try:
            if not self._lost:
                self._conn.execute(text("SELECT pg_advisory_unlock(:n, :k)"), {"n": self._namespace, "k": self._key})
        except DBAPIError:
            self._lost = True
        finally:
            if self._lost:
                self._conn.invalidate()  # never back into the pool
            self._conn.close()
