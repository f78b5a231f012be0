"""Candidate pages for coaches: the caseload, a client with suggested vacancies, the scan and consent."""

from __future__ import annotations

from typing import Annotated, Literal

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
    gebied,
    lines,
    page,
    paging,
    redirect_with,
    ui_requires,
)
from api.ui.dutch import summary_nl
from matcher.labels import CANDIDATE_STATUS_NL
from models.enums import Role
from models.schemas import CandidateFull, CandidateUpdate, RankedVacancy, ScanSuggestions
from models.services import candidate_flows, match_flows, rankings, text_parsing
from models.services.access import require_coach_of
from models.services.candidate_flows import CandidateOrder
from models.services.candidates import get_candidate
from models.services.matching import EngineStore
from models.tables import User

router = APIRouter(dependencies=[ui_requires(Role.coach)])


CASELOAD_ORDER: dict[str, CandidateOrder] = {"nummer": "number", "naam": "name", "trede": "ladder", "nieuw": "new"}
Sort = Annotated[Literal["nummer", "naam", "trede", "nieuw"], Query()]


@router.get("/kandidaten", response_class=HTMLResponse)
def caseload(
    request: Request, session: SessionDep, user: UiUser, sorteer: Sort = "naam", pagina: PageNo = 1
) -> HTMLResponse:
    """The coach's caseload, sorted and paged (every client shown is audited)."""
    found = candidate_flows.list_candidates(
        session,
        user=user,
        limit=LIST_PAGE,
        offset=(pagina - 1) * LIST_PAGE,
        order=CASELOAD_ORDER[sorteer],
        reason="caseload (UI)",
    )
    filters = {"sorteer": sorteer, "pagina": pagina}
    return page(
        request,
        "ui/candidates.html",
        user,
        candidates=found.items,
        f=filters,
        link=filter_link("/ui/kandidaten", filters),
        p=paging(pagina, found.page.total, len(found.items)),
    )


@router.get("/kandidaten.csv")
def caseload_csv(session: SessionDep, user: UiUser, sorteer: Sort = "naam") -> Response:
    """The caseload as CSV, for a spreadsheet; every client in it is audited as exported."""
    found = candidate_flows.list_candidates(
        session,
        user=user,
        limit=CSV_ROWS,
        order=CASELOAD_ORDER[sorteer],
        reason="cliëntenlijst geëxporteerd (CSV)",
    )
    rows = [
        [
            c.external_id,
            c.personal.first_name if c.personal else "",
            c.personal.last_name if c.personal else "",
            ", ".join(o.label for o in c.desired_occupations),
            c.wijk or "",
            gebied(c.area),
            c.ladder_step,
            CANDIDATE_STATUS_NL[c.status.value],
            "ja" if c.consent_to_share else "nee",
        ]
        for c in found.items
        if isinstance(c, CandidateFull)
    ]
    header = ["cliëntnummer", "voornaam", "achternaam", "zoekt", "wijk", "gebied", "trede", "status", "toestemming"]
    return csv_response("mijn-clienten", header, rows)


@router.get("/kandidaten/{candidate_id}", response_class=HTMLResponse)
def candidate_page(
    request: Request,
    candidate_id: DbId,
    session: SessionDep,
    user: UiUser,
    store: StoreDep,
    min: Annotated[float, Query(ge=0, le=100)] = THRESHOLD,
    ladder: str | None = None,
    toon: Annotated[int, Query(ge=PAGE_STEP // 2, le=MAX_SHOWN)] = PAGE_STEP // 2,
) -> HTMLResponse:
    """A client's profile, what they look for, suggested vacancies above the threshold with what the filters
    hide, and the actions (one audit event for the page)."""
    return _candidate_page(request, candidate_id, session, user, store, min=min, ladder=ladder, toon=toon)


def _candidate_page(
    request: Request,
    candidate_id: int,
    session: Session,
    user: User,
    store: EngineStore,
    *,
    min: float = THRESHOLD,
    ladder: str | None = None,
    toon: int = PAGE_STEP // 2,
    notes: ScanSuggestions | None = None,
    pasted: str = "",
) -> HTMLResponse:
    reason = "profiel bekeken (UI)"
    client = candidate_flows.view_candidate(session, user=user, candidate_id=candidate_id, reason=reason)
    areas, names = areas_and_names(session)
    use_ladder = "min" not in request.query_params or ladder == "1"
    filters = {"min": int(min), "ladder": use_ladder, "toon": toon}
    items: list[RankedVacancy] = []
    hidden: rankings.Hidden | None = None
    pending = False
    try:
        ranked = rankings.rank_vacancies(
            session,
            store=store,
            user=user,
            candidate_id=candidate_id,
            min_score=min,
            ladder_filter=use_ladder,
            limit=toon,
            reason=reason,
            audit=False,
        )
        items = list(ranked.items)
        hidden = rankings.hidden_vacancies(
            session,
            store=store,
            user=user,
            candidate_id=candidate_id,
            threshold=min or THRESHOLD,
            ladder_filter=use_ladder,
        )
    except rankings.NotIndexed:
        pending = True
    states = match_flows.pair_statuses(session, user=user, pairs=[(candidate_id, i.vacancy.id) for i in items])
    settings = request.app.state.settings
    return page(
        request,
        "ui/candidate.html",
        user,
        c=client,
        vum_enabled=settings.vum_enabled,
        vum_search=settings.vum_enabled and bool(settings.vum_exchange_url),
        items=items,
        pending=pending,
        area_names=names,
        areas_list=areas,
        states=states,
        hidden=hidden,
        f=filters,
        link=filter_link(f"/ui/kandidaten/{candidate_id}", filters),
        more=len(items) == toon and toon < MAX_SHOWN,
        notes=notes,
        pasted=pasted,
        scan=_scan_with(client, notes) if notes is not None and isinstance(client, CandidateFull) else None,
    )


def _scan_with(c: CandidateFull, notes: ScanSuggestions) -> dict[str, object]:
    """The scan form's values with what the notes suggest added (the coach removes what does not fit)."""

    def merged(have: list[str], new: list[str]) -> str:
        seen = {h.lower() for h in have}
        return "\n".join(have + [n for n in dict.fromkeys(new) if n.lower() not in seen])

    return {
        "occupations": merged([o.label for o in c.desired_occupations], [o.label for o in notes.desired_occupations]),
        "skills": merged([s.label for s in c.skills], [s.label for s in notes.skills]),
        "hours_min": notes.hours_min if notes.hours_min is not None else c.hours_min,
        "hours_max": notes.hours_max if notes.hours_max is not None else c.hours_max,
    }


@router.post("/kandidaten/{candidate_id}/notities", response_class=HTMLResponse)
def scan_from_notes(
    request: Request,
    candidate_id: DbId,
    session: SessionDep,
    user: UiUser,
    store: StoreDep,
    csrf: Annotated[str, Form()],
    text: Annotated[str, Form(max_length=20_000)],
) -> HTMLResponse:
    """The client's page with the scan form filled with what pasted notes suggest (the same flow as
    ``POST /v1/candidates/parse``); nothing is saved until the coach saves the scan."""
    check_csrf(request, csrf)
    require_coach_of(user, get_candidate(session, candidate_id=candidate_id))
    notes = text_parsing.suggest_scan_fields(store=store, user=user, text=text)
    return _candidate_page(request, candidate_id, session, user, store, notes=notes, pasted=text)


@router.post("/kandidaten/{candidate_id}")
def save_candidate(
    request: Request,
    candidate_id: DbId,
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
    """Save the scan fields the coach edited (the same flow as ``PATCH /v1/candidates/{id}``)."""
    check_csrf(request, csrf)

    def update() -> CandidateFull:
        data = CandidateUpdate.model_validate(
            {
                "desired_occupations": lines(occupations),
                "skills": lines(skills),
                "hours_min": hours_min,
                "hours_max": hours_max,
                "ladder_step": ladder_step,
                "about": about,
                "max_travel_km": float(max_travel_km) if max_travel_km.strip() else None,
            }
        )
        return candidate_flows.update_scan(session, user=user, candidate_id=candidate_id, data=data)

    saved, errors = attempt(session, update)
    if saved is None:
        msg = " ".join(summary_nl(errors))[:280]
        return redirect_with(request, f"/ui/kandidaten/{candidate_id}", f"Niet opgeslagen: {msg}")
    return redirect_with(request, f"/ui/kandidaten/{candidate_id}", "Scan opgeslagen")


@router.post("/kandidaten/{candidate_id}/toestemming")
def consent(
    request: Request,
    candidate_id: DbId,
    session: SessionDep,
    user: UiUser,
    csrf: Annotated[str, Form()],
    consent: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    """Record or withdraw consent to share details (the same flow as ``POST /v1/candidates/{id}/consent``)."""
    check_csrf(request, csrf)
    candidate_flows.record_consent(session, user=user, candidate_id=candidate_id, consent=consent == "1", note=note)
    return redirect_with(request, f"/ui/kandidaten/{candidate_id}", "Toestemming bijgewerkt")
