"""A dossier's rows as the dossier page reads them: plain tuples (Core rows, no ORM identity
map or unit of work on the hot read path), with the models' attribute names."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import Table

from mijn.dossiers.models import Dossier, DossierType, StatusEvent, StatusType

if TYPE_CHECKING:  # only named in an annotation
    from mijn.dossiers.service import DossierView


class DossierRecord(NamedTuple):
    """A row of dossiers (see Dossier)."""

    id: int
    reference: str
    kind: str
    dossier_type_id: int
    title: str
    party_id: int
    branch: str | None
    channel: str
    department: str
    opened_on: date
    closed_on: date | None
    expected_end: date | None
    current_status_id: int | None
    status_changed_at: datetime | None
    last_changed_at: datetime
    source: str | None
    external_id: str | None
    zgw_url: str | None


class DossierTypeRecord(NamedTuple):
    """A row of dossier_types (see DossierType)."""

    id: int
    code: str
    kind: str
    name_nl: str
    name_en: str
    min_loa: str | None
    owner: str | None


class StatusRecord(NamedTuple):
    """A row of status_types (see StatusType)."""

    id: int
    dossier_type_id: int
    code: str
    position: int
    label_nl: str
    label_en: str
    text_nl: str
    text_en: str
    is_final: bool


class EventRecord(NamedTuple):
    """A row of status_events (see StatusEvent)."""

    id: int
    dossier_id: int
    kind: str
    status_type_id: int | None
    partner_name: str | None
    explanation: str
    occurred_at: datetime
    set_by: str
    channel: str | None
    source_event_id: str | None
    created_at: datetime


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


# Each record lists its table's columns in the table's order (a new column fails here).
for _record, _model in ((DossierRecord, Dossier), (DossierTypeRecord, DossierType),
                        (StatusRecord, StatusType), (EventRecord, StatusEvent)):
    assert _record._fields == tuple(_table(_model).c.keys()), _record.__name__


class DossierSummary(NamedTuple):
    """A dossier as a row of party_dossiers names it (for a page that has its view)."""

    reference: str
    title: str
    channel: str
    expected_end: date | None
    closed_on: date | None
    type_name_nl: str
    type_name_en: str
    status_label_nl: str | None
    status_label_en: str | None


def summary_of(view: DossierView) -> DossierSummary:
    """The view's dossier as party_dossiers' rows show it."""
    d, current = view.dossier, view.current
    return DossierSummary(d.reference, d.title, d.channel, d.expected_end, d.closed_on,
                          view.dossier_type.name_nl, view.dossier_type.name_en,
                          current.label_nl if current else None,
                          current.label_en if current else None)
