"""Answer quality over time (issue 20, item 5): per answer the views, 'ja' and 'nee' votes,
the ask forms it was opened in and those that still sent a question after that, its use in
replies; counted by hand here, per month and over the editors' 90 days, and the attention
list ranked by them; shown on the editor's answer page and list."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from conftest import Auth, Runner
from mijn.answers import quality
from mijn.answers.editing import Draft, create_answer
from mijn.answers.models import AnswerEvent, AnswerFeedback
from mijn.answers.publishing import publish
from mijn.answers.quality import Figures
from mijn.parties.models import Party
from mijn.questions.models import Question, Topic
from mijn.questions.satisfaction import record


def _mid(months_back: int) -> datetime:
    """The 15th, 12:00 UTC, of the month so many months before this one."""
    today = date.today()
    year, month = today.year, today.month - months_back
    while month < 1:
        year, month = year - 1, month + 12
    return datetime(year, month, 15, 12, tzinfo=UTC)


LAST, BEFORE, LONG_AGO = _mid(1), _mid(2), _mid(8)
TITLES = ("Afval scheiden", "Paspoort aanvragen", "Zwemles", "Bibliotheekpas")


async def _world(session: AsyncSession) -> dict[str, int]:
    ids = {}
    for title in TITLES:
        answer = await create_answer(session, None, Draft(title, f"Over {title}.",
                                                          review_by="2099-01-01"))
        await publish(session, answer, None)
        ids[title] = answer.id
    a, b, d = ids["Afval scheiden"], ids["Paspoort aanvragen"], ids["Bibliotheekpas"]
    minute = timedelta(minutes=1)
    events = [
        *[("view", a, None, LAST)] * 3, *[("view", a, None, BEFORE)] * 2,
        ("view", a, None, LONG_AGO), ("used", a, None, LAST),
        # f1: opened, then asked; f2: opened twice, never asked; f3: asked before opening.
        ("opened", a, "f1", LAST), ("asked", None, "f1", LAST + minute),
        ("opened", a, "f2", LAST), ("opened", a, "f2", LAST + minute),
        ("asked", None, "f3", LAST - minute), ("opened", a, "f3", LAST),
        ("opened", a, "f4", BEFORE), ("asked", None, "f4", BEFORE + minute),
        *[("view", b, None, LAST)] * 10, ("view", d, None, LAST),
        *[("opened", b, f"b{n}", LAST) for n in range(5)],
        *[("asked", None, f"b{n}", LAST + minute) for n in range(4)],
    ]
    await session.execute(insert(AnswerEvent), [
        {"kind": k, "answer_id": i, "form_key": f, "context": "ask", "at": at}
        for k, i, f, at in events])
    votes = [(a, True, LAST), (a, False, LAST), (a, False, LAST), (a, True, BEFORE),
             (a, False, LONG_AGO)]
    await session.execute(insert(AnswerFeedback), [
        {"answer_id": i, "version": 1, "helpful": h, "comment": "", "created_at": at}
        for i, h, at in votes])
    return ids


def test_the_figures_per_month_and_the_ranking_are_as_counted_by_hand(
    client: TestClient, run: Runner
) -> None:
    ids = run(_world)
    a, b = ids["Afval scheiden"], ids["Paspoort aanvragen"]
    trend: list[tuple[date, Figures]] = run(quality.trend, a, date.today())
    assert [month for month, _ in trend][-3:] == [
        BEFORE.date().replace(day=1), LAST.date().replace(day=1), date.today().replace(day=1)]
    by_month = {month: f for month, f in trend}
    assert by_month[LAST.date().replace(day=1)] == Figures(
        views=3, yes=1, no=2, forms_opened=3, asked_after=1, used=1, satisfaction=None)
    assert by_month[BEFORE.date().replace(day=1)] == Figures(
        views=2, yes=1, no=0, forms_opened=1, asked_after=1, used=0)
    assert by_month[date.today().replace(day=1)] == Figures()
    assert sum(f.views for _, f in trend) == 5  # the view of eight months ago: not shown

    everything = run(quality.attention_list, False)
    assert [r.answer.title for r in everything] == [
        "Paspoort aanvragen", "Afval scheiden", "Bibliotheekpas", "Zwemles"]
    first, second = everything[0], everything[1]
    assert first.reasons == ("still_asked",) and first.figures.concern == 0.8
    assert (first.figures.forms_opened, first.figures.asked_after) == (5, 4)
    assert second.figures == Figures(views=5, yes=2, no=2, forms_opened=4, asked_after=2,
                                     used=1)
    assert second.figures.no_share is None and second.figures.asked_share is None  # too few
    assert [r.answer.id for r in run(quality.attention_list, True)] == [b]

    Auth(client).login_staff("demo-editor", "/kcc/antwoorden")
    listing = client.get("/kcc/antwoorden")
    assert "Na lezen toch een vraag" in listing.text and "Afval scheiden" not in listing.text
    assert re.search(r"<td>4 / 5</td>\s*<td>nog niet gemeten</td>", listing.text)
    page = client.get(f"/kcc/antwoorden/{a}")
    row = re.search(r'<th scope="row">[^<]+</th>\s*<td>3</td>\s*<td>1 / 2</td>\s*'
                    r"<td>3 / 1</td>\s*<td>1</td>\s*<td>nog niet gemeten</td>", page.text)
    assert row is not None, "the last month's figures of the answer"


def test_concern_is_the_worst_share_with_enough_figures() -> None:
    assert Figures(yes=3, no=2).no_share == 0.4
    assert Figures(yes=3, no=1).no_share is None  # 4 votes: too few
    assert Figures(forms_opened=10, asked_after=3, yes=1, no=4).concern == 0.8
    assert Figures(forms_opened=10, asked_after=3, satisfaction=2.0).concern == 0.75
    assert Figures().concern == 0.0


async def _scored_world(session: AsyncSession) -> int:
    """An answer used in four questions' replies: Q1 (score 5, used twice: counts once) and
    Q2 (score 2) last month, Q3 (no score) last month, Q4 (score 1) the month before."""
    answer = await create_answer(session, None, Draft("Afval scheiden", "Over afval.",
                                                      review_by="2099-01-01"))
    await publish(session, answer, None)
    party = Party(kind="person", identifier_type="bsn", identifier="999990019", name="Jan")
    session.add(party)
    await session.flush()
    topic = await session.scalar(select(Topic.id).limit(1))
    questions = []
    for n in range(4):
        q = Question(reference=f"AQ-{n}", party_id=party.id, topic_id=topic, channel="web",
                     state="answered", answered_at=LAST, created_at=LAST)
        session.add(q)
        questions.append(q)
    await session.flush()
    for q, score in ((questions[0], 5), (questions[1], 2), (questions[3], 1)):
        await record(session, q, "five", score, "", "portal", LAST)
    used = [(questions[0], LAST), (questions[0], LAST + timedelta(hours=1)),
            (questions[1], LAST), (questions[2], LAST), (questions[3], BEFORE)]
    await session.execute(insert(AnswerEvent), [
        {"kind": "used", "answer_id": answer.id, "question_id": q.id, "context": "kcc", "at": at}
        for q, at in used])
    return answer.id


def test_satisfaction_is_the_mean_score_of_the_questions_it_was_used_in(
    client: TestClient, run: Runner
) -> None:
    a = run(_scored_world)
    by_month = {month: f for month, f in run(quality.trend, a, date.today())}
    assert by_month[LAST.date().replace(day=1)].satisfaction == 3.5  # (5 + 2) / 2
    assert by_month[LAST.date().replace(day=1)].used == 4
    assert by_month[BEFORE.date().replace(day=1)].satisfaction == 1.0
    assert by_month[date.today().replace(day=1)].satisfaction is None
    row = run(quality.attention_list, False)[0]
    assert row.figures.satisfaction == pytest.approx(8 / 3)  # the 90 days: 5, 2 and 1

    Auth(client).login_staff("demo-editor", "/kcc/antwoorden")
    assert re.search(r"<td>2[.,]7</td>", client.get("/kcc/antwoorden?weergave=alle").text)
    page = client.get(f"/kcc/antwoorden/{a}").text
    assert re.search(r"<td>4</td>\s*<td>3[.,]5</td>", page), "last month: used 4, mean 3.5"
