"""The step-up page: what needs a higher level of assurance than the session's (a dossier,
a question about it, asking about it) says only that it exists, and logs in again at that
level, back to the same page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mijn.dossiers.service import DossierView
from mijn.http.common import render
from mijn.http.session import require_identity

# What the visitor wanted to do: the heading of the page says it.
PURPOSES = ("dossier", "question", "ask", "task")


def step_up(
    request: Request, view: DossierView, unread: int, next_url: str, purpose: str = "dossier"
) -> Response:
    """The locked dossier's page: log in again at its type's level, then back to next_url."""
    assert purpose in PURPOSES
    identity = require_identity(request)
    context = {"view": view, "unread_messages": unread, "audience": identity.audience,
               "next_url": next_url, "purpose": purpose}
    return render(request, "portal/dossiers/step_up.html", context)
