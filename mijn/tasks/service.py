"""What a back-office system does with tasks: register or update one (idempotent by its own
id), cancel it, read it back with the answers and who did it, and list them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.db import utcnow
from mijn.dossiers.service import dossier_by_source, external_ids
from mijn.parties.service import InvalidIdentifier, find_party, get_or_create_party
from mijn.tasks.files import file_json, files_of_tasks
from mijn.tasks.forms import FormDefinitionError, check_definition
from mijn.tasks.models import KINDS, Task

MAX_LISTED = 200


class TaskError(ValueError):
    """A task that cannot be registered or changed as asked; `field` names the offending
    field, `status` the HTTP status that fits (422 invalid, 409 conflicting)."""

    def __init__(self, message: str, field: str, status: int = 422) -> None:
        super().__init__(message)
        self.field, self.status = field, status


@dataclass(frozen=True)
class TaskInput:
    """A task as a back-office system describes it."""

    source: str
    external_id: str
    party: tuple[str, str]  # identifier type, identifier
    kind: str
    title: str
    deadline: date
    explanation: str = ""
    branch: str | None = None
    dossier: str | None = None  # the external id of a dossier of the same source
    url: str | None = None
    fields: list[dict[str, Any]] | None = None
    version: int | None = None  # the version the sender last saw (optimistic update)


def _check_kind(data: TaskInput) -> None:
    if data.kind not in KINDS:
        raise TaskError(f"kind must be one of {', '.join(KINDS)}", "kind")
    if (data.kind == "link") != (data.url is not None):
        raise TaskError("a link task has a url, and only a link task", "url")
    if (data.kind == "form") != (data.fields is not None):
        raise TaskError("a form task has fields, and only a form task", "fields")
    if data.fields is not None:
        try:
            check_definition(data.fields)
        except FormDefinitionError as exc:
            raise TaskError(str(exc), exc.field) from None


async def _party_and_place(
    session: AsyncSession, data: TaskInput
) -> tuple[int, int | None, str | None]:
    """The party's id, the dossier's id and the branch (the dossier's, unless given)."""
    try:
        party = await get_or_create_party(session, *data.party)
    except InvalidIdentifier as exc:
        raise TaskError(str(exc), "party.id") from None
    if data.branch is not None and party.kind != "organisation":
        raise TaskError("only an organisation has branches", "party.branch")
    if data.dossier is None:
        return party.id, None, data.branch
    dossier = await dossier_by_source(session, data.source, data.dossier)
    if dossier is None:
        raise TaskError(f"no dossier {data.dossier!r} of source {data.source!r}", "dossier")
    if dossier.party_id != party.id:
        raise TaskError("the dossier belongs to another party", "dossier")
    if data.branch is not None and dossier.branch not in (None, data.branch):
        raise TaskError("the dossier belongs to another branch", "party.branch")
    return party.id, dossier.id, data.branch or dossier.branch


def _values(data: TaskInput) -> dict[str, Any]:
    return {
        "kind": data.kind, "title": data.title, "explanation": data.explanation,
        "url": data.url, "deadline": data.deadline,
        "fields": json.dumps(data.fields, ensure_ascii=False) if data.fields is not None
        else None,
    }


async def put_task(session: AsyncSession, data: TaskInput) -> tuple[Task, bool]:
    """Register a task, or bring an open one up to date (idempotent by source and external
    id: the same body again changes nothing); returns it and whether it was created now."""
    _check_kind(data)
    party_id, dossier_id, branch = await _party_and_place(session, data)
    task = await find_task(session, data.source, data.external_id, lock=True)
    if task is None:
        created = await _create(session, data, party_id, dossier_id, branch)
        if created is not None:
            return created, True
        # The same task sent twice at the same moment: the other request made it; this one
        # is then an update of it (or, the same body, nothing).
        task = await find_task(session, data.source, data.external_id, lock=True)
        assert task is not None
    if task.party_id != party_id:
        raise TaskError("the party of a task does not change", "party", 409)
    if data.version is not None and data.version != task.version:
        raise TaskError(f"the task is at version {task.version}, not {data.version}",
                        "version", 409)
    place = {"dossier_id": dossier_id, "branch": branch}
    wanted = {**_values(data), **place}
    if all(getattr(task, key) == value for key, value in wanted.items()):
        return task, False
    if task.status != "open":
        raise TaskError(f"the task is {task.status}: it no longer changes", "status", 409)
    for key, value in wanted.items():
        setattr(task, key, value)
    task.version, task.updated_at = task.version + 1, utcnow()
    await session.flush()
    return task, False


async def _create(
    session: AsyncSession, data: TaskInput, party_id: int, dossier_id: int | None,
    branch: str | None,
) -> Task | None:
    """The new task; None when another request registered it at the same moment."""
    task = Task(source=data.source, external_id=data.external_id, party_id=party_id,
                dossier_id=dossier_id, branch=branch, status="open", version=1,
                created_at=utcnow(), updated_at=utcnow(), **_values(data))
    try:
        async with session.begin_nested():
            session.add(task)
    except IntegrityError:
        return None
    return task


async def find_task(
    session: AsyncSession, source: str, external_id: str, *, lock: bool = False
) -> Task | None:
    """A task by the registering system's source and id."""
    query = select(Task).where(Task.source == source, Task.external_id == external_id)
    return await session.scalar(query.with_for_update() if lock else query)


async def cancel_task(session: AsyncSession, source: str, external_id: str) -> Task | None:
    """Cancel an open task (a cancelled one stays so); None: no such task. A task the party
    did already cannot be cancelled (TaskError, 409)."""
    task = await find_task(session, source, external_id, lock=True)
    if task is None:
        return None
    if task.status == "done":
        raise TaskError("the task is done: it can no longer be cancelled", "status", 409)
    if task.status == "open":
        task.status, task.version, task.updated_at = "cancelled", task.version + 1, utcnow()
        await session.flush()
    return task


@dataclass(frozen=True)
class TaskFilter:
    """Which of a source's tasks to list."""

    party: tuple[str, str] | None = None
    dossier: str | None = None  # the external id of a dossier of the same source
    status: str | None = None


async def list_tasks(session: AsyncSession, source: str, wanted: TaskFilter) -> list[Task]:
    """A source's tasks (at most MAX_LISTED), nearest deadline first."""
    where: list[ColumnElement[bool]] = [Task.source == source]
    if wanted.party is not None:
        try:
            party = await find_party(session, *wanted.party)
        except InvalidIdentifier as exc:
            raise TaskError(str(exc), "party_id") from None
        if party is None:
            return []
        where.append(Task.party_id == party.id)
    if wanted.dossier is not None:
        dossier = await dossier_by_source(session, source, wanted.dossier)
        if dossier is None:
            return []
        where.append(Task.dossier_id == dossier.id)
    if wanted.status is not None:
        where.append(Task.status == wanted.status)
    rows = await session.scalars(
        select(Task).where(*where).order_by(Task.deadline, Task.id).limit(MAX_LISTED))
    return list(rows)


async def describe_tasks(session: AsyncSession, tasks: Sequence[Task]) -> list[dict[str, Any]]:
    """Tasks as the API shows them (describe_task): their files and their dossiers' ids read
    in one statement each, not two per task."""
    files = await files_of_tasks(session, [t.id for t in tasks if t.kind == "upload"])
    external = await external_ids(session, {t.dossier_id for t in tasks if t.dossier_id})
    return [_described(t, [file_json(f) for f in files[t.id]] if t.kind == "upload" else None,
                       external.get(t.dossier_id) if t.dossier_id is not None else None)
            for t in tasks]


async def describe_task(session: AsyncSession, task: Task) -> dict[str, Any]:
    """A task as the API shows it: with the answers (a form) or the files sent (an upload)
    and who completed it, when."""
    [described] = await describe_tasks(session, [task])
    return described


def _described(task: Task, files: list[dict[str, object]] | None, dossier: str | None
               ) -> dict[str, Any]:
    completed_by = None
    if task.completed_by_type is not None:
        completed_by = {"type": task.completed_by_type, "name": task.completed_by_name or ""}
    return {
        "source": task.source, "external_id": task.external_id, "kind": task.kind,
        "title": task.title, "explanation": task.explanation,
        "dossier": dossier, "branch": task.branch,
        "url": task.url, "fields": json.loads(task.fields) if task.fields else None,
        "deadline": task.deadline.isoformat(), "status": task.status,
        "overdue": task.status == "open" and task.deadline < date.today(),
        "answers": json.loads(task.answers) if task.answers else None,
        "files": files,
        "completed_by": completed_by,
        "completed_at": task.completed_at.isoformat() if task.completed_at else None,
        "version": task.version,
    }
