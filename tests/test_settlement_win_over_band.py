"""A blocker's smallest fix states the whole band of values it accepts on one issue.

A loss grows with the distance from the actor's position on either side, so the values of
one issue (the others fixed) that win a blocker over form a band around its position, not a
one-sided range: the text said "X accepts if A < 39.5" while A = 30 still left X blocking.
Every value inside the stated band must win the blocker over, and values just past either
end (where that end lies on the scale) must not.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import detente
from detente.settlement import NamedPackage, SettlementProblem, UtilitySettings, analyse_packages
from detente.settlement.analysis import SCAN_POINTS, WinOver
from detente.settlement.mechanisms import package_allowed, walk_away
from detente.settlement.utility import GAIN_TOLERANCE, package_issue_gains
from tests.settle_helpers import random_mechanisms_problems, random_problems

#: Past an end of the band by this much (issue units, on 0-100 scales) the blocker loses;
#: this far inside it gains.
MARGIN = 0.01
INSIDE_POINTS = 25


def _gain(problem: SettlementProblem, package: NamedPackage, way: WinOver, value: float,
          opts: UtilitySettings) -> float:
    """The blocker's gain over its walk-away point with the issue moved to ``value``, by the
    gain settle computes (package rules broken: no gain)."""
    issues = problem.issue_ids
    changed = dict(package.values, **{way.issue: value})
    arrays, mech = problem.arrays, problem.mechanisms
    units = arrays.from_units(np.array([[changed[i] for i in issues]]))
    b = problem.actor_ids.index(way.actor)
    gain = package_issue_gains(arrays, units, problem.guarantees(package.guarantors), opts,
                               mech).sum(axis=-1)[0, b]
    if mech.walk_away:
        gain -= walk_away(mech, arrays, opts)[b]
    allowed = package_allowed(mech, issues, units)[0]
    return float(gain) if allowed else -1.0


def _packages(problem: SettlementProblem, seed: int) -> tuple[NamedPackage, ...]:
    rng = np.random.default_rng(seed)
    issues = problem.issue_ids
    return tuple(NamedPackage(f"P{j}", "random", {i: float(rng.integers(0, 11) * 10)
                                                  for i in issues}, issues)
                 for j in range(4))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=random_problems(), utility=st.sampled_from(["linear", "quadratic"]),
       losses=st.sampled_from(["discounted", "certain"]), seed=st.integers(0, 1000))
def test_every_value_in_the_stated_band_wins_the_blocker_and_none_past_it(
        problem: SettlementProblem, utility: str, losses: str, seed: int) -> None:
    packages = _packages(problem, seed)
    problem = problem.replace(packages=packages)
    opts = UtilitySettings(utility, 0.0, losses)
    for analysis, package in zip(analyse_packages(problem, settings=opts), packages,
                                 strict=True):
        for ways in analysis.win_over.values():
            for way in ways:
                low = 0.0 if way.low is None else way.low
                high = 100.0 if way.high is None else way.high
                if way.far_end is not None:  # it lies on the scale, past the threshold
                    assert 0 <= way.far_end <= 100
                    assert (way.far_end > way.threshold) == way.at_least
                if high - low > 2 * MARGIN:
                    for value in np.linspace(low + MARGIN, high - MARGIN, INSIDE_POINTS):
                        assert _gain(problem, package, way, value, opts) > GAIN_TOLERANCE, \
                            (way, value)
                for end in (way.low, way.high):
                    if end is None:
                        continue
                    past = end - MARGIN if end == way.low else end + MARGIN
                    if 0 <= past <= 100:
                        assert _gain(problem, package, way, past, opts) <= GAIN_TOLERANCE, \
                            (way, past)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=random_mechanisms_problems(), seed=st.integers(0, 1000))
def test_the_scanned_band_wins_on_every_grid_value_inside_and_loses_past_each_end(
        problem: SettlementProblem, seed: int) -> None:
    # With walk-away points, links, rules or verification the band is found on a grid of
    # SCAN_POINTS values per scale: every grid value from one stated end to the other wins,
    # the grid value just past an end that lies on the scale loses.
    packages = _packages(problem, seed)
    problem = problem.replace(packages=packages)
    opts = UtilitySettings()
    step = 100.0 / (SCAN_POINTS - 1)
    for analysis, package in zip(analyse_packages(problem, settings=opts), packages,
                                 strict=True):
        for ways in analysis.win_over.values():
            for way in ways:
                if way.value is not None and way.far_end is not None:
                    assert min(way.threshold, way.far_end) <= way.value \
                        <= max(way.threshold, way.far_end)
                grid_low = 0.0 if way.low is None else way.low
                grid_high = 100.0 if way.high is None else way.high
                for value in np.arange(grid_low, grid_high + step / 2, step):
                    assert _gain(problem, package, way, value, opts) > GAIN_TOLERANCE, \
                        (way, value)
                for end, past in ((way.low, -step), (way.high, step)):
                    if end is not None and 0 <= end + past <= 100:
                        assert _gain(problem, package, way, end + past, opts) <= \
                            GAIN_TOLERANCE, (way, end + past)


BAND = """\
id: band
title: band
issues:
  - {id: A, name: A, scale: {low: 0, high: 100}, status_quo: 50}
  - {id: B, name: B, scale: {low: 0, high: 100}, status_quo: 50}
actors: [{id: X, name: X, capability: 1}, {id: Y, name: Y, capability: 1}]
stances:
  X: {A: {position: 35, salience: 0.8}, B: {position: 50, salience: 0.2}}
  Y: {B: {position: 100, salience: 1}}
packages:
  - {id: P, name: P, values: {B: 78.6}}
  - {id: P30, name: P with A at 30, values: {A: 30, B: 78.6}}
"""


def test_the_fix_text_gives_both_ends_where_both_bind(tmp_path: Path) -> None:
    path = tmp_path / "band.yaml"
    path.write_text(BAND, encoding="utf-8")
    result = detente.settle(detente.load(path))
    p, p30 = result.baseline.package("P"), result.baseline.package("P30")
    assert "X" in p30.blockers  # A = 30 is below the band's lower end: X still blocks
    fix = {w.issue: w for w in p.win_over["X"]}["A"]
    assert fix.describe() == "X accepts if 30.5 < A < 39.5"
    data = fix.to_dict()
    # The band is centred on X's position, 35.
    assert data["low"] == pytest.approx(30.471205) and data["high"] == pytest.approx(39.528795)
