"""Where our information falls short (issue 20, item 3), on SQLite and PostgreSQL, against a
data set counted by hand (March 2026, Dutch time):

  type Vergunning: Ontvangen (1), In behandeling (2), Besluit (3); type Melding: Gemeld (1)
  D1 Vergunningen  Ontvangen 2/20, In behandeling 3/10, Besluit 4/5  -> March: Ontv., In beh.
  D2 Anders        Ontvangen 3/2 9:00, In behandeling 3/3            -> March: Ontv., In beh.
  D3 Vergunningen  Ontvangen 1/5, In behandeling 1/10, Besluit 2/1   -> March: Besluit
  D4 Wijkbeheer    Gemeld 3/15                                       -> March: Gemeld
  D5 Wijkbeheer    Gemeld 4/2                                        -> March: nothing
  Questions: Qa D1 3/5 (Ontvangen), Qb D1 3/12 and Qc D1 3/13 (In behandeling), Qd D2 3/2
  10:00 (Ontvangen), Qe D3 3/20 (Besluit), Qf D4 3/14 (before any status: not counted),
  Qg D2 4/1 (April), Qh without a dossier.
  => Ontvangen 2 dossiers, 2 questions, 2 dossiers asked (100%); In behandeling 2, 2, 1 (50%);
     Besluit 1, 1, 1 (100%); Gemeld: no question, not shown.
  Answers: Afval opened in forms f1 f2 f3, then asked in f1 and f2 (3, 2, 66.7%); Paspoort
  opened in g1, asked (1, 1, 100%); Zwemles opened in h1, never asked (not shown).
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from conftest import Auth, Runner
from mijn.answers.editing import Draft, create_answer
from mijn.answers.models import AnswerEvent
from mijn.answers.publishing import publish
from mijn.dossiers.models import Dossier, DossierType, StatusEvent, StatusType
from mijn.insight import shortfall
from mijn.insight.period import Period
from mijn.parties.models import Party
from mijn.questions.models import Question, Topic

NL = ZoneInfo("Europe/Amsterdam")
MARCH = Period(date(2026, 3, 1), months=3)


def local(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=NL)


STATUSES = {"D1": [(1, local(2, 20)), (2, local(3, 10)), (3, local(4, 5))],
            "D2": [(1, local(3, 2)), (2, local(3, 3))],
            "D3": [(1, local(1, 5)), (2, local(1, 10)), (3, local(2, 1))],
            "D4": [(1, local(3, 15))], "D5": [(1, local(4, 2))]}
DEPARTMENTS = {"D1": "Vergunningen", "D2": "Anders", "D3": "Vergunningen", "D4": "Wijkbeheer",
               "D5": "Wijkbeheer"}
QUESTIONS = [("D1", local(3, 5)), ("D1", local(3, 12)), ("D1", local(3, 13)),
             ("D2", local(3, 2, 10)), ("D3", local(3, 20)), ("D4", local(3, 14)),
             ("D2", local(4, 1)), (None, local(3, 6))]


async def _types(session: AsyncSession) -> dict[str, tuple[int, dict[int, int]]]:
    found = {}
    for code, name, labels in (("sf-permit", "Vergunning", ["Ontvangen", "In behandeling",
                                                             "Besluit"]),
                               ("sf-report", "Melding", ["Gemeld"])):
        kind = "case" if code == "sf-permit" else "report"
        dossier_type = DossierType(code=code, kind=kind, name_nl=name, name_en=name + " (en)")
        session.add(dossier_type)
        await session.flush()
        ids = {}
        for position, label in enumerate(labels, 1):
            status = StatusType(dossier_type_id=dossier_type.id, code=f"s{position}",
                                position=position, label_nl=label, label_en=label + " (en)",
                                is_final=position == 3)
            session.add(status)
            await session.flush()
            ids[position] = status.id
        found[kind] = (dossier_type.id, ids)
    return found


async def seed(session: AsyncSession) -> None:
    party = Party(kind="person", identifier_type="bsn", identifier="999990019", name="Jan")
    session.add(party)
    await session.flush()
    types = await _types(session)
    dossiers = {}
    for name, events in STATUSES.items():
        kind = "case" if name in ("D1", "D2", "D3") else "report"
        type_id, status_ids = types[kind]
        dossier = Dossier(reference=f"SF-{name}", kind=kind, dossier_type_id=type_id,
                          title=name, party_id=party.id, channel="web",
                          department=DEPARTMENTS[name], opened_on=date(2026, 1, 1))
        session.add(dossier)
        await session.flush()
        dossiers[name] = dossier.id
        session.add_all([StatusEvent(dossier_id=dossier.id, status_type_id=status_ids[p],
                                     occurred_at=at) for p, at in events])
    topic = await session.scalar(select(Topic.id).limit(1))
    session.add_all([Question(reference=f"SF-Q{n}", party_id=party.id, topic_id=topic,
                              channel="web", dossier_id=dossiers[d] if d else None,
                              created_at=at) for n, (d, at) in enumerate(QUESTIONS)])
    await _answers(session)


async def _answers(session: AsyncSession) -> None:
    ids = {}
    for title in ("Afval", "Paspoort", "Zwemles"):
        answer = await create_answer(session, None, Draft(title, f"Over {title}.",
                                                          review_by="2099-01-01"))
        await publish(session, answer, None)
        ids[title] = answer.id
    at, later = local(3, 10), local(3, 10) + timedelta(minutes=1)
    events = [("opened", ids["Afval"], f, at) for f in ("f1", "f2", "f3")] + [
        ("asked", None, "f1", later), ("asked", None, "f2", later),
        ("opened", ids["Paspoort"], "g1", at), ("asked", None, "g1", later),
        ("opened", ids["Zwemles"], "h1", at)]
    await session.execute(insert(AnswerEvent), [
        {"kind": k, "answer_id": a, "form_key": f, "context": "ask", "at": t}
        for k, a, f, t in events])


def _rows(found: shortfall.Shortfall) -> list[tuple[Any, ...]]:
    return [(r.type_nl, r.status_nl, r.dossiers, r.questions, r.asked_dossiers)
            for r in found.statuses]


def test_statuses_and_answers_that_still_lead_to_questions(
    client: TestClient, run: Runner
) -> None:
    run(seed)
    found: shortfall.Shortfall = run(shortfall.shortfall, MARCH)
    assert _rows(found) == [("Vergunning", "Ontvangen", 2, 2, 2),
                            ("Vergunning", "Besluit", 1, 1, 1),
                            ("Vergunning", "In behandeling", 2, 2, 1)]
    assert [(a.title, a.shown, a.asked_after) for a in found.answers] == [
        ("Afval", 3, 2), ("Paspoort", 1, 1)]
    permits = run(shortfall.shortfall, Period(date(2026, 3, 1), 3, "Vergunningen"))
    assert _rows(permits) == [("Vergunning", "In behandeling", 1, 2, 1),
                              ("Vergunning", "Besluit", 1, 1, 1),
                              ("Vergunning", "Ontvangen", 1, 1, 1)]
    assert run(shortfall.shortfall, Period(date(2026, 2, 1), 3)).answers == []

    Auth(client).login_staff("demo-lead")
    page = client.get("/kcc/inzicht?maand=2026-03&maanden=3").text
    assert "Waar schiet onze informatie tekort: statussen" in page
    assert "SF-" not in page and "Jan" not in page
    statuses = client.get("/kcc/inzicht.csv?tabel=tekort-status&maand=2026-03&maanden=3")
    assert list(csv.reader(io.StringIO(statuses.text))) == [
        ["Soort", "Status", "Dossiers in deze status", "Vragen gesteld in deze status",
         "Dossiers met een vraag (%)"],
        ["Vergunning", "Ontvangen", "2", "2", "100"], ["Vergunning", "Besluit", "1", "1", "100"],
        ["Vergunning", "In behandeling", "2", "2", "50"]]
    answers = client.get("/kcc/inzicht.csv?tabel=tekort-antwoorden&maand=2026-03&maanden=3")
    assert list(csv.reader(io.StringIO(answers.text)))[1:] == [
        ["Afval", "3", "2", "66.7"], ["Paspoort", "1", "1", "100"]]
    february = client.get("/kcc/inzicht?maand=2026-02&maanden=3").text
    assert "Deze maand is na het lezen van een antwoord geen vraag meer gesteld." in february
