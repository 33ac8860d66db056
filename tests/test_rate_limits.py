"""Rate limits (issue 14, item 7): each rule lets through what it allows, then answers 429 with
Retry-After and a clear message in the visitor's language (the form's own error, with what was
typed kept), and allows again a window later. The clock is the app's (app.state.clock), moved
by the tests; the counters live in the database, so they hold across workers and processes
(tests/test_rate_limits_concurrency.py shows that on PostgreSQL).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient
from test_query_counts import counting

from conftest import Auth, Runner, form_fields
from mijn.answers.models import Answer, AnswerEvent
from mijn.intake.service import create_api_client
from mijn.notifications.models import Notification
from mijn.questions.models import Question
from mijn.ratelimits import service
from mijn.ratelimits.models import RateCounter
from mijn.ratelimits.rules import Rule, Window
from mijn.settings import ConfigurationError, load_settings

pytestmark = pytest.mark.rate_limits

# A moment at the start of a day (UTC), so that every window (minute, 10 minutes, hour, day)
# starts with it.
START = 86400 * 20834
NL_MINUTES = "U heeft dit in korte tijd te vaak gedaan. Probeer het over {n} minuten opnieuw."
EN_MINUTES = "You have done this too often in a short time. Please try again in {n} minutes."


class Clock:
    """The app's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = float(START)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


Limited = Callable[..., tuple[TestClient, Clock]]


@pytest.fixture
def limited(client_with: Callable[..., TestClient]) -> Limited:
    """A portal with these MIJN_RATE_* settings and a clock of the test's own."""

    def make(**rates: str) -> tuple[TestClient, Clock]:
        client = client_with(**{f"MIJN_RATE_{name}": value for name, value in rates.items()})
        clock = Clock()
        client.app.state.clock = clock  # type: ignore[attr-defined]
        return client, clock

    return make


def text(page: str) -> str:
    """A page's text, tags removed and whitespace and entities plain."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def refused(response: Any, wait: int, message: str) -> None:
    """429 with Retry-After and the message (in the error summary, with its alert role)."""
    assert response.status_code == 429, response.text[:500]
    assert response.headers["retry-after"] == str(wait)
    assert message in text(response.text)


# --- questions and replies (per party) --------------------------------------------------------


def _ask(client: TestClient, body: str) -> Any:
    page = client.get("/mijn/vragen/nieuw")
    fields = form_fields(page.text)
    topic = re.findall(r'<option value="(\d+)"', page.text)[0]
    return client.post("/mijn/vragen", data={
        "csrf_token": fields["csrf_token"], "submit_key": fields["submit_key"],
        "topic": topic, "body": body, "dossier": "", "suggestions_seen": "1",
    })


def _questions(run: Runner) -> list[str]:
    async def bodies(session: AsyncSession) -> list[str]:
        return [q.reference for q in await session.scalars(select(Question))]

    found: list[str] = run(bodies)
    return found


def test_questions_per_party_in_ten_minutes_and_in_a_day(
    limited: Limited, demo: None, run: Runner
) -> None:
    client, clock = limited(QUESTIONS="2/10m,3/1d")
    Auth(client).login("demo-sanne")
    before = len(_questions(run))
    assert _ask(client, "Eerste vraag").status_code == 303
    assert _ask(client, "Tweede vraag").status_code == 303
    third = _ask(client, "Mijn derde vraag, die ik niet kwijt wil")
    refused(third, 600, NL_MINUTES.format(n=10))
    assert 'role="alert"' in third.text
    assert "Mijn derde vraag, die ik niet kwijt wil</textarea>" in third.text
    assert len(_questions(run)) == before + 2  # nothing of the refused one is stored
    clock.advance(600)
    assert _ask(client, "Derde vraag, later").status_code == 303
    clock.advance(600)  # a new 10-minute window, but the day's 3 are used
    fourth = _ask(client, "Vierde vraag")
    refused(fourth, 86400 - 1200, "Probeer het over 24 uur opnieuw.")
    clock.advance(86400)
    assert _ask(client, "Vierde vraag, de dag erna").status_code == 303


def test_questions_of_another_party_count_apart(limited: Limited, demo: None) -> None:
    jan, _ = limited(QUESTIONS="1/10m")
    fatima, _ = limited(QUESTIONS="1/10m")
    Auth(jan).login("demo-jan")
    Auth(fatima).login("demo-fatima")
    assert _ask(jan, "Vraag van Jan").status_code == 303
    assert _ask(fatima, "Vraag van Fatima").status_code == 303
    assert _ask(jan, "Nog een vraag van Jan").status_code == 429


def test_replies_per_party_in_english(limited: Limited, demo: None) -> None:
    client, clock = limited(REPLIES="1/10m")
    Auth(client).login("demo-sanne")
    client.cookies.set("mijn_lang", "en")
    asked = _ask(client, "Een vraag")
    detail = asked.headers["location"].split("?")[0]
    token = Auth(client).csrf()
    first = client.post(f"{detail}/reactie", data={"csrf_token": token, "body": "Aanvulling"})
    assert first.status_code == 303
    second = client.post(f"{detail}/reactie",
                         data={"csrf_token": token, "body": "Nog een aanvulling"})
    refused(second, 600, EN_MINUTES.format(n=10))
    assert "Nog een aanvulling</textarea>" in second.text
    assert text(second.text).count("Aanvulling") == 1  # the first is in the thread, once
    clock.advance(600)
    again = client.post(f"{detail}/reactie", data={"csrf_token": token, "body": "Weer een"})
    assert again.status_code == 303


# --- "did this answer help?" (per visitor) ----------------------------------------------------


def _answers(run: Runner) -> list[Answer]:
    async def load(session: AsyncSession) -> list[Answer]:
        return list(await session.scalars(select(Answer).order_by(Answer.id)))

    found: list[Answer] = run(load)
    return found


def _no_votes(run: Runner, answer_id: int) -> int:
    async def load(session: AsyncSession) -> int:
        answer = await session.get(Answer, answer_id)
        assert answer is not None
        return answer.no_count

    found: int = run(load)
    return found


def _events(run: Runner, answer_id: int) -> int:
    async def load(session: AsyncSession) -> int:
        found = await session.scalars(select(AnswerEvent.id).where(
            AnswerEvent.answer_id == answer_id))
        return len(found.all())

    counted: int = run(load)
    return counted


def test_one_vote_per_answer_per_visitor_and_a_few_in_all(
    limited: Limited, demo: None, run: Runner
) -> None:
    client, clock = limited(VOTES_PER_ANSWER="1/1d", VOTES="2/1h")
    first, second, third = _answers(run)[:3]
    token = Auth(client).csrf()
    before = _no_votes(run, first.id)

    def vote(answer: Answer, **headers: str) -> Any:
        return client.post(f"/antwoorden/{answer.slug}/feedback", headers=headers,
                           data={"csrf_token": token, "helpful": "nee", "comment": "Onduidelijk"})

    assert vote(first).status_code == 303
    again = vote(first, **{"HX-Request": "true"})  # htmx: the feedback block, with the error
    refused(again, 86400, "Probeer het over 24 uur opnieuw.")
    assert again.text.lstrip().startswith('<section id="feedback"')
    assert "Onduidelijk</textarea>" in again.text
    assert _no_votes(run, first.id) == before + 1
    assert vote(second).status_code == 303
    refused(vote(third), 3600, NL_MINUTES.format(n=60))  # 2 per hour in all
    clock.advance(3600)
    assert vote(third).status_code == 303
    assert vote(first).status_code == 429  # still the same day
    clock.advance(86400)
    assert vote(first).status_code == 303
    assert _no_votes(run, first.id) == before + 2


def test_htmx_swaps_the_422_and_429_fragments(client: TestClient) -> None:
    """htmx 2 swaps no 4xx answer by default: the config says which ones it swaps."""
    meta = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'', client.get("/").text)
    assert meta is not None
    assert '{"code": "422", "swap": true}' in meta[1]
    assert '{"code": "429", "swap": true}' in meta[1]


# --- search and login starts (per client address) ---------------------------------------------


def test_search_per_client_address(limited: Limited, demo: None) -> None:
    client, clock = limited(SEARCH="2/1m")
    assert client.get("/antwoorden", params={"q": "paspoort"}).status_code == 200
    assert client.get("/antwoorden", params={"q": "grofvuil"}).status_code == 200
    third = client.get("/antwoorden", params={"q": "parkeervergunning"})
    refused(third, 60, "Probeer het over 1 minuut opnieuw.")
    assert 'value="parkeervergunning"' in third.text  # what was typed stays in the box
    fragment = client.get("/antwoorden", params={"q": "parkeervergunning"},
                          headers={"HX-Request": "true"})
    refused(fragment, 60, "Probeer het over 1 minuut opnieuw.")
    assert fragment.text.lstrip().startswith('<section id="resultaten"')
    assert client.get("/antwoorden").status_code == 200  # the popular answers: no search
    clock.advance(60)
    assert client.get("/antwoorden", params={"q": "parkeervergunning"}).status_code == 200


def test_login_starts_per_client_address(limited: Limited) -> None:
    client, clock = limited(LOGINS="2/1m")
    for _ in range(2):
        assert client.get("/auth/citizen/login").status_code == 303
    third = client.get("/auth/citizen/login")
    refused(third, 60, "Probeer het over 1 minuut opnieuw.")
    assert "Even wachten" in third.text
    client.cookies.set("mijn_lang", "en")
    refused(client.get("/kcc/auth/login"), 60, "Please try again in 1 minute.")
    clock.advance(60)
    assert client.get("/auth/citizen/login").status_code == 303


# --- the API and the ZGW callback (failed token checks per client address) --------------------


def test_failed_api_tokens_then_429_even_for_a_valid_token(
    limited: Limited, run: Runner
) -> None:
    client, clock = limited(API_FAILURES="2/10m")

    async def make(session: AsyncSession) -> str:
        return (await create_api_client(session, "gemeente", "gemeente", ["dossiers"]))[1]

    token: str = run(make)

    def ping(secret: str) -> Any:
        return client.get("/api/v1/ping", headers={"Authorization": f"Bearer {secret}"})

    assert ping(token).status_code == 200  # a valid token counts nothing
    assert ping("mijn_wrong1").status_code == 401
    assert client.get("/api/v1/ping").status_code == 401  # no token at all: a failure too
    blocked = ping(token)
    assert blocked.status_code == 429
    assert blocked.headers["retry-after"] == "600"
    assert blocked.headers["content-type"] == "application/problem+json"
    assert blocked.json()["status"] == 429
    clock.advance(600)
    assert ping(token).status_code == 200


def test_the_api_document_lists_429_for_every_operation(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in ("get", "put", "post", "delete", "patch"):
                assert "429" in operation["responses"], (method, path)
                assert "Retry-After" in operation["responses"]["429"]["headers"]


def test_failed_zgw_notification_tokens_then_429(
    client_with: Callable[..., TestClient],
) -> None:
    client = client_with(
        MIJN_RATE_API_FAILURES="2/10m",
        MIJN_ZGW_NOTIFICATIONS_TOKEN="zgw-" + "k3y" * 12, MIJN_ZGW_ZAKEN_URL="http://z.test",
        MIJN_ZGW_CATALOGI_URL="http://c.test", MIJN_ZGW_CLIENT_ID="mijn", MIJN_ZGW_SECRET="s",
    )
    client.app.state.clock = Clock()  # type: ignore[attr-defined]
    url, wrong = "/api/v1/zgw/notificaties", {"Authorization": "Bearer wrong"}
    assert client.post(url, json={}, headers=wrong).status_code == 401
    assert client.post(url, json={}, headers=wrong).status_code == 401
    blocked = client.post(url, json={}, headers={"Authorization": "Bearer " + "zgw-" + "k3y" * 12})
    assert blocked.status_code == 429
    assert blocked.headers["retry-after"] == "600"


# --- verification e-mails (per party) ---------------------------------------------------------


def _verifications(run: Runner) -> int:
    async def count(session: AsyncSession) -> int:
        return len(list(await session.scalars(
            select(Notification).where(Notification.kind == "verify"))))

    found: int = run(count)
    return found


def test_verification_links_per_party_per_day(
    limited: Limited, demo: None, run: Runner
) -> None:
    client, clock = limited(VERIFY_EMAILS="2/1d")
    Auth(client).login("demo-sanne")

    def save(email: str) -> Any:
        fields = form_fields(client.get("/mijn/instellingen").text)
        return client.post("/mijn/instellingen", data={
            "csrf_token": fields["csrf_token"], "channel": "email", "email": email})

    assert save("een@example.org").status_code == 303
    assert save("twee@example.org").status_code == 303
    third = save("drie@example.org")
    refused(third, 86400, "Probeer het over 24 uur opnieuw.")
    assert 'value="drie@example.org"' in third.text
    assert _verifications(run) == 2
    clock.advance(86400)
    assert save("drie@example.org").status_code == 303
    assert _verifications(run) == 3


# --- the rules themselves ---------------------------------------------------------------------


def test_settings_name_the_wrong_rate_limit() -> None:
    assert load_settings({"MIJN_RATE_SEARCH": "10/30s, 100/1h"}).rate_limits["SEARCH"] == (
        (10, 30), (100, 3600))
    assert load_settings({"MIJN_RATE_LOGINS": "off"}).rate_limits["LOGINS"] == ()
    for wrong in ("veel", "0/1m", "5/0m", "5/1w", "5/1m,6/60s", "5/40d"):
        with pytest.raises(ConfigurationError, match="MIJN_RATE_QUESTIONS"):
            load_settings({"MIJN_RATE_QUESTIONS": wrong})


def test_counters_keep_no_personal_data_and_old_windows_go(
    limited: Limited, demo: None, run: Runner
) -> None:
    client, _ = limited()
    Auth(client).login("demo-sanne")
    assert _ask(client, "Een vraag").status_code == 303
    client.get("/antwoorden", params={"q": "paspoort"})

    async def rows(session: AsyncSession) -> list[RateCounter]:
        return list(await session.scalars(select(RateCounter)))

    found: list[RateCounter] = run(rows)
    assert {row.rule for row in found} >= {"questions:600", "questions:86400", "search:60"}
    for row in found:
        assert re.fullmatch(r"[0-9a-f]{64}", row.subject)  # an HMAC, not an id or address
        assert "testclient" not in row.subject

    async def prune_later(session: AsyncSession) -> int:
        return await service.prune(session, START + 2 * 86400)

    assert run(prune_later) == len(found)
    assert run(rows) == []


def test_a_rule_that_is_off_counts_nothing(run: Runner) -> None:
    async def hit(session: AsyncSession) -> service.Verdict:
        return await service.hit(session, [(Rule("SEARCH", ()), "x")], START)

    assert run(hit) == service.ALLOWED

    async def hit_twice(session: AsyncSession) -> list[service.Verdict]:
        rule = Rule("SEARCH", (Window(1, 60), Window(5, 3600)))
        return [await service.hit(session, [(rule, "y")], START + 30) for _ in range(2)]

    first, second = run(hit_twice)
    assert first.allowed and not second.allowed and second.retry_after == 30


# --- the cost per request ---------------------------------------------------------------------


def test_one_statement_per_limited_action_none_elsewhere(
    client: TestClient, auth: Auth, demo: None, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "PRUNE_EVERY", 10**9)  # (once in so many: one more, a DELETE)
    answer = _answers(run)[0]
    token = auth.csrf()

    def rate_statements(method: str, path: str, **kwargs: Any) -> int:
        with counting(client.app) as statements:  # type: ignore[arg-type]
            client.request(method, path, **kwargs)
        return sum("rate_counters" in statement for statement in statements)

    assert rate_statements("GET", "/antwoorden") == 0  # no search: the popular answers
    assert rate_statements("GET", f"/antwoorden/{answer.slug}") == 0
    assert rate_statements("GET", "/antwoorden", params={"q": "paspoort"}) == 1
    assert rate_statements("POST", f"/antwoorden/{answer.slug}/feedback",
                           data={"csrf_token": token, "helpful": "ja"}) == 1  # both rules
    assert rate_statements("GET", "/auth/citizen/login") == 1
    auth.login("demo-jan")
    assert rate_statements("GET", "/mijn/dossiers") == 0
    assert rate_statements("GET", "/mijn/vragen/nieuw") == 0


# --- the answer counters (per visitor) --------------------------------------------------------


def test_opened_answers_count_per_visitor_and_then_not_at_all(
    limited: Limited, demo: None, run: Runner
) -> None:
    """The opened counts rank the editors' list: a stranger cannot inflate them."""
    client, clock = limited(OPENED="2/1m")
    answer = _answers(run)[0]
    token = Auth(client).csrf()

    def opened() -> Any:
        return client.post("/antwoorden/geopend", data={
            "csrf_token": token, "answer": str(answer.id), "context": "ask"})

    before = _events(run, answer.id)
    assert [opened().status_code for _ in range(3)] == [204, 204, 429]
    assert _events(run, answer.id) == before + 4  # two opened, each also a view
    clock.advance(60)
    assert opened().status_code == 204


def test_suggestions_while_typing_per_party_keep_what_is_shown(
    limited: Limited, demo: None
) -> None:
    client, clock = limited(SUGGESTIONS="1/1m")
    Auth(client).login()
    form = form_fields(client.get("/mijn/vragen/nieuw").text)

    def suggest() -> Any:
        return client.post("/antwoorden/suggesties", headers={"HX-Request": "true"}, data={
            "csrf_token": form["csrf_token"], "submit_key": form["submit_key"],
            "body": "grofvuil ophalen"})

    assert suggest().status_code == 200
    again = suggest()
    assert again.status_code == 429 and again.headers["retry-after"] == "60"
    assert again.headers["hx-reswap"] == "none" and again.text == ""
    clock.advance(60)
    assert suggest().status_code == 200
