"""Dates and times as the pages write them ("4 december 2026, 10:00"), with the names of the
months and weekdays from babel's data, but without babel's pattern machinery on every call:
a page formats dozens of dates and each babel call parses its locale and pattern again.
The output is babel's to the character (tests/test_formats.py compares them)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import cache

from babel import Locale


@cache
def _names(lang: str) -> tuple[Mapping[int, str], Mapping[int, str]]:
    """The wide month names (1-12) and weekday names (0 = Monday) in the format context."""
    locale = Locale.parse(lang)
    return dict(locale.months["format"]["wide"]), dict(locale.days["format"]["wide"])


def long_date(value: date, lang: str) -> str:
    """babel's "d MMMM y": 4 december 2026."""
    return f"{value.day} {_names(lang)[0][value.month]} {value.year}"


def long_datetime(value: datetime, lang: str) -> str:
    """babel's "d MMMM y, HH:mm" of a moment as it is (convert the time zone first)."""
    return f"{long_date(value, lang)}, {value.hour:02d}:{value.minute:02d}"


def weekday_date(value: date, lang: str) -> str:
    """babel's "EEEE d MMMM": dinsdag 8 december."""
    months, days = _names(lang)
    return f"{days[value.weekday()]} {value.day} {months[value.month]}"


def clock(value: datetime) -> str:
    """babel's "HH:mm": 09:05."""
    return f"{value.hour:02d}:{value.minute:02d}"
