"""The nightly ranking step on Dask: a pickled engine ranks exactly as the original (and cannot encode), and the
nightly job's collection on a real LocalCluster of two worker processes writes exactly the ledger rows a single
process writes. Both databases."""

from __future__ import annotations

import datetime as dt
import pickle

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.bulk import RankJob
from matcher.engine import RankOnly
from models.enums import SubscriptionKind
from models.services.nightly.cluster import DaskRanker, InProcessRanker, rank_jobs, ranker_for
from models.services.nightly.collect import collect
from models.tables import Match, Notification, Subscription
from tests.test_nightly import world  # noqa: F401  (the nightly tests' demo world)

EVER = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _synced(world):  # noqa: F811
    with Session(world["engine"]) as s:
        world["store"].sync(s)
    return world["store"].engine


def _jobs(engine) -> list[RankJob]:
    open_ids = sorted(i for i, v in engine.vacancies.items() if v.status == "open")
    some = np.array(open_ids[::3], dtype=np.int64)
    jobs = [RankJob("vacancy", vid, 50, 0.0) for vid in open_ids]
    jobs += [RankJob("candidate", cid, 20, 10.0) for cid in sorted(engine.candidates)[:30]]
    jobs += [RankJob("candidate", cid, 20, 0.0, allowed=some) for cid in sorted(engine.candidates)[30:45]]
    return jobs


def _key(results):
    return [[(r.candidate_id, r.vacancy_id, r.score) for r in res] for res in results]


def test_a_pickled_engine_ranks_exactly_as_the_original_and_cannot_encode(world):  # noqa: F811
    engine = _synced(world)
    copy = pickle.loads(pickle.dumps(engine))
    assert isinstance(copy.embedder, RankOnly) and copy.embedder.version == engine.embedder.version
    assert copy.taxonomy is None and copy.today() == engine.today()
    jobs = _jobs(engine)
    expected = rank_jobs(engine, jobs)
    assert sum(len(r) for r in expected) > 100, "the demo world ranks something"
    assert _key(rank_jobs(copy, jobs)) == _key(expected)
    with pytest.raises(RuntimeError, match="ranks only"):
        copy.embedder.encode(["heftruckchauffeur"])


@pytest.fixture(scope="module")
def dask_ranker():
    with ranker_for("local", workers=2) as ranker:
        assert isinstance(ranker, DaskRanker) and ranker.workers() == 2
        yield ranker


def test_jobs_on_a_two_process_local_cluster_come_back_complete_and_in_order(world, dask_ranker):  # noqa: F811
    engine = _synced(world)
    jobs = _jobs(engine)
    assert _key(dask_ranker.run(engine, jobs)) == _key(InProcessRanker().run(engine, jobs))
    assert dask_ranker.run(engine, []) == []


def _collected(world, ranker):  # noqa: F811
    """The ledger rows one collection writes, in a transaction that is rolled back afterwards."""
    with world["engine"].connect() as conn:
        outer = conn.begin()
        try:
            with Session(bind=conn, join_transaction_mode="create_savepoint") as s:
                created, recipients = collect(s, store=world["store"], since=EVER, ranker=ranker)
                rows = s.execute(
                    select(Notification.user_id, Match.candidate_id, Match.vacancy_id, Match.score)
                    .join(Match, Match.id == Notification.match_id)
                    .order_by(Notification.user_id, Match.candidate_id, Match.vacancy_id)
                ).all()
                coaches = set(
                    s.scalars(
                        select(Subscription.user_id).where(Subscription.kind == SubscriptionKind.client_vacancies)
                    )
                )
        finally:
            outer.rollback()
    return created, recipients, [tuple(r) for r in rows], coaches


def test_the_nightly_collection_on_dask_writes_exactly_what_one_process_writes(world, dask_ranker):  # noqa: F811
    _synced(world)
    one = _collected(world, InProcessRanker())
    on_dask = _collected(world, dask_ranker)
    created, recipients, rows, coaches = one
    assert created > 20 and recipients > 3 and len(rows) == created
    assert {r[0] for r in rows} & coaches, "coaches' e-mails (ranked per client) are part of it"
    assert on_dask == one


def _indexed(world, embedder):  # noqa: F811
    """What an indexer with ``embedder`` writes for every demo profile: per profile its text digests, and the
    vectors of those digests (in a transaction that is rolled back afterwards)."""
    from models.services import vectorstore
    from models.services.indexer import Indexer
    from models.tables import Candidate, Vacancy

    indexer = Indexer(embedder=embedder, taxonomy=world["store"].engine.taxonomy)
    with world["engine"].connect() as conn:
        outer = conn.begin()
        try:
            with Session(bind=conn, join_transaction_mode="create_savepoint") as s:
                links, digests = {}, set()
                for kind, model in (("c", Candidate), ("v", Vacancy)):
                    ids = sorted(s.scalars(select(model.id)))
                    assert indexer.index(s, kind=kind, ids=ids) == len(ids)
                    for pid, stored in vectorstore.load_profiles(s, kind=kind, ids=ids).items():
                        assert stored.model_version == embedder.version
                        links[(kind, pid)] = tuple(stored.digests)
                        digests |= set(stored.digests)
                vectors = vectorstore.load_vectors(s, model_version=embedder.version, digests=digests, dim=embedder.dim)
        finally:
            outer.rollback()
    return links, {d: v.tobytes() for d, v in vectors.items()}


def test_embedding_on_a_two_process_local_cluster_stores_what_one_process_stores(world, dask_ranker):  # noqa: F811
    """Bulk (re-)embedding on Dask: the workers load the model themselves and encode chunks in parallel; the
    indexer writes exactly the vectors and links a single process writes."""
    from models.services.distributed import DaskEmbedder
    from tests.fakes import FakeEmbedder

    here = FakeEmbedder()
    on_dask = DaskEmbedder(dask_ranker.client, FakeEmbedder)
    assert (on_dask.dim, on_dask.version) == (here.dim, here.version)
    texts = [f"Zoekt werk als orderpicker {i}, heftruck en magazijn" for i in range(500)]
    assert np.array_equal(on_dask.encode(texts, kind="passage"), here.encode(texts, kind="passage"))
    assert on_dask.encode([]).shape == (0, here.dim)
    links, vectors = _indexed(world, on_dask)
    assert len(links) == 85 and len(vectors) > 200, "every demo profile and its texts"
    assert (links, vectors) == _indexed(world, FakeEmbedder())
