"""Normalising free text to ESCO: the batch CLI and the hybrid normaliser."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from werkmatch.cli import build_app
from werkmatch.settings import get_settings

app = build_app()

pytestmark = pytest.mark.slow


def test_normalizer_finds_dutch_occupations_and_skills(taxonomy):
    occ = taxonomy.normalizer("occupation").search(["orderpicker", "vrachtwagenchauffeur", "helpende thuiszorg"], top=3)
    assert occ[0][0].label == "orderpicker"
    assert occ[1][0].label == "vrachtwagenchauffeur"
    assert all(h[0].score >= h[-1].score for h in occ)
    skill = taxonomy.normalizer("skill").search(["heftruck besturen"], top=5)
    assert any("heftruck" in h.label.lower() for h in skill[0])
    assert taxonomy.resolve(["orderpicker", "qwxzv blorp"], "occupation")[1] is None


def test_cli_normalize_writes_the_specified_columns(taxonomy, tmp_path, monkeypatch):
    monkeypatch.delenv("WERKMATCH_DATA_DIR", raising=False)
    get_settings.cache_clear()
    inp = tmp_path / "in.tsv"
    inp.write_text("a1\torderpicker\nb2\tmedewerker bediening café\n")
    out = tmp_path / "out.tsv"
    res = CliRunner().invoke(
        app, ["taxonomy", "normalize", "--kind", "occupation", "--input", str(inp), "--top", "3", "--output", str(out)]
    )
    assert res.exit_code == 0, res.output
    rows = [line.split("\t") for line in out.read_text().splitlines()]
    assert len(rows) == 6
    assert [r[0] for r in rows] == ["a1"] * 3 + ["b2"] * 3
    assert [r[1] for r in rows[:3]] == ["1", "2", "3"]
    assert rows[0][2].startswith("http://data.europa.eu/esco/occupation/") and rows[0][3] == "orderpicker"
    assert 0.0 <= float(rows[0][4]) <= 1.0


def test_cli_normalize_rejects_bad_input(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("no tab here\n")
    res = CliRunner().invoke(app, ["taxonomy", "normalize", "--kind", "occupation", "--input", str(bad)])
    assert res.exit_code == 2 and "line 1" in res.output
    res = CliRunner().invoke(app, ["taxonomy", "normalize", "--kind", "job", "--input", str(bad)])
    assert res.exit_code == 2 and "unknown kind" in res.output


def test_missing_esco_is_said_plainly(tmp_path, monkeypatch):
    monkeypatch.setenv("WERKMATCH_ESCO_DIR", str(tmp_path / "nope"))
    get_settings.cache_clear()
    inp = tmp_path / "in.tsv"
    inp.write_text("a\tkok\n")
    res = CliRunner().invoke(app, ["taxonomy", "normalize", "--kind", "skill", "--input", str(inp)])
    get_settings.cache_clear()
    assert res.exit_code == 2 and "ESCO is not configured" in res.output


def test_a_taxonomy_made_with_another_embedder_is_not_kept_for_the_process(taxonomy):
    """`werkmatch index embed --cluster` builds the taxonomy with the cluster's embedder (the same model version,
    another object, closed after the command): that taxonomy is neither taken from nor left in the process's
    cache (it once was left there: the next command in the process failed with 'IOLoop is closed')."""
    from werkmatch.runtime import load_embedder, load_taxonomy

    class Elsewhere:  # stands for DaskEmbedder: the same vectors and version, another object
        def __init__(self, inner):
            self.inner, self.dim, self.version = inner, inner.dim, inner.version

        def encode(self, texts, *, kind="query"):
            return self.inner.encode(texts, kind=kind)

    elsewhere = Elsewhere(load_embedder())
    other = load_taxonomy(embedder=elsewhere)
    assert other.occupations.vectors is not None and other.occupations.vectors.embedder is elsewhere
    again = load_taxonomy()
    assert again is not other
    assert again.occupations.vectors is not None and again.occupations.vectors.embedder is not elsewhere
    assert again.normalizer("occupation").search(["orderpicker"], top=1)[0][0].label == "orderpicker"
