"""The life of a question, as designed: every action in every state, written out by hand.

The expected table below is an independent statement of the rules, not a copy of
`TRANSITIONS`: a change to the state machine must be made here as well, on purpose.
"""

from __future__ import annotations

import itertools

import pytest

from mijn.questions.models import STATES
from mijn.questions.states import (
    ACTIONS,
    TransitionRefused,
    allowed_actions,
    next_state,
    reopen_state,
)

MY_STATES = ("new", "claimed", "handed_over", "waiting", "answered", "closed")
MY_ACTIONS = (
    "claim", "release", "take", "take_over", "reply", "wait", "hand_over", "close",
    "citizen_reply", "hand_back", "reopen",
)
REOPENS = "reopens"  # the target depends on routed/assigned: see REOPEN below
NO = None  # refused

# state -> action -> target (NO: refused; REOPENS: where the citizen's reply takes it)
EXPECTED: dict[str, dict[str, str | None]] = {
    "new": {
        "take_over": NO, "claim": "claimed", "release": NO, "take": NO, "reply": "answered", "wait": NO,
        "hand_over": "handed_over", "close": "closed", "citizen_reply": "new", "hand_back": NO,
        "reopen": NO,
    },
    "claimed": {
        "take_over": "claimed", "claim": NO, "release": "new", "take": NO, "reply": "answered", "wait": "waiting",
        "hand_over": "handed_over", "close": "closed", "citizen_reply": "claimed", "hand_back": NO,
        "reopen": NO,
    },
    "handed_over": {
        "take_over": "handed_over", "claim": NO, "release": NO, "take": "handed_over", "reply": "answered",
        "wait": "waiting", "hand_over": "handed_over", "close": "closed",
        "citizen_reply": "handed_over", "hand_back": "new",  # back to the KCC's queue
        "reopen": NO,
    },
    "waiting": {
        "take_over": "waiting", "claim": NO, "release": NO, "take": NO, "reply": "answered", "wait": NO,
        "hand_over": NO, "close": "closed", "citizen_reply": REOPENS, "hand_back": NO,
        "reopen": NO,
    },
    "answered": {
        "take_over": "answered", "claim": NO, "release": NO, "take": NO, "reply": "answered", "wait": NO,
        "hand_over": NO, "close": "closed", "citizen_reply": REOPENS, "hand_back": NO,
        "reopen": "new",  # not satisfied: back to the KCC's queue, whoever had it
    },
    "closed": {
        "take_over": NO, "claim": NO, "release": NO, "take": NO, "reply": NO, "wait": NO,
        "hand_over": NO, "close": NO, "citizen_reply": REOPENS, "hand_back": NO,
        "reopen": "new",
    },
}

# (state, routed, assigned) -> where a citizen's reply takes a waiting/answered/closed question
REOPEN: dict[tuple[str, bool, bool], str] = {
    ("waiting", False, False): "new",
    ("waiting", False, True): "claimed",  # back to the agent who asked the citizen
    ("waiting", True, False): "handed_over",
    ("waiting", True, True): "handed_over",
    ("answered", False, False): "new",
    ("answered", False, True): "new",  # an answered question goes back to the queue
    ("answered", True, False): "handed_over",
    ("answered", True, True): "handed_over",
    ("closed", False, False): "new",
    ("closed", False, True): "new",
    ("closed", True, False): "handed_over",
    ("closed", True, True): "handed_over",
}
FLAGS = list(itertools.product((False, True), repeat=2))  # (routed, assigned)
PAIRS = list(itertools.product(MY_STATES, MY_ACTIONS))


def expected_target(state: str, action: str, routed: bool, assigned: bool) -> str | None:
    target = EXPECTED[state][action]
    return REOPEN[(state, routed, assigned)] if target == REOPENS else target


def test_the_table_covers_exactly_the_products_states_and_actions() -> None:
    assert set(STATES) == set(MY_STATES)
    assert set(ACTIONS) == set(MY_ACTIONS)
    assert all(set(row) == set(MY_ACTIONS) for row in EXPECTED.values())


@pytest.mark.parametrize(("routed", "assigned"), FLAGS)
@pytest.mark.parametrize(("state", "action"), PAIRS)
def test_every_action_in_every_state(state: str, action: str, routed: bool, assigned: bool) -> None:
    target = expected_target(state, action, routed, assigned)
    if target is None:
        with pytest.raises(TransitionRefused) as refused:
            next_state(state, action, routed=routed, assigned=assigned)
        assert (refused.value.state, refused.value.action) == (state, action)
        assert repr(action) in str(refused.value) and repr(state) in str(refused.value)
    else:
        assert next_state(state, action, routed=routed, assigned=assigned) == target


def test_the_table_has_the_designed_number_of_allowed_pairs() -> None:
    # claim 1, release 1, take 1, take_over 4, reply 5, wait 2, hand_over 3, close 5,
    # citizen_reply 6, hand_back 1, reopen 2
    allowed = [(s, a) for s, a in PAIRS if EXPECTED[s][a] is not None]
    assert len(allowed) == 31
    assert len(PAIRS) - len(allowed) == 35


@pytest.mark.parametrize("state", MY_STATES)
def test_allowed_actions_are_those_that_do_not_refuse(state: str) -> None:
    expected = {action for action, target in EXPECTED[state].items() if target is not None}
    assert set(allowed_actions(state)) == expected
    assert len(allowed_actions(state)) == len(expected)


@pytest.mark.parametrize(("state", "routed", "assigned"), list(REOPEN))
def test_reopen_targets(state: str, routed: bool, assigned: bool) -> None:
    expected = REOPEN[(state, routed, assigned)]
    assert reopen_state(state, routed=routed, assigned=assigned) == expected
    assert next_state(state, "citizen_reply", routed=routed, assigned=assigned) == expected


@pytest.mark.parametrize("state", ["", "open", "NEW", "deleted"])
def test_an_unknown_state_is_a_value_error_not_a_refusal(state: str) -> None:
    with pytest.raises(ValueError, match="unknown state") as error:
        next_state(state, "claim")
    assert not isinstance(error.value, TransitionRefused)


@pytest.mark.parametrize("state", MY_STATES)
def test_an_unknown_action_is_refused(state: str) -> None:
    with pytest.raises(TransitionRefused):
        next_state(state, "delete")
    assert "delete" not in allowed_actions(state)
