"""Parties' identifiers and the dossier timeline's consistency with its current status."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from conftest import Runner
from mijn.access.scope import PartyScope
from mijn.dossiers.changes import DossierError, create_dossier, record_status, status_type
from mijn.dossiers.models import Dossier, DossierType
from mijn.dossiers.service import get_dossier_view
from mijn.parties.service import InvalidIdentifier, get_or_create_party, normalise_identifier


@pytest.mark.parametrize(
    ("kind", "given", "stored"),
    [
        ("bsn", "999990019", "999990019"),
        ("national_number", "85.07.30-033.28", "85073003328"),
        ("kvk", "6959 9084", "69599084"),
        ("kbo", "0403.170.701", "0403170701"),
    ],
)
def test_identifiers_are_validated_and_compacted(kind: str, given: str, stored: str) -> None:
    assert normalise_identifier(kind, given) == stored


@pytest.mark.parametrize(
    ("kind", "given"),
    [("bsn", "123456789"), ("national_number", "85073003329"), ("kvk", "1234567"),
     ("kbo", "0403170702"), ("passport", "X")],
)
def test_invalid_identifiers_are_refused(kind: str, given: str) -> None:
    with pytest.raises(InvalidIdentifier):
        normalise_identifier(kind, given)


async def _out_of_order(session: AsyncSession) -> tuple[str, date | None, list[str], int]:
    from mijn.dev.demo import seed_demo

    await seed_demo(session)
    party = await get_or_create_party(session, "bsn", "999990032")
    dossier_type = await session.scalar(
        select(DossierType).where(DossierType.code == "melding_openbare_ruimte")
    )
    assert dossier_type is not None
    dossier = await create_dossier(
        session, reference="T-1", party_id=party.id, dossier_type=dossier_type,
        title="Test", channel="phone", department="", opened_on=date(2026, 3, 1),
    )

    def day(d: int) -> datetime:
        return datetime(2026, 3, d, 12, tzinfo=UTC)

    # Resolved on the 5th arrives before scheduled on the 3rd and received on the 1st.
    for code, d in (("opgelost", 5), ("ontvangen", 1), ("ingepland", 3)):
        await record_status(session, dossier, await status_type(session, dossier_type.id, code), day(d))
    await session.commit()
    view = await get_dossier_view(session, "T-1", PartyScope(party.id))
    assert view is not None and view.current is not None
    other = await get_dossier_view(session, "T-1", PartyScope(party.id + 1))
    assert other is None
    fresh = await session.scalar(select(Dossier).where(Dossier.reference == "T-1"))
    assert fresh is not None
    order = []
    for _event, status in view.timeline:
        assert status is not None  # all three were recorded with a known status
        order.append(status.code)
    return (view.current.code, fresh.closed_on, order, len(view.timeline))


def test_latest_occurrence_wins_whatever_the_arrival_order(run: Runner) -> None:
    current, closed_on, order, count = run(_out_of_order)
    assert current == "opgelost"
    assert closed_on == date(2026, 3, 5)
    assert order == ["ontvangen", "ingepland", "opgelost"]
    assert count == 3


async def _wrong_type(session: AsyncSession) -> None:
    from mijn.dev.demo import seed_demo

    await seed_demo(session)
    dossier = await session.scalar(select(Dossier).where(Dossier.reference == "Z-2026-0001"))
    other_type = await session.scalar(select(DossierType).where(DossierType.code == "subsidie"))
    assert dossier is not None and other_type is not None
    status = await status_type(session, other_type.id, "besluit")
    await record_status(session, dossier, status, datetime.now(UTC))


def test_status_of_another_type_is_refused(run: Runner) -> None:
    with pytest.raises(DossierError):
        run(_wrong_type)
