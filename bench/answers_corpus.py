"""Realistic Dutch municipal answers and search queries for bench/answers.py, from a seed.

The vocabulary is built from lists a municipality's website would use: subjects
(parkeer, bouw, afval, paspoort ...) joined with heads (vergunning, ontheffing, container,
tarief ...) into compounds ("parkeervergunning", "afvalcontainer"), plural forms, verbs,
adjectives, places and the small words of running Dutch text (which the index drops as
stop words). Every answer is about one compound subject: its title names it
("Parkeervergunning aanvragen", "Kosten van een afvalcontainer"), its body (80 to 300
words, Markdown paragraphs and sometimes a list) mentions it, related compounds, and
words drawn with a Zipf-like skew from the whole vocabulary, so that some words
("gemeente", "aanvraag") are in most answers and most words in few. The same seed gives
the same answers, so every run searches the same index.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

TOPIC_CODES = ("dossier", "vergunning", "subsidie", "openbare-ruimte", "belasting", "overig")

# subject prefix -> the topic it belongs to
PREFIXES = {
    "parkeer": "vergunning", "bouw": "vergunning", "kap": "vergunning",
    "evenementen": "vergunning", "horeca": "vergunning", "standplaats": "vergunning",
    "ligplaats": "vergunning", "omgevings": "vergunning", "exploitatie": "vergunning",
    "drank": "vergunning", "terras": "vergunning", "reclame": "vergunning",
    "uitrit": "vergunning", "sloop": "vergunning", "splitsings": "vergunning",
    "monumenten": "vergunning", "woning": "vergunning", "dakkapel": "vergunning",
    "aanbouw": "vergunning", "schutting": "vergunning", "steiger": "vergunning",
    "container": "vergunning", "verhuis": "overig", "huwelijks": "overig",
    "geboorte": "overig", "overlijdens": "overig", "naturalisatie": "overig",
    "paspoort": "overig", "rijbewijs": "overig", "identiteits": "overig",
    "adres": "overig", "uittreksel": "overig", "verklaring": "overig",
    "afval": "openbare-ruimte", "huisvuil": "openbare-ruimte", "restafval": "openbare-ruimte",
    "gft": "openbare-ruimte", "plastic": "openbare-ruimte", "papier": "openbare-ruimte",
    "glas": "openbare-ruimte", "grofvuil": "openbare-ruimte", "straat": "openbare-ruimte",
    "stoep": "openbare-ruimte", "fiets": "openbare-ruimte", "boom": "openbare-ruimte",
    "groen": "openbare-ruimte", "speel": "openbare-ruimte", "riool": "openbare-ruimte",
    "lantaarn": "openbare-ruimte", "zwerfvuil": "openbare-ruimte",
    "hondenpoep": "openbare-ruimte", "graffiti": "openbare-ruimte",
    "onkruid": "openbare-ruimte", "strooi": "openbare-ruimte", "verkeers": "openbare-ruimte",
    "bewoners": "openbare-ruimte", "bezoekers": "openbare-ruimte",
    "gehandicapten": "openbare-ruimte", "laadpaal": "openbare-ruimte",
    "woz": "belasting", "hondenbelasting": "belasting", "toeristen": "belasting",
    "afvalstoffen": "belasting", "riool-heffing": "belasting", "onroerendezaak": "belasting",
    "precario": "belasting", "leges": "belasting", "kwijtschelding": "belasting",
    "aanslag": "belasting", "bijstand": "subsidie", "energie": "subsidie",
    "isolatie": "subsidie", "zonnepanelen": "subsidie", "warmtepomp": "subsidie",
    "kinderopvang": "subsidie", "jeugd": "subsidie", "sport": "subsidie", "cultuur": "subsidie",
    "vereniging": "subsidie", "mantelzorg": "subsidie", "schuldhulp": "subsidie",
    "inkomens": "subsidie", "minima": "subsidie", "studie": "subsidie", "wmo": "subsidie",
    "huishoudelijke": "subsidie", "rolstoel": "subsidie", "leerlingen": "subsidie",
    "klacht": "dossier", "bezwaar": "dossier", "melding": "dossier", "aanvraag": "dossier",
    "status": "dossier", "behandel": "dossier", "beslis": "dossier",
}
HEADS = (
    "vergunning", "ontheffing", "melding", "kaart", "pas", "zone", "tarief", "heffing",
    "container", "regeling", "subsidie", "toeslag", "vergoeding", "uitkering", "aangifte",
    "bewijs", "akte", "formulier", "loket", "afspraak", "termijn", "kosten", "besluit",
    "plan", "controle", "overlast", "schade", "aanvraag", "punt", "dienst", "register",
    "fonds", "budget", "premie", "lening", "check", "procedure", "beleid", "wijzer", "route",
)
PLURALS = {
    "vergunning": "vergunningen", "ontheffing": "ontheffingen", "melding": "meldingen",
    "kaart": "kaarten", "pas": "passen", "zone": "zones", "tarief": "tarieven",
    "heffing": "heffingen", "container": "containers", "regeling": "regelingen",
    "subsidie": "subsidies", "toeslag": "toeslagen", "vergoeding": "vergoedingen",
    "uitkering": "uitkeringen", "aangifte": "aangiftes", "bewijs": "bewijzen",
    "akte": "aktes", "formulier": "formulieren", "loket": "loketten",
    "afspraak": "afspraken", "termijn": "termijnen", "kosten": "kosten",
    "besluit": "besluiten", "plan": "plannen", "controle": "controles",
    "overlast": "overlast", "schade": "schades", "aanvraag": "aanvragen", "punt": "punten",
    "dienst": "diensten", "register": "registers", "fonds": "fondsen",
    "budget": "budgetten", "premie": "premies", "lening": "leningen", "check": "checks",
    "procedure": "procedures", "beleid": "beleid", "wijzer": "wijzers", "route": "routes",
}
# (infinitive, "u ..." form, "wij ..." form)
VERBS = (
    ("aanvragen", "vraagt aan", "vragen aan"), ("indienen", "dient in", "dienen in"),
    ("betalen", "betaalt", "betalen"), ("ophalen", "haalt op", "halen op"),
    ("melden", "meldt", "melden"), ("wijzigen", "wijzigt", "wijzigen"),
    ("opzeggen", "zegt op", "zeggen op"), ("verlengen", "verlengt", "verlengen"),
    ("ontvangen", "ontvangt", "ontvangen"), ("controleren", "controleert", "controleren"),
    ("beoordelen", "beoordeelt", "beoordelen"), ("invullen", "vult in", "vullen in"),
    ("uploaden", "uploadt", "uploaden"), ("versturen", "verstuurt", "versturen"),
    ("regelen", "regelt", "regelen"), ("terugbetalen", "betaalt terug", "betalen terug"),
    ("afhalen", "haalt af", "halen af"), ("inleveren", "levert in", "leveren in"),
    ("aanmelden", "meldt aan", "melden aan"), ("afmelden", "meldt af", "melden af"),
    ("bekijken", "bekijkt", "bekijken"), ("downloaden", "downloadt", "downloaden"),
    ("legaliseren", "legaliseert", "legaliseren"), ("verhuizen", "verhuist", "verhuizen"),
    ("plaatsen", "plaatst", "plaatsen"), ("verwijderen", "verwijdert", "verwijderen"),
    ("repareren", "repareert", "repareren"), ("aanvullen", "vult aan", "vullen aan"),
    ("toekennen", "kent toe", "kennen toe"), ("afwijzen", "wijst af", "wijzen af"),
    ("bespreken", "bespreekt", "bespreken"), ("vergelijken", "vergelijkt", "vergelijken"),
    ("inschrijven", "schrijft in", "schrijven in"), ("uitschrijven", "schrijft uit",
                                                     "schrijven uit"),
    ("ondertekenen", "ondertekent", "ondertekenen"), ("bewaren", "bewaart", "bewaren"),
)
ADJECTIVES = (
    "gratis", "digitaal", "schriftelijk", "tijdelijk", "definitief", "geldig", "ongeldig",
    "volledig", "onvolledig", "persoonlijk", "dringend", "openbaar", "zakelijk", "jaarlijks",
    "maandelijks", "eenmalig", "verplicht", "mogelijk", "nodig", "duurzaam", "kapot",
    "gevaarlijk", "snel", "langzaam", "zwaar", "groot", "klein", "nieuw", "oud", "lokaal",
)
PLACES = (
    "stadhuis", "stadskantoor", "wijkcentrum", "milieustraat", "servicepunt", "bibliotheek",
    "klantcontactcentrum", "balie", "website", "omgevingsloket", "buurthuis", "gemeentewerf",
)
DISTRICTS = (
    "Noord", "Zuid", "Oost", "West", "Centrum", "Binnenstad", "Oude Haven", "Nieuwland",
    "Kanaleneiland", "Hoograven", "Overvecht", "Zuilen", "Lunetten", "Vleuten", "De Meern",
    "Leidsche Rijn", "Tuindorp", "Wittevrouwen", "Lombok", "Oog in Al",
)
GROUPS = (
    "bewoners", "ondernemers", "verenigingen", "studenten", "ouderen", "jongeren",
    "mantelzorgers", "huurders", "huiseigenaren", "nieuwkomers", "werkzoekenden", "gezinnen",
)
COMMON = (
    "gemeente", "aanvraag", "informatie", "documenten", "gegevens", "website",
    "burgerservicenummer", "digid", "eherkenning", "brief", "besluit", "weken", "werkdagen",
    "kosten", "euro",
    "telefoon", "afspraak", "formulier", "adres", "woning", "huis", "bedrijf", "situatie",
    "regels", "voorwaarden", "datum", "periode", "jaar", "maand", "bewijsstukken", "bijlage",
    "handtekening", "e-mail", "medewerker", "team", "afdeling", "contact", "vraag", "vragen",
    "antwoord", "reactie", "ontvangstbevestiging", "uitleg", "wet", "verordening",
    "aanvrager", "eigenaar", "buren", "omgeving", "straat", "wijk", "plek", "tijd",
)
# Subject prefixes that are words of their own ("afval", "paspoort").
STANDALONE = (
    "paspoort", "rijbewijs", "afval", "huisvuil", "restafval", "gft", "plastic", "papier",
    "glas", "grofvuil", "straat", "stoep", "fiets", "boom", "groen", "riool", "lantaarn",
    "zwerfvuil", "hondenpoep", "graffiti", "onkruid", "laadpaal", "woz", "hondenbelasting",
    "kwijtschelding", "bijstand", "energie", "isolatie", "zonnepanelen", "warmtepomp",
    "kinderopvang", "jeugd", "sport", "cultuur", "vereniging", "mantelzorg", "schuldhulp",
    "minima", "wmo", "rolstoel", "klacht", "bezwaar", "melding", "aanvraag", "status", "leges",
    "precario", "aanslag", "terras", "reclame", "uitrit", "sloop", "dakkapel", "aanbouw",
    "schutting", "steiger", "container", "drank", "horeca", "monumenten", "adres",
)
# Compounds every municipality has, whatever the draw.
ALWAYS = {
    ("parkeer", "vergunning"), ("bouw", "vergunning"), ("kap", "vergunning"),
    ("evenementen", "vergunning"), ("afval", "container"), ("omgevings", "vergunning"),
    ("bewoners", "kaart"), ("parkeer", "zone"), ("afvalstoffen", "heffing"),
    ("energie", "toeslag"), ("isolatie", "subsidie"), ("terras", "vergunning"),
}
PERIODS = ("dagen", "werkdagen", "weken", "maanden")
TEMPLATE_COUNT = 24  # sentence templates in _sentence; each answer uses 7 of them
TITLE_PATTERNS = (
    "{S} aanvragen", "{S} verlengen", "{S} wijzigen", "{S} opzeggen", "Kosten van een {s}",
    "Hoe lang duurt een {s}?", "Bezwaar maken tegen een {s}", "{S} voor {g}",
    "Wat heb ik nodig voor een {s}?", "Wanneer krijg ik mijn {s}?", "{S}: de voorwaarden",
    "Een {s} {v}", "{S} {v}", "{S} in {d}", "Heb ik een {s} nodig?",
    "Mijn {s} is afgewezen", "{S} met DigiD", "Vragen over uw {s}",
)


@dataclass(frozen=True)
class AnswerSpec:
    """One answer as an editor would write it."""

    title: str
    body: str
    topics: tuple[str, ...]
    audience: str


@dataclass(frozen=True)
class Vocabulary:
    """Compound subjects with their topic, and the words running text draws from."""

    subjects: list[tuple[str, str, str, str]]  # (compound, head, topic, prefix)
    words: list[str]  # everything, for Zipf-weighted filler
    cum_weights: list[float]


def vocabulary(rng: random.Random) -> Vocabulary:
    """Compounds of subject prefixes and heads (not every pair: ~45%), plurals, verbs ..."""
    subjects = []
    for prefix, topic in PREFIXES.items():
        clean = prefix.replace("-", "")
        for head in HEADS:
            keep = (prefix, head) in ALWAYS or head == "aanvraag" or rng.random() < 0.45
            if clean.endswith(head) or not keep:
                continue
            subjects.append((clean + head, head, topic, clean))
    words: list[str] = []
    words += COMMON
    words += [c for c, _, _, _ in subjects]
    words += [c[: -len(h)] + PLURALS[h] for c, h, _, _ in subjects if PLURALS[h] != h]
    words += STANDALONE
    words += [v for triple in VERBS for v in triple[0:1]]
    words += ADJECTIVES + tuple(p.lower() for p in PLACES) + tuple(g for g in GROUPS)
    words += list(HEADS) + list(PLURALS.values())
    words = list(dict.fromkeys(words))
    rng.shuffle(words)
    # COMMON first: the most frequent ranks; then a Zipf tail over the rest.
    order = list(COMMON) + [w for w in words if w not in COMMON]
    weights = [1.0 / (rank + 8) ** 1.05 for rank in range(len(order))]
    return Vocabulary(subjects, order, list(itertools.accumulate(weights)))


def _title(rng: random.Random, compound: str) -> str:
    pattern = rng.choice(TITLE_PATTERNS)
    verb = rng.choice(VERBS)[0]
    text = pattern.format(S=compound.capitalize(), s=compound, g=rng.choice(GROUPS),
                          v=verb, d=rng.choice(DISTRICTS))
    return text[0].upper() + text[1:]


def _sentence(rng: random.Random, vocab: Vocabulary, subject: str, related: list[str],
              allowed: list[int]) -> str:
    w = rng.choices(vocab.words, cum_weights=vocab.cum_weights, k=4)
    inf, u_form, wij_form = rng.choice(VERBS)
    topic_word = rng.choice([subject, subject, *related])
    n = rng.choice((2, 3, 5, 6, 8, 10, 12, 26))
    templates = (
        f"U kunt een {topic_word} {inf} via de {rng.choice(PLACES)}.",
        f"Wij {wij_form.split()[0]} uw {w[0]} binnen {n} {rng.choice(PERIODS)}"
        f"{' ' + wij_form.split()[1] if ' ' in wij_form else ''}.",
        f"Heeft u een {topic_word} nodig voor uw {w[1]}? Dan {u_form} u dat bij de gemeente.",
        f"Neem uw {w[0]} en de {w[1]} mee naar het {rng.choice(PLACES)}.",
        f"Let op: de {topic_word} is {rng.choice(ADJECTIVES)} en {n} {rng.choice(PERIODS)} "
        f"geldig.",
        f"De {w[2]} kost **€ {n * 7},{rng.choice(('00', '50', '95'))}**.",
        f"Voor {rng.choice(GROUPS)} in {rng.choice(DISTRICTS)} gelden andere regels voor de "
        f"{w[3]}.",
        f"Als uw {w[0]} {rng.choice(ADJECTIVES)} is, moet u de {topic_word} opnieuw {inf}.",
        f"Wij sturen u een brief met het besluit over uw {topic_word} en de {w[1]}.",
        f"Met DigiD kunt u uw {topic_word} online {inf}; zonder DigiD maakt u een afspraak.",
        f"Bent u het niet eens met het besluit over uw {w[0]}? Maak dan binnen {n} weken "
        f"bezwaar.",
        f"Verandert er iets in uw {w[1]}? Geef dat dan door, dan passen wij uw {topic_word} "
        f"aan.",
        f"Na {n} {rng.choice(PERIODS)} ontvangt u bericht over de {w[2]}.",
        f"Woont u in {rng.choice(DISTRICTS)}? Dan {u_form} u de {topic_word} bij het "
        f"{rng.choice(PLACES)}.",
        f"Bel 14 0{n} als u vragen heeft over de {w[0]} of de {w[3]}.",
        f"Uw {topic_word} blijft {n} jaar {rng.choice(ADJECTIVES)}; daarna kunt u hem "
        f"{inf}.",
        f"Ondernemers {wij_form.split()[0]} de {w[1]} met eHerkenning.",
        f"Zonder {w[2]} kunnen wij uw {topic_word} niet in behandeling nemen.",
        f"Lees ook de informatie over {w[0]} en {w[3]} op onze website.",
        f"In de {rng.choice(('zomer', 'winter', 'vakantie', 'drukke maanden'))} duurt het "
        f"langer voordat wij uw {w[1]} {inf}.",
        f"Is uw situatie {rng.choice(ADJECTIVES)}? Vraag dan een {topic_word} met voorrang "
        f"aan.",
        f"Zijn er {w[2]} of {w[3]} nodig? Dan vragen wij u om die aan te vullen.",
        f"Het {rng.choice(PLACES)} is open van maandag tot en met vrijdag; voor een "
        f"{topic_word} maakt u eerst een afspraak.",
        f"De {w[0]}, de {w[1]} en de {w[2]} bepalen of u in aanmerking komt.",
    )
    return templates[rng.choice(allowed)]


def make_answers(count: int, seed: int) -> list[AnswerSpec]:
    """count answers, the same for the same seed; titles are unique."""
    rng = random.Random(seed)
    vocab = vocabulary(rng)
    by_head: dict[str, list[str]] = {}
    for compound, head, _, _ in vocab.subjects:
        by_head.setdefault(head, []).append(compound)
    titles: set[str] = set()
    answers = []
    for _ in range(count):
        compound, head, topic, prefix = rng.choice(vocab.subjects)
        title = _title(rng, compound)
        while title in titles:
            title = f"{_title(rng, compound)} ({rng.choice(DISTRICTS)})"
        titles.add(title)
        related = rng.sample(by_head[head], min(3, len(by_head[head])))
        if prefix in STANDALONE:
            related += [prefix, prefix]
        target = rng.randint(80, 300)
        allowed = rng.sample(range(TEMPLATE_COUNT), 7)
        paragraphs: list[str] = []
        length = 0
        while length < target:
            sentences = [_sentence(rng, vocab, compound, related, allowed)
                         for _ in range(rng.randint(2, 4))]
            if rng.random() < 0.2:
                items = rng.choices(vocab.words, cum_weights=vocab.cum_weights, k=3)
                paragraph = "U heeft nodig:\n\n" + "\n".join(f"- uw {i}" for i in items)
            else:
                paragraph = " ".join(sentences)
            paragraphs.append(paragraph)
            length += len(paragraph.split())
        topics = (topic,) if rng.random() < 0.7 else (topic, rng.choice(TOPIC_CODES))
        audience = rng.choices(("all", "citizens", "businesses"), weights=(75, 15, 10))[0]
        answers.append(AnswerSpec(title, "\n\n".join(paragraphs), tuple(dict.fromkeys(topics)),
                                  audience))
    return answers


# What people type into the search box: (label, query). Kinds: a single word, two words,
# plural for singular, a typo (one or two letters), part of a compound, a common word that
# is in most answers, a question as a sentence, and words that are in no answer.
QUERIES = (
    ("word", "parkeervergunning"),
    ("word", "paspoort"),
    ("word", "grofvuil"),
    ("word", "kwijtschelding"),
    ("word", "zonnepanelen"),
    ("two words", "bouwvergunning kosten"),
    ("two words", "afval container"),
    ("two words", "bezwaar woz"),
    ("two words", "hondenbelasting opzeggen"),
    ("plural", "parkeervergunningen"),
    ("plural", "afvalcontainers"),
    ("plural", "subsidies isolatie"),
    ("typo", "parkeervergunnig"),
    ("typo", "paspoot"),
    ("typo", "kwijtscheldnig"),
    ("typo", "bouwvergunnnig aanvragen"),
    ("compound part", "vergunning"),
    ("compound part", "ontheffing"),
    ("compound part", "container"),
    ("common", "gemeente"),
    ("common", "aanvraag informatie"),
    ("sentence", "hoe lang duurt het voordat mijn vergunning klaar is"),
    ("sentence", "wat kost een parkeervergunning voor bezoekers"),
    ("no results", "xylofoonles"),
    ("no results", "zeilboot trapeze"),
)
