"""JSON Schemas of the API's tasks: used to validate requests and to describe them in OpenAPI."""

from __future__ import annotations

from typing import Any

from mijn.http.api.schemas import BRANCH, PARTY_TYPES, TEXT_ID
from mijn.tasks.forms import FIELD_TYPES, MAX_TEXT
from mijn.tasks.models import KINDS, STATUSES

_LABEL = {"type": "string", "minLength": 1, "maxLength": 200}
_LABEL_EN = {"type": "string", "maxLength": 200}
_HELP = {"type": "string", "maxLength": 1000}
_AMOUNT = {"type": "number", "minimum": 0, "maximum": 999999999}

OPTION: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["value", "label_nl"],
    "properties": {"value": {"type": "string", "minLength": 1, "maxLength": 80},
                   "label_nl": _LABEL, "label_en": _LABEL_EN},
}

FIELD: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "type", "label_nl"],
    "properties": {
        "name": {"type": "string", "pattern": r"^[a-z][a-z0-9_]{0,39}$",
                 "description": "The key of this field's answer."},
        "type": {"enum": list(FIELD_TYPES), "description": "text, date (YYYY-MM-DD), choice "
                 "(one of options) or amount (in euros, at most two decimals)."},
        "label_nl": _LABEL, "label_en": _LABEL_EN,
        "help_nl": _HELP, "help_en": _HELP,
        "required": {"type": "boolean", "default": True},
        "max_length": {"type": "integer", "minimum": 1, "maximum": MAX_TEXT,
                       "description": "text: the most characters (default 2000)."},
        "options": {"type": "array", "minItems": 2, "maxItems": 20, "items": OPTION,
                    "description": "choice: the options (at least two)."},
        "min": {**_AMOUNT, "description": "amount: the lowest."},
        "max": {**_AMOUNT, "description": "amount: the highest."},
    },
}

TASK_IN: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["party", "kind", "title", "deadline"],
    "properties": {
        "party": {
            "type": "object", "additionalProperties": False, "required": ["type", "id"],
            "properties": {
                "type": {"enum": list(PARTY_TYPES)},
                "id": {"type": "string", "minLength": 1, "maxLength": 20},
                "branch": {**BRANCH, "description": "kvk only: the employees of this branch "
                           "(and company-wide ones) see the task. Left out: the dossier's."},
            },
        },
        "dossier": {**TEXT_ID, "type": ["string", "null"], "description": "The external id "
                    "of your dossier this task belongs to (of the same party); null or left "
                    "out: about no dossier."},
        "kind": {"enum": list(KINDS), "description": "form: answer the fields; confirm: agree "
                 "to what the explanation says; link: go to url (e.g. a payment page), "
                 "then say 'Ik heb dit gedaan' in the portal; upload: send a document "
                 "(shown; done through the dossier's upload)."},
        "title": {"type": "string", "minLength": 1, "maxLength": 300},
        "explanation": {"type": "string", "maxLength": 4000, "default": "",
                        "description": "What to do and why, in plain words (B1)."},
        "deadline": {"type": "string", "format": "date"},
        "url": {"type": "string", "maxLength": 2000, "pattern": r"^https?://[^\s]+$",
                "description": "link only: where the party goes."},
        "fields": {"type": "array", "minItems": 1, "maxItems": 20, "items": FIELD,
                   "description": "form only: the fields, in order."},
        "version": {"type": "integer", "minimum": 1, "description": "The version you last "
                    "read: refused (409) when the task changed since. Left out: no check."},
    },
}

TASK_FILE: dict[str, Any] = {
    "type": "object",
    "required": ["id", "title", "content_type", "size", "sha256", "scan_status"],
    "properties": {
        "id": {"type": "integer"},
        "title": {"type": "string", "description": "The file's name as the party named it."},
        "content_type": {"type": "string", "description": "Decided by the content."},
        "size": {"type": "integer"},
        "sha256": {"type": "string"},
        "scan_status": {"enum": ["clean", "unscanned"]},
    },
}

TASK_OUT: dict[str, Any] = {
    "type": "object",
    "required": ["source", "external_id", "kind", "title", "explanation", "dossier", "branch",
                 "url", "fields", "deadline", "status", "overdue", "answers", "files",
                 "completed_by", "completed_at", "version"],
    "properties": {
        "source": {"type": "string"},
        "external_id": {"type": "string"},
        "kind": {"enum": list(KINDS)},
        "title": {"type": "string"},
        "explanation": {"type": "string"},
        "dossier": {"type": ["string", "null"]},
        "branch": {"type": ["string", "null"]},
        "url": {"type": ["string", "null"]},
        "fields": {"type": ["array", "null"], "items": {"type": "object"}},
        "deadline": {"type": "string", "format": "date"},
        "status": {"enum": list(STATUSES)},
        "overdue": {"type": "boolean", "description": "Open and past its deadline."},
        "answers": {"type": ["object", "null"], "additionalProperties": {"type": "string"},
                    "description": "form, done: field name -> value (dates YYYY-MM-DD, "
                    "amounts like 12.50)."},
        "files": {
            "type": ["array", "null"], "items": TASK_FILE,
            "description": "upload: the files the party sent (empty until it is done; each "
                           "downloaded at .../files/{id}); other kinds: null."},
        "completed_by": {
            "type": ["object", "null"], "required": ["type", "name"],
            "properties": {"type": {"enum": ["party", "representative", "employee"]},
                           "name": {"type": "string"}},
            "description": "Who did it: the party, a representative acting for it, or an "
                           "employee of the company.",
        },
        "completed_at": {"type": ["string", "null"], "format": "date-time"},
        "version": {"type": "integer"},
    },
}

TASK_SEARCH: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "party": {
            "type": "object", "additionalProperties": False, "required": ["type", "id"],
            "properties": {"type": {"enum": list(PARTY_TYPES)},
                           "id": {"type": "string", "minLength": 1, "maxLength": 20}},
        },
        "dossier": {**TEXT_ID, "description": "Your external id of a dossier."},
        "status": {"enum": list(STATUSES)},
    },
}

TASK_LIST: dict[str, Any] = {
    "type": "object", "required": ["tasks"],
    "properties": {"tasks": {"type": "array", "items": TASK_OUT}},
}
