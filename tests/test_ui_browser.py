"""End-to-end in real headless Chromium (Debian's chromium, driven by Playwright): each role signs in and
does its main flow; an adviser never sees a candidate's name before consent. Screenshots go to docs/screenshots."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.tables import Candidate, CandidatePersonal, Match, Vacancy
from tests.smtp import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def server(api, backend):
    global SHOOT
    SHOOT = backend == "sqlite"  # the screenshots in docs/ come from one world
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    port = free_port()
    config = uvicorn.Config(api.http.app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    while not srv.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    th.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


def _sign_in(browser, server, api, who):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    page.goto(f"{server}/ui")
    assert page.url.endswith("/ui/inloggen")
    page.get_by_label("Persoonlijk token").fill(api.env["tokens"][who])
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_load_state()
    return page


SHOOT = True


def _shot(page, name):
    if not SHOOT:
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


@pytest.mark.parametrize(
    ("who", "lands", "heading"),
    [
        ("coach.west", "/ui/kandidaten", "Mijn cliënten"),
        ("adviseur.west", "/ui/vacatures", "Vacatures"),
        ("jobhunter.west", "/ui/zoeken", "Zoeken"),
        ("admin", "/ui/beheer", "Gebruikers"),
    ],
)
def test_each_role_signs_in_and_lands_on_its_work(browser, server, api, who, lands, heading):
    page = _sign_in(browser, server, api, who)
    assert page.url.endswith(lands)
    assert page.get_by_role("heading", level=1).inner_text() == heading
    page.close()


def _open_first_vacancy_city_wide(page):
    page.locator("table.wm-table tbody a").first.click()
    page.wait_for_load_state()
    widen = page.get_by_role("link", name="Toon de hele stad")
    if widen.count():
        widen.click()  # "n sterke kandidaten in andere gebieden"
    else:
        page.get_by_label("Gebied").select_option("")
        page.get_by_role("button", name="Toepassen").click()
    page.wait_for_load_state()


def test_adviser_widens_to_the_city_and_proposes_the_best_candidate_in_place(browser, server, api):
    with Session(api.env["engine"]) as s:
        hidden = {
            f"{p.first_name} {p.last_name}"
            for p in s.scalars(
                select(CandidatePersonal)
                .join(Candidate, Candidate.id == CandidatePersonal.candidate_id)
                .where(Candidate.consent_to_share.is_(False))
            )
        }
    page = _sign_in(browser, server, api, "adviseur.west")
    _shot(page, "adviseur-vacatures")
    _open_first_vacancy_city_wide(page)
    cards = page.locator("section.wm-card[data-card]")
    if cards.count() == 0:  # under the threshold everywhere: show those too
        page.get_by_label("Minimale score").fill("0")
        page.get_by_role("button", name="Toepassen").click()
        page.wait_for_load_state()
    assert cards.count() > 0
    body = page.content()
    assert not any(n in body for n in hidden), "a name was shown before consent"
    assert "Aanwezige vaardigheden" in body and "Voorwaarden" in body and "Wat betekent deze score?" in body
    _shot(page, "adviseur-vacature-kandidaten")
    first = cards.first
    cid = int(first.get_attribute("data-candidate-id"))
    page.evaluate("window.stillHere = true")
    first.get_by_role("button", name="Voorstellen").click()
    card = page.locator(f"#kaart-{cid}")
    card.locator(".wm-card-note").wait_for(timeout=10_000)
    assert "Voorgesteld" in card.locator(".wm-card-note").inner_text()
    assert page.evaluate("window.stillHere === true"), "the page was not reloaded"
    assert page.evaluate("document.activeElement.id") == f"kaart-{cid}", "focus stays on the card"
    assert "Voorgelegd aan kandidaat" in card.locator(".wm-state").inner_text()
    assert card.get_by_role("button", name="Voorstellen").count() == 0, "the card shows its new state"
    with Session(api.env["engine"]) as s:
        vid = int(page.url.split("/ui/vacatures/")[1].split("?")[0])
        status = s.scalar(select(Match.status).where(Match.candidate_id == cid, Match.vacancy_id == vid))
    assert str(status) in ("proposed_to_candidate", "MatchStatus.proposed_to_candidate")
    _shot(page, "adviseur-voorgesteld-op-de-kaart")
    page.close()


def test_without_javascript_an_action_comes_back_at_the_same_card(browser, server, api):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900}, locale="nl-NL")
    page = context.new_page()
    page.goto(f"{server}/ui")
    page.get_by_label("Persoonlijk token").fill(api.env["tokens"]["adviseur.centrum"])
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_load_state()
    _open_first_vacancy_city_wide(page)
    page.get_by_label("Minimale score").fill("0")
    page.get_by_role("button", name="Toepassen").click()
    page.wait_for_load_state()
    card = page.locator("section.wm-card[data-card]").filter(has=page.get_by_role("button", name="Voorstellen")).first
    cid = int(card.get_attribute("data-candidate-id"))
    card.get_by_label("Reden van afwijzen").fill("Past niet bij de werktijden")
    card.get_by_role("button", name="Afwijzen").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"#kaart-{cid}"), page.url
    again = page.locator(f"#kaart-{cid}")
    if again.count():  # still ranked: its card says where the pair stands
        assert "Afgewezen" in again.locator(".wm-state").inner_text()
        assert "Past niet bij de werktijden" in again.inner_text()
    assert "Match afgewezen" in page.locator("main [role=status]").first.inner_text()
    context.close()


def test_coach_reads_the_profile_summary_and_rejects_a_suggestion_in_place(browser, server, api):
    page = _sign_in(browser, server, api, "coach.west")
    _shot(page, "coach-caseload")
    page.locator("table.wm-table tbody a").first.click()
    page.wait_for_load_state()
    cid = int(page.url.rsplit("/", 1)[1].split("?")[0])
    with Session(api.env["engine"]) as s:
        cand = s.get(Candidate, cid)
        wanted = [o["label"] for o in cand.desired_occupations]
    summary = page.locator("section.wm-profile")
    assert summary.get_by_role("heading").inner_text().startswith("Wat ")
    assert all(label in summary.inner_text() for label in wanted), "what the client looks for, above the suggestions"
    assert page.get_by_role("heading", name="Voorgestelde vacatures").is_visible()
    if page.locator("section.wm-card[data-card]").count() == 0:
        page.get_by_role("link", name="Toon ook die").first.click()  # "n vacatures onder de drempel"
        page.wait_for_load_state()
    card = page.locator("section.wm-card[data-card]").filter(has=page.get_by_role("button", name="Afwijzen")).first
    title = card.locator("h3 a").inner_text()
    card_id = card.get_attribute("id")
    _shot(page, "coach-client-vacatures")
    card.get_by_label("Reden van afwijzen").fill("Te ver reizen met de fiets")
    card.get_by_role("button", name="Afwijzen").click()
    done = page.locator(f"#{card_id}")
    done.locator(".wm-card-note").wait_for(timeout=10_000)
    assert "afgewezen" in done.locator(".wm-card-note").inner_text()
    assert page.evaluate("document.activeElement.id") == card_id
    page.goto(f"{server}/ui/matches")
    page.get_by_label("Status").select_option("rejected")
    page.get_by_role("button", name="Toepassen").click()
    page.wait_for_load_state()
    row = page.locator("tr", has_text="Te ver reizen met de fiets")
    assert row.count() >= 1 and title in row.first.inner_text()
    assert page.locator("tbody tr", has_text="Voorgelegd aan kandidaat").count() == 0, "only the chosen status"
    _shot(page, "coach-matches")
    page.close()


def test_consent_reveals_the_name_to_the_adviser(browser, server, api):
    coach = _sign_in(browser, server, api, "coach.west")
    coach.locator("table.wm-table tbody a").first.click()
    coach.wait_for_load_state()
    heading = coach.get_by_role("heading", level=1).inner_text()
    name = heading.split("cliëntnummer")[0].strip()
    cid = int(coach.url.rsplit("/", 1)[1].split("?")[0])
    with Session(api.env["engine"]) as s:
        consented = s.get(Candidate, cid).consent_to_share
    adviser = _sign_in(browser, server, api, "adviseur.west")
    if not consented:
        adviser.goto(f"{server}/ui/zoeken?soort=kandidaten&q={name.split()[0]}")
        assert name not in adviser.content()
        coach.get_by_role("button", name="Toestemming vastleggen").click()
        coach.wait_for_load_state()
        assert "Toestemming bijgewerkt" in coach.content()
    _shot(coach, "coach-client")
    coach.close()
    adviser.close()


def test_jobhunter_searches_and_admin_reads_the_audit_log(browser, server, api):
    page = _sign_in(browser, server, api, "jobhunter.west")
    page.get_by_label("Zoek op beroep, vaardigheid of tekst").fill("heftruck magazijn")
    page.get_by_label("In", exact=True).select_option("vacatures")
    page.get_by_role("button", name="Zoeken").click()
    page.wait_for_load_state()
    assert page.locator("section.wm-card").count() > 0
    _shot(page, "jobhunter-zoeken")
    page.close()
    admin = _sign_in(browser, server, api, "admin")
    admin.goto(f"{server}/ui/beheer/audit")
    assert admin.locator("tbody tr").count() > 0 and "Profiel bekeken" in admin.content()
    assert "candidate.view" not in admin.locator("tbody").inner_text(), "actions in Dutch words"
    from models.tables import AuditEvent

    with Session(api.env["engine"]) as s:
        seen = s.scalar(select(AuditEvent.object_id).where(AuditEvent.object_type == "candidate").limit(1))
        number = s.scalar(select(Candidate.external_id).where(Candidate.id == int(seen)))
    admin.get_by_label("Cliëntnummer").fill(number)
    admin.get_by_role("button", name="Filteren").click()
    admin.wait_for_load_state()
    rows = admin.locator("tbody tr")
    assert rows.count() > 0 and all(number in rows.nth(i).inner_text() for i in range(rows.count()))
    _shot(admin, "beheer-auditlog")
    admin.close()


def test_keyboard_focus_is_visible_and_every_input_has_a_label(browser, server, api):
    page = _sign_in(browser, server, api, "adviseur.west")
    page.goto(f"{server}/ui/vacatures/nieuw")
    unlabeled = page.evaluate("""() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
        .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')).map(el => el.name || el.id)""")
    assert unlabeled == []
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent").strip() == "Naar de inhoud"
    page.get_by_label("Titel").fill("Serveerster")
    page.get_by_label("Omschrijving").fill("Leeftijd maximaal 30 jaar")
    page.wait_for_selector("#tekstcontrole .wm-findings", timeout=5000)
    assert "leeftijd" in page.locator("#tekstcontrole").inner_text().lower()
    _shot(page, "adviseur-nieuwe-vacature-tekstcontrole")
    page.close()


AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"  # axe-core, pinned (tests/vendor/VERSIONS)
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _pages(api) -> dict[str, list[str]]:
    with Session(api.env["engine"]) as s:
        client = s.scalar(
            select(Candidate.id).where(Candidate.coach_id == api.env["users"]["coach.west"]).order_by(Candidate.id)
        )
        vacancy = s.scalar(select(Vacancy.id).where(Vacancy.status == "open").order_by(Vacancy.id))
    return {
        "coach.west": [
            "/ui/kandidaten",
            f"/ui/kandidaten/{client}?min=0",
            "/ui/zoeken?q=magazijn",
            "/ui/matches",
            "/ui/instellingen",
            "/ui/vacatures",
        ],
        "adviseur.west": [
            "/ui/vacatures",
            f"/ui/vacatures/{vacancy}?min=0&gebied=",
            "/ui/vacatures/nieuw",
            "/ui/zoeken?q=magazijn&soort=kandidaten",
            "/ui/bestaat-niet",
        ],
        "admin": ["/ui/beheer", "/ui/beheer/audit", "/ui/dashboard"],
    }


def _small_targets(page) -> list[str]:
    """Controls smaller than 24 × 24 px (links inside a sentence are exempt, WCAG 2.2 SC 2.5.8)."""
    return page.evaluate("""() => [...document.querySelectorAll(
        'button, select, input:not([type=hidden]), textarea, summary, nav a, .wm-hints a, .wm-more')]
        .filter(el => el.offsetParent !== null)
        .map(el => [el, el.getBoundingClientRect()])
        .filter(([el, r]) => r.width < 24 || r.height < 24)
        .map(([el, r]) => `${el.tagName} ${el.name || el.textContent.trim().slice(0, 30)} ${r.width}x${r.height}`)""")


@pytest.mark.parametrize("width", [390, 1280])
def test_every_page_fits_the_screen_has_big_enough_targets_and_no_axe_violations(browser, server, api, width, backend):
    if backend != "sqlite":
        pytest.skip("the sweep checks markup, which is the same on both databases (the scenarios run on both)")
    found: dict[str, object] = {}
    for who, urls in _pages(api).items():
        page = _sign_in(browser, server, api, who)
        page.set_viewport_size({"width": width, "height": 844 if width < 600 else 900})
        for url in urls:
            page.goto(server + url)
            page.wait_for_load_state()
            wide = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            if wide > 0:
                found[f"{who} {url}: {wide} px sideways"] = wide
            small = _small_targets(page)
            if small:
                found[f"{who} {url}: small targets"] = small[:5]
            page.add_script_tag(path=str(AXE))
            result = page.evaluate(
                "async tags => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations"
                ".map(v => v.id + ': ' + v.nodes.length)",
                WCAG,
            )
            if result:
                found[f"{who} {url}: axe"] = result
        page.close()
    assert not found, found


def test_a_refused_vacancy_says_why_in_dutch_next_to_the_field(browser, server, api):
    page = _sign_in(browser, server, api, "adviseur.west")
    page.goto(f"{server}/ui/vacatures/nieuw")
    page.get_by_label("Titel").fill("Magazijnmedewerker")
    page.get_by_label("Werkgever").fill("Testbedrijf")
    page.get_by_label("Postcode (4 cijfers)").fill("1012")
    page.get_by_label("Uren per week (minimaal)").fill("32")
    page.get_by_label("Uren per week (maximaal)").fill("8")
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_load_state()
    postcode = page.get_by_label("Postcode (4 cijfers)")
    assert postcode.get_attribute("aria-invalid") == "true"
    assert "ligt niet in de gemeente" in page.locator(f"#{postcode.get_attribute('aria-describedby')}").inner_text()
    _shot(page, "adviseur-formulier-fouten")
    postcode.fill("9712")
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_load_state()
    hours = page.get_by_label("Uren per week (maximaal)")
    assert "lager dan het minimum" in page.locator(f"#{hours.get_attribute('aria-describedby')}").inner_text()
    assert page.get_by_label("Titel").input_value() == "Magazijnmedewerker", "what was typed is kept"
    assert "is more than" not in page.content() and "known postcode" not in page.content()
    page.close()


def test_a_team_lead_reads_the_dashboard(browser, server, api):
    page = _sign_in(browser, server, api, "coach.centrum")
    page.get_by_role("link", name="Teamdashboard").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Teamdashboard"
    assert page.get_by_role("img", name="Plaatsingen per maand, hele gemeente").count() == 1
    _shot(page, "teamleider-dashboard")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    _shot(page, "telefoon-teamleider-dashboard")
    page.close()


def test_on_a_phone_a_long_ranking_starts_with_the_explanations_folded(browser, server, api):
    url = _pages(api)["adviseur.west"][1]
    heights = {}
    for width in (1280, 390):
        page = _sign_in(browser, server, api, "adviseur.west")
        page.set_viewport_size({"width": width, "height": 844})
        page.goto(server + url)
        page.wait_for_load_state()
        cards = page.locator("section.wm-card[data-card]").count()
        assert cards > 0
        opened = page.locator("details.wm-explain[open]").count()
        assert opened == (cards if width == 1280 else 0), (width, opened, cards)
        heights[width] = page.evaluate("() => document.documentElement.scrollHeight")
        if width == 390:
            _shot(page, "telefoon-adviseur-vacature-kandidaten")
            page.locator("details.wm-explain > summary").first.click()
            assert page.locator("details.wm-explain[open]").count() == 1, "one tap opens a card's explanation"
        page.close()
    print(f"vacancy with {cards} candidates: {heights[1280]} px at 1280 wide, {heights[390]} px at 390 wide")
    assert heights[390] < heights[1280] * 2.5, "folded explanations keep a phone page from growing endlessly"
