"""A Dutch test set for the model: titles, skills and full vacancy texts (from the demo word lists)."""

from __future__ import annotations

from data import sample_texts

EXTRA = [
    "Allround medewerker bediening gezocht voor café-restaurant in Haren",
    "Vrachtwagenchauffeur CE (m/v/x) — 38 uur, start per direct; salaris € 2.600–3.100",
    "Helpende plus: cliënten ondersteunen bij ADL, rapporteren in het ECD",
    "ÉÉN  twee\tdrie  vier",
    "coördinator naïeve reünie in 's-Hertogenbosch",
    "werk   met  veel   spaties",
    "Orderpicker/reachtruckchauffeur, 2-ploegendienst, heftruckcertificaat vereist",
    "Schoonmaakmedewerker — 12 uur per week — 's avonds",
    "Wij zoeken een enthousiaste medewerker voor onze zorginstelling in Haren. Je helpt cliënten bij "
    "dagelijkse activiteiten, zoals wassen, aankleden en eten. Ervaring is geen vereiste.",
    "ﬁetsenmaker (ligatuur) en ｆｕｌｌ ｗｉｄｔｈ tekst",
]


def dutch_texts() -> list[str]:
    """At least 100 Dutch texts of the kinds werkmatch embeds."""
    return list(dict.fromkeys([*sample_texts(), *EXTRA]))
