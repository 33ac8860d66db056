"""What a party (or whoever acts for it) does with its tasks in the portal: see the open
ones in its scope, open one, and complete it once (a version check in the one UPDATE)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, bindparam, case, false, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.access.scope import PartyScope
from mijn.db import utcnow
from mijn.dossiers.service import locked_dossier_ids, scope_dossier_ids
from mijn.tasks.models import Task

MAX_OPEN = 50  # the overview lists at most this many open tasks (the count is of all)
DOABLE = ("form", "confirm", "link", "upload")  # every kind (upload: with its files)


def in_scope(scope: PartyScope) -> list[ColumnElement[bool]]:
    """Conditions on Task for the tasks a visitor may see: the party's, of their branch, or
    about a dossier of their mandate's types (then a task about no dossier is out)."""
    found: list[ColumnElement[bool]] = [Task.party_id == scope.party_id]
    if scope.dossier_types is not None:
        found.append(Task.dossier_id.in_(scope_dossier_ids(scope)))
    if scope.branch is not None:
        found.append(Task.branch == scope.branch)
    return found


def _locked(scope: PartyScope) -> ColumnElement[bool]:
    """Whether the task is about a dossier above the session's level of assurance."""
    locked = locked_dossier_ids(scope)
    if locked is None:
        return false().label("locked")
    return case((Task.dossier_id.in_(locked), True), else_=False).label("locked")


def open_count_select(branched: bool) -> Select[Any]:
    """How many open tasks a party has (of the branch, when branched), with the party and
    branch as bound parameters (party_id, branch): a column of the access statement."""
    where = [Task.party_id == bindparam("party_id"), Task.status == "open"]
    if branched:
        where.append(Task.branch == bindparam("branch"))
    return select(func.count()).select_from(Task).where(*where)


def open_count_in(scope: PartyScope) -> Select[Any]:
    """How many open tasks are in the scope (a representative's: within the mandate)."""
    return select(func.count()).select_from(Task).where(*in_scope(scope), Task.status == "open")


async def open_task_count(session: AsyncSession, scope: PartyScope) -> int:
    """How many open tasks are in the scope (a representative's: within the mandate)."""
    return int(await session.scalar(open_count_in(scope)) or 0)


_COLUMNS = (Task.id, Task.kind, Task.title, Task.deadline, Task.status, Task.dossier_id,
            Task.completed_at)


async def open_tasks(session: AsyncSession, scope: PartyScope) -> tuple[list[Row[Any]], int]:
    """The open tasks in scope, nearest deadline first (at most MAX_OPEN), and how many
    there are in all: one statement."""
    query: Select[*tuple[Any, ...]] = (
        select(*_COLUMNS, _locked(scope), func.count().over().label("total"))
        .where(*in_scope(scope), Task.status == "open")
        .order_by(Task.deadline, Task.id).limit(MAX_OPEN)
    )
    rows = list((await session.execute(query)).all())
    return rows, int(rows[0].total) if rows else 0


def open_tasks_part(scope: PartyScope) -> Select[Any]:
    """open_tasks as a part of a combined statement (mijn.combined): the rows, each with
    the count of all (`total`) and its place (`n`)."""
    order = (Task.deadline, Task.id)
    query: Select[*tuple[Any, ...]] = (
        select(*_COLUMNS, _locked(scope), func.count().over().label("total"),
               func.row_number().over(order_by=order).label("n"))
        .where(*in_scope(scope), Task.status == "open").order_by(*order).limit(MAX_OPEN)
    )
    return query


def dossier_tasks_part(scope: PartyScope, dossier_id: ColumnElement[int]) -> Select[Any]:
    """A dossier's tasks in scope that are open or done, open first (nearest deadline), as
    a part of a combined statement (mijn.combined), the dossier given as an expression."""
    order = (case((Task.status == "open", 0), else_=1), Task.deadline, Task.id)
    query: Select[*tuple[Any, ...]] = (
        select(*_COLUMNS, _locked(scope), func.row_number().over(order_by=order).label("n"))
        .where(*in_scope(scope), Task.dossier_id == dossier_id, Task.status != "cancelled")
    )
    return query


@dataclass(frozen=True)
class TaskView:
    """One task as its page shows it."""

    task: Task
    locked: bool

    @property
    def overdue(self) -> bool:
        """Open and past its deadline."""
        return self.task.status == "open" and self.task.deadline < date.today()

    @property
    def answers(self) -> dict[str, str]:
        """What was filled in (a done form task)."""
        return dict(json.loads(self.task.answers)) if self.task.answers else {}


async def task_in_scope(session: AsyncSession, task_id: int, scope: PartyScope
                        ) -> TaskView | None:
    """A task the visitor may see (None: not theirs, cancelled or unknown: 404 alike)."""
    row = (await session.execute(
        select(Task, _locked(scope)).where(Task.id == task_id, *in_scope(scope),
                                           Task.status != "cancelled")
    )).first()
    return TaskView(row[0], bool(row[1])) if row else None


@dataclass(frozen=True)
class Completer:
    """Who completes a task: the party, a representative or a company's employee."""

    type: str  # party | representative | employee
    id: str  # a party id or an employee's pseudonym
    name: str


async def complete_task(
    session: AsyncSession, task_id: int, scope: PartyScope, version: int, who: Completer,
    answers: dict[str, str] | None = None, now: datetime | None = None, push: bool = False,
) -> bool:
    """Mark an open task done, with the answers, if it is still at `version` (the page the
    visitor saw): one UPDATE, so two tabs or a double click complete it once; push: note the
    completion for the back-office's webhook in the same UPDATE. False: it was done,
    cancelled or changed meanwhile (or is not the visitor's)."""
    locked = locked_dossier_ids(scope)
    where = [Task.id == task_id, *in_scope(scope), Task.status == "open",
             Task.version == version, Task.kind.in_(DOABLE)]
    if locked is not None:
        where.append(Task.dossier_id.is_(None) | Task.dossier_id.not_in(locked))
    now = now or utcnow()
    result = await session.execute(
        update(Task).where(*where).values(
            status="done", version=Task.version + 1, updated_at=now, completed_at=now,
            answers=json.dumps(answers, ensure_ascii=False) if answers is not None else None,
            completed_by_type=who.type, completed_by_id=who.id, completed_by_name=who.name,
            push_state="pending" if push else None, push_attempts=0,
            push_next_at=now if push else None,
        ).execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)
