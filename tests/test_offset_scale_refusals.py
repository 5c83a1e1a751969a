"""Refusals on an offset scale (1000000 to 1000000.5) or a narrow one (1000 to 1000.5) echo
the user's number, the scale's ends and the grid's neighbours with every digit they have:
``:g`` wrote 1000000.7 and both ends as 1e+06, and offered the refused 1000.27 as its own
neighbour."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from detente.cli import main  # noqa: F401  (registers every command module)
from detente.cli.common import app

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "my.yaml"
runner = CliRunner()


def rescaled(tmp_path: Path, low: float, high: float, **changes: Any) -> str:
    """``examples/my.yaml`` with both issues mapped onto ``low`` to ``high``; ``changes``
    set top-level fields of an issue after mapping (``FUND={"status_quo": ...}``)."""
    doc = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    maps = {}
    for issue in doc["issues"]:
        old_low, old_high = issue["scale"]["low"], issue["scale"]["high"]

        def to_new(v: float, a: float = old_low, b: float = old_high) -> float:
            return low + (v - a) * (high - low) / (b - a)
        maps[issue["id"]] = to_new
        issue["scale"] = {"low": low, "high": high}
        issue["status_quo"] = to_new(issue["status_quo"])
        issue["anchors"] = {to_new(k): v for k, v in issue.get("anchors", {}).items()}
        issue.update(changes.get(issue["id"], {}))
    for stance in doc["stances"].values():
        for iid, entry in stance.items():
            entry["position"] = maps[iid](entry["position"])
    for package in doc.get("packages", []):
        package["values"] = {i: maps[i](v) for i, v in package["values"].items()}
    path = tmp_path / "scaled.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return str(path)


def refusal(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert "e+06" not in result.output, result.output
    return " ".join(result.output.split())


MEGA = (1e6, 1e6 + 0.5)
NARROW = (1000.0, 1000.5)
OUTSIDE = "FUND=1000000.7 is outside FUND's scale (1000000 to 1000000.5)"


@pytest.mark.parametrize("flag", ["--first", "--stage"])
def test_a_roadmap_stage_off_the_scale_echoes_every_digit(tmp_path: Path, flag: str) -> None:
    text = refusal("roadmap", rescaled(tmp_path, *MEGA), "--stages", "2", flag,
                   "FUND=1000000.7")
    assert OUTSIDE in text and "give a value from 1000000 to 1000000.5" in text, text


def test_a_first_stage_off_the_grid_offers_the_grid_values(tmp_path: Path) -> None:
    # The grid of 5% of 1000 to 1000.5 steps by 0.025: 1000.27 lies between 1000.25 and
    # 1000.275, which :g wrote 1000.27, the refused value itself. Only values the search
    # takes are offered: 1000.275 moves FUND less than its minimum move (refused as such).
    path = rescaled(tmp_path, *NARROW)
    text = refusal("roadmap", path, "--stages", "2", "--step", "5%", "--first", "FUND=1000.27")
    assert "FUND=1000.27 is not a value the search takes (grid step 0.025" in text, text
    assert text.endswith("fix: use FUND=1000.25"), text
    assert "moves no issue by its minimum move" in refusal(
        "roadmap", path, "--stages", "2", "--step", "5%", "--first", "FUND=1000.275")


def test_a_first_stage_that_moves_nothing_names_its_values(tmp_path: Path) -> None:
    path = rescaled(tmp_path, *MEGA)
    status_quo = yaml.safe_load(Path(path).read_text())["issues"][1]["status_quo"]
    text = refusal("roadmap", path, "--stages", "2", "--first", f"FUND={status_quo!r}")
    assert f"the first stage (FUND={status_quo!r}) moves no issue" in text, text


def test_settle_fix_and_position_off_the_scale_echo_every_digit(tmp_path: Path) -> None:
    path = rescaled(tmp_path, *MEGA)
    text = refusal("settle", path, "--fix", "FUND=1000000.7")
    assert "FUND=1000000.7 is outside the scale (1000000 to 1000000.5)" in text, text
    text = refusal("settle", path, "--position", "UP.FUND=1000000.7")
    assert "UP.FUND=1000000.7: outside the scale of FUND (1000000 to 1000000.5)" in text, text


def test_an_influence_target_off_the_scale_echoes_every_digit(tmp_path: Path) -> None:
    text = refusal("influence", rescaled(tmp_path, *MEGA), "--actor", "UP", "--issue",
                   "FUND", "--target", "1000000.7")
    assert "target 1000000.7 is off FUND's scale (1000000 to 1000000.5)" in text, text


def test_check_names_a_status_quo_off_the_scale_with_every_digit(tmp_path: Path) -> None:
    path = rescaled(tmp_path, *MEGA, FUND={"status_quo": 1000000.7})
    text = refusal("check", path)
    assert "status quo 1000000.7 is outside the scale of FUND (1000000 to 1000000.5)" \
        in text, text


def test_a_grid_too_fine_names_the_scale_with_every_digit(tmp_path: Path) -> None:
    text = refusal("settle", rescaled(tmp_path, *MEGA), "--step", "0.0000001")
    assert "values on FLOW (1000000 to 1000000.5;" in text, text


def test_the_smallest_step_offered_fits_and_reads_whole() -> None:
    from detente.settlement.defaults import GridStep
    from detente.settlement.problem import issue_grid, too_many_values
    for low, high, offered in ((0.0, 1e9, "1000000"), (0.0, 100 / 3, "0.0334")):
        text = str(too_many_values(GridStep(1e-7), "X", low, high))
        assert f"use a step of at least {offered}," in text, text
        assert issue_grid(GridStep(float(offered)), low, high) is not None
    text = str(too_many_values(GridStep(1e-6, relative=True), "X", 1e6, 1e6 + 0.5))
    assert "a step of 1e-06% (5e-09 units)" in text and "(1000000 to 1000000.5;" in text


def test_a_package_rule_on_an_offset_scale_names_its_bounds(tmp_path: Path) -> None:
    # ':g' described "FUND ≥ 1000000.25 requires FLOW ≤ 1000000.1" as 1e+06 both times.
    import detente
    from detente.scenario.compile import RuleSpec
    arrays = detente.load(rescaled(tmp_path, *MEGA)).compile()
    rule = RuleSpec("FUND", 0.5, math.inf, "FLOW", -math.inf, 0.2)
    assert rule.describe(arrays) == "FUND ≥ 1000000.25 requires FLOW ≤ 1000000.1"
