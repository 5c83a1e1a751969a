"""A win-over band under a package rule: the rule's bound is not the blocker's threshold
(docs/settle.md, *Named packages*)."""

from __future__ import annotations

from typing import Any

import pytest

from detente.scenario import scenario_from_mapping
from detente.settlement import analyse_packages
from detente.settlement.mechanisms import ignoring
from detente.settlement.problem import SettlementProblem
from tests.settle_helpers import mechanism_tie_scenario

#: Packages X blocks that leave V at its status quo 100, so the rule 'V ≥ 60 requires
#: A ≥ 60' asks A ≥ 60 of them, while X alone accepts from A ≈ 49.97 (+0.018 at A 50).
A_VALUES = (30.0, 45.0)


def _x_win_over_on_a(ignore: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    raw = mechanism_tie_scenario()
    raw["packages"] = [{"id": f"Q{a:g}", "name": f"q{a:g}", "values": {"A": a, "B": 50}}
                       for a in A_VALUES]
    ids = {p["id"] for p in raw["packages"]}
    problem = SettlementProblem.from_scenario(scenario_from_mapping(raw))
    problem = problem.replace(mechanisms=ignoring(problem.mechanisms, ignore))
    found = []
    for analysis in analyse_packages(problem):
        if analysis.id not in ids:  # the status quo, listed for reference
            continue
        x_on_a = [w for w in analysis.win_over.get("X", ()) if w.issue == "A"]
        assert len(x_on_a) == 1, analysis.id
        found.append(x_on_a[0].to_dict())
    return found


def test_a_rules_bound_is_not_written_as_the_blockers_threshold() -> None:
    """Under the rule the packages X can be won over to need A ≥ 60: that is the rule's
    bound, so the sentence says so and gives X's own band apart (A ≥ 50.0, the first value
    of the 0.1 % scan at which X gains, as without the rule). It used to read "X accepts if
    A ≥ 60 (threshold 60.0, now 30)", the rule's 60 as X's threshold."""
    plain = _x_win_over_on_a(("rules",))
    for a, ruled, unruled in zip(A_VALUES, _x_win_over_on_a(), plain, strict=True):
        assert unruled["low"] == pytest.approx(50.0)
        assert unruled["text"] == f"X accepts if A ≥ 50 (threshold 50.0, now {a:g})"
        assert "threshold 60" not in ruled["text"]
        # low/high: the band X accepts within the rules; alone: X's own band
        assert ruled["low"] == pytest.approx(60.0) and ruled["high"] is None
        assert ruled["alone"] == {"low": pytest.approx(unruled["low"]), "high": None}
        assert ruled["rules"] == ["V ≥ 60 requires A ≥ 60"]
        assert ruled["text"] == (
            f"X accepts if A ≥ 60 (X alone: A ≥ 50.0; the rest breaks the rule "
            f"'V ≥ 60 requires A ≥ 60'; now {a:g})")
        assert unruled["alone"] is None and unruled["rules"] == []
