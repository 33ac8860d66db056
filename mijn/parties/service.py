"""What the parties area can do: find people and organisations, create them on first login."""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date
from typing import Any

from sqlalchemy import Select, bindparam, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum.be import nn, vat
from stdnum.exceptions import ValidationError
from stdnum.nl import bsn as nl_bsn

from mijn.parties.models import Party

PERSON_IDENTIFIERS = ("bsn", "national_number")
ORGANISATION_IDENTIFIERS = ("kvk", "kbo", "rsin")


class InvalidIdentifier(ValueError):
    """An identifier that fails its check (11-proef, mod 97, format)."""


def normalise_identifier(identifier_type: str, value: str) -> str:
    """Validate an identifier of the given type and return it in its compact form."""
    try:
        match identifier_type:
            case "bsn":
                return str(nl_bsn.validate(value))
            case "rsin":
                # The RSIN of a legal entity is a 9-digit number with the BSN's 11-proef
                # (python-stdnum has no stdnum.nl.rsin).
                return str(nl_bsn.validate(value))
            case "national_number":
                return str(nn.validate(value))
            case "kbo":
                return str(vat.validate(value)).removeprefix("BE")
            case "kvk":
                compact = value.replace(" ", "").replace(".", "")
                if len(compact) == 8 and compact.isdigit():
                    return compact
                raise InvalidIdentifier("a KvK number has 8 digits")
    except ValidationError as exc:
        raise InvalidIdentifier(f"invalid {identifier_type}") from exc
    raise InvalidIdentifier(f"unknown identifier type {identifier_type!r}")


def party_kind(identifier_type: str) -> str:
    """person or organisation, from the kind of identifier."""
    if identifier_type in PERSON_IDENTIFIERS:
        return "person"
    if identifier_type in ORGANISATION_IDENTIFIERS:
        return "organisation"
    raise InvalidIdentifier(f"unknown identifier type {identifier_type!r}")


async def find_party(session: AsyncSession, identifier_type: str, identifier: str) -> Party | None:
    """The party with this identifier, if known."""
    value = normalise_identifier(identifier_type, identifier)
    return await session.scalar(
        select(Party).where(Party.identifier_type == identifier_type, Party.identifier == value)
    )


async def get_or_create_party(
    session: AsyncSession, identifier_type: str, identifier: str, name: str = "",
    *, own_login: bool = False,
) -> Party:
    """The party with this identifier, created when first seen (e.g. at first login). The
    name is taken for a new party; an existing one is renamed only by its own login (the
    identity provider's word), never by what someone else registers (a mandate, a claim
    about another party)."""
    value = normalise_identifier(identifier_type, identifier)
    party = await find_party(session, identifier_type, value)
    if party is not None:
        if own_login and name and party.name != name:
            party.name = name
        return party
    party = Party(
        kind=party_kind(identifier_type), identifier_type=identifier_type, identifier=value,
        name=name, language="nl",
    )
    try:
        async with session.begin_nested():
            session.add(party)
    except IntegrityError:
        # Another request created it at the same moment: use theirs.
        found = await find_party(session, identifier_type, value)
        assert found is not None
        return found
    return party


def note_birth_date(party: Party, claimed: object) -> None:
    """The date of birth the party's own login asserts (OIDC's birthdate claim, YYYY-MM-DD),
    so that the KCC can find them by it; a claim in another form is left aside."""
    if not isinstance(claimed, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", claimed):
        return
    try:
        born = date.fromisoformat(claimed)
    except ValueError:
        return
    if born <= date.today() and party.birth_date != born:
        party.birth_date = born


# Built once: a party's name and kind by its id (bound as party_id), as a Core row.
PARTY_NAME: Select[*tuple[Any, ...]] = select(
    Party.name.label("own_name"), Party.kind.label("own_kind")
).where(Party.id == bindparam("party_id"))
# PARTY_NAME as a part of a page's own statement (mijn.combined): `n`, its row's place.
PARTY_NAME_PART: Select[*tuple[Any, ...]] = PARTY_NAME.add_columns(literal(1).label("n"))


async def get_party(session: AsyncSession, party_id: int) -> Party | None:
    """A party by its internal id."""
    return await session.get(Party, party_id)


async def parties_by_id(session: AsyncSession, ids: Collection[int]) -> list[Party]:
    """The parties with these ids (in one query)."""
    if not ids:
        return []
    return list(await session.scalars(select(Party).where(Party.id.in_(ids))))


async def set_language(session: AsyncSession, party_id: int, code: str) -> None:
    """The language the party reads (their e-mails are written in it)."""
    party = await session.get(Party, party_id)
    if party is not None and party.language != code:
        party.language = code
