"""The staff member behind a KCC session, and what each role may do: the one place that
says what an agent, a specialist, a team lead and an editor may see and change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

ROLES = ("agent", "specialist", "lead", "editor")


class Routed(Protocol):
    """Anything that may have been handed over to a specialist (a question)."""

    @property
    def handed_over(self) -> bool: ...


@dataclass(frozen=True)
class Staff:
    """A logged-in staff member: their id and roles (from the staff login)."""

    id: int
    roles: tuple[str, ...]

    @property
    def sees_all(self) -> bool:
        """Agents and team leads see every question and every party, work the queue, register
        contacts and callbacks; specialists see only what was handed to them or their team."""
        return "agent" in self.roles or "lead" in self.roles

    @property
    def handles_questions(self) -> bool:
        """Whether the questions workspace is theirs at all (an editor alone has answers)."""
        return self.sees_all or self.is_specialist

    @property
    def is_specialist(self) -> bool:
        """Specialists take questions handed over to their team."""
        return "specialist" in self.roles

    @property
    def is_lead(self) -> bool:
        """Team leads also release a question another member holds."""
        return "lead" in self.roles

    @property
    def edits_answers(self) -> bool:
        """Editors keep the answers (the knowledge base) right."""
        return "editor" in self.roles

    @property
    def reads_insight(self) -> bool:
        """Team leads and editors read the monthly report."""
        return self.is_lead or self.edits_answers

    @property
    def queue_role(self) -> str:
        """The role in which they take a question from the queue."""
        return "agent" if "agent" in self.roles else "lead"

    @property
    def main_role(self) -> str:
        """The role kept with what they do outside a question (a party's page, a contact)."""
        return "agent" if "agent" in self.roles else self.roles[0]

    def may_release(self, assignee_id: int | None) -> bool:
        """The holder of a claimed question gives it back, or a team lead does."""
        return assignee_id == self.id or self.is_lead

    def may_answer(self, assignee_id: int | None) -> bool:
        """Reply to, wait on, hand over or close a question: one nobody holds, or their own.
        A question a colleague holds is theirs until it is released, or a team lead takes
        it over explicitly (and so holds it, on the record)."""
        return assignee_id is None or assignee_id == self.id

    def may_take_over(self, assignee_id: int | None) -> bool:
        """A team lead takes over a question a colleague holds."""
        return self.is_lead and assignee_id is not None and assignee_id != self.id

    def role_for(self, question: Routed) -> str:
        """The role this member acts in on a question (kept with every event)."""
        if self.is_specialist and (question.handed_over or not self.sees_all):
            return "specialist"
        return "lead" if self.is_lead and "agent" not in self.roles else "agent"
