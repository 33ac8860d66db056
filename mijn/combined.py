"""Rows of different shapes read in one statement (one round trip, issue 17): parts side by
side in one UNION ALL, each part's columns in slots of their own (a typed NULL in the other
parts' rows), with a shared `part` column naming the part a row is of and `n`, its place in
that part (each part gives its own `n`, a row_number in its own order). The first part's
columns keep their names; the others' are prefixed with their part's name. Each part is
read from a subquery of its own, so it may have its own ORDER BY and LIMIT (SQLite allows
neither in a member of a UNION). Works alike on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Subquery,
    cast,
    literal_column,
    null,
    select,
    union_all,
)


class Parts:
    """The UNION ALL of some parts (name, statement), as a subquery to join, and how to read
    a part's rows back as records named as the part's statement names its columns."""

    def __init__(self, parts: Sequence[tuple[str, Select[Any]]]) -> None:
        subqueries = [(name, part.subquery(f"part_{name}")) for name, part in parts]
        self.main = parts[0][0]
        self._fields = {name: [c.name for c in sub.c if c.name != "n"] for name, sub in subqueries}
        self._records = {name: namedtuple(f"{name}_row", fields)
                         for name, fields in self._fields.items()}
        members = [select(*self._member(name, sub, subqueries)).select_from(sub)
                   for name, sub in subqueries]
        self.subquery: Subquery = union_all(*members).subquery("items")
        self._at = {name: [self.subquery.c[self.label(name, f)] for f in fields]
                    for name, fields in self._fields.items()}

    def label(self, part: str, field: str) -> str:
        """The column's name in the union."""
        return field if part == self.main else f"{part}_{field}"

    def _member(self, name: str, sub: Subquery, subqueries: Iterable[tuple[str, Subquery]]
                ) -> list[ColumnElement[Any]]:
        columns: list[ColumnElement[Any]] = []
        for other, other_sub in subqueries:
            columns.extend(
                (c if other == name else cast(null(), c.type)).label(self.label(other, c.name))
                for c in other_sub.c if c.name != "n")
        part = literal_column(f"'{name}'", String).label("part")
        return [*columns, part, sub.c.n.label("n")]

    def reader(self, query: Select[Any]) -> PartReader:
        """How to read the parts from the rows of a statement that selects this union's
        columns (by their place in its rows, worked out once)."""
        places = {id(column): at for at, column in enumerate(query.selected_columns)}
        at = {name: [places[id(c)] for c in columns] for name, columns in self._at.items()}
        return PartReader(self._records, at, places[id(self.subquery.c.part)])


class PartReader:
    """Reads a part's rows from a statement's rows (ordered by part and n)."""

    def __init__(self, records: dict[str, Any], at: dict[str, list[int]], part: int) -> None:
        self._records, self._at, self._part = records, at, part

    def rows(self, rows: Iterable[Any], name: str) -> list[Any]:
        """The rows of one part, in its order, as records with the part's column names."""
        make, at, part = self._records[name]._make, self._at[name], self._part
        return [make([row[i] for i in at]) for row in rows if row[part] == name]
