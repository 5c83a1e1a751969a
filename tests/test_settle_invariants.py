"""Invariants of ``detente.settle`` on small random scenarios (docs/settle.md, The model).

Nothing in the settlement model depends on the order in which actors or issues are listed,
on the unit of capability (Nash exponents are capability shares), or on the unit and origin
of an issue's scale (everything runs on the unit scale, 0 = scale low, 1 = its high, so a
positive affine map of a scale, its status quo, its positions and the grid step maps the grid
and every package and changes no gain). A unanimous scenario's shared ideal is every actor's
best package, and an actor alone in a position to settle gets its ideal grid point.

What is promised about ties: the search returns *a* best package. When several packages
share the best Nash product (or max-min gain), which one is reported may follow the order of
actors and issues (and the last bits of floating point), so where the itertools reference
(``tests/settle_helpers.py``, sharing no code with the search) finds a tie, the tests ask
only that each answer is one of the tied best packages; where the best is unique they ask for
that package. The zone (its existence, size and per-issue ranges) does not depend on ties.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from detente.scenario import scenario_from_mapping
from detente.settlement import settle
from detente.settlement.analysis import WinOver
from detente.settlement.api import FoundPackage, Outcome
from detente.settlement.persuasion import Lever
from detente.settlement.problem import SettlementProblem
from detente.settlement.utility import UtilityShape
from tests.settle_helpers import SEARCH_SETTINGS, reference_space
from tests.strategies import (
    SETTLEMENT_GRID,
    SETTLEMENT_STEP,
    affine_issues,
    draw_reordered,
    settlement_dicts,
    settlement_mechanisms_dicts,
)

#: 40 examples (1000 under HYPOTHESIS_PROFILE=explore), as the searches' reference checks.
SETTINGS = SEARCH_SETTINGS
UTILITIES = st.sampled_from(["quadratic", "linear"])
#: Plain scenarios, and scenarios with verification, links, rules, walk-away points, stakes.
SCENARIOS = settlement_dicts() | settlement_mechanisms_dicts()
#: Origins of a mapped scale, in units of the new scale: an origin far from a narrow scale
#: (10⁶ against a span of 0.1) would leave the positions only ~10⁻⁹ of the scale in floating
#: point, a loss of precision in the input, not in the model.
ORIGIN_SHIFTS = st.sampled_from([0.0, -50.0, 13.7, 1e4])
#: Two log Nash products (or max-min gains) closer than this are a tie.
TIE = 1e-9

#: Digits a unit-scale value keeps in a package key: far coarser than the rounding error of a
#: scale moved far from 0 (1e6 + 0.025 keeps ~1e-10 of it), far finer than the 0.25 grid.
KEY_DIGITS = 6

#: A package as a comparable key: issue id -> value on the unit scale, rounded.
PackageKey = tuple[tuple[str, float], ...]
Scales = Mapping[str, tuple[float, float]]


def _scales(raw: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    return {i["id"]: (float(i["scale"]["low"]), float(i["scale"]["high"]))
            for i in raw["issues"]}


def _unit(value: float, scale: tuple[float, float]) -> float:
    return (value - scale[0]) / (scale[1] - scale[0])


def _key(values: Mapping[str, float], scales: Scales) -> PackageKey:
    """Issue units to a key on the unit scale: the same key before and after an affine map."""
    return tuple(sorted((i, round(_unit(v, scales[i]), KEY_DIGITS))
                        for i, v in values.items()))


def _win_over_key(change: WinOver, scales: Scales) -> tuple[Any, ...]:
    """A single-issue change that wins a blocker over, on the unit scale."""
    scale = scales[change.issue]
    return (change.issue, round(_unit(change.threshold, scale), KEY_DIGITS), change.at_least,
            None if change.value is None else round(_unit(change.value, scale), KEY_DIGITS),
            frozenset(change.then_blocking))


def _lever_key(lever: Lever, scales: Scales) -> tuple[Any, ...]:
    """A persuasion lever with its needed value on the unit scale where it is a position."""
    needed = _unit(lever.needed, scales[lever.target]) if lever.kind == "position" \
        else lever.needed
    return (lever.actor, lever.kind, lever.target, round(needed, KEY_DIGITS),
            round(lever.size, KEY_DIGITS))


def _baseline(raw: Mapping[str, Any], step: float = SETTLEMENT_STEP,
              utility: UtilityShape = "quadratic") -> Outcome:
    return settle(scenario_from_mapping(raw), step=step, utility=utility).baseline


@dataclass(frozen=True)
class TiedBest:
    """The best packages of the zone by the itertools reference: more than one where the best
    is a tie. ``smallest``: the best by Nash product among those moving the fewest issues."""

    nash: set[PackageKey]
    max_min: set[PackageKey]
    smallest: set[PackageKey]


def _tied_best(raw: Mapping[str, Any], utility: UtilityShape) -> TiedBest:
    problem = SettlementProblem.from_scenario(scenario_from_mapping(raw), SETTLEMENT_STEP)
    ref = reference_space(problem, utility)
    zone = ref.zone()
    if not zone:
        return TiedBest(set(), set(), set())
    ids = problem.issue_ids

    def key(r: int) -> PackageKey:
        values = zip(ids, ref.packages[r], strict=True)
        return tuple(sorted((i, round(v, KEY_DIGITS)) for i, v in values))

    def best_of(rows: list[int], score: Callable[[int], float]) -> set[PackageKey]:
        top = max(score(r) for r in rows)
        return {key(r) for r in rows if score(r) >= top - TIE}

    def log_nash(r: int) -> float:
        return ref.log_nash(ref.gains[r])

    fewest = min(ref.changes(r) for r in zone)
    return TiedBest(nash=best_of(zone, log_nash),
                    max_min=best_of(zone, lambda r: ref.min_gain(ref.gains[r])),
                    smallest=best_of([r for r in zone if ref.changes(r) == fewest], log_nash))


def _assert_same_gains(first: FoundPackage, second: FoundPackage) -> None:
    assert first.gains.keys() == second.gains.keys()
    for actor, gain in first.gains.items():
        assert second.gains[actor] == pytest.approx(gain, rel=1e-9, abs=1e-9), actor


def _assert_same_settlement(first: Outcome, first_scales: Scales, second: Outcome,
                            second_scales: Scales, tied: TiedBest) -> None:
    """Two settlements of the same problem written two ways: the same zone, and best
    packages that are the same package or, on a tie, both among the tied best."""
    assert second.space_size == first.space_size
    assert second.zone_exists == first.zone_exists
    assert second.zone_size == first.zone_size
    if not first.zone_exists:
        assert first.best is second.best is None
        return
    assert first.best and second.best and first.max_min and second.max_min
    assert first.smallest and second.smallest
    assert second.best.nash == pytest.approx(first.best.nash, rel=1e-9)
    assert _key(first.best.values, first_scales) in tied.nash
    assert _key(second.best.values, second_scales) in tied.nash
    if _key(first.best.values, first_scales) == _key(second.best.values, second_scales):
        _assert_same_gains(first.best, second.best)
    assert second.max_min.min_gain == pytest.approx(first.max_min.min_gain, rel=1e-9,
                                                    abs=1e-9)
    assert _key(first.max_min.values, first_scales) in tied.max_min
    assert _key(second.max_min.values, second_scales) in tied.max_min
    assert len(second.smallest.changed) == len(first.smallest.changed)
    assert second.smallest.nash == pytest.approx(first.smallest.nash, rel=1e-9)
    assert _key(first.smallest.values, first_scales) in tied.smallest
    assert _key(second.smallest.values, second_scales) in tied.smallest
    _assert_same_zone_ranges(first, second)
    _assert_same_named_packages(first, first_scales, second, second_scales)


def _assert_same_zone_ranges(first: Outcome, second: Outcome) -> None:
    """Each issue's zone and efficient range, compared on the unit scale."""
    assert first.zones is not None and second.zones is not None
    # at most 125 packages: the zone is listed whole, so the efficient ranges are exact
    assert first.zones.efficient_exact and second.zones.efficient_exact
    for zone in first.zones.issues:
        other = second.zones.issue(zone.issue)
        # the zone of each issue as the set of unit-scale values some acceptable package takes
        feasible = {round(_unit(v, zone.scale), KEY_DIGITS)
                    for v, ok in zip(zone.values, zone.feasible, strict=True) if ok}
        other_feasible = {round(_unit(v, other.scale), KEY_DIGITS)
                          for v, ok in zip(other.values, other.feasible, strict=True) if ok}
        assert other_feasible == feasible, zone.issue
        # the efficient range: a set of packages too (exact: the zone is enumerated whole)
        for ends, other_ends in ((zone.efficient_min, other.efficient_min),
                                 (zone.efficient_max, other.efficient_max)):
            assert (ends is None) == (other_ends is None), zone.issue
            if ends is not None and other_ends is not None:
                assert _unit(other_ends, other.scale) == pytest.approx(
                    _unit(ends, zone.scale), abs=1e-9), zone.issue


def _assert_same_named_packages(first: Outcome, first_scales: Scales, second: Outcome,
                                second_scales: Scales) -> None:
    """The named packages' gains, blockers and win-over changes, and the persuasion plans."""
    for package in first.packages:
        other_package = second.package(package.id)
        assert other_package.accepts == package.accepts
        assert set(other_package.blockers) == set(package.blockers)
        assert other_package.nash == pytest.approx(package.nash, rel=1e-9, abs=1e-9)
        for actor, gain in package.gains.items():
            assert other_package.gains[actor] == pytest.approx(gain, rel=1e-9, abs=1e-9)
        assert other_package.win_over.keys() == package.win_over.keys()
        for blocker, changes in package.win_over.items():
            assert ({_win_over_key(w, second_scales) for w in other_package.win_over[blocker]}
                    == {_win_over_key(w, first_scales) for w in changes}), blocker
    plans = {plan.package: plan for plan in first.persuasion}
    other_plans = {plan.package: plan for plan in second.persuasion}
    assert other_plans.keys() == plans.keys()
    for package_id, plan in plans.items():
        other_plan = other_plans[package_id]
        assert set(other_plan.blockers) == set(plan.blockers)
        assert set(other_plan.unmovable) == set(plan.unmovable)
        assert set(other_plan.after) == set(plan.after)
        assert ({_lever_key(lever, second_scales) for lever in other_plan.levers}
                == {_lever_key(lever, first_scales) for lever in plan.levers})
        # each blocker's smallest lever: its size is order-free, which lever (on a tie) not
        assert ({(lever.actor, round(lever.size, KEY_DIGITS)) for lever in other_plan.plan}
                == {(lever.actor, round(lever.size, KEY_DIGITS)) for lever in plan.plan})


@SETTINGS
@given(raw=SCENARIOS, utility=UTILITIES, data=st.data())
def test_the_order_of_actors_and_issues_changes_no_settlement(raw: dict[str, Any],
                                                               utility: UtilityShape,
                                                               data: st.DataObject) -> None:
    shuffled = draw_reordered(data, raw)
    scales = _scales(raw)
    _assert_same_settlement(_baseline(raw, utility=utility), scales,
                            _baseline(shuffled, utility=utility), scales,
                            _tied_best(raw, utility))


@SETTINGS
@given(raw=SCENARIOS, factor=st.sampled_from([1e-3, 0.5, 3.0, 1e4]))
def test_rescaling_every_capability_changes_no_settlement(raw: dict[str, Any],
                                                          factor: float) -> None:
    scaled = {**raw, "actors": [{**a, "capability": a["capability"] * factor}
                                for a in raw["actors"]]}
    scales = _scales(raw)
    _assert_same_settlement(_baseline(raw), scales, _baseline(scaled), scales,
                            _tied_best(raw, "quadratic"))


@SETTINGS
@given(raw=SCENARIOS, utility=UTILITIES,
       factor=st.sampled_from([1e-3, 0.2, 3.0, 7.3, 1e4, 1e7]), data=st.data())
def test_an_affine_map_of_the_scales_maps_the_settlement(raw: dict[str, Any],
                                                         utility: UtilityShape, factor: float,
                                                         data: st.DataObject) -> None:
    # One factor for every issue, since the grid step is one number for all issues; the
    # origins move independently.
    shifts = data.draw(st.lists(ORIGIN_SHIFTS, min_size=len(raw["issues"]),
                                max_size=len(raw["issues"])), label="origin shifts")
    offsets = [factor * shift for shift in shifts]
    mapped = affine_issues(raw, [factor] * len(shifts), offsets)
    _assert_same_settlement(_baseline(raw, utility=utility), _scales(raw),
                            _baseline(mapped, step=SETTLEMENT_STEP * factor, utility=utility),
                            _scales(mapped), _tied_best(raw, utility))


@SETTINGS
@given(raw=SCENARIOS, utility=UTILITIES, data=st.data())
def test_an_affine_map_of_each_scale_with_its_options_maps_the_settlement(
        raw: dict[str, Any], utility: UtilityShape, data: st.DataObject) -> None:
    """Issues that list their options take no grid step, so each scale may be mapped by its
    own factor: nothing may compare numbers of two issues in their own units."""
    with_options = {**raw, "issues": [{**i, "options": list(SETTLEMENT_GRID)}
                                      for i in raw["issues"]]}
    n_issues = len(raw["issues"])
    factors = data.draw(st.lists(st.sampled_from([1e-3, 0.2, 7.3, 1e4, 1e7]),
                                 min_size=n_issues, max_size=n_issues), label="factors")
    shifts = data.draw(st.lists(ORIGIN_SHIFTS, min_size=n_issues, max_size=n_issues),
                       label="origin shifts")
    mapped = affine_issues(with_options, factors,
                           [f * shift for f, shift in zip(factors, shifts, strict=True)])
    _assert_same_settlement(_baseline(with_options, utility=utility), _scales(raw),
                            _baseline(mapped, utility=utility), _scales(mapped),
                            _tied_best(with_options, utility))


def _unanimous(raw: dict[str, Any], shared: Sequence[int]) -> dict[str, Any]:
    """Every actor's ideal on issue k is shared[k]; every promise is believed (trust 1), so
    that each actor gains from every move towards its ideal."""
    stances = {a: {i["id"]: {**stance[i["id"]], "position": value}
                   for i, value in zip(raw["issues"], shared, strict=True)}
               for a, stance in raw["stances"].items()}
    return {**raw, "stances": stances, "trust": {}}


@SETTINGS
@given(raw=settlement_dicts(), utility=UTILITIES, data=st.data())
def test_a_shared_ideal_is_the_best_package(raw: dict[str, Any], utility: UtilityShape,
                                            data: st.DataObject) -> None:
    shared = data.draw(st.lists(st.sampled_from(SETTLEMENT_GRID), min_size=len(raw["issues"]),
                                max_size=len(raw["issues"])), label="shared ideal")
    unanimous = _unanimous(raw, shared)
    outcome = _baseline(unanimous, utility=utility)
    status_quo = [i["status_quo"] for i in raw["issues"]]
    if list(shared) == status_quo:
        # Everyone already has its ideal: no package makes any party better off.
        assert not outcome.zone_exists and outcome.best is None
        return
    ideal = {i["id"]: float(v) for i, v in zip(raw["issues"], shared, strict=True)}
    assert outcome.zone_exists
    assert outcome.best is not None and outcome.max_min is not None
    # Every actor's gain is largest there alone (every salience is above 0), so it is the
    # unique best by Nash product and by the smallest gain.
    assert outcome.best.values == ideal
    assert outcome.max_min.values == ideal
    assert outcome.zones is not None
    for zone in outcome.zones.issues:
        assert dict(zip(zone.values, zone.feasible, strict=True))[ideal[zone.issue]]
    power = 2 if utility == "quadratic" else 1
    for actor in raw["actors"]:
        # By hand (docs/settle.md): the gain over the status quo is Σ_k s̃_k |q_k − p_k|^m on
        # the unit scale, ×100 in utility points, with s̃ the salience shares.
        stance = unanimous["stances"][actor["id"]]
        total = sum(s["salience"] for s in stance.values())
        expected = 100 * sum(stance[i]["salience"] / total * (abs(q - v) / 100) ** power
                             for i, q, v in zip(ideal, status_quo, shared, strict=True))
        assert outcome.best.gains[actor["id"]] == pytest.approx(expected, rel=1e-9)


def _nearest_grid_value(ideal: float) -> float:
    # ideals are multiples of 5 and the grid of 25, so no ideal is halfway between two values
    return float(min(SETTLEMENT_GRID, key=lambda v: abs(v - ideal)))


@SETTINGS
@given(raw=settlement_dicts(), utility=UTILITIES, alone_by=st.sampled_from(["salience",
                                                                              "veto"]),
       data=st.data())
def test_the_only_party_gets_its_ideal_grid_point(raw: dict[str, Any], utility: UtilityShape,
                                                  alone_by: str, data: st.DataObject) -> None:
    """The parties are the veto players that care about some issue (docs/settle.md): leave one
    by giving every other actor no salience, or no veto. Its gain alone is then maximised, at
    the grid value nearest its ideal on every issue."""
    dictator = data.draw(st.sampled_from([a["id"] for a in raw["actors"]]), label="dictator")
    actors = [{**a, "veto": True} if a["id"] == dictator or alone_by == "salience"
              else {**a, "veto": False} for a in raw["actors"]]
    stances = {a: stance if a == dictator or alone_by == "veto"
               else {i: {**s, "salience": 0.0} for i, s in stance.items()}
               for a, stance in raw["stances"].items()}
    # full trust: a move the dictator did not believe would leave it indifferent (a tie)
    alone = {**raw, "actors": actors, "stances": stances, "trust": {}}
    outcome = _baseline(alone, utility=utility)
    expected = {i: _nearest_grid_value(s["position"]) for i, s in stances[dictator].items()}
    status_quo = {i["id"]: float(i["status_quo"]) for i in raw["issues"]}
    if expected == status_quo:
        assert not outcome.zone_exists and outcome.best is None
        return
    assert outcome.best is not None and outcome.max_min is not None
    assert outcome.best.values == expected
    assert outcome.max_min.values == expected
    assert outcome.best.gains[dictator] > 0
    # one party: its Nash exponent is 1, so the Nash product is its gain
    assert outcome.best.nash == pytest.approx(outcome.best.gains[dictator], rel=1e-9)
