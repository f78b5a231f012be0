"""A Dutch test set for the model: titles, skills and full vacancy texts (from the demo word lists)."""

from __future__ import annotations

from data import load_json

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
    texts.extend(EXTRA)
    return list(dict.fromkeys(texts))
