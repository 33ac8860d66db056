"""The language a party reads, remembered with the party: applied to the interface at every
login, so that the website and the e-mails speak the same language."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from mijn.i18n import DEFAULT_LANGUAGE, LANGUAGES
from mijn.parties.models import Party


async def language_at_login(session: AsyncSession, party_id: int, browser: str | None) -> str:
    """The language of the interface after a citizen's login (the caller commits).

    A language the party chose before (any but the default) wins over the browser's. A party
    still at the default takes the language chosen in this browser before logging in (on
    the login page, say), and keeps it for its e-mails too: Dutch is not a choice anyone
    made, and the party's latest choice is the one to remember."""
    party = await session.get(Party, party_id)
    if party is None:
        return browser if browser in LANGUAGES else DEFAULT_LANGUAGE
    stored = party.language if party.language in LANGUAGES else DEFAULT_LANGUAGE
    if stored == DEFAULT_LANGUAGE and browser in LANGUAGES and browser != stored:
        party.language = browser
        return browser
    return stored
