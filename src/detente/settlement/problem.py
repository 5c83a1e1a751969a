"""A settlement problem compiled from a scenario.

A :class:`SettlementProblem` holds the arrays, who guarantees each issue, the candidate
values of every issue and the scenario's named packages. Counterfactual changes to it are
:meth:`detente.variation.Variation.apply_problem` (the one counterfactual type).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from detente.arrays import Arrays
from detente.errors import option_error
from detente.scenario import Mechanisms, Scenario, compile_mechanisms, did_you_mean
from detente.settlement.defaults import DEFAULT_STEP
from detente.settlement.utility import Guarantees

MAX_OPTIONS_PER_ISSUE = 1001


def check_step(step: object, where: str = "--step") -> float:
    """The grid step as a finite float above 0 (default :data:`DEFAULT_STEP`).

    An infinite step would silently shrink every grid to the scale's two ends, and NaN
    compares false with everything; both are refused, as are 0, negatives and non-numbers.
    """
    if step is None:
        return DEFAULT_STEP
    try:
        value = float(step)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = math.nan
    if isinstance(step, bool) or not math.isfinite(value) or value <= 0:
        raise option_error(where, f"the grid step must be a finite number above 0, got "
                           f"{step!r}", "give a positive step in issue units, e.g. --step 5")
    return value


@dataclass(frozen=True)
class NamedPackage:
    """A package named in the scenario: every issue's value in issue units.

    ``specified``: the issues the package sets (the others keep the status quo).
    ``guarantors``: per-issue overrides of who delivers the move.
    """

    id: str
    name: str
    values: dict[str, float]
    specified: tuple[str, ...]
    guarantors: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class SettlementProblem:
    """Everything the package search and the package analysis need, unbatched or batched.

    ``issue_guarantors[k]``: the ids that deliver a move of issue k, or None when the
    scenario names nobody (moves taken at face value). ``candidates[k]``: the values of
    issue k (issue units) a package may take besides the status quo; ``keep_status_quo[k]``
    is False once the issue is fixed to a value. ``steps[k]``: the grid step of issue k
    (None when the scenario lists options), used to round thresholds to the grid.
    """

    scenario_id: str
    arrays: Arrays
    issue_guarantors: tuple[tuple[str, ...] | None, ...]
    candidates: tuple[tuple[float, ...], ...]
    keep_status_quo: tuple[bool, ...]
    steps: tuple[float | None, ...]
    packages: tuple[NamedPackage, ...] = ()
    names: dict[str, str] = field(default_factory=dict)
    #: Verification, links, rules, walk-away points, stakes (issue 16; empty: the plain model).
    mechanisms: Mechanisms = field(default_factory=Mechanisms)

    @classmethod
    def from_scenario(cls, scenario: Scenario, step: float | None = None) -> SettlementProblem:
        """Compile a scenario; ``step`` (issue units) is the grid for issues without options."""
        grid_step = check_step(step)
        candidates: list[tuple[float, ...]] = []
        steps: list[float | None] = []
        for issue in scenario.issues:
            if issue.options:
                values = sorted(set(issue.options))
                steps.append(None)
            else:
                lo, hi = issue.scale.low, issue.scale.high
                ratio = (hi - lo) / grid_step  # inf for a subnormal step: refused below
                n = int(np.floor(ratio + 1e-9)) if math.isfinite(ratio) else None
                if n is None or n + 1 > MAX_OPTIONS_PER_ISSUE:
                    many = "too many" if n is None else str(n + 1)
                    raise option_error("step", f"a step of {grid_step:g} gives {many} values "
                                       f"on {issue.id} ({lo:g} to {hi:g}; at most "
                                       f"{MAX_OPTIONS_PER_ISSUE})",
                                       f"use a step of at least {(hi - lo) / 1000:g}")
                values = [lo + j * grid_step for j in range(n + 1)]
                if hi - values[-1] > 1e-9:
                    values.append(hi)
                steps.append(grid_step)
            candidates.append(tuple(float(v) for v in values))
        status = {i.id: i.status_quo.value for i in scenario.issues}
        packages = tuple(
            NamedPackage(
                id=p.id, name=p.name,
                values={iid: float(p.values[iid].value) if iid in p.values else status[iid]
                        for iid in scenario.issue_ids},
                specified=tuple(iid for iid in scenario.issue_ids if iid in p.values),
                guarantors={k: tuple(v) for k, v in p.guarantors.items()},
            )
            for p in scenario.packages
        )
        names = {x.id: x.name for x in (*scenario.actors, *scenario.institutions,
                                         *scenario.issues)}
        return cls(
            scenario_id=scenario.id,
            arrays=scenario.compile(),
            issue_guarantors=tuple(tuple(i.guarantors) if i.guarantors else None
                                   for i in scenario.issues),
            candidates=tuple(candidates),
            keep_status_quo=tuple(True for _ in scenario.issues),
            steps=tuple(steps),
            packages=packages,
            names=names,
            mechanisms=compile_mechanisms(scenario),
        )

    # --- lookups -------------------------------------------------------------------
    @property
    def issue_ids(self) -> tuple[str, ...]:
        return self.arrays.issue_ids

    @property
    def actor_ids(self) -> tuple[str, ...]:
        return self.arrays.actor_ids

    @property
    def space_size(self) -> int:
        """How many packages the candidate values allow (status quo included)."""
        total = 1
        for k in range(self.arrays.n_issues):
            total *= len(self.unit_candidates(k)[0])
        return total

    def package(self, package_id: str) -> NamedPackage:
        for p in self.packages:
            if p.id == package_id:
                return p
        raise option_error("--package", f"unknown package '{package_id}'",
                           did_you_mean(package_id, [p.id for p in self.packages])
                           if self.packages else "the scenario names no packages")

    def guarantees(self, overrides: Mapping[str, Sequence[str]] | None = None) -> Guarantees:
        """Who delivers each issue, with optional per-issue overrides (e.g. a package's)."""
        overrides = overrides or {}
        per_issue = [tuple(overrides[iid]) if iid in overrides else g
                     for iid, g in zip(self.issue_ids, self.issue_guarantors, strict=True)]
        return Guarantees.from_lists(self.arrays.guarantor_ids, per_issue)

    def package_guarantees(self, packages: Sequence[NamedPackage]) -> Guarantees:
        return Guarantees.stack([self.guarantees(p.guarantors) for p in packages])

    def package_values(self, packages: Sequence[NamedPackage]) -> np.ndarray:
        """Unit-scale values of named packages, ``[P, I]``."""
        units = np.array([[p.values[iid] for iid in self.issue_ids] for p in packages],
                         dtype=float).reshape(len(packages), self.arrays.n_issues)
        return self.arrays.from_units(units)

    def unit_candidates(self, k: int) -> tuple[np.ndarray, bool]:
        """Candidate values of issue k on the unit scale, and whether the status quo stays
        allowed. The status quo is added to the list (once) when it is allowed."""
        lo, hi = self.arrays.scale_low[k], self.arrays.scale_high[k]
        values = (np.asarray(self.candidates[k]) - lo) / (hi - lo)
        keep = self.keep_status_quo[k]
        if keep and not self.arrays.batch_shape:
            q = float(self.arrays.status_quo[k])
            values = np.concatenate([[q], values[np.abs(values - q) > 1e-12]])
        return values, keep

    def replace(self, **changes: object) -> SettlementProblem:
        return dataclasses.replace(self, **changes)
