"""The vacancy check flags discriminatory wording, and leaves fair texts alone."""

from __future__ import annotations

import pytest

from matcher.wording import check_vacancy_text


@pytest.mark.parametrize(
    ("title", "description", "code"),
    [
        ("Orderpicker (m/v/x)", "Leeftijd maximaal 30 jaar.", "age"),
        ("Kassamedewerker (m/v/x)", "Je komt in een jong en dynamisch team.", "age"),
        ("Magazijnmedewerker (m/v/x)", "Leeftijd tussen 18 en 25 jaar.", "age"),
        ("Serveerster", "Voor ons café.", "gender"),
        ("Gastvrouw", "", "gender"),
        ("Chauffeur (m/v/x)", "Je hebt de Nederlandse nationaliteit.", "nationality"),
        ("Klantenservice (m/v/x)", "Nederlands als moedertaal is een must.", "language"),
        ("Schoonmaker (m/v/x)", "Je bent kerngezond en hebt geen beperking.", "health"),
        ("Receptionist (m/v/x)", "Geen kinderen of kinderwens.", "family"),
    ],
)
def test_flags_discriminatory_wording_with_a_reason(title, description, code):
    findings = check_vacancy_text(title, description)
    assert code in {f.code for f in findings}
    assert all(f.reason for f in findings)


@pytest.mark.parametrize(
    ("title", "description"),
    [
        ("Serveerster (m/v/x)", "Je werkt 24 uur per week in het weekend."),
        ("Orderpicker", "Je bent minimaal 18 jaar vanwege het werken met de heftruck. Nederlands op B1-niveau."),
        ("Verzorgende IG (m/v/x)", "Je helpt cliënten bij dagelijkse activiteiten; je tilt met hulpmiddelen."),
        ("Medewerker bediening", "Wij werken in een gezellig team met collega's van alle leeftijden."),
    ],
)
def test_fair_texts_pass(title, description):
    assert check_vacancy_text(title, description) == []
