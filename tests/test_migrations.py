"""Alembic migrations work both ways on SQLite and PostgreSQL and match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from models.migrate import downgrade, upgrade
from models.tables import Base


def test_upgrade_head_then_downgrade_base(fresh_db):
    eng = fresh_db.engine()
    upgrade(eng)
    tables = set(inspect(eng).get_table_names())
    assert {
        "areas",
        "candidates",
        "candidate_personal",
        "vacancies",
        "matches",
        "notifications",
        "audit_events",
        "api_tokens",
        "subscriptions",
    } <= tables
    downgrade(eng)
    assert set(inspect(eng).get_table_names()) <= {"alembic_version"}
    upgrade(eng)  # and up again
    assert "candidates" in inspect(eng).get_table_names()
    eng.dispose()


def test_models_and_migrations_agree(fresh_db):
    eng = fresh_db.engine()
    upgrade(eng)
    with eng.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    eng.dispose()
    assert diff == [], f"models differ from migrations: {diff}"
