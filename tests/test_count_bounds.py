"""Count options (resamples, iterations, rounds, turns, processes, chunk rows) have an upper
bound in their one declaration: a mistyped count is refused by name, with the range and the
reason, before it can run out of memory or run for hours."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from detente.analyses import ANALYSES
from detente.cli import app
from detente.errors import OptionError
from detente.models import get_model

runner = CliRunner()
RIVER = str(Path(__file__).resolve().parent.parent / "examples" / "my.yaml")


@pytest.mark.parametrize(("args", "flag", "rule"), [
    (["sensitivity", "--bootstrap", "100000000000"], "--bootstrap", "from 0 to 10000"),
    (["sample", "--workers", "100000"], "--workers", "from 1 to 1024"),
    (["sample", "--chunk-size", "1000000000000"], "--chunk-size", "from 1 to 1000000"),
])
def test_a_huge_count_is_refused_by_its_flag(args: list[str], flag: str, rule: str) -> None:
    out = runner.invoke(app, [*args, RIVER])
    assert out.exit_code == 2, out.output
    assert f"{flag}:" in out.output and rule in out.output and "fix:" in out.output


@pytest.mark.parametrize(("model", "option", "low"), [
    ("nash", "iterations", 10), ("constrained", "iterations", 10), ("bdm", "max_rounds", 0),
    ("smp", "max_turns", 1)])
def test_model_counts_have_a_range_named_with_the_flag_that_fixes_them(
        model: str, option: str, low: int) -> None:
    get_model(model, **{option: 1000})  # the largest allowed still builds
    for bad in (10**15, 1001, low - 1):
        with pytest.raises(OptionError) as err:
            get_model(model, **{option: bad})
        problem = err.value.problems[0]
        assert problem.location == f"{model}.{option}"
        assert f"from {low:,} to 1,000" in problem.message
        assert f"-O {model}.{option}=N" in problem.fix


def test_nash_iterations_in_the_quadrillions_is_refused_not_run() -> None:
    out = runner.invoke(app, ["forecast", "-m", "nash", "-O",
                              "nash.iterations=1000000000000000", RIVER])
    assert out.exit_code == 2 and "nash.iterations" in out.output
    assert "-O nash.iterations=N" in out.output


def test_every_resample_process_and_chunk_count_is_bounded_above() -> None:
    loose = [f"{spec.name} --{o.name}" for spec in ANALYSES.values() for o in spec.options
             if o.name in ("bootstrap", "workers", "chunk_size") and o.high is None]
    assert not loose


def test_the_bootstrap_memory_refusal_names_a_count_that_fits() -> None:
    out = runner.invoke(app, ["sensitivity", "-n", "64", "--bootstrap", "10000",
                              "--max-memory", "5M", RIVER])
    assert out.exit_code == 2 and "10,000 bootstrap resamples" in out.output
    fits = int(out.output.split("--bootstrap ")[1].split(" fits")[0].replace(",", ""))
    assert 0 < fits < 10_000
    ok = runner.invoke(app, ["sensitivity", "-n", "64", "--bootstrap", str(fits),
                             "--max-memory", "5M", RIVER])
    assert ok.exit_code == 0, ok.output


def test_the_bootstrap_in_blocks_gives_the_same_intervals(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    import detente.uncertainty.sensitivity as module

    one = module.sensitivity(RIVER, samples=64, rng=3, workers=1, bootstrap=50)
    monkeypatch.setattr(module, "BOOTSTRAP_BLOCK_BYTES", 8 * 64 * 7)  # 7 resamples a block
    blocks = module.sensitivity(RIVER, samples=64, rng=3, workers=1, bootstrap=50)
    # The same resamples; a matrix product over fewer rows may round its last bit otherwise.
    np.testing.assert_allclose(one.total_ci, blocks.total_ci, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(one.first_ci, blocks.first_ci, rtol=1e-12, atol=1e-15)


HUGE = "1" + "0" * 400  # past float range: math.isfinite(int) overflows on it


@pytest.mark.parametrize(("args", "words"), [
    (["sensitivity", "--bootstrap", HUGE], "got a 401-digit number"),
    # Refused by its own bound (MAX_SAMPLES), not by the memory check as it once was.
    (["sample", "--samples", HUGE], "from 1 to 10000000, got a 401-digit number"),
])
def test_an_integer_past_float_range_is_refused_as_input_not_as_a_failed_run(
        args: list[str], words: str) -> None:
    out = runner.invoke(app, [*args, RIVER])
    assert out.exit_code == 2, out.output
    assert words in out.output and "overflowed" not in out.output


def test_an_integer_past_float_range_is_a_located_refusal_on_the_workbench() -> None:
    from fastapi.testclient import TestClient

    from detente import load
    from detente.web.app import create_app

    with TestClient(create_app()) as client:
        answer = client.post("/api/analyses/sensitivity", json={
            "scenario": load("korea-2017").to_dict(), "params": {"bootstrap": int(HUGE)}})
    assert answer.status_code == 422, answer.text
    assert [p["location"] for p in answer.json()["problems"]] == ["params.bootstrap"]


@pytest.mark.parametrize(("model", "option", "cap_option"), [
    ("smp", "min_turns", "max_turns"), ("bdm", "stop_rounds", "max_rounds")])
def test_a_count_above_the_cap_of_its_run_is_refused_at_the_option(
        model: str, option: str, cap_option: str) -> None:
    # min_turns 50 under max_turns 10 never applies: it once ran, silently, to the cap.
    with pytest.raises(OptionError) as err:
        get_model(model, **{option: 50, cap_option: 10})
    (problem,) = err.value.problems
    assert problem.location == f"{model}.{option}"
    assert "(50) is more than" in problem.message and "(10)" in problem.message
    assert f"-O {model}.{option}=N with N at most 10" in problem.fix
    assert f"raise -O {model}.{cap_option} to at least 50" in problem.fix
    get_model(model, **{option: 10, cap_option: 10})  # equal to the cap still builds


@pytest.mark.parametrize(("model", "option", "cap_option"), [
    ("smp", "min_turns", "max_turns"), ("bdm", "stop_rounds", "max_rounds")])
def test_a_short_cap_alone_still_runs_and_rebuilds(model: str, option: str,
                                                   cap_option: str) -> None:
    # The default (2) gives way to a cap set alone below it; the forecast's note names it.
    built = get_model(model, **{cap_option: 1})
    again = get_model(model, **built.options_dict())  # as the report's counterfactual does
    assert getattr(again.options, cap_option) == 1 and getattr(again.options, option) == 2


@pytest.mark.parametrize(("model", "option"), [("smp", "min_turns"), ("bdm", "stop_rounds")])
def test_a_count_the_stop_rule_reads_has_a_range_at_its_option(model: str,
                                                                option: str) -> None:
    for bad in (0, 10**15):
        with pytest.raises(OptionError) as err:
            get_model(model, **{option: bad})
        (problem,) = err.value.problems
        assert problem.location == f"{model}.{option}"
        assert "from 1 to 1,000" in problem.message


def test_min_turns_above_max_turns_is_refused_on_the_command_line() -> None:
    out = runner.invoke(app, ["forecast", "-m", "smp", "-O", "smp.min_turns=50", "-O",
                              "smp.max_turns=10", RIVER])
    assert out.exit_code == 2, out.output
    assert "smp.min_turns:" in out.output and "raise -O smp.max_turns" in out.output
