"""The API keeps its contract on the inputs an outside tester sends: strict types, explicit nulls, NUL bytes."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.tables import Area, Candidate, Vacancy
from tests.factories import candidate_payload


def _own_client(api) -> int:
    with Session(api.env["engine"]) as s:
        coach = api.env["users"]["coach.oost"]
        return int(s.scalar(select(Candidate.id).where(Candidate.coach_id == coach).order_by(Candidate.id)))


def _problem(res, status: int = 422) -> dict:
    assert res.status_code == status, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    return res.json()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/candidates/{c}/consent", {"consent": 0}),
        ("/v1/candidates/{c}/consent", {"consent": "true"}),
        ("/v1/candidates/{c}", {"ladder_step": "3"}),
        ("/v1/candidates/{c}", {"hours_max": 32.5}),
        ("/v1/candidates/{c}", {"hours_max": True}),
        ("/v1/candidates/{c}", {"jobcoach": 1}),
        ("/v1/matches", {"candidate_id": "1", "vacancy_id": True}),
    ],
)
def test_numbers_and_booleans_are_not_guessed_from_other_types(api, path, body):
    cid = _own_client(api)
    method = api.patch if path == "/v1/candidates/{c}" else api.post
    problem = _problem(method("coach.oost", path.format(c=cid), json=body))
    field = next(iter(body))
    assert any(e["pointer"].endswith(f"/{field}") for e in problem["errors"]), problem


def test_a_subscription_score_is_a_number_not_a_boolean(api):
    _problem(api.put("coach.oost", "/v1/subscriptions/client_vacancies", json={"min_score": False}))
    assert api.put("coach.oost", "/v1/subscriptions/client_vacancies", json={"min_score": 55}).status_code == 200


def test_explicit_nulls_for_every_field_are_a_422_and_change_nothing(api):
    cid = _own_client(api)
    before = api.get("coach.oost", f"/v1/candidates/{cid}").json()
    fields = [f for f in candidate_payload() if f not in ("external_id", "coach_email")]
    res = api.patch("coach.oost", f"/v1/candidates/{cid}", json=dict.fromkeys(fields))
    _problem(res)
    after = api.get("coach.oost", f"/v1/candidates/{cid}").json()
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }
    with Session(api.env["engine"]) as s:
        oost = s.scalar(select(Area.id).where(Area.code == "oost"))
        vid = s.scalar(select(Vacancy.id).where(Vacancy.area_id == oost).order_by(Vacancy.id))
    _problem(api.patch("adviseur.oost", f"/v1/vacancies/{vid}", json={"title": None}), 422)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("patch", "/v1/candidates/{c}", {"about": "voor\x00na"}),
        ("patch", "/v1/candidates/{c}", {"skills": [{"label": "heftruck\x00"}]}),
        ("patch", "/v1/candidates/{c}", {"languages": ["nl", "\x00"]}),
        ("post", "/v1/candidates/{c}/consent", {"consent": True, "note": "mondeling\x00"}),
        ("post", "/v1/admin/users/{u}/tokens", {"name": "laptop\x00"}),
    ],
)
def test_a_nul_character_in_a_body_is_a_422_not_a_database_error(api, method, path, body):
    cid = _own_client(api)
    before = api.get("coach.oost", f"/v1/candidates/{cid}").json()
    who = "admin" if "admin" in path else "coach.oost"
    url = path.format(c=cid, u=api.env["users"]["coach.oost"])
    problem = _problem(getattr(api, method)(who, url, json=body))
    assert "NUL" in problem["detail"]
    assert api.get("coach.oost", f"/v1/candidates/{cid}").json()["updated_at"] == before["updated_at"]


@pytest.mark.parametrize("query", ["q=heftruck%00", "q=kok&x=%00", "q=ab%00cd"])
def test_a_nul_character_in_the_query_is_a_422(api, query):
    _problem(api.get("adviseur.oost", f"/v1/search/vacancies?{query}"))


def test_the_last_active_admin_cannot_be_deactivated(api):
    admin_id = api.env["users"]["admin"]
    problem = _problem(api.post("admin", f"/v1/admin/users/{admin_id}/deactivate"), 409)
    assert "last active admin" in problem["detail"]
    assert api.get("admin", "/v1/me").status_code == 200, "the admin can still work"


def test_a_database_that_is_away_answers_503_with_retry_after_and_writes_nothing(api, monkeypatch):
    """A restart, a lost connection, a full pool or a locked SQLite file is not a 500: the client may retry."""
    from sqlalchemy.exc import OperationalError

    cid = _own_client(api)
    before = api.get("coach.oost", f"/v1/candidates/{cid}").json()["hours_max"]
    new = 40 if before != 40 else 39

    def lost(self, _to_root: bool = False) -> None:
        raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))

    with monkeypatch.context() as patch:
        patch.setattr("sqlalchemy.orm.SessionTransaction.commit", lost)
        res = api.patch("coach.oost", f"/v1/candidates/{cid}", json={"hours_max": new})
    _problem(res, 503)
    assert res.headers["retry-after"] == "2"
    assert api.get("coach.oost", f"/v1/candidates/{cid}").json()["hours_max"] == before


@pytest.mark.parametrize("until", ["0.5", "1795528538", "-3"])
def test_a_moment_in_the_query_is_iso_text_not_a_number_of_seconds(api, until):
    problem = _problem(api.get("admin", f"/v1/audit?until={until}"))
    assert problem["errors"][0]["pointer"] == "/query/until"
    assert api.get("admin", "/v1/audit?until=2026-11-24T12:00:00Z&limit=1").status_code == 200


def test_the_openapi_document_links_created_resources_to_the_operations_on_them(api):
    """Clients and stateful testers chain create → read → update → delete through the document's links."""
    doc = api.http.get("/openapi.json").json()
    by_id = {op["operationId"]: (path, m) for path, ops in doc["paths"].items() for m, op in ops.items()}
    created = doc["paths"]["/v1/candidates"]["post"]["responses"]["201"]["links"]
    chained = {by_id[link["operationId"]] for link in created.values()}
    assert {
        ("/v1/candidates/{candidate_id}", "get"),
        ("/v1/candidates/{candidate_id}", "patch"),
        ("/v1/candidates/{candidate_id}", "delete"),
    } <= chained
    for path, ops in doc["paths"].items():
        for op in ops.values():
            for status, response in op["responses"].items():
                for name, link in response.get("links", {}).items():
                    target_path, _ = by_id[link["operationId"]]
                    for param, expression in link.get("parameters", {}).items():
                        assert "{" + param + "}" in target_path, (path, status, name)
                        assert expression.startswith("$response.body#/")
    saved = doc["paths"]["/v1/candidates/{candidate_id}/matches"]["get"]["responses"]["200"]["links"]["SaveBestMatch"]
    assert by_id[saved["operationId"]] == ("/v1/matches", "post")


def test_links_point_at_real_ids(api):
    """Following a link from a created candidate reaches that candidate."""
    doc = api.http.get("/openapi.json").json()
    link = doc["paths"]["/v1/candidates"]["get"]["responses"]["200"]["links"]["GetCandidate"]
    listed = api.get("coach.oost", "/v1/candidates?limit=1").json()
    pointer = link["parameters"]["candidate_id"].removeprefix("$response.body#")
    value = listed
    for part in pointer.strip("/").split("/"):
        value = value[int(part)] if isinstance(value, list) else value[part]
    assert api.get("coach.oost", f"/v1/candidates/{value}").json()["id"] == value


def test_an_esco_uri_with_a_nul_character_is_refused_and_the_schema_says_so(api):
    """Was: the schema allowed any text after the ESCO prefix, the code refused a NUL (ST202, found by the
    schemathesis CLI at 180 s)."""
    import re

    doc = api.http.get("/openapi.json").json()
    pattern = doc["components"]["schemas"]["Concept"]["properties"]["uri"]["anyOf"][0]["pattern"]
    bad = "http://data.europa.eu/esco/skill/\x00x"
    assert re.search(pattern, bad) is None
    assert re.search(pattern, "http://data.europa.eu/esco/skill/abc")
    cid = _own_client(api)
    _problem(api.patch("coach.oost", f"/v1/candidates/{cid}", json={"skills": [{"label": "x", "uri": bad}]}))


def test_a_patch_beyond_the_create_limits_is_a_422_not_a_500(api):
    """Found by the schemathesis CLI with seed 20261124: a long contact_phone was stored, then failed the read
    schema (500); 16 driving licences were refused with a limit the schema did not state."""
    with Session(api.env["engine"]) as s:
        oost = s.scalar(select(Area.id).where(Area.code == "oost"))
        emp = s.scalar(select(Vacancy.employer_id).where(Vacancy.area_id == oost).order_by(Vacancy.id))
    before = api.get("adviseur.oost", f"/v1/employers/{emp}").json()
    problem = _problem(api.patch("adviseur.oost", f"/v1/employers/{emp}", json={"contact_phone": "0" * 200}))
    assert problem["errors"][0]["pointer"] == "/body/contact_phone"
    assert api.get("adviseur.oost", f"/v1/employers/{emp}").json() == before
    cid = _own_client(api)
    problem = _problem(api.patch("coach.oost", f"/v1/candidates/{cid}", json={"driving_licences": ["B"] * 16}))
    assert problem["errors"][0]["pointer"] == "/body/driving_licences"
