"""The embedded korea-2017 scenario carries the brief's numbers (shared/research/korea-2017.md)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import detente
from detente.scenario import embedded_scenarios, load, scenario_from_mapping


def test_embedded_scenarios_listed() -> None:
    assert {"korea-2017", "korea-2017-moon"} <= set(embedded_scenarios())


def test_default_is_korea() -> None:
    assert load().id == "korea-2017"


def test_korea_shape_and_ids() -> None:
    s = load("korea-2017")
    assert s.actor_ids == ("US", "CN", "RU", "KP", "KR", "JP")
    assert s.issue_ids == ("NUC", "MSL", "SANC", "SEC", "VER", "ALL", "NORM", "LINK")
    assert [p.id for p in s.packages] == ["P0", "P1", "P2", "P3", "PX"]
    # PX (no deal: escalation) is every actor's walk-away point (issue 16)
    assert {a.walk_away.package for a in s.actors if a.walk_away} == {"PX"}
    assert all(a.walk_away is not None for a in s.actors)
    assert all(len(i.anchors) >= 3 for i in s.issues)


@pytest.mark.parametrize(("actor", "issue", "position", "salience"), [
    ("US", "MSL", 0, 1.0), ("KP", "NUC", 100, 1.0), ("CN", "ALL", 70, 0.8),
    ("RU", "SEC", 75, 0.55), ("JP", "SANC", 0, 0.85), ("KR", "NORM", 20, 0.4),
])
def test_brief_numbers(actor: str, issue: str, position: float, salience: float) -> None:
    stance = load("korea-2017").stances[actor][issue]
    assert stance.position.value == position and stance.salience.value == salience


def test_kr_row_follows_as_of_date() -> None:
    april, may = load("korea-2017"), load("korea-2017-moon")
    assert april.actor("KR").capability.value == 25 and may.actor("KR").capability.value == 35
    assert may.stances["KR"]["NORM"].position.value == 55


def test_trust_matrix() -> None:
    arrays = load("korea-2017").compile()
    g = arrays.guarantor_ids
    kp = arrays.actor_ids.index("KP")
    assert arrays.trust[kp, g.index("RU")] == 0.5 and arrays.trust[kp, g.index("CN")] == 0.35
    assert arrays.trust[kp, g.index("IAEA")] == 0.1
    assert np.all(np.diag(arrays.trust[:, : arrays.n_actors]) == 1.0)


def test_p0_is_the_status_quo() -> None:
    s = load("korea-2017")
    p0 = s.package("P0")
    assert {k: v.value for k, v in p0.values.items()} == {
        i.id: i.status_quo.value for i in s.issues}


def test_notes_kept_next_to_numbers() -> None:
    s = load("korea-2017")
    assert "trust Moscow more" in (s.trust["KP"]["RU"].note or "")
    assert s.actor("CN").capability.note


def test_yaml_round_trip() -> None:
    s = load("korea-2017")
    again = scenario_from_mapping(__import__("yaml").safe_load(s.to_yaml()))
    assert again == s


def test_json_schema_describes_the_format() -> None:
    schema = detente.json_schema()
    assert {"issues", "actors", "stances"} <= set(schema["required"])
    assert "trust" in schema["properties"]


def test_every_id_field_of_the_format_says_whose_ids_it_holds() -> None:
    # The workbench renames and removes ids where x-refers says they stand: a field that
    # holds ids (an item's own id aside) without it would keep a renamed id.
    from detente.scenario.schema import ID_PATTERN

    def holds_ids(node: dict[str, Any]) -> bool:
        parts = [*node.get("anyOf", []), node.get("items"), node.get("additionalProperties")]
        return node.get("pattern") == ID_PATTERN or any(
            holds_ids(part) for part in parts if isinstance(part, dict))

    schema = detente.json_schema()
    models = {"Scenario": schema, **schema["$defs"]}
    unnamed = [f"{model}.{field}" for model, node in models.items()
               for field, prop in node.get("properties", {}).items()
               if field != "id" and holds_ids(prop) and "x-refers" not in prop]
    assert not unnamed, unnamed
    named = {f"{model}.{field}" for model, node in models.items()
             for field, prop in node.get("properties", {}).items() if "x-refers" in prop}
    assert {"Issue.guarantors", "Link.needs", "WalkAway.package", "VerifierBand.by"} <= named


def test_forecast_korea_in_issue_units() -> None:
    f = detente.forecast("korea-2017")
    assert set(f.results) == {"compromise", "median", "nash"}
    values = f.values("compromise")
    assert set(values) == set(f.arrays.issue_ids)
    s = f.scenario
    arrays = s.compile()
    w = arrays.weight[:, 0]
    expected = sum(w[a] * s.stances[aid]["NUC"].position.value
                   for a, aid in enumerate(arrays.actor_ids)) / w.sum()
    assert values["NUC"] == pytest.approx(expected)
    assert len(f.records()) == 3 * 8


def test_nash_finds_no_single_issue_deal_except_verification() -> None:
    # docs/models.md states this finding; it follows from actors straddling the status quo.
    feasible = detente.forecast("korea-2017", models=["nash"]).results["nash"].details["feasible"]
    assert [i for i, ok in zip(load().issue_ids, feasible, strict=True) if ok] == ["VER"]
