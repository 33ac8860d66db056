"""HTTP for a party's tasks ("Te doen"): a task's page, and doing it there (confirm, fill in
the form, say an external step is done, or send the documents asked for), with and without
JavaScript; the files sent for an upload task, downloaded."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mijn.access.scope import Access, audit_fields
from mijn.audit.service import record_access
from mijn.db import request_session
from mijn.documents.service import Kept
from mijn.dossiers.codes import type_code_of
from mijn.dossiers.service import dossier_references, get_dossier_view
from mijn.http.common import app_settings, redirect, render, small_int
from mijn.http.files import opened, path_id
from mijn.http.portal.access import portal_access, unread_messages
from mijn.http.portal.stepup import step_up
from mijn.http.portal.uploads import uploaded_by
from mijn.http.session import require_identity
from mijn.http.uploads import Upload, UploadError, kept_with, upload_form
from mijn.tasks.doing import DOABLE, Completer, TaskView, complete_task, task_in_scope
from mijn.tasks.files import add_task_files, find_task_file, task_files
from mijn.tasks.forms import check_answers, load_fields

FIELD_PREFIX = "veld-"


def _url(request: Request, task_id: int) -> str:
    return str(request.app.url_path_for("tasks:detail", task_id=task_id))


async def _find(request: Request, session: AsyncSession, access: Access) -> TaskView:
    task_id = small_int(str(request.path_params["task_id"]))  # beyond a database integer: none
    view = await task_in_scope(session, task_id, access.scope()) if task_id else None
    if view is None:
        raise HTTPException(status_code=404)
    return view


async def _locked_page(request: Request, session: AsyncSession, access: Access,
                       view: TaskView, unread: int) -> Response:
    """The step-up page of the task's dossier (it needs a higher level of assurance)."""
    assert view.task.dossier_id is not None
    reference = (await dossier_references(session, [view.task.dossier_id]))[
        view.task.dossier_id][0]
    dossier = await get_dossier_view(session, reference, access.scope(), access.loa)
    assert dossier is not None
    return step_up(request, dossier, unread, _url(request, view.task.id), "task")


async def _page(
    request: Request, session: AsyncSession, access: Access, view: TaskView, **extra: Any
) -> Response:
    """The task's page (also after a refused form: with errors and what was typed)."""
    unread = await unread_messages(request, session, access)
    dossier = None
    if view.task.dossier_id is not None:
        dossier = (await dossier_references(session, [view.task.dossier_id]))[
            view.task.dossier_id]
    upload = view.task.kind == "upload"
    context = {
        "view": view, "task": view.task, "fields": load_fields(view.task.fields),
        "dossier": dossier, "unread_messages": unread,
        "may_do": access.can_ask and view.task.kind in DOABLE,
        "files": await task_files(session, view.task.id) if upload else [],
        "upload_type": await type_code_of(session, view.task.dossier_id) if upload else None,
        "errors": [], "values": {}, "stale": False, "error": None, **extra,
    }
    failed = extra.get("errors") or extra.get("error")
    status = 409 if extra.get("stale") else 422 if failed else 200
    return render(request, "portal/tasks/task.html", context, status_code=status)


async def detail(request: Request) -> Response:
    """A task: what to do and why, by when; the form to do it, or that it is done."""
    async with request_session(request, autocommit=True) as session:
        access = await portal_access(request, session, unread=True)
        view = await _find(request, session, access)
        if view.locked:
            unread = await unread_messages(request, session, access)
            return await _locked_page(request, session, access, view, unread)
        await record_access(session, action="task.view", dossier_id=view.task.dossier_id,
                            **audit_fields(access))
        await session.commit()
        return await _page(request, session, access, view)


def _completer(access: Access) -> Completer:
    return Completer(access.actor_type, access.actor_id, access.actor_name)


async def do(request: Request) -> Response:
    """Do the task: one completion however often the form is sent (a version check); an
    upload task with its files, all of them or none."""
    upload = await upload_form(request)  # a form without files: its fields alone
    form = upload.values
    async with request_session(request) as session, upload:
        access = await portal_access(request, session, unread=True)
        view = await _find(request, session, access)
        if view.locked:
            return await _locked_page(request, session, access, view, 0)
        task = view.task
        if not access.can_ask or task.kind not in DOABLE:
            raise HTTPException(status_code=403)  # a read-only mandate
        if task.status != "open":  # done before (a second tab, a double click)
            return redirect(request, _url(request, task.id))
        fields = load_fields(task.fields)
        typed = {f.name: form.get(FIELD_PREFIX + f.name, "") for f in fields}
        if small_int(form.get("version")) != task.version:
            return await _page(request, session, access, view, stale=True, values=typed)
        if task.kind == "upload":
            return await _do_upload(request, session, access, view, upload)
        answers, errors = check_answers(fields, typed)
        if errors:
            return await _page(request, session, access, view, errors=errors, values=typed)
        push = bool(app_settings(request).tasks.webhook_url)
        done = await complete_task(session, task.id, access.scope(), task.version,
                                   _completer(access), answers if fields else None, push=push)
        if done:
            await record_access(session, action="task.complete", dossier_id=task.dossier_id,
                                **audit_fields(access))
            await session.commit()
    return redirect(request, _url(request, task.id))


async def _do_upload(request: Request, session: AsyncSession, access: Access, view: TaskView,
                     upload: Upload) -> Response:
    """Complete an upload task with the form's files in one transaction: a refused file
    completes nothing; a task done meanwhile keeps none of them."""
    task, push = view.task, bool(app_settings(request).tasks.webhook_url)

    async def complete(kept: list[tuple[str, Kept]]) -> bool:
        done = await complete_task(session, task.id, access.scope(), task.version,
                                   _completer(access), push=push)
        if done:
            await add_task_files(session, task.id, kept, uploaded_by(access, None))
        return done

    try:
        if not upload.files and not upload.over:
            raise UploadError("required")
        done = await kept_with(request, session, upload, task.dossier_id, complete, bool)
    except UploadError as error:
        error.place = "task"
        return await _page(request, session, access, view, error=error)
    if done:
        await record_access(session, action="task.complete", dossier_id=task.dossier_id,
                            **audit_fields(access))
        await session.commit()
    return redirect(request, _url(request, task.id))


async def download_file(request: Request) -> Response:
    """A file sent for one of the visitor's upload tasks: another party's, one out of scope
    or an unknown one is a 404; below the dossier's level of assurance, the step-up page.
    Opening it is logged."""
    require_identity(request)
    async with request_session(request) as session:
        access = await portal_access(request, session)
        view = await _find(request, session, access)
        if view.locked:
            unread = await unread_messages(request, session, access)
            return await _locked_page(request, session, access, view, unread)
        response = await opened(request, await find_task_file(
            session, view.task.id, path_id(request.path_params["file_id"])))
        await record_access(session, action="task.file_download",
                            dossier_id=view.task.dossier_id, **audit_fields(access))
        await session.commit()
    return response


routes = [
    Route("/mijn/taken/{task_id:int}", detail, name="tasks:detail"),
    Route("/mijn/taken/{task_id:int}", do, methods=["POST"], name="tasks:do"),
    Route("/mijn/taken/{task_id:int}/bestanden/{file_id}", download_file, name="tasks:file"),
]
