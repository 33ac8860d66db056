"""SLA arithmetic in working time (kantooruren): pure functions, no database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = frozenset(range(1, 8))
# Days in a row without any working time before we give up: a calendar whose holidays
# cover ten years is a configuration error, not a deadline.
MAX_IDLE_DAYS = 3660
_ONE_SECOND = timedelta(seconds=1)
# Callbacks start on a quarter of an hour: the first free slot is now, rounded up to one.
SLOT = timedelta(minutes=15)
_HOURS = re.compile(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})")
_DAYS_ITEM = re.compile(r"(\d)(?:-(\d))?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_HOURS_EXAMPLE = "expected HH:MM-HH:MM, e.g. '08:30-17:00'"
_DAYS_EXAMPLE = (
    "expected ISO weekday numbers (1=Monday .. 7=Sunday) as ranges or a list, "
    "e.g. '1-5', '1,2,3,4,5' or '1-3,5'"
)
_HOLIDAYS_EXAMPLE = "expected YYYY-MM-DD dates separated by commas, e.g. '2026-12-25,2026-12-26'"


@dataclass(frozen=True)
class WorkingCalendar:
    """Opening hours on working days, in local time of `tz`, minus holidays."""

    start: time = time(8, 30)
    end: time = time(17, 0)
    days: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    holidays: frozenset[date] = frozenset()
    tz: ZoneInfo = ZoneInfo("Europe/Amsterdam")

    def __post_init__(self) -> None:
        """Refuse a calendar without working time."""
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("working hours must be local times without a timezone")
        if self.start >= self.end:
            raise ValueError(f"working hours start ({self.start}) must be before end ({self.end})")
        if not self.days:
            raise ValueError("working days must not be empty")
        if not self.days <= WEEKDAYS:
            wrong = sorted(self.days - WEEKDAYS)
            raise ValueError(f"working days {wrong} are not ISO weekdays 1 (Monday) .. 7 (Sunday)")

    def period(self, day: date) -> tuple[datetime, datetime] | None:
        """The working period of `day` in UTC, or None when `day` has none."""
        if day.isoweekday() not in self.days or day in self.holidays:
            return None
        begin = datetime.combine(day, self.start, tzinfo=self.tz).astimezone(UTC)
        end = datetime.combine(day, self.end, tzinfo=self.tz).astimezone(UTC)
        # Both inside a DST gap can come out reversed: that day has no working time.
        return (begin, end) if begin < end else None

    def local_date(self, moment: datetime) -> date:
        """The date of `moment` on the wall clock of this calendar."""
        return moment.astimezone(self.tz).date()


def parse_calendar(hours: str, days: str, holidays: str) -> WorkingCalendar:
    """A calendar from configuration strings such as '08:30-17:00', '1-5' and '2026-12-25'."""
    start, end = _parse_hours(hours)
    return WorkingCalendar(
        start=start, end=end, days=_parse_days(days), holidays=_parse_holidays(holidays)
    )


def _parse_hours(text: str) -> tuple[time, time]:
    """Opening and closing time from 'HH:MM-HH:MM'."""
    match = _HOURS.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"invalid working hours {text!r}: {_HOURS_EXAMPLE}")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValueError(f"invalid working hours {text!r}: not a time of day; {_HOURS_EXAMPLE}")
    start, end = time(h1, m1), time(h2, m2)
    if start >= end:
        raise ValueError(
            f"invalid working hours {text!r}: opening must be before closing; {_HOURS_EXAMPLE}"
        )
    return start, end


def _parse_days(text: str) -> frozenset[int]:
    """ISO weekday numbers from '1-5', '1,2,3,4,5' or '1-3,5'."""
    result: set[int] = set()
    for item in text.split(","):
        match = _DAYS_ITEM.fullmatch(item.strip())
        if match is None:
            raise ValueError(f"invalid working days {text!r}: bad item {item!r}; {_DAYS_EXAMPLE}")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if not 1 <= first <= last <= 7:
            raise ValueError(f"invalid working days {text!r}: bad range {item!r}; {_DAYS_EXAMPLE}")
        result.update(range(first, last + 1))
    return frozenset(result)


def _parse_holidays(text: str) -> frozenset[date]:
    """Dates from 'YYYY-MM-DD,YYYY-MM-DD'; an empty string means no holidays."""
    if not text.strip():
        return frozenset()
    return frozenset(_parse_holiday(item, text) for item in text.split(","))


def _parse_holiday(item: str, text: str) -> date:
    """One date in YYYY-MM-DD form, an item of the holidays `text`."""
    error = ValueError(f"invalid holidays {text!r}: bad date {item!r}; {_HOLIDAYS_EXAMPLE}")
    if not _DATE.fullmatch(item.strip()):
        raise error
    try:
        return date.fromisoformat(item.strip())
    except ValueError:
        raise error from None


def add_working_time(calendar: WorkingCalendar, start: datetime, seconds: int) -> datetime:
    """The moment (UTC) when `seconds` of working time have passed after `start`."""
    _require_aware(start, "start")
    if seconds < 0:
        raise ValueError(f"seconds must not be negative, got {seconds}")
    start = start.astimezone(UTC)
    if seconds == 0:
        return start
    remaining = timedelta(seconds=seconds)
    for begin, end in _periods(calendar, calendar.local_date(start)):
        begin = max(begin, start)
        if begin >= end:
            continue
        if remaining <= end - begin:
            return begin + remaining
        remaining -= end - begin
    raise AssertionError("unreachable: _periods never ends by itself")


def working_seconds_between(calendar: WorkingCalendar, start: datetime, end: datetime) -> int:
    """Working seconds in [start, end); negative when `end` is before `start`."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    if end < start:
        return -working_seconds_between(calendar, end, start)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    last = calendar.local_date(end)
    total = timedelta()
    for day in _dates(calendar.local_date(start), last):
        period = calendar.period(day)
        if period is not None:
            total += max(timedelta(), min(period[1], end) - max(period[0], start))
    return total // _ONE_SECOND


def next_slot(calendar: WorkingCalendar, now: datetime, step: timedelta = SLOT) -> datetime:
    """The first moment (UTC) from `now` on, rounded up to `step`, inside working time."""
    _require_aware(now, "now")
    moment = now.astimezone(UTC)
    step_us = step // timedelta(microseconds=1)
    since = (moment - datetime(2000, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    rounded = moment + timedelta(microseconds=-since % step_us)
    for begin, end in _periods(calendar, calendar.local_date(moment)):
        start = max(begin, rounded)
        if start < end:
            return start
    raise AssertionError("unreachable: _periods never ends by itself")


def in_working_time(calendar: WorkingCalendar, start: datetime, end: datetime) -> bool:
    """Whether [start, end] lies inside the working hours of one working day."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    period = calendar.period(calendar.local_date(start))
    return period is not None and period[0] <= start < end <= period[1]


def _periods(calendar: WorkingCalendar, first: date) -> Iterator[tuple[datetime, datetime]]:
    """Working periods in UTC from `first` on, for as long as they keep coming."""
    idle = 0
    day = first
    while idle < MAX_IDLE_DAYS:
        period = calendar.period(day)
        if period is None:
            idle += 1
        else:
            idle = 0
            yield period
        day += timedelta(days=1)
    first_idle = day - timedelta(days=idle)
    raise ValueError(f"no working day in the {MAX_IDLE_DAYS} days from {first_idle} on")


def _dates(first: date, last: date) -> Iterator[date]:
    """Every date from `first` up to and including `last`."""
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


def _require_aware(moment: datetime, name: str) -> None:
    """Refuse a naive datetime: working time depends on where the clock is."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {moment.isoformat()}")
