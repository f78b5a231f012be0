"""Settings fail fast; the engine package stays free of web and database frameworks."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from pydantic import ValidationError

from werkmatch.settings import Settings

REPO = Path(__file__).resolve().parents[1]


def test_production_refuses_default_secret_and_database():
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment="production", database_url="postgresql://x/y")
    with pytest.raises(ValidationError, match="DATABASE_URL"):
        Settings(environment="production", secret_key="x" * 40)
    ok = Settings(environment="production", secret_key="x" * 40, database_url="postgresql://x/y")
    assert ok.resolved_database_url == "postgresql://x/y"


def test_defaults_use_sqlite_in_the_data_dir(tmp_path):
    s = Settings(data_dir=tmp_path, database_url=None)
    assert s.resolved_database_url == f"sqlite:///{tmp_path / 'werkmatch.db'}"
    assert s.resolved_model_dir == tmp_path / "model"


def test_env_prefix(monkeypatch, tmp_path):
    monkeypatch.setenv("WERKMATCH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WERKMATCH_SMTP_PORT", "2525")
    s = Settings()
    assert s.data_dir == tmp_path and s.smtp_port == 2525


def test_matcher_imports_neither_fastapi_nor_sqlalchemy():
    offenders = []
    for path in (REPO / "matcher").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in {"fastapi", "sqlalchemy", "starlette", "models", "api"}:
                    offenders.append(f"{path.relative_to(REPO)}: {name}")
    assert offenders == []
