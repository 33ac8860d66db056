"""Which zaken may be shown in the portal, by their vertrouwelijkheidaanduiding (the ZGW
APIs' confidentiality levels): up to a configured level, and never an unknown one."""

from __future__ import annotations

# From low to high, as the ZGW APIs name them.
CONFIDENTIALITY = (
    "openbaar", "beperkt_openbaar", "intern", "zaakvertrouwelijk", "vertrouwelijk",
    "confidentieel", "geheim", "zeer_geheim",
)


def may_show(confidentiality: str, highest: str) -> bool:
    """Whether a zaak of this level may be shown when `highest` is the highest level shown
    (an unknown level: no)."""
    if confidentiality not in CONFIDENTIALITY or highest not in CONFIDENTIALITY:
        return False
    return CONFIDENTIALITY.index(confidentiality) <= CONFIDENTIALITY.index(highest)
