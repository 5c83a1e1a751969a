"""Importers for the BDM one-issue table and KTAB's SMP CSV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detente.errors import ScenarioError
from detente.scenario import load
from tests.shared_data import SHARED_DATA, needs_shared

DATA = SHARED_DATA
needs_data = needs_shared(DATA)


@needs_data
def test_bdm_table_reads_the_emissions_example() -> None:
    s = load(DATA / "bdm/jmckib__bdm-scholz-expected-utility-model/ExampleActors.csv")
    assert len(s.actors) == 10 and s.issue_ids == ("X",)
    assert s.actor("Netherlands").capability.value == pytest.approx(0.08)
    assert s.stances["Netherlands"]["X"].position.value == 4
    assert s.issues[0].scale.low == 4 and s.issues[0].scale.high == 10
    assert "weighted median" in (s.note or "")


@needs_data
def test_bdm_table_with_cr_line_endings_and_percent_saliences() -> None:
    a = load(DATA / "bdm/jmckib__bdm-scholz-expected-utility-model/ExampleActors.csv").compile()
    b = load(DATA / "bdm/dmasad__BDM_DecisionModel_Replication/ExampleActors.csv").compile()
    np.testing.assert_allclose(a.salience, b.salience)
    np.testing.assert_allclose(a.position, b.position)


@needs_data
def test_ktab_csv() -> None:
    s = load(DATA / "ktab/smp/dummyData_3Dim.csv")
    assert len(s.actors) == 7 and len(s.issues) == 3
    assert s.stances["SActor-00"][s.issue_ids[0]].position.value == pytest.approx(75.79)
    assert s.stances["SActor-00"][s.issue_ids[0]].salience.value == pytest.approx(0.4953)
    both = load(DATA / "ktab/smp/dummyData_3Dim-no-final-comma.csv")
    np.testing.assert_allclose(s.compile().position, both.compile().position)


@needs_data
def test_ktab_semicolons_in_names() -> None:
    s = load(DATA / "ktab/smp/SOE-Policy.csv")
    assert len(s.actors) == 26 and s.actors[0].id == "XJ"


def test_ktab_actor_count_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "k.csv"
    path.write_text("Demo,desc,3,1,\nActor,Description,Power,P1,S1,\n"
                    "A,a,10,20,50,\nB,b,5,80,40,\n")
    with pytest.raises(ScenarioError, match="declares 3 actors but the table has 2"):
        load(path)


def test_bad_number_has_line(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text("Actor,Capability,Position,Salience\nA,1,4,0.5\nB,lots,7,0.3\n")
    with pytest.raises(ScenarioError) as info:
        load(path)
    assert info.value.problems[0].line == 3
    assert "'lots' is not a number" in str(info.value)


def test_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text("Actor,Position,Salience\nA,4,0.5\n")
    with pytest.raises(ScenarioError, match="no capability column"):
        load(path)


def test_empty_table(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text("\n\n")
    with pytest.raises(ScenarioError, match="empty"):
        load(path)


def test_duplicate_actor_rows(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("Actor,Capability,Position,Salience\nA,1,4,0.5\nA,2,7,0.3\n")
    with pytest.raises(ScenarioError, match="appears twice"):
        load(path)
