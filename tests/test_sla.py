"""SLA arithmetic in working time: concrete deadlines, DST, holidays, parsing and invariants."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mijn.workingtime import (
    WorkingCalendar,
    add_working_time,
    parse_calendar,
    working_seconds_between,
)

AMS = ZoneInfo("Europe/Amsterdam")
HOUR = 3600
OFFICE = WorkingCalendar()  # 08:30-17:00, Monday to Friday, Europe/Amsterdam
CHRISTMAS = WorkingCalendar(holidays=frozenset({date(2026, 12, 25), date(2026, 12, 26)}))
# Every day from midnight to 06:00: the DST change itself falls inside working time.
NIGHT = WorkingCalendar(start=time(0, 0), end=time(6, 0), days=frozenset(range(1, 8)))
ODD = WorkingCalendar(
    start=time(9, 15),
    end=time(12, 45),
    days=frozenset({1, 3, 6}),
    holidays=frozenset({date(2026, 3, 30), date(2026, 10, 26), date(2027, 1, 2)}),
)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A moment on the wall clock of Amsterdam."""
    return datetime(year, month, day, hour, minute, tzinfo=AMS)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A moment in UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "seconds", "expected"),
    [
        pytest.param(local(2026, 6, 2, 10), 2 * HOUR, utc(2026, 6, 2, 10), id="within-one-day"),
        pytest.param(local(2026, 6, 2, 8, 30), 30_600, utc(2026, 6, 2, 15), id="whole-day"),
        pytest.param(local(2026, 6, 2, 16), 2 * HOUR, utc(2026, 6, 3, 7, 30), id="next-morning"),
        pytest.param(local(2026, 6, 5, 16, 30), HOUR, utc(2026, 6, 8, 7), id="friday-to-monday"),
        pytest.param(local(2026, 6, 6, 11), HOUR, utc(2026, 6, 8, 7, 30), id="start-saturday"),
        pytest.param(local(2026, 6, 2, 7), 1800, utc(2026, 6, 2, 7), id="before-opening"),
        pytest.param(local(2026, 6, 2, 18), 1800, utc(2026, 6, 3, 7), id="after-closing"),
        pytest.param(local(2026, 6, 2, 17), 60, utc(2026, 6, 3, 6, 31), id="at-closing"),
        pytest.param(utc(2026, 6, 2, 8), 2 * HOUR, utc(2026, 6, 2, 10), id="start-given-in-utc"),
    ],
)
def test_add_working_time(start: datetime, seconds: int, expected: datetime) -> None:
    result = add_working_time(OFFICE, start, seconds)
    assert result == expected and result.tzinfo is UTC


@pytest.mark.parametrize(
    "start", [local(2026, 6, 2, 10), local(2026, 6, 6, 11), local(2026, 6, 2, 18)]
)
def test_zero_seconds_is_the_start_itself(start: datetime) -> None:
    result = add_working_time(OFFICE, start, 0)
    assert result == start and result.tzinfo is UTC


def test_holidays_are_skipped() -> None:
    # Thursday 24 December 16:00: one hour that day, Friday and Saturday are holidays.
    christmas_eve = local(2026, 12, 24, 16)
    assert add_working_time(CHRISTMAS, christmas_eve, 2 * HOUR) == utc(2026, 12, 28, 8, 30)
    assert add_working_time(OFFICE, christmas_eve, 2 * HOUR) == utc(2026, 12, 25, 8, 30)


def test_dst_starts_in_march() -> None:
    # Friday 16:00 CET, 1 hour left; Monday 30 March 08:30 CEST + 7 hours = 15:30 CEST.
    result = add_working_time(OFFICE, local(2026, 3, 27, 16), 8 * HOUR)
    assert result == utc(2026, 3, 30, 13, 30) == local(2026, 3, 30, 15, 30)


def test_dst_ends_in_october() -> None:
    # Friday 16:00 CEST, 1 hour left; Monday 26 October 08:30 CET + 7 hours = 15:30 CET.
    result = add_working_time(OFFICE, local(2026, 10, 23, 16), 8 * HOUR)
    assert result == utc(2026, 10, 26, 14, 30) == local(2026, 10, 26, 15, 30)


def test_dst_change_inside_working_hours() -> None:
    march = working_seconds_between(NIGHT, local(2026, 3, 29), local(2026, 3, 30))
    october = working_seconds_between(NIGHT, local(2026, 10, 25), local(2026, 10, 26))
    assert (march, october) == (5 * HOUR, 7 * HOUR)
    # 01:00 CET plus two real hours is 04:00 CEST, not 03:00.
    assert add_working_time(NIGHT, local(2026, 3, 29, 1), 2 * HOUR) == local(2026, 3, 29, 4)


def test_ten_thousand_working_hours() -> None:
    # 1176 whole days of 8.5 hours (235 weeks and a Monday) leave 4 hours for the Tuesday.
    result = add_working_time(OFFICE, local(2026, 1, 5, 8, 30), 10_000 * HOUR)
    assert result == local(2030, 7, 9, 12, 30)


def test_working_seconds_between() -> None:
    friday, monday = local(2026, 6, 5, 16), local(2026, 6, 8, 10)
    assert working_seconds_between(OFFICE, friday, monday) == HOUR + 5400
    assert working_seconds_between(OFFICE, monday, friday) == -(HOUR + 5400)
    assert working_seconds_between(OFFICE, friday, friday) == 0
    week = working_seconds_between(OFFICE, local(2026, 6, 1, 8, 30), local(2026, 6, 8, 8, 30))
    assert week == 5 * (8 * HOUR + 1800)
    assert working_seconds_between(OFFICE, local(2026, 6, 6), local(2026, 6, 7, 23)) == 0


def test_naive_and_negative_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        add_working_time(OFFICE, datetime(2026, 6, 2, 10), HOUR)
    with pytest.raises(ValueError, match="timezone-aware"):
        working_seconds_between(OFFICE, local(2026, 6, 2), datetime(2026, 6, 3))
    with pytest.raises(ValueError, match="negative"):
        add_working_time(OFFICE, local(2026, 6, 2, 10), -1)


def test_a_calendar_without_working_days_ahead_is_refused() -> None:
    mondays = frozenset(date(2026, 6, 1) + timedelta(weeks=n) for n in range(600))
    calendar = WorkingCalendar(days=frozenset({1}), holidays=mondays)
    with pytest.raises(ValueError, match="no working day"):
        add_working_time(calendar, local(2026, 6, 1), HOUR)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"start": time(17), "end": time(8, 30)}, "before end"),
        ({"start": time(9), "end": time(9)}, "before end"),
        ({"days": frozenset()}, "must not be empty"),
        ({"days": frozenset({0, 1})}, r"\[0\]"),
        ({"days": frozenset({5, 8})}, r"\[8\]"),
        ({"start": time(8, tzinfo=UTC)}, "without a timezone"),
    ],
)
def test_calendar_validation(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WorkingCalendar(**fields)  # type: ignore[arg-type]


def test_parse_calendar() -> None:
    assert parse_calendar("08:30-17:00", "1-5", "") == WorkingCalendar()
    assert parse_calendar(" 08:30-17:00 ", "1,2,3,4,5", "  ") == WorkingCalendar()
    calendar = parse_calendar("09:00-16:30", "1-3,5", "2026-12-25, 2026-12-26")
    assert (calendar.start, calendar.end) == (time(9), time(16, 30))
    assert calendar.days == frozenset({1, 2, 3, 5})
    assert calendar.holidays == frozenset({date(2026, 12, 25), date(2026, 12, 26)})
    assert calendar.tz == AMS
    assert parse_calendar("00:00-23:59", "7, 6", "2027-01-01").days == frozenset({6, 7})


GOOD = {"hours": "08:30-17:00", "days": "1-5", "holidays": ""}


@pytest.mark.parametrize(
    ("field", "value", "example"),
    [
        ("hours", "8:30-17:00", "'08:30-17:00'"),
        ("hours", "08:30", "'08:30-17:00'"),
        ("hours", "", "'08:30-17:00'"),
        ("hours", "17:00-08:30", "'08:30-17:00'"),
        ("hours", "09:00-09:00", "'08:30-17:00'"),
        ("hours", "25:00-26:00", "'08:30-17:00'"),
        ("hours", "08:60-17:00", "'08:30-17:00'"),
        ("days", "", "'1-5'"),
        ("days", "0-4", "'1-5'"),
        ("days", "1-8", "'1-5'"),
        ("days", "5-1", "'1-5'"),
        ("days", "mon-fri", "'1-5'"),
        ("days", "1,,2", "'1-5'"),
        ("holidays", "2026-13-01", "'2026-12-25,2026-12-26'"),
        ("holidays", "25-12-2026", "'2026-12-25,2026-12-26'"),
        ("holidays", "20261225", "'2026-12-25,2026-12-26'"),
        ("holidays", "2026-12-25,", "'2026-12-25,2026-12-26'"),
    ],
)
def test_parse_calendar_refuses_bad_input(field: str, value: str, example: str) -> None:
    with pytest.raises(ValueError, match=field.rstrip("s")) as error:
        parse_calendar(**{**GOOD, field: value})
    assert example in str(error.value) and repr(value) in str(error.value)


CALENDARS = [OFFICE, CHRISTMAS, NIGHT, ODD]
MOMENTS = st.datetimes(
    min_value=datetime(2025, 1, 1),
    max_value=datetime(2028, 12, 31),
    timezones=st.sampled_from([UTC, AMS, ZoneInfo("America/New_York")]),
    allow_imaginary=False,
)
PROPERTY = settings(max_examples=200, database=None, deadline=None)


@pytest.mark.parametrize("calendar", CALENDARS)
@PROPERTY
@given(start=MOMENTS, seconds=st.integers(0, 3_000_000))
def test_between_inverts_add(calendar: WorkingCalendar, start: datetime, seconds: int) -> None:
    deadline = add_working_time(calendar, start, seconds)
    assert deadline >= start
    assert working_seconds_between(calendar, start, deadline) == seconds
    if seconds:
        # The deadline is the first such moment: a second earlier, one second is missing.
        earlier = deadline - timedelta(seconds=1)
        assert working_seconds_between(calendar, start, earlier) == seconds - 1


@pytest.mark.parametrize("calendar", CALENDARS)
@PROPERTY
@given(a=MOMENTS, b=MOMENTS)
def test_between_is_antisymmetric(calendar: WorkingCalendar, a: datetime, b: datetime) -> None:
    assert working_seconds_between(calendar, a, b) == -working_seconds_between(calendar, b, a)
