"""A counterfactual sets a value, so that value is certain: sample and sensitivity neither
draw nor count an uncertain input the counterfactual sets or removes, and say which.
Drawn and then overwritten, it used to be counted ("3 uncertain inputs" over intervals of
width 0) and ranked by sensitivity with no effect."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from detente.cli import main  # noqa: F401  (registers every command module)
from detente.cli.common import app

runner = CliRunner()


@pytest.fixture()
def uncertain(tmp_path: Path) -> str:
    """examples/my.yaml with three uncertain inputs (docs/uncertainty.md's syntax)."""
    data = yaml.safe_load(Path("examples/my.yaml").read_text(encoding="utf-8"))
    data["stances"]["UP"]["FLOW"]["position"] = {"value": 4, "low": 3, "high": 6}
    data["stances"]["MID"]["FLOW"]["salience"] = {"value": 0.6, "sd": 0.1,
                                                  "distribution": "normal"}
    data["actors"][0]["capability"] = {"value": 60, "low": 50, "high": 70}
    path = tmp_path / "unc.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


def run_json(*args: str) -> dict:  # type: ignore[type-arg]
    result = runner.invoke(app, [*args, "-f", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_sample_counts_only_the_inputs_still_uncertain_and_names_the_fixed(
        uncertain: str) -> None:
    plain = run_json("sample", uncertain, "-n", "200")
    assert plain["uncertain_inputs"] == 3
    varied = run_json("sample", uncertain, "-n", "200", "--position", "UP.FLOW=5")
    assert varied["uncertain_inputs"] == 2
    [note] = [n for n in varied["notes"] if "the counterfactual sets" in n]
    assert "1 of the scenario's uncertain inputs" in note and "position[UP,FLOW]" in note
    text = runner.invoke(app, ["sample", uncertain, "-n", "200", "--position", "UP.FLOW=5"])
    assert "2 uncertain inputs" in text.output and "position[UP,FLOW]" in text.output


def test_sensitivity_ranks_only_the_inputs_still_uncertain(uncertain: str) -> None:
    result = run_json("sensitivity", uncertain, "-n", "100", "--position", "UP.FLOW=5",
                      "--capability", "UP=55")
    for output in result["outputs"].values():
        assert [r["input"] for r in output["ranking"]] == ["salience[MID,FLOW]"]
    assert any("capability[UP], position[UP,FLOW]" in n for n in result["notes"])


def test_an_actor_removed_takes_its_uncertain_inputs_along(uncertain: str) -> None:
    # Under default noise every capability, position and salience is uncertain; MID's
    # leave with it (and trust in MID, under a noise on trust).
    data = yaml.safe_load(Path("examples/my.yaml").read_text(encoding="utf-8"))
    full = run_json("sample", "examples/my.yaml", "-n", "50")
    without = run_json("sample", "examples/my.yaml", "-n", "50", "--without", "MID")
    mid_inputs = 1 + len(data["stances"]["MID"]) * 2
    assert without["uncertain_inputs"] == full["uncertain_inputs"] - mid_inputs
    assert any("capability[MID]" in n for n in without["notes"])
    trusting = ("--noise", "trust=0.1")
    full = run_json("sample", "examples/my.yaml", "-n", "50", *trusting)
    without = run_json("sample", "examples/my.yaml", "-n", "50", *trusting, "--without", "MID")
    # Trust alone is drawn: MID's trust in the others and theirs in MID.
    mid_inputs = 2 * (len(data["actors"]) - 1)
    assert without["uncertain_inputs"] == full["uncertain_inputs"] - mid_inputs
    assert any("trust[MID,UP]" in n for n in without["notes"])


def test_a_counterfactual_setting_every_uncertain_input_is_refused(uncertain: str) -> None:
    result = runner.invoke(app, ["sample", uncertain, "-n", "1000", "--position", "UP.FLOW=5",
                                 "--capability", "UP=60", "--salience", "MID.FLOW=0.6"])
    assert result.exit_code == 2, result.output
    assert "the counterfactual sets every uncertain input" in result.output
    assert "detente forecast" in result.output
    assert "Traceback" not in result.output


def with_fund_salience(tmp_path: Path, salience: float) -> str:
    """examples/my.yaml with MID's salience on FUND written as ``salience``."""
    data = yaml.safe_load(Path("examples/my.yaml").read_text(encoding="utf-8"))
    data["stances"]["MID"]["FUND"]["salience"] = salience
    path = tmp_path / f"fund-{salience}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


def drawn(result: dict) -> tuple[int, dict]:  # type: ignore[type-arg]
    """What a sample drew: its count of uncertain inputs and its distributions."""
    return result["uncertain_inputs"], result["issues"]


@pytest.mark.parametrize("written,counterfactual", [(0.3, "0"), (0, "0.3")])
def test_a_counterfactual_salience_draws_as_the_scenario_that_writes_it(
        tmp_path: Path, written: float, counterfactual: str) -> None:
    # Before: a counterfactual salience of 0 left MID's position on FUND drawn (19 inputs,
    # where the file writing 0 has 18, and other draws), though a stake of 0 is no stance.
    # The other way round, a counterfactual stake must draw the position the noise covers.
    target = float(counterfactual)
    seed = ("-n", "200", "--seed", "3")
    as_written = run_json("sample", with_fund_salience(tmp_path, target), *seed)
    varied = run_json("sample", with_fund_salience(tmp_path, written), *seed,
                      "--salience", f"MID.FUND={counterfactual}")
    fixed_salience = 1 if target else 0  # a stake's salience: drawn as written, set here
    assert varied["uncertain_inputs"] == as_written["uncertain_inputs"] - fixed_salience
    if not target:
        assert drawn(varied) == drawn(as_written)
        # Both the salience set and the position whose stake it takes away are named.
        [note] = [n for n in varied["notes"] if "the counterfactual sets" in n]
        assert "2 of the scenario's uncertain inputs" in note
        assert "position[MID,FUND], salience[MID,FUND]" in note
    else:  # the stance had no stake, so no input of the scenario as written is set
        assert not [n for n in varied["notes"] if "the counterfactual sets" in n]


def test_sensitivity_does_not_rank_a_position_the_counterfactual_takes_the_stake_from(
        ) -> None:
    result = run_json("sensitivity", "examples/my.yaml", "-m", "compromise", "-n", "64",
                      "--top", "20", "-i", "FUND", "--salience", "MID.FUND=0")
    ranked = [r["input"] for r in result["outputs"]["FUND"]["ranking"]]
    assert "position[DOWN,FUND]" in ranked  # a stake still drawn is ranked
    assert "position[MID,FUND]" not in ranked
