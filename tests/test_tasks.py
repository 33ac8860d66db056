"""Tasks ("Te doen"): the back-office API (create, idempotent, update with a version, cancel,
read, list, strict validation) and the portal (the overview's list, a dossier's tasks, doing
a form, confirm or link task once, with errors kept; representatives, read-only mandates,
branches, another party and the level of assurance)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient
from test_query_counts import counting

from conftest import Auth, Runner, form_fields
from mijn.access.scope import PartyScope
from mijn.dev.personas import BAKERY_BRANCH, BAKERY_KVK, CITIZENS
from mijn.dossiers.models import Dossier
from mijn.intake.service import create_api_client
from mijn.parties.models import Party
from mijn.tasks.doing import Completer, complete_task
from mijn.tasks.models import Task
from mijn.tasks.service import TaskInput, put_task

JAN, FATIMA = CITIZENS[0].bsn, CITIZENS[1].bsn
SOON = (date.today() + timedelta(days=10)).isoformat()
PAST = (date.today() - timedelta(days=2)).isoformat()
FIELDS: list[dict[str, Any]] = [
    {"name": "iban", "type": "text", "label_nl": "Uw rekeningnummer", "label_en": "Your IBAN",
     "max_length": 34},
    {"name": "verhuisd", "type": "date", "label_nl": "Verhuisdatum"},
    {"name": "soort", "type": "choice", "label_nl": "Soort woning", "options": [
        {"value": "huur", "label_nl": "Huur"}, {"value": "koop", "label_nl": "Koop"}]},
    {"name": "bedrag", "type": "amount", "label_nl": "Bedrag", "min": 1, "max": 5000},
    {"name": "opmerking", "type": "text", "label_nl": "Opmerking", "required": False},
]
FORM_TASK: dict[str, Any] = {"party": {"type": "bsn", "id": JAN}, "dossier": "d-1", "kind": "form",
             "title": "Geef uw rekeningnummer door", "deadline": SOON, "fields": FIELDS,
             "explanation": "Wij hebben uw rekeningnummer nodig om te betalen."}
DOSSIER = {"party": {"type": "bsn", "id": JAN}, "dossier_type": "subsidie",
           "title": "Subsidie dakisolatie", "channel": "web", "opened_on": "2026-03-01"}

Api = Callable[..., Any]


@pytest.fixture
def api(client: TestClient, run: Runner, demo: None) -> Api:
    async def make(session: AsyncSession) -> dict[str, str]:
        found = {}
        for name, source in (("gemeente", "gemeente"), ("provincie", "provincie")):
            _client, found[name] = await create_api_client(session, name, source, ["dossiers"])
        return found

    tokens: dict[str, str] = run(make)

    def call(method: str, path: str, who: str = "gemeente", **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {tokens[who]}"}
        return client.request(method, path, headers=headers, **kwargs)

    assert call("PUT", "/api/v1/dossiers/gemeente/d-1", json=DOSSIER).status_code == 201
    return call


def put(api: Api, external_id: str, body: dict[str, Any], who: str = "gemeente") -> Any:
    return api("PUT", f"/api/v1/tasks/gemeente/{external_id}", who, json=body)


def search(api: Api, **body: Any) -> list[dict[str, Any]]:
    response = api("POST", "/api/v1/tasks/search", json=body)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["tasks"]
    return found


# --- the API -----------------------------------------------------------------------------------


def test_api_create_is_idempotent_and_updates_by_version(api: Api) -> None:
    created = put(api, "t-1", FORM_TASK)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["status"], body["version"], body["dossier"]) == ("open", 1, "d-1")
    assert body["fields"][2]["options"][1]["value"] == "koop" and body["answers"] is None
    again = put(api, "t-1", FORM_TASK)
    assert again.status_code == 200 and again.json()["version"] == 1
    changed = put(api, "t-1", {**FORM_TASK, "title": "Nieuwe titel", "version": 1})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = put(api, "t-1", {**FORM_TASK, "title": "Over een wijziging heen", "version": 1})
    assert stale.status_code == 409 and stale.json()["errors"][0]["field"] == "version"
    other_party = put(api, "t-1", {**FORM_TASK, "party": {"type": "bsn", "id": FATIMA},
                                   "dossier": None})
    assert other_party.status_code in (409, 422)
    assert api("GET", "/api/v1/tasks/gemeente/t-1").json()["title"] == "Nieuwe titel"


INVALID: list[tuple[dict[str, Any], str]] = [
    ({"fields": None}, "fields"),  # null is not a list
    ({"kind": "confirm"}, "fields"),  # only a form has fields
    ({"kind": "link"}, "url"),
    ({"url": "javascript:alert(1)"}, "url"),
    ({"deadline": "2026-02-30"}, "deadline"),
    ({"dossier": "unknown"}, "dossier"),
    ({"fields": [FIELDS[0], FIELDS[0]]}, "fields"),
    ({"fields": [{**FIELDS[2], "options": FIELDS[2]["options"][:1]}]}, "fields.0.options"),
    ({"fields": [{**FIELDS[0], "options": FIELDS[2]["options"]}]}, "fields.0.options"),
    ({"fields": [{**FIELDS[3], "min": 10, "max": 5}]}, "fields.0.min"),
    ({"fields": [{**FIELDS[0], "type": "file"}]}, "fields.0.type"),
    ({"party": {"type": "bsn", "id": "123456789"}}, "party.id"),
    ({"party": {"type": "bsn", "id": JAN, "branch": BAKERY_BRANCH}}, "party.branch"),
    ({"surprise": 1}, "surprise"),
]


def test_api_refuses_invalid_tasks(api: Api) -> None:
    for change, field in INVALID:
        response = put(api, "t-bad", {**FORM_TASK, **change})
        assert response.status_code == 422, (change, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert field in [error["field"] for error in response.json()["errors"]], change
    assert api("GET", "/api/v1/tasks/gemeente/t-bad").status_code == 404


def test_api_dossier_of_another_party_and_other_sources(api: Api) -> None:
    wrong = put(api, "t-2", {**FORM_TASK, "party": {"type": "bsn", "id": FATIMA}})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "dossier"
    assert put(api, "t-2", FORM_TASK, who="provincie").status_code == 403
    assert put(api, "t-2", FORM_TASK).status_code == 201
    assert api("GET", "/api/v1/tasks/gemeente/t-2", "provincie").status_code == 403
    assert api("POST", "/api/v1/tasks/search", "provincie", json={}).json() == {"tasks": []}


def test_api_lists_by_party_dossier_and_status_and_cancels(api: Api) -> None:
    confirm = {**FORM_TASK, "kind": "confirm", "fields": None, "dossier": None}
    del confirm["fields"], confirm["dossier"]
    assert put(api, "t-3", FORM_TASK).status_code == 201
    assert put(api, "t-4", {**confirm, "deadline": PAST}).status_code == 201
    listed = search(api, party={"type": "bsn", "id": JAN})
    assert [t["external_id"] for t in listed] == ["t-4", "t-3"]  # nearest deadline first
    assert listed[0]["overdue"] is True and listed[1]["overdue"] is False
    by_dossier = search(api, dossier="d-1")
    assert [t["external_id"] for t in by_dossier] == ["t-3"]
    assert api("DELETE", "/api/v1/tasks/gemeente/t-4").status_code == 204
    assert api("DELETE", "/api/v1/tasks/gemeente/t-4").status_code == 204  # idempotent
    assert api("DELETE", "/api/v1/tasks/gemeente/nope").status_code == 404
    open_ = search(api, status="open")
    assert [t["external_id"] for t in open_] == ["t-3"]
    assert put(api, "t-4", {**confirm, "title": "Nog eens"}).status_code == 409  # cancelled
    for bad in ({"status": "klaar"}, {"party": {"type": "bsn"}}, {"party": {"type": "x", "id": "1"}},
                {"zoek": 1}, {"party": {"type": "bsn", "id": "123"}}):
        assert api("POST", "/api/v1/tasks/search", json=bad).status_code == 422, bad
    assert search(api, party={"type": "bsn", "id": FATIMA}) == []
    assert search(api, dossier="no-such-dossier") == []


def test_api_lists_many_tasks_in_as_many_statements_as_few(
    api: Api, client: TestClient
) -> None:
    """The list reads the upload tasks' files and the tasks' dossiers in one statement each,
    not per task: six tasks cost what two cost, and each still names its dossier and files."""
    upload = {**{k: v for k, v in FORM_TASK.items() if k != "fields"}, "kind": "upload"}

    def listed() -> tuple[int, list[dict[str, Any]]]:
        with counting(client.app) as statements:  # type: ignore[arg-type]
            found = search(api, party={"type": "bsn", "id": JAN})
        return len(statements), found

    for n in range(2):
        assert put(api, f"t-many-{n}", upload).status_code == 201
    few, tasks = listed()
    assert len(tasks) == 2
    for n in range(2, 6):
        kind = {**upload, "kind": "confirm"} if n % 2 else upload
        assert put(api, f"t-many-{n}", kind).status_code == 201
    many, tasks = listed()
    assert len(tasks) == 6 and many == few
    assert {t["dossier"] for t in tasks} == {"d-1"}
    assert [t["files"] for t in tasks if t["kind"] == "upload"] == [[], [], [], []]
    assert [t["files"] for t in tasks if t["kind"] == "confirm"] == [None, None]


def test_openapi_describes_the_task_operations(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    assert {"put", "get", "delete"} <= set(document["paths"]["/api/v1/tasks/{source}/{external_id}"])
    assert "TaskIn" in document["components"]["schemas"]


# --- the portal --------------------------------------------------------------------------------


def _task_id(run: Runner, external_id: str) -> int:
    async def find(session: AsyncSession) -> int:
        found = await session.scalar(select(Task.id).where(Task.external_id == external_id))
        assert found is not None
        return found
    result: int = run(find)
    return result


def _stored(run: Runner, external_id: str) -> Task:
    async def find(session: AsyncSession) -> Task:
        found = await session.scalar(select(Task).where(Task.external_id == external_id))
        assert found is not None
        return found
    result: Task = run(find)
    return result


def test_a_citizen_fills_in_a_form_task_once(
    api: Api, client: TestClient, auth: Auth, run: Runner
) -> None:
    assert put(api, "t-form", FORM_TASK).status_code == 201
    assert put(api, "t-late", {**FORM_TASK, "title": "Te laat ingevuld", "deadline": PAST,
                               "dossier": None}).status_code == 201
    auth.login("demo-jan")
    overview = client.get("/mijn/dossiers").text
    assert "Te doen" in overview and overview.index("Te laat ingevuld") < overview.index(
        "Geef uw rekeningnummer door")  # nearest deadline first
    assert "Te laat</span>" in overview
    assert re.search(r'Mijn dossiers <span class="mijn-badge">2<', overview)
    task_id = _task_id(run, "t-form")
    path = f"/mijn/taken/{task_id}"
    dossier_page = client.get("/mijn/dossiers/" + re.findall(
        r'href="/mijn/dossiers/([^"]+)">Subsidie dakisolatie', overview)[0]).text
    assert f'href="{path}"' in dossier_page  # with the menu's count, as the unread count
    assert re.search(r'Mijn dossiers <span class="mijn-badge">2<', dossier_page)
    page = client.get(path)
    assert page.status_code == 200 and "Wij hebben uw rekeningnummer nodig" in page.text
    fields = form_fields(page.text)
    wrong = client.post(path, data={**fields, "veld-iban": "NL91ABNA0417164300",
                                    "veld-verhuisd": "31-02-2026", "veld-soort": "villa",
                                    "veld-bedrag": "10.000,00"})
    assert wrong.status_code == 422
    assert 'id="fouten" tabindex="-1"' in wrong.text and 'href="#veld-verhuisd"' in wrong.text
    assert 'value="NL91ABNA0417164300"' in wrong.text  # kept
    assert "Vul een geldige datum in" in wrong.text and "Kies een van de mogelijkheden" in wrong.text
    assert "Dit bedrag is te hoog" in wrong.text
    assert _stored(run, "t-form").status == "open"
    good = {**fields, "veld-iban": "NL91ABNA0417164300", "veld-verhuisd": "1-3-2026",
            "veld-soort": "koop", "veld-bedrag": "€ 1.234,5"}
    forged = {key: value for key, value in good.items() if key != "csrf_token"}
    assert client.post(path, data=forged).status_code == 403  # no CSRF token: refused
    assert _stored(run, "t-form").status == "open"
    assert client.post(path, data=good).status_code == 303
    done = client.get(path).text
    assert re.search(r'Mijn dossiers <span class="mijn-badge">1<', done)
    assert "Gedaan op" in done and "2026-03-01" in done and "1234.50" in done
    first = _stored(run, "t-form")
    assert client.post(path, data=good).status_code == 303  # a double click, a second tab
    assert _stored(run, "t-form").completed_at == first.completed_at
    read = api("GET", "/api/v1/tasks/gemeente/t-form").json()
    assert read["status"] == "done" and read["version"] == 2
    assert read["answers"] == {"iban": "NL91ABNA0417164300", "verhuisd": "2026-03-01",
                               "soort": "koop", "bedrag": "1234.50"}
    assert read["completed_by"]["type"] == "party" and read["completed_at"]
    assert put(api, "t-form", {**FORM_TASK, "title": "Later"}).status_code == 409
    assert api("DELETE", "/api/v1/tasks/gemeente/t-form").status_code == 409


def test_a_changed_task_asks_to_read_it_again(
    api: Api, client: TestClient, auth: Auth, run: Runner
) -> None:
    assert put(api, "t-stale", FORM_TASK).status_code == 201
    auth.login("demo-jan")
    path = f"/mijn/taken/{_task_id(run, 't-stale')}"
    fields = form_fields(client.get(path).text)
    assert put(api, "t-stale", {**FORM_TASK, "deadline": PAST}).status_code == 200
    stale = client.post(path, data={**fields, "veld-iban": "NL02", "veld-verhuisd": "2026-03-01",
                                    "veld-soort": "huur", "veld-bedrag": "5"})
    assert stale.status_code == 409 and "intussen gewijzigd" in stale.text
    assert 'value="NL02"' in stale.text and _stored(run, "t-stale").status == "open"


def test_confirm_link_and_upload_tasks(
    api: Api, client: TestClient, auth: Auth, run: Runner
) -> None:
    base = {k: v for k, v in FORM_TASK.items() if k != "fields"}
    assert put(api, "t-confirm", {**base, "kind": "confirm"}).status_code == 201
    assert put(api, "t-link", {**base, "kind": "link",
                               "url": "https://betalen.example.nl/leges/123"}).status_code == 201
    assert put(api, "t-up", {**base, "kind": "upload"}).status_code == 201
    auth.login("demo-jan")
    for external_id, button in (("t-confirm", "Ik bevestig dit"),
                                ("t-link", "Ik heb dit gedaan")):
        path = f"/mijn/taken/{_task_id(run, external_id)}"
        page = client.get(path).text
        assert button in page
        if external_id == "t-link":  # a plain link to the other website
            assert 'href="https://betalen.example.nl/leges/123" rel="noopener noreferrer"' in page
        assert client.post(path, data=form_fields(page)).status_code == 303
        assert api("GET", f"/api/v1/tasks/gemeente/{external_id}").json()["status"] == "done"
    link_page = client.get(f"/mijn/taken/{_task_id(run, 't-link')}").text
    assert 'href="https://betalen.example.nl/leges/123"' not in link_page  # done: no link
    path = f"/mijn/taken/{_task_id(run, 't-up')}"
    page = client.get(path).text  # done with its files (tests/test_task_uploads.py)
    assert "Een document sturen" in page and 'name="bestanden" multiple' in page
    assert client.post(path, data={"csrf_token": auth.csrf(), "version": "1"}).status_code == 422
    assert _stored(run, "t-up").status == "open"


async def _bakery_tasks(session: AsyncSession) -> dict[str, int]:
    """Tasks of the bakery: of the whole company, of the branch and on the grant dossier;
    and one of Fatima's on her dossier that needs 'hoog'."""
    parties = {p.identifier: p.id for p in await session.scalars(select(Party))}
    dossiers = {d.reference: d for d in await session.scalars(select(Dossier))}
    found = {}
    for key, party, branch, dossier in (
        ("company", BAKERY_KVK, None, None), ("branch", BAKERY_KVK, BAKERY_BRANCH, None),
        ("grant", BAKERY_KVK, None, "Z-2026-0202"), ("high", FATIMA, None, "Z-2026-0501"),
    ):
        task = Task(source="gemeente", external_id=f"b-{key}", party_id=parties[party],
                    branch=branch, dossier_id=dossiers[dossier].id if dossier else None,
                    kind="confirm", title=f"Taak {key}", explanation="", status="open",
                    deadline=date.today() + timedelta(days=3), version=1, push_attempts=0,
                    push_error="")
        session.add(task)
        await session.flush()
        found[key] = task.id
    return found


def test_representatives_branches_and_the_level_of_assurance(
    api: Api, client: TestClient, auth: Auth, run: Runner
) -> None:
    tasks: dict[str, int] = run(_bakery_tasks)
    confirm = {**{k: v for k, v in FORM_TASK.items() if k != "fields"}, "kind": "confirm"}
    assert put(api, "t-jan", confirm).status_code == 201
    jan_path = f"/mijn/taken/{_task_id(run, 't-jan')}"
    auth.login("demo-ahmed", audience="business")  # the branch only
    assert client.get(f"/mijn/taken/{tasks['branch']}").status_code == 200
    assert client.get(f"/mijn/taken/{tasks['company']}").status_code == 404
    assert client.get(jan_path).status_code == 404  # another party's
    overview = client.get("/mijn/dossiers").text
    assert "Taak branch" in overview and "Taak company" not in overview
    auth.logout()
    auth.login("demo-sanne")
    choices = dict((name, value) for value, name in re.findall(
        r'value="(\d+)"[^>]*>\s*(?:<[^>]+>\s*)*([^<]*?)\s*<', client.get("/mijn/namens").text))
    bakery = next(v for k, v in choices.items() if "Korenschoof" in k)
    assert client.post("/mijn/namens", data={"csrf_token": auth.csrf(), "keuze": bakery}
                       ).status_code == 303
    grant = f"/mijn/taken/{tasks['grant']}"
    page = client.get(grant)
    assert page.status_code == 200 and "mag deze taak bekijken, maar niet doen" in page.text
    # the menu counts the bakery's open tasks within the mandate (the grant's), not none
    assert re.search(r'Mijn dossiers <span class="mijn-badge">1<', page.text)
    assert client.get(f"/mijn/taken/{tasks['company']}").status_code == 404  # no dossier
    assert client.post(grant, data={"csrf_token": auth.csrf(), "version": "1"}).status_code == 403
    jan = next(v for k, v in choices.items() if "Jan" in k)
    assert client.post("/mijn/namens", data={"csrf_token": auth.csrf(), "keuze": jan}
                       ).status_code == 303
    jan_page = client.get(jan_path).text
    assert re.search(r'Mijn dossiers <span class="mijn-badge">1<', jan_page)  # Jan's one
    for path in ("/mijn/dossiers", "/mijn/dossiers/Z-2026-0001"):  # read with the page
        assert re.search(r'Mijn dossiers <span class="mijn-badge">1<', client.get(path).text)
    assert client.post(jan_path, data=form_fields(jan_page)).status_code == 303
    done = client.get("/mijn/dossiers/Z-2026-0001").text
    assert "Mijn dossiers <span class=\"mijn-badge\">" not in done and "Mijn dossiers" in done
    by = api("GET", "/api/v1/tasks/gemeente/t-jan").json()["completed_by"]
    assert by == {"type": "representative", "name": "Sanne de Vries"}
    auth.logout()
    auth.login("demo-fatima")  # substantieel: her 'hoog' dossier's task asks to log in again
    high = f"/mijn/taken/{tasks['high']}"
    assert "Opnieuw inloggen met niveau" in client.get(high).text
    assert "Opnieuw inloggen met niveau" in client.post(
        high, data={"csrf_token": auth.csrf(), "version": "1"}).text
    assert _stored(run, "b-high").status == "open"


# --- at the same moment (PostgreSQL: SQLite serves one writer at a time) ---------------------


def test_the_same_task_at_the_same_moment_is_made_and_done_once(
    client: TestClient, app: Any, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serves one writer at a time")
    data = TaskInput("gemeente", "t-race", ("bsn", JAN), "confirm", "Tegelijk", date(2027, 1, 1))

    async def register(pause: float) -> bool:
        async with app.state.sessionmaker() as session:
            _task, created = await put_task(session, data)
            await asyncio.sleep(pause)  # the other request comes in meanwhile
            await session.commit()
            return created

    async def complete(task_id: int, party_id: int, pause: float) -> bool:
        async with app.state.sessionmaker() as session:
            done = await complete_task(session, task_id, PartyScope(party_id), 1,
                                       Completer("party", str(party_id), "Jan"))
            await asyncio.sleep(pause)
            await session.commit()
            return done

    async def both() -> tuple[list[bool], list[bool], int]:
        made = await asyncio.gather(register(0.3), register(0.0))
        async with app.state.sessionmaker() as session:
            task = await session.scalar(select(Task).where(Task.external_id == "t-race"))
            assert task is not None
            ids = task.id, task.party_id
        done = await asyncio.gather(complete(*ids, 0.3), complete(*ids, 0.0))
        async with app.state.sessionmaker() as session:
            rows = await session.scalar(select(func.count()).select_from(Task))
        return list(made), list(done), int(rows or 0)

    assert client.portal is not None
    made, done, rows = client.portal.call(both)
    assert sorted(made) == [False, True] and sorted(done) == [False, True] and rows == 1


def test_the_demo_has_a_task_of_each_kind_to_do(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    """`mijn demo` shows "Te doen" (Fatima: a form and an overdue link; the bakery: a
    confirmation), and running it again adds no task twice."""
    from mijn.dev.demo import seed_demo

    auth.login("demo-fatima")
    overview = client.get("/mijn/dossiers").text
    assert "Te doen" in overview
    assert "Geef de kosten van het buurtfeest door" in overview
    assert "Betaal uw parkeervergunning" in overview
    auth.login("demo-karin", audience="business")
    assert "Bevestig dat het terras om 22.00 uur dicht is" in client.get("/mijn/dossiers").text

    async def again(session: AsyncSession) -> int:
        await seed_demo(session)
        return len((await session.scalars(select(Task.id).where(Task.source == "demo"))).all())

    assert run(again) == 3
