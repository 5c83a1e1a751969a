"""Per-issue zone, efficiency frontier and persuasion plans against a plain reference.

The reference (tests/settle_helpers.py) enumerates every package with itertools from the
formulas of docs/settle.md and shares no code with the searches.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import detente
from detente.scenario import scenario_from_mapping
from detente.settlement.problem import SettlementProblem

from .settle_helpers import (
    REFERENCE_SETTINGS,
    check_frontier,
    check_issue_ranges,
    check_persuasion,
    random_problems,
)


@REFERENCE_SETTINGS
@given(problem=random_problems(max_actors=4, max_issues=3, max_options=4),
       method=st.sampled_from(["brute", "bnb"]))
def test_issue_ranges_equal_the_reference(problem: SettlementProblem, method: str) -> None:
    check_issue_ranges(problem, method)


@REFERENCE_SETTINGS
@given(problem=random_problems(max_actors=4, max_issues=3, max_options=4))
def test_frontier_points_lie_on_the_reference_frontier(problem: SettlementProblem) -> None:
    check_frontier(problem)


@REFERENCE_SETTINGS
@given(problem=random_problems(max_actors=4, max_issues=3, max_options=4),
       seed=st.integers(0, 2**31 - 1))
def test_persuasion_levers_win_their_blocker_and_are_the_nearest_on_the_grid(
        problem: SettlementProblem, seed: int) -> None:
    check_persuasion(problem, seed)


def test_korea_persuasion_plans_for_p1_and_p2() -> None:
    s = detente.settle("korea-2017", packages=["P1", "P2"], zones=True, persuasion=True)
    plans = {p.package: p for p in s.baseline.persuasion}
    p2 = plans["P2"]
    assert set(p2.blockers) == {"US", "KP", "JP"} and p2.after == ()
    # KP's smallest position lever on P2 is the missile freeze, as settle's single-issue
    # fix says (its smallest lever of all is a worse walk-away point: korea-2017 states PX,
    # no deal and escalation, as every actor's walk-away point since issue 16).
    kp = next(lv for lv in p2.levers if lv.actor == "KP" and lv.kind == "position")
    assert (kp.kind, kp.target) == ("position", "MSL")
    assert next(lv for lv in p2.plan if lv.actor == "KP").kind == "walk-away"
    assert set(plans["P1"].blockers) == {"US", "KP", "KR", "JP"}
    zones = s.baseline.zones
    assert zones is not None
    for z in zones.issues:  # the best Nash package lies inside every issue's ranges
        best = s.baseline.best.values[z.issue]
        assert z.zone_min <= best <= z.zone_max
        assert z.efficient_min <= best <= z.efficient_max
    d = s.to_dict()["baseline"]
    assert "zones" in d and d["persuasion"][0]["package"] in ("P1", "P2")
    plain = detente.settle("korea-2017", packages=["P2"], zones=False,
                           persuasion=False).to_dict()["baseline"]
    assert "zones" not in plain and "persuasion" not in plain  # off: the old JSON


def test_an_inner_efficient_range_is_labelled_on_every_surface(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Where the efficient range is not exact (here: forced, by listing at most one package)
    # the table's header, its note and the figure's legend say "inner range"; where it is
    # exact none of them does.
    import matplotlib.pyplot as plt

    from detente import analyses
    from detente.report.zone_figure import issue_zone_figure
    from detente.settlement import zone

    both_up = {"position": 100, "salience": 0.5}
    scenario = scenario_from_mapping({
        "id": "up", "title": "both want both up",
        "issues": [{"id": i, "name": i, "status_quo": 50} for i in ("X", "Y")],
        "actors": [{"id": a, "name": a, "capability": 1} for a in ("A", "B")],
        "stances": {a: {"X": both_up, "Y": both_up} for a in ("A", "B")}})

    def labels() -> tuple[str, str, str]:
        result = analyses.run("settle", scenario, step=50, persuade=False)
        t = next(t for t in result.view().tables if t.key == "issue-zones")
        fig = issue_zone_figure(result.value.baseline, scenario)
        legend = " ".join(x.get_text() for x in fig.axes[0].get_legend().get_texts())
        plt.close(fig)
        return " ".join(t.columns), " ".join(t.notes), legend

    assert all("inner range" not in text for text in labels())
    monkeypatch.setattr(zone, "EXACT_EFFICIENT", 1)  # the zone holds 3 packages
    inner = labels()
    assert all("inner range" in text for text in inner), inner
