"""The report's brief section values the guarantors on the grid of the deals it names, as
`detente brief` does: with ``--set settle.step=5%`` its Shapley shares are those of
`detente brief --step 5%`, not of the contributions section's default grid (the section
said "X 58%, Y 41%" of the step-10 game beside `detente brief`'s "X 64%, Y 35%")."""

from __future__ import annotations

from pathlib import Path

import detente
from detente.brief import make_brief
from detente.report.html import _brief
from detente.report.kinds import Analysis
from tests.test_rule_breaking_packages import RULES

GUARANTORS = "What the guarantors add"


def test_the_report_brief_values_the_guarantors_on_settles_grid(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES, encoding="utf-8")
    scenario = detente.load(path)
    on_settles_grid, on_the_default_grid = (
        " ".join(next(s for s in make_brief(scenario, step=step, samples=10, seed=0).sections
                      if s.heading == GUARANTORS).paragraphs)
        for step in ("5%", None))
    assert on_settles_grid != on_the_default_grid  # else this test could not fail

    analysis = Analysis.of(scenario, settings={"settle": {"step": "5%"},
                                               "sample": {"samples": 10}})
    section = str(_brief(analysis).view)
    shares = on_settles_grid.split(": ", 1)[1]
    assert shares in section
    assert on_the_default_grid.split(": ", 1)[1] not in section
