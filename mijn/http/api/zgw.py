"""The API's ZGW route: the Notificaties API callback."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

from mijn.db import request_session
from mijn.http.api.common import ApiProblem, failed, not_blocked, read_json
from mijn.intake.zgw import NOTIFICATION_SCHEMA, receive_notification
from mijn.intake.zgw_client import notification_token_valid
from mijn.intake.zgw_queue import process_received

log = logging.getLogger(__name__)


async def _zgw_authorise(request: Request) -> None:
    """The Notificaties API's token (failures count towards API_FAILURES, as the API's do)."""
    settings = request.app.state.settings.zgw
    await not_blocked(request)
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise await failed(request, ApiProblem(
            401, "Send the notifications token as 'Authorization: Bearer <token>' "
                 "(the token itself, or a ZGW JWT signed with it).",
            headers={"WWW-Authenticate": "Bearer"}))
    if not notification_token_valid(token.strip(), settings):
        raise await failed(request, ApiProblem(
            401, "The token is not valid for ZGW notifications.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}))


async def _process_soon(app: Starlette, notification_id: int) -> None:
    """Process a new notification after the answer went out; a failure waits for a retry."""
    try:
        await process_received(app.state.sessionmaker, app.state.zgw,
                                   app.state.settings.zgw, notification_id)
    except Exception:
        log.exception("ZGW notification %s: not processed now; `mijn zgw retry` will retry it",
                      notification_id)


async def zgw_notification(request: Request) -> Response:
    """A Notificaties API callback: stored at once, processed after the 204 went out."""
    if request.app.state.zgw is None:
        raise ApiProblem(404, "This portal does not take ZGW notifications "
                              "(MIJN_ZGW_NOTIFICATIONS_TOKEN is not set).")
    await _zgw_authorise(request)
    body = await read_json(request, NOTIFICATION_SCHEMA)
    async with request_session(request) as session:
        notification = await receive_notification(
            session, body, request.app.state.settings.zgw
        )
        await session.commit()
    if notification is None:
        return Response(status_code=204)
    return Response(status_code=204,
                    background=BackgroundTask(_process_soon, request.app, notification.id))
