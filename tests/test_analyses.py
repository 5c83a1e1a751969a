"""The analysis registry (issue 14): every option declared once, with a default inside its
own bounds and choices; every analysis accepts every counterfactual; option problems are
all reported at once."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from rich.console import Console

import detente
import detente.analyses as analyses
from detente import load
from detente.analyses import ANALYSES
from detente.analyses.options import DEFAULT_STEP, SETTLEMENT, STEP
from detente.errors import NOBODY_MUST_AGREE, OptionError
from detente.models import REGISTRY
from detente.render import fmt, print_view, view_csv
from detente.settlement.defaults import GridStep
from detente.variation import FLAGS as VARIATION_FLAGS
from detente.variation import Variation, parse_variation

COUNTERFACTUALS = [
    ["--without", "RU"],
    ["--add", "EU=10", "--position", "EU.NUC=50", "--salience", "EU.NUC=0.5"],
    ["--position", "CN.NUC=40"],
    ["--salience", "KP.SANC=0.9"],
    ["--capability", "RU=60"],
    ["--trust", "KP.RU=0.8"],
    ["--guarantor", "SEC=CN,RU"],
    ["--fix", "NUC=50"],
    ["--without", "RU", "--position", "CN.NUC=40"],
]


def test_every_declared_analysis_is_registered() -> None:
    # The registry is the one list the tests walk: a spec written but not registered would
    # be tested nowhere and offered by no interface.
    import importlib
    import pkgutil

    declared = {value.name for info in pkgutil.iter_modules(analyses.__path__)
                for value in vars(importlib.import_module(f"detente.analyses.{info.name}"))
                .values() if isinstance(value, analyses.AnalysisSpec)}
    assert declared == set(ANALYSES)
    assert {"forecast", "settle", "sample", "validate", "compare"} <= set(ANALYSES)


@pytest.mark.parametrize("name", list(ANALYSES))
def test_the_quick_options_are_options_of_the_analysis(name: str) -> None:
    # What every test walk runs with: checked by the spec like any user's options.
    # (An unknown name or a value out of bounds raises OptionError.)
    ANALYSES[name].check(ANALYSES[name].quick)


@pytest.mark.parametrize("name", list(ANALYSES))
def test_every_default_lies_within_its_own_bounds_and_choices(name: str) -> None:
    spec = ANALYSES[name]
    names = [o.name for o in spec.options]
    assert len(names) == len(set(names)), f"{name}: an option declared twice"
    flags = [f for o in spec.options for f in (*o.cli_flags, o.negative) if f]
    assert len(flags) == len(set(flags)), f"{name}: two options share a flag"
    # The counterfactual flags and --format belong to every command: no option may take them,
    # except where the spec declares the sharing (validate's --capability council|gdp|equal
    # predates the counterfactual --capability RU=60; the CLI tells them apart by the '=').
    shared = set(spec.extra.get("shares_flags", ()))
    assert set(flags) & {*VARIATION_FLAGS, "--format", "-f"} == shared
    for o in spec.options:
        assert o.help, f"{name}.{o.name} has no help text"
        value, problems = o.check(o.default)
        assert problems == [], f"{name}.{o.name}: default {o.default!r} fails its own check"
        if o.default is not None and not o.multiple:
            assert type(value) is o.type
        if o.choices and o.default is not None:
            chosen = o.default if o.multiple else (o.default,)
            assert set(chosen) <= set(o.choices)
    assert spec.check({}) == spec.defaults()


def test_settlement_options_are_one_group_with_one_step_default() -> None:
    for name in ("settle", "contributions", "roadmap"):
        spec = ANALYSES[name]
        for o in SETTLEMENT:
            assert spec.option(o.name) is o, f"{name} redeclares {o.name}"
    # A tenth of each issue's own scale: 10 units on korea-2017's 0-100 scales.
    assert STEP.default == DEFAULT_STEP == GridStep(10.0, relative=True)
    assert ANALYSES["compare"].option("step") is STEP
    # The library functions take the same default when called without a step.
    s = detente.load("korea-2017")
    settled = detente.settle(s, step=None, method="auto", top=1)
    assert settled.step == DEFAULT_STEP
    assert settled.to_dict()["step"] == 10.0
    assert set(settled.to_dict()["steps"].values()) == {10.0}
    assert detente.roadmap(s).step == DEFAULT_STEP


def test_option_problems_are_reported_all_at_once() -> None:
    with pytest.raises(OptionError) as err:
        analyses.run("settle", "korea-2017", step=0, utility="cubic", correlation=2.0,
                     top="many", colour="red")
    where = [p.location for p in err.value.problems]
    assert where == ["settle.colour", "--top", "--step", "--utility", "--correlation"]
    text = str(err.value)
    assert "grid step must be a finite number above 0" in text
    assert "quadratic, linear" in text and "correlation must be a number from 0 to 1" in text


@pytest.mark.parametrize("name", [n for n, s in ANALYSES.items() if s.models_run is not None])
def test_model_options_of_a_model_the_run_does_not_run_are_refused(name: str) -> None:
    spec = ANALYSES[name]
    assert spec.models_run is not None
    ran = spec.models_run(spec.defaults())
    idle = next(m for m in REGISTRY if m not in ran)
    # Options of every model the run runs are taken (the combined forecast's included).
    spec.check({"option": [f"{m}.x=1" for m in ran]})
    with pytest.raises(OptionError) as err:
        spec.check({"option": [f"{ran[0]}.x=1", f"{idle}.x=1"]})
    [problem] = err.value.problems
    assert problem.location == "--option"
    assert f"{name} runs {', '.join(ran)}, not {idle}" in problem.message
    assert f"--model {idle}" in problem.fix
    with pytest.raises(OptionError) as err:
        spec.check({"option": [f"{idle}.x=1"]}, at="params")
    assert [p.location for p in err.value.problems] == ["params.option"]


def test_the_report_refuses_options_of_a_model_its_analysis_does_not_run() -> None:
    from detente.report.kinds import parse_settings, report_settings

    report_settings(parse_settings(["sample.option=compromise.x=1"]))
    with pytest.raises(OptionError) as err:
        report_settings(parse_settings(["sample.option=nash.utility=linear"]))
    assert [p.location for p in err.value.problems] == ["--set sample.option"]


#: The options that name a file on the machine that runs the analysis, and those that spend
#: its processes: listed here, not read from the declarations, so that a declaration losing
#: its ``held`` fails the walk below instead of leaving it.
PATHS = {("forecast", "combination"), ("sample", "combination"), ("compare", "other"),
         ("plot", "data"), ("report", "data"), ("validate", "weights"),
         ("validate", "predictions"), ("validate", "fit"), ("validate", "reliability")}
PROCESSES = {("sample", "workers"), ("sensitivity", "workers"), ("validate", "workers")}


def test_a_served_request_cannot_give_what_a_server_holds() -> None:
    # The workbench listed these by name (web/analyses.py's FIXED) and refused them by hand;
    # each is now declared held, and AnalysisSpec.check refuses it for a served request.
    held = {(name, o.name): o.held.value for name, spec in ANALYSES.items()
            for o in spec.options if o.held is not None}
    assert held == {**dict.fromkeys(PATHS, None), **dict.fromkeys(PROCESSES, 1)}
    for (name, option), value in held.items():
        spec = ANALYSES[name]
        # The command line and the library take the option as before.
        assert spec.check({option: "2"})[option] in ("2", 2)
        with pytest.raises(OptionError) as refused:
            spec.check({option: "2"}, at="params", served=ANALYSES)
        assert [(p.location, p.message, p.fix) for p in refused.value.problems] == [
            (f"params.{option}", f"unknown option '{option}' for {name}",
             f"the workbench sets {option} itself")]
        assert spec.check({}, at="params", served=ANALYSES)[option] == value
    # Only validate's inputs are files named by path: a server offers every other analysis.
    assert [n for n, spec in ANALYSES.items() if spec.inputs_by_path] == ["validate"]


def test_the_reports_settings_of_a_served_request_are_held_as_its_options_are() -> None:
    from detente.report.kinds import parse_settings, report_settings

    # The command line reads a combination file and starts processes as asked.
    given = parse_settings(["forecast.combination=c.json", "sample.workers=4"])
    settings = report_settings(given)
    assert (settings["forecast"]["combination"], settings["sample"]["workers"]) == \
        ("c.json", 4)
    with pytest.raises(OptionError) as refused:
        report_settings(given, served=True)
    assert [(p.location, p.message) for p in refused.value.problems] == [
        ("--set", "'forecast.combination=c.json': the workbench sets combination itself"),
        ("--set", "'sample.workers=4': the workbench sets workers itself")]
    # A held value may be given as it is held; what is left out takes it.
    served = report_settings(parse_settings(["sample.workers=1"]), served=True)
    assert (served["sample"]["workers"], served["sensitivity"]["workers"],
            served["forecast"]["combination"]) == (1, 1, None)


@pytest.mark.parametrize(("bad", "words"), [
    (math.nan, "nan is not a finite number"), (math.inf, "inf is not a finite number"),
    (-math.inf, "-inf is not a finite number"), ("nan", "nan is not a finite number"),
    # Text past the float range reads as inf: quoted as written, and called too large.
    ("1e999", "1e999 is too large to compute with")])
def test_non_finite_numbers_are_refused(bad: object, words: str) -> None:
    with pytest.raises(OptionError, match=words) as err:
        analyses.run("roadmap", "korea-2017", patience=bad)
    assert err.value.problems[0].location == "--patience"
    with pytest.raises(OptionError, match=words):
        analyses.run("settle", "korea-2017", step=bad)


def test_strings_are_read_as_the_option_type() -> None:
    # The web and the report hand options over as text.
    checked = ANALYSES["settle"].check({"step": "25", "top": "3", "count": "false"})
    assert checked["step"] == GridStep(25.0) and checked["top"] == 3 and checked["count"] is False
    with pytest.raises(OptionError, match="top must be a whole number from 1 to 1000"):
        ANALYSES["settle"].check({"top": 2.5})
    with pytest.raises(OptionError, match="true or false"):
        ANALYSES["settle"].check({"separately": "perhaps"})


@pytest.fixture(scope="module")
def with_outcomes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """korea-2017 with observed outcomes, so that validate can score it."""
    from importlib.resources import files

    raw = yaml.safe_load((files("detente") / "data" / "scenarios" / "korea-2017.yaml")
                         .read_text(encoding="utf-8"))
    raw["outcomes"] = {"NUC": 80, "MSL": 75, "SANC": 45}
    path = tmp_path_factory.mktemp("validate") / "korea-outcomes.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def _text(view: Any) -> str:
    buffer = io.StringIO()
    print_view(view, Console(file=buffer, width=200, highlight=False))
    return buffer.getvalue()


#: Each analysis with each counterfactual; the report (some 10 s a run, every figure drawn)
#: with the last, which combines two: each of its sections is an analysis walked here with
#: every one, and tests/test_surfaces.py runs it on the command line and the web too.
WALK = [pytest.param(name, args, id=f"{name}-{' '.join(args)}") for name in ANALYSES
        for args in (COUNTERFACTUALS[-1:] if name == "report" else COUNTERFACTUALS)]


@pytest.mark.parametrize(("name", "args"), WALK)
def test_every_analysis_accepts_every_counterfactual(name: str, args: list[str],
                                                     with_outcomes: Path) -> None:
    variation = parse_variation(args)
    target: Any = [str(with_outcomes)] if ANALYSES[name].inputs == "targets" \
        else "korea-2017"
    result = analyses.run(name, target, variation, **ANALYSES[name].quick)
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["format"].startswith("detente.")
    text = _text(result.view())
    assert view_csv(result.view()).startswith("table,row,column,value,unit")
    # The counterfactual is named in what the user sees (beside the baseline for settle
    # and roadmap, in the title or summary elsewhere).
    label = variation.describe(legacy=True) if ANALYSES[name].counterfactual == "beside" \
        else variation.describe()
    assert label in text.replace("\n", " ") or label in json.dumps(data)
    if ANALYSES[name].counterfactual == "beside":
        assert [v["label"] for v in data["variants"]] == [label]
    # Only the package search reads trust, guarantors and fixed issues: every other
    # analysis says the change is inert rather than titling an unchanged result with it.
    package_parts = variation.fix or variation.trust or variation.guarantors
    # ... in every format: the JSON as the table (the CSV writes the view's notes).
    inert = [n for n in data.get("counterfactual_notes", []) if "changes nothing here" in n]
    if package_parts and not ANALYSES[name].searches_packages(result.options):
        assert "changes nothing here" in text
        assert inert and all(note in text for note in inert)
    elif not ANALYSES[name].searches_packages(result.options):
        assert "changes nothing here" not in text
        assert not inert


def test_a_dropped_actor_is_gone_from_every_actor_list() -> None:
    without = parse_variation(["--without", "RU"])
    forecast = analyses.run("forecast", "korea-2017", without).to_dict()
    assert "RU" not in forecast["actors"]
    shares = analyses.run("contributions", "korea-2017", without, step=50.0).to_dict()
    assert "RU" not in shares["shapley"] and set(shares["shapley"]) == set(forecast["actors"])
    drawn = analyses.run("sample", "korea-2017", without, model="settle", samples=5,
                         workers=1).to_dict()
    for package in drawn["settlement"]["packages"].values():
        assert "RU" not in package["blocked_by"]


def test_a_counterfactual_equals_the_edited_scenario() -> None:
    # Moving CN's position on NUC through the registry gives the numbers of a scenario file
    # written with that position.
    s = detente.load("korea-2017")
    raw = json.loads(s.to_json())
    raw["stances"]["CN"]["NUC"]["position"] = 40
    edited = detente.Scenario.model_validate(raw)
    varied = analyses.run("forecast", s, parse_variation(["--position", "CN.NUC=40"]))
    plain = analyses.run("forecast", edited)
    for a, b in zip(varied.to_dict()["models"], plain.to_dict()["models"], strict=True):
        assert a["forecast"] == pytest.approx(b["forecast"], abs=1e-9)


def test_registry_run_gives_the_library_numbers() -> None:
    # The registry adds checking and defaults, never a different number.
    via = analyses.run("settle", "korea-2017", parse_variation(["--without", "RU"]),
                       step=25.0).to_dict()
    direct = detente.settle("korea-2017", variations=[Variation(without=("RU",))],
                            step=25.0).to_dict()
    for d in (via, direct):
        for o in (d["baseline"], *d["variants"]):
            o.pop("seconds", None)
    assert via == direct


def test_compare_needs_a_difference_and_reports_it() -> None:
    with pytest.raises(OptionError, match="nothing to compare"):
        analyses.run("compare", "korea-2017")
    result = analyses.run("compare", "korea-2017", parse_variation(["--without", "RU"]),
                          step=50.0, samples=0, analyses=("settle", "contributions"))
    rows = {(r["analysis"], r["quantity"]): r for r in result.to_dict()["rows"]}
    ru = rows[("contributions", "Shapley RU")]
    assert ru["a"] is not None and ru["b"] is None and ru["difference"] is None
    best = rows[("settle", "best Nash product")]
    assert best["difference"] == pytest.approx(best["b"] - best["a"])
    other = analyses.run("compare", "korea-2017", other="korea-2017-moon", step=50.0,
                         samples=0, analyses=("forecast",)).to_dict()
    assert other["b"] == "korea-2017-moon" and other["rows"]


def test_compare_checks_a_counterfactual_against_b_where_b_is_another_scenario(
        tmp_path: Path) -> None:
    # The counterfactual changes B (--other): checked against A before the run, a change
    # naming B's own actor was refused as unknown, and one naming only A's let through.
    other = tmp_path / "b.yaml"
    other.write_text(load("korea-2017").to_yaml().replace("US", "USA"), encoding="utf-8")
    options = {"other": str(other), "step": "50%", "samples": 0, "analyses": ("forecast",)}
    result = analyses.run("compare", "korea-2017", {"without": ["USA"]}, **options)
    assert "without USA" in result.to_dict()["b"]
    with pytest.raises(OptionError, match="unknown actor 'US'"):
        analyses.run("compare", "korea-2017", {"without": ["US"]}, **options)


def test_cells_render_numpy_scalars_as_python_ones() -> None:

    from detente.render import cell_text

    assert cell_text(np.bool_(True)) == cell_text(True) == "yes"
    assert cell_text(np.float32(0.5)) == cell_text(0.5) == "0.5"
    assert cell_text(None) == "–"


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, np.float32("nan")])
def test_every_renderer_refuses_a_non_finite_cell_by_place_as_json_does(bad: float) -> None:
    # A missing number is None ("–"); a NaN cell used to be shown as "–" too, silently, while
    # the JSON writer refused the same number by its path.
    from detente.errors import DetenteError
    from detente.render import cell_text, print_view, view_cells, view_csv, view_html
    from detente.view import View, table

    view = View("v", tables=(table("T", ["who", "gain"], [["A", 1.0], ["B", bad]], key="gains"),))
    console = Console(record=True)
    for render in (lambda: print_view(view, console), lambda: view_cells(view),
                   lambda: view_csv(view), lambda: view_html(view)):
        with pytest.raises(DetenteError, match=r"tables\.gains\.rows\[1\]\.gain: .*not finite"):
            render()
    assert console.export_text() == ""  # nothing of a refused view reaches the terminal
    with pytest.raises(DetenteError, match="not finite"):
        cell_text(bad)
    fine = View("v", tables=(table("T", ["who", "gain"], [["A", 1.0], ["B", None]]),))
    assert view_cells(fine)["tables"][0]["rows"][1] == ["B", "–"]


def test_one_fmt() -> None:
    assert [fmt(x) for x in (40.0, 37.5, 37.96, -0.04, 1e-12)] == ["40", "37.5", "38", "-0.04", "0"]


def test_compare_shows_what_only_b_has(tmp_path: Path) -> None:
    # B = examples/my.yaml with an issue NEW and a package ONLY: compare listed A's rows
    # alone, so B's NEW forecasts, its sample median and its package vanished (and a B
    # on entirely different issues showed nothing of B at all).
    example = Path(__file__).resolve().parent.parent / "examples" / "my.yaml"
    data = yaml.safe_load(example.read_text(encoding="utf-8"))
    data["issues"].append({"id": "NEW", "name": "new", "scale": {"low": 0, "high": 100},
                           "status_quo": 50})
    for actor, position in zip(data["stances"], (10, 40, 80, 90), strict=True):
        data["stances"][actor]["NEW"] = {"position": position, "salience": 0.5}
    data["packages"].append({"id": "ONLY", "name": "B's package",
                             "values": {"FLOW": 12, "FUND": 50, "NEW": 60}})
    other = tmp_path / "plus.yaml"
    other.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = analyses.run("compare", str(example), other=str(other), step="50%", samples=8,
                          analyses=("forecast", "settle", "sample"))
    rows = [(r["analysis"], r["quantity"], r["a"], r["b"]) for r in result.to_dict()["rows"]]
    only_b = [(part, quantity) for part, quantity, a, b in rows if a is None and b is not None]
    models = [m["name"] for m in detente.forecast(str(other)).to_dict()["models"]]
    assert only_b == [*(("forecast", f"{m} NEW") for m in models),
                      ("settle", "ONLY acceptable"),
                      ("sample", "median NEW of the compromise samples")]
    # A's rows first, in A's order, then B's new ones: NEW follows FLOW and FUND.
    # The sampled model is named: "sample median FLOW" read as the median model's forecast.
    assert [q for part, q, *_ in rows if part == "sample"] == [
        f"median {i} of the compromise samples" for i in ("FLOW", "FUND", "NEW")]
    shown = view_csv(result.view())
    assert "median NEW of the compromise samples" in shown



def test_compare_leaves_out_a_deal_nobody_must_agree_to_and_says_on_which_side(
        tmp_path: Path) -> None:
    # compare refused as a whole (exit 2) where a side had no veto player, though its
    # forecasts compare; as the brief and the report now do, it leaves the deals out and
    # says why, naming the side.
    example = Path(__file__).resolve().parent.parent / "examples" / "my.yaml"
    data = yaml.safe_load(example.read_text(encoding="utf-8"))
    for actor in data["actors"]:
        actor["veto"] = False
    noveto = tmp_path / "noveto.yaml"
    noveto.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    parts = ("forecast", "settle", "contributions")
    result = analyses.run("compare", str(noveto), {"capability": ["MID=50"]}, analyses=parts,
                          step="50%").to_dict()
    assert {r["analysis"] for r in result["rows"]} == {"forecast"}
    assert [line.split(":")[0] for line in result["left_out"]] == ["settle", "contributions"]
    assert all(" on A and B, no actor holds a veto" in line for line in result["left_out"])
    # A settles; B, without UP, MID and DOWN, keeps only DELTA, which holds no veto: only
    # B's side is left out.
    emptied = analyses.run("compare", str(example), {"without": ["UP", "MID", "DOWN"]},
                           analyses=("forecast", "settle"), step="50%").to_dict()
    assert emptied["left_out"] == [
        f"settle: left out: on B, {NOBODY_MUST_AGREE}"]
    with pytest.raises(OptionError):  # the analysis itself still refuses such a run
        analyses.run("settle", str(noveto))

def test_compare_says_why_an_analysis_asked_for_has_no_rows(tmp_path: Path) -> None:
    # compare -a roadmap on a scenario that names no roadmap printed an empty table and no
    # note, where the other analyses that cannot run on a side say why (left_out).
    example = Path(__file__).resolve().parent.parent / "examples" / "my.yaml"
    data = yaml.safe_load(example.read_text(encoding="utf-8"))
    data.pop("roadmaps", None)
    unnamed = tmp_path / "unnamed.yaml"
    unnamed.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = analyses.run("compare", str(unnamed), {"without": ["MID"]},
                          analyses=("roadmap", "sample"), samples=0, step="50%")
    assert result.to_dict()["rows"] == []
    assert [line.split(":")[0] for line in result.to_dict()["left_out"]] == [
        "roadmap", "sample"]
    assert "neither side names a roadmap" in view_csv(result.view())


CSV_ANALYSES = [name for name, spec in ANALYSES.items()
                if "csv" in spec.formats and spec.inputs != "targets"]


@pytest.mark.parametrize("name", CSV_ANALYSES)
def test_the_csv_carries_all_the_view_shows(name: str) -> None:
    # The CSV wrote the cells alone: a counterfactual's forecasts (--without UP) read as
    # the baseline's, sample lost its seed and noise, influence its answer to --target,
    # and forecast's CSV (a table of its own) the combined forecast, on by default.
    import csv

    variation = parse_variation(["--without", "DELTA"])
    example = Path(__file__).resolve().parent.parent / "examples" / "my.yaml"
    result = analyses.run(name, str(example), variation, **ANALYSES[name].quick)
    view = result.view()
    header, *rows = csv.reader(io.StringIO(result.text("csv")))
    assert header == ["table", "row", "column", "value", "unit"]
    said = [(table_name, what, text) for table_name, row, what, text, _ in rows if row == ""]
    cells = [row for row in rows if row[1] != ""]
    assert len(cells) == sum(len(t.rows) * len(t.columns) for t in view.tables)
    tables = list(dict.fromkeys(row[0] for row in cells))
    assert len(tables) == len([t for t in view.tables if t.rows])
    texts = [text for _, _, text in said]
    for t in view.tables:
        assert (not t.title or t.title in texts) and all(n in texts for n in t.notes)
    assert all(n in texts for n in (view.title, view.summary, *view.notes) if n)
    if ANALYSES[name].counterfactual == "apply":
        assert ("", "counterfactual", variation.describe()) in said
    else:  # settle, roadmap: the variant beside the baseline, by its title
        assert any(variation.describe(legacy=True) in text for text in texts), texts


@pytest.mark.parametrize(("name", "option", "value"), [
    ("forecast", "model", 5), ("settle", "ignore", True), ("sample", "noise", 0.1),
    ("report", "set", 5)])
def test_a_lone_value_for_a_list_option_is_refused_at_the_option(name: str, option: str,
                                                                  value: object) -> None:
    # A request's JSON may send a number where a list goes; list(5) raised a TypeError,
    # which the workbench answered with a 500.
    with pytest.raises(OptionError) as refused:
        ANALYSES[name].check({option: value}, at="params")
    assert [p.location for p in refused.value.problems] == [f"params.{option}"]
