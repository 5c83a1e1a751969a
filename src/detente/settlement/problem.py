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
from detente.errors import OptionError, as_written, option_error, option_text
from detente.render import and_list
from detente.scenario import Mechanisms, Scenario, compile_mechanisms, did_you_mean
from detente.settlement.defaults import (
    DEFAULT_STEP,
    GridStep,
    value_decimals,
)
from detente.settlement.utility import Guarantees

MAX_OPTIONS_PER_ISSUE = 1001

def grid_value_text(value: float, span: float) -> str:
    """A value on a search grid (a candidate, a step) as a refusal writes it: the fewest
    decimals that read back within the rounding the search allows on a scale of ``span``
    (:func:`value_decimals`), so that a suggested value is one the search takes: 1000.275,
    not the 1000.27 that ``:g`` writes, nor the float noise of 1000 + 11 × 0.025."""
    tolerance = 10.0 ** -value_decimals(span)
    for decimals in range(value_decimals(span) + 1):
        text = f"{value:.{decimals}f}"
        if abs(float(text) - value) <= tolerance:
            return as_written(float(text))
    return as_written(value)


def check_step(step: object, where: str = "--step") -> GridStep:
    """The grid step read by :meth:`GridStep.parse` (default :data:`DEFAULT_STEP`, a tenth
    of each issue's scale): ``5%`` of each issue's scale, or a number of issue units.

    A bad step (0, a negative, ``abc``, ``0%``, an infinite or NaN number) is refused at
    ``where``.
    """
    if step is None:
        return DEFAULT_STEP
    try:
        return GridStep.parse(step)
    except ValueError as err:
        raise option_error(where, str(err), GridStep.fix()) from None


def _whole_steps(step: GridStep, low: float, high: float) -> int | None:
    """How many whole steps fit from ``low`` to ``high``; None where too many to count (a
    subnormal step). A relative step counts from the percent itself, so that an issue
    rescaled by any factor gets the same grid."""
    ratio = 100.0 / step.size if step.relative else (high - low) / step.on(low, high)
    return int(np.floor(ratio + 1e-9)) if math.isfinite(ratio) else None


def issue_grid(step: GridStep, low: float, high: float) -> tuple[list[float], float] | None:
    """The candidate values of an issue from ``low`` to ``high`` on the grid ``step``, and
    the step in issue units; None where the grid would hold more than
    :data:`MAX_OPTIONS_PER_ISSUE` values (:func:`too_many_values` says so).

    The last value is the scale's end exactly where the steps reach it (``low + n·step``
    may overshoot it by a rounding error), and the end is added where they fall short."""
    count = _whole_steps(step, low, high)
    units = step.on(low, high)
    if count is None or count + 1 > MAX_OPTIONS_PER_ISSUE or units <= 0:
        return None
    values = [low + j * units for j in range(count + 1)]
    if high - values[-1] > 1e-9 * (high - low):
        values.append(high)
    elif count > 0:
        values[-1] = high
    return values, units


def _rounded_up(value: float, digits: int = 3) -> str:
    """``value`` (above 0) rounded up at its ``digits``-th significant digit, written whole:
    the smallest step a fix offers, short (0.0334 for 0.0333…; ``:g`` wrote a 0-10⁹ scale's
    1000000 as 1e+06) and still fitting, which a step rounded down would not."""
    unit = 10.0 ** (math.floor(math.log10(value)) - digits + 1)
    return as_written(float(f"{math.ceil(value / unit - 1e-9) * unit:.{digits}g}"))


def too_many_values(step: GridStep, issue: str, low: float, high: float) -> OptionError:
    """The refusal of a grid with more than :data:`MAX_OPTIONS_PER_ISSUE` values on
    ``issue``: its count, and the smallest step that fits, in the form the user gave (an
    absolute step is also told of the percent form, which fits every issue at once)."""
    count = _whole_steps(step, low, high)
    many = "too many" if count is None else f"{count + 1:,}"
    given = f"{step} ({grid_value_text(step.on(low, high), high - low)} units)" \
        if step.relative else f"{step}"
    fewest = MAX_OPTIONS_PER_ISSUE - 1  # steps, between the values
    fix = (f"use a step of at least {as_written(100.0 / fewest)}%" if step.relative else
           f"use a step of at least {_rounded_up((high - low) / fewest)}, or a percent of "
           f"each issue's scale, e.g. {option_text('step', '1%')}")
    return option_error("--step", f"a step of {given} gives {many} values on {issue} "
                        f"({as_written(low)} to {as_written(high)}; at most "
                        f"{MAX_OPTIONS_PER_ISSUE})", fix)


def wider_than_scales(step: GridStep, scales: Sequence[tuple[str, float, float]]
                      ) -> OptionError:
    """The refusal of an absolute step wider than the span of the issues ``scales``
    (id, low, high): each would be searched at its two ends only, whatever lies between."""
    # Issues on one scale are named together: korea-2017's eight 0-100 issues, once.
    alike: dict[tuple[float, float], list[str]] = {}
    for issue, low, high in scales:
        alike.setdefault((low, high), []).append(issue)
    named = [f"{and_list(ids)} ({as_written(low)} to {as_written(high)}, a span of "
             f"{as_written(high - low)})" for (low, high), ids in alike.items()]
    which = f"the scale{'s' if len(scales) > 1 else ''} of {and_list(named)}"
    narrowest = min(high - low for _, low, high in scales)
    ends = "its two ends" if len(scales) == 1 else "the two ends of each"
    return option_error("--step", f"a step of {step} is wider than {which}: the search would "
                        f"take only {ends}", f"use a step of at most "
                        f"{as_written(narrowest)}, or a percent of each issue's scale, e.g. "
                        f"{option_text('step', '10%')}")


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
    in its units (None when the scenario lists options), used to round thresholds to the
    grid.
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
    def from_scenario(cls, scenario: Scenario,
                      step: GridStep | float | str | None = None) -> SettlementProblem:
        """Compile a scenario; ``step`` is the grid for issues without options: a
        :class:`GridStep`, ``"5%"`` of each issue's scale, or a number of issue units
        (default :data:`DEFAULT_STEP`, a tenth of each scale)."""
        grid_step = check_step(step)
        # A step that fits no whole time into a scale would leave that issue its two ends.
        wider = [(i.id, i.scale.low, i.scale.high) for i in scenario.issues
                 if not i.options and _whole_steps(grid_step, i.scale.low, i.scale.high) == 0]
        if wider:
            raise wider_than_scales(grid_step, wider)
        candidates: list[tuple[float, ...]] = []
        steps: list[float | None] = []
        for issue in scenario.issues:
            if issue.options:
                values = sorted(set(issue.options))
                steps.append(None)
            else:
                lo, hi = issue.scale.low, issue.scale.high
                grid = issue_grid(grid_step, lo, hi)
                if grid is None:
                    raise too_many_values(grid_step, issue.id, lo, hi)
                values, units = grid
                steps.append(units)
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
