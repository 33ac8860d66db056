"""The API's Open Klant route: the Notificaties API callback of the import (kanalen
klantcontacten and internetaken). Taken in while the sender waits: when Open Klant cannot be
read, the answer is 503 with Retry-After, and the Notificaties API sends it again later."""

from __future__ import annotations

import logging

import httpx
from starlette.requests import Request
from starlette.responses import Response

from mijn.db import request_session
from mijn.http.api.common import ApiProblem, failed, not_blocked, read_json
from mijn.intake.zgw import NOTIFICATION_SCHEMA, parse_message
from mijn.intake.zgw_client import shared_token_valid
from mijn.openklant.client import OpenKlantClient, OpenKlantError
from mijn.openklant.imports import NotOurs, take_in
from mijn.openklantsettings import OpenKlantSettings

log = logging.getLogger(__name__)
RETRY_AFTER = "60"  # seconds: when to send a notification again that could not be read


def _settings(request: Request) -> OpenKlantSettings:
    settings: OpenKlantSettings = request.app.state.settings.openklant
    return settings


async def _authorise(request: Request) -> None:
    """Open Klant's notifications token (failures count towards API_FAILURES, as the API's)."""
    await not_blocked(request)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise await failed(request, ApiProblem(
            401, "Send the notifications token as 'Authorization: Bearer <token>' "
                 "(the token itself, or a JWT signed with it).",
            headers={"WWW-Authenticate": "Bearer"}))
    if not shared_token_valid(token.strip(), _settings(request).notifications_token.reveal()):
        raise await failed(request, ApiProblem(
            401, "The token is not valid for Open Klant notifications.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}))


def _unavailable(exc: Exception) -> ApiProblem:
    """Open Klant could not be read: try again later (503), or it refused Mijn (502)."""
    if isinstance(exc, OpenKlantError) and not exc.temporary:
        return ApiProblem(502, f"{exc}: see Mijn's Open Klant settings.")
    return ApiProblem(503, "Open Klant could not be read now; send this notification again "
                           "later.", headers={"Retry-After": RETRY_AFTER})


async def openklant_notification(request: Request) -> Response:
    """A notification from Open Klant: the object it names is read and taken in (204)."""
    settings = _settings(request)
    if not settings.takes_notifications:
        raise ApiProblem(404, "This portal does not take Open Klant notifications "
                              "(MIJN_OPENKLANT_NOTIFICATIONS_TOKEN is not set).")
    await _authorise(request)
    message = parse_message(await read_json(request, NOTIFICATION_SCHEMA))
    if message.kanaal == "test":
        return Response(status_code=204)
    async with request_session(request) as session, OpenKlantClient(settings) as client:
        try:
            outcome = await take_in(session, client, message.kanaal, message.actie,
                                    message.hoofd_object)
        except NotOurs as exc:
            raise ApiProblem(422, str(exc), [{"field": exc.field, "message": str(exc)}]
                             ) from None
        except OpenKlantError as exc:
            if exc.status == 404:  # removed since: nothing to take in
                log.info("Open Klant notification: %s", exc)
                return Response(status_code=204)
            log.warning("Open Klant notification not taken in: %s", exc)
            raise _unavailable(exc) from None
        except httpx.HTTPError as exc:
            log.warning("Open Klant notification not taken in: %s", type(exc).__name__)
            raise _unavailable(exc) from None
        await session.commit()
    log.info("Open Klant notification: %s (%s)", outcome.result, outcome.reason)
    return Response(status_code=204)
