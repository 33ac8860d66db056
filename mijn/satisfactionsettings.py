"""Satisfaction (KTO) settings: per kind of question whether it is asked and with which
wording (a five-point scale or "tevreden / niet tevreden"), how long after the answer it is
asked, and for how long. Read from MIJN_SATISFACTION_*.

Apart from `mijn.settings` (configuration knows no area); `mijn.questions.satisfaction`
applies them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mijn.envvalues import ConfigurationError, int_value

SCALES = ("five", "two", "off")  # five-point scale, tevreden / niet tevreden, not asked
DEFAULT_SCALES = {"question": "five", "callback": "two"}
DOSSIER_DEFAULT = "off"  # after a dossier is closed: asked only when an operator turns it on
MAX_WAIT_MINUTES = 30 * 24 * 60
MAX_DAYS = 90


@dataclass(frozen=True)
class SatisfactionSettings:
    """Per kind of question the scale asked ("off": not asked); the wait after the answer
    (or the closing) before asking; the days after that it is still asked."""

    question: str = DEFAULT_SCALES["question"]
    callback: str = DEFAULT_SCALES["callback"]
    wait_minutes: int = 60
    days: int = 14
    dossier: str = DOSSIER_DEFAULT  # after a dossier is closed (its final status)

    def scale(self, kind: str) -> str | None:
        """The scale asked for this kind of question (or "dossier": after a dossier is
        closed); None when it is not asked."""
        value = getattr(self, kind, "off") if kind in (*DEFAULT_SCALES, "dossier") else "off"
        return None if value == "off" else str(value)

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kinds of question it is asked for."""
        return tuple(kind for kind in DEFAULT_SCALES if self.scale(kind))


def satisfaction_settings(env: Mapping[str, str]) -> SatisfactionSettings:
    """Read MIJN_SATISFACTION_{QUESTION,CALLBACK,DOSSIER} (five | two | off),
    MIJN_SATISFACTION_WAIT_MINUTES and MIJN_SATISFACTION_DAYS."""
    scales: dict[str, str] = {}
    for kind, default in {**DEFAULT_SCALES, "dossier": DOSSIER_DEFAULT}.items():
        key = f"MIJN_SATISFACTION_{kind.upper()}"
        scales[kind] = (env.get(key) or default).strip().lower()
        if scales[kind] not in SCALES:
            raise ConfigurationError(
                f"{key} must be five, two or off, not {scales[kind]!r}.")
    wait = int_value(env, "MIJN_SATISFACTION_WAIT_MINUTES", 60)
    if not 0 <= wait <= MAX_WAIT_MINUTES:
        raise ConfigurationError(
            f"MIJN_SATISFACTION_WAIT_MINUTES must be 0 to {MAX_WAIT_MINUTES}, not {wait}.")
    days = int_value(env, "MIJN_SATISFACTION_DAYS", 14)
    if not 1 <= days <= MAX_DAYS:
        raise ConfigurationError(f"MIJN_SATISFACTION_DAYS must be 1 to {MAX_DAYS}, not {days}.")
    return SatisfactionSettings(scales["question"], scales["callback"], wait, days,
                                scales["dossier"])
