"""The Klantinteracties objects Mijn makes, each found before it is made: a party by its
identifier (Open Klant 2.6's codes), an employee or team as an actor, a klantcontact by its
referentienummer (through maak-klantcontact, with its betrokkene and onderwerpobject), an
actorklantcontact, an internetaak, a phone number to call back."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from mijn.openklant.client import JSON, OpenKlantClient
from mijn.openklant.links import Remote, forget, keep, known, linked, one_at_a_time

if TYPE_CHECKING:  # other areas' rows, only named in annotations
    from mijn.parties.models import Party

# Party identifier type -> (codeObjecttype, codeSoortObjectId, codeRegister), since Open
# Klant 2.6 fixed lists. Belgian numbers have no code in the standard: such a party is not
# sent as a partij (its contacts carry no wasPartij).
IDENTIFIERS = {
    "bsn": ("natuurlijk_persoon", "bsn", "brp"),
    "kvk": ("niet_natuurlijk_persoon", "kvk_nummer", "hr"),
}
LANGUAGES = {"nl": "nld", "en": "eng"}  # ISO 639-2/B
ACTOR_REGISTER = "mijn"  # actoridentificator.codeRegister of Mijn's staff and teams
ADRES_MAX = 80  # digitaal adres
PHONE = re.compile(r"^(0[1-9][0-9]{8}|\+[0-9]{9,15}|00[0-9]{7,13})$")  # Open Klant's rule


def language(code: str) -> str:
    """A Mijn language as Klantinteracties' `taal` (ISO 639-2/B)."""
    return LANGUAGES.get(code, "nld")


def identifier(party: Party) -> dict[str, str] | None:
    """The party's partijIdentificator; None for a party the standard has no code for."""
    codes = IDENTIFIERS.get(party.identifier_type)
    if codes is None:
        return None
    return {"codeObjecttype": codes[0], "codeSoortObjectId": codes[1],
            "objectId": party.identifier, "codeRegister": codes[2]}


async def partij(session: AsyncSession, client: OpenKlantClient, party: Party) -> Remote | None:
    """The party's partij, found by its identifier or made with it; never two."""
    ident = identifier(party)
    if ident is None:
        return None
    filters = {f"partijIdentificator__{key}": value for key, value in ident.items()}
    person = party.kind == "person"
    body: JSON = {
        "soortPartij": "persoon" if person else "organisatie", "indicatieActief": True,
        "voorkeurstaal": language(party.language),
        "partijIdentificatoren": [{"partijIdentificator": ident}],
    }
    if not person and party.name:  # a company's name is no personal data; a person's is
        body["partijIdentificatie"] = {"naam": party.name[:200]}  # the BRP's to give
    found = await linked(session, f"party:{party.id}", "partij",
                         lambda: client.find("partijen", **filters),
                         lambda: client.create("partijen", body))
    await verified_email(session, client, party, found)
    await phone_number(session, client, party, found)
    return found


async def verified_email(session: AsyncSession, client: OpenKlantClient, party: Party,
                         person: Remote) -> Remote | None:
    """The party's e-mail address as a digitaal adres of its partij, once Mijn verified it
    (verificatieDatum, referentie "portaalvoorkeur": the portal's preferred address, as Open
    Klant's own migration names it). An address over adres's 80 characters is not sent
    rather than cut."""
    email = party.email or ""
    if party.email_verified_at is None or not email or len(email) > ADRES_MAX:
        return None
    body = {"verstrektDoorPartij": person.ref, "adres": email, "soortDigitaalAdres": "email",
            "isStandaardAdres": True, "referentie": "portaalvoorkeur",
            "verificatieDatum": party.email_verified_at.date().isoformat()}
    role = "email:" + hashlib.sha256(email.lower().encode()).hexdigest()[:16]
    return await linked(
        session, f"party:{party.id}", role,
        lambda: client.find("digitaleadressen", verstrektDoorPartij__uuid=person.uuid,
                            soortDigitaalAdres="email", adres=email),
        lambda: client.create("digitaleadressen", body))


def _dialled(phone: str) -> str:
    """A phone number as typed, without the spaces, dashes and parentheses people write."""
    return re.sub(r"[\s()\-.]", "", phone)


async def phone_number(session: AsyncSession, client: OpenKlantClient, party: Party,
                       person: Remote) -> Remote | None:
    """The party's phone number as a digitaal adres (telefoonnummer) of its partij: found by
    its number or made, once; when the number changed, the one Mijn made is brought up to
    date (PATCH), not a second made. Mijn does not verify phone numbers, so it sends no
    verificatieDatum. A number the standard's pattern refuses is not sent."""
    number = _dialled(party.phone or "")
    if not PHONE.match(number):
        return None
    subject = f"party:{party.id}"
    sent = "phone:" + hashlib.sha256(number.encode()).hexdigest()[:16]  # what was sent last
    await one_at_a_time(session, subject, "phone")
    if (remote := await known(session, subject, sent)) is not None:
        return remote
    remote = await known(session, subject, "phone")
    if remote is not None and not await client.patch_if_there(
            "digitaleadressen", remote.uuid, {"adres": number}):
        await forget(session, subject, "phone")  # removed in Open Klant: made again below
        remote = None
    if remote is None:
        remote = await linked(
            session, subject, "phone",
            lambda: client.find("digitaleadressen", verstrektDoorPartij__uuid=person.uuid,
                                soortDigitaalAdres="telefoonnummer", adres=number),
            lambda: client.create("digitaleadressen", {
                "verstrektDoorPartij": person.ref, "adres": number,
                "soortDigitaalAdres": "telefoonnummer", "isStandaardAdres": False,
                "omschrijving": "Telefoonnummer"}))
    await forget(session, subject, "phone:%")  # the number sent before
    return await keep(session, subject, sent, {"uuid": remote.uuid, "url": remote.url})


@dataclass(frozen=True)
class ActorOf:
    """Who an actor stands for: a staff member (medewerker) or a team."""

    subject: str  # "staff:3" or "team:2"
    soort: str  # medewerker | organisatorische_eenheid
    name: str
    code: str  # the identifier in Mijn: the staff member's id, the team's code


async def actor(session: AsyncSession, client: OpenKlantClient, who: ActorOf) -> Remote:
    """The actor of a staff member or team, found by Mijn's identifier or made."""
    ident = {"objectId": who.code[:200], "codeObjecttype": who.soort,
             "codeRegister": ACTOR_REGISTER, "codeSoortObjectId": "id"}
    body = {"naam": (who.name or who.code)[:200], "soortActor": who.soort,
            "indicatieActief": True, "actoridentificator": ident}
    return await linked(
        session, who.subject, "actor",
        lambda: client.find("actoren", actoridentificatorObjectId=ident["objectId"],
                            actoridentificatorCodeRegister=ACTOR_REGISTER, soortActor=who.soort),
        lambda: client.create("actoren", body))


@dataclass(frozen=True)
class NewContact:
    """A klantcontact to make with maak-klantcontact: its fields, its party (betrokkene),
    and what it was about (an onderwerpobject: a zaak, or the contact it answers)."""

    subject: str  # "question:12", "message:40"
    fields: JSON  # kanaal, onderwerp, inhoud, ..., referentienummer
    partij: Remote | None
    initiator: bool
    about: JSON | None = None  # the onderwerpobject's fields


async def klantcontact(session: AsyncSession, client: OpenKlantClient, new: NewContact) -> Remote:
    """The klantcontact, found by its referentienummer or made with its betrokkene and
    onderwerpobject in one call; each kept."""
    await one_at_a_time(session, new.subject, "klantcontact")
    remote = await known(session, new.subject, "klantcontact")
    if remote is not None:
        return remote
    filters = {"referentienummer": new.fields["referentienummer"]}
    if new.partij is not None:
        filters["hadBetrokkene__wasPartij__uuid"] = new.partij.uuid
    found = await client.find("klantcontacten", **filters)
    if found is not None:
        return await keep(session, new.subject, "klantcontact", found)
    body: dict[str, Any] = {"klantcontact": new.fields, "betrokkene": {
        "wasPartij": new.partij.ref if new.partij else None, "rol": "klant",
        "initiator": new.initiator}}
    if new.about is not None:
        body["onderwerpobject"] = new.about
    made = await client.create("maak-klantcontact", body)
    if made.get("betrokkene"):
        await keep(session, new.subject, "betrokkene", made["betrokkene"])
    if made.get("onderwerpobject"):
        await keep(session, new.subject, "onderwerpobject", made["onderwerpobject"])
    return await keep(session, new.subject, "klantcontact", made["klantcontact"])


async def actorklantcontact(session: AsyncSession, client: OpenKlantClient, subject: str,
                            who: Remote, contact: Remote) -> Remote:
    """That this actor handled this klantcontact (once)."""
    return await linked(
        session, subject, "actorklantcontact",
        lambda: client.find("actorklantcontacten", actor__uuid=who.uuid,
                            klantcontact__uuid=contact.uuid),
        lambda: client.create("actorklantcontacten", {"actor": who.ref,
                                                      "klantcontact": contact.ref}))


async def betrokkene(session: AsyncSession, client: OpenKlantClient, subject: str,
                     contact: Remote) -> Remote | None:
    """The betrokkene of a klantcontact Mijn made (kept, or found there)."""
    remote = await known(session, subject, "betrokkene")
    if remote is not None:
        return remote
    found = await client.find("betrokkenen", hadKlantcontact__uuid=contact.uuid)
    return await keep(session, subject, "betrokkene", found) if found else None


async def phone_to_call(session: AsyncSession, client: OpenKlantClient, subject: str,
                        person: Remote, phone: str) -> Remote:
    """The number to call back, as a digitaal adres the betrokkene gave (as KISS keeps it)."""
    digits = re.sub(r"[\s()\-]", "", phone)
    soort = "telefoonnummer" if PHONE.match(digits) else "overig"
    body = {"verstrektDoorBetrokkene": person.ref, "adres": digits[:80],
            "soortDigitaalAdres": soort, "omschrijving": "Terugbelnummer"}
    return await linked(
        session, subject, "digitaaladres",
        lambda: client.find("digitaleadressen", verstrektDoorBetrokkene__uuid=person.uuid,
                            soortDigitaalAdres=soort),
        lambda: client.create("digitaleadressen", body))


async def internetaak(session: AsyncSession, client: OpenKlantClient, subject: str,
                      body: JSON) -> Remote:
    """The internetaak that this klantcontact gave rise to (once)."""
    cause = body["aanleidinggevendKlantcontact"]["uuid"]
    return await linked(
        session, subject, "internetaak",
        lambda: client.find("internetaken", aanleidinggevendKlantcontact__uuid=cause),
        lambda: client.create("internetaken", body))


async def vertegenwoordiging(session: AsyncSession, client: OpenKlantClient, subject: str,
                             acting: Remote, acted_for: Remote) -> Remote:
    """That one partij represents another (a mandate), once."""
    return await linked(
        session, subject, "vertegenwoordiging",
        lambda: client.find("vertegenwoordigingen", vertegenwoordigendePartij__uuid=acting.uuid,
                            vertegenwoordigdePartij__uuid=acted_for.uuid),
        lambda: client.create("vertegenwoordigingen", {
            "vertegenwoordigendePartij": acting.ref, "vertegenwoordigdePartij": acted_for.ref}))
