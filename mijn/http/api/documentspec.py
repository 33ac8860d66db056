"""The documents of a dossier in the API: the JSON Schemas that validate their metadata and
the OpenAPI paths that describe the routes (mijn.http.api.documents)."""

from __future__ import annotations

from typing import Any

from mijn.access.confidentiality import CONFIDENTIALITY
from mijn.documents.models import KINDS, SCAN_STATES, SOURCES
from mijn.documents.sniff import ALLOWED

METADATA: dict[str, Any] = {
    "title": {"type": "string", "minLength": 1, "maxLength": 300,
              "description": "What the citizen reads, e.g. 'Besluit op uw aanvraag'."},
    "kind": {"enum": list(KINDS)},
    "confidentiality": {"enum": list(CONFIDENTIALITY), "default": "openbaar"},
    "visible": {"type": "boolean", "default": True,
                "description": "Whether the citizen may see and download it."},
}
DOCUMENT_FORM: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["title", "kind"],
    "properties": METADATA,
}
DOCUMENT_REFERENCE_IN: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["kind", "zgw_url"],
    "properties": {
        **METADATA,
        "title": {**METADATA["title"], "description": "Left out: the object's titel."},
        "zgw_url": {"type": "string", "minLength": 1, "maxLength": 500,
                    "description": "An enkelvoudiginformatieobject of the configured "
                                   "Documenten API (MIJN_ZGW_DOCUMENTEN_URL)."},
    },
}
DOCUMENT_OUT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"}, **METADATA,
        "content_type": {"type": "string", "description": "Decided by the file's content."},
        "size": {"type": "integer"}, "sha256": {"type": ["string", "null"]},
        "source": {"enum": list(SOURCES)}, "zgw_url": {"type": ["string", "null"]},
        "scan_status": {"enum": list(SCAN_STATES)},
        "created_at": {"type": "string", "format": "date-time"},
    },
}
UPLOAD: dict[str, Any] = {
    "type": "object", "required": ["file", "title", "kind"],
    "properties": {
        **METADATA, "visible": {"enum": ["true", "false"], "default": "true"},
        "file": {"type": "string", "contentMediaType": "application/octet-stream",
                 "description": f"One file, by its content one of {', '.join(ALLOWED)}; "
                                "at most MIJN_DOCUMENTS_MAX_MB (20 MB by default)."},
    },
}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _out(description: str, many: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {"$ref": "#/components/schemas/DocumentOut"}
    if many:
        schema = {"type": "object", "properties": {"documents": {"type": "array",
                                                                 "items": schema}}}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


COMMON = {
    "401": _problem("No token, or an unknown or revoked one."),
    "403": _problem("The token may not write this source, or lacks the scope dossiers."),
    "404": _problem("No such dossier (or no such document of it)."),
    "422": _problem("The source or id in the path is empty, too long or holds NUL."),
}


def document_paths(params: list[dict[str, Any]]) -> dict[str, Any]:
    """The OpenAPI paths of a dossier's documents (params: the dossier's path parameters)."""
    one = [*params, {"name": "document_id", "in": "path", "required": True,
                     "schema": {"type": "integer"}}]
    return {
        "/api/v1/dossiers/{source}/{external_id}/documents": {
            "parameters": params,
            "get": {"operationId": "listDocuments", "summary": "A dossier's documents.",
                    "responses": {"200": _out("Newest first.", many=True), **COMMON}},
            "post": {
                "operationId": "postDocument",
                "summary": "Attach a document: upload it (multipart/form-data), or refer to "
                           "an enkelvoudiginformatieobject that Mijn streams when it is opened "
                           "(application/json).",
                "requestBody": {"required": True, "content": {
                    "multipart/form-data": {"schema": {"$ref": "#/components/schemas/"
                                                               "DocumentUpload"}},
                    "application/json": {"schema": {"$ref": "#/components/schemas/"
                                                            "DocumentReferenceIn"}}}},
                "responses": {
                    "201": _out("Attached."), **COMMON,
                    "400": _problem("Not a multipart form or JSON body."),
                    "409": _problem("This object is already attached to the dossier."),
                    "413": _problem("The file is larger than the limit."),
                    "415": _problem("The file is empty, or by its content none of the "
                                    "allowed kinds (whatever its name)."),
                    "422": _problem("A field is missing or invalid; errors[] names it."),
                    "502": _problem("The Documenten API failed."),
                    "507": _problem("The document store failed (e.g. full)."),
                },
            },
        },
        "/api/v1/dossiers/{source}/{external_id}/documents/{document_id}": {
            "parameters": one,
            "delete": {"operationId": "deleteDocument", "summary": "Remove a document.",
                       "responses": {"204": {"description": "Removed."}, **COMMON}},
        },
    }


SCHEMAS = {"DocumentOut": DOCUMENT_OUT, "DocumentUpload": UPLOAD,
           "DocumentReferenceIn": DOCUMENT_REFERENCE_IN}
