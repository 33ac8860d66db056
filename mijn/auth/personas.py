"""The demo people of the development identity provider (and of `mijn demo`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Persona:
    """A demo identity: what the development provider puts in its tokens."""

    sub: str
    name: str
    bsn: str
    description_nl: str
    description_en: str
    acr: str = "urn:etoegang:core:assurance-class:loa3"


CITIZENS = (
    Persona("demo-jan", "Jan Jansen", "999990019",
            "Heeft een vergunning, een subsidie en meldingen lopen.",
            "Has a permit, a subsidy and reports in progress."),
    Persona("demo-fatima", "Fatima el Amrani", "999990020",
            "Heeft een vergoeding aangevraagd en een melding gedaan.",
            "Applied for an allowance and made a report."),
    Persona("demo-sanne", "Sanne de Vries", "999990032",
            "Nieuw: heeft nog geen dossiers.",
            "New: has no dossiers yet."),
)


def find_persona(sub: str) -> Persona | None:
    """The persona with this subject identifier."""
    return next((p for p in CITIZENS if p.sub == sub), None)
