"""The ZGW intake's documents: a zaakinformatieobject notification attaches the
enkelvoudiginformatieobject it names to the zaak's dossier, by reference (its content stays
in the Documenten API and is streamed when it is opened). The citizen sees it when its
vertrouwelijkheidaanduiding is at most MIJN_ZGW_MAX_CONFIDENTIALITY."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from mijn.access.confidentiality import may_show
from mijn.documents.remote import Remote, RemoteError
from mijn.documents.service import NewDocument, attach, has_reference
from mijn.intake.zgw_client import ZgwClient, ZgwRefused, ZgwUnavailable
from mijn.settings import ZgwSettings

if TYPE_CHECKING:
    from mijn.dossiers.models import Dossier

RESOURCE = "zaakinformatieobject"


@dataclass(frozen=True)
class FoundDocument:
    """An enkelvoudiginformatieobject of a zaak, as read from the Zaken and Documenten APIs."""

    url: str
    title: str
    content_type: str
    size: int
    confidentiality: str
    visible: bool


def _same(a: object, b: str) -> bool:
    return isinstance(a, str) and a.rstrip("/") == b.rstrip("/")


async def gather_document(
    client: ZgwClient, resource: str, resource_url: str, zaak_url: str, settings: ZgwSettings
) -> FoundDocument | None:
    """The object a zaakinformatieobject names (None for another resource, or without a
    configured Documenten API); ZgwRefused / ZgwUnavailable as the other reads."""
    if resource != RESOURCE or not settings.documenten_url:
        return None
    link = await client.get_object(RESOURCE, resource_url)
    if not _same(link.get("zaak"), zaak_url):
        raise ZgwRefused(f"{RESOURCE}: it belongs to another zaak")
    remote = Remote(settings.documenten_url, client.http, client.token())
    try:
        url = remote.check(str(link.get("informatieobject", "")))
        described = await remote.describe(url)
    except RemoteError as exc:
        error = ZgwRefused if exc.status == 422 else ZgwUnavailable
        raise error(f"informatieobject: {exc}") from None
    title = link.get("titel") if isinstance(link.get("titel"), str) else ""
    return FoundDocument(
        url, (str(title) or described.title or "Document")[:300], described.content_type,
        described.size, described.confidentiality or "onbekend",
        may_show(described.confidentiality, settings.max_confidentiality),
    )


async def store_document(session: AsyncSession, dossier: Dossier, found: FoundDocument) -> None:
    """Attach the object to the dossier, once (a repeated notification changes nothing)."""
    if await has_reference(session, dossier.id, found.url):
        return
    new = NewDocument(found.title, "overig", found.confidentiality[:30], found.visible, "zgw",
                      "zgw")
    await attach(session, dossier.id, dossier.party_id, new,
                 zgw=(found.url, found.content_type, found.size))
