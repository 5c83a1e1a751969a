"""Verification, linked issues, package rules, walk-away points and guarantors' stakes
(issue 16): the search stays exact, and with no mechanisms nothing changes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.settlement.search import (
    best_packages,
    brute_force,
    build_table,
    zone_exists,
    zone_size,
)
from tests.settle_helpers import random_mechanisms_problems
from tests.test_settlement_search import _check_against_reference

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(problem=random_mechanisms_problems(), utility=st.sampled_from(["linear", "quadratic"]),
       correlation=st.sampled_from([0.0, 0.6]), top=st.integers(1, 3),
       losses=st.sampled_from(["discounted", "certain"]))
def test_every_method_equals_a_plain_enumeration_with_mechanisms(problem, utility,
                                                                 correlation, top,
                                                                 losses) -> None:
    _check_against_reference(problem, utility, correlation, losses, top)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=random_mechanisms_problems(batch=5))
def test_batched_search_with_mechanisms_equals_one_scenario_at_a_time(problem) -> None:
    table = build_table(problem)
    exists = zone_exists(table, "bnb")
    sizes = zone_size(table, "bnb")
    best = best_packages(table, "nash", 2, method="bnb")
    for b in range(table.batch):
        one = table.subset(np.array([b]))
        assert exists[b] == brute_force(one)[0][0]
        assert sizes[b] == brute_force(one, count=True)[1][0]
        ref = best_packages(one, "nash", 2, method="brute")[0]
        np.testing.assert_allclose(np.round(best[b].score, 9), np.round(ref.score, 9),
                                   atol=1e-8)


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__])
