"""`detente roadmap`: tables, the JSON contract, counterfactuals, clear errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from detente.cli import main  # noqa: F401  (registers every command module)
from detente.cli.common import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_roadmap_table_names_the_breaking_stage_and_actors() -> None:
    result = invoke("roadmap", "--roadmap", "OPED")
    assert result.exit_code == 0, result.output
    assert "breaks at stage 1 for US, KP, KR, JP" in result.output
    assert "banked / expects" in result.output


def test_roadmap_json_with_search_counterfactual_and_scan() -> None:
    result = invoke("roadmap", "--stages", "2", "--without", "RU", "--trust", "KP.CN=0.9",
                    "--separately", "--scan", "KP.RU", "--patience", "0.9", "-f", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["format"] == "detente.roadmap"
    assert data["patience"] == 0.9
    assert [v["label"] for v in data["variants"]] == ["without RU", "KP.CN=0.9"]
    search = data["baseline"]["search"]
    assert search["stages"] == 2
    # korea-2017 has 2-stage roadmaps that hold (docs/roadmap.md, findings): one is found.
    assert search["exists"], search
    stages = search["found"]["stages"]
    assert len(stages) == 2 and all(stages[k]["moved"] for k in range(2))
    assert all(all(s["stays"].values()) for s in stages)
    assert len(data["scan"]["values"]) == 21
    assert data["baseline"]["roadmaps"][0]["id"] == "OPED"


def test_roadmap_search_to_a_named_final_reports_near_misses() -> None:
    result = invoke("roadmap", "--stages", "2", "--final", "P1", "--roadmap", "OPED",
                    "--near", "1", "-f", "json")
    assert result.exit_code == 0, result.output
    search = json.loads(result.output)["baseline"]["search"]
    assert not search["exists"]
    miss = search["near_misses"][0]
    assert {b["actor"] for b in miss["breaks"] if b["stage"] == 1} == {"US", "KP", "KR", "JP"}


@pytest.mark.parametrize("args", [
    ("roadmap", "--stages", "9"),
    ("roadmap", "--stages", "0"),
    ("roadmap", "--patience", "0"),
    ("roadmap", "--patience", "2"),
    ("roadmap", "--roadmap", "OPEDX"),
    ("roadmap", "--final", "P9", "--stages", "2"),
    ("roadmap", "--trust", "KP.XX=0.5"),
    ("roadmap", "--trust", "KP.RU=1.5"),
    ("roadmap", "--guarantor", "SEC="),
    ("roadmap", "--without", "ZZ"),
    ("roadmap", "--scan", "KP"),
    ("roadmap", "--scan", "KP.QQ"),
    ("roadmap", "missing.yaml"),
])
def test_bad_options_exit_nonzero_without_traceback(args: tuple[str, ...]) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "error" in result.output


@pytest.mark.parametrize("method", ["brute", "bnb"])
def test_roadmap_search_past_max_packages_is_refused_with_the_option_that_lifts_it(
        method: str) -> None:
    # The limit message names --max-packages, so roadmap must take it too.
    result = invoke("roadmap", "--stages", "2", "--step", "25", "--method", method,
                    "--max-packages", "10")
    assert result.exit_code == 2, result.output
    assert "past the limit of 10" in result.output
    assert "raise the limit with --max-packages N" in result.output
    assert "Traceback" not in result.output


def test_roadmap_max_packages_reaches_the_search() -> None:
    small = invoke("roadmap", "--stages", "2", "--step", "25", "-f", "json")
    lifted = invoke("roadmap", "--stages", "2", "--step", "25", "--max-packages",
                    "100000000", "-f", "json")
    assert small.exit_code == 0 and lifted.exit_code == 0, small.output + lifted.output
    assert json.loads(small.output)["baseline"]["search"] == \
        json.loads(lifted.output)["baseline"]["search"] | {"seconds": json.loads(
            small.output)["baseline"]["search"]["seconds"]}
