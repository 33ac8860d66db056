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
    audience: str = "citizen"
    roles: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()


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


STAFF = (
    Persona("demo-agent", "Anouk Bakker", "",
            "KCC-medewerker: beantwoordt vragen en zet ze door.",
            "Contact centre agent: answers questions and hands them over.",
            audience="staff", roles=("agent",)),
    Persona("demo-specialist", "Sam Visser", "",
            "Vakspecialist vergunningen: beantwoordt doorgezette vragen.",
            "Permits specialist: answers questions handed over to the team.",
            audience="staff", roles=("specialist",), teams=("vergunningen",)),
    Persona("demo-lead", "Lotte de Boer", "",
            "Teamleider KCC: ziet de wachtrij en de vragen die te laat dreigen te worden.",
            "Contact centre team lead: watches the queue and questions about to be late.",
            audience="staff", roles=("lead", "agent")),
    Persona("demo-editor", "Eva Smit", "",
            "Redacteur: schrijft de antwoorden en houdt ze actueel.",
            "Editor: writes the answers and keeps them up to date.",
            audience="staff", roles=("editor",)),
)


def personas_for(audience: str) -> tuple[Persona, ...]:
    """The demo personas offered to one audience's login."""
    return STAFF if audience == "staff" else CITIZENS


def find_persona(sub: str, audience: str = "citizen") -> Persona | None:
    """The persona with this subject identifier, among those of an audience."""
    return next((p for p in personas_for(audience) if p.sub == sub), None)
