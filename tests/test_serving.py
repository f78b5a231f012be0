"""The serving path under concurrency: no database work under the engine lock; commit before reply."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.tables import ApiToken, Area, Candidate, Vacancy


def _oost_vacancy(api) -> int:
    with Session(api.env["engine"]) as s:
        area = s.scalar(select(Area.id).where(Area.code == "oost"))
        return s.scalar(
            select(Vacancy.id).where(Vacancy.area_id == area, Vacancy.status == "open").order_by(Vacancy.id)
        )


def _age_tokens(api) -> None:
    """Make every request write ``last_used_at`` again, so each one holds a row lock / the SQLite write lock."""
    with Session(api.env["engine"]) as s, s.begin():
        s.execute(update(ApiToken).values(last_used_at=None))


def test_a_search_and_a_ranking_waiting_for_the_engine_lock_both_finish(api):
    """The old deadlock: a ranking flushed its token UPDATE and waited for the engine lock while a search held
    that lock and waited for the same row (PostgreSQL: forever; SQLite: 'database is locked' after 30 s)."""
    store = api.env["store"]
    vid = _oost_vacancy(api)
    for _ in range(4):
        api.get("jobhunter.oost", "/v1/search/vacancies?q=kok")  # the freshness check is not due for a second
        _age_tokens(api)  # both requests below write last_used_at again
        answers: dict[str, int] = {}

        def call(name: str, path: str, out: dict[str, int] = answers) -> None:
            out[name] = api.get("adviseur.oost", path).status_code

        search = threading.Thread(target=call, args=("search", "/v1/search/candidates?q=heftruck&area=oost"))
        rank = threading.Thread(target=call, args=("rank", f"/v1/vacancies/{vid}/matches?limit=5&area=oost"))
        search.daemon = rank.daemon = True
        with store.writing():  # e.g. the follower applying a change
            search.start()  # waits for the engine lock first, its token write still pending
            time.sleep(0.3)
            rank.start()  # flushes its token write (a row lock / the SQLite write lock), then waits too
            time.sleep(0.3)
        # released: both go on
        rank.join(timeout=25)
        search.join(timeout=25)
        assert not rank.is_alive() and not search.is_alive(), "a request hangs: database work under the engine lock"
        assert answers == {"rank": 200, "search": 200}


def test_mixed_concurrent_requests_never_hang_or_fail(api):
    """16 clients mixing rankings, searches and writes: every answer within the time limit and none a 5xx."""
    vid = _oost_vacancy(api)
    with Session(api.env["engine"]) as s:
        coach_id = api.env["users"]["coach.oost"]
        cid = s.scalar(select(Candidate.id).where(Candidate.coach_id == coach_id).order_by(Candidate.id))
    _age_tokens(api)
    paths = [
        ("adviseur.oost", "GET", f"/v1/vacancies/{vid}/matches?limit=10"),
        ("adviseur.oost", "GET", "/v1/search/candidates?q=magazijn"),
        ("jobhunter.oost", "GET", "/v1/search/vacancies?q=schoonmaak"),
        ("coach.oost", "GET", f"/v1/candidates/{cid}/matches?limit=5"),
        ("coach.oost", "PATCH", f"/v1/candidates/{cid}"),
    ]
    statuses: list[int] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        for i in range(6):
            who, method, path = paths[(n + i) % len(paths)]
            if method == "PATCH":
                res = api.patch(who, path, json={"hours_max": 32 + (n + i) % 4})
            else:
                res = api.get(who, path)
            with lock:
                statuses.append(res.status_code)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "requests hang under 16 concurrent clients"
    assert len(statuses) == 16 * 6
    assert all(s < 500 for s in statuses), sorted(set(statuses))
    assert statuses.count(200) == len(statuses)


def test_a_failing_commit_answers_5xx_and_leaves_nothing_half_done(api, monkeypatch):
    """A write is acknowledged only after it is committed."""
    coach_id = api.env["users"]["coach.oost"]
    with Session(api.env["engine"]) as s:
        cand = s.scalars(select(Candidate).where(Candidate.coach_id == coach_id).order_by(Candidate.id)).first()
        cid, before = cand.id, cand.hours_max
    new = 40 if before != 40 else 39

    def failing_commit(self, _to_root: bool = False) -> None:
        raise RuntimeError("the database went away during COMMIT")

    with monkeypatch.context() as patch:
        patch.setattr("sqlalchemy.orm.SessionTransaction.commit", failing_commit)
        res = api.patch("coach.oost", f"/v1/candidates/{cid}", json={"hours_max": new})
    assert res.status_code >= 500
    assert res.headers["content-type"].startswith("application/problem+json")
    with Session(api.env["engine"]) as s:
        assert s.get(Candidate, cid).hours_max == before
    # and the same write goes through once the database is back
    ok = api.patch("coach.oost", f"/v1/candidates/{cid}", json={"hours_max": new})
    assert ok.status_code == 200
    with Session(api.env["engine"]) as s:
        assert s.get(Candidate, cid).hours_max == new
    api.patch("coach.oost", f"/v1/candidates/{cid}", json={"hours_max": before})


def test_a_partial_update_that_breaks_a_cross_field_rule_is_a_409_problem(api):
    """Found while writing the commit test: PATCH hours_max below the stored hours_min answered 500. A rule
    between fields, which no schema can state, is a documented 409 (a 422 is for a field that is wrong)."""
    coach_id = api.env["users"]["coach.oost"]
    with Session(api.env["engine"]) as s:
        cand = s.scalars(
            select(Candidate).where(Candidate.coach_id == coach_id, Candidate.hours_min > 1).order_by(Candidate.id)
        ).first()
        cid, hours_min, hours_max = cand.id, cand.hours_min, cand.hours_max
    res = api.patch("coach.oost", f"/v1/candidates/{cid}", json={"hours_max": hours_min - 1})
    assert res.status_code == 409 and res.headers["content-type"].startswith("application/problem+json")
    assert "hours_max" in res.json()["detail"]
    with Session(api.env["engine"]) as s:
        assert s.get(Candidate, cid).hours_max == hours_max


def test_a_search_with_a_nul_character_is_a_422_and_audits_nothing(api):
    """Found by schemathesis on PostgreSQL: the audit row of such a search could not be stored (500). A NUL
    character is refused everywhere now (422), before anything is searched or written."""
    before = api.get("admin", "/v1/audit?action=candidate.view&limit=1").json()
    res = api.get("coach.oost", "/v1/search/candidates", params={"q": "\x00heftruck"})
    assert res.status_code == 422 and res.headers["content-type"].startswith("application/problem+json")
    assert api.get("admin", "/v1/audit?action=candidate.view&limit=1").json() == before


def test_a_deleted_candidate_leaves_no_trace_in_the_index_files(api):
    """Deleting removes the vectors of the candidate's texts and their index entry from disk before it answers;
    no file ever holds the words of a profile (texts are cached by digest) or what the coach wrote."""
    import json
    import uuid

    import numpy as np

    from matcher.profiles import candidate_texts
    from matcher.textvectors import text_key

    store = api.env["store"]
    marker = f"merkteken{uuid.uuid4().hex[:10]}"
    body = {
        "external_id": f"trace-{marker}",
        "area": "oost",
        "postcode": "9733",
        "ladder_step": 5,
        "hours_min": 20,
        "hours_max": 32,
        "desired_occupations": [{"label": f"{marker} lasser"}],
        "skills": [{"label": f"{marker} lassen"}],
        "about": f"{marker}: schulden en een burn-out",
        "personal": {"first_name": "Spoor", "last_name": marker},
    }
    cid = api.post("coach.oost", "/v1/candidates", json=body).json()["id"]
    assert api.get("coach.oost", f"/v1/candidates/{cid}/matches").status_code == 200
    keys = {text_key(t) for t in candidate_texts(store.engine.candidates[cid]) if t}
    store.save(force=True)

    def files() -> list:
        return [p for p in store.folder.rglob("*") if p.is_file()]

    def saved_keys() -> set[str]:
        with np.load(store.folder / "textvectors.npz", allow_pickle=False) as data:
            return set(data["keys"].tolist())

    assert not any(marker.encode() in p.read_bytes() for p in files())
    assert keys <= saved_keys()
    assert api.delete("coach.oost", f"/v1/candidates/{cid}").status_code == 204
    assert not keys & saved_keys()
    manifest = json.loads((store.folder / "manifest.json").read_text())
    assert str(cid) not in manifest["candidates"]
    assert cid not in store.engine.cand_index.ids().tolist()
    assert not any(marker.encode() in p.read_bytes() for p in files())


def test_health_answers_at_once_and_ready_waits_for_the_engine_even_over_a_corrupt_index(api, tmp_path):
    """Start-up loads the engine in the background: /health answers at once, /ready is 503 until the index
    is loaded; a corrupt index is moved aside and rebuilt, and then rankings work."""
    from fastapi.testclient import TestClient

    from api.main import create_app
    from models.services.matching import MANIFEST, EngineStore
    from werkmatch.settings import Settings

    folder = tmp_path / "index"
    folder.mkdir()
    (folder / MANIFEST).write_text('{"model_version": ')  # half-written
    release = threading.Event()
    shared = api.env["store"].engine

    def factory(settings: Settings) -> EngineStore:
        release.wait(30)
        store = EngineStore(embedder=shared.embedder, folder=folder, taxonomy=shared.taxonomy, today=shared.today)
        store.load()
        return store

    settings = Settings(database_url=api.env["url"], data_dir=tmp_path / "data")
    app = create_app(settings, preload=True, store_factory=factory)
    token = api.env["tokens"]["adviseur.oost"]
    vid = _oost_vacancy(api)
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
        assert client.get("/ready").status_code == 503
        busy = client.get(f"/v1/vacancies/{vid}/matches", headers={"Authorization": f"Bearer {token}"})
        assert busy.status_code == 503 and busy.headers["content-type"].startswith("application/problem+json")
        release.set()
        deadline = time.monotonic() + 60
        while client.get("/ready").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert client.get("/ready").status_code == 200
        res = client.get(f"/v1/vacancies/{vid}/matches?limit=5", headers={"Authorization": f"Bearer {token}"})
        assert res.status_code == 200 and res.json()["items"]
    assert list(tmp_path.glob("index.broken-*"))


def test_workers_starting_together_build_the_index_one_at_a_time(api, tmp_path):
    """The first worker builds and saves the index; the others wait, then load it instead of embedding it all."""
    from fastapi.testclient import TestClient

    from api.main import create_app
    from models.services.matching import EngineStore, build_lock
    from werkmatch.settings import Settings

    settings = Settings(database_url=api.env["url"], data_dir=tmp_path / "data")
    folder = settings.resolved_index_dir
    shared = api.env["store"].engine
    loaded_from_disk: list[bool] = []

    def factory(s: Settings) -> EngineStore:
        store = EngineStore(embedder=shared.embedder, folder=folder, taxonomy=shared.taxonomy, today=shared.today)
        loaded_from_disk.append(store.load())
        return store

    apps = [create_app(settings, preload=True, store_factory=factory) for _ in range(2)]

    def ready(client: TestClient) -> bool:
        return client.get("/ready").status_code == 200

    deadline = time.monotonic() + 60
    held = build_lock(folder)
    held.__enter__()  # another process is building
    try:
        with TestClient(apps[0]) as first:
            time.sleep(0.5)
            assert not ready(first)  # so this one waits
            held.__exit__(None, None, None)
            held = None
            while not ready(first) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert ready(first)
            with TestClient(apps[1]) as second:
                while not ready(second) and time.monotonic() < deadline:
                    time.sleep(0.1)
                assert ready(second)
    finally:
        if held is not None:
            held.__exit__(None, None, None)
    assert loaded_from_disk == [False, True]  # the second worker loaded what the first saved


def test_the_listening_socket_of_several_workers_gets_tcp_nodelay_connections() -> None:
    """uvicorn's own socket for ``--workers N`` has protocol 0, so asyncio leaves Nagle on and every keep-alive
    request waits ~40 ms for a delayed ACK; ``werkmatch serve`` binds one that asyncio recognises."""
    import asyncio
    import socket

    from werkmatch.serving import TcpConfig

    config = TcpConfig("api.main:serve_app", factory=True, host="127.0.0.1", port=0, workers=2)
    sock = config.bind_socket()
    assert sock.proto == socket.IPPROTO_TCP

    async def accepted_nodelay() -> int:
        found: list[int] = []

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                s = transport.get_extra_info("socket")
                found.append(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Probe, sock=sock)
        _, writer = await asyncio.open_connection(*sock.getsockname())
        for _ in range(100):
            if found:
                break
            await asyncio.sleep(0.01)
        writer.close()
        server.close()
        return found[0]

    assert asyncio.run(accepted_nodelay()) == 1
