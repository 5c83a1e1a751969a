"""A stepwise model that runs out of rounds says so: its forecast is not a resting point."""

from __future__ import annotations

from typer.testing import CliRunner

from detente.cli import main  # noqa: F401  (registers every command module)
from detente.cli.common import app

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
