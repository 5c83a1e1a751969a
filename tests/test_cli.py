"""The command line: the main job, the JSON contract, clear errors with a non-zero exit."""

from __future__ import annotations

import importlib
import json
import re
import typing
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import main  # noqa: F401  (registers every command module)
from detente.cli.common import app
from detente.settlement.defaults import GridStep

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_forecast_default_scenario_table() -> None:
    result = invoke("forecast")
    assert result.exit_code == 0
    for issue in ("NUC", "MSL", "SANC", "SEC", "VER", "ALL", "NORM", "LINK"):
        assert issue in result.output
    for model in ("compromise", "median", "nash"):
        assert model in result.output


def test_forecast_json_contract() -> None:
    result = invoke("forecast", "korea-2017", "--format", "json")
    data = json.loads(result.output)
    assert data["scenario"] == "korea-2017"
    assert data["actors"] == ["US", "CN", "RU", "KP", "KR", "JP"]
    assert data["issues"][0] == "NUC"
    assert [m["name"] for m in data["models"]] == ["compromise", "median", "nash"]
    for model in data["models"]:
        assert set(model["forecast"]) == set(data["issues"])
        assert isinstance(model["options"], dict)


def test_forecast_csv() -> None:
    lines = invoke("forecast", "-m", "median", "-f", "csv").output.strip().splitlines()
    assert lines[0] == "table,row,column,value,unit"
    median = [line for line in lines if line.startswith("forecast,") and ",median," in line]
    assert len(median) == 8  # korea-2017's eight issues


def test_forecast_model_option() -> None:
    result = invoke("forecast", "-m", "nash", "-O", "nash.utility=linear", "-f", "json")
    assert json.loads(result.output)["models"][0]["options"]["utility"] == "linear"


@pytest.mark.parametrize("args", [
    ("forecast", "-m", "compromise", "--no-combined", "-O", "nash.utility=linear"),
    # The combined forecast runs the combination's models too, but not anchored.
    ("forecast", "-m", "compromise", "-O", "anchored.anchors=1"),
    ("sample", "-m", "bdm", "-n", "5", "-O", "nash.utility=linear"),
    ("sensitivity", "-m", "bdm", "-n", "4", "-O", "nash.utility=linear"),
    ("explain", "-m", "bdm", "-O", "nash.utility=linear"),
])
def test_options_of_a_model_the_run_does_not_run_are_refused(args: tuple[str, ...]) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    model = args[args.index("-O") + 1].partition(".")[0]
    assert f"--option: {args[0]} runs " in result.output
    assert f"not {model}" in result.output and f"--model {model}" in result.output


def test_the_combined_forecast_takes_options_of_the_combinations_models() -> None:
    # nash runs for the combined forecast's spread and intervals, so its options count.
    result = invoke("forecast", "-m", "compromise", "-O", "nash.utility=linear", "-f", "json")
    assert result.exit_code == 0, result.output
    assert "combined" in json.loads(result.output)
    sampled = invoke("sample", "-m", "combined", "-n", "5", "-O", "nash.utility=linear")
    assert sampled.exit_code == 0, sampled.output


@pytest.mark.parametrize("args", [("forecast", "-m", "nope"), ("forecast", "-O", "nash.x=1"),
                                  ("forecast", "-O", "garbage"), ("check", "missing.yaml")])
def test_bad_options_exit_nonzero_without_traceback(args: tuple[str, ...]) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "error" in result.output


def test_check_good_and_bad(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    assert invoke("convert", "korea-2017", "-o", str(good)).exit_code == 0
    assert "ok" in invoke("check", str(good)).output
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace("salience: 0.95", "salience: 9.5", 1))
    result = invoke("check", str(bad))
    assert result.exit_code == 2
    assert "stances.US.NUC.salience" in result.output and "fix:" in result.output


def test_convert_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "mine.yaml"
    target.write_text("my own work")
    result = invoke("convert", "korea-2017", "-o", str(target))
    assert result.exit_code == 2 and "already exists" in result.output
    assert target.read_text() == "my own work"
    assert invoke("convert", "korea-2017", "-o", str(target), "--force").exit_code == 0
    assert "korea-2017" in target.read_text()


@pytest.mark.parametrize("name", ["x.csv", "noext"])
def test_convert_refuses_an_output_it_would_not_write_as_named(tmp_path: Path, name: str
                                                               ) -> None:
    # It wrote YAML to x.csv (or to a name without a suffix) and said "wrote": the file
    # then failed to load as what its name says.
    target = tmp_path / name
    result = invoke("convert", "korea-2017", "-o", str(target))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "--output" in result.output and f"fix: name the output {target.stem}.yaml or " \
        f"{target.stem}.json" in result.output
    assert not target.exists()


@pytest.mark.parametrize("name", [".yaml", ".JSON"])
def test_convert_names_an_output_that_is_only_a_file_type_after_the_scenario(
        tmp_path: Path, name: str) -> None:
    # ".yaml" is a name without a suffix to Python: the fix said "name the output
    # .yaml.yaml or .yaml.json".
    target = tmp_path / name
    result = invoke("convert", str(Path(__file__).parents[1] / "examples" / "my.yaml"), "-o",
                    str(target))
    assert result.exit_code == 2 and "Traceback" not in result.output
    said = " ".join(result.output.split())
    assert "is a file type without a name" in said, said
    assert said.endswith(f"fix: name the output river-example{name.lower()}"), said
    assert not target.exists()


def test_file_names_are_printed_as_written(tmp_path: Path) -> None:
    # rich would read "[bold]" as a style and print "ab.yaml: ok" for the wrong file, and
    # break a name longer than its width (140 when piped) over two lines.
    folder = tmp_path / ("d" * 150)
    folder.mkdir()
    scenario, schema = folder / "a[bold]b.yaml", tmp_path / "s[red].json"
    assert invoke("convert", "korea-2017", "-o", str(scenario)).output == f"wrote {scenario}\n"
    assert invoke("check", str(scenario)).output.startswith(f"{scenario}: ok — ")
    assert invoke("schema", "-o", str(schema)).output == f"wrote {schema}\n"


def test_show_scenarios_models_schema() -> None:
    assert "Russia" in invoke("show").output
    assert "korea-2017-moon" in invoke("scenarios").output
    assert "compromise" in invoke("models").output
    assert json.loads(invoke("schema").output)["title"] == "detente scenario"


# --- issue 13: finite numbers, one JSON writer, options read by their type --------------

def _strict_json(text: str) -> object:
    def refuse(constant: str) -> None:
        raise AssertionError(f"the output holds {constant}, which is not JSON")

    return json.loads(text, parse_constant=refuse)


NAN_SCENARIO = """\
id: t
title: T
issues: [{id: A, name: A, status_quo: 50}]
actors: [{id: X, name: X, capability: CAP}, {id: Y, name: Y, capability: 10}]
stances: {X: {A: {position: 20, salience: 0.5}}, Y: {A: {position: 80, salience: 0.5}}}
"""


@pytest.mark.parametrize("cap", [".nan", ".inf", "{value: 5, sd: .inf}", "1e308"])
@pytest.mark.parametrize("command", [["check"], ["forecast", "-f", "json"],
                                     ["settle", "-f", "json"], ["sample", "-n", "3", "-q"]])
def test_non_finite_or_huge_scenarios_are_refused_by_every_command(
        tmp_path: Path, cap: str, command: list[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(NAN_SCENARIO.replace("CAP", cap), encoding="utf-8")
    result = runner.invoke(app, [command[0], str(path), *command[1:]])
    assert result.exit_code == 2, result.output
    assert "actors.X.capability" in result.stderr and "Traceback" not in result.output


def _float_options() -> list[tuple[str, list[str], str]]:
    """(command, the arguments it requires, flag) for every float option of every command:
    typed float, or declared float by a spec (read as text, shown as NUMBER), the grid step
    (a number or a percent) included."""
    import typing

    import typer.main

    group = typer.main.get_command(app)
    out = []
    for name, command in sorted(group.commands.items()):  # type: ignore[attr-defined]
        required: list[str] = []
        for p in command.params:
            if p.required:
                if not p.opts or not p.opts[0].startswith("-"):
                    required.append("x")
                else:
                    required += [p.opts[0], "x"]
        for p in command.params:
            annotation = p.type_descriptor.annotation  # type: ignore[attr-defined]
            if float in (annotation, *typing.get_args(annotation)) \
                    or p.metavar in ("NUMBER", GridStep.METAVAR):
                out.append((name, required, p.opts[0]))
    return out


FLOAT_OPTIONS = _float_options()


def test_the_commands_have_float_options() -> None:
    flags = {flag for _, _, flag in FLOAT_OPTIONS}
    assert {"--step", "--correlation", "--patience"} <= flags


def _refused(command: str, required: list[str], flag: str, value: str, tmp_path: Path,
             monkeypatch: pytest.MonkeyPatch) -> str:
    """``command`` run with ``flag value``, refused with exit 2: its stderr. If a rule
    regressed, the command must fail here, not write files or serve forever."""
    import uvicorn

    def no_server(*_: object, **__: object) -> None:
        raise AssertionError(f"the server started with {flag} {value[:40]}")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(uvicorn, "run", no_server)
    result = runner.invoke(app, [command, *required, flag, value])
    assert result.exit_code == 2, (command, flag, result.output)
    assert "Traceback" not in result.output
    return result.stderr


@pytest.mark.parametrize(("command", "required", "flag"), FLOAT_OPTIONS)
@pytest.mark.parametrize("value", ["inf", "nan", "-inf"])
def test_every_float_option_refuses_non_finite(command: str, required: list[str], flag: str,
                                               value: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    stderr = _refused(command, required, flag, value, tmp_path, monkeypatch)
    # Ours names the flag and the rule; click's own range check may refuse -inf and nan
    # first, also naming the flag.
    assert f"{flag}: {float(value)} is not a finite number" in stderr or flag in stderr, stderr


#: A number past the float range as a user may paste it: float() reads it as inf.
HUGE = "1" + "0" * 400


@pytest.mark.parametrize(("command", "required", "flag"), FLOAT_OPTIONS)
def test_every_float_option_refuses_a_huge_number_without_calling_it_inf(
        command: str, required: list[str], flag: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    stderr = _refused(command, required, flag, HUGE, tmp_path, monkeypatch)
    # Quoted as written (shortened) and called too large.
    assert f"{flag}: {HUGE[:40]}" in stderr and "(401 characters) is too large" in stderr
    assert not re.search(r"\binf\b", stderr), stderr


def _holds_float(annotation: object) -> bool:
    return annotation is float or any(_holds_float(a) for a in typing.get_args(annotation))


def _checked_by_name() -> list[tuple[str, str, list[str]]]:
    """(command path, parameter name, its flags) for every float parameter (a list of
    floats too) of every command, in groups too, that no spec checks: check_finite names
    it by its name."""
    import typer.main

    def walk(group: typing.Any, path: str) -> typing.Iterator[tuple[str, typing.Any]]:
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                yield from walk(command, f"{path} {name}")
            else:
                yield f"{path} {name}", command

    commands = walk(typer.main.get_command(app), "detente")
    return [(path, p.name, p.opts) for path, command in commands
            if not getattr(command.callback, "checks_options", False)
            for p in command.params
            if _holds_float(p.type_descriptor.annotation)]  # type: ignore[attr-defined]


def test_every_float_option_no_spec_checks_is_flagged_by_its_name() -> None:
    # check_finite calls `expires_days` --expires-days: a `bar: float` flagged --foo would be
    # refused under a flag the command does not have.
    found = _checked_by_name()
    assert ("detente room open", "expires_days") in {(path, name) for path, name, _ in found}
    for path, name, flags in found:
        assert f"--{name.replace('_', '-')}" in flags, (path, name, flags)


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """A serve that must refuse its options fails the test if it starts a server."""
    import uvicorn

    def started(*_: object, **__: object) -> None:
        raise AssertionError("the server started with options it should have refused")

    monkeypatch.setattr(uvicorn, "run", started)


@pytest.mark.usefixtures("no_server")
def test_serve_refuses_an_infinite_time_limit_by_its_flag() -> None:
    result = runner.invoke(app, ["serve", "--time-limit", "inf"])
    assert result.exit_code == 2, result.output
    assert "--time-limit: inf is not a finite number" in result.stderr
    assert "give --time-limit a number from 1 to 604800" in result.stderr


@pytest.mark.usefixtures("no_server")
def test_serve_refuses_every_bad_limit_at_once_in_the_rules_words() -> None:
    # --max-upload was typer's int: its refusal was typer's ("Input should be greater than
    # or equal to 1"), alone, and --time-limit's problem went unsaid.
    result = runner.invoke(app, ["serve", "--max-upload", "0", "--time-limit", "abc"])
    assert result.exit_code == 2, result.output
    assert "--max-upload: largest upload must be a whole number at least 1, got 0" \
        in result.stderr
    assert "--time-limit: time limit must be a number from 1 to 604800, got 'abc'" \
        in result.stderr


@pytest.mark.usefixtures("no_server")
def test_serve_refuses_a_time_limit_no_timer_can_wait() -> None:
    # 1e10 s was taken: every job's timer then died at its start (threading's wait overflows
    # past TIMEOUT_MAX, 49 days on Windows), so no job was ever stopped, and a run waited on
    # answered 500.
    result = runner.invoke(app, ["serve", "--time-limit", "1e10"])
    assert result.exit_code == 2, result.output
    assert "time limit must be a number from 1 to 604800" in result.stderr


@pytest.mark.parametrize(("words", "upload", "body"), [
    ([], 1024 * 1024, 2 * 1024 * 1024),  # the library's defaults (ServerLimits())
    (["--max-upload", "8"], 8 * 1024, 64 * 1024),  # room for a scenario edited on the page
    (["--max-upload", "4096"], 4096 * 1024, 8192 * 1024),
])
def test_serve_hands_its_limits_to_the_server(monkeypatch: pytest.MonkeyPatch,
                                              words: list[str], upload: int, body: int) -> None:
    import uvicorn
    from fastapi.testclient import TestClient

    started = []
    monkeypatch.setattr(uvicorn, "run", lambda web_app, **_: started.append(web_app))
    result = runner.invoke(app, ["serve", *words, "--time-limit", "30"])
    assert result.exit_code == 0, result.output
    with TestClient(started[0], base_url="http://127.0.0.1:8765") as client:
        limits = client.get("/api/info").json()["limits"]
    assert (limits["max_upload_bytes"], limits["max_body_bytes"]) == (upload, body)
    assert limits["time_limit_s"] == 30


@pytest.mark.parametrize(("failure", "words"), [
    (MemoryError(), "needs more memory than this machine has"),
    (OverflowError("cannot convert float infinity to integer"), "(a number overflowed;"),
])
def test_an_unexpected_numeric_failure_is_described_not_traced(
        monkeypatch: pytest.MonkeyPatch, failure: Exception, words: str) -> None:
    # Input the checks let through may still exhaust memory or overflow inside an analysis
    # (sensitivity --bootstrap 100000000000 asked numpy for 23 TiB): a message with a fix,
    # as the workbench gives, never Python's traceback or the exception's internal text.
    def fail(*_: object, **__: object) -> None:
        raise failure

    monkeypatch.setattr(importlib.import_module("detente.forecast"), "forecast", fail)
    result = runner.invoke(app, ["forecast", "-m", "compromise"])
    assert result.exit_code == 1, result.output
    assert "error: forecast: the computation" in result.stderr and words in result.stderr
    assert "analysis.forecast" in result.stderr and "fix:" in result.stderr
    assert "Traceback" not in result.output and "infinity" not in result.output
    # A developer still gets the exception itself.
    monkeypatch.setenv("DETENTE_TRACEBACK", "1")
    assert runner.invoke(app, ["forecast", "-m", "compromise"]).exception is failure


def test_json_writer_never_writes_nan() -> None:
    from detente.errors import DetenteError
    from detente.render import to_json as to_json_text

    assert _strict_json(to_json_text({"a": [1.5, None]})) == {"a": [1.5, None]}
    with pytest.raises(DetenteError, match=r"a\[1\]: the result holds a number that is not "):
        to_json_text({"a": [1.0, float("nan")]})


def test_validate_json_without_bootstrap_has_null_intervals(tmp_path: Path) -> None:
    import yaml

    path = tmp_path / "toy.yaml"
    path.write_text(yaml.safe_dump({
        "id": "toy", "title": "Toy", "issues": [{"id": "X", "name": "x", "status_quo": 0}],
        "actors": [{"id": "A", "name": "A", "capability": 1},
                   {"id": "B", "name": "B", "capability": 1}],
        "stances": {"A": {"X": {"position": 20, "salience": 1}},
                    "B": {"X": {"position": 80, "salience": 1}}},
        "outcomes": {"X": 60}}), encoding="utf-8")
    result = invoke("validate", str(path), "-m", "compromise", "-f", "json", "--bootstrap", "0")
    assert result.exit_code == 0
    data = _strict_json(result.stdout)
    score = next(s for s in data["scores"] if s["predictor"] == "compromise")  # type: ignore[index]
    assert score["mae"] == 10 and score["mae_low"] is None and score["mae_high"] is None


@pytest.mark.parametrize(("option", "value"), [
    ("smp.third_party_commit=no", "no"), ("smp.third_party_commit=full", "full"),
    ("smp.ktab_compat=no", False), ("smp.ktab_compat=yes", True),
    ("smp.ktab_compat=off", False), ("smp.max_turns=7", 7), ("smp.stop_ratio=0.05", 0.05),
    ("nash.utility=linear", "linear"), ("bdm.capitulation=false", False),
])
def test_model_options_are_read_by_their_declared_type(option: str, value: object) -> None:
    from detente.analyses.forecasting import parse_model_options as parse_model_option

    model, rest = option.split(".", 1)
    name = rest.split("=", 1)[0]
    parsed = parse_model_option([option])[model][name]
    assert parsed == value and type(parsed) is type(value)


def test_documented_choice_no_runs() -> None:
    result = invoke("forecast", "-m", "smp", "-O", "smp.third_party_commit=no", "-f", "json")
    assert result.exit_code == 0
    smp = _strict_json(result.stdout)["models"][0]  # type: ignore[index]
    assert smp["options"]["third_party_commit"] == "no"


@pytest.mark.parametrize(("option", "words"), [
    ("smp.stop_ratio=nan", "not a finite number"), ("smp.stop_ratio=inf", "not a finite"),
    ("smp.max_turns=1e3", "not a whole number"), ("smp.ktab_compat=maybe", "true or false"),
    ("smp.third_party_commit=never", "not one of no, semi, full"),
])
def test_bad_model_option_values_are_named(option: str, words: str) -> None:
    result = runner.invoke(app, ["forecast", "-m", "smp", "-O", option])
    assert result.exit_code == 2 and words in result.stderr, result.output


@pytest.mark.parametrize("args", [
    ["forecast", "-m", "procedural", "-O", f"procedural.quota={HUGE}"],  # a model's float
    ["settle", "--capability", f"RU={HUGE}"],                            # an edit's number
    ["sample", "-n", "20", "--noise", f"position={HUGE}"],               # a noise spread
    ["settle", "--step", HUGE], ["settle", "--step", f"-{HUGE}"],
])
def test_a_huge_number_anywhere_is_quoted_as_written_and_called_too_large(
        args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert f"{'-' if args[-1].startswith('-') else ''}{HUGE[:40]}" in result.stderr
    assert "characters) is too large to compute with" in result.stderr
    assert not re.search(r"\binf\b", result.stderr), result.stderr


def test_python_api_refuses_non_finite_model_options() -> None:
    from detente.errors import OptionError
    from detente.models import get_model

    with pytest.raises(OptionError, match=r"bdm\.stop_eps: nan is not a finite number"):
        get_model("bdm", stop_eps=float("nan"))


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.5", False), ("example.org", False)])
def test_loopback_is_this_machine_only(host: str, loopback: bool) -> None:
    from detente.serving import is_loopback

    assert is_loopback(host) is loopback


@pytest.mark.parametrize(("host", "allowed"), [
    ("127.0.0.1", ["127.0.0.1", "localhost", "[::1]", "::1"]), ("0.0.0.0", None)])
def test_serve_answers_loopback_names_only_on_loopback(
        host: str, allowed: list[str] | None, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("fastapi")
    uvicorn = pytest.importorskip("uvicorn")
    import detente.web.app as web_app

    seen: dict[str, object] = {}
    monkeypatch.setattr(web_app, "create_app", lambda *_, **kw: seen.update(kw))
    monkeypatch.setattr(uvicorn, "run", lambda *_, **kw: seen.update(served=kw["host"]))
    result = runner.invoke(app, ["serve", "--host", host])
    assert result.exit_code == 0, result.output
    assert seen["allowed_hosts"] == allowed and seen["served"] == host


@pytest.mark.parametrize(("args", "module", "expected"), [
    (["serve"], "uvicorn", "the web workbench needs FastAPI and uvicorn (uvicorn is missing)"),
    (["room", "serve"], "uvicorn", "the room server needs FastAPI, uvicorn and SQLAlchemy "
                                   "(uvicorn is missing)"),
])
def test_a_missing_extra_is_named_with_its_install_line(
        args: list[str], module: str, expected: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, module, None)  # `import uvicorn` fails
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert expected in result.output and "pip install 'detente[" in result.output


def test_an_option_refusal_names_the_option_not_a_stand_in_file() -> None:
    """A refusal of a command-line value has no file: it reads ``--without: ...``; before,
    every one began ``<input>:``, a file nobody wrote."""
    result = runner.invoke(app, ["settle", "--without", "XX"])
    assert result.exit_code == 2
    first = result.output.splitlines()[0]
    assert first == "error: --without: unknown actor 'XX'", first
