"""How a logged-in visitor's Access is resolved on every request: their own party, the
company and branch of a business login, or the party a mandate that holds today lets them
act for (read through the mandates and parties services)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from mijn.access.identity import Identity
from mijn.access.scope import Access, Choice
from mijn.mandates.service import own_and_mandates
from mijn.parties.service import get_party

if TYPE_CHECKING:  # other areas' rows, only named in annotations
    from mijn.mandates.models import Mandate
    from mijn.parties.models import Party



def _choice(mandate: Mandate, party: Party) -> Choice:
    return Choice(mandate.id, party.name, party.kind, mandate.role, mandate.can_ask,
                  mandate.valid_until)


def _types(mandate: Mandate) -> tuple[str, ...] | None:
    codes = tuple(mandate.dossier_types.split())
    return codes or None


async def resolve_access(session: AsyncSession, identity: Identity) -> Access:
    """Whose data a logged-in visitor uses now (see Identity): a mandate that no longer holds
    counts as none, so the visitor is back to their own data."""
    if identity.audience == "business":
        company = await get_party(session, identity.party_id)
        return Access(
            identity.party_id, company.name if company else "", "organisation", "employee",
            identity.actor_ref, identity.actor_name, None, branch=identity.branch,
            loa=identity.loa,
        )
    own, held = await own_and_mandates(session, identity.party_id)
    own_name, own_kind = (own.name, own.kind) if own else ("", "person")
    choices = tuple(_choice(m, p) for m, p in held)
    self_access = Access(
        identity.party_id, own_name, own_kind, "party", str(identity.party_id), own_name,
        identity.party_id, loa=identity.loa,
        choices=(Choice(None, own_name, own_kind, "", True, None), *choices) if held else (),
    )
    chosen = next(((m, p) for m, p in held if m.id == identity.mandate_id), None)
    if chosen is None:
        return self_access
    mandate, party = chosen
    return Access(
        party.id, party.name, party.kind, "representative", str(identity.party_id), own_name,
        identity.party_id, mandate=_choice(mandate, party), dossier_types=_types(mandate),
        can_ask=mandate.can_ask, loa=identity.loa, choices=self_access.choices,
    )
