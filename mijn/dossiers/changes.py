"""What changes dossiers: dossier types and their statuses, creating and updating a dossier,
recording its statuses and its forwarding to a partner. The one place for these rules: the
demo data, the intake API and the ZGW intake all come through here, except the API's status
events, which mijn.dossiers.ingest records in one statement by the same rules (record_status
and record_status_once, which the demo data and the ZGW intake use)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import Enum

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.access.loa import loa_rank
from mijn.channels import CHANNELS
from mijn.db import insert_ignore, utcnow
from mijn.dossiers.models import KINDS, Dossier, DossierType, StatusEvent, StatusType
from mijn.notifications.service import notify

# One text for every reference that cannot be had, echoing nothing.
REFERENCE_TAKEN = "this reference cannot be used; leave it out to have one generated"


class DossierError(ValueError):
    """A dossier or status that cannot be recorded as given; field names the offending
    field (if any), status the HTTP status it means (422 invalid, 409 conflict)."""

    def __init__(self, message: str, field: str | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


@dataclass(frozen=True)
class StatusSpec:
    """A status type as a dossier type declares it."""

    code: str
    label_nl: str
    label_en: str
    text_nl: str
    text_en: str
    is_final: bool = False


class Keep(Enum):
    """A field left out of a change: it keeps its value (a new type gets the default)."""

    KEEP = "keep"


KEEP = Keep.KEEP
CONFIGURATION = None  # the owner of types that configuration or the demo data declare


def _check_owner(dossier_type: DossierType, owner: str | None) -> None:
    """A source changes only its own types; configuration (owner None) may change any."""
    if owner is not None and dossier_type.owner != owner:
        held_by = (f"source {dossier_type.owner!r}" if dossier_type.owner
                   else "the configuration")
        raise DossierError(f"dossier type {dossier_type.code!r} belongs to {held_by}; "
                           "only it may change this type", "code", 403)


async def ensure_dossier_type(
    session: AsyncSession, code: str, kind: str, name_nl: str, name_en: str | Keep,
    statuses: list[StatusSpec], min_loa: str | None | Keep = KEEP, *,
    owner: str | None = CONFIGURATION,
) -> DossierType:
    """Create or update a dossier type and its ordered status types. A new type belongs to
    its owner (a source, or configuration); another source may not change it. A field
    given as KEEP keeps its value (the ZGW intake thus never lowers a level of assurance)."""
    if kind not in KINDS:
        raise DossierError(f"kind must be one of {', '.join(KINDS)}")
    if isinstance(min_loa, str) and not loa_rank(min_loa):
        raise DossierError("min_loa must be one of basis, midden, substantieel, hoog")
    dossier_type = await session.scalar(select(DossierType).where(DossierType.code == code))
    if dossier_type is None:
        dossier_type = DossierType(code=code, owner=owner, name_en="", min_loa=None)
        session.add(dossier_type)
    _check_owner(dossier_type, owner)
    dossier_type.kind, dossier_type.name_nl = kind, name_nl
    if not isinstance(name_en, Keep):
        dossier_type.name_en = name_en
    if not isinstance(min_loa, Keep):
        dossier_type.min_loa = min_loa
    await session.flush()
    await _ensure_statuses(session, dossier_type, statuses)
    return dossier_type


async def _ensure_statuses(
    session: AsyncSession, dossier_type: DossierType, statuses: list[StatusSpec]
) -> None:
    existing = {
        s.code: s
        for s in await session.scalars(
            select(StatusType).where(StatusType.dossier_type_id == dossier_type.id)
        )
    }
    for position, spec in enumerate(statuses):
        status = existing.get(spec.code) or StatusType(dossier_type_id=dossier_type.id)
        status.code, status.position, status.is_final = spec.code, position, spec.is_final
        status.label_nl, status.label_en = spec.label_nl, spec.label_en
        status.text_nl, status.text_en = spec.text_nl, spec.text_en
        session.add(status)
    await session.flush()


_STATUS_BY_CODE = select(StatusType).where(
    StatusType.dossier_type_id == bindparam("type_id"), StatusType.code == bindparam("code")
)


async def status_type(session: AsyncSession, dossier_type_id: int, code: str) -> StatusType:
    """A status type of a dossier type by its code."""
    found = await session.scalar(_STATUS_BY_CODE, {"type_id": dossier_type_id, "code": code})
    if found is None:
        raise DossierError(f"unknown status {code!r} for this dossier type", "status")
    return found


async def record_status(
    session: AsyncSession, dossier: Dossier, status: StatusType, occurred_at: datetime,
    explanation: str = "", set_by: str = "system", channel: str | None = None,
    source_event_id: str | None = None, notify_party: bool = True,
) -> StatusEvent:
    """Append a status event; the latest occurred-at decides the current status.

    A status that becomes current is news for the party: a notification is written in the
    same transaction (an older event arriving late changes nothing they see: no news).
    """
    if status.dossier_type_id != dossier.dossier_type_id:
        raise DossierError("status belongs to another dossier type")
    event = StatusEvent(
        dossier_id=dossier.id, status_type_id=status.id, explanation=explanation,
        occurred_at=occurred_at, set_by=set_by, channel=channel, source_event_id=source_event_id,
    )
    session.add(event)
    becomes_current = (
        dossier.status_changed_at is None or occurred_at >= dossier.status_changed_at
    )
    if becomes_current:
        dossier.current_status_id = status.id
        dossier.status_changed_at = occurred_at
        dossier.closed_on = occurred_at.date() if status.is_final else None
    if dossier.last_changed_at is None or occurred_at > dossier.last_changed_at:
        dossier.last_changed_at = occurred_at
    await session.flush()
    if becomes_current and notify_party:
        await notify(session, dossier.party_id, "status", dossier_id=dossier.id)
    return event


def check_channel(channel: str) -> str:
    """The channel, if it is one Mijn knows."""
    if channel not in CHANNELS:
        raise DossierError(f"channel must be one of {', '.join(CHANNELS)}", "channel")
    return channel


@dataclass(frozen=True)
class DossierFields:
    """What a dossier's source sets, when it creates the dossier and on every update."""

    dossier_type: DossierType
    party_id: int
    title: str
    channel: str
    department: str
    opened_on: date
    expected_end: date | None = None
    zgw_url: str | None = None
    branch: str | None = None

    def values(self) -> dict[str, object]:
        """The dossier's columns (the channel checked)."""
        return {
            "kind": self.dossier_type.kind, "dossier_type_id": self.dossier_type.id,
            "title": self.title, "party_id": self.party_id,
            "channel": check_channel(self.channel), "department": self.department,
            "opened_on": self.opened_on, "expected_end": self.expected_end,
            "zgw_url": self.zgw_url, "branch": self.branch,
        }


def _opened_at(opened_on: date) -> datetime:
    """A new dossier's last change: the morning it was opened."""
    return datetime.combine(opened_on, time(9), tzinfo=UTC)


async def create_dossier(
    session: AsyncSession, *, reference: str, party_id: int, dossier_type: DossierType,
    title: str, channel: str, department: str, opened_on: date,
    expected_end: date | None = None, source: str | None = None, external_id: str | None = None,
    branch: str | None = None,
) -> Dossier:
    """Register a new dossier of a party; its statuses follow through record_status."""
    fields = DossierFields(dossier_type, party_id, title, channel, department, opened_on,
                           expected_end, branch=branch)
    dossier = Dossier(reference=reference, source=source, external_id=external_id,
                      last_changed_at=_opened_at(opened_on), **fields.values())
    session.add(dossier)
    await session.flush()
    return dossier


async def create_dossier_once(
    session: AsyncSession, *, reference: str, source: str, external_id: str,
    fields: DossierFields,
) -> bool:
    """Register a source's dossier unless it exists (a concurrent request made it just now):
    True when this call created it. A reference in use is a conflict, and the refusal says
    the same whichever dossier has it (the caller's own or another source's): a client learns
    nothing about other sources' dossiers from it."""
    statement = (
        insert_ignore(session, Dossier, index_elements=["source", "external_id"])
        .values(reference=reference, source=source, external_id=external_id,
                last_changed_at=_opened_at(fields.opened_on), **fields.values())
        .returning(Dossier.id)
    )
    try:
        async with session.begin_nested():
            inserted = (await session.execute(statement)).scalar_one_or_none()
    except IntegrityError:
        raise DossierError(REFERENCE_TAKEN, "reference", 409) from None
    return inserted is not None


async def update_dossier(session: AsyncSession, dossier: Dossier, fields: DossierFields) -> None:
    """Bring a dossier up to date with its source; a change is its last change (now). The
    type of a dossier never changes."""
    if dossier.dossier_type_id != fields.dossier_type.id:
        raise DossierError("the dossier type of a dossier cannot change", "dossier_type", 409)
    for key, value in fields.values().items():
        if getattr(dossier, key) != value:
            setattr(dossier, key, value)
            dossier.last_changed_at = max(dossier.last_changed_at, utcnow())
    await session.flush()


_EVENT_BY_KEY = select(StatusEvent).where(
    StatusEvent.dossier_id == bindparam("dossier_id"),
    StatusEvent.source_event_id == bindparam("key"),
)


async def record_status_once(
    session: AsyncSession, dossier: Dossier, code: str, occurred_at: datetime, *,
    source_event_id: str, explanation: str = "", channel: str | None = None,
) -> tuple[StatusEvent, bool]:
    """Record a source's status event once per event id (True when recorded now)."""
    key = {"dossier_id": dossier.id, "key": source_event_id}
    existing = await session.scalar(_EVENT_BY_KEY, key)
    if existing is not None:
        return existing, False
    status = await status_type(session, dossier.dossier_type_id, code)
    if channel is not None:
        check_channel(channel)
    event = await record_status(
        session, dossier, status, occurred_at, explanation=explanation, channel=channel,
        source_event_id=source_event_id,
    )
    return event, True


async def record_forwarding(
    session: AsyncSession, dossier: Dossier, partner_name: str, occurred_at: datetime,
    explanation: str = "",
) -> None:
    """The dossier went to a partner organisation: on the timeline, and its department."""
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
