"""Rate limit windows as configured (MIJN_RATE_<NAME>): parsed here, counted by
mijn/ratelimits. Domain-free, so that the configuration can read them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Rate limits (MIJN_RATE_<NAME>): a comma-separated list of count/window, the window a number
# and s, m, h or d ("5/10m,20/1d": 5 per 10 minutes and 20 per day), or "off".
RATE_LIMIT_DEFAULTS = {
    "QUESTIONS": "5/10m,20/1d", "REPLIES": "10/10m,40/1d",  # per party: asking, replying
    "VOTES_PER_ANSWER": "1/1d", "VOTES": "20/1h",  # "did this help?": per answer, in all
    "SEARCH": "60/1m,1000/1h", "LOGINS": "30/1m,300/1h",  # per client address
    "API_FAILURES": "10/10m",  # failed API and ZGW token checks per client address
    "VERIFY_EMAILS": "5/1d",  # e-mail address verification links per party
    "KCC_FIND": "30/10m,300/1d",  # look-ups of a caller per staff member
    "OPENED": "60/1m,600/1h",  # suggested answers opened, per visitor (party, else address)
    "SUGGESTIONS": "60/1m,1000/1h",  # answers looked up while a party types its question
    "SATISFACTION_LINKS": "20/10m,100/1d",  # satisfaction e-mail links per client address
}
_RATE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
RateLimits = Mapping[str, tuple[tuple[int, int], ...]]


def rate_windows(
    key: str, raw: str, error: type[Exception] = ValueError
) -> tuple[tuple[int, int], ...]:
    """One setting's (count, seconds) pairs; a bad value raises `error` naming the setting."""
    if raw.strip().lower() == "off":
        return ()
    windows: dict[int, int] = {}  # seconds: count
    for item in raw.split(","):
        match = re.fullmatch(r"\s*(\d{1,9})\s*/\s*(\d{0,6})\s*([smhd])\s*", item)
        seconds = int(match[2] or 1) * _RATE_UNITS[match[3]] if match else 0
        if not match or int(match[1]) < 1 or not 0 < seconds <= 31 * 86400 or seconds in windows:
            raise error(
                f"{key} must be 'off' or a comma-separated list of count/window, like "
                "'5/10m,20/1d' (units s, m, h, d; each window different and at most 31 "
                f"days); {item.strip()!r} is not."
            )
        windows[seconds] = int(match[1])
    return tuple((count, seconds) for seconds, count in windows.items())


def rate_limits(env: Mapping[str, str], error: type[Exception] = ValueError) -> RateLimits:
    """MIJN_RATE_<NAME> for every rule (its default when unset)."""
    return {
        name: rate_windows(f"MIJN_RATE_{name}", env.get(f"MIJN_RATE_{name}") or default, error)
        for name, default in RATE_LIMIT_DEFAULTS.items()
    }
