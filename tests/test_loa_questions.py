"""The level of assurance holds for everything about a dossier, not only its page: a
session below what the dossier's type needs does not read its questions and the KCC's
replies (list, thread), does not ask about it, hears no news of it and gets no answer
tailored with its facts. It gets the step-up instead, and after logging in at the higher
level all of it is back."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient
from test_loa import step_up

from conftest import Auth, Runner, form_fields
from mijn.access.staff import Staff
from mijn.answers.models import Answer
from mijn.dossiers.models import Dossier
from mijn.notifications.service import notify
from mijn.questions.asking import NewQuestion, ask
from mijn.questions.contacts import register_contact
from mijn.questions.models import Question, Topic
from mijn.questions.workflow import claim, reply
from mijn.settings import Settings
from mijn.staff.service import record_login

LOCKED = "Z-2026-0501"  # Fatima's special assistance: needs "hoog"; her login gives substantieel
TITLE = "Bijzondere bijstand voor een wasmachine"
ASKED = "Wanneer hoor ik of ik geld krijg voor de wasmachine?"
REPLY = "U krijgt 450 euro voor de wasmachine, op 1 maart."
CALLED = "Gebeld over de wasmachine: het besluit komt deze week."
HIDDEN = "U heeft ook vragen over een dossier met extra beveiligde gegevens"
STEP_UP = "Opnieuw inloggen met niveau hoog"
OBJECTION = "Bezwaar maken tegen een besluit over een vergunning"  # says {{kenmerk}}


async def _about_locked(session: AsyncSession, settings: Settings) -> str:
    """Fatima's question about her locked dossier, answered by the KCC (news in her inbox),
    a phone call about it, and news of a new status."""
    dossier = await session.scalar(select(Dossier).where(Dossier.reference == LOCKED))
    topic = await session.scalar(select(Topic.id).where(Topic.code == "dossier"))
    assert dossier is not None and topic is not None
    question, _created = await ask(
        session, NewQuestion(dossier.party_id, topic, ASKED, dossier.id), settings.calendar)
    member = await record_login(session, "test|loa-agent", "Agent", ("agent",), ())
    agent = Staff(member.id, ("agent",))
    await claim(session, question, agent)
    await reply(session, question, agent, REPLY)
    await register_contact(session, agent, dossier.party_id, "phone", CALLED, internal=False,
                           dossier_id=dossier.id)
    await notify(session, dossier.party_id, "status", dossier_id=dossier.id)
    return question.reference


def _unread(page: str) -> int:
    """The menu's count of unread messages (not the count of tasks to do)."""
    found = re.search(r'<span class="mijn-badge">(\d+)<span class="mijn-visually-hidden"> nieuw<',
                      page)
    return int(found.group(1)) if found else 0


def test_below_the_level_a_question_about_the_dossier_is_not_read(
    client: TestClient, auth: Auth, demo: None, run: Runner, settings: Settings
) -> None:
    reference = run(_about_locked, settings)
    auth.login("demo-fatima")
    listing = client.get("/mijn/vragen").text
    assert reference not in listing and ASKED not in listing and REPLY not in listing
    assert CALLED not in listing  # nor the public summary of a call about it
    assert HIDDEN in listing  # only that there is more
    thread = client.get(f"/mijn/vragen/{reference}")
    assert thread.status_code == 200
    assert STEP_UP in thread.text and "Log opnieuw in om uw vraag over dit dossier te lezen" \
        in thread.text
    assert ASKED not in thread.text and REPLY not in thread.text
    # Replying to it does nothing either: the step-up again.
    answer = client.post(f"/mijn/vragen/{reference}/reactie",
                         data={"csrf_token": auth.csrf(), "body": "Dank u wel"})
    assert STEP_UP in answer.text

    async def messages(session: AsyncSession) -> str:
        return str(await session.scalar(select(Question.state).where(
            Question.reference == reference)))

    assert run(messages) == "answered"  # not reopened by the refused reply
    # After logging in at "hoog": the thread, the list, the call.
    back, _asked = step_up(client, thread.text, "demo-fatima")
    assert back == f"/mijn/vragen/{reference}"
    opened = client.get(back).text
    assert ASKED in opened and REPLY in opened
    listing = client.get("/mijn/vragen").text
    assert reference in listing and CALLED in listing and HIDDEN not in listing
    assert reference in client.get(f"/mijn/dossiers/{LOCKED}").text  # beside the dossier too


def test_another_partys_question_stays_unknown(
    client: TestClient, auth: Auth, demo: None, run: Runner, settings: Settings
) -> None:
    reference = run(_about_locked, settings)
    auth.login("demo-jan")
    assert client.get(f"/mijn/vragen/{reference}").status_code == 404
    assert client.post(f"/mijn/vragen/{reference}/reactie", data={
        "csrf_token": auth.csrf(), "body": "Hallo"}).status_code == 404
    assert client.get("/mijn/vragen/V-ONBEKEND").status_code == 404


def test_below_the_level_no_question_is_asked_about_the_dossier(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    auth.login("demo-fatima")
    form = client.get("/mijn/vragen/nieuw").text
    assert LOCKED not in form  # not offered to ask about
    page = client.get("/mijn/vragen/nieuw", params={"dossier": LOCKED}).text
    assert "Log opnieuw in om een vraag over dit dossier te stellen" in page
    fields = form_fields(client.get("/mijn/vragen/nieuw").text)
    sent = client.post("/mijn/vragen", data={
        **fields, "dossier": LOCKED, "body": ASKED, "topic": "1", "suggestions_seen": "1"})
    assert sent.status_code == 200 and STEP_UP in sent.text

    async def asked(session: AsyncSession) -> int:
        return len(list(await session.scalars(select(Question.id).where(
            Question.dossier_id.in_(select(Dossier.id).where(Dossier.reference == LOCKED))))))

    assert run(asked) == 0
    back, _asked = step_up(client, page, "demo-fatima")
    assert back == f"/mijn/vragen/nieuw?dossier={LOCKED}"
    assert LOCKED in client.get(back).text  # now offered
    fields = form_fields(client.get(back).text)
    sent = client.post("/mijn/vragen", data={
        **fields, "dossier": LOCKED, "body": ASKED, "topic": "1", "suggestions_seen": "1"})
    assert sent.status_code == 303 and run(asked) == 1


def test_below_the_level_its_news_is_not_in_the_inbox(
    client: TestClient, auth: Auth, demo: None, run: Runner, settings: Settings
) -> None:
    reference = run(_about_locked, settings)
    auth.login("demo-fatima")
    inbox = client.get("/mijn/berichten").text
    assert TITLE not in inbox and reference not in inbox
    assert _unread(client.get("/mijn/dossiers").text) == 0  # the rest is read now
    page = client.get(f"/mijn/dossiers/{LOCKED}").text
    step_up(client, page, "demo-fatima")
    assert _unread(client.get("/mijn/dossiers").text) == 2  # still new: never seen
    inbox = client.get("/mijn/berichten").text
    assert TITLE in inbox and reference in inbox


def test_below_the_level_no_answer_shows_the_dossiers_facts(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    async def slug(session: AsyncSession) -> str:
        return str(await session.scalar(select(Answer.slug).where(Answer.title == OBJECTION)))

    url = f"/antwoorden/{run(slug)}"
    auth.login("demo-fatima")
    generic = client.get(url, params={"dossier": LOCKED}).text
    assert "brief het kenmerk van uw dossier" in generic and f"brief {LOCKED}" not in generic
    suggested = client.post("/antwoorden/suggesties", data={
        "csrf_token": auth.csrf(), "body": "bezwaar maken besluit", "dossier": LOCKED})
    assert OBJECTION in suggested.text and f"brief {LOCKED}" not in suggested.text
    page = client.get(f"/mijn/dossiers/{LOCKED}").text
    step_up(client, page, "demo-fatima")
    assert f"brief {LOCKED}" in client.get(url, params={"dossier": LOCKED}).text
