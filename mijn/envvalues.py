"""Reading single values from MIJN_* environment variables, with errors that say what to set.

Kept apart from `mijn.settings` so each group of settings (in its own module) reads its values
the same way.
"""

from __future__ import annotations

from collections.abc import Mapping

from mijn.access.loa import DEFAULT_ACR_LEVELS, LOA_LEVELS
from mijn.workingtime import WorkingCalendar, parse_calendar


class ConfigurationError(Exception):
    """The configuration cannot be used; the message says what to set."""


class Secret:
    """A string that never shows itself in logs, reprs or tracebacks."""

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the secret value itself."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


def int_value(env: Mapping[str, str], key: str, default: int) -> int:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{key} must be a whole number, not {raw!r}.") from None


def float_value(env: Mapping[str, str], key: str, default: float) -> float:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigurationError(f"{key} must be a number of seconds, not {raw!r}.") from None


def share_value(env: Mapping[str, str], key: str, default: float) -> float:
    """A share as a fraction (0.8) or a percentage (80%), above 0 and at most 1."""
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise ConfigurationError(
            f"{key} must be a share above 0 and at most 1 (0.8) or a percentage (80%), "
            f"not {raw!r}."
        )
    return value


def calendar_value(env: Mapping[str, str]) -> WorkingCalendar:
    try:
        return parse_calendar(
            env.get("MIJN_WORKING_HOURS", "08:30-17:00"),
            env.get("MIJN_WORKING_DAYS", "1-5"),
            env.get("MIJN_HOLIDAYS", ""),
        )
    except ValueError as exc:
        raise ConfigurationError(
            f"MIJN_WORKING_HOURS, MIJN_WORKING_DAYS or MIJN_HOLIDAYS cannot be used: {exc}"
        ) from None


def acr_levels_value(env: Mapping[str, str]) -> dict[str, str]:
    raw = env.get("MIJN_LOA_ACR", "").strip()
    if not raw:
        return dict(DEFAULT_ACR_LEVELS)
    levels: dict[str, str] = {}
    for item in raw.split(","):
        acr, _, level = item.strip().rpartition("=")
        if not acr or level not in LOA_LEVELS:
            raise ConfigurationError(
                "MIJN_LOA_ACR must be a comma-separated list of acr=level, with level one of "
                f"{', '.join(LOA_LEVELS)}; {item.strip()!r} is not."
            )
        levels[acr] = level
    return levels
