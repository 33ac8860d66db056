"""The monthly report's figures on both databases, against the data set of insight_fixture.py,
whose figures were worked out by hand (see the comments there)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from insight_fixture import MONTH, TODAY, seed
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from conftest import Runner
from mijn.insight import handling, knowledge, volumes
from mijn.insight.knowledge import AnswerVotes, Deflection, FlagCount, PastReview
from mijn.insight.period import Period, between, departments, moment
from mijn.insight.volumes import ChannelCount, LabelCount, MonthCount
from mijn.questions.models import Question, QuestionEvent
from mijn.questions.resolution import first_contact_resolution, needed_more

H = 3600.0
ALL = Period(MONTH, months=3)
PERMITS = Period(MONTH, months=3, department="Vergunningen")


@pytest.fixture
def seeded(run: Runner) -> Runner:
    """The hand-made data set, loaded."""
    run(seed)
    return run


def test_period_months_and_boundaries_are_dutch_time() -> None:
    period = Period(date(2026, 1, 1), months=3)
    assert period.previous == date(2025, 12, 1) and period.end == date(2026, 2, 1)
    assert period.trend_months == [date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1)]
    assert moment(date(2026, 3, 1)).isoformat() == "2026-02-28T23:00:00+00:00"
    assert moment(date(2026, 4, 1)).isoformat() == "2026-03-31T22:00:00+00:00"


def test_questions_per_topic_this_month_and_the_month_before(seeded: Runner) -> None:
    assert seeded(volumes.questions_by_topic, ALL) == [
        LabelCount("Vergunningen", "Permits", 3, 1),
        LabelCount("Straat, groen en afval", "Streets, parks and waste", 2, 1),
        LabelCount("Belastingen", "Taxes", 1, 1),
        LabelCount("Iets anders", "Something else", 1, 0),
    ]
    assert seeded(volumes.questions_by_topic, PERMITS) == [
        LabelCount("Vergunningen", "Permits", 2, 1)]


def test_reports_and_cases_per_type(seeded: Runner) -> None:
    assert seeded(volumes.dossiers_by_type, ALL, "report") == [
        LabelCount("Melding", "Report", 2, 1)]
    assert seeded(volumes.dossiers_by_type, ALL, "case") == [
        LabelCount("Vergunning", "Permit", 1, 0)]
    assert seeded(volumes.dossiers_by_type, PERMITS, "report") == []


def test_per_channel(seeded: Runner) -> None:
    assert seeded(volumes.by_channel, ALL) == [
        ChannelCount("web", questions=4, reports=1, cases=1),
        ChannelCount("phone", questions=1, reports=1, contacts=2, callbacks=1),
        ChannelCount("counter", questions=1),
        ChannelCount("email", questions=1),
    ]
    assert seeded(volumes.by_channel, PERMITS) == [
        ChannelCount("web", questions=2, cases=1), ChannelCount("phone", contacts=1)]


def test_trend_per_month(seeded: Runner) -> None:
    assert seeded(volumes.trend, ALL) == [
        MonthCount(date(2026, 1, 1), 1, 0, 1),
        MonthCount(date(2026, 2, 1), 3, 1, 0),
        MonthCount(date(2026, 3, 1), 7, 2, 1, callbacks=1),
    ]
    assert seeded(volumes.trend, PERMITS) == [
        MonthCount(date(2026, 1, 1), 0, 0, 1),
        MonthCount(date(2026, 2, 1), 1, 0, 0),
        MonthCount(date(2026, 3, 1), 2, 0, 1),
    ]


def test_handling_time_service_level_and_first_contact_resolution(seeded: Runner) -> None:
    # Answered in March after 1, 2, 4, 10, 24 and 240 hours: the median lies halfway between
    # the 3rd and 4th (7 h); the 90th percentile at position 1 + 0.9 x 5 = 5.5 (132 h).
    result = seeded(handling.handling, ALL)
    assert (result.answered, result.with_due, result.on_time) == (6, 5, 3)
    assert result.median_seconds == pytest.approx(7 * H)
    assert result.p90_seconds == pytest.approx(132 * H)
    # Q5 is open and past due since 1 March: late for the service level, 3 of 5 + 1.
    assert (result.late_open, result.due) == (1, 6)
    assert result.on_time_share == pytest.approx(0.5)
    # Q3 was handed over, Q1 needed a second answer (wait, citizen's reply, reply).
    assert (result.fcr_known, result.fcr_yes) == (6, 4)
    assert result.fcr_share == pytest.approx(4 / 6)
    permits = seeded(handling.handling, PERMITS)  # 2 and 4 hours
    assert (permits.answered, permits.on_time, permits.fcr_yes) == (2, 2, 1)
    assert permits.late_open == 0
    assert permits.median_seconds == pytest.approx(3 * H)
    assert permits.p90_seconds == pytest.approx(3.8 * H)


def test_handling_of_an_empty_month(seeded: Runner) -> None:
    result = seeded(handling.handling, Period(date(2025, 6, 1)))
    assert result.answered == 0 and result.median_seconds is None
    assert result.on_time_share is None and result.fcr_share is None


async def _postgres_percentiles(session: AsyncSession) -> Any:
    if session.get_bind().dialect.name != "postgresql":
        return None
    return (await session.execute(text(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s), "
        "percentile_cont(0.9) WITHIN GROUP (ORDER BY s) FROM (SELECT extract(epoch FROM "
        "answered_at - created_at) AS s FROM questions WHERE answered_at >= :start "
        "AND answered_at < :end AND kind = 'question') AS d"), {"start": moment(ALL.month),
                                          "end": moment(ALL.end)})).one()


async def _window(session: AsyncSession, period: Period) -> tuple[Any, Any]:
    seconds = handling.seconds_between(Question.answered_at, Question.created_at,
                                       session.get_bind().dialect.name)
    return await handling.window_percentiles(
        session, seconds, [between(Question.answered_at, period.month, period.end),
                           Question.kind == "question"])


def test_window_percentiles_equal_the_hand_sums_and_percentile_cont(seeded: Runner) -> None:
    # The portable version (SQLite's) on both databases; on PostgreSQL also against its own
    # percentile_cont over the same rows.
    assert seeded(_window, ALL) == pytest.approx((7 * H, 132 * H))
    expected = seeded(_postgres_percentiles)
    if expected is not None:
        assert seeded(_window, ALL) == pytest.approx((float(expected[0]), float(expected[1])))


def test_handovers_per_team(seeded: Runner) -> None:
    assert seeded(handling.handovers_by_team, ALL) == [
        LabelCount("", "", 1, 0),
        LabelCount("Vergunningen", "Permits", 1, 1),
        LabelCount("Wijkbeheer", "Neighbourhoods", 0, 1),
    ]
    assert seeded(handling.handovers_by_team, PERMITS) == [
        LabelCount("Vergunningen", "Permits", 0, 1)]


def test_deflection(seeded: Runner) -> None:
    result = seeded(knowledge.deflection, ALL)
    assert result == Deflection(views=3, suggested=2, opened=4, forms_opened=3,
                                forms_deflected=2, web_questions=4)
    assert result.deflected_share == pytest.approx(2 / 6)


def test_answers_votes_review_dates_and_flags(seeded: Runner) -> None:
    assert seeded(knowledge.most_no_votes, ALL) == [
        AnswerVotes("Een vergunning aanvragen", 1, 3), AnswerVotes("Grofvuil laten ophalen", 0, 2)]
    assert seeded(knowledge.past_review, TODAY) == [
        PastReview("Grofvuil laten ophalen", date(2026, 1, 1), 0, 7),
        PastReview("Hondenbelasting", date(2026, 3, 15), 2, 0)]
    assert seeded(knowledge.flags, ALL) == [
        FlagCount("Een vergunning aanvragen", 2, 1), FlagCount(None, 1, 1)]


def test_departments(seeded: Runner) -> None:
    assert seeded(departments) == ["Vergunningen", "Wijkbeheer"]


async def _count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(text("questions"))) or 0)


def test_the_fixture_is_what_the_comments_say(seeded: Runner) -> None:
    assert seeded(_count) == 13


def test_open_questions_count_as_late_only_once_past_due(seeded: Runner) -> None:
    # Q5 is due at 08:30 on 1 March: at 06:00 it is not late yet, at 09:00 it is.
    early = seeded(handling.handling, ALL, moment(MONTH) + timedelta(hours=5))
    assert (early.late_open, early.due, early.on_time) == (0, 5, 3)
    late = seeded(handling.handling, ALL, moment(MONTH) + timedelta(hours=9))
    assert late.late_open == 1


def test_callback_requests_are_no_questions(seeded: Runner) -> None:
    # C1 (phone, March, answered in 40 minutes) is in no figure of questions.
    assert sum(t.count for t in seeded(volumes.questions_by_topic, ALL)) == 7
    assert seeded(handling.handling, ALL).answered == 6
    assert seeded(knowledge.deflection, ALL).web_questions == 4


async def _fcr_both_ways(session: AsyncSession) -> list[tuple[str, bool | None, bool]]:
    refs = ("INS-Q1", "INS-Q2", "INS-Q3")
    found = []
    for ref in refs:
        question = await session.scalar(select(Question).where(Question.reference == ref))
        assert question is not None
        actions = list(await session.scalars(select(QuestionEvent.action).where(
            QuestionEvent.question_id == question.id).order_by(QuestionEvent.at)))
        more = await session.scalar(select(needed_more(Question.id)).where(
            Question.id == question.id))
        found.append((ref, first_contact_resolution(actions), bool(more)))
    return found


def test_the_report_and_the_workspace_share_one_first_contact_rule(seeded: Runner) -> None:
    # The workspace decides from the events in Python, the report in SQL: they agree.
    assert seeded(_fcr_both_ways) == [("INS-Q1", False, True), ("INS-Q2", True, False),
                                      ("INS-Q3", None, True)]
    assert first_contact_resolution(["claim", "reply"]) is True
    assert first_contact_resolution(["claim", "wait", "citizen_reply", "reply"]) is False
    assert first_contact_resolution(["reply", "citizen_reply", "reply"]) is False
    assert first_contact_resolution(["hand_over", "take", "reply"]) is False
    assert first_contact_resolution(["claim", "wait"]) is None
