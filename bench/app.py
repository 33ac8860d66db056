"""The portal as the benchmark serves it: the product app plus one template-only route.

    uvicorn bench.app:create_bench_app --factory
    uvicorn bench.app:create_kcc_bench_app --factory     # bench/kcc.py
    uvicorn bench.app:create_workspace_bench_app --factory  # bench/workspace.py
    uvicorn bench.app:create_documents_bench_app --factory  # bench/documents.py

/bench/template-only renders "portal/dossiers/overview.html" with the same render() helper and
the same login check as /mijn/dossiers, from a DossierPage built once in memory (10 rows,
more pages): everything the real page does except the database. The ratio of the two
throughputs shows how much of a request the data access costs. This route exists only in
this benchmark app, never in the product.

create_kcc_bench_app() is the product app plus POST /kcc/bench/noop for bench/kcc.py: the
"Volgende vraag" request (POST /kcc/volgende) without the claim. It goes through the same
middleware (staff session cookie, CSRF check of the POST), the same staff check and form
parsing, opens a transaction on a pooled connection, runs SELECT 1, commits and answers
the same 303. The claim's own cost is what is left when it is compared with that.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import select, text
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bench.product import (
    DOSSIER_TYPES,
    MIN_LOA,
    DossierPage,
    _summary_columns,
    create_app,
    note_handover_news,
    opens_at,
    redirect,
    render,
    render_staff,
    request_session,
    require_identity,
    require_staff,
    staff_question,
    workspace_context,
)

TEMPLATE_ONLY_PATH = "/bench/template-only"
KCC_NOOP_PATH = "/kcc/bench/noop"  # under /kcc: the staff session applies, as on /kcc/volgende
KCC_NOOP_REFERENCE = "V-0000000000"  # where the no-op redirects (no such question)
ROWS = 10


class SummaryRow(NamedTuple):
    """The columns list_dossiers selects (mijn.dossiers.service._summary_columns)."""

    reference: str
    kind: str
    title: str
    channel: str
    last_changed_at: datetime
    expected_end: date | None
    closed_on: date | None
    type_name_nl: str
    type_name_en: str
    status_label_nl: str
    status_label_en: str
    min_loa: str | None


def check_row_shape() -> None:
    """Fail loudly when list_dossiers' columns no longer match SummaryRow."""
    product = tuple(select(*cast(Any, _summary_columns())).selected_columns.keys())
    if product != SummaryRow._fields:
        raise RuntimeError(
            f"bench/app.py: SummaryRow has {SummaryRow._fields}, but list_dossiers selects "
            f"{product}; update SummaryRow and sample_listing()"
        )


def sample_listing(today: date | None = None) -> DossierPage:
    """A first page of open dossiers like the seeded ones: 10 rows, 2 pages, both tabs counted."""
    today = today or date.today()
    types = list(DOSSIER_TYPES.items())
    channels = ("web", "phone", "email", "social_media", "counter", "partner")
    titles = ("Dakkapel aan de achterkant", "Subsidie isolatie woning", "Vergoeding energiekosten",
              "Losse stoeptegel bij de bushalte", "Lantaarnpaal doet het niet")
    rows = []
    for i in range(ROWS):
        code, (kind, name_nl, name_en, statuses) = types[i % len(types)]
        status = statuses[1 if len(statuses) > 2 else 0]
        changed = datetime.combine(today - timedelta(days=3 * i + 1), datetime.min.time(), UTC)
        rows.append(SummaryRow(
            reference=f"B-{1_000_000 - i:07d}", kind=kind, title=titles[i % len(titles)],
            channel=channels[i % len(channels)],
            last_changed_at=changed + timedelta(hours=9, minutes=7 * i),
            # Some past their expected end, so the overdue badge is rendered too.
            expected_end=today + timedelta(days=14 - 5 * i) if i % 4 else None,
            closed_on=None, type_name_nl=name_nl, type_name_en=name_en,
            status_label_nl=status.label_nl, status_label_en=status.label_en,
            min_loa=MIN_LOA.get(code),
        ))
    return DossierPage(tab="open", page=1, pages=2, rows=cast(Any, rows),
                       open_count=14, closed_count=6)


def template_only_endpoint() -> Any:
    """The handler of /bench/template-only, with its listing built once."""
    check_row_shape()
    listing = sample_listing()

    async def template_only(request: Request) -> Response:
        identity = require_identity(request)
        # The context of mijn.http.portal.dossiers.overview, with the unread count of no messages.
        context = {
            "listing": listing, "today": date.today(), "unread_messages": 0,
            "opens": lambda min_loa: opens_at(min_loa, identity.loa),
        }
        return render(request, "portal/dossiers/overview.html", context, block="listing")

    return template_only


def create_bench_app() -> Starlette:
    """The normal portal (settings from the environment) plus /bench/template-only."""
    app = create_app()
    app.router.routes.insert(
        0, Route(TEMPLATE_ONLY_PATH, template_only_endpoint(), name="bench:template-only")
    )
    return app


async def kcc_noop(request: Request) -> Response:
    """POST /kcc/bench/noop: take_next (mijn.http.kcc.queue) without claim_next."""
    staff = require_staff(request)
    if not staff.sees_all:
        raise HTTPException(status_code=404)
    await request.form()  # take_next reads the form (the topic filter)
    async with request_session(request) as session:
        await session.execute(text("SELECT 1"))
        await session.commit()
    return redirect(
        request, str(request.app.url_path_for("kcc:question", reference=KCC_NOOP_REFERENCE))
    )


def create_kcc_bench_app() -> Starlette:
    """The normal portal (settings from the environment) plus POST /kcc/bench/noop."""
    app = create_app()
    app.router.routes.insert(
        0, Route(KCC_NOOP_PATH, kcc_noop, methods=["POST"], name="bench:kcc-noop")
    )
    return app


WORKSPACE_TEMPLATE_PATH = "/kcc/bench/werkplek/{reference}"  # under /kcc: the staff session


def workspace_template_endpoint() -> Any:
    """GET /kcc/bench/werkplek/{reference} for bench/workspace.py: the question workspace
    (GET /kcc/vragen/{reference}, "kcc/question.html") rendered from a context built once from
    the database at the first request and kept in memory: the same staff check and the same
    page, without the queries, the audit row and the commit."""
    cached: dict[str, dict[str, Any]] = {}

    async def workspace_template(request: Request) -> Response:
        staff = require_staff(request)
        reference = request.path_params["reference"]
        if reference not in cached:
            async with request_session(request) as session:
                question = await staff_question(session, reference, staff)
                if question is None:
                    raise HTTPException(status_code=404)
                await note_handover_news(request, session, staff)
                context = await workspace_context(session, question, staff, "")
            cached[reference] = {**context, "flagged": False,
                                 "handover_news": request.state.handover_news}
        context = {**cached[reference], "staff": staff}
        return render_staff(request, "kcc/question.html", context, block="knowledge")

    return workspace_template


def create_workspace_bench_app() -> Starlette:
    """The normal portal (settings from the environment) plus the template-only workspace."""
    app = create_app()
    app.router.routes.insert(0, Route(WORKSPACE_TEMPLATE_PATH, workspace_template_endpoint(),
                                      name="bench:workspace-template"))
    return app


STATIC_PATH = "/bench/statisch"  # bench/documents.py: the same bytes as a static file
STATIC_DIR_VARIABLE = "MIJN_BENCH_STATIC_DIR"


def create_documents_bench_app() -> Starlette:
    """The normal portal (settings from the environment) plus Starlette's StaticFiles at
    /bench/statisch, serving the directory MIJN_BENCH_STATIC_DIR: the same bytes as the
    documents, from the same disk, through the same middleware, with no session, query, audit
    row or store between. bench/documents.py compares the document download with it."""
    app = create_app()
    directory = os.environ[STATIC_DIR_VARIABLE]
    app.router.routes.insert(0, Mount(STATIC_PATH, StaticFiles(directory=directory),
                                      name="bench:static"))
    return app
