"""Finding a caller at the KCC by what they can tell: name and date of birth, postcode and
house number, phone number or e-mail address. Each look-up is one indexed query on the
normal forms of mijn/parties/keys.py; a name alone gives a short list, never one party."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.parties import keys
from mijn.parties.models import Party

MAX_LIST = 10  # a list of more parties than this asks for a narrower search
MIN_NAME = 2
_DATE_FORMATS = ("%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d", "%d %m %Y")


class SearchError(ValueError):
    """A search term that cannot be right (the field and why)."""

    def __init__(self, field: str, code: str) -> None:
        super().__init__(f"{field}: {code}")
        self.field, self.code = field, code


@dataclass(frozen=True)
class Found:
    """The parties a look-up found (at most MAX_LIST), and whether there were more."""

    parties: list[Party]
    more: bool = False


def parse_birth_date(raw: str) -> date | None:
    """A date of birth as typed (31-12-1980, 31/12/1980 or 1980-12-31); None when empty."""
    text = raw.strip()
    if not text:
        return None
    for form in _DATE_FORMATS:
        try:
            born = datetime.strptime(text, form).date()
        except ValueError:
            continue
        if date(1880, 1, 1) <= born <= date.today():
            return born
        raise SearchError("birth_date", "range")
    raise SearchError("birth_date", "format")


def parse_postcode(raw: str) -> str:
    """A Dutch (1234 AB) or Belgian (1000) postcode in its normal form."""
    code = keys.postcode_key(raw)
    if not re.fullmatch(r"[1-9]\d{3}([A-Z]{2})?", code):
        raise SearchError("postcode", "format")
    return code


def parse_house_number(raw: str) -> tuple[int, str | None]:
    """A house number and its addition, if any: "12" -> (12, None), "12 a" and "12-A" ->
    (12, "A"), "12-2" -> (12, "2")."""
    match = re.fullmatch(r"\s*(\d{1,5})\s*[-/ ]?\s*([A-Za-z0-9]{0,6})\s*", raw)
    if not match or int(match[1]) == 0:
        raise SearchError("house_number", "format")
    return int(match[1]), match[2].upper() or None


def mask(identifier: str) -> str:
    """An identifier shown in a list: only its last four characters (*****0019)."""
    return "*" * max(len(identifier) - 4, 0) + identifier[-4:]


async def _found(session: AsyncSession, query: Select[Party]) -> Found:
    rows = list(await session.scalars(query.order_by(Party.name_key, Party.id)
                                      .limit(MAX_LIST + 1)))
    return Found(rows[:MAX_LIST], more=len(rows) > MAX_LIST)


def check_name(name: str) -> list[str]:
    """The words of a name to search for (at least two letters in all)."""
    words = keys.name_key(name).split()
    if len("".join(words)) < MIN_NAME:
        raise SearchError("name", "short")
    return words


def _name_matches(name: str) -> list[ColumnElement[bool]]:
    """Every word of the name somewhere in the party's name (accents and case aside)."""
    words = check_name(name)
    escaped = (w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for w in words)
    return [Party.name_key.like(f"%{word}%", escape="\\") for word in escaped]


async def by_name(session: AsyncSession, name: str, born: date | None) -> Found:
    """Parties by name (every word matches), on this date of birth when one is given."""
    query = select(Party).where(*_name_matches(name))
    if born is not None:
        query = query.where(Party.birth_date == born)
    return await _found(session, query)


async def by_address(
    session: AsyncSession, postcode: str, number: int, addition: str | None
) -> Found:
    """Parties at this address (an addition, when given, narrows it down)."""
    query = select(Party).where(Party.postcode == postcode, Party.house_number == number)
    if addition:
        query = query.where(Party.house_number_addition == addition)
    return await _found(session, query)


async def by_phone(session: AsyncSession, phone: str) -> Found:
    """Parties with this phone number, however it was typed."""
    key = keys.phone_key(phone)
    if not 8 <= len(key) <= 15:
        raise SearchError("phone", "format")
    return await _found(session, select(Party).where(Party.phone_key == key))


async def by_email(session: AsyncSession, email: str) -> Found:
    """Parties with this e-mail address (upper or lower case alike)."""
    key = keys.email_key(email)
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", key):
        raise SearchError("email", "format")
    return await _found(session, select(Party).where(Party.email_key == key))
