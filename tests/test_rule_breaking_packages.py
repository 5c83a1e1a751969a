"""A package that breaks one of the scenario's rules is off the table whether or not every
party accepts it: the settle table (as the CLI and the report print it) and the brief say
so, and the brief names no such package as the one that "comes closest" while a blocked
package that keeps the rules is on the table.

In RULES, V ≥ 60 requires A ≥ 60: R0–R5 (V ≥ 90, A < 60) all break the rule, R1 and R5
with no blocker; P1 (V 40) keeps it and X blocks it.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

import detente
from detente.analyses import run
from detente.brief import Brief, make_brief
from detente.render import rows_text
from detente.report.html import settlement_reading
from detente.scenario import Scenario
from detente.settlement.analysis import CLOSEST_RULE, closest_to_passing

RULES = """\
id: rules
title: rules
issues:
  - {id: A, name: A, status_quo: 80, guarantors: [X]}
  - {id: B, name: B, status_quo: 20, guarantors: [Y]}
  - id: V
    name: V
    status_quo: 100
    guarantors: [X]
    verifies: {issues: [A], full_at: 0, none_at: 100, strength: 0.6,
               verifiers: [{up_to: 50, by: [I]}, {up_to: 100, by: [Z]}]}
institutions: [{id: I, name: Inspectors}]
actors:
  - {id: X, name: X, capability: 1}
  - {id: Y, name: Y, capability: 2}
  - {id: Z, name: Z, capability: 1, walk_away: {utility: -20}}
stances:
  X: {A: {position: 100, salience: 0.5}, B: {position: 100, salience: 0.9},
      V: {position: 100, salience: 0.3}}
  Y: {A: {position: 0, salience: 0.9}, B: {position: 0, salience: 0.4},
      V: {position: 0, salience: 0.5}}
  Z: {A: {position: 40, salience: 0.5}, B: {position: 60, salience: 0.5}}
trust:
  X: {Y: 0.3, Z: 0.5, I: 0.6}
  Y: {X: 0.2, Z: 0.5, I: 0.9}
  Z: {X: 0.5, Y: 0.5, I: 0.5}
links: [{actor: Y, issue: B, needs: A, target: 40, weight: 1}]
rules: [{when: {issue: V, at_least: 60}, then: {issue: A, at_least: 60}}]
stakes: {Y: {B: {cost: 1.0, outside_gain: 0.5}}}
packages:
  - {id: P1, name: p1, values: {A: 50, B: 60, V: 40}}
  - {id: R0, name: r0, values: {A: 55, B: 50, V: 90}}
  - {id: R1, name: r1, values: {A: 55, B: 45, V: 90}}
  - {id: R2, name: r2, values: {A: 55, B: 45, V: 95}}
  - {id: R3, name: r3, values: {A: 50, B: 45, V: 95}}
  - {id: R4, name: r4, values: {A: 55, B: 40, V: 95}}
  - {id: R5, name: r5, values: {A: 58, B: 45, V: 90}}
"""


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    path = Path(tmp_path_factory.mktemp("rules")) / "rules.yaml"
    path.write_text(RULES, encoding="utf-8")
    return detente.load(path)


def test_the_settle_table_says_a_package_breaks_a_rule(scenario: Scenario) -> None:
    view = run("settle", scenario).view()
    zone = next(t for t in view.tables if t.key == "zone")
    verdicts = {row[0].split()[0]: row[1] for row in rows_text(zone)}
    assert verdicts["P1"] == "blocked by X"
    assert verdicts["R1"] == verdicts["R5"] == "breaks a rule"
    assert verdicts["R0"] == verdicts["R2"] == "blocked by Y; breaks a rule"
    assert verdicts["R3"] == "blocked by X; breaks a rule"


RULE = "the scenario's rule (V ≥ 60 requires A ≥ 60)"


def _brief_and_reading(scenario: Scenario) -> tuple[Brief, str]:
    settled = detente.settle(scenario, step=10)
    reading = settlement_reading(SimpleNamespace(  # type: ignore[arg-type]
        settled=settled, deal=settled.baseline, scenario=scenario))
    return make_brief(scenario, step=10, samples=10, seed=0), reading


def test_a_package_that_keeps_the_rules_comes_closest(scenario: Scenario) -> None:
    # r2 has the fewest blockers and the smallest loss, but breaks the rule: p1 keeps it.
    settled = detente.settle(scenario, step=10)
    r2 = settled.baseline.package("R2")
    assert r2.blockers == ("Y",) and r2.broken_rules
    assert closest_to_passing(settled.baseline.packages) is settled.baseline.package("P1")

    brief, reading = _brief_and_reading(scenario)
    bottom = " ".join(brief.sections[0].paragraphs)
    assert f"p1 comes closest ({CLOSEST_RULE}), blocked by X." in bottom
    assert f"p1 comes closest among the blocked ({CLOSEST_RULE}), held up by X." in reading
    deals = next(s for s in brief.sections if s.heading == "Which proposals can pass")
    said = {p.split(":")[0]: p for p in deals.paragraphs}
    assert f"As written, it also breaks {RULE}." in said["r2"]
    assert "breaks" not in said["p1"]


def test_where_every_blocked_package_breaks_a_rule_the_closest_says_so(
        tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES.replace("  - {id: P1, name: p1, values: {A: 50, B: 60, V: 40}}\n",
                                  ""), encoding="utf-8")
    brief, reading = _brief_and_reading(detente.load(path))
    bottom = " ".join(brief.sections[0].paragraphs)
    assert f"r2 comes closest ({CLOSEST_RULE}), blocked by Y, and it breaks {RULE}." in bottom
    assert f"r2 comes closest among the blocked ({CLOSEST_RULE}), held up by Y and by " \
           f"{RULE}." in reading
