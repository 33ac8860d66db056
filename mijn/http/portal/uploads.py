"""Files with a citizen's question or reply: kept as the shared upload pipeline does
(mijn.http.uploads: all or none), linked to the message."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from mijn.access.scope import Access
from mijn.documents.service import Kept
from mijn.http.uploads import Upload, kept_with
from mijn.questions.attachments import attach_to_last_message
from mijn.questions.common import OnBehalf

T = TypeVar("T")


async def with_files(
    request: Request, session: AsyncSession, upload: Upload, dossier_id: int | None,
    save: Callable[[], Awaitable[T]], question_id: Callable[[T], int | None], by: str,
) -> T:
    """Keep the form's files, save the message (`save`), link the files to it; nothing of
    it stays when any step fails (the caller commits inside `async with upload`, which
    removes the files again when the commit fails)."""
    async def save_and_attach(kept: list[tuple[str, Kept]]) -> T:
        saved = await save()
        target = question_id(saved)
        if target is not None and kept:  # None: the same form sent twice, the first counts
            await attach_to_last_message(session, target, kept, by)
        return saved

    return await kept_with(request, session, upload, dossier_id, save_and_attach,
                           lambda saved: question_id(saved) is not None)


def uploaded_by(access: Access, by: OnBehalf | None) -> str:
    """Who sent a file: the party, or who wrote for it."""
    return by.actor_ref if by else f"party:{access.party_id}"
