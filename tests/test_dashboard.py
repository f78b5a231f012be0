"""The team dashboard: counts per gebied and month that match the database, small counts suppressed, no personal
data, and only for team leads (and admins)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.db import session_scope
from models.enums import MatchStatus
from models.services.dashboard import SMALL, team_numbers
from models.tables import Candidate, CandidatePersonal, Match, MatchEvent, Vacancy, utcnow


def _steps(session: Session, vacancies: list[Vacancy], candidates: list[Candidate], status: str, n: int) -> None:
    for i in range(n):
        m = Match(
            candidate_id=candidates[i].id,
            vacancy_id=vacancies[0].id,
            score=70,
            status=status,
            created_at=utcnow() - dt.timedelta(days=10 + i),
        )
        session.add(m)
        session.flush()
        session.add(MatchEvent(match_id=m.id, from_status="suggested", to_status=status, at=utcnow(), reason="te ver"))


def test_counts_match_the_database_and_small_ones_are_suppressed(small_db):
    with session_scope(small_db) as s:
        by_area: dict[int, list[Vacancy]] = {}
        for v in s.scalars(select(Vacancy).order_by(Vacancy.id)):
            by_area.setdefault(v.area_id, []).append(v)
        (big, vacs_big), (small, vacs_small) = sorted(by_area.items(), key=lambda kv: -len(kv[1]))[:2]
        cands = list(s.scalars(select(Candidate).order_by(Candidate.id)))
        _steps(s, vacs_big, cands[:6], MatchStatus.placed.value, 6)
        _steps(s, vacs_small, cands[6:9], MatchStatus.placed.value, 3)
        _steps(s, vacs_big, cands[9:14], MatchStatus.rejected.value, 5)
    with Session(small_db) as s:
        d = team_numbers(s)
        from models.services.areas import Geo

        geo = Geo.of(s)
        big_code, small_code = geo.area_by_id[big].code, geo.area_by_id[small].code
        now = d.months[-1]
        assert d.counts["placements"][big_code][now] == 6
        assert d.counts["placements"][small_code][now] is None, "3 placements are shown as <5"
        assert d.city["placements"][now] == 9, "the city total counts them all"
        assert d.days_to_placement[now] is not None and 10 <= d.days_to_placement[now] <= 20
        assert ("te ver", 5) in d.rejection_reasons
        for code, shown_count in d.open_vacancies.items():
            raw = len(
                s.scalars(
                    select(Vacancy.id).where(Vacancy.status == "open", Vacancy.area_id == geo.areas[code].id)
                ).all()
            )
            assert shown_count == (None if 0 < raw < SMALL else raw), (code, raw, shown_count)
        every = [v for metric in d.counts.values() for area in metric.values() for v in area.values()]
        assert all(v is None or v == 0 or v >= SMALL for v in every), "no count from 1 to 4 is ever shown"


def test_the_dashboard_is_for_team_leads_and_shows_no_personal_data(api):
    from tests.factories import ui_client

    lead = ui_client(api, "coach.centrum")
    page = lead.get("/ui/dashboard")
    assert page.status_code == 200 and "Teamdashboard" in page.text
    assert 'role="img"' in page.text and "<svg" in page.text, "plots, server-rendered"
    assert page.text.count("<table") >= 5, "a table beside each plot"
    with Session(api.env["engine"]) as s:
        names = [f"{p.first_name} {p.last_name}" for p in s.scalars(select(CandidatePersonal))]
        numbers = list(s.scalars(select(Candidate.external_id)))
    assert not any(n in page.text for n in names + numbers), "no personal data on the dashboard"
    assert not re.search(r">\s*[1-4]\s*<", page.text.split("<svg")[0].split("Nu</h2>")[-1]), "no count of 1 to 4"
    csv = lead.get("/ui/dashboard.csv")
    assert csv.status_code == 200 and csv.text.lstrip("\ufeff").startswith("gebied;maand;meting;aantal")
    assert ui_client(api, "coach.oost").get("/ui/dashboard").status_code == 403
    assert "Teamdashboard" in lead.get("/ui/kandidaten").text, "the menu shows it to a team lead"
    assert "Teamdashboard" not in ui_client(api, "coach.oost").get("/ui/kandidaten").text


@pytest.mark.parametrize("who", ["adviseur.oost", "jobhunter.oost"])
def test_other_roles_do_not_see_the_dashboard(api, who):
    from tests.factories import ui_client

    assert ui_client(api, who).get("/ui/dashboard.csv").status_code == 403
