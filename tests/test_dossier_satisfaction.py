"""Satisfaction (KTO) after a dossier is closed, on SQLite and PostgreSQL: off by default;
when on, asked once on the closed dossier's page after the wait (a second answer changes
nothing; no score: the error, with the comment kept), never on an open one; the worker's one
e-mail link per dossier, with no personal data, that works once; the inbox line; and the
figures per dossier type, tied to the dossier, never to the person."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient
from test_kcc_http import post

from conftest import BASE_URL, Auth, Runner, make_settings
from mijn.db import utcnow
from mijn.dev.personas import CITIZENS
from mijn.dossiers.models import Dossier
from mijn.insight import satisfaction as kto
from mijn.insight.period import Period, month_start
from mijn.notifications.mail import compose_survey
from mijn.notifications.models import Notification
from mijn.parties.models import Party
from mijn.questions import dossier_satisfaction as dossier_kto
from mijn.questions.invitations import token_hash
from mijn.questions.models import DossierSatisfaction, DossierSatisfactionInvite
from mijn.settings import Settings

ASKED = "Hoe tevreden bent u over de afhandeling?"
# The scale each test asks with (MIJN_SATISFACTION_DOSSIER); a test not named: the default.
SCALES = {"test_asked_once_on_the_closed_dossiers_page": "five",
          "test_the_email_link_works_once_and_names_nobody": "two"}


@pytest.fixture
def settings(request: pytest.FixtureRequest, database_url: str, data_dir: Path) -> Settings:
    """The test settings, with satisfaction after a closed dossier as the test needs it."""
    scale = SCALES.get(request.node.originalname)
    return make_settings(database_url, data_dir,
                         **({"MIJN_SATISFACTION_DOSSIER": scale} if scale else {}))


async def _jan_dossiers(session: AsyncSession) -> list[Dossier]:
    jan = await session.scalar(select(Party.id).where(Party.identifier == CITIZENS[0].bsn))
    return list(await session.scalars(select(Dossier).where(Dossier.party_id == jan)
                                      .order_by(Dossier.id)))


async def _close(session: AsyncSession, reference: str, hours_ago: float | None) -> None:
    """Close (or, None: open) a dossier so many hours ago."""
    at = utcnow() - timedelta(hours=hours_ago or 0)
    await session.execute(update(Dossier).where(Dossier.reference == reference).values(
        closed_on=at.date() if hours_ago is not None else None,
        status_changed_at=at))


async def _responses(session: AsyncSession) -> list[tuple[Any, ...]]:
    rows = await session.execute(select(
        DossierSatisfaction.dossier_id, DossierSatisfaction.score, DossierSatisfaction.comment,
        DossierSatisfaction.via))
    return [tuple(r) for r in rows]


def _references(run: Runner) -> tuple[str, str, int]:
    dossiers = run(_jan_dossiers)
    assert len(dossiers) >= 2
    return dossiers[0].reference, dossiers[1].reference, dossiers[0].id


def test_off_by_default(client: TestClient, auth: Auth, run: Runner, demo: None) -> None:
    closed, _, _ = _references(run)
    run(_close, closed, 2)
    auth.login("demo-jan")
    assert ASKED not in client.get(f"/mijn/dossiers/{closed}").text
    sent = post(client, f"/mijn/dossiers/{closed}/mening", {"score": "4"}, auth.csrf())
    assert sent.status_code == 303 and run(_responses) == []


def test_asked_once_on_the_closed_dossiers_page(
    client: TestClient, run: Runner, demo: None
) -> None:
    closed, still_open, closed_id = _references(run)
    run(_close, closed, 2)
    run(_close, still_open, None)
    auth = Auth(client)
    auth.login("demo-jan")
    assert ASKED not in client.get(f"/mijn/dossiers/{still_open}").text
    run(_close, closed, 0)
    assert ASKED not in client.get(f"/mijn/dossiers/{closed}").text  # the wait: 60 minutes
    run(_close, closed, 2)
    assert ASKED in client.get(f"/mijn/dossiers/{closed}").text
    url = f"/mijn/dossiers/{closed}/mening"
    token = auth.csrf()
    assert client.post(url, data={"score": "4"}).status_code == 403  # no CSRF token
    missing = post(client, url, {"comment": "Het duurde lang"}, token)
    assert missing.status_code == 422 and 'role="alert"' in missing.text
    assert "Het duurde lang" in missing.text and run(_responses) == []
    assert post(client, url, {"score": "2", "comment": "Het duurde lang"}, token
                ).status_code == 303
    assert post(client, url, {"score": "5"}, token).status_code == 303  # nothing changes
    assert run(_responses) == [(closed_id, 2, "Het duurde lang", "portal")]
    page = client.get(f"/mijn/dossiers/{closed}").text
    assert "U vond de afhandeling: ontevreden." in page and ASKED not in page
    auth.login("demo-fatima")
    assert post(client, url, {"score": "5"}, auth.csrf()).status_code == 404


async def _verify_jan(session: AsyncSession) -> None:
    await session.execute(update(Party).where(Party.identifier == CITIZENS[0].bsn).values(
        email="jan@example.org", email_verified_at=utcnow(), notify_by_email=True))


async def _invite(session: AsyncSession, settings: Settings) -> int:
    return await dossier_kto.invite_due(session, settings)


async def _outbox(session: AsyncSession) -> list[Notification]:
    return list(await session.scalars(select(Notification).where(
        Notification.kind == "survey")))


async def _invites(session: AsyncSession) -> list[DossierSatisfactionInvite]:
    return list(await session.scalars(select(DossierSatisfactionInvite)))


def test_the_email_link_works_once_and_names_nobody(
    client: TestClient, run: Runner, demo: None, settings: Settings
) -> None:
    closed, _, closed_id = _references(run)
    run(_verify_jan)
    run(_close, closed, 0)
    assert run(_invite, settings) == 0  # closed just now: the wait
    run(_close, closed, 2)
    assert run(_invite, settings) == 1
    assert run(_invite, settings) == 0  # one link per dossier
    [note] = run(_outbox)
    assert note.dossier_id == closed_id and note.question_id is None
    link = re.fullmatch(re.escape(BASE_URL) + r"/tevredenheid/([A-Za-z0-9_-]+)", note.payload or "")
    assert link is not None
    raw = link.group(1)
    assert [i.token_hash for i in run(_invites)] == [token_hash(raw)]
    page = client.get(f"/tevredenheid/{raw}")
    assert page.status_code == 200 and "Bent u tevreden over de afhandeling?" in page.text
    assert closed not in page.text and "Jan" not in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    form = {"score": "5", "csrf_token": csrf.group(1)}
    done = client.post(f"/tevredenheid/{raw}", data=form)
    assert done.status_code == 200 and "Dank u wel voor uw mening" in done.text
    assert client.post(f"/tevredenheid/{raw}", data=form).status_code == 410
    assert client.get(f"/tevredenheid/{raw}").status_code == 410
    assert run(_responses) == [(closed_id, 5, "", "email")]
    Auth(client).login("demo-jan")
    inbox = client.get("/mijn/berichten").text
    assert "Wij horen graag wat u van de afhandeling vond:" in inbox


async def _give(session: AsyncSession, ids: list[int], scores: list[int]) -> None:
    for dossier_id, score in zip(ids, scores, strict=True):
        await dossier_kto.record(session, dossier_id, "five", score, "", "portal")
    await session.execute(update(DossierSatisfaction).where(
        DossierSatisfaction.dossier_id == ids[-1]).values(created_at=utcnow() - timedelta(400)))


def test_the_figures_per_dossier_type(client: TestClient, run: Runner, demo: None) -> None:
    dossiers = run(_jan_dossiers)
    by_type: dict[int, list[int]] = {}
    for d in dossiers:
        by_type.setdefault(d.dossier_type_id, []).append(d.id)
    ids = [d.id for d in dossiers[:3]]
    run(_give, ids, [5, 2, 4])  # the last one: given 400 days ago
    month = month_start(date.today())
    found = run(kto.closed_by_type, Period(month, 3))
    counted: dict[int, list[int]] = {}
    for d, score in zip(dossiers[:2], [5, 2], strict=True):
        counted.setdefault(d.dossier_type_id, []).append(score)
    assert {s.key: (s.responses, s.satisfied, s.five_sum) for s in found} == {
        t: (len(v), sum(1 for x in v if x >= 4), sum(v)) for t, v in counted.items()}


def test_the_dossier_email_asks_about_the_handling(settings: Settings) -> None:
    mail = compose_survey(settings, "nl", "jan@example.org", f"{BASE_URL}/tevredenheid/x",
                          "dossier")
    assert mail["Subject"] == "Wat vond u van onze afhandeling?"
    body = mail.get_body(("plain",))
    assert body is not None and "aanvraag of melding afgehandeld" in body.get_content()
