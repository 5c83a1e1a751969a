"""Model options checked against the scenario: an actor id a model option names must be
one of the scenario's, and an option given twice with two values is refused; both used to
change the model without a word (the setter's fallback; the last value winning)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import detente
from detente.cli import main  # noqa: F401  (registers every command module)
from detente.cli.common import app
from detente.errors import OptionError
from detente.validate import validate

MY = "examples/my.yaml"
runner = CliRunner()


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.mark.parametrize(("command", "option", "location", "typo"), [
    (["forecast", MY, "-m", "procedural"], "procedural.setter=up", "procedural.setter", "up"),
    (["forecast", MY, "-m", "procedural"], "procedural.chamber=MDI", "procedural.chamber",
     "MDI"),
    (["explain", MY, "-m", "procedural"], "procedural.setter=up", "procedural.setter", "up"),
    (["sample", MY, "-m", "anchored", "-n", "50"], "anchored.anchors={DOWNN: 0.2}",
     "anchored.anchors", "DOWNN"),
    (["sensitivity", MY, "-m", "procedural", "-n", "50"], "procedural.setter=up",
     "procedural.setter", "up"),
])
def test_an_unknown_actor_in_a_model_option_is_refused_with_a_near_id(
        command: list[str], option: str, location: str, typo: str) -> None:
    result = invoke(*command, "-O", option)
    assert result.exit_code == 2, result.output
    assert f"{location}: unknown actor '{typo}'" in result.output
    assert "did you mean '" in result.output
    assert "Traceback" not in result.output


def test_the_setter_named_right_is_the_setter_and_a_default_absent_is_the_fallback() -> None:
    """The check reads only what the user gave: the default setter (COM) is absent from
    the example, and the model falls back to the compromise there as documented."""
    named = detente.forecast(MY, models=["procedural"], options={"procedural": {"setter": "UP"}})
    fallback = detente.forecast(MY, models=["procedural"])
    assert named.values("procedural")["FUND"] == pytest.approx(40)
    assert fallback.values("procedural")["FUND"] == pytest.approx(40.5, abs=0.05)
    with pytest.raises(OptionError) as caught:
        detente.forecast(MY, models=["procedural"], options={"procedural": {"setter": "up"}})
    assert [p.location for p in caught.value.problems] == ["procedural.setter"]


def test_an_actor_the_counterfactual_adds_may_be_named() -> None:
    result = invoke("forecast", MY, "-m", "procedural", "--add", "EU=10", "--position",
                    "EU.FUND=30", "--salience", "EU.FUND=0.5", "-O", "procedural.setter=EU")
    assert result.exit_code == 0, result.output


def test_validate_refuses_an_id_no_case_has(tmp_path: Path) -> None:
    scenario = {"id": "toy", "title": "Toy", "issues": [{"id": "X", "name": "x",
                                                         "status_quo": 0}],
                "actors": [{"id": "A", "name": "A", "capability": 1},
                           {"id": "B", "name": "B", "capability": 1}],
                "stances": {"A": {"X": {"position": 20, "salience": 1}},
                            "B": {"X": {"position": 80, "salience": 1}}},
                "outcomes": {"X": 60}}
    path = tmp_path / "toy.yaml"
    path.write_text(yaml.safe_dump(scenario), encoding="utf-8")
    with pytest.raises(OptionError) as caught:  # the API's options (the CLI has no -O here)
        validate([path], models=["procedural"],
                         options={"procedural": {"setter": "a"}}, n_boot=0)
    assert [(p.location, p.message) for p in caught.value.problems] == [
        ("procedural.setter", "unknown actor 'a'")]
    assert "did you mean 'A'" in caught.value.problems[0].fix


@pytest.mark.parametrize("command", [["forecast", MY, "-m", "nash"],
                                     ["sample", MY, "-m", "nash", "-n", "50"]])
def test_a_model_option_given_twice_is_refused(command: list[str]) -> None:
    result = invoke(*command, "-O", "nash.utility=linear", "-O", "nash.utility=quadratic")
    assert result.exit_code == 2, result.output
    assert "nash.utility: nash.utility is given twice" in result.output
    assert "give each option once" in result.output
    same = invoke(*command, "-O", "nash.utility=linear", "-O", "nash.utility=linear")
    assert same.exit_code == 2, same.output  # every repeated option is refused
    assert "--option: nash.utility=linear is given twice" in same.output


def test_the_web_refuses_both_at_the_option() -> None:
    pytest.importorskip("fastapi", reason="the web extra (FastAPI) is not installed")
    from fastapi.testclient import TestClient

    from detente.web.app import create_app

    scenario = yaml.safe_load(Path(MY).read_text(encoding="utf-8"))
    with TestClient(create_app()) as client:
        for options, location, words in (
                (["procedural.setter=up"], "procedural.setter", "did you mean 'UP'"),
                (["nash.utility=linear", "nash.utility=quadratic"], "nash.utility",
                 "give each option once"),
                (["anchored.anchors={UP: 0.5, UP: 0.2}"], "anchored.anchors",
                 "remove one of them")):
            response = client.post("/api/analyses/forecast", json={
                "scenario": scenario, "params": {"model": ["procedural", "nash", "anchored"],
                                                 "option": options}})
            assert response.status_code == 422, response.text[:300]
            [problem] = response.json()["problems"]
            assert problem["location"] == location
            assert words in problem["fix"]


def test_a_key_written_twice_inside_a_model_option_is_refused_as_in_a_file() -> None:
    """The value of ``-O`` is read by the scenario loader's guard: YAML alone keeps the
    second of two equal keys, so ``{UP: 0.5, UP: 0.2}`` used to run with UP at 0.2."""
    result = invoke("forecast", MY, "-m", "anchored", "--no-combined", "-f", "json",
                    "-O", "anchored.anchors={UP: 0.5, UP: 0.2}")
    assert result.exit_code == 2, result.output
    assert "anchored.anchors: '{UP: 0.5, UP: 0.2}' cannot be read: the key 'UP' appears " \
        "twice in one mapping, on line 1 (YAML would silently keep the second)" in result.output
    assert "remove one of them" in result.output
    both = invoke("forecast", MY, "-m", "anchored", "--no-combined", "-f", "json",
                  "-O", "anchored.anchors={UP: 0.5, MID: 0.2}")
    assert both.exit_code == 0, both.output
    assert '"UP",\n            0.5' in both.output
