"""Nothing leaked: each regression test below answered differently before (see the docstrings)."""

from __future__ import annotations

import itertools
import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.tables import Area, Candidate, Employer, Match, Subscription, User, Vacancy

_n = itertools.count(1)


def _area_id(s: Session, code: str) -> int:
    return s.scalar(select(Area.id).where(Area.code == code))


def test_an_adviser_cannot_take_over_another_gebieds_employer_through_a_vacancy(api):
    """Was: POST /v1/vacancies upserted the nested employer by external_id without the employer write check,
    so the adviser of West rewrote the name, contact and gebied of an Oost employer (201)."""
    with Session(api.env["engine"]) as s:
        emp = s.scalars(select(Employer).where(Employer.area_id == _area_id(s, "oost")).order_by(Employer.id)).first()
        before = (emp.external_id, emp.name, emp.contact_email, emp.area_id)
    n = next(_n)
    body = {
        "external_id": f"takeover-{n}",
        "title": "Magazijnmedewerker",
        "area": "west",
        "postcode": "9743",
        "hours_min": 24,
        "hours_max": 32,
        "employer": {
            "external_id": before[0],
            "name": "Overgenomen BV",
            "area": "west",
            "contact_email": "aanvaller@example.org",
        },
    }
    res = api.post("adviseur.west", "/v1/vacancies", json=body)
    assert res.status_code == 403, res.text
    with Session(api.env["engine"]) as s:
        emp = s.scalar(select(Employer).where(Employer.external_id == before[0]))
        assert (emp.external_id, emp.name, emp.contact_email, emp.area_id) == before
        assert s.scalar(select(Vacancy.id).where(Vacancy.external_id == f"takeover-{n}")) is None


def test_a_coach_cannot_subscribe_to_another_roles_e_mail(api):
    """Was: a coach subscribed to `vacancy_candidates` (200) and then received other coaches' clients."""
    res = api.put("coach.oost", "/v1/subscriptions/vacancy_candidates", json={"active": True})
    assert res.status_code == 403 and res.headers["content-type"].startswith("application/problem+json")
    assert api.put("coach.oost", "/v1/subscriptions/client_vacancies", json={"active": True}).status_code == 200


def test_every_item_of_a_nightly_e_mail_passes_the_access_rule(api):
    """A subscription stored before the rule (a coach with the advisers' kind) still yields only own clients."""
    from models.services.access import may_be_told_of_pair

    with Session(api.env["engine"]) as s:
        coach = s.scalar(select(User).where(User.email == "coach.oost@demo.werkmatch.nl"))
        adviser = s.scalar(select(User).where(User.email == "adviseur.oost@demo.werkmatch.nl"))
        oost = _area_id(s, "oost")
        own = s.scalars(select(Candidate).where(Candidate.coach_id == coach.id)).first()
        other = s.scalars(select(Candidate).where(Candidate.coach_id != coach.id)).first()
        vac = s.scalars(select(Vacancy).where(Vacancy.area_id == oost)).first()
        assert may_be_told_of_pair(coach, own, vac) and not may_be_told_of_pair(coach, other, vac)
        assert may_be_told_of_pair(adviser, other, vac)
        west_vac = s.scalars(select(Vacancy).where(Vacancy.area_id != oost)).first()
        assert not may_be_told_of_pair(adviser, other, west_vac)


def test_the_nightly_message_of_a_coach_with_a_stale_advisers_subscription_names_no_other_clients(api):
    from models.services.nightly.message import render_message
    from models.tables import Notification
    from werkmatch.settings import Settings

    with Session(api.env["engine"]) as s:
        coach = s.scalar(select(User).where(User.email == "coach.oost@demo.werkmatch.nl"))
        oost = _area_id(s, "oost")
        other = s.scalars(select(Candidate).where(Candidate.coach_id != coach.id)).first()
        own = s.scalars(select(Candidate).where(Candidate.coach_id == coach.id)).first()
        vac = s.scalars(select(Vacancy).where(Vacancy.area_id == oost)).first()
        s.add(Subscription(user_id=coach.id, kind="vacancy_candidates"))
        rows = []
        for cand in (other, own):
            m = s.scalar(select(Match).where(Match.candidate_id == cand.id, Match.vacancy_id == vac.id))
            if m is None:
                m = Match(candidate_id=cand.id, vacancy_id=vac.id, status="suggested", score=80.0, explanation={})
                s.add(m)
                s.flush()
            s.execute(Notification.__table__.delete().where(Notification.match_id == m.id))
            n = Notification(user_id=coach.id, match_id=m.id, status="pending")
            s.add(n)
            rows.append(n)
        s.flush()
        msg = render_message(
            s, user=coach, rows=rows, since=vac.created_at, settings=Settings(), message_id="<t@werkmatch>"
        )
        other_id, own_ref = other.id, own.external_id
        s.rollback()
    assert msg is not None
    listed = str(msg["X-Werkmatch-Matches"]).split(",")
    assert len(listed) == 1
    plain = msg.get_body(("plain",)).get_content()
    assert f"kandidaat #{other_id} " not in plain and own_ref in plain


def _ui(api, who):
    from tests.factories import ui_client

    return ui_client(api, who)


def test_pages_and_answers_carry_security_headers_and_are_never_cached(api):
    page = _ui(api, "adviseur.oost").get("/ui/vacatures")
    answer = api.get("adviseur.oost", "/v1/candidates?limit=1")
    for res in (page, answer):
        assert res.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in res.headers["content-security-policy"]
        assert res.headers["referrer-policy"] == "no-referrer"
        assert res.headers["x-content-type-options"] == "nosniff"


def test_a_link_cannot_put_its_own_text_in_the_official_alert_box(api):
    """Was: /ui/…?melding=any+text showed that text as a message of the gemeente."""
    ui = _ui(api, "adviseur.oost")
    forged = ui.get("/ui/vacatures", params={"melding": "Bel direct 0900-1234 en geef uw DigiD-code"})
    assert forged.status_code == 200 and "0900-1234" not in forged.text
    saved = ui.get("/ui/instellingen")
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', saved.text).group(1)
    res = ui.post("/ui/instellingen", data={"csrf": csrf, "min_score": "70", "max_per_mail": "10", "active": "1"})
    assert res.status_code == 200 and "Instellingen opgeslagen" in res.text


def test_out_of_range_numbers_in_ui_addresses_and_forms_are_a_dutch_page_not_a_500(api):
    ui = _ui(api, "coach.oost")
    for path in ("/ui/kandidaten/99999999999999", "/ui/vacatures/0", "/ui/vacatures/1?min=150"):
        res = ui.get(path)
        assert res.status_code in (404, 422), (path, res.status_code)
        assert res.headers["content-type"].startswith("text/html") and "<html" in res.text


def test_csv_export_cannot_carry_a_spreadsheet_formula_and_reads_back_the_same(tmp_path):
    import io

    from models.services.transfer import _unflatten_csv, write_rows

    out = io.StringIO()
    write_rows([{"external_id": "c-1", "about": '=HYPERLINK("http://evil.example","klik")'}], out, "csv")
    text = out.getvalue()
    assert "'=HYPERLINK" in text
    import csv

    row = next(csv.DictReader(io.StringIO(text)))
    assert _unflatten_csv(row)["about"] == '=HYPERLINK("http://evil.example","klik")'


def test_the_wording_check_finishes_on_nested_brackets():
    """Was: a title like (m/v(m/v(m/v… took quadratic time (one worker frozen for a minute)."""
    from matcher.wording import check_vacancy_text

    findings = check_vacancy_text("(m/v" * 50_000, "(m/v" * 50_000)
    assert isinstance(findings, list)
    assert check_vacancy_text("Verkoper (m/v)", "")[:1] == []


def test_the_development_secret_serves_on_loopback_only(monkeypatch):
    from typer.testing import CliRunner

    from werkmatch.cli import build_app
    from werkmatch.settings import Settings, get_settings

    get_settings.cache_clear()
    monkeypatch.delenv("WERKMATCH_SECRET_KEY", raising=False)
    res = CliRunner().invoke(build_app(), ["serve", "--host", "0.0.0.0", "--port", "1"])
    assert res.exit_code == 2 and "WERKMATCH_SECRET_KEY" in res.output and "Traceback" not in res.output
    Settings().check_listening_on("127.0.0.1")
    import pytest

    with pytest.raises(ValueError, match="unencrypted"):
        Settings(smtp_host="smtp.example.org", smtp_username="werkmatch", smtp_password="x")
    Settings(smtp_host="127.0.0.1", smtp_username="werkmatch", smtp_password="x")


def test_logs_keep_the_statement_but_not_its_parameters():
    from api.observability import hide_sql_parameters

    text = "DataError: boom\n[SQL: INSERT INTO audit_events (reason) VALUES (%(reason)s)]\n"
    text += "[parameters: {'reason': 'zoeken: schulden Jansen'}]\n(Background on this error)"
    hidden = hide_sql_parameters(text)
    assert "Jansen" not in hidden and "INSERT INTO audit_events" in hidden


def test_reading_a_match_is_audited(api):
    cid = api.get("coach.oost", "/v1/candidates?limit=1").json()["items"][0]["id"]
    vid = api.get("coach.oost", "/v1/vacancies?area=oost&status=open&limit=1").json()["items"][0]["id"]
    mid = api.post("coach.oost", "/v1/matches", json={"candidate_id": cid, "vacancy_id": vid}).json()["id"]
    assert api.get("adviseur.oost", f"/v1/matches/{mid}").status_code == 200
    events = api.get("admin", f"/v1/audit?action=match.view&object_id={mid}").json()
    assert events and events[0]["actor_id"] == api.env["users"]["adviseur.oost"]


def test_the_ui_suggests_esco_concepts_with_its_session_and_v1_stays_bearer_only(api):
    """Was: the page called /v1/taxonomy/* with the cookie and always got 401."""
    ui = _ui(api, "coach.oost")
    res = ui.get("/ui/suggesties/occupations", params={"q": "orderpicker"})
    assert res.status_code == 200 and isinstance(res.json(), list) and res.json()
    assert ui.get("/v1/taxonomy/occupations", params={"q": "orderpicker"}).status_code == 401


def test_the_ui_session_is_server_side_and_signing_out_ends_it(api):
    """Was: the cookie was the signed year-long personal token, and signing out revoked nothing."""
    import datetime as dt

    from fastapi.testclient import TestClient

    from models.tables import UiSession

    ui = _ui(api, "coach.oost")
    raw = ui.cookies.get("wm_sessie")
    assert raw and api.env["tokens"]["coach.oost"] not in raw
    assert ui.get("/v1/me").status_code == 401  # the API stays bearer-only
    thief = TestClient(api.http.app, cookies={"wm_sessie": raw})
    assert thief.get("/ui/kandidaten", follow_redirects=False).status_code == 200
    page = ui.get("/ui/kandidaten").text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
    assert ui.post("/ui/uitloggen", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    assert thief.get("/ui/kandidaten", follow_redirects=False).headers["location"] == "/ui/inloggen"
    # an idle session ends by itself
    idle = _ui(api, "coach.oost")
    with Session(api.env["engine"]) as s, s.begin():
        for row in s.scalars(select(UiSession).where(UiSession.revoked_at.is_(None))):
            row.last_seen_at = row.last_seen_at - dt.timedelta(minutes=31)
    assert idle.get("/ui/kandidaten", follow_redirects=False).headers["location"] == "/ui/inloggen"


def test_the_sign_in_form_needs_its_csrf_value_and_failures_are_throttled_and_audited(api):
    from fastapi.testclient import TestClient

    from api.ui.auth import throttle

    c = TestClient(api.http.app)
    forged = c.post("/ui/inloggen", data={"token": api.env["tokens"]["coach.oost"]}, follow_redirects=False)
    assert forged.status_code == 403 and "wm_sessie" not in forged.headers.get("set-cookie", "")
    throttle._failures.clear()
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', c.get("/ui/inloggen").text).group(1)
    answers = [c.post("/ui/inloggen", data={"token": f"wm_fout{i}", "csrf": csrf}).status_code for i in range(7)]
    assert answers[:5] == [200] * 5 and answers[5:] == [429, 429]
    right = c.post("/ui/inloggen", data={"token": api.env["tokens"]["coach.oost"], "csrf": csrf})
    assert right.status_code == 429  # even the right token waits while the address is throttled
    throttle._failures.clear()
    events = api.get("admin", "/v1/audit?action=ui.login_failed&limit=50").json()
    assert len(events) >= 5 and all("wm_fout" not in str(e) for e in events)


def test_a_token_an_admin_made_for_someone_else_is_attributed_to_the_admin(api):
    """Was: an admin minted a coach's token and read full profiles audited under the coach's name."""
    coach_id, admin_id = api.env["users"]["coach.oost"], api.env["users"]["admin"]
    made = api.post("admin", f"/v1/admin/users/{coach_id}/tokens", json={"name": "overname"})
    assert made.status_code == 201
    token = made.json()["token"]
    cid = api.get("coach.oost", "/v1/candidates?limit=1").json()["items"][0]["id"]
    res = api.http.get(f"/v1/candidates/{cid}", headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 200
    events = api.get("admin", f"/v1/audit?object_type=candidate&object_id={cid}&limit=5").json()
    assert events[0]["actor_id"] == admin_id and events[0]["details"]["as_user"] == coach_id
    own = api.get("coach.oost", f"/v1/candidates/{cid}")
    assert own.status_code == 200
    events = api.get("admin", f"/v1/audit?object_type=candidate&object_id={cid}&limit=1").json()
    assert events[0]["actor_id"] == coach_id and "as_user" not in events[0]["details"]


def test_consent_never_releases_anyone_in_bulk(api):
    """Was: GET /v1/candidates?limit=200 as any jobhunter returned every consented candidate city-wide in full,
    with birth date, address, contact details and the doelgroepregister, LKS and jobcoach flags."""
    with Session(api.env["engine"]) as s, s.begin():
        consented = s.scalars(select(Candidate).order_by(Candidate.id).limit(5)).all()
        for c in consented:
            c.consent_to_share = True
        ids = {c.id for c in consented}
    try:
        for who in ("jobhunter.oost", "adviseur.west"):
            listed = api.get(who, "/v1/candidates?limit=200").json()["items"]
            assert listed and {c["view"] for c in listed} == {"anonymised"}
            assert not any("personal" in c or "contact" in c or "birth_date" in c for c in listed)
            found = api.get(who, "/v1/search/candidates?q=medewerker&limit=50").json()["items"]
            assert {h["candidate"]["view"] for h in found} <= {"anonymised"}
        for cid in ids:
            single = api.get("jobhunter.west", f"/v1/candidates/{cid}").json()
            assert single["view"] == "anonymised"
    finally:
        with Session(api.env["engine"]) as s, s.begin():
            for c in s.scalars(select(Candidate).where(Candidate.id.in_(ids))):
                c.consent_to_share = False


def test_audit_events_older_than_the_retention_period_are_pruned_and_the_pruning_is_audited(session):
    import datetime as dt

    from models.services.audit import prune
    from models.tables import AuditEvent, utcnow

    session.add_all(
        [
            AuditEvent(action="candidate.view", object_type="candidate", object_id="1", details={}, at=utcnow()),
            AuditEvent(
                action="candidate.view",
                object_type="candidate",
                object_id="2",
                details={},
                at=utcnow() - dt.timedelta(days=800),
            ),
        ]
    )
    session.flush()
    assert prune(session, older_than=dt.timedelta(days=730)) >= 1
    old = session.scalars(select(AuditEvent).where(AuditEvent.at < utcnow() - dt.timedelta(days=730))).all()
    assert old == []
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "audit.prune")) is not None


ROLE_STEPS = {
    "coach.oost": {"proposed_to_candidate", "proposed_to_employer", "rejected", "withdrawn"},
    "adviseur.oost": {"proposed_to_candidate", "proposed_to_employer", "interview", "placed", "rejected", "withdrawn"},
    "jobhunter.oost": {"proposed_to_candidate", "proposed_to_employer", "interview", "placed", "rejected"},
}


@pytest.mark.parametrize("who", sorted(ROLE_STEPS))
@pytest.mark.parametrize(
    "to", ["proposed_to_candidate", "proposed_to_employer", "interview", "placed", "rejected", "withdrawn"]
)
def test_each_role_takes_only_its_own_steps_of_the_match_workflow(api, who, to):
    """Per transition: a step outside the role is 403; inside it, the workflow decides (200, or 409 for a jump or
    a proposal to an employer without consent)."""
    n = next(_n)
    body = {
        "external_id": f"steps-{n}",
        "area": "oost",
        "postcode": "9733",
        "ladder_step": 5,
        "hours_min": 20,
        "hours_max": 32,
        "desired_occupations": [{"label": "orderpicker"}],
    }
    cid = api.post("coach.oost", "/v1/candidates", json=body).json()["id"]
    with Session(api.env["engine"]) as s:
        vid = s.scalar(
            select(Vacancy.id)
            .where(Vacancy.area_id == _area_id(s, "oost"), Vacancy.status == "open")
            .order_by(Vacancy.id)
        )
    mid = api.post("coach.oost", "/v1/matches", json={"candidate_id": cid, "vacancy_id": vid}).json()["id"]
    res = api.post(who, f"/v1/matches/{mid}/status", json={"status": to, "reason": "matrix"})
    if to not in ROLE_STEPS[who]:
        assert res.status_code == 403
    elif to in ("proposed_to_candidate", "rejected", "withdrawn"):
        assert res.status_code == 200, res.text
    else:
        assert res.status_code == 409  # a jump from 'suggested', or no consent for the employer
    assert api.get("admin", f"/v1/matches/{mid}").status_code == 404
    api.delete("coach.oost", f"/v1/candidates/{cid}")
