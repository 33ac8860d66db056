"""Every route of the portal front end (citizens and businesses), in the order they match."""

from __future__ import annotations

from starlette.routing import BaseRoute

from mijn.http.portal import (
    answers,
    attachments,
    documents,
    dossiers,
    keepalive,
    mandates,
    notifications,
    pages,
    profile,
    questions,
    satisfaction,
    tasks,
    theme,
    thread,
)

routes: list[BaseRoute] = [
    *dossiers.routes,
    *tasks.routes,
    *documents.routes,
    *attachments.routes,
    *answers.routes,
    *satisfaction.routes,  # before questions' /mijn/vragen/{reference}/{action}
    *questions.routes,
    *thread.routes,
    *mandates.routes,
    *notifications.routes,
    *pages.routes,
    *profile.routes,
    *keepalive.routes,
    *theme.routes,
]
