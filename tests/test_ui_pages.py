"""Every UI page renders in Dutch for the roles that use it, forms need CSRF, and names stay hidden."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.tables import Candidate, CandidatePersonal, Vacancy


def _client(api, who):
    from tests.factories import ui_client

    c = ui_client(api, who)
    cookie = c.last_sign_in.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert api.env["tokens"][who] not in cookie  # the cookie holds a session id, never the personal token
    return c


def _csrf(html):
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def test_sign_in_with_a_bad_token_says_so_in_dutch(api):
    from fastapi.testclient import TestClient

    c = TestClient(api.http.app)
    assert c.get("/ui/vacatures", follow_redirects=False).headers["location"] == "/ui/inloggen"
    form = c.get("/ui/inloggen")
    res = c.post("/ui/inloggen", data={"token": "wm_fout", "csrf": _csrf(form.text)})
    assert "onbekend, verlopen of ingetrokken" in res.text


@pytest.mark.parametrize(
    ("who", "pages"),
    [
        ("coach.oost", ["/ui/kandidaten", "/ui/vacatures", "/ui/matches", "/ui/instellingen"]),
        ("adviseur.oost", ["/ui/vacatures", "/ui/vacatures/nieuw", "/ui/zoeken?q=heftruck", "/ui/matches"]),
        (
            "jobhunter.oost",
            ["/ui/zoeken?q=orderpicker&soort=kandidaten", "/ui/zoeken?q=kok&soort=vacatures", "/ui/vacatures"],
        ),
        ("admin", ["/ui/beheer", "/ui/beheer/audit", "/ui/vacatures"]),
    ],
)
def test_pages_render_for_each_role(api, who, pages):
    c = _client(api, who)
    home = c.get("/ui", follow_redirects=False)
    assert home.status_code == 303
    for path in pages:
        res = c.get(path)
        assert res.status_code == 200, (path, res.text[:500])
        assert '<html lang="nl">' in res.text and "Uitloggen" in res.text


def test_vacancy_page_shows_anonymised_candidates_to_an_adviser(api):
    c = _client(api, "adviseur.oost")
    with Session(api.env["engine"]) as s:
        vid = s.scalar(select(Vacancy.id).where(Vacancy.status == "open").order_by(Vacancy.id))
        hidden = {
            f"{p.first_name} {p.last_name}"
            for p in s.scalars(
                select(CandidatePersonal)
                .join(Candidate, Candidate.id == CandidatePersonal.candidate_id)
                .where(Candidate.consent_to_share.is_(False))
            )
        }
    res = c.get(f"/ui/vacatures/{vid}?min=0&gebied=")
    assert res.status_code == 200 and "Passende kandidaten" in res.text
    assert "(geanonimiseerd)" in res.text and "Voorwaarden" in res.text
    assert not any(n in res.text for n in hidden)


def test_forms_without_csrf_are_refused(api):
    c = _client(api, "coach.oost")
    res = c.post("/ui/acties/feedback", data={"csrf": "x", "candidate_id": 1, "vacancy_id": 1, "relevant": "ja"})
    assert res.status_code == 403 and "CSRF" in res.text


def test_wording_check_fragment_and_friendly_404(api):
    c = _client(api, "adviseur.oost")
    page = c.get("/ui/vacatures/nieuw").text
    frag = c.post(
        "/ui/vacatures/controle", data={"title": "Serveerster", "description": "max 30 jaar", "csrf": _csrf(page)}
    )
    assert "Controleer de tekst" in frag.text and "leeftijd" in frag.text.lower()
    res = c.get("/ui/vacatures/99999999")
    assert res.status_code == 404 and "Niet gevonden" in res.text and "Traceback" not in res.text


ENGLISH = ("is more than", "is not a known", "Input should", "Field required", "Value error", "valid integer")


def _new_vacancy(c, **fields):
    page = c.get("/ui/vacatures/nieuw").text
    form = {
        "csrf": _csrf(page),
        "title": "Magazijnmedewerker",
        "employer_name": "Testbedrijf",
        "postcode": "9712",
        "hours_min": "24",
        "hours_max": "32",
    }
    return c.post("/ui/vacatures/nieuw", data=form | fields, follow_redirects=False)


def _field_error(html: str, field: str) -> str:
    found = re.search(rf'<p class="wm-error" id="{field}-fout">(.*?)</p>', html)
    assert found, f"no error next to {field}"
    assert re.search(rf'aria-describedby="{field}-fout"', html), "the field points at its error"
    return re.sub(r"<[^>]+>", "", found.group(1))


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"hours_min": "32", "hours_max": "8"}, "hours_max", "lager dan het minimum"),
        ({"postcode": "1012"}, "postcode", "ligt niet in de gemeente"),
        ({"title": " "}, "title", "Vul dit veld in"),
    ],
)
def test_a_refused_form_says_why_in_dutch_next_to_the_field(api, fields, field, words):
    c = _client(api, "adviseur.oost")
    res = _new_vacancy(c, **fields)
    assert res.status_code == 200, "the form comes back with what was typed"
    assert words in _field_error(res.text, field)
    assert not any(e in res.text for e in ENGLISH), "no English validation text on a Dutch page"


@pytest.mark.parametrize(
    ("method", "url", "data", "words"),
    [
        ("get", "/ui/vacatures/{v}?min=150", None, "Minimale score: Vul 100 of minder in."),
        ("get", "/ui/kandidaten/{c}?toon=abc", None, "Vul een heel getal in."),
        (
            "post",
            "/ui/instellingen",
            {"min_score": "150", "max_per_mail": "20"},
            "Minimale score: Vul 100 of minder in.",
        ),
    ],
)
def test_an_out_of_range_value_is_a_dutch_page_with_the_menu(api, method, url, data, words):
    who = "coach.oost" if "kandidaten" in url else "adviseur.oost"
    c = _client(api, who)
    with Session(api.env["engine"]) as s:
        vid = s.scalar(select(Vacancy.id).order_by(Vacancy.id))
        cid = s.scalar(select(Candidate.id).where(Candidate.coach_id == api.env["users"]["coach.oost"]))
    if data is not None:
        data = data | {"csrf": _csrf(c.get("/ui/instellingen").text)}
    res = getattr(c, method)(url.format(v=vid, c=cid), **({"data": data} if data else {}))
    assert res.status_code == 422
    assert res.headers["content-type"].startswith("text/html")
    assert words in res.text
    assert "Uitloggen" in res.text and "Hoofdmenu" in res.text, "the menu and the signed-in user stay"
    assert not any(e in res.text for e in ENGLISH)


@pytest.mark.parametrize(("url", "status"), [("/ui/bestaat-niet", 404), ("/ui/beheer", 403)])
def test_not_found_and_forbidden_pages_keep_the_menu_and_the_user(api, url, status):
    c = _client(api, "adviseur.oost")
    res = c.get(url)
    assert res.status_code == status
    assert "Uitloggen" in res.text and "Werkgeversadviseur" in res.text.replace(
        "werkgeversadviseur", "Werkgeversadviseur"
    )


def test_a_coach_exports_the_caseload_as_csv_and_each_client_in_it_is_audited(api):
    import csv
    import io

    from models.tables import AuditEvent

    c = _client(api, "coach.oost")
    coach = api.env["users"]["coach.oost"]
    with Session(api.env["engine"]) as s:
        own = set(s.scalars(select(Candidate.external_id).where(Candidate.coach_id == coach)))
        before = s.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()))
    res = c.get("/ui/kandidaten.csv?sorteer=nummer")
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/csv")
    assert "attachment" in res.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(res.text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:3] == ["cliëntnummer", "voornaam", "achternaam"]
    numbers = [r[0] for r in rows[1:]]
    assert set(numbers) == own and numbers == sorted(numbers), "own clients only, in the order asked"
    with Session(api.env["engine"]) as s:
        exported = s.scalars(
            select(AuditEvent.object_id).where(AuditEvent.id > before, AuditEvent.reason.like("%geëxporteerd (CSV)%"))
        ).all()
    assert len(exported) == len(own), "every client in the file is audited"


def test_lists_page_and_sort(api):
    c = _client(api, "adviseur.oost")
    first = c.get("/ui/vacatures?gebied=&status=&sorteer=titel").text
    titles = re.findall(r'<tr><td><a href="/ui/vacatures/\d+">([^<]+)</a>', first)
    assert titles == sorted(titles, key=str.lower) and len(titles) == 50
    assert "1–50 van " in first and 'rel="next"' in first
    second = c.get("/ui/vacatures?gebied=&status=&sorteer=titel&pagina=2").text
    more = re.findall(r'<tr><td><a href="/ui/vacatures/\d+">([^<]+)</a>', second)
    assert more and more[0].lower() >= titles[-1].lower() and "51–" in second
    assert 'aria-sort="ascending"' in first


def test_a_nul_character_in_a_form_is_refused_and_nothing_is_saved(api):
    """Was: a consent note with a NUL reached PostgreSQL (a 500); the JSON API's schemas already refused it."""
    c = _client(api, "coach.oost")
    with Session(api.env["engine"]) as s:
        cid = s.scalar(select(Candidate.id).where(Candidate.coach_id == api.env["users"]["coach.oost"]))
        before = s.get(Candidate, cid).consent_to_share
    page = c.get(f"/ui/kandidaten/{cid}").text
    res = c.post(
        f"/ui/kandidaten/{cid}/toestemming",
        data={"csrf": _csrf(page), "consent": "0" if before else "1", "note": "mondeling\x00"},
    )
    assert res.status_code == 422
    with Session(api.env["engine"]) as s:
        assert s.get(Candidate, cid).consent_to_share == before
