"""The schemathesis CLI, as an outside tester runs it, against a real server per role: zero failures.

All checks (``-c all``), every phase (examples, coverage, fuzzing, stateful), a fixed seed, a time budget
per role that fits CI (``WERKMATCH_CONTRACT_SECONDS``, default 20; the issue's full run is
``python -m tests.contract --seconds 180``). Each role gets a fresh server and database.
"""

from __future__ import annotations

import os

import pytest

from tests.conftest import POSTGRES
from tests.contract import ROLES, run_role

pytestmark = pytest.mark.slow  # a real server loads the real model

SECONDS = int(os.environ.get("WERKMATCH_CONTRACT_SECONDS", "20"))
DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(not POSTGRES, reason="no PostgreSQL"))]


@pytest.mark.parametrize("database", DATABASES)
@pytest.mark.parametrize("role", list(ROLES))
def test_the_schemathesis_cli_finds_nothing(role, database, tmp_path):
    failures = run_role(role, database=database, seconds=SECONDS, seed=4242, workdir=tmp_path)
    assert failures == [], "\n".join(f"{f['check']} {f['operation']}: {f['title']}" for f in failures)
