"""Whose data a request uses and how far it reaches: the party acted for, the acting person,
the branch or mandate that narrows it (PartyScope), and the fields the audit log keeps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TypedDict


@dataclass(frozen=True)
class PartyScope:
    """Which of a party's dossiers, questions and news a visitor may see: all of them, or
    only one branch's (vestiging), or only some dossier types (a mandate's scope), and up to
    which level of assurance (loa: the session's; a dossier whose type needs more is only
    listed as locked, and its questions, news and facts stay closed). Every area applies it
    in its own queries."""

    party_id: int
    branch: str | None = None
    dossier_types: tuple[str, ...] | None = None  # None: every type
    loa: str | None = None  # None: no limit (staff, the back office)

    @property
    def restricted(self) -> bool:
        """Whether this is less than everything of the party by branch or dossier types (the
        level of assurance closes dossiers apart from this: see `loa`)."""
        return self.branch is not None or self.dossier_types is not None


@dataclass(frozen=True)
class Choice:
    """A party the visitor may act for: themselves (mandate_id None) or through a mandate."""

    mandate_id: int | None
    party_name: str
    party_kind: str
    role: str
    can_ask: bool
    valid_until: date | None


@dataclass(frozen=True)
class Access:
    """Whose data this request uses, who acts, and what they may do: built from the session
    and the database on every request, so an expired or revoked mandate stops at once."""

    party_id: int  # the party acted for
    party_name: str
    party_kind: str
    actor_type: str  # party | employee | representative
    actor_id: str  # for the audit log: a party id or an employee's pseudonym
    actor_name: str  # shown with questions written for the party
    actor_party_id: int | None  # the acting person's party (representatives)
    branch: str | None = None
    mandate: Choice | None = None
    dossier_types: tuple[str, ...] | None = None
    can_ask: bool = True
    loa: str = ""
    choices: tuple[Choice, ...] = ()

    @property
    def mandate_id(self) -> int | None:
        """The mandate this request acts through, if any."""
        return self.mandate.mandate_id if self.mandate else None

    @property
    def on_behalf(self) -> bool:
        """Someone other than the party itself acts (an employee, a representative)."""
        return self.actor_type != "party"

    def scope(self) -> PartyScope:
        """The dossiers, questions and news this request may see."""
        return PartyScope(self.party_id, self.branch, self.dossier_types, self.loa)


class AuditFields(TypedDict):
    """The who-for-whom fields of an audit event."""

    actor_type: str
    actor_id: str
    actor_role: str | None
    party_id: int | None
    mandate_id: int | None


def audit_fields(access: Access) -> AuditFields:
    """Both identities for the audit log: who acts, for whom, through which mandate."""
    actor_type = "party" if access.actor_type == "representative" else access.actor_type
    return {
        "actor_type": actor_type, "actor_id": access.actor_id,
        "actor_role": access.actor_type if access.on_behalf else None,
        "party_id": access.party_id, "mandate_id": access.mandate_id,
    }
