"""The API's dossier routes: dossier types, dossiers, their statuses and forwarding."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mijn.db import request_connection, request_session
from mijn.dossiers.changes import KEEP, DossierError, StatusSpec, ensure_dossier_type
from mijn.dossiers.codes import dossier_codes
from mijn.dossiers.ingest import one_statement
from mijn.http.api import schemas
from mijn.http.api.common import (
    ApiProblem,
    api_client,
    parse_date,
    parse_moment,
    path_ids,
    read_json,
    source_client,
)
from mijn.intake.service import (
    DossierInput,
    StatusInput,
    add_source_status,
    find_dossier,
    forward_dossier,
    partner_names,
    upsert_dossier,
)
from mijn.intake.zgw import TYPE_PREFIX as ZGW_TYPE_PREFIX

if TYPE_CHECKING:
    from mijn.dossiers.ingest import StatusOutcome
    from mijn.dossiers.models import Dossier


async def _dossier_json(session: AsyncSession, dossier: Dossier) -> dict[str, Any]:
    type_code, status_code = await dossier_codes(session, dossier)
    partners = await partner_names(session, dossier.id)
    return {
        "source": dossier.source, "external_id": dossier.external_id,
        "reference": dossier.reference, "kind": dossier.kind, "dossier_type": type_code,
        "title": dossier.title, "channel": dossier.channel, "department": dossier.department,
        "opened_on": dossier.opened_on.isoformat(),
        "expected_end": dossier.expected_end.isoformat() if dossier.expected_end else None,
        "closed_on": dossier.closed_on.isoformat() if dossier.closed_on else None,
        "current_status": status_code, "forwarded_to": partners,
    }


async def put_dossier_type(request: Request) -> Response:
    """Register or update a dossier type with its ordered statuses."""
    code = request.path_params["code"]
    async with request_session(request) as session:
        client = await api_client(request, session, "catalogue")
        body = await read_json(request, schemas.DOSSIER_TYPE_IN)
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
        if code.startswith(ZGW_TYPE_PREFIX):
            raise ApiProblem(403, f"Codes starting with {ZGW_TYPE_PREFIX!r} are the ZGW "
                                  "intake's own.", [{"field": "code", "message": "reserved"}])
        try:
            await ensure_dossier_type(
                session, code, body["kind"], body["name_nl"], body.get("name_en", KEEP),
                statuses, body.get("min_loa", KEEP), owner=client.source,
            )
        except DossierError as exc:
            raise ApiProblem(exc.status, f"{exc}.",
                             [{"field": exc.field or "(body)", "message": str(exc)}]) from None
        await session.commit()
    return Response(status_code=204)


async def put_dossier(request: Request) -> Response:
    """Create or update a dossier (idempotent)."""
    source, external_id = path_ids(request)
    async with request_session(request) as session:
        await source_client(request, session, source)
        body = await read_json(request, schemas.DOSSIER_IN)
        opened_on = parse_date(body["opened_on"], "opened_on")
        assert opened_on is not None
        data = DossierInput(
            source=source, external_id=external_id, party_type=body["party"]["type"],
            party_id=body["party"]["id"], dossier_type=body["dossier_type"],
            title=body["title"], channel=body["channel"],
            department=body.get("department", ""), opened_on=opened_on,
            expected_end=parse_date(body.get("expected_end"), "expected_end"),
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
    source, external_id = path_ids(request)
    async with request_session(request) as session:
        await source_client(request, session, source)
        found = await find_dossier(session, source, external_id)
        if found is None:
            raise ApiProblem(404, "No such dossier.")
        return JSONResponse(await _dossier_json(session, found[0]))


async def _status(
    request: Request, db: AsyncSession | AsyncConnection, source: str, external_id: str
) -> tuple[StatusInput, StatusOutcome]:
    await source_client(request, db, source)
    body = await read_json(request, schemas.STATUS_IN)
    data = StatusInput(
        event_id=body["event_id"], status=body["status"],
        occurred_at=parse_moment(body["occurred_at"], "occurred_at"),
        explanation=body.get("explanation", ""), channel=body.get("channel"),
    )
    return data, await add_source_status(db, source, external_id, data)


async def post_status(request: Request) -> Response:
    """Record a status event (idempotent by event_id; order of arrival does not matter)."""
    source, external_id = path_ids(request)
    # On PostgreSQL the event is one statement, atomic by itself: no transaction around it,
    # and no ORM session (a bare connection, Core statements only).
    if one_statement(request.app.state.engine.dialect):
        async with request_connection(request) as connection:
            data, recorded = await _status(request, connection, source, external_id)
    else:
        async with request_session(request) as session:
            data, recorded = await _status(request, session, source, external_id)
            await session.commit()
    return JSONResponse(
        {"event_id": data.event_id, "status": data.status,
         "occurred_at": data.occurred_at.isoformat(), "current_status": recorded.current_status},
        201 if recorded.created else 200,
    )


async def post_forwarding(request: Request) -> Response:
    """Forward a dossier to a partner organisation, which then pushes its own statuses."""
    source, external_id = path_ids(request)
    async with request_session(request) as session:
        await source_client(request, session, source)
        body = await read_json(request, schemas.FORWARDING_IN)
        occurred_at = parse_moment(body["occurred_at"], "occurred_at")
        dossier = await _existing(session, source, external_id)
        _link, created = await forward_dossier(
            session, dossier, partner_source=body["partner_source"],
            partner_external_id=body["partner_external_id"],
            partner_name=body["partner_name"], occurred_at=occurred_at,
            explanation=body.get("explanation", ""),
        )
        await session.commit()
        return JSONResponse(await _dossier_json(session, dossier), 201 if created else 200)
