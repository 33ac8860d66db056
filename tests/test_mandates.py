"""Mandates: a person acts for another person or a company, within the mandate's scope
(dossier types; reading, or also asking) and validity. Out of scope, expired, revoked or
not yet valid answers exactly like an unknown dossier (404). Every action is recorded with
both identities; the switch is a POST with CSRF. Registered by a back-office through the
API (scope 'mandates'), or asserted by the login provider."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from conftest import Auth, Runner, form_fields
from mijn.audit.models import AuditEvent
from mijn.db import utcnow
from mijn.dev.personas import CITIZENS
from mijn.intake.service import create_api_client
from mijn.mandates.models import Mandate
from mijn.parties.models import Party
from mijn.questions.models import Question, QuestionEvent, QuestionMessage

JAN_DOSSIER, JAN_TITLE = "Z-2026-0001", "Dakkapel aan de achterkant"
BAKERY_GRANT, BAKERY_PERMIT = "Z-2026-0202", "Z-2026-0201"  # subsidie (in scope), not
FATIMA_DOSSIER = "Z-2026-0101"  # Sanne's mandate for Fatima expired yesterday
SANNE_BSN, JAN_BSN = CITIZENS[2].bsn, CITIZENS[0].bsn


def _mandate_ids(run: Runner) -> dict[str, int]:
    async def ids(session: AsyncSession) -> dict[str, int]:
        rows = await session.execute(select(Mandate.external_id, Mandate.id))
        return {key: mid for key, mid in rows.all()}

    result: dict[str, int] = run(ids)
    return result


def switch(client: TestClient, auth: Auth, choice: str | int) -> Any:
    return client.post("/mijn/namens", data={"csrf_token": auth.csrf(), "keuze": str(choice)})


def test_the_choice_lists_valid_mandates_only(client: TestClient, auth: Auth, demo: None) -> None:
    auth.login("demo-sanne")
    page = client.get("/mijn/namens")
    assert page.status_code == 200
    assert "Uzelf: Sanne de Vries" in page.text
    assert "Jan Jansen" in page.text and "Bakkerij De Korenschoof" in page.text
    assert "Fatima" not in page.text  # expired yesterday
    assert "Wisselen: voor wie handelt u?" in client.get("/mijn/dossiers").text


def test_someone_without_mandates_has_no_switch(client: TestClient, auth: Auth, demo: None) -> None:
    auth.login("demo-jan")
    assert client.get("/mijn/namens").status_code == 404
    assert "Wisselen" not in client.get("/mijn/dossiers").text


def test_switching_is_a_post_with_csrf(client: TestClient, auth: Auth, demo: None, run: Runner) -> None:
    auth.login("demo-sanne")
    jan = _mandate_ids(run)["demo-bewind"]
    assert client.get("/mijn/namens", params={"keuze": jan}).status_code == 200  # no switch
    assert client.get(f"/mijn/dossiers/{JAN_DOSSIER}").status_code == 404
    refused = client.post("/mijn/namens", data={"keuze": str(jan)})
    assert refused.status_code == 403
    assert client.get(f"/mijn/dossiers/{JAN_DOSSIER}").status_code == 404


@pytest.mark.parametrize("choice", ["demo-verlopen", "unknown", "someone-elses", "abc"])
def test_a_mandate_one_does_not_hold_today_cannot_be_chosen(
    client: TestClient, auth: Auth, demo: None, run: Runner, choice: str
) -> None:
    ids = _mandate_ids(run)
    choices: dict[str, str | int] = {"demo-verlopen": ids["demo-verlopen"], "unknown": 999999,
                                     "abc": "abc"}
    value = choices.get(choice, 0)
    if choice == "someone-elses":
        auth.login("demo-jan")  # Jan holds no mandate; Sanne's for Jan is not his
        value = ids["demo-bewind"]
    else:
        auth.login("demo-sanne")
    assert switch(client, auth, value).status_code == 404
    assert client.get(f"/mijn/dossiers/{FATIMA_DOSSIER}").status_code == 404


def test_acting_for_a_person_with_a_full_mandate(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    auth.login("demo-sanne")
    mid = _mandate_ids(run)["demo-bewind"]
    done = switch(client, auth, mid)
    assert done.status_code == 303 and done.headers["location"] == "/mijn/dossiers"
    overview = client.get("/mijn/dossiers").text
    assert "U handelt namens Jan Jansen" in overview and "bewindvoerder" in overview
    assert "Dossiers van Jan Jansen" in overview and JAN_TITLE in overview
    assert client.get(f"/mijn/dossiers/{JAN_DOSSIER}").status_code == 200
    assert client.get(f"/mijn/dossiers/{FATIMA_DOSSIER}").status_code == 404
    assert client.get(f"/mijn/dossiers/{BAKERY_GRANT}").status_code == 404
    # Back to herself: Jan's dossier is gone again.
    assert switch(client, auth, "zelf").status_code == 303
    assert client.get(f"/mijn/dossiers/{JAN_DOSSIER}").status_code == 404
    assert "Ingelogd als Sanne de Vries." in client.get("/mijn/dossiers").text


def test_a_read_only_mandate_for_some_types_of_a_company(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    auth.login("demo-sanne")
    switch(client, auth, _mandate_ids(run)["demo-bakkerij"])
    overview = client.get("/mijn/dossiers").text
    assert "U handelt namens Bakkerij De Korenschoof" in overview and "alleen inzien" in overview
    assert client.get(f"/mijn/dossiers/{BAKERY_GRANT}").status_code == 200
    for out_of_scope in (BAKERY_PERMIT, "M-2026-0203", JAN_DOSSIER):
        assert client.get(f"/mijn/dossiers/{out_of_scope}").status_code == 404
    detail = client.get(f"/mijn/dossiers/{BAKERY_GRANT}").text
    assert 'name="body"' not in detail and "alleen inzien" in detail
    # Reading only: no asking, not even by posting the form directly.
    refused = client.get("/mijn/vragen/nieuw")
    assert refused.status_code == 403  # says why and what to do next, not only "Dit lukt niet"
    assert "Dan mag u misschien alleen inzien" in refused.text and "wissel naar uzelf" in refused.text
    fields = {"csrf_token": auth.csrf(), "topic": "1", "body": "Mag dit?", "dossier": BAKERY_GRANT}
    assert client.post("/mijn/vragen", data=fields).status_code == 403
    assert "Stel een vraag" not in client.get("/mijn/vragen").text


@pytest.mark.parametrize("change", ["expired", "revoked", "not_yet_valid", "narrowed"])
def test_a_mandate_that_stops_holding_stops_at_once(
    client: TestClient, auth: Auth, demo: None, run: Runner, change: str
) -> None:
    auth.login("demo-sanne")
    mid = _mandate_ids(run)["demo-bewind"]
    switch(client, auth, mid)
    assert client.get(f"/mijn/dossiers/{JAN_DOSSIER}").status_code == 200
    today = date.today()
    changes: dict[str, dict[str, object]] = {
        "expired": {"valid_until": today - timedelta(days=1)},
        "revoked": {"revoked_at": utcnow()},
        "not_yet_valid": {"valid_from": today + timedelta(days=1)},
        "narrowed": {"dossier_types": "subsidie"},
    }
    values = changes[change]

    async def alter(session: AsyncSession) -> None:
        await session.execute(update(Mandate).where(Mandate.id == mid).values(**values))

    run(alter)
    assert client.get(f"/mijn/dossiers/{JAN_DOSSIER}").status_code == 404
    page = client.get("/mijn/dossiers").text
    if change == "narrowed":  # still acting for Jan, but only for his grants
        assert "U handelt namens Jan Jansen" in page and "Subsidie isolatie woning" in page
        assert client.get("/mijn/dossiers/Z-2026-0002").status_code == 200
    else:  # back to her own data
        assert "Ingelogd als Sanne de Vries." in page and JAN_TITLE not in page


def test_every_action_is_recorded_with_both_identities(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    auth.login("demo-sanne")
    mid = _mandate_ids(run)["demo-bewind"]
    switch(client, auth, mid)
    assert client.get(f"/mijn/dossiers/{JAN_DOSSIER}").status_code == 200
    fields = form_fields(client.get(f"/mijn/dossiers/{JAN_DOSSIER}").text)
    asked = client.post("/mijn/vragen", data={
        "csrf_token": fields["csrf_token"], "submit_key": fields["submit_key"],
        "suggestions_seen": "1",  # as after the suggested answers came while typing
        "topic": fields.get("topic", "") or _first_topic(client), "body": "Ik vraag dit voor Jan.",
        "dossier": JAN_DOSSIER,
    })
    assert asked.status_code == 303, asked.text
    reference = asked.headers["location"].split("?")[0].rsplit("/", 1)[1]
    page = client.get(f"/mijn/vragen/{reference}").text
    assert "Sanne de Vries schreef" in page

    async def recorded(session: AsyncSession) -> dict[str, Any]:
        parties = {p.identifier: p.id for p in await session.scalars(select(Party))}
        audit = (await session.execute(
            select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.actor_role,
                   AuditEvent.party_id, AuditEvent.mandate_id).order_by(AuditEvent.id))).all()
        question = await session.scalar(select(Question).where(Question.reference == reference))
        assert question is not None
        event = await session.scalar(
            select(QuestionEvent).where(QuestionEvent.question_id == question.id))
        message = await session.scalar(
            select(QuestionMessage).where(QuestionMessage.question_id == question.id))
        return {"parties": parties, "audit": audit, "question": question, "event": event,
                "message": message}

    found = run(recorded)
    sanne, jan = found["parties"][SANNE_BSN], found["parties"][JAN_BSN]
    assert ("mandate.switch", str(sanne), "representative", jan, mid) in found["audit"]
    assert ("dossier.view", str(sanne), "representative", jan, mid) in found["audit"]
    assert ("question.view", str(sanne), "representative", jan, mid) in found["audit"]
    question, event = found["question"], found["event"]
    assert question.party_id == jan and question.asked_by_name == "Sanne de Vries"
    assert (event.actor_type, event.actor_id, event.on_behalf_of_id, event.mandate_id) == (
        "representative", sanne, jan, mid)
    assert event.actor_ref == f"party:{sanne}"
    assert found["message"].author_name == "Sanne de Vries"


def _first_topic(client: TestClient) -> str:
    page: str = client.get("/mijn/vragen/nieuw").text
    return page.split('<option value="', 2)[2].split('"', 1)[0]


def test_the_represented_person_sees_who_asked(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    auth.login("demo-sanne")
    switch(client, auth, _mandate_ids(run)["demo-bewind"])
    fields = form_fields(client.get("/mijn/vragen/nieuw").text)
    asked = client.post("/mijn/vragen", data={
        "csrf_token": fields["csrf_token"], "submit_key": fields["submit_key"],
        "suggestions_seen": "1",  # as after the suggested answers came while typing
        "topic": _first_topic(client), "body": "Vraag van de bewindvoerder.", "dossier": "",
    })
    reference = asked.headers["location"].split("?")[0].rsplit("/", 1)[1]
    auth.logout()
    auth.login("demo-jan")
    listing = client.get("/mijn/vragen").text
    assert reference in listing and "Sanne de Vries" in listing


# --- the back-office API -------------------------------------------------------------------


@pytest.fixture
def api(client: TestClient, run: Runner) -> Callable[..., Any]:
    async def make(session: AsyncSession) -> dict[str, str]:
        tokens = {}
        for name, scopes in (("register", ["mandates"]), ("dossiers-only", ["dossiers"])):
            _client, tokens[name] = await create_api_client(session, name, "bewind", scopes)
        return tokens

    tokens = run(make)

    def call(method: str, path: str, who: str = "register", **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {tokens[who]}"} if who else {}
        return client.request(method, path, headers=headers, **kwargs)

    return call


MANDATE = {
    "representative": {"type": "bsn", "id": SANNE_BSN},
    "represented": {"type": "bsn", "id": JAN_BSN},
    "role": "parent", "dossier_types": ["melding_openbare_ruimte"], "can_ask": False,
    "valid_from": "2026-01-01", "valid_until": None,
}


def test_a_back_office_registers_reads_and_revokes_a_mandate(
    client: TestClient, auth: Auth, demo: None, api: Callable[..., Any]
) -> None:
    created = api("PUT", "/api/v1/mandates/bewind/m-1", json=MANDATE)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["active"] is True and body["dossier_types"] == ["melding_openbare_ruimte"]
    assert SANNE_BSN not in created.text and JAN_BSN not in created.text
    assert api("PUT", "/api/v1/mandates/bewind/m-1", json=MANDATE).status_code == 200
    assert api("GET", "/api/v1/mandates/bewind/m-1").json() == body

    auth.login("demo-sanne")
    page = client.get("/mijn/namens").text
    assert "ouder" in page and "U mag dossiers alleen inzien." in page

    assert api("DELETE", "/api/v1/mandates/bewind/m-1").status_code == 204
    assert api("GET", "/api/v1/mandates/bewind/m-1").json()["active"] is False
    assert "ouder" not in client.get("/mijn/namens").text
    assert api("DELETE", "/api/v1/mandates/bewind/nope").status_code == 404


@pytest.mark.parametrize(("change", "field"), [
    ({"role": "buurman"}, "role"),
    ({"dossier_types": ["bestaat_niet"]}, "dossier_types"),
    ({"valid_until": "2025-12-31"}, "valid_until"),
    ({"valid_from": "1 januari"}, "valid_from"),
    ({"represented": {"type": "bsn", "id": SANNE_BSN}}, "represented"),
    ({"representative": {"type": "kvk", "id": "69599084"}}, "representative.type"),
    ({"represented": {"type": "bsn", "id": "123456789"}}, "represented.id"),
    ({"extra": 1}, "extra"),
])
def test_invalid_mandates_are_refused_with_the_field(
    demo: None, api: Callable[..., Any], change: dict[str, Any], field: str
) -> None:
    response = api("PUT", "/api/v1/mandates/bewind/m-2", json={**MANDATE, **change})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]


def test_the_api_needs_the_mandates_scope_and_its_own_source(
    demo: None, api: Callable[..., Any]
) -> None:
    assert api("PUT", "/api/v1/mandates/bewind/m-3", who="", json=MANDATE).status_code == 401
    assert api("PUT", "/api/v1/mandates/bewind/m-3", who="dossiers-only",
               json=MANDATE).status_code == 403
    assert api("PUT", "/api/v1/mandates/ander/m-3", json=MANDATE).status_code == 403
    assert api("PUT", "/api/v1/mandates/claim/m-3", json=MANDATE).status_code == 403
    assert api("GET", "/api/v1/mandates/bewind/m-3").status_code == 404


def test_the_mandate_api_is_described(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    operations = document["paths"]["/api/v1/mandates/{source}/{external_id}"]
    assert set(operations) >= {"put", "get", "delete"}
    assert "MandateIn" in document["components"]["schemas"]


def test_a_representative_reads_the_partys_news_in_scope_without_taking_it(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    from test_business import _news

    run(_news, ("Z-2026-0201", "Z-2026-0202"))  # the bakery: a permit and a grant
    auth.login("demo-sanne")
    switch(client, auth, _mandate_ids(run)["demo-bakkerij"])  # grants only
    assert '<span class="mijn-badge">1<' in client.get("/mijn/dossiers").text
    inbox = client.get("/mijn/berichten").text
    assert "Subsidie zonnepanelen bedrijfspand" in inbox and "Uitbreiding bakkerij" not in inbox
    # Still new for the bakery itself: Sanne read it for them.
    auth.logout()
    auth.login("demo-karin", audience="business")
    assert '<span class="mijn-badge">2<' in client.get("/mijn/dossiers").text


def test_the_kcc_sees_who_acts_for_a_customer(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    async def party_ids(session: AsyncSession) -> dict[str, int]:
        rows = await session.execute(select(Party.identifier, Party.id))
        return {identifier: pid for identifier, pid in rows.all()}

    ids = run(party_ids)
    auth.login_staff("demo-agent")
    jan = client.get(f"/kcc/klanten/{ids[JAN_BSN]}").text
    assert "Sanne de Vries handelt namens deze klant (bewindvoerder)" in jan
    assert "alle dossiers · inzien en vragen stellen" in jan
    sanne = client.get(f"/kcc/klanten/{ids[SANNE_BSN]}").text
    assert "Deze klant handelt namens Jan Jansen (bewindvoerder)" in sanne
    assert "Deze klant handelt namens Bakkerij De Korenschoof (gemachtigde)" in sanne
    assert "alleen: subsidie · alleen inzien" in sanne
    assert "Fatima" not in sanne  # that mandate ended yesterday
    fatima = client.get(f"/kcc/klanten/{ids[CITIZENS[1].bsn]}").text
    assert "Geen machtigingen." in fatima


def test_a_representative_reads_the_partys_own_messages_as_theirs(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    auth.login("demo-sanne")
    switch(client, auth, _mandate_ids(run)["demo-bewind"])
    questions = client.get("/mijn/vragen").text
    reference = questions.split('href="/mijn/vragen/V-', 1)[1].split('"', 1)[0]
    page = client.get(f"/mijn/vragen/V-{reference}").text
    assert "Jan Jansen schreef" in page and "U schreef" not in page


def test_a_mandate_registration_does_not_rename_a_known_party(
    client: TestClient, auth: Auth, demo: None, run: Runner, api: Callable[..., Any]
) -> None:
    renamed = {**MANDATE, "represented": {"type": "bsn", "id": JAN_BSN, "name": "Mr. Nobody"}}
    assert api("PUT", "/api/v1/mandates/bewind/m-9", json=renamed).status_code == 201

    async def name(session: AsyncSession) -> str | None:
        return await session.scalar(select(Party.name).where(Party.identifier == JAN_BSN))

    jan: str | None = run(name)
    assert jan == "Jan Jansen"
    auth.login("demo-jan")  # his own login still names him as his provider does
    assert run(name) == "Jan Jansen"
