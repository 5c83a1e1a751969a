"""``detente.settle``: the zone of agreement, the best packages, the named packages, and
counterfactuals side by side, for one scenario."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Generic, Literal, Protocol, TypeVar

import numpy as np

from detente.errors import option_error, option_text, switch_text
from detente.scenario import Scenario, load
from detente.settlement.analysis import UTILITY_POINTS, PackageAnalysis, analyse_packages
from detente.settlement.defaults import GridStep, issue_steps, same_value, shared_step
from detente.settlement.mechanisms import ignoring
from detente.settlement.persuasion import PersuasionPlan, persuade
from detente.settlement.problem import (
    SettlementProblem,
    check_step,
    value_decimals,
)
from detente.settlement.search import (
    MAX_PACKAGES,
    METHODS,
    Best,
    GainTable,
    Method,
    best_packages,
    build_table,
    check_max_packages,
    chosen_method,
    objective_value,
    pareto_efficient,
    smallest_accords,
    zone_exists,
    zone_size,
)
from detente.settlement.utility import (
    BASELINE,
    DEFAULT_SETTINGS,
    UtilitySettings,
    UtilityShape,
    parties,
    require_parties,
)
from detente.settlement.zone import (
    EfficientList,
    ZoneRanges,
    efficient_list,
    issue_ranges,
    listed_by_nash,
)
from detente.variation import Variation

JSON_FORMAT_VERSION = 1
#: Count the zone exactly only up to this many packages unless asked (counting a large
#: zone visits its whole boundary).
COUNT_LIMIT = 2_000_000_000
#: The most Pareto-efficient packages listed (10 × top best packages are kept in memory).
MAX_TOP = 1000


@dataclass(frozen=True)
class FoundPackage:
    """A package found by the search, in issue units, with its gains (utility points)."""

    values: dict[str, float]
    gains: dict[str, float]
    nash: float
    min_gain: float
    changed: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"values": self.values, "gains": self.gains, "nash_product": self.nash,
                "min_gain": self.min_gain, "changed": list(self.changed)}


@dataclass(frozen=True)
class Outcome:
    """Everything settle finds for one problem (the baseline or one counterfactual)."""

    label: str
    problem: SettlementProblem
    space_size: int
    zone_exists: bool
    zone_size: int | None
    best: FoundPackage | None
    max_min: FoundPackage | None
    smallest: FoundPackage | None
    pareto: tuple[FoundPackage, ...]
    pareto_searched: int
    packages: tuple[PackageAnalysis, ...]
    method: str
    seconds: float
    zones: ZoneRanges | None = None
    persuasion: tuple[PersuasionPlan, ...] = ()

    def worst_off(self, found: FoundPackage) -> str:
        """The actor whose gain is ``found``'s ``min_gain``: the party (a veto player with
        some salience, whose acceptance the search requires) that gains least, the first in
        the scenario's order on a tie. An actor without a veto or a say may gain less, or
        lose, without blocking the deal: it is not the one the deal must still satisfy."""
        must = parties(self.problem.arrays)
        return min((a for a, m in zip(self.problem.actor_ids, must, strict=True) if m),
                   key=found.gains.__getitem__)

    def package(self, package_id: str) -> PackageAnalysis:
        for p in self.packages:
            if p.id == package_id:
                return p
        raise KeyError(package_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label, "actors": list(self.problem.actor_ids),
            "space_size": self.space_size, "zone_exists": self.zone_exists,
            "zone_size": self.zone_size,
            "best_nash": self.best.to_dict() if self.best else None,
            "max_min": self.max_min.to_dict() if self.max_min else None,
            "smallest_accord": self.smallest.to_dict() if self.smallest else None,
            "pareto": [p.to_dict() for p in self.pareto],
            "pareto_searched": self.pareto_searched,
            "packages": [p.to_dict() for p in self.packages],
            "method": self.method, "seconds": self.seconds,
            # Present only when asked for, so the JSON of a plain search is unchanged.
            **({"zones": self.zones.to_dict()} if self.zones is not None else {}),
            **({"persuasion": [p.to_dict() for p in self.persuasion]}
               if self.persuasion else {}),
        }


class _Reported(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


OutcomeT = TypeVar("OutcomeT", bound=_Reported)


class BaselineAndVariants(Generic[OutcomeT]):
    """What the results of :func:`settle` and :func:`detente.roadmap` share: an outcome of
    the scenario as written and one per counterfactual, searched on one grid step under one
    utility; the fields their JSON has in common are written here, in one order."""

    scenario: Scenario
    settings: UtilitySettings
    step: GridStep
    baseline: OutcomeT
    variants: tuple[OutcomeT, ...]
    #: The scenario's mechanisms left out (``ignore``): in the JSON, so that numbers read
    #: without a rule are never taken for the scenario's own.
    ignored: tuple[str, ...]

    @property
    def outcomes(self) -> tuple[OutcomeT, ...]:
        return (self.baseline, *self.variants)

    @property
    def steps(self) -> dict[str, float | None]:
        """Each issue's grid step in its units (None: the scenario lists its options)."""
        return issue_steps(self.scenario, self.step)

    def outcomes_dict(self, kind: str, version: int, own: Mapping[str, Any]
                      ) -> dict[str, Any]:
        """The JSON ``detente.KIND`` (at ``version``) of the outcomes; ``own``: the
        analysis's own settings, written after the utility's and before the grid step."""
        steps = self.steps
        return {
            "format": f"detente.{kind}", "version": version,
            "scenario": self.scenario.id, "issues": list(self.scenario.issue_ids),
            "utility": self.settings.utility, "correlation": self.settings.correlation,
            "losses": self.settings.losses, **own, "ignored": list(self.ignored),
            "step": shared_step(self.step, steps), "steps": steps,
            "gain_units": "utility points (a package utility lies in [-100, 0])",
            "baseline": self.baseline.to_dict(),
            "variants": [v.to_dict() for v in self.variants],
        }


@dataclass(frozen=True)
class Settlement(BaselineAndVariants[Outcome]):
    """The result of :func:`settle`: the baseline and each counterfactual."""

    scenario: Scenario
    settings: UtilitySettings
    weighting: str
    step: GridStep
    baseline: Outcome
    variants: tuple[Outcome, ...] = field(default=())
    ignored: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return self.outcomes_dict("settle", JSON_FORMAT_VERSION, {"weighting": self.weighting})


def _found(problem: SettlementProblem, table: GainTable, best: Best, row: int,
           must: np.ndarray) -> FoundPackage:
    arrays = problem.arrays
    units = arrays.to_units(best.values[row])
    gains = best.gains[row]
    status_quo = arrays.to_units(arrays.status_quo)
    spans = np.asarray(arrays.scale_high - arrays.scale_low, dtype=float)
    changed = tuple(i for i, v, q, lo, hi in zip(problem.issue_ids, units, status_quo,
                                                 arrays.scale_low, arrays.scale_high,
                                                 strict=True)
                    if not same_value(float(v), float(q), float(lo), float(hi)))
    return FoundPackage(
        values={i: float(round(v, value_decimals(span)))
                for i, v, span in zip(problem.issue_ids, units, spans, strict=True)},
        gains={a: float(g * UTILITY_POINTS) for a, g in zip(problem.actor_ids, gains,
                                                             strict=True)},
        nash=float(objective_value(gains, must, table.weights[0], "nash") * UTILITY_POINTS),
        min_gain=float(objective_value(gains, must, table.weights[0], "maxmin")
                       * UTILITY_POINTS),
        changed=changed,
    )


def _nash_list(table: GainTable, searched: int, method: Method, max_packages: int,
               efficient: EfficientList | None) -> Best:
    """The K best packages by Nash product for the Pareto list: read from the zones' list
    where that is certain (:meth:`EfficientList.best_by_nash`), else searched. Under the
    MILP, branch and bound first (each no-good cut makes the next MILP harder: the 50 best
    at step 5, ~100 s); past its budget, the MILP's best package alone (K = 1: a maximiser
    of a product increasing in every gain is Pareto efficient itself, so the list stays
    exact, only shorter; ``pareto_searched`` says 1)."""
    listed = None if efficient is None else \
        efficient.best_by_nash(searched, chosen_method(table, method))
    if listed is not None:
        return listed
    return listed_by_nash(table, searched, method, max_packages,
                          partial(best_packages, table, "nash", 1, method="milp"))


@dataclass(frozen=True)
class Prepared:
    """What :func:`analyse` needs before its searches, done first for every outcome by
    :func:`settle` so that any refusal it meets comes before the searches: the gain table
    (nobody-must-agree refused), the efficient packages the per-issue zones are read from
    (None without zones; refused where only the MILP could list them), and its seconds."""

    table: GainTable
    efficient: EfficientList | None
    seconds: float


def prepare(problem: SettlementProblem, label: str = BASELINE,
            settings: UtilitySettings = DEFAULT_SETTINGS,
            weighting: Literal["capability", "equal"] = "capability", method: Method = "auto",
            max_packages: int = MAX_PACKAGES, zones: bool = False,
            progress: Callable[[str], None] | None = None) -> Prepared:
    """The part of :func:`analyse` that may be refused before any search (:class:`Prepared`)."""
    start = time.perf_counter()
    table = build_table(problem, settings, weighting)
    # Nobody must agree: every package is "acceptable", the max-min objective is a min over
    # nobody (+inf) and no best package exists; this used to end in an IndexError.
    require_parties(problem.arrays, label)
    efficient = efficient_list(table, method, max_packages, _labelled(progress, label)) \
        if zones else None
    return Prepared(table, efficient, time.perf_counter() - start)


def _labelled(progress: Callable[[str], None] | None, label: str
              ) -> Callable[[str], None] | None:
    """``progress`` naming a counterfactual's steps with its label (the baseline's bare)."""
    if progress is None or label == BASELINE:
        return progress
    return lambda text: progress(f"{label}: {text}")


def _say(progress: Callable[[str], None] | None, label: str, text: str) -> None:
    """Name the step that begins (:func:`_labelled`)."""
    said = _labelled(progress, label)
    if said is not None:
        said(text)


def analyse(problem: SettlementProblem, label: str = BASELINE,
            settings: UtilitySettings = DEFAULT_SETTINGS,
            weighting: Literal["capability", "equal"] = "capability", top: int = 5,
            method: Method = "auto", count: bool | None = None,
            packages: Sequence[str] | None = None,
            max_packages: int = MAX_PACKAGES, zones: bool = False,
            persuasion: bool = False, prepared: Prepared | None = None,
            progress: Callable[[str], None] | None = None) -> Outcome:
    """Search one (unbatched) problem and analyse its named packages.

    ``max_packages``: the most packages each search may evaluate (see
    :data:`detente.settlement.search.MAX_PACKAGES`); past it an :class:`OptionError` says
    how large the search is and how to lift the limit. ``zones``: each issue's zone range
    and efficient range (:mod:`detente.settlement.zone`); ``persuasion``: a persuasion plan
    for each blocked named package (:mod:`detente.settlement.persuasion`). ``prepared``:
    this problem's :func:`prepare` where the caller ran it first (with the same options);
    ``progress(text)`` names each step as it begins.
    """
    if prepared is None:
        prepared = prepare(problem, label, settings, weighting, method, max_packages, zones,
                           progress)
    start = time.perf_counter() - prepared.seconds
    table = prepared.table
    must = table.must_agree[0]
    space = int(table.space_size[0])  # exact Python int, however large
    limit: dict[str, Any] = dict(method=method, max_packages=max_packages)
    _say(progress, label, "the zone of agreement")
    exists = bool(zone_exists(table, **limit)[0])
    do_count = count if count is not None else space <= COUNT_LIMIT
    if do_count:
        _say(progress, label, "counting the zone")
    size = int(zone_size(table, **limit)[0]) if do_count else None
    best = max_min = smallest = None
    pareto: tuple[FoundPackage, ...] = ()
    searched = 0
    if exists:
        # Any package dominating one of the K best by Nash product has a higher Nash product,
        # so it is among them too: the efficient ones among the K best are truly efficient.
        searched = max(50, 10 * top)
        _say(progress, label, "the best packages by Nash product")
        by_nash = _nash_list(table, searched, method, max_packages, prepared.efficient)
        best = _found(problem, table, by_nash, 0, must)
        efficient = np.nonzero(pareto_efficient(by_nash.gains, must))[0][:top]
        pareto = tuple(_found(problem, table, by_nash, int(r), must) for r in efficient)
        searched = int(by_nash.score.size)
        _say(progress, label, "the max-min package")
        by_min = best_packages(table, "maxmin", 1, **limit)[0]
        max_min = _found(problem, table, by_min, 0, must)
        _say(progress, label, "the smallest accord")
        small = smallest_accords(table, **limit)[0]
        smallest = _found(problem, table, small, 0, must)
    chosen = None if packages is None else [problem.package(p) for p in packages]
    _say(progress, label, "the named packages")
    named = tuple(analyse_packages(problem, chosen, settings, weighting))
    ranges = None
    if zones:
        ranges = issue_ranges(problem, settings, weighting, method, max_packages, table,
                              prepared.efficient, _labelled(progress, label))
    plans: tuple[PersuasionPlan, ...] = ()
    if persuasion:
        _say(progress, label, "persuasion plans")
        plans = tuple(persuade(problem, problem.package(p.id), p, settings)
                      for p in named if p.blockers and not p.is_reference)
    used = {"brute": "brute force", "bnb": "branch and bound",
            "milp": "MILP (HiGHS)"}[chosen_method(table, method)]
    if method == "auto" and used.startswith("MILP"):  # top-k and smallest tried by bnb first
        used += " and branch and bound"
    if best is not None and by_nash.gap > 0:  # the certified gap of the best Nash package
        used += f", Nash product within {by_nash.gap:.1e} of the optimum"
    return Outcome(label=label, problem=problem, space_size=space, zone_exists=exists,
                   zone_size=size, best=best, max_min=max_min, smallest=smallest,
                   pareto=pareto, pareto_searched=searched, packages=named, method=used,
                   seconds=time.perf_counter() - start, zones=ranges, persuasion=plans)


def _check_correlation(correlation: object) -> None:
    """Correlation must be a real number in [0, 1]: NaN fails every comparison, so it is
    refused explicitly rather than left to a range check written the wrong way round."""
    try:
        value = float(correlation)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = float("nan")
    if isinstance(correlation, bool) or not 0.0 <= value <= 1.0:
        raise option_error("--correlation", f"correlation must be a number from 0 to 1, got "
                           f"{correlation!r}", "0 = deliverers fail independently, 1 = together")


def settle(
    scenario: Scenario | str | Path | None = None,
    *,
    variations: Sequence[Variation] | Variation | None = None,
    packages: Sequence[str] | None = None,
    step: GridStep | float | str | None = None,
    utility: UtilityShape = "quadratic",
    correlation: float = 0.0,
    losses: Literal["discounted", "certain"] = "discounted",
    weighting: Literal["capability", "equal"] = "capability",
    top: int = 5,
    method: Method = "auto",
    count: bool | None = None,
    max_packages: int = MAX_PACKAGES,
    ignore: Sequence[str] = (),
    zones: bool = True,
    persuasion: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Settlement:
    """Which packages can every veto player accept, and how do counterfactuals change that.

    ``scenario``: a Scenario, a path or an embedded id (default ``korea-2017``).
    ``variations``: counterfactuals (:class:`detente.variation.Variation`), each
    analysed side by side with the baseline. ``packages``: the named packages to analyse
    (default all). ``step``: grid step for issues without listed options: ``"5%"`` of each
    issue's scale, a number of issue units, or a :class:`GridStep` (default a tenth of each
    scale, :data:`DEFAULT_STEP`: 10 on a 0-100 scale). ``utility``: ``quadratic`` or
    ``linear`` distance loss. ``correlation``: 0 = deliverers fail independently, 1 =
    together. ``losses``: ``discounted`` (every promised move is a lottery) or
    ``certain`` (moves an actor loses from are not discounted by its distrust).
    ``weighting``: Nash product exponents (``capability`` or ``equal``). ``top``: how
    many Pareto-efficient packages to list.
    ``method``: ``auto`` (brute force for small spaces, the MILP for large ones),
    ``brute``, ``bnb`` or ``milp``. ``count``:
    whether to count the zone (default: when the space has at most 2·10⁹ packages).
    ``max_packages``: the most packages one search may evaluate (default 5·10⁷); a larger
    search is refused with its estimate (:class:`~detente.settlement.search.SearchTooLarge`).
    ``ignore``: mechanisms of the scenario to leave out (``verification``, ``links``,
    ``rules``, ``walk-away``, ``stakes``; docs/settle.md), to compare with and without.
    ``zones``: each issue's range in the zone and among the efficient packages;
    ``persuasion``: for each blocked named package, the smallest change of a blocker's
    position, salience or trust that wins it over, as a ranked plan (both on by default,
    as in ``detente settle``; off, the JSON has neither key). ``progress(text)``: names each
    step as it begins ('zones: issue 3 of 7 (NUC)'; a counterfactual's with its label).

    Every numeric option is checked here, not only on the command line, so the Python API
    cannot be given an infinite step or a NaN correlation either.
    """
    grid_step = check_step(step)
    _check_correlation(correlation)
    if isinstance(top, bool) or not isinstance(top, int | np.integer) \
            or not 1 <= top <= MAX_TOP:
        raise option_error("--top", f"top must be a whole number from 1 to {MAX_TOP}, got "
                           f"{top!r}", f"give e.g. {option_text('top', 5)}")
    if count is not None and not isinstance(count, bool | np.bool_):
        raise option_error("--count", f"count must be true, false or None, got {count!r}",
                           f"use {switch_text('count', on=True)} or "
                           f"{switch_text('count', on=False)}")
    max_packages = check_max_packages(max_packages)
    s = load(scenario)
    try:
        settings = UtilitySettings(utility=utility, correlation=correlation, losses=losses)
    except ValueError as err:
        raise option_error("settle", str(err), "utility: linear or quadratic; "
                           "correlation: a number from 0 to 1; "
                           "losses: discounted or certain") from None
    if weighting not in ("capability", "equal"):
        raise option_error("--weighting", f"unknown weighting '{weighting}'",
                           "use capability or equal")
    if method not in METHODS:
        raise option_error("--method", f"unknown method '{method}'",
                           "use auto, brute, bnb or milp")
    problem = SettlementProblem.from_scenario(s, grid_step)
    problem = problem.replace(mechanisms=ignoring(problem.mechanisms, list(ignore)))
    for p in packages or ():
        problem.package(p)  # unknown names fail before any search
    if isinstance(variations, Variation):
        variations = [variations]
    changed = [(v.describe(legacy=True), v.apply_problem(problem))
               for v in variations or () if not v.is_empty]
    kwargs: dict[str, Any] = dict(settings=settings, weighting=weighting, top=top,
                                  method=method, count=count, packages=packages,
                                  max_packages=max_packages, zones=bool(zones),
                                  persuasion=bool(persuasion))
    problems = [(BASELINE, problem), *changed]
    # Whatever may be refused before the searches (nobody must agree, per-issue zones only
    # the MILP could list: korea-2017 at step 1%) is met for every outcome before any of
    # them is searched, not after the baseline's 20 s of searches.
    ready = [prepare(p, label, settings, weighting, method, max_packages, bool(zones),
                     progress) for label, p in problems]
    baseline, *variants = [analyse(p, label, **kwargs, prepared=first, progress=progress)
                           for (label, p), first in zip(problems, ready, strict=True)]
    return Settlement(scenario=s, settings=settings, weighting=weighting,
                      step=grid_step, baseline=baseline,
                      variants=tuple(variants), ignored=tuple(ignore))
