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
