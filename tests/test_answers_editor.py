"""The editors' screens in the KCC (/kcc/antwoorden) and the knowledge base every staff member
reads (/kcc/kennisbank): opening an answer, publishing at once, errors, dealing with the
KCC's flags, and who may do that."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from conftest import Auth, Runner, form_fields
from mijn.answers.events import record
from mijn.answers.models import Answer, AnswerEvent, AnswerFlag
from mijn.questions.models import Question

TYPE_LEVEL = "Hoe lang duurt de behandeling van mijn omgevingsvergunning?"
NOTE = "Termijn verlengen kan één keer met 6 weken"  # internal notes of TYPE_LEVEL


@pytest.fixture
def answers(demo: None, run: Runner) -> dict[str, Answer]:
    """The demo's answers by title."""

    async def load(session: AsyncSession) -> dict[str, Answer]:
        return {a.title: a for a in await session.scalars(select(Answer))}

    found: dict[str, Answer] = run(load)
    return found


def _editor(client: TestClient) -> str:
    auth = Auth(client)
    auth.login_staff("demo-editor", "/kcc/antwoorden")
    return auth.csrf()


def _text(page: str) -> str:
    return html.unescape(page)


async def _flags(session: AsyncSession) -> list[AnswerFlag]:
    return list(await session.scalars(select(AnswerFlag).order_by(AnswerFlag.id)))


async def _question_about_permit(session: AsyncSession) -> str:
    reference = await session.scalar(select(Question.reference).where(
        Question.submit_key == "demo-2"))
    assert reference
    return reference


def _flag(client: TestClient, run: Runner, answer_id: int | None, comment: str) -> None:
    """An agent's flag about an answer (or, without one, a missing answer)."""
    auth = Auth(client)
    auth.login_staff("demo-agent")
    data = {"csrf_token": auth.csrf(), "kind": "wrong" if answer_id else "missing",
            "comment": comment, **({"answer": str(answer_id)} if answer_id else {})}
    response = client.post(f"/kcc/vragen/{run(_question_about_permit)}/signaal", data=data)
    assert response.status_code == 303


def test_the_editor_opens_an_answer_with_its_text_notes_and_versions(
    client: TestClient, answers: dict[str, Answer]
) -> None:
    _editor(client)
    answer = answers[TYPE_LEVEL]
    page = client.get(f"/kcc/antwoorden/{answer.id}")
    assert page.status_code == 200
    fields = form_fields(page.text)
    assert fields["title"] == TYPE_LEVEL
    assert NOTE in _text(page.text)  # the internal notes, to edit
    assert "Geen open meldingen." in page.text
    assert client.get("/kcc/antwoorden/987654").status_code == 404
    assert client.get(f"/kcc/antwoorden/{answer.id}/vergelijk",
                      params={"van": "1", "naar": "7"}).status_code == 404


def test_a_new_answer_form_proposes_a_review_date(
    client: TestClient, answers: dict[str, Answer]
) -> None:
    _editor(client)
    page = client.get("/kcc/antwoorden/nieuw")
    assert page.status_code == 200
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", form_fields(page.text)["review_by"])
    assert "Nog geen tekst." in page.text  # no preview before there is a text


def test_an_answer_published_at_once_is_public_at_once(
    client: TestClient, answers: dict[str, Answer]
) -> None:
    token = _editor(client)
    created = client.post("/kcc/antwoorden", data={
        "csrf_token": token, "title": "Parkeervergunning aanvragen", "audience": "all",
        "body": "Vraag een **parkeervergunning** aan via het formulier.",
        "review_by": "2027-06-30", "action": "publish"})
    assert created.status_code == 303
    assert created.headers["location"].endswith("?opgeslagen=gepubliceerd")
    assert "Parkeervergunning aanvragen" in client.get(
        "/antwoorden", params={"q": "parkeervergunning"}).text


def test_saving_with_an_error_keeps_the_text_and_changes_nothing(
    client: TestClient, answers: dict[str, Answer]
) -> None:
    token = _editor(client)
    answer = answers[TYPE_LEVEL]
    body = "Uw aanvraag is klaar op {{klaar_datum}}."
    response = client.post(f"/kcc/antwoorden/{answer.id}", data={
        "csrf_token": token, "title": TYPE_LEVEL, "body": body, "audience": "all",
        "review_by": "2027-01-01", "action": "publish"})
    assert response.status_code == 422
    assert "Deze invulvelden kent Mijn niet" in response.text
    assert html.escape(body) in response.text
    assert "Geen open meldingen." in response.text  # still the page of this answer
    public = client.get(f"/antwoorden/{answer.slug}").text
    assert "8 weken" in public and "klaar_datum" not in public


def test_the_editor_deals_with_a_flag_about_an_answer_and_about_a_missing_one(
    client: TestClient, run: Runner, answers: dict[str, Answer]
) -> None:
    answer = answers[TYPE_LEVEL]
    _flag(client, run, answer.id, "De termijn is 12 weken sinds de nieuwe wet.")
    _flag(client, run, None, "Niets over dakkapellen.")
    wrong, missing = run(_flags)
    token = _editor(client)
    page = client.get(f"/kcc/antwoorden/{answer.id}")
    assert "De termijn is 12 weken sinds de nieuwe wet." in page.text

    done = client.post(f"/kcc/antwoorden/signalen/{wrong.id}",
                       data={"csrf_token": token, "next": str(answer.id)})
    assert done.headers["location"] == f"/kcc/antwoorden/{answer.id}"  # back to the answer
    assert "Geen open meldingen." in client.get(f"/kcc/antwoorden/{answer.id}").text
    done = client.post(f"/kcc/antwoorden/signalen/{missing.id}", data={"csrf_token": token})
    assert done.headers["location"] == "/kcc/antwoorden"
    assert "Niets over dakkapellen." not in client.get("/kcc/antwoorden").text
    assert all(flag.resolved_at is not None and flag.resolved_by_id for flag in run(_flags))
    again = client.post(f"/kcc/antwoorden/signalen/{missing.id}", data={"csrf_token": token})
    assert again.status_code == 404  # dealt with already


@pytest.mark.parametrize("persona", ["demo-agent", "demo-lead"])
def test_only_an_editor_deals_with_a_flag(
    client: TestClient, run: Runner, answers: dict[str, Answer], persona: str
) -> None:
    _flag(client, run, None, "Niets over dakkapellen.")
    [flag] = run(_flags)
    auth = Auth(client)
    auth.login_staff(persona)
    refused = client.post(f"/kcc/antwoorden/signalen/{flag.id}",
                          data={"csrf_token": auth.csrf()})
    assert refused.status_code == 404
    assert [f.resolved_at for f in run(_flags)] == [None]


async def _views(session: AsyncSession) -> list[tuple[int | None, str]]:
    found = await session.scalars(select(AnswerEvent).where(AnswerEvent.kind == "view"))
    return [(event.answer_id, event.context) for event in found]


def test_the_knowledge_base_searches_and_shows_the_internal_notes(
    client: TestClient, run: Runner, answers: dict[str, Answer]
) -> None:
    Auth(client).login_staff("demo-agent")
    popular = client.get("/kcc/kennisbank")
    assert popular.status_code == 200 and "Veel gelezen" in popular.text
    found = client.get("/kcc/kennisbank", params={"q": "omgevingsvergunning"},
                       headers={"HX-Request": "true"})
    assert found.text.lstrip().startswith('<section id="resultaten"')  # only the results
    assert TYPE_LEVEL in _text(found.text)
    answer = answers[TYPE_LEVEL]
    page = client.get(f"/kcc/kennisbank/{answer.id}")
    assert NOTE in _text(page.text)
    assert run(_views) == [(answer.id, "kcc")]
    assert client.get("/kcc/kennisbank/987654").status_code == 404


def test_versions_show_who_wrote_them_and_compare_word_by_word(
    client: TestClient, answers: dict[str, Answer]
) -> None:
    token = _editor(client)
    fields = {"csrf_token": token, "title": "Grofvuil buiten zetten",
              "body": "Zet het grofvuil vóór 7 uur buiten.", "audience": "all",
              "review_by": "2027-06-30", "topics": "overig"}
    created = client.post("/kcc/antwoorden", data={**fields, "action": "publish"})
    url = created.headers["location"].split("?")[0]
    client.post(url, data={**fields, "body": "Zet het grofvuil vóór 7.30 uur buiten.",
                           "action": "publish"})
    page = _text(client.get(url).text)
    assert page.count("Geschreven door Eva Smit op ") == 2  # both versions, with a time
    assert "gepubliceerd door Eva Smit" in page
    compared = client.get(f"{url}/vergelijk", params={"van": "1", "naar": "2"}).text
    hidden = '<span class="mijn-visually-hidden">'
    assert (f'<del>{hidden}[Verwijderd: </span>7{hidden}]</span></del>'
            f'<ins>{hidden}[Toegevoegd: </span>7.30{hidden}]</span></ins>') in compared
    assert " uur buiten." in compared and "<del>" + hidden + "[Verwijderd: </span>Zet" not in compared
    assert _text(compared).count("Geschreven door Eva Smit op ") == 2  # old and new version


def test_a_flag_links_to_the_question_it_was_made_on(
    client: TestClient, run: Runner, answers: dict[str, Answer]
) -> None:
    answer = answers[TYPE_LEVEL]
    _flag(client, run, answer.id, "De termijn is 12 weken sinds de nieuwe wet.")
    _flag(client, run, None, "Niets over dakkapellen.")
    reference = run(_question_about_permit)
    _editor(client)
    link = f'href="/kcc/vragen/{reference}"'
    assert link in client.get(f"/kcc/antwoorden/{answer.id}").text  # about this answer
    assert link in client.get("/kcc/antwoorden").text  # about a missing answer


def _row(page: str, title: str) -> list[str]:
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        if title in _text(row):
            return [re.sub(r"<[^>]+>", "", c).strip()
                    for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    raise AssertionError(title)


def test_the_editors_list_shows_how_often_an_answer_was_used_in_replies(
    client: TestClient, run: Runner, answers: dict[str, Answer]
) -> None:
    answer = answers[TYPE_LEVEL]
    for kind in ("used", "used", "view", "opened"):  # only "used" counts
        run(record, kind, [answer.id], "kcc")
    _editor(client)
    page = client.get("/kcc/antwoorden", params={"weergave": "alle"}).text
    assert "Gebruikt in antwoorden" in page
    assert _row(page, TYPE_LEVEL)[4:6] == ["1", "2"]  # read once, used twice
    other = next(title for title in answers if title != TYPE_LEVEL)
    assert _row(page, other)[5] == "0"
