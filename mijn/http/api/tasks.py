"""The API's task routes: register or update, read, cancel and list tasks ("Te doen"), and
download the files a party sent for an upload task."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mijn.db import request_session
from mijn.http.api import task_schemas
from mijn.http.api.common import ApiProblem, api_client, parse_date, path_ids, read_json
from mijn.http.files import opened, path_id
from mijn.tasks.files import find_task_file
from mijn.tasks.service import (
    TaskError,
    TaskFilter,
    TaskInput,
    cancel_task,
    describe_task,
    describe_tasks,
    find_task,
    list_tasks,
    put_task,
)

if TYPE_CHECKING:
    from mijn.intake.service import Client


async def _task_client(request: Request, session: AsyncSession, source: str) -> Client:
    """The API client (scope dossiers), allowed to write tasks of this source."""
    client = await api_client(request, session, "dossiers")
    if client.source != source:
        raise ApiProblem(403, f"This API client may only write tasks of source "
                              f"{client.source!r}, not {source!r}.")
    return client


def _problem(exc: TaskError) -> ApiProblem:
    return ApiProblem(exc.status, f"The task cannot be stored: {exc}.",
                      [{"field": exc.field, "message": str(exc)}])


def _input(source: str, external_id: str, body: dict[str, Any]) -> TaskInput:
    deadline = parse_date(body["deadline"], "deadline")
    assert deadline is not None
    party = body["party"]
    return TaskInput(
        source=source, external_id=external_id, party=(party["type"], party["id"]),
        kind=body["kind"], title=body["title"], deadline=deadline,
        explanation=body.get("explanation", ""), branch=party.get("branch"),
        dossier=body.get("dossier"), url=body.get("url"), fields=body.get("fields"),
        version=body.get("version"),
    )


async def put_task_route(request: Request) -> Response:
    """Register a task or update an open one (idempotent by source and external id)."""
    source, external_id = path_ids(request)
    async with request_session(request) as session:
        await _task_client(request, session, source)
        body = await read_json(request, task_schemas.TASK_IN)
        try:
            task, created = await put_task(session, _input(source, external_id, body))
        except TaskError as exc:
            raise _problem(exc) from None
        await session.commit()
        return JSONResponse(await describe_task(session, task), 201 if created else 200)


async def get_task_route(request: Request) -> Response:
    """A task as Mijn holds it: its status, the answers, who completed it and when."""
    source, external_id = path_ids(request)
    async with request_session(request) as session:
        await _task_client(request, session, source)
        task = await find_task(session, source, external_id)
        if task is None:
            raise ApiProblem(404, "No such task.")
        return JSONResponse(await describe_task(session, task))


async def delete_task_route(request: Request) -> Response:
    """Cancel an open task: the party no longer sees it."""
    source, external_id = path_ids(request)
    async with request_session(request) as session:
        await _task_client(request, session, source)
        try:
            task = await cancel_task(session, source, external_id)
        except TaskError as exc:
            raise _problem(exc) from None
        if task is None:
            raise ApiProblem(404, "No such task.")
        await session.commit()
    return Response(status_code=204)


def _filter(body: dict[str, Any]) -> TaskFilter:
    party = body.get("party")
    return TaskFilter((party["type"], party["id"]) if party else None, body.get("dossier"),
                      body.get("status"))


async def list_tasks_route(request: Request) -> Response:
    """Your source's tasks: of a party, of a dossier, in a status (nearest deadline first);
    a search is POSTed, so that a party's number never stands in a URL (nor in a log)."""
    async with request_session(request) as session:
        client = await api_client(request, session, "dossiers")
        wanted = _filter(await read_json(request, task_schemas.TASK_SEARCH))
        try:
            tasks = await list_tasks(session, client.source, wanted)
        except TaskError as exc:
            raise ApiProblem(422, f"{exc}.", [{"field": exc.field, "message": str(exc)}]
                             ) from None
        return JSONResponse({"tasks": await describe_tasks(session, tasks)})


async def get_task_file_route(request: Request) -> Response:
    """A file the party sent for one of your source's upload tasks, streamed."""
    source, external_id = path_ids(request)
    async with request_session(request) as session:
        await _task_client(request, session, source)
        task = await find_task(session, source, external_id)
        found = await find_task_file(session, task.id, path_id(
            request.path_params["file_id"])) if task is not None else None
        return await opened(request, found, lambda: ApiProblem(404, "No such file of this task."))
