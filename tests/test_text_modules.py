"""Text modules (issue 15, item 5): team leads and editors keep short named texts per team on
/kcc/tekstblokken; a team's members find their team's modules beside the reply form, filled in
for the question ({naam}, {referentie}, {medewerker}) in data attributes the page's script
types for ::name, never in a URL."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient
from test_kcc_http import Ids, _ids, post

from conftest import Auth, Runner
from mijn.staff.models import TextModule
from mijn.staff.textmodules import fill

GREETING = "Beste {naam},\nU vroeg ons iets (vraag {referentie}).\nMet vriendelijke groet, {medewerker}"


@pytest.fixture
def ids(run: Runner, demo: None) -> Ids:
    """The demo data (demo-2 in the queue, demo-3 with team vergunningen)."""
    result: Ids = run(_ids)
    return result


async def _modules(session: AsyncSession) -> list[tuple[int | None, str, str]]:
    rows = await session.execute(select(TextModule.team_id, TextModule.name, TextModule.body)
                                 .order_by(TextModule.id))
    return [tuple(row) for row in rows]  # type: ignore[misc]


def modules(run: Runner) -> list[tuple[int | None, str, str]]:
    """Every text module as (team, name, text)."""
    found: list[tuple[int | None, str, str]] = run(_modules)
    return found


async def _module_id(session: AsyncSession, name: str) -> int:
    found = await session.scalar(select(func.min(TextModule.id)).where(TextModule.name == name))
    assert found is not None
    return int(found)


def offered(page: str) -> dict[str, str]:
    """The text modules a workspace offers, name -> filled text (as the script reads them)."""
    found = re.findall(r'data-module-name="([^"]*)" data-module-text="([^"]*)"', page)
    return {name: html.unescape(text) for name, text in found}


def test_fill_leaves_unknown_or_empty_placeholders_as_they_are() -> None:
    values = {"naam": "Jan Jansen", "referentie": "V-1", "medewerker": ""}
    assert fill("Beste {naam} ({referentie}), {medewerker} {bsn}", values) == (
        "Beste Jan Jansen (V-1), {medewerker} {bsn}")


def test_a_lead_adds_a_module_and_an_agent_types_it_filled_in(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    auth.login_staff("demo-lead")
    added = post(client, "/kcc/tekstblokken", {"team": "", "name": "Groet", "body": GREETING},
                 auth.csrf())
    assert added.status_code == 303 and added.headers["location"] == "/kcc/tekstblokken?toegevoegd=1"
    listed = client.get(added.headers["location"]).text
    assert "Het tekstblok is toegevoegd." in listed and "::groet" in listed
    assert modules(run) == [(None, "groet", GREETING)]

    auth.login_staff("demo-agent")
    page = client.get(f"/kcc/vragen/{ids.demo2}").text
    assert offered(page) == {"groet": "Beste Jan Jansen,\nU vroeg ons iets "
                             f"(vraag {ids.demo2}).\nMet vriendelijke groet, Anouk Bakker"}
    assert "Jan Jansen" not in added.headers["location"]


def test_a_teams_modules_are_for_its_members_only(
    client: TestClient, auth: Auth, ids: Ids
) -> None:
    auth.login_staff("demo-lead")
    token = auth.csrf()
    assert post(client, "/kcc/tekstblokken", {"team": str(ids.team), "name": "vergunning",
                                              "body": "Zie het omgevingsloket."},
                token).status_code == 303
    assert post(client, "/kcc/tekstblokken", {"name": "groet", "body": "Hallo {naam}"},
                token).status_code == 303
    auth.login_staff("demo-specialist")
    assert offered(client.get(f"/kcc/vragen/{ids.demo3}").text) == {
        "vergunning": "Zie het omgevingsloket."}
    auth.login_staff("demo-agent")
    assert offered(client.get(f"/kcc/vragen/{ids.demo2}").text) == {"groet": "Hallo Jan Jansen"}


@pytest.mark.parametrize(("form", "message"), [
    ({"name": "mijn groet", "body": "Hallo"}, "alleen kleine letters, cijfers en streepjes"),
    ({"name": "", "body": "Hallo"}, "Geef het tekstblok een naam."),
    ({"name": "groet", "body": "   "}, "Schrijf uw tekst in het tekstvak."),
    ({"name": "groet", "body": "x" * 2001}, "Deze tekst is te lang."),
    ({"name": "groet", "body": "Hallo", "team": "999999"}, "Kies een team uit de lijst."),
])
def test_a_wrong_module_is_refused_with_what_was_typed(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, form: dict[str, str], message: str
) -> None:
    auth.login_staff("demo-editor")
    refused = post(client, "/kcc/tekstblokken", form, auth.csrf())
    assert refused.status_code == 422 and message in refused.text
    assert 'aria-invalid="true"' in refused.text and refused.text.count('role="alert"') == 1
    if form["name"]:
        assert f'value="{form["name"]}"' in refused.text
    assert modules(run) == []


def test_one_name_per_team(client: TestClient, auth: Auth, ids: Ids, run: Runner) -> None:
    auth.login_staff("demo-lead")
    token = auth.csrf()
    first = {"team": "", "name": "groet", "body": "Hallo"}
    assert post(client, "/kcc/tekstblokken", first, token).status_code == 303
    twice = post(client, "/kcc/tekstblokken", {**first, "body": "Dag"}, token)
    assert twice.status_code == 409 and "Er is al een tekstblok met deze naam" in twice.text
    other_team = post(client, "/kcc/tekstblokken", {**first, "team": str(ids.team)}, token)
    assert other_team.status_code == 303
    assert modules(run) == [(None, "groet", "Hallo"), (ids.team, "groet", "Hallo")]


def test_change_and_remove_a_module(client: TestClient, auth: Auth, ids: Ids, run: Runner) -> None:
    auth.login_staff("demo-editor")
    token = auth.csrf()
    post(client, "/kcc/tekstblokken", {"name": "groet", "body": "Hallo"}, token)
    module_id = run(_module_id, "groet")
    form = client.get(f"/kcc/tekstblokken/{module_id}").text
    assert "Tekstblok bewerken" in form and ">Hallo</textarea>" in form
    saved = post(client, f"/kcc/tekstblokken/{module_id}",
                 {"team": "", "name": "groet", "body": "Goedemiddag {naam}"}, token)
    assert saved.headers["location"] == "/kcc/tekstblokken?opgeslagen=1"
    assert modules(run) == [(None, "groet", "Goedemiddag {naam}")]
    bad = post(client, f"/kcc/tekstblokken/{module_id}", {"name": "groet", "body": ""}, token)
    assert bad.status_code == 422 and modules(run) == [(None, "groet", "Goedemiddag {naam}")]
    gone = post(client, f"/kcc/tekstblokken/{module_id}/verwijderen", {}, token)
    assert gone.headers["location"] == "/kcc/tekstblokken?verwijderd=1"
    assert modules(run) == []
    assert client.get(f"/kcc/tekstblokken/{module_id}").status_code == 404
    again = post(client, f"/kcc/tekstblokken/{module_id}/verwijderen", {}, token)
    assert again.headers["location"] == "/kcc/tekstblokken?verwijderd=1"  # gone all the same


@pytest.mark.parametrize("persona", ["demo-agent", "demo-specialist"])
def test_only_leads_and_editors_keep_them(
    client: TestClient, auth: Auth, ids: Ids, run: Runner, persona: str
) -> None:
    auth.login_staff("demo-lead")
    post(client, "/kcc/tekstblokken", {"name": "groet", "body": "Hallo"}, auth.csrf())
    module_id = run(_module_id, "groet")
    auth.login_staff(persona)
    token = auth.csrf()
    assert client.get("/kcc/tekstblokken").status_code == 404
    assert client.get(f"/kcc/tekstblokken/{module_id}").status_code == 404
    assert post(client, "/kcc/tekstblokken", {"name": "x", "body": "y"}, token).status_code == 404
    assert post(client, f"/kcc/tekstblokken/{module_id}/verwijderen", {},
                token).status_code == 404
    assert post(client, "/kcc/tekstblokken", {"name": "x", "body": "y"}, None).status_code == 403
    assert modules(run) == [(None, "groet", "Hallo")]
    assert "Tekstblokken</a>" not in client.get("/kcc").text
