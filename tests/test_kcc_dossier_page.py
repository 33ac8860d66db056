"""The KCC's dossier page (/kcc/dossiers/{reference}) and the chrome of staff pages: the whole
timeline as the citizen reads it plus what only staff need (source system, raw status codes,
the questions about it), for staff who see every party only (404 otherwise, as an unknown
dossier), audited; the customer card with a masked identifier; no citizens' footer.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from conftest import Auth, Runner
from mijn.audit.models import AuditEvent
from mijn.dev.personas import CITIZENS
from mijn.dossiers.models import Dossier
from mijn.parties.models import Party
from mijn.questions.models import Question

JAN_BSN = CITIZENS[0].bsn
DORMER = "Z-2026-0001"  # Jan's permit: two statuses, two demo questions about it
HIGH = "Z-2026-0501"  # Fatima's special assistance: needs "hoog" at the portal


@dataclass(frozen=True)
class Facts:
    """The dossier's and its party's ids, the questions about it and the others."""

    dossier: int
    party: int
    questions: list[str]
    others: list[str]


async def _facts(session: AsyncSession) -> Facts:
    await session.execute(update(Dossier).where(Dossier.reference == DORMER).values(
        source="zaaksysteem", external_id="ZS-4711", zgw_url="https://zaken.example/zaken/4711"))
    await session.commit()
    dossier = await session.scalar(select(Dossier).where(Dossier.reference == DORMER))
    assert dossier is not None
    questions = list(await session.scalars(
        select(Question.reference).where(Question.dossier_id == dossier.id)))
    others = list(await session.scalars(
        select(Question.reference).where(Question.dossier_id != dossier.id)))
    return Facts(dossier.id, dossier.party_id, questions, others)


async def _audits(session: AsyncSession) -> list[tuple[str, str | None, int | None, int | None]]:
    rows = await session.scalars(
        select(AuditEvent).where(AuditEvent.action == "kcc.dossier.view").order_by(AuditEvent.id))
    return [(e.actor_id, e.actor_role, e.party_id, e.dossier_id) for e in rows]


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_an_agent_sees_the_timeline_and_the_internal_detail(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    facts: Facts = run(_facts)
    auth.login_staff("demo-agent")
    response = client.get(f"/kcc/dossiers/{DORMER}")
    assert response.status_code == 200
    text = _text(response.text)
    assert f"Dossier {DORMER}: Dakkapel aan de achterkant" in text
    # as the citizen reads it: the current status, its text, the whole timeline
    assert "In behandeling" in text and "Ontvangen" in text
    assert "Tijdlijn, zoals de klant die ziet" in text
    # and what only staff need
    assert "zaaksysteem" in text and "ZS-4711" in text and "https://zaken.example/zaken/4711" in text
    assert "statuscode in_behandeling" in text and "statuscode ontvangen" in text
    assert "Zaaktype omgevingsvergunning" in text
    for reference in facts.questions:
        assert f'href="/kcc/vragen/{reference}"' in response.text
    for reference in facts.others:
        assert reference not in response.text  # only the questions about this dossier
    # the customer card: the name, the BSN masked to its last four digits
    assert "Jan Jansen" in text
    assert JAN_BSN not in response.text
    assert f"*****</span><span class=\"mijn-visually-hidden\">eindigt op </span>{JAN_BSN[-4:]}" \
        in response.text
    assert "Sanne de Vries handelt namens deze klant (bewindvoerder)" in text


def test_only_staff_who_see_every_party_get_it_else_404(
    client: TestClient, auth: Auth, demo: None
) -> None:
    for persona in ("demo-agent", "demo-lead"):
        auth.login_staff(persona)
        assert client.get(f"/kcc/dossiers/{DORMER}").status_code == 200
        assert client.get(f"/kcc/dossiers/{HIGH}").status_code == 200  # staff: any level
        assert client.get("/kcc/dossiers/Z-0000-0000").status_code == 404
    for persona in ("demo-specialist", "demo-editor"):
        auth.login_staff(persona)
        response = client.get(f"/kcc/dossiers/{DORMER}")
        assert response.status_code == 404
        assert "Dakkapel" not in response.text


def test_every_view_is_audited_and_a_refused_one_is_not(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    facts: Facts = run(_facts)
    auth.login_staff("demo-specialist")
    client.get(f"/kcc/dossiers/{DORMER}")  # 404: not audited
    auth.login_staff("demo-agent")
    client.get("/kcc/dossiers/Z-0000-0000")  # unknown: nothing to audit
    assert client.get(f"/kcc/dossiers/{DORMER}").status_code == 200
    auth.login_staff("demo-lead")
    assert client.get(f"/kcc/dossiers/{DORMER}").status_code == 200
    roles = [(role, party, dossier) for _, role, party, dossier in run(_audits)]
    assert roles == [("agent", facts.party, facts.dossier)] * 2  # the lead is an agent too
    assert len({actor for actor, *_ in run(_audits)}) == 2


def test_the_workspace_and_the_party_page_link_to_the_dossier(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    facts: Facts = run(_facts)
    auth.login_staff("demo-agent")
    question = facts.questions[0]
    workspace = client.get(f"/kcc/vragen/{question}").text
    assert f'href="/kcc/dossiers/{DORMER}"' in workspace
    text = _text(workspace)
    assert "Over dossier: Dakkapel aan de achterkant" in text
    assert "Status van het dossier: In behandeling" in text
    # the customer card comes before the thread; the report form and history are folded
    assert workspace.index('id="klant-kop"') < workspace.index('id="gesprek-kop"')
    assert workspace.index('id="kennisbank-kop"') < workspace.index('id="signaal-kop"')
    assert re.search(r'<details class="mijn-details mijn-fold" id="signaal">', workspace)
    assert re.search(r'<details class="mijn-details mijn-fold" id="historie">', workspace)
    party_page = client.get(f"/kcc/klanten/{facts.party}").text
    assert f'href="/kcc/dossiers/{DORMER}"' in party_page


def test_staff_pages_carry_no_citizens_footer(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    footer = 'class="mijn-footer"'
    assert footer in client.get("/").text  # the citizens' pages do
    auth.login_staff("demo-agent")
    for path in ("/kcc", f"/kcc/dossiers/{DORMER}", "/kcc/kennisbank"):
        page = client.get(path)
        assert page.status_code == 200
        assert footer not in page.text
        assert "mijn-body--staff" in page.text


async def _no_contact_details(session: AsyncSession) -> int:
    await session.execute(update(Party).where(Party.identifier == JAN_BSN).values(
        phone=None, email=None))
    await session.commit()
    party_id = await session.scalar(select(Party.id).where(Party.identifier == JAN_BSN))
    assert party_id is not None
    return party_id


def test_the_card_says_what_is_not_known(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    party_id = run(_no_contact_details)
    auth.login_staff("demo-agent")
    text = _text(client.get(f"/kcc/klanten/{party_id}").text)
    assert "Telefoon niet bekend" in text and "E-mail niet bekend" in text


def test_beside_a_question_the_picture_shows_the_latest_ten_and_links_to_all(
    client: TestClient, auth: Auth, demo: None, run: Runner
) -> None:
    facts: Facts = run(_facts)
    auth.login_staff("demo-agent")
    workspace = client.get(f"/kcc/vragen/{facts.questions[0]}").text
    picture = workspace[workspace.index('id="beeld-dossiers"'):workspace.index('id="beeld-vragen"')]
    party = client.get(f"/kcc/klanten/{facts.party}").text
    everything = party[party.index('id="beeld-dossiers"'):party.index('id="beeld-vragen"')]
    total = everything.count("<li>")
    assert total > 10  # Jan has more dossiers than the workspace shows
    assert picture.count("<li>") == 10
    assert f"Alle {total} dossiers bekijken" in picture
    assert f'href="/kcc/klanten/{facts.party}"' in picture
    assert "dossiers bekijken" not in everything  # the party page has them all
