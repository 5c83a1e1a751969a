"""Numbers a few ulps apart are written alike.

One gain summed in two orders came out as 9.125 (the best package's Nash product, one
party) and 9.125000000000002 (its smallest gain): ``.2f`` wrote them 9.12 and 9.13 in one
table. Every writer of a computed number rounds away the float's noise digits first; two
numbers that differ where a reader can see it still read apart (``fmt_apart``).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

import detente
from detente.cli.common import app
from detente.render import cell_text, fixed, fmt, fmt_apart, fmt_signed
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
