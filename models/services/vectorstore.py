"""Vectors are data: what the indexer computed, stored once in the database, read by every API worker.

``text_vectors`` holds one float32 vector per (model version, SHA-256 digest of a text): the same text is
embedded once, whoever uses it. ``profile_texts`` links each profile to the digests of its texts and
``profile_vectors`` says from which version of the profile (its ``updated_at``) and with which model they
were made, and how its labels resolved to ESCO. No text is stored, only digests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import and_, delete, exists, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models.tables import ProfileText, ProfileVectors, TextVector, utcnow

CHUNK = 5000


@dataclass(frozen=True)
class StoredProfile:
    """What the database holds about one profile's vectors."""

    kind: str
    entity_id: int
    model_version: str
    source_updated_at: dt.datetime
    resolved: list[Any]
    digests: tuple[str, ...]


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _insert_ignore(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    stmt: Any
    if dialect == "postgresql":
        stmt = postgresql.insert(table).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).on_conflict_do_nothing()
    else:  # pragma: no cover - the two supported databases are above
        stmt = insert(table)
    for part in _chunks(rows, 2000):
        session.execute(stmt, list(part))


def load_profiles(session: Session, *, kind: str, ids: Sequence[int]) -> dict[int, StoredProfile]:
    """The stored vector records of these profiles (those that have one)."""
    out: dict[int, StoredProfile] = {}
    digests: dict[int, list[str]] = {}
    for part in _chunks(list(ids)):
        for eid, digest in session.execute(
            select(ProfileText.entity_id, ProfileText.digest).where(
                ProfileText.kind == kind, ProfileText.entity_id.in_(part)
            )
        ):
            digests.setdefault(eid, []).append(digest)
        for pv in session.scalars(
            select(ProfileVectors).where(ProfileVectors.kind == kind, ProfileVectors.entity_id.in_(part))
        ):
            out[pv.entity_id] = StoredProfile(
                kind,
                pv.entity_id,
                pv.model_version,
                pv.source_updated_at,
                list(pv.resolved or []),
                tuple(digests.get(pv.entity_id, ())),
            )
    return out


def load_vectors(session: Session, *, model_version: str, digests: Iterable[str], dim: int) -> dict[str, np.ndarray]:
    """Stored vectors of these digests for one model (those that exist)."""
    keys = sorted(set(digests))
    out: dict[str, np.ndarray] = {}
    for part in _chunks(keys):
        for digest, blob in session.execute(
            select(TextVector.digest, TextVector.vector).where(
                TextVector.model_version == model_version, TextVector.digest.in_(part)
            )
        ):
            vec = np.frombuffer(blob, dtype=np.float32)
            if vec.shape == (dim,):
                out[digest] = vec
    return out


def store_vectors(session: Session, *, model_version: str, vectors: dict[str, np.ndarray]) -> None:
    """Store text vectors (a digest already stored is left as it is)."""
    rows = [
        {"model_version": model_version, "digest": k, "vector": np.asarray(v, dtype=np.float32).tobytes()}
        for k, v in vectors.items()
    ]
    _insert_ignore(session, TextVector, rows)


def store_profiles(
    session: Session,
    *,
    kind: str,
    model_version: str,
    profiles: Sequence[tuple[int, dt.datetime, Sequence[str], Sequence[Any]]],
) -> None:
    """Record, per profile ``(id, updated_at, digests, resolved)``, which vectors make it (replacing older)."""
    if not profiles:
        return
    ids = [p[0] for p in profiles]
    for part in _chunks(ids):
        session.execute(delete(ProfileText).where(ProfileText.kind == kind, ProfileText.entity_id.in_(part)))
        session.execute(delete(ProfileVectors).where(ProfileVectors.kind == kind, ProfileVectors.entity_id.in_(part)))
    now = utcnow()
    pv_rows = [
        {
            "kind": kind,
            "entity_id": eid,
            "model_version": model_version,
            "source_updated_at": stamp,
            "resolved": [list(r) for r in resolved],
            "indexed_at": now,
        }
        for eid, stamp, _digests, resolved in profiles
    ]
    # Ignoring a conflict: an inline index of the same profile by a concurrent transaction got there first
    # (same version, or an older one that the next reconciliation sees as stale and indexes again).
    _insert_ignore(session, ProfileVectors, pv_rows)
    links = [{"kind": kind, "entity_id": eid, "digest": d} for eid, _s, digests, _r in profiles for d in set(digests)]
    _insert_ignore(session, ProfileText, links)


def forget(session: Session, *, kind: str, ids: Sequence[int]) -> int:
    """Delete the vector records of these profiles and every text vector no other profile uses; return how
    many text vectors went. Called in the transaction that deletes the profiles."""
    if not ids:
        return 0
    digests: set[str] = set()
    for part in _chunks(list(ids)):
        digests.update(
            session.scalars(select(ProfileText.digest).where(ProfileText.kind == kind, ProfileText.entity_id.in_(part)))
        )
        session.execute(delete(ProfileText).where(ProfileText.kind == kind, ProfileText.entity_id.in_(part)))
        session.execute(delete(ProfileVectors).where(ProfileVectors.kind == kind, ProfileVectors.entity_id.in_(part)))
    gone = 0
    for part in _chunks(sorted(digests)):
        in_use = exists().where(ProfileText.digest == TextVector.digest)
        res = session.execute(delete(TextVector).where(and_(TextVector.digest.in_(part), ~in_use)))
        gone += int(getattr(res, "rowcount", 0) or 0)
    return gone


def prune_models(session: Session, *, keep: str) -> int:
    """Delete the text vectors of every other model version (after a model change is fully re-indexed)."""
    res = session.execute(delete(TextVector).where(TextVector.model_version != keep))
    return int(getattr(res, "rowcount", 0) or 0)
