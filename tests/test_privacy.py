"""Nothing leaked: each regression test below answered differently before (see the docstrings)."""

from __future__ import annotations

import itertools

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
