"""The party a portal request acts for: the login, checked against today's mandates."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from mijn.access.resolve import resolve_access
from mijn.access.scope import Access
from mijn.dossiers.service import locked_dossier_ids, scope_dossier_ids
from mijn.http.portal.kept import owner_tag
from mijn.http.session import act_for, require_identity
from mijn.notifications.service import NewsScope
from mijn.questions.asking import locked_question_ids, scope_question_ids


async def portal_access(request: Request, session: AsyncSession) -> Access:
    """Whose data this request uses (LoginRequired when nobody is logged in). A mandate
    that expired or was revoked since it was chosen is dropped from the session here; the
    header of the page shows for whom the visitor acts."""
    identity = require_identity(request)
    access = await resolve_access(session, identity)
    if identity.mandate_id is not None and access.mandate_id is None:
        await act_for(request, None)
    request.state.access = access
    request.state.kept_for = owner_tag(request, access)  # the forms' kept_for (see kept.py)
    return access


def news_scope(access: Access) -> NewsScope | None:
    """The news of the party acted for that this visitor may see: about the dossiers and
    questions of their branch or of their mandate's types, and none about a dossier above
    the session's level of assurance (None: all of it)."""
    scope = access.scope()
    locked = locked_dossier_ids(scope), locked_question_ids(scope)
    if scope.restricted:
        return NewsScope(scope_dossier_ids(scope), scope_question_ids(scope), *locked)
    return NewsScope(None, None, *locked) if locked[0] is not None else None
