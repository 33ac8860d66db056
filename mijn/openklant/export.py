"""What each kind of export sends, read from Mijn's own data: a question, a reply, a handover
(or callback request) and its end. Every step finds before it makes (mijn.openklant.links),
so running an export again, whole or after a failure half-way, creates nothing twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from mijn.db import utcnow
from mijn.dossiers.service import dossier_by_id
from mijn.mandates.service import mandate_by_id, mandate_parties
from mijn.openklant import objects
from mijn.openklant.client import JSON, OpenKlantClient
from mijn.openklant.links import Remote, forget, known, links_of
from mijn.openklant.texts import contact_texts, task_note
from mijn.openklantsettings import OpenKlantSettings
from mijn.parties.service import get_party
from mijn.questions.common import contact_by_id, message_by_id, question_by_id, topic_by_id
from mijn.questions.titles import short_title
from mijn.questions.workflow import full_thread
from mijn.staff.service import get_staff, get_team

if TYPE_CHECKING:  # other areas' rows, only named in annotations
    from mijn.parties.models import Party
    from mijn.questions.models import Question, QuestionMessage

ASK = {"question": "Vraag beantwoorden", "callback": "Terugbellen"}  # gevraagdeHandeling
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class Gone(Exception):
    """What was to be exported is no longer in Mijn (removed by retention): nothing to do."""


def contact_reference(question_reference: str, message_id: int | None = None,
                      prefix: str = "M") -> str:
    """A klantcontact's referentienummer (10 characters): the question's reference without
    its V-; for a message, M and its id in base 36 (a registered contact: C and its id). How
    a retry finds what it made."""
    if message_id is None:
        return question_reference.removeprefix("V-")[:10]
    digits = ""
    while message_id:
        message_id, rest = divmod(message_id, 36)
        digits = _ALPHABET[rest] + digits
    return prefix + digits.rjust(9, "0")


def _when(moment: datetime) -> str:
    return moment.isoformat()


@dataclass
class Context:
    """One export's connection, configuration and what it read once."""

    session: AsyncSession
    client: OpenKlantClient
    settings: OpenKlantSettings
    question: Question
    party: Party
    topic: str


async def context(session: AsyncSession, client: OpenKlantClient,
                  settings: OpenKlantSettings, question_id: int) -> Context:
    """The question and its party and topic; Gone when it is no longer there."""
    question = await question_by_id(session, question_id)
    party = await get_party(session, question.party_id) if question else None
    if question is None or party is None:
        raise Gone(f"question {question_id}")
    topic = await topic_by_id(session, question.topic_id)
    return Context(session, client, settings, question, party, topic.label_nl if topic else "-")


async def _zaak(session: AsyncSession, settings: OpenKlantSettings, dossier_id: int | None
                ) -> JSON | None:
    """The onderwerpobject of a contact about a ZGW zaak (its uuid, in the zaak register)."""
    dossier = await dossier_by_id(session, dossier_id) if dossier_id else None
    if dossier is None or not dossier.zgw_url:
        return None
    return {"onderwerpobjectidentificator": {
        "objectId": dossier.zgw_url.rstrip("/").rsplit("/", 1)[-1], "codeObjecttype": "zaak",
        "codeRegister": settings.zaak_register, "codeSoortObjectId": "uuid"}}


def _fields(ctx: Context, channel: str, at: datetime, reference: str) -> JSON:
    return {"kanaal": ctx.settings.channels.get(channel, channel)[:50],
            "taal": objects.language(ctx.party.language), "vertrouwelijk": False,
            "plaatsgevondenOp": _when(at), "indicatieContactGelukt": True,
            "referentienummer": reference}


async def question(ctx: Context) -> tuple[Remote, Remote | None]:
    """The question as a klantcontact (its party the betrokkene, initiator) and that party."""
    person = await objects.partij(ctx.session, ctx.client, ctx.party)
    first = next((m for m in await full_thread(ctx.session, ctx.question)
                  if m.kind == "citizen"), None)
    fields = {**_fields(ctx, ctx.question.channel, ctx.question.created_at,
                        contact_reference(ctx.question.reference)),
              **contact_texts(ctx.topic, inhoud=first.body if first else None)}
    subject = f"question:{ctx.question.id}"
    contact = await objects.klantcontact(ctx.session, ctx.client, objects.NewContact(
        subject, fields, person, initiator=True,
        about=await _zaak(ctx.session, ctx.settings, ctx.question.dossier_id)))
    if ctx.question.kind == "callback" and ctx.question.callback_phone:
        involved = await objects.betrokkene(ctx.session, ctx.client, subject, contact)
        if involved is not None:
            await objects.phone_to_call(ctx.session, ctx.client, subject, involved,
                                        ctx.question.callback_phone)
    return contact, person


async def _message(ctx: Context, message_id: int | None, kind: str) -> QuestionMessage:
    message = await message_by_id(ctx.session, message_id) if message_id else None
    if message is None or message.question_id != ctx.question.id or message.kind != kind:
        raise Gone(f"message {message_id}")
    return message


async def _staff_actor(ctx: Context, staff_id: int | None) -> Remote | None:
    return await staff_actor(ctx.session, ctx.client, staff_id)


async def staff_actor(session: AsyncSession, client: OpenKlantClient, staff_id: int | None
                      ) -> Remote | None:
    """The actor (medewerker) of a staff member; None when there is none (any more)."""
    member = await get_staff(session, staff_id) if staff_id else None
    if member is None:
        return None
    return await objects.actor(session, client, objects.ActorOf(
        f"staff:{member.id}", "medewerker", member.name, str(member.id)))


async def _linked_contact(ctx: Context, message: QuestionMessage, fields: JSON,
                          about: Remote, person: Remote | None) -> Remote:
    """A klantcontact of a message, about the question's, with its author as actor."""
    subject = f"message:{message.id}"
    contact = await objects.klantcontact(ctx.session, ctx.client, objects.NewContact(
        subject, fields, person, initiator=False, about={"wasKlantcontact": about.ref}))
    author = await _staff_actor(ctx, message.author_staff_id)
    if author is not None:
        await objects.actorklantcontact(ctx.session, ctx.client, subject, author, contact)
    return contact


async def reply(ctx: Context, message_id: int | None) -> Remote:
    """A reply as a klantcontact (reactie) linked to the question's, with its employee."""
    message = await _message(ctx, message_id, "reply")
    asked, person = await question(ctx)
    fields = {**_fields(ctx, "web", message.created_at,
                        contact_reference(ctx.question.reference, message.id)),
              **contact_texts(ctx.topic, reactie=message.body)}
    return await _linked_contact(ctx, message, fields, asked, person)


async def _assignee(ctx: Context) -> Remote | None:
    """The actor the task is for: the specialist it went to, else the team."""
    if ctx.question.assignee_id is not None:
        return await _staff_actor(ctx, ctx.question.assignee_id)
    team = await get_team(ctx.session, ctx.question.team_id) if ctx.question.team_id else None
    if team is None:
        return None
    return await objects.actor(ctx.session, ctx.client, objects.ActorOf(
        f"team:{team.id}", "organisatorische_eenheid", team.name_nl, team.code))


async def handover(ctx: Context, message_id: int | None) -> Remote:
    """A handover (or callback request): a klantcontact of the note, internal, and the
    internetaak it gives rise to, for the specialist or team (te_verwerken)."""
    message = await _message(ctx, message_id, "handover")
    asked, person = await question(ctx)
    fields = {**_fields(ctx, ctx.question.channel, message.created_at,
                        contact_reference(ctx.question.reference, message.id)),
              **contact_texts(ctx.topic, inhoud=message.body), "vertrouwelijk": True}
    cause = await _linked_contact(ctx, message, fields, asked, person)
    target = await _assignee(ctx) or await _staff_actor(ctx, message.author_staff_id)
    if target is None:
        raise Gone(f"the target of handover {message.id}")
    return await objects.internetaak(ctx.session, ctx.client, f"message:{message.id}", {
        "gevraagdeHandeling": ASK.get(ctx.question.kind, ASK["question"]),
        "aanleidinggevendKlantcontact": cause.ref, "toegewezenAanActoren": [target.ref],
        "toelichting": task_note(message.body), "status": "te_verwerken"})


async def done(ctx: Context) -> int:
    """The question's internetaken are verwerkt (each handover exported first, if it was
    not yet: a task made after its end would stay open for ever); how many."""
    notes = [m.id for m in await full_thread(ctx.session, ctx.question) if m.kind == "handover"]
    for note_id in notes:
        await handover(ctx, note_id)
    tasks = await links_of(ctx.session, [f"message:{i}" for i in notes], "internetaak")
    for task in tasks:
        await ctx.client.patch("internetaken", task.uuid, {
            "status": "verwerkt", "afgehandeldOp": _when(utcnow())})
    return len(tasks)


async def registered_contact(session: AsyncSession, client: OpenKlantClient,
                             settings: OpenKlantSettings, contact_id: int) -> Remote:
    """A contact an agent registered (a call, a visit to the counter, ...) as a klantcontact
    on its channel: its summary as inhoud (its first words the onderwerp), vertrouwelijk
    when internal only, the party as initiating betrokkene, the agent as actor."""
    found = await contact_by_id(session, contact_id)
    party = await get_party(session, found.party_id) if found else None
    if found is None or party is None:
        raise Gone(f"contact {contact_id}")
    person = await objects.partij(session, client, party)
    fields = {"kanaal": settings.channels.get(found.channel, found.channel)[:50],
              "taal": objects.language(party.language), "vertrouwelijk": found.internal,
              "plaatsgevondenOp": _when(found.at), "indicatieContactGelukt": True,
              "referentienummer": contact_reference("", found.id, "C"),
              **contact_texts(short_title(found.summary), inhoud=found.summary)}
    subject = f"contact:{found.id}"
    made = await objects.klantcontact(session, client, objects.NewContact(
        subject, fields, person, initiator=True,
        about=await _zaak(session, settings, found.dossier_id)))
    agent = await staff_actor(session, client, found.staff_id)
    if agent is not None:
        await objects.actorklantcontact(session, client, subject, agent, made)
    return made


async def mandate(session: AsyncSession, client: OpenKlantClient, mandate_id: int) -> None:
    """A mandate as a vertegenwoordiging between the two partijen while it holds (found or
    made); once revoked or ended (its last day passed), the vertegenwoordiging Mijn made is
    removed (DELETE: Klantinteracties 0.9's Vertegenwoordiging has no dates to end it by)
    and forgotten here, so that a mandate that holds again is made again."""
    found = await mandate_by_id(session, mandate_id)
    if found is None:
        raise Gone(f"mandate {mandate_id}")
    subject = f"mandate:{found.id}"
    ended = found.revoked_at is not None or (
        found.valid_until is not None and found.valid_until < utcnow().date())
    if ended:
        made = await known(session, subject, "vertegenwoordiging")
        if made is not None:  # the standard keeps no end date: the object goes
            await client.delete("vertegenwoordigingen", made.uuid)
            await forget(session, subject, "vertegenwoordiging")
        return
    representative, represented = await mandate_parties(session, found)
    acting = await objects.partij(session, client, representative)
    acted_for = await objects.partij(session, client, represented)
    if acting is None or acted_for is None:
        raise Gone(f"a party of mandate {mandate_id} has no identifier in the standard")
    await objects.vertegenwoordiging(session, client, subject, acting, acted_for)
