"""Import and export of candidates and vacancies (JSONL or CSV), validated row by row."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models.schemas import CandidateCreate, VacancyCreate
from models.services import ServiceError
from models.services.areas import Geo
from models.services.candidates import candidate_read, check_candidate, upsert_candidate
from models.services.vacancies import check_vacancy, upsert_vacancy, vacancy_read
from models.tables import Candidate, Vacancy

Kind = Literal["candidates", "vacancies"]
CONCEPT_LISTS = {"desired_occupations", "skills", "required_skills", "nice_skills"}
STR_LISTS = {"languages", "driving_licences", "constraints", "work_conditions"}


@dataclass
class RowError:
    """Why one input row was rejected."""

    line: int
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", field '{self.field}'" if self.field else "")
        return f"{where}: {self.message}"


@dataclass
class ImportReport:
    """What an import did."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    rejected: list[RowError] = field(default_factory=list)
    written: bool = False


class FileFormatError(ServiceError):
    """The file cannot be read at all."""


def detect_format(path: Path, fmt: str | None = None) -> str:
    """``jsonl`` or ``csv``, from the option or the file name."""
    fmt = fmt or ("csv" if path.suffix.lower() == ".csv" else "jsonl")
    if fmt not in ("csv", "jsonl"):
        raise FileFormatError(f"unknown format '{fmt}' (use jsonl or csv)")
    return fmt


def _unflatten_csv(row: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, raw in row.items():
        if key is None:
            raise ValueError("row has more cells than the header")
        value = raw.strip() if isinstance(raw, str) else raw
        if value in ("", None):
            continue
        if isinstance(value, str) and value.startswith("'") and value[1:].startswith(_FORMULA_START):
            value = value[1:]  # written by export as protection against formula injection
        parsed: Any = value
        if value[:1] in "[{":
            try:
                parsed = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"column '{key}' holds invalid JSON: {exc.msg}") from exc
        elif key in CONCEPT_LISTS:
            parsed = [{"label": x.strip()} for x in value.split(";") if x.strip()]
        elif key in STR_LISTS:
            parsed = [x.strip() for x in value.split(";") if x.strip()]
        target = out
        parts = key.split(".")
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = parsed
    return out


def read_rows(path: Path, fmt: str) -> Iterator[tuple[int, dict[str, Any] | ValueError]]:
    """Yield (line number, row or the reason it cannot be parsed)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileFormatError(f"{path} is not UTF-8 text") from exc
    except OSError as exc:
        raise FileFormatError(f"cannot read {path}: {exc.strerror}") from exc
    if fmt == "jsonl":
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield n, ValueError(f"not valid JSON: {exc.msg}")
                continue
            yield n, obj if isinstance(obj, dict) else ValueError("a line must hold a JSON object")
        return
    reader = csv.DictReader(io.StringIO(text))
    start = 2
    for row in reader:
        try:
            yield start, _unflatten_csv(row)
        except ValueError as exc:
            yield start, exc
        start = reader.line_num + 1


def _errors(line: int, exc: ValidationError) -> list[RowError]:
    out = []
    for e in exc.errors():
        loc = ".".join(str(p) for p in e["loc"])
        msg = e["msg"].removeprefix("Value error, ")
        out.append(RowError(line, loc or None, msg))
    return out


def import_rows(
    session: Session,
    *,
    kind: Kind,
    rows: Iterable[tuple[int, dict[str, Any] | ValueError]],
    skip_invalid: bool = False,
) -> ImportReport:
    """Validate every row, then write the valid ones in the caller's transaction.

    When any row is rejected and ``skip_invalid`` is false, nothing is written.
    Rows are upserted on their external id, so importing the same file twice is idempotent.
    """
    schema = CandidateCreate if kind == "candidates" else VacancyCreate
    geo = Geo.of(session)
    report = ImportReport()
    valid: list[Any] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        report.rows += 1
        if isinstance(row, ValueError):
            report.rejected.append(RowError(line, None, str(row)))
            continue
        try:
            item = schema.model_validate(row, strict=False, context={"lenient": True})  # a file holds text: "32"
        except ValidationError as exc:
            report.rejected.extend(_errors(line, exc))
            continue
        if item.external_id in seen:
            report.rejected.append(
                RowError(line, "external_id", f"'{item.external_id}' also on line {seen[item.external_id]}")
            )
            continue
        try:
            if isinstance(item, CandidateCreate):
                check_candidate(session, data=item, geo=geo)
            else:
                check_vacancy(session, data=item, geo=geo)
        except ServiceError as exc:
            report.rejected.append(RowError(line, exc.field, exc.detail))
            continue
        seen[item.external_id] = line
        valid.append((line, item))
    if report.rejected and not skip_invalid:
        return report
    for line, item in valid:
        try:
            with session.begin_nested():
                if kind == "candidates":
                    _, created = upsert_candidate(session, data=item, geo=geo)
                else:
                    _, created = upsert_vacancy(session, data=item, geo=geo)
        except ServiceError as exc:
            report.rejected.append(RowError(line, exc.field, exc.detail))
            if not skip_invalid:
                raise
            continue
        report.created += created
        report.updated += not created
    report.written = True
    return report


def export_rows(session: Session, *, kind: Kind) -> Iterator[dict[str, Any]]:
    """Yield every candidate or vacancy in the import format (round-trips through import)."""
    geo = Geo.of(session)
    if kind == "candidates":
        stmt = select(Candidate).options(selectinload(Candidate.personal)).order_by(Candidate.id)
        for cand in session.scalars(stmt):
            full = candidate_read(cand, geo).model_dump(mode="json")
            yield {k: v for k, v in full.items() if k in CandidateCreate.model_fields}
    else:
        for vac in session.scalars(select(Vacancy).order_by(Vacancy.id)):
            full = vacancy_read(vac).model_dump(mode="json")
            full["employer"] = {k: v for k, v in full["employer"].items() if k != "id"}
            yield {k: v for k, v in full.items() if k in VacancyCreate.model_fields}


def _flatten(obj: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in obj.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out |= _flatten(v, key + ".")
        elif isinstance(v, list):
            out[key] = json.dumps(v, ensure_ascii=False) if v else ""
        elif isinstance(v, bool):
            out[key] = "true" if v else "false"
        else:
            out[key] = "" if v is None else v
    return out


def write_rows(rows: Iterable[dict[str, Any]], out: io.TextIOBase | Any, fmt: str) -> int:
    """Write rows as JSONL, CSV or (``vum``) one JSON list; return how many."""
    n = 0
    if fmt == "vum":
        items = list(rows)
        out.write(json.dumps(items, ensure_ascii=False, indent=1) + "\n")
        return len(items)
    if fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
        return n
    flat = [_flatten(r) for r in rows]
    header: list[str] = []
    for r in flat:
        header.extend(k for k in r if k not in header)
    writer = csv.DictWriter(out, fieldnames=header, extrasaction="raise", lineterminator="\n")
    writer.writeheader()
    for r in flat:
        writer.writerow({k: _safe_cell(v) for k, v in r.items()})
        n += 1
    return n


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe_cell(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe (read back without it)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


# ------------------------------------------------------------------------------------------- VUM records
def _vum_external_id(prefix: str, vum_id: Any) -> str:
    """An external id for a received VUM id (``vum-…``; a long id is shortened by its digest)."""
    import hashlib
    import re

    text = str(vum_id or "")
    if not text or not re.fullmatch(r"[A-Za-z0-9._-]{1,200}", text):
        raise ValueError("the record has no valid id")
    if len(prefix) + len(text) > 64:
        text = hashlib.sha256(text.encode()).hexdigest()[:40]
    return f"{prefix}{text}"


def read_vum_rows(
    path: Path,
    *,
    kind: Kind,
    geo: Geo,
    crosswalk: Any,
    label_of: Any,
    today: Any,
) -> Iterator[tuple[int, dict[str, Any] | ValueError]]:
    """Rows from a JSON list of VUM detail records (``Werkzoekende`` or ``Vacature``), through the VUM mapping; the
    row number is the record's place in the list. Profiles from VUM hold no name; their gebied comes from the
    postcode, and their participatieladder step is 6 (job seekers ready for paid work)."""
    from models.services.vum import mapping

    try:
        records = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise FileFormatError(f"{path} is not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise FileFormatError(f"{path} is not JSON: {exc.msg} (line {exc.lineno})") from exc
    except OSError as exc:
        raise FileFormatError(f"cannot read {path}: {exc.strerror}") from exc
    if not isinstance(records, list):
        raise FileFormatError(f"{path} must hold a JSON list of VUM records")
    for n, rec in enumerate(records, start=1):
        if not isinstance(rec, dict):
            yield n, ValueError("a record must be a JSON object")
            continue
        try:
            if kind == "candidates":
                row = mapping.candidate_fields(rec, crosswalk=crosswalk, label_of=label_of, today=today)
                external_id = _vum_external_id("vum-", rec.get("idWerkzoekende"))
                pc4 = row["postcode"]
                row |= {"external_id": external_id, "ladder_step": 6}
            else:
                row = mapping.vacancy_fields(rec, crosswalk=crosswalk, label_of=label_of)
                external_id = _vum_external_id("vum-", rec.get("idVacature"))
                pc4 = (row.pop("workplace_postcode") or "")[:4]
                name = row.pop("employer_name")
                row |= {"external_id": external_id, "postcode": pc4}
            info = geo.postcodes.get(pc4)
            if info is None:
                raise ValueError(f"postcode {pc4 or '?'} is not a postcode of the gemeente")
            row["area"] = info.area_code
            if kind == "vacancies":
                emp = _vum_external_id("vum-emp-", _name_key(name))
                row["employer"] = {"external_id": emp, "name": name, "area": info.area_code}
        except mapping.VumCodeError as exc:
            yield n, ValueError(f"{exc.field}: {exc.detail}" if exc.field else exc.detail)
            continue
        except (ValueError, TypeError, KeyError) as exc:
            yield n, ValueError(str(exc))
            continue
        yield n, row


def _name_key(text: str) -> str:
    """A short stable id for a name."""
    import hashlib

    return hashlib.sha256(text.strip().lower().encode()).hexdigest()[:16]


def export_vum(session: Session, *, kind: Kind, crosswalk: Any, today: Any) -> list[dict[str, Any]]:
    """What the gemeente exchanges, as VUM detail records: candidates with VUM consent, vacancies offered through
    VUM; the id is the gemeente's own (the external id), as the standard's ``idWerkzoekende`` describes it."""
    from models.services.vum import mapping, source

    out: list[dict[str, Any]] = []
    if kind == "candidates":
        for cand in source.exchangeable_candidates(session):
            coach = (cand.coach.name, cand.coach.email) if cand.coach else None
            rec = mapping.werkzoekende(
                cand, vum_id=cand.external_id, detail=True, crosswalk=crosswalk, today=today, coach=coach
            )
            if rec is not None:
                out.append(rec)
    else:
        for vac in source.exchangeable_vacancies(session):
            owner = (vac.owner.name, vac.owner.email) if vac.owner else None
            rec = mapping.vacature(vac, vum_id=vac.external_id, detail=True, crosswalk=crosswalk, contact=owner)
            if rec is not None:
                out.append(rec)
    return out
