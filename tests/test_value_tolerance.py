"""Values in issue units are one value within their scale's tolerance
(:func:`detente.settlement.defaults.value_tolerance`), not within a fixed 1e-9: on a scale of
0 to 10⁹ a value carries float noise of 10⁻⁸, which a fixed tolerance read as a move. An
absolute grid step wider than an issue's scale, and listed options that are one value, are
refused where they are given."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

import detente
from detente.brief import make_brief
from detente.cli import app
from detente.errors import OptionError, ScenarioError
from detente.roadmaps import roadmap
from detente.scenario import scenario_from_mapping
from detente.settlement.defaults import same_value, value_tolerance
from detente.settlement.problem import SettlementProblem

runner = CliRunner()

#: A status quo that comes back from the unit scale 7.45e-9 off on a scale of 0 to 10⁹
#: (0.067 × 10⁹ is not 67000000 in floats): more than a fixed 1e-9.
NOISY = 67_000_000.0
WIDE = (0.0, 1e9)


def _budget(**budget: Any) -> dict[str, Any]:
    """Two actors on a 0-100 issue X and a budget on 0 to 10⁹ that both want kept at
    :data:`NOISY`, its status quo (``budget``: fields of the budget issue to replace)."""
    return {
        "id": "budget", "title": "budget",
        "issues": [{"id": "X", "name": "x", "status_quo": 50, "guarantors": ["B"]},
                   {"id": "BUDGET", "name": "budget", "scale": {"low": 0, "high": 1e9},
                    "status_quo": NOISY, "anchors": {0: "none", NOISY: "today", 1e9: "all"},
                    **budget}],
        "actors": [{"id": "A", "name": "a", "capability": 1},
                   {"id": "B", "name": "b", "capability": 1}],
        "stances": {"A": {"X": {"position": 100, "salience": 0.7},
                          "BUDGET": {"position": NOISY, "salience": 0.3}},
                    "B": {"X": {"position": 0, "salience": 0.25},
                          "BUDGET": {"position": NOISY, "salience": 0.75}}},
        "trust": {"A": {"B": 0.6}, "B": {"A": 0.9}},
    }


def test_the_tolerance_is_a_share_of_the_span_or_the_ends_noise() -> None:
    assert value_tolerance(0.0, 100.0) == pytest.approx(1e-9)  # what every site had
    assert value_tolerance(*WIDE) == pytest.approx(1e-2)
    # Far from 0 a share of the span is below a float step (1e-10 at 10⁶): the ends' noise.
    assert value_tolerance(1e6, 1e6 + 0.5) == pytest.approx(1e-8)
    assert same_value(NOISY, 0.067 * 1e9, *WIDE) and NOISY != 0.067 * 1e9
    assert not same_value(50.0, 50.0 + 2e-9, 0.0, 100.0)


def test_the_brief_reads_a_forecast_at_the_status_quo_as_no_change() -> None:
    s = scenario_from_mapping(_budget())
    forecast = detente.forecast(s, models=["compromise"]).values("compromise")["BUDGET"]
    assert 1e-9 < abs(forecast - NOISY) < 1e-7  # the premise: noise a fixed 1e-9 sees
    brief = make_brief(s, step="50%", samples=20)
    text = "\n".join(p for section in brief.sections for p in section.paragraphs)
    # It read "67000000 → 67000000, close to 'today' (every model agrees)".
    assert "budget: 67000000 → 'today' (67000000) (no change; every model agrees)." in text, \
        text


def test_a_first_stage_holding_an_undeliverable_issue_at_its_status_quo_is_taken() -> None:
    # Nobody trusts the budget's guarantor, so every final keeps it at its status quo, and a
    # first stage may name it there: it was refused as "BUDGET=67000000 moves BUDGET".
    raw = _budget(guarantors=["I"])
    raw["institutions"] = [{"id": "I", "name": "nobody trusts it"}]
    raw["trust"]["A"]["I"] = raw["trust"]["B"]["I"] = 0.0
    s = scenario_from_mapping(raw)
    held = roadmap(s, stages=2, first=["X=60", "BUDGET=67000000"]).baseline.search
    assert held is not None and held.first == {"X": 60.0, "BUDGET": NOISY}
    with pytest.raises(OptionError, match="BUDGET=100000000 moves BUDGET"):
        roadmap(s, stages=2, first=["X=60", "BUDGET=100000000"], step="10%")


# --- an absolute step wider than an issue's scale ----------------------------------------


def _steps(tmp_path: Path) -> str:
    """SHARE on 0 to 1 and RATE on 0 to 5 beside QUOTA on 0-100, and LIST on 0 to 1 with its
    options listed (no grid, so no step applies to it)."""
    issues = [("SHARE", 1.0), ("QUOTA", 100.0), ("RATE", 5.0), ("LIST", 1.0)]
    raw = {
        "id": "steps", "title": "steps",
        "issues": [{"id": iid, "name": iid.lower(), "scale": {"low": 0, "high": high},
                    "status_quo": 0, **({"options": [0.5]} if iid == "LIST" else {})}
                   for iid, high in issues],
        "actors": [{"id": a, "name": a.lower(), "capability": 50} for a in "AB"],
        "stances": {a: {iid: {"position": high * share, "salience": 0.5}
                        for iid, high in issues} for a, share in (("A", 0.3), ("B", 0.7))},
    }
    path = tmp_path / "steps.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return str(path)


WIDER = ("a step of 10 is wider than the scales of SHARE (0 to 1, a span of 1) and RATE "
         "(0 to 5, a span of 5): the search would take only the two ends of each")
WIDER_FIX = "use a step of at most 1, or a percent of each issue's scale, e.g. --step 10%"


@pytest.mark.parametrize("command", [["settle"], ["roadmap", "--stages", "2"],
                                     ["contributions"]])
def test_a_step_wider_than_a_scale_is_refused_at_the_step(tmp_path: Path,
                                                          command: list[str]) -> None:
    out = runner.invoke(app, [*command, _steps(tmp_path), "--step", "10"])
    assert out.exit_code == 2, out.output
    text = " ".join(out.output.split())
    # Located at the flag, as every option refusal is (it read "step:").
    assert "Traceback" not in text and f"error: --step: {WIDER}" in text and WIDER_FIX in text, \
        text


def test_the_library_refuses_a_step_wider_than_a_scale_and_takes_one_that_spans_it(
        tmp_path: Path) -> None:
    s = detente.load(_steps(tmp_path))
    with pytest.raises(OptionError, match="a step of 10 is wider than the scales of SHARE"):
        detente.settle(s, step=10.0)
    with pytest.raises(OptionError, match="a step of 2 is wider than the scale of SHARE "
                                          r"\(0 to 1, a span of 1\): the search would take "
                                          "only its two ends"):
        SettlementProblem.from_scenario(s, 2.0)
    # A step equal to the narrowest span leaves that issue its two ends, as asked.
    problem = SettlementProblem.from_scenario(s, 1.0)
    assert problem.candidates[0] == (0.0, 1.0) and problem.candidates[3] == (0.5,)
    sampled = runner.invoke(app, ["sample", _steps(tmp_path), "-m", "settle", "-n", "2",
                                  "-q", "-O", "settle.step=10"])
    assert sampled.exit_code == 2 and WIDER in " ".join(sampled.output.split())


def test_the_workbench_and_the_room_refuse_a_step_wider_than_a_scale(tmp_path: Path) -> None:
    pytest.importorskip("fastapi", reason="the web extra (FastAPI) is not installed")
    pytest.importorskip("sqlalchemy", reason="the room extra (SQLAlchemy) is not installed")
    from fastapi.testclient import TestClient

    from detente.room.api import create_room_app
    from detente.web.app import create_app

    # korea-2017's eight issues share one scale, so they are named once.
    wider = ("a step of 150 is wider than the scales of NUC, MSL, SANC, SEC, VER, ALL, NORM "
             "and LINK (0 to 100, a span of 100): the search would take only the two ends "
             "of each")
    with TestClient(create_app()) as web:
        refused = web.post("/api/analyses/settle", json={
            "scenario": detente.load("korea-2017").to_dict(), "params": {"step": 150}})
    assert refused.status_code == 422
    assert [p["message"] for p in refused.json()["problems"]] == [wider]
    room = TestClient(create_room_app(str(tmp_path / "room.db")))
    opened = room.post("/api/rooms", json={"options": {"step": 150}})
    room.app.state.room_service.close()
    assert opened.status_code == 422
    assert [(p["location"], p["message"]) for p in opened.json()["problems"]] == \
        [("options.step", wider)]


# --- listed options that are one value ----------------------------------------------------


@pytest.mark.parametrize(("options", "words"), [
    ([1e8, 5e8, 1e8], "issues.BUDGET.options[2]: option 100000000 is options[0] "
                      "(100000000) again"),
    ([1e8, 5e8, 5e8 + 1e-5], "issues.BUDGET.options[2]: option 500000000.00001 is "
                             "options[1] (500000000) again, to within 0.01"),
])
def test_options_that_are_one_value_are_refused_at_the_option(options: list[float],
                                                              words: str) -> None:
    with pytest.raises(ScenarioError) as err:
        scenario_from_mapping(_budget(options=options))
    text = " ".join(str(err.value).split())
    assert words in text and "list each value once: leave out options[2]" in text, text
    # Options a step of the search apart stay: 1e-2 is the tolerance on this scale.
    kept = scenario_from_mapping(_budget(options=[1e8, 5e8, 5e8 + 0.1]))
    assert kept.issue("BUDGET").options == [1e8, 5e8, 5e8 + 0.1]
