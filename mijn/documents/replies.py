"""Documents sent along with a reply: staff choose among the dossier's documents that the
citizen may see (the rule is in the query), and the citizen finds them under that reply."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.documents.models import SERVABLE, Document, ReplyDocument

MAX_CHOSEN = 20  # more ids than this in one post are refused as a whole


def _for_citizen(dossier_id: int) -> tuple[ColumnElement[bool], ...]:
    return (Document.dossier_id == dossier_id, Document.visible.is_(True),
            Document.scan_status.in_(SERVABLE))


async def attachable(
    session: AsyncSession, dossier_id: int | None, ids: Sequence[int]
) -> list[Document]:
    """Those of the ids that are documents of this dossier the citizen may see and that may
    be served (none without a dossier)."""
    if dossier_id is None or not ids:
        return []
    found = await session.scalars(select(Document).where(
        Document.id.in_(list(ids)), *_for_citizen(dossier_id)).order_by(Document.id))
    return list(found)


async def send_with(session: AsyncSession, message_id: int, documents: Sequence[Document]
                    ) -> None:
    """The documents go along with this reply (the caller commits)."""
    if documents:
        await session.execute(insert(ReplyDocument), [
            {"message_id": message_id, "document_id": d.id} for d in documents])


async def sent_with(
    session: AsyncSession, message_ids: Sequence[int], *, dossier_id: int | None,
    staff: bool = False,
) -> dict[int, list[Document]]:
    """Per reply (message id) the documents sent with it, oldest first: for the citizen only
    those of the dossier that they may still see and that may be served."""
    if not message_ids or dossier_id is None:
        return {}
    more: tuple[ColumnElement[bool], ...] = (
        (Document.dossier_id == dossier_id,) if staff else _for_citizen(dossier_id))
    rows = await session.execute(
        select(ReplyDocument.message_id, Document)
        .join(Document, Document.id == ReplyDocument.document_id)
        .where(ReplyDocument.message_id.in_(list(message_ids)), *more)
        .order_by(Document.id))
    found: dict[int, list[Document]] = {}
    for message_id, document in rows:
        found.setdefault(message_id, []).append(document)
    return found



async def documents_with_replies(
    session: AsyncSession, dossier_id: int
) -> tuple[list[Document], dict[int, list[Document]]]:
    """For staff, in one statement: all the dossier's documents, newest first, and per reply
    (message id, of any question about the dossier) the documents sent with it."""
    rows = await session.execute(
        select(Document, ReplyDocument.message_id)
        .outerjoin(ReplyDocument, ReplyDocument.document_id == Document.id)
        .where(Document.dossier_id == dossier_id)
        .order_by(Document.created_at.desc(), Document.id.desc()))
    documents: dict[int, Document] = {}
    sent: dict[int, list[Document]] = {}
    for document, message_id in rows:
        documents.setdefault(document.id, document)
        if message_id is not None:
            sent.setdefault(message_id, []).insert(0, document)
    return list(documents.values()), sent
