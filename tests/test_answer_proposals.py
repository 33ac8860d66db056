"""From question to answer (issue 20, item 4): an agent or editor proposes a knowledge-base
answer from a well-answered question, prefilled with personal data masked; the proposal is a
draft in the editors' list and is never published without an editor; a citizen cannot
propose, nor can anyone from a question that was not answered."""

from __future__ import annotations

import html

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from conftest import Auth, Runner, form_fields
from mijn.answers.models import Answer, AnswerProposal
from mijn.dev.personas import CITIZENS
from mijn.parties.models import Party
from mijn.questions.asking import NewQuestion, ask
from mijn.questions.models import Question, Topic
from mijn.settings import Settings

QUESTION = ("Hoeveel hondenbelasting betaal ik voor twee honden? Mijn BSN is 111222333 en "
            "u kunt mij bellen op 06-12345678.")
REPLY = ("Voor twee honden betaalt u 240 euro per jaar. Wij sturen de aanslag naar "
         "jan.jansen@example.nl.")


async def _ask(session: AsyncSession, settings: Settings) -> str:
    jan = await session.scalar(select(Party.id).where(Party.identifier == CITIZENS[0].bsn))
    topic = await session.scalar(select(Topic.id).where(Topic.code == "belasting"))
    assert jan is not None and topic is not None
    question, _ = await ask(session, NewQuestion(jan, topic, QUESTION, submit_key="kb-1"),
                            settings.calendar)
    return question.reference


def _answered(client: TestClient, run: Runner, settings: Settings) -> str:
    """A question of Jan's, claimed and answered by the agent (through the workspace)."""
    reference: str = run(_ask, settings)
    auth = Auth(client)
    auth.login_staff("demo-agent")
    token = auth.csrf()
    assert client.post(f"/kcc/vragen/{reference}/claim",
                       data={"csrf_token": token}).status_code == 303
    assert client.post(f"/kcc/vragen/{reference}/reply",
                       data={"csrf_token": token, "body": REPLY}).status_code == 303
    return reference


async def _proposed(session: AsyncSession) -> list[tuple[int, bool, int, str, int | None]]:
    rows = await session.execute(
        select(Answer.id, Answer.published, Answer.version, Answer.title,
               AnswerProposal.question_id)
        .join(AnswerProposal, AnswerProposal.answer_id == Answer.id).order_by(Answer.id))
    return [tuple(row) for row in rows]  # type: ignore[misc]


async def _question_id(session: AsyncSession, reference: str) -> int | None:
    return await session.scalar(select(Question.id).where(Question.reference == reference))


async def _delete_question(session: AsyncSession, reference: str) -> None:
    """As retention does: the question goes, with its thread."""
    await session.execute(delete(Question).where(Question.reference == reference))


async def _answers(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Answer)) or 0)


def test_an_agent_proposes_an_answer_that_waits_for_an_editor(
    client: TestClient, run: Runner, demo: None, settings: Settings
) -> None:
    reference = _answered(client, run, settings)
    page = client.get(f"/kcc/vragen/{reference}")
    assert f"/kcc/vragen/{reference}/voorstel" in page.text  # answered: it may be proposed
    form = client.get(f"/kcc/vragen/{reference}/voorstel")
    assert form.status_code == 200
    text = html.unescape(form.text)
    assert "111222333" not in text and "06-12345678" not in text and "jan.jansen@" not in text
    fields = form_fields(form.text)
    assert fields["title"] == "Hoeveel hondenbelasting betaal ik voor twee honden?"
    assert "Wij sturen de aanslag naar [e-mailadres]." in text  # the reply, masked
    assert "Mijn BSN is [BSN]" in text and "[telefoonnummer]" in text  # the question, masked
    assert 'value="belasting" checked' in form.text  # the question's topic

    sent = client.post(f"/kcc/vragen/{reference}/voorstel", data={
        "csrf_token": fields["csrf_token"], "title": "Hondenbelasting voor twee honden",
        "body": "Voor twee honden betaalt u 240 euro per jaar.", "internal_notes": "",
        "review_by": fields["review_by"], "topics": "belasting"})
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/kcc/vragen/{reference}?voorgesteld=1"
    assert "Uw voorstel staat bij de redactie" in client.get(sent.headers["location"]).text
    [(answer_id, published, version, title, question_id)] = run(_proposed)
    assert (published, version, title) == (False, 0, "Hondenbelasting voor twee honden")
    assert question_id == run(_question_id, reference)
    assert "Hondenbelasting voor twee honden" not in client.get(
        "/antwoorden", params={"q": "hondenbelasting"}).text  # not public
    assert client.get(f"/kcc/antwoorden/{answer_id}").status_code == 404  # not the agent's

    editor = Auth(client)
    editor.login_staff("demo-editor", "/kcc/antwoorden")
    listing = client.get("/kcc/antwoorden")
    assert "Voorstellen uit het KCC" in listing.text
    assert f'/kcc/antwoorden/{answer_id}"' in listing.text and "Anouk" in listing.text
    page = client.get(f"/kcc/antwoorden/{answer_id}")
    assert "Voorgesteld door Anouk" in page.text
    run(_delete_question, reference)  # retention: the proposal stays, without its question
    assert run(_proposed) == [(answer_id, False, 0, "Hondenbelasting voor twee honden", None)]
    published_now = client.post(f"/kcc/antwoorden/{answer_id}", data={
        "csrf_token": editor.csrf(), "title": "Hondenbelasting voor twee honden",
        "body": "Voor twee honden betaalt u 240 euro per jaar.", "audience": "all",
        "review_by": fields["review_by"], "topics": "belasting", "action": "publish"})
    assert published_now.status_code == 303
    assert "Hondenbelasting voor twee honden" in client.get(
        "/antwoorden", params={"q": "hondenbelasting"}).text
    assert "Voorstellen uit het KCC" in client.get("/kcc/antwoorden").text
    assert f'/kcc/antwoorden/{answer_id}"' not in client.get("/kcc/antwoorden").text.split(
        "voorstellen-kop", 1)[1].split("effect-kop", 1)[0]  # no longer an open proposal


def test_an_editor_proposes_and_declines_and_what_was_typed_wrong_is_kept(
    client: TestClient, run: Runner, demo: None, settings: Settings
) -> None:
    reference = _answered(client, run, settings)
    editor = Auth(client)
    editor.login_staff("demo-editor", "/kcc/antwoorden")
    assert client.get(f"/kcc/vragen/{reference}").status_code == 404  # not the workspace
    form = client.get(f"/kcc/vragen/{reference}/voorstel")
    assert form.status_code == 200 and "111222333" not in form.text
    fields = form_fields(form.text)
    before = run(_answers)
    wrong = client.post(f"/kcc/vragen/{reference}/voorstel", data={
        "csrf_token": fields["csrf_token"], "title": "", "body": "Een tekst die blijft.",
        "review_by": fields["review_by"]})
    assert wrong.status_code == 422 and "Een tekst die blijft." in wrong.text
    assert run(_answers) == before  # nothing saved

    sent = client.post(f"/kcc/vragen/{reference}/voorstel", data={
        "csrf_token": fields["csrf_token"], "title": fields["title"],
        "body": "Bel ons op 020-1234567.", "review_by": fields["review_by"]})
    [(answer_id, published, *_rest)] = run(_proposed)
    assert sent.headers["location"] == f"/kcc/antwoorden/{answer_id}?opgeslagen=voorstel"
    assert not published
    page = client.get(sent.headers["location"])
    assert "Uw voorstel is opgeslagen als concept" in page.text
    assert "Deze tekst lijkt persoonsgegevens te bevatten: een telefoonnummer" in page.text

    declined = client.post(f"/kcc/antwoorden/{answer_id}/afwijzen",
                           data={"csrf_token": editor.csrf()})
    assert declined.headers["location"] == "/kcc/antwoorden?opgeslagen=afgewezen"
    assert run(_proposed) == [] and run(_answers) == before
    assert client.post(f"/kcc/antwoorden/{answer_id}/afwijzen",
                       data={"csrf_token": editor.csrf()}).status_code == 404
    published = client.get("/kcc/antwoorden?weergave=alle")
    assert published.status_code == 200


def test_no_proposal_from_a_question_not_answered_nor_by_a_citizen(
    client: TestClient, run: Runner, demo: None, settings: Settings
) -> None:
    reference = run(_ask, settings)  # in the queue: not answered
    auth = Auth(client)
    auth.login_staff("demo-agent")
    assert client.get(f"/kcc/vragen/{reference}/voorstel").status_code == 404
    assert client.post(f"/kcc/vragen/{reference}/voorstel", data={
        "csrf_token": auth.csrf(), "title": "Iets", "body": "Iets.",
        "review_by": "2027-01-01"}).status_code == 404
    assert client.get("/kcc/vragen/V-ONBEKEND/voorstel").status_code == 404
    client.post("/kcc/uitloggen", data={"csrf_token": auth.csrf()})

    citizen = Auth(client)
    citizen.login("demo-jan")
    refused = client.post(f"/kcc/vragen/{reference}/voorstel", data={
        "csrf_token": citizen.csrf(), "title": "Iets", "body": "Iets.",
        "review_by": "2027-01-01"})
    assert refused.status_code == 303 and refused.headers["location"].startswith("/kcc/inloggen")
    assert run(_proposed) == []
