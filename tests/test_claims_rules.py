"""What an identity provider's claims become: staff roles and teams, and the kind of party an
identifier names. Providers send lists or space- or comma-separated strings; anything else,
or a role Mijn does not know, gives nothing rather than an error or a role by accident."""

from __future__ import annotations

import pytest

from mijn.parties.service import InvalidIdentifier, party_kind
from mijn.staff.service import known_roles, team_codes


@pytest.mark.parametrize(("claimed", "roles"), [
    ("agent lead", ("agent", "lead")),
    ("editor,agent", ("agent", "editor")),  # in Mijn's order, whatever the provider's
    (["specialist", " lead "], ("specialist", "lead")),
    (("agent",), ("agent",)),
    ("admin superuser", ()),  # unknown roles are no roles
    ("agents", ()),  # nor is a near miss
    (None, ()),
    ({"agent": True}, ()),  # a shape no provider should send
    (7, ()),
])
def test_known_roles_from_a_claim(claimed: object, roles: tuple[str, ...]) -> None:
    assert known_roles(claimed) == roles


@pytest.mark.parametrize(("claimed", "teams"), [
    ("vergunningen, belastingen", ("vergunningen", "belastingen")),
    ("vergunningen vergunningen", ("vergunningen",)),  # once each, in the claim's order
    (["wmo", " ", "wmo", "jeugd "], ("wmo", "jeugd")),
    (None, ()),
    (42, ()),
])
def test_team_codes_from_a_claim(claimed: object, teams: tuple[str, ...]) -> None:
    assert team_codes(claimed) == teams


@pytest.mark.parametrize(("identifier_type", "kind"), [
    ("bsn", "person"), ("national_number", "person"),
    ("kvk", "organisation"), ("kbo", "organisation"), ("rsin", "organisation"),
])
def test_the_kind_of_party_follows_from_its_identifier(identifier_type: str, kind: str) -> None:
    assert party_kind(identifier_type) == kind


def test_an_unknown_identifier_type_is_refused_by_name() -> None:
    with pytest.raises(InvalidIdentifier, match="unknown identifier type 'passport'"):
        party_kind("passport")
