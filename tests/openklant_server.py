"""A Klantinteracties API (Open Klant 2.6, API 0.9) for the tests: the resources Mijn uses,
with the standard's validation, stored in memory, behind a token; it can fail or time out on
request. Run by uvicorn on 127.0.0.1 in a thread (`running()`).

The rules and where they come from are in `tests/openklant_schemas/`: every request body is
checked against its JSON Schema there (required fields, lengths, enumerations, patterns), and
the rules a schema cannot say (the identifier combinations, uniqueness, references that must
exist) are checked here, each with its source.
"""

from __future__ import annotations

import asyncio
import functools
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

SCHEMAS = Path(__file__).parent / "openklant_schemas"
PREFIX = "/klantinteracties/api/v1"
TOKEN = "test-openklant-token-0123456789abcdef"  # noqa: S105 - a test server's
RESOURCES = ("partijen", "partij-identificatoren", "digitaleadressen", "klantcontacten",
             "betrokkenen", "onderwerpobjecten", "actoren", "actorklantcontacten",
             "internetaken", "vertegenwoordigingen")
# The list filters Mijn uses (Open Klant's filtersets, src/openklant/components/
# klantinteracties/api/filterset/*.py); any other is refused (400), so that a misspelt filter
# fails a test rather than returning every object, as django-filter would.
FILTERS: dict[str, dict[str, str]] = {
    "partijen": {
        "partijIdentificator__codeObjecttype": "ids.codeObjecttype",
        "partijIdentificator__codeSoortObjectId": "ids.codeSoortObjectId",
        "partijIdentificator__objectId": "ids.objectId",
        "partijIdentificator__codeRegister": "ids.codeRegister",
        "soortPartij": "soortPartij",
    },
    "klantcontacten": {
        "referentienummer": "referentienummer",
        "hadBetrokkene__wasPartij__uuid": "partijen",
        "onderwerpobject__onderwerpobjectidentificatorObjectId": "onderwerpen",
    },
    "betrokkenen": {"hadKlantcontact__uuid": "hadKlantcontact.uuid",
                    "wasPartij__uuid": "wasPartij.uuid"},
    "onderwerpobjecten": {"klantcontact__uuid": "klantcontact.uuid",
                          "wasKlantcontact__uuid": "wasKlantcontact.uuid"},
    "actoren": {"actoridentificatorObjectId": "actoridentificator.objectId",
                "actoridentificatorCodeRegister": "actoridentificator.codeRegister",
                "soortActor": "soortActor"},
    "actorklantcontacten": {"actor__uuid": "actor.uuid", "klantcontact__uuid": "klantcontact.uuid"},
    "internetaken": {"aanleidinggevendKlantcontact__uuid": "aanleidinggevendKlantcontact.uuid",
                     "status": "status"},
    "digitaleadressen": {"verstrektDoorPartij__uuid": "verstrektDoorPartij.uuid",
                         "verstrektDoorBetrokkene__uuid": "verstrektDoorBetrokkene.uuid",
                         "soortDigitaalAdres": "soortDigitaalAdres", "adres": "adres"},
    "partij-identificatoren": {},
    "vertegenwoordigingen": {"vertegenwoordigendePartij__uuid": "vertegenwoordigendePartij.uuid",
                             "vertegenwoordigdePartij__uuid": "vertegenwoordigdePartij.uuid"},
}
# Open Klant 2.6 (PartijIdentificatorTypesValidator): the allowed combinations.
COMBINATIONS = {
    ("natuurlijk_persoon", "bsn", "brp"),
    ("niet_natuurlijk_persoon", "kvk_nummer", "hr"),
    ("niet_natuurlijk_persoon", "rsin", "hr"),
    ("vestiging", "vestigingsnummer", "hr"),
}


def schema(name: str) -> dict[str, Any]:
    """One of the JSON Schemas kept beside the tests."""
    loaded: dict[str, Any] = json.loads((SCHEMAS / f"{name}.json").read_text())
    return loaded


class Invalid(Exception):
    """A request the standard refuses (400 with invalidParams, as Open Klant answers)."""

    def __init__(self, name: str, code: str, reason: str) -> None:
        super().__init__(reason)
        self.params = [{"name": name, "code": code, "reason": reason}]


@dataclass
class Trouble:
    """What the server does wrong on request: `fail` (500), `down` (503), `slow` (time out
    before storing) or `slow_after` (store, then time out: the client never hears it
    succeeded), for the next `times` requests matching `method` and `resource`."""

    mode: str
    times: int = 1
    method: str = "POST"
    resource: str = ""


@dataclass
class Store:
    """The objects per resource, every request seen, and the trouble asked for."""

    base: str = "http://127.0.0.1"
    objects: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {name: {} for name in RESOURCES})
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    troubles: list[Trouble] = field(default_factory=list)
    delay: float = 8.0  # a time-out: longer than the client waits in a slow round
    joined: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # see _joined

    def reset(self) -> None:
        """Forget everything (between tests)."""
        for found in self.objects.values():
            found.clear()
        self.requests.clear()
        self.troubles.clear()

    def trouble(self, method: str, resource: str) -> str | None:
        for item in self.troubles:
            if item.times > 0 and item.method in (method, "*") and item.resource in ("", resource):
                item.times -= 1
                return item.mode
        return None

    def new(self, resource: str, data: dict[str, Any]) -> dict[str, Any]:
        key = str(uuid.uuid4())
        stored = {**data, "uuid": key, "url": f"{self.base}{PREFIX}/{resource}/{key}"}
        self.objects[resource][key] = stored
        return stored

    def ref(self, value: Any, resource: str, name: str) -> dict[str, str] | None:
        """A foreign key {uuid} that must name an existing object (None stays None)."""
        if value is None:
            return None
        key = value.get("uuid") if isinstance(value, dict) else None
        if key not in self.objects[resource]:
            raise Invalid(name, "does_not_exist", f"{resource} {key} bestaat niet.")
        return {"uuid": key, "url": self.objects[resource][key]["url"]}


@functools.cache
def _validator(name: str) -> Any:
    """The schema's validator, checked and built once (as jsonschema.validate would each time)."""
    found = schema(name)
    kind = jsonschema.validators.validator_for(found)
    kind.check_schema(found)
    return kind(found, format_checker=jsonschema.FormatChecker())


def _check(name: str, data: Any) -> None:
    exc = jsonschema.exceptions.best_match(_validator(name).iter_errors(data))
    if exc is not None:  # the error jsonschema.validate raises
        raise Invalid(".".join(str(p) for p in exc.absolute_path) or "nonFieldErrors",
                      str(exc.validator), exc.message) from None


def _identifier(store: Store, data: dict[str, Any], partij: str | None) -> dict[str, Any]:
    """A partij-identificator: an allowed combination, unique, and a vestiging under the
    company's kvk identifier (Open Klant 2.6, PartijIdentificatorUniquenessValidator and
    PartijIdentificatorTypesValidator)."""
    ident = data["partijIdentificator"]
    combo = (ident["codeObjecttype"], ident["codeSoortObjectId"], ident["codeRegister"])
    if combo not in COMBINATIONS:
        raise Invalid("partijIdentificator", "invalid", f"Combinatie {combo} is niet toegestaan.")
    for other in store.objects["partij-identificatoren"].values():
        if other["partijIdentificator"] == ident:
            raise Invalid("partijIdentificator", "unique", "Deze identificator bestaat al.")
    parent = store.ref(data.get("subIdentificatorVan"), "partij-identificatoren",
                       "subIdentificatorVan")
    if (combo[0] == "vestiging") != (parent is not None):
        raise Invalid("subIdentificatorVan", "invalid",
                      "Een vestiging hoort onder de kvk-identificator van haar bedrijf.")
    if parent is not None:
        upper = store.objects["partij-identificatoren"][parent["uuid"]]["partijIdentificator"]
        if upper["codeSoortObjectId"] != "kvk_nummer":
            raise Invalid("subIdentificatorVan", "invalid", "Alleen onder een kvk_nummer.")
    if ident["codeSoortObjectId"] == "bsn" and not _elfproef(ident["objectId"]):
        raise Invalid("partijIdentificator.objectId", "invalid", "Geen geldig BSN.")
    return {**data, "identificeerdePartij": {"uuid": partij} if partij else None,
            "subIdentificatorVan": parent}


def _elfproef(value: str) -> bool:
    if len(value) != 9 or not value.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(value[:8], range(9, 1, -1), strict=True))
    return (total - int(value[8])) % 11 == 0


def _identifier_alone(store: Store, data: dict[str, Any]) -> dict[str, Any]:
    _check("partij-identificator", data)
    partij = store.ref(data.get("identificeerdePartij"), "partijen", "identificeerdePartij")
    return _identifier(store, data, partij["uuid"] if partij else None)


def _partij(store: Store, data: dict[str, Any]) -> dict[str, Any]:
    _check("partij", data)
    data = dict(data)
    idents = data.pop("partijIdentificatoren", None) or []
    for ident in idents:  # all checked before anything is stored
        _check("partij-identificator", {**ident, "identificeerdePartij": None})
        _identifier(store, ident, None)
    if len({json.dumps(i["partijIdentificator"], sort_keys=True) for i in idents}) < len(idents):
        raise Invalid("partijIdentificatoren", "unique", "Dubbele identificator.")
    stored = store.new("partijen", data)
    stored["partijIdentificatoren"] = [
        {"uuid": store.new("partij-identificatoren",
                           _identifier(store, i, stored["uuid"]))["uuid"]} for i in idents]
    return stored


def _klantcontact(store: Store, data: dict[str, Any]) -> dict[str, Any]:
    _check("klantcontact", data)
    return data


def _betrokkene(store: Store, data: dict[str, Any], check: bool = True) -> dict[str, Any]:
    if check:
        _check("betrokkene", data)
    store.ref(data.get("wasPartij"), "partijen", "wasPartij")
    return {**data, "hadKlantcontact": store.ref(data.get("hadKlantcontact"), "klantcontacten",
                                                 "hadKlantcontact")}


def _onderwerpobject(store: Store, data: dict[str, Any], check: bool = True) -> dict[str, Any]:
    if check:
        _check("onderwerpobject", data)
    store.ref(data.get("wasKlantcontact"), "klantcontacten", "wasKlantcontact")
    return {**data, "klantcontact": store.ref(data.get("klantcontact"), "klantcontacten",
                                              "klantcontact")}


def _digitaal_adres(store: Store, data: dict[str, Any]) -> dict[str, Any]:
    _check("digitaal-adres", data)
    store.ref(data.get("verstrektDoorPartij"), "partijen", "verstrektDoorPartij")
    store.ref(data.get("verstrektDoorBetrokkene"), "betrokkenen", "verstrektDoorBetrokkene")
    return data


def _internetaak(store: Store, data: dict[str, Any]) -> dict[str, Any]:
    _check("internetaak", data)
    store.ref(data["aanleidinggevendKlantcontact"], "klantcontacten",
              "aanleidinggevendKlantcontact")
    for actor in data["toegewezenAanActoren"]:
        store.ref(actor, "actoren", "toegewezenAanActoren")
    stamp = datetime.now(UTC).isoformat()
    done = data.get("afgehandeldOp") or (stamp if data["status"] == "verwerkt" else None)
    return {**data, "toegewezenOp": stamp, "afgehandeldOp": done}


def _simple(name: str, refs: dict[str, str]) -> Any:
    def create(store: Store, data: dict[str, Any]) -> dict[str, Any]:
        _check(name, data)
        for key, resource in refs.items():
            store.ref(data.get(key), resource, key)
        return data
    return create


CREATE: dict[str, Any] = {
    "partij-identificatoren": lambda s, d: _identifier_alone(s, d),
    "digitaleadressen": _digitaal_adres,
    "klantcontacten": _klantcontact,
    "betrokkenen": _betrokkene,
    "onderwerpobjecten": _onderwerpobject,
    "actoren": _simple("actor", {}),
    "actorklantcontacten": _simple("actorklantcontact", {"actor": "actoren",
                                                         "klantcontact": "klantcontacten"}),
    "internetaken": _internetaak,
    "vertegenwoordigingen": _simple("vertegenwoordiging", {
        "vertegenwoordigendePartij": "partijen", "vertegenwoordigdePartij": "partijen"}),
}


def _patch_adres(found: dict[str, Any], body: dict[str, Any]) -> None:
    _check("digitaal-adres-patch", body)
    changed = {**found, **body}
    _check("digitaal-adres", {k: v for k, v in changed.items() if k not in ("uuid", "url")})
    found.update(body)


def _patch_taak(found: dict[str, Any], body: dict[str, Any]) -> None:
    _check("internetaak-patch", body)
    found.update(body)
    if found["status"] == "verwerkt" and not found.get("afgehandeldOp"):
        found["afgehandeldOp"] = datetime.now(UTC).isoformat()


PATCHED: dict[str, Any] = {"digitaleadressen": _patch_adres, "internetaken": _patch_taak}


def _joined(store: Store, path: str) -> dict[str, set[str]]:
    """Per klantcontact, the partijen of its betrokkenen or the objectIds of its
    onderwerpobjecten (built once per list request: a scan per object was quadratic)."""
    if path in store.joined:
        return store.joined[path]
    resource, via, field, key = (
        ("betrokkenen", "hadKlantcontact", "wasPartij", "uuid") if path == "partijen" else
        ("onderwerpobjecten", "klantcontact", "onderwerpobjectidentificator", "objectId"))
    joined: dict[str, set[str]] = {}
    for item in store.objects[resource].values():
        contact = (item.get(via) or {}).get("uuid")
        if contact:
            joined.setdefault(contact, set()).add((item.get(field) or {}).get(key, ""))
    store.joined[path] = joined
    return joined


def _value(obj: dict[str, Any], path: str, store: Store) -> set[str]:
    """The values a filter compares with (derived ones for joins across resources)."""
    if path.startswith("ids."):
        ids = [store.objects["partij-identificatoren"][i["uuid"]]["partijIdentificator"]
               for i in obj.get("partijIdentificatoren", [])]
        return {i[path[4:]] for i in ids}
    if path in ("partijen", "onderwerpen"):
        return _joined(store, path).get(obj["uuid"], set())
    found: Any = obj
    for part in path.split("."):
        found = found.get(part) if isinstance(found, dict) else None
    return {str(found).lower() if isinstance(found, bool) else str(found)}


class Server:
    """The ASGI app and its store."""

    def __init__(self) -> None:
        self.store = Store()
        self.app = Starlette(routes=[
            Route(PREFIX + "/maak-klantcontact", self.maak, methods=["POST"]),
            Route(PREFIX + "/{resource}", self.collection, methods=["GET", "POST"]),
            Route(PREFIX + "/{resource}/{key}", self.item, methods=["GET", "PATCH", "DELETE"]),
        ])

    async def _enter(self, request: Request, resource: str) -> tuple[Any, str | None]:
        if request.headers.get("authorization") != f"Token {TOKEN}":
            raise _Refused(401, {"detail": "Authenticatiegegevens zijn niet opgegeven."})
        if resource not in RESOURCES and resource != "maak-klantcontact":
            raise _Refused(404, {"detail": "Niet gevonden."})
        body = None
        if request.method in ("POST", "PATCH"):
            try:
                body = json.loads(await request.body())
            except ValueError:
                raise _Refused(400, {"detail": "JSON parse error"}) from None
            if not isinstance(body, dict):
                raise _Refused(400, {"detail": "Verwacht een object."})
        self.store.requests.append((request.method, resource, body))
        mode = self.store.trouble(request.method, resource)
        if mode == "fail":
            raise _Refused(500, {"detail": "Interne fout (op verzoek)."})
        if mode == "down":
            raise _Refused(503, {"detail": "Tijdelijk niet beschikbaar (op verzoek)."})
        if mode == "slow":
            await asyncio.sleep(self.store.delay)
        return body, mode

    async def _answer(self, mode: str | None, status: int, data: Any) -> Response:
        if mode == "slow_after":  # stored; the client gives up before it hears so
            await asyncio.sleep(self.store.delay)
        return JSONResponse(data, status_code=status)

    async def collection(self, request: Request) -> Response:
        resource = request.path_params["resource"]
        try:
            body, mode = await self._enter(request, resource)
            if request.method == "GET":
                return JSONResponse(self._list(resource, dict(request.query_params)))
            if resource == "partijen":  # stored with its identifiers
                stored = _partij(self.store, body)
            else:
                stored = self.store.new(resource, CREATE[resource](self.store, body))
            return await self._answer(mode, 201, stored)
        except _Refused as exc:
            return JSONResponse(exc.body, status_code=exc.status)
        except Invalid as exc:
            return JSONResponse({"title": "Invalid input.", "invalidParams": exc.params}, 400)

    async def item(self, request: Request) -> Response:
        resource, key = request.path_params["resource"], request.path_params["key"]
        try:
            body, mode = await self._enter(request, resource)
            found = self.store.objects[resource].get(key)
            if found is None:
                raise _Refused(404, {"detail": "Niet gevonden."})
            if request.method == "DELETE":
                del self.store.objects[resource][key]
                return Response(status_code=204)
            if request.method == "PATCH":
                if resource not in PATCHED:
                    raise _Refused(405, {"detail": "Niet in deze testserver."})
                PATCHED[resource](found, body)
            return await self._answer(mode, 200, found)
        except _Refused as exc:
            return JSONResponse(exc.body, status_code=exc.status)
        except Invalid as exc:
            return JSONResponse({"title": "Invalid input.", "invalidParams": exc.params}, 400)

    async def maak(self, request: Request) -> Response:
        """klantcontact, betrokkene and onderwerpobject in one call, all or nothing."""
        try:
            body, mode = await self._enter(request, "maak-klantcontact")
            _check("maak-klantcontact", body)
            store = self.store
            contact = store.new("klantcontacten", _klantcontact(store, body["klantcontact"]))
            key = {"uuid": contact["uuid"]}
            try:
                betrokkene = body.get("betrokkene") and store.new("betrokkenen", _betrokkene(
                    store, {**body["betrokkene"], "hadKlantcontact": key}, check=False))
                onderwerp = body.get("onderwerpobject") and store.new(
                    "onderwerpobjecten", _onderwerpobject(
                        store, {**body["onderwerpobject"], "klantcontact": key}, check=False))
            except Invalid:
                del store.objects["klantcontacten"][contact["uuid"]]
                raise
            answer = {"klantcontact": contact, "betrokkene": betrokkene or None,
                      "onderwerpobject": onderwerp or None}
            return await self._answer(mode, 201, answer)
        except _Refused as exc:
            return JSONResponse(exc.body, status_code=exc.status)
        except Invalid as exc:
            return JSONResponse({"title": "Invalid input.", "invalidParams": exc.params}, 400)

    def _list(self, resource: str, query: dict[str, str]) -> dict[str, Any]:
        page = int(query.pop("page", "1") or 1)
        query.pop("pageSize", None)
        unknown = set(query) - set(FILTERS[resource])
        if unknown:
            raise _Refused(400, {"detail": f"Onbekende filters: {sorted(unknown)}"})
        self.store.joined = {}
        found = [obj for obj in self.store.objects[resource].values()
                 if all(value in _value(obj, FILTERS[resource][name], self.store)
                        for name, value in query.items())]
        size = 100
        return {"count": len(found), "next": None, "previous": None,
                "results": found[(page - 1) * size: page * size]}


class _Refused(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status, self.body = status, body


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running() -> Iterator[tuple[Server, str]]:
    """The server on a free port of 127.0.0.1 in a thread; yields it and its API's URL."""
    server = Server()
    port = _free_port()
    server.store.base = f"http://127.0.0.1:{port}"
    config = uvicorn.Config(server.app, host="127.0.0.1", port=port, log_level="warning",
                            lifespan="off")
    runner = uvicorn.Server(config)
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not runner.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the Open Klant test server did not start")
        time.sleep(0.02)
    try:
        yield server, f"{server.store.base}{PREFIX}"
    finally:
        runner.should_exit = True
        thread.join(timeout=10)
