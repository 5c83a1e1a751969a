"""A refusal stands where the interface showing it takes the option, and offers only fixes
that interface accepts; what an option cannot change is said, and the docs say the same."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from detente.cli import main  # noqa: F401  (registers every command module)
from detente.cli.common import app
from detente.scenario import load
from detente.web.app import create_app


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
