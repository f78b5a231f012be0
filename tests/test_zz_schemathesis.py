"""Property-based API testing with schemathesis against the OpenAPI schema: no 5xx, responses conform.

Each operation gets generated requests (valid and invalid) as several roles; the checks are
schemathesis' own: no server error, documented status code and content type, response body matching
the schema. (schemathesis' lazy pytest fixture does not work with pytest 9, so the operations are
driven from one test with Hypothesis directly.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import _make_env, make_api

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ROLES = ("coach.oost", "adviseur.oost", "jobhunter.oost", "admin")


@pytest.fixture(scope="module")
def fuzz(backend, tmp_path_factory, demo_store, esco_dir: Path):
    """A separate small world, so that fuzzing cannot disturb the other API tests."""
    db, env = _make_env(backend, tmp_path_factory, demo_store, esco_dir, candidates=40, vacancies=20)
    client = make_api(env, tmp_path_factory)
    yield client
    env["engine"].dispose()
    db.drop()


def test_api_conforms_to_its_schema(fuzz):
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz.http.app)
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 30
    failures: list[str] = []
    for op in operations:

        @given(case=op.as_strategy())
        @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            for role in ROLES:
                case.call_and_validate(headers=fuzz.as_(role), checks=CHECKS)

        try:
            run()
        except BaseException as exc:
            failures.append(f"{op.method.upper()} {op.path}: {_describe(exc)}")
    Path("/tmp/schemathesis-failures.txt").write_text("\n\n".join(failures))
    assert failures == []


def _describe(exc: BaseException) -> str:
    parts = [str(e) for e in getattr(exc, "exceptions", [])] or [str(exc)]
    return " | ".join(p[:400] for p in parts)
