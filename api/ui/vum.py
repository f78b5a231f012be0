"""VUM in the web UI: a coach records VUM consent and looks for vacancies elsewhere for a client; an adviser offers a
vacancy through VUM. The same flows as the API and the CLI."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import DbId, SessionDep, StoreDep
from api.ui.common import UiUser, check_csrf, page, redirect_with
from models.services import ServiceError, candidate_flows, vacancy_flows
from models.services.access import require_coach_of
from models.services.candidates import get_candidate
from models.services.pc4 import PostcodePoints
from models.services.vum import mapping
from models.services.vum.intermediary import Found, import_vacancy, search_vacancies
from werkmatch.context import esco_label_finder, vum_client

router = APIRouter()


@router.post("/kandidaten/{candidate_id}/vum")
def vum_consent(
    request: Request,
    candidate_id: DbId,
    session: SessionDep,
    user: UiUser,
    csrf: Annotated[str, Form()],
    consent: Annotated[str, Form()],
    contact: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Record or withdraw consent for VUM (the same flow as ``POST /v1/candidates/{id}/vum-consent``)."""
    check_csrf(request, csrf)
    candidate_flows.record_vum_consent(
        session,
        user=user,
        candidate_id=candidate_id,
        consent=consent == "1",
        contact_details=contact == "1",
        note=note,
    )
    told = "Toestemming voor VUM vastgelegd" if consent == "1" else "Toestemming voor VUM ingetrokken"
    return redirect_with(request, f"/ui/kandidaten/{candidate_id}", told, anchor="vum")


@router.get("/kandidaten/{candidate_id}/elders", response_class=HTMLResponse)
def vacancies_elsewhere(
    request: Request, candidate_id: DbId, session: SessionDep, user: UiUser, store: StoreDep
) -> HTMLResponse:
    """Vacancies of other gemeenten and UWV through VUM, ranked for this client by werkmatch (the coach decides)."""
    settings = request.app.state.settings
    require_coach_of(user, get_candidate(session, candidate_id=candidate_id))  # a coach's own client only
    client = candidate_flows.view_candidate(
        session, user=user, candidate_id=candidate_id, reason="vacatures elders zoeken (VUM)"
    )
    found: list[Found] = []
    answered, problem = 0, ""
    try:
        found, answered = search_vacancies(
            session,
            user=user,
            candidate_id=candidate_id,
            client=vum_client(settings),
            embedder=store.engine.embedder,
            taxonomy=store.engine.taxonomy,
            points=PostcodePoints.load(settings.geo_dir),
            crosswalk=mapping.Crosswalk.load(settings.vum_occupation_crosswalk),
            label_of=esco_label_finder(settings),
            top=10,
        )
    except ServiceError as exc:
        if exc.status in (403, 404):
            raise
        problem = exc.detail
    return page(request, "ui/vum_vacancies.html", user, c=client, found=found, answered=answered, problem=problem)


@router.post("/kandidaten/{candidate_id}/elders/bewaren")
def keep_vacancy(
    request: Request,
    candidate_id: DbId,
    session: SessionDep,
    user: UiUser,
    store: StoreDep,
    csrf: Annotated[str, Form()],
    vum_id: Annotated[str, Form(max_length=200, pattern=r"^[A-Za-z0-9_.-]+$")],
) -> Response:
    """Keep a vacancy found elsewhere as an external vacancy of the coach's gebied (then it is ranked, proposed and
    followed like the gemeente's own; ``werkmatch vum refresh`` closes it when the source does)."""
    check_csrf(request, csrf)
    require_coach_of(user, get_candidate(session, candidate_id=candidate_id))
    settings = request.app.state.settings
    try:
        client = vum_client(settings)
        [rec] = client.details("v", [vum_id])
        vac = import_vacancy(
            session,
            user=user,
            record_=rec,
            source_party=client.to_oin,
            points=PostcodePoints.load(settings.geo_dir),
            crosswalk=mapping.Crosswalk.load(settings.vum_occupation_crosswalk),
            label_of=esco_label_finder(settings),
        )
    except ServiceError as exc:
        if exc.status in (403, 404):
            raise
        return redirect_with(request, f"/ui/kandidaten/{candidate_id}/elders", f"Niet bewaard: {exc.detail}")
    return redirect_with(request, f"/ui/vacatures/{vac.id}", "Vacature van elders bewaard als externe vacature")


@router.post("/vacatures/{vacancy_id}/vum")
def vum_offer(
    request: Request,
    vacancy_id: DbId,
    session: SessionDep,
    user: UiUser,
    csrf: Annotated[str, Form()],
    exchange: Annotated[str, Form()],
    workplace_postcode: Annotated[str, Form()] = "",
) -> Response:
    """Offer the vacancy through VUM or stop (the same flow as ``POST /v1/vacancies/{id}/vum-exchange``)."""
    check_csrf(request, csrf)
    postcode = mapping.postcode6(workplace_postcode)
    if workplace_postcode.strip() and postcode is None:
        return redirect_with(request, f"/ui/vacatures/{vacancy_id}", "Niet opgeslagen: de postcode is niet 9999AA")
    try:
        vacancy_flows.offer_through_vum(
            session, user=user, vacancy_id=vacancy_id, exchange=exchange == "1", workplace_postcode=postcode
        )
    except ServiceError as exc:
        if exc.status in (403, 404):
            raise
        why = "VUM heeft de volledige postcode van de werkplek nodig (9999AA), in het postcodegebied van de vacature"
        return redirect_with(request, f"/ui/vacatures/{vacancy_id}", f"Niet opgeslagen: {why}")
    told = "Vacature aangeboden via VUM" if exchange == "1" else "Vacature niet meer aangeboden via VUM"
    return redirect_with(request, f"/ui/vacatures/{vacancy_id}", told)
