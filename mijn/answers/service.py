"""What the answers area can do: write, publish and compare answers; search and tailor them;
take feedback and agents' flags; count what deflects questions."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.access.scope import Access
from mijn.answers import search as index
from mijn.answers.models import (
    AUDIENCES,
    FLAG_KINDS,
    Answer,
    AnswerEvent,
    AnswerFeedback,
    AnswerFlag,
    AnswerTarget,
    AnswerTopic,
    AnswerVersion,
)
from mijn.answers.text import DossierFacts, render_html, summary, unknown_placeholders
from mijn.db import utcnow
from mijn.dossiers.service import DossierView, get_dossier_view, type_catalogue
from mijn.questions.common import list_topics

MAX_TITLE, MAX_BODY, MAX_NOTES, MAX_COMMENT = 200, 20_000, 10_000, 1_000
# "Many nee votes": at least this many, and at least this share of the votes.
MANY_NO_VOTES, NO_SHARE = 5, 0.3
REVIEW_SOON_DAYS = 14


class AnswerError(ValueError):
    """Input an answer, its feedback or a flag cannot take; `field` and `code` say why."""

    def __init__(self, field: str, code: str, detail: str = "") -> None:
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code
        self.detail = detail


def audiences_for(audience: str | None) -> tuple[str, ...]:
    """Which answers a visitor reads: citizens and businesses their own, others all."""
    if audience == "citizen":
        return ("all", "citizens")
    if audience == "business":
        return ("all", "businesses")
    return AUDIENCES


# --- writing ----------------------------------------------------------------------------------


@dataclass
class Draft:
    """What an editor writes (as typed: checked by check_draft)."""

    title: str = ""
    body: str = ""
    internal_notes: str = ""
    audience: str = "all"
    review_by: str = ""
    topics: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CheckedDraft:
    """A draft whose fields are valid."""

    title: str
    body: str
    internal_notes: str
    audience: str
    review_by: date
    topics: tuple[str, ...]
    targets: tuple[str, ...]


def _text(value: str, name: str, limit: int, required: bool = True) -> str:
    text = value.replace("\r\n", "\n").strip()
    if required and not text:
        raise AnswerError(name, "empty")
    if len(text) > limit:
        raise AnswerError(name, "too_long")
    return text


async def check_draft(session: AsyncSession, draft: Draft) -> CheckedDraft:
    """The draft with every field checked; AnswerError names the first field that is wrong."""
    title = _text(draft.title, "title", MAX_TITLE)
    body = _text(draft.body, "body", MAX_BODY)
    unknown = unknown_placeholders(body)
    if unknown:
        raise AnswerError("body", "placeholder", ", ".join(unknown))
    notes = _text(draft.internal_notes, "internal_notes", MAX_NOTES, required=False)
    if draft.audience not in AUDIENCES:
        raise AnswerError("audience", "unknown")
    try:
        review_by = date.fromisoformat(draft.review_by.strip())
    except ValueError:
        raise AnswerError("review_by", "format") from None
    topic_codes = {t.code for t in await list_topics(session)}
    if set(draft.topics) - topic_codes:
        raise AnswerError("topics", "unknown")
    target_codes = {code for code, _ in await target_choices(session)}
    if set(draft.targets) - target_codes:
        raise AnswerError("targets", "unknown")
    return CheckedDraft(title, body, notes, draft.audience, review_by,
                        tuple(sorted(set(draft.topics))), tuple(sorted(set(draft.targets))))


async def target_choices(session: AsyncSession) -> list[tuple[str, str]]:
    """What an answer can apply to: a dossier type ("type") or one of its statuses
    ("type/status"), with a Dutch label for the editor's form."""
    choices: list[tuple[str, str]] = []
    for dossier_type, statuses in await type_catalogue(session):
        choices.append((dossier_type.code, f"{dossier_type.name_nl}: elke status"))
        choices += [(f"{dossier_type.code}/{s.code}", f"{dossier_type.name_nl}: {s.label_nl}")
                    for s in statuses]
    return choices


def slugify(title: str) -> str:
    """An address-friendly name from a title ("Hoe lang duurt het?" -> "hoe-lang-duurt-het")."""
    plain = unicodedata.normalize("NFKD", title.lower()).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:100] or "antwoord"


def _apply(version: AnswerVersion, checked: CheckedDraft, staff_id: int | None) -> None:
    version.title, version.body = checked.title, checked.body
    version.internal_notes, version.audience = checked.internal_notes, checked.audience
    version.review_by = checked.review_by
    version.topics, version.targets = " ".join(checked.topics), " ".join(checked.targets)
    version.author_id, version.updated_at = staff_id, utcnow()


async def create_answer(session: AsyncSession, staff_id: int | None, draft: Draft) -> Answer:
    """A new answer with its first draft (not published: nobody but editors sees it)."""
    checked = await check_draft(session, draft)
    slug = await _free_slug(session, slugify(checked.title))
    answer = Answer(slug=slug, title=checked.title, audience=checked.audience)
    session.add(answer)
    try:
        await session.flush()
    except IntegrityError:  # another editor took this address a moment ago
        raise AnswerError("title", "taken") from None
    version = AnswerVersion(answer_id=answer.id, number=1, state="draft")
    _apply(version, checked, staff_id)
    session.add(version)
    await session.flush()
    return answer


async def _free_slug(session: AsyncSession, base: str) -> str:
    """The address itself, or with the first free number: "grofvuil", "grofvuil-2", ...
    (no savepoint: on SQLite one would commit on its own as the first write)."""
    taken = set(await session.scalars(select(Answer.slug).where(
        or_(Answer.slug == base, Answer.slug.like(f"{base}-%")))))
    number = 1
    while (slug := base if number == 1 else f"{base}-{number}") in taken:
        number += 1
    return slug


async def draft_of(session: AsyncSession, answer_id: int) -> AnswerVersion | None:
    """The draft being written for an answer, if any."""
    return await session.scalar(select(AnswerVersion).where(
        AnswerVersion.answer_id == answer_id, AnswerVersion.state == "draft"))


async def latest_version(session: AsyncSession, answer_id: int) -> AnswerVersion | None:
    """The newest version: the draft, or else the last published one."""
    return await session.scalar(select(AnswerVersion).where(AnswerVersion.answer_id == answer_id)
                                .order_by(AnswerVersion.number.desc()).limit(1))


async def save_draft(
    session: AsyncSession, answer: Answer, staff_id: int | None, draft: Draft
) -> AnswerVersion:
    """Save the editor's text as the answer's draft (a new version when none is open)."""
    checked = await check_draft(session, draft)
    version = await draft_of(session, answer.id)
    if version is None:
        latest = await latest_version(session, answer.id)
        version = AnswerVersion(answer_id=answer.id, number=(latest.number if latest else 0) + 1,
                                state="draft")
        session.add(version)
    _apply(version, checked, staff_id)
    answer.updated_at = utcnow()
    await session.flush()
    return version


async def publish(
    session: AsyncSession, answer: Answer, staff_id: int | None
) -> AnswerVersion:
    """Publish the draft: it becomes what everyone reads; the previous version is kept."""
    version = await draft_of(session, answer.id)
    if version is None:
        raise AnswerError("version", "no_draft")
    now = utcnow()
    await session.execute(update(AnswerVersion).where(
        AnswerVersion.answer_id == answer.id, AnswerVersion.state == "published",
    ).values(state="superseded"))
    version.state, version.published_at, version.published_by_id = "published", now, staff_id
    answer.published, answer.version, answer.published_at = True, version.number, now
    answer.title, answer.body, answer.internal_notes = version.title, version.body, \
        version.internal_notes
    answer.summary = summary(version.body)
    answer.audience, answer.review_by, answer.updated_at = version.audience, version.review_by, now
    answer.yes_count = answer.no_count = 0  # votes were about the text before
    await session.flush()
    await _link(session, answer, version)
    return version


async def _link(session: AsyncSession, answer: Answer, version: AnswerVersion) -> None:
    """Topics, targets and index entries of the published version."""
    topics = {t.code: t for t in await list_topics(session)}
    chosen = [topics[c] for c in version.topics.split() if c in topics]
    await session.execute(delete(AnswerTopic).where(AnswerTopic.answer_id == answer.id))
    await session.execute(delete(AnswerTarget).where(AnswerTarget.answer_id == answer.id))
    if chosen:
        await session.execute(insert(AnswerTopic), [
            {"answer_id": answer.id, "topic_id": t.id} for t in chosen])
    targets = await _target_ids(session, version.targets.split())
    if targets:
        await session.execute(insert(AnswerTarget), [
            {"answer_id": answer.id, "dossier_type_id": t, "status_type_id": s}
            for t, s in targets])
    await index.index_answer(session, answer.id, answer.title,
                             [t.label_nl for t in chosen], answer.body, answer.audience)


async def _target_ids(session: AsyncSession, codes: Sequence[str]) -> list[tuple[int, int | None]]:
    ids: list[tuple[int, int | None]] = []
    catalogue = {t.code: (t, {s.code: s.id for s in statuses})
                 for t, statuses in await type_catalogue(session)}
    for code in codes:
        type_code, _, status_code = code.partition("/")
        if type_code not in catalogue:
            continue  # the type is gone since the draft was saved
        dossier_type, statuses = catalogue[type_code]
        if not status_code:
            ids.append((dossier_type.id, None))
        elif status_code in statuses:
            ids.append((dossier_type.id, statuses[status_code]))
    return ids


async def withdraw(session: AsyncSession, answer: Answer) -> None:
    """Take an answer offline (its versions are kept; publishing a draft brings it back)."""
    answer.published, answer.updated_at = False, utcnow()
    await session.execute(delete(AnswerTarget).where(AnswerTarget.answer_id == answer.id))
    await session.execute(delete(AnswerTopic).where(AnswerTopic.answer_id == answer.id))
    await index.unindex_answer(session, answer.id)
    await session.flush()


async def versions(session: AsyncSession, answer_id: int) -> list[AnswerVersion]:
    """Every version of an answer, newest first."""
    found = await session.scalars(select(AnswerVersion).where(
        AnswerVersion.answer_id == answer_id).order_by(AnswerVersion.number.desc()))
    return list(found)


@dataclass(frozen=True)
class DiffLine:
    """One line of a comparison: kept ("="), removed ("-") or added ("+")."""

    change: str
    text: str


def compare(old: AnswerVersion, new: AnswerVersion) -> dict[str, list[DiffLine]]:
    """Line by line what changed between two versions, per field that changed."""
    fields = {
        "title": (old.title, new.title), "body": (old.body, new.body),
        "internal_notes": (old.internal_notes, new.internal_notes),
        "audience": (old.audience, new.audience),
        "review_by": (str(old.review_by or ""), str(new.review_by or "")),
        "topics": (old.topics.replace(" ", "\n"), new.topics.replace(" ", "\n")),
        "targets": (old.targets.replace(" ", "\n"), new.targets.replace(" ", "\n")),
    }
    result = {}
    for name, (before, after) in fields.items():
        if before == after:
            continue
        lines = difflib.ndiff(before.splitlines(), after.splitlines())
        result[name] = [DiffLine({" ": "=", "-": "-", "+": "+"}[line[0]], line[2:])
                        for line in lines if line[0] in " -+"]
    return result


# --- editors' lists ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EditorRow:
    """An answer in the editors' list, with what may need their attention."""

    answer: Answer
    has_draft: bool
    open_flags: int
    reasons: tuple[str, ...]


def _reasons(answer: Answer, open_flags: int, today: date) -> tuple[str, ...]:
    reasons = []
    if answer.published and answer.review_by and answer.review_by < today:
        reasons.append("review")
    votes = answer.yes_count + answer.no_count
    if answer.no_count >= MANY_NO_VOTES and answer.no_count >= NO_SHARE * votes:
        reasons.append("no_votes")
    if open_flags:
        reasons.append("flagged")
    return tuple(reasons)


async def editor_list(
    session: AsyncSession, attention_only: bool, query: str = "", today: date | None = None,
) -> list[EditorRow]:
    """All answers (or those needing attention: past review date, many 'nee' votes, flagged
    by agents), the ones needing it first, then by title."""
    today = today or date.today()
    flags = (select(AnswerFlag.answer_id, func.count().label("n"))
             .where(AnswerFlag.resolved_at.is_(None), AnswerFlag.answer_id.is_not(None))
             .group_by(AnswerFlag.answer_id).subquery())
    drafts = select(AnswerVersion.answer_id).where(AnswerVersion.state == "draft")
    stmt = (select(Answer, func.coalesce(flags.c.n, 0), Answer.id.in_(drafts))
            .outerjoin(flags, flags.c.answer_id == Answer.id))
    if query.strip():
        stmt = stmt.where(Answer.title.ilike(f"%{query.strip()[:100]}%"))
    if attention_only:
        stmt = stmt.where(or_(
            (Answer.published.is_(True)) & (Answer.review_by < today),
            (Answer.no_count >= MANY_NO_VOTES)
            & (Answer.no_count >= NO_SHARE * (Answer.yes_count + Answer.no_count)),
            flags.c.n > 0,
        ))
    rows = (await session.execute(stmt.order_by(Answer.title).limit(500))).all()
    result = [EditorRow(a, bool(d), int(n), _reasons(a, int(n), today)) for a, n, d in rows]
    return sorted(result, key=lambda r: not r.reasons)


async def open_flags(session: AsyncSession, answer_id: int | None = None) -> list[AnswerFlag]:
    """Agents' flags not yet dealt with: on one answer, or (None) those about missing ones."""
    condition = (AnswerFlag.answer_id == answer_id if answer_id is not None
                 else AnswerFlag.answer_id.is_(None))
    found = await session.scalars(select(AnswerFlag).where(
        AnswerFlag.resolved_at.is_(None), condition).order_by(AnswerFlag.created_at))
    return list(found)


async def resolve_flag(session: AsyncSession, flag_id: int, staff_id: int) -> bool:
    """Mark a flag as dealt with; False when it does not exist or was dealt with already."""
    result = await session.execute(
        update(AnswerFlag).where(AnswerFlag.id == flag_id, AnswerFlag.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolved_by_id=staff_id))
    return bool(getattr(result, "rowcount", 0))


async def recent_feedback(session: AsyncSession, answer: Answer) -> list[AnswerFeedback]:
    """The latest comments on the published version."""
    found = await session.scalars(select(AnswerFeedback).where(
        AnswerFeedback.answer_id == answer.id, AnswerFeedback.version == answer.version,
        AnswerFeedback.comment != "").order_by(AnswerFeedback.created_at.desc()).limit(20))
    return list(found)


# --- reading ----------------------------------------------------------------------------------


async def published_answer(
    session: AsyncSession, slug: str, audiences: Sequence[str]
) -> Answer | None:
    """A published answer for these audiences; None for a draft, a withdrawn or unknown one."""
    return await session.scalar(select(Answer).where(
        Answer.slug == slug, Answer.published.is_(True), Answer.audience.in_(audiences)))


async def published_by_ids(
    session: AsyncSession, ids: Sequence[int], audiences: Sequence[str] = AUDIENCES
) -> list[Answer]:
    """Published answers by id, in the order of the ids."""
    if not ids:
        return []
    found = {a.id: a for a in await session.scalars(select(Answer).where(
        Answer.id.in_(ids), Answer.published.is_(True), Answer.audience.in_(audiences)))}
    return [found[i] for i in ids if i in found]


async def popular(session: AsyncSession, audiences: Sequence[str], limit: int = 8) -> list[Answer]:
    """The most read published answers (shown before anything is searched)."""
    found = await session.scalars(select(Answer).where(
        Answer.published.is_(True), Answer.audience.in_(audiences))
        .order_by(Answer.view_count.desc(), Answer.title).limit(limit))
    return list(found)


async def search_answers(
    session: AsyncSession, query: str, audiences: Sequence[str], *, limit: int = 10,
    prefix: bool = False,
) -> list[Answer]:
    """Published answers matching a query, best first."""
    hits = await index.search(session, query, audiences, limit=limit, prefix=prefix)
    return await published_by_ids(session, [h.answer_id for h in hits], audiences)


async def for_dossier(
    session: AsyncSession, dossier_type_id: int, status_type_id: int | None,
    audiences: Sequence[str], limit: int = 5,
) -> list[Answer]:
    """The answers for a dossier's type and current status: those about the status first,
    then those about the type as a whole."""
    specific = AnswerTarget.status_type_id.is_not(None)
    stmt = (
        select(Answer).join(AnswerTarget, AnswerTarget.answer_id == Answer.id)
        .where(AnswerTarget.dossier_type_id == dossier_type_id,
               or_(AnswerTarget.status_type_id.is_(None),
                   AnswerTarget.status_type_id == status_type_id),
               Answer.published.is_(True), Answer.audience.in_(audiences))
        .order_by(specific.desc(), Answer.title).limit(limit * 2)
    )
    seen: dict[int, Answer] = {}
    for answer in await session.scalars(stmt):
        seen.setdefault(answer.id, answer)
    return list(seen.values())[:limit]


@dataclass(frozen=True)
class Context:
    """What else is known when suggesting answers: the topic and the dossier."""

    topic_id: int | None = None
    dossier_type_id: int | None = None
    status_type_id: int | None = None


async def suggest(
    session: AsyncSession, text: str, context: Context, audiences: Sequence[str],
    limit: int = 3,
) -> list[Answer]:
    """Answers that may already answer a question being written: the text's best matches,
    with those about its topic or its dossier moved up."""
    hits = await index.search(session, text, audiences, limit=limit * 4, prefix=True)
    if not hits:
        return []
    ids = [h.answer_id for h in hits]
    boosted = await _related(session, ids, context)
    best = max(h.matched for h in hits)
    ranked = sorted(hits, key=lambda h: (h.matched < best, -(h.score * (1.5 if h.answer_id
                                                                          in boosted else 1))))
    return await published_by_ids(session, [h.answer_id for h in ranked[:limit]], audiences)


async def _related(session: AsyncSession, ids: Sequence[int], context: Context) -> set[int]:
    related: set[int] = set()
    if context.topic_id:
        related |= set(await session.scalars(select(AnswerTopic.answer_id).where(
            AnswerTopic.answer_id.in_(ids), AnswerTopic.topic_id == context.topic_id)))
    if context.dossier_type_id:
        related |= set(await session.scalars(select(AnswerTarget.answer_id).where(
            AnswerTarget.answer_id.in_(ids),
            AnswerTarget.dossier_type_id == context.dossier_type_id,
            or_(AnswerTarget.status_type_id.is_(None),
                AnswerTarget.status_type_id == context.status_type_id))))
    return related


def dossier_facts(view: DossierView) -> DossierFacts:
    """What an answer's placeholders may say about a dossier the reader may see."""
    d = view.dossier
    return DossierFacts(
        reference=d.reference, type_name=view.dossier_type.name_nl,
        status=view.current.label_nl if view.current else "", department=d.department,
        opened_on=d.opened_on, expected_end=d.expected_end,
    )


@dataclass(frozen=True)
class AskForm:
    """What a citizen has typed in the ask form so far."""

    text: str
    topic_id: int | None = None
    dossier_reference: str = ""
    form_key: str | None = None

    @classmethod
    def from_form(cls, values: dict[str, str]) -> AskForm:
        """From the posted fields of the ask form (body, topic, dossier, submit_key)."""
        topic = values.get("topic", "")
        return cls(
            text=values.get("body", ""),
            topic_id=int(topic) if topic.isdigit() and len(topic) < 10 else None,
            dossier_reference=values.get("dossier", ""),
            form_key=values.get("submit_key") or None,
        )


async def suggest_for_form(
    session: AsyncSession, access: Access, audience: str, form: AskForm
) -> dict[str, Any]:
    """Suggestions for an ask form's text, topic and dossier (placeholders filled from that
    dossier, if the visitor may see it), counted with the form's key: the context of
    questions/_suggestions.html."""
    if len(form.text.strip()) < 3:
        return {"suggestions": [], "suggestion_bodies": {}}
    context, facts = Context(topic_id=form.topic_id), None
    if form.dossier_reference:
        view = await get_dossier_view(session, form.dossier_reference[:40], access.scope(),
                                      access.loa)
        if view is not None and not view.locked:
            context = Context(form.topic_id, view.dossier.dossier_type_id,
                              view.dossier.current_status_id)
            facts = dossier_facts(view)
    answers = await suggest(session, form.text[:2000], context, audiences_for(audience))
    await record(session, "suggested", [a.id for a in answers], "ask", form.form_key)
    fill = facts.values() if facts else None
    return {"suggestions": answers,
            "suggestion_bodies": {a.id: render_html(a.body, fill) for a in answers}}


# --- feedback, events, flags ------------------------------------------------------------------


async def give_feedback(
    session: AsyncSession, answer: Answer, helpful: bool, comment: str = ""
) -> None:
    """A vote on the published version ('Heeft dit antwoord u geholpen?'); no one's identity
    is kept with it."""
    text = _text(comment, "comment", MAX_COMMENT, required=False)
    session.add(AnswerFeedback(answer_id=answer.id, version=answer.version, helpful=helpful,
                               comment=text))
    column = Answer.yes_count if helpful else Answer.no_count
    await session.execute(update(Answer).where(Answer.id == answer.id)
                          .values({column: column + 1}))
    await session.flush()


_EVENT = insert(AnswerEvent)


async def record(
    session: AsyncSession, kind: str, answer_ids: Sequence[int | None], context: str = "",
    form_key: str | None = None, question_id: int | None = None,
) -> None:
    """Count a moment for each answer (a view also adds to the answer's view count)."""
    if not answer_ids:
        return
    now = utcnow()
    key = form_key[:64] if form_key else None
    await session.execute(_EVENT, [
        {"kind": kind, "answer_id": a, "context": context[:12], "form_key": key,
         "question_id": question_id, "at": now} for a in answer_ids])
    if kind == "view":
        ids = [a for a in answer_ids if a is not None]
        await session.execute(update(Answer).where(Answer.id.in_(ids))
                              .values(view_count=Answer.view_count + 1))


async def suggestions_shown(session: AsyncSession, form_key: str) -> bool:
    """Whether answers were suggested in the form with this key."""
    found = await session.scalar(select(AnswerEvent.id).where(
        AnswerEvent.form_key == form_key, AnswerEvent.kind == "suggested").limit(1))
    return found is not None


async def flag(
    session: AsyncSession, staff_id: int, kind: str, comment: str,
    answer_id: int | None = None, question_id: int | None = None,
) -> AnswerFlag:
    """An agent tells the editors that an answer is wrong, or that one is missing."""
    if kind not in FLAG_KINDS:
        raise AnswerError("kind", "unknown")
    text = _text(comment, "comment", MAX_COMMENT)
    if kind == "wrong" and (answer_id is None or await session.get(Answer, answer_id) is None):
        raise AnswerError("answer", "unknown")
    found = AnswerFlag(kind=kind, answer_id=answer_id if kind == "wrong" else None,
                       question_id=question_id, comment=text, staff_id=staff_id)
    session.add(found)
    await session.flush()
    return found


@dataclass(frozen=True)
class Deflection:
    """How the answers keep questions away, over a period."""

    views: int
    suggested: int  # suggestions shown
    opened: int  # suggestions opened
    forms_opened: int  # forms in which a suggestion was opened
    forms_not_sent: int  # ... of which no question was sent


async def deflection(session: AsyncSession, since: datetime) -> Deflection:
    """Views, suggestions shown and opened, and the forms where an opened suggestion was
    followed by no question at all."""
    counts = dict((await session.execute(
        select(AnswerEvent.kind, func.count()).where(AnswerEvent.at >= since)
        .group_by(AnswerEvent.kind))).all())
    opened_forms = (select(AnswerEvent.form_key).where(
        AnswerEvent.kind == "opened", AnswerEvent.at >= since,
        AnswerEvent.form_key.is_not(None)).distinct().subquery())
    asked = select(AnswerEvent.form_key).where(
        AnswerEvent.kind == "asked", AnswerEvent.form_key.is_not(None))
    forms_opened = await session.scalar(select(func.count()).select_from(opened_forms)) or 0
    not_sent = await session.scalar(select(func.count()).select_from(opened_forms).where(
        opened_forms.c.form_key.not_in(asked))) or 0
    return Deflection(counts.get("view", 0), counts.get("suggested", 0),
                      counts.get("opened", 0), forms_opened, not_sent)


def review_default(today: date | None = None) -> date:
    """The review-by date a new answer starts with: a year from now."""
    return (today or date.today()) + timedelta(days=365)
