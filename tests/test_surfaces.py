"""Issue 14's done-when, walked over the analysis registry: the command line, the web API
(/api/info and what a request runs with) and the report expose the same options, with the
same defaults and the same bounds, for every analysis; and every analysis accepts every
counterfactual on the command line and on the web."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

pytest.importorskip("fastapi", reason="the web extra (FastAPI) is not installed")
from fastapi.testclient import TestClient

import detente
import detente.cli.registry as cli_registry
from detente.analyses import ANALYSES, Option
from detente.cli import app
from detente.errors import OptionError
from detente.report.kinds import REPORT_DEFAULTS, REPORTED, report_settings
from detente.serving import ServerLimits
from detente.settlement.defaults import GridStep
from detente.web.analyses import available_analyses, read_request
from detente.web.app import create_app
from tests.same_numbers import html_tables, timeless

runner = CliRunner()
KOREA = detente.load("korea-2017").to_dict()
COUNTERFACTUAL = ["--without", "RU", "--position", "CN.NUC=40"]
LABEL = "without RU; position CN.NUC=40"


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app()) as c:
        yield c


@pytest.fixture(scope="module")
def info(client: TestClient) -> dict[str, Any]:
    return {a["name"]: a for a in client.get("/api/info").json()["analyses"]}


@pytest.fixture(scope="module")
def with_outcomes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """korea-2017 with observed outcomes, for `validate`."""
    data = json.loads(detente.load("korea-2017").to_json())
    data["outcomes"] = {i["id"]: {"value": 50} for i in data["issues"]}
    path = tmp_path_factory.mktemp("observed") / "observed.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_the_web_offers_every_analysis_but_those_that_read_files(
        info: dict[str, Any]) -> None:
    # The web offers every analysis but those that read files by path.
    assert {n for n in info if n in ANALYSES} == \
        {n for n, spec in ANALYSES.items() if not spec.inputs_by_path}
    assert "validate" not in info  # its targets are files named by path


def _target(name: str, observed: Path) -> list[str]:
    """The positional input of the command: a scenario file with observed outcomes where
    the analysis scores targets (validate), else korea-2017 (what the web runs: KOREA)."""
    return [str(observed)] if ANALYSES[name].inputs == "targets" else ["korea-2017"]


def _command(name: str, target: list[str], options: dict[str, Any]) -> list[str]:
    """``detente NAME`` with ``options`` as words: a positional option (plot KIND) first,
    its default where ``options`` lack it, then the input."""
    spec = ANALYSES[name]
    arguments = {o.name: o.default for o in spec.options if o.argument}
    words = spec.words({**arguments, **options})
    count = sum(1 for o in spec.options if o.argument)
    return [name, *words[:count], *target, *words[count:]]


def _cli_defaults(name: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What the command hands to the analysis when no flag is given."""
    seen: dict[str, Any] = {}

    class Stop(Exception):
        pass

    def capture(_: str, __: Any, ___: Any, **options: Any) -> None:
        seen["options"] = options  # only the flags given: run() fills in the rest
        raise Stop

    monkeypatch.setattr(cli_registry, "run", capture)
    runner.invoke(app, _command(name, _target(name, Path("x.yaml")), {}))
    assert "options" in seen, f"the {name} command did not reach the analysis"
    return ANALYSES[name].check({k: v for k, v in seen["options"].items()
                                 if k not in ("executor", "progress")})


def _outside(o: Option) -> list[Any]:
    """Values just outside each declared bound (and an undeclared choice)."""
    bad: list[Any] = []
    step = 1 if o.type is int else 0.5
    if o.low is not None:
        bad.append(o.low if o.low_open else o.low - step)
    if o.high is not None:
        bad.append(o.high if o.high_open else o.high + step)
    if o.choices and not o.multiple:
        bad.append("not-a-choice")
    if o.type is GridStep:  # a rule of its own: each way a step can be wrong
        bad += ["0", "0%", "-1%", "101%", "abc", "5%%"]
    return [int(b) if o.type is int and isinstance(b, float) and b.is_integer() else b
            for b in bad]


def _on_the_workbench(o: Option) -> Option:
    """The option as the workbench offers it: as declared, but a sample count is held to
    what the workbench runs (``ServerLimits.max_samples``) where the declared bound is
    higher or absent, so its refusals and /api/info name that bound."""
    most = ServerLimits().max_samples
    if o.name == "samples" and (o.high is None or o.high > most):
        return dataclasses.replace(o, high=most)
    return o


@pytest.mark.parametrize("name", list(ANALYSES))
def test_every_surface_has_the_same_options_defaults_and_bounds(
        name: str, info: dict[str, Any], client: TestClient,
        monkeypatch: pytest.MonkeyPatch) -> None:
    spec = ANALYSES[name]
    defaults = spec.defaults()
    # Command line: with no flag, the analysis runs with the spec's defaults.
    assert _cli_defaults(name, monkeypatch) == defaults
    monkeypatch.undo()  # the bounds below run the real commands
    if not spec.inputs_by_path:
        # Web: /api/info lists the declarations as they are, less what the workbench fixes
        # (named there) or bounds (the sample count); an empty request runs with the spec's
        # defaults and the fixed values (the report's settings hold its analyses to them:
        # test_web_api).
        listed = info[name]
        held = spec.held_values()
        assert listed["options"] == [_on_the_workbench(o).public() for o in spec.options
                                     if o.name not in held]
        assert listed["fixed"] == held
        assert {**{o["name"]: o for o in listed["options"]}, **listed["fixed"]}.keys() == \
            defaults.keys()
        entry = available_analyses()[name]
        _, _, ran = read_request(entry, {"scenario": KOREA, "params": {}})
        ran.pop("set", None)
        assert ran == {**{k: v for k, v in defaults.items() if k not in held and k != "set"},
                       **held}
    if name in REPORTED:
        # Report: every option of the analysis, the spec's default unless REPORT_DEFAULTS
        # (the one declared departure) says otherwise.
        assert report_settings()[name] == {**defaults, **REPORT_DEFAULTS.get(name, {})}
    # Bounds: a value just outside is refused everywhere, with the same words.
    for o in spec.options:
        for value in _outside(o):
            messages = {p.message for p in o.check(value)[1]}
            assert messages, f"{name}.{o.name}={value!r} passes its own check"
            out = runner.invoke(app, _command(name, _target(name, Path("x.yaml")),
                                              {o.name: value}))
            assert out.exit_code == 2 and "Traceback" not in out.output, (o.flag, value)
            assert any(m in " ".join(out.output.split()) for m in messages), out.output
            if not spec.inputs_by_path and o.held is None:
                response = client.post(f"/api/analyses/{name}", json={
                    "scenario": KOREA, "params": {o.name: value}})
                assert response.status_code == 422, (name, o.name, value)
                problems = response.json()["problems"]
                assert {p["message"] for p in problems if p["location"] ==
                        f"params.{o.name}"} == \
                    {p.message for p in _on_the_workbench(o).check(value)[1]}
            if name in REPORTED:
                with pytest.raises(OptionError) as refused:
                    report_settings({name: {o.name: value}})
                assert {p.message for p in refused.value.problems} == messages
                assert {p.location for p in refused.value.problems} == \
                    {f"--set {name}.{o.name}"}


def test_the_web_request_spells_every_counterfactual_flag(client: TestClient) -> None:
    from detente.variation import FLAGS
    from detente.web.app import Counterfactual

    assert {f"--{name}" for name in Counterfactual.model_fields} == set(FLAGS)
    schema = client.get("/openapi.json").json()["components"]["schemas"]["Counterfactual"]
    assert {f"--{name}" for name in schema["properties"]} == set(FLAGS)


def test_the_report_refuses_unknown_settings() -> None:
    with pytest.raises(OptionError) as refused:
        report_settings({"settle": {"stepp": 5}, "astrology": {"x": 1}})
    messages = " ".join(p.message for p in refused.value.problems)
    assert "unknown option 'stepp' for settle" in messages
    assert "no analysis 'astrology'" in messages
    # Located by the setting as written (it was "--set settle.settle.stepp").
    assert {p.location for p in refused.value.problems} == {"--set settle.stepp", "--set"}


@pytest.mark.parametrize("name", list(ANALYSES))
def test_every_analysis_accepts_every_counterfactual_on_the_cli_and_the_web(
        name: str, client: TestClient, with_outcomes: Path, tmp_path: Path) -> None:
    spec = ANALYSES[name]
    # The file a document writes (plot -o figure.png) goes to the test's folder.
    files = [word for f in spec.files if f.default for word in (f.flag, str(tmp_path / f.default))]
    out = runner.invoke(app, [*_command(name, _target(name, with_outcomes), dict(spec.quick)),
                              *files, *COUNTERFACTUAL, "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    # The counterfactual is named in the result, beside the baseline for settle/roadmap.
    assert LABEL in json.dumps(data), data.keys()
    if spec.inputs_by_path:
        return
    response = client.post(f"/api/analyses/{name}", json={
        "scenario": KOREA, "params": {k: v for k, v in spec.quick.items()
                                      if spec.option(k).held is None},
        "counterfactual": {"without": ["RU"], "position": ["CN.NUC=40"]}})
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert result["view"]["counterfactual"] == LABEL
    # The web runs the library: the same JSON as the command line (less timings).
    assert timeless(result["data"]) == timeless(data)


#: The report on its cheap settings (the spec's quick ones), with a second model.
REPORT_WORDS = [*ANALYSES["report"].words(ANALYSES["report"].quick), "-m", "median",
                "--quiet"]


@pytest.fixture(scope="module")
def counterfactual_report(tmp_path_factory: pytest.TempPathFactory) -> str:
    """`detente report` run once with the walk's counterfactual (every section, every
    figure: the slowest command there is, so one run serves the tests below)."""
    path = tmp_path_factory.mktemp("report") / "report.html"
    out = runner.invoke(app, ["report", "korea-2017", "-o", str(path), *REPORT_WORDS,
                              *COUNTERFACTUAL])
    assert out.exit_code == 0, out.output
    return path.read_text()


def test_report_and_plot_take_the_counterfactual_flags_of_every_analysis() -> None:
    import typer.main

    from detente.variation import FLAGS

    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]

    def flags(command: str) -> dict[str, tuple[str | None, str | None]]:
        return {o.opts[0]: (o.help, o.metavar) for o in commands[command].params
                if o.opts[0] in FLAGS}

    # The same flags, help and metavar: made by the one function from the one declaration.
    assert set(flags("forecast")) == set(FLAGS)
    assert flags("report") == flags("plot") == flags("forecast") == flags("settle")


def test_the_report_and_plot_take_every_counterfactual(counterfactual_report: str,
                                                        tmp_path: Path) -> None:
    # The report says which counterfactual it shows, in its head and in each table it
    # computed under it.
    assert f"Counterfactual: <b>{LABEL}</b>" in counterfactual_report
    assert f"forecasts ({LABEL})" in counterfactual_report
    for section in ("forecasts", "settlement", "zones", "contributions", "roadmap",
                    "settlement-without", "uncertainty", "sensitivity", "settings"):
        assert f'<section id="{section}">' in counterfactual_report, section
    figure = tmp_path / "comparison.png"
    out = runner.invoke(app, ["plot", "comparison", "korea-2017", "-m", "compromise", "-o",
                              str(figure), "--dpi", "30", *COUNTERFACTUAL])
    assert out.exit_code == 0, out.output
    assert figure.read_bytes().startswith(b"\x89PNG")
    wrong = runner.invoke(app, ["plot", "comparison", "-o", str(tmp_path / "x.png"),
                                "--without", "RUS"])
    assert wrong.exit_code == 2 and "unknown actor 'RUS'" in wrong.output


def test_the_reports_forecast_table_is_the_forecast_commands(counterfactual_report: str
                                                             ) -> None:
    """`report --without RU ...` shows the numbers `forecast --without RU ...` prints."""
    from detente.render import fmt

    out = runner.invoke(app, ["forecast", "korea-2017", "-m", "compromise", "-m", "median",
                              *COUNTERFACTUAL, "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["counterfactual"] == LABEL and "RU" not in data["actors"]
    shown = html_tables(counterfactual_report, "forecasts")[0]
    assert [r[0].split()[0] for r in shown["rows"]] == data["issues"]
    for model in data["models"]:
        column = shown["columns"].index(model["name"])
        assert [r[column] for r in shown["rows"]] == \
            [fmt(model["forecast"][i]) for i in data["issues"]], model["name"]


def test_the_web_figure_takes_every_counterfactual(client: TestClient) -> None:
    # (The web report takes it too: tests/test_web_api.py, which draws one.)
    response = client.post("/api/analyses/plot", json={
        "scenario": KOREA, "params": {"model": ["compromise"], "kind": "without-actor"},
        "counterfactual": {"without": ["RU"], "position": ["CN.NUC=40"]}})
    assert response.status_code == 200, response.text
    assert response.json()["result"]["view"]["counterfactual"] == LABEL
    assert response.json()["result"]["data"]["figures"]


