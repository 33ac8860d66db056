"""A dossier's steps: every status of its type in order, each done, current or still to
come, with the date it was reached (the dossier page's stepper)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from mijn.dossiers.records import EventRecord, StatusRecord


@dataclass(frozen=True)
class Step:
    """One status of the dossier's type as this dossier stands."""

    status: StatusRecord
    state: str  # done | current | todo
    reached_at: datetime | None  # the last time the dossier reached it (None: never, or todo)
    explanation: str  # what the organisation wrote about this dossier when it got there


def dossier_steps(
    statuses: Sequence[StatusRecord],
    current: StatusRecord | None,
    timeline: Sequence[tuple[EventRecord, StatusRecord | None]],
) -> list[Step]:
    """The type's statuses in order; those before the current one are done (also when the
    dossier skipped them: a step of the type that it never reached has no date), the current
    one is current (done when it is final), the rest is still to come."""
    reached: dict[int, EventRecord] = {}
    for event, _status in timeline:
        if event.status_type_id is not None:
            reached[event.status_type_id] = event  # the timeline is in order: the last wins
    position = current.position if current is not None else -1
    steps = []
    for status in statuses:
        if current is not None and status.id == current.id:
            state = "done" if status.is_final else "current"
        else:
            state = "done" if status.position < position else "todo"
        seen = reached.get(status.id) if state != "todo" else None
        steps.append(Step(status, state, seen.occurred_at if seen else None,
                          seen.explanation if seen else ""))
    return steps
