"""Vectors are data: one indexer embeds each change once into the database; API workers follow the change
log and load those vectors, never embedding a profile themselves."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from matcher.textvectors import text_key
from models.db import session_scope
from models.services import changes
from models.services.indexer import Indexer, leader_lock
from models.services.matching import EngineStore, ReadWriteLock
from models.tables import Area, Candidate, ChangeLog, ProfileText, ProfileVectors, TextVector

TODAY = "2026-11-02"


def _store(engine_embedder, taxonomy, folder, *, embed):
    import datetime as dt

    return EngineStore(
        embedder=engine_embedder,
        folder=folder,
        taxonomy=taxonomy,
        embed=embed,
        today=lambda: dt.date.fromisoformat(TODAY),
    )


class EncodeWatch:
    """Records which threads call the embedder (the indexer may; an API worker's follower may not)."""

    def __init__(self, embedder, monkeypatch) -> None:
        self.threads: list[str] = []
        original = embedder.encode

        def encode(texts, *, kind="query"):
            self.threads.append(threading.current_thread().name)
            return original(texts, kind=kind)

        monkeypatch.setattr(embedder, "encode", encode)


def _candidate(session, *, skill: str, external_id: str) -> Candidate:
    area = session.scalar(select(Area).where(Area.code == "oost"))
    cand = Candidate(
        external_id=external_id,
        area_id=area.id,
        postcode="9733",
        ladder_step=5,
        hours_min=20,
        hours_max=32,
        desired_occupations=[{"label": "orderpicker"}],
        skills=[{"label": skill}],
    )
    session.add(cand)
    session.flush()
    return cand


def _ops(session, kind: str, eid: int) -> list[str]:
    stmt = select(ChangeLog.op).where(ChangeLog.kind == kind, ChangeLog.entity_id == eid).order_by(ChangeLog.seq)
    return list(session.scalars(stmt))


def test_every_change_of_a_profile_is_logged_in_its_own_transaction(small_db):
    with session_scope(small_db) as s:
        cid = _candidate(s, skill="heftruck rijden", external_id="log-1").id
    with session_scope(small_db) as s:
        s.get(Candidate, cid).hours_max = 36
    with session_scope(small_db) as s:
        s.delete(s.get(Candidate, cid))
    with session_scope(small_db) as s:
        assert _ops(s, "c", cid) == ["upsert", "upsert", "delete"]
        before = changes.position(s)
    with pytest.raises(RuntimeError), session_scope(small_db) as s:  # a rolled-back change leaves no entry
        _candidate(s, skill="x", external_id="log-2")
        raise RuntimeError("rollback")
    with session_scope(small_db) as s:
        assert changes.since(s, before) == []


def test_the_indexer_stores_vectors_once_and_a_worker_loads_them_without_embedding(
    small_db, engine_embedder, taxonomy, tmp_path, monkeypatch
):
    indexer = Indexer(embedder=engine_embedder, taxonomy=taxonomy)
    assert indexer.catch_up(small_db) == 40
    assert indexer.catch_up(small_db) == 0, "nothing changed: nothing is embedded again"
    with session_scope(small_db) as s:
        assert s.scalar(select(func.count()).select_from(ProfileVectors)) == 40
        n_vectors = s.scalar(select(func.count()).select_from(TextVector))
        n_links = s.scalar(select(func.count()).select_from(ProfileText))
    assert 0 < n_vectors <= n_links, "a text shared by profiles is stored once"

    reference = _store(engine_embedder, taxonomy, tmp_path / "ref", embed=True)
    with session_scope(small_db) as s:
        reference.sync(s)
    watch = EncodeWatch(engine_embedder, monkeypatch)
    worker = _store(engine_embedder, taxonomy, tmp_path / "worker", embed=False)
    with session_scope(small_db) as s:
        assert worker.sync(s) == {"added": 40, "removed": 0, "pending": 0}
    assert watch.threads == [] and worker.engine.vectors.encoded == 0, "an API worker never embeds a profile"
    for vid in list(worker.engine.vacancies)[:5]:
        got = [(r.candidate_id, r.score) for r in worker.engine.rank_candidates(vid, k=10, ladder_filter=False)]
        want = [(r.candidate_id, r.score) for r in reference.engine.rank_candidates(vid, k=10, ladder_filter=False)]
        assert got == want


def test_a_profile_without_vectors_waits_for_the_indexer(small_db, engine_embedder, taxonomy, tmp_path):
    worker = _store(engine_embedder, taxonomy, tmp_path / "w", embed=False)
    with session_scope(small_db) as s:
        assert worker.sync(s)["pending"] == 40
    assert not worker.engine.candidates and worker.engine.vectors.encoded == 0
    Indexer(embedder=engine_embedder, taxonomy=taxonomy).catch_up(small_db)
    with session_scope(small_db) as s:
        worker.follow(s)
    assert len(worker.engine.candidates) == 30 and len(worker.engine.vacancies) == 10
    assert worker.pending == {"c": set(), "v": set()}


def test_a_change_reaches_a_following_worker_within_two_seconds(
    small_db, engine_embedder, taxonomy, tmp_path, monkeypatch
):
    """The path of a write in production: commit → change log (+ NOTIFY) → indexer embeds once and logs
    ``indexed`` → every worker's follower loads the stored vectors (no embedding there)."""
    stop = threading.Event()
    indexer = Indexer(embedder=engine_embedder, taxonomy=taxonomy)
    worker = _store(engine_embedder, taxonomy, tmp_path / "w", embed=False)
    indexer.catch_up(small_db)
    with session_scope(small_db) as s:
        worker.sync(s)
    watch = EncodeWatch(engine_embedder, monkeypatch)
    threads = [
        threading.Thread(
            target=indexer.run, args=(small_db,), kwargs={"stop": stop, "lock_folder": tmp_path}, name="indexer"
        ),
        threading.Thread(target=worker.run_follower, args=(small_db,), kwargs={"stop": stop}, name="follower"),
    ]
    for t in threads:
        t.start()

    def until(check) -> float:
        t0 = time.monotonic()
        while not check():
            assert time.monotonic() - t0 < 2.0, "not in step within 2 s"
            time.sleep(0.01)
        return time.monotonic() - t0

    try:
        with session_scope(small_db) as s:
            cid = _candidate(s, skill="vorkheftruck besturen", external_id="follow-1").id
        until(lambda: cid in worker.engine.candidates)
        with session_scope(small_db) as s:
            s.get(Candidate, cid).skills = [{"label": "bestellingen verzamelen"}]
        until(lambda: [x.label for x in worker.engine.candidates[cid].skills] == ["bestellingen verzamelen"])
        with session_scope(small_db) as s:
            s.delete(s.get(Candidate, cid))
        until(lambda: cid not in worker.engine.candidates)
        assert cid not in worker.engine.cand_index.ids().tolist()
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=10)
    assert "follower" not in watch.threads, "the worker embedded a profile"
    assert "indexer" in watch.threads, "the indexer embedded the new texts"
    assert len(worker.lags) >= 2 and max(worker.lags) < 2.0


def test_deleting_a_profile_deletes_its_vectors_but_not_shared_ones(small_db, engine_embedder, taxonomy):
    with session_scope(small_db) as s:
        marked = _candidate(s, skill="markeertekst-7f3a unieke vaardigheid", external_id="del-1").id
        twin = _candidate(s, skill="heftruck rijden", external_id="del-2").id
    Indexer(embedder=engine_embedder, taxonomy=taxonomy).catch_up(small_db)
    marker = text_key("markeertekst-7f3a unieke vaardigheid")
    with session_scope(small_db) as s:
        assert s.get(TextVector, (engine_embedder.version, marker)) is not None
        shared = set(
            s.scalars(select(ProfileText.digest).where(ProfileText.entity_id == twin, ProfileText.kind == "c"))
        )
        s.delete(s.get(Candidate, marked))
    with session_scope(small_db) as s:
        assert s.get(ProfileVectors, ("c", marked)) is None
        assert not list(s.scalars(select(ProfileText).where(ProfileText.kind == "c", ProfileText.entity_id == marked)))
        assert s.get(TextVector, (engine_embedder.version, marker)) is None, "the deleted profile's text is gone"
        left = set(s.scalars(select(TextVector.digest).where(TextVector.digest.in_(shared))))
        assert left == shared, "texts another profile uses stay"


def test_the_cursor_never_skips_a_change_committed_late(small_db):
    with session_scope(small_db) as s:
        start = changes.position(s)
        s.add(ChangeLog(seq=start + 1, kind="c", entity_id=1, op="upsert"))
        s.add(ChangeLog(seq=start + 3, kind="c", entity_id=3, op="upsert"))  # 2 is not committed yet
    cursor = changes.Cursor(start, patience=60)
    with session_scope(small_db) as s:
        assert [e[0] for e in cursor.read(s)] == [start + 1, start + 3]
    assert cursor.position == start + 1, "stops before the gap"
    with session_scope(small_db) as s:
        s.add(ChangeLog(seq=start + 2, kind="c", entity_id=2, op="upsert"))
    with session_scope(small_db) as s:
        assert [e[0] for e in cursor.read(s)] == [start + 2, start + 3]
    assert cursor.position == start + 3
    with session_scope(small_db) as s:  # a gap that never fills (a rolled-back insert) is passed after a while
        s.add(ChangeLog(seq=start + 5, kind="c", entity_id=5, op="upsert"))
    impatient = changes.Cursor(start + 3, patience=0)
    with session_scope(small_db) as s:
        impatient.read(s)
    assert impatient.position == start + 5


def test_only_one_indexer_works_at_a_time(small_db, tmp_path):
    with leader_lock(small_db, tmp_path) as first, leader_lock(small_db, tmp_path) as second:
        assert first and not second
    with leader_lock(small_db, tmp_path) as again:
        assert again


def test_readers_share_the_engine_and_a_waiting_writer_goes_first():
    lock = ReadWriteLock()
    inside: list[str] = []
    both_in = threading.Barrier(2, timeout=5)

    def reader(name: str) -> None:
        with lock.reading():
            inside.append(name)
            both_in.wait()  # two readers at once, or this times out

    readers = [threading.Thread(target=reader, args=(f"r{i}",)) for i in range(2)]
    for t in readers:
        t.start()
    for t in readers:
        t.join(timeout=5)
    assert sorted(inside) == ["r0", "r1"]

    order: list[str] = []
    release = threading.Event()

    def long_reader() -> None:
        with lock.reading():
            order.append("reader-1")
            release.wait(5)

    def writer() -> None:
        with lock.writing():
            order.append("writer")

    def late_reader() -> None:
        with lock.reading():
            order.append("reader-2")

    t1 = threading.Thread(target=long_reader)
    t1.start()
    time.sleep(0.05)
    tw = threading.Thread(target=writer)
    tw.start()
    time.sleep(0.05)
    t2 = threading.Thread(target=late_reader)
    t2.start()
    time.sleep(0.05)
    assert order == ["reader-1"], "the writer waits for the reader; the late reader waits behind the writer"
    release.set()
    for t in (t1, tw, t2):
        t.join(timeout=5)
    assert order == ["reader-1", "writer", "reader-2"]
