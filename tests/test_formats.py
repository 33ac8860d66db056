"""The template filters for dates and times write what babel writes, character for character
(mijn.http.formats does it without babel's pattern parsing on every call)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from babel.dates import format_date, format_datetime

from mijn.http.common import LOCAL_TZ, make_environment


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_date_filters_write_what_babel_writes(lang: str) -> None:
    filters = make_environment().filters
    # Every day of a leap year and the next (all months and weekdays, summer and winter
    # time), each at another minute of the day, in UTC and in local time.
    start = datetime(2027, 12, 31, 23, 59, tzinfo=UTC)
    for n in range(731):
        moment = start + timedelta(days=n, minutes=37 * n)
        for value in (moment, moment.astimezone(LOCAL_TZ)):
            local = value.astimezone(LOCAL_TZ)
            assert filters["datetime"](value, lang) == format_datetime(
                local, "d MMMM y, HH:mm", locale=lang)
            assert filters["weekday"](value, lang) == format_datetime(
                local, "EEEE d MMMM", locale=lang)
            assert filters["clock"](value, lang) == format_datetime(local, "HH:mm", locale=lang)
            assert filters["date"](value, lang) == format_date(value, "d MMMM y", locale=lang)
        day = moment.date()
        assert filters["date"](day, lang) == format_date(day, "d MMMM y", locale=lang)
    assert filters["date"](date(2026, 12, 4), lang) in ("4 december 2026", "4 December 2026")
    for name in ("date", "datetime", "weekday", "clock"):
        assert filters[name](None, lang) == ""
