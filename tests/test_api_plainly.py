"""The quick check of a plainly valid API body (mijn.http.api.plainly) says "valid" only when
jsonschema does, for every input schema of the API; and it does answer for a status event."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from mijn.http.api import documentspec, schemas, task_schemas
from mijn.http.api.common import check_fields
from mijn.http.api.plainly import compile_check

FORMATS = FormatChecker()
SCHEMAS = {
    name: value
    for module in (schemas, task_schemas, documentspec)
    for name, value in vars(module).items()
    if name.isupper() and isinstance(value, dict) and value.get("type") == "object"
    and compile_check(value, FORMATS) is not None  # the others: jsonschema alone
}
TEXTS = ["", "a", "ontvangen", "in_uitvoering", "E-1", "a b", "a/b", "x" * 80, "x" * 81,
         "x" * 200, "x" * 201, "abc\n", "\n", "2026-03-01T10:00:00+01:00", "2026-03-01",
         "web", "phone", "basis", "hoog", "bsn", "123456789012", "é", "-a", ".a"]
SCALARS = st.one_of(st.sampled_from(TEXTS), st.text(max_size=5), st.booleans(), st.none(),
                    st.integers(-2, 2), st.floats(allow_nan=False), st.just([]), st.just({}))


def bodies(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Objects with the schema's properties (some missing, an extra one now and then), each
    a near-valid or wrong value; nested objects likewise."""
    props = schema.get("properties", {})
    values: dict[str, st.SearchStrategy[Any]] = {}
    for name, sub in props.items():
        values[name] = st.one_of(SCALARS, bodies(sub)) if sub.get("type") == "object" \
            else SCALARS
    keys = st.lists(st.sampled_from([*props, "extra"]), unique=True)
    return keys.flatmap(lambda ks: st.fixed_dictionaries({k: values.get(k, SCALARS) for k in ks}))


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_never_more_lenient_than_jsonschema(name: str) -> None:
    schema = SCHEMAS[name]
    check = compile_check(schema, FORMATS)
    assert check is not None
    validator = Draft202012Validator(schema, format_checker=FORMATS)

    @settings(max_examples=300, deadline=None)
    @given(bodies(schema))
    def agree(data: Any) -> None:
        if check(data):
            assert validator.is_valid(data), data

    agree()


def test_a_status_event_is_checked_quickly() -> None:
    assert "STATUS_IN" in SCHEMAS
    check = compile_check(schemas.STATUS_IN, FORMATS)
    assert check is not None
    event = {"event_id": "E-1", "status": "ontvangen", "occurred_at": "2026-03-01T10:00:00Z",
             "explanation": "Klaar.", "channel": "web"}
    assert check(event)
    assert not check({**event, "event_id": "a b"})
    assert not check({**event, "unknown": 1})
    assert not check({k: v for k, v in event.items() if k != "status"})
    assert check_fields(event, schemas.STATUS_IN) is event
