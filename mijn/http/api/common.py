"""What every route of the API shares: the bearer-token client, reading a JSON body against
its schema, dates and path ids, and answering failures as RFC 9457 problem details."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from mijn.http import limits
from mijn.http.api.plainly import Check, compile_check
from mijn.http.errors import problem
from mijn.intake.service import IntakeError, authenticate_with
from mijn.ratelimits.rules import API_FAILURES
from mijn.ratelimits.service import Verdict

if TYPE_CHECKING:
    from mijn.intake.service import Client

MAX_BODY = 256 * 1024
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


def too_many(verdict: Verdict) -> ApiProblem:
    """429: too many failed token checks from this address; Retry-After says until when."""
    return ApiProblem(429, "Too many failed authentications from this address; try again "
                           f"in {verdict.retry_after} seconds.",
                      headers=limits.retry_after(verdict))


async def not_blocked(request: Request, session: AsyncSession | None = None) -> None:
    """Refuse (429) an address with too many failed token checks, before checking this one:
    a token cannot be guessed by trying on (in the request's session, if given)."""
    verdict = await limits.over(request, API_FAILURES, limits.client(request), session)
    if not verdict.allowed:
        raise too_many(verdict)


async def failed(request: Request, problem: ApiProblem) -> ApiProblem:
    """Count a failed token check (committed at once); the one over the limit is a 429."""
    verdict = await limits.hit_now(request, (API_FAILURES, limits.client(request)))
    return problem if verdict.allowed else too_many(verdict)


async def api_client(
    request: Request, session: AsyncSession | AsyncConnection, scope: str
) -> Client:
    """The request's API client with this scope. An address with too many failed token checks
    is refused (429) even with a valid token, so that a guessed token is not confirmed: that
    check is selected with the token's look-up, one statement (a failed check counts, and is
    refused, in `failed`)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise await failed(request, ApiProblem(
            401, "Send your API token as 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": "Bearer"}))
    blocked, params = limits.over_until(request, API_FAILURES, limits.client(request))
    client, until = await authenticate_with(session, token.strip(), blocked, params)
    verdict = limits.verdict_from(request, until)
    if not verdict.allowed:
        raise too_many(verdict)
    if client is None:
        raise await failed(request, ApiProblem(
            401, "The API token is unknown or revoked.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}))
    if scope not in client.scopes:
        raise ApiProblem(403, f"This API client lacks the scope {scope!r}.")
    return client


def own_source(client: Client, source: str) -> None:
    if client.source != source:
        raise ApiProblem(403, f"This API client may only write dossiers of source "
                              f"{client.source!r}, not {source!r}.")


async def source_client(
    request: Request, session: AsyncSession | AsyncConnection, source: str
) -> Client:
    """The API client, allowed to write dossiers of this source."""
    client = await api_client(request, session, "dossiers")
    own_source(client, source)
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


_VALIDATORS: dict[int, tuple[Draft202012Validator, Check | None]] = {}


def _validator(schema: dict[str, Any]) -> tuple[Draft202012Validator, Check | None]:
    """One validator per schema (the schemas are module constants): building one is costly;
    beside it the quick check of a plainly valid body (mijn.http.api.plainly), if any."""
    found = _VALIDATORS.get(id(schema))
    if found is None:
        found = _VALIDATORS[id(schema)] = (
            Draft202012Validator(schema, format_checker=_FORMATS),
            compile_check(schema, _FORMATS))
    return found


async def read_json(request: Request, schema: dict[str, Any]) -> dict[str, Any]:
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
    return check_fields(data, schema)


def check_fields(data: Any, schema: dict[str, Any]) -> dict[str, Any]:
    """The data itself when it is valid against the schema; 422 naming each bad field."""
    validator, plainly_valid = _validator(schema)
    if plainly_valid is not None and plainly_valid(data):
        assert isinstance(data, dict)
        return data
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        raise ApiProblem(422, "Some fields are missing or invalid: " + ", ".join(
            dict.fromkeys(_field(e) for e in errors)) + ".",
            [{"field": _field(e), "message": e.message} for e in errors])
    assert isinstance(data, dict)
    return data


def parse_date(value: str | None, field: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApiProblem(422, f"{field} must be a date like 2026-03-01.",
                         [{"field": field, "message": "not a date (YYYY-MM-DD)"}]) from None


def parse_moment(value: str, field: str) -> datetime:
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


def path_ids(request: Request) -> tuple[str, str]:
    source, external_id = request.path_params["source"], request.path_params["external_id"]
    for field, value, limit in (("source", source, 80), ("external_id", external_id, 200)):
        if not 0 < len(value) <= limit or _unstorable(value):
            raise ApiProblem(422, f"The {field} in the path must be 1 to {limit} characters "
                                  "without NUL.", [{"field": field, "message": "invalid"}])
    return source, external_id
