"""The answers area's one error, and the check every free text it takes goes through."""

from __future__ import annotations

from mijn.plaintext import has_control, is_blank


class AnswerError(ValueError):
    """Input an answer, its feedback or a flag cannot take; `field` and `code` say why."""

    def __init__(self, field: str, code: str, detail: str = "") -> None:
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code
        self.detail = detail


def checked_text(value: str, name: str, limit: int, required: bool = True) -> str:
    """The text with Windows line ends made plain and stripped; AnswerError when it holds a
    control character (a NUL byte and the like), is empty or invisible (and required), or is
    longer than the limit."""
    text = value.replace("\r\n", "\n").strip()
    if has_control(text):
        raise AnswerError(name, "control")
    if required and is_blank(text):
        raise AnswerError(name, "empty")
    if len(text) > limit:
        raise AnswerError(name, "too_long")
    return text
