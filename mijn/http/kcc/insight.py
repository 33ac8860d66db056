"""HTTP for the monthly report (staff session, under /kcc): the page with its filters, a print
view and a CSV download of every table. Team leads and editors only."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date
from babel.numbers import format_decimal
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mijn.access.staff import Staff
from mijn.db import request_session
from mijn.http.common import app_settings, current_language, render
from mijn.http.kcc.common import require_staff
from mijn.i18n import Language
from mijn.insight import report, shortfall
from mijn.insight.charts import draw
from mijn.insight.period import TREND_LENGTHS, ZONE, Period, add_months, month_start
from mijn.insight.period import departments as list_departments
from mijn.insight.report import Cell, Table

MONTHS_BACK = 36
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMULA_AFTER_SEPARATOR = re.compile(r"([;,][ ]*)([=+\-@\t\r])")


def require_reader(request: Request) -> Staff:
    """A team lead or an editor; any other staff member finds nothing here (404)."""
    staff = require_staff(request)
    if not staff.reads_insight:
        raise HTTPException(status_code=404)
    return staff


def today() -> date:
    """Today in Dutch time."""
    return datetime.now(ZONE).date()


def parse_period(params: Any, now: date, departments: list[str]) -> Period:
    """The period from the query (maand=YYYY-MM, maanden=N, afdeling=...); defaults for
    anything unknown: this month, 6 months of trend, all departments."""
    months = dict(zip(map(str, TREND_LENGTHS), TREND_LENGTHS, strict=True))
    choices = {m.strftime("%Y-%m"): m for m in month_choices(now)}
    department = params.get("afdeling", "")
    return Period(
        month=choices.get(params.get("maand", ""), month_start(now)),
        months=months.get(params.get("maanden", ""), 6),
        department=department if department in departments else "",
    )


def month_choices(now: date) -> list[date]:
    """The months one can choose, newest first."""
    return [add_months(month_start(now), -i) for i in range(MONTHS_BACK)]


async def _report(request: Request) -> tuple[Period, list[Table], list[str]]:
    now = today()
    async with request_session(request, autocommit=True) as session:
        departments = await list_departments(session)
        period = parse_period(request.query_params, now, departments)
        figures = await report.collect(session, period, now)
        short = await shortfall.shortfall(session, period)
    lang = current_language(request)
    tables = report.build(figures, lang, app_settings(request).fcr_target)
    return period, tables + shortfall.tables(short, lang, period.department), departments


def _formatter(lang: Language) -> Any:
    def fmt(value: Cell) -> str:
        if value is None:
            return "–"
        if isinstance(value, bool) or not isinstance(value, int | float):
            return str(value)
        pattern = "#,##0" if isinstance(value, int) or float(value).is_integer() else "#,##0.0"
        return format_decimal(value, pattern, locale=lang.code)

    return fmt


def _context(request: Request, period: Period, tables: list[Table],
             departments: list[str], print_view: bool) -> dict[str, Any]:
    lang = current_language(request)
    fmt = _formatter(lang)
    now = today()
    return {
        "period": period, "tables": tables, "departments": departments, "fmt": fmt,
        "drawings": {t.key: draw(t.chart, fmt) for t in tables if t.chart and t.rows},
        "months": [(m.strftime("%Y-%m"), format_date(m, "LLLL yyyy", locale=lang.code))
                   for m in month_choices(now)],
        "month_label": format_date(period.month, "LLLL yyyy", locale=lang.code),
        "running": period.month == month_start(now), "lengths": TREND_LENGTHS,
        "query": _query(period), "print_view": print_view, "staff_nav": not print_view,
        "fcr_target": app_settings(request).fcr_target,
    }


def _query(period: Period) -> str:
    params = {"maand": period.month.strftime("%Y-%m"), "maanden": str(period.months)}
    if period.department:
        params["afdeling"] = period.department
    return urlencode(params)


async def page(request: Request) -> Response:
    """The monthly report, with its filters; htmx gets the report without the filters."""
    staff = require_reader(request)
    period, tables, departments = await _report(request)
    context = _context(request, period, tables, departments, print_view=False)
    return render(request, "kcc/insight.html", {**context, "staff": staff}, block="report")


async def print_view(request: Request) -> Response:
    """The same report without navigation or filters, for paper or PDF."""
    staff = require_reader(request)
    period, tables, departments = await _report(request)
    context = _context(request, period, tables, departments, print_view=True)
    return render(request, "kcc/insight.html", {**context, "staff": staff})


def to_csv(table: Table) -> str:
    """A table as CSV: a header row, then the rows; numbers with a decimal point."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow([_csv_cell(cell) for cell in row])
    return out.getvalue()


def _csv_cell(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float):
        return f"{cell:.0f}" if cell.is_integer() else f"{cell:.1f}"
    text = str(cell)
    if not isinstance(cell, str):
        return text
    # A title starting like a formula would run as one in a spreadsheet (CSV injection), and
    # so would any part after a ";" or "," (Dutch Excel splits on ";", others on ","): each
    # such part gets a leading apostrophe, so it reads as text.
    text = FORMULA_AFTER_SEPARATOR.sub(lambda m: f"{m.group(1)}'{m.group(2)}", text)
    return "'" + text if text[:1] in FORMULA_START else text


async def download(request: Request) -> Response:
    """One table of the report as a CSV file (tabel=its key)."""
    require_reader(request)
    period, tables, _ = await _report(request)
    table = next((t for t in tables if t.key == request.query_params.get("tabel")), None)
    if table is None:
        raise HTTPException(status_code=404)
    name = f"inzicht-{period.month:%Y-%m}-{table.key}.csv"
    return Response(to_csv(table), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


routes = [
    Route("/kcc/inzicht", page, name="kcc:insight"),
    Route("/kcc/inzicht/afdrukken", print_view, name="kcc:insight_print"),
    Route("/kcc/inzicht.csv", download, name="kcc:insight_csv"),
]
