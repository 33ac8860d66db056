"""What the intake can do: API clients, idempotent upserts of dossiers, statuses and forwarding."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Executable, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

if TYPE_CHECKING:
    from mijn.dossiers.models import Dossier, DossierType, StatusEvent

from mijn.db import utcnow
from mijn.dossiers.changes import (
    DossierError,
    DossierFields,
    check_channel,
    create_dossier_once,
    record_forwarding,
    record_status_once,
    update_dossier,
)
from mijn.dossiers.ingest import (
    EXTERNAL_ID,
    NO_DOSSIER,
    SOURCE,
    UNKNOWN_STATUS,
    SourceEvent,
    StatusOutcome,
    record_source_status,
)
from mijn.dossiers.service import dossier_by_id, dossier_by_source, find_dossier_type
from mijn.intake.models import ApiClient, DossierLink
from mijn.parties.service import get_or_create_party

TOKEN_PREFIX = "mijn_"  # noqa: S105 - a prefix, not a secret
SCOPES = ("dossiers", "catalogue", "mandates")
# Run on every API call, built once: the columns only (no ORM object to build and track).
_CLIENT_BY_HASH = select(
    ApiClient.name, ApiClient.source, ApiClient.scopes, ApiClient.token_hash,
    ApiClient.revoked_at,
).where(ApiClient.token_hash == bindparam("digest"))
# zgw: dossiers read from the ZGW APIs; claim: mandates asserted at login; demo: the demo
# data. No client writes them, and no dossier is forwarded to them.
RESERVED_SOURCES = ("zgw", "claim", "demo")
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


@dataclass(frozen=True)
class Client:
    """An active API client as a request sees it."""

    name: str
    source: str
    scopes: tuple[str, ...]


async def authenticate(session: AsyncSession, token: str) -> Client | None:
    """The active client this token belongs to, if any."""
    client, _extra = await authenticate_with(session, token)
    return client


# _CLIENT_BY_HASH with one more column, per column (kept alive by its maker's cache).
_WITH_COLUMN: dict[int, tuple[ColumnElement[Any], Executable]] = {}


async def authenticate_with(
    session: AsyncSession | AsyncConnection, token: str,
    column: ColumnElement[Any] | None = None,
    params: dict[str, Any] | None = None,
) -> tuple[Client | None, Any]:
    """`authenticate`, selecting `column` (bound with `params`) in the same statement: its
    value comes back beside the client (None when the token matches no client)."""
    if not token.startswith(TOKEN_PREFIX):
        return None, None
    digest = hash_token(token)
    statement: Executable = _CLIENT_BY_HASH
    if column is not None:
        column_and_statement = _WITH_COLUMN.get(id(column))
        if column_and_statement is None or column_and_statement[0] is not column:
            column_and_statement = (column, _CLIENT_BY_HASH.add_columns(column.label("extra")))
            _WITH_COLUMN[id(column)] = column_and_statement
        statement = column_and_statement[1]
    connection = session if isinstance(session, AsyncConnection) else await session.connection()
    row = (await connection.execute(statement, {"digest": digest, **(params or {})})
           ).one_or_none()
    if row is None or row.revoked_at is not None:
        return None, None
    if not hmac.compare_digest(row.token_hash, digest):
        return None, None
    extra = row.extra if column is not None else None
    return Client(row.name, row.source, tuple(row.scopes.split())), extra


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


_LINK_BY_SOURCE = select(DossierLink).where(
    DossierLink.source == bindparam("source"), DossierLink.external_id == bindparam("external_id")
)


async def find_dossier(
    session: AsyncSession, source: str, external_id: str, *, lock: bool = False
) -> tuple[Dossier, DossierLink | None] | None:
    """A dossier by the id its source (or a partner it was forwarded to) knows it by."""
    dossier = await dossier_by_source(session, source, external_id, lock=lock)
    if dossier is not None:
        return dossier, None
    link = await session.scalar(_LINK_BY_SOURCE, {"source": source, "external_id": external_id})
    if link is None:
        return None
    dossier = await dossier_by_id(session, link.dossier_id, lock=lock)
    return (dossier, link) if dossier is not None else None


async def partner_names(session: AsyncSession, dossier_id: int) -> list[str]:
    """The partners a dossier was forwarded to, in order."""
    return list(await session.scalars(
        select(DossierLink.partner_name).where(DossierLink.dossier_id == dossier_id)
        .order_by(DossierLink.id)
    ))


async def _dossier_type(session: AsyncSession, code: str) -> DossierType:
    found = await find_dossier_type(session, code)
    if found is None:
        raise IntakeError(
            f"unknown dossier type {code!r}: register it first with "
            f"PUT /api/v1/dossier-types/{code}",
            "dossier_type",
        )
    return found


def _new_reference(source: str) -> str:
    return f"{source[:3].upper()}-{secrets.token_hex(4).upper()}"


def _refused(exc: DossierError) -> IntakeError:
    return IntakeError(str(exc), exc.field, exc.status)


async def _fields(session: AsyncSession, data: DossierInput) -> DossierFields:
    """The dossier's fields from the input: its type known, its party found or made."""
    dossier_type = await _dossier_type(session, data.dossier_type)
    check_channel(data.channel)
    try:
        party = await get_or_create_party(session, data.party_type, data.party_id)
    except ValueError as exc:
        raise IntakeError(str(exc), "party.id") from None
    if data.branch is not None and party.kind != "organisation":
        raise IntakeError("only an organisation's dossier has a branch", "party.branch")
    return DossierFields(
        dossier_type=dossier_type, party_id=party.id, title=data.title, channel=data.channel,
        department=data.department, opened_on=data.opened_on, expected_end=data.expected_end,
        zgw_url=data.zgw_url, branch=data.branch,
    )


async def upsert_dossier(session: AsyncSession, data: DossierInput) -> tuple[Dossier, bool]:
    """Create the source's own dossier, or bring it up to date; the same input twice
    changes nothing. A dossier forwarded to this source under this id is never updated
    here: the source's own dossier is its own (a forwarding cannot capture it)."""
    existing = await dossier_by_source(session, data.source, data.external_id, lock=True)
    try:
        fields = await _fields(session, data)
        created = existing is None and await create_dossier_once(
            session, reference=data.reference or _new_reference(data.source),
            source=data.source, external_id=data.external_id, fields=fields,
        )
        dossier = await dossier_by_source(session, data.source, data.external_id, fresh=True)
        assert dossier is not None
        if not created:
            await update_dossier(session, dossier, fields)
    except DossierError as exc:
        raise _refused(exc) from None
    await session.flush()
    return dossier, created


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
    try:
        return await record_status_once(
            session, dossier, data.status, data.occurred_at,
            source_event_id=event_key(source, data.event_id), explanation=data.explanation,
            channel=data.channel,
        )
    except DossierError as exc:
        raise _refused(exc) from None


# The dossier forwarded to a source under an id, as a part of the statement that records it.
_LINKED_ID = select(DossierLink.dossier_id).where(
    DossierLink.source == SOURCE, DossierLink.external_id == EXTERNAL_ID
).scalar_subquery()


async def add_source_status(
    session: AsyncSession | AsyncConnection, source: str, external_id: str, data: StatusInput
) -> StatusOutcome:
    """Record a status event of the dossier the source knows by this id (its own, or one
    forwarded to it) once per event id, without loading the dossier: one statement on
    PostgreSQL (mijn.dossiers.ingest). Refused: an unknown dossier (404), status or channel."""
    if data.channel is not None:
        try:
            check_channel(data.channel)
        except DossierError as exc:
            raise _refused(exc) from None
    event = SourceEvent(source, external_id, event_key(source, data.event_id), data.status,
                        data.occurred_at, data.explanation, data.channel)
    outcome = await record_source_status(session, event, _LINKED_ID)
    if outcome.outcome == NO_DOSSIER:
        raise IntakeError(f"No dossier {external_id!r} of source {source!r}: create it first "
                          "with PUT.", status=404)
    if outcome.outcome == UNKNOWN_STATUS:
        raise IntakeError(f"unknown status {data.status!r} for this dossier type", "status")
    return outcome


_ACTIVE_SOURCE = select(ApiClient.id).where(
    ApiClient.source == bindparam("source"), ApiClient.revoked_at.is_(None)
).limit(1)


async def _check_partner(
    session: AsyncSession, dossier: Dossier, partner_source: str, partner_external_id: str
) -> None:
    """A partner is a registered source (an active API client's) other than the dossier's
    own and the reserved ones, and its id names no dossier of its own."""
    if partner_source == dossier.source:
        raise IntakeError("a dossier cannot be forwarded to its own source", "partner_source")
    if partner_source in RESERVED_SOURCES:
        raise IntakeError(f"source {partner_source!r} is reserved for Mijn itself",
                          "partner_source")
    if await session.scalar(_ACTIVE_SOURCE, {"source": partner_source}) is None:
        raise IntakeError(f"no active API client writes source {partner_source!r}: "
                          "forward only to a registered partner", "partner_source")
    if await dossier_by_source(session, partner_source, partner_external_id) is not None:
        raise IntakeError("the partner has a dossier of its own with this id",
                          "partner_external_id", 409)


async def forward_dossier(
    session: AsyncSession, dossier: Dossier, *, partner_source: str, partner_external_id: str,
    partner_name: str, occurred_at: datetime, explanation: str = "",
) -> tuple[DossierLink, bool]:
    """Hand a dossier to a partner organisation: it may then push statuses under its own id."""
    link = await session.scalar(
        _LINK_BY_SOURCE, {"source": partner_source, "external_id": partner_external_id}
    )
    if link is not None:
        if link.dossier_id != dossier.id:
            raise IntakeError("this partner id is linked to another dossier",
                              "partner_external_id", 409)
        return link, False
    await _check_partner(session, dossier, partner_source, partner_external_id)
    link = DossierLink(
        dossier_id=dossier.id, source=partner_source, external_id=partner_external_id,
        partner_name=partner_name,
    )
    try:
        async with session.begin_nested():
            session.add(link)
    except IntegrityError:
        raise IntakeError("this partner id is linked to another dossier",
                          "partner_external_id", 409) from None
    await record_forwarding(session, dossier, partner_name, occurred_at, explanation)
    await session.flush()
    return link, True
