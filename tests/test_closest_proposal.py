"""The blocked proposal that "comes closest" is the one with the fewest blockers, and among
those the one whose blockers lose least in all, in the brief and the report alike.

P (A 80) and Q (A 49) each have one blocker: X loses 21.0 utility points from P, Y 0.4 from
Q. The brief said "P comes closest" (fewest blockers, then file order) two lines above the
losses that show Q is far closer.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import detente
from detente.brief import make_brief
from detente.report.html import settlement_reading
from detente.settlement.analysis import blockers_loss, closest_to_passing

CLOSEST = """\
id: closest
title: closest
issues: [{id: A, name: A, scale: {low: 0, high: 100}, status_quo: 50}]
actors: [{id: X, name: X, capability: 1}, {id: Y, name: Y, capability: 1}]
stances: {X: {A: {position: 30, salience: 1}}, Y: {A: {position: 70, salience: 1}}}
packages:
  - {id: P, name: P, values: {A: 80}}
  - {id: Q, name: Q, values: {A: 49}}
  - {id: R, name: R, values: {A: 20}}
"""


def test_the_smaller_loss_comes_closest(tmp_path: Path) -> None:
    path = tmp_path / "closest.yaml"
    path.write_text(CLOSEST, encoding="utf-8")
    scenario = detente.load(path)
    settled = detente.settle(scenario, step=10)
    p, q, r = (settled.baseline.package(i) for i in ("P", "Q", "R"))
    assert (p.blockers, q.blockers, r.blockers) == (("X",), ("Y",), ("Y",))
    assert blockers_loss(q) < blockers_loss(r) < blockers_loss(p)
    assert closest_to_passing(settled.baseline.packages) is q

    brief = make_brief(scenario, step=10, samples=10, seed=0)
    bottom = " ".join(brief.sections[0].paragraphs)
    assert "Q comes closest (rule-keeping first, then fewest blockers, then the smallest " \
           "total loss), " \
           "blocked by Y." in bottom

    reading = settlement_reading(SimpleNamespace(  # type: ignore[arg-type]
        settled=settled, deal=settled.baseline, scenario=scenario))
    assert "Q comes closest among the blocked (rule-keeping first, then fewest blockers, " \
           "then the smallest total loss), held up by Y" in reading


TWO_ISSUES = """\
id: two
title: two
issues: [{id: A, name: A, scale: {low: 0, high: 100}, status_quo: 50},
         {id: B, name: B, scale: {low: 0, high: 100}, status_quo: 50}]
actors: [{id: X, name: X, capability: 1}, {id: Y, name: Y, capability: 1}]
stances:
  X: {A: {position: 30, salience: 1}, B: {position: 50, salience: 1}}
  Y: {A: {position: 70, salience: 1}, B: {position: 50, salience: 1}}
packages:
  - {id: S, name: S, values: {B: 52}}
  - {id: P, name: P, values: {A: 80}}
"""


def test_fewer_blockers_come_before_a_smaller_loss(tmp_path: Path) -> None:
    # S moves B off both actors' position a little (two blockers, a tiny loss each); P
    # costs X a lot (one blocker): P is closer, though listed later.
    path = tmp_path / "two.yaml"
    path.write_text(TWO_ISSUES, encoding="utf-8")
    settled = detente.settle(detente.load(path), step=10)
    s, p = settled.baseline.package("S"), settled.baseline.package("P")
    assert s.blockers == ("X", "Y") and p.blockers == ("X",)
    assert blockers_loss(s) < blockers_loss(p)
    assert closest_to_passing(settled.baseline.packages) is p
