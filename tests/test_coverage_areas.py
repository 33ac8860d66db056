"""scripts/coverage_areas.py: coverage per area of mijn/ and the floors it is held to."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import coverage
import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "coverage_areas.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("coverage_areas", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


areas_script: Any = _script()

SOURCES = {
    "__init__.py": "",
    "cli.py": "def sign(x):\n    if x < 0:\n        return -1\n    return 1\n\n\nsign(5)\n",
    "http/__init__.py": "",
    "http/common.py": "A = 1\n",
    "http/portal/__init__.py": "",
    "http/portal/pages.py": "A = 1\n",
    "notes/__init__.py": "",
    "notes/service.py": "A = 1\nif A:\n    B = 2\n",
}
# What a run that imported cli, pages and service (and so sign(5)) records; common never ran,
# and coverage lists it without arcs when it saves (the files of `source` that no test imported).
ARCS = {
    "__init__.py": [(-1, 0), (0, -1)],
    "cli.py": [(-1, 1), (-1, 2), (1, 7), (2, 4), (4, -1), (7, -1)],
    "http/__init__.py": [(-1, 0), (0, -1)],
    "http/portal/__init__.py": [(-1, 0), (0, -1)],
    "http/portal/pages.py": [(-1, 1), (1, -1)],
    "notes/__init__.py": [(-1, 0), (0, -1)],
    "notes/service.py": [(-1, 1), (1, 2), (2, 3), (3, -1)],
}
FLOORS = areas_script.Floors(area_lines=90.0, total_lines=85.0, total_branches=70.0)


@pytest.fixture
def measured(tmp_path: Path) -> dict[str, Any]:
    """The areas of a fabricated mijn/ and a coverage data file made up for it."""
    for name, text in SOURCES.items():
        (tmp_path / "mijn" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "mijn" / name).write_text(text)
    data = coverage.CoverageData(basename=str(tmp_path / ".coverage"))
    data.add_arcs({str(tmp_path / "mijn" / name): set(arcs) for name, arcs in ARCS.items()})
    data.touch_files([str(tmp_path / "mijn" / "http" / "common.py")])
    data.write()
    areas: dict[str, Any] = areas_script.measure(tmp_path / ".coverage", False, tmp_path)
    return areas


def test_each_package_each_front_end_and_each_top_level_module_is_an_area(
    measured: dict[str, Any]
) -> None:
    assert list(measured) == ["mijn/__init__.py", "mijn/cli.py", "mijn/http/",
                              "mijn/http/portal/", "mijn/notes/"]
    cli = measured["mijn/cli.py"]
    assert (cli.lines, cli.lines_run, cli.branches, cli.branches_run) == (5, 4, 2, 1)
    assert measured["mijn/http/"].lines_pct == 0.0  # the file no test imported counts too
    assert measured["mijn/http/portal/"].lines_pct == 100.0
    assert measured["mijn/__init__.py"].lines == 0


def test_an_area_below_the_floor_is_named_with_what_to_do(measured: dict[str, Any]) -> None:
    problems = areas_script.failures(measured, FLOORS)
    below = [p for p in problems if "of its lines" in p]
    assert [p.split()[0] for p in below] == ["mijn/cli.py", "mijn/http/"]
    assert "runs 80.0% of its lines, below the floor of 90%" in below[0]
    assert "coverage report -m --include='mijn/cli.py'" in below[0]
    assert "--include='mijn/http/*'" in below[1]


def test_the_totals_are_held_to_their_own_floors(measured: dict[str, Any]) -> None:
    total = areas_script.total_of(measured)
    # 5 + 1 + 1 + 3 statements (10), of which 4 + 1 + 3 ran; 2 + 2 branches, 1 + 1 taken.
    assert (total.lines, total.lines_run, total.branches, total.branches_run) == (10, 8, 4, 2)
    problems = areas_script.failures(measured, FLOORS)
    assert [p for p in problems if "of all" in p] == [
        "the tests run 80.0% of all lines, below the floor of 85%: test what the new code "
        "does (the floors are in pyproject.toml [tool.mijn.coverage]; raise them as coverage "
        "grows, never lower them to let a change through)",
        "the tests run 50.0% of all branches, below the floor of 70%: test what the new code "
        "does (the floors are in pyproject.toml [tool.mijn.coverage]; raise them as coverage "
        "grows, never lower them to let a change through)",
    ]


def test_at_the_floors_nothing_fails(measured: dict[str, Any]) -> None:
    at = areas_script.Floors(area_lines=0.0, total_lines=80.0, total_branches=50.0)
    assert areas_script.failures(measured, at) == []
    assert areas_script.failures(measured, areas_script.Floors(0.0, 80.1, 50.0)) != []


def test_the_table_lists_every_area_and_the_total(measured: dict[str, Any]) -> None:
    lines = areas_script.table(measured).splitlines()
    assert lines[0].split() == ["area", "lines", "run", "branches", "taken"]
    assert lines[2].split() == ["mijn/cli.py", "5", "80.0%", "2", "50.0%"]
    assert lines[-1].split() == ["total", "10", "80.0%", "4", "50.0%"]


def test_the_floors_are_read_from_pyproject() -> None:
    floors = areas_script.load_floors(SCRIPT.parent.parent / "pyproject.toml")
    assert floors.area_lines == 90.0
    assert 0 < floors.total_branches <= floors.total_lines <= 100
