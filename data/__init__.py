"""Static reference data shipped with werkmatch (Groningen's gebieden, demo word lists)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any


@lru_cache
def load_json(name: str) -> Any:
    """Load one of the package's JSON data files."""
    return json.loads(resources.files(__name__).joinpath(name).read_text(encoding="utf-8"))


def sample_texts() -> list[str]:
    """Dutch texts of the kinds werkmatch embeds, from the demo word lists: titles, synonyms, skill lists,
    vacancy texts and profile texts (a fixed set to compare two encodings of the model with)."""
    w = load_json("demo.json")
    texts: list[str] = []
    for occ in w["occupations"]:
        texts.append(occ["title"])
        texts.extend(occ["synonyms"][:2])
        texts.append(", ".join(occ["skills"]))
    for i, tpl in enumerate(w["vacancy_templates"]):
        occ = w["occupations"][i * 7 % len(w["occupations"])]
        texts.append(
            tpl.format(
                employer="Zorggroep Stad",
                title_l=occ["title"].lower(),
                hours="24-32",
                wijk="Lewenborg",
                skills=", ".join(occ["skills"]),
            )
        )
    texts.extend(t.format(occ="kok", exp="afwasser") for t in w["about_templates"])
    return list(dict.fromkeys(texts))
