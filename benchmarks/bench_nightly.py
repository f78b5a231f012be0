"""Nightly run over N candidates and M vacancies with 200 subscribed users, to a local SMTP sink."""

from __future__ import annotations

import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from benchmarks.world import build_world
from models.db import make_engine, session_scope
from models.enums import Role
from models.schemas import UserCreate
from models.services.mail import SmtpMailer
from models.services.nightly import run_nightly
from models.services.subscriptions import ensure_default_subscriptions
from models.services.users import create_user
from models.tables import Candidate, User
from tests.smtp import SmtpServer


def _users(settings: Any, n_users: int) -> None:
    eng = make_engine(settings.resolved_database_url)
    with session_scope(eng) as s:
        from models.services.areas import Geo

        areas = sorted(Geo(s).areas)
        roles = [Role.coach, Role.employer_adviser, Role.jobhunter]
        have = len(s.scalars(select(User)).all())
        for i in range(max(0, n_users - have)):
            role = roles[i % 3]
            create_user(
                s,
                data=UserCreate(
                    email=f"bench{i}@demo.werkmatch.nl", name=f"Gebruiker {i}", role=role, area=areas[i % len(areas)]
                ),
            )
        s.flush()
        coaches = [u for u in s.scalars(select(User).where(User.role == Role.coach))]
        by_area: dict[int, list[int]] = {}
        for u in coaches:
            by_area.setdefault(u.area_id or 0, []).append(u.id)
        for c in s.scalars(select(Candidate)):
            pool = by_area.get(c.area_id) or [coaches[0].id]
            c.coach_id = pool[c.id % len(pool)]
        ensure_default_subscriptions(s)
    eng.dispose()


def run_one(
    *,
    candidates: int,
    vacancies: int,
    users: int,
    distinct: int | None,
    clusters: list[str] | None = None,
    cluster_workers: int = 2,
) -> list[dict[str, Any]]:
    """One size: the world is built once, and each way of ranking (``clusters``) gets its own copy of it, so
    every one is a first run over the same data."""
    from werkmatch.runtime import make_store

    folder = Path(tempfile.mkdtemp(prefix="wm-bench-nightly-"))
    settings, built = build_world(folder, candidates=candidates, vacancies=vacancies, distinct=distinct)
    _users(settings, users)
    rows = []
    for n, cluster in enumerate(clusters or ["none"]):
        copy = folder.with_name(f"{folder.name}-{n}")
        shutil.copytree(folder, copy)
        here = settings.model_copy(
            update={"data_dir": copy, "database_url": settings.resolved_database_url.replace(str(folder), str(copy))}
        )
        store = make_store(here)
        eng = make_engine(here.resolved_database_url)
        out = dict(built)
        with SmtpServer() as server:
            here = here.model_copy(update={"smtp_port": server.port})
            mailer = SmtpMailer(host="127.0.0.1", port=server.port, retries=2, backoff=0.1)
            t = time.perf_counter()
            summary = run_nightly(
                engine=eng,
                store=store,
                settings=here,
                mailer=mailer,
                lock_dir=copy,
                cluster=cluster,
                cluster_workers=cluster_workers,
            )
            out["nightly_s"] = round(time.perf_counter() - t, 1)
            out["messages"] = len(server.sink.messages)
        out.update(
            {
                "cluster": cluster if cluster != "local" else f"local ({cluster_workers} processes)",
                "candidates": candidates,
                "vacancies": vacancies,
                "users": users,
                "distinct_profiles": distinct,
                "summary": summary.line(),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            }
        )
        eng.dispose()
        rows.append(out)
    return rows


def run(
    *,
    sizes: list[tuple[int, int]],
    users: int,
    distinct: int | None,
    clusters: list[str] | None = None,
    cluster_workers: int = 2,
) -> list[dict[str, Any]]:
    """Several sizes, to see how the run grows with data; each where it ranks (``clusters``)."""
    return [
        row
        for c, v in sizes
        for row in run_one(
            candidates=c,
            vacancies=v,
            users=users,
            distinct=distinct,
            clusters=clusters,
            cluster_workers=cluster_workers,
        )
    ]
