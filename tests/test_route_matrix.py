"""The web UI's authorisation matrix (role × own/other gebied × own/other client), and the rule that every route
of the API and the web UI has a row in a matrix (or a named test): a new route without a rule fails here."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.tables import Area, Candidate, Match, Vacancy
from tests.factories import ui_client
from tests.test_api import MATRIX, ROLES

# Candidate {c}: of coach.oost; vacancies {v} and {v2}: of gebied oost; match {m}: of ({c}, {v}).
# Expected status per role, in ROLES order (coach.oost, coach.west, adviseur.oost, adviseur.west, jobhunter.oost,
# admin). Form posts carry a valid CSRF value; where a role may act, the form is sent with a value that is refused
# or harmless, so the matrix changes nothing that other tests rely on.
UI_MATRIX = [
    ("GET", "/ui/kandidaten", None, [200, 200, 403, 403, 403, 403]),
    ("GET", "/ui/kandidaten.csv", None, [200, 200, 403, 403, 403, 403]),
    ("GET", "/ui/kandidaten/{c}", None, [200, 404, 403, 403, 403, 403]),
    ("POST", "/ui/kandidaten/{c}", {"hours_min": "30", "hours_max": "10"}, [303, 404, 403, 403, 403, 403]),
    ("POST", "/ui/kandidaten/{c}/toestemming", {"consent": "0"}, [303, 404, 403, 403, 403, 403]),
    ("POST", "/ui/kandidaten/{c}/vum", {"consent": "0"}, [303, 404, 403, 403, 403, 403]),
    ("POST", "/ui/kandidaten/{c}/notities", {"text": "Wil werken als kok, 20 uur."}, [200, 404, 403, 403, 403, 403]),
    ("GET", "/ui/kandidaten/{c}/elders", None, [200, 404, 403, 403, 403, 403]),
    ("POST", "/ui/kandidaten/{c}/elders/bewaren", {"vum_id": "x"}, [303, 404, 403, 403, 403, 403]),
    ("GET", "/ui/vacatures", None, [200, 200, 200, 200, 200, 200]),
    ("GET", "/ui/vacatures.csv", None, [200, 200, 200, 200, 200, 200]),
    ("GET", "/ui/vacatures/nieuw", None, [403, 403, 200, 200, 403, 403]),
    (
        "POST",
        "/ui/vacatures/nieuw",
        {"title": "Kok", "employer_name": "X", "postcode": "0000"},
        [403, 403, 200, 200, 403, 403],
    ),
    ("POST", "/ui/vacatures/nieuw/tekst", {"text": "Kok gezocht, 32 uur per week."}, [403, 403, 200, 200, 403, 403]),
    ("POST", "/ui/vacatures/controle", {"title": "Kok", "description": ""}, [200, 200, 200, 200, 200, 200]),
    ("GET", "/ui/vacatures/{v}", None, [200, 200, 200, 200, 200, 200]),
    ("GET", "/ui/vacatures/{v}/bewerken", None, [403, 403, 200, 403, 403, 403]),
    ("POST", "/ui/vacatures/{v}/vum", {"exchange": "0"}, [403, 403, 303, 403, 403, 403]),
    (
        "POST",
        "/ui/vacatures/{v}/bewerken",
        {"title": "Kok", "postcode": "9731", "hours_min": "50", "hours_max": "10"},
        [403, 403, 200, 403, 403, 403],
    ),
    ("GET", "/ui/zoeken?q=heftruck", None, [200, 200, 200, 200, 200, 200]),
    ("GET", "/ui/suggesties/occupations?q=orderpicker", None, [200, 200, 200, 200, 200, 200]),
    ("GET", "/ui/matches", None, [200, 200, 200, 200, 200, 200]),
    ("GET", "/ui/matches.csv", None, [200, 200, 200, 200, 200, 200]),
    ("POST", "/ui/acties/voorstellen", {"candidate_id": "{c}", "vacancy_id": "{v}"}, [303, 404, 303, 404, 303, 404]),
    (
        "POST",
        "/ui/acties/afwijzen",
        {"candidate_id": "{c}", "vacancy_id": "{v2}", "reden": "matrix"},
        [303, 404, 303, 404, 303, 404],
    ),
    (
        "POST",
        "/ui/acties/feedback",
        {"candidate_id": "{c}", "vacancy_id": "{v}", "relevant": "ja"},
        [303, 404, 303, 404, 303, 404],
    ),
    ("POST", "/ui/acties/status", {"match_id": "{m}", "status": "placed"}, [303, 404, 303, 404, 303, 404]),
    ("GET", "/ui/instellingen", None, [200, 200, 200, 200, 200, 200]),
    ("POST", "/ui/instellingen", {"min_score": "60", "max_per_mail": "20", "active": "1"}, [303] * 5 + [403]),
    ("GET", "/ui/beheer", None, [403, 403, 403, 403, 403, 200]),
    ("GET", "/ui/dashboard", None, [403, 403, 403, 403, 403, 200]),
    ("GET", "/ui/dashboard.csv", None, [403, 403, 403, 403, 403, 200]),
    ("GET", "/ui/beheer/audit", None, [403, 403, 403, 403, 403, 200]),
    ("POST", "/ui/beheer/gebruiker", {"name": "X", "email": "geen-adres", "role": "coach"}, [403] * 5 + [200]),
    ("POST", "/ui/beheer/token", {"user_id": "2147483000", "actie": "intrekken"}, [403] * 5 + [404]),
    ("POST", "/ui/uitloggen", {}, [303] * 6),
]
UI_CASES = [(m, p, b, role, exp[i]) for m, p, b, exp in UI_MATRIX for i, role in enumerate(ROLES)]

# Routes whose rules are tested elsewhere, and where.
ELSEWHERE = {
    ("GET", "/health"): "public: test_api.py::test_operations_endpoints",
    ("GET", "/ready"): "public: test_api.py::test_operations_endpoints",
    ("GET", "/metrics"): "public: test_api.py::test_operations_endpoints",
    ("GET", "/v1/areas"): "public reference data: test_api_foundation.py",
    ("GET", "/afmelden/{token}"): "signed link, no login: test_nightly.py (unsubscribe)",
    ("POST", "/afmelden/{token}"): "signed link, no login: test_nightly.py (one-click unsubscribe)",
    ("GET", "/ui/inloggen/sso"): "public, starts single sign-on: test_oidc.py (404 without a provider)",
    (
        "GET",
        "/ui/inloggen/sso/terug",
    ): "public, state-bound callback: test_oidc.py::test_a_forged_or_replayed_callback…",
    ("GET", "/ui/inloggen"): "public: test_privacy.py::test_the_sign_in_form_needs_its_csrf_value…",
    ("POST", "/ui/inloggen"): "public: test_privacy.py::test_the_sign_in_form_needs_its_csrf_value…",
    ("GET", "/ui"): "each role's start page: test_ui_pages.py::test_pages_render_for_each_role",
    ("DELETE", "/v1/candidates/{candidate_id}"): "test_api.py::test_delete_removes_the_candidate…",
    ("DELETE", "/v1/subscriptions/{kind}"): "own subscriptions only: test_api.py::test_subscriptions",
    ("POST", "/v1/employers"): "adviser of the gebied: test_api.py (employers) and test_privacy.py (takeover)",
    ("PATCH", "/v1/employers/{employer_id}"): "adviser of the gebied: require_employer_writer",
    ("DELETE", "/v1/employers/{employer_id}"): "adviser of the gebied: require_employer_writer",
    ("GET", "/v1/employers/{employer_id}"): "employers are not personal data: everyone reads",
    ("DELETE", "/v1/vacancies/{vacancy_id}"): "adviser of the gebied: require_vacancy_writer",
    ("GET", "/v1/taxonomy/occupations"): "reference data: test_api.py::test_taxonomy_suggestions",
    ("GET", "/v1/taxonomy/skills"): "reference data: test_api.py::test_taxonomy_suggestions",
    ("POST", "/v1/admin/users"): "admin only (requires(Role.admin)): test_api.py",
    ("POST", "/v1/admin/users/{user_id}/deactivate"): "admin only (requires(Role.admin))",
    ("POST", "/v1/admin/users/{user_id}/tokens"): "admin only: test_privacy.py (attributed to the admin)",
    ("DELETE", "/v1/admin/users/{user_id}/tokens"): "admin only (requires(Role.admin))",
}


def _routes(app) -> set[tuple[str, str]]:
    from fastapi.routing import APIRoute

    found: set[tuple[str, str]] = set()

    def walk(routes, base: str, own_prefix: str) -> None:
        """A route's path holds its own router's prefix, not those of the routers that include it."""
        for r in routes:
            inner = getattr(r, "original_router", None)
            if inner is not None:
                walk(inner.routes, base + r.include_context.prefix, inner.prefix)
            elif isinstance(r, APIRoute):
                found.update((m, base + r.path) for m in r.methods - {"HEAD"})

    walk(app.routes, "", "")
    return {(m, p) for m, p in found if not p.startswith(("/docs", "/redoc", "/openapi"))}


def _covers(template: str, matrix_path: str) -> bool:
    """Whether a matrix row's path (``/v1/candidates/{c}?x=1``) is a request to this route template."""
    concrete = re.sub(r"\{[a-z0-9]+\}", "1", matrix_path.split("?")[0])
    return re.fullmatch(re.sub(r"\{[a-z_]+\}", "[^/]+", template), concrete) is not None


def test_every_route_has_a_rule_in_a_matrix(api):
    routes = _routes(api.http.app)
    rows = [(m, p) for m, p, _, _ in [*MATRIX, *UI_MATRIX]]
    missing = [
        (m, p)
        for m, p in sorted(routes)
        if (m, p) not in ELSEWHERE and not any(rm == m and _covers(p, rp) for rm, rp in rows)
    ]
    assert not missing, f"routes without an authorisation rule in a matrix: {missing}"
    stale = [k for k in ELSEWHERE if k not in routes]
    assert not stale, f"ELSEWHERE names routes that do not exist: {stale}"


def _world(api) -> dict[str, int]:
    with Session(api.env["engine"]) as s:
        oost = s.scalar(select(Area.id).where(Area.code == "oost"))
        coach = api.env["users"]["coach.oost"]
        c = s.scalar(
            select(Candidate.id).where(Candidate.coach_id == coach, Candidate.status == "active").order_by(Candidate.id)
        )
        vs = list(
            s.scalars(select(Vacancy.id).where(Vacancy.area_id == oost, Vacancy.status == "open").order_by(Vacancy.id))
        )
        m = s.scalar(select(Match.id).where(Match.candidate_id == c, Match.vacancy_id == vs[0]))
    if m is None:
        made = api.post("coach.oost", "/v1/matches", json={"candidate_id": c, "vacancy_id": vs[0]})
        m = made.json()["id"]
    return {"c": c, "v": vs[0], "v2": vs[1], "m": m}


@pytest.mark.parametrize(
    ("method", "path", "body", "role", "expected"), UI_CASES, ids=[f"{c[0]} {c[1]} as {c[3]}" for c in UI_CASES]
)
def test_ui_authorisation_matrix(api, method, path, body, role, expected):
    ids = _world(api)
    ui = ui_client(api, role)
    url = path.format(**ids)
    if method == "GET":
        res = ui.get(url, follow_redirects=False)
    else:
        page = ui.get("/ui/vacatures").text
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
        data = {k: v.format(**ids) for k, v in (body or {}).items()} | {"csrf": csrf}
        res = ui.post(url, data=data, follow_redirects=False)
    assert res.status_code == expected, (res.status_code, res.text[:300])
    if res.status_code in (403, 404):
        assert res.headers["content-type"].startswith("text/html") and "<html" in res.text


# The consent dimension: one candidate of coach.oost with an open match on a vacancy of gebied oost; the view each
# role gets when it opens that candidate, without and with the coach's recorded consent (a list never releases).
CONSENT_VIEWS = {
    False: ["full", 404, "anonymised", "anonymised", "anonymised", "anonymised"],
    True: ["full", 404, "released", "anonymised", "released", "anonymised"],
}


@pytest.mark.parametrize("consent", [False, True])
def test_what_each_role_sees_of_one_candidate_without_and_with_consent(api, consent):
    ids = _world(api)
    c = ids["c"]
    assert api.post("coach.oost", f"/v1/candidates/{c}/consent", json={"consent": consent}).status_code == 200
    try:
        for role, expected in zip(ROLES, CONSENT_VIEWS[consent], strict=True):
            res = api.get(role, f"/v1/candidates/{c}")
            got = res.status_code if res.status_code != 200 else res.json()["view"]
            assert got == expected, (role, got)
            listed = api.get(role, "/v1/candidates?limit=200").json()["items"]
            assert all(x["view"] == ("full" if role.startswith("coach") else "anonymised") for x in listed)
    finally:
        api.post("coach.oost", f"/v1/candidates/{c}/consent", json={"consent": False})
