"""The demo knowledge base: answers for the demo dossier types and the common questions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.answers.editing import Draft, create_answer, review_default
from mijn.answers.models import Answer
from mijn.answers.publishing import publish


@dataclass(frozen=True)
class DemoAnswer:
    """One demo answer: title, body, internal notes, topics and targets."""

    title: str
    body: str
    notes: str = ""
    topics: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()


DEMO_ANSWERS = (
    DemoAnswer(
        "Hoe lang duurt de behandeling van mijn omgevingsvergunning?",
        "Wij beslissen meestal binnen **8 weken** over uw aanvraag. Soms hebben we meer tijd "
        "nodig. Dan hoort u dat van ons.\n\nWij verwachten klaar te zijn op "
        "{{verwacht_klaar}}. Uw aanvraag wordt behandeld door {{afdeling}}.",
        "Termijn verlengen kan één keer met 6 weken (Wkb). Noteer in het contact of de "
        "klant al eerder belde over de termijn.",
        ("vergunning", "dossier"), ("omgevingsvergunning",),
    ),
    DemoAnswer(
        "Wat gebeurt er als mijn aanvraag in behandeling is?",
        "Een vakspecialist kijkt of uw plan past binnen de regels. Soms komen we kijken op "
        "de plek waar u wilt bouwen. Als we iets missen, vragen we het u.\n\n"
        "U hoeft nu niets te doen.",
        "Bij vragen over de inhoud: warm doorzetten naar team Vergunningen.",
        ("vergunning",), ("omgevingsvergunning/in_behandeling",),
    ),
    DemoAnswer(
        "Bezwaar maken tegen een besluit over een vergunning",
        "Bent u het niet eens met het besluit? Dan kunt u binnen **6 weken** bezwaar maken. "
        "Schrijf in uw brief waarom u het er niet mee eens bent.\n\n"
        "- Noem in de brief {{kenmerk}}.\n- Zet uw naam en adres in de brief.\n"
        "- Onderteken de brief.",
        "Bezwaartermijn begint op de dag na publicatie. Te laat? Toch registreren, de "
        "jurist beoordeelt.",
        ("vergunning",), ("omgevingsvergunning/publicatie", "omgevingsvergunning/besluit"),
    ),
    DemoAnswer(
        "Een vergunning aanvragen",
        "Een omgevingsvergunning vraagt u aan via het "
        "[Omgevingsloket](https://omgevingswet.overheid.nl). U heeft DigiD nodig. "
        "Wilt u eerst weten of u een vergunning nodig heeft? Doe dan de vergunningcheck.",
        "Aanvragen op papier alleen bij uitzondering; stuur dan het formulier per post.",
        ("vergunning",),
    ),
    DemoAnswer(
        "Wanneer krijg ik het geld van mijn subsidie?",
        "Als wij uw subsidie toekennen, staat het geld meestal binnen **10 werkdagen** op uw "
        "rekening. In de brief over het besluit staat het bedrag.",
        "Betaling loopt via Financiën; status opvragen in het financiële systeem.",
        ("subsidie",), ("subsidie/besluit", "water_energie/toegekend"),
    ),
    DemoAnswer(
        "Hoe lang duurt het beoordelen van een subsidieaanvraag?",
        "Wij beoordelen uw aanvraag binnen **8 weken**. Mist er iets? Dan vragen we u "
        "om het aan te vullen. De tijd staat dan stil.",
        "",
        ("subsidie",), ("subsidie",),
    ),
    DemoAnswer(
        "Wie kan een water- en energievergoeding krijgen?",
        "U kunt de vergoeding krijgen als uw inkomen laag is en u in onze gemeente woont. "
        "Wij kijken naar het inkomen van iedereen in uw huis.",
        "Inkomensgrens: 120% van het sociaal minimum.",
        ("subsidie",), ("water_energie",),
    ),
    DemoAnswer(
        "Wanneer wordt mijn melding opgelost?",
        "Wij lossen de meeste meldingen binnen **2 weken** op. Is het gevaarlijk, zoals een "
        "losse stoeptegel of een kapotte lantaarnpaal op een drukke plek? Dan komen we "
        "sneller.\n\nDe status van uw melding is nu: {{status}}.",
        "Gevaarlijke situaties buiten kantoortijd: storingsdienst 14 020, keuze 9.",
        ("openbare-ruimte", "dossier"), ("melding_openbare_ruimte",),
    ),
    DemoAnswer(
        "Grofvuil laten ophalen",
        "Grofvuil, zoals een bank of een matras, halen we gratis bij u op. Maak online een "
        "afspraak. Zet het grofvuil op de dag van de afspraak vóór 7.30 uur buiten.",
        "Maximaal 2 m³ per keer; 4 keer per jaar gratis.",
        ("openbare-ruimte",),
    ),
    DemoAnswer(
        "De afvalcontainer is kapot of vol",
        "Is een container kapot of vol? Doe dan een melding. Wij komen hem legen of "
        "repareren.",
        "",
        ("openbare-ruimte",),
    ),
    DemoAnswer(
        "Bezwaar maken tegen de WOZ-waarde",
        "Vindt u de WOZ-waarde van uw huis te hoog? Maak dan binnen **6 weken** na de datum "
        "op de aanslag bezwaar. Dat kan online met DigiD.",
        "WOZ-vragen gaan naar het belastingteam; geen inhoudelijke toezeggingen doen.",
        ("belasting",),
    ),
    DemoAnswer(
        "Een paspoort of ID-kaart aanvragen",
        "U vraagt een paspoort of ID-kaart aan in het stadhuis. Maak eerst een afspraak. "
        "Neem uw oude document en een goede pasfoto mee. Na 5 werkdagen kunt u het "
        "ophalen.",
        "Spoedaanvraag mogelijk tegen meerprijs; klaar de volgende werkdag.",
        ("overig",),
    ),
)


async def seed_answers(session: AsyncSession) -> int:
    """Publish the demo answers that are not there yet; the number added."""
    existing = set(await session.scalars(select(Answer.title)))
    added = 0
    for spec in DEMO_ANSWERS:
        if spec.title in existing:
            continue
        draft = Draft(title=spec.title, body=spec.body, internal_notes=spec.notes,
                      review_by=review_default().isoformat(), topics=list(spec.topics),
                      targets=list(spec.targets))
        answer = await create_answer(session, None, draft)
        await publish(session, answer, None)
        added += 1
    return added
