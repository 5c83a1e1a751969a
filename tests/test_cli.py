"""The command line: the main job, the JSON contract, clear errors with a non-zero exit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import main  # noqa: F401  (registers every command module)
from detente.cli.common import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_forecast_default_scenario_table() -> None:
    result = invoke("forecast")
    assert result.exit_code == 0
    for issue in ("NUC", "MSL", "SANC", "SEC", "VER", "ALL", "NORM", "LINK"):
        assert issue in result.output
    for model in ("compromise", "median", "nash"):
        assert model in result.output


def test_forecast_json_contract() -> None:
    result = invoke("forecast", "korea-2017", "--format", "json")
    data = json.loads(result.output)
    assert data["scenario"] == "korea-2017"
    assert data["actors"] == ["US", "CN", "RU", "KP", "KR", "JP"]
    assert data["issues"][0] == "NUC"
    assert [m["name"] for m in data["models"]] == ["compromise", "median", "nash"]
    for model in data["models"]:
        assert set(model["forecast"]) == set(data["issues"])
        assert isinstance(model["options"], dict)


def test_forecast_csv() -> None:
    lines = invoke("forecast", "-m", "median", "-f", "csv").output.strip().splitlines()
    assert lines[0].startswith("scenario,model,issue")
    assert len(lines) == 1 + 8


def test_forecast_model_option() -> None:
    result = invoke("forecast", "-m", "nash", "-O", "nash.utility=linear", "-f", "json")
    assert json.loads(result.output)["models"][0]["options"]["utility"] == "linear"


@pytest.mark.parametrize("args", [("forecast", "-m", "nope"), ("forecast", "-O", "nash.x=1"),
                                  ("forecast", "-O", "garbage"), ("check", "missing.yaml")])
def test_bad_options_exit_nonzero_without_traceback(args: tuple[str, ...]) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "error" in result.output


def test_check_good_and_bad(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    assert invoke("convert", "korea-2017", "-o", str(good)).exit_code == 0
    assert "ok" in invoke("check", str(good)).output
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace("salience: 0.95", "salience: 9.5", 1))
    result = invoke("check", str(bad))
    assert result.exit_code == 2
    assert "stances.US.NUC.salience" in result.output and "fix:" in result.output


def test_convert_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "mine.yaml"
    target.write_text("my own work")
    result = invoke("convert", "korea-2017", "-o", str(target))
    assert result.exit_code == 2 and "already exists" in result.output
    assert target.read_text() == "my own work"
    assert invoke("convert", "korea-2017", "-o", str(target), "--force").exit_code == 0
    assert "korea-2017" in target.read_text()


def test_show_scenarios_models_schema() -> None:
    assert "Russia" in invoke("show").output
    assert "korea-2017-moon" in invoke("scenarios").output
    assert "compromise" in invoke("models").output
    assert json.loads(invoke("schema").output)["title"] == "detente scenario"
