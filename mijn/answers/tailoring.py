"""Answers tailored to a reader: suggestions for a question being written (moved up when
about its topic or dossier), and the facts of a dossier an answer's placeholders may show."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.access.scope import Access
from mijn.answers import search as index
from mijn.answers.events import record
from mijn.answers.models import (
    Answer,
    AnswerTarget,
    AnswerTopic,
)
from mijn.answers.reading import audiences_for, published_by_ids
from mijn.answers.text import DossierFacts, render_html
from mijn.dossiers.service import DossierView, get_dossier_view


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
    return await published_by_ids(session, await _ranked(session, text, context, audiences,
                                                         limit), audiences)


async def _ranked(
    session: AsyncSession, text: str, context: Context, audiences: Sequence[str], limit: int
) -> list[int]:
    hits = await index.search(session, text, audiences, limit=limit * 4, prefix=True)
    if not hits:
        return []
    ids = [h.answer_id for h in hits]
    boosted = await _related(session, ids, context)
    best = max(h.matched for h in hits)
    ranked = sorted(hits, key=lambda h: (h.matched < best, -(h.score * (1.5 if h.answer_id
                                                                          in boosted else 1))))
    return [h.answer_id for h in ranked[:limit]]


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
