"""The package-search grid is relative to each issue's scale by default (a tenth of it), and
``--step`` takes either a percent of each issue's scale (``5%``) or issue units (``2.5``).

One absolute default (10 units) searched only the two ends of a 0-1 issue, so ``settle``
reported a poor "best package" with exit 0; it was refused on a 0-10⁹ issue although the
user gave no step; and no single number suited a scenario mixing a 0-0.02 issue with a
0-100 one. Every test here fails on the absolute default.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import detente
from detente.cli import app
from detente.errors import OptionError
from detente.scenario import Scenario, scenario_from_mapping
from detente.settlement import defaults
from detente.settlement.problem import SettlementProblem

runner = CliRunner()


def _two_actors(scenario_id: str, issues: list[tuple[str, float, float, float]],
                stances: dict[str, dict[str, tuple[float, float]]]) -> dict[str, Any]:
    """A scenario of two equally capable actors A and B: ``issues`` as (id, scale low, scale
    high, status quo), ``stances`` as actor → issue → (position, salience)."""
    return {
        "id": scenario_id, "title": scenario_id,
        "issues": [{"id": iid, "name": iid.lower(), "scale": {"low": low, "high": high},
                    "status_quo": status_quo} for iid, low, high, status_quo in issues],
        "actors": [{"id": a, "name": a.lower(), "capability": 50} for a in stances],
        "stances": {a: {iid: {"position": position, "salience": salience}
                        for iid, (position, salience) in row.items()}
                    for a, row in stances.items()},
    }


def _one_share() -> dict[str, Any]:
    """One issue on 0-1 at 0; A wants 0.3, B 0.7. Both gain from any move up to 0.6,
    neither from the top end."""
    return _two_actors("share", [("SHARE", 0.0, 1.0, 0.0)],
                       {"A": {"SHARE": (0.3, 1.0)}, "B": {"SHARE": (0.7, 1.0)}})


def _budget_and_freeze() -> dict[str, Any]:
    """A budget on 0-10⁹ (dollars) beside a freeze on 0-100."""
    return _two_actors("budget", [("BUDGET", 0.0, 1e9, 0.0), ("NUC", 0.0, 100.0, 0.0)],
                       {"A": {"BUDGET": (3e8, 0.6), "NUC": (80.0, 0.4)},
                        "B": {"BUDGET": (7e8, 0.4), "NUC": (40.0, 0.6)}})


def _tariff_and_quota() -> dict[str, Any]:
    """A tariff rate on 0-0.02 beside a quota on 0-100: no one number of issue units
    suits both."""
    return _two_actors("mixed", [("TARIFF", 0.0, 0.02, 0.02), ("QUOTA", 0.0, 100.0, 0.0)],
                       {"A": {"TARIFF": (0.006, 0.5), "QUOTA": (70.0, 0.5)},
                        "B": {"TARIFF": (0.014, 0.5), "QUOTA": (30.0, 0.5)}})


@pytest.fixture()
def files(tmp_path: Path) -> Iterator[dict[str, str]]:
    out = {}
    for name, raw in (("share", _one_share()), ("budget", _budget_and_freeze()),
                      ("mixed", _tariff_and_quota())):
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(raw), encoding="utf-8")
        out[name] = str(path)
    yield out


def _settle_json(*words: str) -> dict[str, Any]:
    out = runner.invoke(app, ["settle", *words, "--format", "json"])
    assert out.exit_code == 0, out.output
    return dict(json.loads(out.stdout))


# --- the default: a tenth of each issue's scale ------------------------------------------


def test_a_0_to_1_issue_is_searched_inside_its_scale_by_default() -> None:
    # 10 units on a 0-1 scale left {0, 1}: no package both gain from, exit 0, "zone empty".
    s = scenario_from_mapping(_one_share())
    assert SettlementProblem.from_scenario(s).candidates[0] == pytest.approx(
        [j / 10 for j in range(11)])
    settled = detente.settle(s, zones=False, persuasion=False)
    best = settled.baseline.best
    assert settled.baseline.zone_exists and best is not None
    assert 0.0 < best.values["SHARE"] < 1.0
    # Nash product x²(0.6 − x)(1.4 − x) (both gains, quadratic loss): largest at x ≈ 0.384,
    # so 0.4 on a tenth-of-the-scale grid.
    assert best.values["SHARE"] == pytest.approx(0.4)
    assert settled.to_dict()["steps"] == {"SHARE": pytest.approx(0.1)}
    # What the old default searched: the two ends, where no package is a deal (the top end
    # costs A more than the status quo), though settle said so with exit 0.
    ends = detente.settle(s, step=1.0, zones=False, persuasion=False)
    assert not ends.baseline.zone_exists


def test_a_0_to_1e9_issue_settles_with_the_default_step(files: dict[str, str]) -> None:
    # 10 units on 0-10⁹ were 10⁸ values: refused, though the user gave no step.
    data = _settle_json(files["budget"], "--no-count")
    assert data["steps"] == {"BUDGET": 1e8, "NUC": 10.0}
    assert data["step"] is None  # no one step in issue units: the scales differ
    best = data["baseline"]["best_nash"]
    assert data["baseline"]["zone_exists"] and best is not None
    assert 0 < best["values"]["BUDGET"] < 1e9 and best["values"]["BUDGET"] % 1e8 == 0
    for command in ("contributions", "roadmap"):
        out = runner.invoke(app, [command, files["budget"], "--format", "json"])
        assert out.exit_code == 0, (command, out.output)
        assert all(math.isfinite(x) for x in _numbers(json.loads(out.stdout)))


def _numbers(node: Any) -> Iterator[float]:
    if isinstance(node, dict):
        for value in node.values():
            yield from _numbers(value)
    elif isinstance(node, list):
        for value in node:
            yield from _numbers(value)
    elif isinstance(node, float):
        yield node


def test_a_mixed_scale_scenario_gets_a_grid_on_each_scale(files: dict[str, str]) -> None:
    # 10 units left the tariff only {0, 0.02}: it stayed at the status quo, 0.02.
    data = _settle_json(files["mixed"], "--no-count")
    assert data["steps"] == {"TARIFF": pytest.approx(0.002), "QUOTA": 10.0}
    best = data["baseline"]["best_nash"]["values"]
    assert best["TARIFF"] == pytest.approx(0.012) and best["QUOTA"] == pytest.approx(40)
    out = runner.invoke(app, ["settle", files["mixed"], "--no-count"])
    assert out.exit_code == 0, out.output
    assert "grid step 10% of each issue's scale" in " ".join(out.output.split())


def test_equal_steps_on_offset_scales_are_one_step_written_cleanly(tmp_path: Path) -> None:
    # 10% of 0 to 0.3 and of 0.1 to 0.4 differ in the last bit: JSON wrote
    # {"FLOW": 0.03, "FUND": 0.030000000000000006} with "step": null, and the header
    # "10% of each issue's scale" instead of the one step both issues share.
    raw = _two_actors("fp", [("FLOW", 0.0, 0.3, 0.09), ("FUND", 0.1, 0.4, 0.4)],
                      {"A": {"FLOW": (0.2, 0.5), "FUND": (0.2, 0.5)},
                       "B": {"FLOW": (0.25, 0.5), "FUND": (0.3, 0.5)}})
    path = tmp_path / "fp.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    for command in ("settle", "roadmap"):
        extra = ["--stages", "2"] if command == "roadmap" else []
        out = runner.invoke(app, [command, str(path), *extra, "--format", "json"])
        assert out.exit_code == 0, out.output
        data = json.loads(out.stdout)
        assert data["steps"] == {"FLOW": 0.03, "FUND": 0.03}, (command, data["steps"])
        assert data["step"] == 0.03, (command, data["step"])
    out = runner.invoke(app, ["settle", str(path)])
    assert "grid step 0.03 units" in " ".join(out.output.split()), out.output


def test_a_search_over_listed_options_names_them_not_a_grid(tmp_path: Path) -> None:
    # Every issue lists its options (JSON steps all null): the headers named the unused
    # default, "grid step 10% of each issue's scale".
    raw = _budget_and_freeze()
    raw["issues"][0]["options"] = [0.0, 3e8, 7e8]
    raw["issues"][1]["options"] = [0.0, 40.0, 80.0]
    path = tmp_path / "options.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    for command in (["settle"], ["roadmap", "--stages", "2"]):
        out = runner.invoke(app, [command[0], str(path), *command[1:]])
        assert out.exit_code == 0, out.output
        head = " ".join(out.output.split())
        assert "the issues' listed options" in head and "grid step" not in head, head


# --- --step: a percent of each scale, or issue units ---------------------------------------


def test_a_percent_step_is_a_finer_grid_on_every_scale(files: dict[str, str]) -> None:
    data = _settle_json(files["mixed"], "--step", "2%", "--no-count")
    assert data["steps"] == {"TARIFF": pytest.approx(0.0004), "QUOTA": 2.0}
    finer = data["baseline"]["best_nash"]
    default = _settle_json(files["mixed"], "--no-count")["baseline"]["best_nash"]
    # A finer grid holds every package of the coarser one: never a worse best package.
    assert finer["nash_product"] >= default["nash_product"]
    assert finer["values"]["TARIFF"] == pytest.approx(0.0124)


def test_a_step_in_issue_units_keeps_its_meaning(files: dict[str, str]) -> None:
    # A script's --step 0.25 is 0.25 issue units, as it always was, not a percent.
    data = _settle_json(files["share"], "--step", "0.25", "--no-count")
    assert data["step"] == 0.25 and data["steps"] == {"SHARE": 0.25}
    assert SettlementProblem.from_scenario(
        scenario_from_mapping(_one_share()), 0.25).candidates[0] == (0.0, 0.25, 0.5, 0.75,
                                                                       1.0)
    # On korea-2017's 0-100 scales 10 units and the default 10% are the same search.
    ten = detente.settle("korea-2017", step=10.0, top=1, zones=False, persuasion=False)
    default = detente.settle("korea-2017", top=1, zones=False, persuasion=False)
    assert ten.to_dict()["baseline"]["best_nash"] == default.to_dict()["baseline"]["best_nash"]
    assert ten.step == defaults.GridStep(10.0) and default.step == defaults.DEFAULT_STEP


@pytest.mark.parametrize(("step", "shown"), [("0%", "0%"), ("abc", "abc"), ("-1%", "-1%"),
                                             ("101%", "101%"), ("0", "0")])
def test_a_bad_step_is_refused_at_the_flag(files: dict[str, str], step: str,
                                           shown: str) -> None:
    out = runner.invoke(app, ["settle", files["share"], "--step", step])
    assert out.exit_code == 2 and "Traceback" not in out.output
    text = " ".join(out.output.split())
    assert (f"--step: the grid step must be a finite number above 0 (issue units) or a "
            f"percent above 0% and at most 100% (of each issue's scale), got {shown}") in text
    assert "--step 5%" in text  # the fix shows both forms
    assert "--step 2.5" in text


def test_a_step_too_fine_is_refused_with_the_percent_form_as_fix(
        files: dict[str, str]) -> None:
    units = runner.invoke(app, ["settle", files["budget"], "--step", "100"])
    assert units.exit_code == 2
    text = " ".join(units.output.split())
    assert "a step of 100 gives 10,000,001 values on BUDGET" in text
    assert "use a step of at least 1000000, or a percent of each issue's scale, e.g. " \
        "--step 1%" in text
    percent = runner.invoke(app, ["settle", files["budget"], "--step", "0.05%"])
    assert percent.exit_code == 2
    text = " ".join(percent.output.split())
    assert "a step of 0.05% (500000 units) gives 2,001 values on BUDGET" in text
    assert "use a step of at least 0.1%" in text


def test_the_library_takes_the_percent_form_and_refuses_bad_ones() -> None:
    s = scenario_from_mapping(_tariff_and_quota())
    assert detente.settle(s, step="50%", zones=False, persuasion=False).steps == \
        {"TARIFF": pytest.approx(0.01), "QUOTA": 50.0}
    for bad in ("0%", "abc", "-1%", float("inf"), True):
        with pytest.raises(OptionError, match="the grid step must be"):
            detente.settle(s, step=bad)  # type: ignore[arg-type]
    with pytest.raises(OptionError, match="the grid step must be"):
        detente.roadmap(s, step="0%")


def test_the_sampled_settle_takes_the_percent_form(files: dict[str, str]) -> None:
    done = runner.invoke(app, ["sample", files["mixed"], "-m", "settle", "-n", "4",
                               "-O", "settle.step=50%", "--format", "json", "-q"])
    assert done.exit_code == 0, done.output
    refused = runner.invoke(app, ["sample", files["mixed"], "-m", "settle", "-n", "4",
                                  "-O", "settle.step=0%"])
    assert refused.exit_code == 2
    assert "settle.step: the grid step must be" in " ".join(refused.output.split())


@pytest.mark.parametrize(("given", "written"), [
    ("33.3333333333%", "33.3333333333%"),   # :g wrote 33.3333%: 5 values where 4 were asked
    ("123456.7", "123456.7"),               # :g wrote 123457
    ("10%", "10%"), ("2.5", "2.5"), ("1e-07", "1e-07"),
])
def test_a_step_is_written_so_that_it_reads_back_the_same(given: str, written: str) -> None:
    step = defaults.GridStep.parse(given)
    assert str(step) == written
    assert defaults.GridStep.parse(str(step)) == step
    assert defaults.GridStep.parse(step.to_json()) == step


def test_the_sampled_settle_reports_the_step_it_ran(files: dict[str, str]) -> None:
    done = runner.invoke(app, ["sample", files["mixed"], "-m", "settle", "-n", "2", "-q",
                               "-O", "settle.step=33.3333333333%", "--format", "json"])
    assert done.exit_code == 0, done.output
    assert '"step": "33.3333333333%"' in done.stdout, done.stdout


def test_the_web_takes_the_percent_form_and_refuses_bad_ones(files: dict[str, str]) -> None:
    pytest.importorskip("fastapi", reason="the web extra (FastAPI) is not installed")
    from fastapi.testclient import TestClient

    from detente.web.app import create_app

    with TestClient(create_app()) as client:
        done = client.post("/api/analyses/settle", json={
            "scenario": _tariff_and_quota(), "params": {"step": "2%", "count": False}})
        assert done.status_code == 200, done.text
        data = done.json()["result"]["data"]
        assert data["steps"] == {"TARIFF": pytest.approx(0.0004), "QUOTA": 2.0}
        cli = _settle_json(files["mixed"], "--step", "2%", "--no-count")
        assert data["baseline"]["best_nash"] == cli["baseline"]["best_nash"]
        for bad in ("0%", "abc", "-1%"):
            refused = client.post("/api/analyses/settle", json={
                "scenario": _tariff_and_quota(), "params": {"step": bad}})
            assert refused.status_code == 422, bad
            problems = refused.json()["problems"]
            assert [p["location"] for p in problems] == ["params.step"]
            assert "the grid step must be" in problems[0]["message"]


# --- rescaling an issue rescales its grid and its package ---------------------------------


def _scaled(raw: dict[str, Any], factors: dict[str, float]) -> Scenario:
    """``raw`` with each issue's scale, status quo and every position on it multiplied by
    its factor."""
    out = copy.deepcopy(raw)
    for issue in out["issues"]:
        c = factors[issue["id"]]
        issue["scale"] = {"low": issue["scale"]["low"] * c, "high": issue["scale"]["high"] * c}
        issue["status_quo"] *= c
    for stances in out["stances"].values():
        for iid, stance in stances.items():
            stance["position"] *= factors[iid]
    return scenario_from_mapping(out)


@st.composite
def _small_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """Two or three actors on one or two issues with scales of any span and offset."""
    unit = st.floats(0.0, 1.0)
    n_issues = draw(st.integers(1, 2))
    actors = [f"A{k}" for k in range(draw(st.integers(2, 3)))]
    issues = []
    for k in range(n_issues):
        low = draw(st.floats(-50.0, 50.0))
        span = draw(st.floats(0.5, 200.0))
        issues.append({"id": f"I{k}", "name": f"issue {k}",
                       "scale": {"low": low, "high": low + span},
                       "status_quo": low + draw(unit) * span})
    stances = {a: {i["id"]: {"position": i["scale"]["low"] + draw(unit) * (
        i["scale"]["high"] - i["scale"]["low"]), "salience": draw(st.floats(0.1, 1.0))}
        for i in issues} for a in actors}
    return {"id": "drawn", "title": "drawn",
            "issues": issues,
            "actors": [{"id": a, "name": a, "capability": draw(st.floats(1.0, 100.0))}
                       for a in actors],
            "stances": stances}


@settings(max_examples=50, deadline=None)
# 2^-15 keeps the narrowest drawn span (0.5) above scenario.MIN_SCALE_SPAN, 1e-5: a scale
# narrower than that is refused at load, as too narrow to compute with.
@given(raw=_small_scenarios(), exponents=st.lists(st.integers(-15, 30), min_size=2,
                                                  max_size=2))
def test_rescaling_an_issue_rescales_its_default_grid_and_best_package(
        raw: dict[str, Any], exponents: list[int]) -> None:
    # A power of two scales every float exactly, so the search sees the very same gains and
    # must pick the very same package (ties included), each value times the factor (up to
    # the rounding of the values shown, to about 10⁻¹¹ of each span).
    factors = {i["id"]: 2.0 ** e for i, e in zip(raw["issues"], exponents, strict=False)}
    base, scaled = scenario_from_mapping(raw), _scaled(raw, factors)
    grid = SettlementProblem.from_scenario(base).candidates
    assert SettlementProblem.from_scenario(scaled).candidates == tuple(
        tuple(v * factors[i.id] for v in values) for i, values in zip(base.issues, grid,
                                                                        strict=True))
    one = detente.settle(base, zones=False, persuasion=False, top=1).baseline
    other = detente.settle(scaled, zones=False, persuasion=False, top=1).baseline
    assert one.zone_exists == other.zone_exists and one.zone_size == other.zone_size
    if one.best is not None and other.best is not None:
        assert other.best.nash == one.best.nash
        for issue in scaled.issues:
            span = issue.scale.high - issue.scale.low
            assert other.best.values[issue.id] == pytest.approx(
                one.best.values[issue.id] * factors[issue.id], rel=0, abs=1e-10 * span)
        assert other.best.changed == one.best.changed


@pytest.mark.parametrize("factor", [1e-6, 3.7, 1e9])
def test_any_positive_factor_gives_the_same_best_package(factor: float) -> None:
    # Not a power of two: the floats round differently, so the package is compared with a
    # tolerance; the grid is a tenth of the scale whatever its span.
    raw = _tariff_and_quota()
    one = detente.settle(scenario_from_mapping(raw), zones=False, persuasion=False).baseline
    scaled = _scaled(raw, {"TARIFF": 1.0, "QUOTA": factor})
    other = detente.settle(scaled, zones=False, persuasion=False).baseline
    assert one.best is not None and other.best is not None
    assert other.best.nash == pytest.approx(one.best.nash, rel=1e-9)
    assert other.best.values["QUOTA"] == pytest.approx(one.best.values["QUOTA"] * factor,
                                                       rel=1e-9)
    assert other.best.values["TARIFF"] == pytest.approx(one.best.values["TARIFF"], rel=1e-9)
