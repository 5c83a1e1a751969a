"""Persuasion: who must move, and how far, for a named package to be accepted.

For a package x and a blocker b (a veto player with gain g_b(x) ≤ 10⁻⁹, docs/settle.md),
a *lever* is the smallest change of one of b's own inputs, everything else held, after
which g_b(x) > 10⁻⁹:

* **position** p[b,k] of one issue k: g_b depends on p[b,k] only through issue k's term
  s̃[b,k] c[b,k] (|q_k − p|^m − |x_k − p|^m), so the lever is the nearest p on a grid of
  1/1000 of the scale where the total gain turns positive;
* **salience** s[b,k] of one issue (shares s̃ renormalise): nearest value on a 0.001 grid
  from 0 to max(1, the actor's largest salience);
* **trust** T[b,g] in one deliverer of a moved issue (``PackageAnalysis.trust_needed``,
  the same 0.001 grid).

Levers are ranked by their size as a share of the lever's range (|Δp| / scale span,
|Δs|, |ΔT|: each range is 1 on the unit scale), across blockers and kinds. Because each
lever changes only its blocker's own gain, applying the smallest lever of every blocker
together makes the package acceptable; :func:`persuade` applies them together and checks
that it does (``after`` lists any party still blocking, which would be a bug).
Changing another actor's inputs never changes b's gain, so the plan names only blockers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from detente.settlement.analysis import PackageAnalysis
from detente.settlement.problem import NamedPackage, SettlementProblem
from detente.settlement.utility import (
    DEFAULT_SETTINGS,
    GAIN_TOLERANCE,
    UtilitySettings,
    package_gains,
    parties,
)

GRID = 1001
LeverKind = Literal["position", "salience", "trust"]


@dataclass(frozen=True)
class Lever:
    """One change that makes ``actor`` accept: its ``kind``, ``target`` (an issue or a
    guarantor), the ``current`` and ``needed`` value (issue units for a position) and its
    ``size`` as a share of the lever's range."""

    actor: str
    kind: LeverKind
    target: str
    current: float
    needed: float
    size: float

    def describe(self) -> str:
        what = {"position": f"position on {self.target}", "salience":
                f"salience of {self.target}", "trust": f"trust in {self.target}"}[self.kind]
        fmt = "g" if self.kind == "position" else ".3f"
        return (f"{self.actor}: {what} {self.current:{fmt}} → {self.needed:{fmt}} "
                f"({self.size:.1%} of its range)")

    def to_dict(self) -> dict[str, Any]:
        return {"actor": self.actor, "kind": self.kind, "target": self.target,
                "current": self.current, "needed": self.needed, "size": self.size,
                "text": self.describe()}


@dataclass(frozen=True)
class PersuasionPlan:
    """``levers``: every single-input change that wins a blocker over, smallest first;
    ``plan``: the smallest lever of each blocker that has one (in that order);
    ``unmovable``: blockers no single lever wins over; ``after``: the parties still
    blocking with the whole plan applied (empty when the plan works and covers everyone)."""

    package: str
    blockers: tuple[str, ...]
    levers: tuple[Lever, ...]
    plan: tuple[Lever, ...]
    unmovable: tuple[str, ...]
    after: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"package": self.package, "blockers": list(self.blockers),
                "levers": [lv.to_dict() for lv in self.levers],
                "plan": [lv.to_dict() for lv in self.plan],
                "unmovable": list(self.unmovable), "still_blocking": list(self.after)}


def _nearest(grid: np.ndarray, ok: np.ndarray, current: float) -> float | None:
    if not ok.any():
        return None
    hits = grid[ok]
    return float(hits[np.argmin(np.abs(hits - current))])


def _gain_of(problem: SettlementProblem, arrays: Any, unit: np.ndarray, package: NamedPackage,
             settings: UtilitySettings) -> np.ndarray:
    guarantees = problem.guarantees(package.guarantors)
    return package_gains(arrays, unit[None], guarantees, settings)[..., 0, :]


def _levers(problem: SettlementProblem, package: NamedPackage, unit: np.ndarray,
            settings: UtilitySettings, b: int) -> list[Lever]:
    arrays = problem.arrays
    actor = arrays.actor_ids[b]
    n_i = arrays.n_issues
    out: list[Lever] = []
    grid = np.linspace(0.0, 1.0, GRID)
    # Positions: one batch row per (issue, grid value).
    position = np.repeat(arrays.position[None], n_i * GRID, axis=0)
    for k in range(n_i):
        position[k * GRID:(k + 1) * GRID, b, k] = grid
    gains = _gain_of(problem, arrays.broadcast_batch(n_i * GRID).replace(position=position),
                     unit, package, settings)[:, b]
    span = arrays.scale_high - arrays.scale_low
    for k in range(n_i):
        ok = gains[k * GRID:(k + 1) * GRID] > GAIN_TOLERANCE
        now = float(arrays.position[b, k])
        needed = _nearest(grid, ok, now)
        if needed is not None:
            out.append(Lever(actor, "position", problem.issue_ids[k],
                             float(arrays.scale_low[k] + now * span[k]),
                             float(round(arrays.scale_low[k] + needed * span[k], 9)),
                             abs(needed - now)))
    top = max(1.0, float(arrays.salience[b].max()))
    sgrid = np.linspace(0.0, top, GRID)
    salience = np.repeat(arrays.salience[None], n_i * GRID, axis=0)
    for k in range(n_i):
        salience[k * GRID:(k + 1) * GRID, b, k] = sgrid
    # All-zero salience makes b indifferent (no gain): the > tolerance test refuses it.
    gains = _gain_of(problem, arrays.broadcast_batch(n_i * GRID).replace(salience=salience),
                     unit, package, settings)[:, b]
    for k in range(n_i):
        ok = gains[k * GRID:(k + 1) * GRID] > GAIN_TOLERANCE
        now = float(arrays.salience[b, k])
        needed = _nearest(sgrid, ok, now)
        if needed is not None:
            out.append(Lever(actor, "salience", problem.issue_ids[k], now, needed,
                             abs(needed - now) / top))
    return out


def persuade(problem: SettlementProblem, package: NamedPackage, analysis: PackageAnalysis,
             settings: UtilitySettings = DEFAULT_SETTINGS) -> PersuasionPlan:
    """The persuasion plan of one named package (module docstring)."""
    arrays = problem.arrays
    unit = problem.package_values([package])[0]
    actors = list(arrays.actor_ids)
    levers: list[Lever] = []
    for b_id in analysis.blockers:
        b = actors.index(b_id)
        levers += _levers(problem, package, unit, settings, b)
        for need in analysis.trust_needed.get(b_id, ()):
            if need.needed is not None:
                levers.append(Lever(b_id, "trust", need.guarantor, need.current, need.needed,
                                    abs(need.needed - need.current)))
    levers.sort(key=lambda lv: (lv.size, lv.actor, lv.kind, lv.target))
    plan: list[Lever] = []
    for lv in levers:
        if lv.actor not in {p.actor for p in plan}:
            plan.append(lv)
    unmovable = tuple(b for b in analysis.blockers if b not in {p.actor for p in plan})
    changed = _apply(problem, plan)
    gains = _gain_of(problem, changed, unit, package, settings)
    must = parties(changed)
    after = tuple(a for k, a in enumerate(actors) if must[k] and gains[k] <= GAIN_TOLERANCE)
    return PersuasionPlan(package.id, analysis.blockers, tuple(levers), tuple(plan), unmovable,
                          after)


def _apply(problem: SettlementProblem, plan: list[Lever]) -> Any:
    arrays = problem.arrays
    position, salience, trust = (arrays.position.copy(), arrays.salience.copy(),
                                 arrays.trust.copy())
    actors, issues = list(arrays.actor_ids), list(problem.issue_ids)
    for lv in plan:
        b = actors.index(lv.actor)
        if lv.kind == "position":
            k = issues.index(lv.target)
            span = arrays.scale_high[k] - arrays.scale_low[k]
            position[b, k] = (lv.needed - arrays.scale_low[k]) / span
        elif lv.kind == "salience":
            salience[b, issues.index(lv.target)] = lv.needed
        else:
            trust[b, list(arrays.guarantor_ids).index(lv.target)] = lv.needed
    return arrays.replace(position=position, salience=salience, trust=trust)


__all__ = ["Lever", "PersuasionPlan", "persuade"]
