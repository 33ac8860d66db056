"""The life of a question: which action may happen in which state, and where it leads.

new -> claimed -> answered -> closed, with handed_over (to a team or a specialist) and
waiting (on the citizen). A citizen's reply reopens a waiting, answered or closed question:
back to whoever it was handed over to, to the agent who waited for it, or else to the queue.
A party not satisfied with the answer may reopen it ("reopen"): always back to the queue.
"""

from __future__ import annotations

from mijn.i18n import N_
from mijn.questions.models import OPEN_STATES, STATES

REOPEN = "reopen"  # resolved by reopen_state(): depends on where the question was

TRANSITIONS: dict[str, dict[str, str]] = {
    "claim": {"new": "claimed"},
    "release": {"claimed": "new"},
    "take": {"handed_over": "handed_over"},
    # A team lead takes over a question a colleague holds (the state stays as it is).
    "take_over": {s: s for s in ("claimed", "handed_over", "waiting", "answered")},
    "reply": {s: "answered" for s in (*OPEN_STATES, "answered")},
    "wait": {"claimed": "waiting", "handed_over": "waiting"},
    "hand_over": {"new": "handed_over", "claimed": "handed_over", "handed_over": "handed_over"},
    "close": {s: "closed" for s in (*OPEN_STATES, "answered")},
    # A specialist hands a question back to the KCC: it goes back to the queue.
    "hand_back": {"handed_over": "new"},
    # The party was not satisfied with the answer: back to the KCC queue, with its history.
    "reopen": {"answered": "new", "closed": "new"},
    "citizen_reply": {
        "new": "new", "claimed": "claimed", "handed_over": "handed_over",
        "waiting": REOPEN, "answered": REOPEN, "closed": REOPEN,
    },
}
ACTIONS = tuple(TRANSITIONS)


class TransitionRefused(ValueError):
    """This action is not possible in the question's current state."""

    def __init__(self, state: str, action: str) -> None:
        super().__init__(f"{action!r} is not possible in state {state!r}")
        self.state = state
        self.action = action


def reopen_state(state: str, *, routed: bool, assigned: bool) -> str:
    """Where a citizen's reply takes a waiting, answered or closed question."""
    if routed:
        return "handed_over"
    if state == "waiting" and assigned:
        return "claimed"
    return "new"


def next_state(state: str, action: str, *, routed: bool = False, assigned: bool = False) -> str:
    """The state after this action, or TransitionRefused.

    routed: the question was handed over (to a team or a specialist);
    assigned: someone holds it (claimed it, or it was handed to them by name).
    """
    if state not in STATES:
        raise ValueError(f"unknown state {state!r}")
    target = TRANSITIONS.get(action, {}).get(state)
    if target is None:
        raise TransitionRefused(state, action)
    if target == REOPEN:
        return reopen_state(state, routed=routed, assigned=assigned)
    return target


def allowed_actions(state: str) -> tuple[str, ...]:
    """The actions possible in a state (for showing only the buttons that work)."""
    return tuple(action for action, table in TRANSITIONS.items() if state in table)


# How a citizen reads a question's state; staff see the plain state names.
QUESTION_STATE_LABELS = {
    "new": N_("Ontvangen"),
    "claimed": N_("In behandeling"),
    "handed_over": N_("Doorgezet naar een specialist"),
    "waiting": N_("Wij wachten op uw reactie"),
    "answered": N_("Beantwoord"),
    "closed": N_("Gesloten"),
}
STAFF_STATE_LABELS = {
    "new": N_("Nieuw"),
    "claimed": N_("Opgepakt"),
    "handed_over": N_("Doorgezet"),
    "waiting": N_("Wacht op klant"),
    "answered": N_("Beantwoord"),
    "closed": N_("Gesloten"),
}
