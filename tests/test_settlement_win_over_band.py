"""A blocker's smallest fix states the whole band of values it accepts on one issue.

A loss grows with the distance from the actor's position on either side, so the values of
one issue (the others fixed) that win a blocker over form a band around its position, not a
one-sided range: the text said "X accepts if A < 39.5" while A = 30 still left X blocking.
Every value inside the stated band must win the blocker over, and values just past either
end (where that end lies on the scale) must not.
"""

from __future__ import annotations

import itertools
import re
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import detente
from detente.settlement import NamedPackage, SettlementProblem, UtilitySettings, analyse_packages
from detente.settlement.analysis import SCALE_END_NUDGE, SCAN_POINTS, WinOver
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


def _signs(way: WinOver) -> tuple[str, str | None]:
    """The signs the sentence writes between the issue and the band's threshold end, and
    between the issue and its far end (None: no far end)."""
    condition = way.describe().split(" accepts if ", 1)[1].split(" (threshold ", 1)[0]
    words = condition.split(" ")
    at = words.index(way.issue)
    if way.far_end is None:
        return words[at + 1], None
    return (words[at - 1], words[at + 1]) if way.at_least else (words[at + 1], words[at - 1])


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
                    # (a hair inside the scale's end is that end: no band end of 3e-7)
                    assert way.far_end in (0.0, 100.0) or \
                        100 * SCALE_END_NUDGE <= way.far_end <= 100 * (1 - SCALE_END_NUDGE)
                    assert (way.far_end > way.threshold) == way.at_least
                    # the actor is indifferent at the far end: it is written strict
                    assert not way.ends_win
                    assert _signs(way)[1] == "<", way.describe()
                if way.value is None:  # the threshold too is where it is indifferent
                    assert _signs(way)[0] in "<>", way.describe()
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
    if problem.mechanisms.is_empty:  # bands in closed form, their ends off the grid: above
        return
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
                # both ends are grid values that win (checked below): written inclusive
                assert way.ends_win
                assert _signs(way)[0] in "≤≥" and _signs(way)[1] in ("≤", None), \
                    way.describe()
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


def _river(tmp_path: Path, values: str, walk_away: bool) -> SettlementProblem:
    """examples/my.yaml with its package at ``values``; ``walk_away`` gives UP a walk-away
    point of a package at the status quo (gain 0, so the same bands), which makes settle scan
    them."""
    text = (Path(__file__).parents[1] / "examples" / "my.yaml").read_text(encoding="utf-8")
    text = text.replace("values: {FLOW: 10, FUND: 40}", f"values: {{{values}}}")
    if walk_away:
        text = text.replace("capability: 60}", "capability: 60, walk_away: {package: SQ}}")
        text += "  - {id: SQ, name: Status quo, values: {FLOW: 6, FUND: 100}}\n"
    path = tmp_path / "river.yaml"
    path.write_text(text, encoding="utf-8")
    return SettlementProblem.from_scenario(detente.load(path))


def _fixes(problem: SettlementProblem) -> dict[tuple[str, str], WinOver]:
    analysis = analyse_packages(problem, settings=UtilitySettings())[0]
    return {(w.actor, w.issue): w for ways in analysis.win_over.values() for w in ways}


def test_a_scanned_far_end_is_a_value_the_blocker_accepts_and_is_written_so(
        tmp_path: Path) -> None:
    closed = _fixes(_river(tmp_path, "FLOW: 19, FUND: 100", walk_away=False))[("UP", "FLOW")]
    # Its closed-form band is (2.0000002, 5.9999998): GAIN_TOLERANCE keeps UP's gain at
    # 2.0 and at 6.0 themselves from counting, and moved the ends inward by no more than
    # it (a gain the model counts as none): they are written as the points where UP is
    # indifferent, strict, not a digit inward (2.01, 5.99), which a shift of the scale
    # changed (analysis._threshold).
    assert closed.describe() == "UP accepts if 2.0 < FLOW ≤ 4 (threshold 6.0, now 19)"
    problem = _river(tmp_path, "FLOW: 19, FUND: 100", walk_away=True)
    assert not problem.mechanisms.is_empty
    scanned = _fixes(problem)[("UP", "FLOW")]
    # 2.02 is the last grid value that wins UP over; 2.00, the next, does not.
    package = problem.packages[0]
    assert scanned.far_end == pytest.approx(2.02)
    assert _gain(problem, package, scanned, 2.02, UtilitySettings()) > GAIN_TOLERANCE
    assert _gain(problem, package, scanned, 2.0, UtilitySettings()) <= GAIN_TOLERANCE
    assert scanned.describe() == "UP accepts if 2.02 ≤ FLOW ≤ 4 (threshold 5.98, now 19)"


def test_a_far_end_a_hair_inside_the_scale_is_the_scales_end(tmp_path: Path) -> None:
    # MID (position 50 on FUND) gains nothing on FLOW at 14 (as far from its 10 as the
    # status quo's 6): FUND at 100 leaves it exactly indifferent, and so does FUND at 0, but
    # GAIN_TOLERANCE moved the band's lower end to 3e-7 ("0.0000003 < FUND"). The end is the
    # scale's, still strict: FUND at 0 itself, a grid value, does not win MID over.
    fix = _fixes(_river(tmp_path, "FLOW: 14, FUND: 100", walk_away=False))[("MID", "FUND")]
    assert fix.far_end == 0 and fix.low == 0
    # The threshold, 99.9999997, is written inward (99.9), not as the current value.
    assert fix.describe() == "MID accepts if 0 < FUND ≤ 90 (threshold 99.9, now 100)"


def test_a_scanned_threshold_without_a_candidate_is_written_inclusive() -> None:
    # korea-2017 declares every mechanism: US's band on SEC for P2 is scanned, and with no
    # candidate inside it both written ends are grid values US accepts, the next ones out not.
    problem = SettlementProblem.from_scenario(detente.load("korea-2017"))
    opts = UtilitySettings()
    package = problem.package("P2")
    (analysis,) = analyse_packages(problem.replace(packages=(package,)), settings=opts)
    fix = {w.issue: w for w in analysis.win_over["US"]}["SEC"]
    assert fix.value is None and (fix.low, fix.high) == pytest.approx((21.9, 28.1))
    for end in (21.9, 28.1):
        assert _gain(problem, package, fix, end, opts) > GAIN_TOLERANCE
    for past in (21.8, 28.2):
        assert _gain(problem, package, fix, past, opts) <= GAIN_TOLERANCE
    assert fix.describe() == "US accepts if 21.9 ≤ SEC ≤ 28.1"


SHIFTABLE = """\
id: shift
title: shift
issues:
  - {{id: A, name: A, scale: {{low: {low}, high: {high}}}, status_quo: {sq_a}}}
  - {{id: B, name: B, scale: {{low: 0, high: 10}}, status_quo: {sq_b}}}
actors:
  - {{id: X, name: X, capability: 50{walk_x}}}
  - {{id: Y, name: Y, capability: 30}}
  - {{id: Z, name: Z, capability: 20}}
stances:
  X: {{A: {{position: {x_a}, salience: {s_xa}}}, B: {{position: {x_b}, salience: 0.5}}}}
  Y: {{A: {{position: {y_a}, salience: {s_ya}}}, B: {{position: {y_b}, salience: 1}}}}
  Z: {{A: {{position: {z_a}, salience: 1}}, B: {{position: 0, salience: {s_zb}}}}}
trust:
  X: {{Y: 0.5, Z: 0.3}}
  Y: {{X: 0.6, Z: 0.2}}
  Z: {{X: 0.4, Y: 0.7}}
packages:
  - {{id: P1, name: P1, values: {{A: {p1_a}, B: {p1_b}}}}}
  - {{id: P2, name: P2, values: {{A: {p2_a}}}}}
"""

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_EXAMPLES = itertools.count()
_HALVES = st.integers(0, 20).map(lambda n: n / 2)
_SALIENCE = st.sampled_from([0.25, 0.5, 0.75, 1.0])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(a=st.fixed_dictionaries({"sq_a": _HALVES, "x_a": _HALVES, "y_a": _HALVES,
                                "z_a": _HALVES, "p1_a": _HALVES, "p2_a": _HALVES,
                                "s_xa": _SALIENCE, "s_ya": _SALIENCE}),
       b=st.fixed_dictionaries({"sq_b": _HALVES, "x_b": _HALVES, "y_b": _HALVES,
                                "p1_b": _HALVES, "s_zb": _SALIENCE}),
       shift=st.sampled_from([1, 7, 1000, 1_000_000]), walk=st.booleans())
def test_shifting_a_scale_shifts_every_win_over_number_by_exactly_the_shift(
        tmp_path: Path, a: dict[str, float], b: dict[str, float], shift: int,
        walk: bool) -> None:
    # A band's ends once read 7.99 on 0 to 10 and 1000008.0 on 1000000 to 1000010 (the
    # same indifference point at 8): the written digits depended on where the scale lay.
    # Closed-form bands, and with a walk-away point scanned ones.
    def texts(offset: int) -> dict[tuple[str, str, str], str]:
        values = {k: (v + offset if k in ("sq_a", "x_a", "y_a", "z_a", "p1_a", "p2_a")
                      else v) for k, v in a.items()}
        # A file of its own per example: the same path rewritten within a second may be
        # read back from the loader's cache.
        path = tmp_path / f"shift{offset}-{next(_EXAMPLES)}.yaml"
        path.write_text(SHIFTABLE.format(
            low=offset, high=offset + 10, walk_x=", walk_away: {utility: -30}" if walk else "",
            **values, **b), encoding="utf-8")
        problem = SettlementProblem.from_scenario(detente.load(path))
        return {(p.id, w.actor, w.issue): w.describe()
                for p in analyse_packages(problem, settings=UtilitySettings())
                for ways in p.win_over.values() for w in ways}

    plain, shifted = texts(0), texts(shift)
    assert plain.keys() == shifted.keys()
    for key, text in plain.items():
        moved = shifted[key]
        assert _NUMBER.sub("#", text) == _NUMBER.sub("#", moved), (text, moved)
        by = Decimal(shift if key[2] == "A" else 0)
        assert [Decimal(n) + by for n in _NUMBER.findall(text)] == \
            [Decimal(n) for n in _NUMBER.findall(moved)], (text, moved)
