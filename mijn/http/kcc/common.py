"""What every KCC page shares: the staff member of the session, rendering with the KCC menu,
and the audit of what staff view.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from mijn.access.staff import Staff
from mijn.audit.service import record_access
from mijn.http.common import render, small_int
from mijn.http.session import require_identity
from mijn.questions.handover import handover_news
from mijn.questions.models import Question
from mijn.questions.states import allowed_actions
from mijn.questions.workflow import HOLDER_ACTIONS, Handover, handed_away


def require_staff(request: Request) -> Staff:
    """The logged-in staff member (from the staff session only), or off to the staff login."""
    identity = require_identity(request, "staff")
    staff = Staff(id=identity.party_id, roles=identity.roles)
    request.state.staff = staff  # for the menu of every KCC page
    return staff


def render_staff(
    request: Request, template: str, context: dict[str, Any], **options: Any
) -> Response:
    """Render a KCC page; the menu knows who is logged in."""
    context.setdefault("staff", getattr(request.state, "staff", None))
    context.setdefault("handover_news", getattr(request.state, "handover_news", None))
    return render(request, template, context, **options)


async def note_handover_news(request: Request, session: AsyncSession, staff: Staff) -> None:
    """For the menu: how many questions were handed to this specialist or their team and
    not opened yet (a badge, "Aan u doorgezet (2)")."""
    request.state.handover_news = await handover_news(session, staff)


async def audit_view(
    session: AsyncSession, staff: Staff, action: str, party_id: int | None, role: str,
    **context: int | str | None,
) -> None:
    """Keep in the audit log that this staff member, in this role, saw a party's data (and
    which: a question_id, a dossier_id, a searched identifier's subject_hash)."""
    await record_access(
        session, actor_type="staff", actor_id=str(staff.id), actor_role=role, action=action,
        party_id=party_id, **context,  # type: ignore[arg-type]
    )


async def audit_question_view(session: AsyncSession, staff: Staff, question: Question) -> None:
    """Keep in the audit log that this staff member opened this question (and its dossier)."""
    await audit_view(
        session, staff, "kcc.question.view", question.party_id, staff.role_for(question),
        question_id=question.id, dossier_id=question.dossier_id,
    )


def handover_from_form(values: dict[str, str]) -> Handover:
    """A handover as the form describes it (the workspace and a callback request)."""
    return Handover(
        team_id=small_int(values.get("team")), specialist_id=small_int(values.get("specialist")),
        who=values.get("who", ""), what=values.get("what", ""), tried=values.get("tried", ""),
    )


def workspace_actions(question: Question, staff: Staff) -> set[str]:
    """What this staff member may do with the question now (the workspace shows just these)."""
    actions = set(allowed_actions(question.state)) - {"citizen_reply"}
    if not staff.sees_all:
        actions -= {"claim", "release"}
    if question.state == "claimed" and not staff.may_release(question.assignee_id):
        actions.discard("release")
    if not staff.is_specialist or question.assignee_id == staff.id:
        actions.discard("take")
    if not staff.may_answer(question.assignee_id) or handed_away(question, staff):
        actions -= HOLDER_ACTIONS
    if not (staff.is_specialist and staff.may_answer(question.assignee_id)):
        actions.discard("hand_back")
    if not staff.may_take_over(question.assignee_id):
        actions.discard("take_over")
    return actions | {"note"}


# Whoever may send the reply adds documents to go with it.
UPLOADERS = frozenset({"reply", "wait"})


def may_upload(question: Question, staff: Staff) -> bool:
    """Whether this staff member adds documents to the question's dossier now: a question
    about a dossier that they may reply to (nobody else holds it, not handed away)."""
    return question.dossier_id is not None and bool(
        UPLOADERS & workspace_actions(question, staff))
