"""The retention periods (bewaartermijnen): how many days each kind of data is kept once it
is done with, read from MIJN_RETENTION_*_DAYS; 0 keeps it for ever.

Apart from `mijn.settings` (configuration knows no area); `mijn.retention` applies them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mijn.envvalues import ConfigurationError, int_value

KEEP = 0  # a period of 0 days: never removed
# What each period counts from (README.md, "Retention").
DEFAULT_DAYS = {
    "dossiers": KEEP,  # closed_on: the source system decides (its selectielijst), by default
    "questions": 730,  # last change of an answered or closed question
    "contacts": 730,  # when the contact took place
    "notifications": 365,  # when it was made (unless its e-mail is still to be sent)
    "sessions": 7,  # when the session expired
    "audit": 730,  # when it was logged: then anonymised, not deleted
}
MAX_DAYS = 36500


@dataclass(frozen=True)
class RetentionPeriods:
    """Days to keep each kind of data after it is done with; 0: keep it."""

    dossiers: int = DEFAULT_DAYS["dossiers"]
    questions: int = DEFAULT_DAYS["questions"]
    contacts: int = DEFAULT_DAYS["contacts"]
    notifications: int = DEFAULT_DAYS["notifications"]
    sessions: int = DEFAULT_DAYS["sessions"]
    audit: int = DEFAULT_DAYS["audit"]

    def days(self, kind: str) -> int:
        """The period of one kind (a name of DEFAULT_DAYS)."""
        value: int = getattr(self, kind)
        return value


def retention_periods(env: Mapping[str, str]) -> RetentionPeriods:
    """Read MIJN_RETENTION_{DOSSIERS,QUESTIONS,...}_DAYS; refuse what is not 0..36500."""
    days: dict[str, int] = {}
    for kind, default in DEFAULT_DAYS.items():
        key = f"MIJN_RETENTION_{kind.upper()}_DAYS"
        days[kind] = int_value(env, key, default)
        if not 0 <= days[kind] <= MAX_DAYS:
            raise ConfigurationError(
                f"{key} must be a number of days from 0 (keep for ever) to {MAX_DAYS}, "
                f"not {days[kind]}."
            )
    return RetentionPeriods(**days)
