"""Idempotent demo data: dossier types with their statuses, citizens, a business, dossiers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.access.staff import Staff
from mijn.dev.answers import seed_answers
from mijn.dev.demotasks import seed_demo_tasks
from mijn.dev.personas import BAKERY_BRANCH, BAKERY_KVK, BUSINESSES, CITIZENS, STAFF
from mijn.dossiers.changes import (
    StatusSpec,
    create_dossier,
    ensure_dossier_type,
    record_status,
    status_type,
)
from mijn.dossiers.models import Dossier, DossierType
from mijn.dossiers.service import known_type_codes
from mijn.mandates.service import MandateInput, put_mandate
from mijn.parties.models import Party
from mijn.parties.service import get_or_create_party
from mijn.progress import Progress
from mijn.questions.asking import NewQuestion, ask
from mijn.questions.contacts import register_contact
from mijn.questions.models import Question, Topic
from mijn.questions.workflow import Handover, claim, hand_over, reply
from mijn.settings import Settings
from mijn.staff.service import ensure_team, record_login

S = StatusSpec
DOSSIER_TYPES: dict[str, tuple[str, str, str, list[StatusSpec]]] = {
    "omgevingsvergunning": ("case", "Omgevingsvergunning", "Environmental permit", [
        S("ontvangen", "Ontvangen", "Received",
          "Wij hebben uw aanvraag ontvangen. We kijken of alle gegevens compleet zijn.",
          "We have received your application. We are checking that it is complete."),
        S("in_behandeling", "In behandeling", "Being processed",
          "Een vakspecialist beoordeelt uw aanvraag. Soms gaan we ter plekke kijken.",
          "A specialist is assessing your application. Sometimes we visit the site."),
        S("publicatie", "Gepubliceerd", "Published",
          "Het besluit is gepubliceerd. Anderen kunnen 6 weken bezwaar maken.",
          "The decision has been published. Others can object within 6 weeks."),
        S("besluit", "Besluit genomen", "Decision made",
          "Wij hebben een besluit genomen. U krijgt de brief ook per post.",
          "We have made a decision. You will also receive the letter by post.", True),
    ]),
    "subsidie": ("case", "Subsidie", "Grant", [
        S("ontvangen", "Ontvangen", "Received",
          "Wij hebben uw subsidieaanvraag ontvangen.", "We have received your grant application."),
        S("beoordeling", "In beoordeling", "Being assessed",
          "We beoordelen of uw aanvraag past binnen de regels van de subsidie.",
          "We are checking whether your application fits the grant's rules."),
        S("besluit", "Besluit genomen", "Decision made",
          "Wij hebben besloten over uw subsidie. Lees de brief voor het bedrag.",
          "We have decided on your grant. See the letter for the amount.", True),
    ]),
    "water_energie": ("case", "Water- en energievergoeding", "Water and energy allowance", [
        S("ontvangen", "Ontvangen", "Received",
          "Wij hebben uw aanvraag voor de vergoeding ontvangen.",
          "We have received your application for the allowance."),
        S("in_behandeling", "In behandeling", "Being processed",
          "We controleren uw gegevens en uw inkomen.",
          "We are checking your details and your income."),
        S("toegekend", "Afgehandeld", "Completed",
          "Uw aanvraag is afgehandeld. Het geld staat binnen 5 werkdagen op uw rekening.",
          "Your application is complete. The money will be in your account within 5 working "
          "days.", True),
    ]),
    "bijzondere_bijstand": ("case", "Bijzondere bijstand", "Special assistance", [
        S("ontvangen", "Ontvangen", "Received",
          "Wij hebben uw aanvraag voor bijzondere bijstand ontvangen.",
          "We have received your application for special assistance."),
        S("in_behandeling", "In behandeling", "Being processed",
          "Een consulent bekijkt uw inkomen, uw kosten en uw situatie.",
          "A caseworker is looking at your income, your costs and your situation."),
        S("besluit", "Besluit genomen", "Decision made",
          "Wij hebben besloten. U krijgt de brief ook per post.",
          "We have decided. You will also receive the letter by post.", True),
    ]),
    "melding_openbare_ruimte": ("report", "Melding openbare ruimte", "Public space report", [
        S("ontvangen", "Ontvangen", "Received",
          "Wij hebben uw melding ontvangen. Dank u wel.",
          "We have received your report. Thank you."),
        S("ingepland", "Ingepland", "Scheduled",
          "Een ploeg gaat het probleem oplossen. Meestal binnen 2 weken.",
          "A team will fix the problem, usually within 2 weeks."),
        S("opgelost", "Opgelost", "Resolved",
          "Het probleem is opgelost.", "The problem has been resolved.", True),
    ]),
}

BUSINESS_KVK = BAKERY_KVK
# Dossier types that open only at a higher level of assurance (betrouwbaarheidsniveau).
MIN_LOA = {"bijzondere_bijstand": "hoog"}
INSTALLER_KVK, BREWERY_KBO = BUSINESSES[2].company_number, BUSINESSES[3].company_number


@dataclass(frozen=True)
class DemoDossier:
    """One demo dossier: whose, what, and how far along (days ago for each status)."""

    reference: str
    owner: str
    type_code: str
    title: str
    channel: str
    department: str
    opened_days_ago: int
    expected_in_days: int | None
    statuses: tuple[tuple[str, int], ...]
    branch: str | None = None


D = DemoDossier
JAN, FATIMA = CITIZENS[0].bsn, CITIZENS[1].bsn
DEMO_DOSSIERS = (
    D("Z-2026-0001", JAN, "omgevingsvergunning", "Dakkapel aan de achterkant", "web",
      "Vergunningen", 40, 16, (("ontvangen", 40), ("in_behandeling", 30))),
    D("Z-2026-0002", JAN, "subsidie", "Subsidie isolatie woning", "web",
      "Duurzaamheid", 70, -5, (("ontvangen", 70), ("beoordeling", 50))),
    D("M-2026-0003", JAN, "melding_openbare_ruimte", "Losse stoeptegel bij de bushalte", "phone",
      "Beheer openbare ruimte", 12, 2, (("ontvangen", 12), ("ingepland", 9))),
    D("M-2026-0004", JAN, "melding_openbare_ruimte", "Lantaarnpaal doet het niet", "social_media",
      "Beheer openbare ruimte", 30, None, (("ontvangen", 30), ("ingepland", 25),
                                           ("opgelost", 20))),
    D("Z-2026-0005", JAN, "water_energie", "Vergoeding energiekosten 2026", "counter",
      "Werk en inkomen", 90, None, (("ontvangen", 90), ("in_behandeling", 80), ("toegekend", 60))),
    D("M-2026-0006", JAN, "melding_openbare_ruimte", "Zwerfafval in het park", "email",
      "Beheer openbare ruimte", 5, 9, (("ontvangen", 5),)),
    D("M-2026-0007", JAN, "melding_openbare_ruimte", "Boom hangt over het fietspad", "partner",
      "Provincie, wegbeheer", 20, 10, (("ontvangen", 20), ("ingepland", 15))),
    *(
        D(f"M-2026-{8 + i:04d}", JAN, "melding_openbare_ruimte", title, channel,
          "Beheer openbare ruimte", 100 + 10 * i, None,
          (("ontvangen", 100 + 10 * i), ("opgelost", 95 + 10 * i)))
        for i, (title, channel) in enumerate([
            ("Kapotte bank op het plein", "web"), ("Gat in de weg", "phone"),
            ("Graffiti op de brug", "web"), ("Verstopte put", "email"),
            ("Scheve verkeerspaal", "counter"), ("Overvolle afvalbak", "social_media"),
            ("Omgewaaid hek", "web"), ("Wateroverlast in de straat", "phone"),
            ("Kapotte schommel", "web"), ("Losliggende kabel", "email"),
        ])
    ),
    D("Z-2026-0101", FATIMA, "water_energie", "Vergoeding waterkosten", "web",
      "Werk en inkomen", 15, 13, (("ontvangen", 15),)),
    D("M-2026-0102", FATIMA, "melding_openbare_ruimte", "Kapotte speeltoestel", "phone",
      "Beheer openbare ruimte", 45, -20, (("ontvangen", 45), ("ingepland", 40))),
    D("Z-2026-0103", FATIMA, "subsidie", "Subsidie buurtfeest", "email",
      "Wijkzaken", 120, None, (("ontvangen", 120), ("beoordeling", 110), ("besluit", 90))),
    D("Z-2026-0201", BUSINESS_KVK, "omgevingsvergunning", "Uitbreiding bakkerij", "web",
      "Vergunningen", 60, 30, (("ontvangen", 60), ("in_behandeling", 45), ("publicatie", 10))),
    D("Z-2026-0202", BUSINESS_KVK, "subsidie", "Subsidie zonnepanelen bedrijfspand", "web",
      "Duurzaamheid", 25, 40, (("ontvangen", 25),)),
    D("M-2026-0203", BUSINESS_KVK, "melding_openbare_ruimte", "Laadperron geblokkeerd", "phone",
      "Beheer openbare ruimte", 8, 6, (("ontvangen", 8), ("ingepland", 6)), BAKERY_BRANCH),
    D("Z-2026-0204", BUSINESS_KVK, "omgevingsvergunning", "Terras voor de winkel in het centrum",
      "web", "Vergunningen", 14, 42, (("ontvangen", 14), ("in_behandeling", 7)), BAKERY_BRANCH),
    D("Z-2026-0301", INSTALLER_KVK, "subsidie", "Subsidie elektrische bedrijfsbus", "web",
      "Duurzaamheid", 20, 30, (("ontvangen", 20),)),
    D("Z-2026-0401", BREWERY_KBO, "omgevingsvergunning", "Proeflokaal aan de haven", "email",
      "Vergunningen", 35, 20, (("ontvangen", 35), ("in_behandeling", 21))),
    D("Z-2026-0501", FATIMA, "bijzondere_bijstand", "Bijzondere bijstand voor een wasmachine",
      "web", "Werk en inkomen", 10, 46, (("ontvangen", 10), ("in_behandeling", 4))),
)


# What a caller can tell the KCC to be found by: date of birth, postcode, house number and
# addition, phone, e-mail (only Sanne's: Jan's and Fatima's are set by verifying one).
CONTACT_DETAILS: dict[str, tuple[date | None, str, int, str | None, str, str | None]] = {
    JAN: (date.fromisoformat(CITIZENS[0].birthdate), "3511 AB", 12, None, "06 12345678", None),
    FATIMA: (date.fromisoformat(CITIZENS[1].birthdate), "3521 KL", 7, "B", "+31 6 2345 6789",
             None),
    CITIZENS[2].bsn: (date.fromisoformat(CITIZENS[2].birthdate), "3581 CD", 101, None,
                      "030 123 4567", "sanne.devries@example.org"),
    BUSINESS_KVK: (None, "3512 JE", 5, None, "030 765 4321", None),
}


def _contact_details(parties: dict[str, Party]) -> None:
    """Fill in the demo parties' details once (what someone changed later is kept)."""
    for key, (born, postcode, number, addition, phone, email) in CONTACT_DETAILS.items():
        party = parties[key]
        if party.postcode is None:
            party.birth_date, party.postcode = born, postcode
            party.house_number, party.house_number_addition = number, addition
            party.phone, party.email = party.phone or phone, party.email or email


def _at(days_ago: int, today: date) -> datetime:
    return datetime.combine(today - timedelta(days=days_ago), time(10, 30), tzinfo=UTC)


TEAMS = (
    ("vergunningen", "Vergunningen", "Permits"),
    ("belastingen", "Belastingen", "Taxes"),
    ("openbare-ruimte", "Beheer openbare ruimte", "Public space maintenance"),
    ("werk-en-inkomen", "Werk en inkomen", "Work and income"),
)


async def seed_demo(
    session: AsyncSession, today: date | None = None, settings: Settings | None = None
) -> dict[str, int]:
    """Write the demo data; running it again adds nothing that is already there."""
    today = today or date.today()
    types: dict[str, DossierType] = {}
    for code, (kind, name_nl, name_en, statuses) in DOSSIER_TYPES.items():
        types[code] = await ensure_dossier_type(
            session, code, kind, name_nl, name_en, statuses, MIN_LOA.get(code)
        )
    parties = {p.bsn: await get_or_create_party(session, "bsn", p.bsn, p.name) for p in CITIZENS}
    for business in BUSINESSES:
        kind = "kvk" if len(business.company_number) == 8 else "kbo"
        parties[business.company_number] = await get_or_create_party(
            session, kind, business.company_number, business.company
        )
    _contact_details(parties)
    existing = set(await session.scalars(select(Dossier.reference)))
    progress = Progress("demo dossiers", len(DEMO_DOSSIERS))
    created = 0
    for spec in DEMO_DOSSIERS:
        progress.advance()
        if spec.reference in existing:
            continue
        await _create(session, spec, types[spec.type_code], parties[spec.owner].id, today)
        created += 1
    asked = await _questions(session, parties[JAN].id, settings or Settings())
    await _mandates(session, parties, today)
    await seed_demo_tasks(session, {k: p.id for k, p in parties.items()}, FATIMA, BUSINESS_KVK,
                          today)
    answers = await seed_answers(session)
    await session.commit()
    progress.finish(
        f"Demo data ready: {len(types)} dossier types, {len(parties)} parties, "
        f"{created} dossiers added, {len(DEMO_DOSSIERS) - created} already there, "
        f"{asked} questions added, {answers} answers published."
    )
    return {"types": len(types), "parties": len(parties), "created": created, "asked": asked,
            "answers": answers}


async def _staff(session: AsyncSession, settings: Settings) -> dict[str, Staff]:
    """The demo staff as the development provider logs them in, with their teams."""
    for code, name_nl, name_en in TEAMS:
        await ensure_team(session, code, name_nl, name_en)
    issuer = f"{settings.base_url}/dev-idp"
    members = {}
    for persona in STAFF:
        member = await record_login(
            session, f"{issuer}|{persona.sub}", persona.name, persona.roles, persona.teams
        )
        members[persona.sub] = Staff(member.id, persona.roles)
    return members


async def _follow_up(session: AsyncSession, key: str, question: Question, agent: Staff) -> None:
    """What the KCC did with a demo question: answered the first, handed over the third."""
    if key == "demo-1":
        await claim(session, question, agent)
        await reply(
            session, question, agent,
            "Uw aanvraag ligt bij de beoordelaar. U krijgt binnen 2 weken een besluit. "
            "Het spijt ons dat het langer duurt dan we zeiden.",
        )
    elif key == "demo-3":
        team = await ensure_team(session, *TEAMS[0])
        await hand_over(session, question, agent, Handover(
            team.id, None, "Jan Jansen, bereikbaar via Mijn.",
            "Wil weten of een dakkapel van 3 meter breed mag.",
            "Regels in het bestemmingsplan bekeken, maar niet zeker.",
        ))


async def _questions(session: AsyncSession, jan: int, settings: Settings) -> int:
    """Jan's questions: one answered, one waiting in the queue, one with the permits team."""
    staff = await _staff(session, settings)
    agent = staff["demo-agent"]
    topics = {t.code: t.id for t in await session.scalars(select(Topic))}
    dossiers = {d.reference: d.id for d in await session.scalars(select(Dossier))}
    asked = 0
    specs = (
        ("demo-1", "subsidie", "Z-2026-0002",
         "Mijn subsidie voor isolatie duurt al lang. Wanneer hoor ik iets?"),
        ("demo-2", "dossier", "Z-2026-0001", "Moet ik nog tekeningen opsturen voor de dakkapel?"),
        ("demo-3", "vergunning", "Z-2026-0001",
         "Mag de dakkapel 3 meter breed zijn, of moet ik de aanvraag aanpassen?"),
    )
    for key, topic, reference, body in specs:
        question, created = await ask(
            session,
            NewQuestion(jan, topics[topic], body, dossiers.get(reference), submit_key=key),
            settings.calendar,
        )
        if not created:
            continue
        asked += 1
        await _follow_up(session, key, question, agent)
    if asked:
        await register_contact(
            session, agent, jan, "phone",
            "Gebeld over de losse stoeptegel. Uitgelegd dat de ploeg binnen 2 weken komt.",
            internal=False,
        )
    return asked


SANNE = CITIZENS[2].bsn


async def _mandates(session: AsyncSession, parties: dict[str, Party], today: date) -> None:
    """Sanne is Jan's bewindvoerder (everything, also asking), may read the bakery's grants,
    and was Fatima's mentor until yesterday (no longer valid)."""
    year = timedelta(days=365)
    specs = (
        ("demo-bewind", JAN, "bewindvoerder", (), True, today - timedelta(days=30), today + year),
        ("demo-bakkerij", BUSINESS_KVK, "authorised", ("subsidie",), False,
         today - timedelta(days=10), today + timedelta(days=80)),
        ("demo-verlopen", FATIMA, "mentor", (), True, today - year, today - timedelta(days=1)),
    )
    for key, whom, role, types, can_ask, valid_from, valid_until in specs:
        represented = parties[whom]
        await put_mandate(session, MandateInput(
            "demo", key, ("bsn", SANNE), (represented.identifier_type, represented.identifier),
            role, types, can_ask, valid_from, valid_until,
        ), await known_type_codes(session, types))


async def _create(
    session: AsyncSession, spec: DemoDossier, dossier_type: DossierType, party_id: int,
    today: date,
) -> None:
    dossier = await create_dossier(
        session, reference=spec.reference, party_id=party_id, dossier_type=dossier_type,
        title=spec.title, channel=spec.channel, department=spec.department,
        opened_on=today - timedelta(days=spec.opened_days_ago),
        expected_end=(
            today + timedelta(days=spec.expected_in_days)
            if spec.expected_in_days is not None else None
        ),
        branch=spec.branch,
    )
    for code, days_ago in spec.statuses:
        status = await status_type(session, dossier_type.id, code)
        await record_status(  # the past: no news to tell
            session, dossier, status, _at(days_ago, today), channel=spec.channel,
            notify_party=False,
        )
