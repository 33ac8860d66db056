"""Finding a caller at the KCC: by number (BSN, rijksregisternummer, KvK, KBO), by name and
date of birth, by postcode and house number, by phone, by e-mail or by a dossier's or a
question's reference. The terms travel in a POST body, never in an address; every look-up is
rate limited and audited (a hit names the party, a miss keeps only an HMAC of the terms).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from mijn.access.staff import Staff
from mijn.audit.service import subject_hash
from mijn.db import request_session
from mijn.dossiers.lookup import party_of_dossier
from mijn.http import limits
from mijn.http.common import app_settings, form_values, redirect
from mijn.http.kcc.common import audit_view, render_staff, require_staff
from mijn.parties import search
from mijn.parties.keys import email_key, name_key, phone_key
from mijn.parties.models import Party
from mijn.parties.search import Found, SearchError
from mijn.parties.service import (
    PERSON_IDENTIFIERS,
    InvalidIdentifier,
    find_party,
    get_or_create_party,
    normalise_identifier,
    parties_by_id,
)
from mijn.questions.workflow import staff_question
from mijn.ratelimits.rules import KCC_FIND

IDENTIFIER_TYPES = ("bsn", "national_number", "kvk", "kbo")
MAX_REFERENCE = 40


class FormErrors(Exception):
    """What was wrong with the terms: a code per field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Outcome:
    """What a look-up found, and what it searched for (kept only as an HMAC)."""

    found: Found
    kind: str
    terms: str
    direct: bool = True  # one hit opens the party (a name alone never does)


@dataclass(frozen=True)
class Row:
    """A party in the list to choose from: nothing more than it takes to choose."""

    id: int
    name: str
    identifier_type: str
    masked: str
    birth_date: Any
    address: str


@dataclass
class FindForm:
    """The search page as it is shown again: what was typed, what was wrong, what was found."""

    values: dict[str, str] = field(default_factory=dict)
    by: str = "number"
    errors: dict[str, str] = field(default_factory=dict)
    rows: list[Row] | None = None
    more: bool = False
    limited: limits.RateLimitError | None = None


def _parse(errors: dict[str, str], parse: Callable[[str], Any], raw: str) -> Any:
    try:
        return parse(raw)
    except SearchError as error:
        errors[error.field] = error.code
        return None


async def _by_number(session: AsyncSession, staff: Staff, values: dict[str, str]) -> Outcome:
    kind = values.get("identifier_type", "bsn")
    kind = kind if kind in IDENTIFIER_TYPES else "bsn"
    try:
        number = normalise_identifier(kind, values.get("identifier", ""))
    except InvalidIdentifier:
        raise FormErrors({"identifier": "invalid"}) from None
    party = await find_party(session, kind, number)
    if party is None and values.get("create") == "1":
        party = await get_or_create_party(session, kind, number)
    return Outcome(Found([party] if party else []), kind, number)


async def _by_name(session: AsyncSession, staff: Staff, values: dict[str, str]) -> Outcome:
    errors: dict[str, str] = {}
    name = values.get("name", "")
    _parse(errors, search.check_name, name)
    born = _parse(errors, search.parse_birth_date, values.get("birth_date", ""))
    if errors:
        raise FormErrors(errors)
    found = await search.by_name(session, name, born)
    terms = f"{name_key(name)}|{born.isoformat() if born else ''}"
    return Outcome(found, "name", terms, direct=born is not None)


async def _by_address(session: AsyncSession, staff: Staff, values: dict[str, str]) -> Outcome:
    errors: dict[str, str] = {}
    postcode = _parse(errors, search.parse_postcode, values.get("postcode", ""))
    number = _parse(errors, search.parse_house_number, values.get("house_number", ""))
    if errors:
        raise FormErrors(errors)
    found = await search.by_address(session, postcode, *number)
    return Outcome(found, "address", f"{postcode}|{number[0]}|{number[1] or ''}")


async def _by_phone(session: AsyncSession, staff: Staff, values: dict[str, str]) -> Outcome:
    phone = values.get("phone", "")
    try:
        found = await search.by_phone(session, phone)
    except SearchError as error:
        raise FormErrors({error.field: error.code}) from None
    return Outcome(found, "phone", phone_key(phone))


async def _by_email(session: AsyncSession, staff: Staff, values: dict[str, str]) -> Outcome:
    email = values.get("email", "")
    try:
        found = await search.by_email(session, email)
    except SearchError as error:
        raise FormErrors({error.field: error.code}) from None
    return Outcome(found, "email", email_key(email))


async def _by_reference(session: AsyncSession, staff: Staff, values: dict[str, str]) -> Outcome:
    """The party of a dossier, or of a question this staff member may see."""
    reference = values.get("reference", "").strip()
    if not reference or len(reference) > MAX_REFERENCE:
        raise FormErrors({"reference": "format" if reference else "empty"})
    party_id = await party_of_dossier(session, reference)
    if party_id is None:
        question = await staff_question(session, reference.upper(), staff)
        party_id = question.party_id if question is not None else None
    parties = await parties_by_id(session, [party_id]) if party_id is not None else []
    return Outcome(Found(parties), "reference", reference.upper())


Lookup = Callable[[AsyncSession, Staff, dict[str, str]], Awaitable[Outcome]]
LOOKUPS: dict[str, Lookup] = {
    "number": _by_number, "name": _by_name, "address": _by_address, "phone": _by_phone,
    "email": _by_email, "reference": _by_reference,
}
FIRST_FIELD = {"number": "identifier", "name": "name", "address": "postcode", "phone": "phone",
               "email": "email", "reference": "reference"}


async def _audit(request: Request, session: AsyncSession, staff: Staff, outcome: Outcome) -> None:
    """Every look-up is kept: each party found by name, a miss by an HMAC of the terms only
    (the same for the same terms, so one can be checked against it)."""
    secret = app_settings(request).secret_key.reveal()
    searched = subject_hash(secret, outcome.kind, outcome.terms)
    for party in outcome.found.parties:
        await audit_view(session, staff, "kcc.party.search_hit", party.id, staff.main_role,
                         subject_hash=searched)
    if not outcome.found.parties:
        await audit_view(session, staff, "kcc.party.search_miss", None, staff.main_role,
                         subject_hash=searched)


def _row(party: Party) -> Row:
    address = ""
    if party.postcode:
        number = f"{party.house_number or ''}{party.house_number_addition or ''}"
        address = f"{party.postcode[:4]} {party.postcode[4:]} {number}".replace("  ", " ").strip()
    return Row(party.id, party.name, party.identifier_type, search.mask(party.identifier),
               party.birth_date, address)


def _page(request: Request, form: FindForm, **options: Any) -> Response:
    context: dict[str, Any] = {
        "form": form, "values": form.values, "identifier_types": IDENTIFIER_TYPES,
        "person_types": PERSON_IDENTIFIERS, "max_list": search.MAX_LIST,
        "not_found": form.rows == [] and not form.errors,
    }
    return render_staff(request, "kcc/find.html", context, **options)


def _finder(request: Request) -> Staff:
    staff = require_staff(request)
    if not staff.sees_all:  # agents and leads: specialists see only what was handed to them
        raise HTTPException(status_code=404)
    return staff


async def find_page(request: Request) -> Response:
    """The form to look a caller up: one group of fields for each way to find them."""
    _finder(request)
    return _page(request, FindForm())


async def find(request: Request) -> Response:
    """Look a caller up (the terms in the POST body); one party found opens their page, more
    give a list to choose from, none the form again (a number: with "record this party")."""
    staff = _finder(request)
    values = await form_values(request)
    by = values.get("by", "number")
    form = FindForm(values, by if by in LOOKUPS else "number")
    async with request_session(request) as session:
        who = limits.subject(request, "staff", staff.id)
        verdict = await limits.hit(request, session, (KCC_FIND, who))
        if not verdict.allowed:
            await session.commit()
            form.limited = limits.form_error(FIRST_FIELD[form.by], verdict)
            return _page(request, form, status_code=limits.RATE_LIMITED,
                         headers=limits.retry_after(verdict))
        try:
            outcome = await LOOKUPS[form.by](session, staff, values)
        except FormErrors as error:
            await session.commit()
            form.errors = error.errors
            return _page(request, form, status_code=422)
        await _audit(request, session, staff, outcome)
        await session.commit()
    parties = outcome.found.parties
    if len(parties) == 1 and outcome.direct:
        return redirect(request, str(request.app.url_path_for("kcc:party",
                                                              party_id=str(parties[0].id))))
    form.rows, form.more = [_row(p) for p in parties], outcome.found.more
    return _page(request, form)
