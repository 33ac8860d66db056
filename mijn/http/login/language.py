"""The interface language after a login: the one remembered with the party (see
mijn.parties.language), set as the language cookie."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mijn.access.identity import Identity
from mijn.db import request_session
from mijn.http.common import LANG_COOKIE
from mijn.parties.language import language_at_login
from mijn.settings import Settings

LANG_MAX_AGE = 365 * 24 * 3600


async def apply_party_language(request: Request, response: Response, identity: Identity) -> None:
    """A citizen's remembered language becomes the interface's (a business login shares its
    company with other employees: their browser's own choice stays)."""
    if identity.audience != "citizen":
        return
    async with request_session(request) as session:
        code = await language_at_login(session, identity.party_id, request.cookies.get(LANG_COOKIE))
        await session.commit()
    settings: Settings = request.app.state.settings
    response.set_cookie(LANG_COOKIE, code, max_age=LANG_MAX_AGE, httponly=True, samesite="lax",
                        secure=settings.is_production)
