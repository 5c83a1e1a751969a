"""Fuzz target of issue 13 ("never a silently wrong answer").

Hypothesis writes scenario files with non-finite, huge, tiny, deep and duplicate-key values
(as YAML or JSON) and runs the loader and the commands ``check``, ``forecast``, ``settle``
(coarse step) and ``sample`` (a few samples) in-process. Every run must end one of two
ways: exit 0 with standard JSON whose every number is finite (and, for ``forecast``, a
compromise forecast equal to the weighted mean computed here from the file, inside the
issue's scale), or exit 2 with a message that names the file: never a traceback, never
exit 0 with a non-finite or wrong answer.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from detente.cli import main  # noqa: F401  (registers every command module)
from detente.cli.common import app
from detente.errors import ScenarioError
from detente.scenario import Scenario, load

runner = CliRunner()

BASE: dict[str, Any] = {
    "id": "fuzz",
    "title": "Fuzz",
    "issues": [{"id": "X", "name": "X", "scale": {"low": 0, "high": 100}, "status_quo": 50},
               {"id": "Y", "name": "Y", "scale": {"low": -10, "high": 10}, "status_quo": 0}],
    "actors": [{"id": "A", "name": "A", "capability": 10},
               {"id": "B", "name": "B", "capability": 5},
               {"id": "C", "name": "C", "capability": 1}],
    "stances": {"A": {"X": {"position": 20, "salience": 0.5}, "Y": {"position": -5,
                                                                    "salience": 0.5}},
                "B": {"X": {"position": 80, "salience": 1.0}, "Y": {"position": 5,
                                                                    "salience": 0.2}},
                "C": {"X": {"position": 60, "salience": 0.3}}},
    "trust": {"A": {"B": 0.5}},
}

# Where a number can stand: (path, whether it can hold the {value, low, high, sd} form).
NUMBER_PLACES: list[tuple[tuple[Any, ...], bool]] = [
    (("actors", 0, "capability"), True), (("actors", 1, "capability"), True),
    (("stances", "A", "X", "position"), True), (("stances", "B", "Y", "salience"), True),
    (("issues", 0, "status_quo"), True), (("issues", 0, "scale", "high"), False),
    (("issues", 1, "scale", "low"), False), (("trust", "A", "B"), True),
    (("issues", 0, "options"), False), (("outcomes", "X"), False),
]

nasty_floats = st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308, 1e16, 1e15,
                                5e-324, -0.0, 1e-300, 2.0**53 + 1])
ordinary = st.floats(min_value=-200, max_value=200, allow_nan=False, allow_infinity=False)
big_ints = st.sampled_from([10**400, -(10**400), 2**64, 2**63 - 1])
texts = st.sampled_from(["nan", "inf", "-inf", "1e400", "Infinity", "12", "x" * 500])
numbers = st.one_of(nasty_floats, ordinary, big_ints, texts)


@st.composite
def measures(draw: st.DrawFn) -> Any:
    if draw(st.booleans()):
        return draw(numbers)
    out: dict[str, Any] = {"value": draw(numbers)}
    for key in draw(st.sets(st.sampled_from(["low", "high", "sd"]), max_size=2)):
        out[key] = draw(numbers)
    return out


def set_path(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    node: Any = data
    for part in path[:-1]:
        node = node.setdefault(part, {}) if isinstance(part, str) else node[part]
    node[path[-1]] = value


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, str]:
    """(suffix, text) of a scenario with a few hostile changes."""
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        path, measure_ok = draw(st.sampled_from(NUMBER_PLACES))
        if path[-1] == "options":
            value: Any = draw(st.lists(numbers, min_size=1, max_size=3))
        else:
            value = draw(measures() if measure_ok else numbers)
        set_path(data, path, value)
    depth = draw(st.sampled_from([0, 0, 0, 80, 3000]))
    if depth:
        data["description"] = "DEEP"
    suffix = draw(st.sampled_from([".yaml", ".json"]))
    if suffix == ".json":
        text = json.dumps(data)  # writes NaN/Infinity, as a careless tool would
    else:
        text = yaml.safe_dump(data, sort_keys=False, width=10**9)
    # Nesting is written as text: the serialisers themselves recurse.
    text = text.replace('"DEEP"', "[" * depth + "]" * depth).replace(
        "DEEP", "[" * depth + "]" * depth)
    if draw(st.booleans()) and draw(st.booleans()):  # a duplicate key, a quarter of the time
        text = ('{"title": "dup", ' + text[1:]) if suffix == ".json" else \
            text.replace("title: Fuzz", "title: Fuzz\ntitle: Dup", 1)
        if "title: Dup" not in text and suffix == ".yaml":
            text = "title: Dup\n" + text
    return suffix, text


def _finite_json(text: str) -> Any:
    def refuse(constant: str) -> None:
        raise AssertionError(f"the JSON output holds {constant}")

    data = json.loads(text, parse_constant=refuse)
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, float):
            assert math.isfinite(node)
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return data


def _expected_compromise(s: Scenario) -> dict[str, float]:
    """The compromise model from its definition (Achen 2006): Σ c s x / Σ c s per issue."""
    out = {}
    for issue in s.issues:
        num = den = 0.0
        for actor in s.actors:
            stance = s.stances.get(actor.id, {}).get(issue.id)
            if stance is not None:
                weight = actor.capability.value * stance.salience.value
                num += weight * stance.position.value
                den += weight
        out[issue.id] = num / den
    return out


COMMANDS = {
    "check": ["check"],
    "forecast": ["forecast", "-m", "compromise", "-m", "median", "-m", "nash", "-f", "json"],
    # A share of each scale: an absolute step can be wider than a scale the fuzz shrinks,
    # refused at --step (rightly, and about the option, not the file).
    "settle": ["settle", "--step", "25%", "-f", "json", "--no-count"],
    "sample": ["sample", "-n", "4", "--quiet", "-f", "json"],
}


def run_command(name: str, path: Path) -> Any:
    args = [*COMMANDS[name][:1], str(path), *COMMANDS[name][1:]]
    result = runner.invoke(app, args, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        trace = "".join(traceback.format_exception(result.exception))
        raise AssertionError(f"`detente {' '.join(args)}` raised:\n{trace}")
    assert result.exit_code in (0, 2), (name, result.exit_code, result.output)
    if result.exit_code == 2:
        assert "error" in result.stderr and path.name in result.stderr, result.stderr
        assert "Traceback" not in result.output
        return None
    return _finite_json(result.stdout) if name != "check" else result.stdout


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(doc=documents())
# Two cases of the issue, always run: `check` said ok, `forecast` crashed, `-f json` wrote NaN.
@example(doc=(".yaml", yaml.safe_dump({**BASE, "actors": [
    {"id": "A", "name": "A", "capability": math.nan}, *BASE["actors"][1:]]})))
@example(doc=(".json", json.dumps({**BASE, "issues": [
    {"id": "X", "name": "X", "scale": {"low": 0, "high": math.inf}, "status_quo": 50},
    BASE["issues"][1]]})))
def test_every_command_refuses_or_answers_finitely(tmp_path: Path,
                                                   doc: tuple[str, str]) -> None:
    suffix, text = doc
    path = tmp_path / f"fuzz{suffix}"
    path.write_text(text, encoding="utf-8")
    try:
        scenario = load(path)
    except ScenarioError as err:
        assert str(path) in str(err) and err.problems
        scenario = None
    outputs = {name: run_command(name, path) for name in COMMANDS}
    # The commands and the loader agree: a file the loader refuses, every command refuses.
    assert all((out is None) == (scenario is None) for out in outputs.values()), outputs
    if scenario is None:
        return
    expected = _expected_compromise(scenario)
    forecast = {m["name"]: m["forecast"] for m in outputs["forecast"]["models"]}
    for issue in scenario.issues:
        for name, values in forecast.items():
            assert issue.scale.low - 1e-9 <= values[issue.id] <= issue.scale.high + 1e-9, name
        span = issue.scale.high - issue.scale.low
        assert forecast["compromise"][issue.id] == pytest.approx(expected[issue.id],
                                                                 abs=1e-9 * span)
