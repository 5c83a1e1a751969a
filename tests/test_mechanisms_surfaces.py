"""The settlement mechanisms of issue 16 (verification, links, package rules, walk-away
points, stakes) on the surfaces main gained beside ``detente settle``: the per-issue zone
and frontier (settlement/zone.py), milp.zone_ranges, the zone screen (settlement/screen.py)
and persuasion plans (settlement/persuasion.py), each checked against the itertools
reference of tests/settle_helpers.py (no code shared with the searches), and ``--without``
taking a removed actor out of the mechanisms (detente/variation.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import detente
from detente.settlement import build_table, milp
from detente.settlement.problem import SettlementProblem
from detente.settlement.screen import BOUND, INCUMBENT, screened_zone_exists
from detente.settlement.search import GainTable, PairTerm, brute_force, zone_exists
from detente.settlement.utility import GAIN_TOLERANCE
from detente.variation import Variation

from .settle_helpers import (
    REFERENCE_SETTINGS,
    check_frontier,
    check_issue_ranges,
    check_milp_zone_ranges,
    check_persuasion,
    random_mechanisms_problems,
    reference_gains,
    reference_space,
)


@REFERENCE_SETTINGS
@given(problem=random_mechanisms_problems(max_actors=4, max_issues=3, max_options=4),
       method=st.sampled_from(["brute", "bnb", "auto"]))
def test_issue_ranges_with_mechanisms_equal_the_reference(problem: SettlementProblem,
                                                          method: str) -> None:
    check_issue_ranges(problem, method)


@REFERENCE_SETTINGS
@given(problem=random_mechanisms_problems(max_actors=4, max_issues=4, max_options=4))
def test_milp_zone_ranges_with_mechanisms_equal_the_reference(problem: SettlementProblem
                                                              ) -> None:
    # With no party that must agree too: the zone is then every package that keeps the
    # rules, which the MILP once took for every package.
    check_milp_zone_ranges(problem, build_table(problem), reference_space(problem))


@REFERENCE_SETTINGS
@given(problem=random_mechanisms_problems(max_actors=4, max_issues=3, max_options=4))
def test_frontier_with_mechanisms_lies_on_the_reference_frontier(problem: SettlementProblem
                                                                  ) -> None:
    check_frontier(problem)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=random_mechanisms_problems(batch=5), method=st.sampled_from(
    ["auto", "brute", "bnb", "milp"]), effort=st.sampled_from([(0, 0), (3, 1), (60, 4)]))
def test_screened_zone_with_mechanisms_equals_the_exact_search(
        problem: SettlementProblem, method: str, effort: tuple[int, int]) -> None:
    table = build_table(problem)
    screen = screened_zone_exists(table, method, rounds=effort[0],  # type: ignore[arg-type]
                                  sweeps=effort[1])
    np.testing.assert_array_equal(screen.exists, brute_force(table)[0])
    np.testing.assert_array_equal(screen.exists, zone_exists(table, "bnb"))
    np.testing.assert_array_equal(screen.exists, zone_exists(table, "auto"))
    assert not screen.exists[screen.stage == BOUND].any()
    for b in np.nonzero(screen.stage == INCUMBENT)[0]:
        slots = screen.witness[b]
        gains = table.package_gains(int(b), slots[None])[0]
        assert np.all((gains > GAIN_TOLERANCE) | ~table.must_agree[b])


@REFERENCE_SETTINGS
@given(problem=random_mechanisms_problems(max_actors=4, max_issues=3, max_options=4))
def test_screen_witness_with_mechanisms_is_acceptable_to_the_reference(
        problem: SettlementProblem) -> None:
    table = build_table(problem)
    screen = screened_zone_exists(table)
    ref = reference_space(problem)
    assert bool(screen.exists[0]) == bool(ref.zone()) or not any(ref.parties)
    if screen.stage[0] == INCUMBENT:
        values = [float(v) for v in table.decode(0, screen.witness[0][None])[0]]
        assert tuple(values) in {tuple(p) for p in ref.packages}  # keeps every rule
        assert ref.in_zone(reference_gains(problem, values, "quadratic", 0.0, "discounted"))


@REFERENCE_SETTINGS
@given(problem=random_mechanisms_problems(max_actors=4, max_issues=3, max_options=4),
       seed=st.integers(0, 2**31 - 1))
def test_persuasion_with_mechanisms_wins_each_blocker_by_the_reference(
        problem: SettlementProblem, seed: int) -> None:
    check_persuasion(problem, seed)


def test_korea_walk_away_lever_and_mechanism_gains_in_persuasion() -> None:
    """On korea-2017 (every actor's walk-away point is PX) the plans use the gains settle
    reports (over the walk-away points), and a walk-away lever is offered."""
    s = detente.settle("korea-2017", packages=["P2"], zones=False, persuasion=True)
    p2 = s.baseline.packages[0]
    plan = s.baseline.persuasion[0]
    assert plan.blockers == p2.blockers and plan.after == ()
    kinds = {lv.kind for lv in plan.levers}
    assert "walk-away" in kinds
    for lv in plan.levers:
        if lv.kind == "walk-away":
            # the actor accepts once its alternative is worth less than the package
            assert lv.needed < lv.current
            assert lv.current - lv.needed == pytest.approx(-p2.gains[lv.actor], abs=0.11)


def test_without_takes_the_actor_out_of_the_mechanisms() -> None:
    problem = SettlementProblem.from_scenario(detente.load("korea-2017"), 50.0)
    mech = problem.mechanisms
    named = {g for v in mech.verifications for _, by in v.bands for g in by} \
        | {x.actor for x in mech.links} | {x[0] for x in mech.stakes}
    gone = sorted(named & set(problem.actor_ids))[0]
    varied = Variation(without=(gone,)).apply_problem(problem).mechanisms
    assert all(gone not in by for v in varied.verifications for _, by in v.bands)
    assert all(x.actor != gone for x in varied.links)
    assert all(x[0] != gone for x in varied.stakes)
    assert all(a != gone for a, _ in varied.walk_away)
    assert all(gone not in (g or ()) for _, w in varied.walk_away for g in w.guarantors or ())
    # what is kept is untouched
    assert len(varied.verifications) == len(mech.verifications)
    assert varied.rules == mech.rules
    # and settle still runs the removal through (the best package stays acceptable)
    out = detente.settle("korea-2017", step=50, variations=Variation(without=(gone,)),
                         zones=False, persuasion=False)
    assert out.variants[0].label == f"without {gone}"


def _tiny_table(allowed_11: bool, offset: tuple[float, float] | None) -> GainTable:
    """Two issues of two slots (0 = status quo), two parties: each move costs party 0 and
    pays party 1, but moving both pays party 0 through a pair term (a link)."""
    gains = np.zeros((1, 2, 2, 2))
    gains[0, :, 1, 0] = -0.1
    gains[0, :, 1, 1] = 0.1
    pair = np.zeros((1, 2, 2, 2))
    pair[0, 1, 1, 0] = 0.5
    allowed = np.ones((1, 2, 2), dtype=bool)
    allowed[0, 1, 1] = allowed_11
    values = np.array([[[0.0, 1.0], [0.0, 1.0]]])
    valid = np.ones((1, 2, 2), dtype=bool)
    return GainTable(values, valid, values > 0, gains, np.ones((1, 2), dtype=bool),
                     np.full((1, 2), 0.5), (PairTerm(0, 1, pair, allowed),),
                     None if offset is None else np.array([offset]))


@pytest.mark.parametrize(("allowed_11", "offset", "expected"), [
    (True, None, True),  # only the pair term makes party 0 gain: no bound may deny it
    (False, None, False),  # the rule masks the one package that does
    (True, (-0.35, 0.0), False),  # a walk-away point above what the package gives
    (True, (0.05, 0.05), True),  # a walk-away point below the status quo
])
def test_screen_bounds_hold_with_pair_terms_rules_and_offsets(
        allowed_11: bool, offset: tuple[float, float] | None, expected: bool) -> None:
    table = _tiny_table(allowed_11, offset)
    assert bool(brute_force(table)[0][0]) is expected
    for rounds, sweeps in ((0, 0), (3, 1), (60, 4)):
        screen = screened_zone_exists(table, "auto", rounds=rounds, sweeps=sweeps)
        assert bool(screen.exists[0]) is expected
    assert bool(milp.zone_exists(table)[0]) is expected
