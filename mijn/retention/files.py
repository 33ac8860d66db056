"""Retention of the files of deleted dossiers and questions: their documents' and
attachments' bytes (and those of the files sent for the dossiers' tasks) leave the store (a
directory, or the object store) in the same batch as the rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from mijn.documents.service import stored_keys
from mijn.documents.store import DocumentStore
from mijn.dossiers.retention import delete_dossiers, expired_dossier_ids
from mijn.questions.attachments import attachment_keys
from mijn.questions.retention import delete_questions, expired_question_ids
from mijn.tasks.files import task_file_keys


async def delete_expired_dossiers_and_files(
    session: AsyncSession, cutoff: datetime, limit: int, store: DocumentStore
) -> int:
    """Delete at most `limit` dossiers closed before the cutoff, their documents' files and
    the files sent for their tasks (whose rows go with the dossier);
    how many dossiers went (the caller commits). The files go first: when the commit then
    fails, the next run finds the same dossiers and deletes again (an unknown key is no
    error), so that no file stays behind without its row. A store that fails (StoreError)
    stops the run before this batch's rows go."""
    ids = await expired_dossier_ids(session, cutoff, limit)
    for key in [*await stored_keys(session, ids), *await task_file_keys(session, ids)]:
        await store.delete(key)
    await delete_dossiers(session, ids)
    return len(ids)


async def delete_expired_questions_and_files(
    session: AsyncSession, cutoff: datetime, limit: int, store: DocumentStore
) -> int:
    """Delete at most `limit` answered or closed questions untouched since the cutoff and
    the files sent with them; how many questions went (the caller commits). The files go
    first, as for dossiers."""
    ids = await expired_question_ids(session, cutoff, limit)
    for key in await attachment_keys(session, ids):
        await store.delete(key)
    await delete_questions(session, ids)
    return len(ids)
