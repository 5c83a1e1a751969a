"""`detente forecast --model bdm` (per-round table) and `detente explain`."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from detente.cli import main  # noqa: F401  (registers every command module)
from detente.cli.common import app
from detente.forecast import forecast

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_forecast_shows_the_forecast_per_round() -> None:
    result = invoke("forecast", "-m", "bdm", "-m", "compromise")
    assert result.exit_code == 0
    assert "bdm — forecast per round" in result.output
    path = forecast(models=["bdm"]).forecast_path("bdm")
    rounds = max(len(v) for v in path.values()) - 1
    assert f"│ {rounds:>7} │" in result.output or f" {rounds} " in result.output
    plain = invoke("forecast", "-m", "compromise")
    assert "per round" not in plain.output


def test_forecast_json_carries_the_forecast_path() -> None:
    result = invoke("forecast", "-m", "bdm", "-f", "json")
    data = json.loads(result.output)
    entry = data["models"][0]
    assert set(entry["forecast_path"]) == set(data["issues"])
    for iid, path in entry["forecast_path"].items():
        assert len(path) == len(entry["trajectory"][iid])
        assert path[-1] == entry["forecast"][iid]


def test_explain_json_round_and_issue() -> None:
    result = invoke("explain", "--model", "bdm", "--issue", "SEC", "--round", "1", "-f", "json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["format"] == "detente.explain" and data["issue"] == "SEC"
    actors, dyads = data["tables"]
    assert {"actor", "risk r", "security"} <= set(actors["columns"])
    n = len(actors["rows"])
    assert len(dyads["rows"]) == n * (n - 1)
    for row in dyads["rows"]:
        assert row["relation"] in {"none", "conflict", "conflict (tie)", "compromise",
                                   "capitulation", "stalemate"}
        if row["EU_i(ij)"] > 0 and row["EU_j(ji)"] > 0:
            assert row["relation"].startswith("conflict")
        if row["EU_i(ij)"] < 0 and row["EU_j(ji)"] < 0:
            assert row["relation"] == "stalemate"
    accepted = [row for row in dyads["rows"] if row["accepted"]]
    assert len({row["actor i"] for row in accepted}) == len(accepted)


def test_explain_table_output() -> None:
    result = invoke("explain", "-O", "bdm.preset=scholz-reference")
    assert result.exit_code == 0
    assert "risk r" in result.output and "relation" in result.output


def test_explain_errors_are_clear() -> None:
    bad_issue = runner.invoke(app, ["explain", "--issue", "NOPE"])
    assert bad_issue.exit_code == 2 and "NUC" in bad_issue.output
    bad_round = runner.invoke(app, ["explain", "--round", "99"])
    assert bad_round.exit_code == 2 and "round 99" in bad_round.output
    not_stepwise = runner.invoke(app, ["explain", "--model", "compromise"])
    assert not_stepwise.exit_code == 2 and "explanation" in not_stepwise.output
    wrong_option = runner.invoke(app, ["explain", "-O", "nash.utility=linear"])
    assert wrong_option.exit_code == 2


def _explained(model: str, table: int, column: str) -> list[float]:
    result = invoke("explain", "--model", model, "--issue", "NUC", "--round", "1", "-f", "json")
    assert result.exit_code == 0, result.output
    return [row[column] for row in json.loads(result.output)["tables"][table]["rows"]]


# The JSON once rounded them to 4 decimals (bdm's KR 0.3189 for 0.318882867861556); JSON
# elsewhere is unrounded, and the tables format their own cells.
def test_bdm_explain_json_carries_the_new_positions_unrounded() -> None:
    run = forecast("korea-2017", models=["bdm"])
    after_round_one = run.arrays.to_units(run.results["bdm"].trajectory[1])[:, 0]
    assert _explained("bdm", 0, "new position") == pytest.approx(
        list(after_round_one), rel=1e-12, abs=1e-12)


def test_smp_explain_json_carries_the_moves_unrounded() -> None:
    trajectory = forecast("korea-2017", models=["smp"]).results["smp"].trajectory
    moved = np.linalg.norm(trajectory[1] - trajectory[0], axis=-1)  # unit scale, all issues
    assert _explained("smp", 1, "moved (all issues)") == pytest.approx(
        list(moved), rel=1e-12, abs=1e-12)
