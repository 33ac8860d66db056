"""Import from Open Klant: its notifications (kanalen `klantcontacten` and `internetaken`)
name an object; Mijn reads it with its own token and takes in what other channels registered.

- A klantcontact that answers one of Mijn's (an onderwerpobject whose `wasKlantcontact` is
  the klantcontact of a question, or of its handover note) is a reply in that question's
  thread, and the party is told; a `vertrouwelijk` one is an internal note instead.
- Any other klantcontact with a betrokkene whose partij Mijn knows (by the uuid Mijn keeps,
  else by its BSN or KvK identifier) is a contact of that party: in the KCC's 360 view, and
  in "Mijn vragen" unless it is `vertrouwelijk`.
- An internetaak that became `verwerkt` brings in the replies to the klantcontact it came
  from (how KISS records the answer to a contactverzoek).

Every object Mijn made or took in keeps its uuid (openklant_links): a klantcontact whose uuid
is known there is Mijn's own coming back, or one taken in before, and is left alone; so a
notification sent twice changes nothing. What Mijn cannot place is ignored, and logged by the
object's uuid only (never a name or an identifier)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.db import utcnow
from mijn.openklant.client import JSON, OpenKlantClient
from mijn.openklant.links import keep, one_at_a_time
from mijn.openklant.models import OpenKlantExport, OpenKlantLink
from mijn.openklantsettings import OpenKlantSettings
from mijn.parties.service import InvalidIdentifier, find_party
from mijn.questions.common import message_by_id
from mijn.questions.outside import add_outside_contact, add_outside_reply

log = logging.getLogger(__name__)
KANALEN = {"klantcontacten": "klantcontacten", "internetaken": "internetaken"}  # -> resource
# codeSoortObjectId -> Mijn's identifier type (Open Klant 2.6's codes; a vestiging is not a
# party of its own in Mijn, so it is not matched).
IDENTIFIER_TYPES = {"bsn": "bsn", "kvk_nummer": "kvk", "rsin": "rsin"}
# Words in a kanaal name -> Mijn's channel (checked in order); otherwise "web".
_CHANNEL_WORDS = (("mail", "email"), ("telefo", "phone"), ("bel", "phone"),
                  ("balie", "counter"), ("loket", "counter"), ("sociale", "social_media"),
                  ("social", "social_media"), ("partner", "partner"))


class NotOurs(ValueError):
    """A notification about something this portal's Open Klant does not hold (422)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Outcome:
    """What a notification led to: contact, reply, note or ignored; and why (no personal
    data: it is logged)."""

    result: str
    reason: str = ""


def object_uuid(url: str, settings: OpenKlantSettings, resource: str) -> str:
    """The uuid of the object a URL names in this portal's Open Klant; NotOurs otherwise
    (Mijn sends its token to its own Open Klant only)."""
    base = settings.api(resource) + "/"
    tail = url[len(base):].rstrip("/") if url.startswith(base) else ""
    try:
        return str(uuid.UUID(tail))
    except ValueError:
        raise NotOurs(f"hoofdObject must be a URL of a {resource} object of the Open Klant "
                      "this portal reads (MIJN_OPENKLANT_URL)", "hoofdObject") from None


async def take_in(session: AsyncSession, client: OpenKlantClient, kanaal: str, actie: str,
                  url: str) -> Outcome:
    """Take in what one notification names (the caller commits). OpenKlantError when Open
    Klant does not answer as asked (its `temporary`: whether to try again later)."""
    resource = KANALEN.get(kanaal)
    if resource is None or actie == "destroy":
        return Outcome("ignored", f"kanaal {kanaal}, actie {actie}: nothing to take in")
    key = object_uuid(url, client.settings, resource)
    if resource == "internetaken":
        return await internetaak(session, client, key)
    return await klantcontact(session, client, key)


async def _known(session: AsyncSession, key: str, role: str) -> OpenKlantLink | None:
    """The link that keeps this uuid in this role, if any."""
    found: OpenKlantLink | None = await session.scalar(
        select(OpenKlantLink).where(OpenKlantLink.uuid == key, OpenKlantLink.role == role)
        .order_by(OpenKlantLink.id).limit(1))
    return found


async def _subjects(session: AsyncSession, key: str) -> list[str]:
    """What in Mijn this klantcontact is: a question, a message or a contact (or nothing)."""
    return list(await session.scalars(select(OpenKlantLink.subject).where(
        OpenKlantLink.uuid == key, OpenKlantLink.role == "klantcontact")))


async def klantcontact(session: AsyncSession, client: OpenKlantClient, key: str) -> Outcome:
    """A klantcontact: a reply to one of Mijn's questions, a contact of a party Mijn knows,
    or nothing (Mijn's own, taken in before, or of nobody Mijn knows). One taken in as a
    contact is looked at again: KISS may add the onderwerpobject that makes it a reply after
    it made the klantcontact (each notified on its own)."""
    await one_at_a_time(session, f"import:{key}", "klantcontact")
    subjects = await _subjects(session, key)
    if any(not subject.startswith("contact:") for subject in subjects):
        return Outcome("ignored", f"klantcontact {key}: Mijn's own or taken in before")
    found = await client.get("klantcontacten", key)
    if await _sent_by_mijn(session, found):
        return Outcome("ignored", f"klantcontact {key}: Mijn's own (not noted yet)")
    question_id = await _answers(session, client, key)
    if question_id is not None:  # also when it was a contact before its onderwerpobject came
        return await _reply(session, found, question_id)
    if subjects:
        return Outcome("ignored", f"klantcontact {key}: taken in before")
    party_id = await _party(session, client, key)
    if party_id is None:
        return Outcome("ignored", f"klantcontact {key}: no party Mijn knows")
    contact_id = await add_outside_contact(
        session, party_id, channel(found.get("kanaal"), client.settings), _summary(found),
        internal=found.get("vertrouwelijk") is not False, at=_moment(found))
    await keep(session, f"contact:{contact_id}", "klantcontact", found)
    return Outcome("contact", f"klantcontact {key}: contact {contact_id}")


async def _sent_by_mijn(session: AsyncSession, found: JSON) -> bool:
    """Whether its referentienummer is one of Mijn's exports: Mijn's own, whose notification
    came before the export that made it noted its uuid."""
    reference = _text(found.get("referentienummer"))
    return bool(reference) and await session.scalar(
        select(OpenKlantExport.id).where(OpenKlantExport.reference == reference).limit(1)
    ) is not None


async def _reply(session: AsyncSession, found: JSON, question_id: int) -> Outcome:
    """The klantcontact as a reply (or, when vertrouwelijk, a note) in the question."""
    internal = found.get("vertrouwelijk") is not False
    body = _text(found.get("reactie")) or _text(found.get("inhoud")) or _text(
        found.get("onderwerp"))
    author = f"{_text(found.get('kanaal')) or 'Open Klant'} (Open Klant)"
    message_id = await add_outside_reply(session, question_id, body, author, _moment(found),
                                         internal=internal)
    if message_id is None:
        return Outcome("ignored", f"klantcontact {found['uuid']}: its question is gone")
    await keep(session, f"message:{message_id}", "klantcontact", found)
    kind = "note" if internal else "reply"
    return Outcome(kind, f"klantcontact {found['uuid']}: {kind} {message_id}")


async def _answers(session: AsyncSession, client: OpenKlantClient, key: str) -> int | None:
    """The question whose klantcontact (or handover note's) this one answers, if any."""
    for about in await client.find_all("onderwerpobjecten", klantcontact__uuid=key):
        asked = (about.get("wasKlantcontact") or {}).get("uuid")
        link = await _known(session, str(asked), "klantcontact") if asked else None
        if link is None:
            continue
        kind, _, local = link.subject.partition(":")
        if kind == "question" and local.isdigit():
            return int(local)
        if kind == "message" and local.isdigit():
            message = await message_by_id(session, int(local))
            if message is not None:
                return message.question_id
    return None


async def _party(session: AsyncSession, client: OpenKlantClient, key: str) -> int | None:
    """The party of the klantcontact's betrokkenen Mijn knows (the initiator first)."""
    involved = await client.find_all("betrokkenen", hadKlantcontact__uuid=key)
    involved.sort(key=lambda b: b.get("initiator") is not True)
    for betrokkene in involved:
        partij = (betrokkene.get("wasPartij") or {}).get("uuid")
        if not partij:
            continue
        link = await _known(session, str(partij), "partij")
        if link is not None and link.subject.startswith("party:"):
            return int(link.subject.removeprefix("party:"))
        party_id = await _party_by_identifier(session, client, str(partij))
        if party_id is not None:
            return party_id
    return None


async def _party_by_identifier(session: AsyncSession, client: OpenKlantClient, partij: str
                               ) -> int | None:
    """The party with one of the partij's identifiers (BSN, KvK number, RSIN), if Mijn has it."""
    found = await client.get("partijen", partij)
    for item in found.get("partijIdentificatoren") or []:
        ident = item.get("partijIdentificator") if isinstance(item, dict) else None
        if ident is None and isinstance(item, dict) and item.get("uuid"):
            ident = (await client.get("partij-identificatoren", str(item["uuid"]))
                     ).get("partijIdentificator")
        kind = IDENTIFIER_TYPES.get(str((ident or {}).get("codeSoortObjectId")))
        value = (ident or {}).get("objectId")
        if kind is None or not isinstance(value, str):
            continue
        try:
            party = await find_party(session, kind, value)
        except InvalidIdentifier:
            continue
        if party is not None:
            return party.id
    return None


async def internetaak(session: AsyncSession, client: OpenKlantClient, key: str) -> Outcome:
    """An internetaak that is verwerkt: the replies to the klantcontact it came from."""
    task = await client.get("internetaken", key)
    if task.get("status") != "verwerkt":
        return Outcome("ignored", f"internetaak {key}: not verwerkt")
    cause = (task.get("aanleidinggevendKlantcontact") or {}).get("uuid")
    if not cause:
        return Outcome("ignored", f"internetaak {key}: no aanleidinggevendKlantcontact")
    outcomes = []
    for about in await client.find_all("onderwerpobjecten", wasKlantcontact__uuid=str(cause)):
        reply = (about.get("klantcontact") or {}).get("uuid")
        if reply:
            outcomes.append(await klantcontact(session, client, str(reply)))
    taken = [o for o in outcomes if o.result != "ignored"]
    if not taken:
        return Outcome("ignored", f"internetaak {key}: no new reply")
    return Outcome(taken[0].result, "; ".join(o.reason for o in taken))


def channel(kanaal: Any, settings: OpenKlantSettings) -> str:
    """Mijn's channel for a kanaal name: the one configured for it, else by its words."""
    name = _text(kanaal).lower()
    for mine, theirs in settings.channels.items():
        if theirs.lower() == name:
            return mine
    return next((mine for word, mine in _CHANNEL_WORDS if word in name), "web")


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _summary(found: JSON) -> str:
    """onderwerp, inhoud and reactie, each once, in that order."""
    parts = [_text(found.get(key)) for key in ("onderwerp", "inhoud", "reactie")]
    return "\n\n".join(dict.fromkeys(part for part in parts if part))


def _moment(found: JSON) -> datetime:
    """When it took place (plaatsgevondenOp), else now."""
    try:
        moment = datetime.fromisoformat(_text(found.get("plaatsgevondenOp")))
    except ValueError:
        return utcnow()
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
