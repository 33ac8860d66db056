"""HTTP for a party's dossiers: the overview with tabs and paging, and a dossier's page."""

from __future__ import annotations

import secrets
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mijn.access.loa import opens_at
from mijn.access.scope import Access, audit_fields
from mijn.answers import reading, tailoring
from mijn.answers.text import render_html
from mijn.audit.service import record_access
from mijn.db import request_session
from mijn.dossiers.pages import Combined, get_dossier_view_with, list_dossiers_with
from mijn.dossiers.service import TABS, DossierPage, DossierView, list_dossiers
from mijn.http.common import app_settings, is_htmx, render
from mijn.http.portal.access import noted_counts, portal_access, unread_messages
from mijn.http.portal.pagereads import (
    detail_statement,
    overview_statement,
    own_dossier,
    own_overview,
    params,
)
from mijn.http.portal.stepup import step_up
from mijn.http.session import require_identity
from mijn.questions.asking import question_titles_of
from mijn.questions.common import MAX_BODY, QuestionError, topic_choices
from mijn.questions.dossier_satisfaction import survey_of
from mijn.questions.satisfaction import SCORE_LABELS
from mijn.settings import Settings


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and len(raw) < 7 else 1


async def overview(request: Request) -> Response:
    """Mijn dossiers: open or closed, a page at a time (htmx swaps only the list)."""
    require_identity(request)
    settings: Settings = request.app.state.settings
    tab = request.query_params.get("tab", "open")
    tab = tab if tab in TABS else "open"
    page = _page_number(request.query_params.get("pagina"))
    async with request_session(request, autocommit=True) as session:
        if is_htmx(request):  # the htmx listing: no tasks, no header
            access = await portal_access(request, session, tasks=False)
            listing = await list_dossiers(session, access.scope(), tab, page, settings.page_size)
            tasks, unread = [], 0
        else:  # the open tasks ("Te doen") read with the page of dossiers (and the access)
            access, listing, more = await own_overview(
                request, session, tab, page, settings.page_size) or await _represented(
                request, session, tab, page, settings.page_size)
            tasks, unread = more.rows["tasks"], await unread_messages(request, session, access)
    context = {
        "listing": listing, "today": date.today(), "unread_messages": unread,
        "tasks": tasks, "open_task_count": int(tasks[0].total) if tasks else 0,
        "opens": lambda min_loa: opens_at(min_loa, access.loa),
    }
    return render(request, "portal/dossiers/overview.html", context, block="listing")


async def _represented(request: Request, session: AsyncSession, tab: str, page: int,
                       page_size: int) -> tuple[Access, DossierPage, Combined]:
    """The overview of a representative: the access first (the mandate sets the scope),
    then the page with its tasks and the header's counts."""
    access = await portal_access(request, session, unread=True, tasks=False)
    listing, more = await list_dossiers_with(
        session, overview_statement(request, access, tab), params(access), tab, page, page_size)
    noted_counts(request, more.values)
    return access, listing, more


async def _dossier(request: Request, session: AsyncSession, reference: str
                   ) -> tuple[Access, DossierView, Combined]:
    """The dossier in the visitor's scope (404: none) with its timeline, its tasks and its
    documents, and the header's counts: a representative's access first (the mandate sets
    the scope), then one statement; anyone else's access with the dossier, in one."""
    own = await own_dossier(request, session, reference)
    if own is not None:
        return own
    access = await portal_access(request, session, unread=True, tasks=False)
    view, more = await get_dossier_view_with(
        session, detail_statement(request, access), {**params(access), "reference": reference},
        access.loa)
    if view is None:
        raise HTTPException(status_code=404)
    noted_counts(request, more.values)
    return access, view, more


async def detail(request: Request) -> Response:
    """One dossier: its status timeline, what happens next, the expected end. Below the
    dossier type's level of assurance: only that it exists, and how to log in higher."""
    return await show_detail(request)


async def show_detail(request: Request, survey_values: dict[str, str] | None = None,
                      survey_error: QuestionError | None = None,
                      status_code: int = 200) -> Response:
    """The dossier's page (detail); after a satisfaction form with an error, with what was
    filled in and the error (checked before anything changed)."""
    identity = require_identity(request)
    reference = request.path_params["reference"]
    async with request_session(request, autocommit=True) as session:
        access, view, more = await _dossier(request, session, reference)
        unread = await unread_messages(request, session, access)
        if view.locked:
            url = str(request.app.url_path_for("dossiers:detail", reference=reference))
            return step_up(request, view, unread, url)
        await record_access(session, action="dossier.view", dossier_id=view.dossier.id,
                            **audit_fields(access))
        await session.commit()
        tailored = await reading.kept_for_dossier(
            session, view.dossier.dossier_type_id, view.dossier.current_status_id,
            reading.audiences_for(identity.audience), limit=4)
        topics = await topic_choices(session)
        tasks, documents, questions = (more.rows[part] for part in ("tasks", "documents",
                                                                    "questions"))
        survey = await survey_of(session, view.dossier, app_settings(request).satisfaction)
    facts = tailoring.dossier_facts(view).values()
    context = {
        "unread_messages": unread,
        "view": view, "questions": questions, "topics": topics, "error": None,
        "titles": question_titles_of(questions),
        "values": {"submit_key": secrets.token_urlsafe(16)},
        "fixed_dossier": view.dossier.reference, "max_body": MAX_BODY,
        "upload_type": view.dossier_type.code,
        "answers": tailored, "tasks": tasks, "today": date.today(), "documents": documents,
        "answer_bodies": {a.id: render_html(a.body, facts) for a in tailored},
        "survey": survey, "score_labels": SCORE_LABELS, "survey_error": survey_error,
        "survey_values": survey_values or {},
    }
    return render(request, "portal/dossiers/detail.html", context, status_code=status_code)


routes = [
    Route("/mijn/dossiers", overview, name="dossiers:list"),
    Route("/mijn/dossiers/{reference}", detail, name="dossiers:detail"),
]
