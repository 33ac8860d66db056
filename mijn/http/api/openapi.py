"""The OpenAPI 3.1 document of the intake API, built from the same schemas that validate."""

from __future__ import annotations

from typing import Any

from mijn.http.api import documentspec, openklant_openapi, schemas, task_openapi
from mijn.intake import zgw


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


def _json(ref: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


def _body(ref: str) -> dict[str, Any]:
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


ERRORS = {
    "400": _problem("The body is not JSON, or the address holds a control character "
                    "(such as NUL)."),
    "401": _problem("No token, or an unknown or revoked one."),
    "403": _problem("The token may not write this source, or lacks the scope."),
    "413": _problem("The body is larger than 256 KiB."),
    "415": _problem("The body is not sent as application/json."),
    "422": _problem("A field is missing or invalid; errors[] names each field."),
}
NOT_FOUND = {"404": _problem("No such dossier.")}
DOSSIER_PATH_PARAMS = [
    {"name": "source", "in": "path", "required": True,
     "schema": {"type": "string", "minLength": 1, "maxLength": 80},
     "description": "Your API client's source."},
    {"name": "external_id", "in": "path", "required": True,
     "schema": {"type": "string", "minLength": 1, "maxLength": 200},
     "description": "Your id of the dossier."},
]


MANDATE_PATH_PARAMS = [
    {**DOSSIER_PATH_PARAMS[0]},
    {**DOSSIER_PATH_PARAMS[1], "description": "Your id of the mandate."},
]


BAD_ADDRESS = _problem("The address holds a control character (such as NUL); it is "
                       "refused before the operation runs.")
TOO_MANY = {
    **_problem("Too many failed token checks from this address (MIJN_RATE_API_FAILURES): "
               "every request from it is refused until Retry-After has passed, even with "
               "a valid token."),
    "headers": {"Retry-After": {"description": "Seconds to wait before trying again.",
                                "schema": {"type": "integer", "minimum": 1}}},
}
METHODS = ("get", "put", "post", "delete", "patch")


def openapi_document(base_url: str) -> dict[str, Any]:
    """The whole document; every operation also lists the 400 the boundary gives and the 429
    of an address with too many failed token checks."""
    document = _document(base_url)
    for item in document["paths"].values():
        for method in METHODS:
            if method in item:
                item[method]["responses"].setdefault("400", BAD_ADDRESS)
                item[method]["responses"].setdefault("429", TOO_MANY)
    return document


def _document(base_url: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": _info(),
        "servers": [{"url": base_url}],
        "security": [{"bearer": []}],
        "components": _components(),
        "paths": {
            "/api/v1/ping": _ping(),
            "/api/v1/dossier-types/{code}": _dossier_type(),
            "/api/v1/dossiers/{source}/{external_id}": _dossier(),
            "/api/v1/dossiers/{source}/{external_id}/statuses": _statuses(),
            "/api/v1/dossiers/{source}/{external_id}/forwardings": _forwardings(),
            **documentspec.document_paths(DOSSIER_PATH_PARAMS),
            "/api/v1/mandates/{source}/{external_id}": _mandate(),
            "/api/v1/zgw/notificaties": _zgw_notificaties(),
            **openklant_openapi.paths(),
            **task_openapi.paths(ERRORS),
        },
    }


def _info() -> dict[str, Any]:
    return {
        "title": "Mijn intake API",
        "version": "1.0.0",
        "description": (
            "Back-office systems push dossiers (cases and reports) and their statuses. "
            "Every write is idempotent: PUT a dossier as often as you like; a status "
            "with an event_id seen before is recorded once. Statuses may arrive out of "
            "order: the latest occurred_at is the current status. Unknown dossier types "
            "are refused: register them first with PUT /api/v1/dossier-types/{code} "
            "(scope 'catalogue'). Errors are RFC 9457 problem details."
        ),
    }


def _components() -> dict[str, Any]:
    return {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "zgwNotifications": {
                "type": "http", "scheme": "bearer",
                "description": "MIJN_ZGW_NOTIFICATIONS_TOKEN itself, or a ZGW JWT "
                               "(HS256) signed with it as the secret.",
            },
            **openklant_openapi.SECURITY,
        },
        "schemas": {
            "DossierTypeIn": schemas.DOSSIER_TYPE_IN,
            "DossierIn": schemas.DOSSIER_IN,
            "StatusIn": schemas.STATUS_IN,
            "ForwardingIn": schemas.FORWARDING_IN,
            "Dossier": schemas.DOSSIER_OUT,
            "StatusOut": schemas.STATUS_OUT,
            "MandateIn": schemas.MANDATE_IN,
            "Mandate": schemas.MANDATE_OUT,
            "ZgwNotificatie": zgw.NOTIFICATION_SCHEMA,
            **task_openapi.SCHEMAS,
            "Problem": schemas.PROBLEM,
            **documentspec.SCHEMAS,
        },
    }


def _ping() -> dict[str, Any]:
    return {
        "get": {
            "operationId": "ping", "summary": "Check your token.",
            "responses": {
                "200": {"description": "The token is valid.", "content": {
                    "application/json": {"schema": {"type": "object"}}}},
                "401": ERRORS["401"], "403": ERRORS["403"],
            },
        }
    }


def _dossier_type() -> dict[str, Any]:
    return {
        "put": {
            "operationId": "putDossierType",
            "summary": "Register or update a dossier type and its ordered statuses.",
            "description": (
                "A type belongs to the source of the client that registered it (or to "
                "the configuration): only that source may change it. A field left out "
                "keeps its value."
            ),
            "parameters": [{"name": "code", "in": "path", "required": True,
                            "schema": schemas.CODE}],
            "requestBody": _body("DossierTypeIn"),
            "responses": {
                "204": {"description": "Stored."}, **ERRORS,
                "403": _problem("The token lacks the scope, or the type belongs to another "
                                "source (or the code is reserved)."),
            },
        }
    }


def _dossier() -> dict[str, Any]:
    return {
        "parameters": DOSSIER_PATH_PARAMS,
        "put": {
            "operationId": "putDossier",
            "summary": "Create or update a dossier (idempotent upsert).",
            "requestBody": _body("DossierIn"),
            "responses": {
                "200": _json("Dossier", "Updated (or unchanged)."),
                "201": _json("Dossier", "Created."),
                **ERRORS,
                "409": _problem("The reference cannot be used (in use; the answer does not "
                                "say by which dossier), or the type would change."),
            },
        },
        "get": {
            "operationId": "getDossier",
            "summary": "Read a dossier back.",
            "responses": {
                "200": _json("Dossier", "The dossier."),
                "401": ERRORS["401"], "403": ERRORS["403"], **NOT_FOUND,
                "422": _problem("The source or external_id in the path is invalid."),
            },
        },
    }


def _statuses() -> dict[str, Any]:
    return {
        "parameters": DOSSIER_PATH_PARAMS,
        "post": {
            "operationId": "postStatus",
            "summary": "Record a status event (idempotent by event_id).",
            "requestBody": _body("StatusIn"),
            "responses": {
                "200": _json("StatusOut", "Seen before: nothing changed."),
                "201": _json("StatusOut", "Recorded."),
                **ERRORS, **NOT_FOUND,
            },
        },
    }


def _forwardings() -> dict[str, Any]:
    return {
        "parameters": DOSSIER_PATH_PARAMS,
        "post": {
            "operationId": "postForwarding",
            "summary": "Forward a dossier to a partner organisation.",
            "description": (
                "The partner's API client (source partner_source) then records "
                "statuses at /api/v1/dossiers/{partner_source}/{partner_external_id}"
                "/statuses, and they appear on the same dossier. The partner must be a "
                "registered source (an active API client's) other than your own and "
                "Mijn's reserved ones; its own dossier with that id is never replaced, "
                "and its own PUT makes or updates its own dossier."
            ),
            "requestBody": _body("ForwardingIn"),
            "responses": {
                "200": _json("Dossier", "Forwarded before: nothing changed."),
                "201": _json("Dossier", "Forwarded."),
                **ERRORS, **NOT_FOUND,
                "409": _problem("The partner id is linked to another dossier, or the "
                                "partner has a dossier of its own with that id."),
            },
        },
    }


def _mandate() -> dict[str, Any]:
    return {
        "parameters": MANDATE_PATH_PARAMS,
        "put": _put_mandate(),
        "get": {
            "operationId": "getMandate",
            "summary": "Read a mandate back.",
            "responses": {
                "200": _json("Mandate", "The mandate."),
                "401": ERRORS["401"], "403": ERRORS["403"],
                "404": _problem("No such mandate."),
                "422": _problem("The source or external_id in the path is invalid."),
            },
        },
        "delete": {
            "operationId": "revokeMandate",
            "summary": "Revoke a mandate at once.",
            "responses": {
                "204": {"description": "Revoked (or revoked before)."},
                "401": ERRORS["401"], "403": ERRORS["403"],
                "404": _problem("No such mandate."),
                "422": _problem("The source or external_id in the path is invalid."),
            },
        },
    }


def _put_mandate() -> dict[str, Any]:
    return {
        "operationId": "putMandate",
        "summary": "Register or update a mandate (machtiging), idempotently.",
        "description": (
            "A person (representative) may act for another person or an "
            "organisation (represented) in the portal: for the listed dossier "
            "types (none: all), reading only or also asking questions, from "
            "valid_from up to and including valid_until. Scope 'mandates'."
        ),
        "requestBody": _body("MandateIn"),
        "responses": {
            "200": _json("Mandate", "Updated (or unchanged)."),
            "201": _json("Mandate", "Registered."),
            **ERRORS,
        },
    }


def _zgw_notificaties() -> dict[str, Any]:
    return {
        "post": {
            "operationId": "postZgwNotificatie",
            "summary": "Callback of the ZGW Notificaties API (abonnement kanaal 'zaken').",
            "description": (
                "Subscribe this URL to kanaal 'zaken' with the notifications token as "
                "auth. The message is stored at once and answered 204; Mijn then "
                "reads the zaak, its initiator (rol), its status and the zaaktype "
                "from the Zaken and Catalogi APIs and shows the dossier to the "
                "initiator. hoofdObject and resourceUrl must be URLs of the Zaken "
                "API this portal reads. A remote API that is down does not lose the "
                "message: it is retried (`mijn zgw retry`). Zaken above the "
                "configured vertrouwelijkheidaanduiding are not shown. Kanaal 'test' "
                "only checks the connection."
            ),
            "security": [{"zgwNotifications": []}],
            "requestBody": _body("ZgwNotificatie"),
            "responses": {
                "204": {"description": "Received (or nothing to do for Mijn)."},
                "400": ERRORS["400"],
                "401": _problem("No token, or a wrong one."),
                "404": _problem("This portal takes no ZGW notifications."),
                "422": ERRORS["422"],
            },
        },
    }
