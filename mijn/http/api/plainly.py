"""A quick yes for a body that is plainly valid against its schema, before jsonschema.

jsonschema's validator walks a schema through generic keyword functions and costs ~0.1 ms
for a status event: a fifth of the event's own CPU. Most bodies are valid, so each schema is
compiled once into a small check of the keywords it uses. The check may only say "valid"
when jsonschema would: it knows a few keywords exactly (object, string and boolean types,
properties, required, additionalProperties false, min/maxLength, pattern, enums of strings,
a format the format checker does not check) and answers "not sure" for anything else; then
jsonschema decides, and names the errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jsonschema import FormatChecker

Check = Callable[[Any], bool]
# Keywords that only describe (no effect on validity).
_ANNOTATIONS = frozenset({"description", "default", "examples", "title", "$comment"})


def compile_check(schema: dict[str, Any], formats: FormatChecker) -> Check | None:
    """A check that is True only for data valid against the schema; None when the schema
    uses a keyword this module does not know (then only jsonschema checks)."""
    keys = set(schema) - _ANNOTATIONS
    kind = schema.get("type")
    if kind == "object":
        return _object(schema, keys - {"type"}, formats)
    if "enum" in keys:
        if keys != {"enum"} or not all(isinstance(v, str) for v in schema["enum"]):
            return None
        allowed = frozenset(schema["enum"])
        return lambda v: isinstance(v, str) and v in allowed
    if kind == "boolean" and keys == {"type"}:
        return lambda v: isinstance(v, bool)
    if kind == "string":
        return _string(schema, keys - {"type"}, formats)
    return None


def _string(schema: dict[str, Any], keys: set[str], formats: FormatChecker) -> Check | None:
    if not keys <= {"minLength", "maxLength", "pattern", "format"}:
        return None
    if "format" in keys and schema["format"] in formats.checkers:
        return None  # a format the checker checks: jsonschema's business
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    search = re.compile(schema["pattern"]).search if "pattern" in keys else None

    def check(v: Any) -> bool:
        return (isinstance(v, str) and len(v) >= low and (high is None or len(v) <= high)
                and (search is None or search(v) is not None))

    return check


def _object(schema: dict[str, Any], keys: set[str], formats: FormatChecker) -> Check | None:
    if not keys <= {"properties", "required", "additionalProperties"}:
        return None
    if schema.get("additionalProperties", False) is not False:
        return None
    if "additionalProperties" not in keys:
        return None  # other properties allowed: not needed yet
    checks = {}
    for name, sub in schema.get("properties", {}).items():
        found = compile_check(sub, formats)
        if found is None:
            return None
        checks[name] = found
    required = tuple(schema.get("required", ()))

    def check(v: Any) -> bool:
        if not isinstance(v, dict):
            return False
        for name in required:
            if name not in v:
                return False
        for name, value in v.items():
            each = checks.get(name)
            if each is None or not each(value):
                return False
        return True

    return check
