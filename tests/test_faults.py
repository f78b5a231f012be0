"""When the database is away, busy or full: reads are run again, writes answer 503 with Retry-After and
change nothing, and ``/ready`` tells a load balancer what users feel (stuck requests, an exhausted pool).

The real thing (a PostgreSQL restart under load, SIGTERM with a request stuck in the database) is in
``tests/test_zz_faults.py``; these run in-process on both databases.
"""

from __future__ import annotations

import threading
import time
from contextlib import ExitStack

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from models.tables import Candidate


@pytest.fixture
def app_with(api_env, tmp_path):
    """An app over the API tests' world with settings of the test's choosing, and a client as a demo user."""
    from api.main import create_app
    from werkmatch.settings import Settings

    clients: list[TestClient] = []

    def build(**overrides):
        settings = Settings(database_url=api_env["url"], data_dir=tmp_path, **overrides)
        app = create_app(settings, store=api_env["store"], preload=False)
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return app, client

    yield build
    for client in clients:
        client.__exit__(None, None, None)


def _as(api_env, who: str = "coach.oost") -> dict[str, str]:
    return {"Authorization": f"Bearer {api_env['tokens'][who]}"}


def _own_client(api_env) -> int:
    with Session(api_env["engine"]) as s:
        coach = api_env["users"]["coach.oost"]
        return int(s.scalar(select(Candidate.id).where(Candidate.coach_id == coach).order_by(Candidate.id)))


@pytest.fixture
def fail_statements(request):
    """``fail(engine, times, match)``: the next ``times`` statements on ``engine`` whose SQL contains ``match``
    fail as over a lost connection (whatever issues them: a query, a flush, a commit); returns them."""
    undo: list = []

    def fail(engine, times: int, *, match: str = "") -> list[str]:
        seen: list[str] = []

        def before(conn, cursor, statement, parameters, context, executemany):
            if len(seen) < times and match in statement:
                seen.append(statement)
                raise OperationalError(statement, {}, Exception("server closed the connection unexpectedly"))

        event.listen(engine, "before_cursor_execute", before)
        undo.append(lambda: event.remove(engine, "before_cursor_execute", before))
        return seen

    yield fail
    for u in undo:
        u()


def test_a_read_that_meets_a_restarting_database_is_run_again_and_answers_200(api_env, app_with, fail_statements):
    app, client = app_with()
    cid = _own_client(api_env)
    failed = fail_statements(app.state.engine, 2, match="FROM candidates")
    res = client.get(f"/v1/candidates/{cid}", headers=_as(api_env))
    assert res.status_code == 200, res.text
    assert res.json()["id"] == cid
    assert len(failed) == 2, "the first two tries met the lost connection"
    assert "x-werkmatch-retryable" not in res.headers
    assert "werkmatch_read_retries_total 2.0" in client.get("/metrics").text


def test_a_read_the_database_stays_away_for_answers_503_with_retry_after(api_env, app_with, fail_statements):
    app, client = app_with()
    cid = _own_client(api_env)
    failed = fail_statements(app.state.engine, 100, match="FROM candidates")
    t = time.monotonic()
    res = client.get(f"/v1/candidates/{cid}", headers=_as(api_env))
    assert res.status_code == 503
    assert res.headers["content-type"].startswith("application/problem+json")
    assert res.headers["retry-after"] == "2"
    assert "x-werkmatch-retryable" not in res.headers, "the internal marker never reaches a client"
    assert len(failed) == 5, "one try and four more"
    assert time.monotonic() - t < 10


def test_a_write_is_never_run_twice(api_env, app_with, fail_statements):
    app, client = app_with()
    cid = _own_client(api_env)
    before = client.get(f"/v1/candidates/{cid}", headers=_as(api_env)).json()["hours_max"]
    new = 39 if before != 39 else 38
    failed = fail_statements(app.state.engine, 1, match="UPDATE candidates")
    res = client.patch(f"/v1/candidates/{cid}", headers=_as(api_env), json={"hours_max": new})
    assert res.status_code == 503 and res.headers["retry-after"] == "2"
    assert len(failed) == 1
    assert client.get(f"/v1/candidates/{cid}", headers=_as(api_env)).json()["hours_max"] == before


def test_ready_fails_while_a_request_is_stuck_and_recovers_when_it_ends(api_env, app_with, monkeypatch):
    _, client = app_with(stuck_request_seconds=0.5)
    assert client.get("/ready").status_code == 200
    release = threading.Event()
    import models.services.candidate_flows as flows

    real = flows.view_candidate

    def slow(*args, **kwargs):
        release.wait(20)
        return real(*args, **kwargs)

    monkeypatch.setattr(flows, "view_candidate", slow)
    cid = _own_client(api_env)
    answers: list[int] = []
    worker = threading.Thread(
        target=lambda: answers.append(client.get(f"/v1/candidates/{cid}", headers=_as(api_env)).status_code)
    )
    worker.start()
    try:
        time.sleep(1.0)
        res = client.get("/ready")
        assert res.status_code == 503, res.text
        assert "a request has been running for" in res.json()["detail"]
    finally:
        release.set()
        worker.join(20)
    assert answers == [200]
    assert client.get("/ready").status_code == 200


def test_ready_fails_when_every_pooled_connection_is_in_use(api_env, app_with):
    app, client = app_with()
    pool = app.state.engine.pool
    with ExitStack() as held:
        for _ in range(pool.size() + pool._max_overflow):
            held.enter_context(app.state.engine.connect())
        res = client.get("/ready")
        assert res.status_code == 503, res.text
        assert "database connections are in use" in res.json()["detail"]
    assert client.get("/ready").status_code == 200


def test_a_locked_sqlite_file_answers_503_in_the_wait_time_not_after_30_s(api_env, app_with, backend):
    if backend != "sqlite":
        pytest.skip("SQLite's file lock")
    _, client = app_with(database_wait_seconds=0.5)
    cid = _own_client(api_env)
    before = client.get(f"/v1/candidates/{cid}", headers=_as(api_env)).json()["hours_max"]
    other = create_engine(api_env["url"], connect_args={"timeout": 0.1})
    with other.connect() as conn:
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # another process holds the write lock
        t = time.monotonic()
        res = client.patch(f"/v1/candidates/{cid}", headers=_as(api_env), json={"hours_max": 37})
        took = time.monotonic() - t
        conn.exec_driver_sql("ROLLBACK")
    other.dispose()
    assert res.status_code == 503, res.text
    assert res.headers["retry-after"] == "2"
    assert took < 5, f"answered after {took:.1f} s"
    assert client.get(f"/v1/candidates/{cid}", headers=_as(api_env)).json()["hours_max"] == before


def test_the_pool_settings_reach_the_engine(api_env, app_with, backend):
    app, _ = app_with(database_pool_size=3, database_wait_seconds=2)
    if backend == "postgresql":
        assert app.state.engine.pool.size() == 3
        assert app.state.engine.pool.timeout() == 2
    with app.state.engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
