"""The operator CLI against a real database: init, demo, import/export, users and tokens."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from werkmatch.cli import build_app
from werkmatch.settings import get_settings

app = build_app()


@pytest.fixture
def cli(fresh_db, tmp_path, monkeypatch):
    monkeypatch.setenv("WERKMATCH_DATABASE_URL", fresh_db.url)
    monkeypatch.setenv("WERKMATCH_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    yield run
    get_settings.cache_clear()


def test_init_demo_export_import_roundtrip(cli, tmp_path):
    assert cli("init").exit_code == 0
    res = cli("demo", "--candidates", "40", "--vacancies", "15")
    assert res.exit_code == 0 and "40 candidates" in res.output
    assert "skipping" in cli("demo").output  # idempotent
    out = tmp_path / "c.jsonl"
    assert cli("export", "candidates", "-o", str(out)).exit_code == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 40 and all("personal" in r for r in rows)
    res = cli("import", "candidates", str(out))
    assert res.exit_code == 0 and "0 created, 40 updated, 0 rejected" in res.output
    out2 = tmp_path / "c2.jsonl"
    cli("export", "candidates", "-o", str(out2))
    assert out2.read_text() == out.read_text()
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from models.tables import AuditEvent

    eng = create_engine(get_settings().resolved_database_url)
    with Session(eng) as s:
        exports = s.scalars(select(AuditEvent).where(AuditEvent.action == "candidates.export")).all()
    eng.dispose()
    assert len(exports) == 2 and exports[0].details["rows"] == 40  # an export of personal data is audited


def test_import_with_bad_rows_exits_nonzero_and_names_them(cli, tmp_path):
    cli("init")
    cli("demo", "--candidates", "1", "--vacancies", "1")
    bad = tmp_path / "bad.jsonl"
    good = {"external_id": "x1", "area": "zuid", "postcode": "9723", "ladder_step": 3}
    bad.write_text(json.dumps(good) + "\n" + json.dumps(good | {"external_id": "x2", "ladder_step": 9}) + "\n")
    res = cli("import", "candidates", str(bad))
    assert res.exit_code == 1
    assert "line 2, field 'ladder_step'" in res.output and "nothing imported" in res.output
    res = cli("import", "candidates", str(bad), "--skip-invalid")
    assert res.exit_code == 0 and "1 created" in res.output


def test_unknown_file_and_kind_give_one_line_errors(cli, tmp_path):
    cli("init")
    res = cli("import", "candidates", str(tmp_path / "missing.csv"))
    assert res.exit_code == 2 and "file not found" in res.output
    res = cli("import", "people", str(tmp_path))
    assert res.exit_code == 2 and "unknown kind" in res.output


def test_users_create_and_token(cli):
    cli("init")
    res = cli("users", "create", "a.coach@gemeente.nl", "--name", "A Coach", "--role", "coach", "--area", "west")
    assert res.exit_code == 0, res.output
    dup = cli("users", "create", "a.coach@gemeente.nl", "--name", "A Coach", "--role", "coach", "--area", "west")
    assert dup.exit_code == 2 and "exists already" in dup.output
    bad = cli("users", "create", "b@gemeente.nl", "--name", "B", "--role", "king", "--area", "west")
    assert bad.exit_code == 2 and "role" in bad.output
    tok = cli("users", "token", "a.coach@gemeente.nl")
    assert tok.exit_code == 0 and tok.output.strip().startswith("wm_")
    assert "1 token(s) revoked" in cli("users", "token", "a.coach@gemeente.nl", "--revoke").output


def test_nightly_with_a_cluster_that_is_not_one_exits_with_one_line(cli):
    res = cli("nightly", "--cluster", "ergens")
    assert res.exit_code != 0
    assert "--cluster: 'ergens' is not none, local or a scheduler address" in res.output
    assert "Traceback" not in res.output


def test_what_is_exchanged_through_vum_exports_and_imports_as_vum_records(cli, tmp_path):
    from sqlalchemy import create_engine, func, select
    from sqlalchemy.orm import Session

    from models.tables import Candidate, Vacancy

    cli("init")
    cli("demo", "--candidates", "20", "--vacancies", "8")
    eng = create_engine(get_settings().resolved_database_url)
    with Session(eng) as s, s.begin():
        cands = s.scalars(select(Candidate).where(Candidate.status == "active").order_by(Candidate.id)).all()[:6]
        for c in cands:
            c.vum_consent = True
        vacs = s.scalars(select(Vacancy).where(Vacancy.status == "open").order_by(Vacancy.id)).all()[:3]
        for v in vacs:
            v.vum_exchange, v.workplace_postcode = True, f"{v.postcode}AB"
        wanted = {c.id: (c.postcode, c.hours_min, c.hours_max, sorted(c.driving_licences)) for c in cands}
        names = [c.personal.last_name for c in cands if c.personal]
    for kind, n in (("candidates", len(wanted)), ("vacancies", 3)):
        out = tmp_path / f"{kind}.vum.json"
        res = cli("export", kind, "--format", "vum", "-o", str(out))
        assert res.exit_code == 0, res.output
        records = json.loads(out.read_text())
        assert len(records) == n
        assert not any(name in out.read_text() for name in names)  # no client's name leaves werkmatch
        res = cli("import", kind, str(out), "--format", "vum")
        assert res.exit_code == 0, res.output
        assert f"{n} created, 0 updated, 0 rejected" in res.output  # as new profiles, ids vum-…
    with Session(eng) as s:
        back = s.scalars(select(Candidate).where(Candidate.external_id.like("vum-%"))).all()
        assert sorted((c.postcode, c.hours_min, c.hours_max, sorted(c.driving_licences)) for c in back) == sorted(
            wanted.values()
        )
        assert all(c.personal is None and c.ladder_step == 6 for c in back)  # VUM carries no name
        assert s.scalar(select(func.count()).select_from(Vacancy).where(Vacancy.external_id.like("vum-%"))) == 3
    eng.dispose()
    bad = tmp_path / "bad.vum.json"
    bad.write_text(
        json.dumps(
            [
                {"idWerkzoekende": "ok-1", "mobiliteit": {"bemiddelingspostcode": "9733AB"}},
                {
                    "idWerkzoekende": "bad-2",
                    "mobiliteit": {"bemiddelingspostcode": "9733AB"},
                    "arbeidsmarktkwalificatie": {"rijbewijs": [{"codeSoortRijbewijs": "Z9"}]},
                },
                {"idWerkzoekende": "bad-3", "mobiliteit": {"bemiddelingspostcode": "1011AB"}},
            ]
        )
    )
    res = cli("import", "candidates", str(bad), "--format", "vum")
    assert res.exit_code == 1 and "nothing imported" in res.output
    assert "line 2" in res.output and "codeSoortRijbewijs" in res.output
    assert "line 3" in res.output and "1011" in res.output
    (tmp_path / "notjson.json").write_text("{kapot")
    res = cli("import", "candidates", str(tmp_path / "notjson.json"), "--format", "vum")
    assert res.exit_code == 2 and "not JSON" in res.output and "Traceback" not in res.output


def test_init_gives_the_gemeentes_postcodes_the_national_centre_points(cli):
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from models.services.pc4 import PostcodePoints
    from models.tables import Postcode

    points = PostcodePoints.load(get_settings().geo_dir)
    if not len(points):
        pytest.skip(f"no postcode centre points in {get_settings().geo_dir}")
    res = cli("init")
    assert res.exit_code == 0 and "national postcode file" in res.output
    eng = create_engine(get_settings().resolved_database_url)
    with Session(eng) as s:
        rows = s.query(Postcode).all()
        assert rows and all((p.lat, p.lon) == points.point(p.code) for p in rows if points.point(p.code))
    eng.dispose()
    assert "national postcode file" not in cli("init").output  # already moved: nothing to do


def test_index_embed_with_a_cluster_that_is_not_one_exits_with_one_line(cli):
    res = cli("index", "embed", "--cluster", "ergens")
    assert res.exit_code != 0
    assert "--cluster: 'ergens' is not none, local or a scheduler address" in res.output
    assert "Traceback" not in res.output


def test_index_embed_on_a_local_cluster_fills_the_database_and_build_then_embeds_nothing(cli, model_dir, monkeypatch):
    """Bulk embedding on a two-process LocalCluster with the real model: every profile gets its vectors in the
    database, a second run finds nothing stale, and the index build loads them without embedding."""
    from sqlalchemy import create_engine, func, select
    from sqlalchemy.orm import Session

    from models.tables import ProfileVectors

    monkeypatch.setenv("WERKMATCH_MODEL_DIR", str(model_dir))
    get_settings.cache_clear()
    assert cli("init").exit_code == 0
    assert cli("demo", "--candidates", "12", "--vacancies", "5").exit_code == 0
    res = cli("index", "embed", "--cluster", "local", "--workers", "2")
    assert res.exit_code == 0 and "embedded 17 profile(s) into the database" in res.output, res.output
    assert "on 2 Dask worker(s)" in res.output
    eng = create_engine(get_settings().resolved_database_url)
    with Session(eng) as s:
        assert s.scalar(select(func.count()).select_from(ProfileVectors)) == 17
    eng.dispose()
    assert "embedded 0 profile(s)" in cli("index", "embed").output
    res = cli("index", "build")
    assert res.exit_code == 0 and "12 candidates, 5 vacancies" in res.output
