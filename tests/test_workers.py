"""Two real `werkmatch serve` processes on one database stay in step: a change through one is seen by the other."""

from __future__ import annotations

import time

import httpx
import pytest

from models.db import make_engine, session_scope
from models.migrate import upgrade
from models.services.demo import load_demo
from models.services.users import create_token, get_user_by_email
from tests.serving import free_port, serve, server_env, stop, wait_ready

pytestmark = pytest.mark.slow  # each process loads the real model


def _until(check, seconds: float) -> float:
    """Seconds until ``check()`` holds (fails after ``seconds``)."""
    t = time.monotonic()
    while not check():
        assert time.monotonic() - t < seconds, "not in step in time"
        time.sleep(0.05)
    return time.monotonic() - t


def test_a_change_through_one_worker_is_ranked_by_the_other(tmp_path, esco_dir, model_dir):
    data = tmp_path / "data"
    data.mkdir()
    url = f"sqlite:///{tmp_path / 'two.db'}"
    eng = make_engine(url)
    upgrade(eng)
    with session_scope(eng) as s:
        load_demo(s, candidates=30, vacancies=10, seed=3)
        token = create_token(s, user=get_user_by_email(s, email="coach.oost@demo.werkmatch.nl"))
    env = server_env(url, data) | {"WERKMATCH_ESCO_DIR": str(esco_dir), "WERKMATCH_MODEL_DIR": str(model_dir)}
    ports = [free_port(), free_port()]
    procs = [serve(env, p) for p in ports]
    a, b = (httpx.Client(base_url=f"http://127.0.0.1:{p}", headers={"Authorization": f"Bearer {token}"}) for p in ports)
    try:
        for p, proc in zip(ports, procs, strict=True):
            wait_ready(f"http://127.0.0.1:{p}", proc)
        body = {
            "external_id": "two-workers-1",
            "area": "oost",
            "postcode": "9733",
            "ladder_step": 5,
            "hours_min": 20,
            "hours_max": 32,
            "desired_occupations": [{"label": "orderpicker"}],
            "skills": [{"label": "orders verzamelen"}],
        }
        created = a.post("/v1/candidates", json=body)
        assert created.status_code == 201, created.text
        cid = created.json()["id"]
        lag = _until(lambda: b.get(f"/v1/candidates/{cid}/matches").status_code == 200, 2)
        ranked = b.get(f"/v1/candidates/{cid}/matches").json()
        assert ranked["candidate_id"] == cid and ranked["items"]
        vid = ranked["items"][0]["vacancy"]["id"]
        print(f"created through one worker, ranked by the other after {lag:.2f} s")

        def in_ranking(client: httpx.Client) -> bool:
            res = client.get(f"/v1/vacancies/{vid}/matches?limit=100&ladder_filter=false&area=oost")
            return cid in [i["candidate"]["id"] for i in res.json()["items"]]

        _until(lambda: in_ranking(b), 2)
        assert a.delete(f"/v1/candidates/{cid}").status_code == 204
        assert not in_ranking(a)
        gone = _until(lambda: not in_ranking(b), 2)
        print(f"deleted through one worker, gone from the other after {gone:.2f} s")
        assert b.get(f"/v1/candidates/{cid}/matches").status_code == 404
        states = [c.get("/ready").json()["index"] for c in (a, b)]
        assert [s["texts_embedded_here"] for s in states] == [0, 0], "an API worker never embeds a profile"
        assert sum(1 for s in states if s["profiles_indexed_here"]) == 1, "one indexer did the work"
        # the 2 s the issue asks for is asserted above, as a user sees it (ranked / gone within 2 s); the lag the
        # workers report also covers start-up and a loaded CI machine, so it is reported, not asserted
        # which worker applies a change through the log (and so measures a lag) depends on which became the indexer
        print("workers:", states)
        assert all(s["lag_max_s"] is None or s["lag_max_s"] >= 0 for s in states), states
        assert all(s["waiting_for_indexer"] == 0 for s in states), states
    finally:
        a.close()
        b.close()
        for proc in procs:
            stop(proc)
        eng.dispose()
