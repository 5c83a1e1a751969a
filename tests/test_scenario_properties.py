"""Property tests over random valid scenarios: load, round trip, compile, forecast in units."""

from __future__ import annotations

import numpy as np
import yaml
from hypothesis import given, settings

import detente
from detente.scenario import scenario_from_mapping
from tests.strategies import scenario_dicts


@settings(max_examples=40, deadline=None)
@given(raw=scenario_dicts())
def test_valid_scenarios_load_and_round_trip(raw: dict) -> None:
    s = scenario_from_mapping(raw)
    assert scenario_from_mapping(yaml.safe_load(s.to_yaml())) == s
    arrays = s.compile()
    assert np.all((arrays.position >= 0) & (arrays.position <= 1))
    assert np.all(arrays.salience[~arrays.stake] == 0)


@settings(max_examples=30, deadline=None)
@given(raw=scenario_dicts())
def test_forecasts_are_in_issue_units(raw: dict) -> None:
    f = detente.forecast(scenario_from_mapping(raw))
    for model in f.results:
        for issue_id, value in f.values(model).items():
            issue = f.scenario.issue(issue_id)
            assert issue.scale.low - 1e-9 <= value <= issue.scale.high + 1e-9


@settings(max_examples=30, deadline=None)
@given(raw=scenario_dicts(max_issues=1))
def test_rescaling_an_issue_scale_rescales_the_forecast(raw: dict) -> None:
    doubled = yaml.safe_load(yaml.safe_dump(raw))
    issue = doubled["issues"][0]
    issue["scale"] = {"low": issue["scale"]["low"] * 2, "high": issue["scale"]["high"] * 2}
    issue["status_quo"] *= 2
    for row in doubled["stances"].values():
        for stance in row.values():
            stance["position"] *= 2
    base = detente.forecast(scenario_from_mapping(raw))
    scaled = detente.forecast(scenario_from_mapping(doubled))
    for model in base.results:
        np.testing.assert_allclose(scaled.values(model)["I0"], 2 * base.values(model)["I0"],
                                   rtol=1e-9, atol=1e-6)
