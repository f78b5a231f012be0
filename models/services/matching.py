"""Bridge between the database and the matching engine: profiles, index lifecycle, stored matches."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcher.embedder import Embedder
from matcher.engine import MatchEngine, TaxonomyContext
from matcher.index import FaissIndex, load_index
from matcher.profiles import CandidateProfile, Concept, Experience, VacancyProfile
from matcher.ranking import RankingConfig
from models.services.areas import Geo
from models.tables import Candidate, Vacancy

log = logging.getLogger("werkmatch.index")
MANIFEST = "manifest.json"


def _concepts(items: list[dict[str, Any]] | None) -> list[Concept]:
    return [Concept(i["label"], i.get("uri")) for i in items or [] if i.get("label")]


def _stamp(ts: dt.datetime | None) -> str:
    return ts.replace(tzinfo=None).isoformat(timespec="microseconds") if ts else ""


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
        experience=[Experience(e["title"], float(e.get("years") or 0), e.get("uri")) for e in c.experience or []],
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
        location=(pc.lat, pc.lon) if pc else None,
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


def data_version(session: Session) -> tuple[Any, ...]:
    """A cheap fingerprint of both tables: counts and latest changes."""
    c = session.execute(select(func.count(Candidate.id), func.max(Candidate.updated_at))).one()
    v = session.execute(select(func.count(Vacancy.id), func.max(Vacancy.updated_at))).one()
    return (c[0], _stamp(c[1]), v[0], _stamp(v[1]))


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


class EngineStore:
    """Owns the engine; keeps its indexes in step with the database and persists them atomically.

    The persisted manifest records, per id, the ``updated_at`` stamp each indexed vector was made
    from, plus the model version. On start (and before use, when the database changed), the stamps are
    compared with the database: new or changed rows are (re-)embedded and deleted rows removed. A crash
    between a database commit and an index save is therefore repaired on the next sync, never ignored.
    """

    def __init__(
        self,
        *,
        embedder: Embedder,
        folder: Path,
        taxonomy: TaxonomyContext | None = None,
        config: RankingConfig | None = None,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self.folder = folder
        self.engine = MatchEngine(embedder, config=config, taxonomy=taxonomy, index_factory=FaissIndex, today=today)
        self.lock = threading.RLock()  # held only for pure engine work, never while talking to the database
        self._sync_lock = threading.Lock()
        self._disk_stamps: dict[str, dict[str, str]] = {"c": {}, "v": {}}
        self._version: tuple[Any, ...] | None = None
        self.loaded_from_disk = False
        self.dirty = False
        self._stale = True
        self._checked_at = 0.0

    @property
    def index_version(self) -> str:
        """Model version and sizes, stamped on stored matches."""
        e = self.engine
        return f"{e.embedder.version}:{len(e.candidates)}c:{len(e.vacancies)}v"

    def load(self) -> bool:
        """Load a persisted index made with the same model; return whether one was used.

        An index that cannot be read (a corrupt or half-written manifest, vector file or index folder) is
        moved aside and the engine starts empty: the next sync rebuilds it from the database.
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

        A file lock keeps two processes (several workers, the nightly job) from saving at once.
        """
        import fcntl

        if not (self.dirty or force):
            return False
        with self.lock:
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
        """Bring the engine in step with the database; return what changed.

        The database is read first, with no engine lock held; the engine lock is then taken only to apply
        the changes (pure computation). Syncs never run twice at once (``_sync_lock``).
        """
        with self._sync_lock:
            return self._sync(session, progress=progress, force=force)

    def _sync(self, session: Session, *, progress: Callable[[int], None] | None, force: bool) -> dict[str, int]:
        session.flush()
        version = data_version(session)
        if not force and version == self._version:
            return {"added": 0, "removed": 0}
        e = self.engine
        geo = Geo.of(session)
        disk = self._disk_stamps
        stats = {"added": 0, "removed": 0}
        sides: list[tuple[Any, ...]] = [
            (
                Candidate,
                e.candidates,
                disk["c"],
                candidate_profile,
                e.upsert_candidates,
                e.attach_candidates,
                e.remove_candidates,
                e.cand_index,
            ),
            (
                Vacancy,
                e.vacancies,
                disk["v"],
                vacancy_profile,
                e.upsert_vacancies,
                e.attach_vacancies,
                e.remove_vacancies,
                e.vac_index,
            ),
        ]
        for model, known, disk_stamps, profile, upsert, attach, remove, index in sides:
            stamps = {i: _stamp(ts) for i, ts in session.execute(select(model.id, model.updated_at))}
            with self.lock:
                known_stamps = {i: p.stamp for i, p in known.items()}
                indexed = set(index.ids().tolist())
            gone = [i for i in known_stamps if i not in stamps]
            gone += [i for i in indexed if i not in stamps and i not in known_stamps]
            if gone:
                with self.lock:
                    stats["removed"] += remove(gone)
            changed = [i for i, s in stamps.items() if known_stamps.get(i) != s]
            for start in range(0, len(changed), 2000):
                ids = changed[start : start + 2000]
                rows = session.scalars(select(model).where(model.id.in_(ids))).all()
                profiles = [profile(r, geo) for r in rows]
                fresh = [p for p in profiles if p.id in indexed and disk_stamps.get(str(p.id)) == p.stamp]
                fresh_ids = {p.id for p in fresh}
                with self.lock:
                    attach(fresh)
                    stats["added"] += upsert([p for p in profiles if p.id not in fresh_ids], progress)
                if progress and fresh:
                    progress(len(fresh))
        self._disk_stamps = {"c": {}, "v": {}}
        self._version = version
        if stats["added"] or stats["removed"] or not self.loaded_from_disk:
            self.dirty = True
        return stats

    def refresh(self, session: Session, *, max_age: float = 0.0) -> None:
        """Sync when the database changed since the last sync.

        The change check (a count and max(updated_at) per table) runs at most every ``max_age`` seconds,
        unless a local write marked the store stale: changes made here are seen at once, changes made by
        other processes within ``max_age``. A request never waits for another request's sync: when one is
        running, this request ranks on the engine as it is.
        """
        now = time.monotonic()
        if not self._stale and now - self._checked_at < max_age:
            return
        if not self._sync_lock.acquire(blocking=False):
            return
        try:
            self._stale, self._checked_at = False, now
            session.flush()
            if data_version(session) != self._version:
                self._sync(session, progress=None, force=False)
        finally:
            self._sync_lock.release()

    def mark_stale(self) -> None:
        """A local write happened: check the database on the next refresh."""
        self._stale = True

    def forget_candidate(self, candidate_id: int) -> None:
        """Remove a deleted candidate everywhere the engine keeps it: the in-memory index and profiles, the
        vectors of their texts, and the files on disk (saved before the DELETE answers)."""
        with self.lock:
            self.engine.remove_candidates([candidate_id], evict_texts=True)
            self._version = None
            self.dirty = True
        self.save()
