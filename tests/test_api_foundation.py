"""The service answers /health and /v1/areas; errors are problem+json."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from werkmatch.settings import Settings


@pytest.fixture
def client(fresh_db, tmp_path):
    from models.db import session_scope
    from models.migrate import upgrade
    from models.services.areas import seed_areas

    eng = fresh_db.engine()
    upgrade(eng)
    with session_scope(eng) as s:
        seed_areas(s)
    app = create_app(Settings(database_url=fresh_db.url, data_dir=tmp_path), preload=False)
    with TestClient(app) as c:
        yield c
    eng.dispose()


def test_health_and_areas(client):
    assert client.get("/health").json()["status"] == "ok"
    areas = client.get("/v1/areas").json()
    by_code = {a["code"]: a for a in areas}
    assert {"oost", "west", "zuid", "centrum", "haren", "ten-boer"} <= set(by_code)
    oost_wijken = {w["name"] for w in by_code["oost"]["wijken"]}
    assert {"Beijum", "Lewenborg"} <= oost_wijken


def test_unknown_path_is_problem_json(client):
    res = client.get("/v1/nothing")
    assert res.status_code == 404
    assert res.headers["content-type"].startswith("application/problem+json")
    assert res.json()["status"] == 404


def test_a_method_the_path_does_not_take_is_405_naming_every_method_it_does(client):
    """FastAPI keeps one route per method; the Allow header must list them all, not only the first."""
    res = client.put("/v1/candidates")
    assert res.status_code == 405
    assert res.headers["content-type"].startswith("application/problem+json")
    assert set(res.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}
    res = client.post("/v1/candidates/1")
    assert res.status_code == 405
    assert set(res.headers["allow"].split(", ")) == {"DELETE", "GET", "HEAD", "PATCH"}
