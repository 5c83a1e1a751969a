"""The fast BDM path (prefix sums over sorted positions, issue 15 item 3) against the blocked
voter-by-voter path it replaces, on random rows with many ties, to 1e-9 (the risk-adjusted P
of step 2 to its own rounding: see test_fast_round_equals_blocked_round).

Positions come from grids whose midpoints are exact (eighths: a third actor sits exactly on
the midpoint of two others) and from the 1/20 grid (midpoints one rounding off an actor), mixed
with free floats; some actors have no stance, some weigh nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from detente.models import bdm as bdm_module
from detente.models.bdm import (
    CHOICES,
    FAST_MIN_ACTORS,
    Bdm,
    Rows,
    _uses_fast_path,
    play_round,
    probability_of_success,
    simulate,
)
from detente.scenario import load
from tests import bdm_reference
from tests.shared_data import require_shared
from tests.strategies import arrays_strategy
from tests.test_bdm import EMISSIONS

HERE = Path(__file__).resolve().parent

POSITIONS = st.one_of(st.integers(0, 8).map(lambda k: k / 8),
                      st.integers(0, 20).map(lambda k: k / 20),
                      st.floats(0.0, 1.0, allow_subnormal=False))


@st.composite
def rows_strategy(draw: st.DrawFn, max_actors: int = 9) -> tuple[np.ndarray, Rows]:
    """A few rows of one round: positions ``[N, A]`` and weights, saliences, stakes."""
    n_rows = draw(st.integers(1, 3))
    n_actors = draw(st.integers(2, max_actors))
    size = n_rows * n_actors
    x = np.array(draw(st.lists(POSITIONS, min_size=size, max_size=size))).reshape(n_rows, -1)
    salience = np.array(draw(st.lists(st.sampled_from([0.0, 0.3, 1.0]) | st.floats(0.05, 1.0),
                                      min_size=size, max_size=size))).reshape(n_rows, -1)
    capability = np.array(draw(st.lists(st.floats(0.5, 100.0), min_size=size,
                                        max_size=size))).reshape(n_rows, -1)
    present = np.array(draw(st.lists(st.booleans() | st.just(True), min_size=size,
                                     max_size=size))).reshape(n_rows, -1)
    rows = Rows(weight=np.where(present, capability * salience, 0.0),
                salience=np.where(present, salience, 0.0), present=present)
    return x, rows


OPTIONS = st.fixed_dictionaries({
    name: st.sampled_from(values) for name, values in CHOICES.items()
    if name not in ("forecast_point", "q_rule")
} | {"voter_risk": st.booleans(), "capitulation": st.booleans(),
     "q": st.sampled_from([1.0, 0.5, 0.0])})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=rows_strategy(), how=st.sampled_from(CHOICES["probability"]))
def test_fast_probability_equals_blocked(data: tuple[np.ndarray, Rows], how: str) -> None:
    x, rows = data
    delta = bdm_module.delta_of(x, x, rows, "dynamic")
    # Plain votes (voter_exp None): risk exponents, even all 1, take the power, whose bases
    # within the tie tolerance of 0 count as 0 (bdm._zero_below); prefix sums have none.
    fast = probability_of_success(x, rows, delta, None, how, fast=True)
    blocked = probability_of_success(x, rows, delta, None, how, fast=False)
    np.testing.assert_allclose(fast, blocked, rtol=0, atol=1e-9)


def test_a_voter_on_the_midpoint_alone_decides_like_the_blocked_path() -> None:
    """exclude-dyad with one voter exactly (0.5) or one rounding (0.1 between 0.05 and 0.15)
    from the midpoint: the blocked path's P comes from the sign of a vote of ~1e-17."""
    for positions in ([0.0, 0.5, 1.0], [0.05, 0.1, 0.15], [0.15, 0.1, 0.05, 0.1]):
        x = np.array([positions])
        rows = Rows(weight=np.ones_like(x), salience=np.ones_like(x),
                    present=np.ones_like(x, dtype=bool))
        delta = bdm_module.delta_of(x, x, rows, "dynamic")
        for how in CHOICES["probability"]:
            fast = probability_of_success(x, rows, delta, None, how, fast=True)
            blocked = probability_of_success(x, rows, delta, None, how, fast=False)
            np.testing.assert_allclose(fast, blocked, rtol=0, atol=1e-12)


# Found by a seed hunt: two actors 1e-12 apart (Δ = 0.25, so d = 4e-12), voter_risk on.
NEAR_TIE_X = np.array([[0.0, 0.0, 0.0, 0.25, 1e-12, 0.25, 0.0, 0.125, 0.0]])
NEAR_TIE_PRESENT = np.array([[True, True, False, True, True, True, True, True, False]])
NEAR_TIE_ROWS = Rows(weight=np.array([[0.0, 0.5, 0.0, 0.0, 0.0, 4.8, 0.0, 4.875, 0.0]]),
                     salience=np.array([[0.0, 0.5, 0.0, 0.0, 0.0, 0.3, 0.0, 1.0, 0.0]]),
                     present=NEAR_TIE_PRESENT)
NEAR_TIE_OPTIONS = {"probability": "pairwise", "conflict": "loser-moves", "compromise": "ratio",
                    "offer_choice": "max-proposer-eu", "median": "weighted",
                    "security": "column", "perspective": "own", "delta": "dynamic",
                    "t_rule": "distance", "voter_risk": True, "capitulation": False, "q": 0.0}

# A risk-adjusted vote w_k ((|x_k - x_j|/Δ)^{r_k} - (|x_k - x_i|/Δ)^{r_k}) is the difference of
# two powers in [0, 1], each good to about 2 ulps (the distance's rounding, the power's) plus
# what r_k's own few ulps move it (u |ln u| <= 1/e), so a vote is off by some eps w_k however
# small it is: 8 eps w_k on each of the two paths, with a factor 2 to spare.
VOTE_ROUNDING = 32 * np.finfo(float).eps


def risk_adjusted_p_rounding(x: np.ndarray, rows: Rows, played: bdm_module.RoundResult,
                             how: str) -> np.ndarray:
    """How far rounding may move the risk-adjusted P of each pair, ``[N, i, j]``.

    P = numerator / denominator, sums of votes each off by VOTE_ROUNDING Σ_k w_k per pair
    summed, so P is off by (1 + P x pairs in the denominator) VOTE_ROUNDING Σ_k w_k /
    denominator: one pair's Σ_k |v_k|, or every pair's for ``global``. inf where every vote
    is 0 (P is 0/0 there)."""
    _, denominator, _ = bdm_module._vote_sums_blocked(x, rows, played.delta, played.risk, how)
    summed: int | np.ndarray = 1
    if how == "global":
        summed = np.sum(rows.pair, axis=(1, 2))[:, None, None]
        denominator = np.broadcast_to(
            np.sum(denominator * rows.pair, axis=(1, 2))[:, None, None], denominator.shape)
    error = (VOTE_ROUNDING * np.sum(rows.weight, axis=1)[:, None, None]
             * (1 + summed * played.probability))
    return np.divide(error, denominator, out=np.full(error.shape, np.inf),
                     where=denominator > 0)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=rows_strategy(), options=OPTIONS, preset=st.sampled_from(["printed",
                                                                      "scholz-reference"]))
@example(data=(NEAR_TIE_X, NEAR_TIE_ROWS), options=NEAR_TIE_OPTIONS, preset="printed")
def test_fast_round_equals_blocked_round(data: tuple[np.ndarray, Rows], options: dict,
                                         preset: str) -> None:
    """Every output of a round to 1e-9, but P under ``voter_risk`` (A9).

    There step 2's P is summed voter by voter on both paths, with the risk exponents r of
    step 1, which the two paths reach by different sums and so only to a few ulps. A vote is
    a difference of two powers in [0, 1] and keeps an absolute error of a few eps w_k
    (VOTE_ROUNDING) however small it is, so where a pair's votes nearly cancel (its
    positions a little over the tie tolerance apart; 1e-12 apart, the example, moved P by
    3.6e-9 before such bases counted as 0) one ulp of r moves P far on either path alone:
    P is ill-conditioned there, and neither path's P is better than the other's. P is
    promised to 1e-9 plus that rounding (:func:`risk_adjusted_p_rounding`). It weighs in the
    EU times U_s - U_f, which vanishes with the same distance, so the EUs, offers and choices
    keep 1e-9 and exact equality."""
    x, rows = data
    opts = Bdm(preset=preset, **options).options
    assert _uses_fast_path(opts)
    x0 = np.clip(x + 0.25 * (x[:, ::-1] - x), 0.0, 1.0)  # a wider or narrower start
    fast = play_round(x, x0, None, rows, opts, method="fast")
    blocked = play_round(x, x0, None, rows, opts, method="blocked")
    for name in ("security", "risk", "eu_own", "eu_other", "offer", "new_position"):
        np.testing.assert_allclose(getattr(fast, name), getattr(blocked, name), rtol=0,
                                   atol=1e-9, err_msg=name)
    np.testing.assert_array_equal(fast.relation, blocked.relation)
    np.testing.assert_array_equal(fast.chosen, blocked.chosen)
    tolerance = 1e-9
    if opts.voter_risk:
        tolerance += risk_adjusted_p_rounding(x, rows, blocked, opts.probability)
    off = np.abs(fast.probability - blocked.probability)
    assert np.all(off <= tolerance), f"P off by {off.max()} where {tolerance} is promised"


def test_a_risk_adjusted_p_of_positions_equal_up_to_the_tie_tolerance_is_steady() -> None:
    """The example above: actors 4 and 0 sit 1e-12 apart (d = 4e-12 = TIE/Δ), equal up to
    the tie tolerance. Before the bases of powers within TIE/Δ of 0 counted as 0
    (bdm._zero_below), a vote there was ((4e-12)^{r_k}) of noise, the paths' P differed
    by 3.6e-9 (their risk exponents one ulp apart) and one ulp of r moved the blocked P as
    far. Now those votes are 0 exactly: the paths agree to rounding, and one ulp of r
    moves no P beyond it."""
    x, rows = NEAR_TIE_X, NEAR_TIE_ROWS
    opts = Bdm(**NEAR_TIE_OPTIONS).options
    fast = play_round(x, x, None, rows, opts, method="fast")
    blocked = play_round(x, x, None, rows, opts, method="blocked")
    np.testing.assert_allclose(fast.security, blocked.security, rtol=0, atol=4e-15)
    assert np.max(np.abs(fast.risk - blocked.risk) / np.spacing(blocked.risk)) <= 1
    np.testing.assert_array_equal(fast.new_position, blocked.new_position)
    np.testing.assert_array_equal(fast.chosen, blocked.chosen)
    eps = np.finfo(float).eps
    assert np.abs(fast.probability - blocked.probability).max() <= 4 * eps

    def blocked_p(risk: np.ndarray) -> np.ndarray:
        return probability_of_success(x, rows, blocked.delta, risk, "pairwise")

    assert np.array_equal(blocked_p(blocked.risk), blocked.probability)
    one_ulp = blocked.risk.copy()
    one_ulp[0, 7] = np.nextafter(one_ulp[0, 7], np.inf)
    assert np.abs(blocked_p(one_ulp) - blocked.probability).max() <= 4 * eps


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays=arrays_strategy(max_actors=8, max_issues=2), options=OPTIONS,
       preset=st.sampled_from(["printed", "scholz-reference"]), batch=st.integers(1, 3))
def test_fast_run_equals_blocked_run_and_batches(arrays, options: dict, preset: str,
                                                 batch: int) -> None:
    """Whole trajectories, fast against blocked; a batch gives each sample's own numbers."""
    opts = Bdm(preset=preset, max_rounds=6, **options).options
    fast = simulate(arrays, opts, method="fast")
    blocked = simulate(arrays, opts, method="blocked")
    np.testing.assert_allclose(fast.trajectory, blocked.trajectory, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(fast.rounds, blocked.rounds)
    rng = np.random.default_rng(batch)
    shift = rng.uniform(-0.2, 0.2, (batch, *arrays.position.shape))
    many = arrays.replace(position=np.clip(arrays.position + shift, 0.0, 1.0))
    together = simulate(many, opts, method="fast")
    for b in range(batch):
        alone = simulate(arrays.replace(position=many.position[b]), opts, method="fast")
        np.testing.assert_array_equal(together.trajectory[b], alone.trajectory)
        np.testing.assert_array_equal(together.forecast[b], alone.forecast)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays=arrays_strategy(max_actors=6, max_issues=2), options=OPTIONS,
       preset=st.sampled_from(["printed", "scholz-reference"]))
def test_fast_run_matches_reference_loops(arrays, options: dict, preset: str) -> None:
    opts = Bdm(preset=preset, max_rounds=5, stop_eps=0.0, **options).options
    result = simulate(arrays, opts, method="fast")
    for k in range(arrays.n_issues):
        weights = list(arrays.capability * arrays.salience[:, k])
        history, _ = bdm_reference.run(list(arrays.position[:, k]), weights,
                                             list(arrays.salience[:, k]), opts)
        np.testing.assert_allclose(result.trajectory[:, :, k], np.array(history), rtol=0,
                                   atol=1e-9)


@pytest.mark.parametrize("method", ["fast", "blocked"])
def test_golden_trajectory_on_both_paths(method: str) -> None:
    emissions = load(str(require_shared(EMISSIONS))).compile()
    golden = json.loads((HERE / "reference" / "bdm_scholz_emissions.json").read_text())
    opts = Bdm.preset(golden["preset"], max_rounds=10, stop_eps=0.0).options
    run = simulate(emissions, opts, method=method)
    np.testing.assert_allclose(emissions.to_units(run.details["median"])[:, 0],
                               golden["median"], atol=0.005 + 1e-9)
    np.testing.assert_allclose(emissions.to_units(run.details["mean"])[:, 0], golden["mean"],
                               atol=0.005 + 1e-9)
    other = simulate(emissions, opts, method="blocked" if method == "fast" else "fast")
    np.testing.assert_allclose(run.trajectory, other.trajectory, rtol=0, atol=1e-9)


def test_the_model_takes_the_fast_path_from_its_size_on(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    """At FAST_MIN_ACTORS actors with plain votes the voters x pairs tensor is never built."""
    n = FAST_MIN_ACTORS
    rng = np.random.default_rng(3)
    x = rng.integers(0, 11, (2, n)) / 10      # ties and exact midpoints
    rows = Rows(weight=rng.uniform(0.1, 5, (2, n)), salience=rng.uniform(0.1, 1, (2, n)),
                present=np.ones((2, n), dtype=bool))
    expected = play_round(x, x, None, rows, Bdm.Options(), method="blocked")

    def refuse(*args: object) -> None:
        raise AssertionError("blocked path taken")

    monkeypatch.setattr(bdm_module, "_vote_sums_blocked", refuse)
    got = play_round(x, x, None, rows, Bdm.Options())
    np.testing.assert_allclose(got.new_position, expected.new_position, rtol=0, atol=1e-9)
    with pytest.raises(AssertionError, match="blocked path taken"):
        play_round(x, x, None, rows, Bdm.Options(voter_risk=True))


def test_estimate_grows_as_the_square_on_the_fast_path() -> None:
    small, large = Bdm().estimate(1000, 1).working, Bdm().estimate(2000, 1).working
    assert 2 * small < large < 5 * small          # O(A²): about 4x for twice the actors


@settings(max_examples=300, deadline=None)
@given(data=rows_strategy(max_actors=14), zero_weights=st.booleans())
def test_row_median_equals_the_median_model_bit_for_bit(data: tuple[np.ndarray, Rows],
                                                         zero_weights: bool) -> None:
    from detente.models.bdm import weighted_median_rows
    from detente.models.median import weighted_median

    x, rows = data
    w = np.zeros_like(rows.weight) if zero_weights else rows.weight
    with np.errstate(invalid="ignore"):  # all weights 0: both give NaN
        expected = weighted_median(x[:, :, None], w[:, :, None])[:, 0]
        np.testing.assert_array_equal(weighted_median_rows(x, w), expected)
