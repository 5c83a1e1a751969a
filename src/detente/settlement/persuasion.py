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
  the same 0.001 grid);
* **walk-away** point of a blocker that states one (docs/settle.md, *Walk-away points*):
  the highest utility level on a 0.001 grid (0.1 utility points) below which b accepts,
  i.e. how much worse its alternative to the deal must become (Fisher & Ury 1981: a
  weaker BATNA).

With the settlement mechanisms (verification, links, walk-away points, stakes) every gain
here is the full model's gain over the walk-away point, as ``detente settle`` computes it
(:func:`detente.settlement.utility.package_gains` with the problem's mechanisms), and the
position and salience levers are found by evaluating that model on the grid, so they hold
whatever the shape (a position also moves the value of a walk-away package). A package
that breaks a package rule stays off the table whatever anyone's inputs: the plan lists
the rules it breaks (``broken_rules``); no lever mends them.

Levers are ranked by their size as a share of the lever's range (|Δp| / scale span,
|Δs|, |ΔT|, |ΔU| of the walk-away level: each range is 1 on the unit scale), across
blockers and kinds. Because each
lever changes only its blocker's own gain, applying the smallest lever of every blocker
together makes the package acceptable; :func:`persuade` applies them together and checks
that it does (``after`` lists any party still blocking, which would be a bug).
Changing another actor's inputs never changes b's gain, so the plan names only blockers.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from detente.arrays import Arrays
from detente.render import decimals_apart, fmt_apart
from detente.scenario import Mechanisms
from detente.scenario.compile import WalkAwaySpec
from detente.settlement.analysis import PackageAnalysis
from detente.settlement.mechanisms import broken_rules
from detente.settlement.problem import NamedPackage, SettlementProblem
from detente.settlement.utility import (
    DEFAULT_SETTINGS,
    GAIN_TOLERANCE,
    UtilitySettings,
    issue_utility,
    package_gains,
    parties,
    salience_shares,
)

GRID = 1001
#: Grid of a walk-away lever's utility level (unit scale: 0.001 = 0.1 utility points).
WALK_AWAY_GRID = 1e-3
LeverKind = Literal["position", "salience", "trust", "walk-away"]


@dataclass(frozen=True)
class Lever:
    """One change that makes ``actor`` accept: its ``kind``, ``target`` (an issue or a
    guarantor; for a walk-away point the actor itself), the ``current`` and ``needed``
    value (issue units for a position, utility points for a walk-away point) and its
    ``size`` as a share of the lever's range; ``span``: for a position, the width of the
    issue's scale, which its values are written against."""

    actor: str
    kind: LeverKind
    target: str
    current: float
    needed: float
    size: float
    # How the values are written, not part of the lever (as WinOver.span).
    span: float | None = dataclasses.field(default=None, compare=False)

    def describe(self) -> str:
        what = {"position": f"position on {self.target}", "salience":
                f"salience of {self.target}", "trust": f"trust in {self.target}",
                "walk-away": "walk-away point"}[self.kind]
        unit = " utility points" if self.kind == "walk-away" else ""
        current, needed = self.shown()
        return (f"{self.actor}: {what} {current} → {needed}{unit} "
                f"({self.size:.1%} of its range)")

    def shown(self) -> tuple[str, str]:
        """The current and the needed value as the sentence writes them: a position in
        issue units with the digits its scale needs, a salience or trust to the grid's
        0.001, a walk-away point to 0.1 utility points; more digits where those would write
        the two alike."""
        if self.kind == "position":
            return fmt_apart(self.current, self.needed, self.span)
        places = decimals_apart(self.current, self.needed,
                                1 if self.kind == "walk-away" else 3)
        return format(self.current, f".{places}f"), format(self.needed, f".{places}f")

    def to_dict(self) -> dict[str, Any]:
        return {"actor": self.actor, "kind": self.kind, "target": self.target,
                "current": self.current, "needed": self.needed, "size": self.size,
                "text": self.describe()}


@dataclass(frozen=True)
class PersuasionPlan:
    """``levers``: every single-input change that wins a blocker over, smallest first;
    ``plan``: the smallest lever of each blocker that has one (in that order);
    ``unmovable``: blockers no single lever wins over; ``after``: the parties still
    blocking with the whole plan applied (empty when the plan works and covers everyone);
    ``broken_rules``: package rules the package breaks (then it stays off the table even
    with every blocker won over)."""

    package: str
    blockers: tuple[str, ...]
    levers: tuple[Lever, ...]
    plan: tuple[Lever, ...]
    unmovable: tuple[str, ...]
    after: tuple[str, ...]
    broken_rules: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"package": self.package, "blockers": list(self.blockers),
                "levers": [lv.to_dict() for lv in self.levers],
                "plan": [lv.to_dict() for lv in self.plan],
                "unmovable": list(self.unmovable), "still_blocking": list(self.after),
                # only where a rule is broken: the JSON of a plan without one is unchanged
                **({"broken_rules": list(self.broken_rules)} if self.broken_rules else {})}


def _nearest(grid: np.ndarray, ok: np.ndarray, current: float) -> float | None:
    if not ok.any():
        return None
    hits = grid[ok]
    return float(hits[np.argmin(np.abs(hits - current))])


def _gain_of(problem: SettlementProblem, arrays: Arrays, unit: np.ndarray,
             package: NamedPackage, settings: UtilitySettings,
             mechanisms: Mechanisms | None = None) -> np.ndarray:
    """Every actor's gain from the package over its walk-away point, with the problem's
    mechanisms (or ``mechanisms``), as settle's package analysis computes it."""
    guarantees = problem.guarantees(package.guarantors)
    mech = problem.mechanisms if mechanisms is None else mechanisms
    return package_gains(arrays, unit[None], guarantees, settings, mech)[..., 0, :]


def _walk_away_lever(problem: SettlementProblem, unit: np.ndarray, package: NamedPackage,
                     settings: UtilitySettings, b: int) -> Lever | None:
    """The walk-away lever of blocker b, where it states a walk-away point: the highest
    utility level U' on the 0.001 grid with g_b(x) − (U' − U_b(q)) > 10⁻⁹ (g_b over the
    status quo), if U' ≥ −1 (the lowest utility there is)."""
    arrays, mech = problem.arrays, problem.mechanisms
    actor = arrays.actor_ids[b]
    if actor not in {a for a, _ in mech.walk_away}:
        return None
    over_q = float(_gain_of(problem, arrays, unit, package, settings,
                            dataclasses.replace(mech, walk_away=()))[b])
    over_walk = float(_gain_of(problem, arrays, unit, package, settings)[b])
    shares = salience_shares(arrays.salience)
    at_q = float((shares * issue_utility(arrays.position, arrays.status_quo,
                                         settings.power)).sum(axis=-1)[b])
    current = at_q + over_q - over_walk  # U_b(q) + r_b
    needed = math.floor((at_q + over_q - GAIN_TOLERANCE) / WALK_AWAY_GRID) * WALK_AWAY_GRID
    while over_q - (needed - at_q) <= GAIN_TOLERANCE:  # rounding at the grid's edge
        needed -= WALK_AWAY_GRID
    if needed < -1.0 - 1e-12:
        return None
    return Lever(actor, "walk-away", actor, float(round(current * 100, 9)),
                 float(round(needed * 100, 9)), abs(needed - current))


def _levers(problem: SettlementProblem, package: NamedPackage, unit: np.ndarray,
            settings: UtilitySettings, b: int) -> list[Lever]:
    """b's position and salience levers (grid scans of the full model), and its walk-away
    lever."""
    arrays = problem.arrays
    actor = arrays.actor_ids[b]
    n_i = arrays.n_issues
    out: list[Lever] = []
    grid = np.linspace(0.0, 1.0, GRID)
    # Only b's gain is read, and it depends on b's own rows alone (actor_gains in
    # settlement.utility): the scans run on b's rows, not on every actor's.
    own = arrays.actor_rows([b])
    # Positions: one batch row per (issue, grid value).
    position = np.repeat(own.position[None], n_i * GRID, axis=0)
    for k in range(n_i):
        position[k * GRID:(k + 1) * GRID, 0, k] = grid
    gains = _gain_of(problem, own.broadcast_batch(n_i * GRID).replace(position=position),
                     unit, package, settings)[:, 0]
    span = arrays.scale_high - arrays.scale_low
    for k in range(n_i):
        ok = gains[k * GRID:(k + 1) * GRID] > GAIN_TOLERANCE
        now = float(arrays.position[b, k])
        needed = _nearest(grid, ok, now)
        if needed is not None:
            out.append(Lever(actor, "position", problem.issue_ids[k],
                             float(arrays.scale_low[k] + now * span[k]),
                             float(round(arrays.scale_low[k] + needed * span[k], 9)),
                             abs(needed - now), span=float(span[k])))
    top = max(1.0, float(arrays.salience[b].max()))
    sgrid = np.linspace(0.0, top, GRID)
    salience = np.repeat(own.salience[None], n_i * GRID, axis=0)
    for k in range(n_i):
        salience[k * GRID:(k + 1) * GRID, 0, k] = sgrid
    # All-zero salience makes b indifferent (no gain): the > tolerance test refuses it.
    gains = _gain_of(problem, own.broadcast_batch(n_i * GRID).replace(salience=salience),
                     unit, package, settings)[:, 0]
    for k in range(n_i):
        ok = gains[k * GRID:(k + 1) * GRID] > GAIN_TOLERANCE
        now = float(arrays.salience[b, k])
        needed = _nearest(sgrid, ok, now)
        if needed is not None:
            out.append(Lever(actor, "salience", problem.issue_ids[k], now, needed,
                             abs(needed - now) / top))
    walk = _walk_away_lever(problem, unit, package, settings, b)
    if walk is not None:
        out.append(walk)
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
    changed, mech = _apply(problem, plan)
    gains = _gain_of(problem, changed, unit, package, settings, mech)
    must = parties(changed)
    after = tuple(a for k, a in enumerate(actors) if must[k] and gains[k] <= GAIN_TOLERANCE)
    return PersuasionPlan(package.id, analysis.blockers, tuple(levers), tuple(plan), unmovable,
                          after, tuple(broken_rules(problem.mechanisms, arrays, unit)))


def _apply(problem: SettlementProblem, plan: list[Lever]) -> tuple[Arrays, Mechanisms]:
    """The arrays and mechanisms with every lever of the plan applied."""
    arrays = problem.arrays
    mech = problem.mechanisms
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
        elif lv.kind == "walk-away":
            mech = dataclasses.replace(mech, walk_away=tuple(
                (a, WalkAwaySpec(utility=lv.needed / 100.0) if a == lv.actor else w)
                for a, w in mech.walk_away))
        else:
            trust[b, list(arrays.guarantor_ids).index(lv.target)] = lv.needed
    return arrays.replace(position=position, salience=salience, trust=trust), mech


__all__ = ["Lever", "PersuasionPlan", "persuade"]
