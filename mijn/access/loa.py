"""Levels of assurance (betrouwbaarheidsniveaus): their order, how a login's acr value maps
to one, and whether a session's level opens what needs a certain level."""

from __future__ import annotations

from collections.abc import Mapping

from mijn.i18n import N_

# From low to high.
LOA_LEVELS = ("basis", "midden", "substantieel", "hoog")
# acr values of DigiD (SAML classes) and eHerkenning/eIDAS, and the levels they stand for.
DEFAULT_ACR_LEVELS: dict[str, str] = {
    "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport": "basis",
    "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract": "midden",
    "urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard": "substantieel",
    "urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI": "hoog",
    "urn:etoegang:core:assurance-class:loa2": "basis",
    "urn:etoegang:core:assurance-class:loa2plus": "midden",
    "urn:etoegang:core:assurance-class:loa3": "substantieel",
    "urn:etoegang:core:assurance-class:loa4": "hoog",
}
# As people read them.
LOA_LABELS = {
    "basis": N_("basis"),
    "midden": N_("midden"),
    "substantieel": N_("substantieel"),
    "hoog": N_("hoog"),
}


def loa_rank(level: str | None) -> int:
    """Position of a level of assurance (0 for none or unknown, basis is 1, hoog is 4)."""
    return LOA_LEVELS.index(level) + 1 if level in LOA_LEVELS else 0


def opens_at(min_loa: str | None, loa: str) -> bool:
    """Whether a session at level `loa` may open what needs `min_loa` (None: any level)."""
    return not min_loa or loa_rank(loa) >= loa_rank(min_loa)


def levels_above(loa: str) -> tuple[str, ...]:
    """The levels a session at level `loa` does not reach (what it may not open)."""
    return tuple(level for level in LOA_LEVELS if loa_rank(level) > loa_rank(loa))


def loa_of(acr_levels: Mapping[str, str], acr: str) -> str:
    """The level of assurance an acr value stands for ("" when unknown: below basis)."""
    if acr in LOA_LEVELS:
        return acr
    return acr_levels.get(acr, "")


def acr_values_for(acr_levels: Mapping[str, str], level: str) -> list[str]:
    """The acr values that give at least this level, lowest first (for acr_values)."""
    wanted = loa_rank(level)
    found = [(loa_rank(lvl), acr) for acr, lvl in acr_levels.items() if loa_rank(lvl) >= wanted]
    return [acr for _, acr in sorted(found, key=lambda item: item[0])]
