"""A source's status event in as few statements as the database allows: the intake's hot path.

The rules are those of record_status_once and record_status (mijn.dossiers.changes): the
dossier found by its source's id (or a partner's, through `linked`), the status known for
its type, the event stored once per event id, the dossier's current status moved only by
the event that occurred last (a final one closes it), and news for the party in the outbox
in the same transaction. On PostgreSQL all of it is one statement (data-modifying CTEs; the
dossier row locked first, so events of one dossier are applied one after another); on SQLite,
the development database, three or four Core statements. No ORM unit of work either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import aliased

from mijn.db import UTCDateTime, insert_ignore, utcnow
from mijn.dossiers.models import Dossier, StatusEvent, StatusType
from mijn.notifications.service import notify, notify_from

CREATED, REPEATED, UNKNOWN_STATUS, NO_DOSSIER = "created", "repeated", "unknown_status", "missing"
_EVENT_COLUMNS = ["dossier_id", "kind", "status_type_id", "explanation", "occurred_at", "set_by",
                  "channel", "source_event_id", "created_at"]


@dataclass(frozen=True)
class StatusOutcome:
    """What became of a source's status event, and the dossier's current status after it."""

    outcome: str  # created | repeated | unknown_status | missing
    current_status: str | None = None

    @property
    def created(self) -> bool:
        """Recorded now (not a repeat of an event id already known)."""
        return self.outcome == CREATED


@dataclass(frozen=True)
class SourceEvent:
    """A status event as its source sent it, keyed for idempotency."""

    source: str
    external_id: str
    key: str  # the stored source_event_id
    status: str
    occurred_at: datetime
    explanation: str = ""
    channel: str | None = None

    def params(self) -> dict[str, Any]:
        """The bound values of the statements below."""
        return {
            "in_source": self.source, "in_external_id": self.external_id, "in_key": self.key,
            "in_code": self.status, "in_occurred_at": self.occurred_at,
            "in_occurred_on": self.occurred_at.date(), "in_explanation": self.explanation,
            "in_channel": self.channel, "in_now": utcnow(),
        }


# The names of the bound values differ from every column's: a name that is also a column of
# the tables written would be taken as that column's new value.
SOURCE: BindParameter[str] = bindparam("in_source")
EXTERNAL_ID: BindParameter[str] = bindparam("in_external_id")
_OCCURRED = bindparam("in_occurred_at", type_=UTCDateTime)
_NOW = bindparam("in_now", type_=UTCDateTime)


def _dossier_id(linked: ColumnElement[int]) -> ColumnElement[int]:
    """The source's own dossier by its id there, else the one forwarded to it (linked)."""
    own = select(Dossier.id).where(
        Dossier.source == SOURCE, Dossier.external_id == EXTERNAL_ID
    ).scalar_subquery()
    return func.coalesce(own, linked)


def _moves(status_id: ColumnElement[int], is_final: ColumnElement[bool], greatest: Any
           ) -> dict[str, Any]:
    """The dossier's new columns: the event becomes current unless a later one is."""
    becomes = or_(Dossier.status_changed_at.is_(None), Dossier.status_changed_at <= _OCCURRED)
    closed = case((is_final, bindparam("in_occurred_on", type_=Dossier.closed_on.type)),
                  else_=literal(None, Dossier.closed_on.type))
    return {
        "current_status_id": case((becomes, status_id), else_=Dossier.current_status_id),
        "status_changed_at": case((becomes, _OCCURRED), else_=Dossier.status_changed_at),
        "closed_on": case((becomes, closed), else_=Dossier.closed_on),
        "last_changed_at": greatest(Dossier.last_changed_at, _OCCURRED),
    }


@cache
def _one_statement(linked: ColumnElement[int]) -> Select[Any]:
    """PostgreSQL: the whole event in one statement (built once per `linked`)."""
    target = (select(Dossier.id, Dossier.dossier_type_id, Dossier.current_status_id)
              .where(Dossier.id == _dossier_id(linked)).with_for_update().cte("target"))
    status = (select(StatusType.id, StatusType.is_final)
              .where(StatusType.dossier_type_id == target.c.dossier_type_id,
                     StatusType.code == bindparam("in_code")).cte("status"))
    event = (postgresql.insert(StatusEvent).from_select(_EVENT_COLUMNS, select(
        target.c.id, literal("status"), status.c.id, bindparam("in_explanation"), _OCCURRED,
        literal("system"), bindparam("in_channel"), bindparam("in_key"), _NOW,
    ).select_from(target.join(status, true())))
        .on_conflict_do_nothing(index_elements=["dossier_id", "source_event_id"])
        .returning(StatusEvent.dossier_id, StatusEvent.status_type_id).cte("event"))
    changed = (update(Dossier).where(Dossier.id == event.c.dossier_id,
                                     status.c.id == event.c.status_type_id)
               .values(**_moves(status.c.id, status.c.is_final, func.greatest))
               .returning(Dossier.id, Dossier.party_id, Dossier.current_status_id,
                          (Dossier.status_changed_at == _OCCURRED).label("became"))
               .cte("changed"))
    news = notify_from("status", changed.c.party_id, changed.c.id, _NOW, changed.c.became
                       ).returning(literal(1)).cte("news")
    current = func.coalesce(select(changed.c.current_status_id).scalar_subquery(),
                            target.c.current_status_id)
    seen = select(StatusEvent.id).where(StatusEvent.dossier_id == target.c.id,
                                        StatusEvent.source_event_id == bindparam("in_key"))
    return select(
        select(status.c.id).scalar_subquery().label("status_id"),
        seen.exists().label("seen"),
        select(event.c.dossier_id).scalar_subquery().label("created"),
        select(StatusType.code).where(StatusType.id == current).scalar_subquery().label("current"),
        select(func.count()).select_from(news).scalar_subquery().label("news"),
    ).select_from(target)


def _outcome(status_id: int | None, seen: bool, created: bool) -> str:
    """A known event id is a repeat whatever it says now; else its status must be known."""
    if seen:
        return REPEATED
    if status_id is None:
        return UNKNOWN_STATUS
    return CREATED if created else REPEATED  # not created: a concurrent request stored it


def one_statement(dialect: Dialect) -> bool:
    """Whether record_source_status is one statement on this database (PostgreSQL): atomic
    by itself, so it may run without a transaction (no BEGIN and COMMIT round trips)."""
    return dialect.name == "postgresql"


async def record_source_status(
    session: AsyncSession | AsyncConnection, event: SourceEvent, linked: ColumnElement[int]
) -> StatusOutcome:
    """Record a source's status event once per event id (see the module's docstring);
    `linked` is the id of a dossier forwarded to the source under this id (a scalar
    subquery on source and external_id, or NULL). A bare connection (no ORM session: the
    API's hot path) only where the event is one statement (PostgreSQL)."""
    if isinstance(session, AsyncConnection):
        connection = session
    elif not one_statement(session.get_bind().dialect):
        return await _few_statements(session, event, linked)
    else:
        connection = await session.connection()  # Core: no ORM compilation on the hot path
    row = (await connection.execute(_one_statement(linked), event.params())).one_or_none()
    if row is None:
        return StatusOutcome(NO_DOSSIER)
    outcome = _outcome(row.status_id, row.seen, row.created is not None)
    return StatusOutcome(outcome, row.current if outcome != UNKNOWN_STATUS else None)


_CURRENT = aliased(StatusType)
_SEEN = aliased(StatusEvent)


@cache
def _find(linked: ColumnElement[int]) -> Select[*tuple[Any, ...]]:
    """SQLite: the dossier, the status by its code, the event by its key, the current code."""
    return (
        select(Dossier.id, Dossier.current_status_id, StatusType.id.label("status_id"),
               StatusType.is_final, _SEEN.id.label("seen"), _CURRENT.code.label("current"))
        .outerjoin(StatusType, and_(StatusType.dossier_type_id == Dossier.dossier_type_id,
                                    StatusType.code == bindparam("in_code")))
        .outerjoin(_SEEN, and_(_SEEN.dossier_id == Dossier.id,
                               _SEEN.source_event_id == bindparam("in_key")))
        .outerjoin(_CURRENT, _CURRENT.id == Dossier.current_status_id)
        .where(Dossier.id == _dossier_id(linked))
    )


_CODE = select(StatusType.code).where(StatusType.id == bindparam("in_id"))


async def _few_statements(
    session: AsyncSession, event: SourceEvent, linked: ColumnElement[int]
) -> StatusOutcome:
    params = event.params()
    found = (await session.execute(_find(linked), params)).one_or_none()
    if found is None:
        return StatusOutcome(NO_DOSSIER)
    if found.seen is not None or found.status_id is None:
        outcome = _outcome(found.status_id, found.seen is not None, False)
        return StatusOutcome(outcome, found.current if outcome == REPEATED else None)
    values = {"dossier_id": found.id, "status_type_id": found.status_id, "kind": "status",
              "set_by": "system", "explanation": event.explanation, "channel": event.channel,
              "occurred_at": event.occurred_at, "source_event_id": event.key,
              "created_at": params["in_now"]}
    inserted = await session.scalar(
        insert_ignore(session, StatusEvent, ["dossier_id", "source_event_id"]).values(values)
        .returning(StatusEvent.id))
    if inserted is None:
        return StatusOutcome(REPEATED, found.current)
    return await _move(session, found, event, params)


async def _move(session: AsyncSession, found: Any, event: SourceEvent, params: dict[str, Any]
                ) -> StatusOutcome:
    """SQLite: the dossier's columns moved by the new event; news when it became current."""
    moved = (await session.execute(
        update(Dossier).where(Dossier.id == found.id)
        .values(**_moves(literal(found.status_id), literal(bool(found.is_final)), func.max))
        .returning(Dossier.party_id, Dossier.current_status_id,
                   (Dossier.status_changed_at == _OCCURRED).label("became")),
        params,
    )).one()
    if moved.became:
        await notify(session, moved.party_id, "status", dossier_id=found.id, now=params["in_now"])
    if moved.current_status_id == found.status_id:
        return StatusOutcome(CREATED, event.status)
    if moved.current_status_id == found.current_status_id:
        return StatusOutcome(CREATED, found.current)
    return StatusOutcome(CREATED, await session.scalar(_CODE, {"in_id": moved.current_status_id}))
