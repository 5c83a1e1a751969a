"""The exact search equals brute force: branch and bound against enumeration."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import detente
from detente.errors import OptionError
from detente.settlement import SettlementProblem, search
from detente.settlement.search import (
    best_packages,
    brute_force,
    build_table,
    zone_exists,
    zone_size,
)
from tests.settle_helpers import (
    SEARCH_SETTINGS,
    check_against_reference,
    check_batched_equals_one_at_a_time,
    random_problems,
    rounded_scores,
)


@SEARCH_SETTINGS
@given(problem=random_problems(), utility=st.sampled_from(["linear", "quadratic"]),
       correlation=st.sampled_from([0.0, 0.6, 1.0]), top=st.integers(1, 4),
       losses=st.sampled_from(["discounted", "certain"]),
       weighting=st.sampled_from(["capability", "equal"]))
def test_every_method_equals_a_plain_enumeration(problem, utility, correlation, top,
                                                 losses, weighting) -> None:
    check_against_reference(problem, utility, correlation, losses, top, weighting)


@pytest.mark.parametrize("losses", ["discounted", "certain"])
def test_korea_at_a_coarse_step_equals_a_plain_enumeration(losses) -> None:
    # step 100: both ends of the scale + the status quo on 8 issues, at most 3^8 = 6 561
    # packages (the plain enumeration is pure Python; every mechanism of korea-2017 is in)
    problem = SettlementProblem.from_scenario(detente.load("korea-2017"), step=100)
    check_against_reference(problem, "quadratic", 0.0, losses, 5)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=random_problems(batch=7))
def test_batched_search_equals_one_scenario_at_a_time(problem) -> None:
    check_batched_equals_one_at_a_time(problem)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=random_problems(max_actors=4, max_issues=5, max_options=6))
def test_tiny_chunks_give_the_same_answers(problem) -> None:
    table = build_table(problem)
    original = search.CHUNK
    search.CHUNK = 8  # forces the frontier to be split and pushed back many times
    try:
        size = zone_size(table, "bnb")[0]
        scores = rounded_scores(best_packages(table, "nash", 3, method="bnb")[0])
    finally:
        search.CHUNK = original
    assert size == zone_size(table, "brute")[0]
    brute = best_packages(table, "nash", 3, method="brute")[0]
    np.testing.assert_allclose(scores, rounded_scores(brute))


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


@pytest.mark.parametrize("objective", ["nash", "maxmin"])
def test_an_issue_no_party_cares_about_stays_at_the_status_quo(objective) -> None:
    # Only JP, which holds no veto here, cares about ALL, NORM and LINK: the objective is
    # the same wherever they lie. The MILP put them at 100 and branch and bound at the
    # status quo (20, 20, 55), the same gains.
    from detente.scenario import scenario_from_mapping

    mapping = detente.load("korea-2017").to_dict()
    for actor in mapping["actors"]:
        actor["veto"] = actor["id"] != "JP"
    for actor, row in mapping["stances"].items():
        if actor != "JP":
            for issue in ("ALL", "NORM", "LINK"):
                row.pop(issue, None)
    problem = SettlementProblem.from_scenario(scenario_from_mapping(mapping, "<t>"), "10%")
    table = build_table(problem)
    found = {}
    for method in ("milp", "bnb"):
        (best,) = best_packages(table, objective, 1, method=method)
        found[method] = dict(zip(problem.issue_ids,
                                 np.round(problem.arrays.to_units(best.values[0]), 9),
                                 strict=True))
        assert [found[method][i] for i in ("ALL", "NORM", "LINK")] == [20, 20, 55], method
    assert found["milp"] == found["bnb"]


def _indifferent_problem(step: str, rule: dict, tied: bool = False) -> SettlementProblem:
    """Vetoes A and B care about X and Y only; C, no veto, about Z (and W) only."""
    from detente.scenario import scenario_from_mapping

    issues = ["X", "Y", "Z", *(["W"] if tied else [])]
    mapping = {
        "id": "lr", "title": "least moved", "description": "t", "sources": ["invented"],
        "issues": [{"id": i, "name": i, "scale": {"low": 0, "high": 100},
                    "status_quo": 0 if i in "XY" else 50} for i in issues],
        "actors": [{"id": "A", "name": "A", "capability": 50},
                   {"id": "B", "name": "B", "capability": 50},
                   {"id": "C", "name": "C", "capability": 30, "veto": False}],
        "stances": {"A": {"X": {"position": 100, "salience": 0.8},
                          "Y": {"position": 20, "salience": 0.5}},
                    "B": {"X": {"position": 20, "salience": 0.5},
                          "Y": {"position": 100, "salience": 0.8}},
                    "C": {i: {"position": 0 if i == "Z" else 100, "salience": 0.9}
                          for i in issues[2:]}},
        "rules": [rule],
    }
    return SettlementProblem.from_scenario(scenario_from_mapping(mapping, "<t>"), step)


@pytest.mark.parametrize("method", ["brute", "bnb", "milp"])
def test_settles_best_nash_package_is_the_least_moved_one(method) -> None:
    # X >= 55 forces Z (no party cares) to 20 or below. Settle's best Nash package is the
    # first of its top-50 list, which least_moved never saw: it read Z 0 while the max-min
    # package, the room and best_packages(top=1) read Z 20.
    from detente.settlement.api import analyse

    problem = _indifferent_problem("10%", {"when": {"issue": "X", "at_least": 55},
                                           "then": {"issue": "Z", "at_most": 20}})
    table = build_table(problem)
    (one,) = best_packages(table, "nash", 1, method=method)
    assert problem.arrays.to_units(one.values[0])[2] == pytest.approx(20)
    (listed,) = best_packages(table, "nash", 50, method=method)
    np.testing.assert_array_equal(listed.slots[0], one.slots[0])
    assert len(np.unique(listed.slots, axis=0)) == len(listed.slots)  # no row merged
    for zones in (False, True):
        outcome = analyse(problem, method=method, zones=zones)
        assert outcome.best is not None and outcome.max_min is not None
        assert outcome.best.values["Z"] == 20, (method, zones)
        assert outcome.max_min.values["Z"] == 20
        assert outcome.pareto[0] == outcome.best


def test_a_least_moved_list_keeps_its_distinct_packages() -> None:
    # The best package's least-moved form already further down the list trades places with
    # it: the list holds the same packages, the least-moved one first.
    problem = _indifferent_problem("10%", {"when": {"issue": "X", "at_least": 55},
                                           "then": {"issue": "Z", "at_most": 20}})
    table = build_table(problem)
    brute = search.brute_force(table, "nash", 400)[2]
    assert brute is not None
    searched = brute.result(table, 0)
    (listed,) = best_packages(table, "nash", 400, method="brute")
    assert problem.arrays.to_units(searched.values[0])[2] == pytest.approx(0)
    assert problem.arrays.to_units(listed.values[0])[2] == pytest.approx(20)
    rows = [tuple(r) for r in listed.slots.tolist()]
    assert sorted(rows) == sorted(tuple(r) for r in searched.slots.tolist())
    assert rows.index(tuple(searched.slots[0].tolist())) > 0


def test_the_least_moved_values_need_no_enumeration_at_a_fine_step() -> None:
    # Z and W, which no party cares about, are tied by a rule the status quo (50, 50)
    # breaks; at step 0.1 they have 1001² values together, past LEAST_MOVED_LIMIT, and the
    # rule was dropped: each method kept its own values. The rules tell apart only values
    # on either side of their bounds: Z 44.9 (one issue, the least distance).
    problem = _indifferent_problem("0.1%", {"when": {"issue": "Z", "at_least": 45},
                                            "then": {"issue": "W", "at_most": 40}}, tied=True)
    table = build_table(problem)
    for method in ("bnb", "milp"):
        (best,) = best_packages(table, "maxmin", 1, method=method)
        np.testing.assert_allclose(problem.arrays.to_units(best.values[0])[2:], [44.9, 50],
                                   err_msg=method)


@pytest.mark.parametrize("rule,tied", [
    ({"when": {"issue": "X", "at_least": 55}, "then": {"issue": "Z", "at_most": 20}}, False),
    ({"when": {"issue": "Z", "at_least": 45}, "then": {"issue": "W", "at_most": 40}}, True),
    ({"when": {"issue": "W", "at_most": 60}, "then": {"issue": "Z", "at_least": 75}}, True),
])
def test_past_the_limit_the_least_moved_values_are_the_same(monkeypatch, rule, tied) -> None:
    # Past LEAST_MOVED_LIMIT combinations the rule was dropped and each method kept its
    # own values (Z 0 here where the rule asks Z 20); a walk now finds the listed values.
    problem = _indifferent_problem("10%", rule, tied)
    table = build_table(problem)
    listed = {m: best_packages(table, "nash", 1, method=m)[0].slots[0]
              for m in ("bnb", "milp")}
    np.testing.assert_array_equal(listed["bnb"], listed["milp"])
    monkeypatch.setattr(search, "LEAST_MOVED_LIMIT", 0)
    for method in ("bnb", "milp"):
        (walked,) = best_packages(table, "nash", 1, method=method)
        np.testing.assert_array_equal(walked.slots[0], listed[method], err_msg=method)
