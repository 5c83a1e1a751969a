"""A stepwise model that runs out of rounds says so: its forecast is not a resting point."""

from __future__ import annotations

import dataclasses

import numpy as np
from typer.testing import CliRunner

import detente
from detente.analyses.forecasting import round_cap_notes
from detente.cli import main  # noqa: F401  (registers every command module)
from detente.cli.common import app
from detente.forecast import Forecast
from detente.variation import Variation

runner = CliRunner()


def forecast(*args: str) -> str:
    result = runner.invoke(app, ["forecast", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def test_smp_cut_at_its_turn_cap_is_named() -> None:
    out = forecast("-m", "smp", "-O", "smp.max_turns=3")
    assert "smp: stopped at its cap of 3 turns before its stop rule was met" in out
    assert "-O smp.max_turns" in out


def test_bdm_cut_at_its_round_cap_is_named() -> None:
    out = forecast("-m", "bdm", "-O", "bdm.max_rounds=1")
    assert "bdm: still moving after 1 rounds on" in out


def test_runs_that_settle_carry_no_cap_note() -> None:
    out = forecast("-m", "smp", "-m", "bdm")
    assert "stopped at its cap" not in out and "still moving" not in out


def _smp_capped(**options: object) -> Forecast:
    return detente.forecast("korea-2017", models=["smp"], options={"smp": options})


def test_an_unmeasured_last_movement_is_said_in_words_not_as_nan() -> None:
    capped = _smp_capped(max_turns=3)
    run = capped.results["smp"]
    for ratios, words in ((np.full(3, np.nan), "could not be measured"),
                          (np.zeros(0), "was not recorded")):
        details = {**run.details, "stop_ratios": ratios}
        result = dataclasses.replace(
            capped, results={"smp": dataclasses.replace(run, details=details)})
        (note,) = round_cap_notes(result)
        assert words in note and "nan" not in note


def test_a_cap_below_min_turns_is_named_though_the_run_barely_moved() -> None:
    # One actor never moves (ratio 0 < stop_ratio), but with max_turns 1 < min_turns 2 the
    # stop rule was never asked: the run was cut at its cap, not settled.
    (note,) = round_cap_notes(_smp_capped(max_turns=1, min_turns=2))
    assert "the rule applies from turn 2, -O smp.min_turns" in note
    alone = Variation(without=("CN", "KP", "JP", "RU", "KR"))
    f = detente.forecast("korea-2017", models=["smp"], options={"smp": {"max_turns": 1}},
                         variation=alone)
    (note,) = round_cap_notes(f)
    assert "stopped at its cap of 1 turns" in note


def test_a_run_at_rest_under_a_stop_ratio_of_zero_says_why_it_went_on() -> None:
    (note,) = round_cap_notes(_smp_capped(max_turns=100, stop_ratio=0.0))
    assert "positions no longer move, but no ratio is below 0" in note
    assert "raise -O smp.stop_ratio above 0" in note and "max_turns" not in note.split(";")[1]


def test_a_moving_run_under_a_stop_ratio_of_zero_is_told_to_raise_the_ratio() -> None:
    # No ratio is below 0: more turns never meet the rule (the note advised max_turns).
    (note,) = round_cap_notes(_smp_capped(max_turns=5, stop_ratio=0.0))
    assert "raise -O smp.stop_ratio above 0" in note and "max_turns to" not in note
