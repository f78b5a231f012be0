"""The persisted index follows the database: saved atomically, reused when current, repaired after a crash."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from models.db import session_scope
from models.services.matching import MANIFEST, EngineStore
from models.tables import Candidate


def _store(engine_embedder, folder, *, embed=True):
    store = EngineStore(embedder=engine_embedder, folder=folder, embed=embed)
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
        assert store2.sync(s) == {"added": 0, "removed": 0, "pending": 0}
    assert len(store2.engine.candidates) == 30 and len(store2.engine.vacancies) == 10

    # A change committed to the database but never saved to the index (a crash) is repaired on start.
    with session_scope(small_db) as s:
        cand = s.scalars(select(Candidate).order_by(Candidate.id)).first()
        cand.skills = [{"label": "fietsen repareren"}]
        changed_id = cand.id
        gone = s.scalars(select(Candidate).order_by(Candidate.id.desc())).first()
        gone_id = gone.id
        s.delete(gone)
    store3, _ = _store(engine_embedder, folder)
    with session_scope(small_db) as s:
        stats = store3.sync(s)
    assert stats == {"added": 1, "removed": 1, "pending": 0}
    assert store3.engine.candidates[changed_id].skills[0].label == "fietsen repareren"
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


@pytest.mark.parametrize("damage", ["manifest", "vectors", "index_folder", "index_file"])
def test_a_corrupt_index_is_moved_aside_and_rebuilt_from_the_database(small_db, engine_embedder, tmp_path, damage):
    """Was: /ready stayed 503, rankings answered 500 and `werkmatch index build` crashed on the same load."""
    folder = tmp_path / "index"
    store, _ = _store(engine_embedder, folder)
    with session_scope(small_db) as s:
        store.sync(s)
    store.save()
    vid = next(iter(store.engine.vacancies))
    expected = [(r.candidate_id, r.score) for r in store.engine.rank_candidates(vid, k=5, ladder_filter=False)]
    if damage == "manifest":
        (folder / MANIFEST).write_text('{"model_version": "half-writ')
    elif damage == "vectors":
        (folder / "textvectors.npz").write_bytes(b"PK\x03\x04 not a zip at all")
    elif damage == "index_folder":
        import shutil

        shutil.rmtree(folder / "candidates")
        (folder / "candidates").write_text("not a folder")
    else:
        for p in (folder / "vacancies").iterdir():
            p.write_bytes(b"\x00garbage")
    again, loaded = _store(engine_embedder, folder, embed=False)  # an API worker: it never embeds a profile
    assert not loaded
    assert list(tmp_path.glob("index.broken-*")), "the broken index is kept aside for inspection"
    with session_scope(small_db) as s:
        assert again.sync(s)["added"] == 40
    assert again.engine.vectors.encoded == 0, "rebuilt from the vectors in the database, not re-embedded"
    again.save()
    got = [(r.candidate_id, r.score) for r in again.engine.rank_candidates(vid, k=5, ladder_filter=False)]
    assert got == expected
    _, loaded = _store(engine_embedder, folder)
    assert loaded  # the rebuilt index is good again
