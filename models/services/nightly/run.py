"""The run: lock, window, collect, deliver; a dry run is the same delivery into a rolled-back transaction."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from models.db import real_transaction, session_factory
from models.services.locks import LockLost
from models.services.mail import Mailer
from models.services.nightly.cluster import Ranker, ranker_for
from models.services.nightly.collect import collect
from models.services.nightly.deliver import deliver
from models.services.nightly.lock import nightly_lock
from models.services.nightly.message import MailSettings
from models.services.nightly.summary import NightlySummary
from models.tables import NightlyRun, utcnow

log = logging.getLogger("werkmatch.nightly")

if TYPE_CHECKING:
    from pathlib import Path

    from models.services.matching import EngineStore


FINISHED = ("ok", "with_failures")  # runs that went through every recipient: the window moves on after them


def last_success(session: Session) -> dt.datetime | None:
    """Start of the last run that went through every recipient (some may have been refused)."""
    return session.scalar(
        select(NightlyRun.started_at).where(NightlyRun.status.in_(FINISHED)).order_by(NightlyRun.id.desc()).limit(1)
    )


def run_nightly(
    *,
    engine: Engine,
    store: EngineStore,
    settings: MailSettings,
    mailer: Mailer,
    lock_dir: Path,
    since: dt.datetime | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    cluster: str = "none",
    cluster_workers: int = 2,
) -> NightlySummary:
    """Run the whole job under the lock; a dry run writes .eml files and leaves the ledger untouched. The
    rankings run on ``cluster`` (``none``: this process; ``local``: a Dask LocalCluster of ``cluster_workers``
    processes; ``tcp://HOST:8786``: a Dask scheduler), the ledger is written here."""
    t0 = time.perf_counter()
    factory = session_factory(engine)
    with nightly_lock(engine, lock_dir) as lock:
        with factory() as s, s.begin():
            started = utcnow()
            window = since or last_success(s) or (started - dt.timedelta(days=1))
            run = NightlyRun(started_at=started, since=window, status="running")
            s.add(run)
            s.flush()
            run_id = run.id
        summary = NightlySummary(since=window, dry_run=dry_run)
        with factory() as s:
            store.sync(s)
        try:
            if dry_run:
                with ranker_for(cluster, workers=cluster_workers) as ranker:
                    _dry_run(
                        engine,
                        store=store,
                        mailer=mailer,
                        settings=settings,
                        window=window,
                        summary=summary,
                        ranker=ranker,
                    )
            else:
                with ranker_for(cluster, workers=cluster_workers) as ranker, factory() as s, s.begin():
                    summary.new_matches, _ = collect(s, store=store, since=window, ranker=ranker)
                    lock.check()  # the ledger is written only under the lock
                deliver(
                    factory,
                    mailer=mailer,
                    settings=settings,
                    since=window,
                    summary=summary,
                    lock=lock,
                    progress=progress,
                )
        except LockLost as exc:
            summary.stopped = exc.detail
            log.error("nightly run stopped: %s", exc.detail)
        summary.seconds = time.perf_counter() - t0
        with factory() as s, s.begin():
            done = s.get(NightlyRun, run_id)
            if done is not None:
                done.finished_at = utcnow()
                done.status = "dry-run" if dry_run else summary.status
                done.summary = {
                    "line": summary.line(),
                    "failed": summary.failed_recipients,
                    "deferred": summary.deferred_recipients,
                }
    mailer.close()
    return summary


def _dry_run(
    engine: Engine,
    *,
    store: EngineStore,
    mailer: Mailer,
    settings: MailSettings,
    window: dt.datetime,
    summary: NightlySummary,
    ranker: Ranker,
) -> None:
    """Collect and deliver exactly as a real run does, inside one transaction that is rolled back at the end:
    every commit of the delivery becomes a savepoint, so the ledger is left untouched."""
    with engine.connect() as conn:
        outer = conn.begin()
        real_transaction(conn)
        try:
            factory = sessionmaker(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
            with factory() as s, s.begin():
                summary.new_matches, _ = collect(s, store=store, since=window, ranker=ranker)
            deliver(factory, mailer=mailer, settings=settings, since=window, summary=summary)
        finally:
            outer.rollback()
