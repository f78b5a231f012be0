"""The web UI in Dutch: server-rendered pages over the same services, with a session cookie and CSRF."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from api.deps import SessionDep, ensure_store
from matcher.enums import MATCH_TRANSITIONS, MatchStatus, Role
from matcher.wording import check_vacancy_text
from models.schemas import CandidateUpdate, UserCreate, VacancyCreate, VacancyUpdate
from models.services import ServiceError, rankings
from models.services.access import View, candidate_view, require_coach_of, require_vacancy_writer
from models.services.areas import Geo, list_areas
from models.services.audit import list_events, record, record_candidate_views
from models.services.candidates import get_candidate, update_candidate
from models.services.matches import add_feedback, change_status, save_result
from models.services.nightly import KIND_NL, ROLE_DEFAULTS
from models.services.users import authenticate_token, create_token, revoke_tokens, user_read
from models.services.vacancies import get_vacancy, update_vacancy, upsert_vacancy, vacancy_read
from models.services.views import render
from models.tables import Candidate, Match, Subscription, User, Vacancy, utcnow

COOKIE = "wm_sessie"
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
NL = {
    "role_nl": {
        "coach": "coach",
        "employer_adviser": "werkgeversadviseur",
        "jobhunter": "jobhunter",
        "admin": "beheerder",
    },
    "offer_nl": {
        "paid_job": "betaalde baan",
        "work_experience": "werkervaringsplaats",
        "learning_job": "leerwerkplek/BBL",
        "participation": "participatieplaats/vrijwilligerswerk",
    },
    "vstatus_nl": {"open": "open", "filled": "vervuld", "closed": "gesloten"},
    "cstatus_nl": {"active": "actief", "paused": "gepauzeerd", "placed": "geplaatst", "withdrawn": "uitgestroomd"},
    "mstatus_nl": {
        "suggested": "voorgesteld door werkmatch",
        "proposed_to_candidate": "voorgelegd aan kandidaat",
        "proposed_to_employer": "voorgesteld aan werkgever",
        "interview": "gesprek",
        "placed": "geplaatst",
        "rejected": "afgewezen",
        "withdrawn": "ingetrokken",
    },
    "edu_nl": {
        "none": "geen diploma",
        "vmbo": "vmbo",
        "mbo1": "mbo 1",
        "mbo2": "mbo 2",
        "mbo3": "mbo 3",
        "mbo4": "mbo 4",
        "hbo": "hbo",
        "wo": "wo",
    },
}
router = APIRouter(prefix="/ui", include_in_schema=False)


class Redirect(Exception):
    """Send the browser elsewhere (e.g. to sign in)."""

    def __init__(self, url: str) -> None:
        self.url = url


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.settings.secret_key, salt="werkmatch-ui-session")


def _csrf(request: Request, token: str) -> str:
    key = request.app.state.settings.secret_key.encode()
    return hmac.new(key, b"csrf:" + hashlib.sha256(token.encode()).digest(), "sha256").hexdigest()[:40]


def _token(request: Request) -> str | None:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        return str(_serializer(request).loads(raw, max_age=12 * 3600))
    except BadSignature:
        return None


def ui_user(request: Request, session: SessionDep) -> User:
    """The signed-in user, or a redirect to the sign-in page."""
    token = _token(request)
    user = authenticate_token(session, token=token) if token else None
    if user is None:
        raise Redirect("/ui/inloggen")
    request.state.csrf = _csrf(request, token or "")
    request.state.user_id = user.id
    return user


UiUser = Annotated[User, Depends(ui_user)]


def check_csrf(request: Request, csrf: str) -> None:
    """Reject a form post without the right CSRF token."""
    token = _token(request) or ""
    if not hmac.compare_digest(csrf, _csrf(request, token)):
        raise HTTPException(403, "ongeldig formulier (CSRF); laad de pagina opnieuw")


def page(request: Request, name: str, user: User | None, **ctx: Any) -> HTMLResponse:
    """Render a page with the common context."""
    areas = ctx.pop("areas_list", None) or []
    flash = request.query_params.get("melding")
    base = {"user": user, "csrf": getattr(request.state, "csrf", ""), "flash": flash, "areas": areas}
    return templates.TemplateResponse(request, name, base | NL | ctx)


def _areas(session: Session) -> tuple[list[Any], dict[str, str]]:
    areas = list_areas(session)
    return areas, {a.code: a.name for a in areas}


# ------------------------------------------------------------------------------------- sign in
@router.get("/inloggen", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    """The sign-in form."""
    return page(request, "ui/login.html", None)


@router.post("/inloggen")
def login(request: Request, session: SessionDep, token: Annotated[str, Form()]) -> Response:
    """Check the token and set the session cookie (HttpOnly, SameSite=Lax)."""
    user = authenticate_token(session, token=token.strip())
    if user is None:
        return page(request, "ui/login.html", None, error="Dit token is onbekend, verlopen of ingetrokken.")
    record(session, actor=user, action="ui.login", object_type="user", object_id=user.id)
    resp = RedirectResponse("/ui", status_code=303)
    secure = request.app.state.settings.base_url.startswith("https://")
    resp.set_cookie(
        COOKIE,
        _serializer(request).dumps(token.strip()),
        max_age=12 * 3600,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )
    return resp


@router.post("/uitloggen")
def logout(request: Request, user: UiUser, csrf: Annotated[str, Form()]) -> Response:
    """Clear the session cookie."""
    check_csrf(request, csrf)
    resp = RedirectResponse("/ui/inloggen", status_code=303)
    resp.delete_cookie(COOKIE, path="/")
    return resp


@router.get("")
def home(user: UiUser) -> Response:
    """Each role starts where its work is."""
    target = {
        Role.coach: "/ui/kandidaten",
        Role.employer_adviser: "/ui/vacatures",
        Role.jobhunter: "/ui/zoeken",
        Role.admin: "/ui/beheer",
    }[Role(user.role)]
    return RedirectResponse(target, status_code=303)


# ------------------------------------------------------------------------------------ vacancies
@router.get("/vacatures", response_class=HTMLResponse)
def vacancies_page(
    request: Request, session: SessionDep, user: UiUser, gebied: str | None = None, status: str | None = "open"
) -> HTMLResponse:
    """Vacancies; advisers start with their own gebied."""
    areas, names = _areas(session)
    geo = Geo(session)
    if gebied is None and user.role == Role.employer_adviser and user.area_id:
        gebied = geo.area_by_id[user.area_id].code
    stmt = select(Vacancy).order_by(Vacancy.id.desc())
    if gebied:
        stmt = stmt.where(Vacancy.area_id == geo.area(gebied).id)
    if status:
        stmt = stmt.where(Vacancy.status == status)
    from api.routers.vacancies import checked

    rows = [checked(v) for v in session.scalars(stmt.limit(200))]
    return page(
        request,
        "ui/vacancies.html",
        user,
        vacancies=rows,
        areas_list=areas,
        area_names=names,
        gebied=gebied or "",
        status=status or "",
    )


@router.post("/vacatures/controle", response_class=HTMLResponse)
def wording_fragment(
    request: Request,
    user: UiUser,
    title: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """The discriminatory-wording check as an HTML fragment, shown while the adviser types."""
    check_csrf(request, csrf)
    return templates.TemplateResponse(request, "ui/wording.html", {"findings": check_vacancy_text(title, description)})


def _vacancy_form(
    request: Request, session: Session, user: User, v: Any, form: dict[str, Any], errors: list[str] | None = None
) -> HTMLResponse:
    action = f"/ui/vacatures/{v.id}/bewerken" if v else "/ui/vacatures/nieuw"
    findings = check_vacancy_text(form.get("title", ""), form.get("description", ""))
    return page(
        request, "ui/vacancy_form.html", user, v=v, form=form, action=action, errors=errors or [], findings=findings
    )


@router.get("/vacatures/nieuw", response_class=HTMLResponse)
def new_vacancy_page(request: Request, session: SessionDep, user: UiUser) -> HTMLResponse:
    """The form for a new vacancy (employer advisers)."""
    if user.role != Role.employer_adviser:
        raise HTTPException(403, "alleen werkgeversadviseurs maken vacatures")
    return _vacancy_form(request, session, user, None, {})


def _errors(exc: ValidationError) -> list[str]:
    return [
        f"{'.'.join(map(str, e['loc'])) or 'formulier'}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()
    ]


@router.post("/vacatures/nieuw")
def new_vacancy(
    request: Request,
    session: SessionDep,
    user: UiUser,
    csrf: Annotated[str, Form()],
    title: Annotated[str, Form()],
    employer_name: Annotated[str, Form()],
    postcode: Annotated[str, Form()],
    description: Annotated[str, Form()] = "",
    skills: Annotated[str, Form()] = "",
    hours_min: Annotated[int, Form()] = 24,
    hours_max: Annotated[int, Form()] = 32,
    offer_type: Annotated[str, Form()] = "paid_job",
) -> Response:
    """Create a vacancy in the adviser's own gebied."""
    check_csrf(request, csrf)
    if user.role != Role.employer_adviser or not user.area_id:
        raise HTTPException(403, "alleen werkgeversadviseurs maken vacatures")
    area = Geo(session).area_by_id[user.area_id].code
    form = {
        "title": title,
        "description": description,
        "employer_name": employer_name,
        "postcode": postcode,
        "skills": skills,
        "hours_min": hours_min,
        "hours_max": hours_max,
        "offer_type": offer_type,
    }
    stamp = utcnow().strftime("%Y%m%d%H%M%S%f")
    try:
        data = VacancyCreate.model_validate(
            {
                "external_id": f"ui-{user.id}-{stamp}",
                "title": title,
                "description": description,
                "area": area,
                "postcode": postcode,
                "owner_email": user.email,
                "hours_min": hours_min,
                "hours_max": hours_max,
                "required_skills": [{"label": s.strip()} for s in skills.splitlines() if s.strip()],
                "offer_type": offer_type,
                "employer": {"external_id": f"ui-e-{user.id}-{stamp}", "name": employer_name, "area": area},
            }
        )
        vac, _ = upsert_vacancy(session, data=data)
    except ValidationError as exc:
        return _vacancy_form(request, session, user, None, form, _errors(exc))
    except ServiceError as exc:
        return _vacancy_form(request, session, user, None, form, [exc.detail])
    record(session, actor=user, action="vacancy.create", object_type="vacancy", object_id=vac.id)
    return RedirectResponse(f"/ui/vacatures/{vac.id}?melding=Vacature+opgeslagen", status_code=303)


@router.get("/vacatures/{vacancy_id}/bewerken", response_class=HTMLResponse)
def edit_vacancy_page(request: Request, vacancy_id: int, session: SessionDep, user: UiUser) -> HTMLResponse:
    """The edit form."""
    vac = get_vacancy(session, vacancy_id=vacancy_id)
    require_vacancy_writer(user, vac)
    v = vacancy_read(vac)
    form = v.model_dump(mode="json") | {"skills": "\n".join(s.label for s in v.required_skills)}
    return _vacancy_form(request, session, user, v, form)


@router.post("/vacatures/{vacancy_id}/bewerken")
def edit_vacancy(
    request: Request,
    vacancy_id: int,
    session: SessionDep,
    user: UiUser,
    csrf: Annotated[str, Form()],
    title: Annotated[str, Form()],
    postcode: Annotated[str, Form()],
    description: Annotated[str, Form()] = "",
    skills: Annotated[str, Form()] = "",
    hours_min: Annotated[int, Form()] = 24,
    hours_max: Annotated[int, Form()] = 32,
    offer_type: Annotated[str, Form()] = "paid_job",
    status: Annotated[str, Form()] = "open",
) -> Response:
    """Save changes (or close the vacancy)."""
    check_csrf(request, csrf)
    vac = get_vacancy(session, vacancy_id=vacancy_id)
    require_vacancy_writer(user, vac)
    form = {
        "title": title,
        "description": description,
        "postcode": postcode,
        "skills": skills,
        "hours_min": hours_min,
        "hours_max": hours_max,
        "offer_type": offer_type,
        "status": status,
    }
    try:
        upd = VacancyUpdate.model_validate(
            {
                "title": title,
                "description": description,
                "postcode": postcode,
                "hours_min": hours_min,
                "hours_max": hours_max,
                "offer_type": offer_type,
                "status": status,
                "required_skills": [{"label": s.strip()} for s in skills.splitlines() if s.strip()],
            }
        )
        update_vacancy(session, vacancy=vac, data=upd)
    except ValidationError as exc:
        return _vacancy_form(request, session, user, vacancy_read(vac), form, _errors(exc))
    except ServiceError as exc:
        return _vacancy_form(request, session, user, vacancy_read(vac), form, [exc.detail])
    record(session, actor=user, action="vacancy.update", object_type="vacancy", object_id=vacancy_id)
    return RedirectResponse(f"/ui/vacatures/{vacancy_id}?melding=Wijzigingen+opgeslagen", status_code=303)


@router.get("/vacatures/{vacancy_id}", response_class=HTMLResponse)
def vacancy_page(
    request: Request,
    vacancy_id: int,
    session: SessionDep,
    user: UiUser,
    gebied: str | None = None,
    min: Annotated[float, Query(ge=0, le=100)] = 0,
    ladder: str | None = None,
    harde: str | None = None,
) -> HTMLResponse:
    """A vacancy with its ranked candidates (anonymised until consent) and the actions."""
    from api.routers.vacancies import checked

    vac = get_vacancy(session, vacancy_id=vacancy_id)
    areas, names = _areas(session)
    geo = Geo(session)
    first_visit = "min" not in request.query_params
    if gebied is None and user.role in (Role.employer_adviser, Role.jobhunter) and user.area_id:
        gebied = geo.area_by_id[user.area_id].code
    use_ladder = first_visit or ladder == "1"
    store = ensure_store(request.app, session)
    try:
        ranked = rankings.rank_candidates(
            session,
            store=store,
            user=user,
            vacancy_id=vacancy_id,
            areas=[gebied] if gebied else None,
            min_score=min,
            ladder_filter=use_ladder,
            include_ineligible=harde == "1",
            limit=20,
            reason=f"ranking voor vacature {vacancy_id} (UI)",
        )
        items, pending = ranked.items, False
    except rankings.NotIndexed:
        items, pending = [], True
    can_edit = user.role == Role.employer_adviser and user.area_id == vac.area_id
    return page(
        request,
        "ui/vacancy.html",
        user,
        v=checked(vac),
        items=items,
        areas_list=areas,
        area_names=names,
        can_edit=can_edit,
        pending=pending,
        f={"gebied": gebied or "", "min": int(min), "ladder": use_ladder, "harde": harde == "1"},
    )


# ----------------------------------------------------------------------------------- candidates
@router.get("/kandidaten", response_class=HTMLResponse)
def caseload(request: Request, session: SessionDep, user: UiUser) -> HTMLResponse:
    """The coach's caseload."""
    if user.role != Role.coach:
        raise HTTPException(403, "alleen coaches hebben een caseload")
    geo = Geo(session)
    rows = session.scalars(
        select(Candidate)
        .where(Candidate.coach_id == user.id)
        .order_by(Candidate.id)
        .options(selectinload(Candidate.personal))
    ).all()
    record_candidate_views(
        session,
        actor=user,
        candidate_ids=[c.id for c in rows],
        views={c.id: "full" for c in rows},
        reason="caseload (UI)",
    )
    return page(request, "ui/candidates.html", user, candidates=[render(c, geo, View.full) for c in rows])


@router.get("/kandidaten/{candidate_id}", response_class=HTMLResponse)
def candidate_page(request: Request, candidate_id: int, session: SessionDep, user: UiUser) -> HTMLResponse:
    """A client's profile with suggested vacancies and the actions."""
    cand = get_candidate(session, candidate_id=candidate_id)
    view = candidate_view(user, cand)
    if user.role != Role.coach:
        raise HTTPException(404, "kandidaat niet gevonden")
    geo = Geo(session)
    areas, names = _areas(session)
    store = ensure_store(request.app, session)
    try:
        items, pending = (
            rankings.rank_vacancies(
                session,
                store=store,
                user=user,
                candidate_id=candidate_id,
                limit=10,
                reason="profiel bekeken (UI)",
            ).items,
            False,
        )
    except rankings.NotIndexed:
        items, pending = [], True
    if pending:
        record_candidate_views(
            session,
            actor=user,
            candidate_ids=[candidate_id],
            views={candidate_id: view.value},
            reason="profiel bekeken (UI)",
        )
    return page(
        request,
        "ui/candidate.html",
        user,
        c=render(cand, geo, view),
        items=items,
        pending=pending,
        area_names=names,
        areas_list=areas,
    )


@router.post("/kandidaten/{candidate_id}")
def save_candidate(
    request: Request,
    candidate_id: int,
    session: SessionDep,
    user: UiUser,
    csrf: Annotated[str, Form()],
    occupations: Annotated[str, Form()] = "",
    skills: Annotated[str, Form()] = "",
    hours_min: Annotated[int, Form()] = 0,
    hours_max: Annotated[int, Form()] = 40,
    max_travel_km: Annotated[str, Form()] = "",
    ladder_step: Annotated[int, Form()] = 3,
    about: Annotated[str, Form()] = "",
) -> Response:
    """Save the scan fields the coach edited."""
    check_csrf(request, csrf)
    cand = get_candidate(session, candidate_id=candidate_id)
    require_coach_of(user, cand)
    try:
        upd = CandidateUpdate.model_validate(
            {
                "desired_occupations": [{"label": x.strip()} for x in occupations.splitlines() if x.strip()],
                "skills": [{"label": x.strip()} for x in skills.splitlines() if x.strip()],
                "hours_min": hours_min,
                "hours_max": hours_max,
                "ladder_step": ladder_step,
                "about": about,
                "max_travel_km": float(max_travel_km) if max_travel_km.strip() else None,
            }
        )
        update_candidate(session, candidate=cand, data=upd)
    except (ValidationError, ValueError, ServiceError) as exc:
        msg = "; ".join(_errors(exc)) if isinstance(exc, ValidationError) else str(getattr(exc, "detail", exc))
        return RedirectResponse(f"/ui/kandidaten/{candidate_id}?melding=Niet+opgeslagen:+{msg[:200]}", status_code=303)
    record(session, actor=user, action="candidate.update", object_type="candidate", object_id=candidate_id)
    return RedirectResponse(f"/ui/kandidaten/{candidate_id}?melding=Scan+opgeslagen", status_code=303)


@router.post("/kandidaten/{candidate_id}/toestemming")
def consent(
    request: Request,
    candidate_id: int,
    session: SessionDep,
    user: UiUser,
    csrf: Annotated[str, Form()],
    consent: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    """Record or withdraw consent to share details."""
    check_csrf(request, csrf)
    cand = get_candidate(session, candidate_id=candidate_id)
    require_coach_of(user, cand)
    cand.consent_to_share = consent == "1"
    cand.consent_recorded_by_id, cand.consent_recorded_at = user.id, utcnow()
    record(
        session,
        actor=user,
        action="candidate.consent",
        object_type="candidate",
        object_id=candidate_id,
        reason=note or None,
        details={"consent": cand.consent_to_share},
    )
    return RedirectResponse(f"/ui/kandidaten/{candidate_id}?melding=Toestemming+bijgewerkt", status_code=303)


# -------------------------------------------------------------------------------------- search
@router.get("/zoeken", response_class=HTMLResponse)
def search_page(
    request: Request,
    session: SessionDep,
    user: UiUser,
    q: str = "",
    soort: str = "kandidaten",
    gebied: str | None = None,
) -> HTMLResponse:
    """Free-text search over candidates (anonymised) or vacancies."""
    areas, names = _areas(session)
    hits: list[Any] = []
    if len(q.strip()) >= 2:
        store = ensure_store(request.app, session)
        area = [gebied] if gebied else None
        if soort == "vacatures":
            hits = list(rankings.search_vacancies(session, store=store, q=q, areas=area, limit=20).items)
        else:
            found = rankings.search_candidates(
                session, store=store, user=user, q=q, areas=area, limit=20, reason=f"zoeken: {q} (UI)"
            )
            hits = list(found.items)
    return page(
        request,
        "ui/search.html",
        user,
        q=q,
        soort=soort,
        gebied=gebied or "",
        hits=hits,
        areas_list=areas,
        area_names=names,
    )


# ------------------------------------------------------------------------------------- actions
def _match(request: Request, session: Session, user: User, candidate_id: int, vacancy_id: int) -> Match:
    cand = get_candidate(session, candidate_id=candidate_id)
    candidate_view(user, cand)  # 404 when out of scope
    get_vacancy(session, vacancy_id=vacancy_id)
    store = ensure_store(request.app, session)
    result = rankings.score_pair(session, store=store, candidate_id=candidate_id, vacancy_id=vacancy_id)
    m, _ = save_result(
        session,
        result=result,
        model_version=store.engine.embedder.version,
        index_version=store.index_version,
        actor=user,
    )
    return m


def _back(terug: str) -> str:
    return terug if terug.startswith("/ui/") else "/ui"


@router.post("/acties/voorstellen")
def propose(
    request: Request,
    session: SessionDep,
    user: UiUser,
    csrf: Annotated[str, Form()],
    candidate_id: Annotated[int, Form()],
    vacancy_id: Annotated[int, Form()],
    terug: Annotated[str, Form()] = "/ui",
) -> Response:
    """A person proposes the match: the candidate's coach discusses it with the candidate."""
    check_csrf(request, csrf)
    m = _match(request, session, user, candidate_id, vacancy_id)
    if m.status == MatchStatus.suggested:
        change_status(
            session, match=m, to=MatchStatus.proposed_to_candidate, reason="voorgesteld via de UI", actor=user
        )
        msg = f"Kandidaat+%23{candidate_id}+voorgesteld"
    else:
        msg = "Deze+match+was+al+opgepakt"
    return RedirectResponse(f"{_back(terug)}?melding={msg}", status_code=303)


@router.post("/acties/afwijzen")
def reject(
    request: Request,
    session: SessionDep,
    user: UiUser,
    csrf: Annotated[str, Form()],
    candidate_id: Annotated[int, Form()],
    vacancy_id: Annotated[int, Form()],
    reden: Annotated[str, Form()],
    terug: Annotated[str, Form()] = "/ui",
) -> Response:
    """Reject a suggested match, with the reason."""
    check_csrf(request, csrf)
    if not reden.strip():
        return RedirectResponse(f"{_back(terug)}?melding=Geef+een+reden+op", status_code=303)
    m = _match(request, session, user, candidate_id, vacancy_id)
    if MatchStatus.rejected.value in MATCH_TRANSITIONS[MatchStatus(m.status)]:
        change_status(session, match=m, to=MatchStatus.rejected, reason=reden.strip(), actor=user)
    return RedirectResponse(f"{_back(terug)}?melding=Match+afgewezen", status_code=303)


@router.post("/acties/feedback")
def feedback(
    request: Request,
    session: SessionDep,
    user: UiUser,
    csrf: Annotated[str, Form()],
    candidate_id: Annotated[int, Form()],
    vacancy_id: Annotated[int, Form()],
    relevant: Annotated[str, Form()],
    terug: Annotated[str, Form()] = "/ui",
) -> Response:
    """Relevant / not relevant."""
    check_csrf(request, csrf)
    m = _match(request, session, user, candidate_id, vacancy_id)
    add_feedback(session, match=m, relevant=relevant == "ja", reason=None, actor=user)
    return RedirectResponse(f"{_back(terug)}?melding=Bedankt+voor+je+beoordeling", status_code=303)


@router.post("/acties/status")
def move(
    request: Request,
    session: SessionDep,
    user: UiUser,
    csrf: Annotated[str, Form()],
    match_id: Annotated[int, Form()],
    status: Annotated[str, Form()],
) -> Response:
    """Move a match to its next step."""
    check_csrf(request, csrf)
    m = session.get(Match, match_id)
    if m is None:
        raise HTTPException(404, "match niet gevonden")
    candidate_view(user, get_candidate(session, candidate_id=m.candidate_id))
    try:
        change_status(session, match=m, to=MatchStatus(status), reason=None, actor=user)
        msg = "Status+bijgewerkt"
    except ServiceError as exc:
        msg = exc.detail.replace(" ", "+")[:200]
    return RedirectResponse(f"/ui/matches?melding={msg}", status_code=303)


@router.get("/matches", response_class=HTMLResponse)
def matches_page(request: Request, session: SessionDep, user: UiUser) -> HTMLResponse:
    """The matches this user acts on."""
    from api.routers.matching import list_matches

    rows = list_matches(session, user, None, 100, 0)
    titles = {
        v.id: v.title for v in session.scalars(select(Vacancy).where(Vacancy.id.in_([m.vacancy_id for m in rows])))
    }
    trans = {k.value if hasattr(k, "value") else k: sorted(v) for k, v in MATCH_TRANSITIONS.items()}
    return page(request, "ui/matches.html", user, matches=rows, titles=titles, transitions=trans)


# ------------------------------------------------------------------------------------ settings
@router.get("/instellingen", response_class=HTMLResponse)
def settings_page(request: Request, session: SessionDep, user: UiUser) -> HTMLResponse:
    """Nightly e-mail settings."""
    spec = ROLE_DEFAULTS.get(Role(user.role))
    if spec is None:
        return page(
            request,
            "ui/error.html",
            user,
            title="Geen e-mail voor deze rol",
            message="Beheerders ontvangen geen e-mail met matches.",
        )
    sub = session.scalar(select(Subscription).where(Subscription.user_id == user.id, Subscription.kind == spec[0]))
    return page(request, "ui/settings.html", user, sub=sub, kind=spec[0], kind_nl=KIND_NL)


@router.post("/instellingen")
def save_settings(
    request: Request,
    session: SessionDep,
    user: UiUser,
    csrf: Annotated[str, Form()],
    min_score: Annotated[float, Form(ge=0, le=100)] = 60,
    max_per_mail: Annotated[int, Form(ge=1, le=200)] = 20,
    active: Annotated[str | None, Form()] = None,
) -> Response:
    """Save the subscription."""
    check_csrf(request, csrf)
    spec = ROLE_DEFAULTS.get(Role(user.role))
    if spec is None:
        raise HTTPException(403, "deze rol ontvangt geen e-mail met matches")
    sub = session.scalar(select(Subscription).where(Subscription.user_id == user.id, Subscription.kind == spec[0]))
    if sub is None:
        sub = Subscription(user_id=user.id, kind=spec[0])
        session.add(sub)
    sub.active, sub.min_score, sub.max_per_mail = active == "1", min_score, max_per_mail
    return RedirectResponse("/ui/instellingen?melding=Instellingen+opgeslagen", status_code=303)


# --------------------------------------------------------------------------------------- admin
def _admin(user: User) -> None:
    if user.role != Role.admin:
        raise HTTPException(403, "alleen voor beheerders")


@router.get("/beheer", response_class=HTMLResponse)
def admin_page(request: Request, session: SessionDep, user: UiUser) -> HTMLResponse:
    """Users and tokens."""
    _admin(user)
    areas, _ = _areas(session)
    users = [user_read(u) for u in session.scalars(select(User).order_by(User.id))]
    return page(request, "ui/admin.html", user, users=users, areas_list=areas)


@router.post("/beheer/gebruiker")
def admin_add_user(
    request: Request,
    session: SessionDep,
    user: UiUser,
    csrf: Annotated[str, Form()],
    name: Annotated[str, Form()],
    email: Annotated[str, Form()],
    role: Annotated[str, Form()],
    area: Annotated[str, Form()] = "",
) -> Response:
    """Create a user."""
    check_csrf(request, csrf)
    _admin(user)
    from models.services.users import create_user

    try:
        new = create_user(session, data=UserCreate(name=name, email=email, role=role, area=area or None))  # type: ignore[arg-type]
    except (ValidationError, ServiceError) as exc:
        areas, _ = _areas(session)
        users = [user_read(u) for u in session.scalars(select(User).order_by(User.id))]
        msg = "; ".join(_errors(exc)) if isinstance(exc, ValidationError) else exc.detail
        return page(request, "ui/admin.html", user, users=users, areas_list=areas, error=msg)
    record(session, actor=user, action="user.create", object_type="user", object_id=new.id)
    return RedirectResponse("/ui/beheer?melding=Gebruiker+toegevoegd", status_code=303)


@router.post("/beheer/token", response_class=HTMLResponse)
def admin_token(
    request: Request,
    session: SessionDep,
    user: UiUser,
    csrf: Annotated[str, Form()],
    user_id: Annotated[int, Form()],
    actie: Annotated[str, Form()],
) -> Response:
    """Create (shown once) or revoke tokens."""
    check_csrf(request, csrf)
    _admin(user)
    target = session.get(User, user_id)
    if target is None:
        raise HTTPException(404, "gebruiker niet gevonden")
    areas, _ = _areas(session)
    if actie == "intrekken":
        revoke_tokens(session, user=target)
        record(session, actor=user, action="token.revoke", object_type="user", object_id=user_id)
        return RedirectResponse("/ui/beheer?melding=Tokens+ingetrokken", status_code=303)
    token = create_token(session, user=target, name="ui", ttl_days=request.app.state.settings.token_ttl_days)
    record(session, actor=user, action="token.create", object_type="user", object_id=user_id)
    users = [user_read(u) for u in session.scalars(select(User).order_by(User.id))]
    return page(
        request, "ui/admin.html", user, users=users, areas_list=areas, new_token=token, new_token_for=target.email
    )


@router.get("/beheer/audit", response_class=HTMLResponse)
def audit_page(request: Request, session: SessionDep, user: UiUser, object_id: str | None = None) -> HTMLResponse:
    """The audit log."""
    _admin(user)
    events = list_events(
        session, object_type="candidate" if object_id else None, object_id=object_id or None, limit=200
    )
    names = {u.id: u.name for u in session.scalars(select(User))}
    return page(request, "ui/audit.html", user, events=events, names=names, object_id=object_id)
