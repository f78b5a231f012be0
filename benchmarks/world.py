"""A benchmark world: a demo database with many candidates, an index, settings pointing at both."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from pathlib import Path
from typing import Any

from models.db import make_engine, session_scope
from models.migrate import upgrade
from models.services.demo import load_demo
from werkmatch.settings import Settings, get_settings

TODAY = dt.date(2026, 11, 2)


PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def database_url(folder: Path, database: str) -> str:
    """A fresh database for a benchmark: a SQLite file in ``folder``, or a new schema on the local PostgreSQL."""
    if database == "sqlite":
        return f"sqlite:///{folder / 'bench.db'}"
    from sqlalchemy import create_engine, text

    schema = f"wm_bench_{folder.name.replace('-', '_').lower()}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return f"{PG_URL}?options=-csearch_path%3D{schema}"


def drop_database(url: str) -> None:
    """Remove a benchmark's PostgreSQL schema (a SQLite file goes with its folder)."""
    if "search_path" not in url:
        return
    from sqlalchemy import create_engine, text

    schema = url.rsplit("%3D", 1)[1]
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def build_world(
    folder: Path,
    *,
    candidates: int,
    vacancies: int,
    distinct: int | None,
    seed: int = 1,
    database: str = "sqlite",
) -> tuple[Settings, dict[str, Any]]:
    """Create the database (``sqlite`` or ``postgresql``) and the index in ``folder``; return settings and
    timings."""
    from matcher.esco import cached_esco
    from werkmatch.runtime import make_store

    base = get_settings()
    folder.mkdir(parents=True, exist_ok=True)
    if (base.data_dir / "cache").is_dir():
        shutil.copytree(base.data_dir / "cache", folder / "cache", dirs_exist_ok=True)
    settings = Settings(
        data_dir=folder,
        database_url=database_url(folder, database),
        model_dir=base.resolved_model_dir,
        esco_dir=base.esco_dir,
    )
    info: dict[str, Any] = {}
    eng = make_engine(settings.resolved_database_url)
    upgrade(eng)
    t = time.perf_counter()
    with session_scope(eng) as s:
        esco = cached_esco(str(settings.esco_dir)) if settings.esco_available else None
        load_demo(s, candidates=candidates, vacancies=vacancies, seed=seed, esco=esco, today=TODAY, distinct=distinct)
    info["load_db_s"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    store = make_store(settings)
    with session_scope(eng) as s:
        store.sync(s)
    store.save()
    info["index_build_s"] = round(time.perf_counter() - t, 1)
    eng.dispose()
    return settings, info
