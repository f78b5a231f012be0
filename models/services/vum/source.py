"""werkmatch as a VUM source ("bron"): answer selection queries and detail requests about the gemeente's own
job seekers and vacancies, as the interface specification v3.0.0 describes them.

Who may be exchanged is decided in ``exchangeable_candidates`` / ``exchangeable_vacancies`` (VUM consent, open
vacancies marked for exchange); what is exchanged in ``mapping``. Each party gets its own pseudonymous ids (an
HMAC of the party's OIN and the row id), so two parties cannot link their answers. Detail requests are allowed
for the results of a selection of the same party, within ``selection_hours`` and at most ``max_details`` per
selection. Every request is audited with the asking party's OIN and what it got.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, true, update
from sqlalchemy.orm import Session, selectinload

from models.services import ServiceError
from models.services.access import vum_exchangeable_candidates, vum_exchangeable_vacancies
from models.services.audit import record
from models.services.pc4 import PostcodePoints
from models.services.vum import mapping, selection
from models.tables import Candidate, Vacancy, VumSelection, VumSelectionItem, utcnow

KINDS = {"c": "werkzoekendeProfielen", "v": "vacatures"}


class VumRequestError(ServiceError):
    """A request the source refuses, with the code of VUM's error model."""

    def __init__(self, detail: str, *, status: int = 400, code: str = "INVALID") -> None:
        super().__init__(detail)
        self.status = status
        self.code = code


@dataclass(frozen=True)
class Caller:
    """Who asks: the connecting certificate's OIN and the parties the X-VUM headers name."""

    certificate_party: str
    from_party: str
    via_party: str


@dataclass(frozen=True)
class SourceConfig:
    """What a source answer depends on (from the settings)."""

    secret: str
    points: PostcodePoints
    crosswalk: mapping.Crosswalk
    max_results: int = 100
    max_details: int = 25
    selection_hours: int = 24


def vum_id(secret: str, *, party: str, kind: str, entity_id: int) -> str:
    """The id a party knows a profile or vacancy by: stable for that party, unlinkable across parties."""
    mac = hmac.new(secret.encode(), f"vum:{party}:{kind}:{entity_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(mac[:20]).decode().lower()


def exchangeable_candidates(session: Session, *, only: int | None = None) -> list[Candidate]:
    """Candidates whose coach recorded consent for VUM exchange, and who are looking for work."""
    return list(
        session.scalars(
            select(Candidate)
            .where(vum_exchangeable_candidates())
            .where(Candidate.id == only if only is not None else true())
            .options(selectinload(Candidate.personal))
            .order_by(Candidate.id)
        )
    )


def exchangeable_vacancies(session: Session, *, only: int | None = None) -> list[Vacancy]:
    """The gemeente's own open vacancies an adviser marked for exchange (never ones imported from VUM)."""
    return list(
        session.scalars(
            select(Vacancy)
            .where(vum_exchangeable_vacancies())
            .where(Vacancy.id == only if only is not None else true())
            .options(selectinload(Vacancy.employer))
            .order_by(Vacancy.id)
        )
    )


def _render(row: Any, *, kind: str, vid: str, detail: bool, cfg: SourceConfig) -> dict[str, Any] | None:
    if kind == "c":
        coach = (row.coach.name, row.coach.email) if detail and row.coach is not None else None
        return mapping.werkzoekende(
            row, vum_id=vid, detail=detail, crosswalk=cfg.crosswalk, today=dt.date.today(), coach=coach
        )
    owner = (row.owner.name, row.owner.email) if detail and row.owner is not None else None
    return mapping.vacature(row, vum_id=vid, detail=detail, crosswalk=cfg.crosswalk, contact=owner)


def select_matches(
    session: Session, *, caller: Caller, kind: str, query: Any, cfg: SourceConfig
) -> tuple[list[dict[str, Any]], bool]:
    """Answer a selection query: the matching records in random order, at most ``max_results``, and whether more
    matched. The answer is remembered (for detail requests) and audited."""
    if not isinstance(query, Mapping):
        raise VumRequestError("vraagObject must be an object")
    try:
        selection.check(query, kind=kind)
        area, criteria = selection.split(query)
    except selection.SelectionError as exc:
        raise VumRequestError(str(exc)) from exc
    if cfg.points.point(area.postcode) is None:
        raise VumRequestError(f"selectiegebied.postcode {area.postcode!r} is not a known Dutch postcode area")
    rows = exchangeable_candidates(session) if kind == "c" else exchangeable_vacancies(session)
    found: list[tuple[int, dict[str, Any]]] = []
    for row in rows:
        # the distance first, from the row's four-digit area (the rendered postcode's): most rows end here,
        # before their record and id are made
        km = cfg.points.distance_km(
            area.postcode, row.postcode if isinstance(row, Candidate) else row.workplace_postcode or ""
        )
        if km is None or km > area.km:
            continue
        vid = vum_id(cfg.secret, party=caller.from_party, kind=kind, entity_id=row.id)
        rec = _render(row, kind=kind, vid=vid, detail=False, cfg=cfg)
        if rec is None:
            continue
        try:
            if not selection.matches(rec, criteria):
                continue
        except selection.SelectionError as exc:
            raise VumRequestError(str(exc)) from exc
        found.append((row.id, rec))
    random.SystemRandom().shuffle(found)
    answer = found[: cfg.max_results]
    sel = VumSelection(
        kind=kind,
        from_party=caller.from_party,
        via_party=caller.via_party,
        certificate_party=caller.certificate_party,
        details_used=0,
        at=utcnow(),
    )
    session.add(sel)
    session.flush()
    id_key = "idWerkzoekende" if kind == "c" else "idVacature"
    for entity_id, rec in answer:
        session.add(
            VumSelectionItem(
                selection_id=sel.id,
                vum_id=rec[id_key],
                candidate_id=entity_id if kind == "c" else None,
                vacancy_id=entity_id if kind == "v" else None,
            )
        )
    record(
        session,
        actor=None,
        action=f"vum.select.{KINDS[kind]}",
        object_type="vum_selection",
        object_id=sel.id,
        details={
            "from_party": caller.from_party,
            "via_party": caller.via_party,
            "certificate_party": caller.certificate_party,
            "criteria": sorted(criteria),
            "selectiegebied": {"postcode": area.postcode, "afstand": area.km},
            "returned": sorted(i for i, _ in answer),
            "matched": len(found),
        },
    )
    return [rec for _, rec in answer], len(found) > len(answer)


def detail(session: Session, *, caller: Caller, kind: str, id_: str, cfg: SourceConfig) -> dict[str, Any]:
    """The detail record of one result of an earlier selection by the same party (audited as a view)."""
    since = utcnow() - dt.timedelta(hours=cfg.selection_hours)
    column = VumSelectionItem.candidate_id if kind == "c" else VumSelectionItem.vacancy_id
    hit = session.execute(
        select(VumSelection.id, column)
        .join(VumSelectionItem, VumSelectionItem.selection_id == VumSelection.id)
        .where(
            VumSelectionItem.vum_id == id_,
            VumSelection.kind == kind,
            VumSelection.from_party == caller.from_party,
            VumSelection.at >= since,
        )
        .order_by(VumSelection.id.desc())
        .limit(1)
    ).first()
    what = "idWerkzoekende" if kind == "c" else "idVacature"
    if hit is None or hit[1] is None:
        raise VumRequestError(
            f"{what} {id_!r} is not a result of a selection of {caller.from_party} in the last "
            f"{cfg.selection_hours} hours",
            code="UNKNOWN_ID",
        )
    selection_id, entity_id = hit
    used = session.execute(
        update(VumSelection)
        .where(VumSelection.id == selection_id, VumSelection.details_used < cfg.max_details)
        .values(details_used=VumSelection.details_used + 1)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise VumRequestError(
            f"limiet is overschreden voor deze uitvraag: at most {cfg.max_details} detail requests per selection",
            status=429,
            code="LIMIT",
        )
    rows = (
        exchangeable_candidates(session, only=entity_id)
        if kind == "c"
        else exchangeable_vacancies(session, only=entity_id)
    )
    row = rows[0] if rows else None
    rec = _render(row, kind=kind, vid=id_, detail=True, cfg=cfg) if row is not None else None
    if rec is None:  # consent withdrawn, placed, closed or unmarked since the selection
        raise VumRequestError(f"{what} {id_!r} is no longer available", code="UNAVAILABLE")
    record(
        session,
        actor=None,
        action=f"vum.detail.{KINDS[kind]}",
        object_type="candidate" if kind == "c" else "vacancy",
        object_id=entity_id,
        details={
            "from_party": caller.from_party,
            "via_party": caller.via_party,
            "certificate_party": caller.certificate_party,
            "selection": selection_id,
            "contact_details": "emailadres" in rec or "telefoonnummer" in rec,
        },
    )
    return rec
