"""No lost work in the KCC workspace: "Gebruik dit antwoord" without JavaScript keeps the typed
reply and note and appends the answer; drafts per question and staff member are kept while
typing, restored on the next visit, never shown to a colleague, and gone once sent or saved.
"""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from conftest import Auth, Runner, form_fields
from mijn.answers.models import Answer, AnswerEvent
from mijn.questions.common import MAX_BODY
from mijn.questions.models import Question, QuestionMessage, ReplyDraft

TYPE_LEVEL = "Hoe lang duurt de behandeling van mijn omgevingsvergunning?"
TYPED = "Beste meneer Jansen,\n\nDank voor uw vraag."
NOTE = "Intern: klant belde gisteren ook al."


@pytest.fixture
def reference(demo: None, run: Runner) -> str:
    """Jan's new question about his permit (in the queue)."""

    async def find(session: AsyncSession) -> str:
        found = await session.scalar(select(Question.reference).where(
            Question.submit_key == "demo-2"))
        assert found
        return found

    result: str = run(find)
    return result


@pytest.fixture
def answer(demo: None, run: Runner) -> Answer:
    """A published answer the workspace suggests for the permit question."""

    async def load(session: AsyncSession) -> Answer:
        found = await session.scalar(select(Answer).where(Answer.title == TYPE_LEVEL))
        assert found is not None
        return found

    result: Answer = run(load)
    return result


def textarea(page: str, field_id: str) -> str:
    """What a textarea of the page holds."""
    found = re.search(rf'id="{field_id}"[^>]*>([^<]*)</textarea>', page)
    assert found, field_id
    return html.unescape(found.group(1)).replace("\r\n", "\n")


def claimed_workspace(client: TestClient, reference: str, persona: str = "demo-agent") -> str:
    """Log in, claim the question and open its workspace with the answer suggested."""
    auth = Auth(client)
    auth.login_staff(persona)
    claim = client.post(f"/kcc/vragen/{reference}/claim", data={"csrf_token": auth.csrf()})
    assert claim.status_code == 303
    page = client.get(f"/kcc/vragen/{reference}", params={"kb": "omgevingsvergunning"})
    assert page.status_code == 200
    text: str = page.text
    return text


async def _messages(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(QuestionMessage)) or 0)


async def _drafts(session: AsyncSession) -> list[tuple[str, str, int | None]]:
    rows = await session.execute(select(ReplyDraft.body, ReplyDraft.note, ReplyDraft.answer_id)
                                 .order_by(ReplyDraft.id))
    return [(body, note, answer_id) for body, note, answer_id in rows]


async def _used(session: AsyncSession) -> list[int]:
    return list(await session.scalars(select(AnswerEvent.answer_id).where(
        AnswerEvent.kind == "used")))


def test_insert_without_javascript_keeps_reply_and_note_and_appends(
    client: TestClient, run: Runner, reference: str, answer: Answer
) -> None:
    page = claimed_workspace(client, reference)
    assert f'formaction="/kcc/vragen/{reference}/invoegen"' in page
    assert 'form="antwoord-formulier"' in page  # the note goes with the reply form
    before = run(_messages)
    fields = form_fields(page)
    inserted = client.post(f"/kcc/vragen/{reference}/invoegen", data={
        "csrf_token": fields["csrf_token"], "version": fields["version"], "answer_id": "",
        "body": TYPED, "note": NOTE, "gebruik": str(answer.id)})
    assert inserted.status_code == 200
    body = textarea(inserted.text, "veld-antwoord")
    assert body.startswith(TYPED + "\n\n")
    assert "8 weken" in body[len(TYPED):] and "**" not in body
    assert textarea(inserted.text, "veld-notitie") == NOTE
    assert form_fields(inserted.text)["answer_id"] == str(answer.id)
    assert "staat in het tekstvak" in inserted.text
    assert run(_messages) == before  # nothing was sent
    assert run(_drafts) == [(body, NOTE, answer.id)]
    # Sent as it stands: the use is counted, the reply leaves the draft, the note stays.
    sent = client.post(f"/kcc/vragen/{reference}/reply", data={
        **form_fields(inserted.text), "body": body, "note": NOTE})
    assert sent.status_code == 303
    assert run(_used) == [answer.id]
    assert run(_drafts) == [("", NOTE, None)]
    again = client.get(f"/kcc/vragen/{reference}").text
    assert textarea(again, "veld-notitie") == NOTE


def test_insert_of_an_unknown_answer_keeps_the_text_and_adds_nothing(
    client: TestClient, reference: str
) -> None:
    fields = form_fields(claimed_workspace(client, reference))
    response = client.post(f"/kcc/vragen/{reference}/invoegen", data={
        **fields, "body": TYPED, "note": NOTE, "gebruik": "999999"})
    assert response.status_code == 200
    assert textarea(response.text, "veld-antwoord") == TYPED
    assert textarea(response.text, "veld-notitie") == NOTE
    assert form_fields(response.text)["answer_id"] == ""


def test_insert_and_draft_find_nothing_for_a_question_out_of_sight(
    client: TestClient, run: Runner, reference: str, answer: Answer
) -> None:
    auth = Auth(client)
    auth.login_staff("demo-specialist")  # the question is the KCC's, not the permits team's
    token = auth.csrf()
    for path in (f"/kcc/vragen/{reference}/invoegen", f"/kcc/vragen/{reference}/concept",
                 "/kcc/vragen/V-0000000000/invoegen", "/kcc/vragen/V-0000000000/concept"):
        response = client.post(path, data={"csrf_token": token, "body": TYPED, "note": NOTE,
                                           "gebruik": str(answer.id)})
        assert response.status_code == 404, path
        assert "8 weken" not in response.text and TYPED not in response.text
    assert run(_drafts) == []


def test_insert_and_draft_need_the_csrf_token(
    client: TestClient, run: Runner, reference: str, answer: Answer
) -> None:
    claimed_workspace(client, reference)
    for path in (f"/kcc/vragen/{reference}/invoegen", f"/kcc/vragen/{reference}/concept"):
        response = client.post(path, data={"body": TYPED, "gebruik": str(answer.id)})
        assert response.status_code == 403, path
    assert run(_drafts) == []


def test_draft_is_kept_restored_for_its_author_only_and_cleared_when_sent(
    client: TestClient, run: Runner, reference: str
) -> None:
    page = claimed_workspace(client, reference)
    assert f'hx-post="/kcc/vragen/{reference}/concept"' in page
    token = form_fields(page)["csrf_token"]
    saved = client.post(f"/kcc/vragen/{reference}/concept",
                        data={"csrf_token": token, "body": TYPED, "note": NOTE})
    assert saved.status_code == 204
    restored = client.get(f"/kcc/vragen/{reference}").text
    assert textarea(restored, "veld-antwoord") == TYPED
    assert textarea(restored, "veld-notitie") == NOTE
    # Only the note typed further: the reply's draft is left as it is.
    assert client.post(f"/kcc/vragen/{reference}/concept", data={
        "csrf_token": token, "note": NOTE + " Nog iets."}).status_code == 204
    assert run(_drafts) == [(TYPED, NOTE + " Nog iets.", None)]
    # The lead opens the same question: the agent's draft is not theirs to see.
    lead = Auth(client)
    lead.login_staff("demo-lead")
    theirs = client.get(f"/kcc/vragen/{reference}").text
    assert TYPED not in html.unescape(theirs) and NOTE not in html.unescape(theirs)
    assert textarea(theirs, "veld-notitie") == ""
    assert client.post(f"/kcc/vragen/{reference}/concept", data={
        "csrf_token": lead.csrf(), "note": "Van de teamleider."}).status_code == 204
    assert len(run(_drafts)) == 2
    # Back as the agent: the note is saved (it leaves the draft), then the reply is sent.
    agent = Auth(client)
    agent.login_staff("demo-agent")
    mine = client.get(f"/kcc/vragen/{reference}").text
    assert textarea(mine, "veld-antwoord") == TYPED
    assert textarea(mine, "veld-notitie") == NOTE + " Nog iets."
    assert "Van de teamleider." not in mine
    fields = form_fields(mine)
    noted = client.post(f"/kcc/vragen/{reference}/note", data={
        **fields, "body": TYPED, "note": NOTE})
    assert noted.status_code == 303
    assert (TYPED, "", None) in run(_drafts)
    sent = client.post(f"/kcc/vragen/{reference}/reply", data={
        **form_fields(client.get(f"/kcc/vragen/{reference}").text), "body": TYPED, "note": ""})
    assert sent.status_code == 303
    assert run(_drafts) == [("", "Van de teamleider.", None)]  # the lead's own, untouched
    assert textarea(client.get(f"/kcc/vragen/{reference}").text, "veld-notitie") == ""


def test_draft_longer_than_the_field_is_refused(
    client: TestClient, run: Runner, reference: str
) -> None:
    token = form_fields(claimed_workspace(client, reference))["csrf_token"]
    path = f"/kcc/vragen/{reference}/concept"
    assert client.post(path, data={"csrf_token": token, "body": "x" * MAX_BODY}).status_code == 204
    too_long = client.post(path, data={"csrf_token": token, "body": "y" * (MAX_BODY + 1)})
    assert too_long.status_code == 422
    assert client.post(path, data={"csrf_token": token,
                                   "note": "z" * (MAX_BODY + 1)}).status_code == 422
    assert run(_drafts) == [("x" * MAX_BODY, "", None)]
    assert client.post(path, data={"csrf_token": token, "body": ""}).status_code == 204
    assert run(_drafts) == []  # nothing typed: no draft


def test_a_refused_reply_keeps_the_note_typed_with_it(
    client: TestClient, run: Runner, reference: str
) -> None:
    fields = form_fields(claimed_workspace(client, reference))
    refused = client.post(f"/kcc/vragen/{reference}/reply", data={
        **fields, "body": "   ", "note": NOTE})
    assert refused.status_code == 422
    assert textarea(refused.text, "veld-notitie") == NOTE
    assert run(_drafts) == []  # a refused send changes no draft
