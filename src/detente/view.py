"""A presentation-neutral view of a result: a summary, tables of raw values, notes.

Every analysis turns its result into one :class:`View` (see :mod:`detente.analyses`);
:mod:`detente.render` turns a view into a rich table, JSON, CSV or HTML. Cells hold raw
numbers (with the column's unit and display format beside them), strings, booleans or None,
so that the text, the JSON and the CSV of one result can never disagree.

This module imports nothing from the rest of the package: the models (``ExplainTable``)
and every analysis can use it without an import cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Estimate:
    """A number with its 95% interval and the count of cases it is on, in one cell: text
    writes ``23.9 [21.3, 26.3] n=253`` (each number by its column's format), JSON and CSV
    each part raw (CSV as the columns ``MAE``, ``MAE low``, ``MAE high``, ``MAE n``).
    ``value`` None: none (no case to measure it on); ``low``/``high`` None: no interval;
    ``count`` None: not shown."""

    value: float | None
    low: float | None = None
    high: float | None = None
    count: int | None = None

    def parts(self) -> dict[str, float | int | None]:
        """Its parts by name (``value``, then ``low``, ``high``, ``n`` where it has them)."""
        out: dict[str, float | int | None] = {"value": self.value}
        if self.low is not None or self.high is not None:
            out.update(low=self.low, high=self.high)
        if self.count is not None:
            out["n"] = self.count
        return out


Cell = str | int | float | bool | Estimate | None


@dataclass(frozen=True)
class Table:
    """One table: ``columns`` name the cells of each row.

    ``units``: per column, the unit of its numbers ("" none; e.g. "utility points", "share").
    ``formats``: per column, a Python format spec for numbers in text (e.g. "+.2f", ".0%";
    "" the shared :func:`detente.render.fmt`). Both may be empty (no units, default format).
    ``notes`` are sentences shown under the table; ``key`` names it in CSV output.
    ``row_spans`` / ``column_spans``: per row / per column, the span (high - low) of the
    issue whose units its numbers are in, None where they are in none; where rows are
    issues the rows declare them, where columns are, the columns. Text writes an
    issue-unit cell with the decimals its issue's span needs (:meth:`span_of`).
    """

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    notes: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    key: str = ""
    row_spans: tuple[float | None, ...] = ()
    column_spans: tuple[float | None, ...] = ()

    def __post_init__(self) -> None:
        # A row of the wrong width is a programming error in a view builder: fail loudly
        # here rather than render a shifted table.
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"table '{self.title}': row {row!r} has {len(row)} cells "
                                 f"for {len(self.columns)} columns")
        for name, extra in (("units", self.units), ("formats", self.formats),
                            ("column spans", self.column_spans)):
            if extra and len(extra) != len(self.columns):
                raise ValueError(f"table '{self.title}': {len(extra)} {name} for "
                                 f"{len(self.columns)} columns")
        if self.row_spans and len(self.row_spans) != len(self.rows):
            raise ValueError(f"table '{self.title}': {len(self.row_spans)} row spans for "
                             f"{len(self.rows)} rows")

    def unit(self, k: int) -> str:
        return self.units[k] if self.units else ""

    def format_of(self, k: int) -> str:
        return self.formats[k] if self.formats else ""

    def span_of(self, r: int, k: int) -> float | None:
        """The span of the issue cell (row ``r``, column ``k``) is in: its column's, else
        its row's; None where the table declares neither."""
        column = self.column_spans[k] if self.column_spans else None
        if column is not None:
            return column
        return self.row_spans[r] if self.row_spans else None

    def to_dict(self) -> dict[str, Any]:
        """Title, columns, rows as records, notes (and units when the table has any)."""
        out: dict[str, Any] = {
            "title": self.title, "columns": list(self.columns),
            "rows": [{column: cell.parts() if isinstance(cell, Estimate) else cell
                      for column, cell in zip(self.columns, row, strict=True)}
                     for row in self.rows],
            "notes": list(self.notes)}
        if any(self.units):
            out["units"] = dict(zip(self.columns, self.units, strict=True))
        return out


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *,
          notes: Sequence[str] = (), units: Sequence[str] = (), formats: Sequence[str] = (),
          key: str = "", row_spans: Sequence[float | None] = (),
          column_spans: Sequence[float | None] = ()) -> Table:
    """Build a :class:`Table` from lists (the dataclass wants tuples)."""
    return Table(title, tuple(columns), tuple(tuple(r) for r in rows), tuple(notes),
                 tuple(units), tuple(formats), key, tuple(row_spans), tuple(column_spans))


@dataclass(frozen=True)
class View:
    """What one result shows: a title, a summary line, tables, notes (in that order).

    ``counterfactual``: the counterfactual the view's numbers were computed under ("" on
    the scenario as written; compare's: its B's, as in its JSON); set by the registry's
    ``Result.view``, so that no renderer can show a counterfactual's numbers without
    saying so."""

    title: str
    summary: str = ""
    tables: tuple[Table, ...] = ()
    notes: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    counterfactual: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"title": self.title, "summary": self.summary,
                               "tables": [t.to_dict() for t in self.tables],
                               "notes": list(self.notes)}
        if self.counterfactual:
            out["counterfactual"] = self.counterfactual
        return out


__all__ = ["Cell", "Estimate", "Table", "View", "table"]
