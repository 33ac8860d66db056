"""The report's period and department filter, and the SQL conditions every figure shares.

Months are calendar months in Dutch time. The department filter is a dossier's
department: for dossiers their own, for questions, contacts and handovers that of the
dossier they are about (those about no dossier fall outside every department).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.dossiers.models import Dossier

ZONE = ZoneInfo("Europe/Amsterdam")
TREND_LENGTHS = (3, 6, 12, 24)
TOP = 10


def month_start(day: date) -> date:
    """The first day of the month a day falls in."""
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    """The first day of the month `count` months later (or earlier, when negative)."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def moment(day: date) -> datetime:
    """Midnight in Dutch time at the start of a day, as a UTC timestamp."""
    return datetime(day.year, day.month, day.day, tzinfo=ZONE).astimezone(UTC)


@dataclass(frozen=True)
class Period:
    """The report's month, how many months the trend shows, and the department ('' = all)."""

    month: date
    months: int = 6
    department: str = ""

    @property
    def previous(self) -> date:
        """The first day of the month before."""
        return add_months(self.month, -1)

    @property
    def end(self) -> date:
        """The first day after the month."""
        return add_months(self.month, 1)

    @property
    def trend_months(self) -> list[date]:
        """The months of the trend, oldest first, ending with the report's month."""
        return [add_months(self.month, -i) for i in range(self.months - 1, -1, -1)]


def between(column: Any, start: date, end: date) -> ColumnElement[bool]:
    """A timestamp column within [start, end) of Dutch calendar days."""
    return and_(column >= moment(start), column < moment(end))


def in_department(dossier_id: Any, period: Period) -> list[ColumnElement[bool]]:
    """No condition for all departments; else: about a dossier of that department."""
    if not period.department:
        return []
    ids = select(Dossier.id).where(Dossier.department == period.department)
    return [dossier_id.in_(ids)]


def of_department(period: Period) -> list[ColumnElement[bool]]:
    """No condition for all departments; else: a dossier of that department."""
    return [Dossier.department == period.department] if period.department else []


async def departments(session: AsyncSession) -> list[str]:
    """The departments dossiers belong to, for the filter: one index probe per department
    (a loose index scan as a recursive query) rather than reading every dossier."""
    found = await session.scalars(text(
        "WITH RECURSIVE d(name) AS ("
        " SELECT min(department) FROM dossiers WHERE department > ''"
        " UNION ALL SELECT (SELECT min(department) FROM dossiers WHERE department > d.name)"
        " FROM d WHERE d.name IS NOT NULL)"
        " SELECT name FROM d WHERE name IS NOT NULL"))
    return list(found)
