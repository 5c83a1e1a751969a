"""The zone screen (detente.settlement.screen) gives the exact answer per scenario: the
same as brute force and branch and bound without screening, whichever stage decides."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import detente
from detente.arrays import Arrays
from detente.settlement import SettlementProblem, build_table
from detente.settlement.screen import (
    BOUND,
    EXACT,
    INCUMBENT,
    STAGES,
    ZoneScreen,
    _ascend,
    best_party_gains,
    exact_gains,
    screen_candidates,
    screened_zone_exists,
)
from detente.settlement.search import GainTable, brute_force, zone_exists
from detente.settlement.utility import GAIN_TOLERANCE
from detente.uncertainty import SampleResult, input_space
from detente.uncertainty.engine import draw_rows
from detente.uncertainty.inputs import DEFAULT_NOISE
from detente.variation import Variation
from tests.settle_helpers import (
    TOLERANCE,
    random_mechanisms_problems,
    random_problems,
    reference_gains,
    reference_space,
)


def _accepted_by_reference(problem: SettlementProblem, table: GainTable, b: int,
                           slots: np.ndarray) -> bool:
    """Whether the itertools reference (no shared code) accepts scenario b's package."""
    one = problem.replace(arrays=_row(problem.arrays, b))
    values = [float(v) for v in table.decode(b, np.asarray(slots)[None])[0]]
    gains = reference_gains(one, values, "quadratic", 0.0, "discounted")
    return reference_space(one).in_zone(gains)


def _row(arrays: Arrays, b: int) -> Arrays:
    return arrays.replace(capability=arrays.capability[b], position=arrays.position[b],
                          salience=arrays.salience[b], status_quo=arrays.status_quo[b],
                          trust=arrays.trust[b])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=random_problems(batch=6), method=st.sampled_from(["auto", "brute", "bnb",
                                                                  "milp"]),
       effort=st.sampled_from([(0, 0), (3, 1), (60, 4)]))
def test_screened_zone_equals_unscreened_exact_search(problem: SettlementProblem, method: str,
                                                      effort: tuple[int, int]) -> None:
    table = build_table(problem)
    screen = screened_zone_exists(table, method, rounds=effort[0], sweeps=effort[1])
    expected = brute_force(table)[0]
    np.testing.assert_array_equal(screen.exists, expected)
    np.testing.assert_array_equal(screen.exists, zone_exists(table, "bnb"))
    assert sum(screen.counts().values()) == table.batch
    # a bound only ever proves emptiness; a witness is an acceptable package, checked
    # against brute force's rule and the independent reference
    assert not screen.exists[screen.stage == BOUND].any()
    for b in np.nonzero(screen.stage == INCUMBENT)[0]:
        slots = screen.witness[b]
        assert table.valid[b, np.arange(table.n_issues), slots].all()
        gains = table.package_gains(int(b), slots[None])[0]
        assert np.all((gains > GAIN_TOLERANCE) | ~table.must_agree[b])
    assert (screen.witness[screen.stage != INCUMBENT] == -1).all()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=random_problems(batch=3, max_actors=4, max_issues=4))
def test_witness_is_acceptable_to_the_itertools_reference(problem: SettlementProblem) -> None:
    table = build_table(problem)
    screen = screened_zone_exists(table)
    for b in np.nonzero(screen.stage == INCUMBENT)[0]:
        assert _accepted_by_reference(problem, table, int(b), screen.witness[b])


def test_best_party_gain_bounds_every_package() -> None:
    # Monotone rounding: no package's brute-force sum exceeds the sum of per-issue maxima.
    rng = np.random.default_rng(3)
    s = detente.load("korea-2017")
    table = build_table(SettlementProblem.from_scenario(s, 50.0))
    best = best_party_gains(table)
    slots = np.stack([rng.integers(0, table.valid.shape[2], 2000) for _ in
                      range(table.n_issues)], axis=1)
    ok = table.valid[0, np.arange(table.n_issues), slots].all(axis=1)
    gains = table.package_gains(0, slots[ok])
    assert ok.any() and (gains <= best[0]).all()


def _korea_batch(n: int, step: float, variation: Variation | None) -> GainTable:
    s = detente.load("korea-2017")
    space = input_space(s, DEFAULT_NOISE)
    arrays = space.assemble(draw_rows(space, 11, 0, n))
    problem = SettlementProblem.from_scenario(s, step)
    if variation is not None:
        arrays, problem = variation.apply(arrays), variation.apply_problem(problem)
    return build_table(problem.replace(arrays=arrays))


KOREA_VARIATIONS = {
    "baseline": None,
    "without RU and CN": Variation(without=("RU", "CN")),
    "KP trusts no guarantor": Variation(trust=(("KP", "RU", 0.0), ("KP", "CN", 0.0),
                                               ("KP", "US", 0.0))),
}


@pytest.fixture(scope="module")
def korea_screens() -> dict[str, tuple[GainTable, ZoneScreen]]:
    out = {}
    for name, variation in KOREA_VARIATIONS.items():
        table = _korea_batch(96, 10.0, variation)
        out[name] = (table, screened_zone_exists(table))
    return out


@pytest.mark.parametrize("name", list(KOREA_VARIATIONS))
def test_korea_screened_equals_branch_and_bound_per_sample(
        korea_screens: dict[str, tuple[GainTable, ZoneScreen]], name: str) -> None:
    table, screen = korea_screens[name]
    np.testing.assert_array_equal(screen.exists, zone_exists(table, "bnb"))
    # the exact stage alone (screen starved) gives the same answers
    starved = screened_zone_exists(table, rounds=0, sweeps=0)
    np.testing.assert_array_equal(starved.exists, screen.exists)
    assert starved.counts()["exact"] >= screen.counts()["exact"]


def test_korea_exact_stage_past_the_milp_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    # Step 5 without RU and CN: spaces past MILP_LIMIT, many nearly-empty zones left to
    # the exact stage (branch and bound within a budget, else one MILP each).
    from detente.settlement import milp, screen
    from detente.settlement.search import MILP_LIMIT, branch_and_bound

    table = _korea_batch(48, 5.0, KOREA_VARIATIONS["without RU and CN"])
    assert int(table.space_size.min()) > MILP_LIMIT
    # without the coordinate ascent (sweeps=0), so that samples are left to that stage:
    # with it the screen decides all 48
    normal = screened_zone_exists(table, sweeps=0)
    rest = np.nonzero(normal.stage == EXACT)[0]
    assert rest.size > 0
    unbudgeted = branch_and_bound(table.subset(rest), stop_at_first=True)[0]
    np.testing.assert_array_equal(normal.exists[rest], unbudgeted)

    calls = []
    real = milp.zone_exists

    def counted(*args: Any, **kwargs: Any) -> np.ndarray:
        calls.append(args[0].batch)
        return real(*args, **kwargs)

    monkeypatch.setattr(milp, "zone_exists", counted)
    monkeypatch.setattr(screen, "EXACT_BUDGET", 1)  # every group exhausts it at once
    forced = screened_zone_exists(table, sweeps=0)
    assert sum(calls) == rest.size  # every undecided sample went to a MILP
    np.testing.assert_array_equal(forced.exists, normal.exists)
    # A MILP's proof of a non-empty zone is kept as the sample's witness (the per-issue
    # zones' group tests take every value it holds): an acceptable package, exactly.
    proven = np.nonzero((forced.stage == EXACT) & (forced.witness[:, 0] >= 0))[0]
    assert proven.size > 0
    assert forced.exists[proven].all() and (forced.witness[~forced.exists] == -1).all()
    for b in proven:
        gains, ok = exact_gains(table, forced.witness[b][None], np.array([b]))
        assert ok[0] and np.all((gains[0] > GAIN_TOLERANCE) | ~table.must_agree[b])


def test_korea_cases_exercise_every_stage(
        korea_screens: dict[str, tuple[GainTable, ZoneScreen]]) -> None:
    # so that the comparison above covers each way a sample can be decided
    total = {stage: sum(s.counts()[stage] for _, s in korea_screens.values())
             for stage in STAGES}
    assert all(n > 0 for n in total.values()), total


def test_korea_sample_reports_how_each_stage_decided() -> None:
    result = detente.sample("korea-2017", model="settle", samples=64, rng=5,
                            options={"step": 10.0}, workers=1,
                            variation=Variation(without=("RU", "CN")))
    stages = result.settlement.zone_stages
    assert set(stages) == set(STAGES) and sum(stages.values()) == 64
    table = _korea_sample_table(result)
    np.testing.assert_array_equal(result.outputs["zone"], zone_exists(table, "bnb"))
    assert result.outputs["zone_stage"].max() <= EXACT


def _korea_sample_table(result: SampleResult) -> GainTable:
    variation = Variation(without=("RU", "CN"))
    space = result.space
    arrays = variation.apply(space.assemble(draw_rows(space, result.seed, 0, result.samples)))
    problem = variation.apply_problem(SettlementProblem.from_scenario(result.scenario, 10.0))
    return build_table(problem.replace(arrays=arrays))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=random_problems(batch=4), seed=st.integers(0, 2**16))
def test_milp_zone_test_bounded_by_a_known_package_stays_exact(problem: SettlementProblem,
                                                                seed: int) -> None:
    # The exact stage starts each MILP's bound at the incumbent's smallest gain: any
    # package's smallest gain is a valid floor, and the answer must not change.
    from detente.settlement import milp

    table = build_table(problem)
    rng = np.random.default_rng(seed)
    floor = np.full(table.batch, -np.inf)
    for b in range(table.batch):
        slots = [int(rng.choice(np.nonzero(table.valid[b, k])[0]))
                 if table.valid[b, k].any() else 0 for k in range(table.n_issues)]
        if table.valid[b, np.arange(table.n_issues), slots].all():
            gains = table.package_gains(b, np.array(slots)[None])[0]
            floor[b] = np.min(np.where(table.must_agree[b], gains, np.inf))
    floor = np.where(np.isfinite(floor), floor, -np.inf)  # no party: no floor
    np.testing.assert_array_equal(milp.zone_exists(table, floor), brute_force(table)[0])


# --- with mechanisms: pair terms, rules, the walk-away offset (issue 16) ----------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=random_mechanisms_problems(batch=3, max_actors=4, max_issues=4),
       effort=st.sampled_from([(0, 4), (3, 1), (60, 4)]))
def test_screen_with_mechanisms_equals_the_itertools_reference(
        problem: SettlementProblem, effort: tuple[int, int]) -> None:
    # (0, 4): no weighted-sum rounds, so that the coordinate ascent alone (from the first
    # valid slots) must find what the screen accepts.
    table = build_table(problem)
    screen = screened_zone_exists(table, rounds=effort[0], sweeps=effort[1])
    for b in range(table.batch):
        one = problem.replace(arrays=_row(problem.arrays, b))
        ref = reference_space(one)
        assert bool(screen.exists[b]) == bool(ref.zone()), b
        if screen.stage[b] == BOUND:
            assert not ref.zone()
        if screen.stage[b] == INCUMBENT:
            values = [float(v) for v in table.decode(b, screen.witness[b][None])[0]]
            assert values in [list(p) for p in ref.packages]  # keeps every rule
            assert ref.in_zone(reference_gains(one, values, "quadratic", 0.0, "discounted"))
    assert (screen.witness[screen.stage != INCUMBENT] == -1).all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=random_mechanisms_problems(batch=2, max_actors=4, max_issues=4),
       seed=st.integers(0, 2**16))
def test_ascent_with_pair_terms_reports_the_exact_smallest_gain(problem: SettlementProblem,
                                                                seed: int) -> None:
    # From random starts (rules broken or not): each package the ascent returns is scored
    # by brute force's sum, and -inf exactly where it breaks a rule or takes a missing slot.
    table = build_table(problem)
    rng = np.random.default_rng(seed)
    rows = np.repeat(np.arange(table.batch), 4)
    starts = rng.integers(0, table.valid.shape[2], (rows.size, table.n_issues))
    pick, small = _ascend(table, rows, starts, 3)
    for b, slots, score in zip(rows, pick, small, strict=True):
        keeps = (table.valid[b, np.arange(table.n_issues), slots].all()
                 and all(p.allowed[b, slots[p.i], slots[p.j]] for p in table.pairs))
        if not keeps:
            assert score == -np.inf
            continue
        gains = table.package_gains(int(b), slots[None])[0]
        assert score == np.min(np.where(table.must_agree[b], gains, np.inf))


#: Draws of the zone benchmark (benchmarks/table.py, row ``zone``: korea-2017, step 5,
#: seed 1) that the screen left to the exact search while its coordinate ascent was
#: skipped wherever pair terms exist (korea-2017's verification and links): every one
#: has a package every party gains from.
ESCAPED = (40, 429, 441, 812, 853, 937, 1016, 1021)


def test_korea_draws_with_pair_terms_are_decided_by_a_verified_package() -> None:
    s = detente.load("korea-2017")
    space = input_space(s, DEFAULT_NOISE)
    arrays = space.assemble(np.concatenate([draw_rows(space, 1, r, r + 1) for r in ESCAPED]))
    problem = SettlementProblem.from_scenario(s, 5.0).replace(arrays=arrays)
    table = build_table(problem)
    assert table.pairs and table.has_rules and table.offset is not None
    empty, found, slots = screen_candidates(table)
    assert found.all() and not empty.any()
    gains, keeps = exact_gains(table, slots)
    assert keeps.all()
    for b in range(table.batch):
        one = problem.replace(arrays=_row(arrays, b))
        values = [float(v) for v in table.decode(b, slots[b][None])[0]]
        truth = reference_gains(one, values, "quadratic", 0.0, "discounted")
        np.testing.assert_allclose(gains[b], truth, atol=1e-12)
        parties = np.nonzero(table.must_agree[b])[0]
        assert parties.size and all(truth[a] > TOLERANCE for a in parties)
