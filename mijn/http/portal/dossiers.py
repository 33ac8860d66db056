"""HTTP for a party's dossiers: the overview with tabs and paging, and a dossier's page."""

from __future__ import annotations

import secrets
from datetime import date

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mijn.access.loa import opens_at
from mijn.access.scope import audit_fields
from mijn.answers import reading, tailoring
from mijn.answers.text import render_html
from mijn.audit.service import record_access
from mijn.db import request_session
from mijn.documents.service import dossier_documents
from mijn.dossiers.service import TABS, get_dossier_view, list_dossiers
from mijn.http.common import is_htmx, render
from mijn.http.portal.access import portal_access, unread_messages
from mijn.http.portal.stepup import step_up
from mijn.http.session import require_identity
from mijn.questions.asking import titled_dossier_questions
from mijn.questions.common import MAX_BODY, topic_choices
from mijn.settings import Settings
from mijn.tasks.doing import dossier_tasks, open_tasks


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
        fragment = is_htmx(request)
        access = await portal_access(request, session, unread=not fragment)
        listing = await list_dossiers(session, access.scope(), tab, page, settings.page_size)
        unread = 0 if fragment else await unread_messages(request, session, access)
        tasks, task_count = ([], 0) if fragment else await open_tasks(session, access.scope())
    context = {
        "listing": listing, "today": date.today(), "unread_messages": unread,
        "tasks": tasks, "open_task_count": task_count,
        "opens": lambda min_loa: opens_at(min_loa, access.loa),
    }
    return render(request, "portal/dossiers/overview.html", context, block="listing")


async def detail(request: Request) -> Response:
    """One dossier: its status timeline, what happens next, the expected end. Below the
    dossier type's level of assurance: only that it exists, and how to log in higher."""
    identity = require_identity(request)
    reference = request.path_params["reference"]
    async with request_session(request, autocommit=True) as session:
        access = await portal_access(request, session, unread=True)
        view = await get_dossier_view(session, reference, access.scope(), access.loa)
        if view is None:
            raise HTTPException(status_code=404)
        unread = await unread_messages(request, session, access)
        if view.locked:
            url = str(request.app.url_path_for("dossiers:detail", reference=reference))
            return step_up(request, view, unread, url)
        await record_access(
            session, action="dossier.view", dossier_id=view.dossier.id, **audit_fields(access)
        )
        await session.commit()
        questions, titles = await titled_dossier_questions(
            session, view.dossier.id, access.scope())
        tailored = await reading.kept_for_dossier(
            session, view.dossier.dossier_type_id, view.dossier.current_status_id,
            reading.audiences_for(identity.audience), limit=4,
        )
        topics = await topic_choices(session)
        tasks = await dossier_tasks(session, access.scope(), view.dossier.id)
        documents = await dossier_documents(session, view.dossier.id)
    facts = tailoring.dossier_facts(view).values()
    context = {
        "unread_messages": unread,
        "view": view, "questions": questions, "topics": topics, "error": None, "titles": titles,
        "values": {"submit_key": secrets.token_urlsafe(16)},
        "fixed_dossier": view.dossier.reference, "max_body": MAX_BODY,
        "answers": tailored, "tasks": tasks, "today": date.today(), "documents": documents,
        "answer_bodies": {a.id: render_html(a.body, facts) for a in tailored},
    }
    return render(request, "portal/dossiers/detail.html", context)


routes = [
    Route("/mijn/dossiers", overview, name="dossiers:list"),
    Route("/mijn/dossiers/{reference}", detail, name="dossiers:detail"),
]
