"""werkmatch <-> the VUM data standard 1.5 (interface specification v3.0.0): the one place where fields and codes
are translated, in both directions.

What leaves werkmatch is the minimum the standard asks for matching: never a name, birth date, client number,
free text a coach wrote, ladder step, LKS, doelgroepregister (``indicatieLdrRegistratie`` is left out), health
or work constraints. Languages: Dutch (the standard requires it) and English; other languages can reveal origin
and are not exchanged. Contact details of the client only where the coach recorded that consent too; otherwise
the contact is the coach. Unknown codes coming in are a ``VumCodeError`` (400), never a crash.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from matcher.enums import ContractType, DutchLevel, EducationLevel, OfferType, TravelMode, VacancyStatus, WorkCondition
from models.services import ServiceError
from models.tables import Candidate, Vacancy


class VumCodeError(ServiceError):
    """A VUM record or query with a code werkmatch does not know."""

    status = 400


POSTCODE6 = re.compile(r"^([1-9][0-9]{3}) ?([A-Za-z]{2})$")

EDUCATION_TO_NIVEAU_OPLEIDING: dict[EducationLevel, int] = {
    EducationLevel.vmbo: 2,
    EducationLevel.mbo1: 4,
    EducationLevel.mbo2: 4,
    EducationLevel.mbo3: 4,
    EducationLevel.mbo4: 4,
    EducationLevel.hbo: 5,
    EducationLevel.wo: 6,
}
NIVEAU_OPLEIDING_TO_EDUCATION: dict[int, EducationLevel] = {
    1: EducationLevel.none,
    2: EducationLevel.vmbo,
    3: EducationLevel.mbo4,  # havo/vwo: the level of mbo 4
    4: EducationLevel.mbo2,  # mbo, level not given: the startkwalificatie level
    5: EducationLevel.hbo,
    6: EducationLevel.wo,
    9: EducationLevel.none,
}
EDUCATION_TO_WERK_EN_DENKNIVEAU: dict[EducationLevel, int] = {
    EducationLevel.none: 7,  # (nog) niet bekend
    EducationLevel.vmbo: 3,
    EducationLevel.mbo1: 3,
    EducationLevel.mbo2: 4,
    EducationLevel.mbo3: 4,
    EducationLevel.mbo4: 4,
    EducationLevel.hbo: 5,
    EducationLevel.wo: 6,
}
VACANCY_MINIMUM_WERK_EN_DENKNIVEAU: dict[EducationLevel, str] = {
    EducationLevel.none: "1",  # geen basisopleiding: no requirement
    EducationLevel.vmbo: "3",
    EducationLevel.mbo1: "3",
    EducationLevel.mbo2: "4",
    EducationLevel.mbo3: "4",
    EducationLevel.mbo4: "4",
    EducationLevel.hbo: "5",
    EducationLevel.wo: "6",
}
WERK_EN_DENKNIVEAU_TO_EDUCATION: dict[str, EducationLevel] = {
    "0": EducationLevel.none,
    "1": EducationLevel.none,
    "2": EducationLevel.none,
    "3": EducationLevel.vmbo,
    "4": EducationLevel.mbo2,
    "5": EducationLevel.hbo,
    "6": EducationLevel.wo,
    "7": EducationLevel.none,
}
DUTCH_TO_TAAL: dict[DutchLevel, int] = {
    DutchLevel.a0: 1,  # geen beheersing
    DutchLevel.a1: 1,
    DutchLevel.a2: 2,  # redelijk
    DutchLevel.b1: 2,
    DutchLevel.b2: 3,  # goed
    DutchLevel.c1: 4,  # uitstekend
    DutchLevel.c2: 4,
}
LANGUAGE_CODES: dict[str, str] = {"nederlands": "nld", "engels": "eng"}
"""The languages werkmatch exchanges (ISO 639-3); see the module's note on why only these."""
LICENCE_FROM_VUM: dict[str, str] = {
    "A": "A",
    "A1": "A",
    "A2": "A",
    "AM": "AM",
    "B": "B",
    "B+": "B",
    "BE": "BE",
    "C1": "C",
    "C": "C",
    "C1E": "CE",
    "CE": "CE",
    "D1": "D",
    "D": "D",
    "D1E": "DE",
    "DE": "DE",
    "T": "T",
}
TRAVEL_TO_VERVOERMIDDEL: dict[TravelMode, int] = {
    TravelMode.car: 1,
    TravelMode.bike: 3,
    TravelMode.public_transport: 5,
    TravelMode.walk: 9,
}
CONTRACT_TO_ARBEIDSCONTRACT: dict[ContractType, str] = {
    ContractType.permanent: "O",
    ContractType.temporary: "B",
    ContractType.agency: "B",
    ContractType.on_call: "B",
}
OFFER_TO_OVEREENKOMST: dict[OfferType, str] = {
    OfferType.paid_job: "01",
    OfferType.learning_job: "02",
    OfferType.participation: "03",
    OfferType.work_experience: "04",
}
OVEREENKOMST_TO_OFFER = {v: k for k, v in OFFER_TO_OVEREENKOMST.items()}
YES, NO = 1, 2  # the standard's Indicatie: 0 onbekend, 1 ja, 2 nee


def postcode6(value: str | None) -> str | None:
    """A full postcode as VUM writes it (9999AA), or None."""
    m = POSTCODE6.match((value or "").strip())
    return f"{m.group(1)}{m.group(2).upper()}" if m else None


class Crosswalk:
    """ESCO occupation URI <-> the code VUM exchanges (CompetentNL), from a CSV ``esco_uri,code``; without one,
    the ESCO URI itself is the code."""

    def __init__(self, pairs: dict[str, str]) -> None:
        self.to_code = pairs
        self.to_esco = {v: k for k, v in pairs.items()}

    @classmethod
    def load(cls, path: Path | None) -> Crosswalk:
        """The crosswalk in ``path`` (cached), or the identity."""
        return _crosswalk(path.resolve()) if path is not None else cls({})

    def code(self, uri: str) -> str:
        """The code to send for an ESCO URI."""
        return self.to_code.get(uri, uri)

    def esco(self, code: str) -> str | None:
        """The ESCO URI for a received code, or None when it is not ESCO and not in the crosswalk."""
        if code in self.to_esco:
            return self.to_esco[code]
        return code if code.startswith("http://data.europa.eu/esco/") else None


@functools.lru_cache(maxsize=4)
def _crosswalk(path: Path) -> Crosswalk:
    with path.open(encoding="utf-8", newline="") as f:
        return Crosswalk({r["esco_uri"].strip(): r["code"].strip() for r in csv.DictReader(f) if r.get("code")})


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _prune(value: Any) -> Any:
    """Drop empty values: the standard says an empty string, list or object is to be read as absent."""
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [p for p in (_prune(v) for v in value) if p not in (None, "", [], {})]
    return value


def _concept_codes(items: list[Any], crosswalk: Crosswalk | None) -> list[str]:
    seen: list[str] = []
    for item in items:
        uri = item.get("uri") if isinstance(item, dict) else None
        if uri:
            code = crosswalk.code(uri) if crosswalk else uri
            if code not in seen:
                seen.append(code)
    return seen


def _languages(cand: Candidate) -> list[dict[str, Any]]:
    level = DUTCH_TO_TAAL[DutchLevel(cand.dutch_level)] if cand.dutch_level else 0  # 0: onbekend
    out = [
        {"codeTaal": "nld", "codeNiveauTaalbeheersingMondeling": level, "codeNiveauTaalbeheersingSchriftelijk": level}
    ]
    for name in cand.languages or []:
        code = LANGUAGE_CODES.get(str(name).strip().lower())
        if code and code != "nld":
            out.append({"codeTaal": code})
    return out


def werkzoekende(
    cand: Candidate,
    *,
    vum_id: str,
    detail: bool,
    crosswalk: Crosswalk,
    today: dt.date,
    coach: tuple[str, str] | None = None,
) -> dict[str, Any] | None:
    """A candidate as VUM's ``MPWerkzoekendeMatch`` (``detail`` False: a selection result) or ``Werkzoekende``
    (the detail profile); None when the candidate cannot be exchanged (no full postcode on record)."""
    personal = cand.personal
    postcode = postcode6(personal.postcode_full if personal else None)
    if postcode is None or not postcode.startswith(cand.postcode):
        return None
    level = EducationLevel(cand.education_level)
    quali: dict[str, Any] = {
        "codeWerkEnDenkniveauWerkzoekende": EDUCATION_TO_WERK_EN_DENKNIVEAU[level],
        "opleiding": [{"codeNiveauOpleiding": EDUCATION_TO_NIVEAU_OPLEIDING[level], "indicatieDiploma": 0}]
        if level in EDUCATION_TO_NIVEAU_OPLEIDING
        else [],
        "competentiebeheersing": [{"codeCompetentie": c} for c in _concept_codes(cand.skills, None)],
        "rijbewijs": [{"codeSoortRijbewijs": lic} for lic in sorted(cand.driving_licences or [])],
        "taalbeheersing": _languages(cand),
        "werkervaring": [{"beroep": {"codeBeroepsnaam": c}} for c in _concept_codes(cand.experience, crosswalk)],
    }
    mode = TravelMode(cand.travel_mode)
    transport = [
        {
            "codeVervoermiddel": TRAVEL_TO_VERVOERMIDDEL[mode],
            "indicatieBeschikbaarVoorWoonWerkverkeer": YES if (mode != TravelMode.car or cand.own_transport) else NO,
        }
    ]
    contact_client = bool(cand.vum_contact and personal and (personal.email or personal.phone))
    record: dict[str, Any] = {
        "idWerkzoekende": vum_id,
        "arbeidsmarktkwalificatie": quali,
        "bemiddelingsberoep": [{"codeBeroepsnaam": c} for c in _concept_codes(cand.desired_occupations, crosswalk)],
        "flexibiliteit": {
            "datumAanvangBeschikbaarVoorWerk": _date(max(cand.available_from or today, today)),
            "indicatieOnregelmatigWerkOfPloegendienst": NO
            if {"no_night_shifts", "no_evening_shifts"} & set(cand.constraints or [])
            else 0,
        },
        "indicatieBeschikbaarheidContactgegevens": YES if (contact_client or coach) else NO,
        "mobiliteit": {
            "bemiddelingspostcode": postcode,
            "maximaleReisafstand": min(round(cand.max_travel_km), 999) if cand.max_travel_km else None,
            "maximaleReistijd": min(cand.max_travel_minutes, 999) if cand.max_travel_minutes else None,
        },
        "vervoermiddel": transport,
        "werktijden": {
            "aantalWerkurenPerWeekMinimaal": min(cand.hours_min, 99),
            "aantalWerkurenPerWeekMaximaal": min(cand.hours_max, 99),
        },
    }
    if detail:
        if contact_client and personal is not None:
            record["emailadres"] = [personal.email] if personal.email else []
            record["telefoonnummer"] = [personal.phone[:14]] if personal.phone else []
        if coach is not None:
            record["contactpersoon"] = [{"naamContactpersoonAfdeling": coach[0][:35], "emailadres": coach[1]}]
    return _prune(record)  # type: ignore[no-any-return]


def vacature(
    vac: Vacancy,
    *,
    vum_id: str,
    detail: bool,
    crosswalk: Crosswalk,
    contact: tuple[str, str] | None = None,
) -> dict[str, Any] | None:
    """A vacancy as VUM's ``MPVacatureMatch`` or ``Vacature``; None when it cannot be exchanged (no workplace
    postcode)."""
    postcode = postcode6(vac.workplace_postcode)
    if postcode is None:
        return None
    level = EducationLevel(vac.education_level)
    occupation = _concept_codes([vac.occupation] if vac.occupation else [], crosswalk)
    conditions = set(vac.work_conditions or [])
    contract: dict[str, Any] = {"codeTypeOvereenkomst": OFFER_TO_OVEREENKOMST[OfferType(vac.offer_type)]}
    if ContractType(vac.contract_type) in CONTRACT_TO_ARBEIDSCONTRACT:
        contract["codeTypeArbeidscontract"] = CONTRACT_TO_ARBEIDSCONTRACT[ContractType(vac.contract_type)]
    record: dict[str, Any] = {
        "idVacature": vum_id,
        "adres": {"postcode": postcode},
        "naamVacature": vac.title[:120],
        "omschrijvingVacature": vac.description[:2000],
        "beroep": {"codeBeroepsnaam": occupation[0]} if occupation else None,
        "codeWerkEnDenkniveauMinimaal": VACANCY_MINIMUM_WERK_EN_DENKNIVEAU[level],
        "competentiebeheersing": [{"codeCompetentie": c} for c in _concept_codes(vac.required_skills, None)],
        "contractvorm": [contract],
        "opleiding": [{"codeNiveauOpleiding": EDUCATION_TO_NIVEAU_OPLEIDING[level]}]
        if level in EDUCATION_TO_NIVEAU_OPLEIDING
        else [],
        "rijbewijs": [{"codeSoortRijbewijs": vac.driving_licence}] if vac.driving_licence else [],
        "flexibiliteit": {
            "indicatieOnregelmatigWerkOfPloegendienst": YES
            if {WorkCondition.night_shifts, WorkCondition.evening_shifts} & conditions
            else NO
        },
        "arbeidsVoorwaarden": {"datumAanvangWerkzaamheden": _date(vac.start_date)},
        "sluitingsdatumVacature": _date(vac.closing_date),
        "werkgever": {"handelsnaamOrganisatie": vac.employer.name[:500]},
        "werktijden": {
            "aantalWerkurenPerWeekMinimaal": min(vac.hours_min, 99),
            "aantalWerkurenPerWeekMaximaal": min(vac.hours_max, 99),
        },
    }
    if detail and contact is not None:
        # in the vacancy contract a contact's e-mail addresses are a list (in the job seeker's, one address)
        record["werkgever"]["contactpersoon"] = [
            {"naamContactpersoonAfdeling": contact[0][:35], "emailadres": [contact[1]]}
        ]
    return _prune(record)  # type: ignore[no-any-return]


def _code(table: dict[Any, Any], value: Any, what: str) -> Any:
    if value not in table:
        raise VumCodeError(f"unknown {what} code {value!r} (known: {', '.join(map(str, table))})", field=what)
    return table[value]


def vacancy_fields(
    record: dict[str, Any], *, crosswalk: Crosswalk, label_of: Callable[[str], str | None]
) -> dict[str, Any]:
    """A received ``Vacature`` as werkmatch's vacancy fields (without area, postcode and employer: the caller
    decides those). Occupations and skills keep their ESCO URI where the code is one (or the crosswalk knows it)
    and their code as the label otherwise."""
    hours = record.get("werktijden") or {}
    level = EducationLevel.none
    if record.get("codeWerkEnDenkniveauMinimaal") is not None:
        level = _code(
            WERK_EN_DENKNIVEAU_TO_EDUCATION, str(record["codeWerkEnDenkniveauMinimaal"]), "codeWerkEnDenkniveauMinimaal"
        )
    for opl in record.get("opleiding") or []:
        if opl.get("codeNiveauOpleiding") is not None:
            level = _code(NIVEAU_OPLEIDING_TO_EDUCATION, opl["codeNiveauOpleiding"], "codeNiveauOpleiding")
    offer = OfferType.paid_job
    contract = ContractType.none
    for c in record.get("contractvorm") or []:
        if c.get("codeTypeOvereenkomst") is not None:
            offer = _code(OVEREENKOMST_TO_OFFER, c["codeTypeOvereenkomst"], "codeTypeOvereenkomst")
        if c.get("codeTypeArbeidscontract") is not None:
            contract = _code(
                {"O": ContractType.permanent, "B": ContractType.temporary},
                c["codeTypeArbeidscontract"],
                "codeTypeArbeidscontract",
            )
    licences = [
        _code(LICENCE_FROM_VUM, r.get("codeSoortRijbewijs"), "codeSoortRijbewijs")
        for r in record.get("rijbewijs") or []
    ]

    def concept(code: str) -> dict[str, Any]:
        uri = crosswalk.esco(code)
        label = (label_of(uri) if uri else None) or code
        return {"label": label[:200], "uri": uri} if uri else {"label": label[:200]}

    occupation = (record.get("beroep") or {}).get("codeBeroepsnaam")
    lo = int(hours.get("aantalWerkurenPerWeekMinimaal", 0) or 0)
    hi = int(hours.get("aantalWerkurenPerWeekMaximaal", max(lo, 40)) or max(lo, 40))
    start = (record.get("arbeidsVoorwaarden") or {}).get("datumAanvangWerkzaamheden")
    closing = record.get("sluitingsdatumVacature")
    flex = (record.get("flexibiliteit") or {}).get("indicatieOnregelmatigWerkOfPloegendienst")
    return {
        "title": (record.get("naamVacature") or (label_of(occupation) if occupation else None) or "Vacature via VUM")[
            :200
        ],
        "description": record.get("omschrijvingVacature") or "",
        "occupation": concept(occupation) if occupation else None,
        "required_skills": [
            concept(c["codeCompetentie"]) for c in record.get("competentiebeheersing") or [] if c.get("codeCompetentie")
        ][:50],
        "hours_min": min(lo, 60),
        "hours_max": min(max(hi, lo), 60),
        "education_level": level,
        "offer_type": offer,
        "contract_type": contract,
        "driving_licence": licences[0] if licences else None,
        "work_conditions": [WorkCondition.night_shifts] if flex == YES else [],
        "start_date": dt.date.fromisoformat(start) if start else None,
        "closing_date": dt.date.fromisoformat(closing) if closing else None,
        "status": VacancyStatus.open,
        "workplace_postcode": postcode6((record.get("adres") or {}).get("postcode")),
        "employer_name": ((record.get("werkgever") or {}).get("handelsnaamOrganisatie") or "Werkgever via VUM")[:200],
    }


TAAL_TO_DUTCH: dict[int, DutchLevel | None] = {
    0: None,
    1: DutchLevel.a0,
    2: DutchLevel.a2,
    3: DutchLevel.b2,
    4: DutchLevel.c1,
    8: None,
}
LANGUAGE_NAMES = {"nld": "Nederlands", "eng": "Engels"}
VERVOERMIDDEL_TO_TRAVEL: dict[int, TravelMode] = {
    1: TravelMode.car,
    2: TravelMode.bike,  # bromfiets: the nearest werkmatch knows
    3: TravelMode.bike,
    4: TravelMode.car,  # motor
    5: TravelMode.public_transport,
    9: TravelMode.walk,
}
WERK_EN_DENKNIVEAU_WERKZOEKENDE: dict[int, EducationLevel] = {
    int(k): v for k, v in WERK_EN_DENKNIVEAU_TO_EDUCATION.items()
}


def _years(start: str | None, end: str | None, today: dt.date) -> float:
    if not start:
        return 0.0
    try:
        first = dt.date.fromisoformat(start)
        last = dt.date.fromisoformat(end) if end else today
    except ValueError as exc:
        raise VumCodeError(f"not a date: {exc}", field="werkervaring") from exc
    return round(max(0.0, (last - first).days / 365.25), 1)


def candidate_fields(
    record: dict[str, Any], *, crosswalk: Crosswalk, label_of: Callable[[str], str | None], today: dt.date
) -> dict[str, Any]:
    """A received ``Werkzoekende`` as werkmatch's candidate fields (without gebied and ladder step: the caller
    decides those). VUM holds no name: the profile comes without personal details."""

    def concept(code: str) -> dict[str, Any]:
        uri = crosswalk.esco(code)
        label = (label_of(uri) if uri else None) or code
        return {"label": label[:200], "uri": uri} if uri else {"label": label[:200]}

    quali = record.get("arbeidsmarktkwalificatie") or {}
    level = EducationLevel.none
    if quali.get("codeWerkEnDenkniveauWerkzoekende") is not None:
        level = _code(
            WERK_EN_DENKNIVEAU_WERKZOEKENDE, quali["codeWerkEnDenkniveauWerkzoekende"], "codeWerkEnDenkniveau"
        )
    for opl in quali.get("opleiding") or []:
        if opl.get("codeNiveauOpleiding") is not None:
            level = _code(NIVEAU_OPLEIDING_TO_EDUCATION, opl["codeNiveauOpleiding"], "codeNiveauOpleiding")
    dutch: DutchLevel | None = None
    languages: list[str] = []
    for t in quali.get("taalbeheersing") or []:
        code = t.get("codeTaal")
        if code in LANGUAGE_NAMES:
            languages.append(LANGUAGE_NAMES[code])
        if code == "nld" and t.get("codeNiveauTaalbeheersingMondeling") is not None:
            dutch = _code(TAAL_TO_DUTCH, t["codeNiveauTaalbeheersingMondeling"], "codeNiveauTaalbeheersingMondeling")
    licences = sorted(
        {
            _code(LICENCE_FROM_VUM, r.get("codeSoortRijbewijs"), "codeSoortRijbewijs")
            for r in quali.get("rijbewijs") or []
        }
    )
    mode, own = TravelMode.bike, False
    for v in record.get("vervoermiddel") or []:
        mode = _code(VERVOERMIDDEL_TO_TRAVEL, v.get("codeVervoermiddel"), "codeVervoermiddel")
        own = mode == TravelMode.car and v.get("indicatieBeschikbaarVoorWoonWerkverkeer") == YES
        break
    hours = record.get("werktijden") or {}
    lo = int(hours.get("aantalWerkurenPerWeekMinimaal") or 0)
    hi = int(hours.get("aantalWerkurenPerWeekMaximaal") or max(lo, 40))
    mobility = record.get("mobiliteit") or {}
    postcode = postcode6(mobility.get("bemiddelingspostcode"))
    if postcode is None:
        raise VumCodeError("mobiliteit.bemiddelingspostcode (9999AA) is required", field="mobiliteit")
    flex = record.get("flexibiliteit") or {}
    available = flex.get("datumAanvangBeschikbaarVoorWerk")
    experience = []
    for w in record.get("werkervaring") or []:
        code = (w.get("beroep") or {}).get("codeBeroepsnaam")
        if code:
            c = concept(code)
            experience.append(
                {
                    "title": c["label"],
                    "uri": c.get("uri"),
                    "years": _years(w.get("datumAanvangWerkzaamheden"), w.get("datumEindeWerkzaamheden"), today),
                }
            )
    return {
        "postcode": postcode[:4],
        "desired_occupations": [
            concept(b["codeBeroepsnaam"]) for b in record.get("bemiddelingsberoep") or [] if b.get("codeBeroepsnaam")
        ][:20],
        "skills": [
            concept(c["codeCompetentie"]) for c in quali.get("competentiebeheersing") or [] if c.get("codeCompetentie")
        ][:100],
        "experience": experience[:50],
        "education_level": level,
        "languages": languages,
        "dutch_level": dutch,
        "driving_licences": [x for x in licences if x],
        "own_transport": own,
        "travel_mode": mode,
        "max_travel_km": float(mobility["maximaleReisafstand"]) if mobility.get("maximaleReisafstand") else None,
        "max_travel_minutes": int(mobility["maximaleReistijd"]) if mobility.get("maximaleReistijd") else None,
        "hours_min": min(lo, 60),
        "hours_max": min(max(hi, lo), 60),
        "available_from": dt.date.fromisoformat(available) if available else None,
    }
