"""Elicitation: experts fill an analyst's stance and trust tables privately; the room pools
them into a scenario whose numbers carry distributions.

**The pool.** For every cell (a position, a salience, a trust entry) the judgements of the
experts who filled it form a linear opinion pool (Stone 1961; Genest & Zidek 1986):
the mixture Σ w_e δ(x_e) with weights w_e (equal unless the analyst gives weights),
renormalised over the experts who answered that cell. The cell is written as that mixture
itself, ``{value: mean, distribution: discrete, points: [x...], weights: [p...]}`` (equal
judgements merged, weights as probabilities), so `detente sample` draws exactly the pool:
its mean, its spread and its shape. A moment-matched normal truncated to the experts'
range [min, max] cannot keep them: truncation moves the mean and shrinks the sd (two
experts at 4 and 8 with weights 2:1 pool to mean 5.33, sd 1.89; that normal drew mean 5.75,
sd 1.05), and no continuous distribution on [min, max] reaches a two-point pool's spread.
``value`` (the pool's mean) is the point value for analyses that do not sample. A cell on
which every expert agrees stays a plain number, and a cell nobody filled keeps the
analyst's value (docs/room.md, docs/uncertainty.md).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from detente.errors import Problem, ScenarioError
from detente.room.mediation import in_room_terms, issue_scales
from detente.scenario import scenario_from_mapping

SUBMISSION_KEYS = ("stances", "trust")
#: How many cells the disagreement table lists.
MOST_DISAGREED = 10


def _number(node: Any) -> Any:
    return node["value"] if isinstance(node, dict) and "value" in node else node


def check_submission(base: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    """An expert's tables (any subset of the scenario's stance and trust cells), checked by
    the loader in place: ``{"stances": {ACTOR: {ISSUE: {position, salience}}},
    "trust": {ACTOR: {GUARANTOR: value}}}``; problems are located as in a scenario file."""
    problems = [Problem(key, f"unknown field '{key}'", f"fields: {', '.join(SUBMISSION_KEYS)}")
                for key in payload if key not in SUBMISSION_KEYS]
    stances = payload.get("stances", {})
    trust = payload.get("trust", {})
    for key, table in (("stances", stances), ("trust", trust)):
        if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
            problems.append(Problem(key, f"{key} must map each actor to a table",
                                    "see docs/room.md for the format"))
    if not problems and not stances and not trust:
        problems.append(Problem("", "nothing submitted", _cell_example(base)))
    if problems:
        raise ScenarioError(problems)
    try:
        scenario_from_mapping(_merged(base, [(1.0, {"stances": stances, "trust": trust})],
                                      pooled=False), "<submission>")
    except ScenarioError as err:
        raise ScenarioError([in_room_terms(p, base) for p in err.problems], err.source) \
            from None
    return {"stances": stances, "trust": trust}


def _cell_example(base: Mapping[str, Any]) -> str:
    """A cell an expert could fill, on this room's first stance (or first actor and issue)."""
    stances = base.get("stances") or {}
    actor = next(iter(stances), None) or base["actors"][0]["id"]
    issue = next(iter(stances.get(actor) or {}), None) or base["issues"][0]["id"]
    return (f'fill some stance or trust cells, e.g. {{"stances": {{"{actor}": {{"{issue}": '
            f'{{"position": {_number(stances.get(actor, {}).get(issue, {}).get("position", 50))}'
            f'}}}}}}}}')


def _cells(payload: Mapping[str, Any]) -> dict[tuple[str, ...], float]:
    out: dict[tuple[str, ...], float] = {}
    for actor, row in payload.get("stances", {}).items():
        for issue, stance in row.items():
            for field in ("position", "salience"):
                if isinstance(stance, dict) and field in stance:
                    out[("stances", actor, issue, field)] = float(_number(stance[field]))
    for actor, row in payload.get("trust", {}).items():
        for other, value in row.items():
            out[("trust", actor, other)] = float(_number(value))
    return out


@dataclass(frozen=True)
class PooledCell:
    cell: tuple[str, ...]
    experts: int
    mean: float
    sd: float
    low: float
    high: float
    spread: float  # sd as a share of the quantity's range, comparable across cells
    points: tuple[float, ...] = ()  # the distinct judgements, ascending
    probabilities: tuple[float, ...] = ()  # the pool's weight on each point, summing to 1


def pool_cells(base: Mapping[str, Any], judgements: Sequence[tuple[float, Mapping[str, Any]]]
               ) -> dict[tuple[str, ...], PooledCell]:
    """The linear opinion pool of every cell some expert filled."""
    by_cell: dict[tuple[str, ...], list[tuple[float, float]]] = {}
    for weight, payload in judgements:
        for cell, value in _cells(payload).items():
            by_cell.setdefault(cell, []).append((weight, value))
    spans = {issue: high - low for issue, (low, high) in issue_scales(base).items()}
    out = {}
    for cell, entries in by_cell.items():
        total = sum(w for w, _ in entries)
        low, high = min(x for _, x in entries), max(x for _, x in entries)
        if low == high:
            # Experts who agree pool to their judgement, sd 0: the weighted sums would give
            # 0.8 · 2/3 + 0.8 · 1/3 = 0.8000000000000002 and an sd of 1.1e-16, listed as a
            # disagreement.
            mean, sd = low, 0.0
        else:
            mean = sum(w * x for w, x in entries) / total
            variance = sum(w * (x - mean) ** 2 for w, x in entries) / total
            sd = math.sqrt(max(variance, 0.0))
        span = spans[cell[2]] if cell[0] == "stances" and cell[3] == "position" else 1.0
        mass: dict[float, float] = {}
        for weight, value in entries:
            mass[value] = mass.get(value, 0.0) + weight / total
        points = tuple(sorted(mass))
        out[cell] = PooledCell(cell, len(entries), min(max(mean, low), high), sd, low, high,
                               sd / span if span > 0 else 0.0, points,
                               tuple(mass[x] for x in points))
    return out


def _pooled_number(cell: PooledCell) -> Any:
    if len(cell.points) < 2:
        return cell.mean
    return {"value": cell.mean, "distribution": "discrete", "points": list(cell.points),
            "weights": list(cell.probabilities),
            "note": f"linear opinion pool of {cell.experts} experts"}


def _merged(base: Mapping[str, Any], judgements: Sequence[tuple[float, Mapping[str, Any]]],
            pooled: bool = True) -> dict[str, Any]:
    mapping = copy.deepcopy(dict(base))
    stances = mapping.setdefault("stances", {})
    trust = mapping.setdefault("trust", {})
    if pooled:
        cells = {c: _pooled_number(p) for c, p in pool_cells(base, judgements).items()}
    else:  # a single expert's table, checked in place: written as given
        cells = {}
        for _, payload in judgements:
            for actor, row in payload.get("stances", {}).items():
                for issue, stance in row.items():
                    # Field by field: an expert who gives only a position keeps the
                    # analyst's salience (docs/room.md: any subset of the cells).
                    scenario_stance = stances.setdefault(actor, {}).get(issue)
                    if isinstance(stance, dict) and isinstance(scenario_stance, dict):
                        stances[actor][issue] = {**scenario_stance, **stance}
                    else:
                        stances[actor][issue] = stance
            for actor, row in payload.get("trust", {}).items():
                for other, value in row.items():
                    trust.setdefault(actor, {})[other] = value
    for cell, value in cells.items():
        if cell[0] == "stances":
            _, actor, issue, field = cell
            stance = stances.setdefault(actor, {}).setdefault(issue, {})
            if not isinstance(stance, dict):
                stance = stances[actor][issue] = {}
            stance[field] = value
        else:
            _, actor, other = cell
            trust.setdefault(actor, {})[other] = value
    return mapping


@dataclass(frozen=True)
class Pooled:
    scenario: dict[str, Any]
    disagreement: list[dict[str, Any]]
    experts: int


def pool(base: Mapping[str, Any], judgements: Sequence[tuple[float, Mapping[str, Any]]]
         ) -> Pooled:
    """The pooled scenario (validated by the loader) and the cells experts disagree on most,
    without names: the cell, how many experts filled it, the pool's sd and range."""
    if not judgements:
        raise ScenarioError([Problem("room", "no expert has submitted yet",
                                     "wait for at least one expert's tables")])
    mapping = _merged(base, judgements)
    mapping["id"] = f"{base['id']}-pooled"
    mapping["title"] = f"{base.get('title', base['id'])} (pooled from {len(judgements)} experts)"
    scenario_from_mapping(mapping, "<pooled>")
    cells = sorted((c for c in pool_cells(base, judgements).values() if c.experts > 1),
                   key=lambda c: (-c.spread, c.cell))
    # Unrounded, as every JSON number: an sd of 1e-5 on a scale of 0 to 0.001 (a spread of
    # 1%) read 0 at four decimals.
    disagreement = [{"cell": ".".join(c.cell), "experts": c.experts, "sd": c.sd,
                     "low": c.low, "high": c.high, "spread": c.spread}
                    for c in cells[:MOST_DISAGREED] if c.sd > 0]
    return Pooled(mapping, disagreement, len(judgements))
