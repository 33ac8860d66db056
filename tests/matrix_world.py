"""The world of the authorisation matrix: one of each kind of party, dossier, question,
answer and flag, named by what it is to whom (tests/test_authorisation_matrix.py).

On top of the demo data (Jan and Fatima, the bakery with a branch, Sanne's three mandates,
the demo staff with their teams, Jan's three questions, the published answers) it adds what
the demo lacks: questions of another party, about a dossier that needs "hoog", of a branch
and of the whole company; a question held by the team lead; an agent's flag on an answer;
an answer that was never published; a dossier type, a dossier and a mandate of an API source;
and API clients with and without each scope.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.access.staff import Staff
from mijn.answers.editing import Draft, create_answer, review_default
from mijn.answers.feedback import flag
from mijn.answers.models import Answer
from mijn.answers.proposals import propose
from mijn.db import utcnow
from mijn.dev.demo import seed_demo
from mijn.dev.personas import BAKERY_BRANCH, BAKERY_KVK, CITIZENS, STAFF
from mijn.documents.service import NewDocument, attach, keep_upload
from mijn.documents.store import DirectoryStore
from mijn.dossiers.changes import StatusSpec, ensure_dossier_type
from mijn.dossiers.models import Dossier
from mijn.dossiers.service import known_type_codes
from mijn.intake.service import DossierInput, create_api_client, upsert_dossier
from mijn.mandates.models import Mandate
from mijn.mandates.service import MandateInput, put_mandate
from mijn.parties.models import Party
from mijn.questions.asking import NewQuestion, ask
from mijn.questions.attachments import attach_to_last_message
from mijn.questions.callbacks import suggest_window
from mijn.questions.contacts import Callback, request_callback
from mijn.questions.models import Question, Topic
from mijn.questions.workflow import Handover, claim, hand_over
from mijn.settings import Settings
from mijn.staff.models import Team
from mijn.staff.service import record_login
from mijn.staff.textmodules import ModuleInput, save_module
from mijn.tasks.files import add_task_files
from mijn.tasks.models import Task

JAN, FATIMA, SANNE = (p.bsn for p in CITIZENS)
API_REPRESENTATIVE = "999990044"  # a mentor of Fatima's, registered through the API

# Dossiers (demo references), by whose they are and what makes them special.
JAN_DOSSIER = "Z-2026-0001"  # Jan's permit: any level, no branch
FATIMA_DOSSIER = "Z-2026-0101"  # Fatima's allowance
HIGH_DOSSIER = "Z-2026-0501"  # Fatima's special assistance: needs "hoog" (her login: substantieel)
COMPANY_DOSSIER = "Z-2026-0201"  # the bakery's permit, of no branch (company-wide only)
BRANCH_DOSSIER = "Z-2026-0204"  # the bakery's permit of the shop in the centre (the branch)
GRANT_DOSSIER = "Z-2026-0202"  # the bakery's grant: in the scope of Sanne's read-only mandate
OTHER_COMPANY_DOSSIER = "Z-2026-0301"  # the installer's: another business


@dataclass
class World:
    """Ids and references of the matrix's objects (filled in by build_world)."""

    parties: dict[str, int] = field(default_factory=dict)  # jan, fatima, sanne, bakery
    questions: dict[str, str] = field(default_factory=dict)  # kind -> reference
    mandates: dict[str, int] = field(default_factory=dict)  # for_jan, bakery_grants, expired
    staff: dict[str, int] = field(default_factory=dict)  # persona -> staff member id
    published_answer: tuple[int, str] = (0, "")  # id, slug
    draft_answer: tuple[int, str] = (0, "")
    proposal: int = 0  # an answer proposed from Jan's answered question (never published)
    flags: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # API client -> bearer token
    topic: int = 0  # the topic "about a dossier"
    text_modules: dict[str, int] = field(default_factory=dict)  # kept, removed
    tasks: dict[str, int] = field(default_factory=dict)  # jan, high, company, branch, grant
    documents: dict[str, int] = field(default_factory=dict)  # by dossier; jan_hidden
    attachments: dict[str, int] = field(default_factory=dict)  # by question: jan, high
    task_files: dict[str, int] = field(default_factory=dict)  # by upload task: upjan, uphigh


async def _party(session: AsyncSession, identifier: str) -> int:
    found = await session.scalar(select(Party.id).where(Party.identifier == identifier))
    assert found is not None, identifier
    return found


async def _dossier(session: AsyncSession, reference: str) -> Dossier:
    found = await session.scalar(select(Dossier).where(Dossier.reference == reference))
    assert found is not None, reference
    return found


async def _question(session: AsyncSession, submit_key: str) -> Question:
    found = await session.scalar(select(Question).where(Question.submit_key == submit_key))
    assert found is not None, submit_key
    return found


async def build_world(session: AsyncSession, settings: Settings) -> World:
    """Write the world (the demo data and the additions) and say where everything is."""
    await seed_demo(session, None, settings)
    world = World()
    world.parties = {name: await _party(session, identifier) for name, identifier in (
        ("jan", JAN), ("fatima", FATIMA), ("sanne", SANNE), ("bakery", BAKERY_KVK))}
    issuer = f"{settings.base_url}/dev-idp"
    for persona in STAFF:
        member = await record_login(
            session, f"{issuer}|{persona.sub}", persona.name, persona.roles, persona.teams)
        world.staff[persona.sub] = member.id
    mandates = {m.external_id: m.id for m in await session.scalars(select(Mandate))}
    world.mandates = {"for_jan": mandates["demo-bewind"],
                      "bakery_grants": mandates["demo-bakkerij"],
                      "expired": mandates["demo-verlopen"]}
    topics = {t.code: t.id for t in await session.scalars(select(Topic))}
    calendar = settings.calendar
    world.topic = topics["dossier"]

    async def new(key: str, party: str, about: str | None, branch: str | None = None) -> Question:
        dossier_id = (await _dossier(session, about)).id if about else None
        question, _created = await ask(session, NewQuestion(
            world.parties[party], topics["dossier"], f"Matrixvraag {key}", dossier_id,
            submit_key=f"matrix-{key}", branch=branch), calendar)
        world.questions[key] = question.reference
        return question

    # Jan's demo questions: one answered, one in the queue, one with the permits team.
    world.questions["jan"] = (await _question(session, "demo-2")).reference
    world.questions["answered"] = (await _question(session, "demo-1")).reference
    world.questions["team"] = (await _question(session, "demo-3")).reference
    await new("fatima", "fatima", FATIMA_DOSSIER)
    await new("high", "fatima", HIGH_DOSSIER)
    await new("company", "bakery", COMPANY_DOSSIER)
    await new("branch", "bakery", BRANCH_DOSSIER, BAKERY_BRANCH)
    await new("grant", "bakery", GRANT_DOSSIER)
    await new("claim", "jan", None)  # for the claim action of every staff member
    held = await new("held", "jan", None)  # held by the team lead: not the agent's to answer
    await claim(session, held, Staff(world.staff["demo-lead"], ("lead", "agent")))
    lead = await new("lead", "jan", None)  # held by the agent: the team lead releases it
    await claim(session, lead, Staff(world.staff["demo-agent"], ("agent",)))

    # A callback request handed to the specialist by name: only they record how a call went.
    start, end = suggest_window(calendar, utcnow())
    callback = await request_callback(session, Staff(world.staff["demo-agent"], ("agent",)),
                                      Callback(world.parties["jan"], topics["dossier"],
                                               "06 12345678", start, end,
                                               Handover(None, world.staff["demo-specialist"],
                                                        "Jan", "Matrix terugbellen")),
                                      calendar)
    world.questions["callback"] = callback.reference

    # Handed over to the permits team (nobody named): read-only for the KCC now; and one for
    # a specialist's "Terug naar KCC".
    team_id = (await _question(session, "demo-3")).team_id
    for key in ("handed", "handback"):
        handed = await new(key, "jan", None)
        await hand_over(session, handed, Staff(world.staff["demo-agent"], ("agent",)),
                        Handover(team_id, None, "Jan", "Matrixoverdracht"))

    published = await session.scalar(
        select(Answer).where(Answer.published.is_(True), Answer.audience == "all")
        .order_by(Answer.id))
    assert published is not None
    world.published_answer = (published.id, published.slug)
    draft = await create_answer(session, world.staff["demo-editor"], Draft(
        "Matrix: een antwoord dat nooit online stond", "Alleen voor redacteuren.",
        review_by=review_default().isoformat(), topics=["dossier"]))
    world.draft_answer = (draft.id, draft.slug)
    answered = await _question(session, "demo-1")
    world.proposal = (await propose(session, world.staff["demo-agent"], answered.id, Draft(
        "Matrix: een voorstel uit het KCC", "Voorgesteld.",
        review_by=review_default().isoformat()))).id
    agent = world.staff["demo-agent"]
    world.flags["wrong"] = (await flag(session, agent, "wrong", "Klopt niet meer.",
                                       published.id)).id
    world.flags["missing"] = (await flag(session, agent, "missing",
                                         "Er is geen antwoord over de hondenbelasting.")).id

    # Text modules of the permits team: one to change, one to remove.
    team_lead = Staff(world.staff["demo-lead"], ("lead", "agent"))
    team = (await session.scalar(select(Team).where(Team.code == "vergunningen")))
    for key in ("kept", "removed"):
        module = await save_module(session, team_lead, ModuleInput(
            team.id if team else None, f"matrix-{key}", "Matrixtekst voor {naam}."))
        world.text_modules[key] = module.id

    # A dossier type of the API source gemeente: another source may not change it.
    await ensure_dossier_type(session, "matrix-melding", "report", "Matrixmelding", "", [
        StatusSpec("ontvangen", "Ontvangen", "", "Wij hebben uw melding.", "")], owner="gemeente")
    for name, source, scopes in (
        ("matrix-all", "gemeente", ["dossiers", "catalogue", "mandates"]),
        ("matrix-no-dossiers", "gemeente", ["catalogue", "mandates"]),
        ("matrix-no-catalogue", "gemeente", ["dossiers", "mandates"]),
        ("matrix-no-mandates", "gemeente", ["dossiers", "catalogue"]),
        ("matrix-other-source", "provincie", ["dossiers", "catalogue", "mandates"]),
    ):
        _client, world.tokens[name] = await create_api_client(session, name, source, scopes)
    # What the source gemeente sent before: a dossier of its type, and a mandate.
    await upsert_dossier(session, DossierInput(
        "gemeente", "matrix-1", "bsn", JAN, "matrix-melding", "Matrixdossier", "web", "",
        date(2026, 3, 1)))
    mandate = MandateInput("gemeente", "matrix-m1", ("bsn", API_REPRESENTATIVE), ("bsn", FATIMA),
                           "mentor", (), False, date(2026, 1, 1), None)
    await put_mandate(session, mandate, await known_type_codes(session, ()))
    world.tasks = await _tasks(session, world)
    world.documents = await _documents(session, settings)
    world.attachments = await _attachments(session, settings, world)
    world.task_files = await _task_files(session, settings, world)
    await session.commit()
    return world


# Tasks (Te doen) of source gemeente, each confirmed with one click: by whose they are.
TASKS = (("jan", "jan", None, JAN_DOSSIER), ("high", "fatima", None, HIGH_DOSSIER),
         ("company", "bakery", None, None), ("branch", "bakery", BAKERY_BRANCH, None),
         ("grant", "bakery", None, GRANT_DOSSIER))


# Upload tasks: done with a file (upjan, uphigh) and open (upgrant, upbranch).
UPLOAD_TASKS = (("upjan", "jan", None, JAN_DOSSIER, "done"),
                ("uphigh", "fatima", None, HIGH_DOSSIER, "done"),
                ("upgrant", "bakery", None, GRANT_DOSSIER, "open"),
                ("upbranch", "bakery", BAKERY_BRANCH, None, "open"))


async def _tasks(session: AsyncSession, world: World) -> dict[str, int]:
    found = {}
    for key, party, branch, about, status in (
        *[(*task, "open") for task in TASKS], *UPLOAD_TASKS,
    ):
        dossier_id = (await _dossier(session, about)).id if about else None
        upload = key.startswith("up")
        task = Task(source="gemeente", external_id=f"matrix-t-{key}", party_id=world.parties[party],
                    branch=branch, dossier_id=dossier_id, kind="upload" if upload else "confirm",
                    title=f"Matrix{'upload' if upload else 'taak'} {key}",
                    explanation="Bevestig dit.", status=status,
                    deadline=date.today(), version=1, push_attempts=0, push_error="")
        session.add(task)
        await session.flush()
        found[key] = task.id
    return found


async def _pdf() -> AsyncIterator[bytes]:
    yield b"%PDF-1.7\nMatrixdocument\n%%EOF\n"


async def _documents(session: AsyncSession, settings: Settings) -> dict[str, int]:
    """A document on each kind of dossier, and one on Jan's that the citizen may not see."""
    store = DirectoryStore(settings.documents.directory)
    found = {}
    for key, reference, visible in (
        ("jan", JAN_DOSSIER, True), ("jan_hidden", JAN_DOSSIER, False),
        ("high", HIGH_DOSSIER, True), ("company", COMPANY_DOSSIER, True),
        ("branch", BRANCH_DOSSIER, True), ("grant", GRANT_DOSSIER, True),
    ):
        dossier = await _dossier(session, reference)
        kept = await keep_upload(store, _pdf(), 1024)
        document = await attach(session, dossier.id, dossier.party_id, NewDocument(
            f"Matrixdocument {key}", "brief", "openbaar", visible, "api", "matrix"), kept=kept)
        found[key] = document.id
    return found


async def _task_files(session: AsyncSession, settings: Settings, world: World) -> dict[str, int]:
    """A file sent for Jan's done upload task and for Fatima's on her 'hoog' dossier."""
    store = DirectoryStore(settings.documents.directory)
    found = {}
    for key in ("upjan", "uphigh"):
        kept = await keep_upload(store, _pdf(), 1024)
        rows = await add_task_files(session, world.tasks[key], [("stuk.pdf", kept)], "matrix")
        found[key] = rows[0].id
    return found


async def _attachments(session: AsyncSession, settings: Settings, world: World) -> dict[str, int]:
    """A file sent with Jan's question and with Fatima's question about her 'hoog' dossier."""
    store = DirectoryStore(settings.documents.directory)
    found = {}
    for key in ("jan", "high"):
        question = await session.scalar(select(Question).where(
            Question.reference == world.questions[key]))
        assert question is not None
        kept = await keep_upload(store, _pdf(), 1024)
        rows = await attach_to_last_message(session, question.id, [("bijlage.pdf", kept)],
                                            "matrix")
        found[key] = rows[0].id
    return found
