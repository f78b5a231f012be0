"""Reading a vacancy text: one pasted vacancy of about 300 words, parsed with the configured model and ESCO
(``python -m benchmarks parse``). Target (#16): under 300 ms on the 2 cores."""

from __future__ import annotations

import datetime as dt
import statistics
import time
from typing import Any

from matcher.parsing import parse_vacancy


def _text(words: int) -> str:
    from tests.vacancy_texts import TEXTS

    out: list[str] = []
    for case in TEXTS:
        out.extend(case["text"].splitlines())
        if sum(len(line.split()) for line in out) >= words:
            break
    return "\n".join(out)


def run(*, runs: int = 50, words: int = 300) -> dict[str, Any]:
    """Median, p99 and mean milliseconds per parse, after one warm-up parse."""
    from werkmatch.runtime import load_embedder, taxonomy_or_none
    from werkmatch.settings import get_settings

    settings = get_settings()
    tax = taxonomy_or_none(settings)
    if tax is None:
        raise SystemExit("ESCO is not configured: the parse benchmark needs WERKMATCH_ESCO_DIR")
    from matcher.parsing import DenseSearch
    from werkmatch.runtime import index_english_skills

    index_english_skills(tax, settings)
    english = DenseSearch(tax.english_skills)
    text = _text(words)
    today = dt.date(2026, 11, 25)
    parse_vacancy(text, occupations=tax.occupations, skills=tax.skills, today=today, english_skills=english)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        parsed = parse_vacancy(
            text, occupations=tax.occupations, skills=tax.skills, today=today, english_skills=english
        )
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return {
        "words": len(text.split()),
        "runs": runs,
        "model": load_embedder(settings).version,
        "median_ms": round(statistics.median(times), 1),
        "p99_ms": round(times[min(len(times) - 1, round(0.99 * (len(times) - 1)))], 1),
        "mean_ms": round(statistics.fmean(times), 1),
        "skills_found": len(parsed.required_skills) + len(parsed.nice_skills),
    }
