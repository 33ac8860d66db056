"""The API's mandate routes: register, read and revoke a mandate (machtiging)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mijn.db import request_session
from mijn.dossiers.service import known_type_codes
from mijn.http.api import schemas
from mijn.http.api.common import ApiProblem, api_client, parse_date, path_ids, read_json
from mijn.http.common import app_settings
from mijn.mandates.service import (
    MandateError,
    MandateInput,
    describe_mandate,
    find_mandate,
    put_mandate,
    revoke_mandate,
)
from mijn.openklant.queue import enqueue_mandate

if TYPE_CHECKING:
    from mijn.intake.service import Client


async def _mandate_client(request: Request, session: AsyncSession, source: str) -> Client:
    """The API client, allowed to register mandates under this source."""
    client = await api_client(request, session, "mandates")
    if client.source != source:
        raise ApiProblem(403, f"This API client may only register mandates of source "
                              f"{client.source!r}, not {source!r}.")
    return client


def _mandate_input(source: str, external_id: str, body: dict[str, Any]) -> MandateInput:
    valid_from = parse_date(body["valid_from"], "valid_from")
    assert valid_from is not None
    return MandateInput(
        source=source, external_id=external_id,
        representative=(body["representative"]["type"], body["representative"]["id"]),
        represented=(body["represented"]["type"], body["represented"]["id"]),
        role=body["role"], dossier_types=tuple(body.get("dossier_types", [])),
        can_ask=body.get("can_ask", False), valid_from=valid_from,
        valid_until=parse_date(body.get("valid_until"), "valid_until"),
        represented_name=body["represented"].get("name", ""),
    )


async def put_mandate_route(request: Request) -> Response:
    """Register or update a mandate (idempotent by source and external id)."""
    source, external_id = path_ids(request)
    async with request_session(request) as session:
        await _mandate_client(request, session, source)
        body = await read_json(request, schemas.MANDATE_IN)
        try:
            data = _mandate_input(source, external_id, body)
            known = await known_type_codes(session, data.dossier_types)
            mandate, created = await put_mandate(session, data, known)
        except MandateError as exc:
            raise ApiProblem(exc.status, f"The mandate cannot be registered: {exc}.",
                             [{"field": exc.field, "message": str(exc)}]) from None
        await enqueue_mandate(session, app_settings(request).openklant, mandate.id)
        await session.commit()
        return JSONResponse(describe_mandate(mandate), 201 if created else 200)


async def get_mandate_route(request: Request) -> Response:
    """A mandate as Mijn holds it."""
    source, external_id = path_ids(request)
    async with request_session(request) as session:
        await _mandate_client(request, session, source)
        mandate = await find_mandate(session, source, external_id)
        if mandate is None:
            raise ApiProblem(404, "No such mandate.")
        return JSONResponse(describe_mandate(mandate))


async def delete_mandate_route(request: Request) -> Response:
    """Revoke a mandate at once (it stays on record, inactive)."""
    source, external_id = path_ids(request)
    async with request_session(request) as session:
        await _mandate_client(request, session, source)
        if not await revoke_mandate(session, source, external_id):
            raise ApiProblem(404, "No such mandate.")
        revoked = await find_mandate(session, source, external_id)
        assert revoked is not None  # just revoked, in this transaction
        await enqueue_mandate(session, app_settings(request).openklant, revoked.id)
        await session.commit()
    return Response(status_code=204)
