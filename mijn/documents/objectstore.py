"""The documents' store in an S3-compatible object store (MIJN_S3_*): mijn.objectstore's S3Store
behind the DocumentStore protocol, its errors told as the protocol's (StoreError, TooLarge), so
that every front end handles both backends alike. Several instances of Mijn then share the
files; the directory store serves one machine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from mijn.documents.store import CHUNK, DirectoryStore, DocumentStore, Stored, StoreError, TooLarge
from mijn.objectstore import s3
from mijn.objectstore.settings import ObjectStoreSettings


class ObjectDocumentStore:
    """Documents as objects in a bucket, each under a random key."""

    def __init__(self, settings: ObjectStoreSettings, store: s3.S3Store | None = None) -> None:
        self.objects = store or s3.S3Store(settings)

    async def write(self, chunks: AsyncIterator[bytes], limit: int | None = None) -> Stored:
        try:
            stored = await self.objects.write(chunks, limit)
        except s3.TooLarge as exc:
            raise TooLarge(str(exc)) from exc
        except s3.ObjectStoreError as exc:
            raise StoreError(str(exc)) from exc
        return Stored(stored.key, stored.size, stored.sha256)

    async def read(self, key: str, chunk_size: int = CHUNK) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.objects.read(key, chunk_size):
                yield chunk
        except s3.ObjectStoreError as exc:
            raise StoreError(str(exc)) from exc

    async def delete(self, key: str) -> None:
        try:
            await self.objects.delete(key)
        except s3.ObjectStoreError as exc:
            raise StoreError(str(exc)) from exc

    async def aclose(self) -> None:
        await self.objects.aclose()


def open_store(object_store: ObjectStoreSettings, directory: Path) -> DocumentStore:
    """The documents' store as configured: the object store when it is, else the directory."""
    return ObjectDocumentStore(object_store) if object_store.enabled else DirectoryStore(directory)


async def close_store(store: DocumentStore) -> None:
    """Let go of what the store holds open (the object store's connections)."""
    if isinstance(store, ObjectDocumentStore):
        await store.aclose()
