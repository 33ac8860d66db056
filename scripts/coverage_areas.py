"""Coverage per area of mijn/, held to the floors in pyproject.toml [tool.mijn.coverage].

Run after `coverage combine` (scripts/test.sh does): prints lines and branches covered per
area and in total, and exits 1 naming each area or total below its floor. An area is a
package of mijn/ (each front end of mijn/http on its own) or one top-level module of mijn/.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

import coverage

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Counts:
    """Statements and branches of an area, and how many of each ran."""

    lines: int = 0
    lines_run: int = 0
    branches: int = 0
    branches_run: int = 0

    def add(self, other: Counts) -> None:
        """Add another file's or area's counts to these."""
        self.lines += other.lines
        self.lines_run += other.lines_run
        self.branches += other.branches
        self.branches_run += other.branches_run

    @property
    def lines_pct(self) -> float:
        """Percentage of the statements that ran (100 for none)."""
        return 100.0 * self.lines_run / self.lines if self.lines else 100.0

    @property
    def branches_pct(self) -> float:
        """Percentage of the branches taken (100 for none)."""
        return 100.0 * self.branches_run / self.branches if self.branches else 100.0


@dataclass(frozen=True)
class Floors:
    """The lowest percentages allowed (pyproject.toml [tool.mijn.coverage])."""

    area_lines: float
    total_lines: float
    total_branches: float


def area_of(relative: Path) -> str:
    """The area of a file, given its path inside mijn/."""
    parts = relative.parts
    if len(parts) == 1:
        return f"mijn/{parts[0]}"
    if parts[0] == "http" and len(parts) > 2:
        return f"mijn/http/{parts[1]}/"
    return f"mijn/{parts[0]}/"


def measure(data_file: Path, config_file: Path | bool, root: Path) -> dict[str, Counts]:
    """Counts per area from a (combined) coverage data file, every file of mijn/ included."""
    cov = coverage.Coverage(data_file=str(data_file), config_file=config_file,
                            source=[str(root / "mijn")])
    cov.load()
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "coverage.json"
        cov.json_report(outfile=str(report))
        files = json.loads(report.read_text())["files"]
    areas: dict[str, Counts] = {}
    for name, file in files.items():
        path = Path(name) if Path(name).is_absolute() else Path.cwd() / name
        summary = file["summary"]
        counts = Counts(summary["num_statements"], summary["covered_lines"],
                        summary.get("num_branches", 0), summary.get("covered_branches", 0))
        areas.setdefault(area_of(path.resolve().relative_to(root / "mijn")), Counts()).add(counts)
    return dict(sorted(areas.items()))


def total_of(areas: dict[str, Counts]) -> Counts:
    """The counts of all areas together."""
    total = Counts()
    for counts in areas.values():
        total.add(counts)
    return total


def failures(areas: dict[str, Counts], floors: Floors) -> list[str]:
    """What is below its floor, each with what to do about it."""
    found = [
        f"{area} runs {counts.lines_pct:.1f}% of its lines, below the floor of "
        f"{floors.area_lines:g}%: test its behaviour (the lines not run: "
        f"`.venv/bin/coverage report -m --include='{area}{'*' if area.endswith('/') else ''}'`)"
        for area, counts in areas.items() if counts.lines_pct < floors.area_lines
    ]
    total = total_of(areas)
    for what, pct, floor in (("lines", total.lines_pct, floors.total_lines),
                             ("branches", total.branches_pct, floors.total_branches)):
        if pct < floor:
            found.append(
                f"the tests run {pct:.1f}% of all {what}, below the floor of {floor:g}%: "
                "test what the new code does (the floors are in pyproject.toml "
                "[tool.mijn.coverage]; raise them as coverage grows, never lower them "
                "to let a change through)")
    return found


def table(areas: dict[str, Counts]) -> str:
    """The areas and the total as a plain-text table."""
    rows = [f"{'area':<28} {'lines':>7} {'run':>6} {'branches':>9} {'taken':>6}"]
    for area, counts in [*areas.items(), ("total", total_of(areas))]:
        rows.append(f"{area:<28} {counts.lines:>7} {counts.lines_pct:>5.1f}% "
                    f"{counts.branches:>9} {counts.branches_pct:>5.1f}%")
    return "\n".join(rows)


def load_floors(pyproject: Path) -> Floors:
    """The floors from pyproject.toml."""
    section = tomllib.loads(pyproject.read_text())["tool"]["mijn"]["coverage"]
    return Floors(float(section["area_lines"]), float(section["total_lines"]),
                  float(section["total_branches"]))


def main(argv: list[str] | None = None) -> int:
    """Print the table; 1 when an area or the total is below its floor."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-file", type=Path, default=ROOT / ".coverage")
    args = parser.parse_args(argv)
    pyproject = ROOT / "pyproject.toml"
    areas = measure(args.data_file, pyproject, ROOT)
    print(table(areas))
    problems = failures(areas, load_floors(pyproject))
    for problem in problems:
        print(f"coverage: {problem}", file=sys.stderr)
    if not problems:
        print("coverage: every area and the total are at or above their floors "
              "(pyproject.toml [tool.mijn.coverage])")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
