"""Configuration from MIJN_* variables; production refuses development defaults."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mijn.settings import DEV_SECRET_KEY, ConfigurationError, load_settings

PRODUCTION = {
    "MIJN_ENV": "production",
    "MIJN_SECRET_KEY": "x" * 40,
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


@pytest.mark.parametrize(
    ("change", "names"),
    [
        ({"MIJN_SECRET_KEY": DEV_SECRET_KEY}, "MIJN_SECRET_KEY"),
        ({"MIJN_SECRET_KEY": "short"}, "MIJN_SECRET_KEY"),
        ({"MIJN_OIDC_CITIZEN_ISSUER": ""}, "MIJN_OIDC_CITIZEN_ISSUER"),
        ({"MIJN_BASE_URL": "http://mijn.example.nl"}, "MIJN_BASE_URL"),
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
