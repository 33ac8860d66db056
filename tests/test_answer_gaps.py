"""Frequent questions without a matching answer (issue 20, item 4): against a hand-made set
of questions on top of the demo's answers, which questions the answer search matches, how
the rest group by topic and shared word, and the examples the editors read (masked)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.testclient import TestClient
from test_query_counts import counting

from conftest import Auth, Runner
from mijn.access.staff import Staff
from mijn.answers import batchsearch, gaps, search
from mijn.answers.models import AUDIENCES
from mijn.audit.models import AuditEvent
from mijn.db import utcnow
from mijn.dev.personas import CITIZENS
from mijn.parties.models import Party
from mijn.questions.asking import NewQuestion, ask
from mijn.questions.models import Question, QuestionMessage, Topic
from mijn.questions.texts import QuestionText
from mijn.questions.workflow import claim, reply
from mijn.settings import Settings
from mijn.staff.models import StaffMember

NOW = utcnow()
# (topic, text, days ago); the demo adds three questions of today.
ASKED = [
    ("belasting", "Hoeveel hondenbelasting betaal ik voor mijn hond?", 1),
    ("belasting", "Hondenbelasting: moet ik betalen voor een puppy? BSN 111222333", 2),
    ("belasting", "Wanneer komt de aanslag hondenbelasting?", 3),
    ("openbare-ruimte", "Mag ik kippen houden?", 4),
    ("openbare-ruimte", "Zijn kippen toegestaan in de achtertuin? Bel 0612345678", 5),
    ("openbare-ruimte", "Wanneer wordt het grofvuil opgehaald?", 6),  # an answer matches
    ("vergunning", "Hoe lang duurt de behandeling van mijn omgevingsvergunning?", 7),  # too
    ("belasting", "Hondenbelasting voor een blindengeleidehond?", 120),  # before the period
]


async def _ask_all(session: AsyncSession, settings: Settings) -> str:
    """The questions of ASKED; the agent answers the second (the one with the BSN)."""
    jan = await session.scalar(select(Party.id).where(Party.identifier == CITIZENS[0].bsn))
    topics = {t.code: t.id for t in await session.scalars(select(Topic))}
    assert jan is not None
    created = []
    for n, (topic, text, days) in enumerate(ASKED):
        question, _ = await ask(session, NewQuestion(jan, topics[topic], text,
                                                     submit_key=f"gap-{n}"),
                                settings.calendar, now=NOW - timedelta(days=days))
        created.append(question)
    agent_id = await session.scalar(select(StaffMember.id).where(
        StaffMember.roles.contains("agent")).order_by(StaffMember.id))
    assert agent_id is not None
    agent = Staff(agent_id, ("agent",))
    await claim(session, created[1], agent)
    await reply(session, created[1], agent, "U betaalt geen belasting voor een puppy.")
    return created[1].reference


async def _examples_audited(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "kcc.question.example")) or 0)


def test_frequent_questions_without_an_answer_are_grouped_with_masked_examples(
    client: TestClient, run: Runner, demo: None, settings: Settings
) -> None:
    answered = run(_ask_all, settings)
    found: gaps.Gaps = run(gaps.unanswered, NOW - timedelta(days=90), NOW + timedelta(1))
    # Period: the demo's 3 and 7 of ASKED; matched: the demo's subsidy question, grofvuil
    # and the permit; unmatched: 2 of the demo (a group of one each), 5 of ASKED.
    assert (found.scanned, found.unmatched, found.capped) == (10, 7, False)
    summary = [(g.word, g.count, [e.text for e in g.examples]) for g in found.groups]
    assert summary == [
        ("hondenbelasting", 3, [
            "Hoeveel hondenbelasting betaal ik voor mijn hond?",
            "Hondenbelasting: moet ik betalen voor een puppy? BSN [BSN]",
            "Wanneer komt de aanslag hondenbelasting?"]),
        ("kippen", 2, ["Mag ik kippen houden?",
                       "Zijn kippen toegestaan in de achtertuin? Bel [telefoonnummer]"]),
    ]
    assert [e.answered for e in found.groups[0].examples] == [False, True, False]
    assert found.groups[0].examples[1].reference == answered

    auth = Auth(client)
    auth.login_staff("demo-editor", "/kcc/antwoorden")
    page = client.get("/kcc/antwoorden/zonder-antwoord")
    assert page.status_code == 200
    assert "hondenbelasting" in page.text and "3 vragen" in page.text
    assert "111222333" not in page.text and "0612345678" not in page.text
    assert f"/kcc/vragen/{answered}/voorstel" in page.text  # answered: propose from it
    assert "10 vragen bekeken, 7 zonder passend antwoord." in page.text
    assert run(_examples_audited) == 5
    shorter = client.get("/kcc/antwoorden/zonder-antwoord", params={"dagen": "30"})
    assert "10 vragen bekeken" in shorter.text  # the question of 120 days ago: never
    auth.login_staff("demo-agent")
    assert client.get("/kcc/antwoorden/zonder-antwoord").status_code == 404


def _text(n: int, topic: int, text: str) -> QuestionText:
    return QuestionText(n, f"V-{n}", 1, topic, "new", datetime(2026, 1, 1), text, "")


def test_grouping_takes_the_most_shared_word_and_leaves_single_questions_out() -> None:
    groups = gaps.group([
        _text(1, 1, "Parkeervergunning voor bezoek? Graag een vraag."),
        _text(2, 1, "Vraag: parkeervergunning bezoek aanvragen, graag"),
        _text(3, 1, "Parkeervergunning verlengen, kunt u mij helpen? Vraag. Tel 0612345678"),
        _text(4, 2, "Parkeervergunning verlengen"),  # another topic: alone there
        _text(7, 1, "Bel 0612345678"),  # a number is no subject
        _text(5, 1, "Iets heel anders"),
        _text(6, 1, ""),
    ])
    assert [(g.topic_id, g.word, g.count, [e.question_id for e in g.examples])
            for g in groups] == [(1, "parkeervergunning", 3, [1, 2, 3])]


TEXTS = [
    "Wanneer wordt het grofvuil opgehaald?", "Hoe lang duurt mijn omgevingsvergunning?",
    "Hoeveel hondenbelasting betaal ik?", "Mag ik kippen houden?", "vergunning",
    "omgevingsvergunnig aanvragen",  # a typo
    "grofvuill ophalen", "parkeervergunning bezoek", "subsidie aanvraag status", "", "de het",
    "Kan ik mijn paspoort verlengen", "zwembad openingstijden", "uitkering bijstand aanvragen",
]


async def _one_by_one(session: AsyncSession) -> list[Any]:
    found = []
    for text in TEXTS:
        hits = await search.search(session, text, AUDIENCES, limit=1)
        found.append((hits[0].answer_id, round(hits[0].score, 6), hits[0].matched)
                     if hits else None)
    return found


async def _at_once(session: AsyncSession) -> list[Any]:
    return [(h.answer_id, round(h.score, 6), h.matched) if h else None
            for h in await batchsearch.best_hits(session, TEXTS)]


def test_the_batch_finds_what_the_search_finds_one_by_one(run: Runner, demo: None) -> None:
    one_by_one = run(_one_by_one)
    assert sum(1 for hit in one_by_one if hit) >= 8  # the demo's answers are found
    assert run(_at_once) == one_by_one


async def _many_questions(session: AsyncSession, count: int, start: int) -> None:
    jan = await session.scalar(select(Party.id).where(Party.identifier == CITIZENS[0].bsn))
    topics = list(await session.scalars(select(Topic.id).order_by(Topic.id)))
    for n in range(start, start + count):
        question = Question(reference=f"GAP-{n}", party_id=jan, topic_id=topics[n % 3],
                            channel="web", created_at=NOW - timedelta(hours=n + 1))
        session.add(question)
        await session.flush()
        session.add(QuestionMessage(question_id=question.id, kind="citizen", author_type="party",
                                    body=f"{TEXTS[n % len(TEXTS)]} nummer{n} kippenhok"))


def test_the_page_is_a_few_statements_however_many_questions(
    client: TestClient, app: Starlette, run: Runner, demo: None
) -> None:
    Auth(client).login_staff("demo-editor", "/kcc/antwoorden")
    path = "/kcc/antwoorden/zonder-antwoord"
    run(_many_questions, 10, 0)
    assert client.get(path).status_code == 200
    with counting(app) as few:
        assert client.get(path).status_code == 200
    run(_many_questions, 60, 10)
    with counting(app) as many:
        page = client.get(path)
    assert "73 vragen bekeken" in page.text  # the demo's 3 and these 70
    # The session; the questions and their messages; the search: the words' counts, the
    # compounds, the typos' variants and their words, the index entries; one audit insert
    # for all examples shown; the topics.
    assert len(many) == len(few) == 10, "\n".join(s[:70] for s in many)
