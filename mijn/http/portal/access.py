"""The party a portal request acts for: the login, checked against today's mandates."""

from __future__ import annotations

from typing import TypedDict

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from mijn.http.session import act_for, require_identity
from mijn.mandates.service import Access, resolve_access
from mijn.notifications.service import NewsScope
from mijn.questions.service import scope_question_ids


async def portal_access(request: Request, session: AsyncSession) -> Access:
    """Whose data this request uses (LoginRequired when nobody is logged in). A mandate
    that expired or was revoked since it was chosen is dropped from the session here; the
    header of the page shows for whom the visitor acts."""
    identity = require_identity(request)
    access = await resolve_access(session, identity)
    if identity.mandate_id is not None and access.mandate_id is None:
        act_for(request, None)
    request.state.access = access
    return access


class AuditFields(TypedDict):
    """The who-for-whom fields of an audit event."""

    actor_type: str
    actor_id: str
    actor_role: str | None
    party_id: int | None
    mandate_id: int | None


def audit_fields(access: Access) -> AuditFields:
    """Both identities for the audit log: who acts, for whom, through which mandate."""
    actor_type = "party" if access.actor_type == "representative" else access.actor_type
    return {
        "actor_type": actor_type, "actor_id": access.actor_id,
        "actor_role": access.actor_type if access.on_behalf else None,
        "party_id": access.party_id, "mandate_id": access.mandate_id,
    }


def news_scope(access: Access) -> NewsScope:
    """The news of the party acted for that this visitor may see: about the dossiers and
    questions of their branch or of their mandate's types (None: all of it)."""
    if not access.scope().restricted:
        return None
    scope = access.scope()
    return scope.dossier_ids(), scope_question_ids(scope)
