"""Dossiers that were closed (their final status) in a period: for satisfaction after a
dossier is closed (mijn/questions/dossier_satisfaction.py), which joins its own tables; and
the dossiers' references and types, for the KCC's list of those answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from mijn.dossiers.models import Dossier, DossierType


def closed_between(earliest: datetime, latest: datetime) -> Select[int, int]:
    """(dossier id, party id) of the dossiers closed after `earliest` up to `latest`, by the
    moment of their final status; still closed now."""
    return (select(Dossier.id, Dossier.party_id)
            .where(Dossier.closed_on.is_not(None),
                   Dossier.closed_on >= earliest.date(),  # ix_dossiers_closed_on
                   Dossier.status_changed_at > earliest, Dossier.status_changed_at <= latest))


def closed_since(dossier: Any) -> datetime | None:
    """From when a dossier counts as closed (its final status); None while it is open."""
    return dossier.status_changed_at if dossier.closed_on is not None else None


def labelled() -> Select[int, str, str, str]:
    """(id, reference, type_nl, type_en) of every dossier, for another area to join."""
    return (select(Dossier.id, Dossier.reference, DossierType.name_nl.label("type_nl"),
                   DossierType.name_en.label("type_en"))
            .join(DossierType, DossierType.id == Dossier.dossier_type_id))
