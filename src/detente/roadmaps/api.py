"""``detente.roadmap``: evaluate staged settlements and search for ones that hold.

See ``docs/roadmap.md`` for the model. Gains are reported in utility points (×100, as in
``detente settle``).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from detente.errors import OptionError, as_written, option_error, option_place, option_text
from detente.errors import Problem as ErrorItem
from detente.render import and_list, decimals_apart
from detente.roadmaps.model import Checkpoints, Defection, check_defection, evaluate_stages
from detente.roadmaps.search import deliverable_issues, path_options, reachable, search_paths
from detente.scenario import Scenario, did_you_mean, load
from detente.scenario.checks import self_trust
from detente.scenario.compile import Mechanisms
from detente.settlement.analysis import UTILITY_POINTS
from detente.settlement.api import BaselineAndVariants
from detente.settlement.defaults import (
    GridStep,
    same_value,
    value_tolerance,
)
from detente.settlement.mechanisms import broken_rules, ignoring
from detente.settlement.problem import (
    NamedPackage,
    SettlementProblem,
    check_step,
    grid_value_text,
    value_decimals,
)
from detente.settlement.search import MAX_PACKAGES, Method, best_packages, build_table
from detente.settlement.utility import (
    BASELINE,
    DEFAULT_SETTINGS,
    GAIN_TOLERANCE,
    Guarantees,
    UtilitySettings,
    UtilityShape,
    nash_product,
    nash_weights,
    require_parties,
)
from detente.variation import Variation

JSON_FORMAT_VERSION = 1
STAGE_PREFIX = "roadmap:"


# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Break:
    """Where a roadmap fails: at checkpoint ``stage`` (1-based, before that stage is carried
    out) ``actor`` would rather defect (``margin`` ≤ 0), or is tempted to stop
    (``banked`` > ``expected``)."""

    stage: int
    stage_name: str
    actor: str
    margin: float
    banked: float
    expected: float

    def describe(self) -> str:
        # A searched or stated roadmap's stages are named "stage N": not "stage 1 (stage 1)".
        name = "" if self.stage_name == f"stage {self.stage}" else f" ({self.stage_name})"
        # Two decimals, more where they would hide why it breaks: a margin below 0 that
        # reads -0.00, or a banked gain above the expected one that reads as it.
        places = max(decimals_apart(self.banked, self.expected, 2),
                     decimals_apart(self.margin, 0.0, 2))
        return (f"stage {self.stage}{name}: {self.actor} banked {self.banked:+.{places}f}, "
                f"expects {self.expected:+.{places}f} by going on "
                f"(margin {self.margin:+.{places}f})")

    def to_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "stage_name": self.stage_name, "actor": self.actor,
                "margin": self.margin, "banked": self.banked, "expected": self.expected}


@dataclass(frozen=True)
class Checkpoint:
    """One stage of a roadmap and each actor's reckoning before it is carried out."""

    name: str
    values: dict[str, float]
    moved: tuple[str, ...]
    banked: dict[str, float]
    rest: dict[str, float]
    expected: dict[str, float]
    margin: dict[str, float]
    stays: dict[str, bool]
    tempted: dict[str, bool]
    issue_rest: dict[str, dict[str, float]]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "values": self.values, "moved": list(self.moved),
                "banked": self.banked, "expected_rest": self.rest, "expected": self.expected,
                "margin": self.margin, "stays": self.stays, "tempted": self.tempted,
                "issue_rest": self.issue_rest}


@dataclass(frozen=True)
class RoadmapEvaluation:
    """A roadmap evaluated stage by stage (gains in utility points)."""

    id: str
    name: str
    stages: tuple[Checkpoint, ...]
    final_gains: dict[str, float]
    final_nash: float
    holds: bool
    breaks: tuple[Break, ...]
    weak_points: tuple[Break, ...]
    min_margin: float
    short_stages: tuple[int, ...] = ()
    parties: tuple[str, ...] = ()
    #: "stage t: rule" for each package rule a stage breaks (the roadmap does not hold).
    broken_rules: tuple[str, ...] = ()
    #: Each actor's walk-away point (utility points over the status quo; empty: none stated).
    walk_away: dict[str, float] = field(default_factory=dict)

    @property
    def first_break(self) -> Break | None:
        return self.breaks[0] if self.breaks else None

    def where_it_breaks(self) -> str | None:
        """"stage t: A, B" (the first stage someone would defect at, and who), or
        "stage t: RULE" where a stage breaks a package rule first; None when it holds."""
        b = self.first_break
        rule = self.broken_rules[0] if self.broken_rules else None
        rule_stage = int(rule.split(":")[0].split()[1]) if rule else None
        if b is not None and (rule_stage is None or b.stage <= rule_stage):
            return f"stage {b.stage}: " + ", ".join(x.actor for x in self.breaks
                                                    if x.stage == b.stage)
        return rule

    @property
    def one_shot_blockers(self) -> tuple[str, ...]:
        """The parties that block the final package offered as one package (its settlement
        gain, ``final_gains``, ≤ 0)."""
        return tuple(a for a in self.parties if self.final_gains[a] <= GAIN_TOLERANCE * 100)

    def won_over(self) -> dict[str, tuple[int, ...]]:
        """For each one-shot blocker, the checkpoints (1-based) at which it stays on the
        staged path: what staging (and any learning) wins it over that one shot does not."""
        return {a: tuple(t + 1 for t, st in enumerate(self.stages) if st.stays[a])
                for a in self.one_shot_blockers}

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "holds": self.holds,
                "min_margin": self.min_margin, "final_gains": self.final_gains,
                "final_nash_product": self.final_nash,
                "breaks": [b.to_dict() for b in self.breaks],
                "weak_points": [b.to_dict() for b in self.weak_points],
                "short_stages": list(self.short_stages),
                "broken_rules": list(self.broken_rules), "walk_away": self.walk_away,
                "one_shot_blockers": list(self.one_shot_blockers),
                "won_over": {a: list(v) for a, v in self.won_over().items()},
                "stages": [s.to_dict() for s in self.stages]}


@dataclass(frozen=True)
class SearchResult:
    """The roadmap search of one problem."""

    n_stages: int
    final: str
    found: RoadmapEvaluation | None
    near_misses: tuple[RoadmapEvaluation, ...]
    finals_tried: int
    finals_available: int
    exhaustive: bool
    #: Roadmaps to every final of the batches searched (finals go ``chunk`` at a time, and a
    #: batch is searched whole even when its first final holds): JSON ``roadmaps_searched``.
    space: int
    monotone: bool
    seconds: float
    #: The first stage the search was held to (``--first``; issue units, the issues it
    #: names; every other issue stays at its status quo in stage 1); None: searched too.
    first: dict[str, float] | None = None
    #: Finals in the batches searched (``finals_tried`` or up to ``chunk - 1`` more) and the
    #: roadmaps to the finals tried alone (JSON ``finals_searched``,
    #: ``roadmaps_to_finals_tried``).
    finals_searched: int = 0
    space_tried: int = 0
    #: Why the search has neither a roadmap nor a near miss to show, and the fix: no
    #: roadmap searched has a stage move at every stage (JSON ``note``, only when set).
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"stages": self.n_stages, "final": self.final, "first": self.first,
                "exists": self.found is not None,
                "found": self.found.to_dict() if self.found else None,
                "near_misses": [n.to_dict() for n in self.near_misses],
                "finals_tried": self.finals_tried, "finals_available": self.finals_available,
                "exhaustive": self.exhaustive, "roadmaps_searched": self.space,
                "finals_searched": self.finals_searched,
                "roadmaps_to_finals_tried": self.space_tried,
                "monotone": self.monotone, "seconds": self.seconds,
                **({"note": self.note} if self.note else {})}


@dataclass(frozen=True)
class RoadmapOutcome:
    """The baseline or one counterfactual: named roadmaps evaluated, and the search."""

    label: str
    actors: tuple[str, ...]
    evaluations: tuple[RoadmapEvaluation, ...]
    search: SearchResult | None

    def evaluation(self, roadmap_id: str) -> RoadmapEvaluation:
        for e in self.evaluations:
            if e.id == roadmap_id:
                return e
        raise KeyError(roadmap_id)

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "actors": list(self.actors),
                "roadmaps": [e.to_dict() for e in self.evaluations],
                "search": self.search.to_dict() if self.search else None}


@dataclass(frozen=True)
class TrustScan:
    """Named roadmaps evaluated while some trust values sweep 0 … 1 together.

    ``holds[r][v]``, ``min_margin[r][v]`` and ``first_break[r][v]`` per roadmap id r and
    trust value v; ``truster_margin[r][a][v]`` the smallest margin over the stages of each
    truster a whose trust is scanned; :meth:`lowest_holding` the smallest scanned value at
    which r holds (None if none).
    """

    pairs: tuple[tuple[str, str], ...]
    values: tuple[float, ...]
    holds: dict[str, tuple[bool, ...]]
    min_margin: dict[str, tuple[float, ...]]
    first_break: dict[str, tuple[str | None, ...]]
    truster_margin: dict[str, dict[str, tuple[float, ...]]] = field(default_factory=dict)

    def lowest_holding(self, roadmap_id: str) -> float | None:
        ok = [v for v, h in zip(self.values, self.holds[roadmap_id], strict=True) if h]
        return min(ok) if ok else None

    def to_dict(self) -> dict[str, Any]:
        return {"pairs": [f"{a}.{b}" for a, b in self.pairs], "values": list(self.values),
                "roadmaps": {r: {"holds": list(self.holds[r]),
                                 "min_margin": list(self.min_margin[r]),
                                 "first_break": list(self.first_break[r]),
                                 "truster_margin": {a: list(v) for a, v in
                                                    self.truster_margin.get(r, {}).items()},
                                 "lowest_holding": self.lowest_holding(r)}
                             for r in self.holds}}


@dataclass(frozen=True)
class LearningScan:
    """Named roadmaps over a grid of trust (the scanned pairs set together) × learning rate,
    for one outcome (the baseline or a counterfactual).

    Per roadmap id r, ``[L][V]`` nested tuples over learning rates × trust values:
    ``holds``, ``min_margin`` (smallest margin of any party at any checkpoint),
    ``later_margin`` (the same over checkpoints 2 … S, the ones learning can change; None
    for a one-stage roadmap),
    ``first_break``; ``stays[r][a]`` whether party a stays at every checkpoint;
    ``one_shot[r][a]`` ``[V]`` whether a accepts the final package as one package (learning
    plays no part there). ``skipped``: scanned pairs this outcome lacks (an actor left out).
    """

    label: str
    pairs: tuple[tuple[str, str], ...]
    skipped: tuple[str, ...]
    trust: tuple[float, ...]
    learning: tuple[float, ...]
    holds: dict[str, tuple[tuple[bool, ...], ...]]
    min_margin: dict[str, tuple[tuple[float, ...], ...]]
    later_margin: dict[str, tuple[tuple[float | None, ...], ...]]
    first_break: dict[str, tuple[tuple[str | None, ...], ...]]
    stays: dict[str, dict[str, tuple[tuple[bool, ...], ...]]]
    one_shot: dict[str, dict[str, tuple[bool, ...]]]

    def holding(self, roadmap_id: str) -> list[tuple[float, float]]:
        """Every scanned (learning, trust) at which the roadmap holds."""
        return [(lam, t) for i, lam in enumerate(self.learning)
                for j, t in enumerate(self.trust) if self.holds[roadmap_id][i][j]]

    def lowest_trust(self, roadmap_id: str, actor: str, learning_index: int | None
                     ) -> float | None:
        """The lowest scanned trust at which ``actor`` stays throughout the staged path (at
        the learning rate of ``learning_index``) or, with None, accepts it as one package."""
        row = self.one_shot[roadmap_id][actor] if learning_index is None \
            else self.stays[roadmap_id][actor][learning_index]
        ok = [t for t, h in zip(self.trust, row, strict=True) if h]
        return min(ok) if ok else None

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "pairs": [f"{a}.{b}" for a, b in self.pairs],
                "skipped": list(self.skipped), "trust": list(self.trust),
                "learning": list(self.learning),
                "roadmaps": {r: {"holds": [list(x) for x in self.holds[r]],
                                 "min_margin": [list(x) for x in self.min_margin[r]],
                                 "later_margin": [list(x) for x in self.later_margin[r]],
                                 "first_break": [list(x) for x in self.first_break[r]],
                                 "stays": {a: [list(x) for x in v]
                                           for a, v in self.stays[r].items()},
                                 "one_shot_accepts": {a: list(v)
                                                      for a, v in self.one_shot[r].items()},
                                 "holding": [list(x) for x in self.holding(r)]}
                             for r in self.holds}}


@dataclass(frozen=True)
class RoadmapAnalysis(BaselineAndVariants[RoadmapOutcome]):
    """The result of :func:`roadmap`: the baseline, each counterfactual, an optional scan."""

    scenario: Scenario
    settings: UtilitySettings
    patience: float
    defection: str
    step: GridStep
    baseline: RoadmapOutcome
    variants: tuple[RoadmapOutcome, ...] = field(default=())
    scan: TrustScan | None = None
    learning: float = 0.0
    min_move: float = 1.0
    learning_scans: tuple[LearningScan, ...] = ()
    #: The mechanisms applied (the scenario's, less any ``ignore``d kind).
    mechanisms: Mechanisms = field(default_factory=Mechanisms)
    ignored: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.outcomes_dict("roadmap", JSON_FORMAT_VERSION,
                                 {"patience": self.patience, "defection": self.defection}),
            "scan": self.scan.to_dict() if self.scan else None,
            "learning": self.learning, "min_move": self.min_move,
            "learning_scans": [x.to_dict() for x in self.learning_scans],
        }


# ---------------------------------------------------------------------------------------
# Roadmaps as stage packages inside a settlement problem (so counterfactuals apply to them)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StagedPlan:
    """A roadmap's stages as full packages (issue units); an issue a stage leaves out keeps
    its value from the stage before (the status quo before the first stage)."""

    id: str
    name: str
    stages: tuple[NamedPackage, ...]


def _staged_plan(rid: str, name: str, status: Mapping[str, float],
                 stages: Sequence[tuple[str, Mapping[str, float],
                                        Mapping[str, Sequence[str]]]]) -> StagedPlan:
    """A roadmap from its stages (name, the values each sets, its guarantors): each stage a
    full package, an issue it leaves out keeping the value of the stage before."""
    current = dict(status)
    packages = []
    for k, (stage_name, values, guarantors) in enumerate(stages):
        current.update(values)
        packages.append(NamedPackage(
            id=f"{STAGE_PREFIX}{rid}:{k}", name=stage_name, values=dict(current),
            specified=tuple(values),
            guarantors={iid: tuple(g) for iid, g in guarantors.items()}))
    return StagedPlan(rid, name, tuple(packages))


def plans_from_scenario(scenario: Scenario) -> list[StagedPlan]:
    status = {i.id: float(i.status_quo.value) for i in scenario.issues}
    return [_staged_plan(r.id, r.name, status, [
        (stage.name, {iid: float(v.value) if hasattr(v, "value") else float(v)
                      for iid, v in stage.values.items()}, stage.guarantors)
        for stage in r.stages]) for r in scenario.roadmaps]


def _with_plans(problem: SettlementProblem, plans: Sequence[StagedPlan]) -> SettlementProblem:
    stages = tuple(p for plan in plans for p in plan.stages)
    return problem.replace(packages=(*problem.packages, *stages))


def _plans_of(problem: SettlementProblem, plans: Sequence[StagedPlan]) -> list[StagedPlan]:
    """The plans with their stages as changed by a counterfactual (guarantors)."""
    by_id = {p.id: p for p in problem.packages}
    return [dataclasses.replace(plan, stages=tuple(by_id[s.id] for s in plan.stages))
            for plan in plans]


# ---------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------


def _evaluation(problem: SettlementProblem, roadmap_id: str, name: str,
                stage_names: Sequence[str], stages: np.ndarray, cp: Checkpoints,
                index: tuple[int, ...], weighting: str,
                min_moves: np.ndarray | None = None) -> RoadmapEvaluation:
    """Turn one roadmap's checkpoints (``cp`` at batch ``index``) into the report form."""
    arrays = problem.arrays
    actors, issues = arrays.actor_ids, arrays.issue_ids
    units = arrays.to_units(stages)
    before = np.vstack([arrays.to_units(arrays.status_quo)[None], units[:-1]])
    scales = [(float(lo), float(hi)) for lo, hi in zip(arrays.scale_low, arrays.scale_high,
                                                       strict=True)]
    decimals = [value_decimals(hi - lo) for lo, hi in scales]
    pts = UTILITY_POINTS

    def pick(x: np.ndarray) -> np.ndarray:
        return x[index] if index else x

    banked, rest, expected = pick(cp.banked), pick(cp.rest), pick(cp.expected)
    margin, stays, tempted = pick(cp.margin), pick(cp.stays), pick(cp.tempted)
    issue_rest, final = pick(cp.issue_rest), pick(cp.final)
    must = cp.parties
    checkpoints = []
    breaks, weak = [], []
    for t, stage_name in enumerate(stage_names):
        checkpoints.append(Checkpoint(
            name=stage_name,
            values={i: float(round(v, d))
                    for i, v, d in zip(issues, units[t], decimals, strict=True)},
            moved=tuple(i for i, v, w, (lo, hi) in zip(issues, units[t], before[t], scales,
                                                       strict=True)
                        if not same_value(float(v), float(w), lo, hi)),
            banked={a: float(banked[t, k] * pts) for k, a in enumerate(actors)},
            rest={a: float(rest[t, k] * pts) for k, a in enumerate(actors)},
            expected={a: float(expected[t, k] * pts) for k, a in enumerate(actors)},
            margin={a: float(margin[t, k] * pts) for k, a in enumerate(actors)},
            stays={a: bool(stays[t, k]) for k, a in enumerate(actors)},
            tempted={a: bool(tempted[t, k]) for k, a in enumerate(actors)},
            issue_rest={a: {i: float(issue_rest[t, k, j] * pts) for j, i in enumerate(issues)}
                        for k, a in enumerate(actors)},
        ))
        for k, a in enumerate(actors):
            item = Break(t + 1, stage_name, a, float(margin[t, k] * pts),
                         float(banked[t, k] * pts), float(expected[t, k] * pts))
            if not stays[t, k]:
                breaks.append(item)
            if tempted[t, k]:
                weak.append(item)
    weights = nash_weights(arrays, weighting)  # type: ignore[arg-type]
    party_margin = np.where(must[None, :], margin, np.inf)
    unit_before = np.vstack([arrays.status_quo[None], stages[:-1]])
    step = np.abs(stages - unit_before)
    floor = np.zeros(len(issues)) if min_moves is None else min_moves
    short = tuple(t + 1 for t in range(len(stage_names))
                  if not ((step[t] > 1e-12) & (step[t] >= floor - 1e-9)).any())
    mech = problem.mechanisms
    broken = tuple(f"stage {t + 1}: {rule}" for t in range(len(stage_names))
                   for rule in broken_rules(mech, arrays, stages[t]))
    walk = None if cp.walk_away is None else pick(cp.walk_away) * pts
    return RoadmapEvaluation(
        id=roadmap_id, name=name, stages=tuple(checkpoints),
        final_gains={a: float(final[k] * pts) for k, a in enumerate(actors)},
        final_nash=float(nash_product(final, weights) * pts),
        holds=not breaks and not broken, breaks=tuple(breaks), weak_points=tuple(weak),
        # evaluate_plan and search refuse a problem without parties, so this min is finite
        min_margin=float(party_margin.min() * pts),
        short_stages=short,
        parties=tuple(a for k, a in enumerate(actors) if must[k]),
        broken_rules=broken,
        walk_away={} if walk is None else {a: float(walk[k]) for k, a in enumerate(actors)},
    )


def evaluate_plan(problem: SettlementProblem, plan: StagedPlan, settings: UtilitySettings,
                  patience: float, defection: Defection, weighting: str = "capability",
                  learning: float = 0.0, min_moves: np.ndarray | None = None
                  ) -> RoadmapEvaluation:
    """A named roadmap, stage by stage (unbatched problem; one no party must agree to is
    refused: whether it holds and its smallest margin would be over nobody)."""
    require_parties(problem.arrays, f"roadmap {plan.id}")
    stages = problem.package_values(list(plan.stages))
    guarantees = problem.package_guarantees(list(plan.stages))
    cp = evaluate_stages(problem.arrays, stages, guarantees, settings, patience, defection,
                         learning, problem.mechanisms)
    return _evaluation(problem, plan.id, plan.name, [s.name for s in plan.stages], stages, cp,
                       (), weighting, min_moves)


def anchor_steps(scenario: Scenario) -> dict[str, float | None]:
    """One labelled anchor step per issue: the smallest gap between two neighbouring
    labelled anchors (issue units); None for an issue with fewer than two anchors."""
    out: dict[str, float | None] = {}
    for issue in scenario.issues:
        marks = sorted({float(a.value) for a in issue.anchors})
        out[issue.id] = min(b - a for a, b in itertools.pairwise(marks)) \
            if len(marks) > 1 else None
    return out


def minimum_moves(scenario: Scenario, problem: SettlementProblem, min_move: float
                  ) -> np.ndarray:
    """The least move (unit scale) by which a stage counts as moving each issue:
    ``min_move`` anchor steps; an issue without two labelled anchors needs any move."""
    steps = anchor_steps(scenario)
    arrays = problem.arrays
    span = np.asarray(arrays.scale_high - arrays.scale_low, dtype=float)
    return np.array([0.0 if steps.get(i) is None else min_move * float(steps[i]) / span[k]
                     for k, i in enumerate(problem.issue_ids)])


# ---------------------------------------------------------------------------------------
# Search
# ---------------------------------------------------------------------------------------


def _final_values(problem: SettlementProblem, plans: Sequence[StagedPlan], final: str
                  ) -> np.ndarray:
    for plan in plans:
        if plan.id == final:
            return problem.package_values([plan.stages[-1]])[0]
    ids = [p.id for p in problem.packages if not p.id.startswith(STAGE_PREFIX)]
    if final in ids:
        return problem.package_values([problem.package(final)])[0]
    raise option_error("--final", f"unknown package or roadmap '{final}'",
                       did_you_mean(final, [*ids, *(p.id for p in plans)]) or
                       "name one of the scenario's packages or roadmaps")


def _read_values(problem: SettlementProblem, option: str, items: Sequence[str],
                 where: str = "") -> tuple[dict[str, float], list[ErrorItem]]:
    """``ISSUE=VALUE`` items (issue units) read against ``problem``: a known issue, given
    once, a finite value on its scale; the values read and every problem (at ``option``,
    the declared name: ``first``, ``stage``; ``where``: what the messages say first, e.g.
    "stage 2: ")."""
    flag = option_place(option)
    arrays = problem.arrays
    issues = list(problem.issue_ids)
    problems: list[ErrorItem] = []
    out: dict[str, float] = {}
    for text in items:
        key, sep, raw = str(text).partition("=")
        key, raw = key.strip(), raw.strip()
        if not sep or not key or not raw:
            hint = f"; for a search of {text} stages write {option_text('stages', text)}" \
                if option == "stage" and str(text).strip().isdigit() else ""
            problems.append(ErrorItem(flag, f"{where}'{text}' is not of the form ISSUE=VALUE",
                                      f"write e.g. {option_text(option, _example(problem))}"
                                      f"{hint}"))
            continue
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            problems.append(ErrorItem(flag, f"{where}'{raw}' in '{text}' is not a finite "
                                      "number", f"write e.g. {option_text(option, key + '=50')}"))
            continue
        if key not in issues:
            problems.append(ErrorItem(flag, f"{where}unknown issue '{key}' in '{text}'",
                                      did_you_mean(key, issues)
                                      or f"name one of {', '.join(issues)}"))
            continue
        if key in out:
            problems.append(ErrorItem(flag, f"{where}{key} is given twice",
                                      f"give each issue once (a stage sets {key} to one "
                                      "value)"))
            continue
        k = issues.index(key)
        lo, hi = float(arrays.scale_low[k]), float(arrays.scale_high[k])
        tolerance = value_tolerance(lo, hi)
        if not lo - tolerance <= value <= hi + tolerance:
            problems.append(ErrorItem(flag, f"{where}{key}={as_written(value)} is outside "
                                      f"{key}'s scale ({as_written(lo)} to {as_written(hi)})",
                                      f"give a value from {as_written(lo)} to "
                                      f"{as_written(hi)}"))
            continue
        out[key] = value
    return out, problems


def _undeliverable(problem: SettlementProblem, stage: Mapping[str, float],
                   settings: UtilitySettings) -> list[ErrorItem]:
    """The moves of the held first stage ``stage`` (issue units) nobody can deliver, of an
    issue whose status quo is allowed: the search keeps it there, as settle does."""
    arrays = problem.arrays
    status = arrays.to_units(arrays.status_quo)
    deliverable = deliverable_issues(problem, settings)
    problems = []
    for key, value in stage.items():
        k = problem.issue_ids.index(key)
        # The status quo back from the unit scale carries float noise: 67000000 on 0 to 10⁹
        # comes back 7e-9 off, so a fixed tolerance read holding it as moving it.
        lo, hi = float(arrays.scale_low[k]), float(arrays.scale_high[k])
        if not same_value(value, float(status[k]), lo, hi) and problem.keep_status_quo[k] \
                and not deliverable[k]:
            names = ", ".join(problem.issue_guarantors[k] or ()) or "none named"
            # The status quo back from the unit scale: written as a grid value, not its noise.
            held = grid_value_text(float(status[k]), hi - lo)
            problems.append(ErrorItem(option_place("first"), f"{key}={as_written(value)} "
                                      f"moves {key}, and nobody can deliver a move of {key} "
                                      f"(no actor trusts its guarantors: {names}), so every "
                                      f"final keeps it at its status quo {held}",
                                      f"leave {key} out of {option_text('first')} (it stays at "
                                      f"{held})"))
    return problems


def _stage_refusals(problem: SettlementProblem, stage: Mapping[str, float],
                    min_moves: np.ndarray | None) -> list[ErrorItem]:
    """Why the held first stage ``stage`` (issue units, values on the grid) is no stage:
    it moves no issue by its minimum move (``min_moves [I]``, unit scale), or it breaks a
    package rule, which would leave the search empty with no word of why."""
    arrays = problem.arrays
    first = option_place("first")
    unit = roadmap_values(problem, [stage])[0]
    step = np.abs(unit - arrays.status_quo)
    floor = np.zeros(len(problem.issue_ids)) if min_moves is None else min_moves
    shown = ", ".join(f"{i}={as_written(v)}" for i, v in stage.items())
    problems = []
    if not ((step > 1e-12) & (step >= floor - 1e-9)).any():
        problems.append(ErrorItem(first, f"the first stage ({shown}) moves no issue by "
                                  f"its minimum move ({option_text('min_move')} anchor "
                                  "steps from the status quo), so it is no stage",
                                  "move an issue further from its status quo, or lower "
                                  f"{option_text('min_move')} (0 = any move)"))
    for rule in broken_rules(problem.mechanisms, arrays, unit):
        problems.append(ErrorItem(first, f"the first stage ({shown}) breaks the "
                                  f"scenario's rule {rule}", "hold the issue the rule ties "
                                  f"as well (another {option_text('first')}), or leave the "
                                  f"rules out with {option_text('ignore', 'rules')}"))
    return problems


def first_stage(problem: SettlementProblem, items: Sequence[str] | Mapping[str, float],
                min_moves: np.ndarray | None = None,
                settings: UtilitySettings = DEFAULT_SETTINGS) -> dict[str, float]:
    """The first stage a search is held to (``--first NUC=50 --first SANC=20``: issue
    units), checked against ``problem``: a known issue, given once, a finite value on its
    scale and on the search grid (the step's values, the issue's listed options, or its
    status quo), no move of an issue nobody can deliver whose status quo is allowed (the
    search keeps it there, as settle does), and a stage that moves some issue by its minimum
    move (``min_moves [I]``, unit scale). Every problem is reported at once, each naming
    ``--first`` and the fix."""
    arrays = problem.arrays
    texts = [f"{k}={v}" for k, v in items.items()] if isinstance(items, Mapping) \
        else list(items)
    out, problems = _read_values(problem, "first", texts)
    first = option_place("first")
    status = arrays.to_units(arrays.status_quo)
    grids = {}
    for key, value in out.items():
        k = problem.issue_ids.index(key)
        grid = np.unique(np.array([*problem.candidates[k], float(status[k])]))
        lo, hi = float(arrays.scale_low[k]), float(arrays.scale_high[k])
        if not (np.abs(grid - value) <= value_tolerance(lo, hi)).any():
            grids[key] = grid
    on_grid = {key: value for key, value in out.items() if key not in grids}
    # The values suggested for one off the grid are ones the checks below take, with the
    # stage's other values (those on the grid someone can deliver): FLOW=6 (no move) or
    # FLOW=8 (short of the minimum move) would only be refused in turn.
    undeliverable = {key: _undeliverable(problem, {key: value}, settings)
                     for key, value in on_grid.items()}
    others = {key: value for key, value in on_grid.items() if not undeliverable[key]}

    def taken(key: str, value: float) -> bool:
        return not (_undeliverable(problem, {key: value}, settings)
                    or _stage_refusals(problem, {**others, key: value}, min_moves))

    for key, grid in grids.items():
        k = problem.issue_ids.index(key)
        value, span = out[key], float(arrays.scale_high[k] - arrays.scale_low[k])
        below = next((x for x in grid[grid < value][::-1] if taken(key, float(x))), None)
        above = next((x for x in grid[grid > value] if taken(key, float(x))), None)
        near = " or ".join(f"{key}={grid_value_text(float(x), span)}"
                           for x in (below, above) if x is not None)
        kind = f"grid step {grid_value_text(problem.steps[k], span)}" \
            if problem.steps[k] is not None \
            else "its listed options"
        # A finer step is a fix only where the value itself makes a stage the search takes.
        step = f"a {option_text('step')} that has it" \
            if problem.steps[k] is not None and taken(key, value) else ""
        fix = f"use {near}" + (f", or {step}" if step else "") if near else (
            f"use {step}" if step else f"no value of {key} the search takes moves an issue "
            f"by its minimum move: hold another issue as well (another "
            f"{option_text('first')}), or lower {option_text('min_move')} (0 = any move)")
        problems.append(ErrorItem(first, f"{key}={as_written(value)} is not a value "
                                  f"the search takes ({kind}, and the status quo "
                                  f"{grid_value_text(float(status[k]), span)})", fix))
    problems += [item for items in undeliverable.values() for item in items]
    out = others
    if not problems and out:
        problems += _stage_refusals(problem, out, min_moves)
    if problems:
        raise OptionError(problems)
    return out


def _example(problem: SettlementProblem, count: int = 1, min_moves: np.ndarray | None = None,
             settings: UtilitySettings | None = None) -> str:
    """``ISSUE=VALUE`` for the first ``count`` issues of ``problem`` that have one, each at
    its candidate nearest the middle of its scale that moves it: a stage in the scenario's
    own ids on the search's grid (korea-2017's NUC=50 is an unknown issue on any other
    scenario). Given ``settings``, only a first stage :func:`first_stage` takes: a move
    someone delivers, by its minimum move (``min_moves``)."""
    arrays = problem.arrays
    status = arrays.to_units(arrays.status_quo)
    parts: list[str] = []
    for k, issue in enumerate(problem.issue_ids):
        low, high = float(arrays.scale_low[k]), float(arrays.scale_high[k])
        moves = sorted((v for v in problem.candidates[k]
                        if not same_value(v, float(status[k]), low, high)),
                       key=lambda v: abs(v - (low + high) / 2))
        value = next((v for v in moves if settings is None or not (
            _undeliverable(problem, {issue: v}, settings)
            or _stage_refusals(problem, {issue: v}, min_moves))), None)
        if value is not None:
            parts.append(f"{issue}={grid_value_text(value, high - low)}")
        if len(parts) == count:
            break
    return ",".join(parts) or "ISSUE=VALUE"


#: The id of the roadmap stated with --stage (another when the scenario names one so).
STATED_ID = "STATED"


def stated_roadmap(problem: SettlementProblem, stages: Sequence[str],
                   taken: Sequence[str] = ()) -> StagedPlan:
    """The roadmap stated on the command line: one ``--stage`` per stage, in order, each
    ``ISSUE=VALUE[,ISSUE=VALUE...]`` (issue units; an issue a stage leaves out keeps the
    value of the stage before, the status quo before the first), checked as
    :func:`_read_values` does, every problem at once. Its id is :data:`STATED_ID` (with a
    number where ``taken``, the scenario's roadmap ids, has it)."""
    problems: list[ErrorItem] = []
    read: list[dict[str, float]] = []
    for t, text in enumerate(stages, start=1):
        items = [x for x in str(text).split(",") if x.strip()]
        where = f"stage {t}: " if len(stages) > 1 else ""
        if not items:
            problems.append(ErrorItem(option_place("stage"), f"{where}'{text}' names no issue",
                                      f"write e.g. {option_text('stage', _example(problem))} "
                                      f"{option_text('stage', _example(problem, 2))}"))
            continue
        values, found = _read_values(problem, "stage", items, where)
        problems += found
        read.append(values)
    if problems:
        raise OptionError(problems)
    ids = itertools.chain([STATED_ID], (f"{STATED_ID}{n}" for n in itertools.count(2)))
    rid = next(x for x in ids if x not in taken)
    status = dict(zip(problem.issue_ids,
                      (float(v) for v in problem.arrays.to_units(problem.arrays.status_quo)),
                      strict=True))
    # The name is data, the same on every interface: it names no flag (the workbench has
    # none) and no option spelling.
    return _staged_plan(rid, "stated stage by stage", status,
                        [(f"stage {t + 1}", values, {}) for t, values in enumerate(read)])


def _past_first(problem: SettlementProblem, first: np.ndarray, settings: UtilitySettings
                ) -> SettlementProblem | None:
    """The problem whose packages are the finals a monotone roadmap can reach from the first
    stage ``first [I]`` (unit scale): an issue the first stage moves ends at or past that
    value, never back. None when an issue has no such value on the grid, or when the first
    stage moves an issue nobody can deliver whose status quo is allowed: settle keeps that
    issue at its status quo in every final (``build_table``), so no final lies past it."""
    arrays = problem.arrays
    q = np.asarray(arrays.status_quo, dtype=float)
    lo, hi = arrays.scale_low, arrays.scale_high
    candidates = list(problem.candidates)
    keep = list(problem.keep_status_quo)
    deliverable = deliverable_issues(problem, settings)
    for k in range(len(candidates)):
        moved = float(first[k] - q[k])
        if abs(moved) <= 1e-12:
            continue
        if keep[k] and not deliverable[k]:
            # Dropping the status quo below would put this issue's undeliverable moves on
            # the table, and the search would return a roadmap to a final settle rules out.
            return None
        past = [v for v in candidates[k]
                if ((v - lo[k]) / (hi[k] - lo[k]) - first[k]) * moved >= -1e-12]
        if not past:
            return None
        candidates[k], keep[k] = tuple(past), False
    return problem.replace(candidates=tuple(candidates), keep_status_quo=tuple(keep))


def search(problem: SettlementProblem, plans: Sequence[StagedPlan], n_stages: int,
           settings: UtilitySettings, patience: float, defection: Defection,
           final: str | None = None, finals: int = 100, near: int = 3,
           monotone: bool = True, weighting: str = "capability", method: Method = "auto",
           chunk: int = 8, max_packages: int = MAX_PACKAGES,
           min_moves: np.ndarray | None = None,
           first: Mapping[str, float] | None = None) -> SearchResult:
    """Roadmaps of ``n_stages`` stages that hold throughout, best final Nash product first.

    ``first``: the first stage, fixed (issue units; every issue it does not name stays at
    its status quo in stage 1): only roadmaps that begin with it, to the best final they
    reach (:func:`first_stage` checks it)."""
    start = time.perf_counter()
    # With no party every roadmap "holds" with a Nash product over nobody: nothing to search
    # (search_paths refuses it too; here also when no final is left to search).
    require_parties(problem.arrays, "the roadmap search")
    fixed = None if first is None else roadmap_values(problem, [first])[0]
    if final is not None:
        candidates = _final_values(problem, plans, final)[None]
        available, exhaustive_finals = 1, True
        label = final
    else:
        # Held to a first stage, the finals are those past it (monotone paths): the best of
        # those, not the best overall, which that first stage may not lead to.
        source = problem if fixed is None or not monotone \
            else _past_first(problem, fixed, settings)
        if source is None:
            candidates = np.zeros((0, problem.arrays.n_issues))
        else:
            table = build_table(source, settings, weighting)  # type: ignore[arg-type]
            candidates = best_packages(table, "nash", finals, method=method,
                                       max_packages=max_packages)[0].values
        available = int(candidates.shape[0])
        exhaustive_finals = available < finals
        label = "best"
    paths = None  # the finals' paths, once reachable() has enumerated them
    if fixed is not None and candidates.shape[0]:
        reached, paths = reachable(problem, candidates, n_stages, settings, monotone, fixed)
        candidates = candidates[reached]
    names = [f"stage {t + 1}" for t in range(n_stages)]
    found = None
    tried = searched = 0
    space = space_tried = 0
    scored: list[tuple[float, np.ndarray]] = []
    for lo in range(0, candidates.shape[0], chunk):
        block = candidates[lo:lo + chunk]
        result = search_paths(problem, block, n_stages, settings, patience, defection,
                              monotone, top=max(1, near), method=method,
                              max_packages=max_packages, min_moves=min_moves, first=fixed,
                              paths=None if paths is None else paths[lo:lo + chunk])
        space += int(result.space.sum())
        searched += block.shape[0]
        for b in range(block.shape[0]):
            tried += 1
            space_tried += int(result.space[b])
            for r in range(result.margin[b].size):
                scored.append((float(result.margin[b][r]), result.stages[b][r]))
            if found is None and result.acceptable(b):
                found = result.stages[b][0]
                break
        if found is not None:
            break
    guarantees = Guarantees.stack([problem.guarantees()] * n_stages)

    def evaluate(stages: np.ndarray, rid: str, name: str) -> RoadmapEvaluation:
        cp = evaluate_stages(problem.arrays, stages, guarantees, settings, patience, defection,
                             mechanisms=problem.mechanisms)
        return _evaluation(problem, rid, name, names, stages, cp, (), weighting, min_moves)

    target = f"package {final}" if final is not None else "the best reachable package"
    if first is not None:
        target += ", first " + ", ".join(f"{i} {as_written(v)}" for i, v in first.items())
    found_eval = evaluate(found, "found", f"{n_stages} stages to {target}") \
        if found is not None else None
    misses: tuple[RoadmapEvaluation, ...] = ()
    note = None
    if found is None:
        scored.sort(key=lambda s: -s[0])
        misses = tuple(evaluate(s, f"near miss {k + 1}", f"{n_stages} stages to {target}")
                       for k, (_, s) in enumerate(scored[:near]))
        if not scored and tried:
            note = _no_stage_note(problem, candidates[:tried], n_stages, settings, space_tried,
                                  monotone, min_moves, fixed)
    return SearchResult(
        n_stages=n_stages, final=label, found=found_eval, near_misses=misses,
        finals_tried=tried, finals_available=available,
        exhaustive=found is not None or exhaustive_finals, space=space, monotone=monotone,
        seconds=time.perf_counter() - start,
        first=None if first is None else {i: float(v) for i, v in first.items()},
        finals_searched=searched, space_tried=space_tried, note=note)


def most_stages(problem: SettlementProblem, finals: np.ndarray, settings: UtilitySettings,
                min_moves: np.ndarray | None = None, first: np.ndarray | None = None) -> int:
    """The most stages of a monotone roadmap to some final of ``finals [B, I]`` (unit
    scale) each of which moves an issue by its minimum move (``min_moves [I]``, unit scale).

    Per issue, the most such moves on its way to the final: from its start (the status
    quo, or the held first stage ``first [I]``, one stage more), over the values its paths
    take (:func:`~detente.roadmaps.search.final_paths`), each to the nearest value at least
    the minimum on. Summed over the issues: a stage may move one issue alone, and two moves
    of an issue merged are one such move, so every count up to the sum has a roadmap."""
    arrays = problem.arrays
    # As the search's paths: an issue nobody can deliver jumps straight to the final.
    options = path_options(problem, deliverable_issues(problem, settings))
    floor = np.zeros(arrays.n_issues) if min_moves is None else np.asarray(min_moves)
    start = np.asarray(arrays.status_quo if first is None else first, dtype=float)
    most = 0
    for final in finals:
        total = 0 if first is None else 1
        for k in range(arrays.n_issues):
            values = np.unique(np.append(options[k], final[k]))
            toward = np.sign(final[k] - start[k])
            ahead = values[(values - start[k]) * toward > 1e-12]
            ahead = ahead[(final[k] - ahead) * toward >= -1e-12]
            at = start[k]
            for value in ahead if toward > 0 else ahead[::-1]:
                if abs(value - at) >= max(floor[k] - 1e-9, 1e-12):
                    total, at = total + 1, value
        most = max(most, total)
    return most


def _no_stage_note(problem: SettlementProblem, finals: np.ndarray, n_stages: int,
                   settings: UtilitySettings, space: int, monotone: bool,
                   min_moves: np.ndarray | None, first: np.ndarray | None) -> str:
    """Why no roadmap to the ``finals`` tried (``space`` roadmaps) is even a near miss: none
    has every one of its ``n_stages`` stages move an issue by its minimum move (or keep the
    package rules), so there is no margin to rank. With the fix that works: the most
    stages :func:`most_stages` finds, else a lower ``min_move``."""
    searched = f"none of the {space:,} roadmaps to the {len(finals)} final" + \
        ("s" if len(finals) > 1 else "") + " tried"
    any_move = min_moves is None or not np.any(min_moves > 0)
    move = "move an issue" + ("" if any_move else f" by its minimum move "
                              f"({option_text('min_move')} anchor steps)")
    # Lowering the minimum is a fix only where there is one.
    lower = "" if any_move else f"a lower {option_text('min_move')} (0 = any move)"
    if not monotone:
        return (f"{searched} has each of its {n_stages} stages {move}, so there is no near "
                f"miss to show: try fewer stages" + (f" or {lower}" if lower else ""))
    most = most_stages(problem, finals, settings, min_moves, first)
    if most >= n_stages:  # every stage could move an issue: a package rule is broken
        return (f"{searched} both keeps the scenario's package rules and has each of its "
                f"{n_stages} stages {move}, so there is no near miss to show: leave the "
                f"rules out with {option_text('ignore', 'rules')}"
                + (f", or try {lower}" if lower else ""))
    fewer = (f"these finals allow at most {most} such stage{'s' if most > 1 else ''}: use "
             f"{option_text('stages', most)}" + (f", or {lower}" if lower else "")) if most \
        else f"no final tried lies far enough from the start to {move} at all" + (
            f": use {lower}" if lower else "")
    return (f"{searched} has each of its {n_stages} stages {move}, so none holds and there "
            f"is no near miss to show; {fewer}")


# ---------------------------------------------------------------------------------------
# Trust scan
# ---------------------------------------------------------------------------------------


def trust_scan(problem: SettlementProblem, plans: Sequence[StagedPlan],
               pairs: Sequence[tuple[str, str]], values: Sequence[float],
               settings: UtilitySettings, patience: float, defection: Defection
               ) -> TrustScan:
    """Every named roadmap evaluated with the trust of each pair set to each value (one
    batched evaluation: the scanned values are the batch axis)."""
    arrays = problem.arrays
    actors, guarantors = list(arrays.actor_ids), list(arrays.guarantor_ids)
    problems = []
    for truster, trusted in pairs:
        if truster not in actors:
            problems.append(ErrorItem(option_place("scan"), f"unknown actor '{truster}'",
                                      did_you_mean(truster, actors)))
        if trusted not in guarantors:
            problems.append(ErrorItem(option_place("scan"), f"unknown guarantor '{trusted}'",
                                      did_you_mean(trusted, guarantors)))
        if refusal := self_trust(option_place("scan"), truster, trusted):
            problems.append(refusal)
    if problems:
        raise OptionError(problems)
    grid = np.asarray(values, dtype=float)
    trust = np.repeat(arrays.trust[None], grid.size, axis=0)
    for truster, trusted in pairs:
        trust[:, actors.index(truster), guarantors.index(trusted)] = grid
    batched = arrays.broadcast_batch(grid.size).replace(trust=trust)
    holds: dict[str, tuple[bool, ...]] = {}
    margin: dict[str, tuple[float, ...]] = {}
    first: dict[str, tuple[str | None, ...]] = {}
    own: dict[str, dict[str, tuple[float, ...]]] = {}
    trusters = list(dict.fromkeys(a for a, _ in pairs))
    for plan in plans:
        stages = problem.package_values(list(plan.stages))
        guarantees = problem.package_guarantees(list(plan.stages))
        cp = evaluate_stages(batched, stages, guarantees, settings, patience, defection,
                             mechanisms=problem.mechanisms)
        must = cp.parties
        holds[plan.id] = tuple(bool(h) for h in cp.holds)
        m = np.where(must[..., None, :], cp.margin, np.inf).min(axis=(-2, -1))
        margin[plan.id] = tuple(float(x * UTILITY_POINTS) for x in m)
        own[plan.id] = {a: tuple(float(x * UTILITY_POINTS) for x in
                                 cp.margin[:, :, actors.index(a)].min(axis=-1))
                        for a in trusters}
        first[plan.id] = tuple(_first_break(cp, b, actors) for b in range(grid.size))
    return TrustScan(tuple(pairs), tuple(float(v) for v in grid), holds, margin, first, own)


def _first_break(cp: Checkpoints, b: int, actors: Sequence[str]) -> str | None:
    """Where batch row b of a scan first breaks: "stage t: A, B" (who would defect), or
    "stage t: a package rule" where a stage breaks a rule first; None when it holds."""
    bad = np.argwhere(~cp.stays[b])
    rules = [] if cp.allowed is None else np.nonzero(~np.broadcast_to(
        cp.allowed, cp.stays.shape[:-1])[b])[0].tolist()
    if bad.size and (not rules or bad[0][0] <= rules[0]):
        return f"stage {bad[0][0] + 1}: " + ", ".join(actors[a] for t, a in bad
                                                       if t == bad[0][0])
    return f"stage {rules[0] + 1}: a package rule" if rules else None


#: The learning rates of a trust × learning scan (0 = no learning).
LEARNING_VALUES = tuple(float(x) for x in np.round(np.linspace(0.0, 1.0, 11), 2))


def learning_scan(problem: SettlementProblem, plans: Sequence[StagedPlan],
                  pairs: Sequence[tuple[str, str]], trust_values: Sequence[float],
                  learning_values: Sequence[float], settings: UtilitySettings,
                  patience: float, defection: Defection, label: str = BASELINE
                  ) -> LearningScan:
    """Every named roadmap evaluated on the grid learning × trust (one batched evaluation,
    row b = i·V + j for learning i and trust j). Pairs whose truster or trusted party this
    problem lacks (``--without``) are skipped and listed."""
    arrays = problem.arrays
    actors, guarantors = list(arrays.actor_ids), list(arrays.guarantor_ids)
    kept = tuple((a, g) for a, g in pairs if a in actors and g in guarantors)
    skipped = tuple(f"{a}.{g}" for a, g in pairs if (a, g) not in kept)
    tv = np.asarray(trust_values, dtype=float)
    lv = np.asarray(learning_values, dtype=float)
    n_l, n_v = lv.size, tv.size
    trust = np.repeat(arrays.trust[None], n_l * n_v, axis=0)
    for truster, trusted in kept:
        trust[:, actors.index(truster), guarantors.index(trusted)] = np.tile(tv, n_l)
    batched = arrays.broadcast_batch(n_l * n_v).replace(trust=trust)
    rates = np.repeat(lv, n_v)
    must = np.asarray(arrays.veto & (arrays.salience.sum(axis=-1) > 0))
    party_ids = [a for k, a in enumerate(actors) if must[k]]

    def grid(x: np.ndarray) -> tuple[tuple[Any, ...], ...]:
        return tuple(tuple(x[i * n_v:(i + 1) * n_v].tolist()) for i in range(n_l))

    holds, low, later, first, stays, one_shot = {}, {}, {}, {}, {}, {}
    for plan in plans:
        stages = problem.package_values(list(plan.stages))
        guarantees = problem.package_guarantees(list(plan.stages))
        cp = evaluate_stages(batched, stages, guarantees, settings, patience, defection, rates,
                             problem.mechanisms)
        margin = np.where(must[None, None, :], cp.margin, np.inf) * UTILITY_POINTS
        holds[plan.id] = grid(np.asarray(cp.holds, dtype=bool))
        low[plan.id] = grid(margin.min(axis=(-2, -1)))
        # One stage has no later checkpoint: None, never an infinite margin.
        later[plan.id] = grid(margin[:, 1:].min(axis=(-2, -1)) if margin.shape[1] > 1
                              else np.full(margin.shape[0], None, dtype=object))
        breaks = [_first_break(cp, b, actors) for b in range(n_l * n_v)]
        first[plan.id] = grid(np.array(breaks, dtype=object))
        stays[plan.id] = {a: grid(cp.stays[:, :, actors.index(a)].all(axis=-1))
                          for a in party_ids}
        one_shot[plan.id] = {a: tuple(bool(x) for x in
                                      cp.final[:n_v, actors.index(a)] > GAIN_TOLERANCE)
                             for a in party_ids}
    return LearningScan(label, kept, skipped, tuple(float(x) for x in tv),
                        tuple(float(x) for x in lv), holds, low, later, first, stays, one_shot)


def _scan_example(s: Scenario) -> str:
    """A ``--scan`` the fixes offer, in ``s``'s own ids: its first actor's trust in the
    first two others (korea-2017's ``KP.RU,KP.CN`` is unknown on any other scenario), with
    the words saying what it sweeps."""
    truster = s.actors[0].id
    trusted = [x.id for x in (*s.actors, *s.institutions) if x.id != truster][:2]
    if not trusted:
        return f"{option_text('scan', 'TRUSTER.TRUSTED')}"
    return (f"{option_text('scan', ','.join(f'{truster}.{t}' for t in trusted))} "
            f"({truster}'s trust in {and_list(trusted)})")


def parse_scan(text: str, s: Scenario) -> tuple[tuple[str, str], ...]:
    """``KP.RU,KP.CN`` → (("KP", "RU"), ("KP", "CN")): trust values scanned together; a
    refusal's example in ``s``'s ids."""
    pairs = []
    for part in text.split(","):
        if not part.strip():
            continue
        truster, dot, trusted = part.strip().partition(".")
        if not dot or not truster or not trusted:
            raise option_error("--scan", f"'{part.strip()}' does not name truster.trusted",
                               f"write e.g. {_scan_example(s)}")
        if refusal := self_trust(option_place("scan"), truster, trusted):
            raise OptionError([refusal])
        pairs.append((truster, trusted))
    if not pairs:
        raise option_error("--scan", f"'{text}' names no trust pair",
                           f"write e.g. {_scan_example(s)}")
    return tuple(pairs)


# ---------------------------------------------------------------------------------------
# The API
# ---------------------------------------------------------------------------------------


def roadmap(
    scenario: Scenario | str | Path | None = None,
    *,
    stages: int | None = None,
    roadmaps: Sequence[str] | None = None,
    final: str | None = None,
    variations: Sequence[Variation] | Variation | None = None,
    patience: float = 1.0,
    defection: Literal["reverse", "stop"] = "reverse",
    step: GridStep | float | str | None = None,
    utility: UtilityShape = "quadratic",
    correlation: float = 0.0,
    losses: Literal["discounted", "certain"] = "discounted",
    weighting: Literal["capability", "equal"] = "capability",
    monotone: bool = True,
    finals: int = 100,
    near: int = 3,
    scan: str | Sequence[tuple[str, str]] | None = None,
    scan_values: Sequence[float] | None = None,
    method: Method = "auto",
    max_packages: int = MAX_PACKAGES,
    learning: float = 0.0,
    min_move: float = 1.0,
    scan_learning: bool = False,
    ignore: Sequence[str] = (),
    first: Sequence[str] | Mapping[str, float] | None = None,
    stage: Sequence[str] = (),
) -> RoadmapAnalysis:
    """Staged settlements: evaluate the scenario's roadmaps and search for ones that hold.

    ``stages``: search for roadmaps of this many stages (2–5; 1 gives the settlement's
    best package); None: no search. ``roadmaps``: named roadmaps to evaluate (default all).
    ``final``: the package the searched roadmaps must end in (a package or roadmap id;
    default: the best final package by Nash product that some roadmap reaches).
    ``variations``: counterfactuals side by side (:class:`detente.variation.Variation`).
    ``patience``: δ in (0, 1], the weight of a promise one stage later. ``defection``:
    ``reverse`` (a defector's alternative is the status quo) or ``stop`` (it may also keep
    the banked stages). ``step``: grid step of the search, as in :func:`detente.settle`
    (``"5%"`` of each issue's scale or a number of issue units; default a tenth of each
    scale). ``losses``: as in :func:`detente.settle` (discounted or certain).
    ``finals``: how many final packages (best Nash first) the search tries. ``near``: near
    misses to report when none holds. ``scan``: trust pairs swept together (``"KP.RU,KP.CN"``)
    over ``scan_values`` (default 0, 0.05, …, 1) for the named roadmaps.
    ``learning``: λ in [0, 1], how far a delivered stage raises each receiver's trust in its
    deliverers (T ← T + λ(1 − T); 0, the default, leaves trust fixed; named roadmaps and
    scans only: the search assumes fixed trust). ``min_move``: how many labelled anchor steps
    a stage must move at least one issue for the search to count it as a stage (default 1;
    0 = any move). ``scan_learning``: with ``scan``, also sweep λ over 0, 0.1, …, 1 for the
    baseline and every counterfactual (a trust × learning grid). ``ignore``: mechanisms the
    scenario declares to leave out (``verification``, ``links``, ``rules``, ``walk-away``,
    ``stakes``), to compare; by default every one applies, as in :func:`detente.settle`.
    ``first``: hold the search's first stage to these values (``["NUC=50"]`` or
    ``{"NUC": 50}``, issue units; every issue not named stays at its status quo in stage 1):
    the best roadmap that begins so (:func:`first_stage` checks the values; needs
    ``stages``). ``stage``: a roadmap to evaluate as a named one, one item per stage
    (``["NUC=50", "MSL=100,SANC=20"]``; :func:`stated_roadmap`); then only it is
    evaluated, with those of ``roadmaps`` beside it.
    """
    s = load(scenario)
    try:
        settings = UtilitySettings(utility=utility, correlation=correlation, losses=losses)
        check_defection(defection)
    except ValueError as err:
        raise option_error("roadmap", str(err), "utility: linear or quadratic; correlation: "
                           "0 to 1; losses: discounted or certain; defection: reverse or "
                           "stop") from None
    if not 0.0 < patience <= 1.0:
        raise option_error("--patience", f"patience must be above 0 and at most 1, got "
                           f"{as_written(patience)}",
                           f"give e.g. {option_text('patience', 0.9)} (1 = no discount)")
    if stages is not None and not 1 <= stages <= 5:
        raise option_error("--stages", f"{stages} stages: the search handles 1 to 5",
                           f"give {option_text('stages', '2, 3, 4 or 5')}")
    if weighting not in ("capability", "equal"):
        raise option_error("--weighting", f"unknown weighting '{weighting}'",
                           "use capability or equal")
    if not (isinstance(learning, int | float) and 0.0 <= learning <= 1.0):
        raise option_error("--learning", f"learning must be a number from 0 to 1, got "
                           f"{learning!r}",
                           f"give e.g. {option_text('learning', 0.3)} (0 = trust stays fixed)")
    if not (isinstance(min_move, int | float) and 0.0 <= min_move <= 10.0):
        raise option_error("--min-move", f"min-move must be a number from 0 to 10 anchor "
                           f"steps, got {min_move!r}",
                           f"give e.g. {option_text('min_move', 1)} (0 = any move)")
    if learning > 0 and stages is not None:
        raise option_error("--learning", "the roadmap search assumes trust fixed (with "
                           "learning a stage's worth depends on every issue's path, which "
                           "the exact search cannot split by issue)",
                           f"evaluate named roadmaps with {option_text('learning')} (and "
                           f"{option_text('scan')} {option_text('scan_learning')}), or search "
                           f"with {option_text('learning', 0)}")
    if scan_learning and not scan:
        raise option_error("--scan-learning", "a learning scan sweeps learning against the "
                           f"trust pairs of {option_text('scan')}, and none were given",
                           f"add e.g. {_scan_example(s)}")
    if finals < 1 or near < 0:
        raise option_error("--finals", "finals must be at least 1 and near at least 0",
                           f"give e.g. {option_text('finals', 100)} {option_text('near', 3)}")
    grid_step = check_step(step)
    problem = SettlementProblem.from_scenario(s, grid_step)
    problem = problem.replace(mechanisms=ignoring(problem.mechanisms, list(ignore)))
    named = plans_from_scenario(s)
    known = [p.id for p in named]
    # A roadmap stated with --stage is evaluated like a named one (counterfactuals, scans,
    # learning, --final ID); stated, it is the one shown unless --roadmap asks for others.
    stated = [stated_roadmap(problem, stage, known)] if stage else []
    every = [*named, *stated]
    plans = [] if stated and roadmaps is None else named
    if roadmaps is not None:
        for r in roadmaps:
            if r not in known:
                raise option_error("--roadmap", f"unknown roadmap '{r}'",
                                   did_you_mean(r, known) if known
                                   else "the scenario names no roadmaps")
        plans = [p for p in plans if p.id in roadmaps]
    plans = [*plans, *stated]
    if final is not None:
        _final_values(problem, every, final)
    problem = _with_plans(problem, every)
    if isinstance(variations, Variation):
        variations = [variations]
    changed = [(v.describe(legacy=True), v.apply_problem(problem))
               for v in variations or () if not v.is_empty]

    floors = minimum_moves(s, problem, float(min_move))
    held = None
    if first:
        if stages is None:
            raise option_error("--first", f"{option_text('first')} holds the first stage of a "
                               "roadmap search, and no search was asked for",
                               f"add {option_text('stages', 'N')} (2 to 5), e.g. "
                               f"{option_text('stages', 2)} "
                               f"{option_text('first', _example(problem, 1, floors, settings))}")
        held = first_stage(problem, first, floors, settings)

    def outcome(label: str, p: SettlementProblem) -> RoadmapOutcome:
        # As settle: a baseline or counterfactual nobody must agree to is refused by its
        # label (every roadmap would "hold" with a smallest margin over nobody, +inf).
        require_parties(p.arrays, label)
        mine = _plans_of(p, plans)
        evaluations = tuple(evaluate_plan(p, plan, settings, patience, defection, weighting,
                                          float(learning), floors) for plan in mine)
        found = None
        if stages is not None:
            found = search(p, _plans_of(p, every), stages, settings,
                           patience, defection, final, finals, near, monotone, weighting,
                           method, max_packages=max_packages, min_moves=floors,
                           first=held)
        return RoadmapOutcome(label, p.arrays.actor_ids, evaluations, found)

    baseline = outcome(BASELINE, problem)
    variants = tuple(outcome(label, p) for label, p in changed)
    trust_result = None
    scans: tuple[LearningScan, ...] = ()
    if scan:
        pairs = parse_scan(scan, s) if isinstance(scan, str) else tuple(scan)
        grid = scan_values if scan_values is not None else np.round(np.linspace(0, 1, 21), 2)
        trust_result = trust_scan(problem, _plans_of(problem, plans), pairs, grid, settings,
                                  patience, defection)
        if scan_learning:
            scans = tuple(learning_scan(p, _plans_of(p, plans), pairs, grid, LEARNING_VALUES,
                                        settings, patience, defection, label)
                          for label, p in [(BASELINE, problem), *changed])
    return RoadmapAnalysis(scenario=s, settings=settings, patience=patience,
                           defection=defection, step=grid_step, baseline=baseline,
                           variants=variants, scan=trust_result, learning=float(learning),
                           min_move=float(min_move), learning_scans=scans,
                           mechanisms=problem.mechanisms, ignored=tuple(ignore))


def roadmap_values(problem: SettlementProblem, values: Sequence[Mapping[str, float]]
                   ) -> np.ndarray:
    """Unit-scale stages ``[S, I]`` from per-stage issue values (issues left out keep the
    previous stage's value)."""
    current = dict(zip(problem.issue_ids, problem.arrays.to_units(problem.arrays.status_quo),
                       strict=True))
    rows = []
    for stage in values:
        current.update({k: float(v) for k, v in stage.items()})
        rows.append([current[i] for i in problem.issue_ids])
    return problem.arrays.from_units(np.array(rows, dtype=float))
