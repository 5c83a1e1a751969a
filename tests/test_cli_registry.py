"""The CLI is generated from the analysis registry: every analysis's command exposes the
spec's options under the spec's flags with the spec's defaults, and the counterfactual
flags. Proven by walking the registry and capturing what each command hands to
``detente.analyses.run``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

import detente.cli.registry as registry
from detente import load
from detente.analyses import ANALYSES, Option
from detente.cli import app
from detente.settlement.defaults import GridStep
from detente.variation import FLAGS as VARIATION_FLAGS
from detente.variation import parse_variation, variation_from_mapping

runner = CliRunner()


class Captured(Exception):
    pass


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Replace the run behind every command: record its arguments, then stop."""
    seen: dict[str, Any] = {}

    def fake_run(name: str, scenario: Any, variation: Any, **options: Any) -> None:
        # The command hands run() the counterfactual as written ({"without": ["RU"]}), to be
        # read with the options (every problem of both at once): read here as run reads it.
        seen.update(name=name, scenario=scenario, variation=variation_from_mapping(variation),
                    options=options)
        raise Captured

    monkeypatch.setattr(registry, "run", fake_run)
    return seen


def _invoke(*args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=True)


def _user_options(options: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if k not in ("executor", "progress")}


def _other_value(o: Option) -> Any:
    """A valid value that is not the default, as checked."""
    if o.type is bool:
        return not o.off_flag  # False through the off flag where there is one, else True
    if o.choices and o.multiple:  # one choice instead of the default list
        return (o.choices[-1],) if o.default != (o.choices[-1],) else (o.choices[0],)
    if o.choices:
        return next(c for c in reversed(o.choices) if c != o.default)
    if o.multiple:
        return ("X1", "X2")
    if o.type is str:
        return "something"
    if isinstance(o.default, GridStep):  # the other form: issue units for a percent
        return GridStep(o.default.size + 1, relative=not o.default.relative)
    base = o.default if o.default is not None else (o.low if o.low is not None else 0)
    value = base + 1 if o.high is None or base + 1 <= o.high else base - 1
    if o.low is not None and value <= o.low:
        value = o.low + 1
    if o.type is float and o.high is not None and o.high <= 1:
        value = o.high / 2 if o.default != o.high / 2 else o.high / 4
    return o.type(value)


def _target(name: str) -> list[str]:
    return ["deu", "x.csv"] if ANALYSES[name].inputs == "targets" else ["korea-2017"]


def _words(name: str, options: dict[str, Any]) -> list[str]:
    """The command line of ``options``: a positional option (plot KIND) first, its default
    where ``options`` lack it, then the flags and the input."""
    spec = ANALYSES[name]
    arguments = {o.name: o.default for o in spec.options if o.argument}
    return [*spec.words({**arguments, **options}), *_target(name)]


@pytest.mark.parametrize("name", list(ANALYSES))
def test_every_analysis_is_a_command_with_the_specs_options(name: str) -> None:
    spec = ANALYSES[name]
    command = typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]
    params = {p.name: p for p in command.params if isinstance(p, typer.core.TyperOption)}
    # A positional option (plot KIND) comes first, before the input.
    arguments = [p.name for p in command.params if isinstance(p, typer.core.TyperArgument)]
    inputs = ["inputs", "noise_items"] if spec.inputs == "scenario+noise" else ["inputs"]
    assert arguments == [*(o.name for o in spec.options if o.argument), *inputs]
    for o in (o for o in spec.options if not o.argument):
        assert o.name in params, f"{name}: option {o.name} missing from the command"
        flags = {*params[o.name].opts, *params[o.name].secondary_opts}
        assert set(o.cli_flags) <= flags, f"{name}.{o.name}: flags {flags}"
        assert (f"[default: {o.default_text()}]" in (params[o.name].help or "")) \
            == bool(o.default_text())
    for flag in VARIATION_FLAGS:
        assert any(flag in p.opts for p in params.values()), f"{name}: no {flag}"
    extra = set(params) - {o.name for o in spec.options}
    files = {registry._file_parameter(f.flag) for f in spec.files}
    force = {registry._FORCE} if any(f.overwrite for f in spec.files) else set()
    assert extra <= {*registry._CF.values(), "output_format", "dask", "quiet", *files, *force}


@pytest.mark.parametrize("name", list(ANALYSES))
def test_help_as_printed_shows_every_default(name: str) -> None:
    # typer prints help as rich markup: an unescaped "[default: 10]" vanished from the
    # printed --help of every analysis although the help string held it (test above).
    shown = CliRunner().invoke(app, [name, "--help"], env={"COLUMNS": "2000",
                                                           "TERMINAL_WIDTH": "2000"})
    assert shown.exit_code == 0, shown.output
    text = re.sub(r"[\s│]+", " ", shown.output)
    for o in ANALYSES[name].options:
        if o.default_text():
            assert f"[default: {o.default_text()}]" in text, f"{name} --{o.name}"
    assert f"[default: {ANALYSES[name].formats[0]}]" in text  # --format


_USAGE = {"scenario": "[SCENARIO]", "scenario+noise": "[SCENARIO] [NOISE]...",
          "targets": "{TARGETS}..."}


@pytest.mark.parametrize(("name", "arguments"), [
    *((name, [f"[{o.flag}]" for o in spec.options if o.argument] + [_USAGE[spec.inputs]])
      for name, spec in ANALYSES.items()),
    ("show", ["[SCENARIO]"]), ("serve", ["[SCENARIO]"])])
def test_the_usage_line_brackets_each_argument_once(name: str, arguments: list[str]) -> None:
    # typer brackets an optional argument itself: a metavar "[SCENARIO]" read [[SCENARIO]],
    # and with none it names the parameter (show's [scenario]).
    shown = runner.invoke(app, [name, "--help"], env={"COLUMNS": "200"})
    usage = shown.output.partition("Usage:")[2].splitlines()[0].strip()
    assert usage == " ".join(["detente", name, "[OPTIONS]", *arguments])


def _every_command() -> list[list[str]]:
    """The words that reach each command, the subcommands of groups (room) included."""
    import typer.main

    def walk(group: Any, path: list[str]) -> Any:
        for name, command in sorted(group.commands.items()):
            if hasattr(command, "commands"):
                yield from walk(command, [*path, name])
            else:
                yield [*path, name]

    return list(walk(typer.main.get_command(app), []))


@pytest.mark.parametrize("words", _every_command(), ids=" ".join)
def test_every_usage_line_names_its_arguments_in_upper_case(words: list[str]) -> None:
    # typer writes an argument without a metavar by its parameter's name (check {file},
    # room status {room}), where every other usage line writes SCENARIO; each argument is
    # bracketed once ([SCENARIO] optional, {FILE} required).
    shown = runner.invoke(app, [*words, "--help"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    usage = shown.output.partition("Usage:")[2].splitlines()[0].split()
    head = ["detente", *words, "[OPTIONS]"]
    assert usage[:len(head)] == head, usage
    for argument in usage[len(head):]:
        assert re.fullmatch(r"(\[[A-Z][A-Z_]*\]|\{[A-Z][A-Z_]*\})(\.\.\.)?", argument), usage


def test_the_usage_walk_reaches_room_subcommands() -> None:
    assert {"room open", "room status", "room submit", "check", "convert"} <= {
        " ".join(words) for words in _every_command()}


@pytest.mark.parametrize("name", list(ANALYSES))
def test_no_flag_means_the_specs_defaults(name: str, captured: dict[str, Any]) -> None:
    _invoke(name, *_words(name, {}))
    assert captured["name"] == name
    assert ANALYSES[name].check(_user_options(captured["options"])) == \
        ANALYSES[name].defaults()
    assert captured["variation"].is_empty


@pytest.mark.parametrize(("name", "option"), [
    (name, o.name) for name, spec in ANALYSES.items() for o in spec.options])
def test_every_flag_reaches_the_analysis(name: str, option: str,
                                         captured: dict[str, Any]) -> None:
    spec = ANALYSES[name]
    o = spec.option(option)
    expected = _other_value(o)
    if option == "option" and spec.models_run is not None:
        # Options of a model the run runs: those of any other model are refused.
        model = spec.models_run(spec.defaults())[0]
        expected = tuple(f"{model}.{item.lower()}=1" for item in expected)
    # Option.words spells the value as the command line reads it (the tests' quick runs
    # and the docs use it).
    result = _invoke(name, *_words(name, {option: expected}))
    assert "name" in captured, result.output
    checked = ANALYSES[name].check(_user_options(captured["options"]))
    assert checked[option] == expected
    assert expected != o.default


@pytest.mark.parametrize("name", list(ANALYSES))
def test_the_quick_options_spelled_as_flags_reach_the_analysis(
        name: str, captured: dict[str, Any]) -> None:
    # The tests run each command with spec.words(spec.quick): the words must mean the same.
    spec = ANALYSES[name]
    result = _invoke(name, *_words(name, dict(spec.quick)))
    assert "name" in captured, result.output
    assert spec.check(_user_options(captured["options"])) == spec.check(spec.quick)


@pytest.mark.parametrize("name", list(ANALYSES))
def test_every_command_takes_every_counterfactual(name: str, captured: dict[str, Any]) -> None:
    words = ["--without", "RU", "--add", "EU=10", "--position", "CN.NUC=40", "--salience",
             "KP.SANC=0.9", "--capability", "US=60", "--trust", "KP.CN=0.8", "--guarantor",
             "SEC=CN,US", "--fix", "NUC=50"]
    _invoke(name, *_words(name, {}), *words)
    assert captured["variation"] == parse_variation(words)


@pytest.mark.parametrize(("words", "scenario"), [
    (["korea-2017", "--noise", "position=10", "salience=0.1"], "korea-2017"),
    (["--noise", "position=10", "salience=0.1", "korea-2017"], "korea-2017"),
    (["--noise", "position=10", "salience=0.1"], None)])
def test_noise_items_after_noise_are_told_from_the_scenario(
        words: list[str], scenario: str | None, captured: dict[str, Any]) -> None:
    _invoke("sample", *words)
    assert captured["scenario"] == scenario
    assert list(captured["options"]["noise"]) == ["position=10", "salience=0.1"]


def test_a_mistyped_noise_kind_is_named_as_noise_and_a_file_named_like_one_is_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A typo (salinece) was taken for the scenario: "no such file or embedded scenario".
    typo = _invoke("sample", "-q", "--noise", "position=10", "salinece=0.1")
    assert typo.exit_code == 2 and "--noise: 'salinece=0.1' is not KIND=SPREAD" in typo.output
    assert "salience" in typo.output and "no such file" not in typo.output
    # A scenario file whose name looks like a noise item is the scenario.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "salience=0.1.yaml").write_text(load("korea-2017").to_yaml())
    read = _invoke("sample", "-q", "-n", "20", "--noise", "position=10", "salience=0.1.yaml")
    assert read.exit_code == 0, read.output


def test_validate_capability_takes_both_spellings(captured: dict[str, Any]) -> None:
    _invoke("validate", "a.yaml", "--capability", "gdp", "--capability", "RU=60")
    assert captured["options"]["capability"] == "gdp"
    assert captured["variation"] == parse_variation(["--capability", "RU=60"])


def test_bad_values_are_refused_all_at_once_without_traceback() -> None:
    out = _invoke("settle", "--step", "0", "--top", "1e999", "--utility", "cubic",
                  "--correlation", "2")
    assert out.exit_code == 2 and "Traceback" not in out.output
    for text in ("grid step must be a finite number above 0 (issue units) or a percent above "
                 "0% and at most 100% (of each issue's scale), got 0",
                 "top must be a whole number from 1 to 1000, got '1e999'",
                 "unknown utility 'cubic'", "correlation must be a number from 0 to 1, got 2"):
        assert text in out.output
    nan = _invoke("roadmap", "--patience", "nan")
    assert nan.exit_code == 2
    assert "--patience: nan is not a finite number" in nan.output


@pytest.mark.parametrize("name", ["forecast", "settle"])
def test_a_bad_counterfactual_and_a_bad_option_are_refused_together(name: str) -> None:
    # The command line read the counterfactual apart from the options: `settle --without
    # ZZ --step abc` named only the step, `--position XX=3 --step 0` only the position,
    # where the workbench and run() name both.
    step = "--step" if name == "settle" else "--seed"
    for change in (["--without", "ZZ"], ["--position", "XX=3"]):
        out = _invoke(name, "korea-2017", *change, step, "abc")
        assert out.exit_code == 2 and "Traceback" not in out.output
        said = " ".join(out.output.split())
        assert f"{change[0]}: " in said and f"{step}: " in said, said


def test_sensitivity_says_it_does_not_take_the_combined_forecast_and_what_does() -> None:
    # It said "unknown model 'combined'", "did you mean 'constrained'?", though the docs call
    # combined a model (docs/uncertainty.md: sensitivity does not take it, and why).
    result = runner.invoke(app, ["sensitivity", "korea-2017", "-m", "combined"])
    assert result.exit_code != 0
    said = " ".join(result.output.split())
    assert "unknown model" not in said and "constrained'?" not in said
    assert "sensitivity does not take the combined forecast" in said
    assert "-m compromise" in said and "sample with -m combined" in said
