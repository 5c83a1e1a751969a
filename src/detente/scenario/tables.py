"""Import the two table formats analysts already use.

* The one-issue **BDM table**: a header row naming actor, capability, position and salience
  columns (spellings vary: ``Actor``/``name``, ``Capability``/``Resources``/``Influence``/
  ``power``...), one row per actor. Saliences on 0-100 are divided by 100; the issue's scale
  is the range of positions unless given.
* **KTAB's SMP CSV** (``csvRead`` in KTAB): line 1 ``name, description, nActors, nDims``,
  line 2 ``Actor, Description, Power`` then a position and a salience column per dimension,
  then one row per actor; positions and saliences on 0-100.

The readers return the scenario as a plain mapping, with the cell of each value;
:func:`detente.scenario.load` validates it like any file, so tables and files get the same
checks and messages, each naming the table's row and column.

Neither format carries a status quo. Unless one is given, it is set to the issue's
capability × salience weighted median, and the scenario's note says so.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from detente.errors import Problem, ScenarioError, as_written, scenario_error
from detente.scenario.checks import too_narrow_text
from detente.scenario.schema import LONGEST_ID, MIN_SCALE_SPAN, MIN_SCALE_SPAN_SHARE

if TYPE_CHECKING:
    from detente.safeload import LoadLimits

#: Where a value read from a table cell sits: its location in the scenario (``actors``, an
#: id, ``capability``; ``stances``, actor, issue, ``salience``) → its line and column header.
Cells = dict[tuple[str, ...], tuple[int, str]]


@dataclass
class Table:
    """A table read into a scenario mapping, with the cell each value was read from."""

    mapping: dict[str, Any]
    cells: Cells = field(default_factory=dict)

    @contextmanager
    def cells_named(self) -> Iterator[None]:
        """A refusal met in the block (the scenario check of :attr:`mapping`) names the
        table's row and column where it names a value read from a cell: the user has a
        table, not the scenario it was read into (``stances.B.X.position``)."""
        try:
            yield
        except ScenarioError as err:
            err.problems = [self._in_table(p) for p in err.problems]
            raise

    def _in_table(self, problem: Problem) -> Problem:
        parts = tuple(problem.location.split("."))
        for size in (4, 3):
            if parts[:size] in self.cells:
                line, column = self.cells[parts[:size]]
                return Problem(f"row {line}, column '{column}'", problem.message,
                               problem.fix, line)
        return problem


CAPABILITY_NAMES = ("capability", "capabilities", "resources", "influence", "power", "clout")
ACTOR_NAMES = ("actor", "name", "actors")


def _rows(text: str) -> list[list[str]]:
    lines = text.splitlines()  # also splits the lone-CR line endings of some BDM files
    return [[cell.strip().strip('"').strip() for cell in row]
            for row in csv.reader(io.StringIO("\n".join(lines)))]


def _drop_trailing_empty(row: list[str]) -> list[str]:
    while row and row[-1] == "":
        row = row[:-1]
    return row


def _make_id(text: str, fallback: str) -> str:
    ident = re.sub(r"[^A-Za-z0-9_\-]+", "_", text.strip()).strip("_")[:LONGEST_ID]
    if not ident:
        return fallback
    return ident if ident[0].isalpha() else f"A{ident}"[:LONGEST_ID]


def _number(cell: str, source: str, line: int, column: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        raise scenario_error(f"row {line}, column '{column}'", f"'{cell}' is not a number",
                             "write a plain number (use '.' as the decimal point)",
                             source, line) from None
    if not np.isfinite(value):
        raise scenario_error(f"row {line}, column '{column}'", f"'{cell}' is not finite",
                             "write a finite number", source, line)
    return value


def is_ktab(rows: list[list[str]]) -> bool:
    if len(rows) < 2 or len(_drop_trailing_empty(rows[0])) < 4:
        return False
    first = _drop_trailing_empty(rows[0])
    try:
        int(first[2])
        int(first[3])
    except ValueError:
        return False
    return bool(rows[1]) and rows[1][0].lower().startswith("actor")


def read_table(text: str, source: str = "<table>", status_quo: float | None = None,
               scale: tuple[float, float] | None = None,
               limits: LoadLimits | None = None) -> Table:
    """Read a BDM or KTAB table (detected from its first lines) into a scenario mapping,
    with the cell each value was read from.

    ``limits`` (the loader's, see :mod:`detente.safeload`) bound the text's size.
    """
    from detente.safeload import LoadLimits, check_size

    check_size(len(text.encode("utf-8", "surrogatepass")), limits or LoadLimits.from_env(),
               source)
    rows = [r for r in _rows(text)]
    if not any(any(c for c in r) for r in rows):
        raise scenario_error("", "the file is empty",
                             "a table needs a header row and one row per actor", source)
    if is_ktab(rows):
        return ktab_table(rows, source, status_quo)
    return bdm_table(rows, source, status_quo, scale)


def _weighted_median(pos: np.ndarray, weight: np.ndarray) -> float:
    from detente.models.median import weighted_median

    return float(weighted_median(pos[:, None], weight[:, None])[0])


def bdm_table(rows: list[list[str]], source: str, status_quo: float | None = None,
              scale: tuple[float, float] | None = None) -> Table:
    header = [h.lower() for h in _drop_trailing_empty(rows[0])]

    def column(names: tuple[str, ...], label: str) -> int:
        for k, h in enumerate(header):
            if h in names:
                return k
        raise scenario_error("row 1 (header)", f"no {label} column in the header "
                             f"({', '.join(rows[0])})",
                             f"name a column one of: {', '.join(names)}", source, 1)

    ci_actor = column(ACTOR_NAMES, "actor")
    ci_cap = column(CAPABILITY_NAMES, "capability")
    ci_pos = column(("position",), "position")
    ci_sal = column(("salience",), "salience")
    names, caps, pos, sal, lines = [], [], [], [], []
    for line, row in enumerate(rows[1:], start=2):
        row = _drop_trailing_empty(row)
        if not row:
            continue
        if len(row) <= max(ci_actor, ci_cap, ci_pos, ci_sal):
            raise scenario_error(f"row {line}", f"expected {len(header)} fields, got {len(row)}",
                                 "give every actor a name, capability, position and salience",
                                 source, line)
        names.append(row[ci_actor])
        caps.append(_number(row[ci_cap], source, line, rows[0][ci_cap]))
        pos.append(_number(row[ci_pos], source, line, rows[0][ci_pos]))
        sal.append(_number(row[ci_sal], source, line, rows[0][ci_sal]))
        lines.append(line)
    if not names:
        raise scenario_error("", "the table has a header but no actors",
                             "add one row per actor", source)
    sal_arr = np.array(sal)
    notes = []
    percent_line = next((line for line, s in zip(lines, sal, strict=True) if s > 1), None)
    reading = ("0-1" if percent_line is None else f"0-100 (the column is read as 0-100: "
               f"row {percent_line} has a salience above 1)")
    _refuse_cells([Problem(f"row {line}, column '{rows[0][ci_sal]}'",
                             f"salience {as_written(s)} is outside {reading}",
                             "write a salience from 0 to 100" if percent_line else
                             "write a salience from 0 to 1 (or every one from 0 to 100)",
                             line)
                     for line, s in zip(lines, sal, strict=True)
                     if not 0 <= s <= (1 if percent_line is None else 100)]
                    + _nobody_cares(sal, rows[0][ci_sal]), source)
    if percent_line is not None:
        sal_arr = sal_arr / 100.0
        notes.append("saliences read as 0-100 and divided by 100")
    pos_arr = np.array(pos)
    if not scale:
        _check_span(pos, lines, rows[0][ci_pos], source)
    lo, hi = scale if scale else (float(pos_arr.min()), float(pos_arr.max()))
    if hi <= lo:
        hi = lo + 1.0
    if status_quo is None:
        status_quo = _weighted_median(pos_arr, np.array(caps) * sal_arr)
        # Computed, not read: written as every issue-unit number is (0.15, not float noise).
        from detente.render import fmt

        notes.append(f"the table has no status quo: set to the weighted median "
                     f"{fmt(status_quo, hi - lo)}")
    ids = _unique_ids(names, lines, source)
    raw = {
        "id": _make_id(source.rsplit("/", 1)[-1].rsplit(".", 1)[0], "table"),
        "title": f"BDM table {source.rsplit('/', 1)[-1]}",
        "description": f"Imported from the one-issue BDM table {source}.",
        "issues": [{"id": "X", "name": "Issue", "units": "position",
                    "scale": {"low": lo, "high": hi}, "status_quo": status_quo}],
        "actors": [{"id": i, "name": n, "capability": c} for i, n, c in zip(ids, names, caps,
                                                                               strict=True)],
        "stances": {i: {"X": {"position": p, "salience": float(s)}}
                    for i, p, s in zip(ids, pos, sal_arr, strict=True)},
        "note": "; ".join(notes) or None,
    }
    cells: Cells = {}
    for ident, line in zip(ids, lines, strict=True):
        cells["actors", ident, "capability"] = (line, rows[0][ci_cap])
        cells["stances", ident, "X", "position"] = (line, rows[0][ci_pos])
        cells["stances", ident, "X", "salience"] = (line, rows[0][ci_sal])
    return Table(raw, cells)


def _nobody_cares(saliences: list[float], column: str) -> list[Problem]:
    """A salience column all of whose values are 0: the scenario check would refuse its
    issue as one nobody cares about, with a fix (add a stance, remove the issue) in terms a
    table has not."""
    if any(saliences):
        return []
    return [Problem(f"column '{column}'", "every salience is 0, so nobody cares about the "
                    "issue", "give at least one actor a salience above 0")]


def _refuse_cells(problems: list[Problem], source: str) -> None:
    """Refuse the cells (or columns) of ``problems``, values the table's format cannot take,
    every one at once, before the scenario check would name them by their place in the
    scenario and by the value as rescaled (0.9 for a written 90)."""
    if problems:
        raise ScenarioError(problems, source)


def _check_span(positions: list[float], lines: list[int], column: str, source: str) -> None:
    """Refuse positions too close together to compute with: a BDM table's scale is the range
    of its positions, so the scenario check's fix (set a scale) is not one a table can take.
    Named by the rows of the lowest and the highest position; the fix is a unit in which
    they lie far enough apart."""
    low, high = min(positions), max(positions)
    reason = too_narrow_text(low, high) if high > low else None
    if reason is None:
        return
    first, last = lines[positions.index(low)], lines[positions.index(high)]
    span = high - low
    # Moving the zero helps where the bound is a share of large ends; scaling up, where the
    # span itself is below the smallest (moving the zero first leaves it the larger end).
    # The power of ten by its exponent: a span of 5e-324 needs one past the float range.
    shift = MIN_SCALE_SPAN_SHARE * max(abs(low), abs(high)) > span
    power = max(0, math.ceil(math.log10(MIN_SCALE_SPAN) - math.log10(span)))
    steps = ([f"subtract {as_written(low)} from every position"] if shift else []) + (
        [f"multiply every position by {10 ** power:,}" if power <= 15 else
         f"multiply every position by 10^{power}"] if power else [])
    raise scenario_error(
        f"column '{column}', rows {first} and {last}",
        f"the positions run from {as_written(low)} (row {first}) to {as_written(high)} "
        f"(row {last}), and a table's scale is their range: {reason}",
        "a table has no scale to set: write the positions in a unit in which they lie "
        f"further apart, e.g. {' and '.join(steps)}", source, first)


def _unique_ids(names: list[str], lines: list[int], source: str) -> list[str]:
    """An id per actor row (on line ``lines[k]``), made from its name. Two names that differ
    but make one id (cut to :data:`LONGEST_ID` characters: "Ministry of Foreign Affairs of
    the Republic of Korea" and "… of Japan") are two actors: the later one's id is numbered
    (``…_2``). A name written on two rows is refused, naming both lines."""
    first_line: dict[str, int] = {}
    problems = []
    for name, line in zip(names, lines, strict=True):
        if name and name in first_line:
            problems.append(Problem(f"row {line}", f"actor '{name}' appears twice (also row "
                                    f"{first_line[name]})", "give each actor one row: delete "
                                    "this one or rename it", line))
        first_line.setdefault(name, line)
    if problems:
        raise ScenarioError(problems, source)
    return _numbered([_make_id(name, f"A{k}") for k, name in enumerate(names)])


def _numbered(made: list[str]) -> list[str]:
    """The ids ``made`` from distinct names, each one taken again numbered (``…_2``, within
    :data:`LONGEST_ID` characters) so that no two are one."""
    ids: list[str] = []
    for ident in made:
        numbered, number = ident, 1
        while numbered in ids:
            number += 1
            suffix = f"_{number}"
            numbered = ident[: LONGEST_ID - len(suffix)] + suffix
        ids.append(numbered)
    return ids


def ktab_table(rows: list[list[str]], source: str, status_quo: float | None = None) -> Table:
    first = _drop_trailing_empty(rows[0])
    n_actors, n_dims = int(first[2]), int(first[3])
    if n_actors < 1 or n_dims < 1:
        raise scenario_error("row 1", f"line 1 declares {n_actors} actors and {n_dims} "
                             "dimensions", "nActors and nDims on line 1 must be 1 or more",
                             source, 1)
    header = _drop_trailing_empty(rows[1])
    if len(header) < 3 + 2 * n_dims:
        raise scenario_error("row 2 (header)", f"expected {3 + 2 * n_dims} columns for "
                             f"{n_dims} dimensions, got {len(header)}",
                             "name a position and a salience column per dimension", source, 2)
    body = [(line, _drop_trailing_empty(r)) for line, r in enumerate(rows[2:], start=3)]
    body = [(line, r) for line, r in body if r]
    if len(body) != n_actors:
        raise scenario_error("row 1", f"line 1 declares {n_actors} actors but the table has "
                             f"{len(body)}", "make nActors on line 1 match the actor rows",
                             source, 1)
    dim_names = [header[3 + 2 * d] for d in range(n_dims)]
    # Dimensions named alike ("Position", "Position") are two issues, as actors are.
    dim_ids = _numbered([_make_id(re.sub(r"(?i)\s*(position|pstn)\s*", " ", n).strip() or n,
                                  f"D{d}") for d, n in enumerate(dim_names)])
    names, descs, caps = [], [], []
    pos = np.zeros((n_actors, n_dims))
    sal = np.zeros((n_actors, n_dims))
    outside: list[Problem] = []
    for a, (line, row) in enumerate(body):
        if len(row) < 3 + 2 * n_dims:
            raise scenario_error(f"row {line}", f"expected {3 + 2 * n_dims} fields, got "
                                 f"{len(row)}", "give a position and a salience per dimension",
                                 source, line)
        names.append(row[0])
        descs.append(row[1])
        caps.append(_number(row[2], source, line, header[2]))
        for d in range(n_dims):
            written = {what: _number(row[column], source, line, header[column])
                       for what, column in (("position", 3 + 2 * d), ("salience", 4 + 2 * d))}
            pos[a, d], sal[a, d] = written["position"], written["salience"] / 100.0
            # KTAB writes both on 0-100; the scenario's issue takes that scale.
            outside += [Problem(f"row {line}, column '{header[column]}'",
                                f"{what} {as_written(value)} is outside 0-100 (KTAB writes "
                                f"{what}s on 0-100)", f"write a {what} from 0 to 100" +
                                (" (rescale the column onto 0-100 if it uses another range)"
                                 if what == "position" else ""), line)
                        for (what, value), column in zip(written.items(),
                                                         (3 + 2 * d, 4 + 2 * d), strict=True)
                        if not 0 <= value <= 100]
    for d in range(n_dims):
        outside += _nobody_cares(list(sal[:, d]), header[4 + 2 * d])
    _refuse_cells(outside, source)
    ids = _unique_ids(names, [line for line, _ in body], source)
    notes = ["saliences read as 0-100 (KTAB) and divided by 100"]
    if status_quo is None:
        sq = [_weighted_median(pos[:, d], np.array(caps) * sal[:, d]) for d in range(n_dims)]
        notes.append("KTAB tables have no status quo: set to each dimension's weighted median")
    else:
        sq = [status_quo] * n_dims
    raw = {
        "id": _make_id(first[0], "ktab"),
        "title": first[0],
        "description": first[1],
        "issues": [{"id": dim_ids[d], "name": dim_names[d], "status_quo": float(sq[d])}
                   for d in range(n_dims)],
        "actors": [{"id": i, "name": n, "capability": c, "description": desc}
                   for i, n, c, desc in zip(ids, names, caps, descs, strict=True)],
        "stances": {ids[a]: {dim_ids[d]: {"position": float(pos[a, d]),
                                          "salience": float(sal[a, d])}
                             for d in range(n_dims)} for a in range(n_actors)},
        "note": "; ".join(notes),
    }
    cells: Cells = {}
    for ident, (line, _) in zip(ids, body, strict=True):
        cells["actors", ident, "capability"] = (line, header[2])
        for d in range(n_dims):
            cells["stances", ident, dim_ids[d], "position"] = (line, header[3 + 2 * d])
            cells["stances", ident, dim_ids[d], "salience"] = (line, header[4 + 2 * d])
    return Table(raw, cells)
