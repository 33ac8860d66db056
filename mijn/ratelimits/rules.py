"""The rules: what is limited, per whom, and how often (MIJN_RATE_<NAME>, see settings)."""

from __future__ import annotations

from dataclasses import dataclass

from mijn.settings import Settings


@dataclass(frozen=True)
class Window:
    """At most `limit` times per fixed window of `seconds`."""

    limit: int
    seconds: int


@dataclass(frozen=True)
class Rule:
    """A named limit with one or more windows (none: the rule is off)."""

    name: str
    windows: tuple[Window, ...]


# The names, as in MIJN_RATE_<NAME>; each rule's subject is given where it is applied.
QUESTIONS = "QUESTIONS"  # a party asks a new question
REPLIES = "REPLIES"  # a party replies to one of its questions
VOTES_PER_ANSWER = "VOTES_PER_ANSWER"  # a visitor votes on one answer
VOTES = "VOTES"  # a visitor votes on any answer
SEARCH = "SEARCH"  # a client address searches the answers
LOGINS = "LOGINS"  # a client address starts a login
API_FAILURES = "API_FAILURES"  # a client address sends a wrong API or ZGW token
VERIFY_EMAILS = "VERIFY_EMAILS"  # a party asks for a verification link
KCC_FIND = "KCC_FIND"  # a staff member looks a caller up
OPENED = "OPENED"  # a visitor records that it opened a suggested answer (the editors' figures)
SUGGESTIONS = "SUGGESTIONS"  # a party's question being typed is searched for answers
SATISFACTION_LINKS = "SATISFACTION_LINKS"  # a client address opens a satisfaction link
NAMES = (QUESTIONS, REPLIES, VOTES_PER_ANSWER, VOTES, SEARCH, LOGINS, API_FAILURES,
         VERIFY_EMAILS, KCC_FIND, OPENED, SUGGESTIONS, SATISFACTION_LINKS)


def rule(settings: Settings, name: str) -> Rule:
    """The rule of this name as configured."""
    windows = settings.rate_limits[name]
    return Rule(name, tuple(Window(limit, seconds) for limit, seconds in windows))
