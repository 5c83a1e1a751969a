"""The MILP search (detente.settlement.milp) equals the exact searches, and never returns a
package HiGHS did not prove optimal."""

from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import detente
from detente.scenario import Mechanisms
from detente.settlement import SettlementProblem, milp, search
from detente.settlement.search import (
    best_packages,
    brute_force,
    build_table,
    smallest_accords,
    zone_exists,
)
from tests.settle_helpers import check_milp_zone_ranges, random_problems, reference_space

GAP = milp.NASH_GAP + 1e-9


def _korea(step: float, plain: bool = False) -> search.GainTable:
    problem = SettlementProblem.from_scenario(detente.load("korea-2017"), step)
    if plain:  # without issue 16's verification, links, rules, walk-away points, stakes
        problem = problem.replace(mechanisms=Mechanisms())
    return build_table(problem)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=random_problems(batch=4))
def test_batched_milp_equals_brute_force_per_scenario(problem) -> None:
    table = build_table(problem)
    exists = zone_exists(table, "milp")
    nash = best_packages(table, "nash", 3, method="milp")
    maxmin = best_packages(table, "maxmin", 2, method="milp")
    for b in range(table.batch):
        one = table.subset(np.array([b]))
        assert exists[b] == brute_force(one)[0][0]
        ref_nash = best_packages(one, "nash", 3, method="brute")[0]
        np.testing.assert_allclose(nash[b].score, ref_nash.score, atol=GAP)
        ref_min = best_packages(one, "maxmin", 2, method="brute")[0]
        np.testing.assert_allclose(maxmin[b].score, ref_min.score, atol=1e-9)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=random_problems(max_actors=4, max_issues=4, max_options=6))
def test_top_k_by_no_good_cuts_lists_distinct_packages_of_the_zone(problem) -> None:
    table = build_table(problem)
    ref = reference_space(problem)
    zone = ref.zone()
    found = best_packages(table, "nash", 6, method="milp")[0]
    # as many as the zone holds, up to k, each once, each acceptable, best first
    assert found.score.size == min(6, len(zone))
    assert len({tuple(row) for row in found.slots.tolist()}) == found.score.size
    assert np.all(np.diff(found.score) <= 0)
    assert all(ref.in_zone(list(g)) for g in found.gains)
    expected = sorted((ref.log_nash(ref.gains[r]) for r in zone), reverse=True)[:6]
    np.testing.assert_allclose(found.score, expected, atol=GAP)


@pytest.mark.parametrize("step", [25, 10])
def test_korea_milp_equals_branch_and_bound(step) -> None:
    table = _korea(step)
    assert zone_exists(table, "milp")[0] == zone_exists(table, "bnb")[0]
    for objective, top, atol in (("nash", 5, GAP), ("maxmin", 3, 1e-12)):
        ours = best_packages(table, objective, top, method="milp")[0]
        theirs = best_packages(table, objective, top, method="bnb")[0]
        np.testing.assert_allclose(ours.score, theirs.score, atol=atol)
        assert ours.slots[0].tolist() == theirs.slots[0].tolist()
    ours, theirs = smallest_accords(table, "milp")[0], smallest_accords(table, "bnb")[0]
    assert ours.slots.tolist() == theirs.slots.tolist()
    np.testing.assert_allclose(ours.score, theirs.score, atol=GAP)


def test_korea_at_step_1_gives_a_package() -> None:
    # 1.1e16 packages: branch and bound is refused past 5e7 expansions (docs/settle.md).
    # The plain model, to stay cheap: with issue 16's pair terms the best Nash package at
    # step 1 takes ~10-30 s on the shared machine (factored pair columns, docs/settle.md;
    # benchmarks/settle.py --forms-only measures it), too long for a unit test.
    fine, coarse = _korea(1, plain=True), _korea(5, plain=True)
    assert search.chosen_method(fine, "auto") == "milp"
    best = best_packages(fine, "nash", 1, method="milp")[0]
    assert best.found
    assert np.all(best.gains[0][fine.must_agree[0]] > search.GAIN_TOLERANCE)
    # the step-1 grid contains the step-5 grid, so its best is at least as good
    step5 = best_packages(coarse, "nash", 1, method="bnb")[0]
    assert best.score[0] >= step5.score[0] - GAP
    maxmin = best_packages(fine, "maxmin", 1, method="milp")[0]
    assert maxmin.score[0] >= best_packages(coarse, "maxmin", 1, method="bnb")[0].score[0]


def test_a_time_limit_raises_instead_of_returning_a_package(monkeypatch) -> None:
    stopped = SimpleNamespace(status=1, x=None, fun=None, message="Time limit reached",
                              mip_dual_bound=None)
    monkeypatch.setattr(milp, "milp", lambda *args, **kwargs: stopped)
    with pytest.raises(milp.MilpFailed, match="without a proven optimum"):
        best_packages(_korea(25), "maxmin", 1, method="milp")
    with pytest.raises(milp.MilpFailed, match="Time limit"):
        zone_exists(_korea(25), "milp")


def test_an_undecided_zone_test_falls_back_to_branch_and_bound(monkeypatch) -> None:
    table = _korea(25)
    monkeypatch.setattr(milp, "zone_test", lambda *args, **kwargs: None)
    assert zone_exists(table, "milp")[0] == zone_exists(table, "bnb")[0]


def test_gap_not_closing_falls_back_to_branch_and_bound(monkeypatch) -> None:
    table = _korea(25)

    def never(*args, **kwargs):
        raise milp._NotClosed("forced")

    monkeypatch.setattr(milp, "best_nash", never)
    ours = best_packages(table, "nash", 2, method="milp")[0]
    theirs = best_packages(table, "nash", 2, method="bnb")[0]
    assert ours.slots.tolist() == theirs.slots.tolist()


def test_auto_keeps_brute_force_and_bnb_for_small_spaces() -> None:
    assert search.chosen_method(_korea(50), "auto") == "brute"
    assert search.chosen_method(_korea(25), "auto") == "bnb"
    assert search.chosen_method(_korea(10), "auto") == "milp"


def test_cli_json_is_not_corrupted_by_highs_output() -> None:
    # HiGHS prints a debug line to file descriptor 1: it must not reach the JSON
    done = subprocess.run([sys.executable, "-m", "detente", "settle", "--step", "25",
                           "--method", "milp", "--format", "json"],
                          capture_output=True, text=True, timeout=120, check=True)
    data = json.loads(done.stdout)
    assert "MILP" in json.dumps(data)


def test_auto_falls_back_to_the_milp_for_top_k_past_the_budget(monkeypatch) -> None:
    table = _korea(10)
    monkeypatch.setattr(search, "TOP_K_BUDGET", 10)  # branch and bound refused at once
    monkeypatch.setattr(search, "SMALLEST_BUDGET", 10)
    ours = best_packages(table, "nash", 3, method="auto")[0]
    theirs = best_packages(table, "nash", 3, method="bnb")[0]
    np.testing.assert_allclose(ours.score, theirs.score, atol=GAP)
    accord = smallest_accords(table, "auto")[0]
    assert accord.slots.tolist() == smallest_accords(table, "bnb")[0].slots.tolist()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=random_problems(max_actors=4, max_issues=4, max_options=5))
def test_zone_ranges_equal_the_itertools_reference(problem: SettlementProblem) -> None:
    check_milp_zone_ranges(problem, build_table(problem), reference_space(problem))


def test_korea_zone_ranges_hold_the_best_package() -> None:
    table = _korea(25)
    ranges = milp.zone_ranges(table)[0]
    assert ranges is not None
    best = best_packages(table, "nash", 1, method="bnb")[0]
    assert np.all(ranges.low <= best.values[0]) and np.all(best.values[0] <= ranges.high)
    # brute force over the 5^8 space gives the same ranges
    widths = table.valid[0].sum(axis=1)
    assert int(np.prod(widths)) <= 2_000_000
    _, _, top = brute_force(table, "maxmin", top=int(np.prod(widths)))
    assert top is not None
    zone = top.result(table, 0)
    np.testing.assert_array_equal(ranges.low, zone.values.min(axis=0))
    np.testing.assert_array_equal(ranges.high, zone.values.max(axis=0))


def test_max_min_is_not_capped_below_what_pair_terms_add() -> None:
    # Four issues of two slots: slot 1 gives every party 1 per issue and 1 per pair of
    # issues both at slot 1 (six pairs), so all four at slot 1 give 4 + 6 = 10 and three
    # give 3 + 3 = 6. The smallest-gain variable z was capped at (largest entry) × issues
    # + 1 = 5, which ignores the pair terms: every package scoring ≥ 5 then tied at z = 5
    # and HiGHS could return the one scoring 6.
    n_issues, n_slots, n_actors = 4, 2, 2
    raw = np.zeros((n_issues, n_slots, n_actors))
    raw[:, 1, :] = 1.0
    both = np.zeros((n_slots, n_slots, n_actors))
    both[1, 1, :] = 1.0
    pairs = [(i, j, both, np.ones((n_slots, n_slots), dtype=bool))
             for i in range(n_issues) for j in range(i + 1, n_issues)]
    changed = np.zeros((n_issues, n_slots), dtype=bool)
    changed[:, 1] = True
    m = milp.model(raw, np.ones((n_issues, n_slots), dtype=bool), changed,
                   np.ones(n_actors, dtype=bool), np.full(n_actors, 0.5), pairs)
    assert m is not None
    found = milp.max_min(m, 2)
    assert found.slots[0].tolist() == [1, 1, 1, 1]
    assert found.score.tolist() == [10.0, 6.0]  # the second: any three issues at slot 1


def test_settles_pareto_list_past_the_budget_is_the_milps_best_alone(monkeypatch) -> None:
    # The third fallback of branch and bound first (bnb_within_budget): the MILP would list
    # the 50 best by Nash one no-good cut at a time, so settle's Pareto list is its best
    # package alone (exact, only shorter), and says it searched 1.
    from detente.settlement import api, zone

    searched = detente.settle("korea-2017", zones=False, persuasion=False).baseline
    for module in (api, zone):  # wherever the list's budget is read
        monkeypatch.setattr(module, "TOP_K_BUDGET", 1, raising=False)
    alone = detente.settle("korea-2017", zones=False, persuasion=False).baseline
    assert searched.pareto_searched == 50 and alone.pareto_searched == 1
    assert alone.best is not None and searched.best is not None
    assert alone.pareto == (alone.best,)
    assert alone.best.nash == pytest.approx(searched.best.nash, rel=GAP)
