"""Speed for the keyboard in the KCC (issue 15, item 5), over HTTP: "Versturen en volgende"
sends the reply and takes the next question (or says the queue is empty), the reply box has
the focus right after a question was taken, and the shortcuts are listed where they work."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient
from test_kcc_http import Ids, _ids, _set_due, post, question

from conftest import Auth, Runner, form_fields
from mijn.db import utcnow
from mijn.questions import asking
from mijn.questions.asking import NewQuestion
from mijn.questions.models import Question, QuestionMessage
from mijn.settings import Settings

REPLY_BOX = re.compile(r'<textarea[^>]*id="veld-antwoord"[^>]*>')


@pytest.fixture
def ids(run: Runner, demo: None) -> Ids:
    """The demo data (demo-2 waits in the queue), with its references and ids."""
    result: Ids = run(_ids)
    return result


async def _replies(session: AsyncSession, reference: str) -> list[str]:
    found = await session.scalars(select(QuestionMessage.body).join(
        Question, QuestionMessage.question_id == Question.id
    ).where(Question.reference == reference, QuestionMessage.kind == "reply"))
    return list(found)


def _another_question(run: Runner, ids: Ids, settings: Settings) -> str:
    """A question of Fatima's, due after demo-2 (so "Volgende vraag" takes demo-2 first)."""
    async def make(session: AsyncSession) -> str:
        made, _ = await asking.ask(session, NewQuestion(ids.fatima, ids.topic, "Nog een vraag"),
                                   settings.calendar)
        return made.reference

    reference: str = run(make)
    now = utcnow()
    run(_set_due, ids.demo2, now + timedelta(hours=1))
    run(_set_due, reference, now + timedelta(days=3))
    return reference


def test_send_and_next_answers_then_takes_the_next_question(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, settings: Settings
) -> None:
    later = _another_question(run, ids, settings)
    auth.login_staff("demo-agent")
    token = auth.csrf()
    taken = post(client, "/kcc/volgende", {}, token)
    assert taken.headers["location"] == f"/kcc/vragen/{ids.demo2}?opgepakt=1"
    page = client.get(taken.headers["location"]).text
    assert "autofocus" in REPLY_BOX.search(page)[0]  # type: ignore[index]
    assert 'name="volgende" value="1"' in page and "Versturen en volgende" in page
    version = form_fields(page)["version"]

    sent = post(client, f"/kcc/vragen/{ids.demo2}/reply",
                {"body": "U hoeft niets meer op te sturen.", "version": version,
                 "volgende": "1"}, token)
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/kcc/vragen/{later}?opgepakt=1"
    assert run(_replies, ids.demo2) == ["U hoeft niets meer op te sturen."]
    assert question(run, ids.demo2).state == "answered"
    next_one = question(run, later)
    assert next_one.state == "claimed" and next_one.assignee_id == ids.staff["demo-agent"]

    last = post(client, f"/kcc/vragen/{later}/reply",
                {"body": "Dat klopt.", "volgende": "1"}, token)
    assert last.headers["location"] == "/kcc?leeg=1&verstuurd=1"
    assert run(_replies, later) == ["Dat klopt."]
    queue = client.get(last.headers["location"]).text
    assert "Uw antwoord is verstuurd. Er staan geen vragen meer in de wachtrij." in queue


def test_send_and_next_with_an_empty_reply_takes_nothing(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, settings: Settings
) -> None:
    later = _another_question(run, ids, settings)
    auth.login_staff("demo-agent")
    token = auth.csrf()
    post(client, "/kcc/volgende", {}, token)
    refused = post(client, f"/kcc/vragen/{ids.demo2}/reply", {"body": "", "volgende": "1"},
                   token)
    assert refused.status_code == 422
    assert "autofocus" not in REPLY_BOX.search(refused.text)[0]  # type: ignore[index]
    assert question(run, later).state == "new"
    assert question(run, ids.demo2).state == "claimed"


def test_the_reply_box_has_the_focus_only_right_after_taking(
    client: TestClient, auth: Auth, ids: Ids
) -> None:
    auth.login_staff("demo-agent")
    token = auth.csrf()
    opened = client.get(f"/kcc/vragen/{ids.demo2}").text
    assert "autofocus" not in REPLY_BOX.search(opened)[0]  # type: ignore[index]
    claimed = post(client, f"/kcc/vragen/{ids.demo2}/claim", {}, token)
    assert claimed.headers["location"] == f"/kcc/vragen/{ids.demo2}?opgepakt=1"
    page = client.get(claimed.headers["location"]).text
    assert "autofocus" in REPLY_BOX.search(page)[0]  # type: ignore[index]
    noted = post(client, f"/kcc/vragen/{ids.demo2}/note", {"note": "Belt vaak."}, token)
    assert noted.headers["location"] == f"/kcc/vragen/{ids.demo2}"


def test_a_specialist_gets_no_send_and_next(client: TestClient, auth: Auth, ids: Ids) -> None:
    """Specialists do not take from the queue: their reply form sends, and that is all."""
    auth.login_staff("demo-specialist")
    token = auth.csrf()
    taken = post(client, f"/kcc/vragen/{ids.demo3}/take", {}, token)
    assert taken.headers["location"] == f"/kcc/vragen/{ids.demo3}?opgepakt=1"
    page = client.get(taken.headers["location"]).text
    assert "Antwoord versturen" in page and "Versturen en volgende" not in page
    assert "data-next-url" not in page and "Alt</kbd> + <kbd>Shift</kbd> + <kbd>W" in page
    sent = post(client, f"/kcc/vragen/{ids.demo3}/reply", {"body": "Ja.", "volgende": "1"},
                token)
    assert sent.headers["location"] == f"/kcc/vragen/{ids.demo3}"


@pytest.mark.parametrize("path", ["/kcc", "/kcc/vragen/{demo2}"])
def test_the_shortcuts_are_listed_with_a_switch_and_their_script(
    client: TestClient, auth: Auth, ids: Ids, path: str
) -> None:
    auth.login_staff("demo-agent")
    page = client.get(ids.fill(path)).text
    assert '<details class="mijn-details mijn-shortcuts" id="sneltoetsen"' in page
    for keys in ("<kbd>N</kbd>", "<kbd>R</kbd>", "<kbd>W</kbd>", "<kbd>1</kbd>",
                 "<kbd>Ctrl</kbd> + <kbd>Enter</kbd>",
                 "<kbd>Ctrl</kbd> + <kbd>Shift</kbd> + <kbd>Enter</kbd>"):
        assert keys in page, keys
    assert 'id="sneltoetsen-aan" checked' in page and "data-shortcuts-switch hidden" in page
    assert page.count('src="/static/js/kcc-keys.js"') == 1
    assert client.get("/static/js/kcc-keys.js").status_code == 200
