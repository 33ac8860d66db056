"""The files a party sent for an upload task, at the KCC: the customer's page lists the party's
recently done upload tasks with their files ("I sent it last week"), in Dutch and English;
staff who see every party download them (attachment, no-store, audited); another party's
task or another task's file is a 404, and so is the route for staff who do not see every
party (tests/test_authorisation_matrix.py holds every role)."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient
from test_task_uploads import PDF, UPLOAD, _fields, _files
from test_tasks import Api, _task_id, api, put  # noqa: F401 (api: a fixture)

from conftest import Auth, Runner
from mijn.audit.models import AuditEvent
from mijn.parties.models import Party
from mijn.tasks.models import Task


def _parties(run: Runner, external_id: str) -> tuple[int, int]:
    """The task's party, and another party."""
    async def read(session: AsyncSession) -> tuple[int, int]:
        owner = await session.scalar(select(Task.party_id).where(Task.external_id == external_id))
        other = await session.scalar(select(Party.id).where(Party.id != owner).limit(1))
        assert owner is not None and other is not None
        return owner, other

    found: tuple[int, int] = run(read)
    return found


async def _downloads(session: AsyncSession) -> list[tuple[str, str, int | None]]:
    rows = await session.execute(select(AuditEvent.actor_type, AuditEvent.actor_role,
                                        AuditEvent.party_id)
                                 .where(AuditEvent.action == "kcc.task_file.download"))
    return [(row.actor_type, row.actor_role, row.party_id) for row in rows]


def test_the_agent_sees_and_opens_what_the_citizen_sent_for_a_task(
    api: Api, client: TestClient, auth: Auth, run: Runner,  # noqa: F811
) -> None:
    assert put(api, "t-kcc", UPLOAD).status_code == 201
    task_id = _task_id(run, "t-kcc")
    auth.login("demo-jan")
    path = f"/mijn/taken/{task_id}"
    sent = client.post(path, data=_fields(client.get(path).text),
                       files=_files(("loonstrook mei.pdf", PDF)))
    assert sent.status_code == 303
    auth.logout()
    jan, other = _parties(run, "t-kcc")

    auth.login_staff("demo-agent")
    page = client.get(f"/kcc/klanten/{jan}").text
    assert "Onlangs gestuurd voor een taak" in page and "Stuur uw loonstroken" in page
    links = re.findall(rf'href="(/kcc/klanten/{jan}/taken/{task_id}/bestanden/\d+)">'
                       r"loonstrook mei\.pdf</a>", page)
    assert len(links) == 1
    assert run(_downloads) == []  # listing is not opening
    pdf = client.get(links[0])
    assert pdf.status_code == 200 and pdf.content == PDF
    assert pdf.headers["content-disposition"].startswith("attachment;")
    assert pdf.headers["cache-control"] == "no-store"
    assert run(_downloads) == [("staff", "agent", jan)]
    file_id = links[0].rsplit("/", 1)[1]
    assert client.get(f"/kcc/klanten/{other}/taken/{task_id}/bestanden/{file_id}"
                      ).status_code == 404  # not that party's task
    assert client.get(f"/kcc/klanten/{jan}/taken/{task_id}/bestanden/{int(file_id) + 1000}"
                      ).status_code == 404
    assert client.get(f"/kcc/klanten/{jan}/taken/{task_id}/bestanden/9x").status_code == 404
    assert client.get(f"/kcc/klanten/{jan}/taken/{task_id}/bestanden/%00"
                      ).status_code == 400  # a NUL byte: refused at the boundary
    assert len(run(_downloads)) == 1  # a refused download is not logged as an opening
    assert "Onlangs gestuurd" not in client.get(f"/kcc/klanten/{other}").text

    client.post("/taal", data={"lang": "en", "next": "/", "csrf_token": auth.csrf()})
    english = client.get(f"/kcc/klanten/{jan}").text
    assert "Recently sent for a task" in english and "done on " in english
    assert '<span lang="nl">Stuur uw loonstroken</span>' in english
