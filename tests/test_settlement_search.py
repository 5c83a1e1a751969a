"""The exact search equals brute force: branch and bound against enumeration."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import detente
from detente.errors import OptionError
from detente.settlement import SettlementProblem, milp, search
from detente.settlement.search import (
    best_packages,
    brute_force,
    build_table,
    smallest_accords,
    zone_exists,
    zone_size,
)
from detente.settlement.utility import UtilitySettings
from tests.settle_helpers import random_problems, reference_gains, reference_space

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _scores(best) -> np.ndarray:
    return np.round(best.score, 9)


METHODS = ("bnb", "brute", "auto", "milp")


def _nash_atol(method: str) -> float:
    """The MILP's Nash packages are certified within NASH_GAP (log Nash product); the
    enumerations are exact up to rounding."""
    return milp.NASH_GAP + 1e-9 if method == "milp" else 1e-9


def _check_against_reference(problem, utility: str, correlation: float, losses: str,
                             top: int, weighting: str = "capability") -> None:
    """Every method's answers equal the plain itertools enumeration of the documented
    formulas (tests/settle_helpers.py), and every package returned has the gains and the
    score the formulas give it."""
    ref = reference_space(problem, utility, correlation, losses, weighting)
    zone = ref.zone()
    by_nash = sorted((ref.log_nash(ref.gains[r]) for r in zone), reverse=True)[:top]
    # over no party the smallest gain is +inf, which no search reports as a package
    best_min = max((v for r in zone if np.isfinite(v := ref.min_gain(ref.gains[r]))),
                   default=None)
    fewest = min((ref.changes(r) for r in zone), default=None)
    smallest = max((ref.log_nash(ref.gains[r]) for r in zone if ref.changes(r) == fewest),
                   default=None)
    table = build_table(problem, UtilitySettings(utility, correlation, losses), weighting)
    for method in METHODS:
        assert bool(zone_exists(table, method)[0]) == bool(zone), method
        assert zone_size(table, method)[0] == len(zone), method
        nash = best_packages(table, "nash", top, method=method)[0]
        np.testing.assert_allclose(nash.score, by_nash, atol=_nash_atol(method),
                                   err_msg=method)
        maxmin = best_packages(table, "maxmin", 1, method=method)[0]
        np.testing.assert_allclose(maxmin.score, [] if best_min is None else [best_min],
                                   atol=1e-9, err_msg=method)
        for found, score in ((nash, ref.log_nash), (maxmin, ref.min_gain)):
            for values, gains, claimed in zip(found.values, found.gains, found.score,
                                              strict=True):
                truth = reference_gains(problem, values, utility, correlation, losses)
                np.testing.assert_allclose(gains, truth, atol=1e-12, err_msg=method)
                assert ref.in_zone(truth)
                assert claimed == pytest.approx(score(truth), abs=1e-9)
        accord = smallest_accords(table, method)[0]
        assert accord.found == bool(zone), method
        np.testing.assert_allclose(accord.score, [] if smallest is None else [smallest],
                                   atol=_nash_atol(method), err_msg=method)
        moved = (np.abs(accord.values - np.array(ref.status_quo)) > 1e-12).sum(axis=1)
        assert moved.tolist() == ([] if fewest is None else [fewest]), method


@SETTINGS
@given(problem=random_problems(), utility=st.sampled_from(["linear", "quadratic"]),
       correlation=st.sampled_from([0.0, 0.6, 1.0]), top=st.integers(1, 4),
       losses=st.sampled_from(["discounted", "certain"]),
       weighting=st.sampled_from(["capability", "equal"]))
def test_every_method_equals_a_plain_enumeration(problem, utility, correlation, top,
                                                 losses, weighting) -> None:
    _check_against_reference(problem, utility, correlation, losses, top, weighting)


@pytest.mark.parametrize("losses", ["discounted", "certain"])
def test_korea_at_a_coarse_step_equals_a_plain_enumeration(losses) -> None:
    # step 50: 3 grid values + the status quo on 8 issues, at most 4^8 = 65 536 packages
    problem = SettlementProblem.from_scenario(detente.load("korea-2017"), step=50)
    _check_against_reference(problem, "quadratic", 0.0, losses, 5)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=random_problems(batch=7))
def test_batched_search_equals_one_scenario_at_a_time(problem) -> None:
    table = build_table(problem)
    exists = zone_exists(table, "bnb")
    sizes = zone_size(table, "bnb")
    best = best_packages(table, "nash", 2, method="bnb")
    for b in range(table.batch):
        one = table.subset(np.array([b]))
        assert exists[b] == brute_force(one)[0][0]
        assert sizes[b] == brute_force(one, count=True)[1][0]
        ref = best_packages(one, "nash", 2, method="brute")[0]
        np.testing.assert_allclose(_scores(best[b]), _scores(ref), atol=1e-8)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=random_problems(max_actors=4, max_issues=5, max_options=6))
def test_tiny_chunks_give_the_same_answers(problem) -> None:
    table = build_table(problem)
    original = search.CHUNK
    search.CHUNK = 8  # forces the frontier to be split and pushed back many times
    try:
        size = zone_size(table, "bnb")[0]
        scores = _scores(best_packages(table, "nash", 3, method="bnb")[0])
    finally:
        search.CHUNK = original
    assert size == zone_size(table, "brute")[0]
    np.testing.assert_allclose(scores, _scores(best_packages(table, "nash", 3,
                                                             method="brute")[0]))


def test_pareto_filter() -> None:
    gains = np.array([[1.0, 1.0], [2.0, 0.5], [0.5, 0.5], [1.0, 1.0]])
    must = np.array([True, True])
    assert search.pareto_efficient(gains, must).tolist() == [True, True, False, True]


# --- sizes past 2^63, and the search limit (issue 13, items 1 and 5) ---------------------

def _all_acceptable_table(n_issues: int, width: int) -> search.GainTable:
    """Two parties that gain from every slot of every issue: every package is in the zone."""
    shape = (1, n_issues, width)
    return search.GainTable(values=np.zeros(shape), valid=np.ones(shape, dtype=bool),
                            changed=np.ones(shape, dtype=bool),
                            gains=np.full((*shape, 2), 0.01),
                            must_agree=np.ones((1, 2), dtype=bool),
                            weights=np.full((1, 2), 0.5))


def test_space_size_is_exact_past_int64() -> None:
    # korea-2017 at step 0.4: ~251 values on each of 8 issues, 1.6e19 > 2^63 packages;
    # int64 wrapped to a negative size, and "auto" then chose brute force on it.
    problem = SettlementProblem.from_scenario(detente.load("korea-2017"), step=0.4)
    table = build_table(problem)
    expected = 1
    for k in range(problem.arrays.n_issues):
        expected *= int(table.valid[0, k].sum())
    assert expected > 2**63
    assert table.space_size[0] == expected
    assert search.chosen_method(table, "auto") == "milp"


def test_zone_size_is_exact_past_int64() -> None:
    table = _all_acceptable_table(n_issues=10, width=100)  # 10^20 packages, all acceptable
    assert zone_size(table, "bnb")[0] == 100**10
    assert table.space_size[0] == 100**10


def test_brute_force_refuses_past_the_limit_before_starting() -> None:
    table = _all_acceptable_table(n_issues=4, width=10)  # 10^4 packages
    with pytest.raises(search.SearchTooLarge, match=r"brute force would evaluate 10000 "
                       r"packages per scenario, past the limit of 9999 \(about"):
        brute_force(table, count=True, max_packages=9999)
    assert brute_force(table, count=True, max_packages=10_000)[1][0] == 10_000


def test_branch_and_bound_stops_at_the_limit() -> None:
    table = _all_acceptable_table(n_issues=6, width=10)
    with pytest.raises(search.SearchTooLarge, match="branch and bound stopped after"):
        best_packages(table, "nash", 50, method="bnb", max_packages=100)
    assert len(best_packages(table, "nash", 50, method="bnb")[0].score) == 50


def test_brute_force_streams_its_packages() -> None:
    # The slot list used to be built whole before the enumeration (5.7 GB at step 1).
    chunks = search._enumerate_slots(_all_acceptable_table(n_issues=3, width=10), 64)
    assert isinstance(chunks, Iterator)
    assert next(chunks).shape == (64, 3)
    assert sum(c.shape[0] for c in chunks) == 1000 - 64


@pytest.mark.parametrize("value", [0, -1, 2.5, True, float("nan"), float("inf"), "10",
                                   2**62 + 1])
def test_max_packages_must_be_a_whole_number(value) -> None:
    table = _all_acceptable_table(n_issues=2, width=3)
    with pytest.raises(OptionError, match="max-packages must be a whole number"):
        zone_exists(table, "brute", max_packages=value)


def test_huge_counts_are_formatted_without_floats() -> None:
    assert search.format_count(999_999) == "999999"
    assert search.format_count(1_000_000) == "1e+06"
    assert search.format_count(15_937_424_601_000_000_000) == "1.59e+19"
    assert search.format_count(9_996_000) == "1e+07"
    assert search.format_count(10**400) == "1e+400"  # float(10**400) overflows
