"""A form task's fields: their definition (a short list of typed fields) and checking what a
party filled in, per field type (text, date, choice, amount)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

FIELD_TYPES = ("text", "date", "choice", "amount")
MAX_TEXT = 2000
_AMOUNT = re.compile(r"^[0-9]{1,9}(\.[0-9]{1,2})?$")
_DUTCH_DATE = re.compile(r"^([0-9]{1,2})-([0-9]{1,2})-([0-9]{4})$")


@dataclass(frozen=True)
class Option:
    """One choice of a choice field."""

    value: str
    label_nl: str
    label_en: str


@dataclass(frozen=True)
class Field:
    """One field of a form task."""

    name: str
    type: str
    label_nl: str
    label_en: str
    help_nl: str
    help_en: str
    required: bool
    max_length: int
    options: tuple[Option, ...]
    minimum: Decimal | None
    maximum: Decimal | None


@dataclass(frozen=True)
class FieldError:
    """What is wrong with one field: code is empty, too_long, control, date, choice, amount,
    too_small or too_large."""

    field: str
    code: str


class FormDefinitionError(ValueError):
    """A form definition that cannot be used (beyond its JSON schema); names the field."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _number(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def parse_fields(definition: list[dict[str, Any]]) -> tuple[Field, ...]:
    """Fields from their JSON definition (already valid against the API's schema)."""
    return tuple(
        Field(
            item["name"], item["type"], item["label_nl"], item.get("label_en", ""),
            item.get("help_nl", ""), item.get("help_en", ""), item.get("required", True),
            int(item.get("max_length", MAX_TEXT)),
            tuple(Option(o["value"], o["label_nl"], o.get("label_en", ""))
                  for o in item.get("options", [])),
            _number(item.get("min")), _number(item.get("max")),
        )
        for item in definition
    )


def check_definition(definition: list[dict[str, Any]]) -> None:
    """What the schema cannot say: unique names and choice values, a choice's options, and
    an amount's minimum not above its maximum."""
    names = [item["name"] for item in definition]
    if len(set(names)) != len(names):
        raise FormDefinitionError("the field names must be unique", "fields")
    for index, found in enumerate(parse_fields(definition)):
        where = f"fields.{index}"
        if found.type == "choice" and len(found.options) < 2:
            raise FormDefinitionError("a choice field needs at least two options",
                                      f"{where}.options")
        if found.type != "choice" and found.options:
            raise FormDefinitionError("only a choice field has options", f"{where}.options")
        if len({o.value for o in found.options}) != len(found.options):
            raise FormDefinitionError("the option values must be unique", f"{where}.options")
        if found.minimum is not None and found.maximum is not None \
                and found.minimum > found.maximum:
            raise FormDefinitionError("min lies above max", f"{where}.min")


def load_fields(stored: str | None) -> tuple[Field, ...]:
    """The fields of a task as stored (none for a task that is not a form)."""
    return parse_fields(json.loads(stored)) if stored else ()


def _amount(raw: str) -> Decimal | None:
    """An amount as people write it: 12,50 or 12.50 or 1.234,56, with or without a euro sign."""
    text = raw.replace("€", "").replace(" ", "")
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"[0-9]{1,3}(\.[0-9]{3})+", text):
        text = text.replace(".", "")  # 1.234: thousands, not a fraction
    if not _AMOUNT.match(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        return None


def _date(raw: str) -> date | None:
    dutch = _DUTCH_DATE.match(raw)
    text = f"{dutch[3]}-{int(dutch[2]):02d}-{int(dutch[1]):02d}" if dutch else raw
    try:
        return date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        return None


def _check_amount(field: Field, raw: str) -> str | FieldError:
    amount = _amount(raw)
    if amount is None:
        return FieldError(field.name, "amount")
    if field.minimum is not None and amount < field.minimum:
        return FieldError(field.name, "too_small")
    if field.maximum is not None and amount > field.maximum:
        return FieldError(field.name, "too_large")
    return f"{amount:.2f}"


def _check_one(field: Field, raw: str) -> str | FieldError:
    """The value to keep, or what is wrong (raw is not empty)."""
    if field.type == "text":
        if len(raw) > field.max_length:
            return FieldError(field.name, "too_long")
        if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", raw):
            return FieldError(field.name, "control")
        return raw
    if field.type == "date":
        found = _date(raw)
        return found.isoformat() if found else FieldError(field.name, "date")
    if field.type == "choice":
        values = {o.value for o in field.options}
        return raw if raw in values else FieldError(field.name, "choice")
    return _check_amount(field, raw)


def check_answers(
    fields: tuple[Field, ...], raw: dict[str, str]
) -> tuple[dict[str, str], list[FieldError]]:
    """The answers to keep (field name -> value in a fixed form: dates as YYYY-MM-DD, amounts
    as 12.50) and every field's error, in the form's order."""
    answers: dict[str, str] = {}
    errors: list[FieldError] = []
    for field in fields:
        value = raw.get(field.name, "").replace("\r\n", "\n").strip()
        if not value:
            if field.required:
                errors.append(FieldError(field.name, "empty"))
            continue
        checked = _check_one(field, value)
        if isinstance(checked, FieldError):
            errors.append(checked)
        else:
            answers[field.name] = checked
    return answers, errors
