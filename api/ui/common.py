"""What every page shares: templates, the signed session cookie, CSRF, the signed-in user, the error page."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import secrets
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.deps import SessionDep
from api.ui.dutch import detail_nl, errors_nl, form_errors_nl, summary_nl
from data import load_json
from matcher.labels import (
    AUDIT_ACTION_NL,
    CANDIDATE_STATUS_NL,
    CONSTRAINT_NL,
    CONTRACT_NL,
    EDUCATION_NL,
    MATCH_STATUS_NL,
    OBJECT_NL,
    OFFER_NL,
    ROLE_NL,
    SUBSCRIPTION_KIND_NL,
    TRAVEL_MODE_NL,
    VACANCY_STATUS_NL,
)
from models.db import real_transaction, session_factory
from models.enums import Role
from models.schemas import AreaRead
from models.services import ServiceError, sessions
from models.services.access import Forbidden, next_steps, reads_dashboard, require_role
from models.services.areas import list_areas
from models.tables import User

T = TypeVar("T")
COOKIE = "wm_sessie"
LOGIN_COOKIE = "wm_inlog"
SESSION_SECONDS = sessions.SESSION_HOURS * 3600  # the cookie lives as long as the server-side session
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parents[1] / "templates"))
templates.env.globals["gebied_naam"] = lambda code: gebied(code)
templates.env.globals["summary_nl"] = summary_nl
LABELS = {
    "role_nl": ROLE_NL,
    "offer_nl": OFFER_NL,
    "vstatus_nl": VACANCY_STATUS_NL,
    "cstatus_nl": CANDIDATE_STATUS_NL,
    "mstatus_nl": MATCH_STATUS_NL,
    "edu_nl": EDUCATION_NL,
    "contract_nl": CONTRACT_NL,
    "kind_nl": SUBSCRIPTION_KIND_NL,
    "travel_nl": TRAVEL_MODE_NL,
    "constraint_nl": CONSTRAINT_NL,
    "audit_nl": AUDIT_ACTION_NL,
    "object_nl": OBJECT_NL,
}
ERROR_TITLES = {
    401: "Niet ingelogd",
    403: "Geen toegang",
    404: "Niet gevonden",
    409: "Dat kan nu niet",
    413: "Te veel gegevens",
    422: "Controleer wat je invulde",
    503: "Even niet bereikbaar",
    500: "Er ging iets mis",
}
ERROR_MESSAGES = {
    404: "Deze pagina of dit gegeven bestaat niet, of je hebt er geen toegang toe.",
    500: "Er ging iets mis aan onze kant. Probeer het later opnieuw; blijft het gebeuren, meld het dan bij de "
    "beheerder.",
}


THRESHOLD = 30
"""Rankings hide pairs scored under this by default ("n onder de drempel", one click shows them)."""
PAGE_STEP = 20
"""A ranking shows this many at a time ("meer" adds as many)."""
MAX_SHOWN = 100


def filter_link(path: str, filters: dict[str, Any]) -> Callable[..., str]:
    """``link(**changes)``: the page's address with its filters, some changed (for "toon ook", "meer")."""

    def link(**changes: Any) -> str:
        params: dict[str, Any] = {}
        for key, value in (filters | changes).items():
            if isinstance(value, bool):
                if value:
                    params[key] = "1"
            else:
                params[key] = value
        return f"{path}?{urlencode(params)}"

    return link


LIST_PAGE = 50
"""Rows per page of a list (caseload, vacancies, matches, audit log)."""
CSV_ROWS = 5000
"""The most rows one CSV export holds."""
PageNo = Annotated[int, Query(ge=1, le=10_000, description="page of a list, from 1")]


def csv_response(name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """A CSV download (semicolon-separated with a BOM, as Dutch spreadsheet programs open it)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(x) for x in row])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _cell(value: Any) -> str:
    """A cell as text; one that a spreadsheet would run as a formula is quoted (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def paging(pagina: int, total: int | None, shown: int) -> dict[str, Any]:
    """What a list's pager shows: this page's rows as 'first–last of total', and whether there is more."""
    first = (pagina - 1) * LIST_PAGE + 1
    last = first + shown - 1
    more = last < total if total is not None else shown == LIST_PAGE
    return {"pagina": pagina, "first": first if shown else 0, "last": last, "total": total, "more": more}


@lru_cache(maxsize=1)
def area_name_table() -> dict[str, str]:
    """Gebied names as people write them, by code (from the gemeente's list the database is seeded from)."""
    return {a["code"]: a["name"] for a in load_json("areas.json")["areas"]}


def gebied(code: str | None) -> str:
    """A gebied's name for a page (``ten-boer`` → ``Ten Boer``)."""
    return area_name_table().get(code or "", code or "")


class Redirect(Exception):
    """Send the browser elsewhere (e.g. to sign in)."""

    def __init__(self, url: str) -> None:
        self.url = url


def _csrf(request: Request, secret: str) -> str:
    key = request.app.state.settings.secret_key.encode()
    return hmac.new(key, b"csrf:" + hashlib.sha256(secret.encode()).digest(), "sha256").hexdigest()[:40]


def session_id(request: Request) -> str | None:
    """The session id in the cookie (random, server-side; it is not a token and grants nothing by itself)."""
    raw = request.cookies.get(COOKIE)
    return raw if raw and len(raw) <= 128 else None


def set_session_cookie(request: Request, response: Response, raw: str) -> None:
    """Sign the browser in: HttpOnly, SameSite=Lax, Secure behind https."""
    response.set_cookie(
        COOKIE,
        raw,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.base_url.startswith("https://"),
        path="/",
    )


def login_form(request: Request, name: str, **ctx: Any) -> HTMLResponse:
    """The sign-in page with its CSRF protection (before there is a session): a random value in a strict
    cookie and, keyed, in the form."""
    value = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    request.state.csrf = _csrf(request, "login:" + value)
    resp = page(request, name, None, **ctx)
    resp.set_cookie(LOGIN_COOKIE, value, max_age=3600, httponly=True, samesite="strict", path="/ui/inloggen")
    return resp


def login_csrf_ok(request: Request, csrf: str) -> bool:
    """Whether the sign-in form came from our own page."""
    value = request.cookies.get(LOGIN_COOKIE)
    return bool(value) and hmac.compare_digest(csrf, _csrf(request, "login:" + (value or "")))


def _identify(request: Request, session: Session) -> User | None:
    """The user of the browser's server-side session (None when signed out), remembered for the page."""
    raw = session_id(request)
    user = sessions.session_user(session, raw=raw) if raw else None
    if user is None:
        return None
    request.state.csrf = _csrf(request, raw or "")
    request.state.user_id = user.id
    # a detached copy for the error page, which is rendered after the request's transaction rolled back
    request.state.ui_user = SimpleNamespace(
        id=user.id, name=user.name, email=user.email, role=Role(user.role), team_lead=bool(user.team_lead)
    )
    return user


def ui_user(request: Request, session: SessionDep) -> User:
    """The user of the browser's server-side session, or a redirect to the sign-in page."""
    user = _identify(request, session)
    if user is None:
        raise Redirect("/ui/inloggen")
    return user


UiUser = Annotated[User, Depends(ui_user)]


def ui_requires(*roles: Role) -> Any:
    """A role-only gate for a page, declared on the route (decided in ``access``)."""

    def gate(user: UiUser) -> None:
        require_role(user, *roles)

    return Depends(gate)


def check_csrf(request: Request, csrf: str) -> None:
    """Reject a form post without the right CSRF token."""
    if not hmac.compare_digest(csrf, _csrf(request, session_id(request) or "")):
        raise Forbidden("ongeldig formulier (CSRF); laad de pagina opnieuw")


def page(request: Request, name: str, user: User | None, **ctx: Any) -> HTMLResponse:
    """Render a page with the common context."""
    areas = ctx.pop("areas_list", None) or []
    flash = flash_message(request)
    base = {
        "user": user,
        "csrf": getattr(request.state, "csrf", ""),
        "flash": flash,
        "areas": areas,
        "next_steps": (lambda status: next_steps(user, status)) if user is not None else (lambda status: []),
        "reads_dashboard": lambda who: who is not None and reads_dashboard(who),
    }
    return templates.TemplateResponse(request, name, base | LABELS | ctx)


def areas_and_names(session: Session) -> tuple[list[AreaRead], dict[str, str]]:
    """The gebieden, and their names by code."""
    areas = list_areas(session)
    return areas, {a.code: a.name for a in areas}


def lines(text: str) -> list[dict[str, str]]:
    """One concept label per non-empty line of a text area."""
    return [{"label": x.strip()} for x in text.splitlines() if x.strip()]


def back(terug: str) -> str:
    """Only redirect within the UI."""
    return terug if terug.startswith("/ui/") else "/ui"


def redirect(url: str) -> RedirectResponse:
    """A 303 after a form post."""
    return RedirectResponse(url, status_code=303)


def _flash_signer(request: Request) -> URLSafeSerializer:
    return URLSafeSerializer(request.app.state.settings.secret_key, salt="werkmatch-ui-flash")


def redirect_with(request: Request, url: str, message: str, *, anchor: str | None = None) -> RedirectResponse:
    """Redirect and show a message there; the message travels signed, so a link cannot put text of its own
    in the page's official alert box. ``anchor`` brings the browser back to the card it acted on."""
    url, _, _ = url.partition("#")
    sep = "&" if "?" in url else "?"
    target = f"{url}{sep}{urlencode({'melding': _flash_signer(request).dumps(message[:300])})}"
    return redirect(f"{target}#{anchor}" if anchor else target)


def flash_message(request: Request) -> str | None:
    """The signed message of a redirect, if any (anything unsigned is ignored)."""
    raw = request.query_params.get("melding")
    if not raw:
        return None
    try:
        return str(_flash_signer(request).loads(raw))
    except BadSignature:
        return None


def error_response(request: Request, status: int, detail: str, errors: Sequence[Any] = ()) -> Response | None:
    """The Dutch error page for UI paths (None elsewhere: the API answers problem+json), with the menu and the
    signed-in user; a refused value in the address is named in Dutch."""
    if not request.url.path.startswith("/ui"):
        return None
    if status == 401:
        return redirect("/ui/inloggen")
    if getattr(request.state, "ui_user", None) is None and session_id(request):
        # an address no page has, or a value refused before the page knew its user: keep menu and name
        with session_factory(request.app.state.engine)() as session:
            _identify(request, session)
    resp = page(
        request,
        "ui/error.html",
        getattr(request.state, "ui_user", None),
        title=ERROR_TITLES.get(status, "Er ging iets mis"),
        message=ERROR_MESSAGES.get(status) or detail_nl(status, detail),
        problems=summary_nl(errors_nl(errors)) if errors else [],
    )
    resp.status_code = status
    return resp


def attempt(session: Session, flow: Callable[[], T]) -> tuple[T | None, dict[str, str]]:
    """Run a form's flow in a savepoint: when the input is refused nothing of it is kept and the form shows why,
    in Dutch, per field (``""``: the form as a whole). Access refusals (403, 404) are not form errors: they
    propagate to the error page."""
    real_transaction(session.connection())
    try:
        with session.begin_nested():
            return flow(), {}
    except ServiceError as exc:
        if exc.status in (403, 404):
            raise
        return None, form_errors_nl(exc)
    except (ValidationError, ValueError) as exc:
        return None, form_errors_nl(exc)
