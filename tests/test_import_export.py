"""Import validates row by row, writes all-or-nothing, is idempotent and round-trips export."""

from __future__ import annotations

import io
import json

from sqlalchemy import func, select

from models.services.transfer import export_rows, import_rows, read_rows, write_rows
from models.tables import Candidate
from tests.factories import candidate_payload, vacancy_payload


def _rows(*objs):
    return [(i + 1, o) for i, o in enumerate(objs)]


def _count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_valid_candidates_are_imported_and_reimport_is_idempotent(session):
    rows = _rows(candidate_payload(), candidate_payload())
    before = _count(session, Candidate)
    report = import_rows(session, kind="candidates", rows=rows)
    assert (report.created, report.updated, report.rejected) == (2, 0, [])
    again = import_rows(session, kind="candidates", rows=rows)
    assert (again.created, again.updated) == (0, 2)
    assert _count(session, Candidate) == before + 2


def test_bad_rows_are_reported_with_line_and_field_and_nothing_is_written(session):
    before = _count(session, Candidate)
    rows = _rows(
        candidate_payload(),
        candidate_payload(hours_min=80, hours_max=10),
        candidate_payload(ladder_step=9),
        candidate_payload(postcode="abcd"),
        candidate_payload(area="atlantis"),
        candidate_payload(postcode="1011"),
    )
    report = import_rows(session, kind="candidates", rows=rows)
    assert not report.written
    by_line = {e.line: e for e in report.rejected}
    assert set(by_line) == {2, 3, 4, 5, 6}
    assert by_line[2].field == "hours_min"  # 80 is over the 60-hour maximum
    assert by_line[3].field == "ladder_step"
    assert by_line[4].field == "postcode"
    assert by_line[5].field == "area" and "oost" in by_line[5].message  # the gebieden there are
    assert by_line[6].field == "postcode" and "1011" in by_line[6].message
    assert _count(session, Candidate) == before


def test_hours_in_the_wrong_order_are_named(session):
    report = import_rows(session, kind="candidates", rows=_rows(candidate_payload(hours_min=30, hours_max=10)))
    assert "hours_min (30) is more than hours_max (10)" in report.rejected[0].message


def test_skip_invalid_imports_the_valid_rows(session):
    before = _count(session, Candidate)
    rows = _rows(candidate_payload(), candidate_payload(ladder_step=0))
    report = import_rows(session, kind="candidates", rows=rows, skip_invalid=True)
    assert report.written and report.created == 1 and len(report.rejected) == 1
    assert _count(session, Candidate) == before + 1


def test_duplicate_external_id_within_a_file_is_rejected(session):
    row = candidate_payload()
    report = import_rows(session, kind="candidates", rows=_rows(row, dict(row)))
    assert report.rejected[0].line == 2 and "also on line 1" in report.rejected[0].message


def test_vacancies_import_creates_the_employer(session):
    report = import_rows(session, kind="vacancies", rows=_rows(vacancy_payload(), vacancy_payload()))
    assert report.created == 2
    bad = import_rows(session, kind="vacancies", rows=_rows(vacancy_payload(driving_licence="Z")))
    assert bad.rejected[0].field == "driving_licence"


def _roundtrip(session, kind, fmt, tmp_path):
    exported = list(export_rows(session, kind=kind))
    path = tmp_path / f"export.{fmt}"
    with path.open("w", encoding="utf-8", newline="") as fh:
        write_rows(exported, fh, fmt)
    report = import_rows(session, kind=kind, rows=read_rows(path, fmt))
    assert report.rejected == [] and report.created == 0 and report.updated == len(exported)
    assert list(export_rows(session, kind=kind)) == exported
    return exported


def test_export_import_roundtrip_jsonl_and_csv(session, tmp_path):
    import_rows(
        session,
        kind="candidates",
        rows=_rows(
            candidate_payload(constraints=["no_night_shifts"], driving_licences=["B", "C"], languages=["Nederlands"]),
            candidate_payload(personal=None, about='Komma, "quotes" en\nregels'),
        ),
    )
    import_rows(session, kind="vacancies", rows=_rows(vacancy_payload(work_conditions=["weekends"])))
    for fmt in ("jsonl", "csv"):
        cands = _roundtrip(session, "candidates", fmt, tmp_path)
        vacs = _roundtrip(session, "vacancies", fmt, tmp_path)
        assert cands and vacs


def test_csv_accepts_semicolon_lists(session, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(
        "external_id,area,postcode,ladder_step,skills,driving_licences,personal.first_name,personal.last_name\n"
        "csv-1,west,9743,3,schoonmaken;afwassen,B,Ans,Smit\n"
    )
    report = import_rows(session, kind="candidates", rows=read_rows(path, "csv"))
    assert report.created == 1
    row = next(r for r in export_rows(session, kind="candidates") if r["external_id"] == "csv-1")
    assert [s["label"] for s in row["skills"]] == ["schoonmaken", "afwassen"]
    assert row["personal"]["first_name"] == "Ans"


def test_unparseable_jsonl_line_is_reported(session, tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps(candidate_payload()) + "\n{not json\n")
    report = import_rows(session, kind="candidates", rows=read_rows(path, "jsonl"))
    assert report.rejected[0].line == 2 and "not valid JSON" in report.rejected[0].message
    assert not report.written
    buf = io.StringIO()
    assert write_rows([], buf, "jsonl") == 0
