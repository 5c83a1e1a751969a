"""One share of what guarantees add, in every view of the guarantors' Shapley values; one
measure of where the models differ most, in the brief and the report; one worst-off.

The Shapley values sum to v(N) − v(∅): what the guarantees add, which is the deal's worth
only where the deal is worth nothing without guarantees. The terminal's share column, the
brief and the report each divided by their own total (the terminal by v(N)), so that one
scenario's actor held 12% in one and 100% in the other. Every view now reads
:meth:`Contributions.share`.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from detente import settle
from detente.analyses import ANALYSES, Result
from detente.brief import BriefInputs, _found_deals, _guarantor_section, _how_sure
from detente.forecast import forecast
from detente.models import Model, ModelResult
from detente.report.html import contributions_reading, forecast_reading, settlement_reading
from detente.scenario import Scenario, load
from detente.settlement.contributions import Contributions

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "my.yaml"
ACTORS = ("UP", "MID", "DOWN", "DELTA")


def _contributions(shapley: dict[str, float], grand: float, empty: float) -> Contributions:
    return Contributions(
        scenario_id="river-example", scenario_title="A shared river", value="nash",
        exact=True, shapley=shapley, alone=dict.fromkeys(shapley, empty),
        without=dict.fromkeys(shapley, grand), grand_value=grand, empty_value=empty,
        coalitions=16, seed=None)


@pytest.fixture(scope="module")
def river() -> Scenario:
    return load(EXAMPLE)


def _view_shares(c: Contributions) -> dict[str, float | None]:
    view = Result("contributions", c).view()
    table = next(t for t in view.tables if t.key == "contributions")
    column = table.columns.index("share")
    return {row[0]: row[column] for row in table.rows}


def _report_reading(c: Contributions, s: Scenario) -> str:
    step = ANALYSES["contributions"].option("step").default
    analysis = SimpleNamespace(contributions=c, scenario=s,
                               settings={"contributions": {"step": step}})
    return contributions_reading(analysis)  # type: ignore[arg-type]


def test_every_view_shows_the_share_of_what_guarantees_add(river: Scenario) -> None:
    # The deal is worth 4.4 with no guarantor and 5.0 with all: guarantees add 0.6, of
    # which UP's 0.45 is three quarters (not 0.45 / 5.0 = 9%).
    c = _contributions({"UP": 0.45, "MID": 0.15, "DOWN": 0.0, "DELTA": 0.0}, 5.0, 4.4)
    shown = _view_shares(c)
    assert shown["UP"] == pytest.approx(0.75)
    assert shown["MID"] == pytest.approx(0.25)
    brief = _guarantor_section(river, c).paragraphs[0]
    assert "Upstream State 75%, Midstream State 25%." in brief
    reading = _report_reading(c, river)
    assert "0.45 of the 0.60 utility points that guarantees add to it (75%" in reading
    # v(N) − v(∅) is what guarantees add, not what the deal is worth (5.00, said as such).
    assert "worth" not in reading.split("(75%")[0]
    assert "4.40 with no guarantor, 5.00 with all" in reading
    assert c.added == pytest.approx(0.6)
    assert c.share("UP") == pytest.approx(0.75)
    assert sum(c.share(a) or 0.0 for a in ACTORS) == pytest.approx(1.0)


def test_guarantees_that_add_nothing_give_no_share(river: Scenario) -> None:
    # Every coalition's deal is worth the same: no share of nothing, no division by zero.
    c = _contributions(dict.fromkeys(ACTORS, 0.0), 12.72, 12.72)
    assert set(_view_shares(c).values()) == {None}
    notes = " ".join(Result("contributions", c).view().notes)
    assert "guarantees add nothing, so no actor has a share" in notes
    brief = _guarantor_section(river, c).paragraphs[0]
    assert brief.startswith("No guarantor changes the best deal's worth")
    reading = _report_reading(c, river)
    assert reading.startswith("No guarantor changes the best deal's worth (12.72 utility "
                              "points with every guarantor or none)")
    assert "%" not in reading.split("Shapley values with")[0]
    assert c.adds_nothing
    assert all(c.share(a) is None for a in ACTORS)


# --- where the models differ most: one measure, and the brief says which models ---------


class _Fixed(Model):
    """A test double: the same forecast (unit scale, one per issue) whatever the inputs."""

    forecast: tuple[float, ...] = ()

    def run(self, arrays, rng=None):  # type: ignore[no-untyped-def]
        return ModelResult(self.name, {}, np.array(self.forecast))


class _Low(_Fixed):
    name = "low"
    forecast = (0.25, 0.25)


class _High(_Fixed):
    name = "high"
    forecast = (0.75, 0.75)


def test_brief_and_report_rank_the_models_disagreement_alike(river: Scenario) -> None:
    # Both issues spread over half their scale: the brief (its last issue "least") and the
    # report (its first "agree most", the same issue as its "differ most") broke the tie
    # each its own way. One ranking (Forecast.spread) now says both.
    f = forecast(river, models=[_Low(), _High()])
    inputs = BriefInputs(river, f, None, None, SimpleNamespace(summaries=dict))  # type: ignore[arg-type]
    brief = _how_sure(river, inputs).paragraphs[0]
    reading = forecast_reading(SimpleNamespace(forecast=f))  # type: ignore[arg-type]
    flow, fund = (i.name for i in river.issues)
    # A tie is said as one in both (it was worded as most/least, each its own way).
    assert reading.startswith("The 2 models differ alike on every issue (within 50% of each "
                              f"one's scale), on {flow} ")
    assert brief.startswith(f"The 2 models (low and high) disagree equally on {flow} and "
                            f"{fund} (a spread of 50% of each one's scale).")
    assert [(i.id, w) for i, w in f.spread(["low", "high"])] == [("FLOW", 0.5), ("FUND", 0.5)]


# --- who gains least: a veto player, whose acceptance the deal needs ---------------------


def test_gains_least_names_the_veto_player_the_deal_must_satisfy(tmp_path: Path) -> None:
    # Delta State (no veto) wants the upstream state to keep paying: the smallest deal
    # (FUND 100 → 60) costs it 7.5 points, and the brief said "Delta State gains least,
    # −7.5" right after "every veto player better off". The least a veto player gains is
    # the deal's max-min (min_gain), Downstream State's +2.5.
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "FUND: {position: 60, salience: 0.2}", "FUND: {position: 100, salience: 0.8}")
    path = tmp_path / "delta.yaml"
    path.write_text(text, encoding="utf-8")
    s = load(path)
    st = settle(s)
    small, best = st.baseline.smallest, st.baseline.best
    assert small is not None and best is not None
    assert min(small.gains, key=small.gains.__getitem__) == "DELTA"  # the case in point
    inputs = BriefInputs(s, None, st, None, None)  # type: ignore[arg-type]
    deals = " ".join(_found_deals(s, inputs, {}).paragraphs)
    assert "of the veto players, Downstream State gains least, +2.5" in deals
    reading = settlement_reading(SimpleNamespace(settled=st, deal=st.baseline, scenario=s))  # type: ignore[arg-type]
    worst = st.baseline.worst_off(best)
    assert f"worst-off veto player, {s.name_of(worst)}, {best.gains[worst]:+.1f}" in reading
    assert worst != "DELTA" and best.gains[worst] == pytest.approx(best.min_gain)
    assert small.gains[st.baseline.worst_off(small)] == pytest.approx(small.min_gain)
