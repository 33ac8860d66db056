"""Answers over HTTP: search and read without logging in, 'did this help?', tailored answers
on a dossier's page, suggestions while asking (with htmx and without JavaScript), the
editors' screens, the knowledge base beside a question in the KCC, and who may do what.
"""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from conftest import Auth, Runner, form_fields
from mijn.answers.models import Answer, AnswerEvent, AnswerFeedback, AnswerFlag, AnswerVersion
from mijn.questions.models import Question, Topic

PERMIT = "Z-2026-0001"  # Jan's omgevingsvergunning, in behandeling, department Vergunningen
FATIMAS = "Z-2026-0101"
TYPE_LEVEL = "Hoe lang duurt de behandeling van mijn omgevingsvergunning?"
IN_PROGRESS = "Wat gebeurt er als mijn aanvraag in behandeling is?"
AFTER_DECISION = "Bezwaar maken tegen een besluit over een vergunning"
NOTE = "Termijn verlengen kan één keer met 6 weken"  # internal notes of TYPE_LEVEL


async def _answer(session: AsyncSession, title: str) -> Answer:
    found = await session.scalar(select(Answer).where(Answer.title == title))
    assert found is not None, title
    return found


async def _events(session: AsyncSession, kind: str) -> list[AnswerEvent]:
    return list(await session.scalars(select(AnswerEvent).where(AnswerEvent.kind == kind)))


def _titles(page: str) -> list[str]:
    """The answer titles on a page: result headings and suggestions' summaries, in order."""
    found = re.findall(r'<(?:h3|summary)[^>]*lang="nl">(?:<a [^>]*>)?([^<]+)<', page)
    return [html.unescape(t) for t in found]


@pytest.fixture
def answers(demo: None, run: Runner) -> dict[str, Answer]:
    """The demo's answers by title."""

    async def load(session: AsyncSession) -> dict[str, Answer]:
        return {a.title: a for a in await session.scalars(select(Answer))}

    found: dict[str, Answer] = run(load)
    return found


# --- everyone -----------------------------------------------------------------------------


def test_search_works_without_logging_in_and_understands_dutch(
    client: TestClient, answers: dict[str, Answer]
) -> None:
    page = client.get("/antwoorden", params={"q": "vergunningen aanvragen"})
    assert page.status_code == 200
    assert "Een vergunning aanvragen" in _titles(page.text)[:3]
    typo = client.get("/antwoorden", params={"q": "grofvuill"})
    assert _titles(typo.text)[0] == "Grofvuil laten ophalen"
    nothing = client.get("/antwoorden", params={"q": "xylofoonles"})
    assert "Geen antwoorden gevonden" in nothing.text


def test_search_answers_htmx_with_only_the_results(
    client: TestClient, answers: dict[str, Answer]
) -> None:
    fragment = client.get("/antwoorden", params={"q": "paspoort"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<section id="resultaten"')
    assert "<html" not in fragment.text
    assert "HX-Request" in fragment.headers["vary"]


def test_answer_page_counts_a_view_and_shows_no_internal_notes(
    client: TestClient, run: Runner, answers: dict[str, Answer]
) -> None:
    answer = answers[TYPE_LEVEL]
    page = client.get(f"/antwoorden/{answer.slug}")
    assert page.status_code == 200
    assert "8 weken" in page.text
    assert NOTE not in page.text
    assert "klaar te zijn op de datum die bij uw dossier staat" in page.text  # generic
    assert run(_answer, TYPE_LEVEL).view_count == answer.view_count + 1
    assert client.get("/antwoorden/bestaat-niet").status_code == 404


def test_a_draft_or_withdrawn_answer_is_not_found(
    client: TestClient, run: Runner, answers: dict[str, Answer]
) -> None:
    auth = Auth(client)
    auth.login_staff("demo-editor", "/kcc/antwoorden")
    answer = answers["Grofvuil laten ophalen"]
    token = auth.csrf()
    withdrawn = client.post(f"/kcc/antwoorden/{answer.id}/offline", data={"csrf_token": token})
    assert withdrawn.status_code == 303
    assert client.get(f"/antwoorden/{answer.slug}").status_code == 404
    assert "Grofvuil laten ophalen" not in _titles(client.get("/antwoorden?q=grofvuil").text)


def test_feedback_yes_and_no_with_a_comment(
    client: TestClient, run: Runner, answers: dict[str, Answer]
) -> None:
    answer = answers["Grofvuil laten ophalen"]
    token = Auth(client).csrf()
    url = f"/antwoorden/{answer.slug}/feedback"
    assert client.post(url, data={"csrf_token": token, "helpful": "ja"}).status_code == 303
    said = client.post(url, data={"csrf_token": token, "helpful": "nee",
                                  "comment": "Welke dagen halen jullie op?"})
    assert said.headers["location"].endswith("?bedankt=1#feedback")
    assert "Bedankt voor uw reactie" in client.get(said.headers["location"]).text
    fresh = run(_answer, "Grofvuil laten ophalen")
    assert (fresh.yes_count, fresh.no_count) == (1, 1)

    async def comments(session: AsyncSession) -> list[str]:
        return list(await session.scalars(select(AnswerFeedback.comment)))

    assert "Welke dagen halen jullie op?" in run(comments)


def test_bad_feedback_keeps_what_was_typed(
    client: TestClient, run: Runner, answers: dict[str, Answer]
) -> None:
    answer = answers["Grofvuil laten ophalen"]
    token = Auth(client).csrf()
    url = f"/antwoorden/{answer.slug}/feedback"
    no_choice = client.post(url, data={"csrf_token": token, "comment": "mijn tekst"})
    assert no_choice.status_code == 422
    assert "Kies ja of nee." in no_choice.text
    assert "mijn tekst" in no_choice.text
    too_long = client.post(url, data={"csrf_token": token, "helpful": "nee",
                                      "comment": "x" * 1001})
    assert too_long.status_code == 422
    assert "x" * 1001 in too_long.text
    assert 'aria-invalid="true"' in too_long.text
    assert run(_answer, "Grofvuil laten ophalen").no_count == 0


def test_bad_feedback_with_htmx_gets_the_form_again_not_a_server_error(
    client: TestClient, run: Runner, answers: dict[str, Answer]
) -> None:
    """The feedback form posted by htmx without ja/nee: the form's fragment with its error
    (issue 16: the fragment lacked its macros and answered 500)."""
    answer = answers["Grofvuil laten ophalen"]
    token = Auth(client).csrf()
    no_choice = client.post(f"/antwoorden/{answer.slug}/feedback",
                            data={"csrf_token": token, "comment": "mijn tekst"},
                            headers={"HX-Request": "true"})
    assert no_choice.status_code == 422
    assert no_choice.text.lstrip().startswith('<section id="feedback"')
    assert "Kies ja of nee." in no_choice.text
    assert "mijn tekst" in no_choice.text
    assert run(_answer, "Grofvuil laten ophalen").no_count == 0


def test_feedback_without_csrf_is_refused(client: TestClient, answers: dict[str, Answer]) -> None:
    answer = answers["Grofvuil laten ophalen"]
    client.get("/")
    refused = client.post(f"/antwoorden/{answer.slug}/feedback", data={"helpful": "ja"})
    assert refused.status_code == 403


# --- tailoring ------------------------------------------------------------------------------


def test_dossier_page_shows_answers_for_its_type_and_status(
    client: TestClient, answers: dict[str, Answer]
) -> None:
    Auth(client).login()
    page = client.get(f"/mijn/dossiers/{PERMIT}")
    assert page.status_code == 200
    titles = _titles(page.text)
    assert IN_PROGRESS in titles and TYPE_LEVEL in titles
    assert titles.index(IN_PROGRESS) < titles.index(TYPE_LEVEL)  # the status's own first
    assert AFTER_DECISION not in titles  # for the status after the decision only
    assert "Grofvuil laten ophalen" not in titles
    assert "behandeld door Vergunningen" in page.text  # {{afdeling}} from this dossier
    assert NOTE not in page.text


def test_an_answer_tailored_to_another_citizens_dossier_is_generic(
    client: TestClient, answers: dict[str, Answer]
) -> None:
    Auth(client).login()  # Jan asks for the answer "about" Fatima's dossier
    page = client.get(f"/antwoorden/{answers[TYPE_LEVEL].slug}", params={"dossier": FATIMAS})
    assert page.status_code == 200
    assert "Dit antwoord gaat over uw dossier" not in page.text
    assert "de afdeling die uw dossier behandelt" in page.text
    own = client.get(f"/antwoorden/{answers[TYPE_LEVEL].slug}", params={"dossier": PERMIT})
    assert "behandeld door Vergunningen" in own.text
    assert "Dit antwoord gaat over uw dossier" in own.text


# --- suggestions while asking -------------------------------------------------------------


def test_suggestions_while_typing_are_counted_with_the_form(
    client: TestClient, run: Runner, answers: dict[str, Answer]
) -> None:
    auth = Auth(client)
    auth.login()
    form = form_fields(client.get("/mijn/vragen/nieuw").text)
    shown = client.post("/antwoorden/suggesties", headers={"HX-Request": "true"}, data={
        "csrf_token": form["csrf_token"], "submit_key": form["submit_key"],
        "body": "Wanneer halen jullie mijn grofvuil op?", "topic": "",
    })
    assert shown.status_code == 200
    assert "Grofvuil laten ophalen" in shown.text
    assert 'name="suggestions_seen" value="1"' in shown.text
    events = run(_events, "suggested")
    assert events and {e.form_key for e in events} == {form["submit_key"]}
    assert "grofvuil" not in str(shown.url).lower()  # the text went in the body


def test_without_javascript_suggestions_come_first_then_the_question_is_sent(
    client: TestClient, run: Runner, answers: dict[str, Answer]
) -> None:
    Auth(client).login()
    form = form_fields(client.get("/mijn/vragen/nieuw").text)
    topic = run(lambda s: s.scalar(select(Topic.id).where(Topic.code == "openbare-ruimte")))
    data = {"csrf_token": form["csrf_token"], "submit_key": form["submit_key"],
            "topic": str(topic), "dossier": "", "body": "Hoe laat moet het grofvuil buiten staan?"}
    first = client.post("/mijn/vragen", data=data)
    assert first.status_code == 200
    assert "Grofvuil laten ophalen" in first.text
    assert "Vraag toch versturen" in first.text
    assert "Hoe laat moet het grofvuil buiten staan?" in first.text  # nothing lost
    assert run(lambda s: s.scalar(select(func.count()).select_from(Question).where(
        Question.submit_key == form["submit_key"]))) == 0
    sent = client.post("/mijn/vragen", data={**form_fields(first.text), **data,
                                             "suggestions_seen": "1"})
    assert sent.status_code == 303
    asked = run(_events, "asked")
    assert len(asked) == 1 and asked[0].question_id is not None


def test_opening_a_suggestion_without_asking_counts_as_deflected(
    client: TestClient, run: Runner, answers: dict[str, Answer]
) -> None:
    Auth(client).login()
    form = form_fields(client.get("/mijn/vragen/nieuw").text)
    client.post("/antwoorden/suggesties", data={
        "csrf_token": form["csrf_token"], "submit_key": form["submit_key"],
        "body": "grofvuil ophalen"})
    answer = answers["Grofvuil laten ophalen"]
    opened = client.post("/antwoorden/geopend", data={
        "csrf_token": form["csrf_token"], "answer": str(answer.id), "context": "ask",
        "formulier": form["submit_key"]})
    assert opened.status_code == 204
    from mijn.answers.events import deflection
    from mijn.db import utcnow

    counted = run(deflection, utcnow().replace(year=2000))
    assert counted.forms_opened == 1 and counted.forms_not_sent == 1
    assert client.post("/antwoorden/geopend", data={
        "csrf_token": form["csrf_token"], "answer": "999999", "context": "ask"},
    ).status_code == 404


def test_suggestions_need_a_citizen_login(client: TestClient, answers: dict[str, Answer]) -> None:
    token = Auth(client).csrf()
    response = client.post("/antwoorden/suggesties", data={"csrf_token": token, "body": "x"})
    assert response.status_code == 303
    assert "/inloggen" in response.headers["location"]


# --- editors ------------------------------------------------------------------------------


EDITOR_PAGES = ("/kcc/antwoorden", "/kcc/antwoorden/nieuw", "/kcc/antwoorden/{id}",
                "/kcc/antwoorden/{id}/vergelijk")


@pytest.mark.parametrize("persona", ["demo-agent", "demo-specialist", "demo-lead"])
def test_only_editors_reach_the_editors_screens(
    client: TestClient, answers: dict[str, Answer], persona: str
) -> None:
    auth = Auth(client)
    auth.login_staff(persona)
    answer_id = answers[TYPE_LEVEL].id
    for path in EDITOR_PAGES:
        assert client.get(path.format(id=answer_id)).status_code == 404, path
    token = auth.csrf()
    for path in ("/kcc/antwoorden", f"/kcc/antwoorden/{answer_id}",
                 f"/kcc/antwoorden/{answer_id}/offline"):
        posted = client.post(path, data={"csrf_token": token, "title": "x", "body": "x"})
        assert posted.status_code == 404, path
    # ...but every staff member reads the knowledge base, with its internal notes.
    assert NOTE in client.get(f"/kcc/kennisbank/{answer_id}").text


def test_citizens_never_reach_staff_answer_pages(
    client: TestClient, answers: dict[str, Answer]
) -> None:
    Auth(client).login()
    for path in (*EDITOR_PAGES, "/kcc/kennisbank", "/kcc/kennisbank/{id}"):
        response = client.get(path.format(id=answers[TYPE_LEVEL].id))
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/kcc/inloggen")


def _editor(client: TestClient) -> str:
    auth = Auth(client)
    auth.login_staff("demo-editor", "/kcc/antwoorden")
    return auth.csrf()


def test_editor_writes_publishes_changes_and_compares(
    client: TestClient, run: Runner, answers: dict[str, Answer]
) -> None:
    token = _editor(client)
    assert client.get("/kcc").headers["location"] == "/kcc/antwoorden"  # no queue of theirs
    fields = {"csrf_token": token, "title": "Hondenbelasting betalen",
              "body": "U betaalt **hondenbelasting** voor elke hond.",
              "internal_notes": "Geheim: kwijtschelding via team Belastingen",
              "audience": "all", "review_by": "2027-06-30", "topics": "belasting"}
    created = client.post("/kcc/antwoorden", data={**fields, "action": "save"})
    assert created.status_code == 303
    edit_url = created.headers["location"].split("?")[0]
    assert client.get("/antwoorden", params={"q": "hondenbelasting"}).text.count(
        "Hondenbelasting betalen") == 0  # a draft is not public
    published = client.post(edit_url, data={**fields, "action": "publish"})
    assert published.status_code == 303
    page = client.get("/antwoorden", params={"q": "honden"})
    assert "Hondenbelasting betalen" in page.text
    changed = {**fields, "body": "U betaalt hondenbelasting voor elke hond.\n\nTwee honden? "
               "Dan betaalt u meer."}
    client.post(edit_url, data={**changed, "action": "save"})
    public = client.get("/antwoorden/hondenbelasting-betalen").text
    assert "Twee honden" not in public  # the draft waits
    assert "Geheim" not in public
    client.post(edit_url, data={**changed, "action": "publish"})
    assert "Twee honden" in client.get("/antwoorden/hondenbelasting-betalen").text
    diff = client.get(f"{edit_url}/vergelijk", params={"van": "1", "naar": "2"})
    assert diff.status_code == 200
    assert "<ins>" in diff.text and "Twee honden?" in diff.text
    assert "<del>" in diff.text

    async def states(session: AsyncSession) -> list[str]:
        return list(await session.scalars(select(AnswerVersion.state)
                                          .join(Answer).where(Answer.slug == "hondenbelasting-betalen")
                                          .order_by(AnswerVersion.number)))

    assert run(states) == ["superseded", "published"]


def test_editor_errors_keep_the_text(client: TestClient, answers: dict[str, Answer]) -> None:
    token = _editor(client)
    body = "Uw aanvraag is klaar op {{klaar_datum}}."
    response = client.post("/kcc/antwoorden", data={
        "csrf_token": token, "title": "Iets", "body": body, "audience": "all",
        "review_by": "2027-01-01", "action": "publish"})
    assert response.status_code == 422
    assert "klaar_datum" in response.text and "Deze invulvelden kent Mijn niet" in response.text
    assert html.escape(body) in response.text
    no_title = client.post("/kcc/antwoorden", data={
        "csrf_token": token, "title": "", "body": "tekst", "review_by": "2027-01-01"})
    assert no_title.status_code == 422
    assert "Geef het antwoord een titel." in no_title.text


# --- the KCC ------------------------------------------------------------------------------


async def _question_about_permit(session: AsyncSession) -> str:
    reference = await session.scalar(select(Question.reference).where(
        Question.submit_key == "demo-2"))
    assert reference
    return reference


def test_agent_sees_answers_with_notes_uses_one_and_it_is_recorded(
    client: TestClient, run: Runner, answers: dict[str, Answer]
) -> None:
    auth = Auth(client)
    auth.login_staff("demo-agent")
    reference = run(_question_about_permit)
    workspace = client.get(f"/kcc/vragen/{reference}", params={"kb": "omgevingsvergunning"})
    assert workspace.status_code == 200
    assert TYPE_LEVEL in html.unescape(workspace.text)
    assert NOTE in html.unescape(workspace.text)
    answer = answers[TYPE_LEVEL]
    claim = client.post(f"/kcc/vragen/{reference}/claim", data={"csrf_token": auth.csrf()})
    assert claim.status_code == 303
    page = client.get(f"/kcc/vragen/{reference}", params={"kb": "omgevingsvergunning"})
    filled = client.post(f"/kcc/vragen/{reference}/invoegen", data={
        **form_fields(page.text), "body": "", "note": "", "gebruik": str(answer.id)})
    assert filled.status_code == 200
    fields = form_fields(filled.text)
    assert fields["answer_id"] == str(answer.id)
    body = html.unescape(re.search(
        r'id="veld-antwoord"[^>]*>([^<]*)</textarea>', filled.text).group(1))  # type: ignore[union-attr]
    assert "8 weken" in body and "**" not in body
    sent = client.post(f"/kcc/vragen/{reference}/reply", data={
        "csrf_token": fields["csrf_token"], "body": body, "answer_id": str(answer.id)})
    assert sent.status_code == 303
    used = run(_events, "used")
    assert [(e.answer_id, e.context) for e in used] == [(answer.id, "kcc")]
    assert used[0].question_id is not None


def test_agent_flags_a_wrong_and_a_missing_answer_for_the_editors(
    client: TestClient, run: Runner, answers: dict[str, Answer]
) -> None:
    auth = Auth(client)
    auth.login_staff("demo-agent")
    reference = run(_question_about_permit)
    token = auth.csrf()
    answer = answers[TYPE_LEVEL]
    wrong = client.post(f"/kcc/vragen/{reference}/signaal", data={
        "csrf_token": token, "kind": "wrong", "answer": str(answer.id),
        "comment": "De termijn is 12 weken sinds de nieuwe wet."})
    assert wrong.status_code == 303
    no_comment = client.post(f"/kcc/vragen/{reference}/signaal", data={
        "csrf_token": token, "kind": "missing", "comment": ""})
    assert no_comment.status_code == 422
    missing = client.post(f"/kcc/vragen/{reference}/signaal", data={
        "csrf_token": token, "kind": "missing", "comment": "Niets over dakkapellen."})
    assert missing.status_code == 303
    assert run(lambda s: s.scalar(select(func.count()).select_from(AnswerFlag))) == 2
    assert client.post("/kcc/vragen/V-0000000000/signaal", data={
        "csrf_token": token, "kind": "missing", "comment": "x"}).status_code == 404

    _editor(client)  # a new staff login in the same browser replaces the agent's
    listing = client.get("/kcc/antwoorden").text
    assert TYPE_LEVEL in html.unescape(listing)
    assert "Gemeld door het KCC" in listing
    assert "Niets over dakkapellen." in listing


def test_answers_are_tailored_only_to_dossiers_in_the_visitors_scope(
    client: TestClient, answers: dict[str, Answer]
) -> None:
    """A branch employee reads an answer about the company's dossier of another branch as a
    general text; a company-wide employee gets it about that dossier."""
    auth = Auth(client)
    slug = answers[TYPE_LEVEL].slug
    auth.login("demo-ahmed", audience="business")  # restricted to the branch of Z-2026-0204
    other_branch = client.get(f"/antwoorden/{slug}", params={"dossier": "Z-2026-0201"})
    assert other_branch.status_code == 200
    assert "Dit antwoord gaat over uw dossier" not in other_branch.text
    assert "de afdeling die uw dossier behandelt" in other_branch.text
    own_branch = client.get(f"/antwoorden/{slug}", params={"dossier": "Z-2026-0204"})
    assert "Dit antwoord gaat over uw dossier Z-2026-0204" in own_branch.text
    auth.logout()
    auth.login("demo-karin", audience="business")  # the whole company
    company = client.get(f"/antwoorden/{slug}", params={"dossier": "Z-2026-0201"})
    assert "Dit antwoord gaat over uw dossier Z-2026-0201" in company.text
