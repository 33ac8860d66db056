"""A small data set for the monthly report whose figures are worked out by hand below.

The report month is March 2026 (Dutch time; summer time starts on 29 March). Every figure
the tests assert is derived in the comments next to the rows that make it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from mijn.answers.models import Answer, AnswerEvent, AnswerFeedback, AnswerFlag
from mijn.dossiers.models import Dossier, DossierType
from mijn.parties.models import Party
from mijn.questions.models import Contact, Question, QuestionEvent, Topic
from mijn.staff.models import Team

NL = ZoneInfo("Europe/Amsterdam")
MONTH = date(2026, 3, 1)
TODAY = date(2026, 4, 1)


def local(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A moment in 2026, Dutch time."""
    return datetime(2026, month, day, hour, minute, tzinfo=NL)


async def _topics(session: AsyncSession) -> dict[str, int]:
    from sqlalchemy import select

    rows = (await session.execute(select(Topic.code, Topic.id))).all()
    return {code: topic_id for code, topic_id in rows}


async def seed(session: AsyncSession) -> None:
    """Parties, dossiers, questions with events, contacts, answers with votes, flags and events."""
    party = Party(kind="person", identifier_type="bsn", identifier="999990019", name="Jan Jansen")
    permit = DossierType(code="ins-permit", kind="case", name_nl="Vergunning", name_en="Permit")
    report = DossierType(code="ins-report", kind="report", name_nl="Melding", name_en="Report")
    permits = Team(code="ins-vergunningen", name_nl="Vergunningen", name_en="Permits")
    streets = Team(code="ins-wijkbeheer", name_nl="Wijkbeheer", name_en="Neighbourhoods")
    session.add_all([party, permit, report, permits, streets])
    await session.flush()
    dossiers = await _dossiers(session, party.id, permit.id, report.id)
    questions = await _questions(session, party.id, dossiers, await _topics(session))
    _events(session, questions, permits.id, streets.id)
    _contacts(session, party.id, dossiers)
    await _answers(session, questions["Q1"])
    await session.flush()


def _dossier(n: int, kind: str, type_id: int, party_id: int, dept: str, channel: str,
             opened: date) -> Dossier:
    return Dossier(reference=f"INS-{n}", kind=kind, dossier_type_id=type_id, title=f"Dossier {n}",
                   party_id=party_id, channel=channel, department=dept, opened_on=opened)


async def _dossiers(session: AsyncSession, party_id: int, permit: int,
                    report: int) -> dict[str, Dossier]:
    # March: cases D1 (web); reports D2 (phone), D3 (web, last day). February: report D4.
    # January: case D5 (e-mail). April: report D6, outside every figure.
    rows = {
        "D1": _dossier(1, "case", permit, party_id, "Vergunningen", "web", date(2026, 3, 5)),
        "D2": _dossier(2, "report", report, party_id, "Wijkbeheer", "phone", date(2026, 3, 10)),
        "D3": _dossier(3, "report", report, party_id, "Wijkbeheer", "web", date(2026, 3, 31)),
        "D4": _dossier(4, "report", report, party_id, "Wijkbeheer", "web", date(2026, 2, 15)),
        "D5": _dossier(5, "case", permit, party_id, "Vergunningen", "email", date(2026, 1, 20)),
        "D6": _dossier(6, "report", report, party_id, "Wijkbeheer", "phone", date(2026, 4, 1)),
    }
    session.add_all(rows.values())
    await session.flush()
    return rows


# name: (topic, channel, dossier, created, hours to the first answer, hours to the due time, fcr)
QUESTIONS: dict[str, tuple[str, str, str | None, datetime, float | None, float | None,
                           bool | None]] = {
    "Q1": ("vergunning", "web", "D1", local(3, 2), 2, 24, True),
    "Q2": ("vergunning", "web", "D1", local(3, 3, 10), 4, 8, True),
    "Q3": ("vergunning", "phone", None, local(3, 4), 10, 8, False),  # late, handed over
    "Q4": ("openbare-ruimte", "web", "D2", local(3, 5), 1, 8, True),
    "Q5": ("openbare-ruimte", "email", "D2", local(3, 1, 0, 30), None, 8, None),  # 1 March
    "Q6": ("belasting", "web", None, local(3, 20, 12), 24, None, True),  # no due time
    "Q7": ("overig", "counter", None, local(3, 31, 23, 30), 12, 24, True),  # answered in April
    "Q8": ("vergunning", "web", "D5", local(2, 10), 3, 8, False),  # answered in February
    "Q9": ("belasting", "phone", None, local(2, 20), 240, 72, True),  # answered 2 March, late
    "Q10": ("openbare-ruimte", "web", None, local(2, 25), None, 8, None),
    "Q11": ("overig", "web", None, local(1, 15), None, 24, None),
    "Q12": ("vergunning", "web", None, local(4, 1, 0, 30), None, 8, None),  # April
}


async def _questions(session: AsyncSession, party_id: int, dossiers: dict[str, Dossier],
                     topics: dict[str, int]) -> dict[str, Question]:
    rows = {}
    for name, (topic, channel, dossier, created, answer_h, due_h, fcr) in QUESTIONS.items():
        rows[name] = Question(
            reference=f"INS-{name}", party_id=party_id, topic_id=topics[topic], channel=channel,
            dossier_id=dossiers[dossier].id if dossier else None, created_at=created,
            state="answered" if answer_h is not None else "new",
            answered_at=created + timedelta(hours=answer_h) if answer_h is not None else None,
            sla_due_at=created + timedelta(hours=due_h) if due_h is not None else None,
            first_contact_resolution=fcr, handed_over=fcr is False,
        )
    # A callback request in March (phone), answered within the hour: counted apart, never
    # as a question asked or answered.
    rows["C1"] = Question(
        reference="INS-C1", kind="callback", party_id=party_id, topic_id=topics["overig"],
        channel="phone", created_at=local(3, 12), state="answered",
        answered_at=local(3, 12, 9, 40), sla_due_at=local(3, 12, 17),
        first_contact_resolution=True, callback_phone="0612345678")
    session.add_all(rows.values())
    await session.flush()
    return rows


def _events(session: AsyncSession, questions: dict[str, Question], permits: int,
            streets: int) -> None:
    # March: Q3 to Vergunningen, Q5 to a specialist without a team.
    # February: Q8 to Vergunningen (its dossier D5 is of Vergunningen), Q10 to Wijkbeheer.
    for name, team, at in (("Q3", permits, local(3, 4, 12)), ("Q5", None, local(3, 2)),
                           ("Q8", permits, local(2, 10, 10)), ("Q10", streets, local(2, 26))):
        session.add(QuestionEvent(
            question_id=questions[name].id, action="hand_over", from_state="claimed",
            to_state="handed_over", actor_type="staff", actor_id=1, actor_role="agent",
            team_id=team, at=at))
    # Q1 needed a second answer: a question to the citizen, their reply, then the answer (not
    # solved at first contact, though never handed over). Q2 was answered once (solved).
    for name, action, at in (("Q1", "claim", local(3, 2, 10)), ("Q1", "wait", local(3, 2, 10, 5)),
                             ("Q1", "citizen_reply", local(3, 2, 10, 30)),
                             ("Q1", "reply", local(3, 2, 11)), ("Q2", "claim", local(3, 3, 11)),
                             ("Q2", "reply", local(3, 3, 14))):
        session.add(QuestionEvent(
            question_id=questions[name].id, action=action, from_state="claimed",
            to_state="answered", actor_type="staff", actor_id=1, actor_role="agent", at=at))


def _contacts(session: AsyncSession, party_id: int, dossiers: dict[str, Dossier]) -> None:
    # March: two phone calls (one about D1); February: a counter visit.
    for channel, dossier, at in (("phone", "D1", local(3, 10)), ("phone", None, local(3, 11)),
                                 ("counter", None, local(2, 27))):
        session.add(Contact(party_id=party_id, channel=channel, summary="Gebeld over iets",
                            dossier_id=dossiers[dossier].id if dossier else None, at=at))


async def _answers(session: AsyncSession, q1: Question) -> None:
    a1 = Answer(slug="ins-a1", title="Een vergunning aanvragen", published=True,
                review_by=date(2027, 1, 1), yes_count=1, no_count=3)
    a2 = Answer(slug="ins-a2", title="Grofvuil laten ophalen", published=True,
                review_by=date(2026, 1, 1), yes_count=0, no_count=7)
    a3 = Answer(slug="ins-a3", title="Hondenbelasting", published=True,
                review_by=date(2026, 3, 15), yes_count=2, no_count=0)
    a4 = Answer(slug="ins-a4", title="Concept zonder publicatie", published=False,
                review_by=date(2025, 1, 1))
    session.add_all([a1, a2, a3, a4])
    await session.flush()
    _votes(session, a1.id, a2.id, a3.id)
    _flags(session, a1.id, a2.id, q1.id)
    _answer_events(session, a1.id, a2.id)


def _votes(session: AsyncSession, a1: int, a2: int, a3: int) -> None:
    # March: A1 1 ja 3 nee; A2 2 nee; A3 2 ja (no 'nee': not listed). February: A2 5 nee.
    votes = [(a1, True, 3), (a1, False, 4), (a1, False, 5), (a1, False, 6), (a2, False, 7),
             (a2, False, 8), (a3, True, 9), (a3, True, 10)]
    for answer_id, helpful, day in votes:
        session.add(AnswerFeedback(answer_id=answer_id, version=1, helpful=helpful,
                                   comment="Niet duidelijk", created_at=local(3, day)))
    for day in range(1, 6):
        session.add(AnswerFeedback(answer_id=a2, version=1, helpful=False,
                                   created_at=local(2, day)))


def _flags(session: AsyncSession, a1: int, a2: int, q1: int) -> None:
    # March: A1 twice wrong (one dealt with), one missing answer (open). February: A2.
    resolved = local(3, 20)
    for kind, answer_id, at, done in (("wrong", a1, local(3, 3), None),
                                      ("wrong", a1, local(3, 4), resolved),
                                      ("missing", None, local(3, 5), None),
                                      ("wrong", a2, local(2, 5), None)):
        session.add(AnswerFlag(kind=kind, answer_id=answer_id, question_id=q1, created_at=at,
                               resolved_at=done, comment="Een opmerking van een medewerker"))


def _answer_events(session: AsyncSession, a1: int, a2: int) -> None:
    # March: 3 views; 2 suggestions shown; 4 opened in forms f1 (twice), f2, f3; a question sent
    # from f2. Deflected: f1 and f3. February: a view and an opened form f4 (not counted).
    rows = [("view", a1, None, local(3, 2)), ("view", a1, None, local(3, 3)),
            ("view", a2, None, local(3, 4)), ("suggested", a1, "f1", local(3, 5)),
            ("suggested", a1, "f2", local(3, 6)), ("opened", a1, "f1", local(3, 5, 10)),
            ("opened", a2, "f1", local(3, 5, 11)), ("opened", a1, "f2", local(3, 6, 10)),
            ("opened", a2, "f3", local(3, 7)), ("asked", None, "f2", local(3, 6, 12)),
            ("view", a1, None, local(2, 3)), ("opened", a1, "f4", local(2, 3))]
    for kind, answer_id, form_key, at in rows:
        session.add(AnswerEvent(kind=kind, answer_id=answer_id, form_key=form_key, at=at,
                                context="ask" if form_key else "search"))
