"""How numbers are shown (issue 18, items 4 and 7): one formatter, no signed zero, plain
digits where they read better than an exponent, units beside values, the status quo as the
reference point."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

import detente
import detente.analyses as analyses
from detente.errors import DetenteError
from detente.render import (
    SHOWN_SHARE_OF_SPAN,
    UNITS,
    cell_text,
    decimals_apart,
    fmt,
    fmt_apart,
    fmt_shift,
    fmt_signed,
    rows_text,
    units_where_on_an_issue,
)
from detente.settlement.utility import status_quo_losses
from detente.view import table


@pytest.mark.parametrize(("value", "spec", "shown"), [
    (-0.0, "+.1f", "0.0"), (-0.004, ".2f", "0.00"), (-0.0001, "+.2f", "0.00"),
    (0.00001, "+.2f", "0.00"), (-0.41, "+.2f", "-0.41"), (3.5, "+.2f", "+3.50"),
    (909124, ".4g", "909,124"), (-602100.0, "+.4g", "-602,100"), (289500.0, "", "289,500"),
    (3.514, ".4g", "3.514"), (1.5e16, ".4g", "1.5e+16"), (-0.0, "", "0"),
])
def test_cell_text(value: float, spec: str, shown: str) -> None:
    assert cell_text(value, spec) == shown


def test_fmt_and_signed() -> None:
    assert fmt(-1e-12) == "0" and fmt(-0.0) == "0"  # never "-0"
    # One decimal from 1 up; below 1, two significant digits: a small scale's values kept
    # (fmt(0.0095) was "0", fmt(0.35) "0.3").
    assert [fmt(v) for v in (40, 37.5, 6.25, 0.35, -0.04, 0.0095, 0.006, 0.99999)] == [
        "40", "37.5", "6.2", "0.35", "-0.04", "0.0095", "0.006", "1"]
    assert fmt_signed(-0.001) == "0.00"
    assert fmt_signed(-1.234) == "-1.23"


def test_forecast_and_settle_tables_carry_each_issues_units() -> None:
    scenario = detente.load("korea-2017")
    data = scenario.model_dump()
    data["issues"][2]["units"] = "USD bn/yr"
    changed = scenario.model_validate(data)
    forecast = analyses.run("forecast", changed).view().tables[0]
    column = forecast.columns.index("Units")
    assert [row[column] for row in forecast.rows][2] == "USD bn/yr"
    settle = analyses.run("settle", changed, step=25.0).view()
    best = next(t for t in settle.tables if t.key == "best")
    assert best.rows[2][best.columns.index("Units")] == "USD bn/yr"
    packages = next(t for t in settle.tables if t.key.startswith("packages"))
    assert packages.rows[2][0] == "SANC (USD bn/yr)"


def test_the_status_quo_is_the_reference_not_blocked() -> None:
    # Without walk-away points every gain is measured from the status quo.
    view = analyses.run("settle", "korea-2017", step=25.0, ignore=("walk-away",)).view()
    zone = next(t for t in view.tables if t.key == "zone")
    row = next(r for r in zone.rows if str(r[0]).startswith("P0"))
    assert row[1] == "the status quo (reference point)"
    others = [r for r in zone.rows if str(r[0]).startswith(("P1", "P2", "P3"))]
    assert all(str(r[1]).startswith("blocked by") for r in others)
    named = next(t for t in view.tables if t.key.startswith("named"))
    p0 = named.columns.index("P0")
    assert {row[p0] for row in named.rows[:-1]} == {"0 (reference)"}


def test_every_actors_walk_away_package_is_the_reference_not_blocked() -> None:
    # PX is every actor's walk-away point in korea-2017: nobody gains or loses from it, so
    # it is the reference (not "blocked by" all six), and no persuasion plan is made for it.
    result = analyses.run("settle", "korea-2017", step=50.0)
    view, settled = result.view(), result.value
    px = next(p for p in settled.baseline.packages if p.id == "PX")
    assert px.is_reference and px.blockers  # every gain is 0: no one gains, formally
    planned = {plan.package for plan in settled.baseline.persuasion}
    assert planned and "PX" not in planned
    zone = next(t for t in view.tables if t.key == "zone")
    row = next(r for r in zone.rows if str(r[0]).startswith("PX"))
    assert row[1] == "the reference point (every actor's walk-away point)"
    named = next(t for t in view.tables if t.key.startswith("named"))
    assert {r[named.columns.index("PX")] for r in named.rows[:-1]} == {"0 (reference)"}
    # A proposal whose gains are not all 0 is never the reference.
    assert not any(p.is_reference for p in settled.baseline.packages if p.id != "PX")


def test_the_reference_gets_no_win_over_or_trust_scans(monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    # PX (every actor's walk-away point): all gains 0 by definition, so "what wins a blocker
    # over" means nothing there; the scans are skipped, and the JSON says null, not {}.
    import detente.settlement.analysis as analysis

    scanned: list[str] = []
    real = analysis._trust_needed

    def spy(problem: object, package: analysis.NamedPackage, *args: object) -> object:
        scanned.append(package.id)
        return real(problem, package, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(analysis, "_trust_needed", spy)
    settled = detente.settle("korea-2017", step=50.0, zones=False, persuasion=False)
    packages = {p.id: p for p in settled.baseline.packages}
    px = packages["PX"]
    assert px.is_reference and px.blockers and "PX" not in scanned
    assert px.win_over == {} and px.trust_needed == {}
    data = px.to_dict()
    assert data["reference"] is True and data["win_over"] is None
    assert data["trust_needed"] is None
    # Every other blocked package still gets both scans for each of its blockers.
    for p in packages.values():
        if p.id != "PX" and p.blockers:
            assert not p.is_reference and p.id in scanned
            assert set(p.win_over) == set(p.trust_needed) == set(p.blockers)
            assert p.to_dict()["reference"] is False
            assert set(p.to_dict()["win_over"]) == set(p.blockers)


def test_with_walk_away_points_the_status_quo_is_a_package_like_any_other() -> None:
    # korea-2017 states PX (no deal, escalation) as every actor's walk-away point (issue
    # 16): gains are over it, so the status quo has gains of its own and may be blocked.
    settled = detente.settle("korea-2017", step=25.0, zones=False, persuasion=False)
    p0 = next(p for p in settled.baseline.packages if p.id == "P0")
    assert p0.walk_away and any(abs(g) > 1e-6 for g in p0.gains.values())
    view = analyses.run("settle", "korea-2017", step=25.0).view()
    zone = next(t for t in view.tables if t.key == "zone")
    row = next(r for r in zone.rows if str(r[0]).startswith("P0"))
    assert row[1] == ("acceptable" if p0.acceptable else "blocked by " + ", ".join(p0.blockers))
    named = next(t for t in view.tables if t.key.startswith("named"))
    assert "0 (reference)" not in {r[named.columns.index("P0")] for r in named.rows}
    # the status quo column of the acceptable packages holds the same gains as P0
    packages = next(t for t in view.tables if t.key.startswith("packages"))
    sq = packages.columns.index("status quo")
    shown = {str(r[0]).removesuffix(" gain"): r[sq] for r in packages.rows
             if str(r[0]).endswith(" gain")}
    assert shown == {a: fmt_signed(g) for a, g in p0.gains.items()}


def test_gains_come_with_their_share_of_the_loss_at_the_reference_point() -> None:
    # korea-2017 states walk-away points: the share is of the loss there, not at today.
    result = analyses.run("settle", "korea-2017", step=25.0)
    gains = next(t for t in result.view().tables if t.key == "best-gains")
    assert "walk-away point" in gains.title
    losses = status_quo_losses(detente.load("korea-2017").compile())
    walk_away = result.value.baseline.packages[0].walk_away  # over the status quo
    for row in gains.rows:
        actor, gain, share = row
        assert share == pytest.approx(gain / (losses[actor] - walk_away[actor]))
    assert all(text.endswith("%") for row in rows_text(gains) for text in row[2:])


def test_the_share_by_hand() -> None:
    """One issue 0..100 at 50, quadratic loss. A wants 0 and walks away at -40 utility
    points; B wants 40 and states no walk-away point. On a 10-unit grid only X = 40 leaves
    both better off: A's utility -100 * 0.4² = -16, a gain of 24 over its walk-away point,
    60% of its loss of 40 there; B's utility 0, a gain of 1 over the status quo (-1), 100%
    of its loss. Without the walk-away point A gains 25 - 16 = 9, 36% of its loss of 25."""
    from detente.brief import _gain_words
    from detente.settlement.mechanisms import reference_losses
    from tests.settle_helpers import one_issue_walk_away

    s = one_issue_walk_away()
    for ignore, expected in (((), {"A": (24.0, 0.6), "B": (1.0, 1.0)}),
                             (("walk-away",), {"A": (9.0, 0.36), "B": (1.0, 1.0)})):
        result = analyses.run("settle", s, step=10.0, ignore=ignore)
        assert result.value.baseline.best.values == {"X": 40.0}
        gains = next(t for t in result.view().tables if t.key == "best-gains")
        shown = {row[0]: (row[1], row[2]) for row in gains.rows}
        assert shown == {a: pytest.approx(v) for a, v in expected.items()}
    problem = detente.settle(s, step=10.0, zones=False, persuasion=False).baseline.problem
    losses = reference_losses(problem.mechanisms, problem.arrays)
    assert losses == {"A": pytest.approx(40.0), "B": pytest.approx(1.0)}
    # The brief writes the same share beside the gain.
    assert _gain_words("a", 24.0, losses["A"]) == "a +24.0 (60%)"


#: The actors of :func:`one_issue`, in turn, with their capabilities.
ONE_ISSUE_ACTORS = (("UP", 60), ("MID", 30), ("DOWN", 40), ("DELTA", 15))


def one_issue(low: float, high: float, status_quo: float, positions: tuple[float, ...],
              saliences: tuple[float, ...] | None = None) -> detente.Scenario:
    """A scenario of one issue, FLOW, on a scale of ``low`` to ``high``: an actor of
    :data:`ONE_ISSUE_ACTORS` per position (salience 0.8 unless ``saliences`` says)."""
    saliences = saliences or (0.8,) * len(positions)
    actors = ONE_ISSUE_ACTORS[:len(positions)]
    return detente.scenario_from_mapping({
        "id": "one-issue", "title": f"one issue on {low:g} to {high:g}", "issues": [
            {"id": "FLOW", "name": "release", "units": "km3", "status_quo": status_quo,
             "scale": {"low": low, "high": high}}],
        "actors": [{"id": a, "name": a, "capability": c} for a, c in actors],
        "stances": {a: {"FLOW": {"position": p, "salience": w}} for (a, _), p, w in
                    zip(actors, positions, saliences, strict=True)}}, "<one issue>")


def test_a_small_scale_is_shown_with_its_digits() -> None:
    # An issue on a 0 to 0.02 scale: every forecast and the status quo used to read 0.
    scenario = one_issue(0, 0.02, 0.006, (0.004, 0.01, 0.014), (0.8, 0.6, 0.9))
    table = detente.run("forecast", scenario).view().tables[0]
    shown = [cell_text(v, spec) for v, spec in zip(table.rows[0], table.formats,
                                                    strict=True)][2:5]
    assert shown[0] == "0.006" and all(t not in ("0", "-0") for t in shown), shown
    # The intervals, the spread, a model's rounds and the influence sentence too: their own
    # formats wrote 0–0, 0.00 and "from 0.0 to 0.0".
    both = detente.run("forecast", scenario, model=("compromise", "bdm"))
    cells = [cell_text(v, spec) for t in both.view().tables
             for row in t.rows for v, spec in zip(row, t.formats, strict=True)]
    assert "0–0" not in cells and "0.00" not in cells, cells
    # The 50% interval with the digits the scale needs (it read 0.005–0.012 for
    # 0.00498–0.01219, off by 0.1% of the scale).
    combined = next(t for t in both.view().tables if t.key == "combined")
    shown_row = rows_text(combined)[0]
    low, high = (shown_row[combined.columns.index(f"50% {end}")] for end in ("low", "high"))
    values = both.value.combined_values()["FLOW"]
    assert_reads(low, values["low50"], 0.02)
    assert_reads(high, values["high50"], 0.02)
    moved = detente.run("influence", scenario, actor="UP", issue="FLOW", target=0.008)
    assert "from 0.0 to 0.0" not in " ".join(moved.view().notes)
    # The influence view's forecast is in issue units: the cells' .3f wrote 0.0096 as 0.010.
    shown_forecast = [cell_text(v, spec) for t in moved.view().tables for row in t.rows
                      for v, spec in zip(row, t.formats, strict=True)
                      if row[0] in ("forecast", "compromise") and isinstance(v, float)]
    assert shown_forecast == [fmt(moved.value.forecast["FLOW"])], shown_forecast


def test_explain_writes_positions_in_issue_units() -> None:
    # A scale of 1000 to 1000.5: the explain tables' default 4 significant digits wrote
    # every actor's position (1000.1 to 1000.41) as 1000, and a median on a 0 to 1e9 scale
    # as 5e+08.
    def scenario(low: float, high: float, positions: tuple[float, ...]) -> detente.Scenario:
        return one_issue(low, high, positions[0], positions)

    offset = scenario(1000, 1000.5, (1000.1, 1000.23, 1000.27, 1000.41))
    for model in ("bdm", "smp"):
        first = detente.run("explain", offset, model=model).view().tables[0]
        spec = first.formats[1] if first.formats else ""
        shown = [cell_text(row[1], spec) for row in first.rows]
        assert shown == [fmt(row[1]) for row in first.rows] and len(set(shown)) > 1, shown
    huge = detente.run("explain", scenario(0, 1e9, (2e8, 5e8, 7e8, 8e8)), model="bdm")
    notes = " ".join(huge.view().tables[0].notes)
    assert "e+" not in notes and "500000000" in notes, notes


def test_compare_keeps_apart_forecasts_on_an_offset_scale() -> None:
    # A scale of 1000 to 1000.5: compare's four significant digits wrote A 1000.23 and
    # B 1000.1 both as 1000, beside a difference of -0.13.
    scenario = one_issue(1000, 1000.5, 1000.15, (1000.1, 1000.23, 1000.27))
    compared = detente.run("compare", scenario, analyses=("forecast",), samples=0,
                           variation=detente.Variation(without=("DOWN",)))
    t = compared.view().tables[0]
    for row in t.rows:
        if row[5] == "issue units" and row[2] != row[3]:
            a, b = (cell_text(v, spec) for v, spec in zip(row[2:4], t.formats[2:4],
                                                          strict=True))
            assert a != b, (row, a, b)
    # Six significant digits wrote the forecast 1000.2095 as 1000.21: an issue's numbers
    # keep the digits its scale needs.
    flow = [(row, text) for row, text in zip(t.rows, rows_text(t), strict=True)
            if row[1].endswith("FLOW") and row[5] == "issue units"]
    assert flow, t.rows
    for row, text in flow:
        assert_reads(text[2], row[2], OFFSET_SPAN)
        assert_reads(text[3], row[3], OFFSET_SPAN)


def test_compare_writes_issue_units_at_the_issues_precision() -> None:
    # compare wrote six significant digits on every issue (9.45455 on 0 to 20, 57.9585 on
    # 0 to 100) where every other table writes 9.45 and 58.
    example = Path(__file__).resolve().parent.parent / "examples" / "my.yaml"
    compared = detente.run("compare", str(example), analyses=("forecast",), samples=0,
                           variation=detente.Variation(without=("DELTA",)))
    t = compared.view().tables[0]
    spans = {"FLOW": 20.0, "FUND": 100.0}
    for row, text in zip(t.rows, rows_text(t), strict=True):
        span = spans[row[1].split()[-1]]
        assert text[2:5] == [fmt(row[2], span), fmt(row[3], span), fmt_shift(row[4], span)]
    assert ["compromise FLOW", "9.45"] in [[text[1], text[2]] for text in rows_text(t)]


def test_compare_writes_each_side_with_the_digits_its_own_scale_needs(tmp_path: Path) -> None:
    # A on 0 to 1e9, B on 1000 to 1000.5 (the same issue id): every row took A's span, so
    # B's forecast 1000.236 read 1000.24 and B's 1000.2026 read 1000.2.
    a = one_issue(0, 1e9, 1e8, (1e8, 5e8, 9e8))
    b = tmp_path / "b.yaml"
    b.write_text(one_issue(1000, 1000.5, 1000.15, (1000.1, 1000.23, 1000.27)).to_yaml())
    compared = detente.run("compare", a, other=str(b), analyses=("forecast",), samples=0)
    t = compared.view().tables[0]
    rows = [(row, text) for row, text in zip(t.rows, rows_text(t), strict=True)
            if row[5] == "issue units"]
    assert rows, t.rows
    for row, text in rows:
        assert_reads(text[3], row[3], OFFSET_SPAN)
        assert_reads(text[2], row[2], 1e9)


def test_a_blockers_noise_gain_is_not_written_as_a_gain() -> None:
    # examples/my.yaml on a FLOW scale of -100 to 100 with SWAP at FLOW -0.04: DOWN's gain
    # on FUND is 2e-15 (rounding noise), which the blocker line wrote 'gains most: FUND +0.0'.
    from pathlib import Path

    import yaml

    example = Path(__file__).resolve().parent.parent / "examples" / "my.yaml"
    data = yaml.safe_load(example.read_text())
    flow = data["issues"][0]
    flow.update(scale={"low": -100, "high": 100}, status_quo=0,
                anchors={-100: "none", 0: "sq", 100: "all"})
    for actor, position in (("UP", -40), ("MID", -0.3), ("DOWN", 0.2), ("DELTA", 60)):
        data["stances"][actor]["FLOW"]["position"] = position
    data["packages"][0]["values"]["FLOW"] = -0.04
    result = detente.run("settle", detente.scenario_from_mapping(data, "<signed>"))
    blocked = next(p for p in result.value.baseline.packages if p.id == "SWAP")
    assert blocked.blockers == ("DOWN",) and 0 < blocked.issue_gains["DOWN"]["FUND"] < 1e-9
    text = " ".join(result.view().notes + tuple(n for t in result.view().tables
                                                 for n in t.notes))
    assert "gains most: FUND +0.0" not in text and "gains most: none" in text, text


def test_a_wide_number_cell_is_folded_never_cut() -> None:
    # A 0 to 1e9 scale: the forecast's 50% interval 292509005.8–652945539.7 read
    # 292509005.8–65294553… on a terminal too narrow for it (rich's default ellipsis).
    from rich.console import Console

    from detente.render import print_view
    from detente.view import View, table

    interval = "292509005.8–652945539.7"
    view = View("", tables=(table("intervals", ["issue", "50% interval", "note"],
                                  [["FLOW", interval, "a long note " * 4]]),))
    console = Console(width=40, record=True)
    print_view(view, console)
    text = console.export_text()
    assert "…" not in text
    cells = "".join(line.split("│")[2].strip() for line in text.splitlines()
                    if line.count("│") >= 3)
    assert interval in cells, text


def test_sensitivity_sd_is_written_without_an_exponent() -> None:
    # A 0 to 1e9 scale: the sd beside the forecast read 'sd 6.1e+07' (.2g).
    scenario = one_issue(0, 1e9, 3e8, (2e8, 5e8, 7e8))
    result = detente.run("sensitivity", scenario, model="compromise", samples=16)
    title = result.view().tables[0].title
    sobol = result.value.result
    sd = float(sobol.variance[sobol.outputs.index("FLOW")] ** 0.5)
    assert "e+" not in title and title.endswith(f"sd {fmt(sd)}"), title


def assert_reads(text: str, value: float, span: float) -> None:
    """``text`` writes ``value`` to within half the finest step a reader tells apart on a
    scale of width ``span`` (:data:`SHOWN_SHARE_OF_SPAN` of it)."""
    shown = float(text.replace(",", ""))
    assert abs(shown - value) <= SHOWN_SHARE_OF_SPAN * span / 2 + 1e-12, (text, value, span)


#: A scale of 1000 to 1000.5: one decimal is a fifth of it.
OFFSET = (1000.0, 1000.5)
OFFSET_SPAN = OFFSET[1] - OFFSET[0]


def offset_scenario() -> detente.Scenario:
    """:func:`one_issue` on 1000 to 1000.5, status quo 1000.15."""
    return one_issue(*OFFSET, 1000.15, (1000.1, 1000.23, 1000.27, 1000.41))


def test_fmt_keeps_the_digits_an_issues_scale_needs() -> None:
    # 1000.184 and 1000.236 both read 1000.2, and 1000.45 read 1000.5, the scale's top.
    assert fmt(1000.184, OFFSET_SPAN) != fmt(1000.236, OFFSET_SPAN)
    assert fmt(1000.45, OFFSET_SPAN) == "1000.45"
    assert fmt(1000.0, OFFSET_SPAN) == "1000" and fmt(-1e-12, OFFSET_SPAN) == "0"
    assert fmt_shift(0.0523, OFFSET_SPAN) == "+0.0523"
    for value in (1000.184, 1000.2095, 1000.4999, -3.14159, 0.0049):
        assert_reads(fmt(value, OFFSET_SPAN), value, OFFSET_SPAN)
    # On 0 to 100 (korea-2017's issues) nothing changes: one decimal, two significant
    # digits below 1.
    for value in (40.0, 37.5, 6.25, 0.35, -0.04, 0.0095, 23.456, 99.96, -1e-12, 55.44):
        assert fmt(value, 100.0) == fmt(value) == fmt(value, None)
    # A scale of 0 to 1e-8: a value of 3e-10 is a value, not rounding noise.
    assert fmt(3e-10, 1e-8) == "0.0000000003"
    with pytest.raises(DetenteError):
        fmt(float("nan"), OFFSET_SPAN)


def test_a_table_declares_its_spans_by_row_or_column() -> None:
    rows = [["FLOW", 1000.2095], ["FUND", 40.54]]
    by_row = table("", ["issue", "forecast"], rows, formats=["", UNITS],
                   row_spans=[OFFSET_SPAN, 100.0])
    assert rows_text(by_row) == [["FLOW", "1000.2095"], ["FUND", "40.5"]]
    by_column = table("", ["round", "FLOW"], [["1", 1000.2095]], formats=["", UNITS],
                      column_spans=[None, OFFSET_SPAN])
    assert rows_text(by_column) == [["1", "1000.2095"]]
    # A column in issue units only on the rows that are on an issue (a persuasion plan's
    # now / needed): there at the issue's precision, the column's own spec elsewhere.
    mixed = table("", ["lever", "needed"], [["position", 1000.2855], ["salience", 0.4213],
                                            ["position", 23.4567]],
                  formats=["", units_where_on_an_issue(".6g")],
                  row_spans=[OFFSET_SPAN, None, 100.0])
    assert [row[1] for row in rows_text(mixed)] == ["1000.2855", "0.4213", "23.5"]
    with pytest.raises(ValueError, match="row spans"):
        table("", ["issue", "forecast"], rows, row_spans=[OFFSET_SPAN])
    with pytest.raises(ValueError, match="column spans"):
        table("", ["issue", "forecast"], rows, column_spans=[OFFSET_SPAN])


def test_sensitivity_swings_on_an_offset_scale_read_apart() -> None:
    # Every swing read 1000.2 │ 1000.2 (1000.175 to 1000.241): no input seemed to move
    # the forecast.
    result = detente.run("sensitivity", offset_scenario(), model="compromise", samples=16)
    ranking = result.value.to_dict()["outputs"]["FLOW"]["ranking"]
    view = result.view().tables[0]
    shown = {row[0]: row[-2:] for row in rows_text(view)}
    apart = 0
    for entry in ranking:
        low, high = entry["swing"]
        assert_reads(shown[entry["input"]][0], low, OFFSET_SPAN)
        assert_reads(shown[entry["input"]][1], high, OFFSET_SPAN)
        if abs(high - low) > SHOWN_SHARE_OF_SPAN * OFFSET_SPAN:
            apart += 1
            assert shown[entry["input"]][0] != shown[entry["input"]][1], entry
    assert apart, ranking
    nominal = result.value.to_dict()["outputs"]["FLOW"]["nominal"]
    assert f"forecast {fmt(nominal, OFFSET_SPAN)} at" in view.title
    assert_reads(view.title.split("forecast ")[1].split(" ")[0], nominal, OFFSET_SPAN)


def test_a_settle_package_near_the_top_does_not_read_the_top() -> None:
    # A named package at 1000.45 read 'FLOW 1000.5', the top of the scale. A second issue
    # (0 to 100, five candidate values) gives the parties something to trade.
    data = offset_scenario().model_dump()
    data["issues"][0]["guarantors"] = ["UP"]
    data["issues"].append({"id": "FUND", "name": "budget share", "units": "%",
                           "status_quo": 100, "guarantors": ["DOWN"],
                           "options": [20, 40, 60, 80, 100]})
    for actor, position, salience in (("UP", 20, 0.5), ("MID", 50, 0.3), ("DOWN", 70, 0.4),
                                      ("DELTA", 60, 0.2)):
        data["stances"][actor]["FUND"] = {"position": position, "salience": salience}
    data["packages"] = [{"id": "HIGH", "name": "high release",
                         "values": {"FLOW": 1000.45, "FUND": 60}}]
    scenario = detente.scenario_from_mapping(data, "<offset deal>")
    result = detente.run("settle", scenario, step=0.05)
    high = next(p for p in result.value.baseline.packages if p.id == "HIGH")
    assert high.blockers  # its note writes its values
    view = result.view()
    notes = " ".join(n for t in view.tables for n in t.notes)
    assert "HIGH (FLOW 1000.45, FUND 60)" in notes and "1000.5" not in notes, notes
    # The best package and the per-issue zone with their digits too.
    best = next(t for t in view.tables if t.key == "best")
    for text, value in zip(rows_text(best)[0][2:], best.rows[0][2:], strict=True):
        assert_reads(text, value, OFFSET_SPAN)
    zones = next(t for t in view.tables if t.key == "issue-zones")
    zone = result.value.baseline.zones.issue("FLOW")
    low, high_text = rows_text(zones)[0][2].split("–")
    assert_reads(low, zone.zone_min, OFFSET_SPAN)
    assert_reads(high_text, zone.zone_max, OFFSET_SPAN)
    # The persuasion plan's positions: 'g' wrote the needed 1000.2855 as 1000.29.
    plan = next(t for t in view.tables if t.key == "persuasion HIGH")
    levers = next(p for p in result.value.baseline.persuasion if p.package == "HIGH").plan
    on_flow = [(lv, text) for lv, text in zip(levers, rows_text(plan), strict=True)
               if lv.kind == "position" and lv.target == "FLOW"]
    assert on_flow, levers
    for lever, text in on_flow:
        assert_reads(text[plan.columns.index("now")], lever.current, OFFSET_SPAN)
        assert_reads(text[plan.columns.index("needed")], lever.needed, OFFSET_SPAN)
        assert f"→ {fmt(lever.needed, OFFSET_SPAN)} (" in lever.describe()


def test_forecasts_on_an_offset_scale_read_with_their_digits() -> None:
    # The status quo 1000.15 read 1000.1, the compromise forecast 1000.2095 read 1000.2.
    result = detente.run("forecast", offset_scenario(), model=("compromise", "median", "bdm"))
    view = result.view()
    main = next(t for t in view.tables if t.key == "forecast")
    text = rows_text(main)[0]
    assert text[main.columns.index("Status quo")] == "1000.15"
    for name in ("compromise", "median", "bdm"):
        assert_reads(text[main.columns.index(name)], result.value.values(name)["FLOW"],
                     OFFSET_SPAN)
    path = next(t for t in view.tables if t.key == "path-bdm")
    for row, shown in zip(path.rows, rows_text(path), strict=True):
        if isinstance(row[1], float):
            assert_reads(shown[1], row[1], OFFSET_SPAN)
    # The influence sentence and its forecast table.
    moved = detente.run("influence", offset_scenario(), actor="UP", issue="FLOW",
                        target=1000.3)
    forecast = next(t for t in moved.view().tables if t.key == "influence-forecast")
    assert_reads(rows_text(forecast)[0][1], moved.value.forecast["FLOW"], OFFSET_SPAN)
    shift = moved.value.target
    assert f"from {fmt(shift.current_forecast, OFFSET_SPAN)} to" in shift.describe()
    assert fmt(shift.current_forecast, OFFSET_SPAN) != fmt(shift.current_forecast)


#: examples/my.yaml's scales start here: FLOW runs 1e9 to 1e9 + 20, FUND 1e9 to 1e9 + 100.
BILLION = 1e9


def river_shifted(offset: float = BILLION, **extra: Any) -> dict[str, Any]:
    """examples/my.yaml with every number in issue units (scales, status quos, anchors,
    positions, packages) moved up by ``offset``, and ``extra`` keys set."""
    data = yaml.safe_load(Path("examples/my.yaml").read_text(encoding="utf-8"))
    for issue in data["issues"]:
        issue["scale"] = {end: value + offset for end, value in issue["scale"].items()}
        issue["status_quo"] += offset
        issue["anchors"] = {value + offset: label for value, label in issue["anchors"].items()}
    for stance in data["stances"].values():
        for on_issue in stance.values():
            on_issue["position"] += offset
    for package in data["packages"]:
        package["values"] = {i: value + offset for i, value in package["values"].items()}
    return {**data, **extra}


def test_validate_predictions_csv_carries_every_digit(tmp_path: Path) -> None:
    # `:g` wrote 1000000009 and 1000000045 both as 1e+09, `:.4f` the predictions of a
    # scale of 1 to 1.00001 all as 1.0000; the CSV carries numbers unrounded.
    from typer.testing import CliRunner

    from detente.cli import app

    outcomes = {"FLOW": {"value": BILLION + 9}, "FUND": {"value": BILLION + 45}}
    path = tmp_path / "shifted.yaml"
    path.write_text(yaml.safe_dump(river_shifted(outcomes=outcomes)), encoding="utf-8")
    predictions = tmp_path / "p.csv"
    result = CliRunner().invoke(app, ["validate", str(path), "-m", "compromise",
                                      "-p", str(predictions)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(predictions.read_text(encoding="utf-8"))))
    assert [float(r["observed"]) for r in rows] == [BILLION + 9, BILLION + 45]
    forecast = detente.forecast(detente.scenario_from_mapping(river_shifted(), "<shifted>"),
                                models=["compromise"]).values("compromise")
    assert [float(r["compromise"]) for r in rows] == [forecast["FLOW"], forecast["FUND"]]


def test_figures_label_offset_values_apart() -> None:
    # `:g` labelled all six stage values of a roadmap over 1e9 to 1e9 + 100 "1e+09", and
    # every anchor of the issue-zones figure too.
    import matplotlib.pyplot as plt

    from detente.report.roadmap_figure import roadmap_figure
    from detente.report.zone_figure import issue_zone_figure

    stages = [{"name": "money", "values": {"FUND": BILLION + 50}},
              {"name": "water", "values": {"FLOW": BILLION + 12}}]
    scenario = detente.scenario_from_mapping(
        river_shifted(roadmaps=[{"id": "R1", "name": "Money first", "stages": stages}]),
        "<shifted>")
    analysis = detente.roadmap(scenario, step=10.0)
    figures = [roadmap_figure(analysis, "R1"),
               roadmap_figure(analysis.baseline.evaluation("R1")),  # drawn alone, no scale
               issue_zone_figure(detente.settle(scenario, step=10.0).baseline, scenario)]
    roadmap_labels, alone_labels, zone_labels = [{t.get_text() for t in fig.axes[0].texts}
                                                 for fig in figures]
    for fig in figures:
        plt.close(fig)
    # The status quo and each stage: FLOW 6, 6, 12; FUND 100, 50, 50 above 1e9 (drawn
    # alone, a roadmap knows no status quo of the issue its first stage moves: "–").
    assert {"1000000006", "1000000012", "1000000100", "1000000050"} <= roadmap_labels
    assert {"1000000006", "1000000012", "–", "1000000050"} <= alone_labels
    anchors = {f"{BILLION + v:.0f}" for v in (0, 6, 12, 20, 50, 100)}
    assert anchors <= zone_labels and not any("e+" in t for t in zone_labels)


def test_a_trust_threshold_never_reads_as_its_start() -> None:
    # Without trust, Midstream State accepts at a trust of 0.001 in Upstream State: two
    # decimals wrote "rose from 0.00 to 0.00", where settle says 0.001.
    import re

    from detente.brief import make_brief

    data = yaml.safe_load(Path("examples/my.yaml").read_text(encoding="utf-8"))
    scenario = detente.scenario_from_mapping({**data, "trust": {}, "trust_default": 0},
                                             "<no trust>")
    text = " ".join(p for s in make_brief(scenario, samples=50).sections for p in s.paragraphs)
    number = r"(\d+(?:\.\d+)?)"
    rises = re.findall(rf"rose from {number} to {number}", text)
    assert rises, text
    for start, threshold in rises:
        assert float(threshold) > float(start) and start != threshold, text
    assert "Midstream State if its trust in Upstream State rose from 0.000 to 0.001" in text
    # settle's own sentence, whose grid step is 0.001, the same way.
    settled = detente.settle(scenario)
    for trust in (t for p in settled.baseline.packages for needs in p.trust_needed.values()
                  for t in needs if t.needed is not None):
        needed, now = re.search(rf"[≥≤] {number} \(now {number}\)", trust.describe()).groups()
        assert (needed == now) == (trust.needed == trust.current), trust.describe()


def test_the_nearest_forecast_never_reads_as_its_target() -> None:
    # Upstream State can move the compromise forecast of FLOW (0 to 20) to 16.1039 at
    # most: at the scale's two decimals "no position moves the forecast to 16.1: the
    # nearest is 16.1" read as a contradiction.
    from typer.testing import CliRunner

    from detente.cli import app
    from detente.influence import TargetShift

    result = CliRunner().invoke(app, ["influence", "examples/my.yaml", "--actor", "UP",
                                      "--issue", "FLOW", "--target", "16.104"])
    assert result.exit_code == 0, result.output
    assert "moves the forecast to 16.104: the nearest is 16.1039 (" in result.output
    unreached = TargetShift("UP", "FLOW", 16.0, 4.0, 9.45, None, 15.9993, 15.9993, 20.0, 20.0)
    assert "the forecast to 16: the nearest is 15.9993 (" in unreached.describe()
    # A shift that moves the forecast less than the scale's precision still moves it.
    reached = TargetShift("UP", "FLOW", 9.4504, 4.0, 9.45, 4.0003, 9.4504, 9.4504, 4.0003,
                          20.0)
    assert "moving from 4 to 4.0003" in reached.describe()
    assert "the forecast from 9.45 to 9.4504" in reached.describe()


def test_two_numbers_said_together_read_apart() -> None:
    assert decimals_apart(0.0, 0.001, 2) == 3 and decimals_apart(0.05, 0.48, 2) == 2
    assert decimals_apart(0.149, 0.151, 1) == 3  # 0.15 and 0.15 at two decimals
    assert decimals_apart(0.3, 0.3, 2) == 2
    assert fmt_apart(15.9993, 16.0, 20.0) == ("15.9993", "16")
    assert fmt_apart(37.46, 40.0, 100.0) == ("37.5", "40")  # apart already: fmt's digits
    # Beyond fmt's 15 significant digits, every digit the float has.
    assert fmt_apart(BILLION + 1e-6, BILLION, 20.0) == ("1000000000.000001", "1000000000")


def test_a_number_said_beside_its_bound_or_its_pair_reads_apart() -> None:
    from typer.testing import CliRunner

    from detente.cli import app
    from detente.scenario.checks import too_narrow_text
    from detente.settlement.persuasion import Lever
    from detente.uncertainty import Noise

    # :g wrote "patience must be ... at most 1, got 1" for 1.0000001.
    refused = CliRunner().invoke(app, ["roadmap", "examples/my.yaml", "--patience",
                                       "1.0000001"])
    assert refused.exit_code == 2 and "at most 1, got 1.0000001" in refused.output
    # Six digits wrote a span just below the narrowest a scale may have as that bound.
    narrow = too_narrow_text(0.1, 0.1 + 0.0000099999999)
    assert narrow is not None and "its span, 1e-05," not in narrow, narrow
    # A spread in issue points echoed with every digit given (0.1234567, not 0.123457).
    assert str(Noise.parse("position=0.1234567")) == "position=0.1234567"
    # A persuasion lever on the grid's 0.001: a trust of 0.9996 needing 1 read 1.000 → 1.000.
    lever = Lever("MID", "trust", "UP", 0.9996, 1.0, 0.0004)
    assert "trust in UP 0.9996 → 1.0000 (" in lever.describe()
    assert "position on FLOW 15.9993 → 16 (" in Lever("MID", "position", "FLOW", 15.9993, 16.0,
                                                      0.0004, 20.0).describe()


def test_a_break_and_a_deal_without_an_actor_read_apart_from_what_they_miss() -> None:
    from types import SimpleNamespace

    from detente.report.html import settlement_counterfactual_reading
    from detente.roadmaps.api import Break

    # A margin of -0.003 read "banked +0.50, expects +0.50 (margin -0.00)": no break.
    text = Break(2, "stage 2", "KP", -0.003, 0.5, 0.497).describe()
    assert "banked +0.500, expects +0.497 by going on (margin -0.003)" in text
    assert Break(2, "stage 2", "KP", -1.0, 0.5, -0.5).describe().endswith(
        "banked +0.50, expects -0.50 by going on (margin -1.00)")  # two decimals suffice
    # Without B the best deal is worth 12.3441, with everybody 12.3412: not "12.34 against
    # 12.34".
    scenario = SimpleNamespace(name_of=lambda a: {"A": "Ay", "B": "Bee", "C": "Sea"}[a],
                               actor_ids=["A", "B", "C"])

    def variant(label: str, nash: float) -> SimpleNamespace:
        return SimpleNamespace(label=label, best=SimpleNamespace(nash=nash), zone_exists=True)

    settlement = SimpleNamespace(baseline=variant("baseline", 12.3412),
                                 variants=[variant("without B", 12.3441),
                                           variant("without C", 3.5)])
    analysis = SimpleNamespace(settlement=settlement, scenario=scenario,
                               can_leave_out=["B", "C"], settles_without=["B", "C"])
    assert ("Without Bee the best deal is worth most (12.344 against 12.341 with everybody);"
            " without Sea least (3.500)") in settlement_counterfactual_reading(analysis)


def test_an_unmet_stop_rule_never_reads_as_met() -> None:
    from detente.analyses.forecasting import _unmet_stop_rule

    # A last ratio of 0.0100004 read "0.01, the rule wants below 0.01".
    assert _unmet_stop_rule("smp", 0.0100004, 10, 0.01, 2).startswith(
        "last movement ratio 0.0100004, the rule wants below 0.01")
    assert _unmet_stop_rule("smp", 0.0123, 10, 0.01, 2).startswith("last movement ratio 0.0123")
    # Three digits wrote 0.012346 as 0.0123, below a stop ratio of 0.012345: a rule that was
    # not met read as met.
    assert _unmet_stop_rule("smp", 0.012346, 10, 0.012345, 2).startswith(
        "last movement ratio 0.012346, the rule wants below 0.012345")


def test_significant_apart_widens_only_numbers_that_read_alike() -> None:
    from detente.render import significant_apart

    assert significant_apart(0.0123, 0.01, 3) == ("0.0123", "0.01")
    assert significant_apart(0.0100001, 0.01, 3) == ("0.0100001", "0.01")
    assert significant_apart(0.01, 0.01, 3) == ("0.01", "0.01")
    assert significant_apart(1 + 2**-52, 1.0, 6) == ("1.0000000000000002", "1")


def test_the_forecast_csv_carries_the_combined_bounds_unrounded_as_numbers() -> None:
    # It wrote "80% interval,1.09–17.82" and "spread (models' min–max),6–14": text rounded
    # for the eye, where docs/json-format.md promises the raw value of every cell.
    result = detente.run("forecast", Path(__file__).parents[1] / "examples" / "my.yaml")
    values = result.value.combined_values()
    cells = [row for row in csv.DictReader(io.StringIO(result.to_csv()))
             if row["table"] == "combined" and row["row"]]
    issues = [issue.id for issue in result.value.scenario.issues]
    read = {(issues[int(row["row"])], row["column"]): row["value"] for row in cells}
    for issue in issues:
        for key, column in [("low80", "80% low"), ("high80", "80% high"),
                            ("low50", "50% low"), ("high50", "50% high"),
                            ("low95", "95% low"), ("high95", "95% high"),
                            ("spread_low", "spread low"), ("spread_high", "spread high")]:
            assert float(read[issue, column]) == values[issue][key], (issue, column)


def test_an_unreached_target_tells_the_forecast_now_from_the_actor_position_now() -> None:
    # It read "(at position 16; now 10)": 10 was the forecast, not UP's position (4).
    from detente.influence import TargetShift

    unreached = TargetShift("UP", "FLOW", 16.0, 4.0, 10.0, None, 15.9, 15.9, 16.0, 20.0)
    said = unreached.describe()
    assert "UP at position 16; the forecast now is 10, with UP at 4)" in said, said


#: A scale of 1000000 to 1000000.01: every result keeps five decimals (1000000.00524).
NARROW_AND_HIGH = {
    "id": "w", "title": "w",
    "issues": [{"id": "X", "name": "X", "scale": {"low": 1000000, "high": 1000000.01},
                "status_quo": 1000000.005},
               {"id": "Y", "name": "Y", "scale": {"low": 0, "high": 100}, "status_quo": 50}],
    "actors": [{"id": a, "name": a, "capability": c} for a, c in (("A", 10), ("B", 11),
                                                                   ("C", 20))],
    "stances": {"A": {"X": {"position": 1000000.001, "salience": 1},
                      "Y": {"position": 10, "salience": 1}},
                "B": {"X": {"position": 1000000.009, "salience": 0.7},
                      "Y": {"position": 90, "salience": 1}},
                "C": {"X": {"position": 1000000.0063, "salience": 0.5},
                      "Y": {"position": 60, "salience": 0.5}}},
}


@pytest.mark.parametrize("command", [["sample", "-m", "compromise", "-n", "300"],
                                     ["forecast"]])
def test_a_piped_table_never_breaks_a_number(tmp_path: Path, command: list[str]) -> None:
    # Before: on the 140 columns of piped output rich wrapped the numeric columns, printing
    # 1000000.0050 with 3 on the next line (and 1000000.00 over 545): the first line reads
    # as another number.
    from typer.testing import CliRunner

    from detente.cli import main  # noqa: F401  (registers every command module)
    from detente.cli.common import app, console

    path = tmp_path / "w.yaml"
    path.write_text(yaml.safe_dump(NARROW_AND_HIGH), encoding="utf-8")
    assert console.width == 140  # the piped width
    result = CliRunner().invoke(app, [command[0], str(path), *command[1:], "-q"])
    assert result.exit_code == 0, result.output
    options = {"model": command[2], "samples": int(command[4])} if command[1:] else {}
    view = detente.run(command[0], str(path), **options).view()
    numbers = [(shown, text) for t in view.tables for row, text in zip(t.rows, rows_text(t),
                                                                       strict=True)
               for value, shown in zip(row, text, strict=True)
               if isinstance(value, int | float) and not isinstance(value, bool)]
    assert any(len(shown) > 12 for shown, _ in numbers)  # wide enough to be wrapped before
    for shown, row in numbers:
        assert re.search(rf"(?<![\d.]){re.escape(shown)}(?![\d.])", result.output), (
            shown, row, result.output)
