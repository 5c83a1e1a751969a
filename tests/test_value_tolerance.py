"""Values in issue units are one value within their scale's tolerance
(:func:`detente.settlement.defaults.value_tolerance`), not within a fixed 1e-9: on a scale of
0 to 10⁹ a value carries float noise of 10⁻⁸, which a fixed tolerance read as a move."""

from __future__ import annotations

from typing import Any

import pytest

import detente
from detente.brief import make_brief
from detente.errors import OptionError
from detente.roadmaps import roadmap
from detente.scenario import scenario_from_mapping
from detente.settlement.defaults import same_value, value_tolerance

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
