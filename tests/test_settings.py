"""Configuration from MIJN_* variables; production refuses development defaults."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mijn.app import create_app
from mijn.settings import DEV_SECRET_KEY, ConfigurationError, load_settings

PRODUCTION = {
    "MIJN_ENV": "production",
    "MIJN_SECRET_KEY": "4f1c9e2b7a6d3058e1b2c4d6f8a0b3c5d7e9f1a3b5c7d9e1",
    "MIJN_BASE_URL": "https://mijn.example.nl",
    "MIJN_OIDC_CITIZEN_ISSUER": "https://login.example.nl",
    "MIJN_OIDC_CITIZEN_CLIENT_ID": "mijn",
    "MIJN_OIDC_CITIZEN_CLIENT_SECRET": "s3cret",
}


def test_embedded_defaults_in_development() -> None:
    settings = load_settings({})
    assert settings.database_url == "sqlite+aiosqlite:///var/mijn.sqlite3"
    assert settings.dev_idp_enabled and settings.audience("citizen").uses_dev_provider
    assert settings.session_idle_minutes == 15 and settings.session_max_hours == 8
    assert settings.audience("citizen").claims["bsn"] == "bsn"


def test_production_with_everything_set_starts() -> None:
    settings = load_settings(PRODUCTION)
    assert settings.is_production and not settings.audience("citizen").uses_dev_provider
    tls = load_settings(PRODUCTION | {"MIJN_SMTP_URL": "smtp+starttls://mijn:geheim@mail:587",
                                      "MIJN_SESSION_IDLE_MINUTES": "60"})
    assert tls.smtp_url.startswith("smtp+starttls://")


@pytest.mark.parametrize(
    ("change", "names"),
    [
        ({"MIJN_SECRET_KEY": DEV_SECRET_KEY}, "MIJN_SECRET_KEY"),
        ({"MIJN_SECRET_KEY": "short"}, "MIJN_SECRET_KEY"),
        ({"MIJN_OIDC_CITIZEN_ISSUER": ""}, "MIJN_OIDC_CITIZEN_ISSUER"),
        ({"MIJN_BASE_URL": "http://mijn.example.nl"}, "MIJN_BASE_URL"),
        ({"MIJN_SECRET_KEY": "x" * 40}, "MIJN_SECRET_KEY"),
        ({"MIJN_OIDC_CITIZEN_ISSUER": "http://login.example.nl"}, "MIJN_OIDC_CITIZEN_ISSUER"),
        ({"MIJN_OIDC_CITIZEN_CLIENT_SECRET": ""}, "MIJN_OIDC_CITIZEN_CLIENT_SECRET"),
        ({"MIJN_OIDC_STAFF_ISSUER": "https://sso.example.nl", "MIJN_OIDC_STAFF_CLIENT_ID": "mijn"},
         "MIJN_OIDC_STAFF_CLIENT_SECRET"),
        ({"MIJN_SESSION_IDLE_MINUTES": "1440"}, "MIJN_SESSION_IDLE_MINUTES"),
        ({"MIJN_SESSION_MAX_HOURS": "72"}, "MIJN_SESSION_MAX_HOURS"),
        ({"MIJN_STAFF_SESSION_IDLE_MINUTES": "2880"}, "MIJN_STAFF_SESSION_IDLE_MINUTES"),
        ({"MIJN_SMTP_URL": "smtp://mijn:geheim@mail.example.nl:25"}, "MIJN_SMTP_URL"),
        ({"MIJN_ZGW_NOTIFICATIONS_TOKEN": "a", "MIJN_ZGW_ZAKEN_URL": "https://z.example.nl",
          "MIJN_ZGW_CATALOGI_URL": "https://c.example.nl", "MIJN_ZGW_CLIENT_ID": "mijn",
          "MIJN_ZGW_SECRET": "s"}, "MIJN_ZGW_NOTIFICATIONS_TOKEN"),
    ],
)
def test_production_refuses_development_defaults(change: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigurationError, match=names):
        load_settings(PRODUCTION | change)


def test_bad_numbers_name_the_variable() -> None:
    with pytest.raises(ConfigurationError, match="MIJN_SESSION_IDLE_MINUTES"):
        load_settings({"MIJN_SESSION_IDLE_MINUTES": "vijftien"})


@pytest.mark.parametrize(("raw", "share"), [("", 0.8), ("0.75", 0.75), ("85%", 0.85), ("1", 1.0)])
def test_first_contact_resolution_target(raw: str, share: float) -> None:
    assert load_settings({"MIJN_FCR_TARGET": raw}).fcr_target == pytest.approx(share)


@pytest.mark.parametrize("raw", ["80", "0", "-0.1", "tachtig", "150%"])
def test_first_contact_resolution_target_refuses_what_is_no_share(raw: str) -> None:
    with pytest.raises(ConfigurationError, match="MIJN_FCR_TARGET"):
        load_settings({"MIJN_FCR_TARGET": raw})


def test_secrets_never_print() -> None:
    settings = load_settings(PRODUCTION)
    assert "x" * 40 not in repr(settings) and "s3cret" not in repr(settings)


def test_cli_refuses_to_start_in_production_with_dev_defaults() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mijn.cli", "db", "upgrade"],
        env={"MIJN_ENV": "production", "PATH": ""}, capture_output=True, text=True, timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "MIJN_SECRET_KEY" in result.stderr


def test_pool_limits_reach_the_portals_engine(tmp_path: Path) -> None:
    """MIJN_DATABASE_POOL_SIZE / _MAX_OVERFLOW bound a process's PostgreSQL connections."""
    env = {"MIJN_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:5432/mijn",
           "MIJN_DATA_DIR": str(tmp_path)}
    default = create_app(load_settings(env)).state.engine.pool
    assert (default.size(), default._max_overflow) == (20, 10)
    small = create_app(load_settings(env | {"MIJN_DATABASE_POOL_SIZE": "3",
                                            "MIJN_DATABASE_MAX_OVERFLOW": "0"})).state.engine.pool
    assert (small.size(), small._max_overflow) == (3, 0)


@pytest.mark.parametrize("change", [{"MIJN_DATABASE_POOL_SIZE": "0"},
                                    {"MIJN_DATABASE_MAX_OVERFLOW": "-1"}])
def test_pool_limits_must_make_sense(change: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError, match="MIJN_DATABASE_POOL_SIZE"):
        load_settings(change)
