"""The ZGW intake: Notificaties API callbacks, read back from the Zaken and Catalogi APIs.

This module takes a callback in and turns one into a dossier; zgw_client reads the remote
APIs, zgw_queue processes the stored notifications and retries them.

A callback is validated and stored first (a ZgwNotification, state `pending`), so that
nothing is lost when a remote API is down or slow. Processing reads the zaak, its
initiator, its zaaktype with the statustypen and the status, and upserts the dossier
(source `zgw`, external id the zaak's uuid) and its status event. A remote that fails
(timeout, connection error, 5xx, 401/403/408/429) leaves the notification pending with
an exponential back-off; after MIJN_ZGW_MAX_ATTEMPTS it is `dead`. A remote answer that means
the data is bad (another 4xx, a malformed object) makes it dead at once. Zaken above
MIJN_ZGW_MAX_CONFIDENTIALITY, and zaken without an initiator Mijn can show them to,
are `ignored`. Error texts name the step and the remote's answer, never personal data.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from mijn.access.confidentiality import CONFIDENTIALITY, may_show
from mijn.channels import CHANNELS
from mijn.db import utcnow
from mijn.dossiers.changes import KEEP, StatusSpec, ensure_dossier_type
from mijn.intake.models import ZgwNotification
from mijn.intake.service import DossierInput, IntakeError, StatusInput, add_status, upsert_dossier
from mijn.intake.zgw_client import ZgwClient, ZgwRefused, under
from mijn.intake.zgw_documents import RESOURCE, FoundDocument, gather_document, store_document
from mijn.settings import ZgwSettings

SOURCE = "zgw"
TYPE_PREFIX = "zgw-"
RESOURCES = ("zaak", "status", "rol", RESOURCE)  # a rol may bring the initiator; a document
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
    if not message.relevant or (message.resource == RESOURCE and not settings.documenten_url):
        return None  # documents only with a Documenten API to read them from
    for field, url in (("hoofdObject", message.hoofd_object),
                       ("resourceUrl", message.resource_url)):
        if not under(url, settings.zaken_url):
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
    document: FoundDocument | None = None


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


async def gather(client: ZgwClient, message: Message, settings: ZgwSettings) -> Gathered | Ignored:
    """Read the zaak, its zaaktype and statustypen, its initiator and its status."""
    zaak_url = message.hoofd_object
    zaak = await client.get_object("zaak", zaak_url)
    hidden = _hidden(zaak, settings)
    if hidden is not None:
        return hidden
    canonical = zaak.get("url")
    if isinstance(canonical, str) and canonical:
        zaak_url = canonical  # what the Zaken API filters rollen and statussen by
    zaaktype_url, zaaktype, statustypen = await _zaaktype(client, zaak, settings)
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
        status, statustype = await _status(client, status_url, zaak_url, zaaktype_url)
    document = await gather_document(client, message.resource, message.resource_url, zaak_url,
                                     settings)
    return Gathered(zaak_url, zaak, zaaktype, statustypen, party[0], party[1],
                    status_url, status, statustype, document)


def _hidden(zaak: dict[str, Any], settings: ZgwSettings) -> Ignored | None:
    """Why the zaak is not shown (its vertrouwelijkheidaanduiding), if it is not."""
    secrecy = zaak.get("vertrouwelijkheidaanduiding")
    if secrecy not in CONFIDENTIALITY:
        return Ignored("zaak has no known vertrouwelijkheidaanduiding: not shown")
    if not may_show(str(secrecy), settings.max_confidentiality):
        return Ignored(f"zaak is {secrecy}, above MIJN_ZGW_MAX_CONFIDENTIALITY "
                       f"({settings.max_confidentiality})")
    return None


async def _zaaktype(
    client: ZgwClient, zaak: dict[str, Any], settings: ZgwSettings
) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    """The zaak's zaaktype: its URL, itself and its statustypen."""
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
    return zaaktype_url, zaaktype, statustypen


async def _status(
    client: ZgwClient, status_url: str, zaak_url: str, zaaktype_url: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The status and its statustype, checked to belong to this zaak and zaaktype."""
    status = await client.get_object("status", status_url)
    if not _same_url(_text(status, "zaak", "status"), zaak_url):
        raise ZgwRefused("status: it belongs to another zaak")
    statustype = await client.get_object("statustype", _text(status, "statustype", "status"))
    if not _same_url(str(statustype.get("zaaktype", zaaktype_url)), zaaktype_url):
        raise ZgwRefused("statustype: it belongs to another zaaktype")
    return status, statustype


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


async def store(session: AsyncSession, found: Gathered) -> None:
    """Upsert the dossier type, the dossier and its status from what was read."""
    code, name = await _store_type(session, found.zaaktype, found.statustypen)
    data = _dossier_input(found, code, name)
    try:
        dossier, _created = await upsert_dossier(session, data)
    except IntakeError as exc:
        if exc.field != "reference":
            raise
        dossier, _created = await upsert_dossier(session, replace(data, reference=None))
    if found.document is not None:
        await store_document(session, dossier, found.document)
    if found.status is None or found.statustype is None or found.status_url is None:
        return
    await add_status(session, dossier, SOURCE, StatusInput(
        event_id=_clean(_uuid(found.status, found.status_url), 190),
        status=_status_code(found.statustype),
        occurred_at=_moment(found.status, "datumStatusGezet", "status"),
        explanation=_clean(found.status.get("statustoelichting"), 2000),
    ))


async def _store_type(
    session: AsyncSession, zaaktype: dict[str, Any], statustypen: list[dict[str, Any]]
) -> tuple[str, str]:
    """The zaaktype as a dossier type with its statuses in order: its code and name."""
    ordered = sorted(statustypen, key=lambda st: int(_status_code(st)))
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
    await ensure_dossier_type(session, code, "case", name, KEEP, specs, KEEP, owner=SOURCE)
    return code, name


def _dossier_input(found: Gathered, code: str, name: str) -> DossierInput:
    """The zaak as a dossier of source zgw."""
    zaak = found.zaak
    opened_on = _date(zaak, "startdatum", "zaak")
    if opened_on is None:
        raise ZgwRefused("zaak: startdatum is missing")
    identificatie = zaak.get("identificatie")
    reference = identificatie if isinstance(identificatie, str) and _fits(identificatie) else None
    return DossierInput(
        source=SOURCE, external_id=_clean(_uuid(zaak, found.zaak_url), 200),
        party_type=found.party_type, party_id=found.party_id, dossier_type=code,
        title=_clean(zaak.get("omschrijving") or name, 300), channel=_channel(zaak),
        department="", opened_on=opened_on,
        expected_end=(_date(zaak, "einddatumGepland", "zaak")
                      or _date(zaak, "uiterlijkeEinddatumAfdoening", "zaak")),
        reference=reference, zgw_url=_clean(found.zaak_url, 500),
    )


def _fits(reference: str) -> bool:
    return re.fullmatch(REFERENCE_PATTERN, reference) is not None
