"""The persisted index follows the database: saved atomically, reused when current, repaired after a crash."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from models.db import session_scope
from models.migrate import upgrade
from models.services.demo import load_demo
from models.services.matching import MANIFEST, EngineStore
from models.tables import Candidate


@pytest.fixture
def small_db(fresh_db):
    eng = fresh_db.engine()
    upgrade(eng)
    with session_scope(eng) as s:
        load_demo(s, candidates=30, vacancies=10, seed=3)
    yield eng
    eng.dispose()


def _store(engine_embedder, folder):
    store = EngineStore(embedder=engine_embedder, folder=folder)
    return store, store.load()


def test_build_save_reuse_and_repair(small_db, engine_embedder, tmp_path):
    folder = tmp_path / "index"
    store, loaded = _store(engine_embedder, folder)
    assert not loaded
    with session_scope(small_db) as s:
        assert store.sync(s)["added"] == 40
    store.save()
    assert (folder / MANIFEST).is_file() and (folder / "candidates" / "index.json").is_file()

    # A restart with an unchanged database reuses the saved vectors: nothing is re-embedded.
    store2, loaded = _store(engine_embedder, folder)
    assert loaded
    with session_scope(small_db) as s:
        assert store2.sync(s) == {"added": 0, "removed": 0}
    assert len(store2.engine.candidates) == 30 and len(store2.engine.vacancies) == 10

    # A change committed to the database but never saved to the index (a crash) is repaired on start.
    with session_scope(small_db) as s:
        cand = s.scalars(select(Candidate).order_by(Candidate.id)).first()
        cand.about = "Ik wil graag fietsen repareren in een fietsenwinkel."
        changed_id = cand.id
        gone = s.scalars(select(Candidate).order_by(Candidate.id.desc())).first()
        gone_id = gone.id
        s.delete(gone)
    store3, _ = _store(engine_embedder, folder)
    with session_scope(small_db) as s:
        stats = store3.sync(s)
    assert stats == {"added": 1, "removed": 1}
    assert store3.engine.candidates[changed_id].about.startswith("Ik wil graag fietsen")
    assert gone_id not in store3.engine.cand_index.ids().tolist()
    assert gone_id not in store3.engine.candidates

    # An index built with another model is not used.
    meta = json.loads((folder / MANIFEST).read_text())
    meta["model_version"] = "another-model"
    (folder / MANIFEST).write_text(json.dumps(meta))
    _, loaded = _store(engine_embedder, folder)
    assert not loaded


def test_refresh_notices_changes_made_elsewhere(small_db, engine_embedder, tmp_path):
    store, _ = _store(engine_embedder, tmp_path / "ix")
    with session_scope(small_db) as s:
        store.sync(s)
    with session_scope(small_db) as s:
        s.delete(s.scalars(select(Candidate).order_by(Candidate.id)).first())
    with session_scope(small_db) as s:
        store.refresh(s)
    assert len(store.engine.candidates) == 29
