"""The questions service on both databases: asking, the SLA clock, reopening, the events of
every state change, first-contact resolution, handovers, the queue views, contacts, callbacks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from conftest import Runner
from mijn.access.staff import Staff
from mijn.db import Base, utcnow
from mijn.parties.service import get_or_create_party
from mijn.questions import asking, contacts, workflow
from mijn.questions import queue as queue_module
from mijn.questions.asking import NewQuestion, ask, citizen_close, citizen_reply
from mijn.questions.callbacks import suggest_window
from mijn.questions.closing import Closing, staff_close
from mijn.questions.common import MAX_BODY, QuestionError, list_topics
from mijn.questions.contacts import Callback, register_contact, request_callback
from mijn.questions.handover import mark_seen
from mijn.questions.models import Contact, Question, QuestionEvent, QuestionMessage, Topic
from mijn.questions.queue import QueueFilters, QueuePage, staff_queue
from mijn.questions.resolution import resolution_of
from mijn.questions.workflow import (
    Handover,
    add_note,
    ask_citizen,
    claim,
    claim_next,
    hand_over,
    release,
    reply,
    staff_question,
    take,
    take_over,
)
from mijn.settings import Settings
from mijn.staff.models import Team
from mijn.staff.service import record_login
from mijn.workingtime import WorkingCalendar, add_working_time

JAN, FATIMA = "999990019", "999990020"
AMS = ZoneInfo("Europe/Amsterdam")
OFFICE = WorkingCalendar()  # 08:30-17:00, Monday to Friday, Europe/Amsterdam
HOUR = 3600


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A moment on the wall clock of Amsterdam (March 2026: UTC+1)."""
    return datetime(year, month, day, hour, minute, tzinfo=AMS)


class Clock:
    """The service's `utcnow`, set by the test (its own actions take their time from it)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now.astimezone(UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """A stopped clock for the questions service, on Monday 2 March 2026, 09:00 in Amsterdam."""
    stopped = Clock(local(2026, 3, 2, 9))
    for module in (asking, contacts, queue_module, workflow):
        monkeypatch.setattr(module, "utcnow", stopped)
    return stopped


@dataclass(frozen=True)
class People:
    """A citizen, and staff: two agents, a lead, specialists of two teams."""

    jan: int
    fatima: int
    agent: Staff
    agent2: Staff
    lead: Staff
    specialist: Staff  # team "vergunningen"
    taxman: Staff  # specialist of team "belastingen"
    permits: int
    taxes: int
    topics: dict[str, Topic]


async def _member(
    session: AsyncSession, subject: str, roles: tuple[str, ...], teams: tuple[str, ...] = ()
) -> Staff:
    member = await record_login(session, f"test|{subject}", subject.title(), roles, teams)
    return Staff(member.id, roles)


async def _people(session: AsyncSession) -> People:
    jan = await get_or_create_party(session, "bsn", JAN, "Jan Jansen")
    fatima = await get_or_create_party(session, "bsn", FATIMA, "Fatima el Amrani")
    specialist = await _member(session, "specialist", ("specialist",), ("vergunningen",))
    taxman = await _member(session, "taxman", ("specialist",), ("belastingen",))
    teams = {team.code: team.id for team in await session.scalars(select(Team))}
    return People(
        jan=jan.id, fatima=fatima.id,
        agent=await _member(session, "agent", ("agent",)),
        agent2=await _member(session, "agent2", ("agent",)),
        lead=await _member(session, "lead", ("lead",)),
        specialist=specialist, taxman=taxman,
        permits=teams["vergunningen"], taxes=teams["belastingen"],
        topics={t.code: t for t in await list_topics(session)},
    )


@pytest.fixture
def people(run: Runner) -> People:
    """The people of these tests, in an empty database (topics come from the migration)."""
    return run(_people)  # type: ignore[no-any-return]


def new(people: People, body: str = "Wanneer hoor ik iets?", topic: str = "overig",
        **more: Any) -> NewQuestion:
    """A question of Jan."""
    return NewQuestion(people.jan, people.topics[topic].id, body, **more)


def to_permits(people: People, specialist: int | None = None) -> Handover:
    """A warm handover to the permits team."""
    return Handover(people.permits, specialist, "Jan Jansen, 06 1234 5678",
                    "Wil weten of een dakkapel mag.", "Bestemmingsplan bekeken.")


async def _asked(session: AsyncSession, question: NewQuestion, when: datetime | None) -> Question:
    found, created = await ask(session, question, OFFICE, None, when)
    assert created
    return found


def asked(run: Runner, question: NewQuestion, when: datetime | None = None) -> Question:
    """Ask a question (optionally at a given moment); the saved question."""
    return run(_asked, question, when)  # type: ignore[no-any-return]


async def _do(session: AsyncSession, question_id: int, action: Callable[..., Any],
              *args: Any) -> Question:
    question = await session.get(Question, question_id)
    assert question is not None
    await action(session, question, *args)
    return question


def do(run: Runner, question: Question, action: Callable[..., Any], *args: Any) -> Question:
    """`action(session, question, *args)` on a freshly loaded question; the question after it."""
    return run(_do, question.id, action, *args)  # type: ignore[no-any-return]


async def _load(session: AsyncSession, question_id: int) -> Question:
    question = await session.get(Question, question_id)
    assert question is not None
    return question


def load(run: Runner, question: Question) -> Question:
    """The question as the database has it now."""
    return run(_load, question.id)  # type: ignore[no-any-return]


async def _events(session: AsyncSession, question_id: int) -> list[QuestionEvent]:
    return list(await session.scalars(
        select(QuestionEvent).where(QuestionEvent.question_id == question_id)
        .order_by(QuestionEvent.at, QuestionEvent.id)
    ))


def events(run: Runner, question: Question) -> list[QuestionEvent]:
    """The question's events, oldest first."""
    return run(_events, question.id)  # type: ignore[no-any-return]


async def _messages(session: AsyncSession, question_id: int) -> list[tuple[str, str]]:
    rows = await session.execute(
        select(QuestionMessage.kind, QuestionMessage.body)
        .where(QuestionMessage.question_id == question_id).order_by(QuestionMessage.id)
    )
    return [(kind, body) for kind, body in rows.all()]


def messages(run: Runner, question: Question) -> list[tuple[str, str]]:
    """(kind, body) of the question's messages, in order."""
    return run(_messages, question.id)  # type: ignore[no-any-return]


async def _count(session: AsyncSession, table: type[Base]) -> int:
    return int(await session.scalar(select(func.count()).select_from(table)) or 0)


def count(run: Runner, table: type[Base]) -> int:
    """Rows in a table."""
    return run(_count, table)  # type: ignore[no-any-return]


def summary(event: QuestionEvent) -> tuple[str, str | None, str, str, int, str | None]:
    return (event.action, event.from_state, event.to_state, event.actor_type, event.actor_id,
            event.actor_role)


# --- asking ---------------------------------------------------------------------------------


def test_ask_saves_the_question_its_first_message_and_an_ask_event(
    run: Runner, people: People
) -> None:
    question, created = run(ask, new(people, "  Wanneer hoor ik iets?  ", channel="web"), OFFICE)
    assert created
    saved = load(run, question)
    assert (saved.state, saved.kind, saved.party_id, saved.channel) == ("new", "question",
                                                                      people.jan, "web")
    assert saved.topic_id == people.topics["overig"].id
    assert saved.reference.startswith("V-") and len(saved.reference) == 12
    assert saved.assignee_id is None and saved.first_contact_resolution is None
    assert messages(run, question) == [("citizen", "Wanneer hoor ik iets?")]
    [event] = events(run, question)
    assert summary(event) == ("ask", None, "new", "party", people.jan, None)
    assert event.at == saved.created_at


@pytest.mark.parametrize(
    ("body", "code"),
    [("", "empty"), ("   \r\n\t ", "empty"), ("x" * (MAX_BODY + 1), "too_long"),
     ("\u200b\u200c\u200d\u2060\ufeff", "empty"), ("\u202e\u2067 \u200f", "empty"),
     ("vraag\x00", "control"), ("vraag \x1b[31m", "control")],
    ids=["empty", "blank", "too-long", "zero-width", "bidi-controls", "nul", "escape"],
)
def test_ask_refuses_an_empty_or_too_long_body_and_saves_nothing(
    run: Runner, people: People, body: str, code: str
) -> None:
    with pytest.raises(QuestionError) as error:
        run(ask, new(people, body), OFFICE)
    assert (error.value.field, error.value.code) == ("body", code)
    assert count(run, Question) == 0
    assert count(run, QuestionMessage) == 0
    assert count(run, QuestionEvent) == 0


def crlf_body(characters: int) -> str:
    """A body of `characters` characters once each CRLF counts as one (lines of 99 'x')."""
    lines = ["x" * 99] * 40  # 40 * 99 + 39 newlines = 3999
    lines[0] += "y" * (characters - 3999)
    return "\r\n".join(lines)


def test_a_crlf_newline_counts_as_one_character(run: Runner, people: People) -> None:
    body = crlf_body(MAX_BODY)
    assert len(body) > MAX_BODY  # as the browser sends it: 39 characters too long
    question = asked(run, new(people, body))
    [(kind, saved)] = messages(run, question)
    assert kind == "citizen" and len(saved) == MAX_BODY
    assert "\r" not in saved and saved.count("\n") == 39

    with pytest.raises(QuestionError) as error:
        run(ask, new(people, crlf_body(MAX_BODY + 1)), OFFICE)
    assert (error.value.field, error.value.code) == ("body", "too_long")


@pytest.mark.parametrize(
    ("change", "field"),
    [({"topic_id": None}, "topic"), ({"topic_id": 999_999}, "topic"),
     ({"channel": "pigeon"}, "channel")],
    ids=["no-topic", "unknown-topic", "unknown-channel"],
)
def test_ask_refuses_an_unknown_topic_or_channel(
    run: Runner, people: People, change: dict[str, Any], field: str
) -> None:
    question = replace(new(people), **change)
    with pytest.raises(QuestionError) as error:
        run(ask, question, OFFICE)
    assert (error.value.field, error.value.code) == (field, "unknown")
    assert count(run, Question) == 0


def test_the_same_submit_key_twice_gives_one_question(run: Runner, people: People) -> None:
    first, created_first = run(ask, new(people, submit_key="form-1"), OFFICE)
    again, created_again = run(ask, new(people, "Nog een keer?", submit_key="form-1"), OFFICE)
    assert (created_first, created_again) == (True, False)
    assert again.id == first.id and again.reference == first.reference
    assert count(run, Question) == 1
    assert messages(run, first) == [("citizen", "Wanneer hoor ik iets?")]
    assert len(events(run, first)) == 1

    # The key is the party's: someone else's form with the same key is another question.
    other, created_other = run(
        ask, NewQuestion(people.fatima, people.topics["overig"].id, "Hoi", submit_key="form-1"),
        OFFICE,
    )
    assert created_other and other.id != first.id
    assert count(run, Question) == 2


# --- the SLA clock --------------------------------------------------------------------------


def test_sla_due_is_the_topics_working_hours_after_creation(
    run: Runner, people: People, settings: Settings
) -> None:
    for code in ("openbare-ruimte", "dossier", "belasting"):
        question = load(run, asked(run, new(people, topic=code)))
        hours = people.topics[code].sla_hours
        assert question.sla_due_at == add_working_time(
            settings.calendar, question.created_at, hours * HOUR
        )


def test_sla_due_skips_the_weekend(run: Runner, people: People, settings: Settings) -> None:
    assert settings.calendar == OFFICE
    assert people.topics["openbare-ruimte"].sla_hours == 8
    # Friday 15:00: two hours on Friday, six on Monday from 08:30.
    question = asked(run, new(people, topic="openbare-ruimte"), local(2026, 3, 6, 15))
    assert load(run, question).sla_due_at == local(2026, 3, 9, 14, 30)


def test_waiting_pauses_the_clock_and_the_citizens_reply_resumes_it(
    run: Runner, people: People, clock: Clock, settings: Settings
) -> None:
    assert settings.calendar == OFFICE and people.topics["dossier"].sla_hours == 16
    question = asked(run, new(people, topic="dossier"))  # Monday 09:00
    assert load(run, question).sla_due_at == local(2026, 3, 3, 16, 30)  # Tuesday 16:30
    clock.now = local(2026, 3, 2, 9, 30)
    do(run, question, claim, people.agent)
    clock.now = local(2026, 3, 2, 11)
    do(run, question, ask_citizen, people.agent, "Om welk adres gaat het?", settings.calendar)

    waiting = load(run, question)
    assert waiting.state == "waiting"
    assert waiting.sla_remaining_seconds == 14 * HOUR  # Monday 11-17, Tuesday 08:30-16:30
    assert waiting.party_unread
    assert messages(run, question)[-1] == ("reply", "Om welk adres gaat het?")

    # The citizen answers on Thursday at 10:00: the 14 hours left start again from then.
    replied_at = local(2026, 3, 5, 10)
    do(run, question, citizen_reply, "Kerkstraat 1.", settings.calendar, replied_at)
    resumed = load(run, question)
    assert resumed.state == "claimed" and resumed.assignee_id == people.agent.id
    assert resumed.sla_remaining_seconds is None
    assert resumed.sla_due_at == add_working_time(settings.calendar, replied_at, 14 * HOUR)
    assert resumed.sla_due_at == local(2026, 3, 6, 15, 30)  # Thursday 7 h, Friday 7 h


def test_an_overdue_question_that_waited_resumes_with_no_time_left(
    run: Runner, people: People, clock: Clock, settings: Settings
) -> None:
    question = asked(run, new(people, topic="openbare-ruimte"))  # due Monday 17:00
    do(run, question, claim, people.agent)
    clock.now = local(2026, 3, 3, 10)  # Tuesday: 1.5 working hours late
    do(run, question, ask_citizen, people.agent, "Welke straat?", settings.calendar)
    assert load(run, question).sla_remaining_seconds == -(int(1.5 * HOUR))
    replied_at = local(2026, 3, 4, 12)
    do(run, question, citizen_reply, "De Dorpsstraat.", settings.calendar, replied_at)
    assert load(run, question).sla_due_at == replied_at


# --- the citizen's reply --------------------------------------------------------------------


def test_a_reply_to_an_answered_question_reopens_it_in_the_queue(
    run: Runner, people: People, clock: Clock, settings: Settings
) -> None:
    question = asked(run, new(people, topic="dossier"))
    do(run, question, claim, people.agent)
    do(run, question, reply, people.agent, "Binnen twee weken.")
    replied_at = local(2026, 3, 5, 10)
    do(run, question, citizen_reply, "Dat is te laat.", settings.calendar, replied_at)

    reopened = load(run, question)
    assert reopened.state == "new"
    assert reopened.assignee_id is None  # back in the queue, for any agent
    assert reopened.closed_at is None
    assert reopened.sla_due_at == add_working_time(settings.calendar, replied_at, 16 * HOUR)
    assert summary(events(run, question)[-1]) == (
        "citizen_reply", "answered", "new", "party", people.jan, None
    )
    assert messages(run, question)[-1] == ("citizen", "Dat is te laat.")


def test_a_reply_to_a_closed_question_reopens_it(run: Runner, people: People) -> None:
    question = asked(run, new(people))
    do(run, question, citizen_close)
    assert load(run, question).closed_at is not None
    do(run, question, citizen_reply, "Toch nog een vraag.", OFFICE)
    reopened = load(run, question)
    assert (reopened.state, reopened.closed_at) == ("new", None)
    assert [e.action for e in events(run, question)] == ["ask", "close", "citizen_reply"]


def test_a_reply_to_an_answer_after_a_handover_goes_back_to_the_specialist(
    run: Runner, people: People
) -> None:
    question = asked(run, new(people, topic="vergunning"))
    do(run, question, claim, people.agent)
    do(run, question, hand_over, people.agent, to_permits(people))
    do(run, question, take, people.specialist)
    do(run, question, mark_seen, people.specialist)
    assert load(run, question).handover_unread is False
    do(run, question, reply, people.specialist, "Ja, dat mag.")
    do(run, question, citizen_reply, "En 4 meter?", OFFICE)

    reopened = load(run, question)
    assert reopened.state == "handed_over"
    assert reopened.handover_unread is True  # news again for the specialist
    assert reopened.team_id == people.permits
    assert reopened.assignee_id == people.specialist.id
    assert summary(events(run, question)[-1]) == (
        "citizen_reply", "answered", "handed_over", "party", people.jan, None
    )


@pytest.mark.parametrize("steps", [0, 1, 2], ids=["new", "claimed", "handed_over"])
def test_a_reply_to_an_open_question_adds_a_message_and_changes_nothing_else(
    run: Runner, people: People, steps: int
) -> None:
    question = asked(run, new(people))
    if steps >= 1:
        do(run, question, claim, people.agent)
    if steps >= 2:
        do(run, question, hand_over, people.agent, to_permits(people))
    before = load(run, question)
    do(run, question, citizen_reply, "Nog iets.", OFFICE)
    after = load(run, question)
    assert (after.state, after.assignee_id, after.sla_due_at) == (
        before.state, before.assignee_id, before.sla_due_at
    )
    assert len(events(run, question)) == 1 + steps  # no event: the state did not change
    assert messages(run, question)[-1] == ("citizen", "Nog iets.")


# --- events ---------------------------------------------------------------------------------


def test_every_state_change_writes_an_event_with_from_to_actor_and_role(
    run: Runner, people: People
) -> None:
    agent, agent2, specialist, lead = people.agent, people.agent2, people.specialist, people.lead
    question = asked(run, new(people, topic="vergunning"))
    states = [load(run, question).state]
    life: list[tuple[Callable[..., Any], tuple[Any, ...]]] = [
        (claim, (agent,)),
        (release, (agent,)),
        (claim, (agent2,)),
        (hand_over, (agent2, to_permits(people))),
        (take, (specialist,)),
        (ask_citizen, (specialist, "Hoe breed?", OFFICE)),
        (citizen_reply, ("Drie meter.", OFFICE)),
        (reply, (specialist, "Dat mag.")),
        (citizen_close, ()),
        (citizen_reply, ("Toch nog iets.", OFFICE)),
        (take_over, (lead,)),  # the specialist holds it: the lead takes it over first
        (staff_close, (lead, Closing("duplicate"))),
    ]
    for action, args in life:
        states.append(do(run, question, action, *args).state)

    found = events(run, question)
    assert [summary(e) for e in found] == [
        ("ask", None, "new", "party", people.jan, None),
        ("claim", "new", "claimed", "staff", agent.id, "agent"),
        ("release", "claimed", "new", "staff", agent.id, "agent"),
        ("claim", "new", "claimed", "staff", agent2.id, "agent"),
        ("hand_over", "claimed", "handed_over", "staff", agent2.id, "agent"),
        ("take", "handed_over", "handed_over", "staff", specialist.id, "specialist"),
        ("wait", "handed_over", "waiting", "staff", specialist.id, "specialist"),
        ("citizen_reply", "waiting", "handed_over", "party", people.jan, None),
        ("reply", "handed_over", "answered", "staff", specialist.id, "specialist"),
        ("close", "answered", "closed", "party", people.jan, None),
        ("citizen_reply", "closed", "handed_over", "party", people.jan, None),
        ("take_over", "handed_over", "handed_over", "staff", lead.id, "lead"),
        ("close", "handed_over", "closed", "staff", lead.id, "lead"),
    ]
    assert [e.to_state for e in found] == states  # each event ends where the question went
    handover = found[4]
    assert (handover.team_id, handover.target_staff_id) == (people.permits, None)
    assert all(a.at <= b.at for a, b in zip(found, found[1:], strict=False))


def test_a_handover_to_a_named_specialist_records_them(run: Runner, people: People) -> None:
    question = asked(run, new(people, topic="vergunning"))
    do(run, question, hand_over, people.agent, to_permits(people, people.specialist.id))
    event = events(run, question)[-1]
    assert (event.action, event.team_id, event.target_staff_id) == (
        "hand_over", people.permits, people.specialist.id
    )
    assert load(run, question).assignee_id == people.specialist.id
    kind, note = messages(run, question)[-1]
    assert kind == "handover"
    assert note == ("[who] Jan Jansen, 06 1234 5678\n[what] Wil weten of een dakkapel mag.\n"
                    "[tried] Bestemmingsplan bekeken.")


# --- first-contact resolution ---------------------------------------------------------------

Step = Callable[[Runner, Question, People], object]
STEPS: dict[str, Step] = {
    "claim": lambda run, q, p: do(run, q, claim, p.agent),
    "reply": lambda run, q, p: do(run, q, reply, p.agent, "Zo zit het."),
    "wait": lambda run, q, p: do(run, q, ask_citizen, p.agent, "Welk adres?", OFFICE),
    "hand_over": lambda run, q, p: do(run, q, hand_over, p.agent, to_permits(p)),
    "take": lambda run, q, p: do(run, q, take, p.specialist),
    "specialist_reply": lambda run, q, p: do(run, q, reply, p.specialist, "Zo zit het."),
    "citizen_reply": lambda run, q, p: do(run, q, citizen_reply, "Nog een vraag.", OFFICE),
}


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ("claim reply", True),
        ("reply", True),
        ("claim wait citizen_reply reply", False),  # more than one answer (issue 15)
        ("claim reply citizen_reply claim reply", False),
        ("claim hand_over take specialist_reply", False),
        ("hand_over specialist_reply", False),
        ("claim reply citizen_reply hand_over", False),
        ("claim", None),
        ("claim wait", None),
        ("hand_over", None),
    ],
)
def test_first_contact_resolution_on_the_column_and_from_the_events(
    run: Runner, people: People, steps: str, expected: bool | None
) -> None:
    question = asked(run, new(people))
    for step in steps.split():
        STEPS[step](run, question, people)
    assert load(run, question).first_contact_resolution is expected
    assert resolution_of(events(run, question)) is expected


def test_first_contact_resolution_from_events_alone() -> None:
    def history(*actions: str) -> Sequence[QuestionEvent]:
        return [QuestionEvent(action=a) for a in actions]

    assert resolution_of(history()) is None
    assert resolution_of(history("ask", "claim", "reply")) is True
    assert resolution_of(history("ask", "hand_over", "take", "reply")) is False
    assert resolution_of(history("ask", "reply", "citizen_reply", "hand_over")) is False


# --- handovers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("handover", "field", "code"),
    [
        (lambda p: Handover(None, None, "Jan", "Dakkapel"), "target", "missing"),
        (lambda p: Handover(p.permits, None, "  ", "Dakkapel"), "who", "empty"),
        (lambda p: Handover(None, p.specialist.id, "Jan", "\r\n"), "what", "empty"),
        (lambda p: Handover(p.permits, None, "Jan", "Dakkapel", "t" * 2001), "tried", "too_long"),
    ],
    ids=["no-target", "no-who", "no-what", "tried-too-long"],
)
def test_a_handover_needs_a_target_and_who_and_what(
    run: Runner, people: People, handover: Callable[[People], Handover], field: str, code: str
) -> None:
    question = asked(run, new(people))
    do(run, question, claim, people.agent)
    with pytest.raises(QuestionError) as error:
        do(run, question, hand_over, people.agent, handover(people))
    assert (error.value.field, error.value.code) == (field, code)
    unchanged = load(run, question)
    assert (unchanged.state, unchanged.handed_over, unchanged.team_id) == ("claimed", False, None)
    assert unchanged.assignee_id == people.agent.id
    assert [e.action for e in events(run, question)] == ["ask", "claim"]
    assert [kind for kind, _ in messages(run, question)] == ["citizen"]


def test_a_specialist_sees_only_what_was_handed_to_them_or_their_team(
    run: Runner, people: People
) -> None:
    to_team = asked(run, new(people))
    do(run, to_team, hand_over, people.agent, to_permits(people))
    by_name = asked(run, new(people))
    do(run, by_name, hand_over, people.agent,
       Handover(None, people.specialist.id, "Jan", "Vraag over de dakkapel"))
    other_team = asked(run, new(people))
    do(run, other_team, hand_over, people.agent,
       Handover(people.taxes, None, "Jan", "Vraag over de aanslag"))
    in_queue = asked(run, new(people))

    def sees(staff: Staff, question: Question) -> bool:
        return run(staff_question, question.reference, staff) is not None

    assert [sees(people.specialist, q) for q in (to_team, by_name, other_team, in_queue)] == [
        True, True, False, False
    ]
    assert [sees(people.taxman, q) for q in (to_team, by_name, other_team, in_queue)] == [
        False, False, True, False
    ]
    assert all(sees(people.agent, q) for q in (to_team, by_name, other_team, in_queue))


# --- the queue ------------------------------------------------------------------------------

NOW = datetime(2026, 3, 4, 12, tzinfo=UTC)


async def _queue_world(session: AsyncSession, people: People) -> dict[str, str]:
    """Questions in every state, with deadlines relative to NOW; name -> reference."""
    made: dict[str, Question] = {}
    specs = [  # name, topic, channel, due relative to NOW
        ("late", "overig", "web", timedelta(days=3)),
        ("urgent", "vergunning", "phone", timedelta(hours=-2)),
        ("soon", "overig", "email", timedelta(minutes=30)),
        ("mine", "overig", "web", timedelta(minutes=90)),  # not yet escalated
        ("others", "overig", "web", timedelta(minutes=20)),
        ("team", "vergunning", "web", timedelta(days=2)),
        ("named", "vergunning", "counter", timedelta(hours=5)),
        ("tax", "belasting", "web", timedelta(days=-1)),
        ("waiting", "overig", "web", timedelta(hours=-3)),
        ("answered", "overig", "web", timedelta(days=-1)),
        ("closed", "overig", "web", timedelta(days=-2)),
    ]
    for name, topic, channel, _due in specs:
        made[name], _ = await ask(session, new(people, topic=topic, channel=channel), OFFICE)
    await claim(session, made["mine"], people.agent)
    await claim(session, made["others"], people.agent2)
    await hand_over(session, made["team"], people.agent, to_permits(people))
    await hand_over(session, made["named"], people.agent,
                    Handover(None, people.specialist.id, "Jan", "Breedte dakkapel"))
    await hand_over(session, made["tax"], people.agent,
                    Handover(people.taxes, None, "Jan", "Aanslag"))
    await claim(session, made["waiting"], people.agent)
    await ask_citizen(session, made["waiting"], people.agent, "Welk adres?", OFFICE)
    await reply(session, made["answered"], people.agent, "Zo zit het.")
    await staff_close(session, made["closed"], people.agent, Closing("phone"))
    for name, _topic, _channel, due in specs:
        made[name].sla_due_at = NOW + due
    await session.flush()
    return {name: question.reference for name, question in made.items()}


def queue(run: Runner, staff: Staff, view: str, filters: QueueFilters | None = None,
          page: int = 1, page_size: int = 50) -> QueuePage:
    return run(staff_queue, staff, view, filters or QueueFilters(), page, page_size, NOW)  # type: ignore[no-any-return]


def names(page: QueuePage, world: dict[str, str]) -> list[str]:
    by_reference = {reference: name for name, reference in world.items()}
    return [by_reference[str(row.reference)] for row in page.rows]


def test_queue_views_most_urgent_first(run: Runner, people: People) -> None:
    world = run(_queue_world, people)
    agent = queue(run, people.agent, "queue")
    assert names(agent, world) == ["urgent", "soon", "late"]
    assert agent.counts == {"queue": 3, "mine": 2, "team": 0, "escalated": 4}
    assert names(queue(run, people.agent, "mine"), world) == ["waiting", "mine"]
    assert names(queue(run, people.agent2, "mine"), world) == ["others"]
    assert names(queue(run, people.agent, "team"), world) == []  # an agent is in no team
    # Due within the hour or overdue, and not waiting on the citizen, answered or closed.
    assert names(queue(run, people.lead, "escalated"), world) == [
        "tax", "urgent", "others", "soon"
    ]


def test_a_specialists_views_are_their_team_and_their_own(run: Runner, people: People) -> None:
    world = run(_queue_world, people)
    team = queue(run, people.specialist, "team")
    assert names(team, world) == ["named", "team"]
    assert team.counts == {"team": 2, "mine": 1}
    assert names(queue(run, people.specialist, "mine"), world) == ["named"]
    assert names(queue(run, people.taxman, "team"), world) == ["tax"]
    fallback = queue(run, people.specialist, "queue")  # not theirs: they get their team view
    assert fallback.view == "team" and names(fallback, world) == ["named", "team"]


@pytest.mark.parametrize(
    ("view", "filters", "expected"),
    [
        ("queue", {"topic": "vergunning"}, ["urgent"]),
        ("queue", {"channel": "email"}, ["soon"]),
        ("queue", {"overdue": True}, ["urgent"]),
        ("escalated", {"overdue": True}, ["tax", "urgent"]),
        ("escalated", {"topic": "overig"}, ["others", "soon"]),
        ("mine", {"overdue": True}, []),  # waiting on the citizen: its clock stands still
        ("queue", {"topic": "overig", "channel": "phone"}, []),
    ],
)
def test_queue_filters(
    run: Runner, people: People, view: str, filters: dict[str, Any], expected: list[str]
) -> None:
    world = run(_queue_world, people)
    rest = {key: value for key, value in filters.items() if key != "topic"}
    topic = filters.get("topic")
    chosen = QueueFilters(topic_id=people.topics[topic].id if topic else None, **rest)
    page = queue(run, people.agent, view, chosen)
    assert names(page, world) == expected
    assert page.total == len(expected)


def test_queue_pages(run: Runner, people: People) -> None:
    world = run(_queue_world, people)
    first = queue(run, people.agent, "queue", page=1, page_size=2)
    second = queue(run, people.agent, "queue", page=2, page_size=2)
    assert (first.pages, first.total) == (2, 3)
    assert names(first, world) == ["urgent", "soon"]
    assert names(second, world) == ["late"]


# --- claiming the next question -------------------------------------------------------------


async def _due(session: AsyncSession, question_id: int, due: datetime) -> None:
    question = await session.get(Question, question_id)
    assert question is not None
    question.sla_due_at = due


def test_claim_next_takes_the_most_urgent_and_none_when_the_queue_is_empty(
    run: Runner, people: People
) -> None:
    assert run(claim_next, people.agent) is None
    now = utcnow()
    questions = {}
    for name, topic, due in [("later", "overig", timedelta(hours=2)),
                             ("first", "overig", timedelta(hours=-1)),
                             ("permit", "vergunning", timedelta(days=1)),
                             ("held", "overig", timedelta(hours=-5))]:
        questions[name] = asked(run, new(people, topic=topic))
        run(_due, questions[name].id, now + due)
    do(run, questions["held"], claim, people.agent2)  # most urgent, but not in the queue

    claimed_at = utcnow()
    assert run(claim_next, people.agent, None, claimed_at) == questions["first"].reference
    claimed = load(run, questions["first"])
    assert (claimed.state, claimed.assignee_id, claimed.updated_at) == (
        "claimed", people.agent.id, claimed_at
    )
    [_ask, event] = events(run, claimed)
    assert summary(event) == ("claim", "new", "claimed", "staff", people.agent.id, "agent")
    assert event.at == claimed_at

    permits = people.topics["vergunning"].id
    assert run(claim_next, people.lead, permits) == questions["permit"].reference
    assert summary(events(run, questions["permit"])[-1])[-1] == "lead"
    assert run(claim_next, people.agent, permits) is None  # none left of that topic
    assert run(claim_next, people.agent) == questions["later"].reference
    assert run(claim_next, people.agent) is None
    assert load(run, questions["held"]).assignee_id == people.agent2.id
    assert [e.action for e in events(run, questions["held"])] == ["ask", "claim"]


def test_specialists_cannot_claim_from_the_queue(run: Runner, people: People) -> None:
    question = asked(run, new(people))
    with pytest.raises(PermissionError):
        run(claim_next, people.specialist)
    with pytest.raises(PermissionError):
        do(run, question, claim, people.specialist)
    assert load(run, question).state == "new"
    assert [e.action for e in events(run, question)] == ["ask"]


def test_only_the_holder_or_a_lead_releases(run: Runner, people: People) -> None:
    question = asked(run, new(people))
    do(run, question, claim, people.agent)
    with pytest.raises(PermissionError):
        do(run, question, release, people.agent2)
    assert load(run, question).assignee_id == people.agent.id
    do(run, question, release, people.lead)
    assert (load(run, question).state, load(run, question).assignee_id) == ("new", None)


# --- contacts and callbacks -----------------------------------------------------------------


@pytest.mark.parametrize("channel", ["web", "partner", "fax"])
def test_register_contact_refuses_channels_that_are_not_a_contact(
    run: Runner, people: People, channel: str
) -> None:
    async def register(session: AsyncSession) -> Contact:
        return await register_contact(session, people.agent, people.jan, channel, "Gesproken.",
                                      internal=False)

    with pytest.raises(QuestionError) as error:
        run(register)
    assert (error.value.field, error.value.code) == ("channel", "unknown")
    assert count(run, Contact) == 0


def test_register_contact_saves_a_phone_call(run: Runner, people: People) -> None:
    async def register(session: AsyncSession) -> Contact:
        return await register_contact(session, people.agent, people.jan, "phone",
                                      " Gebeld over de stoeptegel. \r\n", internal=True)

    contact = run(register)
    assert (contact.party_id, contact.channel, contact.internal, contact.staff_id) == (
        people.jan, "phone", True, people.agent.id
    )
    assert contact.summary == "Gebeld over de stoeptegel."
    assert count(run, Contact) == 1


def callback(people: People, **change: Any) -> Callback:
    start, end = suggest_window(OFFICE, utcnow())  # the first window that may be promised
    values: dict[str, Any] = {
        "party_id": people.jan, "topic_id": people.topics["vergunning"].id,
        "phone": " +31 (0)6  1234-5678 ", "window_from": start,
        "window_until": end, "handover": to_permits(people),
    }
    return Callback(**{**values, **change})


def test_request_callback_lands_with_the_team_as_a_callback(run: Runner, people: People) -> None:
    asked_for = callback(people)
    question = run(request_callback, people.agent, asked_for, OFFICE)
    saved = load(run, question)
    assert (saved.kind, saved.state, saved.channel) == ("callback", "handed_over", "phone")
    assert (saved.team_id, saved.handed_over, saved.created_by_id) == (
        people.permits, True, people.agent.id
    )
    assert saved.callback_phone == "+31 (0)6 1234-5678"
    assert (saved.callback_from, saved.callback_until) == (
        asked_for.window_from, asked_for.window_until
    )
    assert saved.sla_due_at == asked_for.window_until  # the window ends before the topic's SLA
    assert [kind for kind, _ in messages(run, question)] == ["handover"]
    assert [summary(e)[:4] for e in events(run, question)] == [
        ("ask", None, "new", "staff"), ("hand_over", "new", "handed_over", "staff")
    ]
    assert names_in_team(run, people) == [question.reference]


def names_in_team(run: Runner, people: People) -> list[str]:
    page = run(staff_queue, people.specialist, "team", QueueFilters(), 1, 10)
    return [str(row.reference) for row in page.rows]


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"phone": "12345"}, "phone", "invalid"),
        ({"phone": "06 1234 5678 9012 3456"}, "phone", "invalid"),
        ({"phone": "06-1234x5678"}, "phone", "invalid"),
        ({"phone": ""}, "phone", "invalid"),
        ({"window_until": utcnow() - timedelta(minutes=30)}, "window", "order"),
        ({"window_from": utcnow() - timedelta(hours=3),
          "window_until": utcnow() - timedelta(hours=1)}, "window", "past"),
        ({"handover": Handover(None, None, "Jan", "Terugbellen")}, "target", "missing"),
    ],
    ids=["too-short", "too-long", "letter", "empty", "until-before-from", "past", "no-target"],
)
def test_request_callback_validates_phone_and_window(
    run: Runner, people: People, change: dict[str, Any], field: str, code: str
) -> None:
    with pytest.raises(QuestionError) as error:
        run(request_callback, people.agent, callback(people, **change), OFFICE)
    assert (error.value.field, error.value.code) == (field, code)
    assert count(run, Question) == 0


@pytest.mark.parametrize(
    "action",
    [
        (reply, ("Dat mag.",)),
        (ask_citizen, ("Hoe breed?", OFFICE)),
        (staff_close, (Closing("duplicate"),)),
        ("hand_over", ()),
    ],
    ids=["reply", "ask-the-party", "close", "hand-over"],
)
def test_a_question_a_colleague_holds_is_not_theirs_to_answer(
    run: Runner, people: People, action: tuple[Any, tuple[Any, ...]]
) -> None:
    question = asked(run, new(people))
    do(run, question, claim, people.agent)
    fn, args = action
    if fn == "hand_over":
        fn, args = hand_over, (to_permits(people),)
    with pytest.raises(PermissionError):
        do(run, question, fn, people.agent2, *args)
    after = load(run, question)
    assert (after.state, after.assignee_id) == ("claimed", people.agent.id)
    assert [e.action for e in events(run, question)] == ["ask", "claim"]
    with pytest.raises(PermissionError):  # a team lead neither, without taking it over
        do(run, question, fn, people.lead, *args)
    assert [e.action for e in events(run, question)] == ["ask", "claim"]
    do(run, question, add_note, people.agent2, "Ik weet hier meer van.")  # a note is fine
    do(run, question, fn, people.agent, *args)  # the holder may
