"""Bridge between the database and the matching engine: profiles, index lifecycle, stored matches."""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import json
import logging
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from matcher.embedder import Embedder
from matcher.engine import MatchEngine, TaxonomyContext
from matcher.index import FaissIndex, load_index
from matcher.profiles import CandidateProfile, Concept, Experience, VacancyProfile
from matcher.ranking import RankingConfig
from matcher.textvectors import MissingVectors, TextVectors
from models.db import session_scope
from models.services import changes, vectorstore
from models.services.areas import Geo
from models.services.indexer import Indexer, is_current, vectors_of, version_stamp
from models.tables import Candidate, Vacancy

log = logging.getLogger("werkmatch.index")
MANIFEST = "manifest.json"


def _concepts(items: list[dict[str, Any]] | None) -> list[Concept]:
    """Labels and ESCO URIs recur across thousands of profiles: one string each in memory (``sys.intern``)."""
    return [Concept(sys.intern(i["label"]), _intern(i.get("uri"))) for i in items or [] if i.get("label")]


def _intern(text: str | None) -> str | None:
    return sys.intern(text) if text else text


_stamp = version_stamp


def candidate_profile(c: Candidate, geo: Geo) -> CandidateProfile:
    """The matching profile of a candidate: only matching fields, never personal data."""
    pc = geo.postcodes.get(c.postcode)
    return CandidateProfile(
        id=c.id,
        area=geo.area_by_id[c.area_id].code,
        postcode=c.postcode,
        location=(pc.lat, pc.lon) if pc else None,
        status=c.status.value,
        consent=c.consent_to_share,
        desired_occupations=_concepts(c.desired_occupations),
        skills=_concepts(c.skills),
        experience=[
            Experience(sys.intern(e["title"]), float(e.get("years") or 0), _intern(e.get("uri")))
            for e in c.experience or []
        ],
        education_level=c.education_level.value,
        startkwalificatie=c.startkwalificatie,
        dutch_level=str(c.dutch_level.value) if c.dutch_level else None,
        driving_licences=list(c.driving_licences or []),
        own_transport=c.own_transport,
        travel_mode=c.travel_mode.value,
        max_travel_km=c.max_travel_km,
        max_travel_minutes=c.max_travel_minutes,
        hours_min=c.hours_min,
        hours_max=c.hours_max,
        available_from=c.available_from,
        ladder_step=c.ladder_step,
        lks_eligible=c.lks_eligible,
        doelgroepregister=c.doelgroepregister,
        jobcoach=c.jobcoach,
        constraints=list(c.constraints or []),
        stamp=_stamp(c.updated_at),
    )


def vacancy_profile(v: Vacancy, geo: Geo) -> VacancyProfile:
    """The matching profile of a vacancy."""
    pc = geo.postcodes.get(v.postcode)
    occ = v.occupation or None
    return VacancyProfile(
        id=v.id,
        area=geo.area_by_id[v.area_id].code,
        postcode=v.postcode,
        title=v.title,
        location=(v.workplace_lat, v.workplace_lon)
        if v.workplace_lat is not None and v.workplace_lon is not None
        else ((pc.lat, pc.lon) if pc else None),
        description=v.description or "",
        occupation=Concept(occ["label"], occ.get("uri")) if occ and occ.get("label") else None,
        required_skills=_concepts(v.required_skills),
        nice_skills=_concepts(v.nice_skills),
        hours_min=v.hours_min,
        hours_max=v.hours_max,
        offer_type=v.offer_type.value,
        education_level=v.education_level.value,
        driving_licence=v.driving_licence,
        lks_suitable=v.lks_suitable,
        banenafspraak=v.banenafspraak,
        work_conditions=list(v.work_conditions or []),
        start_date=v.start_date,
        status=v.status.value,
        stamp=_stamp(v.updated_at),
    )


@contextlib.contextmanager
def build_lock(folder: Path) -> Iterator[None]:
    """One process at a time loads or builds the index in ``folder`` (workers starting together): the others
    wait, then load what the first one saved instead of embedding everything again."""
    import fcntl

    folder.parent.mkdir(parents=True, exist_ok=True)
    with (folder.parent / f".{folder.name}.build.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class ReadWriteLock:
    """Many readers at once, or one writer. A waiting writer goes first: new readers wait behind it, so a
    stream of rankings never starves the follower that applies changes. Not re-entrant."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer = False
        self._waiting = 0

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        with self._cond:
            self._waiting += 1
            try:
                while self._writer or self._readers:
                    self._cond.wait()
            finally:
                self._waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


FULL_SYNC_EVERY = 60.0  # seconds: a full comparison with the database catches what bypassed the change log
LOG_BATCH = 20_000


class EngineStore:
    """Owns the engine; keeps it in step with the database and persists it atomically.

    Vectors come from the database (written once by the indexer, ``models.services.indexer``): an API
    worker's store (``embed=False``) never embeds a profile, it follows the change log and loads what the
    indexer stored. A store with ``embed=True`` (the CLI, the nightly job, tests) runs the indexer inline for
    whatever has no current vectors yet.

    Reads (rankings, searches) share a read lock; applying changes takes the write lock only for the
    in-memory update, after everything was read from the database. The persisted manifest records, per id,
    the ``updated_at`` stamp each indexed vector was made from, plus the model version; on start the stamps
    are compared with the database, so a crash between a commit and a save is repaired, never ignored.
    """

    def __init__(
        self,
        *,
        embedder: Embedder,
        folder: Path,
        taxonomy: TaxonomyContext | None = None,
        config: RankingConfig | None = None,
        today: Callable[[], dt.date] = dt.date.today,
        embed: bool = True,
    ) -> None:
        self.folder = folder
        self.engine = MatchEngine(embedder, config=config, taxonomy=taxonomy, index_factory=FaissIndex, today=today)
        self.embed = embed
        self.engine.vectors.frozen = not embed
        self._rw = ReadWriteLock()  # held only for engine work, never while talking to the database
        self._sync_lock = threading.Lock()
        self._applied = threading.Condition()
        self._disk_stamps: dict[str, dict[str, str]] = {"c": {}, "v": {}}
        self._cursor = changes.Cursor(0)
        self._full_at = 0.0
        self._inline: Indexer | None = None
        self.pending: dict[str, set[int]] = {"c": set(), "v": set()}
        self.lags: collections.deque[float] = collections.deque(maxlen=5000)  # seconds from write to applied
        self._synced_at: dt.datetime | None = None  # when the first full sync started
        self.following = False
        self.loaded_from_disk = False
        self.dirty = False
        self._stale = True
        self._checked_at = 0.0

    def reading(self) -> contextlib.AbstractContextManager[None]:
        """Shared access for rankings and searches (many at once)."""
        return self._rw.reading()

    def writing(self) -> contextlib.AbstractContextManager[None]:
        """Exclusive access to change the engine (pure computation only)."""
        return self._rw.writing()

    @property
    def position(self) -> int:
        """The change-log position this store has applied."""
        return self._cursor.position

    @property
    def index_version(self) -> str:
        """Model version and sizes, stamped on stored matches."""
        e = self.engine
        return f"{e.embedder.version}:{len(e.candidates)}c:{len(e.vacancies)}v"

    def load(self) -> bool:
        """Load a persisted index made with the same model; return whether one was used.

        An index that cannot be read (a corrupt or half-written manifest, vector file or index folder) is
        moved aside and the engine starts empty: the next sync rebuilds it from the vectors in the database.
        """
        try:
            return self._load()
        except Exception as exc:
            aside = self.folder.with_name(f"{self.folder.name}.broken-{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S%f}")
            log.warning(
                "index cannot be read; moved aside and rebuilt from the database",
                extra={"extra_fields": {"folder": str(self.folder), "aside": str(aside), "error": repr(exc)}},
            )
            try:
                self.folder.rename(aside)
            except OSError:
                shutil.rmtree(self.folder, ignore_errors=True)
            e = self.engine
            e.cand_index = FaissIndex(e.embedder.dim)
            e.vac_index = FaissIndex(e.embedder.dim)
            e.vectors = TextVectors(e.embedder, frozen=not self.embed)
            self._disk_stamps = {"c": {}, "v": {}}
            self.loaded_from_disk = False
            return False

    def _load(self) -> bool:
        manifest = self.folder / MANIFEST
        if not manifest.is_file():
            return False
        meta = json.loads(manifest.read_text())
        e = self.engine
        if meta.get("model_version") != e.embedder.version:
            log.warning("index was built with another model; rebuilding")
            return False
        e.vectors.load(self.folder / "textvectors.npz")
        self._disk_stamps = {"c": meta.get("candidates", {}), "v": meta.get("vacancies", {})}
        e.cand_index = load_index(self.folder / "candidates")
        e.vac_index = load_index(self.folder / "vacancies")
        self.loaded_from_disk = True
        return True

    def save(self, *, force: bool = False) -> bool:
        """Persist indexes, text vectors and manifest (each written beside, then renamed) when changed.

        A file lock keeps two processes (several workers, the nightly job) from saving at once; rankings go
        on meanwhile (a read lock).
        """
        import fcntl

        if not (self.dirty or force):
            return False
        with self.reading():
            e = self.engine
            self.folder.mkdir(parents=True, exist_ok=True)
            lock_fh = (self.folder.parent / f".{self.folder.name}.lock").open("w")
            fcntl.flock(lock_fh, fcntl.LOCK_EX)
            e.cand_index.save(self.folder / "candidates")
            e.vac_index.save(self.folder / "vacancies")
            e.vectors.save(self.folder / "textvectors.npz")
            meta = {
                "model_version": e.embedder.version,
                "saved_at": dt.datetime.now(dt.UTC).isoformat(),
                "candidates": {str(i): c.stamp for i, c in e.candidates.items()},
                "vacancies": {str(i): v.stamp for i, v in e.vacancies.items()},
            }
            tmp = self.folder / (MANIFEST + ".tmp")
            tmp.write_text(json.dumps(meta))
            tmp.replace(self.folder / MANIFEST)
            fcntl.flock(lock_fh, fcntl.LOCK_UN)
            lock_fh.close()
            self.dirty = False
            return True

    def sync(
        self, session: Session, *, progress: Callable[[int], None] | None = None, force: bool = False
    ) -> dict[str, int]:
        """Bring the engine fully in step with the database; return what changed (``force`` is kept for the
        CLI: a full comparison is what every sync does).

        The database is read first, with no engine lock held; the write lock is then taken only to apply
        the changes (pure computation). Syncs never run twice at once (``_sync_lock``).
        """
        with self._sync_lock:
            return self._sync(session, progress=progress, targets=None)

    def _sides(self) -> list[tuple[Any, ...]]:
        e = self.engine
        return [
            ("c", Candidate, e.candidates, candidate_profile, e.upsert_candidates, e.attach_candidates, e.cand_index),
            ("v", Vacancy, e.vacancies, vacancy_profile, e.upsert_vacancies, e.attach_vacancies, e.vac_index),
        ]

    def _remove(self, kind: str, ids: list[int]) -> int:
        with self.writing():
            if kind == "c":
                return self.engine.remove_candidates(ids, evict_texts=True)
            return self.engine.remove_vacancies(ids)

    def _sync(
        self,
        session: Session,
        *,
        progress: Callable[[int], None] | None,
        targets: dict[str, set[int]] | None,
        position: int | None = None,
    ) -> dict[str, int]:
        """Apply the database's state: of everything (``targets`` None) or of the profiles in ``targets``."""
        session.flush()
        started = dt.datetime.now(dt.UTC)
        full_position = changes.position(session) if targets is None else None  # read before the data
        geo = Geo.of(session)
        stats = {"added": 0, "removed": 0, "pending": 0}
        for kind, model, known, profile, upsert, attach, index in self._sides():
            if targets is None:
                stamps = {i: _stamp(ts) for i, ts in session.execute(select(model.id, model.updated_at))}
                with self.reading():
                    known_stamps = {i: p.stamp for i, p in known.items()}
                    indexed = set(index.ids().tolist())
                gone = [i for i in known_stamps if i not in stamps]
                gone += [i for i in indexed if i not in stamps and i not in known_stamps]
            else:
                ids = sorted(targets.get(kind, set()) | self.pending[kind])
                stamps = {}
                for start in range(0, len(ids), 5000):
                    part = ids[start : start + 5000]
                    stamps.update(
                        (i, _stamp(ts))
                        for i, ts in session.execute(select(model.id, model.updated_at).where(model.id.in_(part)))
                    )
                with self.reading():
                    known_stamps = {i: known[i].stamp for i in ids if i in known}
                indexed = set()
                gone = [i for i in ids if i not in stamps]
            if gone:
                stats["removed"] += self._remove(kind, gone)
                self.pending[kind] -= set(gone)
            changed = [i for i, st in stamps.items() if known_stamps.get(i) != st]
            for start in range(0, len(changed), 2000):
                added, waiting = self._apply(
                    session,
                    kind=kind,
                    ids=changed[start : start + 2000],
                    geo=geo,
                    profile=profile,
                    upsert=upsert,
                    attach=attach,
                    indexed=indexed,
                    progress=progress,
                    measure=targets is not None,
                )
                stats["added"] += added
                stats["pending"] += waiting
        if targets is None:
            if self._synced_at is None:
                self._synced_at = started
            self._disk_stamps = {"c": {}, "v": {}}
            self._full_at = time.monotonic()
            assert full_position is not None
            self._cursor = changes.Cursor(max(full_position, self._cursor.position))
        if stats["added"] or stats["removed"] or not self.loaded_from_disk:
            self.dirty = True
        with self._applied:
            self._applied.notify_all()
        return stats

    def _apply(
        self,
        session: Session,
        *,
        kind: str,
        ids: list[int],
        geo: Geo,
        profile: Callable[[Any, Geo], Any],
        upsert: Callable[..., int],
        attach: Callable[..., int],
        indexed: set[int],
        progress: Callable[[int], None] | None,
        measure: bool,
    ) -> tuple[int, int]:
        """Load one batch of changed profiles with their stored vectors and apply it; return (applied,
        pending). Without current vectors a profile waits for the indexer (``embed=False``) or is embedded by
        the inline indexer (``embed=True``)."""
        model: type[Candidate] | type[Vacancy] = Candidate if kind == "c" else Vacancy
        rows: list[Candidate] | list[Vacancy] = list(session.scalars(select(model).where(model.id.in_(ids))))  # type: ignore[assignment]
        stored = vectorstore.load_profiles(session, kind=kind, ids=[r.id for r in rows])
        version = self.engine.embedder.version
        stale = [r.id for r in rows if not is_current(stored.get(r.id), r.updated_at, version)]
        if stale and self.embed:
            indexer = self._inline_indexer()
            indexer.index(session, kind=kind, ids=stale)
            stored.update(vectorstore.load_profiles(session, kind=kind, ids=stale))
        ready = [r for r in rows if is_current(stored.get(r.id), r.updated_at, version)]
        waiting = {r.id for r in rows} - {r.id for r in ready}
        need = {d for r in ready for d in stored[r.id].digests}
        vectors = self.engine.vectors
        missing = [d for d in need if not vectors.has(d)]
        found = (
            vectorstore.load_vectors(session, model_version=version, digests=missing, dim=self.engine.embedder.dim)
            if missing
            else {}
        )
        profiles = [profile(r, geo) for r in ready]
        disk = self._disk_stamps[kind]
        fresh = [p for p in profiles if p.id in indexed and disk.get(str(p.id)) == p.stamp]
        fresh_ids = {p.id for p in fresh}
        others = [p for p in profiles if p.id not in fresh_ids]
        with self.writing():
            if found:
                vectors.add(list(found), vectors_of(found))
            self.engine.remember(x for r in ready for x in stored[r.id].resolved)
            added, failed = self._upsert(attach, upsert, fresh, others, progress)
        waiting |= failed
        self.pending[kind] = (self.pending[kind] - {r.id for r in ready}) | waiting
        if measure and self._synced_at is not None:  # changes written after this store was built
            now = dt.datetime.now(dt.UTC)
            since = self._synced_at
            self.lags.extend(
                (now - r.updated_at).total_seconds() for r in ready if r.id not in failed and r.updated_at > since
            )
        return added, len(waiting)

    @staticmethod
    def _upsert(
        attach: Callable[..., int],
        upsert: Callable[..., int],
        fresh: list[Any],
        others: list[Any],
        progress: Callable[[int], None] | None,
    ) -> tuple[int, set[int]]:
        """Apply a batch; a profile whose vectors are not all there (a frozen cache) waits instead."""
        try:
            attach(fresh)
            n = upsert(others, progress)
            if progress and fresh:
                progress(len(fresh))
            return n, set()
        except MissingVectors:
            failed: set[int] = set()
            n = 0
            for p in [*fresh, *others]:
                try:
                    n += upsert([p])
                except MissingVectors:
                    failed.add(p.id)
            if failed:
                log.warning("vectors missing for %d profile(s); they wait for the indexer", len(failed))
            return n, failed

    def _inline_indexer(self) -> Indexer:
        if self._inline is None:
            self._inline = Indexer(
                embedder=self.engine.embedder, taxonomy=self.engine.taxonomy, vectors=self.engine.vectors
            )
        self._inline.engine.vectors = self.engine.vectors
        self._inline.engine.taxonomy = self.engine.taxonomy
        return self._inline

    def follow(self, session: Session) -> dict[str, int]:
        """Apply what the change log says changed since this store's position (a full comparison when the
        log cannot say, and every ``FULL_SYNC_EVERY`` seconds for writes that bypassed it)."""
        if time.monotonic() - self._full_at > FULL_SYNC_EVERY:
            return self._sync(session, progress=None, targets=None)
        cursor = self._cursor
        before = cursor.position
        entries = cursor.read(session, limit=LOG_BATCH)
        if len(entries) >= LOG_BATCH:
            return self._sync(session, progress=None, targets=None)
        if not entries and not (self.pending["c"] or self.pending["v"]):
            return {"added": 0, "removed": 0, "pending": 0}
        targets: dict[str, set[int]] = {"c": set(), "v": set()}
        for _seq, kind, eid, _op in entries:
            targets.setdefault(kind, set()).add(eid)
        try:
            return self._sync(session, progress=None, targets=targets)
        except Exception:
            cursor.position = before  # read again next time
            raise

    def refresh(self, session: Session, *, max_age: float = 0.0) -> None:
        """Follow the change log from a request when no follower thread does (tests, the CLI).

        The check runs at most every ``max_age`` seconds, unless a local write marked the store stale. A
        request never waits for another request's sync: when one is running, it ranks on the engine as is.
        """
        if self.following:
            return
        now = time.monotonic()
        if not self._stale and now - self._checked_at < max_age:
            return
        if not self._sync_lock.acquire(blocking=False):
            return
        try:
            self._stale, self._checked_at = False, now
            session.flush()
            self.follow(session)
        finally:
            self._sync_lock.release()

    def run_follower(self, engine: Engine, *, stop: threading.Event, poll: float = 0.25) -> None:
        """Keep this store in step until ``stop`` is set (a thread of every API worker): woken by NOTIFY on
        PostgreSQL or a commit in this process, else every ``poll`` seconds."""
        self.following = True
        waiter = changes.Waiter(engine)
        try:
            while not stop.is_set():
                waiter.wait(poll)
                try:
                    with session_scope(engine) as s, self._sync_lock:
                        self.follow(s)
                except Exception:  # a database restart: log, wait, go on from the same position
                    log.exception("following the change log failed; retrying")
                    stop.wait(2.0)
        finally:
            waiter.close()
            self.following = False

    def wait_for(self, *, candidate_id: int | None = None, vacancy_id: int | None = None, timeout: float) -> bool:
        """Wait (no lock held) until a profile is in the engine, e.g. right after it was created; False after
        ``timeout`` seconds."""
        e = self.engine

        def present() -> bool:
            return (candidate_id is None or candidate_id in e.candidates) and (
                vacancy_id is None or vacancy_id in e.vacancies
            )

        with self._applied:
            return self._applied.wait_for(present, timeout=timeout)

    def mark_stale(self) -> None:
        """A local write happened: check the database on the next refresh."""
        self._stale = True

    def forget_candidate(self, candidate_id: int) -> None:
        """Remove a deleted candidate everywhere the engine keeps it: the in-memory index and profiles, the
        vectors of their texts, and the files on disk (saved before the DELETE answers)."""
        with self.writing():
            self.engine.remove_candidates([candidate_id], evict_texts=True)
            self.pending["c"].discard(candidate_id)
            self.dirty = True
        self.save()
