"""Files a party sends to do an upload task: linked to the task in the completion's
transaction (the documents area keeps and scans the bytes), listed per task (and a party's
recently done upload tasks with theirs, for the KCC), found for a download only within a
task the reader may see, and their keys for retention."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.documents.keptfiles import sent_file_values
from mijn.documents.service import Kept
from mijn.tasks.models import Task, TaskFile


async def add_task_files(
    session: AsyncSession, task_id: int, files: Sequence[tuple[str, Kept]], uploaded_by: str,
    now: datetime | None = None,
) -> list[TaskFile]:
    """The kept files (name, kept) on the task (just completed, in the caller's transaction)."""
    rows = [TaskFile(task_id=task_id, **sent_file_values(title, kept, uploaded_by, now))
            for title, kept in files]
    session.add_all(rows)
    await session.flush()
    return rows


async def task_files(session: AsyncSession, task_id: int) -> list[TaskFile]:
    """A task's files, in the order they were sent."""
    return list(await session.scalars(
        select(TaskFile).where(TaskFile.task_id == task_id).order_by(TaskFile.id)))


async def files_of_tasks(session: AsyncSession, task_ids: Collection[int]
                         ) -> dict[int, list[TaskFile]]:
    """The files of these tasks by task, each task's in the order they were sent: one
    statement for a list of tasks, not one per task."""
    found: dict[int, list[TaskFile]] = {task_id: [] for task_id in task_ids}
    if found:
        rows = await session.scalars(select(TaskFile).where(TaskFile.task_id.in_(list(found)))
                                     .order_by(TaskFile.task_id, TaskFile.id))
        for row in rows:
            found[row.task_id].append(row)
    return found


async def done_uploads(session: AsyncSession, party_id: int, limit: int = 5
                       ) -> list[tuple[Task, list[TaskFile]]]:
    """A party's most recently done upload tasks, each with the files sent for it (what the
    KCC sees of the party: "I sent it last week"). Two statements."""
    tasks = list(await session.scalars(
        select(Task).where(Task.party_id == party_id, Task.kind == "upload",
                           Task.status == "done")
        .order_by(Task.completed_at.desc(), Task.id.desc()).limit(limit)))
    files = await files_of_tasks(session, [task.id for task in tasks])
    return [(task, files[task.id]) for task in tasks]


async def find_party_task_file(session: AsyncSession, party_id: int, task_id: int,
                               file_id: int) -> TaskFile | None:
    """A file sent for this task of this party (None: another party's task, another task's
    file or an unknown one)."""
    found: TaskFile | None = await session.scalar(
        select(TaskFile).join(Task, Task.id == TaskFile.task_id).where(
            TaskFile.id == file_id, TaskFile.task_id == task_id, Task.party_id == party_id))
    return found


async def find_task_file(session: AsyncSession, task_id: int, file_id: int) -> TaskFile | None:
    """A file of this task (None: another task's or an unknown one)."""
    found: TaskFile | None = await session.scalar(select(TaskFile).where(
        TaskFile.id == file_id, TaskFile.task_id == task_id))
    return found


def file_json(row: TaskFile) -> dict[str, object]:
    """A task's file as the API and the webhook show it."""
    return {"id": row.id, "title": row.title, "content_type": row.content_type,
            "size": row.size, "sha256": row.sha256, "scan_status": row.scan_status}


async def task_file_keys(session: AsyncSession, dossier_ids: Iterable[int]) -> list[str]:
    """The stored keys of the files of the tasks about these dossiers (which go with them)."""
    keys = await session.scalars(select(TaskFile.storage_key).join(
        Task, Task.id == TaskFile.task_id).where(Task.dossier_id.in_(list(dossier_ids))))
    return list(keys)
