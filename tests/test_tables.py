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


KTAB_HEADER = ("River,Invented,3,1\n"
               "Actor,Description,Power,Flow Position,Flow Salience\n")


def _refusal(path: Path, text: str) -> ScenarioError:
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load(path)
    return info.value


def test_a_duplicate_is_named_by_its_lines(tmp_path: Path) -> None:
    # Rows were counted from line 2: KTAB actors start on line 3, and a BDM table's blank
    # line shifts them, so "row 4 ... also row 2" named lines 5 and 3.
    ktab = _refusal(tmp_path / "k.csv", KTAB_HEADER + "Up,u,6,40,80\nUp,u,3,50,20\nMid,m,3,5,9\n")
    assert [(p.location, p.line) for p in ktab.problems] == [("row 4", 4)]
    assert "also row 3" in ktab.problems[0].message
    bdm = _refusal(tmp_path / "b.csv", "Actor,Capability,Position,Salience\nA,1,4,0.5\n\n"
                   "B,1,5,0.5\nA,2,7,0.3\n")
    assert [(p.location, p.line) for p in bdm.problems] == [("row 5", 5)]
    assert "also row 2" in bdm.problems[0].message


def test_names_alike_in_their_first_40_characters_are_two_actors(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text("Actor,Capability,Position,Salience\n"
                    "Ministry of Foreign Affairs of the Republic of Korea,3,4,0.5\n"
                    "Ministry of Foreign Affairs of the Republic of Japan,2,7,0.3\n")
    korea, japan = load(path).actors
    assert (korea.name, japan.name) == ("Ministry of Foreign Affairs of the Republic of Korea",
                                        "Ministry of Foreign Affairs of the Republic of Japan")
    assert korea.id != japan.id and len(japan.id) <= 40


def test_ktab_values_are_refused_by_row_and_column_as_written(tmp_path: Path) -> None:
    # Read as a scenario, these were "stances.Mid.Flow.position ... widen
    # issues.Flow.scale" (a CSV has no scale) and "salience -0.9 is outside 0-1" (-90
    # written), and a capability of 0 was "actors.Mid.capability".
    err = _refusal(tmp_path / "k.csv", KTAB_HEADER + "Up,u,6,40,80\nMid,m,3,150,-90\n"
                   "Down,d,4,5,9\n")
    assert [(p.location, p.line) for p in err.problems] == [
        ("row 4, column 'Flow Position'", 4), ("row 4, column 'Flow Salience'", 4)]
    assert "150 is outside 0-100" in err.problems[0].message
    assert "issues." not in err.problems[0].fix and "0 to 100" in err.problems[0].fix
    assert "-90 is outside 0-100" in err.problems[1].message
    capability = _refusal(tmp_path / "c.csv", KTAB_HEADER + "Up,u,6,40,80\nMid,m,0,15,90\n"
                          "Down,d,4,5,9\n")
    assert [(p.location, p.line) for p in capability.problems] == [
        ("row 4, column 'Power'", 4)]


def test_bdm_salience_is_quoted_as_written_with_a_hint_that_applies(tmp_path: Path) -> None:
    # 170 on a column read as 0-100 was "1.7 is outside 0-1 (... divide 0-100 values by 100)".
    err = _refusal(tmp_path / "b.csv", "Actor,Capability,Position,Salience\nA,1,4,50\n"
                   "B,2,7,170\n")
    (problem,) = err.problems
    assert (problem.location, problem.line) == ("row 3, column 'Salience'", 3)
    assert "salience 170 is outside 0-100" in problem.message
    assert "divide" not in problem.message and problem.fix == "write a salience from 0 to 100"
    shares = _refusal(tmp_path / "s.csv", "Actor,Capability,Position,Salience\nA,1,4,0.5\n"
                      "B,2,7,-0.2\n")
    assert "salience -0.2 is outside 0-1" in shares.problems[0].message


def test_ktab_dimensions_named_alike_are_two_issues(tmp_path: Path) -> None:
    # Both made the id 'Position': "issues: the id 'Position' is used twice ... give every
    # entry its own id", an id the CSV does not write.
    path = tmp_path / "k.csv"
    path.write_text("River,Invented,2,2\nActor,Description,Power,Position,Salience,Position,"
                    "Salience\nUp,u,6,40,80,20,50\nMid,m,3,15,90,60,40\n")
    s = load(path)
    assert s.issue_ids == ("Position", "Position_2")
    assert s.stances["Mid"]["Position_2"].position.value == 60


def test_a_salience_column_of_zeros_is_refused_by_its_column(tmp_path: Path) -> None:
    # It was "issues.X: nobody cares ... add a stance on X for at least one actor, or remove
    # the issue": an issue id and a fix the table does not have.
    err = _refusal(tmp_path / "b.csv", "Actor,Capability,Position,Salience\nA,1,4,0\nB,2,7,0\n")
    assert [(p.location, p.fix) for p in err.problems] == [
        ("column 'Salience'", "give at least one actor a salience above 0")]
