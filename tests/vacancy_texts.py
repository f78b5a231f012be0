"""Thirty Dutch vacancy texts written by hand in the style of Dutch job sites, with the fields an adviser would
fill in from them: the regression set for reading vacancy text (``matcher.parsing``). Dates are read on
2026-11-25. ``occupation``: a word the right ESCO occupation's label holds (checked in the top 3 with the real
model); ``None`` for a field: the text does not say it."""

from __future__ import annotations

import datetime as dt

TODAY = dt.date(2026, 11, 25)

TEXTS: list[dict] = [
    {
        "text": """Orderpicker (m/v/x) – 32 tot 38 uur
Ben jij fysiek fit en werk je graag nauwkeurig? Voor ons distributiecentrum in Groningen zoeken wij per direct een orderpicker.
Wat ga je doen?
- Orders verzamelen met een handscanner
- Goederen laden en lossen
Wat vragen wij?
- Je hebt een heftruckcertificaat
- Geen diploma nodig
Wat bieden wij?
- Een contract voor 6 maanden met uitzicht op een vast contract""",
        "title": "Orderpicker",
        "occupation": "orderpicker",
        "hours": (32, 38),
        "licence": None,
        "education": "none",
        "start": TODAY,
        "contract": "temporary",
        "offer": None,
    },
    {
        "text": """Medewerker schoonmaak gezocht!
Voor kantoren in Groningen-Zuid zoeken wij een schoonmaakmedewerker voor 20 uur per week, in de avond.
Je maakt kantoren, toiletten en kantines schoon en je werkt zelfstandig.
Ervaring is niet nodig, wij leiden je op. Je start per 1 januari 2027.
Je krijgt een vast contract bij een erkend schoonmaakbedrijf.""",
        "title": "Medewerker schoonmaak",
        "occupation": "schoonma",
        "hours": (20, 20),
        "licence": None,
        "education": None,
        "start": dt.date(2027, 1, 1),
        "contract": "permanent",
        "offer": None,
    },
    {
        "text": """Vakkenvuller supermarkt (parttime)
Wij zoeken een vakkenvuller voor onze supermarkt in Beijum. Je vult de schappen, controleert houdbaarheidsdata en helpt klanten de weg te vinden.
Je werkt 12-16 uur per week, ook op zaterdag.
Je hebt geen ervaring of diploma nodig.
Je werkt via een uitzendbureau.""",
        "title": "Vakkenvuller supermarkt",
        "occupation": "vakkenvuller",
        "hours": (12, 16),
        "licence": None,
        "education": "none",
        "start": None,
        "contract": "agency",
        "offer": None,
    },
    {
        "text": """Heftruckchauffeur
Distributiecentrum Eemspoort zoekt een ervaren heftruckchauffeur voor 38 uur per week.
Je laadt en lost vrachtwagens en houdt de voorraad bij in het magazijnsysteem.
Een geldig heftruckcertificaat is vereist. Rijbewijs B is een pré.
Je hebt een afgeronde mbo-opleiding niveau 2.
Het gaat om een functie voor onbepaalde tijd.""",
        "title": "Heftruckchauffeur",
        "occupation": "heftruck",
        "hours": (38, 38),
        "licence": "B",
        "education": "mbo2",
        "start": None,
        "contract": "permanent",
        "offer": None,
    },
    {
        "text": """Zorghulp thuiszorg (24 uur)
Ben jij iemand die graag voor anderen zorgt? Als zorghulp help je cliënten thuis met het huishouden, boodschappen en de was.
Wij vragen: mbo niveau 1 of ervaring in de huishoudelijke hulp, rijbewijs B en een eigen auto.
Je werkt 24 uur per week, verdeeld over de ochtenden.
Wij bieden een jaarcontract met kans op verlenging.""",
        "title": "Zorghulp thuiszorg",
        "occupation": "hulp",
        "hours": (24, 24),
        "licence": "B",
        "education": "mbo1",
        "start": None,
        "contract": "temporary",
        "offer": None,
    },
    {
        "text": """Kok in een druk lunchcafé
Voor ons lunchcafé aan de Vismarkt zoeken wij een zelfstandig werkende kok.
Je bereidt lunchgerechten, houdt de keuken schoon en bestelt de voorraad.
Je hebt een diploma koken op mbo-niveau 3 en ervaring in een professionele keuken.
32 tot 40 uur per week, werken in het weekend hoort erbij. Start per 15 december.""",
        "title": "Kok in een druk lunchcafé",
        "occupation": "kok",
        "hours": (32, 40),
        "licence": None,
        "education": "mbo3",
        "start": dt.date(2026, 12, 15),
        "contract": None,
        "offer": None,
    },
    {
        "text": """Werkervaringsplaats groenvoorziening
Wil je werkervaring opdoen in het groen? Bij de gemeentelijke groendienst help je met maaien, snoeien en het bijhouden van plantsoenen.
Je werkt 24 uur per week in een vast team onder begeleiding van een werkleider.
Er is geen diploma nodig.""",
        "title": "Werkervaringsplaats groenvoorziening",
        "occupation": "hovenier",
        "hours": (24, 24),
        "licence": None,
        "education": "none",
        "start": None,
        "contract": None,
        "offer": "work_experience",
    },
    {
        "text": """Leerwerkplek monteur (BBL)
Wil je werken en leren tegelijk? Als leerling monteur installatietechniek ga je vier dagen aan het werk en één dag naar school.
Je legt leidingen aan en helpt bij het installeren van cv-ketels.
Je hebt een vmbo-diploma. Rijbewijs is niet nodig.
Fulltime, start per 1 februari 2027.""",
        "title": "Leerwerkplek monteur",
        "occupation": "monteur",
        "hours": (36, 40),
        "licence": None,
        "education": "vmbo",
        "start": dt.date(2027, 2, 1),
        "contract": None,
        "offer": "learning_job",
    },
    {
        "text": """Chauffeur C/CE gezocht
Transportbedrijf Noord zoekt een chauffeur voor binnenlandse ritten.
Je bent in het bezit van rijbewijs CE en code 95.
Je laadt en lost zelf en onderhoudt contact met klanten.
40 uur per week, vast contract.""",
        "title": "Chauffeur C/CE",
        "occupation": "chauffeur",
        "hours": (40, 40),
        "licence": "CE",
        "education": None,
        "start": None,
        "contract": "permanent",
        "offer": None,
    },
    {
        "text": """Kassamedewerker bouwmarkt
Jij bent het gezicht van onze bouwmarkt. Je rekent af aan de kassa, beantwoordt vragen van klanten en houdt de kassaruimte netjes.
Je werkt 16 uur per week, vooral op zaterdag.
Je hebt minimaal een vmbo-diploma.
We bieden een tijdelijk contract.""",
        "title": "Kassamedewerker bouwmarkt",
        "occupation": "kassa",
        "hours": (16, 16),
        "licence": None,
        "education": "vmbo",
        "start": None,
        "contract": "temporary",
        "offer": None,
    },
    {
        "text": """Productiemedewerker voedingsindustrie – 3-ploegendienst
In onze fabriek in Hoogezand bedien je de verpakkingsmachine en controleer je de kwaliteit van de producten.
Je werkt in ploegen, ook 's nachts.
Wij vragen geen opleiding; je wordt intern opgeleid.
36 uur per week, via uitzendbureau met uitzicht op vast.""",
        "title": "Productiemedewerker voedingsindustrie",
        "occupation": "operator",
        "hours": (36, 36),
        "licence": None,
        "education": "none",
        "start": None,
        "contract": "agency",
        "offer": None,
    },
    {
        "text": """Receptionist(e) hotel
Wil jij onze gasten welkom heten? Als receptionist check je gasten in en uit, beantwoord je de telefoon en verwerk je reserveringen.
Je spreekt goed Nederlands en Engels. Kennis van Duits is een pluspunt.
Mbo-niveau 4 in de richting toerisme of hotellerie.
Parttime, 24-32 uur per week, ingangsdatum 1 maart 2027.""",
        "title": "Receptionist(e) hotel",
        "occupation": "receptionist",
        "hours": (24, 32),
        "licence": None,
        "education": "mbo4",
        "start": dt.date(2027, 3, 1),
        "contract": None,
        "offer": None,
    },
    {
        "text": """Administratief medewerker
Voor ons kantoor in de binnenstad zoeken wij een administratief medewerker voor 28 uur per week.
Je verwerkt facturen, beheert het archief en voert gegevens in.
Je werkt nauwkeurig en hebt ervaring met Excel.
Mbo-niveau 3 administratie. Contract voor 12 maanden.""",
        "title": "Administratief medewerker",
        "occupation": "administratie",
        "hours": (28, 28),
        "licence": None,
        "education": "mbo3",
        "start": None,
        "contract": "temporary",
        "offer": None,
    },
    {
        "text": """Vrijwilliger voedselbank
De voedselbank Groningen zoekt vrijwilligers die helpen bij het sorteren en uitdelen van voedselpakketten.
Je werkt 8 uur per week op dinsdag of donderdag.
Geen ervaring of diploma nodig, wel een open houding.""",
        "title": "Vrijwilliger voedselbank",
        "occupation": None,
        "hours": (8, 8),
        "licence": None,
        "education": "none",
        "start": None,
        "contract": None,
        "offer": "participation",
    },
    {
        "text": """Magazijnmedewerker (m/v/x) 40 uur
Je ontvangt goederen, controleert de pakbonnen en slaat alles op in het magazijn.
Ook maak je zendingen klaar voor verzending.
Heftruckcertificaat is mooi meegenomen.
We zoeken iemand die per direct kan beginnen.""",
        "title": "Magazijnmedewerker",
        "occupation": "magazijn",
        "hours": (40, 40),
        "licence": None,
        "education": None,
        "start": TODAY,
        "contract": None,
        "offer": None,
    },
    {
        "text": """Pedagogisch medewerker kinderopvang
Ben jij enthousiast en zorgzaam? Voor onze kinderopvang in Helpman zoeken wij een pedagogisch medewerker.
Je begeleidt een groep kinderen van 0 tot 4 jaar en bespreekt de ontwikkeling met ouders.
Je hebt een mbo-diploma niveau 3 pedagogisch werk.
Je werkt 24 uur per week. Vaste aanstelling na een jaar.""",
        "title": "Pedagogisch medewerker kinderopvang",
        "occupation": "kinderopvang",
        "hours": (24, 24),
        "licence": None,
        "education": "mbo3",
        "start": None,
        "contract": "permanent",
        "offer": None,
    },
    {
        "text": """Bezorger maaltijden (scooter)
Bezorg warme maaltijden bij klanten in de stad.
Je hebt een rijbewijs AM en kunt goed de weg vinden.
Flexibel werk: 10 tot 20 uur per week, ook 's avonds. Je werkt op basis van een oproepcontract.""",
        "title": "Bezorger maaltijden",
        "occupation": "bezorger",
        "hours": (10, 20),
        "licence": "AM",
        "education": None,
        "start": None,
        "contract": "on_call",
        "offer": None,
    },
    {
        "text": """Klantenservicemedewerker
Voor ons contactcenter zoeken wij klantvriendelijke collega's.
Je beantwoordt vragen van klanten per telefoon, e-mail en chat en lost klachten op.
Je hebt minimaal mbo-niveau 2 en spreekt vloeiend Nederlands.
Parttime 20-32 uur. Start op 6 januari 2027.""",
        "title": "Klantenservicemedewerker",
        "occupation": "klantenservice",
        "hours": (20, 32),
        "licence": None,
        "education": "mbo2",
        "start": dt.date(2027, 1, 6),
        "contract": None,
        "offer": None,
    },
    {
        "text": """Timmerman renovatie
Bouwbedrijf De Vries zoekt een timmerman voor renovatieprojecten in de regio.
Je plaatst kozijnen, deuren en vloeren en leest bouwtekeningen.
Je hebt een mbo 2 diploma timmeren en rijbewijs B.
Fulltime, vast dienstverband.""",
        "title": "Timmerman renovatie",
        "occupation": "timmerman",
        "hours": (36, 40),
        "licence": "B",
        "education": "mbo2",
        "start": None,
        "contract": "permanent",
        "offer": None,
    },
    {
        "text": """Afwasser restaurant
Voor ons restaurant zoeken wij een afwasser voor de avonden.
Je wast af, ruimt de keuken op en helpt bij eenvoudige voorbereidingen.
Geen diploma vereist.
15 uur per week, tijdelijk contract.""",
        "title": "Afwasser restaurant",
        "occupation": "afwas",
        "hours": (15, 15),
        "licence": None,
        "education": "none",
        "start": None,
        "contract": "temporary",
        "offer": None,
    },
    {
        "text": """Verkoopmedewerker kledingwinkel
Jij adviseert klanten over kleding, vult de rekken aan en helpt bij de kassa.
Je bent commercieel en klantgericht; ervaring in de retail is een pré.
Wij vragen mbo-niveau 2 retail of gelijkwaardig.
Je werkt 20 uur per week, ook op koopavond.""",
        "title": "Verkoopmedewerker kledingwinkel",
        "occupation": "verkoop",
        "hours": (20, 20),
        "licence": None,
        "education": "mbo2",
        "start": None,
        "contract": None,
        "offer": None,
    },
    {
        "text": """Beveiliger evenementen
Als beveiliger zorg je voor de veiligheid van bezoekers tijdens evenementen.
Je controleert toegangsbewijzen en treedt op bij incidenten.
Je hebt het diploma beveiliger 2 (mbo 2) of bent bereid het te halen.
Oproepbasis, 0-24 uur per week.""",
        "title": "Beveiliger evenementen",
        "occupation": "beveilig",
        "hours": (0, 24),
        "licence": None,
        "education": "mbo2",
        "start": None,
        "contract": "on_call",
        "offer": None,
    },
    {
        "text": """Schilder (ervaren)
Schildersbedrijf Kleur zoekt een ervaren schilder voor binnen- en buitenwerk.
Je schuurt, plamuurt en schildert kozijnen en gevels.
Rijbewijs B is vereist.
38 uur per week, startdatum: 1 april 2027.""",
        "title": "Schilder",
        "occupation": "schilder",
        "hours": (38, 38),
        "licence": "B",
        "education": None,
        "start": dt.date(2027, 4, 1),
        "contract": None,
        "offer": None,
    },
    {
        "text": """Medewerker fietsenmaker
Wij repareren en onderhouden fietsen en e-bikes. Jij vervangt banden, stelt remmen af en helpt klanten in de winkel.
Je hebt affiniteit met techniek. Een mbo-opleiding fietstechniek is mooi meegenomen.
Werken en leren is mogelijk via BBL.
32 uur per week.""",
        "title": "Medewerker fietsenmaker",
        "occupation": "fiets",
        "hours": (32, 32),
        "licence": None,
        "education": None,
        "start": None,
        "contract": None,
        "offer": "learning_job",
    },
    {
        "text": """Gastvrouw/gastheer zorgcentrum
In ons zorgcentrum verzorg je de koffie en maaltijden voor bewoners en maak je een praatje.
Je werkt 16 tot 24 uur per week in de ochtend.
Vmbo-niveau is voldoende.
Wij bieden een contract voor bepaalde tijd.""",
        "title": "Gastvrouw/gastheer zorgcentrum",
        "occupation": "gast",
        "hours": (16, 24),
        "licence": None,
        "education": "vmbo",
        "start": None,
        "contract": "temporary",
        "offer": None,
    },
    {
        "text": """Monteur zonnepanelen
Ben jij niet bang voor hoogte? Als monteur plaats je zonnepanelen op daken bij particulieren en bedrijven.
Je werkt in een team van twee en rijdt met de bedrijfsbus naar klanten, dus rijbewijs B is nodig.
Vmbo techniek of mbo-niveau 2 elektrotechniek.
40 uur per week, vast contract na proeftijd.""",
        "title": "Monteur zonnepanelen",
        "occupation": "monteur",
        "hours": (40, 40),
        "licence": "B",
        "education": "mbo2",
        "start": None,
        "contract": "permanent",
        "offer": None,
    },
    {
        "text": """Postsorteerder (vroege ochtend)
Je sorteert post en pakketten in ons sorteercentrum.
De werktijden zijn van 5:00 tot 9:00 uur, maximaal 20 uur per week.
Geen opleiding nodig. Je werkt via een uitzendbureau.""",
        "title": "Postsorteerder",
        "occupation": "post",
        "hours": (0, 20),
        "licence": None,
        "education": "none",
        "start": None,
        "contract": "agency",
        "offer": None,
    },
    {
        "text": """Facilitair medewerker
Als facilitair medewerker ben je verantwoordelijk voor de koffievoorziening, post en kleine reparaties in ons kantoorgebouw.
Je bent handig en servicegericht.
Mbo niveau 2. Je start zo snel mogelijk.
36 uur per week, jaarcontract.""",
        "title": "Facilitair medewerker",
        "occupation": "facilit",
        "hours": (36, 36),
        "licence": None,
        "education": "mbo2",
        "start": TODAY,
        "contract": "temporary",
        "offer": None,
    },
    {
        "text": """Assemblagemedewerker
In onze werkplaats monteer je onderdelen voor landbouwmachines volgens tekening.
Je werkt nauwkeurig en kunt met handgereedschap omgaan.
Mbo-niveau 1 of 2 techniek. Geen rijbewijs nodig.
38 uur per week, dagdienst.""",
        "title": "Assemblagemedewerker",
        "occupation": "assemb",
        "hours": (38, 38),
        "licence": None,
        "education": "mbo1",
        "start": None,
        "contract": None,
        "offer": None,
    },
    {
        "text": """Begeleider dagbesteding
Voor onze dagbesteding zoeken wij een begeleider die deelnemers ondersteunt bij creatieve en praktische activiteiten.
Je hebt een hbo-diploma social work of een vergelijkbare opleiding.
24-32 uur per week, onbepaalde tijd.""",
        "title": "Begeleider dagbesteding",
        "occupation": "begeleider",
        "hours": (24, 32),
        "licence": None,
        "education": "hbo",
        "start": None,
        "contract": "permanent",
        "offer": None,
    },
]
