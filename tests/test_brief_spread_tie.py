"""Where the models' spreads read alike on every issue the brief says they disagree
equally, not "most on A (a spread of 50% of its scale) and least on B (50%)"."""

from __future__ import annotations

from pathlib import Path

import detente
from detente.brief import make_brief
from tests.test_compare_noise import TINY


def test_a_tied_spread_is_said_as_a_tie(tmp_path: Path) -> None:
    path = tmp_path / "t1.yaml"
    path.write_text(TINY, encoding="utf-8")
    brief = make_brief(detente.load(path), step=10, samples=10, seed=0)
    sure = " ".join(next(s for s in brief.sections if s.heading == "How sure we are")
                    .paragraphs)
    assert "disagree equally on A and B (a spread of 50% of each one's scale)." in sure, sure
    assert "disagree most" not in sure
