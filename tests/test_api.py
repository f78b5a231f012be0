"""The API as each role uses it: authorisation matrix, anonymisation, consent, workflow, audit, operations."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.tables import AuditEvent, Candidate, Match, Notification, Vacancy

PERSONAL_KEYS = {
    "first_name",
    "last_name",
    "email",
    "phone",
    "street",
    "postcode_full",
    "birth_date",
    "personal",
    "external_id",
    "postcode",
    "about",
    "languages",
    "coach_email",
}
_ext = itertools.count(1)


def _db(api):
    return Session(api.env["engine"])


def _candidate(api, area="oost", consent=None, status="active"):
    with _db(api) as s:
        stmt = select(Candidate).where(Candidate.area_id == _area_id(s, area), Candidate.status == status)
        if consent is not None:
            stmt = stmt.where(Candidate.consent_to_share == consent)
        return s.scalars(stmt.order_by(Candidate.id)).first().id


def _area_id(s, code):
    from models.tables import Area

    return s.scalar(select(Area.id).where(Area.code == code))


def _vacancy(api, area="oost"):
    with _db(api) as s:
        return s.scalar(
            select(Vacancy.id)
            .where(Vacancy.area_id == _area_id(s, area), Vacancy.status == "open")
            .order_by(Vacancy.id)
        )


def _keys(obj):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield k
            yield from _keys(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _keys(v)


def _new_candidate(**over):
    n = next(_ext)
    return {
        "external_id": f"api-c-{n}",
        "area": "oost",
        "postcode": "9733",
        "ladder_step": 5,
        "desired_occupations": [{"label": "orderpicker"}],
        "skills": [{"label": "orders verzamelen"}],
        "hours_min": 20,
        "hours_max": 32,
        "personal": {"first_name": "Api", "last_name": f"Tester{n}", "email": f"api{n}@example.org"},
    } | over


def _new_vacancy(**over):
    n = next(_ext)
    return {
        "external_id": f"api-v-{n}",
        "title": "Orderpicker (m/v/x)",
        "area": "oost",
        "postcode": "9731",
        "description": "Orders verzamelen in ons distributiecentrum.",
        "hours_min": 24,
        "hours_max": 32,
        "required_skills": [{"label": "orders verzamelen"}],
        "employer": {"external_id": f"api-e-{n}", "name": f"DC {n}", "area": "oost"},
    } | over


# ------------------------------------------------------------------------------------------ auth
def test_requests_without_a_valid_token_are_401_problems(api):
    for headers in ({}, {"Authorization": "Bearer wm_nope"}, {"Authorization": "Basic abc"}):
        res = api.http.get("/v1/me", headers=headers)
        assert res.status_code == 401
        assert res.headers["content-type"].startswith("application/problem+json")
        assert res.headers["www-authenticate"] == "Bearer"
    assert api.get("coach.oost", "/v1/me").json()["role"] == "coach"


# -------------------------------------------------------------------------------- the matrix
ROLES = ["coach.oost", "coach.west", "adviseur.oost", "adviseur.west", "jobhunter.oost", "admin"]
# Candidate of coach.oost; vacancy of gebied oost. Expected status per role, in ROLES order.
MATRIX = [
    ("GET", "/v1/candidates/{c}", None, [200, 404, 200, 200, 200, 200]),
    ("PATCH", "/v1/candidates/{c}", {"hours_max": 36}, [200, 404, 403, 403, 403, 403]),
    ("POST", "/v1/candidates/{c}/consent", {"consent": False}, [200, 404, 403, 403, 403, 403]),
    ("POST", "/v1/candidates/{c}/vum-consent", {"consent": False}, [200, 404, 403, 403, 403, 403]),
    ("GET", "/v1/candidates/{c}/export", None, [200, 404, 403, 403, 403, 403]),
    ("GET", "/v1/candidates/{c}/matches", None, [200, 404, 200, 200, 200, 200]),
    ("POST", "/v1/candidates", "new_candidate", [201, 201, 403, 403, 403, 403]),
    ("POST", "/v1/candidates/parse", {"text": "Wil graag werken als kok, 20 uur."}, [200, 200, 403, 403, 403, 403]),
    ("GET", "/v1/candidates", None, [200, 200, 200, 200, 200, 200]),
    ("GET", "/v1/vacancies/{v}", None, [200, 200, 200, 200, 200, 200]),
    ("PATCH", "/v1/vacancies/{v}", {"hours_max": 38}, [403, 403, 200, 403, 403, 403]),
    ("POST", "/v1/vacancies/{v}/vum-exchange", {"exchange": False}, [403, 403, 200, 403, 403, 403]),
    ("POST", "/v1/vacancies", "new_vacancy", [403, 403, 201, 403, 403, 403]),
    ("POST", "/v1/vacancies/parse", {"text": "Kok gezocht, 32 uur per week."}, [200] * 6),
    ("GET", "/v1/vacancies/{v}/matches", None, [200, 200, 200, 200, 200, 200]),
    ("GET", "/v1/vacancies", None, [200, 200, 200, 200, 200, 200]),
    ("GET", "/v1/employers", None, [200, 200, 200, 200, 200, 200]),
    ("GET", "/v1/search/vacancies?q=heftruck", None, [200, 200, 200, 200, 200, 200]),
    ("GET", "/v1/search/candidates?q=heftruck", None, [200, 200, 200, 200, 200, 200]),
    ("GET", "/v1/audit", None, [403, 403, 403, 403, 403, 200]),
    ("GET", "/v1/admin/users", None, [403, 403, 403, 403, 403, 200]),
    ("GET", "/v1/me", None, [200, 200, 200, 200, 200, 200]),
    ("GET", "/v1/subscriptions", None, [200, 200, 200, 200, 200, 200]),
    # The match workflow: the candidate's coach and the adviser and jobhunters of the vacancy's gebied act on a
    # match, each on the steps of their role (placed from suggested: not a coach's step; the others' 409 is the
    # workflow refusing the jump, after access allowed it); admins and other gebieden see nothing (404).
    ("POST", "/v1/matches", "pair", [201, 404, 201, 404, 201, 404]),
    ("GET", "/v1/matches/{m}", None, [200, 404, 200, 404, 200, 404]),
    ("POST", "/v1/matches/{m}/status", {"status": "placed"}, [403, 404, 409, 404, 409, 404]),
    ("POST", "/v1/matches/{m}/feedback", {"relevant": True}, [204, 404, 204, 404, 204, 404]),
    ("GET", "/v1/matches", None, [200, 200, 200, 200, 200, 200]),
    ("PUT", "/v1/subscriptions/vacancy_candidates", {"active": True}, [403, 403, 200, 200, 403, 403]),
    ("PUT", "/v1/subscriptions/client_vacancies", {"active": True}, [200, 200, 403, 403, 403, 403]),
]
CASES = [(m, p, b, role, exp[i]) for m, p, b, exp in MATRIX for i, role in enumerate(ROLES)]


@pytest.mark.parametrize(
    ("method", "path", "body", "role", "expected"), CASES, ids=[f"{c[0]} {c[1]} as {c[3]}" for c in CASES]
)
def test_authorisation_matrix(api, method, path, body, role, expected):
    cid, vid = _candidate(api, "oost"), _vacancy(api, "oost")
    mid = None
    if "{m}" in path:
        made = api.post("coach.oost", "/v1/matches", json={"candidate_id": cid, "vacancy_id": vid})
        assert made.status_code == 201, made.text
        mid = made.json()["id"]
    path = path.format(c=cid, v=vid, m=mid)
    if body == "pair":
        body = {"candidate_id": cid, "vacancy_id": vid}
    if body == "new_candidate":
        body = _new_candidate(
            area="oost" if role == "coach.oost" else "west", postcode="9733" if role == "coach.oost" else "9743"
        )
    elif body == "new_vacancy":
        body = _new_vacancy()
    res = api.http.request(method, path, headers=api.as_(role), json=body)
    assert res.status_code == expected, res.text
    if res.status_code >= 400:
        assert res.headers["content-type"].startswith("application/problem+json")


def test_out_of_scope_candidate_looks_like_a_missing_one(api):
    other = api.get("coach.west", f"/v1/candidates/{_candidate(api, 'oost')}")
    missing = api.get("coach.west", "/v1/candidates/99999999")
    assert other.status_code == missing.status_code == 404
    assert other.json()["title"] == missing.json()["title"]


# ------------------------------------------------------------------------------ anonymisation
def test_no_personal_field_reaches_an_adviser_before_consent(api):
    cid = _candidate(api, "oost", consent=False)
    vid = _vacancy(api, "oost")
    bodies = [
        api.get("adviseur.oost", f"/v1/candidates/{cid}").json(),
        api.get("adviseur.oost", "/v1/candidates?area=oost&limit=100").json(),
        api.get("adviseur.oost", f"/v1/vacancies/{vid}/matches?consent_only=false&limit=50&ladder_filter=false").json(),
        api.get("jobhunter.oost", "/v1/search/candidates?q=orderpicker&limit=50").json(),
        api.get("admin", f"/v1/candidates/{cid}").json(),
    ]
    with _db(api) as s:
        names = {f"{c.personal.first_name} {c.personal.last_name}" for c in s.scalars(select(Candidate)) if c.personal}
    for body in bodies:
        anon = [x for x in _walk_candidates(body) if not x.get("consent_to_share")]
        assert anon, "expected anonymised candidates in the response"
        for cand in anon:
            assert cand["view"] == "anonymised"
            assert not set(_keys(cand)) & PERSONAL_KEYS
        text = str(body)
        assert not any(n in text for n in names if n)  # no name anywhere, not even of consenting candidates' neighbours


def _walk_candidates(body):
    if isinstance(body, dict):
        if "view" in body and "ladder_step" in body:
            yield body
        for v in body.values():
            yield from _walk_candidates(v)
    elif isinstance(body, list):
        for v in body:
            yield from _walk_candidates(v)


def test_consent_releases_details_to_advisers_and_is_audited(api):
    created = api.post("coach.oost", "/v1/candidates", json=_new_candidate()).json()
    cid = created["id"]
    assert api.get("adviseur.oost", f"/v1/candidates/{cid}").json()["view"] == "anonymised"
    res = api.post("coach.oost", f"/v1/candidates/{cid}/consent", json={"consent": True, "note": "schriftelijk"})
    assert res.status_code == 200 and res.json()["consent_recorded_at"]
    # consent alone releases nothing: only the people working on a match of the candidate see the contact
    assert api.get("adviseur.oost", f"/v1/candidates/{cid}").json()["view"] == "anonymised"
    vid = _vacancy(api, "oost")
    assert api.post("coach.oost", "/v1/matches", json={"candidate_id": cid, "vacancy_id": vid}).status_code == 201
    released = api.get("adviseur.oost", f"/v1/candidates/{cid}").json()
    assert released["view"] == "released" and released["contact"]["first_name"] == "Api"
    assert not {"birth_date", "street", "postcode_full", "personal", "about"} & set(_keys(released))
    assert api.get("adviseur.west", f"/v1/candidates/{cid}").json()["view"] == "anonymised"
    events = api.get("admin", f"/v1/audit?object_type=candidate&object_id={cid}").json()
    actions = [e["action"] for e in events]
    assert {"candidate.consent", "candidate.release", "candidate.view", "candidate.create"} <= set(actions)
    consent = next(e for e in events if e["action"] == "candidate.consent")
    assert consent["actor_id"] == api.env["users"]["coach.oost"] and consent["reason"] == "schriftelijk"


def test_every_candidate_in_a_ranking_is_audited(api):
    vid = _vacancy(api, "oost")
    with _db(api) as s:
        before = s.scalar(select(func.count()).select_from(AuditEvent))
    body = api.get("jobhunter.oost", f"/v1/vacancies/{vid}/matches?limit=7&ladder_filter=false").json()
    with _db(api) as s:
        after = s.scalar(select(func.count()).select_from(AuditEvent))
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(len(body["items"]))).all()
    assert after - before == len(body["items"]) > 0
    assert all(
        e.reason == f"ranking voor vacature {vid}" and e.actor_id == api.env["users"]["jobhunter.oost"] for e in last
    )


# ------------------------------------------------------------------------------------ rankings
def test_rankings_both_ways_with_filters_and_explanations(api):
    vid = _vacancy(api, "oost")
    res = api.get("adviseur.oost", f"/v1/vacancies/{vid}/matches?area=oost&limit=5&min_score=10").json()
    assert res["items"] and all(i["candidate"]["area"] == "oost" and i["score"] >= 10 for i in res["items"])
    assert all(i["explanation"]["reasons"] for i in res["items"])
    page2 = api.get("adviseur.oost", f"/v1/vacancies/{vid}/matches?area=oost&limit=5&offset=5").json()
    assert not {i["candidate"]["id"] for i in res["items"]} & {i["candidate"]["id"] for i in page2["items"]}
    cid = _candidate(api, "oost")
    vac = api.get("coach.oost", f"/v1/candidates/{cid}/matches?limit=5&offer_type=paid_job&ladder_filter=false").json()
    assert all(i["vacancy"]["offer_type"] == "paid_job" for i in vac["items"])
    coach_view = api.get("coach.west", f"/v1/vacancies/{vid}/matches?limit=20").json()
    with _db(api) as s:
        west_clients = set(s.scalars(select(Candidate.id).where(Candidate.coach_id == api.env["users"]["coach.west"])))
    assert {i["candidate"]["id"] for i in coach_view["items"]} <= west_clients


def test_bad_query_values_are_422_problems_with_pointers(api):
    res = api.get("adviseur.oost", f"/v1/vacancies/{_vacancy(api)}/matches?limit=0&area=atlantis")
    assert res.status_code == 422
    body = res.json()
    assert body["errors"][0]["pointer"].startswith("/query/")
    res = api.get("adviseur.oost", f"/v1/vacancies/{_vacancy(api)}/matches?area=atlantis")
    assert res.status_code == 422 and res.json()["errors"][0]["pointer"] == "/query/area/0"
    assert "oost" in res.json()["detail"], "the answer lists the gebieden there are"


def test_taxonomy_suggestions(api):
    res = api.get("coach.oost", "/v1/taxonomy/occupations?q=orderpicker").json()
    assert res[0]["label"] == "orderpicker" and res[0]["uri"].startswith("http://data.europa.eu/esco/")
    assert api.get("coach.oost", "/v1/taxonomy/skills?q=heftruck").status_code == 200


def test_vacancy_response_carries_the_wording_check(api):
    res = api.post(
        "adviseur.oost",
        "/v1/vacancies",
        json=_new_vacancy(title="Serveerster", description="Leeftijd maximaal 25 jaar."),
    )
    assert res.status_code == 201
    codes = {f["code"] for f in res.json()["wording_findings"]}
    assert codes == {"gender", "age"}


# ------------------------------------------------------------------------------------- workflow
def test_match_workflow_with_people_in_the_loop(api):
    cid = api.post("coach.oost", "/v1/candidates", json=_new_candidate()).json()["id"]
    vid = _vacancy(api, "oost")
    m = api.post("coach.oost", "/v1/matches", json={"candidate_id": cid, "vacancy_id": vid})
    assert m.status_code == 201, m.text
    m = m.json()
    assert m["status"] == "suggested" and m["model_version"] and m["explanation"]["reasons"]
    mid = m["id"]
    not_a_coachs_step = api.post("coach.oost", f"/v1/matches/{mid}/status", json={"status": "placed"})
    assert not_a_coachs_step.status_code == 403
    bad = api.post("adviseur.oost", f"/v1/matches/{mid}/status", json={"status": "placed"})
    assert bad.status_code == 409
    ok = api.post("coach.oost", f"/v1/matches/{mid}/status", json={"status": "proposed_to_candidate"})
    assert ok.status_code == 200
    no_consent = api.post("adviseur.oost", f"/v1/matches/{mid}/status", json={"status": "proposed_to_employer"})
    assert no_consent.status_code == 409 and "consent" in no_consent.json()["detail"]
    no_reason = api.post("coach.oost", f"/v1/matches/{mid}/status", json={"status": "rejected"})
    assert no_reason.status_code == 409  # a rule between fields (documented)
    rej = api.post(
        "coach.oost", f"/v1/matches/{mid}/status", json={"status": "rejected", "reason": "past niet qua uren"}
    )
    assert rej.status_code == 200
    detail = api.get("coach.oost", f"/v1/matches/{mid}").json()
    assert [e["to_status"] for e in detail["events"]] == ["suggested", "proposed_to_candidate", "rejected"]
    assert detail["events"][-1]["reason"] == "past niet qua uren"
    assert (
        api.post("coach.oost", f"/v1/matches/{mid}/feedback", json={"relevant": False, "reason": "uren"}).status_code
        == 204
    )
    assert api.get("coach.west", f"/v1/matches/{mid}").status_code == 404


def test_delete_removes_the_candidate_from_database_index_and_pending_mail(api):
    cid = api.post("coach.oost", "/v1/candidates", json=_new_candidate()).json()["id"]
    mid = api.post("coach.oost", "/v1/matches", json={"candidate_id": cid, "vacancy_id": _vacancy(api)}).json()["id"]
    with Session(api.env["engine"]) as s, s.begin():
        s.add(Notification(user_id=api.env["users"]["adviseur.oost"], match_id=mid))
    assert cid in api.env["store"].engine.candidates
    assert api.delete("coach.oost", f"/v1/candidates/{cid}").status_code == 204
    assert api.get("coach.oost", f"/v1/candidates/{cid}").status_code == 404
    assert cid not in api.env["store"].engine.cand_index.ids().tolist()
    with _db(api) as s:
        assert s.scalar(select(func.count()).select_from(Match).where(Match.candidate_id == cid)) == 0
        assert s.scalar(select(func.count()).select_from(Notification).where(Notification.match_id == mid)) == 0


def test_avg_export_contains_everything_about_the_candidate(api):
    cid = api.post("coach.oost", "/v1/candidates", json=_new_candidate()).json()["id"]
    api.get("adviseur.oost", f"/v1/candidates/{cid}")
    body = api.get("coach.oost", f"/v1/candidates/{cid}/export").json()
    assert body["profile"]["personal"]["first_name"] == "Api"
    assert any(v["action"] == "candidate.view" for v in body["views_and_actions"])


# ----------------------------------------------------------------------------------- operations
def test_operations_endpoints(api):
    assert api.http.get("/health").json()["status"] == "ok"
    ready = api.http.get("/ready").json()
    assert ready["status"] == "ready" and ready["candidates"] > 0
    api.get("coach.oost", "/v1/me")
    metrics = api.http.get("/metrics").text
    assert "werkmatch_http_requests_total" in metrics and "werkmatch_index_size" in metrics
    res = api.http.get("/health", headers={"X-Request-ID": "abc123"})
    assert res.headers["x-request-id"] == "abc123"


def test_body_size_limit(api):
    big = _new_candidate(about="x" * 300_000)
    res = api.post("coach.oost", "/v1/candidates", json=big)
    assert res.status_code == 413 and res.headers["content-type"].startswith("application/problem+json")


def test_validation_errors_have_field_pointers(api):
    res = api.post("coach.oost", "/v1/candidates", json=_new_candidate(hours_min=30, hours_max=10, ladder_step=9))
    assert res.status_code == 422
    pointers = {e["pointer"] for e in res.json()["errors"]}
    assert "/body/ladder_step" in pointers


def test_subscriptions(api):
    res = api.put("adviseur.oost", "/v1/subscriptions/vacancy_candidates", json={"min_score": 70, "max_per_mail": 10})
    assert res.status_code == 200 and res.json()["min_score"] == 70
    assert [s["kind"] for s in api.get("adviseur.oost", "/v1/subscriptions").json()] == ["vacancy_candidates"]
    assert api.delete("adviseur.oost", "/v1/subscriptions/vacancy_candidates").status_code == 204
