"""Draws in which nobody cares about an issue, and --noise items that are not what was
written (a kind given twice, a spread too small for a float)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from detente.cli import main  # noqa: F401  (registers every command module)
from detente.cli.common import app
from detente.errors import OptionError, ScenarioError
from detente.models import REGISTRY
from detente.scenario import Scenario, scenario_from_mapping
from detente.uncertainty import Noise, NoiseTerm, engine, sample
from detente.uncertainty.inputs import input_space
from detente.uncertainty.sensitivity import sensitivity
from detente.variation import Variation

runner = CliRunner()
NOBODY = "every salience on X can be drawn as 0 at once"
ZERO_OR_HALF = {"value": 0.5, "points": [0, 0.5]}


def stakes(a: Any = ZERO_OR_HALF, b: Any = ZERO_OR_HALF) -> dict[str, Any]:
    """A veto player A at 10 and B at 80 on X (0-100, status quo 30); saliences given."""
    return {
        "id": "d0", "title": "d0",
        "issues": [{"id": "X", "name": "X", "scale": {"low": 0, "high": 100},
                    "status_quo": 30}],
        "actors": [{"id": "A", "name": "A", "capability": 10, "veto": True},
                   {"id": "B", "name": "B", "capability": 20}],
        "stances": {"A": {"X": {"position": 10, "salience": a}},
                    "B": {"X": {"position": 80, "salience": b}}},
    }


def scenario(**saliences: Any) -> Scenario:
    return scenario_from_mapping(stakes(**saliences))


# --- a draw in which nobody cares ------------------------------------------------------

@pytest.mark.parametrize("model", [*REGISTRY, "settle", "combined"])
def test_sample_refuses_saliences_that_can_all_be_drawn_as_zero(model: str) -> None:
    # Before: nash put 25% of the samples at 100 (no one stands there), bdm at 45, median
    # at 10, with exit 0; compromise refused blaming a noise nobody gave.
    with pytest.raises(ScenarioError, match=NOBODY) as err:
        sample(scenario(), model=model, samples=40, rng=0, workers=1)
    problem = err.value.problems[0]
    assert problem.location == "stances.*.X.salience"
    assert "stances.A.X.salience, stances.B.X.salience" in problem.message
    assert "low above 0" in problem.fix


@pytest.mark.parametrize("model", ["nash", "compromise"])
def test_sensitivity_refuses_them_too(model: str) -> None:
    with pytest.raises(ScenarioError, match=NOBODY):
        sensitivity(scenario(), model=model, samples=16, rng=0, bootstrap=0, workers=1)


def test_one_fixed_stake_or_a_salience_that_stays_above_zero_samples() -> None:
    for fine in (scenario(a=0.5), scenario(a={"value": 0.5, "points": [0.1, 0.5]}),
                 # A continuous range from 0 is never drawn as exactly 0.
                 scenario(a={"value": 0.5, "low": 0, "high": 1},
                          b={"value": 0.5, "low": 0, "high": 1})):
        result = sample(fine, model="nash", samples=40, rng=0, workers=1)
        assert 10 <= result.summaries()["X"].median <= 80


class RangeStarts(np.random.Generator):
    """A generator whose every uniform and beta draw is 0: each continuous draw at the start
    of its range, which a real generator gives about once in 2**53 draws. A Generator made
    from a seed otherwise, so that a model's own stream can be spawned from it."""

    def __init__(self) -> None:
        super().__init__(np.random.PCG64(np.random.SeedSequence(0)))

    def random(self, size: Any = None) -> np.ndarray:
        return np.zeros(size)

    def beta(self, a: Any, b: Any, size: Any = None) -> np.ndarray:
        return np.zeros(size)


FROM_ZERO = {"uniform": {"value": 0.5, "low": 0, "high": 1, "distribution": "uniform"},
             "triangular": {"value": 0.5, "low": 0, "high": 1, "distribution": "triangular"},
             "pert": {"value": 0.5, "low": 0, "high": 1},
             "normal": {"value": 0.5, "sd": 0.1, "distribution": "normal"}}


@pytest.mark.parametrize("kind", FROM_ZERO)
def test_a_continuous_range_from_zero_is_never_drawn_as_exactly_zero(kind: str) -> None:
    # Before: a uniform of 0 drew every salience as exactly 0, a stake the stake check had
    # counted on (it refuses only points at 0 and ranges ending at 0).
    space = input_space(scenario(a=FROM_ZERO[kind], b=FROM_ZERO[kind]))
    drawn = space.draw(RangeStarts(), 3)
    assert np.all(drawn > 0) and np.all(drawn < 1)


def test_a_sample_whose_draws_start_every_range_keeps_the_stakes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Before: in such a draw nobody cared about X and nash put the forecast at 100, where no
    # actor stands, with exit 0.
    monkeypatch.setattr(engine, "block_stream", lambda *_: RangeStarts())
    uniform = FROM_ZERO["uniform"]
    result = sample(scenario(a=uniform, b=uniform), model="nash", samples=4, rng=0,
                    workers=1)
    assert 10 <= result.summaries()["X"].median <= 80


def test_the_counterfactual_decides_which_saliences_are_drawn() -> None:
    # Setting A's salience fixes a stake: nothing left to refuse.
    fixed = sample(scenario(), model="nash", samples=40, rng=0, workers=1,
                   variation=Variation(salience=(("A", "X", 0.4),)))
    assert fixed.summaries()["X"].median >= 10
    # Without A, B's salience alone can be drawn as 0.
    with pytest.raises(ScenarioError, match=r"\(stances\.B\.X\.salience has a point at 0"):
        sample(scenario(), model="nash", samples=40, rng=0, workers=1,
               variation=Variation(without=("A",)))


def test_a_stake_of_zero_with_noise_counts_as_none() -> None:
    # The noise leaves a salience of 0 alone (no stake), so only B's draw decides; a
    # salience the noise spreads is continuous, never exactly 0.
    with pytest.raises(ScenarioError, match=NOBODY):
        sample(scenario(a=0), model="nash", samples=40, rng=0, noise="salience=0.5",
               workers=1)
    spread = sample(scenario(a=0.3), model="nash", samples=40, rng=0, noise="salience=0.5",
                    workers=1)
    assert 10 <= spread.summaries()["X"].median <= 80


def salience_line(text: str, actor: str) -> int:
    """The line of ``actor``'s salience on X in a YAML file ``yaml.safe_dump`` wrote."""
    lines = text.splitlines()
    start = lines.index(f"  {actor}:")
    return next(n for n in range(start, len(lines)) if "salience:" in lines[n]) + 1


@pytest.mark.parametrize("command", [["sample", "-m", "nash"], ["sample", "-m", "settle"],
                                     ["sensitivity", "-m", "nash"]])
def test_the_command_line_names_the_file_the_line_and_the_stances(tmp_path: Path,
                                                                  command: list[str]) -> None:
    # Before: the place alone (d0.yaml: stances.*.X.salience), where every refusal of the
    # loader gives the line of the value in the file.
    path = tmp_path / "d0.yaml"
    text = yaml.safe_dump(stakes(b={"value": 0.5, "points": [0, 0.5]}))
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, [*command, str(path), "-n", "32"])
    assert result.exit_code == 2, result.output
    line = salience_line(text, "A")
    assert line != salience_line(text, "B")
    assert f"{path}:{line}: stances.*.X.salience: {NOBODY}" in result.output
    assert "noise none" not in result.output


def test_the_refusal_gives_the_line_of_the_first_salience_it_names(tmp_path: Path) -> None:
    # Without A, only B's salience is named, so its line is the one given; a scenario given
    # as an object, or a JSON file (whose loader refusals have no line either), gives none.
    path = tmp_path / "d0.yaml"
    text = yaml.safe_dump(stakes(b={"value": 0.5, "points": [0, 0.5]}))
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        sample(path, model="nash", samples=8, rng=0, workers=1,
               variation=Variation(without=("A",)))
    assert err.value.problems[0].line == salience_line(text, "B")
    json_path = tmp_path / "d0.json"
    json_path.write_text(json.dumps(stakes()), encoding="utf-8")
    for unlocated in (json_path, scenario()):
        with pytest.raises(ScenarioError, match=NOBODY) as err:
            sample(unlocated, model="nash", samples=8, rng=0, workers=1)
        assert err.value.problems[0].line is None


# --- --noise as written ----------------------------------------------------------------

@pytest.mark.parametrize("items", [["position=10%", "position=5"], "position=10%,position=5",
                                   "position=10 salience=0.1 position=10"])
def test_a_noise_kind_given_twice_is_refused(items: str | list[str]) -> None:
    with pytest.raises(OptionError, match="position is given twice"):
        Noise.parse(items)


def test_the_command_line_refuses_a_repeated_noise_kind() -> None:
    result = runner.invoke(app, ["sample", "-n", "10", "--noise", "position=10%",
                                 "--noise", "position=5"])
    assert result.exit_code == 2, result.output
    assert "--noise: position is given twice" in result.output


@pytest.mark.parametrize("text", ["position=1e-400", "capability=1e-320%", "salience=1e-320"])
def test_a_spread_too_small_for_a_float_is_refused(text: str) -> None:
    with pytest.raises(OptionError, match="too small to compute with"):
        Noise.parse(text)


def test_a_spread_written_as_zero_or_small_but_normal_is_kept() -> None:
    assert Noise.parse("position=0").position == NoiseTerm(0.0)
    assert Noise.parse("position=0.0e5").position == NoiseTerm(0.0)
    assert str(Noise.parse("position=1e-300")) == "position=1e-300"
