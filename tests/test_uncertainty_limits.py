"""The sampling engine's bounds: memory estimated and refused past a limit, pools that stop."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from detente.uncertainty.engine import Chunk, execute, plan_chunks


def _chunk_that_fails_once(folder: str, chunk: Chunk) -> dict[str, np.ndarray]:
    (Path(folder) / f"{chunk.start}").touch()
    if chunk.start == 1:
        raise RuntimeError("chunk 1 failed")
    time.sleep(0.05)  # a chunk takes a while, so the queue is long when chunk 1 fails
    return {"x": np.zeros(chunk.size)}


def test_a_failed_chunk_cancels_the_queued_chunks(tmp_path: Path) -> None:
    import functools

    chunks = plan_chunks(200, 1)
    task = functools.partial(_chunk_that_fails_once, str(tmp_path))
    with pytest.raises(RuntimeError, match="chunk 1 failed"):
        execute(task, chunks, workers=2)
    # Before, leaving the pool ran all 199 queued chunks before the error surfaced (and an
    # interrupt waited for them); now only those already handed to a worker run.
    assert len(list(tmp_path.iterdir())) < 50


# ---------------------------------------------------------------------------------------
# Memory: estimates that bound what the models use, refusals that say how to lift them
# ---------------------------------------------------------------------------------------

import tracemalloc  # noqa: E402

from typer.testing import CliRunner  # noqa: E402

import detente  # noqa: E402
from detente.arrays import Arrays  # noqa: E402
from detente.cli import app  # noqa: E402
from detente.errors import OptionError  # noqa: E402
from detente.models import REGISTRY, get_model  # noqa: E402
from detente.models import bdm as bdm_module  # noqa: E402
from detente.scenario import Scenario, scenario_from_mapping  # noqa: E402
from detente.uncertainty.engine import _outputs  # noqa: E402


def synthetic_scenario(n_actors: int, n_issues: int, seed: int = 0) -> Scenario:
    rng = np.random.default_rng(seed)
    issues = [f"I{k}" for k in range(n_issues)]
    return scenario_from_mapping({
        "id": f"synthetic-{n_actors}", "title": f"{n_actors} actors",
        "issues": [{"id": i, "name": i, "status_quo": 50.0} for i in issues],
        "actors": [{"id": f"A{k}", "name": f"A{k}", "capability": float(rng.uniform(5, 100))}
                   for k in range(n_actors)],
        "stances": {f"A{k}": {i: {"position": float(rng.integers(0, 101)),
                                  "salience": float(rng.uniform(0.1, 1))} for i in issues}
                    for k in range(n_actors)},
    })


def _batched(arrays: Arrays, batch: int) -> Arrays:
    def rep(x: np.ndarray) -> np.ndarray:
        return np.broadcast_to(x, (batch, *x.shape)).copy()

    return arrays.replace(capability=rep(arrays.capability), position=rep(arrays.position),
                          salience=rep(arrays.salience), status_quo=rep(arrays.status_quo),
                          trust=rep(arrays.trust))


@pytest.mark.parametrize("model", sorted(REGISTRY))
@pytest.mark.parametrize(("actors", "issues", "batch"), [(6, 5, 1), (40, 2, 1), (9, 3, 32)])
def test_every_model_estimate_bounds_its_measured_memory(model: str, actors: int, issues: int,
                                                         batch: int) -> None:
    arrays = synthetic_scenario(actors, issues).compile()
    if batch > 1:
        arrays = _batched(arrays, batch)
    m = get_model(model)
    tracemalloc.start()
    try:
        result = m.run(arrays, np.random.default_rng(0))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    estimate = m.estimate(actors, issues, batch)
    assert peak <= estimate.working
    kept = sum(v.nbytes for v in _outputs(result, batch if batch > 1 else None).values())
    assert kept / batch <= estimate.outputs_per_row


def test_bdm_voter_tensors_are_built_in_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    # One [k, i, j] voter tensor of 80 actors is 4 MB; the run never holds a whole one.
    arrays = synthetic_scenario(80, 1).compile()
    whole = bdm_module.Bdm(max_rounds=2, q_rule="product").run(arrays)
    monkeypatch.setattr(bdm_module, "CHUNK_ELEMENTS", 100_000)
    tracemalloc.start()
    try:
        blocked = bdm_module.Bdm(max_rounds=2, q_rule="product").run(arrays)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 80**3
    np.testing.assert_array_equal(blocked.trajectory, whole.trajectory)  # same numbers


@pytest.mark.parametrize("voter_risk", [False, True])
@pytest.mark.parametrize("probability", ["pairwise", "global", "net", "exclude-dyad"])
def test_bdm_blocks_give_the_same_numbers(probability: str, voter_risk: bool,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # With voter_risk, one block's round finds the indifferent voters once for both P; in
    # blocks each P finds its own.
    arrays = synthetic_scenario(12, 3).compile()
    options = {"probability": probability, "q_rule": "product", "voter_risk": voter_risk}
    whole = bdm_module.Bdm(**options).run(arrays)
    monkeypatch.setattr(bdm_module, "CHUNK_ELEMENTS", 50)
    tiny = bdm_module.Bdm(**options).run(arrays)
    np.testing.assert_array_equal(tiny.trajectory, whole.trajectory)
    np.testing.assert_array_equal(tiny.forecast, whole.forecast)


def test_forecast_refuses_a_model_past_the_limit_before_running_any() -> None:
    scenario = synthetic_scenario(60, 2)
    with pytest.raises(OptionError, match=r"model 'smp' on 60 actors .* over the limit") as err:
        detente.forecast(scenario, models=["compromise", "smp"], max_memory="4M")
    assert "DETENTE_MAX_MEMORY=" in str(err.value)
    assert detente.forecast(scenario, models=["compromise"], max_memory="4M").results


def test_cli_forecast_refusal_names_the_estimate_and_the_variable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(synthetic_scenario(60, 2).to_yaml())
    monkeypatch.setenv("DETENTE_MAX_MEMORY", "4M")
    result = CliRunner().invoke(app, ["forecast", str(path), "-m", "bdm"])
    assert result.exit_code == 2, result.output
    assert "would need about" in result.output and "DETENTE_MAX_MEMORY=" in result.output
    assert "Traceback" not in result.output


def test_cli_sample_refuses_a_huge_run_with_the_estimate_and_what_fits() -> None:
    # Within the samples' own bound (MAX_SAMPLES) but past the memory given.
    result = CliRunner().invoke(app, ["sample", "-n", "10000000", "-q", "--max-memory", "1G"])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "10,000,000 samples of compromise" in text and "GiB" in text
    assert "fits" in text and "--max-memory" in text and "DETENTE_MAX_MEMORY" in text
    small = CliRunner().invoke(app, ["sample", "-n", "300", "-q", "--max-memory", "1G"])
    assert small.exit_code == 0, small.output
    bad = CliRunner().invoke(app, ["sample", "-n", "300", "--max-memory", "lots"])
    assert bad.exit_code == 2 and "cannot read the memory size" in bad.output


def test_sensitivity_past_the_memory_limit_is_refused_with_the_estimate() -> None:
    from typer.testing import CliRunner

    from detente.cli import main  # noqa: F401  (registers every command module)
    from detente.cli.common import app

    out = CliRunner().invoke(app, ["sensitivity", "-n", "10000000"])  # within MAX_SAMPLES
    assert out.exit_code == 2, out.output
    text = " ".join(out.output.split())
    assert "10,000,000 rows × (102 groups + 2) runs of compromise" in text
    assert "nothing was run" in text and "--max-memory" in text
    assert "Traceback" not in out.output


def test_sensitivity_memory_limit_in_the_api() -> None:
    from detente.errors import DetenteError
    from detente.uncertainty.sensitivity import sensitivity

    with pytest.raises(DetenteError, match="rows ×"):
        sensitivity("korea-2017", samples=4096, max_memory="1M")
    assert sensitivity("korea-2017", samples=8, bootstrap=0, max_memory="1G").samples == 8


@pytest.mark.parametrize(("analysis", "low"), [("sample", 1), ("sensitivity", 2)])
def test_a_sample_count_past_its_bound_is_refused_by_its_flag_not_by_memory(
        analysis: str, low: int) -> None:
    # The memory check once took it, located at --max-memory, its fix asking for some
    # 10^8 GiB of it.
    out = CliRunner().invoke(app, [analysis, "-n", "1000000000000000"])
    assert out.exit_code == 2, out.output
    text = " ".join(out.output.split())
    assert f"--samples: samples must be a whole number from {low} to 10000000" in text
    assert "--max-memory" not in text and "Traceback" not in out.output
