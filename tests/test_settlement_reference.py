"""The reference point is the package at every actor's walk-away point, not any package that
gains nobody anything.

A package whose moves nobody at the table can deliver (its issue's only guarantor is left
out) gains every actor exactly 0 too: it was labelled "the reference point (every actor's
walk-away point)" and shown as acceptable to nobody's objection, in a scenario that states
no walk-away point at all. It is a proposal every party blocks (a party accepts only what
it strictly gains from, docs/settle.md), and the report says why it gains nobody anything.
"""

from __future__ import annotations

from pathlib import Path

import detente
from detente.analyses.settling import _package_note, _stake_lines
from detente.variation import Variation

UNDELIVERABLE = """\
id: ref
title: ref
issues:
  - {id: A, name: A, scale: {low: 0, high: 100}, status_quo: 50, guarantors: [X]}
  - {id: B, name: B, scale: {low: 0, high: 100}, status_quo: 50}
actors: [{id: X, name: X, capability: 1}, {id: Y, name: Y, capability: 1},
         {id: Z, name: Z, capability: 1}]
stances:
  X: {A: {position: 20, salience: 1}, B: {position: 50, salience: 0.5}}
  Y: {A: {position: 30, salience: 1}, B: {position: 60, salience: 0.5}}
  Z: {A: {position: 10, salience: 1}, B: {position: 70, salience: 0.5}}
packages:
  - {id: R, name: X lowers A, values: {A: 30}}
  - {id: SQ, name: status quo, values: {}}
"""


def test_a_package_nobody_can_deliver_is_a_blocked_proposal(tmp_path: Path) -> None:
    path = tmp_path / "ref.yaml"
    path.write_text(UNDELIVERABLE, encoding="utf-8")
    scenario = detente.load(path)
    (without_x,) = detente.settle(scenario, variations=[Variation(without=("X",))]).variants
    r = without_x.package("R")
    assert all(gain == 0 for gain in r.gains.values())  # nobody delivers A: no move
    assert not r.is_reference and not r.to_dict()["reference"]
    assert r.blockers == ("Y", "Z") and not r.acceptable
    assert r.undeliverable == ("A",)
    note = _package_note(r, scenario)
    assert "walk-away" not in note
    assert "Nobody at the table guarantees A, so R's moves there cannot be delivered" in note
    # The status quo (no walk-away points stated) stays the reference, with X or without.
    assert without_x.package("SQ").is_reference
    assert r.win_over["Y"]  # a proposal: what wins its blockers over is scanned


def test_stake_lines_write_a_gain_that_rounds_to_zero_without_a_sign() -> None:
    """A guarantor's gain of -0.0004 reads 0.00, as every other gain the tables write
    (render.fmt_signed): '-0.00' claimed a loss the number does not show, and the same gain
    read differently in the note and in the package's table."""
    from types import SimpleNamespace

    package = SimpleNamespace(withheld={"G": 0.0004}, gains={"G": -0.0004}, blockers=(),
                              stakes={"G": -0.004, "H": 0.0})
    lines = _stake_lines(package)
    assert lines == ["  G is not better off (0.00) with its guarantee: its own interest does "
                     "not carry it, though these numbers count it as given (an outside gain "
                     "above 0.00 would)",
                     "  net stakes of the guarantees (outside gain − cost): G 0.00"]
