"""Every number a user sees is finite, in sentences too: the one formatter (detente.render.fmt)
refuses a NaN or infinity where it would be written, never shown as 'nan', 'inf' or a
silent '–'; and no output of a scenario at the models' edges shows one."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console

import detente.analyses as analyses
from detente import scenario_from_mapping
from detente.analyses import ANALYSES
from detente.errors import DetenteError
from detente.render import fmt, fmt_signed, print_view, view_cells, view_html
from detente.view import View

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "my.yaml"

#: What formatting writes for a non-finite number, and an absurd exponent (1e+30).
NON_FINITE = re.compile(r"(?<![\w.])[+-]?(?:nan|inf|infinity)(?!\w)|\de\+(?:[2-9]\d|\d{3})",
                        re.IGNORECASE)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_the_one_formatter_refuses_a_non_finite_number(value: float) -> None:
    # It used to write '–' (fmt) and '+nan' (fmt_signed): a number gone wrong, shown as if
    # it did not apply.
    with pytest.raises(DetenteError, match="not finite"):
        fmt(value)
    with pytest.raises(DetenteError, match="not finite"):
        fmt_signed(value)


def _shown(view: View) -> str:
    buffer = io.StringIO()
    print_view(view, Console(file=buffer, width=200))
    return buffer.getvalue()


def test_a_scenario_whose_own_words_are_nan_and_inf_is_shown() -> None:
    # Text is not searched for 'nan'/'inf' (fmt refuses a non-finite number where it is
    # written): an actor 'inf', an anchor 'nan' and a title with both are a scenario's own
    # words. A search of the text refused this scenario's forecast, settle and brief.
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    raw["title"] = "Tariffs: the inf treaty, nan-bread"
    raw["actors"][0]["id"] = raw["actors"][0]["name"] = "inf"
    raw["stances"]["inf"] = raw["stances"].pop("UP")
    raw["trust"] = {who: {("inf" if g == "UP" else g): v for g, v in row.items()}
                    for who, row in raw["trust"].items()}
    for issue in raw["issues"]:
        issue["guarantors"] = ["inf" if g == "UP" else g for g in issue.get("guarantors", [])]
        issue["anchors"] = {**issue["anchors"], issue["status_quo"]: "nan"}
    scenario = scenario_from_mapping(raw, "<own words>")
    for name in ("forecast", "settle", "brief"):
        result = analyses.run(name, scenario, **ANALYSES[name].quick)
        assert "inf" in _shown(result.view()), name
        assert "nan-bread" in view_html(result.view()) + result.text("json"), name
    assert ", nan-bread" in view_cells(View(raw["title"]))["title"]


# --- the hunt: every analysis on scenarios at the edge of the models ----------------------


def _edge(tmp: Path, name: str, change: Any) -> Path:
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    change(raw)
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _unanimous(raw: dict[str, Any]) -> None:
    for stance in raw["stances"].values():  # everybody at one point: nobody has to move
        stance["FLOW"]["position"], stance["FUND"]["position"] = 10, 40


def _one_strong(raw: dict[str, Any]) -> None:
    for actor in raw["actors"][1:]:  # a dictator: the others hold 1e-12 of the capability
        actor["capability"] = 1e-12


def _one_indifferent(raw: dict[str, Any]) -> None:
    raw["stances"]["UP"]["FLOW"]["salience"] = raw["stances"]["UP"]["FUND"]["salience"] = 0


EDGES = {"unanimous": _unanimous, "dictator": _one_strong, "indifferent": _one_indifferent}
#: Every analysis of a scenario, with its cheap options (the report draws every figure: some
#: 10 s, walked in tests/test_analyses.py; validate needs observed outcomes).
HUNTED = [name for name, spec in ANALYSES.items()
          if spec.inputs != "targets" and name not in ("report", "plot")]


@pytest.fixture(scope="module")
def edges(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("edges")
    return {name: _edge(tmp, name, change) for name, change in EDGES.items()}


@pytest.mark.parametrize("edge", list(EDGES))
@pytest.mark.parametrize("name", HUNTED)
def test_no_output_of_an_edge_scenario_shows_a_non_finite_number(
        name: str, edge: str, edges: dict[str, Path]) -> None:
    spec = ANALYSES[name]
    options = dict(spec.quick)
    if name == "explain":
        options["model"] = "smp"
    # compare needs a B: the scenario without its one non-veto actor.
    variation = {"without": ["DELTA"]} if name == "compare" else None
    result = analyses.run(name, edges[edge], variation, **options)
    outputs = {"table": _shown(result.view()),
               **{f: result.text(f) for f in spec.formats if f != "table"}}
    for output_format, text in outputs.items():
        found = NON_FINITE.search(text)
        assert found is None, (output_format, text[max(0, found.start() - 80):found.end() + 40])


def _alone_on_flow(raw: dict[str, Any]) -> None:
    for actor in ("MID", "DOWN", "DELTA"):  # UP alone cares about FLOW
        raw["stances"][actor]["FLOW"]["salience"] = 0


def test_the_map_without_each_actor_says_where_there_is_no_forecast(tmp_path: Path) -> None:
    # Without UP nobody cares about FLOW: compromise divides 0 by 0 there. The map used to
    # print that cell as "0" and take its colour scale from the NaN (every colour wrong).
    from detente.forecast import forecast
    from detente.report.counterfactual import counterfactual_map

    f = forecast(_edge(tmp_path, "alone", _alone_on_flow), models=["compromise"])
    ax = counterfactual_map(f).axes[0]
    cells = {(round(t.get_position()[0]), round(t.get_position()[1])): t.get_text()
             for t in ax.texts}
    assert cells[(0, 0)] == "no forecast"  # FLOW without UP
    assert cells[(1, 0)] == "+22"        # FUND without UP: a forecast as before
    assert ax.images[0].norm.vmax == pytest.approx(22.0, abs=0.5)


def test_the_report_of_a_scenario_with_an_actor_it_cannot_leave_out(tmp_path: Path) -> None:
    # Without UP nobody cares about FLOW: the report left every actor out in turn and was
    # refused for '--without', a flag the user never gave. It now leaves out the others and
    # says why UP is not.
    report = analyses.run("report", _edge(tmp_path, "alone", _alone_on_flow),
                          **ANALYSES["report"].quick)
    page = re.sub(r"data:[\w/+]+;base64,[\w+/=]+", "", report.value.html)
    assert "Upstream State cannot be left out" in page
    assert "without Upstream State some issue has no forecast" in page
    found = NON_FINITE.search(re.sub(r"<[^>]+>", " ", page))
    assert found is None, page[max(0, found.start() - 80):found.end() + 40]


def _alone(raw: dict[str, Any]) -> None:
    raw["actors"] = raw["actors"][:1]
    raw["stances"] = {"UP": raw["stances"]["UP"]}
    raw["trust"] = {}
    for issue in raw["issues"]:
        issue["guarantors"] = ["UP"]


def test_the_report_of_a_one_actor_scenario_says_what_it_cannot_show(tmp_path: Path) -> None:
    # It was refused for '--without' (every actor left out in turn), then for the frontier
    # figure ('KIND'): neither was the user's to give.
    report = analyses.run("report", _edge(tmp_path, "alone", _alone),
                          **ANALYSES["report"].quick)
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", report.value.html))
    assert "Upstream State cannot be left out" in page
    assert "no frontier is drawn: the frontier needs two veto players" in page


def _no_anchors_no_zone(raw: dict[str, Any]) -> None:
    for issue in raw["issues"]:  # anchors are optional
        issue.pop("anchors", None)
    raw.pop("packages", None)  # no named package either
    raw["stances"]["UP"]["FLOW"]["position"] = 0  # two veto players far apart on FLOW
    raw["stances"]["DOWN"]["FLOW"]["position"] = 20
    raw["stances"]["UP"]["FUND"]["position"] = raw["stances"]["DOWN"]["FUND"]["position"] = 100


def test_the_report_of_a_scenario_without_anchors_or_packages_to_show(tmp_path: Path) -> None:
    # No anchors divided by zero in the issue map's label width; no package to show (an
    # empty zone, none named) unpacked an empty array: both ended the report with exit 1.
    report = analyses.run("report", _edge(tmp_path, "bare", _no_anchors_no_zone),
                          **ANALYSES["report"].quick)
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", report.value.html))
    assert "Each actor's gain from each package" not in page
    assert NON_FINITE.search(page) is None
