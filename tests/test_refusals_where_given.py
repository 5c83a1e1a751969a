"""A refusal stands where the interface showing it takes the option, and offers only fixes
that interface accepts; what an option cannot change is said, and the docs say the same."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import detente
from detente.cli import main  # noqa: F401  (registers every command module)
from detente.cli.common import app
from detente.scenario import load
from detente.web.analyses import available_analyses
from detente.web.app import create_app

DOCS = Path(__file__).parents[1] / "docs"


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app()) as c:
        yield c


def korea() -> dict[str, Any]:
    return dict(json.loads(load("korea-2017").to_json()))


def test_compare_with_nothing_to_compare_offers_the_workbench_a_fix_it_takes(
        client: TestClient) -> None:
    # It was refused at params.other with "give another scenario (other=FILE)", and the
    # workbench refuses other ("the workbench sets other itself").
    refused = client.post("/api/analyses/compare", json={
        "scenario": korea(), "params": {"analyses": ["forecast"]}})
    assert refused.status_code == 422
    [problem] = refused.json()["problems"]
    assert problem["location"] == "counterfactual.without", problem
    assert "other" not in problem["fix"], problem
    example = re.search(r"without=(\w+)", problem["fix"])
    assert example, problem
    applied = client.post("/api/analyses/compare", json={
        "scenario": korea(), "params": {"analyses": ["forecast"]},
        "counterfactual": {"without": [example.group(1)]}})
    assert applied.status_code == 200, applied.json()


def test_compare_with_nothing_to_compare_offers_the_command_line_another_scenario() -> None:
    result = CliRunner().invoke(app, ["compare", "korea-2017", "-a", "forecast"])
    assert result.exit_code != 0
    assert "--other: nothing to compare" in result.output
    assert "--other FILE" in result.output and "--without" in result.output


def test_plot_refuses_an_unknown_issue_at_its_option(client: TestClient,
                                                     tmp_path: Path) -> None:
    # It was located at "issue" on both, the place neither interface calls the option.
    result = CliRunner().invoke(app, ["plot", "issue-map", "korea-2017", "-i", "NOPE",
                                      "-o", str(tmp_path / "x.png")])
    assert result.exit_code != 0
    assert "--issue: unknown issue 'NOPE'" in result.output, result.output
    refused = client.post("/api/analyses/plot", json={
        "scenario": korea(), "params": {"issue": ["NOPE"]}})
    assert refused.status_code == 422
    assert [p["location"] for p in refused.json()["problems"]] == ["params.issue"]


def test_the_web_docs_name_the_analyses_that_take_no_seed() -> None:
    # They named explain too, which takes --seed on purpose (a stochastic model's round).
    text = " ".join((DOCS / "web.md").read_text(encoding="utf-8").split())
    listed = re.search(r"`params\.seed` for an analysis that draws nothing at random — "
                       r"([^—]+) —", text)
    assert listed, "docs/web.md no longer lists the analyses without a seed"
    without_seed = {name for name, spec in available_analyses().items()
                    if all(o.name != "seed" for o in spec.options)}
    assert set(listed.group(1).split(", ")) == without_seed


@pytest.mark.parametrize(("options", "noted"), [
    ({"model": "bdm", "seed": 5}, True),
    ({"model": "smp", "seed": 5}, True),
    ({"model": "bdm"}, False),
    ({"model": "smp", "seed": 5, "option": ["smp.transitions=stochastic"]}, False),
])
def test_explain_says_when_its_seed_changes_nothing(options: dict[str, Any],
                                                     noted: bool) -> None:
    notes = detente.run("explain", "korea-2017", **options).view().notes
    said = [n for n in notes if "--seed 5 changes nothing here" in n]
    assert bool(said) == noted, notes
