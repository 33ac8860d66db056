"""The ZGW intake: Notificaties API callbacks, read back from the Zaken and Catalogi APIs.

A callback is validated and stored first (a ZgwNotification, state `pending`), so that
nothing is lost when a remote API is down or slow. Processing reads the zaak, its
initiator, its zaaktype with the statustypen and the status, and upserts the dossier
(source `zgw`, external id the zaak's uuid) and its status event. A remote that fails
(timeout, connection error, 5xx, 401/403/408/429) leaves the notification pending with
an exponential back-off; after MAX_ATTEMPTS it is `failed`. A remote answer that means
the data is bad (another 4xx, a malformed object) fails it at once. Zaken above
MIJN_ZGW_MAX_CONFIDENTIALITY, and zaken without an initiator Mijn can show them to,
are `ignored`. Error texts name the step and the remote's answer, never personal data.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import time
import warnings
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import OctKey
from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from sqlalchemy import Select, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mijn.db import utcnow
from mijn.dossiers.models import CHANNELS
from mijn.dossiers.changes import DossierError, StatusSpec, ensure_dossier_type
from mijn.intake.models import ZgwNotification
from mijn.intake.service import DossierInput, IntakeError, StatusInput, add_status, upsert_dossier
from mijn.parties.service import InvalidIdentifier
from mijn.retry import backoff
from mijn.settings import CONFIDENTIALITY, ZgwSettings

log = logging.getLogger(__name__)

SOURCE = "zgw"
TYPE_PREFIX = "zgw-"
RESOURCES = ("zaak", "status", "rol")  # a new rol may bring the initiator of a zaak
MAX_ATTEMPTS = 12
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
MAX_PAGES = 20
REFERENCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{1,39}$"

_URL = {"type": "string", "minLength": 8, "maxLength": 1000, "pattern": r"^https?://[!-~]+$"}
NOTIFICATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "A Notificaties API 1.0 message. Kanaal 'test' is a connectivity check and needs no "
        "other field; other kanalen need all of them. Only kanaal 'zaken' with resource "
        "'zaak', 'status' or 'rol' (not actie 'destroy') is processed; others are "
        "acknowledged and dropped."
    ),
    "required": ["kanaal"],
    "properties": {
        "kanaal": {"type": "string", "minLength": 1, "maxLength": 50},
        "hoofdObject": {**_URL, "description": "URL of the zaak (in the Zaken API)."},
        "resource": {"type": "string", "minLength": 1, "maxLength": 100},
        "resourceUrl": {**_URL, "description": "URL of the resource (in the Zaken API)."},
        "actie": {"type": "string", "minLength": 1, "maxLength": 100},
        "aanmaakdatum": {"type": "string", "format": "date-time", "maxLength": 40},
        "kenmerken": {
            "type": "object",
            "description": "bronorganisatie, zaaktype, vertrouwelijkheidaanduiding.",
            "additionalProperties": {"type": ["string", "null"], "maxLength": 1000},
        },
    },
    "if": {"properties": {"kanaal": {"const": "test"}}},
    "then": {},
    "else": {"required": ["hoofdObject", "resource", "resourceUrl", "actie", "aanmaakdatum"]},
}
_VALIDATOR = Draft202012Validator(NOTIFICATION_SCHEMA, format_checker=FormatChecker())

# Words in a communicatiekanaal name, mapped to Mijn's channels (checked in this order).
_CHANNEL_WORDS = (
    ("mail", "email"), ("telefo", "phone"), ("phone", "phone"), ("balie", "counter"),
    ("loket", "counter"), ("counter", "counter"), ("social", "social_media"),
    ("twitter", "social_media"), ("facebook", "social_media"), ("whatsapp", "social_media"),
    ("instagram", "social_media"), ("partner", "partner"), ("internet", "web"),
    ("web", "web"), ("formulier", "web"), ("online", "web"), ("app", "web"),
)


class ZgwUnavailable(Exception):
    """A remote API failed in a way that may pass: try again later."""


class ZgwRefused(Exception):
    """A remote answer that will not get better by retrying: the data is bad."""


def _quiet_key(secret: str) -> OctKey:
    # Short shared secrets are common in ZGW set-ups; joserfc warns about each use.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        return OctKey.import_key(secret)


def notification_token_valid(token: str, settings: ZgwSettings) -> bool:
    """The configured token itself, or an HS256 JWT signed with it (the ZGW style)."""
    expected = settings.notifications_token.reveal()
    if not expected:
        return False
    if hmac.compare_digest(token.encode(), expected.encode()):
        return True
    if token.count(".") != 2:
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SecurityWarning)
            decoded = jwt.decode(token, _quiet_key(expected), algorithms=["HS256"])
        jwt.JWTClaimsRegistry(leeway=60).validate(decoded.claims)
    except (JoseError, ValueError, TypeError):
        return False
    return True


class ZgwClient:
    """Reads the Zaken and Catalogi APIs with a ZGW JWT (HS256, shared secret)."""

    def __init__(self, settings: ZgwSettings, http: httpx.AsyncClient) -> None:
        self.settings = settings
        self.http = http

    def token(self) -> str:
        """A fresh ZGW JWT for one call."""
        client_id = self.settings.client_id
        claims = {
            "iss": client_id, "iat": int(time.time()), "client_id": client_id,
            "user_id": client_id, "user_representation": "Mijn",
        }
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SecurityWarning)
            return jwt.encode({"alg": "HS256", "typ": "JWT"}, claims,
                              _quiet_key(self.settings.secret.reveal()))

    def in_zaken(self, url: str) -> bool:
        """True for a URL of the configured Zaken API."""
        return _under(url, self.settings.zaken_url)

    def in_catalogi(self, url: str) -> bool:
        """True for a URL of the configured Catalogi API."""
        return _under(url, self.settings.catalogi_url)

    async def get(self, what: str, url: str, params: dict[str, str] | None = None) -> Any:
        """GET one resource as JSON; only from the configured APIs (the JWT goes nowhere else)."""
        zaken = self.in_zaken(url)
        if not zaken and not self.in_catalogi(url):
            raise ZgwRefused(f"{what}: the URL is outside the configured Zaken and Catalogi APIs")
        api = "Zaken API" if zaken else "Catalogi API"
        headers = {"Authorization": f"Bearer {self.token()}", "Accept": "application/json"}
        if zaken:
            headers["Accept-Crs"] = "EPSG:4326"
        try:
            response = await self.http.get(
                url, params=params, headers=headers, timeout=self.settings.timeout
            )
        except httpx.TimeoutException:
            raise ZgwUnavailable(
                f"{what}: the {api} did not answer within {self.settings.timeout:g} s"
            ) from None
        except httpx.InvalidURL:
            raise ZgwRefused(f"{what}: the URL is not valid") from None
        except httpx.HTTPError as exc:
            raise ZgwUnavailable(f"{what}: cannot reach the {api} ({type(exc).__name__})") from None
        status = response.status_code
        if status >= 500 or status in (401, 403, 408, 429):
            raise ZgwUnavailable(f"{what}: the {api} answered {status}")
        if status != 200:
            raise ZgwRefused(f"{what}: the {api} answered {status}")
        try:
            return response.json()
        except ValueError:
            raise ZgwUnavailable(f"{what}: the {api} answered without JSON") from None

    async def get_object(self, what: str, url: str) -> dict[str, Any]:
        """GET one object."""
        return _object(await self.get(what, url), what)

    async def get_all(self, what: str, url: str, params: dict[str, str]) -> list[dict[str, Any]]:
        """GET a list, following `next` of the paginated {count, next, previous, results}."""
        found: list[dict[str, Any]] = []
        next_url: str | None = url
        query: dict[str, str] | None = params
        for _page in range(MAX_PAGES):
            assert next_url is not None
            page = await self.get(what, next_url, query)
            if isinstance(page, list):
                items: Any = page
                next_url = None
            else:
                page = _object(page, what)
                items = page.get("results")
                next_url = page.get("next") or None
            if not isinstance(items, list):
                raise ZgwRefused(f"{what}: the answer is not a list")
            found.extend(_object(item, what) for item in items)
            if next_url is None:
                return found
            if not isinstance(next_url, str):
                raise ZgwRefused(f"{what}: 'next' is not a URL")
            query = None  # the next link carries the query
        raise ZgwRefused(f"{what}: more than {MAX_PAGES} pages")


def _under(url: str, base: str) -> bool:
    return bool(base) and url.startswith(base + "/")


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ZgwRefused(f"{what}: the answer is not an object")
    return value


def _text(data: dict[str, Any], key: str, what: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ZgwRefused(f"{what}: {key} is missing")
    return value


def _uuid(data: dict[str, Any], url: str) -> str:
    value = data.get("uuid")
    if isinstance(value, str) and value:
        return value
    return url.rstrip("/").rsplit("/", 1)[-1]


def _date(data: dict[str, Any], key: str, what: str) -> date | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ZgwRefused(f"{what}: {key} is not a date") from None


def _moment(data: dict[str, Any], key: str, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(_text(data, key, what))
    except ValueError:
        raise ZgwRefused(f"{what}: {key} is not a date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # ZGW times are UTC


def _clean(value: Any, limit: int) -> str:
    """Remote text as the database takes it: no NUL, no lone surrogates, at most `limit`."""
    text = "" if value is None else str(value)
    text = text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return text[:limit].strip()


def _same_url(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")


def _field(error: ValidationError) -> str:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [p for p in error.validator_value if p not in error.instance]
        path.append(missing[0] if missing else "")
    return ".".join(path) or "(body)"


@dataclass(frozen=True)
class Message:
    """The parts of a notification that processing uses."""

    kanaal: str
    hoofd_object: str
    resource: str
    resource_url: str
    actie: str

    @property
    def relevant(self) -> bool:
        """Whether Mijn processes it: zaken, their statuses and rollen; not deletions."""
        return self.kanaal == "zaken" and self.resource in RESOURCES and self.actie != "destroy"


def parse_message(payload: Any) -> Message:
    """Check a notification's shape; IntakeError (422) names the first offending field."""
    errors = sorted(_VALIDATOR.iter_errors(payload), key=lambda e: list(e.absolute_path))
    if errors:
        raise IntakeError(f"{_field(errors[0])}: {errors[0].message}", _field(errors[0]))
    assert isinstance(payload, dict)
    if payload["kanaal"] != "test":
        try:
            datetime.fromisoformat(payload["aanmaakdatum"])
        except ValueError:
            raise IntakeError("aanmaakdatum must be a date-time", "aanmaakdatum") from None
    return Message(
        kanaal=payload["kanaal"], hoofd_object=payload.get("hoofdObject", ""),
        resource=payload.get("resource", ""), resource_url=payload.get("resourceUrl", ""),
        actie=payload.get("actie", ""),
    )


async def receive_notification(
    session: AsyncSession, payload: Any, settings: ZgwSettings
) -> ZgwNotification | None:
    """Validate a callback and store it for processing; None when there is nothing to do."""
    message = parse_message(payload)
    if not message.relevant:
        return None
    for field, url in (("hoofdObject", message.hoofd_object),
                       ("resourceUrl", message.resource_url)):
        if not _under(url, settings.zaken_url):
            raise IntakeError(f"{field} must be a URL of the Zaken API this portal reads "
                              "(MIJN_ZGW_ZAKEN_URL)", field)
    notification = ZgwNotification(
        payload=json.dumps(payload), state="pending", attempts=0,
        next_attempt_at=utcnow(), last_error="",
    )
    session.add(notification)
    await session.flush()
    return notification


@dataclass(frozen=True)
class Ignored:
    """Nothing to show: the reason."""

    reason: str


@dataclass(frozen=True)
class Gathered:
    """Everything read from the remote APIs for one notification."""

    zaak_url: str
    zaak: dict[str, Any]
    zaaktype: dict[str, Any]
    statustypen: list[dict[str, Any]]
    party_type: str
    party_id: str
    status_url: str | None
    status: dict[str, Any] | None
    statustype: dict[str, Any] | None


def initiator(rollen: list[dict[str, Any]]) -> tuple[str, str] | None:
    """The (identifier type, identifier) of the first initiator Mijn can show a zaak to."""
    for rol in rollen:
        if rol.get("omschrijvingGeneriek") not in (None, "initiator"):
            continue
        ident = rol.get("betrokkeneIdentificatie")
        if not isinstance(ident, dict):
            continue
        kind = rol.get("betrokkeneType")
        candidates: list[tuple[str, str]] = []
        if kind == "natuurlijk_persoon":
            candidates = [("bsn", "inpBsn")]
        elif kind == "vestiging":
            candidates = [("kvk", "kvkNummer")]
        elif kind == "niet_natuurlijk_persoon":
            candidates = [("kvk", "kvkNummer"), ("rsin", "innNnpId")]
        for party_type, key in candidates:
            value = ident.get(key)
            if isinstance(value, str) and value.strip():
                return party_type, value.strip()
    return None


async def _gather(client: ZgwClient, message: Message, settings: ZgwSettings) -> Gathered | Ignored:
    zaak_url = message.hoofd_object
    zaak = await client.get_object("zaak", zaak_url)
    secrecy = zaak.get("vertrouwelijkheidaanduiding")
    if secrecy not in CONFIDENTIALITY:
        return Ignored("zaak has no known vertrouwelijkheidaanduiding: not shown")
    if not settings.shows(str(secrecy)):
        return Ignored(f"zaak is {secrecy}, above MIJN_ZGW_MAX_CONFIDENTIALITY "
                       f"({settings.max_confidentiality})")
    canonical = zaak.get("url")
    if isinstance(canonical, str) and canonical:
        zaak_url = canonical  # what the Zaken API filters rollen and statussen by
    zaaktype_url = _text(zaak, "zaaktype", "zaak")
    if not client.in_catalogi(zaaktype_url):
        raise ZgwRefused("zaak: its zaaktype is outside the configured Catalogi API")
    zaaktype = await client.get_object("zaaktype", zaaktype_url)
    statustypen = [
        st for st in await client.get_all(
            "statustypen", f"{settings.catalogi_url}/statustypen", {"zaaktype": zaaktype_url}
        )
        if _same_url(str(st.get("zaaktype", zaaktype_url)), zaaktype_url)
    ]
    rollen = await client.get_all(
        "rollen", f"{settings.zaken_url}/rollen",
        {"zaak": zaak_url, "omschrijvingGeneriek": "initiator"},
    )
    party = initiator(rollen)
    if party is None:
        return Ignored("the zaak has no initiator with a BSN, KvK number or RSIN")
    status_url = message.resource_url if message.resource == "status" else zaak.get("status")
    if status_url is not None and not isinstance(status_url, str):
        raise ZgwRefused("zaak: status is not a URL")
    status = statustype = None
    if status_url:
        status = await client.get_object("status", status_url)
        if not _same_url(_text(status, "zaak", "status"), zaak_url):
            raise ZgwRefused("status: it belongs to another zaak")
        statustype = await client.get_object("statustype", _text(status, "statustype", "status"))
        if not _same_url(str(statustype.get("zaaktype", zaaktype_url)), zaaktype_url):
            raise ZgwRefused("statustype: it belongs to another zaaktype")
    return Gathered(zaak_url, zaak, zaaktype, statustypen, party[0], party[1],
                    status_url, status, statustype)


def _status_code(statustype: dict[str, Any]) -> str:
    number = statustype.get("volgnummer")
    if not isinstance(number, int) or isinstance(number, bool):
        raise ZgwRefused("statustype: volgnummer is missing")
    return str(number)


def _channel(zaak: dict[str, Any]) -> str:
    name = zaak.get("communicatiekanaalNaam") or zaak.get("communicatiekanaal") or ""
    if not isinstance(name, str) or name.startswith(("http://", "https://")):
        return "web"  # a Referentielijsten URL: not read, to spare another remote call
    lowered = name.lower()
    if lowered in CHANNELS:
        return lowered
    return next((channel for word, channel in _CHANNEL_WORDS if word in lowered), "web")


def type_code(zaaktype: dict[str, Any]) -> str:
    """The dossier type code of a zaaktype: zgw- and its identificatie (shared by versions)."""
    return (TYPE_PREFIX + _text(zaaktype, "identificatie", "zaaktype"))[:80]


async def _store(session: AsyncSession, found: Gathered) -> None:
    zaak, zaaktype = found.zaak, found.zaaktype
    ordered = sorted(found.statustypen, key=lambda st: int(_status_code(st)))
    specs = [
        StatusSpec(
            code=_status_code(st),
            label_nl=_clean(st.get("omschrijving") or f"Status {st['volgnummer']}", 200),
            label_en="", text_nl=_clean(st.get("statustekst"), 5000), text_en="",
            is_final=bool(st.get("isEindstatus")),
        )
        for st in ordered
    ]
    code = _clean(type_code(zaaktype), 80)
    name = _clean(zaaktype.get("omschrijving") or zaaktype["identificatie"], 200)
    await ensure_dossier_type(session, code, "case", name, "", specs)
    opened_on = _date(zaak, "startdatum", "zaak")
    if opened_on is None:
        raise ZgwRefused("zaak: startdatum is missing")
    identificatie = zaak.get("identificatie")
    reference = identificatie if isinstance(identificatie, str) and _fits(identificatie) else None
    data = DossierInput(
        source=SOURCE, external_id=_clean(_uuid(zaak, found.zaak_url), 200),
        party_type=found.party_type, party_id=found.party_id, dossier_type=code,
        title=_clean(zaak.get("omschrijving") or name, 300), channel=_channel(zaak),
        department="", opened_on=opened_on,
        expected_end=(_date(zaak, "einddatumGepland", "zaak")
                      or _date(zaak, "uiterlijkeEinddatumAfdoening", "zaak")),
        reference=reference, zgw_url=_clean(found.zaak_url, 500),
    )
    try:
        dossier, _created = await upsert_dossier(session, data)
    except IntakeError as exc:
        if exc.field != "reference":
            raise
        dossier, _created = await upsert_dossier(session, replace(data, reference=None))
    if found.status is None or found.statustype is None or found.status_url is None:
        return
    await add_status(session, dossier, SOURCE, StatusInput(
        event_id=_clean(_uuid(found.status, found.status_url), 190),
        status=_status_code(found.statustype),
        occurred_at=_moment(found.status, "datumStatusGezet", "status"),
        explanation=_clean(found.status.get("statustoelichting"), 2000),
    ))


def _fits(reference: str) -> bool:
    return re.fullmatch(REFERENCE_PATTERN, reference) is not None


def _finish(notification: ZgwNotification, state: str, reason: str) -> None:
    notification.state = state
    notification.last_error = reason[:500]
    notification.processed_at = utcnow()


def _retry_later(notification: ZgwNotification, reason: str) -> None:
    if notification.attempts >= MAX_ATTEMPTS:
        _finish(notification, "failed", f"gave up after {notification.attempts} attempts: "
                                        f"{reason}")
        return
    delay = backoff(notification.attempts, FIRST_DELAY, MAX_DELAY)
    notification.next_attempt_at = utcnow() + delay
    notification.last_error = reason[:500]


async def process_notification(
    session: AsyncSession, notification: ZgwNotification, client: ZgwClient,
    settings: ZgwSettings,
) -> str:
    """Try one pending notification once; returns its new state (pending when retried)."""
    notification.attempts += 1
    try:
        message = parse_message(json.loads(notification.payload))
        if not message.relevant:
            _finish(notification, "ignored", "not a zaak, status or rol notification")
        else:
            found = await _gather(client, message, settings)
            if isinstance(found, Ignored):
                _finish(notification, "ignored", found.reason)
            else:
                async with session.begin_nested():
                    await _store(session, found)
                _finish(notification, "done", "")
    except ZgwUnavailable as exc:
        _retry_later(notification, str(exc))
    except IntakeError as exc:
        _finish(notification, "failed", f"{exc.field}: {exc}" if exc.field else str(exc))
    except (ZgwRefused, DossierError, InvalidIdentifier) as exc:
        _finish(notification, "failed", str(exc))
    except SQLAlchemyError as exc:
        _retry_later(notification, f"database: {type(exc).__name__}")
    except Exception as exc:
        log.exception("ZGW notification %s: unexpected error", notification.id)
        _retry_later(notification, f"unexpected error: {type(exc).__name__}")
    await session.flush()
    if notification.state == "failed":
        log.warning("ZGW notification %s failed: %s", notification.id, notification.last_error)
    elif notification.state == "pending":
        log.info("ZGW notification %s: retry at %s (%s)", notification.id,
                 notification.next_attempt_at.isoformat(), notification.last_error)
    return notification.state


def _claim(session: AsyncSession, query: Select[ZgwNotification]
           ) -> Select[ZgwNotification]:
    """Lock the row so that parallel workers each take other rows (PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query


async def process_received(
    sessionmaker: async_sessionmaker[AsyncSession], client: ZgwClient, settings: ZgwSettings,
    notification_id: int,
) -> str | None:
    """Process one notification right after it arrived (unless a worker has it already)."""
    async with sessionmaker() as session:
        query = select(ZgwNotification).where(
            ZgwNotification.id == notification_id, ZgwNotification.state == "pending"
        )
        notification = await session.scalar(_claim(session, query))
        if notification is None:
            return None
        state = await process_notification(session, notification, client, settings)
        await session.commit()
        return state


async def process_due(
    sessionmaker: async_sessionmaker[AsyncSession], client: ZgwClient, settings: ZgwSettings,
    limit: int = 100, *, ignore_schedule: bool = False,
) -> Counter[str]:
    """Process up to `limit` pending notifications that are due (or all pending ones).

    Each is taken in its own transaction with FOR UPDATE SKIP LOCKED on PostgreSQL, so
    several workers can run at once. Returns how many ended in each state.
    """
    counts: Counter[str] = Counter()
    seen: list[int] = []
    for _ in range(limit):
        async with sessionmaker() as session:
            query = select(ZgwNotification).where(ZgwNotification.state == "pending")
            if not ignore_schedule:
                query = query.where(ZgwNotification.next_attempt_at <= utcnow())
            if seen:
                query = query.where(ZgwNotification.id.not_in(seen))
            query = query.order_by(ZgwNotification.next_attempt_at, ZgwNotification.id).limit(1)
            notification = await session.scalar(_claim(session, query))
            if notification is None:
                break
            seen.append(notification.id)
            counts[await process_notification(session, notification, client, settings)] += 1
            await session.commit()
    return counts


async def pending_count(session: AsyncSession) -> int:
    """How many notifications wait for a (re)try."""
    total = await session.scalar(
        select(func.count()).select_from(ZgwNotification)
        .where(ZgwNotification.state == "pending")
    )
    return int(total or 0)
