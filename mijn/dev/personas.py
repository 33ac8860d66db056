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
    company_number: str = ""  # business: KvK (8 digits) or KBO (10 digits) number
    company: str = ""
    branch: str = ""  # business: the vestigingsnummer the login is restricted to
    birthdate: str = ""  # citizen: OIDC's birthdate claim (YYYY-MM-DD), as itsme gives it


CITIZENS = (
    Persona("demo-jan", "Jan Jansen", "999990019",
            "Heeft een vergunning, een subsidie en meldingen lopen.",
            "Has a permit, a subsidy and reports in progress.", birthdate="1968-04-17"),
    Persona("demo-fatima", "Fatima el Amrani", "999990020",
            "Heeft een vergoeding en bijzondere bijstand aangevraagd en een melding gedaan.",
            "Applied for an allowance and special assistance, and made a report.",
            birthdate="1985-11-02"),
    Persona("demo-sanne", "Sanne de Vries", "999990032",
            "Heeft zelf geen dossiers. Is bewindvoerder van Jan Jansen en mag de subsidies "
            "van Bakkerij De Korenschoof inzien.",
            "Has no dossiers of her own. Is Jan Jansen's financial administrator and may read "
            "the grants of Bakkerij De Korenschoof.", birthdate="1979-07-30"),
)


BAKERY_KVK = "69599084"
BAKERY_BRANCH = "000038509504"  # the bakery's shop in the centre
BUSINESSES = (
    Persona("demo-karin", "Karin Smit", "",
            "Eigenaar van Bakkerij De Korenschoof: ziet alle aanvragen van het bedrijf.",
            "Owner of Bakkerij De Korenschoof: sees all of the company's applications.",
            audience="business", company_number=BAKERY_KVK, company="Bakkerij De Korenschoof"),
    Persona("demo-ahmed", "Ahmed Yilmaz", "",
            "Filiaalleider bij Bakkerij De Korenschoof: ziet alleen de zaken van zijn vestiging.",
            "Branch manager at Bakkerij De Korenschoof: sees only his branch's dossiers.",
            audience="business", company_number=BAKERY_KVK, company="Bakkerij De Korenschoof",
            branch=BAKERY_BRANCH),
    Persona("demo-pieter", "Pieter Bos", "",
            "Werkt bij Installatiebedrijf Bos: een ander bedrijf, met een eigen aanvraag.",
            "Works at Installatiebedrijf Bos: another company, with an application of its own.",
            audience="business", company_number="68750110", company="Installatiebedrijf Bos"),
    Persona("demo-lien", "Lien Peeters", "",
            "Belgisch bedrijf: logt in met een KBO-nummer (Brouwerij Peeters).",
            "Belgian business: logs in with a KBO number (Brouwerij Peeters).",
            audience="business", company_number="0403170701", company="Brouwerij Peeters"),
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
    return {"staff": STAFF, "business": BUSINESSES}.get(audience, CITIZENS)


def find_persona(sub: str, audience: str = "citizen") -> Persona | None:
    """The persona with this subject identifier, among those of an audience."""
    return next((p for p in personas_for(audience) if p.sub == sub), None)
