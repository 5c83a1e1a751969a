"""Three-actor and guarantor-only scenarios where the settle family's views once disagreed
with their own numbers (a mechanism left out unsaid, a withheld guarantee read as one that
needs nothing, an acceptable status quo left out of the brief's smallest deal)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import detente

THREE = """\
id: t3
title: three
issues:
  - {id: A, name: A, scale: {low: 0, high: 10}, status_quo: 0, guarantors: [X, Z]}
  - {id: B, name: B, scale: {low: 0, high: 10}, status_quo: 10, guarantors: [Y]}
actors:
  - {id: X, name: X, capability: 50%(X)s}
  - {id: Y, name: Y, capability: 30%(Y)s}
  - {id: Z, name: Z, capability: 20%(Z)s}
stances:
  X: {A: {position: 4, salience: 1}, B: {position: 2, salience: 0.5}}
  Y: {A: {position: 8, salience: 0.5}, B: {position: 6, salience: 1}}
  Z: {A: {position: 6, salience: 1}, B: {position: 0, salience: 1}}
trust:
  X: {Y: 0.5, Z: 0.3}
  Y: {X: 0.6, Z: 0.2}
  Z: {X: 0.4, Y: 0.7}
packages:
  - {id: P1, name: P1, values: {A: 5, B: 7}}
  - {id: P2, name: P2, values: {A: 9}}
"""


def three(tmp_path: Path, extra: str = "", walk_away: bool = False) -> Path:
    """The three-actor scenario, with ``extra`` lines (e.g. stakes), and walk-away points
    below the status quo (X −40, Y −60, Z −90) where ``walk_away``."""
    points = {"X": -40, "Y": -60, "Z": -90}
    text = THREE % {a: f", walk_away: {{utility: {u}}}" if walk_away else ""
                    for a, u in points.items()}
    path = tmp_path / "three.yaml"
    path.write_text(text + extra)
    return path


STAKES = "stakes: {Z: {A: {cost: 30, outside_gain: 5}}}\n"


def test_contributions_says_which_mechanisms_it_applied_and_left_out(tmp_path: Path) -> None:
    # --ignore stakes moves the worth (20.51 → 23.88): like settle and roadmap, the JSON and
    # the table must say so, and the net stake left out must not read as a stake of 0.
    path = three(tmp_path, STAKES)
    left_out = detente.run("contributions", str(path), ignore=["stakes"])
    plain = detente.run("contributions", str(path))
    assert left_out.to_dict()["ignored"] == ["stakes"]
    assert plain.to_dict()["ignored"] == []
    assert left_out.value.grand_value != plain.value.grand_value
    notes = " ".join(left_out.view().notes)
    assert "Left out (--ignore): stakes" in notes
    assert "Left out" not in " ".join(plain.view().notes)
    assert "Applied from the scenario: guarantors' stakes" in " ".join(plain.view().notes)
    assert plain.to_dict()["guarantors"]["Z"]["stake"] == -25.0
    assert left_out.to_dict()["guarantors"]["Z"]["stake"] is None
    needs = next(t for t in left_out.view().tables if t.key == "guarantor-needs")
    assert [row[2] for row in needs.rows] == ["left out"] * 3
    assert "net stake: left out (--ignore stakes)" in " ".join(needs.notes)


def test_an_acceptable_status_quo_is_said_in_the_brief_and_the_report(tmp_path: Path) -> None:
    # Walk-away points below today: settle's smallest accord is the status quo (0 changes).
    # The brief (and the report, which prints the brief's sections) must say so in the deal
    # section and the bottom line, not give only the most balanced deal.
    from detente.brief import make_brief

    said = "Every veto player already prefers today to its walk-away point"
    brief = make_brief(detente.load(three(tmp_path, walk_away=True)), samples=20)
    sections = {s.heading: " ".join(s.paragraphs) for s in brief.sections}
    settled = detente.run("settle", str(three(tmp_path, walk_away=True)), persuade=False)
    assert settled.value.baseline.smallest.changed == ()
    assert said in sections["Bottom line"]
    deal = sections["The best and the smallest deal"]
    assert said in deal and "the smallest acceptable deal is the status quo itself" in deal
    assert "X gains least, +8.0 (20%)" in deal
    # Without walk-away points the status quo is nobody's gain: no such sentence.
    plain = make_brief(detente.load(three(tmp_path)), samples=20)
    assert "already prefers today" not in " ".join(p for s in plain.sections
                                                   for p in s.paragraphs)


SYMMETRIC = """\
id: tsym
title: sym
issues: [{id: A, name: A, scale: {low: 0, high: 10}, status_quo: 0, guarantors: [G1, G2]},
         {id: B, name: B, scale: {low: 0, high: 10}, status_quo: 10, guarantors: [G1]}]
actors: [{id: X, name: X, capability: 50}, {id: G1, name: G1, capability: 10, veto: false},
         {id: Y, name: Y, capability: 30}, {id: G2, name: G2, capability: 10, veto: false},
         {id: G3, name: G3, capability: 10, veto: false}]
stances:
  X: {A: {position: 4, salience: 1}, B: {position: 2, salience: 0.5}}
  Y: {A: {position: 8, salience: 0.5}, B: {position: 6, salience: 1}}
trust:
  X: {G1: 0.5, G2: 0.5, G3: 0.9}
  Y: {G1: 0.5, G2: 0.5, G3: 0.9}
packages:
  - {id: P1, name: P1, values: {A: 5, B: 4}}
"""


def test_a_guarantor_with_nothing_to_gain_does_not_read_like_one_that_gives(
        tmp_path: Path) -> None:
    # G1 and G2 have no stance: they gain exactly 0 and need any outside gain at all (the
    # JSON's 1e-7), while X, Y and Z in the three-actor case gain and need nothing. Both
    # once read "0.00"; and the note said G1 "does not give" its guarantee while P1's Nash
    # product (17.59) counts it as given (B's only guarantor is G1).
    path = tmp_path / "sym.yaml"
    path.write_text(SYMMETRIC)
    sym = detente.run("contributions", str(path)).value
    gave = detente.run("contributions", str(three(tmp_path))).value
    assert {a: g["gives"] for a, g in sym.guarantors.items()} == {"G1": False, "G2": False}
    assert all(g["gives"] for g in gave.guarantors.values())

    def needed(result: detente.Result) -> list[str]:
        table = next(t for t in result.view().tables if t.key == "guarantor-needs")
        return [row[3] for row in table.rows]

    assert needed(detente.run("contributions", str(path))) == ["above 0.00"] * 2
    assert needed(detente.run("contributions", str(three(tmp_path)))) == ["none"] * 3
    settled = detente.run("settle", str(path), persuade=False)
    p1 = settled.value.baseline.package("P1")
    assert p1.acceptable and p1.nash > 17  # counted with G1's and G2's guarantees ...
    view = settled.view()
    text = "\n".join([*view.notes, *(n for t in view.tables for n in t.notes)])
    assert "does not give it" not in text
    assert ("G1 gains nothing with its guarantee: its own interest does not carry it, though "
            "these numbers count it as given (an outside gain above 0.00 would)") in text


def test_the_outside_gain_needed_is_written_from_the_value_the_json_reports(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The table and the note each worked out max(-gain, 0) again beside the JSON's
    # needs/withheld ((GAIN_TOLERANCE - gain)·100): two copies of one rule. Whatever the
    # one value is (here shifted by 2.5 points), both write it.
    from detente.settlement import analysis

    stakes = analysis.guarantor_stakes

    def shifted(*args: Any, **kwargs: Any) -> tuple[dict[str, float], dict[str, float]]:
        staked, withheld = stakes(*args, **kwargs)
        return staked, {a: v + 2.5 for a, v in withheld.items()}

    monkeypatch.setattr(analysis, "guarantor_stakes", shifted)
    path = tmp_path / "sym.yaml"
    path.write_text(SYMMETRIC)
    run = detente.run("contributions", str(path))
    table = next(t for t in run.view().tables if t.key == "guarantor-needs")
    needs = {a: g["needs"] for a, g in run.to_dict()["guarantors"].items()}
    assert needs == {"G1": pytest.approx(2.5), "G2": pytest.approx(2.5)}
    assert [row[3] for row in table.rows] == ["above 2.50"] * 2
    settled = detente.run("settle", str(path), persuade=False)
    assert settled.to_dict()["baseline"]["packages"][0]["withheld"]["G1"] == \
        pytest.approx(2.5)
    view = settled.view()
    text = "\n".join([*view.notes, *(n for t in view.tables for n in t.notes)])
    assert "G1 gains nothing with its guarantee" in text
    assert "(an outside gain above 2.50 would)" in text
