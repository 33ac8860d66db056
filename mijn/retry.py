"""Back-off between attempts, for everything Mijn retries (e-mail delivery, ZGW intake)."""

from __future__ import annotations

from datetime import timedelta


def backoff(attempts: int, first: timedelta, cap: timedelta) -> timedelta:
    """The wait after the `attempts`-th failed attempt: `first`, doubling, at most `cap`.

    The doubling stops at the cap, so any number of attempts is fine (no overflow).
    """
    delay = first
    for _ in range(attempts - 1):
        if delay >= cap:
            break
        delay *= 2
    return min(delay, cap)
