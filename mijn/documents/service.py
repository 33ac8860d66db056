"""What the documents area can do: keep an upload (kind by content, size limit, scan),
attach a document to a dossier (with news for its party), and list, find, open and remove
documents; the reader's rules are in the queries (visible, servable, of that dossier)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.db import utcnow
from mijn.documents.models import SERVABLE, Document
from mijn.documents.scanning import Scanner, scan_stored
from mijn.documents.sniff import ALLOWED, Sniffed
from mijn.documents.store import DocumentStore, StoredFile
from mijn.notifications.service import notify


@dataclass(frozen=True)
class NewDocument:
    """What describes a document: its title, kind, confidentiality, whether the citizen may
    see it, where it came from (models.SOURCES) and who sent it."""

    title: str
    kind: str
    confidentiality: str
    visible: bool
    source: str
    uploaded_by: str
    question_id: int | None = None


@dataclass(frozen=True)
class Kept:
    """An upload as stored: where, its media type (by content) and its scan state."""

    stored: StoredFile
    content_type: str
    scan_status: str


async def keep_upload(
    store: DocumentStore, chunks: AsyncIterator[bytes], limit: int,
    scanner: Scanner | None = None, allowed: tuple[str, ...] = ALLOWED,
) -> Kept:
    """Store a stream whose first bytes show an allowed kind, up to limit bytes, and scan it
    (sniff.WrongKind, sniff.Empty, store.TooLarge, store.StoreError: nothing was kept)."""
    sniffed = Sniffed(chunks, allowed)
    stored = await store.write(sniffed.stream(), limit)
    status = await scan_stored(store, stored.key, scanner)
    return Kept(stored, sniffed.content_type, status)


async def attach(
    session: AsyncSession, dossier_id: int, party_id: int, new: NewDocument, *,
    kept: Kept | None = None, zgw: tuple[str, str, int] | None = None,
    now: datetime | None = None,
) -> Document:
    """A document on the dossier: kept by Mijn, or a ZGW reference (url, media type, size).
    One the citizen may see and that may be served is news for the dossier's party, unless
    the party sent it (in the caller's transaction)."""
    now = now or utcnow()
    document = Document(
        dossier_id=dossier_id, question_id=new.question_id, title=new.title, kind=new.kind,
        confidentiality=new.confidentiality, visible=new.visible, source=new.source,
        uploaded_by=new.uploaded_by, created_at=now,
        scan_status=kept.scan_status if kept else "unscanned",
        size=kept.stored.size if kept else (zgw[2] if zgw else 0),
        content_type=kept.content_type if kept else (zgw[1] if zgw else ""),
        sha256=kept.stored.sha256 if kept else None,
        storage_key=kept.stored.key if kept else None, zgw_url=zgw[0] if zgw else None,
    )
    session.add(document)
    await session.flush()
    if new.visible and document.scan_status in SERVABLE and new.source != "citizen":
        await notify(session, party_id, "document", dossier_id=dossier_id, now=now)
    return document


def _for_citizen() -> tuple[ColumnElement[bool], ...]:
    return (Document.visible.is_(True), Document.scan_status.in_(SERVABLE))


async def dossier_documents(
    session: AsyncSession, dossier_id: int, *, staff: bool = False
) -> list[Document]:
    """A dossier's documents, newest first: for the citizen those visible and servable,
    for staff all of them."""
    more: tuple[ColumnElement[bool], ...] = () if staff else _for_citizen()
    found = await session.scalars(
        select(Document).where(Document.dossier_id == dossier_id, *more)
        .order_by(Document.created_at.desc(), Document.id.desc())
    )
    return list(found)


def dossier_documents_part(dossier_id: ColumnElement[int]) -> Select[Any]:
    """The citizen's dossier_documents (what the dossier's page shows of them) as a part of
    a combined statement (mijn.combined), the dossier given as an expression."""
    order = (Document.created_at.desc(), Document.id.desc())
    query: Select[*tuple[Any, ...]] = select(
        Document.id, Document.title, Document.kind, Document.size, Document.created_at,
        Document.read_at, func.row_number().over(order_by=order).label("n"),
    ).where(Document.dossier_id == dossier_id, *_for_citizen())
    return query


async def find_document(
    session: AsyncSession, document_id: int, dossier_id: int, *, staff: bool = False
) -> Document | None:
    """A document of this dossier (for the citizen: one visible and servable); None for
    another dossier's or an unknown one."""
    more: tuple[ColumnElement[bool], ...] = () if staff else _for_citizen()
    found: Document | None = await session.scalar(select(Document).where(
        Document.id == document_id, Document.dossier_id == dossier_id, *more))
    return found


async def has_reference(session: AsyncSession, dossier_id: int, zgw_url: str) -> bool:
    """Whether this ZGW object is attached to the dossier already."""
    found = await session.scalar(select(Document.id).where(
        Document.dossier_id == dossier_id, Document.zgw_url == zgw_url))
    return found is not None


async def mark_opened(session: AsyncSession, document_id: int, now: datetime | None = None
                      ) -> None:
    """The party opened the document: it is no longer new (the caller commits)."""
    await session.execute(
        update(Document).where(Document.id == document_id, Document.read_at.is_(None))
        .values(read_at=now or utcnow()).execution_options(synchronize_session=False))


async def remove_document(
    session: AsyncSession, document_id: int, dossier_id: int
) -> Document | None:
    """Remove a document's row (the caller commits, then deletes its bytes from the store);
    the row as it was, or None for another dossier's or an unknown one."""
    found = await find_document(session, document_id, dossier_id, staff=True)
    if found is not None:
        await session.execute(delete(Document).where(Document.id == document_id))
    return found


async def documents_at(
    session: AsyncSession, news: Sequence[tuple[int, int, datetime]]
) -> dict[int, str]:
    """For each (news id, dossier id, written at) of a new document: the title of the
    visible document the news was about (the dossier's latest added by then)."""
    dossier_ids = sorted({dossier_id for _, dossier_id, _ in news})
    if not dossier_ids:
        return {}
    rows = (await session.execute(
        select(Document.dossier_id, Document.created_at, Document.title)
        .where(Document.dossier_id.in_(dossier_ids), *_for_citizen())
        .order_by(Document.created_at, Document.id)
    )).all()
    found: dict[int, str] = {}
    for news_id, dossier_id, at in news:
        known = [title for d, created, title in rows if d == dossier_id and created <= at]
        if known:
            found[news_id] = known[-1]
    return found


async def stored_keys(session: AsyncSession, dossier_ids: Sequence[int]) -> list[str]:
    """The store keys of the documents of these dossiers (ZGW references have none)."""
    if not dossier_ids:
        return []
    keys = await session.scalars(select(Document.storage_key).where(
        Document.dossier_id.in_(list(dossier_ids)), Document.storage_key.is_not(None)))
    return [key for key in keys if key]
