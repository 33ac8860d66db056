"""HTTP API for back-office systems under /api/v1: dossier types, dossiers, statuses,
forwarding, mandates, the ZGW and Open Klant callbacks; the routes the app mounts."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mijn.db import request_connection
from mijn.http.api.common import api_client
from mijn.http.api.documents import delete_document, list_documents, post_document
from mijn.http.api.dossiers import (
    get_dossier,
    post_forwarding,
    post_status,
    put_dossier,
    put_dossier_type,
)
from mijn.http.api.mandates import delete_mandate_route, get_mandate_route, put_mandate_route
from mijn.http.api.openapi import openapi_document
from mijn.http.api.openklant import openklant_notification
from mijn.http.api.tasks import (
    delete_task_route,
    get_task_file_route,
    get_task_route,
    list_tasks_route,
    put_task_route,
)
from mijn.http.api.zgw import zgw_notification


async def ping(request: Request) -> Response:
    """Check a token: an authenticated no-op."""
    async with request_connection(request) as connection:
        client = await api_client(request, connection, "dossiers")
    return JSONResponse({"client": client.name, "source": client.source})


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
    Route("/api/v1/dossiers/{source}/{external_id}/documents", post_document,
          methods=["POST"], name="api:documents"),
    Route("/api/v1/dossiers/{source}/{external_id}/documents", list_documents,
          methods=["GET"], name="api:documents_list"),
    Route("/api/v1/dossiers/{source}/{external_id}/documents/{document_id}", delete_document,
          methods=["DELETE"], name="api:document_delete"),
    Route("/api/v1/mandates/{source}/{external_id}", put_mandate_route, methods=["PUT"],
          name="api:mandate"),
    Route("/api/v1/mandates/{source}/{external_id}", get_mandate_route, methods=["GET"],
          name="api:mandate_get"),
    Route("/api/v1/mandates/{source}/{external_id}", delete_mandate_route, methods=["DELETE"],
          name="api:mandate_delete"),
    Route("/api/v1/tasks/search", list_tasks_route, methods=["POST"], name="api:tasks"),
    Route("/api/v1/tasks/{source}/{external_id}", put_task_route, methods=["PUT"],
          name="api:task"),
    Route("/api/v1/tasks/{source}/{external_id}", get_task_route, methods=["GET"],
          name="api:task_get"),
    Route("/api/v1/tasks/{source}/{external_id}", delete_task_route, methods=["DELETE"],
          name="api:task_delete"),
    Route("/api/v1/tasks/{source}/{external_id}/files/{file_id}", get_task_file_route,
          methods=["GET"], name="api:task_file"),
    Route("/api/v1/zgw/notificaties", zgw_notification, methods=["POST"],
          name="api:zgw_notificaties"),
    Route("/api/v1/openklant/notificaties", openklant_notification, methods=["POST"],
          name="api:openklant_notificaties"),
]
