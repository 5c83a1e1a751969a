"""Stepwise models batched for Monte Carlo (issue 15, items 4 and 6).

bdm and smp run a batch of scenarios as one array program: each round (turn) is played on
the rows still bargaining only, and a row that has stopped keeps its state. The batch must
give, bit for bit, what each of its scenarios gives alone, in whatever round each stops;
the work must shrink as rows stop; and memory stays bounded by chunks (smp: parts of a
batch, chunked O(N³) steps), again without changing a bit.
"""

from __future__ import annotations

import dataclasses
import tracemalloc
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings, target
from hypothesis import strategies as st

from detente.arrays import Arrays
from detente.models import bdm as bdm_module
from detente.models import get_model
from detente.models import smp as smp_module
from detente.models.base import ModelResult
from detente.scenario import load
from detente.uncertainty import engine
from detente.uncertainty.engine import (
    BLOCK,
    MAX_CHUNK,
    MODEL_CHUNK_BYTES,
    _outputs,
    chunk_rows,
    default_chunk_size,
    draw_rows,
    take_row,
)
from detente.uncertainty.inputs import DEFAULT_NOISE, input_space
from detente.uncertainty.sampling import setup
from tests.strategies import arrays_strategy
from tests.test_uncertainty_limits import synthetic_scenario


def korea_draws(n: int, seed: int = 11) -> Arrays:
    space = input_space(load("korea-2017"), DEFAULT_NOISE)
    return space.assemble(draw_rows(space, seed, 0, n))


def assert_same_result(together: ModelResult, alone: list[ModelResult]) -> None:
    """Every array of a batched result, row b, equals row b's own run bit for bit."""
    for b, single in enumerate(alone):
        np.testing.assert_array_equal(together.forecast[b], single.forecast)
        np.testing.assert_array_equal(together.trajectory[b], single.trajectory)
        np.testing.assert_array_equal(together.rounds[b], single.rounds)
        for key, value in single.details.items():
            if isinstance(value, np.ndarray):
                np.testing.assert_array_equal(together.details[key][b], value, err_msg=key)


def run_both(model: str, options: dict[str, Any], arrays: Arrays,
             seed: int = 5) -> tuple[ModelResult, list[ModelResult]]:
    """The batch in one call, and each row alone (a stochastic model: one generator shared
    by the single runs, in row order, as the batch spawns one child stream per row)."""
    m = get_model(model, **options)
    together = m.run(arrays, np.random.default_rng(seed))
    shared = np.random.default_rng(seed)
    alone = [m.run(take_row(arrays, b), shared) for b in range(arrays.batch_shape[0])]
    return together, alone


@st.composite
def small_batches(draw: st.DrawFn) -> Arrays:
    """2-4 variants of one random scenario (positions and capabilities redrawn per row on
    the 1/20 grid), so that rows tie, agree and stop in different rounds."""
    base = draw(arrays_strategy(max_actors=5, max_issues=2))
    n_b = draw(st.integers(2, 4))
    unit = st.integers(0, 20).map(lambda k: k / 20)
    shape = (n_b, base.n_actors, base.n_issues)
    size = int(np.prod(shape))
    position = np.array(draw(st.lists(unit, min_size=size, max_size=size))).reshape(shape)
    capability = np.array(draw(st.lists(st.floats(0.5, 100.0), min_size=n_b * base.n_actors,
                                        max_size=n_b * base.n_actors))).reshape(n_b, -1)
    batched = base.broadcast_batch(n_b)
    return batched.replace(position=position, capability=capability)


BDM_OPTIONS = st.sampled_from([{}, {"preset": "scholz-reference"}, {"q_rule": "product"},
                               {"probability": "net", "perspective": "each", "q": 0.5},
                               {"median": "borda", "stop_rounds": 1}])
SMP_OPTIONS = st.sampled_from([{}, {"pce": "markov_incentive"}, {"pce": "markov_uniform"},
                               {"bargain_model": "init_rcvr", "voting_rule": "binary"},
                               {"bargain_model": "pw_comp", "ktab_compat": True},
                               {"transitions": "stochastic"}])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays=small_batches(), options=BDM_OPTIONS)
def test_bdm_batch_equals_its_rows_alone_bit_for_bit(arrays: Arrays, options: dict) -> None:
    together, alone = run_both("bdm", options, arrays)
    rounds = {int(r) for single in alone for r in np.ravel(single.rounds)}
    event(f"rows stop in {len(rounds)} different rounds")
    target(float(len(rounds)))  # steer towards batches whose rows stop apart
    assert_same_result(together, alone)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays=small_batches(), options=SMP_OPTIONS)
def test_smp_batch_equals_its_rows_alone_bit_for_bit(arrays: Arrays, options: dict) -> None:
    together, alone = run_both("smp", {**options, "max_turns": 12}, arrays)
    turns = {int(s.details["states"]) for s in alone}
    event(f"rows stop in {len(turns)} different turns")
    target(float(len(turns)))
    assert_same_result(together, alone)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays=small_batches(), options=SMP_OPTIONS)
def test_smp_refilled_batch_equals_its_rows_alone_bit_for_bit(arrays: Arrays,
                                                               options: dict) -> None:
    # Room for 2 scenarios at a time: a row that stops is replaced by the next waiting one,
    # so rows play side by side in different turns.
    scenario = smp_module.scenario_bytes(arrays.n_actors, arrays.n_issues)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(smp_module, "BATCH_BYTES", 2 * scenario)
        assert smp_module.batch_rows(arrays.n_actors, arrays.n_issues) == 2
        together, alone = run_both("smp", {**options, "max_turns": 12}, arrays)
    event(f"rows stop in {len({int(s.details['states']) for s in alone})} different turns")
    assert_same_result(together, alone)


@pytest.mark.parametrize(("model", "options"), [("bdm", {}), ("smp", {}),
                                                ("smp", {"transitions": "stochastic"})])
def test_korea_draws_stop_in_different_rounds_and_batch_exactly(model: str,
                                                                options: dict) -> None:
    arrays = korea_draws(24)
    together, alone = run_both(model, options, arrays)
    # The batch is only a test of masking if its rows stop at different times.
    assert len({int(np.max(single.rounds)) for single in alone}) >= 3
    assert_same_result(together, alone)


def test_bdm_plays_each_round_on_the_rows_still_bargaining(monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    played: list[int] = []
    real = bdm_module.play_round_chunked

    def spy(x: np.ndarray, *args: Any, **kw: Any) -> tuple[np.ndarray, np.ndarray]:
        played.append(x.shape[0])
        return real(x, *args, **kw)

    monkeypatch.setattr(bdm_module, "play_round_chunked", spy)
    arrays = korea_draws(50)
    result = get_model("bdm").run(arrays)
    rows = arrays.batch_shape[0] * arrays.n_issues
    assert played[0] == rows
    assert played == sorted(played, reverse=True) and played[-1] < rows
    # A row costs exactly the rounds it plays: stopped rows are not computed again.
    assert sum(played) == int(np.sum(result.rounds))


def test_smp_plays_each_turn_on_the_scenarios_still_bargaining(monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    played: list[int] = []
    real = smp_module.best_targets

    def spy(state: smp_module.TurnAssessment, *args: Any) -> Any:
        played.append(state.distance.shape[0])
        return real(state, *args)

    monkeypatch.setattr(smp_module, "best_targets", spy)
    arrays = korea_draws(30)
    result = get_model("smp").run(arrays)
    assert played[0] == 30 and played[-1] < 30
    assert sum(played) == int(np.sum(result.details["states"] - 1))


@pytest.mark.parametrize("options", [{}, {"transitions": "stochastic"},
                                     {"pce": "markov_incentive", "bargain_model": "init_rcvr"}])
def test_smp_batch_parts_and_chunks_change_no_bit(options: dict,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    arrays = korea_draws(12)
    model = get_model("smp", **options)
    whole = model.run(arrays, 3)
    # Room for 5 scenarios a part (so 3 parts of 4), and chunks far smaller than one
    # scenario's bargains, pairs and queue elections.
    monkeypatch.setattr(smp_module, "BATCH_BYTES", 5 * smp_module.scenario_bytes(6, 8))
    monkeypatch.setattr(smp_module, "CHUNK_ELEMENTS", 40)
    assert smp_module.batch_rows(6, 8) == 5
    pieces = model.run(arrays, 3)
    assert_same_result(pieces, [take_row_result(whole, b) for b in range(12)])


def take_row_result(result: ModelResult, b: int) -> ModelResult:
    details = {k: v[b] if isinstance(v, np.ndarray) else v for k, v in result.details.items()}
    return ModelResult(result.model, result.options, result.forecast[b], result.trajectory[b],
                       result.rounds[b], details, result.seed)


def _peak(call: Any) -> int:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_smp_batch_parts_bound_the_working_set(monkeypatch: pytest.MonkeyPatch) -> None:
    arrays = korea_draws(400)
    model = get_model("smp", max_turns=4)
    whole = _peak(lambda: model.run(arrays))
    monkeypatch.setattr(smp_module, "BATCH_BYTES", 20 * smp_module.scenario_bytes(6, 8))
    parts = _peak(lambda: model.run(arrays))
    # The results ([400, 5, 6, 8] and per-turn probabilities) are held whole either way;
    # the working set of parts of 20 scenarios is a small fraction of 400 at once.
    results = 8 * 400 * 5 * 6 * (8 + 2)
    assert parts - results < 0.25 * (whole - results)


def test_smp_estimate_bounds_a_monte_carlo_chunk() -> None:
    arrays = korea_draws(1500)
    model = get_model("smp")
    peak = _peak(lambda: model.run(arrays))
    assert peak <= model.estimate(6, 8, 1500).working


@pytest.mark.parametrize("n_actors", [6, 40])
def test_engine_sizes_smp_chunks_by_the_model_estimate(n_actors: int) -> None:
    run = setup(synthetic_scenario(n_actors, 3), None, "smp", None, 1)
    rows, generic = chunk_rows(run.space, run.kernel), default_chunk_size(run.space)
    model = get_model("smp")

    def working(r: int) -> int:
        return model.sample_estimate(n_actors, 3, r).working

    assert rows % BLOCK == 0 and BLOCK <= rows <= MAX_CHUNK
    # The largest whole number of blocks within the budget (or one block) ...
    assert rows == BLOCK or working(rows) <= MODEL_CHUNK_BYTES
    assert rows >= generic or working(rows + BLOCK) > MODEL_CHUNK_BYTES
    # ... grown past the general size as far as smp's own budget allows.
    assert rows <= generic or working(rows) <= model.sample_chunk_bytes
    assert rows < generic or rows == MAX_CHUNK or working(rows + BLOCK) > \
        min(model.sample_chunk_bytes, MODEL_CHUNK_BYTES)
    if n_actors == 6:
        assert rows > 2 * generic  # sampled, a small scenario keeps little: long chunks


def test_smp_sample_estimate_bounds_a_sampled_chunk() -> None:
    arrays = korea_draws(1500)
    model = get_model("smp")
    for per_turn in (False, True):
        peak = _peak(lambda: model.sample(arrays, per_turn=per_turn))  # noqa: B023
        assert peak <= model.sample_estimate(6, 8, 1500, per_turn).working
    kept = sum(v.nbytes for v in _outputs(model.sample(arrays), 1500).values())
    assert kept / 1500 <= model.sample_estimate(6, 8).outputs_per_row
    assert model.sample_estimate(6, 8).outputs_per_row < model.estimate(6, 8).outputs_per_row / 20


def run_and_sample(name: str, options: dict, per_round: set[str]
                   ) -> tuple[ModelResult, ModelResult]:
    """A model's run on 40 korea-2017 draws and its sampled runs without and with the
    per-round details ``per_round``: no trajectory, the details named, every number kept
    the run's bit for bit. Returns the run and the sampled run without them."""
    arrays = korea_draws(40)
    model = get_model(name, **options)
    run = model.run(arrays, np.random.default_rng(3))
    lean = model.sample(arrays, np.random.default_rng(3))
    full = model.sample(arrays, np.random.default_rng(3), per_turn=True)
    assert lean.trajectory is None and full.trajectory is None
    assert set(full.details) == set(run.details)
    assert set(lean.details) == set(run.details) - per_round
    assert run.rounds is not None
    for result in (lean, full):
        assert result.forecast.tobytes() == run.forecast.tobytes()
        assert result.rounds is not None and result.rounds.tobytes() == run.rounds.tobytes()
        for key, value in result.details.items():
            assert np.asarray(value).tobytes() == np.asarray(run.details[key]).tobytes(), key
    return run, lean


@pytest.mark.parametrize("options", [{}, {"transitions": "stochastic", "max_turns": 7}])
def test_smp_sample_keeps_the_run_s_numbers_and_the_turns_only_on_request(
        options: dict) -> None:
    run, lean = run_and_sample("smp", options, {"probability", "risk", "stop_ratios"})
    assert len({int(s) for s in run.details["states"]}) >= 3  # rows stop apart
    np.testing.assert_array_equal(lean.details["final_probability"],
                                  run.details["probability"][:, -1])


def test_smp_chunks_grow_after_a_first_of_the_general_size_with_the_same_numbers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A general size of one block, so that a small run shows the plan: the first chunk
    # (run here, timed) of that size, the rest in smp's larger chunks, over two processes.
    monkeypatch.setattr(engine, "CHUNK_BYTES", 1)
    run = setup(load("korea-2017"), None, "smp", {"max_turns": 3}, 4)
    stats = engine.RunStats()
    planned = engine.run_chunks(run.space, run.kernel, run.seed, 3000, workers=2, stats=stats)
    assert stats.chunks == 7 and stats.chunk_size == 2 * BLOCK  # 256, then 512s
    one = engine.run_chunks(run.space, run.kernel, run.seed, 3000, workers=1, chunk_size=300)
    assert planned.keys() == one.keys() and "details.probability" not in one
    for key in one:
        assert planned[key].tobytes() == one[key].tobytes(), key
    turns = dataclasses.replace(run.kernel, per_turn=True)
    kept = engine.run_chunks(run.space, turns, run.seed, 600, workers=1)
    assert {"details.probability", "details.risk", "details.stop_ratios"} <= kept.keys()
    assert kept["forecast"].tobytes() == one["forecast"][:600].tobytes()


# bdm has no stochastic option (it ignores rng), so these are its deterministic variants:
# each path of a round (fast, blocked: voter_risk and q_rule=product), the T rule that reads
# the round before (shrink), the mean forecast (the last positions, not the median), and
# round caps below, at and above the ring of three rounds a sampled run keeps.
BDM_SAMPLED = [{}, {"preset": "scholz-reference"}, {"voter_risk": True},
               {"q_rule": "product", "t_rule": "shrink"},
               {"forecast_point": "mean", "t_rule": "shrink", "stop_rounds": 1},
               {"max_rounds": 0}, {"max_rounds": 1}, {"max_rounds": 2},
               {"max_rounds": 3, "forecast_point": "mean"}]


@pytest.mark.parametrize("options", BDM_SAMPLED)
def test_bdm_sample_keeps_the_run_s_numbers_and_the_rounds_only_on_request(
        options: dict) -> None:
    run, lean = run_and_sample("bdm", options, {"forecast_path", "median", "mean", "risk"})
    if options.get("max_rounds", 20) > 3:
        # rows stop in different rounds: the live rows are gathered and scattered back
        assert len({int(r) for r in np.ravel(run.rounds)}) >= 3
    assert set(lean.details) == {"preset", "stopped"}
    assert run.trajectory is not None
    if options.get("forecast_point") == "mean":  # the last positions, kept by the ring
        assert not np.array_equal(run.trajectory[:, -1], run.trajectory[:, 0])


def test_bdm_sample_stops_early_and_at_the_cap_with_the_same_numbers() -> None:
    # All rows stopped before the cap (the loop breaks) against rows cut by the cap, for
    # every cap up to the ring's size and beyond: same final state as the full history.
    arrays = korea_draws(16)
    stops = get_model("bdm").run(arrays)
    assert stops.rounds is not None and int(np.max(stops.rounds)) < 20
    for cap in range(int(np.max(stops.rounds)) + 2):
        model = get_model("bdm", max_rounds=cap, forecast_point="mean")
        run, lean = model.run(arrays), model.sample(arrays)
        assert lean.forecast.tobytes() == run.forecast.tobytes(), cap
        assert lean.details["stopped"].tobytes() == run.details["stopped"].tobytes(), cap


def test_bdm_sample_estimate_bounds_a_sampled_chunk() -> None:
    arrays = korea_draws(1500)
    for options in ({}, {"voter_risk": True}):
        model = get_model("bdm", **options)
        for per_turn in (False, True):
            peak = _peak(lambda: model.sample(arrays, per_turn=per_turn))  # noqa: B023
            assert peak <= model.sample_estimate(6, 8, 1500, per_turn).working
        kept = sum(v.nbytes for v in _outputs(model.sample(arrays), 1500).values())
        assert kept / 1500 <= model.sample_estimate(6, 8).outputs_per_row
        kept = sum(v.nbytes for v in _outputs(model.sample(arrays, per_turn=True),
                                              1500).values())
        assert kept / 1500 <= model.sample_estimate(6, 8, 1, True).outputs_per_row
    model = get_model("bdm")
    assert model.sample_estimate(6, 8).outputs_per_row < model.estimate(6, 8).outputs_per_row / 50
    assert model.sample_estimate(6, 8, 2560).working < model.estimate(6, 8, 2560).working / 2


def test_bdm_sampled_chunks_keep_the_numbers_without_the_rounds() -> None:
    run = setup(load("korea-2017"), None, "bdm", None, 4)
    lean = engine.run_chunks(run.space, run.kernel, run.seed, 700, workers=1, chunk_size=300)
    turns = dataclasses.replace(run.kernel, per_turn=True)
    kept = engine.run_chunks(run.space, turns, run.seed, 700, workers=1, chunk_size=512)
    assert set(lean) == {"forecast", "details.stopped"}
    assert {"details.forecast_path", "details.median", "details.mean",
            "details.risk"} <= set(kept)
    for key in lean:
        assert lean[key].tobytes() == kept[key].tobytes(), key
