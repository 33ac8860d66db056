"""The size rules of the house (README.md, "Architecture"): no module in mijn/ over 400
lines and no function over 40, so that each stays readable in one sitting. The import rules
are import-linter's contracts in pyproject.toml (run by scripts/test.sh)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

MIJN = Path(__file__).resolve().parent.parent / "mijn"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 40
# Generated or declarative text that reads as a whole (none yet).
EXEMPT: frozenset[str] = frozenset()


def _modules() -> list[Path]:
    return sorted(p for p in MIJN.rglob("*.py") if str(p.relative_to(MIJN)) not in EXEMPT)


def test_the_rules_see_every_module() -> None:
    names = {str(p.relative_to(MIJN)) for p in _modules()}
    assert {"app.py", "access/scope.py", "http/portal/routes.py"} <= names


def _long_functions(source: str) -> list[str]:
    """The functions (methods and nested ones too) over the limit, with their length."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno:
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                found.append(f"{node.name} ({length} lines)")
    return found


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(MIJN)))
def test_module_and_function_sizes(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    lines = source.count("\n")
    assert lines <= MAX_MODULE_LINES, f"{path.name} has {lines} lines: split it by what it does"
    long = _long_functions(source)
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {', '.join(long)}"


def test_a_method_one_line_over_the_limit_is_caught() -> None:
    def source(statements: int) -> str:
        body = "".join(f"        x{i} = {i}\n" for i in range(statements))
        return f"class C:\n    async def f(self) -> None:\n{body}"

    assert _long_functions(source(39)) == []
    assert _long_functions(source(40)) == ["f (41 lines)"]
