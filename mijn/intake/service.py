"""What the intake can do: API clients, idempotent upserts of dossiers, statuses and forwarding."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.db import insert_ignore, utcnow
from mijn.dossiers.models import Dossier, DossierType, StatusEvent, StatusType
from mijn.dossiers.service import DossierError, check_channel, record_status, status_type
from mijn.intake.models import ApiClient, DossierLink
from mijn.parties.service import get_or_create_party

TOKEN_PREFIX = "mijn_"  # noqa: S105 - a prefix, not a secret
SCOPES = ("dossiers", "catalogue", "mandates")
# Statements run on every API call, built once.
_CLIENT_BY_HASH = select(ApiClient).where(ApiClient.token_hash == bindparam("digest"))
_EVENT_BY_KEY = select(StatusEvent).where(
    StatusEvent.dossier_id == bindparam("dossier_id"),
    StatusEvent.source_event_id == bindparam("key"),
)
_STATUS_CODE = select(StatusType.code).where(StatusType.id == bindparam("id"))
# zgw: dossiers read from the ZGW APIs; claim: mandates asserted at login. No client writes them.
RESERVED_SOURCES = ("zgw", "claim")
EVENT_KEY_LENGTH = 200  # status_events.source_event_id


class IntakeError(ValueError):
    """A request the intake cannot carry out; field names the offending field, if any."""

    def __init__(self, message: str, field: str | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


def hash_token(token: str) -> str:
    """The stored form of a bearer token (tokens are random, so a plain SHA-256 suffices)."""
    return hashlib.sha256(token.encode()).hexdigest()


async def create_api_client(
    session: AsyncSession, name: str, source: str, scopes: list[str]
) -> tuple[ApiClient, str]:
    """Register a client; the token is returned once and only its hash is kept."""
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise IntakeError(f"unknown scope {unknown[0]!r}; known: {', '.join(SCOPES)}", "scope")
    if not source or len(source) > 80:
        raise IntakeError("source must be 1 to 80 characters", "source")
    if source in RESERVED_SOURCES:
        raise IntakeError(f"source {source!r} is reserved for Mijn itself", "source")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    client = ApiClient(
        name=name, source=source, scopes=" ".join(scopes or ["dossiers"]),
        token_hash=hash_token(token),
    )
    session.add(client)
    try:
        await session.flush()
    except IntegrityError:
        raise IntakeError(f"an API client named {name!r} exists already", "name") from None
    return client, token


async def list_api_clients(session: AsyncSession) -> list[ApiClient]:
    """All clients, revoked ones included."""
    return list(await session.scalars(select(ApiClient).order_by(ApiClient.name)))


async def revoke_api_client(session: AsyncSession, name: str) -> bool:
    """Revoke a client's token at once; False when there is no such active client."""
    result = await session.execute(
        update(ApiClient)
        .where(ApiClient.name == name, ApiClient.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def authenticate(session: AsyncSession, token: str) -> ApiClient | None:
    """The active client this token belongs to, if any."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    digest = hash_token(token)
    client = await session.scalar(_CLIENT_BY_HASH, {"digest": digest})
    if client is None or client.revoked_at is not None:
        return None
    return client if hmac.compare_digest(client.token_hash, digest) else None


@dataclass(frozen=True)
class DossierInput:
    """A dossier as a back-office describes it."""

    source: str
    external_id: str
    party_type: str
    party_id: str
    dossier_type: str
    title: str
    channel: str
    department: str
    opened_on: date
    expected_end: date | None = None
    reference: str | None = None
    zgw_url: str | None = None
    branch: str | None = None  # vestigingsnummer, for an organisation's dossier


@dataclass(frozen=True)
class StatusInput:
    """A status event as a back-office sends it."""

    event_id: str
    status: str
    occurred_at: datetime
    explanation: str = ""
    channel: str | None = None


_BY_SOURCE = select(Dossier).where(
    Dossier.source == bindparam("source"), Dossier.external_id == bindparam("external_id")
)
_LINK_BY_SOURCE = select(DossierLink).where(
    DossierLink.source == bindparam("source"), DossierLink.external_id == bindparam("external_id")
)
_BY_ID = select(Dossier).where(Dossier.id == bindparam("id"))
_LOCKED = {False: (_BY_SOURCE, _BY_ID), True: (_BY_SOURCE.with_for_update(),
                                               _BY_ID.with_for_update())}


async def find_dossier(
    session: AsyncSession, source: str, external_id: str, *, lock: bool = False
) -> tuple[Dossier, DossierLink | None] | None:
    """A dossier by the id its source (or a partner it was forwarded to) knows it by."""
    by_source, by_id = _LOCKED[lock]
    ids = {"source": source, "external_id": external_id}
    dossier = await session.scalar(by_source, ids)
    if dossier is not None:
        return dossier, None
    link = await session.scalar(_LINK_BY_SOURCE, ids)
    if link is None:
        return None
    dossier = await session.scalar(by_id, {"id": link.dossier_id})
    return (dossier, link) if dossier is not None else None


async def _dossier_type(session: AsyncSession, code: str) -> DossierType:
    found = await session.scalar(select(DossierType).where(DossierType.code == code))
    if found is None:
        raise IntakeError(
            f"unknown dossier type {code!r}: register it first with "
            f"PUT /api/v1/dossier-types/{code}",
            "dossier_type",
        )
    return found


def _new_reference(source: str) -> str:
    return f"{source[:3].upper()}-{secrets.token_hex(4).upper()}"


async def upsert_dossier(session: AsyncSession, data: DossierInput) -> tuple[Dossier, bool]:
    """Create the dossier, or bring it up to date; the same input twice changes nothing."""
    existing = await find_dossier(session, data.source, data.external_id, lock=True)
    if existing is not None and existing[1] is not None:
        return await _update_as_partner(existing[0], data), False
    dossier_type = await _dossier_type(session, data.dossier_type)
    check_channel(data.channel)
    try:
        party = await get_or_create_party(session, data.party_type, data.party_id)
    except ValueError as exc:
        raise IntakeError(str(exc), "party.id") from None
    if data.branch is not None and party.kind != "organisation":
        raise IntakeError("only an organisation's dossier has a branch", "party.branch")
    values = {
        "kind": dossier_type.kind, "dossier_type_id": dossier_type.id, "title": data.title,
        "party_id": party.id, "channel": data.channel, "department": data.department,
        "opened_on": data.opened_on, "expected_end": data.expected_end, "zgw_url": data.zgw_url,
        "branch": data.branch,
    }
    created = False
    if existing is None:
        created = await _insert_dossier(session, data, values)
    dossier = await session.scalar(
        select(Dossier)
        .where(Dossier.source == data.source, Dossier.external_id == data.external_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert dossier is not None
    if not created:
        if dossier.dossier_type_id != dossier_type.id:
            raise IntakeError("the dossier type of a dossier cannot change", "dossier_type", 409)
        for key, value in values.items():
            if getattr(dossier, key) != value:
                setattr(dossier, key, value)
                dossier.last_changed_at = max(dossier.last_changed_at, utcnow())
    await session.flush()
    return dossier, created


async def _insert_dossier(
    session: AsyncSession, data: DossierInput, values: dict[str, object]
) -> bool:
    """Insert unless a concurrent request did; True when this call created it."""
    opened_at = datetime.combine(data.opened_on, time(9), tzinfo=UTC)
    reference = data.reference or _new_reference(data.source)
    statement = (
        insert_ignore(session, Dossier, index_elements=["source", "external_id"])
        .values(
            reference=reference, source=data.source, external_id=data.external_id,
            last_changed_at=opened_at, **values,
        )
        .returning(Dossier.id)
    )
    try:
        async with session.begin_nested():
            inserted = (await session.execute(statement)).scalar_one_or_none()
    except IntegrityError:
        raise IntakeError(f"reference {reference!r} is used by another dossier", "reference",
                          409) from None
    return inserted is not None


async def _update_as_partner(dossier: Dossier, data: DossierInput) -> Dossier:
    """A partner that received the dossier updates only its handling: department, end date."""
    if data.department and dossier.department != data.department:
        dossier.department = data.department
    if data.expected_end and dossier.expected_end != data.expected_end:
        dossier.expected_end = data.expected_end
    return dossier


async def current_status_code(session: AsyncSession, dossier: Dossier) -> str | None:
    """The code of the dossier's current status."""
    if dossier.current_status_id is None:
        return None
    return await session.scalar(_STATUS_CODE, {"id": dossier.current_status_id})


def event_key(source: str, event_id: str) -> str:
    """The stored idempotency key of an event: its source and id, hashed when too long."""
    key = f"{source}:{event_id}"
    if len(key) <= EVENT_KEY_LENGTH:
        return key
    return f"{source}:sha256:{hashlib.sha256(event_id.encode()).hexdigest()}"


async def add_status(
    session: AsyncSession, dossier: Dossier, source: str, data: StatusInput
) -> tuple[StatusEvent, bool]:
    """Record a status event once per event id; the latest occurred-at stays current."""
    key = event_key(source, data.event_id)
    existing = await session.scalar(_EVENT_BY_KEY, {"dossier_id": dossier.id, "key": key})
    if existing is not None:
        return existing, False
    try:
        status = await status_type(session, dossier.dossier_type_id, data.status)
    except DossierError as exc:
        raise IntakeError(str(exc), "status") from None
    if data.channel is not None:
        check_channel(data.channel)
    event = await record_status(
        session, dossier, status, data.occurred_at, explanation=data.explanation,
        channel=data.channel, source_event_id=key,
    )
    return event, True


async def forward_dossier(
    session: AsyncSession, dossier: Dossier, *, partner_source: str, partner_external_id: str,
    partner_name: str, occurred_at: datetime, explanation: str = "",
) -> tuple[DossierLink, bool]:
    """Hand a dossier to a partner organisation: it may then push statuses under its own id."""
    link = await session.scalar(
        select(DossierLink).where(
            DossierLink.source == partner_source,
            DossierLink.external_id == partner_external_id,
        )
    )
    if link is not None:
        if link.dossier_id != dossier.id:
            raise IntakeError("this partner id belongs to another dossier", "external_id", 409)
        return link, False
    link = DossierLink(
        dossier_id=dossier.id, source=partner_source, external_id=partner_external_id,
        partner_name=partner_name,
    )
    session.add(link)
    session.add(
        StatusEvent(
            dossier_id=dossier.id, kind="forwarded", partner_name=partner_name,
            explanation=explanation, occurred_at=occurred_at, set_by="system",
            channel="partner",
        )
    )
    dossier.department = partner_name
    if occurred_at > dossier.last_changed_at:
        dossier.last_changed_at = occurred_at
    await session.flush()
    return link, True
