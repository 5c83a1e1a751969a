"""Issue 18, item 5: the same analysis with the same inputs gives the same numbers in the
terminal, the report and the web page -- every analysis the report shows, on two shipped
scenarios.

Per scenario, each surface computes once (module scope): the report, on cheap settings;
the command line (`detente ANALYSIS SCENARIO ... --format json`, in process) with the very
options and counterfactual the report ran each analysis with, spelled as flags; and the
web's adapter (what a worker runs for ``POST /api/analyses/NAME``) with them as request
params. The terminal's JSON must equal the web's and the report's result number by number,
and the web's table cells (what the terminal prints: both render the result's View) must
equal the report's HTML tables cell by cell.

The report is rendered with only the sections that show these analyses' tables, and with a
placeholder for each figure: the numbers under test are in the tables, and drawing is
tested in tests/test_report.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from typer.testing import CliRunner

pytest.importorskip("fastapi", reason="the web extra (FastAPI) is not installed")

import detente.report.html as report_html
from detente.analyses import ANALYSES, AnalysisSpec, Result
from detente.cli import app
from detente.render import to_json
from detente.report.kinds import Analysis
from detente.scenario import load
from detente.web.analyses import run_analysis
from tests.same_numbers import assert_same_numbers, html_tables, timeless, untimed

SCENARIOS = ("korea-2017", "korea-2017-moon")
#: Coarse grids, few samples: the surfaces must agree at any setting.
CHEAP: dict[str, dict[str, Any]] = {
    "settle": {"step": 50.0}, "contributions": {"step": 50.0},
    "sample": {"samples": 20, "workers": 1},
    "sensitivity": {"samples": 8, "bootstrap": 10, "workers": 1}}
MODELS = ["compromise", "median"]
#: The report's sections that show each analysis's tables.
SHOWN = {"forecast": ("forecasts",), "settle": ("settlement", "zones"),
         "contributions": ("contributions",), "sample": ("uncertainty",),
         "sensitivity": ("sensitivity",), "roadmap": ("roadmap",)}
SECTIONS = (report_html._forecasts, report_html._settlement, report_html._zones,
            report_html._contributions, report_html._roadmap, report_html._uncertainty)
runner = CliRunner()


@dataclass
class Surfaces:
    scenario: str
    results: dict[str, Result]   # the report's runs
    page: str                    # the report's HTML
    #: The options of each analysis as the report's Settings section lists them (the
    #: roadmap's: those it chose, its scan and guarantors).
    settings: dict[str, dict[str, Any]]


@pytest.fixture(scope="module", params=SCENARIOS)
def surfaces(request: pytest.FixtureRequest) -> Surfaces:
    analysis = Analysis.of(request.param, settings=CHEAP, models=MODELS, dpi=30)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(report_html, "SECTIONS", SECTIONS)
        patch.setattr(report_html, "figure_block", lambda _, kind, alt: report_html.FigureBlock(
            kind, kind, "", alt))
        page = report_html.render_report(analysis)
    results = {name: analysis.result(name) for name in SHOWN if name != "roadmap"}
    results["roadmap"] = analysis.roadmap_run
    return Surfaces(request.param, results, page,
                    {**analysis.settings, "roadmap": analysis.roadmap_run.options})


def cli_words(spec: AnalysisSpec, options: dict[str, Any]) -> list[str]:
    """The flags that give ``options`` on the command line (defaults left out)."""
    words: list[str] = []
    for o in spec.options:
        value = options[o.name]
        if value == o.default:
            continue
        if o.type is bool:
            words.append(o.flag if value else o.negative or "--no-" + o.flag[2:])
        elif o.multiple:
            words += [w for item in value for w in (o.flag, str(item))]
        else:
            words += [o.flag, str(value)]
    return words


def untimed_tables(tables: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tables less the seconds a search took: the one cell that differs between two runs
    of the same numbers."""
    return [{"title": untimed(t["title"]), "columns": t["columns"],
             "rows": [[untimed(c) for c in row] for row in t["rows"]]} for t in tables]


def test_the_report_shows_every_analysis_it_runs(surfaces: Surfaces) -> None:
    assert set(surfaces.results) == set(SHOWN) and set(SHOWN) <= set(ANALYSES)
    for name, sections in SHOWN.items():
        assert any(html_tables(surfaces.page, s) for s in sections), name


@pytest.mark.parametrize("name", list(SHOWN))
def test_terminal_report_and_web_show_the_same_numbers(surfaces: Surfaces, name: str) -> None:
    result = surfaces.results[name]
    options = surfaces.settings[name]
    variation = result.variation
    changes: dict[str, list[str]] = {}
    if variation is not None and not variation.is_empty:
        # The report's own counterfactuals here leave actors out (the roadmap's guarantors).
        assert variation.describe() == "; ".join(f"without {a}" for a in variation.without)
        changes = {"without": list(variation.without)}
    # Terminal: the command with the report's options as flags.
    words = [w for a in changes.get("without", []) for w in ("--without", a)]
    out = runner.invoke(app, [name, surfaces.scenario, *cli_words(result.spec, options),
                              *words, "--format", "json"])
    assert out.exit_code == 0, out.output
    terminal = json.loads(out.stdout)
    assert_same_numbers(timeless(json.loads(to_json(result.to_dict()))), timeless(terminal))
    # Web: the same options as request params (less what the workbench fixes itself).
    params = {k: list(v) if isinstance(v, tuple) else v for k, v in options.items()
              if result.spec.option(k).held is None and v != result.spec.option(k).default}
    web = run_analysis(name, {"scenario": load(surfaces.scenario).to_dict(),
                              "params": params, "counterfactual": changes},
                       lambda *_: None)
    assert_same_numbers(timeless(web["data"]), timeless(terminal))
    # Report: the tables it shows are the web's (the terminal's) cell for cell.
    shown = [t for section in SHOWN[name] for t in html_tables(surfaces.page, section)]
    cells = [{k: t[k] for k in ("title", "columns", "rows")} for t in web["view"]["tables"]]
    if name == "forecast":
        cells = cells[:1]   # the combined forecast has a section of its own
    assert sorted(untimed_tables(shown), key=json.dumps) == \
        sorted(untimed_tables(cells), key=json.dumps)
