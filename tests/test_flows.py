"""One home for each flow: the API and the web UI give the same answers, with one rule for 'not indexed yet'."""

from __future__ import annotations

import ast
import re
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.tables import Area, Candidate, Vacancy

REPO = Path(__file__).resolve().parents[1]


def _ui(api, who):
    from tests.factories import ui_client

    return ui_client(api, who)


@contextmanager
def _engine_behind(api):
    """The engine does not pick up changes meanwhile, as when another process wrote a moment ago."""
    store = api.env["store"]
    store._sync_lock.acquire()
    try:
        yield store
    finally:
        store._sync_lock.release()


def _insert_candidate_elsewhere(api, coach: str = "coach.oost") -> int:
    """A candidate written by another process (straight into the database, not through this app)."""
    from models.schemas import CandidateCreate
    from models.services.candidates import upsert_candidate

    with Session(api.env["engine"], expire_on_commit=False) as s, s.begin():
        data = CandidateCreate.model_validate(
            {
                "external_id": f"elsewhere-{id(s)}",
                "area": "oost",
                "postcode": "9733",
                "coach_email": f"{coach}@demo.werkmatch.nl",
                "desired_occupations": [{"label": "orderpicker"}],
                "hours_min": 20,
                "hours_max": 32,
                "ladder_step": 5,
            }
        )
        cand, _ = upsert_candidate(s, data=data)
        return cand.id


def test_a_coach_finds_the_same_clients_in_the_api_and_the_ui(api):
    """Was: the API asked the engine for 10,000 hits and filtered, the UI for 200 (other results)."""
    found = api.get("coach.oost", "/v1/search/candidates?q=magazijn medewerker&limit=20").json()["items"]
    coach_id = api.env["users"]["coach.oost"]
    with Session(api.env["engine"]) as s:
        own = set(s.scalars(select(Candidate.id).where(Candidate.coach_id == coach_id)))
    api_ids = [i["candidate"]["id"] for i in found]
    assert api_ids and set(api_ids) <= own
    page = _ui(api, "coach.oost").get("/ui/zoeken", params={"q": "magazijn medewerker"}).text
    ui_ids = [int(x) for x in re.findall(r"data-candidate-id=\"(\d+)\"", page)]
    floor = api.http.app.state.settings.search_floor  # the page shows no hit under it ("niets gevonden")
    assert ui_ids == [i["candidate"]["id"] for i in found if i["score"] >= floor]


def test_a_candidate_not_indexed_yet_is_a_409_in_every_route_and_a_notice_in_the_ui(api):
    """Was: 409 in one API route, an empty list in the UI."""
    vid = api.get("coach.oost", "/v1/vacancies?status=open&limit=1").json()["items"][0]["id"]
    cid = _insert_candidate_elsewhere(api)
    with _engine_behind(api):
        ranked = api.get("coach.oost", f"/v1/candidates/{cid}/matches")
        pair = api.post("coach.oost", "/v1/matches", json={"candidate_id": cid, "vacancy_id": vid})
        page = _ui(api, "coach.oost").get(f"/ui/kandidaten/{cid}")
    for res in (ranked, pair):
        assert res.status_code == 409, res.text
        assert res.headers["content-type"].startswith("application/problem+json")
        assert "not in the index yet" in res.json()["detail"]
    assert page.status_code == 200 and "wordt nog verwerkt" in page.text
    # once the engine has caught up, the same request ranks
    assert api.get("coach.oost", f"/v1/candidates/{cid}/matches").status_code == 200
    assert api.delete("coach.oost", f"/v1/candidates/{cid}").status_code == 204


def test_a_vacancy_added_by_another_process_is_a_409_not_a_500(api):
    """Was: a KeyError (500) in GET /v1/vacancies/{id}/matches."""
    with Session(api.env["engine"], expire_on_commit=False) as s, s.begin():
        area = s.scalar(select(Area.id).where(Area.code == "oost"))
        template = s.scalars(select(Vacancy).where(Vacancy.area_id == area).order_by(Vacancy.id)).first()
        clone = Vacancy(
            external_id=f"elsewhere-v-{template.id}",
            title=template.title,
            description=template.description,
            employer_id=template.employer_id,
            area_id=template.area_id,
            postcode=template.postcode,
            hours_min=template.hours_min,
            hours_max=template.hours_max,
            required_skills=template.required_skills,
        )
        s.add(clone)
        s.flush()
        vid = clone.id
    with _engine_behind(api):
        res = api.get("adviseur.oost", f"/v1/vacancies/{vid}/matches")
        page = _ui(api, "adviseur.oost").get(f"/ui/vacatures/{vid}")
    assert res.status_code == 409 and "not in the index yet" in res.json()["detail"]
    assert page.status_code == 200 and "wordt nog verwerkt" in page.text
    assert api.get("adviseur.oost", f"/v1/vacancies/{vid}/matches").status_code == 200
    assert api.delete("adviseur.oost", f"/v1/vacancies/{vid}").status_code == 204


def test_the_ui_calls_services_never_routers():
    """Nothing under api/ui imports api.routers, and routers and pages declare no SQL of their own."""
    for path in sorted((REPO / "api" / "ui").glob("*.py")):
        tree = ast.parse(path.read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not any(m.startswith("api.routers") for m in imported), path.name
    for path in sorted((REPO / "api" / "routers").glob("*.py")):
        text = path.read_text()
        assert "session.scalars(" not in text and "session.execute(" not in text, f"SQL in {path.name}"


def test_every_role_gate_and_rule_is_decided_in_access():
    """Routers and pages raise no 403 of their own: access.py decides."""
    for path in [*sorted((REPO / "api" / "ui").glob("*.py")), *sorted((REPO / "api" / "routers").glob("*.py"))]:
        text = path.read_text()
        assert "HTTPException(403" not in text, path.name
        assert "user.role !=" not in text, path.name


def test_the_engine_never_changes_the_callers_profiles(taxonomy, engine_embedder):
    """Was: upserting wrote the resolved ESCO URIs into the profiles the caller passed in."""
    from matcher.engine import MatchEngine
    from matcher.profiles import CandidateProfile, Concept, VacancyProfile

    engine = MatchEngine(engine_embedder, taxonomy=taxonomy)
    cand = CandidateProfile(id=1, area="oost", postcode="9733", desired_occupations=[Concept("orderpicker")])
    vac = VacancyProfile(id=2, area="oost", postcode="9733", title="Orderpicker", required_skills=[Concept("orders")])
    engine.upsert_candidates([cand])
    engine.upsert_vacancies([vac])
    assert cand.desired_occupations == [Concept("orderpicker")] and vac.occupation is None
    assert engine.candidates[1].desired_occupations[0].uri  # the engine's own copy is resolved
    assert engine.pair(1, 2).candidate_id == 1


def test_enum_columns_hold_members_right_after_a_string_is_assigned():
    """Enums are normalised where they are written, so no reader needs to guess."""
    from models.enums import MatchStatus
    from models.tables import Match

    m = Match(candidate_id=1, vacancy_id=2, status="suggested")
    assert m.status is MatchStatus.suggested
    m.status = "placed"
    assert m.status is MatchStatus.placed
