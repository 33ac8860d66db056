"""HTTP API for back-office systems under /api/v1: dossier types, dossiers, statuses, forwarding."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, date, datetime
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mijn.db import request_session
from mijn.dossiers.changes import StatusSpec, ensure_dossier_type
from mijn.dossiers.models import Dossier, DossierType, StatusType
from mijn.dossiers.service import current_status_code, known_type_codes
from mijn.http.api import schemas
from mijn.http.api.openapi import openapi_document
from mijn.http.common import problem
from mijn.intake import zgw
from mijn.intake.models import ApiClient, DossierLink
from mijn.intake.service import (
    DossierInput,
    IntakeError,
    StatusInput,
    add_status,
    authenticate,
    find_dossier,
    forward_dossier,
    upsert_dossier,
)
from mijn.mandates.service import (
    MandateError,
    MandateInput,
    describe_mandate,
    find_mandate,
    put_mandate,
    revoke_mandate,
)

MAX_BODY = 256 * 1024
log = logging.getLogger(__name__)
_FORMATS = FormatChecker()


class ApiProblem(Exception):
    """An API request that fails: answered as RFC 9457 problem details."""

    def __init__(
        self, status: int, detail: str, errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.detail, self.errors, self.headers = status, detail, errors, headers


async def problem_response(request: Request, exc: Exception) -> Response:
    """Map ApiProblem and IntakeError to problem details."""
    if isinstance(exc, IntakeError):
        errors = [{"field": exc.field, "message": str(exc)}] if exc.field else None
        return problem(exc.status, str(exc), **({"errors": errors} if errors else {}))
    assert isinstance(exc, ApiProblem)
    extra: dict[str, Any] = {"errors": exc.errors} if exc.errors else {}
    response = problem(exc.status, exc.detail, **extra)
    response.headers.update(exc.headers or {})
    return response


async def _api_client(request: Request, session: AsyncSession, scope: str) -> ApiClient:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiProblem(401, "Send your API token as 'Authorization: Bearer <token>'.",
                         headers={"WWW-Authenticate": "Bearer"})
    client = await authenticate(session, token.strip())
    if client is None:
        raise ApiProblem(401, "The API token is unknown or revoked.",
                         headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    if scope not in client.scopes.split():
        raise ApiProblem(403, f"This API client lacks the scope {scope!r}.")
    return client


def _own_source(client: ApiClient, source: str) -> None:
    if client.source != source:
        raise ApiProblem(403, f"This API client may only write dossiers of source "
                              f"{client.source!r}, not {source!r}.")


async def _source_client(request: Request, session: AsyncSession, source: str) -> ApiClient:
    """The API client, allowed to write dossiers of this source."""
    client = await _api_client(request, session, "dossiers")
    _own_source(client, source)
    return client


def _field(error: ValidationError) -> str:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [p for p in error.validator_value if p not in error.instance]
        path.append(missing[0] if missing else "")
    elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {})
        extra = [p for p in error.instance if p not in allowed]
        path.append(extra[0] if extra else "")
    return ".".join(path) or "(body)"


def _unstorable(value: object, path: str = "") -> str | None:
    """The field of the first text a database cannot store (NUL, lone surrogates), if any."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path or "(body)"
        return (path or "(body)") if "\x00" in value else None
    if isinstance(value, dict):
        items: list[tuple[str, object]] = [(str(k), v) for k, v in value.items()]
        items += [(str(k), k) for k in value]
    elif isinstance(value, list):
        items = [(str(i), v) for i, v in enumerate(value)]
    else:
        return None
    for key, item in items:
        found = _unstorable(item, f"{path}.{key}" if path else key)
        if found:
            return found
    return None


def _check_media_type(request: Request) -> None:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise ApiProblem(415, "Send the body as JSON with 'Content-Type: application/json'.")


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise ApiProblem(413, f"The body is larger than {MAX_BODY} bytes.")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise ApiProblem(413, f"The body is larger than {MAX_BODY} bytes.")
    return body


_VALIDATORS: dict[int, Draft202012Validator] = {}


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    """One validator per schema (the schemas are module constants): building one is costly."""
    found = _VALIDATORS.get(id(schema))
    if found is None:
        found = _VALIDATORS[id(schema)] = Draft202012Validator(schema, format_checker=_FORMATS)
    return found


async def _json(request: Request, schema: dict[str, Any]) -> dict[str, Any]:
    _check_media_type(request)
    body = await _read_body(request)
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise ApiProblem(400, "The body is not valid JSON (UTF-8, at most 256 KiB).") from None
    bad = _unstorable(data)
    if bad:
        raise ApiProblem(422, f"The field {bad} holds characters that cannot be stored "
                              "(NUL or a broken surrogate).",
                         [{"field": bad, "message": "invalid characters"}])
    validator = _validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        raise ApiProblem(422, "Some fields are missing or invalid: " + ", ".join(
            dict.fromkeys(_field(e) for e in errors)) + ".",
            [{"field": _field(e), "message": e.message} for e in errors])
    assert isinstance(data, dict)
    return data


def _date(value: str | None, field: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApiProblem(422, f"{field} must be a date like 2026-03-01.",
                         [{"field": field, "message": "not a date (YYYY-MM-DD)"}]) from None


def _moment(value: str, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is not None and moment.tzinfo is not None:
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            pass  # e.g. 0001-01-01T00:30+01:00 lies before the year 1 in UTC
    raise ApiProblem(422, f"{field} must be a date and time with a time zone, like "
                          "2026-03-01T10:00:00+01:00.",
                     [{"field": field, "message": "not a date-time with time zone"}])


def _path_ids(request: Request) -> tuple[str, str]:
    source, external_id = request.path_params["source"], request.path_params["external_id"]
    for field, value, limit in (("source", source, 80), ("external_id", external_id, 200)):
        if not 0 < len(value) <= limit or _unstorable(value):
            raise ApiProblem(422, f"The {field} in the path must be 1 to {limit} characters "
                                  "without NUL.", [{"field": field, "message": "invalid"}])
    return source, external_id


async def _dossier_json(session: AsyncSession, dossier: Dossier) -> dict[str, Any]:
    type_code = await session.scalar(
        select(DossierType.code).where(DossierType.id == dossier.dossier_type_id)
    )
    status_code = None
    if dossier.current_status_id is not None:
        status_code = await session.scalar(
            select(StatusType.code).where(StatusType.id == dossier.current_status_id)
        )
    partners = await session.scalars(
        select(DossierLink.partner_name).where(DossierLink.dossier_id == dossier.id)
        .order_by(DossierLink.id)
    )
    return {
        "source": dossier.source, "external_id": dossier.external_id,
        "reference": dossier.reference, "kind": dossier.kind, "dossier_type": type_code,
        "title": dossier.title, "channel": dossier.channel, "department": dossier.department,
        "opened_on": dossier.opened_on.isoformat(),
        "expected_end": dossier.expected_end.isoformat() if dossier.expected_end else None,
        "closed_on": dossier.closed_on.isoformat() if dossier.closed_on else None,
        "current_status": status_code, "forwarded_to": list(partners),
    }


async def put_dossier_type(request: Request) -> Response:
    """Register or update a dossier type with its ordered statuses."""
    code = request.path_params["code"]
    async with request_session(request) as session:
        await _api_client(request, session, "catalogue")
        body = await _json(request, schemas.DOSSIER_TYPE_IN)
        statuses = [
            StatusSpec(s["code"], s["label_nl"], s.get("label_en", ""), s["text_nl"],
                       s.get("text_en", ""), s.get("is_final", False))
            for s in body["statuses"]
        ]
        if len({s.code for s in statuses}) != len(statuses):
            raise ApiProblem(422, "Status codes must be unique within a dossier type.",
                             [{"field": "statuses", "message": "duplicate code"}])
        if not re.fullmatch(schemas.CODE["pattern"], code):
            raise ApiProblem(422, "The code may hold ASCII letters, digits, _ . : and - "
                                  "(at most 80, starting with a letter or digit).",
                             [{"field": "code", "message": "invalid code"}])
        await ensure_dossier_type(session, code, body["kind"], body["name_nl"],
                                  body.get("name_en", ""), statuses, body.get("min_loa"))
        await session.commit()
    return Response(status_code=204)


async def put_dossier(request: Request) -> Response:
    """Create or update a dossier (idempotent)."""
    source, external_id = _path_ids(request)
    async with request_session(request) as session:
        await _source_client(request, session, source)
        body = await _json(request, schemas.DOSSIER_IN)
        opened_on = _date(body["opened_on"], "opened_on")
        assert opened_on is not None
        data = DossierInput(
            source=source, external_id=external_id, party_type=body["party"]["type"],
            party_id=body["party"]["id"], dossier_type=body["dossier_type"],
            title=body["title"], channel=body["channel"],
            department=body.get("department", ""), opened_on=opened_on,
            expected_end=_date(body.get("expected_end"), "expected_end"),
            reference=body.get("reference"), branch=body["party"].get("branch"),
        )
        dossier, created = await upsert_dossier(session, data)
        await session.commit()
        return JSONResponse(await _dossier_json(session, dossier), 201 if created else 200)


async def _existing(session: AsyncSession, source: str, external_id: str) -> Dossier:
    found = await find_dossier(session, source, external_id, lock=True)
    if found is None:
        raise ApiProblem(404, f"No dossier {external_id!r} of source {source!r}: create it "
                              "first with PUT.")
    return found[0]


async def get_dossier(request: Request) -> Response:
    """A dossier as Mijn holds it."""
    source, external_id = _path_ids(request)
    async with request_session(request) as session:
        await _source_client(request, session, source)
        found = await find_dossier(session, source, external_id)
        if found is None:
            raise ApiProblem(404, "No such dossier.")
        return JSONResponse(await _dossier_json(session, found[0]))


async def post_status(request: Request) -> Response:
    """Record a status event (idempotent by event_id; order of arrival does not matter)."""
    source, external_id = _path_ids(request)
    async with request_session(request) as session:
        await _source_client(request, session, source)
        body = await _json(request, schemas.STATUS_IN)
        occurred_at = _moment(body["occurred_at"], "occurred_at")
        dossier = await _existing(session, source, external_id)
        data = StatusInput(
            event_id=body["event_id"], status=body["status"], occurred_at=occurred_at,
            explanation=body.get("explanation", ""), channel=body.get("channel"),
        )
        _event, created = await add_status(session, dossier, source, data)
        current = await current_status_code(session, dossier)
        await session.commit()
    return JSONResponse(
        {"event_id": data.event_id, "status": data.status,
         "occurred_at": occurred_at.isoformat(), "current_status": current},
        201 if created else 200,
    )


async def post_forwarding(request: Request) -> Response:
    """Forward a dossier to a partner organisation, which then pushes its own statuses."""
    source, external_id = _path_ids(request)
    async with request_session(request) as session:
        await _source_client(request, session, source)
        body = await _json(request, schemas.FORWARDING_IN)
        occurred_at = _moment(body["occurred_at"], "occurred_at")
        dossier = await _existing(session, source, external_id)
        if body["partner_source"] == source:
            raise ApiProblem(422, "A dossier cannot be forwarded to its own source.",
                             [{"field": "partner_source", "message": "same as the source"}])
        _link, created = await forward_dossier(
            session, dossier, partner_source=body["partner_source"],
            partner_external_id=body["partner_external_id"],
            partner_name=body["partner_name"], occurred_at=occurred_at,
            explanation=body.get("explanation", ""),
        )
        await session.commit()
        return JSONResponse(await _dossier_json(session, dossier), 201 if created else 200)


async def _mandate_client(request: Request, session: AsyncSession, source: str) -> ApiClient:
    """The API client, allowed to register mandates under this source."""
    client = await _api_client(request, session, "mandates")
    if client.source != source:
        raise ApiProblem(403, f"This API client may only register mandates of source "
                              f"{client.source!r}, not {source!r}.")
    return client


def _mandate_input(source: str, external_id: str, body: dict[str, Any]) -> MandateInput:
    valid_from = _date(body["valid_from"], "valid_from")
    assert valid_from is not None
    return MandateInput(
        source=source, external_id=external_id,
        representative=(body["representative"]["type"], body["representative"]["id"]),
        represented=(body["represented"]["type"], body["represented"]["id"]),
        role=body["role"], dossier_types=tuple(body.get("dossier_types", [])),
        can_ask=body.get("can_ask", False), valid_from=valid_from,
        valid_until=_date(body.get("valid_until"), "valid_until"),
        represented_name=body["represented"].get("name", ""),
    )


async def put_mandate_route(request: Request) -> Response:
    """Register or update a mandate (idempotent by source and external id)."""
    source, external_id = _path_ids(request)
    async with request_session(request) as session:
        await _mandate_client(request, session, source)
        body = await _json(request, schemas.MANDATE_IN)
        try:
            data = _mandate_input(source, external_id, body)
            known = await known_type_codes(session, data.dossier_types)
            mandate, created = await put_mandate(session, data, known)
        except MandateError as exc:
            raise ApiProblem(exc.status, f"The mandate cannot be registered: {exc}.",
                             [{"field": exc.field, "message": str(exc)}]) from None
        await session.commit()
        return JSONResponse(describe_mandate(mandate), 201 if created else 200)


async def get_mandate_route(request: Request) -> Response:
    """A mandate as Mijn holds it."""
    source, external_id = _path_ids(request)
    async with request_session(request) as session:
        await _mandate_client(request, session, source)
        mandate = await find_mandate(session, source, external_id)
        if mandate is None:
            raise ApiProblem(404, "No such mandate.")
        return JSONResponse(describe_mandate(mandate))


async def delete_mandate_route(request: Request) -> Response:
    """Revoke a mandate at once (it stays on record, inactive)."""
    source, external_id = _path_ids(request)
    async with request_session(request) as session:
        await _mandate_client(request, session, source)
        if not await revoke_mandate(session, source, external_id):
            raise ApiProblem(404, "No such mandate.")
        await session.commit()
    return Response(status_code=204)


async def ping(request: Request) -> Response:
    """Check a token: an authenticated no-op."""
    async with request_session(request) as session:
        client = await _api_client(request, session, "dossiers")
        return JSONResponse({"client": client.name, "source": client.source})


def _zgw_authorise(request: Request) -> None:
    settings = request.app.state.settings.zgw
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiProblem(401, "Send the notifications token as 'Authorization: Bearer <token>' "
                              "(the token itself, or a ZGW JWT signed with it).",
                         headers={"WWW-Authenticate": "Bearer"})
    if not zgw.notification_token_valid(token.strip(), settings):
        raise ApiProblem(401, "The token is not valid for ZGW notifications.",
                         headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


async def _process_soon(app: Starlette, notification_id: int) -> None:
    """Process a new notification after the answer went out; a failure waits for a retry."""
    try:
        await zgw.process_received(app.state.sessionmaker, app.state.zgw,
                                   app.state.settings.zgw, notification_id)
    except Exception:
        log.exception("ZGW notification %s: not processed now; `mijn zgw retry` will retry it",
                      notification_id)


async def zgw_notification(request: Request) -> Response:
    """A Notificaties API callback: stored at once, processed after the 204 went out."""
    if request.app.state.zgw is None:
        raise ApiProblem(404, "This portal does not take ZGW notifications "
                              "(MIJN_ZGW_NOTIFICATIONS_TOKEN is not set).")
    _zgw_authorise(request)
    body = await _json(request, zgw.NOTIFICATION_SCHEMA)
    async with request_session(request) as session:
        notification = await zgw.receive_notification(
            session, body, request.app.state.settings.zgw
        )
        await session.commit()
    if notification is None:
        return Response(status_code=204)
    return Response(status_code=204,
                    background=BackgroundTask(_process_soon, request.app, notification.id))


async def openapi(request: Request) -> Response:
    """The OpenAPI description of this API."""
    return JSONResponse(openapi_document(request.app.state.settings.base_url))


routes = [
    Route("/api/v1/openapi.json", openapi, name="api:openapi"),
    Route("/api/v1/ping", ping, name="api:ping"),
    Route("/api/v1/dossier-types/{code}", put_dossier_type, methods=["PUT"],
          name="api:dossier_type"),
    Route("/api/v1/dossiers/{source}/{external_id}", put_dossier, methods=["PUT"],
          name="api:dossier"),
    Route("/api/v1/dossiers/{source}/{external_id}", get_dossier, methods=["GET"],
          name="api:dossier_get"),
    Route("/api/v1/dossiers/{source}/{external_id}/statuses", post_status, methods=["POST"],
          name="api:statuses"),
    Route("/api/v1/dossiers/{source}/{external_id}/forwardings", post_forwarding,
          methods=["POST"], name="api:forwardings"),
    Route("/api/v1/mandates/{source}/{external_id}", put_mandate_route, methods=["PUT"],
          name="api:mandate"),
    Route("/api/v1/mandates/{source}/{external_id}", get_mandate_route, methods=["GET"],
          name="api:mandate_get"),
    Route("/api/v1/mandates/{source}/{external_id}", delete_mandate_route, methods=["DELETE"],
          name="api:mandate_delete"),
    Route("/api/v1/zgw/notificaties", zgw_notification, methods=["POST"],
          name="api:zgw_notificaties"),
]
