"""Influence on a forecast: checked against the weighted-mean identity and by re-running."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import detente
from detente import analyses
from detente.errors import OptionError
from detente.influence import influence
from detente.models import REGISTRY, get_model
from detente.variation import parse_variation

SETTINGS = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _forecast_with(actor: str, issue: str, value: float, model: str) -> float:
    s = detente.load("korea-2017")
    raw = s.model_dump(mode="python")
    raw["stances"][actor][issue]["position"] = value
    return detente.forecast(s.model_validate(raw), models=[model], rng=0).values(model)[issue]


def test_compromise_influence_is_a_weight_share() -> None:
    r = influence("korea-2017", "compromise")
    for issue in r.forecast:
        # Moving every actor by δ moves a weighted mean by δ: the shares sum to 1.
        assert sum(r.influence[a][issue] for a in r.influence) == pytest.approx(1.0, abs=1e-6)
        assert all(r.influence[a][issue] >= 0 for a in r.influence)
    # Against a forecast re-run with one position moved by 10 points (linear model).
    f0 = r.forecast["NUC"]
    moved = _forecast_with("US", "NUC", 10.0, "compromise")
    s = detente.load("korea-2017")
    p0 = float(s.stances["US"]["NUC"].position.value)
    assert moved - f0 == pytest.approx(r.influence["US"]["NUC"] * (10.0 - p0), rel=1e-6)


@SETTINGS
@given(actor=st.sampled_from(["US", "CN", "KP", "JP"]),
       issue=st.sampled_from(["NUC", "SANC", "SEC"]), share=st.floats(0.0, 1.0))
def test_target_found_is_confirmed_by_a_rerun(actor: str, issue: str, share: float) -> None:
    lo = _forecast_with(actor, issue, 0.0, "compromise")
    hi = _forecast_with(actor, issue, 100.0, "compromise")
    target = lo + share * (hi - lo)
    r = influence("korea-2017", "compromise", actor=actor, issue=issue, target=target)
    t = r.target
    assert t is not None and t.position is not None
    assert _forecast_with(actor, issue, t.position, "compromise") == pytest.approx(
        target, abs=0.1)


def test_unreachable_target_says_so_and_gives_the_nearest() -> None:
    lo = _forecast_with("RU", "NUC", 0.0, "compromise")
    hi = _forecast_with("RU", "NUC", 100.0, "compromise")
    r = influence("korea-2017", "compromise", actor="RU", issue="NUC", target=min(hi + 20, 100))
    assert r.target is not None and r.target.position is None
    assert r.target.nearest == pytest.approx(max(lo, hi), abs=1e-6)
    assert "no position" in r.target.describe()
    assert np.isfinite(r.target.forecast)


@pytest.mark.parametrize("kwargs", [{"target": 50}, {"actor": "ZZ"}, {"issue": "ZZ"},
                                    {"actor": "US", "issue": "NUC", "target": 150}])
def test_bad_input_is_an_option_error(kwargs: dict) -> None:
    with pytest.raises(OptionError):
        influence("korea-2017", **kwargs)


@pytest.mark.parametrize(("given", "location"), [
    (["--actor", "MID"], "--actor"), (["--issue", "FUND"], "--issue"),
    (["--actor", "MID", "--issue", "FUND"], "--actor"), (["--target", "12"], "--target"),
    (["--actor", "DOWN", "--target", "12"], "--target")])
def test_a_part_of_a_target_alone_is_refused_with_a_fix_that_runs(given: list[str],
                                                                  location: str) -> None:
    """An actor or issue without a target used to be dropped without a word (exit 0,
    ``"target": null``), and the refusal of a target alone named korea-2017's ids, which
    the scenario at hand may lack. The fix's example now runs on the scenario as written."""
    from typer.testing import CliRunner

    from detente.cli import main  # noqa: F401  (registers every command module)
    from detente.cli.common import app

    runner = CliRunner()
    refused = runner.invoke(app, ["influence", "examples/my.yaml", *given])
    assert refused.exit_code == 2, refused.output
    assert refused.output.startswith(f"error: {location}: "), refused.output
    example = refused.output.split("give ", 1)[1].removeprefix("all three, e.g. ")
    fix = example.split(",")[0].split()
    assert fix[0::2] == ["--actor", "--issue", "--target"]
    for flag, value in zip(given[0::2], given[1::2], strict=True):
        if flag != "--target":  # the ids the user gave are kept in the example
            assert fix[fix.index(flag) + 1] == value
    runs = runner.invoke(app, ["influence", "examples/my.yaml", *fix, "-f", "json"])
    assert runs.exit_code == 0, runs.output
    assert '"target": {' in runs.output


def test_the_web_refuses_an_actor_without_a_target_at_its_field() -> None:
    pytest.importorskip("fastapi", reason="the web extra (FastAPI) is not installed")
    from pathlib import Path

    import yaml
    from fastapi.testclient import TestClient

    from detente.web.app import create_app

    scenario = yaml.safe_load(Path("examples/my.yaml").read_text(encoding="utf-8"))
    with TestClient(create_app()) as client:
        response = client.post("/api/analyses/influence", json={
            "scenario": scenario, "params": {"actor": "MID"}})
    assert response.status_code == 422, response.text[:300]
    [problem] = response.json()["problems"]
    assert problem["location"] == "params.actor"
    assert "target=10" in problem["fix"] and "--" not in problem["fix"] + problem["message"]


def test_a_target_for_an_actor_without_a_stance_is_refused_with_a_fix_that_runs() -> None:
    # DELTA has no stance on FUND: its position there is the status quo as a placeholder,
    # which the answer quoted as DELTA's own ("... with DELTA at 100").
    raw = detente.load("examples/my.yaml").model_dump(mode="python")
    del raw["stances"]["DELTA"]["FUND"]
    scenario = detente.load("examples/my.yaml").model_validate(raw)
    with pytest.raises(OptionError) as refused:
        influence(scenario, "compromise", actor="DELTA", issue="FUND", target=40.0)
    problem = refused.value.problems[0]
    assert "DELTA has no stance on FUND" in problem.message
    assert "UP, MID, DOWN" in problem.fix
    # The fix's stance, given, makes the question answerable.
    fix = parse_variation(problem.fix.split(": ", 1)[1].split())
    answered = influence(scenario, "compromise", actor="DELTA", issue="FUND", target=40.0,
                         variation=fix)
    assert answered.target is not None and answered.target.position is not None


def test_the_seed_reaches_a_stochastic_model_through_its_options() -> None:
    # influence took no model options, so every model ran deterministic and --seed could
    # change no number; the options it ran with are echoed as forecast echoes them.
    def run(seed: int) -> dict:
        return analyses.run("influence", "examples/my.yaml", model="smp",
                            option=["smp.transitions=stochastic"], seed=seed).to_dict()

    first, again, other = run(0), run(0), run(1)
    assert first["options"]["transitions"] == "stochastic"
    assert first["forecast"] == again["forecast"]
    assert first["forecast"] != other["forecast"]


@pytest.mark.parametrize("model", sorted(m for m in REGISTRY
                                         if not get_model(m).reads_idle_stances))
def test_a_target_for_a_salience_0_stance_is_refused_for_a_model_that_reads_it_as_none(
        model: str) -> None:
    # DELTA at 0 with salience 0 on FUND is no stance to smp (and every model but bdm and
    # anchored), yet the scan answered "no position of DELTA on FUND moves ... (DELTA at 0)".
    raw = detente.load("examples/my.yaml").model_dump(mode="python")
    raw["stances"]["DELTA"]["FUND"] = {"position": 0.0, "salience": 0.0}
    scenario = detente.load("examples/my.yaml").model_validate(raw)
    with pytest.raises(OptionError) as refused:
        influence(scenario, model, actor="DELTA", issue="FUND", target=40.0)
    problem = refused.value.problems[0]
    assert "salience 0" in problem.message and "DELTA" in problem.message
    assert "DELTA" not in problem.fix.split("(", 1)[1].split(")", 1)[0]
    # The fix's salience, given, makes the question answerable.
    fix = parse_variation(problem.fix.split(": ", 1)[1].split())
    answered = influence(scenario, model, actor="DELTA", issue="FUND", target=40.0,
                         variation=fix)
    assert answered.target is not None

