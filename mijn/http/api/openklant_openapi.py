"""The Open Klant import's part of the OpenAPI document: the notifications callback."""

from __future__ import annotations

from typing import Any

SECURITY = {
    "openklantNotifications": {
        "type": "http", "scheme": "bearer",
        "description": "MIJN_OPENKLANT_NOTIFICATIONS_TOKEN itself, or a JWT (HS256) signed "
                       "with it as the secret.",
    },
}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def paths() -> dict[str, Any]:
    """The path of the callback."""
    return {"/api/v1/openklant/notificaties": {"post": {
        "operationId": "postOpenKlantNotificatie",
        "summary": "Callback of Open Klant's Notificaties API (kanalen 'klantcontacten' and "
                   "'internetaken').",
        "description": (
            "Subscribe this URL to kanalen 'klantcontacten' and 'internetaken' with the "
            "notifications token as auth. Mijn reads the object hoofdObject names (a "
            "klantcontact or an internetaak of the Open Klant in MIJN_OPENKLANT_URL) with "
            "its own token before it answers: a klantcontact that answers one of Mijn's "
            "questions becomes a reply in that question's thread (once); another one of a "
            "party Mijn knows (by BSN or KvK number) becomes a contact of that party; an "
            "internetaak that is 'verwerkt' brings in the replies to its klantcontact. "
            "Mijn's own objects and what it took in before change nothing. Kanaal 'test' "
            "only checks the connection."),
        "security": [{"openklantNotifications": []}],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/ZgwNotificatie"}}}},
        "responses": {
            "204": {"description": "Taken in (or nothing to do for Mijn)."},
            "401": _problem("No token, or a wrong one."),
            "404": _problem("This portal takes no Open Klant notifications."),
            "422": _problem("Not a notification, or hoofdObject is not an object of this "
                            "portal's Open Klant."),
            "502": _problem("Open Klant refused Mijn's request (its token or settings)."),
            "503": _problem("Open Klant could not be read now: send it again (Retry-After)."),
        },
    }}}
