"""Reading Dutch vacancy text and scan notes (#16): the hand-written regression set, the API and the web UI."""

from __future__ import annotations

import re

import pytest

from matcher.labels import CONSTRAINT_NL
from matcher.parsing import clean_title, parse_scan_notes, parse_vacancy, phrases, sentences
from tests.vacancy_texts import TEXTS, TODAY

FIELDS = ("hours", "licence", "education", "start", "contract", "offer")


def _read(parsed) -> dict:
    return {
        "hours": (parsed.hours_min, parsed.hours_max) if parsed.hours_max is not None else None,
        "licence": parsed.driving_licence,
        "education": parsed.education_level.value if parsed.education_level else None,
        "start": parsed.start_date,
        "contract": parsed.contract_type.value if parsed.contract_type else None,
        "offer": parsed.offer_type.value if parsed.offer_type else None,
    }


@pytest.mark.parametrize("case", TEXTS, ids=[t["title"] for t in TEXTS])
def test_the_conditions_of_thirty_hand_written_vacancies(case):
    parsed = parse_vacancy(case["text"], occupations=None, skills=None, today=TODAY)
    got = _read(parsed)
    assert {f: got[f] for f in FIELDS} == {f: case[f] for f in FIELDS}
    assert case["title"].lower() in parsed.title.lower()
    assert "(m/v/x)" not in parsed.title and "gezocht" not in parsed.title.lower()
    for field, sentence in parsed.evidence.items():  # each condition says where it was read
        assert sentence in case["text"] or sentence in {s for s in sentences(case["text"])}, field


def test_titles_lose_job_site_noise_but_keep_the_job():
    assert clean_title("Orderpicker gezocht (m/v/x) – 32 tot 38 uur") == "Orderpicker"
    assert clean_title("Allround medewerker bediening (M/V)") == "medewerker bediening"
    assert clean_title("Vacature: Kok") == "Kok"


def test_phrases_keep_coordinated_skills_whole_and_halved():
    got = phrases("Je hebt ervaring met goederen laden en lossen, en je kunt een heftruck besturen.")
    assert "goederen laden en lossen" in [p.lower() for p in got]
    assert not any(p.lower() in ("controleren", "je") for p in got)


def test_scan_notes_give_hours_and_constraints_never_a_licence_from_nowhere():
    notes = "Wil graag werken als kok. Kan 20 tot 24 uur per week. Geen nachtdiensten vanwege de kinderen."
    parsed = parse_scan_notes(notes, occupations=None, skills=None, today=TODAY)
    assert (parsed.hours_min, parsed.hours_max) == (20, 24)
    assert [c.value for c in parsed.constraints] == ["no_night_shifts"]
    assert parsed.driving_licence is None


@pytest.mark.slow
def test_occupations_and_skills_of_the_hand_written_vacancies_with_the_real_model(taxonomy, capsys):
    found, precise = 0, []
    cases = [c for c in TEXTS if c["occupation"]]
    for case in cases:
        parsed = parse_vacancy(case["text"], occupations=taxonomy.occupations, skills=taxonomy.skills, today=TODAY)
        labels = " | ".join(o.label.lower() for o in parsed.occupations)
        found += case["occupation"] in labels
        for s in parsed.required_skills + parsed.nice_skills:
            assert s.sentence in sentences(case["text"])
            precise.append(s.score)
    recall = found / len(cases)
    with capsys.disabled():
        print(f"\noccupation recall@3 on {len(cases)} hand-written vacancies: {recall:.2f}")
    assert recall >= 0.6, recall


def test_the_api_suggests_fields_and_saves_nothing(api):
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from models.tables import Vacancy

    with Session(api.env["engine"]) as s:
        before = s.scalar(select(func.count()).select_from(Vacancy))
    res = api.post("adviseur.oost", "/v1/vacancies/parse", json={"text": TEXTS[0]["text"]})
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["title"] == "Orderpicker" and (body["hours_min"], body["hours_max"]) == (32, 38)
    assert body["contract_type"] == "temporary" and body["evidence"]["hours"].startswith("Orderpicker")
    assert len(body["occupations"]) <= 3
    with Session(api.env["engine"]) as s:
        assert s.scalar(select(func.count()).select_from(Vacancy)) == before
    bad = api.post("adviseur.oost", "/v1/vacancies/parse", json={"text": ""})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    notes = api.post("coach.oost", "/v1/candidates/parse", json={"text": "Wil werken als kok, 20 uur per week."})
    assert notes.status_code == 200 and (notes.json()["hours_min"], notes.json()["hours_max"]) == (20, 20)
    assert api.post("adviseur.oost", "/v1/candidates/parse", json={"text": "x"}).status_code == 403


def test_the_adviser_pastes_a_vacancy_checks_the_suggestions_and_saves(api):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from models.tables import Vacancy
    from tests.factories import ui_client

    ui = ui_client(api, "adviseur.oost")
    page = ui.get("/ui/vacatures/nieuw")
    assert "Plak de vacaturetekst" in page.text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)
    case = TEXTS[3]  # heftruckchauffeur: licence B, mbo 2, permanent, 38 hours
    filled = ui.post("/ui/vacatures/nieuw/tekst", data={"csrf": csrf, "text": case["text"]})
    assert filled.status_code == 200 and "Voorstellen uit de tekst" in filled.text
    assert 'value="Heftruckchauffeur"' in filled.text and 'name="hours_max" min="0" max="60" value="38"' in filled.text
    assert '<option value="B" selected>' in filled.text and '<option value="mbo2" selected>' in filled.text
    assert '<option value="permanent" selected>' in filled.text
    with Session(api.env["engine"]) as s:  # nothing saved yet
        assert not s.scalar(select(Vacancy.id).where(Vacancy.title == "Heftruckchauffeur plak-test"))
    form = {
        "csrf": csrf,
        "title": "Heftruckchauffeur plak-test",
        "employer_name": "Distributiecentrum Eemspoort",
        "postcode": "9733",
        "description": case["text"],
        "skills": "heftruck besturen",
        "nice_skills": "rijbewijs B",
        "hours_min": "38",
        "hours_max": "38",
        "offer_type": "paid_job",
        "education_level": "mbo2",
        "driving_licence": "B",
        "contract_type": "permanent",
        "start_date": "2027-01-04",
    }
    saved = ui.post("/ui/vacatures/nieuw", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text[:500]
    with Session(api.env["engine"]) as s:
        vac = s.scalars(select(Vacancy).where(Vacancy.title == "Heftruckchauffeur plak-test")).one()
        assert (vac.driving_licence, vac.education_level.value, vac.contract_type.value) == ("B", "mbo2", "permanent")
        assert str(vac.start_date) == "2027-01-04" and [n["label"] for n in vac.nice_skills] == ["rijbewijs B"]
        s.delete(vac)  # the API world is shared: leave nothing behind
        s.commit()


def test_the_coach_pastes_notes_and_the_scan_form_holds_the_suggestions(api):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from models.tables import Candidate
    from tests.factories import ui_client

    with Session(api.env["engine"]) as s:
        cid = s.scalar(
            select(Candidate.id).where(Candidate.coach_id == api.env["users"]["coach.oost"]).order_by(Candidate.id)
        )
        before = s.get(Candidate, cid).updated_at
    ui = ui_client(api, "coach.oost")
    page = ui.get(f"/ui/kandidaten/{cid}")
    assert "Notities uit het gesprek plakken" in page.text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)
    notes = "Wil graag werken als kok in een restaurant. Kan 20 tot 24 uur per week. Geen nachtdiensten."
    res = ui.post(f"/ui/kandidaten/{cid}/notities", data={"csrf": csrf, "text": notes})
    assert res.status_code == 200 and "Voorstellen uit de notities" in res.text
    assert 'name="hours_min" min="0" max="60" value="20"' in res.text
    assert 'name="hours_max" min="0" max="60" value="24"' in res.text
    assert "Genoemde voorwaarden" in res.text and CONSTRAINT_NL["no_night_shifts"] in res.text
    with Session(api.env["engine"]) as s:  # nothing saved until the coach saves the scan
        assert s.get(Candidate, cid).updated_at == before
    other = ui_client(api, "coach.west")
    assert other.post(f"/ui/kandidaten/{cid}/notities", data={"csrf": csrf, "text": notes}).status_code in (403, 404)


class _Found:
    def __init__(self, uri: str, label: str, score: float) -> None:
        self.uri, self.label, self.score = uri, label, score


class _Table:
    """A searcher that answers from a table (phrase -> hit): the spotter's rules, without a model."""

    def __init__(self, table: dict[str, tuple[str, str, float]]) -> None:
        self.table = table

    def search(self, queries, top=5):
        return [[_Found(*self.table[q])] if q in self.table else [] for q in queries]


def test_a_phrase_no_dutch_skill_fits_may_find_an_english_only_one_and_never_beats_a_dutch_one():
    from matcher.parsing import spot_skills

    lines = ["Je werkt met Excel en Word.", "Je houdt de werkplek schoon."]
    dutch = _Table({"houdt werkplek schoon": ("esco:nl-clean", "reiniging van de werkplek", 0.5)})
    english = _Table(
        {
            "werkt met Excel en Word": ("esco:en-sheets", "use spreadsheets software", 0.70),
            "houdt werkplek schoon": ("esco:en-clean", "maintain work area cleanliness", 0.9),
            "Je werkt": ("esco:en-word", "work in a team", 0.60),  # under the English threshold
        }
    )
    found = {s.uri: s for s, _nice in spot_skills(lines, dutch, threshold=0.33, english=english)}
    assert set(found) == {"esco:nl-clean", "esco:en-sheets"}  # Dutch first; English only where no Dutch fits
    assert found["esco:en-sheets"].sentence == lines[0] and found["esco:en-sheets"].score < found["esco:nl-clean"].score


@pytest.mark.slow
def test_dutch_phrases_find_english_only_esco_skills_with_the_real_model(taxonomy):
    from matcher.parsing import DenseSearch, spot_skills
    from matcher.taxonomy import ConceptLabels, Normalizer
    from matcher.textvectors import TextVectors

    wanted = {"use spreadsheets software", "maintain work area cleanliness", "prepare dietary meals"}
    english_only = [s for s in taxonomy.esco.skills.values() if not s.dutch]
    sample = [s for s in english_only if s.preferred in wanted] + english_only[:300]
    norm = Normalizer(
        [ConceptLabels(s.uri, s.preferred, s.labels) for s in sample],
        TextVectors(taxonomy.occupations.vectors.embedder),
    )
    lines = ["Je kunt goed met Excel werken.", "Je houdt je werkplek schoon.", "Je bereidt dieetmaaltijden."]
    empty = _Table({})
    found = {s.label for s, _ in spot_skills(lines, empty, threshold=0.33, english=DenseSearch(norm))}
    assert len(found & wanted) >= 2, found


def test_the_edit_form_shows_and_keeps_the_conditions_a_text_can_suggest(api):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from models.tables import Area, Vacancy
    from tests.factories import ui_client

    with Session(api.env["engine"]) as s:
        vac = s.scalars(select(Vacancy).join(Area).where(Area.code == "oost").order_by(Vacancy.id)).first()
        vid, kept = vac.id, (vac.title, vac.postcode, vac.driving_licence, vac.contract_type, vac.education_level)
        hours = (vac.hours_min, vac.hours_max)
    ui = ui_client(api, "adviseur.oost")
    page = ui.get(f"/ui/vacatures/{vid}/bewerken")
    assert 'id="contract_type"' in page.text and 'id="driving_licence"' in page.text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)
    base = {"csrf": csrf, "title": kept[0], "postcode": kept[1], "hours_min": "20", "hours_max": "30"}
    try:
        res = ui.post(f"/ui/vacatures/{vid}/bewerken", data=base | {"driving_licence": "C", "contract_type": "on_call"})
        assert res.status_code in (200, 303), res.text[:300]
        with Session(api.env["engine"]) as s:
            v = s.get(Vacancy, vid)
            assert (v.driving_licence, v.contract_type.value) == ("C", "on_call")
        ui.post(f"/ui/vacatures/{vid}/bewerken", data=base)  # a form without those fields keeps them
        with Session(api.env["engine"]) as s:
            assert s.get(Vacancy, vid).driving_licence == "C"
    finally:
        with Session(api.env["engine"]) as s, s.begin():
            v = s.get(Vacancy, vid)
            v.driving_licence, v.contract_type, v.education_level = kept[2], kept[3], kept[4]
            v.hours_min, v.hours_max = hours
