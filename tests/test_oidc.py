"""Single sign-on through a real OpenID provider (panva's certified oidc-provider on loopback, see
``tests/oidc_provider.py``): the web UI's code flow with PKCE, just-in-time users with role and gebied from the
groups claim, refusals with a Dutch message, sign-out at the provider too, and the provider's access tokens on the
API next to personal tokens (expired, other audience, other key, other issuer: 401). Both databases."""

from __future__ import annotations

import re
import threading
import time
import urllib.parse

import httpx
import pytest
import uvicorn
from joserfc import jws, jwt
from joserfc.jwk import OctKey, RSAKey
from sqlalchemy import select

from models.db import session_scope
from models.services import oidc
from models.tables import AuditEvent, User
from tests.oidc_provider import (
    API_AUDIENCE,
    CLIENT_ID,
    CLIENT_SECRET,
    OTHER_RESOURCE,
    SHORT_CLIENT,
    Provider,
    available,
    new_key,
)
from tests.smtp import free_port

pytestmark = pytest.mark.skipif(available() is not None, reason=str(available()))

DOMAIN = "groningen.example"
ROLES = {"wm-beheer": "admin", "wm-coach-oost": "coach:oost", "wm-adviseur-west": "employer_adviser:west"}


def accounts() -> dict[str, dict]:
    def person(name: str, email: str, groups: list[str] | None, **extra) -> dict:
        return {"password": f"geheim-{name.split()[0].lower()}", "email": email, "name": name, "groups": groups} | extra

    return {
        "sanne": person("Sanne de Vries", f"sanne.devries@{DOMAIN}", ["wm-coach-oost", "medewerkers"]),
        "ahmed": person("Ahmed El Amrani", f"ahmed.elamrani@{DOMAIN}", ["medewerkers", "wm-adviseur-west"]),
        "kees": person("Kees Kantine", f"kees.kantine@{DOMAIN}", ["medewerkers"]),
        "jobhunter": person("Jobhunter Haren", "jobhunter.haren@demo.werkmatch.nl", None),
        "extern": person("Eva Extern", "eva@elders.example", ["wm-coach-oost"]),
        "wisselaar": person("Wim Wissel", f"wim.wissel@{DOMAIN}", ["wm-coach-oost"]),
        "onbevestigd": person("Olga Open", f"olga@{DOMAIN}", ["wm-coach-oost"], email_verified=False),
        "vertrokken": person("Vera Vertrokken", f"vera@{DOMAIN}", ["wm-coach-oost"]),
    }


class World:
    """The provider, a werkmatch server signing in through it, and its database."""

    def __init__(self, env, provider: Provider, url: str, app) -> None:
        self.env, self.provider, self.url, self.app = env, provider, url, app

    def user(self, email: str) -> User | None:
        with session_scope(self.env["engine"]) as s:
            user = s.scalar(select(User).where(User.email == email))
            if user is not None:
                s.expunge(user)
            return user

    def audit(self, action: str) -> list[AuditEvent]:
        with session_scope(self.env["engine"]) as s:
            rows = list(s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))
            for r in rows:
                s.expunge(r)
            return rows

    def browser_client(self) -> httpx.Client:
        return httpx.Client(follow_redirects=False, timeout=15)

    def sign_in(self, login: str) -> tuple[httpx.Client, httpx.Response]:
        """A browser of its own signs in as ``login``; the callback's answer."""
        c = self.browser_client()
        start = c.get(f"{self.url}/ui/inloggen/sso")
        assert start.status_code == 303
        back = self.provider.sign_in(c, start.headers["location"], login=login)
        assert back.startswith(f"{self.url}/ui/inloggen/sso/terug?")
        return c, c.get(back)


@pytest.fixture(scope="module")
def world(backend, tmp_path_factory, demo_store, esco_dir):
    from api.main import create_app
    from tests.conftest import _make_env
    from werkmatch.settings import Settings

    db, env = _make_env(backend, tmp_path_factory, demo_store, esco_dir, candidates=40, vacancies=20)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    provider = Provider(tmp_path_factory.mktemp("oidc"), werkmatch_url=url, accounts=accounts())
    settings = Settings(
        database_url=env["url"],
        data_dir=tmp_path_factory.mktemp("sso-data"),
        base_url=url,
        oidc_issuer=provider.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        oidc_scopes="openid email profile groups",
        oidc_audience=API_AUDIENCE,
        oidc_roles=ROLES,
        oidc_email_domains=[DOMAIN, "demo.werkmatch.nl"],
        oidc_clock_skew_seconds=0,
    )
    app = create_app(settings, store=env["store"], preload=False)
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    while not srv.started:
        time.sleep(0.05)
    yield World(env, provider, url, app)
    srv.should_exit = True
    th.join(timeout=10)
    provider.stop()
    env["engine"].dispose()
    db.drop()


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


# --------------------------------------------------------------------------- the web UI
def test_the_sign_in_page_offers_the_municipality_account_and_the_redirect_carries_pkce_state_and_nonce(world):
    page = httpx.get(f"{world.url}/ui/inloggen")
    assert "Inloggen met je gemeente-account" in page.text and "Persoonlijk token" in page.text
    start = httpx.get(f"{world.url}/ui/inloggen/sso", follow_redirects=False)
    assert start.status_code == 303
    target = urllib.parse.urlsplit(start.headers["location"])
    query = urllib.parse.parse_qs(target.query)
    assert f"{target.scheme}://{target.netloc}" == world.provider.issuer
    assert query["response_type"] == ["code"] and query["client_id"] == [CLIENT_ID]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert query["redirect_uri"] == [f"{world.url}/ui/inloggen/sso/terug"]
    assert "wm_sso" in start.headers["set-cookie"] and "HttpOnly" in start.headers["set-cookie"]


def test_a_coach_signs_in_through_the_provider_and_is_created_with_role_and_gebied_from_the_groups(world):
    c, res = world.sign_in("sanne")
    assert res.status_code == 303 and res.headers["location"] == "/ui"
    page = c.get(f"{world.url}/ui/kandidaten")
    assert page.status_code == 200 and "Sanne de Vries" in page.text
    user = world.user(f"sanne.devries@{DOMAIN}")
    assert user is not None and user.role == "coach" and user.oidc_subject == "sanne" and user.active
    assert user.area_id is not None
    provisioned = [e for e in world.audit("user.provision") if e.object_id == str(user.id)]
    assert provisioned and provisioned[0].details["area"] == "oost"
    assert any(e.actor_id == user.id and e.details.get("via") == "oidc" for e in world.audit("ui.login"))
    # an adviser of another gebied gets the adviser's pages, not the coach's
    c2, res2 = world.sign_in("ahmed")
    assert res2.status_code == 303
    assert c2.get(f"{world.url}/ui/vacatures/nieuw").status_code == 200
    assert c2.get(f"{world.url}/ui/kandidaten").status_code == 403
    adviser = world.user(f"ahmed.elamrani@{DOMAIN}")
    assert adviser is not None and adviser.role == "employer_adviser"


def test_a_user_whose_groups_map_to_no_role_is_refused_in_dutch_and_not_created(world):
    _, res = world.sign_in("kees")
    assert res.status_code == 403
    assert "geeft geen toegang tot werkmatch" in res.text
    assert world.user(f"kees.kantine@{DOMAIN}") is None
    refused = world.audit("ui.login_refused")
    assert any(e.details["reason"] == "no_role" and e.details["subject"] == "kees" for e in refused)


def test_refusals_for_another_domain_and_an_unverified_address(world):
    _, res = world.sign_in("extern")
    assert res.status_code == 403 and "domein" in res.text
    _, res = world.sign_in("onbevestigd")
    assert res.status_code == 403 and "niet bevestigd" in res.text
    assert world.user("eva@elders.example") is None and world.user(f"olga@{DOMAIN}") is None


def test_without_a_groups_claim_the_role_an_admin_gave_is_kept_and_the_account_is_linked(world):
    before = world.user("jobhunter.haren@demo.werkmatch.nl")
    assert before is not None and before.oidc_subject is None
    c, res = world.sign_in("jobhunter")
    assert res.status_code == 303
    after = world.user("jobhunter.haren@demo.werkmatch.nl")
    assert after.id == before.id and after.role == "jobhunter" and after.area_id == before.area_id
    assert after.oidc_subject == "jobhunter"
    assert c.get(f"{world.url}/ui/zoeken").status_code == 200


def test_leaving_the_group_loses_access_at_the_next_sign_in_and_ends_open_sessions(world):
    first, res = world.sign_in("wisselaar")
    assert res.status_code == 303 and first.get(f"{world.url}/ui/kandidaten").status_code == 200
    moved = accounts()
    moved["wisselaar"]["groups"] = ["medewerkers"]
    world.provider.set_accounts(moved)
    try:
        _, again = world.sign_in("wisselaar")
    finally:
        world.provider.set_accounts(accounts())
    assert again.status_code == 403 and "geeft geen toegang" in again.text
    assert first.get(f"{world.url}/ui/kandidaten").headers["location"] == "/ui/inloggen"


def test_a_deactivated_user_is_refused_even_with_a_valid_provider_sign_in_and_token(world):
    c, res = world.sign_in("vertrokken")
    assert res.status_code == 303
    token = world.provider.access_token("vertrokken")
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{world.url}/v1/me", headers=headers).status_code == 200
    user = world.user(f"vera@{DOMAIN}")
    admin = {"Authorization": f"Bearer {world.env['tokens']['admin']}"}
    assert httpx.post(f"{world.url}/v1/admin/users/{user.id}/deactivate", headers=admin).status_code == 200
    _, res = world.sign_in("vertrokken")
    assert res.status_code == 403 and "uitgeschakeld" in res.text
    assert httpx.get(f"{world.url}/v1/me", headers=headers).status_code == 401
    assert c.get(f"{world.url}/ui/kandidaten").headers["location"] == "/ui/inloggen"


def test_a_forged_or_replayed_callback_signs_nobody_in(world):
    c = world.browser_client()
    start = c.get(f"{world.url}/ui/inloggen/sso")
    back = world.provider.sign_in(c, start.headers["location"], login="sanne")
    forged = re.sub(r"state=[^&]+", "state=vervalst", back)
    res = c.get(forged)
    assert res.status_code == 400 and "wm_sessie" not in res.headers.get("set-cookie", "")
    stranger = world.browser_client()  # the code without the browser's cookie: not bound to this browser
    assert stranger.get(back).status_code == 400
    assert c.get(back).status_code == 303  # the right browser with the right state
    assert c.get(back).status_code == 400  # once: the browser's sign-in state is spent


def test_signing_out_ends_the_session_here_and_at_the_provider(world):
    c, _ = world.sign_in("sanne")
    page = c.get(f"{world.url}/ui/kandidaten")
    out = c.post(f"{world.url}/ui/uitloggen", data={"csrf": _csrf(page.text)})
    assert out.status_code == 303
    end = urllib.parse.urlsplit(out.headers["location"])
    assert out.headers["location"].startswith(world.provider.issuer)
    assert "id_token_hint" in urllib.parse.parse_qs(end.query)
    assert c.get(f"{world.url}/ui/kandidaten").headers["location"] == "/ui/inloggen"
    confirm = c.get(out.headers["location"])
    assert confirm.status_code == 200 and 'id="op.logoutForm"' in confirm.text
    action = re.search(r'action="([^"]+)"', confirm.text).group(1)
    xsrf = re.search(r'name="xsrf" value="([^"]+)"', confirm.text).group(1)
    done = c.post(urllib.parse.urljoin(world.provider.issuer, action), data={"xsrf": xsrf, "logout": "yes"})
    assert done.status_code in (302, 303)
    assert done.headers["location"] == f"{world.url}/ui/inloggen?uitgelogd=1"
    assert "Je bent uitgelogd" in c.get(done.headers["location"]).text
    # the provider forgot the browser too: the next sign-in asks for the password again
    again = c.get(c.get(f"{world.url}/ui/inloggen/sso").headers["location"])
    while again.status_code in (302, 303) and again.headers["location"].startswith(("/", world.provider.issuer)):
        again = c.get(urllib.parse.urljoin(world.provider.issuer, again.headers["location"]))
    assert 'name="password"' in again.text
    assert any(e.details is not None for e in world.audit("ui.logout"))


def test_the_token_form_can_be_switched_off_and_settings_refuse_unsafe_combinations(world, tmp_path):
    from fastapi.testclient import TestClient

    from api.main import create_app
    from werkmatch.settings import Settings

    settings = Settings(
        database_url=world.env["url"],
        data_dir=tmp_path,
        oidc_issuer=world.provider.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_roles=ROLES,
        token_sign_in=False,
    )
    client = TestClient(create_app(settings, store=world.env["store"], preload=False))
    page = client.get("/ui/inloggen")
    assert "Persoonlijk token" not in page.text and "gemeente-account" in page.text
    res = client.post("/ui/inloggen", data={"token": world.env["tokens"]["coach.oost"], "csrf": "x"})
    assert res.status_code == 403 and "staat uit" in res.text
    # the API still takes personal tokens (scripts, service accounts)
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {world.env['tokens']['coach.oost']}"})
    assert me.status_code == 200
    plain = TestClient(create_app(Settings(database_url=world.env["url"], data_dir=tmp_path), store=world.env["store"]))
    assert "gemeente-account" not in plain.get("/ui/inloggen").text
    for path in ("/ui/inloggen/sso", "/ui/inloggen/sso/terug?code=x&state=y"):
        assert plain.get(path, follow_redirects=False).status_code == 404
    with pytest.raises(ValueError, match="nobody could sign in"):
        Settings(token_sign_in=False)
    with pytest.raises(ValueError, match="https"):
        Settings(oidc_issuer="http://login.example.org", oidc_client_id="x")
    with pytest.raises(ValueError, match="needs a gebied"):
        Settings(oidc_issuer="https://login.example.org", oidc_client_id="x", oidc_roles={"g": "coach"})
    with pytest.raises(ValueError, match="unknown role"):
        Settings(oidc_issuer="https://login.example.org", oidc_client_id="x", oidc_roles={"g": "baas"})


# --------------------------------------------------------------------------- the API
def _me(world, token: str) -> httpx.Response:
    return httpx.get(f"{world.url}/v1/me", headers={"Authorization": f"Bearer {token}"})


def test_a_provider_access_token_works_on_the_api_next_to_personal_tokens(world):
    token = world.provider.access_token("ahmed")
    claims = jwt.decode(token, RSAKey.import_key(world.provider.keys[0])).claims
    assert claims["aud"] == API_AUDIENCE and claims["iss"] == world.provider.issuer
    me = _me(world, token)
    assert me.status_code == 200, me.text
    assert me.json()["email"] == f"ahmed.elamrani@{DOMAIN}" and me.json()["role"] == "employer_adviser"
    assert httpx.get(f"{world.url}/v1/vacancies", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert _me(world, world.env["tokens"]["coach.oost"]).status_code == 200


def _refused(world, token: str, reason_part: str) -> None:
    before = len(world.audit("api.token_refused"))
    res = _me(world, token)
    assert res.status_code == 401, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    assert res.headers["www-authenticate"].startswith("Bearer")
    after = world.audit("api.token_refused")
    assert len(after) == before + 1 and reason_part in after[-1].details["reason"], after[-1].details
    assert token not in str(after[-1].details)


def test_an_expired_provider_token_is_refused(world):
    token = world.provider.access_token("sanne", client_id=SHORT_CLIENT)
    time.sleep(2.1)
    _refused(world, token, "exp")


def test_a_token_for_another_audience_is_refused(world):
    token = world.provider.access_token("sanne", resource=OTHER_RESOURCE)
    assert jwt.decode(token, RSAKey.import_key(world.provider.keys[0])).claims["aud"] == "ander-systeem"
    _refused(world, token, "aud")


def test_a_token_signed_by_another_key_is_refused(world):
    good = world.provider.access_token("sanne")
    claims = jwt.decode(good, RSAKey.import_key(world.provider.keys[0])).claims
    for kid in (world.provider.keys[0]["kid"], "onbekende-sleutel"):
        other = RSAKey.generate_key(2048, parameters={"kid": kid}, private=True)
        forged = jwt.encode({"alg": "RS256", "kid": kid, "typ": "at+jwt"}, claims, other)
        _refused(world, forged, "invalid_token")
    unsigned = ".".join(good.split(".")[:2]) + "."
    _refused(world, unsigned, "invalid_token")
    header = jws.extract_compact(good.encode()).headers() | {"alg": "HS256"}
    hmac = jwt.encode(header, claims, OctKey.import_key(CLIENT_SECRET), algorithms=["HS256"])
    _refused(world, hmac, "invalid_token")


def test_an_id_token_is_not_taken_as_an_access_token_even_where_the_audiences_coincide(world):
    from werkmatch.settings import Settings

    id_token = world.provider.tokens("sanne")["id_token"]
    settings = Settings(oidc_issuer=world.provider.issuer, oidc_client_id=CLIENT_ID, oidc_audience=CLIENT_ID)
    provider = oidc.OpenIdProvider(settings)
    claims = provider.validate(
        id_token,
        audience=CLIENT_ID,
        nonce=jwt.decode(id_token, RSAKey.import_key(world.provider.keys[0])).claims["nonce"],
    )
    assert claims["sub"] == "sanne"  # a valid ID token ...
    with pytest.raises(oidc.InvalidToken, match="an ID token is not an access token"):
        provider.validate_access_token(id_token)  # ... is not an access token
    _refused(world, id_token, "invalid_token")  # and the API (audience werkmatch-api) refuses it


def test_a_token_from_another_issuer_is_refused_even_with_the_same_keys(world, tmp_path):
    elsewhere = Provider(tmp_path, werkmatch_url=world.url, accounts=accounts(), keys=world.provider.keys)
    try:
        token = elsewhere.access_token("sanne")
    finally:
        elsewhere.stop()
    assert jwt.decode(token, RSAKey.import_key(world.provider.keys[0])).claims["iss"] == elsewhere.issuer
    _refused(world, token, "iss")


def test_the_provider_rotates_its_key_and_tokens_of_both_keys_work(world, monkeypatch):
    old_token = world.provider.access_token("sanne")
    assert _me(world, old_token).status_code == 200
    monkeypatch.setattr(oidc, "KEYS_REFETCH_SECONDS", 0.0)
    old_keys = list(world.provider.keys)
    world.provider.restart(keys=[new_key(), *old_keys])
    try:
        new_token = world.provider.access_token("sanne")
        assert jws.extract_compact(new_token.encode()).headers()["kid"] == world.provider.keys[0]["kid"]
        assert _me(world, new_token).status_code == 200
        assert _me(world, old_token).status_code == 200
    finally:
        world.provider.restart(keys=old_keys)


# --------------------------------------------------------------------------- in the real browser
from tests.test_ui_browser import CHROMIUM, browser  # noqa: E402,F401  (the shared Chromium fixture)


def _browser_sign_in(browser, world, login: str):  # noqa: F811
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    page.goto(f"{world.url}/ui")
    assert page.url.endswith("/ui/inloggen")
    page.get_by_role("link", name="Inloggen met je gemeente-account").click()
    assert page.url.startswith(world.provider.issuer), "the browser is at the provider"
    page.get_by_label("Username").fill(login)
    page.get_by_label("Password").fill(world.provider.accounts[login]["password"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return page


@pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_in_the_browser_a_coach_and_an_adviser_sign_in_a_stranger_is_refused_and_sign_out_ends_it(browser, world):  # noqa: F811
    coach = _browser_sign_in(browser, world, "sanne")
    assert coach.url == f"{world.url}/ui/kandidaten"
    assert coach.get_by_role("heading", level=1).inner_text() == "Mijn cliënten"
    assert "Sanne de Vries" in coach.locator(".wm-user").inner_text()

    adviser = _browser_sign_in(browser, world, "ahmed")
    assert adviser.url == f"{world.url}/ui/vacatures"
    assert "Ahmed El Amrani" in adviser.locator(".wm-user").inner_text()
    adviser.goto(f"{world.url}/ui/kandidaten")
    assert "Mijn cliënten" not in adviser.content()
    adviser.close()

    stranger = _browser_sign_in(browser, world, "kees")
    assert stranger.url.startswith(f"{world.url}/ui/inloggen/sso/terug")
    assert "geeft geen toegang tot werkmatch" in stranger.get_by_role("alert").inner_text()
    stranger.close()

    coach.get_by_role("button", name="Uitloggen").click()
    coach.wait_for_url(f"{world.provider.issuer}/**")  # the provider asks to end its session too
    coach.get_by_role("button", name="Yes, sign me out").click()
    coach.wait_for_url(f"{world.url}/ui/inloggen?uitgelogd=1")
    assert "Je bent uitgelogd" in coach.content()
    coach.goto(f"{world.url}/ui/kandidaten")
    assert coach.url.endswith("/ui/inloggen"), "the session is over here"
    coach.get_by_role("link", name="Inloggen met je gemeente-account").click()
    assert coach.get_by_label("Password").is_visible(), "and at the provider: it asks for the password again"
    coach.close()
