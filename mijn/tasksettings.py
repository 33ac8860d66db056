"""The settings of tasks ("Te doen"): when to remind a party of a deadline, and the webhook a
completed task is pushed to (MIJN_TASK_*).

Apart from `mijn.settings` (configuration knows no area); `mijn.tasks` applies them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mijn.envvalues import ConfigurationError, Secret, int_value

MAX_REMIND_DAYS = 60
MIN_SECRET = 32


@dataclass(frozen=True)
class TaskSettings:
    """Reminders and the completion webhook."""

    # An e-mail this many days before a task's deadline (0: none before), and one on the day.
    remind_days: int = 3
    # Where a completed task is POSTed (empty: no webhook), signed with the secret.
    webhook_url: str = ""
    webhook_secret: Secret = field(default_factory=lambda: Secret(""))
    webhook_max_attempts: int = 8
    webhook_timeout: float = 10.0


def task_settings(env: Mapping[str, str]) -> TaskSettings:
    """Read MIJN_TASK_REMIND_DAYS, MIJN_TASK_WEBHOOK_URL, _SECRET and _MAX_ATTEMPTS."""
    days = int_value(env, "MIJN_TASK_REMIND_DAYS", 3)
    if not 0 <= days <= MAX_REMIND_DAYS:
        raise ConfigurationError(f"MIJN_TASK_REMIND_DAYS must be 0 to {MAX_REMIND_DAYS} days, "
                                 f"not {days}.")
    url = env.get("MIJN_TASK_WEBHOOK_URL", "").strip()
    secret = env.get("MIJN_TASK_WEBHOOK_SECRET", "")
    production = env.get("MIJN_ENV", "development") == "production"
    if url and not url.startswith(("https://",) if production else ("https://", "http://")):
        raise ConfigurationError("MIJN_TASK_WEBHOOK_URL must be an https:// address (http:// "
                                 "only in development).")
    if url and len(secret) < MIN_SECRET:
        raise ConfigurationError("MIJN_TASK_WEBHOOK_URL needs MIJN_TASK_WEBHOOK_SECRET: a random "
                                 f"value of at least {MIN_SECRET} characters.")
    attempts = int_value(env, "MIJN_TASK_WEBHOOK_MAX_ATTEMPTS", 8)
    if not 1 <= attempts <= 100:
        raise ConfigurationError("MIJN_TASK_WEBHOOK_MAX_ATTEMPTS must be 1 to 100, "
                                 f"not {attempts}.")
    return TaskSettings(days, url, Secret(secret), attempts)
