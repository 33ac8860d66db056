"""The intake API keeps to its own OpenAPI document, on SQLite and on PostgreSQL.

Schemathesis generates requests for every operation of the document the portal serves at
/api/v1/openapi.json and sends them in-process through the test client (no server). Each
response must:

- not be a server error (5xx);
- have a status code the document lists for the operation;
- have the content type the document gives for that status;
- have a body that conforms to the schema the document gives for it.

Valid requests (positive) and invalid ones (negative) are generated, derandomized with a
fixed seed, so every run and CI sends the same requests; the number of examples is kept
modest. Malformed requests that generation is unlikely to produce are sent explicitly.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Callable
from typing import Any, cast

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core import NotSet
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.testclient import TestClient

from conftest import BASE_URL, Runner
from mijn.http.api import schemas
from mijn.http.api.openapi import openapi_document
from mijn.intake.service import create_api_client

SEED = 20260301
MAX_EXAMPLES = 50
SOURCE = "gemeente"
TYPE_CODE = "melding"
TYPE = {
    "kind": "report", "name_nl": "Melding openbare ruimte", "name_en": "Public space report",
    "statuses": [
        {"code": "ontvangen", "label_nl": "Ontvangen", "text_nl": "Wij hebben uw melding."},
        {"code": "ingepland", "label_nl": "Ingepland", "text_nl": "Een ploeg komt."},
        {"code": "opgelost", "label_nl": "Opgelost", "text_nl": "Het is opgelost.", "is_final": True},
    ],
}
PARTY = {"type": "bsn", "id": "999990019"}
DOSSIER = {
    "party": PARTY, "dossier_type": TYPE_CODE, "title": "Losse stoeptegel", "channel": "phone",
    "department": "Wegen", "opened_on": "2026-03-01", "expected_end": "2026-03-15",
    "reference": "M-API-1",
}
EXISTING = "42"
EXISTING_PATH = f"/api/v1/dossiers/{SOURCE}/{EXISTING}"
STATUS = {"event_id": "e1", "status": "ontvangen", "occurred_at": "2026-03-02T10:00:00+01:00"}
CHECKS = [
    not_a_server_error, status_code_conformance, content_type_conformance,
    response_schema_conformance,
]
PROBLEM_JSON = "application/problem+json"
HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
    suppress_health_check=list(HealthCheck),
)


def _schema(mode: GenerationMode) -> Any:
    config = schemathesis.Config(seed=SEED)
    config.projects.default.generation.update(
        modes=[mode], max_examples=MAX_EXAMPLES, deterministic=True, database="none",
    )
    # The document the portal serves (test_the_served_document_is_the_one_tested checks it).
    return schemathesis.openapi.from_dict(openapi_document(BASE_URL), config=config)


positive = _schema(GenerationMode.POSITIVE)
negative = _schema(GenerationMode.NEGATIVE)


@pytest.fixture
def token(run: Runner) -> str:
    """A token of source `gemeente` with both scopes."""

    async def make(session: AsyncSession) -> str:
        _client, value = await create_api_client(
            session, "schema-test", SOURCE, ["dossiers", "catalogue"]
        )
        return value

    result: str = run(make)
    return result


Api = Callable[..., httpx.Response]


@pytest.fixture
def api(client: TestClient, token: str) -> Api:
    """Requests with the token; the dossier type and one dossier with a status exist."""

    def call(method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        try:
            response: httpx.Response = client.request(method, path, headers=headers, **kwargs)
            return response
        except Exception as exc:  # the test client re-raises what would be a 500
            pytest.fail(f"{method} {path[:120]} is a server error (500): {exc!r}"[:2000])

    assert call("PUT", f"/api/v1/dossier-types/{TYPE_CODE}", json=TYPE).status_code == 204
    assert call("PUT", EXISTING_PATH, json=DOSSIER).status_code == 201
    assert call("POST", f"{EXISTING_PATH}/statuses", json=STATUS).status_code == 201
    return call


def test_the_served_document_is_the_one_tested(client: TestClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json() == openapi_document(BASE_URL)


# --- generated requests ----------------------------------------------------------------------


def _pick(case: schemathesis.Case[Any], salt: str) -> int:
    """A stable choice (0..3) per generated case, so that runs stay reproducible."""
    body = None if isinstance(case.body, NotSet) else case.body
    seen = json.dumps([case.path_parameters, body], sort_keys=True, default=repr)
    return zlib.crc32((salt + seen).encode()) % 4


def _aim(case: schemathesis.Case[Any]) -> None:
    """Point most cases at data that exists, so the paths past validation are exercised too.

    Three in four cases use the token's own source (the fourth keeps the generated one and
    gets a 403); half of those address the existing dossier, or give a new dossier a
    registered type and a valid party, or a status event a known status.
    """
    params = case.path_parameters
    if not params or "source" not in params or _pick(case, "source") == 0:
        return
    params["source"] = SOURCE
    if _pick(case, "existing") < 2:
        return
    body = case.body
    if case.method.upper() == "PUT":
        if isinstance(body, dict):
            body["dossier_type"] = TYPE_CODE
            body["party"] = dict(PARTY)
            body.pop("reference", None)
        return
    params["external_id"] = EXISTING
    if isinstance(body, dict) and "status" in body:
        body["status"] = "ingepland"


def _send(client: TestClient, case: schemathesis.Case[Any], token: str) -> httpx.Response:
    """Send a generated case through the test client (its event loop holds the database)."""
    kwargs = case.as_transport_kwargs(headers={"Authorization": f"Bearer {token}"})
    request: dict[str, Any] = {
        "method": kwargs["method"], "url": kwargs["url"], "headers": kwargs["headers"],
        "params": kwargs.get("params") or None,
    }
    if "json" in kwargs:
        request["json"] = kwargs["json"]
    if "data" in kwargs:
        request["content"] = kwargs["data"]
    try:
        response: httpx.Response = client.request(**request)
        return response
    except Exception as exc:  # the test client re-raises what would be a 500
        detail = json.dumps({k: v for k, v in request.items() if k != "headers"}, default=repr)
        raise AssertionError(f"Server error (500) for {detail[:1500]}: {exc!r}"[:3000]) from exc


@positive.parametrize()  # type: ignore[untyped-decorator]
@HYPOTHESIS
def test_valid_requests_get_documented_answers(
    case: schemathesis.Case[Any], client: TestClient, token: str, api: Api
) -> None:
    _aim(case)
    response = _send(client, case, token)
    case.validate_response(response, checks=CHECKS)


@negative.parametrize()  # type: ignore[untyped-decorator]
@HYPOTHESIS
def test_invalid_requests_get_documented_problems(
    case: schemathesis.Case[Any], client: TestClient, token: str, api: Api
) -> None:
    _aim(case)
    response = _send(client, case, token)
    case.validate_response(response, checks=CHECKS)


# --- explicit malformed requests -------------------------------------------------------------


def assert_problem(response: httpx.Response) -> dict[str, Any]:
    """A 4xx answered as RFC 9457 problem details."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:500])
    assert response.headers["content-type"] == PROBLEM_JSON, response.headers
    problem = cast(dict[str, Any], response.json())
    assert problem["status"] == response.status_code
    assert isinstance(problem["title"], str) and isinstance(problem["detail"], str)
    return problem


def _text(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


STATUS_PATH = f"{EXISTING_PATH}/statuses"
JSON_TYPE = {"Content-Type": "application/json"}
TOO_LARGE = b'{"title": "' + b"x" * (2 * 1024 * 1024) + b'"}'
NESTED = b"[" * 100_000 + b"]" * 100_000  # 200 kB: under the size limit


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "field"),
    [
        pytest.param("PUT", "/api/v1/dossiers/gemeente/n1", {"content": b"null", "headers": JSON_TYPE}, "(body)",
                     id="dossier-body-null"),
        pytest.param("POST", STATUS_PATH, {"content": b"null", "headers": JSON_TYPE}, "(body)", id="status-body-null"),
        pytest.param("PUT", f"/api/v1/dossier-types/{TYPE_CODE}", {"content": b"null", "headers": JSON_TYPE}, "(body)",
                     id="type-body-null"),
        pytest.param("PUT", "/api/v1/dossiers/gemeente/n2", {"content": TOO_LARGE, "headers": JSON_TYPE}, None,
                     id="body-2mb"),
        pytest.param("PUT", "/api/v1/dossiers/gemeente/n3", {"content": NESTED, "headers": JSON_TYPE}, None,
                     id="body-deeply-nested"),
        pytest.param("PUT", "/api/v1/dossiers/gemeente/n4", {"content": b"\xff\xfe{}", "headers": JSON_TYPE}, None,
                     id="body-not-utf8"),
        pytest.param("PUT", "/api/v1/dossiers/gemeente/n5",
                     {"data": {"title": "Losse stoeptegel"}}, None, id="body-form-encoded"),
        pytest.param("PUT", "/api/v1/dossiers/gemeente/n6",
                     {"content": _text(DOSSIER | {"reference": "M-CT-1"}),
                      "headers": {"Content-Type": "text/plain"}}, None,
                     id="json-sent-as-text-plain"),
        pytest.param("PUT", "/api/v1/dossiers/gemeente/n7",
                     {"json": DOSSIER | {"reference": "M-N7", "opened_on": "2026-02-30"}},
                     "opened_on", id="opened-on-2026-02-30"),
        pytest.param("PUT", "/api/v1/dossiers/gemeente/n8",
                     {"json": DOSSIER | {"reference": "M-N8", "expected_end": "2026-02-30"}},
                     "expected_end", id="expected-end-2026-02-30"),
        pytest.param("POST", STATUS_PATH,
                     {"json": STATUS | {"event_id": "d1", "occurred_at": "2026-02-30T10:00:00+01:00"}},
                     "occurred_at", id="occurred-at-2026-02-30"),
        pytest.param("PUT", "/api/v1/dossiers/gemeente/" + "é" * 201,
                     {"json": DOSSIER | {"reference": "M-N9"}}, None,
                     id="unicode-external-id-too-long"),
        pytest.param("POST", "/api/v1/dossiers/gemeente/" + "東" * 201 + "/statuses",
                     {"json": STATUS}, None, id="unicode-external-id-too-long-status"),
    ],
)
def test_malformed_requests_are_problems(
    api: Api, method: str, path: str, kwargs: dict[str, Any], field: str | None
) -> None:
    problem = assert_problem(api(method, path, **kwargs))
    if field is not None:
        assert field in [e["field"] for e in problem.get("errors", [])], problem


def test_a_unicode_external_id_round_trips(api: Api) -> None:
    external_id = "zaak-ĳ-東京-😀-ü"
    path = f"/api/v1/dossiers/{SOURCE}/{external_id}"
    created = api("PUT", path, json=DOSSIER | {"reference": "M-UNI-1"})
    assert created.status_code == 201, created.text
    assert created.json()["external_id"] == external_id
    read = api("GET", path)
    assert read.status_code == 200 and read.json()["external_id"] == external_id
    pushed = api("POST", f"{path}/statuses", json=STATUS | {"event_id": "ü-😀"})
    assert pushed.status_code == 201 and pushed.json()["event_id"] == "ü-😀"


def _not_a_server_error(response: httpx.Response) -> None:
    """Accepted or refused, but never a 5xx; a refusal is a problem document."""
    assert response.status_code < 500, response.text[:500]
    if response.status_code >= 400:
        assert_problem(response)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        pytest.param("PUT", "/api/v1/dossiers/gemeente/nul-1",
                     _text(DOSSIER | {"reference": "M-NUL-1", "title": "Losse\u0000tegel"}),
                     id="nul-in-title"),
        pytest.param("PUT", "/api/v1/dossiers/gemeente/nul%002", _text(DOSSIER | {"reference": "M-NUL-2"}),
                     id="nul-in-external-id"),
        pytest.param("GET", "/api/v1/dossiers/gemeente/nul%003", b"", id="nul-in-external-id-get"),
        pytest.param("POST", STATUS_PATH,
                     _text(STATUS | {"event_id": "nul-4", "explanation": "a\u0000b"}),
                     id="nul-in-explanation"),
        pytest.param("PUT", f"/api/v1/dossier-types/{TYPE_CODE}",
                     _text(TYPE | {"name_nl": "Melding\u0000"}), id="nul-in-type-name"),
        pytest.param("PUT", "/api/v1/dossiers/gemeente/surrogate-1",
                     _text(DOSSIER | {"reference": "M-SUR-1"}).replace(
                         b'"Losse stoeptegel"', b'"Losse \\ud800 tegel"'),
                     id="lone-surrogate-in-title"),
        pytest.param("POST", STATUS_PATH,
                     _text(STATUS | {"event_id": "year-1", "occurred_at": "0001-01-01T00:30:00+01:00"}),
                     id="occurred-at-before-year-1-in-utc"),
        pytest.param("POST", STATUS_PATH,
                     _text(STATUS | {"event_id": "year-9999",
                                     "occurred_at": "9999-12-31T23:30:00-01:00"}),
                     id="occurred-at-after-year-9999-in-utc"),
    ],
)
def test_odd_but_wellformed_text_is_never_a_server_error(
    api: Api, method: str, path: str, body: bytes
) -> None:
    response = api(method, path, content=body, headers=JSON_TYPE)
    _not_a_server_error(response)
    assert 400 <= response.status_code < 500, response.text


def test_an_event_id_of_the_documented_maximum_length_is_recorded(api: Api) -> None:
    event_id = "e" * 200  # StatusIn.event_id: maxLength 200
    response = api("POST", STATUS_PATH, json=STATUS | {"event_id": event_id})
    assert response.status_code == 201, response.text[:500]
    again = api("POST", STATUS_PATH, json=STATUS | {"event_id": event_id})
    assert again.status_code == 200, again.text[:500]


@pytest.mark.parametrize(
    ("source", "external_id"),
    [pytest.param("g" * 81, "1", id="source-81"), pytest.param(SOURCE, "x" * 201, id="id-201")],
)
def test_a_too_long_path_id_gets_a_documented_status(api: Api, source: str, external_id: str) -> None:
    document = openapi_document(BASE_URL)["paths"]["/api/v1/dossiers/{source}/{external_id}"]
    response = api("PUT", f"/api/v1/dossiers/{source}/{external_id}", json=DOSSIER)
    assert_problem(response)
    assert str(response.status_code) in document["put"]["responses"], response.status_code


@pytest.mark.parametrize(
    "code", [pytest.param("melding.v2", id="ascii-with-dot"), pytest.param("mëlding", id="non-ascii")]
)
def test_a_dossier_type_is_registered_exactly_when_dossiers_can_name_it(api: Api, code: str) -> None:
    """DossierIn.dossier_type must match CODE; registering a code it cannot match is a dead end."""
    nameable = re.fullmatch(schemas.CODE["pattern"], code) is not None
    registered = api("PUT", f"/api/v1/dossier-types/{code}", json=TYPE)
    assert (registered.status_code == 204) == nameable, (nameable, registered.status_code, registered.text)
    if nameable:
        created = api("PUT", "/api/v1/dossiers/gemeente/typed", json=DOSSIER | {"dossier_type": code, "reference": "M-TYPED"})
        assert created.status_code == 201, created.text
