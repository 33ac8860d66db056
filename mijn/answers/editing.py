"""Writing answers: an editor's draft checked and saved as a version, a new answer, the
versions kept and what changed between two of them. Publishing is in publishing.py."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.answers.errors import AnswerError, checked_text
from mijn.answers.models import AUDIENCES, Answer, AnswerVersion
from mijn.answers.text import unknown_placeholders
from mijn.db import utcnow
from mijn.dossiers.service import type_catalogue
from mijn.questions.common import list_topics

MAX_TITLE, MAX_BODY, MAX_NOTES = 200, 20_000, 10_000


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


async def check_draft(session: AsyncSession, draft: Draft) -> CheckedDraft:
    """The draft with every field checked; AnswerError names the first field that is wrong."""
    title = checked_text(draft.title, "title", MAX_TITLE)
    body = checked_text(draft.body, "body", MAX_BODY)
    unknown = unknown_placeholders(body)
    if unknown:
        raise AnswerError("body", "placeholder", ", ".join(unknown))
    notes = checked_text(draft.internal_notes, "internal_notes", MAX_NOTES, required=False)
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


async def versions(session: AsyncSession, answer_id: int) -> list[AnswerVersion]:
    """Every version of an answer, newest first."""
    found = await session.scalars(select(AnswerVersion).where(
        AnswerVersion.answer_id == answer_id).order_by(AnswerVersion.number.desc()))
    return list(found)


WORDS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class DiffPart:
    """A run of words in a comparison: kept ("="), removed ("-") or added ("+")."""

    change: str
    text: str


def compare_words(before: str, after: str) -> list[DiffPart]:
    """Word by word what changed from one text to another; spaces and line breaks are kept
    as they were, so the text reads as written with the changed words marked."""
    old, new = WORDS.findall(before), WORDS.findall(after)
    parts: list[DiffPart] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            parts.append(DiffPart("=", "".join(old[i1:i2])))
            continue
        if i2 > i1:
            parts.append(DiffPart("-", "".join(old[i1:i2])))
        if j2 > j1:
            parts.append(DiffPart("+", "".join(new[j1:j2])))
    return parts


def compare(old: AnswerVersion, new: AnswerVersion) -> dict[str, list[DiffPart]]:
    """Word by word what changed between two versions, per field that changed."""
    fields = {
        "title": (old.title, new.title), "body": (old.body, new.body),
        "internal_notes": (old.internal_notes, new.internal_notes),
        "audience": (old.audience, new.audience),
        "review_by": (str(old.review_by or ""), str(new.review_by or "")),
        "topics": (old.topics, new.topics), "targets": (old.targets, new.targets),
    }
    return {name: compare_words(before, after)
            for name, (before, after) in fields.items() if before != after}


def review_default(today: date | None = None) -> date:
    """The review-by date a new answer starts with: a year from now."""
    return (today or date.today()) + timedelta(days=365)
