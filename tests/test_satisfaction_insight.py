"""Satisfaction in the report, against a small data set counted by hand (March 2026, Dutch
time), on SQLite and PostgreSQL; the page and its CSV for team leads and editors; and what the
KCC sees of a score: on the question, in the customer's history, and a week's comments (a lead
all of them, an agent those about the questions they answered).

The data set, per question (topic A "Vergunningen", B "Straat, groen en afval"):
  Q1 A web   D1 permit  KCC   fcr yes  2 h, on time   five 5 (satisfied) "Heel duidelijk" 3/3
  Q2 A phone D1 permit  team  fcr no  24 h, late      five 2             "Duurde lang"    3/6
  Q3 B web   D2 report  KCC   fcr yes  4 h, on time   two  5 (satisfied)  no comment      3/10
  Q4 B email -          KCC   fcr no   6 h, no due    five 3             "=SUM(A1)"       3/17
  Q5 A phone -  callback KCC  fcr ?   never answered  two  1             "Niemand belde"  3/21
  Q6 A web, answered in February, five 4 on 2/11 (the trend only); Q7 an answer of 2 April
  (nowhere).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient
from test_kcc_http import Ids
from test_kcc_http import ids as ids  # noqa: F401 - the fixture

from conftest import Auth, Runner
from mijn.dossiers.models import Dossier, DossierType
from mijn.insight import satisfaction as kto
from mijn.insight.period import Period
from mijn.insight.satisfaction import CommentFilter, Score
from mijn.parties.models import Party
from mijn.questions.models import Question, Topic
from mijn.questions.satisfaction import record
from mijn.staff.models import Team

NL = ZoneInfo("Europe/Amsterdam")
MARCH = Period(date(2026, 3, 1), months=3)
PERMITS = Period(date(2026, 3, 1), months=3, department="Vergunningen")
A, B = "Vergunningen", "Straat, groen en afval"


def local(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=NL)


# name: topic, channel, dossier, team, fcr, created, hours to answer (None: never),
#       hours to due (None: none), scale, score, comment, answer given on
ROWS: dict[str, tuple[Any, ...]] = {
    "Q1": ("vergunning", "web", "D1", False, True, local(3, 2), 2, 24, "five", 5,
           "Heel duidelijk", local(3, 3)),
    "Q2": ("vergunning", "phone", "D1", True, False, local(3, 4), 24, 8, "five", 2,
           "Duurde lang", local(3, 6)),
    "Q3": ("openbare-ruimte", "web", "D2", False, True, local(3, 9), 4, 24, "two", 5, "",
           local(3, 10)),
    "Q4": ("openbare-ruimte", "email", None, False, False, local(3, 16), 6, None, "five", 3,
           "=SUM(A1)", local(3, 17)),
    "Q5": ("vergunning", "phone", None, False, None, local(3, 19), None, 8, "two", 1,
           "Niemand belde", local(3, 21)),
    "Q6": ("vergunning", "web", None, False, True, local(2, 10), 1, 24, "five", 4, "Prima",
           local(2, 11)),
    "Q7": ("vergunning", "web", None, False, True, local(3, 31), 1, 24, "five", 1, "April",
           local(4, 2)),
}


async def seed(session: AsyncSession) -> None:
    party = Party(kind="person", identifier_type="bsn", identifier="999990019", name="Jan")
    permit = DossierType(code="kto-permit", kind="case", name_nl="Vergunning", name_en="Permit")
    report = DossierType(code="kto-report", kind="report", name_nl="Melding", name_en="Report")
    team = Team(code="kto-vergunningen", name_nl="Vergunningen", name_en="Permits")
    session.add_all([party, permit, report, team])
    await session.flush()
    dossiers = {
        "D1": Dossier(reference="KTO-1", kind="case", dossier_type_id=permit.id, title="D1",
                      party_id=party.id, channel="web", department="Vergunningen",
                      opened_on=date(2026, 3, 1)),
        "D2": Dossier(reference="KTO-2", kind="report", dossier_type_id=report.id, title="D2",
                      party_id=party.id, channel="web", department="Wijkbeheer",
                      opened_on=date(2026, 3, 1)),
    }
    session.add_all(dossiers.values())
    await session.flush()
    topics = dict((await session.execute(select(Topic.code, Topic.id))).all())
    for name, (topic, channel, dossier, handed, fcr, created, answer_h, due_h, scale, score,
               comment, given) in ROWS.items():
        answered = created + timedelta(hours=answer_h) if answer_h is not None else None
        q = Question(reference=f"KTO-{name}", party_id=party.id, topic_id=topics[topic],
                     kind="callback" if answer_h is None else "question", channel=channel,
                     dossier_id=dossiers[dossier].id if dossier else None, created_at=created,
                     state="closed" if answer_h is None else "answered", answered_at=answered,
                     closed_at=created + timedelta(days=1) if answer_h is None else None,
                     sla_due_at=created + timedelta(hours=due_h) if due_h else None,
                     first_contact_resolution=fcr, handed_over=handed,
                     team_id=team.id if handed else None)
        session.add(q)
        await session.flush()
        await record(session, q, scale, score, comment, "portal", given)


@pytest.fixture
def seeded(run: Runner) -> Runner:
    run(seed)
    return run


def counts(scores: list[Score]) -> list[tuple[Any, ...]]:
    return [(s.label_nl, s.responses, s.satisfied, s.mean) for s in scores]


def test_per_topic_channel_team_and_dossier_type(seeded: Runner) -> None:
    assert counts(seeded(kto.by_topic, MARCH)) == [(A, 3, 1, 3.5), (B, 2, 1, 3.0)]
    assert counts(seeded(kto.by_channel, MARCH)) == [
        ("phone", 2, 0, 2.0), ("web", 2, 2, 5.0), ("email", 1, 0, 3.0)]
    assert counts(seeded(kto.by_team, MARCH)) == [("", 4, 2, 4.0), ("Vergunningen", 1, 0, 2.0)]
    assert counts(seeded(kto.by_dossier_type, MARCH)) == [
        ("", 2, 0, 3.0), ("Vergunning", 2, 1, 3.5), ("Melding", 1, 1, None)]
    assert counts(seeded(kto.by_topic, PERMITS)) == [(A, 2, 1, 3.5)]  # Q1 and Q2 (D1)


def test_trend_and_relation_to_first_contact_service_level_and_time(seeded: Runner) -> None:
    assert [(s.key, s.responses, s.satisfied) for s in seeded(kto.trend, MARCH)] == [
        (date(2026, 1, 1), 0, 0), (date(2026, 2, 1), 1, 1), (date(2026, 3, 1), 5, 2)]
    by_key = {int(s.key): (s.responses, s.satisfied, s.mean)
              for s in seeded(kto.by_resolution, MARCH)}
    assert by_key == {1: (2, 2, 5.0), 0: (2, 0, 2.5), -1: (1, 0, None)}
    by_key = {int(s.key): (s.responses, s.satisfied, s.mean)
              for s in seeded(kto.by_service_level, MARCH)}
    assert by_key == {1: (2, 2, 5.0), 0: (1, 0, 2.0), -1: (2, 0, 3.0)}
    times = seeded(kto.time_to_answer, MARCH)  # satisfied: 2 h and 4 h; not: 24 h and 6 h
    assert times[True] == pytest.approx(3 * 3600, abs=1)
    assert times[False] == pytest.approx(15 * 3600, abs=1)


def test_comments_filtered_newest_first(seeded: Runner) -> None:
    def texts(chosen: CommentFilter, period: Period = MARCH) -> list[str]:
        return [c.text for c in seeded(kto.comments, period, chosen)]

    assert texts(CommentFilter()) == ["Niemand belde", "=SUM(A1)", "Duurde lang", "Heel duidelijk"]
    assert texts(CommentFilter(satisfied=False)) == ["Niemand belde", "=SUM(A1)", "Duurde lang"]
    assert texts(CommentFilter(channel="phone")) == ["Niemand belde", "Duurde lang"]
    b = seeded(_topic_id, "openbare-ruimte")
    assert texts(CommentFilter(topic_id=b)) == ["=SUM(A1)"]
    assert texts(CommentFilter(), PERMITS) == ["Duurde lang", "Heel duidelijk"]


async def _topic_id(session: AsyncSession, code: str) -> int:
    found = await session.scalar(select(Topic.id).where(Topic.code == code))
    assert found is not None
    return int(found)


def test_the_page_and_its_csv_for_leads_and_editors(
    seeded: Runner, client: TestClient, auth: Auth
) -> None:
    auth.login_staff("demo-editor")
    query = "maand=2026-03&maanden=3"
    page = client.get(f"/kcc/inzicht/tevredenheid?{query}")
    assert page.status_code == 200
    assert "Tevredenheid per onderwerp" in page.text and "Niemand belde" in page.text
    assert "KTO-Q" not in page.text  # no reference, nobody's name
    csv = client.get(f"/kcc/inzicht/tevredenheid.csv?tabel=tevredenheid-opmerkingen&{query}"
                     "&oordeel=niet-tevreden&kanaal=email")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().split("\r\n")
    assert lines[0] == "Datum,Onderwerp,Kanaal,Oordeel,Opmerking"
    assert lines[1:] == [f"2026-03-17,\"{B}\",E-mail,Neutraal,'=SUM(A1)"]
    topics = client.get(f"/kcc/inzicht/tevredenheid.csv?tabel=tevredenheid-onderwerp&{query}")
    assert topics.text.strip().split("\r\n")[1:] == [f"{A},3,33.3,3.5", f"\"{B}\",2,50,3"]
    assert client.get(f"/kcc/inzicht/tevredenheid.csv?tabel=niets&{query}").status_code == 404


# --- what the KCC sees of a score -------------------------------------------------------------


async def _give(session: AsyncSession, reference: str, score: int, comment: str) -> None:
    q = await session.scalar(select(Question).where(Question.reference == reference))
    assert q is not None
    assert await record(session, q, "five", score, comment, "portal") is not None


async def _answered_by(session: AsyncSession, reference: str) -> int | None:
    return await session.scalar(select(Question.answered_by_id)
                                .where(Question.reference == reference))


def test_the_kcc_sees_the_score_on_the_question_in_the_history_and_per_week(
    client: TestClient, auth: Auth, ids: Ids, run: Runner
) -> None:
    run(_give, ids.demo1, 4, "Fijn, maar wat laat")
    assert run(_answered_by, ids.demo1) == ids.staff["demo-agent"]
    auth.login_staff("demo-agent")
    page = client.get(f"/kcc/vragen/{ids.demo1}").text
    assert "4 van 5 (tevreden)" in page and "Fijn, maar wat laat" in page
    assert "tevredenheid: 4 van 5 (tevreden)" in client.get(f"/kcc/klanten/{ids.jan}").text
    own = client.get("/kcc/tevredenheid")
    assert own.status_code == 200 and "Fijn, maar wat laat" in own.text and ids.demo1 in own.text
    before = client.get("/kcc/tevredenheid?week=1").text
    assert "Fijn, maar wat laat" not in before
    auth.login_staff("demo-specialist")  # answered none of them
    assert "Fijn, maar wat laat" not in client.get("/kcc/tevredenheid").text
    auth.login_staff("demo-lead")  # sees all of them
    assert "Fijn, maar wat laat" in client.get("/kcc/tevredenheid").text
    auth.login_staff("demo-editor")
    assert client.get("/kcc/tevredenheid").status_code == 404


