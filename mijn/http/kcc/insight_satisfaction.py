"""HTTP for satisfaction in the report (/kcc/inzicht/tevredenheid): the month's figures per
topic, channel, team and dossier type, the trend, against first contact and the service level,
and the comments (filtered by topic, channel and score), each table as CSV. Team leads and
editors only."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mijn.channels import CHANNEL_LABELS, CHANNELS
from mijn.db import request_session
from mijn.http.common import current_language, render, small_int
from mijn.http.kcc.insight import (
    _formatter,
    _query,
    month_choices,
    parse_period,
    require_reader,
    to_csv,
    today,
)
from mijn.insight import satisfaction_report
from mijn.insight.charts import draw
from mijn.insight.period import TREND_LENGTHS, Period
from mijn.insight.period import departments as list_departments
from mijn.insight.report import Table
from mijn.insight.satisfaction import CommentFilter
from mijn.questions.common import list_topics

JUDGEMENTS = {"tevreden": True, "niet-tevreden": False}


def parse_filter(params: Any, topic_ids: set[int]) -> CommentFilter:
    """The comments' filter from the query (onderwerp, kanaal, oordeel); unknown: all."""
    topic = small_int(params.get("onderwerp"))
    channel = params.get("kanaal", "")
    return CommentFilter(topic if topic in topic_ids else None,
                         channel if channel in CHANNELS else "",
                         JUDGEMENTS.get(params.get("oordeel", "")))


async def _report(request: Request) -> dict[str, Any]:
    lang = current_language(request)
    async with request_session(request, autocommit=True) as session:
        departments = await list_departments(session)
        period = parse_period(request.query_params, today(), departments)
        topics = await list_topics(session)
        chosen = parse_filter(request.query_params, {t.id for t in topics})
        figures = await satisfaction_report.collect(session, period, chosen)
    tables = satisfaction_report.build(figures, lang)
    return {"period": period, "tables": tables, "departments": departments,
            "topics": topics, "chosen": chosen}


def _filter_query(period: Period, chosen: CommentFilter) -> str:
    params = dict(p.split("=", 1) for p in _query(period).split("&"))
    if chosen.topic_id is not None:
        params["onderwerp"] = str(chosen.topic_id)
    if chosen.channel:
        params["kanaal"] = chosen.channel
    if chosen.satisfied is not None:
        params["oordeel"] = "tevreden" if chosen.satisfied else "niet-tevreden"
    return urlencode(params, safe="%")


async def page(request: Request) -> Response:
    """The satisfaction figures with their filters."""
    staff = require_reader(request)
    found = await _report(request)
    lang = current_language(request)
    fmt = _formatter(lang)
    tables: list[Table] = found["tables"]
    context = {
        **found, "staff": staff, "fmt": fmt, "lengths": TREND_LENGTHS,
        "drawings": {t.key: draw(t.chart, fmt) for t in tables if t.chart and t.rows},
        "months": [(m.strftime("%Y-%m"), format_date(m, "LLLL yyyy", locale=lang.code))
                   for m in month_choices(today())],
        "month_label": format_date(found["period"].month, "LLLL yyyy", locale=lang.code),
        "channels": [(code, CHANNEL_LABELS[code]) for code in CHANNELS],
        "query": _filter_query(found["period"], found["chosen"]),
    }
    return render(request, "kcc/insight_satisfaction.html", context)


async def download(request: Request) -> Response:
    """One satisfaction table as a CSV file (tabel=its key), with the page's filters."""
    require_reader(request)
    found = await _report(request)
    key = request.query_params.get("tabel")
    table = next((t for t in found["tables"] if t.key == key), None)
    if table is None:
        raise HTTPException(status_code=404)
    name = f"inzicht-{found['period'].month:%Y-%m}-{table.key}.csv"
    return Response(to_csv(table), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


routes = [
    Route("/kcc/inzicht/tevredenheid", page, name="kcc:insight_satisfaction"),
    Route("/kcc/inzicht/tevredenheid.csv", download, name="kcc:insight_satisfaction_csv"),
]
