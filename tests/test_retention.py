"""Retention (README.md, "Operations: retention"): what is past its period goes (deleted, or
for the audit log anonymised), what is newer stays; a second run and a dry run change nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.testclient import TestClient

from conftest import Auth, Runner
from mijn import cli
from mijn.audit.models import AuditEvent
from mijn.db import Base, utcnow
from mijn.dossiers.models import Dossier, DossierType, StatusEvent, StatusType
from mijn.notifications.models import Notification, NotificationThrottle
from mijn.parties.models import Party
from mijn.questions.models import Contact, Question, QuestionEvent, QuestionMessage, Topic
from mijn.retention.service import due, recent_runs, run
from mijn.retentionperiods import RetentionPeriods
from mijn.sessions.models import WebSession

PERIODS = RetentionPeriods(dossiers=30, questions=30, contacts=30, notifications=30,
                           sessions=30, audit=30)
NOW = utcnow()
OLD, NEW = NOW - timedelta(days=40), NOW - timedelta(days=10)


def _dossier(party: Party, kind: DossierType, ref: str, closed: date | None) -> Dossier:
    return Dossier(reference=ref, kind="case", dossier_type_id=kind.id, title=ref,
                   party_id=party.id,
                   channel="web", opened_on=date(2020, 1, 1), closed_on=closed)


async def _world(session: AsyncSession) -> dict[str, Any]:
    """One party with an old and a new row of each kind (and rows that stay whatever their
    age: an open dossier, an open question, a notification still to be sent)."""
    party = Party(kind="person", identifier_type="bsn", identifier="111222333", name="Test")
    dossier_type = DossierType(code="retention-test", name_nl="Test")
    session.add_all([party, dossier_type])
    await session.flush()
    status = StatusType(dossier_type_id=dossier_type.id, code="klaar", position=1,
                        label_nl="Klaar", is_final=True)
    topic_id = await session.scalar(select(Topic.id).limit(1))
    old_dossier = _dossier(party, dossier_type, "OLD-1", OLD.date())
    session.add_all([status, old_dossier, _dossier(party, dossier_type, "NEW-1", NEW.date()),
                     _dossier(party, dossier_type, "OPEN-1", None)])
    await session.flush()
    session.add(StatusEvent(dossier_id=old_dossier.id, status_type_id=status.id, occurred_at=OLD))
    for ref, state, at in (("Q-OLD", "answered", OLD), ("Q-OPEN", "new", OLD),
                           ("Q-NEW", "closed", NEW)):
        question = Question(reference=ref, party_id=party.id, topic_id=topic_id, state=state,
                            created_at=at, updated_at=at, dossier_id=old_dossier.id)
        session.add(question)
        await session.flush()
        session.add_all([
            QuestionMessage(question_id=question.id, kind="citizen", body="Vraag",
                            author_type="party", created_at=at),
            QuestionEvent(question_id=question.id, action="ask", to_state="new",
                          actor_type="party", actor_id=party.id, at=at),
        ])
    for at in (OLD, OLD, NEW):
        session.add(Contact(party_id=party.id, channel="phone", summary="Gebeld", at=at))
    for at, state in ((OLD, "sent"), (OLD, "pending"), (NEW, "sent")):
        session.add(Notification(party_id=party.id, kind="status", bundle_key="dossier:1",
                                 created_at=at, email_state=state))
    for number, at in enumerate((OLD, NEW)):
        session.add(NotificationThrottle(party_id=party.id, bundle_key=f"dossier:{number}",
                                         last_sent_at=at))
        session.add(WebSession(token_hash=f"{number:064d}", audience="citizen",
                               party_id=party.id, created_at=at, last_seen_at=at, expires_at=at))
        session.add(AuditEvent(at=at, actor_type="party", actor_id=str(party.id),
                               action="dossier.view", party_id=party.id,
                               dossier_id=old_dossier.id, subject_hash="h" * 64))
    await session.commit()
    return {"party": party.id}


async def _snapshot(session: AsyncSession) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the runs' own log."""
    return {
        table.name: sorted(map(tuple, await session.execute(select(table))), key=repr)
        for table in Base.metadata.sorted_tables if table.name != "retention_runs"
    }


async def _references(session: AsyncSession, model: Any) -> list[str]:
    return sorted(await session.scalars(select(model.reference)))


def _run(client: TestClient, app: Starlette, batch: int) -> dict[str, int]:
    assert client.portal is not None

    async def work() -> dict[str, int]:
        async with app.state.sessionmaker() as session:
            plan = await due(session, PERIODS, NOW)
        return await run(app.state.sessionmaker, plan, NOW, batch)

    return client.portal.call(work)


def test_what_is_past_its_period_goes_and_newer_stays(
    client: TestClient, app: Starlette, run: Runner
) -> None:
    run(_world)
    counts = {item.kind: item.count for item in run(due, PERIODS, NOW)}
    assert counts == {"sessions": 1, "notifications": 2, "contacts": 2, "questions": 1,
                      "dossiers": 1, "audit": 1}

    assert _run(client, app, batch=1) == counts  # one row per transaction: batches

    assert run(_references, Dossier) == ["NEW-1", "OPEN-1"]
    assert run(_references, Question) == ["Q-NEW", "Q-OPEN"]

    async def rest(session: AsyncSession) -> dict[str, Any]:
        def query(sql: str) -> Any:
            return session.execute(text(sql))
        return {
            "messages": (await query("SELECT count(*) FROM question_messages")).scalar(),
            "events": (await query("SELECT count(*) FROM status_events")).scalar(),
            "contacts": (await query("SELECT count(*) FROM contacts")).scalar(),
            "mail": sorted((await query("SELECT email_state FROM notifications")).scalars()),
            "throttles": list((await query("SELECT bundle_key FROM notification_throttles"))
                              .scalars()),
            "sessions": (await query("SELECT count(*) FROM web_sessions")).scalar(),
            "audit": sorted(map(tuple, await query(
                "SELECT actor_id, party_id IS NULL, dossier_id IS NULL, subject_hash IS NULL, "
                "action FROM audit_events"))),
        }

    assert run(rest) == {
        "messages": 2, "events": 0, "contacts": 1, "mail": ["pending", "sent"], "sessions": 1,
        "throttles": ["dossier:1"],
        # The old audit row stays, naming nobody; the new one keeps who looked (its dossier
        # is gone: the foreign key set it to NULL).
        "audit": sorted([("-", True, True, True, "dossier.view"),
                         (str(run(lambda s: s.scalar(select(Party.id)))), False, True, False,
                          "dossier.view")]),
    }
    runs = run(recent_runs)
    assert {(r.kind, r.removed, r.days) for r in runs} == {(k, n, 30) for k, n in counts.items()}


def test_running_again_and_a_dry_run_change_nothing(
    client: TestClient, app: Starlette, run: Runner
) -> None:
    run(_world)
    before = run(_snapshot)
    assert sum(item.count for item in run(due, PERIODS, NOW)) == 8  # the dry run only counts
    assert run(_snapshot) == before

    _run(client, app, batch=500)
    after = run(_snapshot)
    assert after != before
    assert _run(client, app, batch=500) == dict.fromkeys(
        ["sessions", "notifications", "contacts", "questions", "dossiers", "audit"], 0)
    assert run(_snapshot) == after


def test_a_period_of_0_keeps_everything(client: TestClient, app: Starlette, run: Runner) -> None:
    run(_world)
    before = run(_snapshot)
    plan = run(due, RetentionPeriods(dossiers=0, questions=0, contacts=0, notifications=0,
                                     sessions=0, audit=0), NOW)
    assert [(item.cutoff, item.count) for item in plan] == [(None, 0)] * 6
    assert client.portal is not None
    assert client.portal.call(run_plan, app, plan) == {}
    assert run(_snapshot) == before


async def run_plan(app: Starlette, plan: Any) -> dict[str, int]:
    return await run(app.state.sessionmaker, plan, NOW, 100)


def test_the_command_counts_with_dry_run_and_removes_without(
    run: Runner, database_url: str, data_dir: Any, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run(_world)
    for key, value in {"MIJN_DATABASE_URL": database_url, "MIJN_DATA_DIR": str(data_dir),
                       "MIJN_ENV": "development", "MIJN_RETENTION_DOSSIERS_DAYS": "30",
                       "MIJN_RETENTION_CONTACTS_DAYS": "30"}.items():
        monkeypatch.setenv(key, value)
    assert cli.main(["retention", "run", "--dry-run"]) == 0
    err = capsys.readouterr().err
    assert "dossiers       30 days            1 to delete" in err
    assert "contacts       30 days            2 to delete" in err
    assert "Dry run: nothing was changed." in err
    assert run(_references, Dossier) == ["NEW-1", "OLD-1", "OPEN-1"]

    assert cli.main(["retention", "run"]) == 0
    err = capsys.readouterr().err
    assert "Retention [##############################]" in err
    assert "1 dossiers" in err and "2 contacts" in err
    assert run(_references, Dossier) == ["NEW-1", "OPEN-1"]


def _facts(page: str, kind: str) -> list[str]:
    """The facts (dd) of one kind's section, as text."""
    section = re.search(rf'aria-labelledby="bewaren-{kind}">(.*?)</section>', page, re.DOTALL)
    assert section, page
    return [re.sub(r"\s+", " ", fact).strip()
            for fact in re.findall(r"<dd>(.*?)</dd>", section.group(1), re.DOTALL)]


def test_team_leads_see_the_periods_what_is_due_and_what_went(
    client_with: Callable[..., TestClient], run: Runner, client: TestClient, app: Starlette,
) -> None:
    run(_world)
    lead = client_with(**{f"MIJN_RETENTION_{kind.upper()}_DAYS": "30" for kind in (
        "dossiers", "questions", "contacts", "notifications", "sessions")})
    Auth(lead).login_staff("demo-lead", next_url="/kcc/bewaartermijnen")
    page = lead.get("/kcc/bewaartermijnen").text
    assert _facts(page, "contacts") == ["30 dagen, dan verwijderen", "2", "Nog nooit", "0"]
    assert _facts(page, "audit")[:2] == ["730 dagen, dan anoniem maken", "0"]
    assert "Het commando mijn retention run is nog niet uitgevoerd." in page

    _run(client, app, batch=500)
    page = lead.get("/kcc/bewaartermijnen").text
    contacts = _facts(page, "contacts")
    assert contacts[1] == "0" and contacts[2].endswith(": 2 weggehaald") and contacts[3] == "2"
    assert "Het commando mijn retention run is nog niet uitgevoerd." not in page
    assert ": Contacten, ouder dan " in page and ": 2 weggehaald</li>" in page
