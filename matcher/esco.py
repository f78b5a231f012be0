"""Load the ESCO classification (Dutch) from a folder of CSV files.

Works with the official ESCO CSV export (``occupations_nl.csv``, ``skills_nl.csv``,
``occupationSkillRelations_nl.csv``, ``ISCOGroups_nl.csv``) and with the reference folder used in
development, which has the same occupation files plus the v1.1.1 relations and a partial set of Dutch
skill labels (the VDAB crosswalk). This service uses the ESCO classification of the European Commission.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

OCC_PREFIX = "http://data.europa.eu/esco/occupation/"
SKILL_PREFIX = "http://data.europa.eu/esco/skill/"
csv.field_size_limit(10_000_000)


class EscoNotConfigured(RuntimeError):
    """No usable ESCO folder is configured."""


@dataclass
class Occupation:
    """An ESCO occupation with its Dutch labels."""

    uri: str
    preferred: str
    alt: list[str]
    hidden: list[str]
    description: str
    isco: str
    code: str

    @property
    def labels(self) -> list[str]:
        """Preferred, alternative and hidden labels, without duplicates."""
        seen: dict[str, None] = {}
        for label in [self.preferred, *self.alt, *self.hidden]:
            if label and label.lower() not in {s.lower() for s in seen}:
                seen[label] = None
        return list(seen)


@dataclass
class Skill:
    """An ESCO skill with a Dutch label where one is known (else English)."""

    uri: str
    preferred: str
    alt: list[str]
    dutch: bool

    @property
    def labels(self) -> list[str]:
        """Preferred and alternative labels."""
        return [self.preferred, *[a for a in self.alt if a != self.preferred]]


@dataclass
class Esco:
    """The parts of ESCO werkmatch uses."""

    occupations: dict[str, Occupation]
    skills: dict[str, Skill]
    isco_groups: dict[str, str]
    essential: dict[str, list[str]] = field(default_factory=dict)
    optional: dict[str, list[str]] = field(default_factory=dict)
    version: str = ""

    def occupation_by_label(self) -> dict[str, Occupation]:
        """Lower-cased label → occupation (preferred labels win over alternative ones)."""
        out: dict[str, Occupation] = {}
        for occ in self.occupations.values():
            for label in occ.alt + occ.hidden:
                out.setdefault(label.lower(), occ)
        for occ in self.occupations.values():
            out[occ.preferred.lower()] = occ
        return out

    def dutch_skills(self) -> dict[str, Skill]:
        """Skills that have a Dutch label."""
        return {u: s for u, s in self.skills.items() if s.dutch}


def _open(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path), encoding="utf-8")
    return path.open(encoding="utf-8-sig", newline="")


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with _open(path) as fh:
        yield from csv.DictReader(fh)


def _find(root: Path, names: list[str]) -> Path | None:
    for name in names:
        hits = sorted(root.rglob(name), reverse=True)  # v1.2.0 sorts after v1.1.1
        if hits:
            return hits[0]
    return None


def _split(value: str | None) -> list[str]:
    return [x.strip() for x in (value or "").split("\n") if x.strip()]


def load_esco(root: Path | None) -> Esco:
    """Load ESCO from ``root``; raise :class:`EscoNotConfigured` when it is missing."""
    if root is None or not root.is_dir():
        raise EscoNotConfigured("ESCO is not configured: set WERKMATCH_ESCO_DIR to a folder with the ESCO CSV export")
    occ_path = _find(root, ["occupations_nl.csv"])
    if occ_path is None:
        raise EscoNotConfigured(f"no occupations_nl.csv under {root}")
    occupations: dict[str, Occupation] = {}
    for r in _rows(occ_path):
        uri = r["conceptUri"]
        occupations[uri] = Occupation(
            uri=uri,
            preferred=r["preferredLabel"].strip(),
            alt=_split(r.get("altLabels")),
            hidden=_split(r.get("hiddenLabels")),
            description=(r.get("description") or "").strip(),
            isco=(r.get("iscoGroup") or "").strip(),
            code=(r.get("code") or "").strip(),
        )
    isco: dict[str, str] = {}
    isco_path = _find(root, ["ISCOGroups_nl.csv"])
    if isco_path:
        for r in _rows(isco_path):
            isco[r["code"].strip()] = r["preferredLabel"].strip()
    skills: dict[str, Skill] = {}
    nl_path = _find(root, ["skills_nl.csv"])
    if nl_path:
        for r in _rows(nl_path):
            skills[r["conceptUri"]] = Skill(
                r["conceptUri"], r["preferredLabel"].strip(), _split(r.get("altLabels")), True
            )
    else:
        en_path = _find(root, ["skills_en.csv", "skills_en.csv.gz"])
        if en_path:
            for r in _rows(en_path):
                skills[r["conceptUri"]] = Skill(r["conceptUri"], r["preferredLabel"].strip(), [], False)
        cross = _find(root, ["escocompetencemappingfinalreport-fr-nl-45-v3.8.csv"])
        if cross:
            for uri, label in _vdab_labels(cross).items():
                skills[uri] = Skill(uri, label, [], True)
    essential: dict[str, list[str]] = defaultdict(list)
    optional: dict[str, list[str]] = defaultdict(list)
    rel_path = _find(
        root,
        [
            "occupationSkillRelations_nl.csv",
            "occupationSkillRelations.csv",
            "occupationSkillRelations.csv.gz",
        ],
    )
    if rel_path:
        for r in _rows(rel_path):
            target = essential if r["relationType"] == "essential" else optional
            target[r["occupationUri"]].append(r["skillUri"])
    version = occ_path.parent.name
    return Esco(occupations, skills, isco, dict(essential), dict(optional), version)


def _vdab_labels(path: Path) -> dict[str, str]:
    """Dutch ESCO skill labels from the VDAB crosswalk (16 metadata lines, then a header)."""
    with _open(path) as fh:
        lines = fh.read().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Classification 1 URI"))
    out: dict[str, str] = {}
    for r in csv.DictReader(io.StringIO("\n".join(lines[start:]))):
        url = (r.get("Classification 1 URL") or "").strip()
        label = (r.get("Classification 1 PrefLabel") or "").strip()
        if url.startswith(SKILL_PREFIX) and label:
            out.setdefault(url, label)
    return out


@lru_cache(maxsize=2)
def cached_esco(root: str) -> Esco:
    """Load ESCO once per process and folder."""
    return load_esco(Path(root))


def skill_synonyms(root: Path | None) -> list[tuple[str, str, str]]:
    """(skill URI, ESCO Dutch label, VDAB competence label) for exact and close matches in the crosswalk."""
    cross = _find(root, ["escocompetencemappingfinalreport-fr-nl-45-v3.8.csv"]) if root and root.is_dir() else None
    if cross is None:
        return []
    with _open(cross) as fh:
        lines = fh.read().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Classification 1 URI"))
    out = []
    for r in csv.DictReader(io.StringIO("\n".join(lines[start:]))):
        url = (r.get("Classification 1 URL") or "").strip()
        esco_label = (r.get("Classification 1 PrefLabel") or "").strip()
        vdab = (r.get("Classification 2 PrefLabel NL") or "").strip()
        if (
            url.startswith(SKILL_PREFIX)
            and esco_label
            and vdab
            and r.get("Mapping Relation")
            in (
                "skos:exactMatch",
                "skos:closeMatch",
            )
        ):
            out.append((url, esco_label, vdab))
    return out
