"""compare's B − A of two numbers equal but for rounding noise is 0, in the table and the
JSON alike (one tiny deal rescaled and reordered read "+1.554e-15 utility points"), and a
real difference, however small, still shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from detente.analyses import run
from detente.analyses.compare import Row
from detente.render import rows_text

TINY = """\
id: t1
title: tiny
issues: [{id: A, name: A, status_quo: 50, guarantors: [X]},
         {id: B, name: B, status_quo: 50, guarantors: [Y]}]
actors:
  - {id: X, name: X, capability: 1}
  - {id: Y, name: Y, capability: 3}
stances:
  X: {A: {position: 0, salience: 0.2}, B: {position: 100, salience: 0.8}}
  Y: {A: {position: 100, salience: 0.8}, B: {position: 0, salience: 0.2}}
trust: {X: {Y: 0.5}, Y: {X: 0.5}}
packages: [{id: P1, name: p1, values: {A: 80, B: 80}}]
"""

#: TINY rescaled (B on −500..500, A on 0..1) and listed in the other order.
RESCALED = """\
id: t2
title: tiny
issues:
  - {id: B, name: B, scale: {low: -500, high: 500}, status_quo: 0, guarantors: [Y]}
  - {id: A, name: A, scale: {low: 0, high: 1}, status_quo: 0.5, guarantors: [X]}
actors:
  - {id: Y, name: Y, capability: 3}
  - {id: X, name: X, capability: 1}
stances:
  X: {A: {position: 0, salience: 0.2}, B: {position: 500, salience: 0.8}}
  Y: {A: {position: 1, salience: 0.8}, B: {position: -500, salience: 0.2}}
trust: {X: {Y: 0.5}, Y: {X: 0.5}}
packages: [{id: P1, name: p1, values: {A: 0.8, B: 300}}]
"""


def test_a_rescaled_scenario_differs_by_nothing(tmp_path: Path) -> None:
    tiny, rescaled = tmp_path / "t1.yaml", tmp_path / "t2.yaml"
    tiny.write_text(TINY, encoding="utf-8")
    rescaled.write_text(RESCALED, encoding="utf-8")
    result = run("compare", str(tiny), other=str(rescaled),
                 analyses=["settle", "contributions"])
    rows = result.value.rows
    assert any(r.a != r.b for r in rows)  # the noise this test is about is there
    assert all(r.difference == 0 for r in rows), [(r.quantity, r.difference) for r in rows]
    shown = {row[1]: row[4] for row in rows_text(result.view().tables[0])}
    assert shown["best Nash product"] == shown["Shapley X"] == "0"
    assert all(d["difference"] == 0 for d in result.value.to_dict()["rows"])


@pytest.mark.parametrize("step", [1e-9, -1e-9, 1e-6])
def test_a_real_small_difference_still_shows(step: float) -> None:
    row = Row("settle", "best Nash product", 1.6, 1.6 + step, "utility points")
    assert row.difference == pytest.approx(step, rel=1e-6)
