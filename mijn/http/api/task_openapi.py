"""The tasks' part of the OpenAPI document."""

from __future__ import annotations

from typing import Any

from mijn.http.api import task_schemas

TASK_PARAMS = [
    {"name": "source", "in": "path", "required": True,
     "schema": {"type": "string", "minLength": 1, "maxLength": 80},
     "description": "Your API client's source."},
    {"name": "external_id", "in": "path", "required": True,
     "schema": {"type": "string", "minLength": 1, "maxLength": 200},
     "description": "Your id of the task."},
]

FILE_PARAM = {"name": "file_id", "in": "path", "required": True,
              "schema": {"type": "integer", "minimum": 1},
              "description": "The id of the file, from the task's files."}

SCHEMAS = {"TaskIn": task_schemas.TASK_IN, "Task": task_schemas.TASK_OUT,
           "TaskSearch": task_schemas.TASK_SEARCH, "TaskList": task_schemas.TASK_LIST}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _json(ref: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {
        "application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


def paths(errors: dict[str, Any]) -> dict[str, Any]:
    """The task operations (errors: the document's shared error answers)."""
    return {"/api/v1/tasks/search": _list(errors),
            "/api/v1/tasks/{source}/{external_id}": _item(errors),
            "/api/v1/tasks/{source}/{external_id}/files/{file_id}": _file(errors)}


def _file(errors: dict[str, Any]) -> dict[str, Any]:
    return {"parameters": [*TASK_PARAMS, FILE_PARAM], "get": {
        "operationId": "getTaskFile",
        "summary": "Download a file the party sent for an upload task.",
        "description": "Streamed as an attachment, never cached. Scope 'dossiers'; only "
                       "your source's tasks.",
        "responses": {
            "200": {"description": "The file's bytes.", "content": {
                "application/octet-stream": {"schema": {"type": "string",
                                                        "format": "binary"}}}},
            "401": errors["401"], "403": errors["403"],
            "404": _problem("No such task, or no such file of it."),
            "422": _problem("The source or external_id in the path is invalid."),
        },
    }}


def _list(errors: dict[str, Any]) -> dict[str, Any]:
    return {"post": {
        "operationId": "searchTasks",
        "summary": "List your source's tasks (at most 200, nearest deadline first).",
        "description": "Of a party, of one of your dossiers, in a status; all of them "
                       "given: each must hold. POSTed, so that a party's number never "
                       "stands in a URL.",
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/TaskSearch"}}}},
        "responses": {"200": _json("TaskList", "The tasks."), **errors},
    }}


def _item(errors: dict[str, Any]) -> dict[str, Any]:
    auth = {"401": errors["401"], "403": errors["403"]}
    bad_path = {"422": _problem("The source or external_id in the path is invalid.")}
    return {
            "parameters": TASK_PARAMS,
            "put": {
                "operationId": "putTask",
                "summary": "Register a task for a party, or update an open one (idempotent).",
                "description": (
                    "The party sees it under 'Te doen' and on the dossier, does it in the "
                    "portal and you read the answers back here (and get them pushed to the "
                    "configured webhook). A done or cancelled task no longer changes (409). "
                    "Send the version you read to refuse an update over a change you did "
                    "not see (409). Scope 'dossiers'."),
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/TaskIn"}}}},
                "responses": {
                    "200": _json("Task", "Updated (or unchanged)."),
                    "201": _json("Task", "Registered."),
                    **errors,
                    "409": _problem("Done, cancelled, at another version, or registered "
                                    "for another party."),
                },
            },
            "get": {
                "operationId": "getTask",
                "summary": "Read a task back, with the answers or the files sent.",
                "responses": {"200": _json("Task", "The task."), **auth,
                              "404": _problem("No such task."), **bad_path},
            },
            "delete": {
                "operationId": "cancelTask", "summary": "Cancel an open task.",
                "responses": {"204": {"description": "Cancelled (or cancelled before)."},
                              **auth, "404": _problem("No such task."),
                              "409": _problem("The party did it already."), **bad_path},
            },
    }
