"""The exact search equals brute force: branch and bound against enumeration."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.settlement import search
from detente.settlement.search import (
    best_packages,
    brute_force,
    build_table,
    smallest_accords,
    zone_exists,
    zone_size,
)
from detente.settlement.utility import UtilitySettings
from tests.settle_helpers import random_problems

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _scores(best) -> np.ndarray:
    return np.round(best.score, 9)


@SETTINGS
@given(problem=random_problems(), utility=st.sampled_from(["linear", "quadratic"]),
       correlation=st.sampled_from([0.0, 0.6]), top=st.integers(1, 4),
       losses=st.sampled_from(["discounted", "certain"]))
def test_branch_and_bound_equals_brute_force(problem, utility, correlation, top,
                                             losses) -> None:
    table = build_table(problem, UtilitySettings(utility, correlation, losses))
    assert zone_exists(table, "bnb")[0] == zone_exists(table, "brute")[0]
    assert zone_size(table, "bnb")[0] == zone_size(table, "brute")[0]
    for objective in ("nash", "maxmin"):
        fast = best_packages(table, objective, top, method="bnb")[0]
        slow = best_packages(table, objective, top, method="brute")[0]
        np.testing.assert_allclose(_scores(fast), _scores(slow), atol=1e-8)
        # the packages found really have the scores claimed
        gains = table.package_gains(0, fast.slots)
        np.testing.assert_allclose(gains, fast.gains)
    fast = smallest_accords(table, "bnb")[0]
    slow = smallest_accords(table, "brute")[0]
    assert fast.found == slow.found
    if fast.found:
        assert table.changed[0, np.arange(table.n_issues), fast.slots[0]].sum() == \
            table.changed[0, np.arange(table.n_issues), slow.slots[0]].sum()
        np.testing.assert_allclose(fast.score, slow.score, atol=1e-8)


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
