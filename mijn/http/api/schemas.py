"""JSON Schemas of the intake API: used to validate requests and to describe them in OpenAPI."""

from __future__ import annotations

from typing import Any

from mijn.channels import CHANNELS
from mijn.dossiers.models import KINDS
from mijn.mandates.models import ROLES

PARTY_TYPES = ("bsn", "national_number", "kvk", "kbo")
CODE = {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,79}$"}
BRANCH = {"type": "string", "pattern": r"^[0-9]{12}$"}
LOA = {"enum": ["basis", "midden", "substantieel", "hoog"]}
TEXT_ID = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"^[^\s/]+$"}

STATUS_TYPE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["code", "label_nl", "text_nl"],
    "properties": {
        "code": CODE,
        "label_nl": {"type": "string", "minLength": 1, "maxLength": 200},
        "label_en": {"type": "string", "maxLength": 200},
        "text_nl": {"type": "string", "maxLength": 2000,
                    "description": "What this status means for the citizen (B1)."},
        "text_en": {"type": "string", "maxLength": 2000},
        "is_final": {"type": "boolean", "default": False},
    },
}

DOSSIER_TYPE_IN: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["kind", "name_nl", "statuses"],
    "properties": {
        "kind": {"enum": list(KINDS), "description": "case (zaak) or report (melding)"},
        "name_nl": {"type": "string", "minLength": 1, "maxLength": 200},
        "name_en": {"type": "string", "maxLength": 200,
                    "description": "Left out: unchanged."},
        "statuses": {"type": "array", "minItems": 1, "maxItems": 50, "items": STATUS_TYPE,
                     "description": "The statuses in their order."},
        "min_loa": {"enum": [*LOA["enum"], None],
                    "description": "The lowest level of assurance (acr) that opens "
                    "these dossiers; below it the party sees only that the dossier exists "
                    "and must log in again at this level. Null: any level. Left out: "
                    "unchanged (a new type: any level)."},
    },
}

DOSSIER_IN: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["party", "dossier_type", "title", "channel", "opened_on"],
    "properties": {
        "party": {
            "type": "object",
            "additionalProperties": False,
            "required": ["type", "id"],
            "properties": {
                "type": {"enum": list(PARTY_TYPES)},
                "id": {"type": "string", "minLength": 1, "maxLength": 20},
                "branch": {**BRANCH, "description": "The vestigingsnummer (kvk only): "
                           "employees restricted to this branch see the dossier."},
            },
        },
        "dossier_type": {**CODE, "description": "Code of a registered dossier type."},
        "title": {"type": "string", "minLength": 1, "maxLength": 300},
        "channel": {"enum": list(CHANNELS)},
        "department": {"type": "string", "maxLength": 200, "default": ""},
        "opened_on": {"type": "string", "format": "date"},
        "expected_end": {"type": ["string", "null"], "format": "date"},
        "reference": {
            "type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]{1,39}$",
            "description": "The reference the citizen sees; generated when left out.",
        },
    },
}

STATUS_IN: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["event_id", "status", "occurred_at"],
    "properties": {
        "event_id": {**TEXT_ID, "description": "Your id of this event: sending it again is safe."},
        "status": {**CODE, "description": "Code of a status of the dossier's type."},
        "explanation": {"type": "string", "maxLength": 2000, "default": ""},
        "occurred_at": {"type": "string", "format": "date-time",
                        "description": "With a time zone, e.g. 2026-03-01T10:00:00+01:00."},
        "channel": {"enum": list(CHANNELS)},
    },
}

FORWARDING_IN: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["partner_source", "partner_external_id", "partner_name", "occurred_at"],
    "properties": {
        "partner_source": {**CODE, "description": "The partner's source: its API client writes "
                           "statuses under this source and partner_external_id."},
        "partner_external_id": TEXT_ID,
        "partner_name": {"type": "string", "minLength": 1, "maxLength": 200,
                         "description": "Shown to the citizen: 'doorgestuurd naar ...'."},
        "occurred_at": {"type": "string", "format": "date-time"},
        "explanation": {"type": "string", "maxLength": 2000, "default": ""},
    },
}

DOSSIER_OUT: dict[str, Any] = {
    "type": "object",
    "required": ["source", "external_id", "reference", "kind", "dossier_type", "title",
                 "channel", "department", "opened_on", "expected_end", "closed_on",
                 "current_status", "forwarded_to"],
    "properties": {
        "source": {"type": "string"},
        "external_id": {"type": "string"},
        "reference": {"type": "string"},
        "kind": {"enum": list(KINDS)},
        "dossier_type": {"type": "string"},
        "title": {"type": "string"},
        "channel": {"enum": list(CHANNELS)},
        "department": {"type": "string"},
        "opened_on": {"type": "string", "format": "date"},
        "expected_end": {"type": ["string", "null"], "format": "date"},
        "closed_on": {"type": ["string", "null"], "format": "date"},
        "current_status": {"type": ["string", "null"]},
        "forwarded_to": {"type": "array", "items": {"type": "string"}},
    },
}

STATUS_OUT: dict[str, Any] = {
    "type": "object",
    "required": ["event_id", "status", "occurred_at", "current_status"],
    "properties": {
        "event_id": {"type": "string"},
        "status": {"type": "string"},
        "occurred_at": {"type": "string", "format": "date-time"},
        "current_status": {"type": ["string", "null"]},
    },
}

def _party(types: tuple[str, ...], description: str, named: bool = False) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "type": {"enum": list(types)},
        "id": {"type": "string", "minLength": 1, "maxLength": 20},
    }
    if named:
        properties["name"] = {"type": "string", "maxLength": 200, "description": "Shown to "
                              "the representative ('u handelt namens ...'); a name Mijn "
                              "knows from the party's own login is replaced by it."}
    return {
        "type": "object", "additionalProperties": False, "required": ["type", "id"],
        "description": description, "properties": properties,
    }


MANDATE_IN: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["representative", "represented", "role", "valid_from"],
    "properties": {
        "representative": _party(("bsn", "national_number"),
                                 "The person who acts (logs in with their own DigiD/itsme)."),
        "represented": _party(PARTY_TYPES, "The person or organisation acted for.", True),
        "role": {"enum": list(ROLES), "description": "parent (ouder), guardian (voogd), "
                 "bewindvoerder, mentor, curator, or authorised (gemachtigde, e.g. by a company)."},
        "dossier_types": {
            "type": "array", "items": CODE, "maxItems": 50, "uniqueItems": True, "default": [],
            "description": "Codes of the dossier types the mandate covers; empty: every type.",
        },
        "can_ask": {"type": "boolean", "default": False,
                    "description": "false: read only; true: also ask and answer questions."},
        "valid_from": {"type": "string", "format": "date"},
        "valid_until": {"type": ["string", "null"], "format": "date",
                        "description": "The last day it holds; null: until revoked."},
    },
}

MANDATE_OUT: dict[str, Any] = {
    "type": "object",
    "required": ["source", "external_id", "role", "dossier_types", "can_ask", "valid_from",
                 "valid_until", "revoked_at", "active"],
    "properties": {
        "source": {"type": "string"},
        "external_id": {"type": "string"},
        "role": {"enum": list(ROLES)},
        "dossier_types": {"type": "array", "items": {"type": "string"}},
        "can_ask": {"type": "boolean"},
        "valid_from": {"type": "string", "format": "date"},
        "valid_until": {"type": ["string", "null"], "format": "date"},
        "revoked_at": {"type": ["string", "null"], "format": "date-time"},
        "active": {"type": "boolean", "description": "Valid today and not revoked."},
    },
}

PROBLEM: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
