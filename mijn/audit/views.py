"""Who looked at a party's data, as the party may read it ("Wie heeft mijn gegevens
bekeken"): the staff's views of the party, its dossiers and questions, and what
representatives opened for it; by role and organisation, never a staff member's name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.audit.models import AuditEvent

# What counts as looking at the party's data, and which party looked: the staff's views
# (a look-up that found the party, its page, a dossier, a question) and the dossiers and
# questions a representative opened while acting for the party.
STAFF_VIEWS = ("kcc.party.search_hit", "kcc.party.view", "kcc.dossier.view", "kcc.question.view",
               "kcc.question.example")  # an editor read it masked, as an example
REPRESENTATIVE_VIEWS = ("dossier.view", "question.view")


@dataclass(frozen=True)
class ViewScope:
    """The part of the views a visitor may read (id selects): only those about these
    dossiers or questions (a branch, a mandate's types; None: all, also views of the party as
    a whole), and never those about a dossier or question above the session's level."""

    dossiers: Select[Any] | None = None
    questions: Select[Any] | None = None
    locked_dossiers: Select[Any] | None = None
    locked_questions: Select[Any] | None = None


@dataclass(frozen=True)
class View:
    """One look at the party's data: when, by whom (staff role, or a representative's
    mandate), what, and which dossier or question."""

    at: datetime
    action: str
    actor_type: str  # staff | party (a representative)
    role: str | None  # the staff role: agent, specialist, lead
    mandate_id: int | None
    dossier_id: int | None
    question_id: int | None


@dataclass(frozen=True)
class ViewPage:
    """One page of the views, newest first, and how many are left out for the level."""

    views: list[View]
    page: int
    pages: int
    total: int
    hidden: int  # about a dossier or question above the session's level of assurance


def _viewers() -> ColumnElement[bool]:
    return or_(
        and_(AuditEvent.actor_type == "staff", AuditEvent.action.in_(STAFF_VIEWS)),
        and_(AuditEvent.actor_type == "party", AuditEvent.actor_role == "representative",
             AuditEvent.action.in_(REPRESENTATIVE_VIEWS)),
    )


def _in_scope(scope: ViewScope | None) -> list[ColumnElement[bool]]:
    if scope is None or scope.dossiers is None or scope.questions is None:
        return []
    return [or_(AuditEvent.dossier_id.in_(scope.dossiers),
                AuditEvent.question_id.in_(scope.questions))]


def _locked(scope: ViewScope | None) -> ColumnElement[bool] | None:
    """True for a view about something above the session's level (None: nothing is); never
    NULL, so that its negation keeps the views of the party as a whole."""
    if scope is None:
        return None
    found = []
    if scope.locked_dossiers is not None:
        found.append(and_(AuditEvent.dossier_id.is_not(None),
                          AuditEvent.dossier_id.in_(scope.locked_dossiers)))
    if scope.locked_questions is not None:
        found.append(and_(AuditEvent.question_id.is_not(None),
                          AuditEvent.question_id.in_(scope.locked_questions)))
    return or_(*found) if found else None


async def data_views(
    session: AsyncSession, party_id: int, within: ViewScope | None, page: int, page_size: int
) -> ViewPage:
    """Who looked at the party's data (in scope), a page at a time, newest first: two
    counts and one page, each in the database."""
    where = [AuditEvent.party_id == party_id, _viewers(), *_in_scope(within)]
    locked = _locked(within)
    hidden = 0
    if locked is not None:
        hidden = int(await session.scalar(
            select(func.count()).select_from(AuditEvent).where(*where, locked)) or 0)
        where.append(~locked)
    total = int(await session.scalar(select(func.count()).select_from(AuditEvent).where(*where))
                or 0)
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    rows = await session.execute(
        select(AuditEvent.at, AuditEvent.action, AuditEvent.actor_type, AuditEvent.actor_role,
               AuditEvent.mandate_id, AuditEvent.dossier_id, AuditEvent.question_id)
        .where(*where)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(page_size).offset((page - 1) * page_size)
    )
    views = [View(r.at, r.action, r.actor_type,
                  r.actor_role if r.actor_type == "staff" else None,
                  r.mandate_id, r.dossier_id, r.question_id) for r in rows]
    return ViewPage(views, page, pages, total, hidden)
