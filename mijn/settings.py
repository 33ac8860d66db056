"""All configuration of Mijn, read from MIJN_* environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mijn import ratewindows
from mijn.access.confidentiality import CONFIDENTIALITY
from mijn.access.loa import DEFAULT_ACR_LEVELS
from mijn.documentsettings import DocumentSettings, document_settings
from mijn.envvalues import ConfigurationError as ConfigurationError
from mijn.envvalues import Secret as Secret
from mijn.envvalues import (
    acr_levels_value,
    calendar_value,
    float_value,
    int_value,
    share_value,
)
from mijn.objectstore.settings import ObjectStoreSettings, object_store_settings
from mijn.openklantsettings import OpenKlantSettings, openklant_settings
from mijn.pgbouncer import PgBouncerSettings, load_pgbouncer
from mijn.ratewindows import RATE_LIMIT_DEFAULTS as RATE_LIMIT_DEFAULTS
from mijn.ratewindows import RateLimits
from mijn.retentionperiods import RetentionPeriods, retention_periods
from mijn.satisfactionsettings import SatisfactionSettings, satisfaction_settings
from mijn.scanning.settings import ScannerSettings, scanner_settings
from mijn.tasksettings import TaskSettings, task_settings
from mijn.telemetry import TelemetrySettings, telemetry_settings
from mijn.theme import Theme, load_theme
from mijn.workingtime import WorkingCalendar

DEV_SECRET_KEY = "development-only-secret-key-change-me"  # noqa: S105 - refused in production
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/mijn.sqlite3"
AUDIENCES = ("citizen", "business", "staff")
MAX_ATTEMPTS_LIMIT = 100  # of MIJN_NOTIFY_MAX_ATTEMPTS and MIJN_ZGW_MAX_ATTEMPTS


@dataclass(frozen=True)
class OidcAudience:
    """One OIDC login audience (citizen, business or staff)."""

    name: str
    issuer: str
    client_id: str
    client_secret: Secret
    scopes: str
    claims: Mapping[str, str] = field(default_factory=dict)

    @property
    def uses_dev_provider(self) -> bool:
        """True when no issuer is configured: the built-in development provider is used."""
        return not self.issuer


@dataclass(frozen=True)
class ZgwSettings:
    """The ZGW intake: Notificaties API callbacks, and the Zaken and Catalogi APIs it reads."""

    notifications_token: Secret = field(default_factory=lambda: Secret(""))
    zaken_url: str = ""
    catalogi_url: str = ""
    # The Documenten API whose enkelvoudiginformatieobjecten dossiers may refer to ("": none).
    documenten_url: str = ""
    client_id: str = ""
    secret: Secret = field(default_factory=lambda: Secret(""))
    max_confidentiality: str = "beperkt_openbaar"
    timeout: float = 10.0
    # Tries of a notification whose remote API keeps failing, before it is dead.
    max_attempts: int = 12

    @property
    def enabled(self) -> bool:
        """True when notifications are accepted (MIJN_ZGW_NOTIFICATIONS_TOKEN is set)."""
        return bool(self.notifications_token)

    def check(self, production: bool) -> None:
        """Refuse an incomplete or unsafe ZGW configuration."""
        if self.max_confidentiality not in CONFIDENTIALITY:
            raise ConfigurationError(
                f"MIJN_ZGW_MAX_CONFIDENTIALITY must be one of {', '.join(CONFIDENTIALITY)}, "
                f"not {self.max_confidentiality!r}."
            )
        if not 0 < self.timeout <= 300:
            raise ConfigurationError("MIJN_ZGW_TIMEOUT must be between 0 and 300 seconds.")
        if not 1 <= self.max_attempts <= MAX_ATTEMPTS_LIMIT:
            raise ConfigurationError(
                f"MIJN_ZGW_MAX_ATTEMPTS must be between 1 and {MAX_ATTEMPTS_LIMIT}."
            )
        if not self.enabled:
            return
        needed = {
            "MIJN_ZGW_ZAKEN_URL": self.zaken_url, "MIJN_ZGW_CATALOGI_URL": self.catalogi_url,
            "MIJN_ZGW_CLIENT_ID": self.client_id, "MIJN_ZGW_SECRET": self.secret.reveal(),
        }
        missing = [name for name, value in needed.items() if not value]
        if missing:
            raise ConfigurationError(
                f"MIJN_ZGW_NOTIFICATIONS_TOKEN is set, so {', '.join(missing)} must be set too."
            )
        urls = {"MIJN_ZGW_ZAKEN_URL": self.zaken_url, "MIJN_ZGW_CATALOGI_URL": self.catalogi_url,
                "MIJN_ZGW_DOCUMENTEN_URL": self.documenten_url}  # the last one is optional
        for name, url in urls.items():
            if not url:
                continue
            if production and not url.startswith("https://"):
                raise ConfigurationError(f"MIJN_ENV=production needs an https:// {name}.")
            if not url.startswith(("https://", "http://")):
                raise ConfigurationError(f"{name} must be an http(s):// URL, not {url!r}.")


@dataclass(frozen=True)
class Settings:
    """Everything Mijn can be configured with."""

    env: str = "development"
    database_url: str = DEFAULT_DATABASE_URL
    # PostgreSQL connections per process: kept open, and opened beyond that at peaks.
    database_pool_size: int = 20
    database_max_overflow: int = 10
    pgbouncer: PgBouncerSettings = field(default_factory=PgBouncerSettings)
    secret_key: Secret = field(default_factory=lambda: Secret(DEV_SECRET_KEY))
    base_url: str = "http://127.0.0.1:8000"
    smtp_url: str = field(default="", repr=False)  # may carry user:password@
    mail_from: str = "Mijn <noreply@localhost>"
    notify_bundle_minutes: int = 15
    # Tries of an e-mail the SMTP server refuses for now (4xx), before it is dead.
    notify_max_attempts: int = 8
    data_dir: Path = Path("var")
    session_idle_minutes: int = 15
    session_max_hours: int = 8
    staff_session_idle_minutes: int = 60
    claim_idle_minutes: int = 30  # a claim untouched this long returns to the queue; 0: never
    theme: Theme = field(default_factory=Theme)  # name, logo, colours, footer pages
    page_size: int = 10
    audiences: Mapping[str, OidcAudience] = field(default_factory=dict)
    zgw: ZgwSettings = field(default_factory=ZgwSettings)
    # Office hours for service levels (SLA): questions are due in working time.
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
    # acr claim value -> level of assurance (MIJN_LOA_ACR); an unknown acr is the lowest.
    acr_levels: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_ACR_LEVELS))
    # The share of questions the KCC aims to answer at first contact (the monthly report).
    fcr_target: float = 0.8
    # Per rule (RATE_LIMIT_DEFAULTS' names): (count, window in seconds) pairs; empty is off.
    rate_limits: RateLimits = field(default_factory=lambda: ratewindows.rate_limits({}))
    retention: RetentionPeriods = field(default_factory=RetentionPeriods)  # bewaartermijnen
    tasks: TaskSettings = field(default_factory=TaskSettings)  # reminders, webhook
    satisfaction: SatisfactionSettings = field(default_factory=SatisfactionSettings)  # KTO
    telemetry: TelemetrySettings = field(default_factory=TelemetrySettings)  # metrics, log format
    scanner: ScannerSettings = field(default_factory=ScannerSettings)  # clamd for uploads
    object_store: ObjectStoreSettings = field(default_factory=ObjectStoreSettings)  # S3
    documents: DocumentSettings = field(default_factory=DocumentSettings)  # storage, upload limit
    openklant: OpenKlantSettings = field(default_factory=OpenKlantSettings)  # Klantinteracties

    @property
    def is_production(self) -> bool:
        """True when running in production mode."""
        return self.env == "production"

    @property
    def dev_idp_enabled(self) -> bool:
        """The development identity provider runs only in development, for unset audiences."""
        return not self.is_production and any(
            a.uses_dev_provider for a in self.audiences.values()
        )

    @property
    def is_embedded_database(self) -> bool:
        """True for the zero set-up SQLite default."""
        return self.database_url.startswith("sqlite")

    @property
    def pool(self) -> dict[str, Any]:
        """The engine's pool limits (PostgreSQL; SQLite keeps its own) and PgBouncer's needs."""
        return {"pool_size": self.database_pool_size, "max_overflow": self.database_max_overflow,
                **self.pgbouncer.engine_options()}

    def audience(self, name: str) -> OidcAudience:
        """The OIDC settings of one audience."""
        return self.audiences[name]

    def check(self) -> None:
        """Refuse settings that must not run; the message says what to set."""
        if self.env not in ("development", "production"):
            raise ConfigurationError(
                f"MIJN_ENV must be 'development' or 'production', not {self.env!r}."
            )
        self.zgw.check(self.is_production)
        if self.database_pool_size < 1 or self.database_max_overflow < 0:
            raise ConfigurationError(
                "MIJN_DATABASE_POOL_SIZE must be at least 1 and MIJN_DATABASE_MAX_OVERFLOW at "
                "least 0 (connections per process)."
            )
        if not 1 <= self.notify_max_attempts <= MAX_ATTEMPTS_LIMIT:
            raise ConfigurationError(
                f"MIJN_NOTIFY_MAX_ATTEMPTS must be between 1 and {MAX_ATTEMPTS_LIMIT}."
            )
        if not self.is_production:
            return
        key = self.secret_key.reveal()
        if key == DEV_SECRET_KEY or len(key) < 32 or len(set(key)) < 10:
            raise ConfigurationError(
                "MIJN_ENV=production needs MIJN_SECRET_KEY: a random value of at least 32 "
                "characters (for example: "
                "python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        for audience in self.audiences.values():
            _check_production_audience(audience)
        if not self.base_url.startswith("https://"):
            raise ConfigurationError("MIJN_ENV=production needs an https:// MIJN_BASE_URL.")
        self._check_production_sessions()
        _check_production_smtp(self.smtp_url)
        if self.zgw.enabled and len(set(self.zgw.notifications_token.reveal())) < 10:
            raise ConfigurationError(
                "MIJN_ENV=production needs a random MIJN_ZGW_NOTIFICATIONS_TOKEN of at least 32 "
                "characters (the Notificaties API sends it with every callback)."
            )

    def _check_production_sessions(self) -> None:
        limits = (
            ("MIJN_SESSION_IDLE_MINUTES", self.session_idle_minutes, 60, "minutes"),
            ("MIJN_STAFF_SESSION_IDLE_MINUTES", self.staff_session_idle_minutes, 480, "minutes"),
            ("MIJN_SESSION_MAX_HOURS", self.session_max_hours, 12, "hours"),
        )
        for name, value, highest, unit in limits:
            if value > highest:
                raise ConfigurationError(
                    f"MIJN_ENV=production allows {name} of at most {highest} {unit}, "
                    f"not {value}: a session left open must end the same day."
                )


def _dev_client_secret(audience: str) -> str:
    """The client secret of the development provider (public: refused in production)."""
    return f"mijn-{audience}-dev-secret"


def _check_production_audience(audience: OidcAudience) -> None:
    """An identity provider in production: not the development one (citizens), over https,
    with Mijn's own client secret."""
    prefix = f"MIJN_OIDC_{audience.name.upper()}"
    if audience.uses_dev_provider:
        if audience.name == "citizen":
            raise ConfigurationError(
                "MIJN_ENV=production does not run the development identity provider: set "
                f"{prefix}_ISSUER, {prefix}_CLIENT_ID and {prefix}_CLIENT_SECRET."
            )
        return
    if not audience.issuer.startswith("https://"):
        raise ConfigurationError(f"MIJN_ENV=production needs an https:// {prefix}_ISSUER.")
    if audience.client_secret.reveal() in ("", _dev_client_secret(audience.name)):
        raise ConfigurationError(
            f"MIJN_ENV=production needs {prefix}_CLIENT_SECRET: the secret the identity "
            "provider gave Mijn's client."
        )


def _check_production_smtp(smtp_url: str) -> None:
    """A password for the mail server travels only over TLS (smtps:// or smtp+starttls://)."""
    parts = urlsplit(smtp_url)
    if parts.scheme == "smtp" and parts.password:
        raise ConfigurationError(
            "MIJN_ENV=production sends no SMTP password without TLS: use smtp+starttls:// or "
            "smtps:// in MIJN_SMTP_URL."
        )


_CLAIM_DEFAULTS: dict[str, dict[str, str]] = {
    "citizen": {"bsn": "bsn", "name": "name", "represented": "represented"},
    "business": {
        "kvk": "urn:etoegang:core:LegalSubjectID",
        "branch": "urn:etoegang:1.9:ServiceRestriction:Vestigingsnr",
        "name": "name",
        "company_name": "company_name",
    },
    "staff": {"roles": "roles", "teams": "teams", "name": "name"},
}


def _audience(env: Mapping[str, str], name: str) -> OidcAudience:
    prefix = f"MIJN_OIDC_{name.upper()}_"
    claims = {
        key: env.get(f"{prefix}{key.upper()}_CLAIM", default)
        for key, default in _CLAIM_DEFAULTS[name].items()
    }
    return OidcAudience(
        name=name,
        issuer=env.get(f"{prefix}ISSUER", "").rstrip("/"),
        client_id=env.get(f"{prefix}CLIENT_ID", f"mijn-{name}"),
        client_secret=Secret(env.get(f"{prefix}CLIENT_SECRET", _dev_client_secret(name))),
        scopes=env.get(f"{prefix}SCOPES", "openid"),
        claims=claims,
    )


def _zgw(env: Mapping[str, str]) -> ZgwSettings:
    return ZgwSettings(
        notifications_token=Secret(env.get("MIJN_ZGW_NOTIFICATIONS_TOKEN", "")),
        zaken_url=env.get("MIJN_ZGW_ZAKEN_URL", "").rstrip("/"),
        catalogi_url=env.get("MIJN_ZGW_CATALOGI_URL", "").rstrip("/"),
        documenten_url=env.get("MIJN_ZGW_DOCUMENTEN_URL", "").rstrip("/"),
        client_id=env.get("MIJN_ZGW_CLIENT_ID", ""),
        secret=Secret(env.get("MIJN_ZGW_SECRET", "")),
        max_confidentiality=env.get("MIJN_ZGW_MAX_CONFIDENTIALITY", "beperkt_openbaar").strip(),
        timeout=float_value(env, "MIJN_ZGW_TIMEOUT", 10.0),
        max_attempts=int_value(env, "MIJN_ZGW_MAX_ATTEMPTS", 12),
    )


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from the environment (or the given mapping) and check them."""
    env = os.environ if env is None else env
    data_dir = Path(env.get("MIJN_DATA_DIR", "var"))
    settings = Settings(
        env=env.get("MIJN_ENV", "development"),
        database_url=env.get("MIJN_DATABASE_URL", f"sqlite+aiosqlite:///{data_dir}/mijn.sqlite3"),
        database_pool_size=int_value(env, "MIJN_DATABASE_POOL_SIZE", 20),
        database_max_overflow=int_value(env, "MIJN_DATABASE_MAX_OVERFLOW", 10),
        pgbouncer=load_pgbouncer(env),
        secret_key=Secret(env.get("MIJN_SECRET_KEY", DEV_SECRET_KEY)),
        base_url=env.get("MIJN_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        smtp_url=env.get("MIJN_SMTP_URL", ""),
        mail_from=env.get("MIJN_MAIL_FROM", "Mijn <noreply@localhost>"),
        notify_bundle_minutes=int_value(env, "MIJN_NOTIFY_BUNDLE_MINUTES", 15),
        notify_max_attempts=int_value(env, "MIJN_NOTIFY_MAX_ATTEMPTS", 8),
        data_dir=data_dir,
        session_idle_minutes=int_value(env, "MIJN_SESSION_IDLE_MINUTES", 15),
        session_max_hours=int_value(env, "MIJN_SESSION_MAX_HOURS", 8),
        staff_session_idle_minutes=int_value(env, "MIJN_STAFF_SESSION_IDLE_MINUTES", 60),
        claim_idle_minutes=int_value(env, "MIJN_CLAIM_IDLE_MINUTES", 30),
        theme=load_theme(Path(env["MIJN_THEME_FILE"]) if env.get("MIJN_THEME_FILE") else None,
                         ConfigurationError),
        page_size=int_value(env, "MIJN_PAGE_SIZE", 10),
        audiences={name: _audience(env, name) for name in AUDIENCES},
        zgw=_zgw(env),
        calendar=calendar_value(env),
        acr_levels=acr_levels_value(env),
        fcr_target=share_value(env, "MIJN_FCR_TARGET", 0.8),
        rate_limits=ratewindows.rate_limits(env, ConfigurationError),
        retention=retention_periods(env),
        tasks=task_settings(env), satisfaction=satisfaction_settings(env),
        scanner=scanner_settings(env), documents=document_settings(env),
        telemetry=telemetry_settings(env, env.get("MIJN_ENV", "development") == "production"),
        object_store=object_store_settings(env, env.get("MIJN_ENV", "development") == "production"),
        openklant=openklant_settings(env, env.get("MIJN_ENV", "development") == "production"),
    )
    settings.check()
    return settings
