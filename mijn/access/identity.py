"""Who is logged in, as the session knows it: the party (or staff member), the audience they
logged in as, their roles and level of assurance, and for whom they act."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Identity:
    """The logged-in party as the session knows it.

    party_id is the party that logged in: a person, or for a business login the company
    (then actor_ref is the employee's pseudonym, actor_name their name and branch the
    vestiging they are restricted to, if any). mandate_id: the person now acts for another
    party through this mandate (checked again on every request).
    """

    party_id: int
    audience: str
    roles: tuple[str, ...]
    loa: str
    branch: str | None = None
    actor_ref: str = ""
    actor_name: str = ""
    mandate_id: int | None = None
