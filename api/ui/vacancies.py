"""Vacancy pages: the list, the form with the live wording check, and a vacancy with ranked candidates."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from api.deps import DbId, SessionDep, StoreDep
from api.ui.common import (
    CSV_ROWS,
    LIST_PAGE,
    MAX_SHOWN,
    PAGE_STEP,
    THRESHOLD,
    PageNo,
    UiUser,
    areas_and_names,
    attempt,
    check_csrf,
    csv_response,
    filter_link,
    lines,
    page,
    paging,
    redirect_with,
    templates,
    ui_requires,
)
from api.ui.common import gebied as gebied_naam
from matcher.enums import VacancyStatus
from matcher.labels import OFFER_NL, VACANCY_STATUS_NL
from matcher.wording import check_vacancy_text
from models.enums import Role
from models.schemas import VacancyChecked, VacancyCreate, VacancyPage, VacancySuggestions, VacancyUpdate
from models.services import match_flows, rankings, text_parsing, vacancy_flows
from models.services.access import require_vacancy_writer
from models.services.areas import Geo
from models.services.audit import record
from models.services.vacancies import get_vacancy
from models.services.vacancy_flows import VacancyOrder
from models.tables import User, utcnow

router = APIRouter()
ADVISER = [ui_requires(Role.employer_adviser)]


def _own_area_code(session: Session, user: User) -> str | None:
    return Geo.of(session).area_by_id[user.area_id].code if user.area_id else None


VACANCY_ORDER: dict[str, VacancyOrder] = {
    "nieuw": "new",
    "titel": "title",
    "werkgever": "employer",
    "sluiting": "closing",
}
Sort = Annotated[Literal["nieuw", "titel", "werkgever", "sluiting"], Query()]
StatusChoice = Annotated[Literal["", "open", "filled", "closed"], Query()]


def _status(choice: str) -> VacancyStatus | None:
    return VacancyStatus(choice) if choice else None


def _listed(
    session: Session,
    user: User,
    gebied: str | None,
    status: VacancyStatus | None,
    sorteer: str,
    limit: int,
    offset: int,
) -> VacancyPage:
    if gebied is None and user.role == Role.employer_adviser:
        gebied = _own_area_code(session, user)
    return vacancy_flows.list_vacancies(
        session,
        user=user,
        areas=[gebied] if gebied else None,
        status=status,
        limit=limit,
        offset=offset,
        order=VACANCY_ORDER[sorteer],
    )


@router.get("/vacatures", response_class=HTMLResponse)
def vacancies_page(
    request: Request,
    session: SessionDep,
    user: UiUser,
    gebied: str | None = None,
    status: StatusChoice = "open",
    sorteer: Sort = "nieuw",
    pagina: PageNo = 1,
) -> HTMLResponse:
    """Vacancies, sorted and paged; advisers start with their own gebied ("Alle": ``status=``)."""
    areas, names = areas_and_names(session)
    if gebied is None and user.role == Role.employer_adviser:
        gebied = _own_area_code(session, user)
    found = _listed(session, user, gebied or "", _status(status), sorteer, LIST_PAGE, (pagina - 1) * LIST_PAGE)
    filters = {"gebied": gebied or "", "status": status, "sorteer": sorteer, "pagina": pagina}
    return page(
        request,
        "ui/vacancies.html",
        user,
        vacancies=found.items,
        areas_list=areas,
        area_names=names,
        gebied=gebied or "",
        status=status,
        f=filters,
        link=filter_link("/ui/vacatures", filters),
        p=paging(pagina, found.page.total, len(found.items)),
    )


@router.get("/vacatures.csv")
def vacancies_csv(
    session: SessionDep,
    user: UiUser,
    gebied: str | None = None,
    status: StatusChoice = "open",
    sorteer: Sort = "nieuw",
) -> Response:
    """The vacancies of the list's filters as CSV (the export is audited)."""
    found = _listed(session, user, gebied, _status(status), sorteer, CSV_ROWS, 0)
    record(
        session,
        actor=user,
        action="list.export",
        object_type="vacancy",
        reason="vacaturelijst geëxporteerd (CSV)",
        details={"gebied": gebied, "status": status or None, "rows": len(found.items)},
    )
    rows = [
        [
            v.title,
            v.employer.name,
            gebied_naam(v.area),
            v.postcode,
            OFFER_NL[v.offer_type.value],
            v.hours_min,
            v.hours_max,
            VACANCY_STATUS_NL[v.status.value],
            v.closing_date.isoformat() if v.closing_date else "",
        ]
        for v in found.items
    ]
    header = ["titel", "werkgever", "gebied", "postcode", "soort", "uren min", "uren max", "status", "sluitingsdatum"]
    return csv_response("vacatures", header, rows)


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
    request: Request,
    user: User,
    v: VacancyChecked | None,
    form: dict[str, Any],
    errors: dict[str, str] | None = None,
    *,
    parsed: VacancySuggestions | None = None,
    pasted: str = "",
) -> HTMLResponse:
    action = f"/ui/vacatures/{v.id}/bewerken" if v else "/ui/vacatures/nieuw"
    findings = check_vacancy_text(form.get("title", ""), form.get("description", ""))
    return page(
        request,
        "ui/vacancy_form.html",
        user,
        v=v,
        form=form,
        action=action,
        errors=errors or {},
        findings=findings,
        parsed=parsed,
        pasted=pasted,
    )


@router.get("/vacatures/nieuw", response_class=HTMLResponse, dependencies=ADVISER)
def new_vacancy_page(request: Request, user: UiUser) -> HTMLResponse:
    """The form for a new vacancy (employer advisers)."""
    return _vacancy_form(request, user, None, {})


@router.post("/vacatures/nieuw", dependencies=ADVISER)
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
    occupation: Annotated[str, Form()] = "",
    nice_skills: Annotated[str, Form()] = "",
    education_level: Annotated[str, Form()] = "none",
    driving_licence: Annotated[str, Form()] = "",
    contract_type: Annotated[str, Form()] = "none",
    start_date: Annotated[str, Form()] = "",
) -> Response:
    """Create a vacancy in the adviser's own gebied (the same flow as ``POST /v1/vacancies``)."""
    check_csrf(request, csrf)
    area = _own_area_code(session, user)
    form = {
        "title": title,
        "description": description,
        "employer_name": employer_name,
        "postcode": postcode,
        "skills": skills,
        "hours_min": hours_min,
        "hours_max": hours_max,
        "offer_type": offer_type,
        "nice_skills": nice_skills,
        "education_level": education_level,
        "driving_licence": driving_licence,
        "contract_type": contract_type,
        "start_date": start_date,
    }
    stamp = utcnow().strftime("%Y%m%d%H%M%S%f")
    uri, _, label = occupation.partition("|")

    def create() -> VacancyChecked:
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
                "required_skills": lines(skills),
                "nice_skills": lines(nice_skills),
                "offer_type": offer_type,
                "occupation": {"label": label, "uri": uri} if label and uri else None,
                "education_level": education_level,
                "driving_licence": driving_licence or None,
                "contract_type": contract_type,
                "start_date": start_date or None,
                "employer": {"external_id": f"ui-e-{user.id}-{stamp}", "name": employer_name, "area": area},
            }
        )
        return vacancy_flows.create_vacancy(session, user=user, data=data)

    vac, errors = attempt(session, create)
    if vac is None:
        return _vacancy_form(request, user, None, form, errors)
    return redirect_with(request, f"/ui/vacatures/{vac.id}", "Vacature opgeslagen")


@router.post("/vacatures/nieuw/tekst", response_class=HTMLResponse, dependencies=ADVISER)
def new_vacancy_from_text(
    request: Request,
    user: UiUser,
    store: StoreDep,
    csrf: Annotated[str, Form()],
    text: Annotated[str, Form(max_length=20_000)],
) -> HTMLResponse:
    """The new-vacancy form filled with what the pasted text suggests (the same flow as
    ``POST /v1/vacancies/parse``); nothing is saved until the adviser saves the form."""
    check_csrf(request, csrf)
    parsed = text_parsing.suggest_vacancy_fields(store=store, user=user, text=text)
    form = {
        "title": parsed.title,
        "description": text[:10_000],
        "skills": "\n".join(s.label for s in parsed.required_skills),
        "nice_skills": "\n".join(s.label for s in parsed.nice_skills),
        "hours_min": parsed.hours_min if parsed.hours_min is not None else 24,
        "hours_max": parsed.hours_max if parsed.hours_max is not None else 32,
        "offer_type": (parsed.offer_type or "paid_job"),
        "education_level": parsed.education_level or "none",
        "driving_licence": parsed.driving_licence or "",
        "contract_type": parsed.contract_type or "none",
        "start_date": parsed.start_date.isoformat() if parsed.start_date else "",
    }
    return _vacancy_form(request, user, None, form, parsed=parsed, pasted=text)


@router.get("/vacatures/{vacancy_id}/bewerken", response_class=HTMLResponse)
def edit_vacancy_page(request: Request, vacancy_id: DbId, session: SessionDep, user: UiUser) -> HTMLResponse:
    """The edit form."""
    require_vacancy_writer(user, get_vacancy(session, vacancy_id=vacancy_id))
    v = vacancy_flows.read_vacancy(session, vacancy_id=vacancy_id)
    form = v.model_dump(mode="json") | {
        "skills": "\n".join(s.label for s in v.required_skills),
        "nice_skills": "\n".join(s.label for s in v.nice_skills),
        "driving_licence": v.driving_licence or "",
        "start_date": v.start_date.isoformat() if v.start_date else "",
    }
    return _vacancy_form(request, user, v, form)


@router.post("/vacatures/{vacancy_id}/bewerken")
def edit_vacancy(
    request: Request,
    vacancy_id: DbId,
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
    nice_skills: Annotated[str | None, Form()] = None,
    education_level: Annotated[str | None, Form()] = None,
    driving_licence: Annotated[str | None, Form()] = None,
    contract_type: Annotated[str | None, Form()] = None,
    start_date: Annotated[str | None, Form()] = None,
) -> Response:
    """Save changes or close the vacancy (the same flow as ``PATCH /v1/vacancies/{id}``); a field the form did not
    send keeps its value."""
    check_csrf(request, csrf)
    more: dict[str, object] = {}
    if nice_skills is not None:
        more["nice_skills"] = lines(nice_skills)
    if education_level is not None:
        more["education_level"] = education_level
    if driving_licence is not None:
        more["driving_licence"] = driving_licence or None
    if contract_type is not None:
        more["contract_type"] = contract_type
    if start_date is not None:
        more["start_date"] = start_date or None
    form = {
        "title": title,
        "description": description,
        "postcode": postcode,
        "skills": skills,
        "hours_min": hours_min,
        "hours_max": hours_max,
        "offer_type": offer_type,
        "status": status,
        "nice_skills": nice_skills or "",
        "education_level": education_level,
        "driving_licence": driving_licence or "",
        "contract_type": contract_type,
        "start_date": start_date or "",
    }

    def update() -> VacancyChecked:
        data = VacancyUpdate.model_validate(
            {
                "title": title,
                "description": description,
                "postcode": postcode,
                "hours_min": hours_min,
                "hours_max": hours_max,
                "offer_type": offer_type,
                "status": status,
                "required_skills": lines(skills),
            }
            | more
        )
        return vacancy_flows.update_vacancy_by(session, user=user, vacancy_id=vacancy_id, data=data)

    vac, errors = attempt(session, update)
    if vac is None:
        return _vacancy_form(request, user, vacancy_flows.read_vacancy(session, vacancy_id=vacancy_id), form, errors)
    return redirect_with(request, f"/ui/vacatures/{vacancy_id}", "Wijzigingen opgeslagen")


@router.get("/vacatures/{vacancy_id}", response_class=HTMLResponse)
def vacancy_page(
    request: Request,
    vacancy_id: DbId,
    session: SessionDep,
    user: UiUser,
    store: StoreDep,
    gebied: str | None = None,
    min: Annotated[float, Query(ge=0, le=100)] = THRESHOLD,
    ladder: str | None = None,
    harde: str | None = None,
    toon: Annotated[int, Query(ge=PAGE_STEP, le=MAX_SHOWN)] = PAGE_STEP,
) -> HTMLResponse:
    """A vacancy with its ranked candidates (anonymised until consent), what the filters hide, and the actions."""
    vac = vacancy_flows.read_vacancy(session, vacancy_id=vacancy_id)
    areas, names = areas_and_names(session)
    first_visit = "min" not in request.query_params
    if gebied is None and user.role in (Role.employer_adviser, Role.jobhunter):
        gebied = _own_area_code(session, user)
    use_ladder = first_visit or ladder == "1"
    filters = {"gebied": gebied or "", "min": int(min), "ladder": use_ladder, "harde": harde == "1", "toon": toon}
    hidden: rankings.Hidden | None = None
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
            limit=toon,
            reason=f"ranking voor vacature {vacancy_id} (UI)",
        )
        items, pending = list(ranked.items), False
        hidden = rankings.hidden_candidates(
            session,
            store=store,
            user=user,
            vacancy_id=vacancy_id,
            threshold=min or THRESHOLD,
            areas=[gebied] if gebied else None,
            ladder_filter=use_ladder,
            include_ineligible=harde == "1",
        )
    except rankings.NotIndexed:
        items, pending = [], True
    states = match_flows.pair_statuses(session, user=user, pairs=[(i.candidate.id, vacancy_id) for i in items])
    can_edit = user.role == Role.employer_adviser and _own_area_code(session, user) == vac.area
    return page(
        request,
        "ui/vacancy.html",
        user,
        v=vac,
        items=items,
        areas_list=areas,
        area_names=names,
        can_edit=can_edit,
        vum_enabled=request.app.state.settings.vum_enabled,
        pending=pending,
        hidden=hidden,
        f=filters,
        link=filter_link(f"/ui/vacatures/{vacancy_id}", filters),
        more=len(items) == toon and toon < MAX_SHOWN,
        states=states,
        back_to=str(request.url.path) + ("?" + request.url.query if request.url.query else ""),
    )
