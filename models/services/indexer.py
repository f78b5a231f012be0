"""The indexer: the one place where profiles are embedded, once per change, into the database.

It follows the change feed, embeds the texts of every new or changed profile that are not stored yet
(a text shared by many profiles is embedded once), stores the vectors and how the profile's labels resolved
to ESCO (``vectorstore``), and appends an ``indexed`` row to the feed, which tells every API worker to load
that profile: the workers never embed a profile themselves.

Exactly one indexer works at a time (a PostgreSQL advisory lock, or a file lock beside a SQLite database):
``werkmatch worker`` runs it on its own, ``werkmatch serve`` runs it in-process in every worker, where the
first to take the lock does the work and the others stand by.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from matcher.embedder import Embedder
from matcher.engine import MatchEngine, ProfileTexts, TaxonomyContext
from matcher.index import NumpyIndex
from matcher.textvectors import TextVectors, text_key
from models.db import session_scope
from models.services import changes, vectorstore
from models.services.areas import Geo
from models.services.locks import AdvisoryLock
from models.tables import Candidate, ChangeLog, ProfileText, ProfileVectors, TextVector, Vacancy

log = logging.getLogger("werkmatch.indexer")
MODELS: dict[str, Any] = {"c": Candidate, "v": Vacancy}
BATCH = 500
LOCK_KEY = 724062  # with the schema's hash: the two-key form of pg_try_advisory_lock
LOCK_SALT = ":werkmatch-indexer"
LOG_KEEP = dt.timedelta(days=2)


def version_stamp(ts: dt.datetime | None) -> str:
    """A profile's ``updated_at`` as the text the index and the vector records compare (one definition)."""
    return ts.replace(tzinfo=None).isoformat(timespec="microseconds") if ts else ""


_stamp = version_stamp


def is_current(stored: vectorstore.StoredProfile | None, updated_at: dt.datetime | None, model_version: str) -> bool:
    """Whether stored vectors were made from this version of the profile with this model."""
    return (
        stored is not None
        and stored.model_version == model_version
        and _stamp(stored.source_updated_at) == _stamp(updated_at)
    )


class Indexer:
    """Embeds profiles into the database (see the module docstring)."""

    def __init__(
        self, *, embedder: Embedder, taxonomy: TaxonomyContext | None, vectors: TextVectors | None = None
    ) -> None:
        self.engine = MatchEngine(embedder, taxonomy=taxonomy, index_factory=NumpyIndex)
        self.shared = vectors is not None
        if vectors is not None:
            self.engine.vectors = vectors  # inline in an engine store: one cache for both
        self.model_version = embedder.version
        self.embedded = 0  # profiles embedded by this indexer

    # ----------------------------------------------------------------- one batch
    def stale(self, session: Session, *, kind: str, ids: Sequence[int] | None = None) -> list[int]:
        """Profiles whose stored vectors are missing, older than the profile or from another model."""
        model = MODELS[kind]
        stmt = select(model.id, model.updated_at)
        if ids is not None:
            if not ids:
                return []
            stmt = stmt.where(model.id.in_(list(ids)))
        stamps = {int(i): u for i, u in session.execute(stmt)}
        stored_q = select(ProfileVectors.entity_id, ProfileVectors.model_version, ProfileVectors.source_updated_at)
        stored_q = stored_q.where(ProfileVectors.kind == kind)
        if ids is not None:
            stored_q = stored_q.where(ProfileVectors.entity_id.in_(list(stamps)))
        stored = {int(i): (mv, _stamp(s)) for i, mv, s in session.execute(stored_q)}
        return sorted(i for i, u in stamps.items() if stored.get(i) != (self.model_version, _stamp(u)))

    def index(self, session: Session, *, kind: str, ids: Sequence[int]) -> int:
        """Embed and store these profiles (in the session's transaction); return how many were stored."""
        model = MODELS[kind]
        rows = list(session.scalars(select(model).where(model.id.in_(list(ids)))))
        if not rows:
            return 0
        from models.services.matching import candidate_profile, vacancy_profile

        geo = Geo.of(session)
        e = self.engine
        texts: list[ProfileTexts]
        if kind == "c":
            texts = e.texts_of_candidates([candidate_profile(r, geo) for r in rows])
        else:
            texts = e.texts_of_vacancies([vacancy_profile(r, geo) for r in rows])
        keyed = {text_key(t): t for pt in texts for t in pt.texts}
        in_db = set(
            session.scalars(
                select(TextVector.digest).where(
                    TextVector.model_version == self.model_version, TextVector.digest.in_(list(keyed))
                )
            )
        )
        wanted = [k for k in in_db if not e.vectors.has(k)]
        if wanted:
            found = vectorstore.load_vectors(
                session, model_version=self.model_version, digests=wanted, dim=e.embedder.dim
            )
            if found:
                e.vectors.add(list(found), vectors_of(found))
        e.vectors.ensure([t for k, t in keyed.items() if not e.vectors.has(k)])
        new = {k: e.vectors.vector(k) for k in keyed if k not in in_db}
        vectorstore.store_vectors(session, model_version=self.model_version, vectors=new)
        by_id = {r.id: r for r in rows}
        vectorstore.store_profiles(
            session,
            kind=kind,
            model_version=self.model_version,
            profiles=[(pt.id, by_id[pt.id].updated_at, [text_key(t) for t in pt.texts], pt.resolved) for pt in texts],
        )
        changes.append(session, [(kind, pt.id, "indexed") for pt in texts])
        self.embedded += len(texts)
        if not self.shared and len(e.vectors) > 200_000:
            e.vectors = TextVectors(e.embedder)  # a bounded cache; the database holds them all
        return len(texts)

    # ----------------------------------------------------------------- the loop
    def catch_up(
        self,
        engine: Engine,
        *,
        targets: dict[str, set[int]] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Index what is stale (everything, or only ``targets``), a committed transaction per batch."""
        done = 0
        for kind in ("c", "v"):
            with session_scope(engine) as s:
                ids = self.stale(s, kind=kind, ids=None if targets is None else sorted(targets.get(kind, ())))
            for start in range(0, len(ids), BATCH):
                with session_scope(engine) as s:
                    n = self.index(s, kind=kind, ids=ids[start : start + BATCH])
                done += n
                if progress:
                    progress(n)
        return done

    def tidy(self, engine: Engine) -> None:
        """Housekeeping: the old part of the change log, vectors of other models, links without vectors.

        The slow look-up (links without a vector) runs in a read-only transaction; the deletes run after it
        in a short one. On SQLite a write transaction holds the one write lock of the file: holding it during
        a scan of every link made every request that writes an audit row wait (found by the SQLite load
        test: rankings timed out every minute at 100k candidates).
        """
        with session_scope(engine) as s:
            dangling = s.execute(
                select(ProfileText.kind, ProfileText.entity_id)
                .outerjoin(
                    TextVector,
                    (TextVector.digest == ProfileText.digest) & (TextVector.model_version == self.model_version),
                )
                .where(TextVector.digest.is_(None))
                .distinct()
            ).all()
        with session_scope(engine) as s:
            s.execute(delete(ChangeLog).where(ChangeLog.at < dt.datetime.now(dt.UTC) - LOG_KEEP))
            vectorstore.prune_models(s, keep=self.model_version)
            for kind, eid in dangling:  # a vector lost to a delete racing a re-index: index again
                s.execute(delete(ProfileVectors).where(ProfileVectors.kind == kind, ProfileVectors.entity_id == eid))

    def run(
        self,
        engine: Engine,
        *,
        stop: threading.Event,
        lock_folder: Path,
        poll: float = 0.5,
        reconcile_every: float = 60.0,
        tidy_every: float = 600.0,
    ) -> None:
        """Index until ``stop`` is set: take the indexer lock (or stand by), reconcile everything, then follow
        the change feed (woken by NOTIFY on PostgreSQL or a commit in this process, else every ``poll`` s)."""
        while not stop.is_set():
            with leader_lock(engine, lock_folder) as leader:
                if not leader:
                    stop.wait(5.0)
                    continue
                log.info("indexer started", extra={"extra_fields": {"model": self.model_version}})
                self._lead(engine, stop=stop, poll=poll, reconcile_every=reconcile_every, tidy_every=tidy_every)

    def _lead(
        self, engine: Engine, *, stop: threading.Event, poll: float, reconcile_every: float, tidy_every: float
    ) -> None:
        waiter = changes.Waiter(engine)
        try:
            with session_scope(engine) as s:
                cursor = changes.Cursor(changes.position(s))
            self.catch_up(engine)
            self.tidy(engine)
            reconciled = tidied = time.monotonic()
            while not stop.is_set():
                waiter.wait(poll)
                try:
                    with session_scope(engine) as s:
                        entries = cursor.read(s)
                    if entries:
                        targets: dict[str, set[int]] = {"c": set(), "v": set()}
                        for _seq, kind, eid, op in entries:
                            if op == "upsert":
                                targets[kind].add(eid)
                        if targets["c"] or targets["v"]:
                            self.catch_up(engine, targets=targets)
                    if time.monotonic() - reconciled > reconcile_every:
                        self.catch_up(engine)
                        reconciled = time.monotonic()
                    if time.monotonic() - tidied > tidy_every:
                        self.tidy(engine)
                        tidied = time.monotonic()
                except Exception:  # a database restart: log, wait, go on from the same position
                    log.exception("indexer step failed; retrying")
                    stop.wait(2.0)
        finally:
            waiter.close()


def vectors_of(found: dict[str, np.ndarray]) -> np.ndarray:
    """The vectors of a digest → vector mapping, in its order, as one matrix."""
    return np.stack(list(found.values())) if found else np.zeros((0, 0), np.float32)


@contextlib.contextmanager
def leader_lock(engine: Engine, folder: Path) -> Iterator[bool]:
    """Try to become the one indexer: an advisory lock per schema on PostgreSQL (two deployments in one
    database each get their indexer), a file lock beside SQLite."""
    if engine.dialect.name == "postgresql":
        lock = AdvisoryLock.try_acquire(engine, namespace=LOCK_KEY, salt=LOCK_SALT, name="werkmatch-indexer-lock")
        try:
            yield lock is not None
        finally:
            if lock is not None:
                lock.release()
        return
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".indexer.lock").open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
