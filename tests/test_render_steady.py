"""Numbers a few ulps apart are written alike.

One gain summed in two orders came out as 9.125 (the best package's Nash product, one
party) and 9.125000000000002 (its smallest gain): ``.2f`` wrote them 9.12 and 9.13 in one
table. Every writer of a computed number rounds away the float's noise digits first; two
numbers that differ where a reader can see it still read apart (``fmt_apart``).
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from matplotlib.text import Text
from typer.testing import CliRunner

import detente
from detente.analyses.forecasting import view_validate
from detente.brief import _gain_words, _loss_words
from detente.cli.common import app
from detente.render import cell_text, fixed, fmt, fmt_apart, fmt_signed, rows_text
from detente.report.accuracy import accuracy as accuracy_figure
from detente.report.html import accuracy_reading
from detente.report.settlement import without_actor_settlement
from detente.validate import Score, ValidationResult, validate
from detente.variation import Variation

#: Halves at two decimals (x.125, x.375, ...: exact in binary, so the rounding of the half
#: itself is the same for every writer) and at one decimal (x.25, x.75).
runner = CliRunner()

HALVES = [k / 8 for k in range(1, 800) if k % 2] + [k / 4 + 0.5 for k in range(0, 400, 2)]


def _neighbours(value: float, ulps: int = 3) -> list[float]:
    out, up, down = [], value, value
    for _ in range(ulps):
        up, down = math.nextafter(up, math.inf), math.nextafter(down, -math.inf)
        out += [up, down]
    return out


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_numbers_a_few_ulps_apart_read_alike(sign: float) -> None:
    for half in HALVES:
        value = sign * half
        written = (fmt(value), fmt(value, 100.0), fmt_signed(value), fixed(value),
                   fixed(value, 1), cell_text(value, ".2f"), cell_text(value, "+.1f"),
                   cell_text(value))
        for near in _neighbours(value):
            assert (fmt(near), fmt(near, 100.0), fmt_signed(near), fixed(near),
                    fixed(near, 1), cell_text(near, ".2f"), cell_text(near, "+.1f"),
                    cell_text(near)) == written, (value, near)


def test_numbers_that_differ_still_read_apart() -> None:
    assert fmt_apart(9.125, 9.126, 100.0) == ("9.125", "9.126")
    assert fmt_apart(15.9993, 16.0, 20.0) == ("15.9993", "16")
    # A scale whose span is a ten-billionth of its ends: its 0.1 % needs 15 digits.
    low = 1e5
    assert fmt(low + 3e-6, 1e-5) != fmt(low + 4e-6, 1e-5)


S1 = """\
id: s1
title: t
issues:
- {id: A, name: A, scale: {low: 0, high: 100}, status_quo: 50, guarantors: [X]}
- {id: B, name: B, scale: {low: 0, high: 100}, status_quo: 20, guarantors: [Y, Z]}
- {id: C, name: C, scale: {low: 0, high: 100}, status_quo: 80}
actors:
- {id: X, name: X, capability: 50}
- {id: Y, name: Y, capability: 30}
- {id: Z, name: Z, capability: 20}
stances:
  X:
    A: {position: 10, salience: 0.8}
    B: {position: 90, salience: 0.4}
    C: {position: 30, salience: 0.5}
  Y:
    A: {position: 90, salience: 0.6}
    B: {position: 10, salience: 0.3}
    C: {position: 60, salience: 0.7}
  Z:
    A: {position: 30, salience: 0.5}
    B: {position: 60, salience: 0.9}
    C: {position: 90, salience: 0.2}
packages:
- {id: P, name: P, values: {A: 30, B: 40}}
"""


def test_one_party_s_nash_product_and_smallest_gain_read_alike(tmp_path: Path) -> None:
    path = tmp_path / "s1.yaml"
    path.write_text(S1, encoding="utf-8")
    (alone,) = detente.settle(detente.load(path),
                              variations=[Variation(without=("X", "Y"))]).variants
    assert alone.best is not None and alone.max_min is not None
    # One party: both are Z's gain in the best package, computed along two paths.
    assert alone.best.nash == pytest.approx(alone.max_min.min_gain, rel=1e-12)
    out = runner.invoke(app, ["settle", str(path), "--without", "X", "--without", "Y", "-q",
                              "--no-zones", "--no-persuade"])
    assert out.exit_code == 0, out.output
    cells = {line.split("│")[1].strip(): line.split("│")[-2].strip()
             for line in out.output.splitlines() if line.count("│") == 4}
    assert cells["Nash product"] == cells["smallest gain"] == "9.12"


@pytest.mark.parametrize("value", [123456789012345.0, 1234567890123456.0, 1e15 - 1])
def test_a_large_whole_number_is_written_with_the_digits_given(value: float) -> None:
    # Fourteen significant digits wrote 123456789012345 as 123456789012340.
    assert fmt(value, 2 * value) == f"{value:.0f}"


#: A bound the bootstrap computes 2 ulps below 6.75: validate's table wrote it 6.8 (steadied,
#: then round-half-even), the report's sentence and figure title 6.7 (plain ``.1f``).
NEAR_HALF = 6.749999999999998


def _korea_validated(monkeypatch: pytest.MonkeyPatch) -> Any:
    """korea-2017 scored on made-up outcomes, every score's MAE and bounds at NEAR_HALF."""
    s = detente.load("korea-2017")
    made_up = {i.id: {"value": 50.0} for i in s.issues}
    scenario = s.model_validate({**s.model_dump(), "outcomes": made_up})
    result = validate([scenario], models=["compromise", "median"], n_boot=20, combine=False)
    computed = ValidationResult.scores

    def near_half(self: ValidationResult, *args: Any, **kwargs: Any) -> list[Score]:
        return [replace(sc, value={**sc.value, "mae": NEAR_HALF},
                        low={**sc.low, "mae": NEAR_HALF}, high={**sc.high, "mae": NEAR_HALF})
                for sc in computed(self, *args, **kwargs)]

    monkeypatch.setattr(ValidationResult, "scores", near_half)
    return result


def test_a_score_reads_alike_in_validate_s_table_and_the_report(
        monkeypatch: pytest.MonkeyPatch) -> None:
    result = _korea_validated(monkeypatch)
    run = SimpleNamespace(value=result, options={}, variation=None)
    table = view_validate(run).tables[0]  # type: ignore[arg-type]
    mae = table.columns.index("MAE")
    sentence = accuracy_reading(SimpleNamespace(accuracy=result))  # type: ignore[arg-type]
    titles = [a.get_title(loc="left") for a in accuracy_figure(result).axes]
    written = {
        "validate's table": {row[mae] for row in rows_text(table)},
        "the report's sentence": set(re.findall(
            r"mean absolute error (\S+) points, 95% interval (\S+)–(\S+)\)", sentence)),
        "the figure's titles": {re.search(r"MAE (\S+) \[(\S+)–(\S+)\]", t).groups()  # type: ignore[union-attr]
                                for t in titles},
    }
    assert written == {"validate's table": {"6.8 [6.8, 6.8]"},
                       "the report's sentence": {("6.8", "6.8", "6.8")},
                       "the figure's titles": {("6.8", "6.8", "6.8")}}, written


def test_a_nash_product_a_few_ulps_above_a_half_reads_as_settle_writes_it(
        tmp_path: Path) -> None:
    path = tmp_path / "s1.yaml"
    path.write_text(S1, encoding="utf-8")
    settled = detente.settle(detente.load(path), variations=[Variation(without=("X", "Y"))])
    (alone,) = settled.variants
    assert alone.best is not None
    # Summed in another order, the same Nash product: 9.125000000000002 wrote 9.13 here.
    nudged = replace(alone, best=replace(alone.best, nash=math.nextafter(9.125, 10.0)))
    fig = without_actor_settlement(replace(settled, variants=(nudged,)))
    labels = [t.get_text() for t in fig.findobj(Text) if "·" in t.get_text()]
    assert any(label.startswith(f"{fixed(9.125)}  ·") for label in labels), labels
    assert not any(label.startswith("9.13") for label in labels), labels


def test_the_brief_writes_a_gain_a_few_ulps_above_a_half_as_a_table_cell_does() -> None:
    # Summed in another order, a gain of 0.25 comes out 1 ulp above: '+.1f' wrote it +0.3.
    gain = math.nextafter(0.25, 1.0)
    assert _gain_words("China", gain, None) == f"China {cell_text(0.25, '+.1f')}" == "China +0.2"
    assert _loss_words(-gain) == cell_text(0.25, ".1f") == "0.2"
    assert _gain_words("China", gain, 2.0) == "China +0.2 (12%)"  # 12.5000…06 %
