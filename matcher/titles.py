"""Dutch job titles as people write them -> the forms ESCO's labels use: a normalisation step in front of the
hybrid occupation search (``normalise``, ``variants``, ``search_titles``) and the harder evaluation variant
(``roughen``) that writes held-out ESCO labels the way job sites and coaches do.

Real titles are messier than ESCO's labels: gender marks and forms (``(m/v/x)``, ``-ster``, ``-e``), compounds
written together or apart (``magazijnmedewerker`` / ``medewerker magazijn``), abbreviations and employer jargon
(``mdw``, ``allround``, ``BBL``, ``zzp``), levels and qualifiers (``junior``, ``1e``, ``leerling-``).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

_GENDER = re.compile(r"\(\s*[mvxhf]\s*(?:/\s*[mvxhf]\s*){1,2}\)|\b[mv]\s*/\s*[vm](?:\s*/\s*x)?\b", re.I)
_NOISE = re.compile(
    r"\b(?:gezocht|vacature|gevraagd|per\s+direct|fulltime|parttime|full[- ]time|part[- ]time|allround|allrounder|"
    r"ervaren|junior|medior|senior|zzp(?:'er)?|freelance|bbl|bol|leerling|stagiair|trainee|hoofd|1e|2e|3e|eerste|"
    r"tweede|derde|\d{1,2}\s*(?:[-–]|tot)\s*\d{1,2}\s*uur|\d{1,2}\s*uur|m/v|v/m|niveau\s*\d)\b|[:!|*]",
    re.I,
)
ABBREVIATIONS = {
    "mdw": "medewerker",
    "medew": "medewerker",
    "mw": "medewerker",
    "adm": "administratief",
    "admin": "administratief",
    "chauff": "chauffeur",
    "vrachtw": "vrachtwagen",
    "techn": "technisch",
    "verk": "verkoop",
    "klantens": "klantenservice",
    "ass": "assistent",
    "coörd": "coördinator",
    "coord": "coördinator",
}
_ABBREV = re.compile(r"\b(" + "|".join(map(re.escape, ABBREVIATIONS)) + r")\b\.?", re.I)
HEADS = (
    "medewerker",
    "monteur",
    "chauffeur",
    "hulp",
    "verkoper",
    "adviseur",
    "assistent",
    "leider",
    "beheerder",
    "technicus",
    "operator",
    "schoonmaker",
    "bezorger",
    "begeleider",
    "coördinator",
    "planner",
)
FEMININE = (
    ("medewerkster", "medewerker"),
    ("verkoopster", "verkoper"),
    ("schoonmaakster", "schoonmaker"),
    ("kapster", "kapper"),
    ("bezorgster", "bezorger"),
    ("begeleidster", "begeleider"),
    ("verzorgster", "verzorger"),
    ("werkster", "werker"),
    ("ster", "er"),
    ("trice", "teur"),
    ("euse", "eur"),
    ("e", ""),
)


def normalise(title: str) -> str:
    """Lower case, without gender marks, job-site noise, levels and abbreviations; hyphens between words kept
    as spaces ("magazijn-medewerker" -> "magazijn medewerker")."""
    t = _GENDER.sub(" ", title)
    t = _ABBREV.sub(lambda m: ABBREVIATIONS[m.group(1).lower()], t)
    t = _NOISE.sub(" ", t)
    t = re.sub(r"(?<=\w)-(?=\w)", " ", t)
    t = re.sub(r"[()\[\],;/]+", " ", t)
    t = re.sub(r"\s{2,}", " ", t).strip(" -–.").lower()
    return t or title.strip().lower()


def _masculine(word: str) -> str | None:
    for fem, masc in FEMININE:
        if word.endswith(fem) and len(word) > len(fem) + 3:
            return word[: len(word) - len(fem)] + masc
    return None


def variants(title: str) -> list[str]:
    """The normalised title and its compound and gender variants (each a query; the best one counts)."""
    base = normalise(title)
    out = [base]
    words = base.split()
    # "medewerker magazijn" <-> "magazijnmedewerker"; "magazijn medewerker" -> "magazijnmedewerker"
    if len(words) == 2 and words[0] in HEADS:
        out.append(words[1] + words[0])
    if len(words) == 2 and words[1] in HEADS:
        out.append(words[0] + words[1])
    if len(words) == 1:
        for head in HEADS:
            w = words[0]
            if w.endswith(head) and len(w) > len(head) + 2:
                out.append(f"{w[: -len(head)].rstrip('-')} {head}")
                out.append(f"{head} {w[: -len(head)].rstrip('-')}")
    masc = [_masculine(w) for w in words]
    if any(masc):
        out.append(" ".join(m or w for m, w in zip(masc, words, strict=True)))
    return list(dict.fromkeys(v for v in out if v))


class ConceptScorer(Protocol):
    """The normaliser's concept scores for queries."""

    def scores(self, queries: Sequence[str], mode: Any = "hybrid") -> np.ndarray: ...


def title_scores(norm: ConceptScorer, titles: Sequence[str], *, mode: Any = "hybrid") -> np.ndarray:
    """[len(titles), n_concepts]: per title, the best score over its variants and the raw title."""
    groups = [list(dict.fromkeys([t, *variants(t)])) for t in titles]
    flat = [v for g in groups for v in g]
    scores = norm.scores(flat, mode)
    out = np.empty((len(titles), scores.shape[1]), dtype=np.float32)
    start = 0
    for i, g in enumerate(groups):
        out[i] = scores[start : start + len(g)].max(axis=0)
        start += len(g)
    return out


# ------------------------------------------------------------------------------- the harder evaluation set
_FEMININE_OF = {"medewerker": "medewerkster", "verkoper": "verkoopster", "schoonmaker": "schoonmaakster"}


def roughen(label: str, rng: random.Random) -> str:
    """An ESCO label written the way a job site or a coach would: one or two real-world variations."""
    t = label
    ops = rng.sample(["gender", "compound", "noise", "level", "abbrev", "feminine", "case"], k=rng.choice((1, 2)))
    words = t.split()
    for op in ops:
        if op == "gender":
            t = f"{t} {rng.choice(['(m/v/x)', '(m/v)', 'm/v', '(v/m/x)'])}"
        elif op == "compound" and len(words) == 2 and words[0] in HEADS:
            t = t.replace(f"{words[0]} {words[1]}", f"{words[1]}{words[0]}")
        elif op == "compound" and len(words) == 1:
            head = next((h for h in HEADS if words[0].endswith(h) and len(words[0]) > len(h) + 2), None)
            if head:
                t = t.replace(words[0], f"{head} {words[0][: -len(head)]}")
        elif op == "noise":
            t = rng.choice(
                ["{} gezocht", "Allround {}", "{} 32-38 uur", "Vacature: {}", "{} parttime", "{} (zzp)"]
            ).format(t)
        elif op == "level":
            t = rng.choice(["Junior {}", "Senior {}", "{} 1e", "Leerling {}", "{} niveau 2"]).format(t)
        elif op == "abbrev" and "medewerker" in t:
            t = t.replace("medewerker", rng.choice(["mdw.", "medew.", "mdw"]))
        elif op == "feminine":
            for masc, fem in _FEMININE_OF.items():
                if masc in t:
                    t = t.replace(masc, fem)
                    break
        elif op == "case":
            t = t.upper() if rng.random() < 0.3 else t.capitalize()
    return t
