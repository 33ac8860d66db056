"""Reading who logs in from a provider's claims: the company (KvK or KBO) and its branch
of a business login, the employee's pseudonym, a mandate asserted with a citizen login."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from mijn.mandates.service import CLAIM_SOURCE, MandateInput
from mijn.parties.models import Party
from mijn.parties.service import InvalidIdentifier, get_or_create_party, normalise_identifier


def company_identifier(raw: object) -> tuple[str, str]:
    """(kvk, number) for an 8-digit KvK number, (kbo, number) for a Belgian KBO number; a
    value like urn:...:KvKnr:12345678 counts by its last part."""
    if not isinstance(raw, str | int) or isinstance(raw, bool):
        raise InvalidIdentifier("no company number in the claim")
    value = str(raw).strip().rsplit(":", 1)[-1].replace(" ", "").replace(".", "")
    if len(value) == 8 and value.isdigit():
        return "kvk", value
    return "kbo", normalise_identifier("kbo", value)


def branch_number(raw: object) -> str | None:
    """The vestigingsnummer (12 digits) the login is restricted to, if any."""
    if raw is None or raw == "" or raw == []:
        return None
    if isinstance(raw, list) and len(raw) == 1:
        raw = raw[0]
    value = str(raw).strip() if isinstance(raw, str | int) else ""
    if len(value) != 12 or not value.isdigit():
        raise InvalidIdentifier("a branch number has 12 digits")
    return value


async def business_party(
    session: AsyncSession, claims: Mapping[str, object], names: Mapping[str, str]
) -> tuple[Party, str | None]:
    """The company a business login acts for (created when first seen), and the branch."""
    kind, number = company_identifier(claims.get(names["kvk"]))
    branch = branch_number(claims.get(names["branch"]))
    company_name = claims.get(names.get("company_name", "company_name"))
    party = await get_or_create_party(
        session, kind, number, company_name if isinstance(company_name, str) else "",
        own_login=True,
    )
    return party, branch


def employee_ref(issuer: str, sub: object) -> str:
    """The acting employee's stable pseudonym: their provider's subject, hashed (no raw
    identifier in the audit log)."""
    digest = hashlib.sha256(f"{issuer}|{sub}".encode()).hexdigest()
    return f"emp:{digest[:40]}"


def claimed_mandate(raw: object, representative: Party) -> MandateInput | None:
    """A mandate the provider asserts (DigiD Machtigen, a broker): a BSN, or an object with
    type, id and optionally role, dossier_types and can_ask. It holds for today."""
    if raw is None or raw == "":
        return None
    spec: Mapping[str, object] = raw if isinstance(raw, Mapping) else {"type": "bsn", "id": raw}
    kind, number = str(spec.get("type", "bsn")), str(spec.get("id", ""))
    number = normalise_identifier(kind, number)
    types = spec.get("dossier_types") or []
    today = date.today()
    return MandateInput(
        source=CLAIM_SOURCE, external_id=f"{representative.id}>{kind}:{number}",
        representative=(representative.identifier_type, representative.identifier),
        represented=(kind, number), role=str(spec.get("role", "authorised")),
        dossier_types=tuple(str(t) for t in types) if isinstance(types, list) else (),
        can_ask=spec.get("can_ask", True) is True, valid_from=today, valid_until=today,
        represented_name=str(spec.get("name") or "")[:200],
    )
