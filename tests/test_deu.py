"""The DEU III reader: both layouts, missing values, malformed rows, capabilities, dates."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from detente.datasets.deu import (
    ACTOR_CODES,
    CouncilWeights,
    actor_capabilities,
    parse_deu_date,
    read_deu,
    read_deu_text,
)
from detente.errors import ScenarioError
from tests.shared_data import needs_shared, shared_path

DEU_DIR = shared_path("deu")
BLKSV = DEU_DIR / "deu3_blksv.csv"
WEIGHTS = DEU_DIR / "eucouncil_weights.csv"
needs_data = needs_shared(BLKSV)

ACTORS = ("com", "ep", "de", "fr", "mt")
ID_COLUMNS = ("prnrnmc", "isnrnmc", "prnr", "prname", "isnr", "type", "council", "proc",
              "counvte", "proccde", "issues", "intro", "finact")


def original_text(rows: list[dict[str, str]], sep: str = ";") -> str:
    """A small file in the original release's layout (semicolons, one header row)."""
    header = [*ID_COLUMNS, *(f"p{a}" for a in ACTORS), *(f"s{a}" for a in ACTORS), "rp", "out"]
    lines = [sep.join(header)]
    for row in rows:
        lines.append(sep.join(row.get(h, "") for h in header))
    return "\n".join(lines) + "\n"


def issue_row(isnr: str = "d1i1", prnr: str = "d1", proc: str = "COD", rule: str = "QMV",
              finact: str = "15/06/2001", **cells: str) -> dict[str, str]:
    row = {"isnr": isnr, "prnr": prnr, "prname": "widgets", "proc": proc, "counvte": rule,
           "intro": "01/02/2000", "finact": finact,
           "pcom": "100", "pep": "80", "pde": "0", "pfr": "50", "pmt": "20",
           "scom": "50", "sep": "40", "sde": "90", "sfr": "60", "smt": "10",
           "rp": "0", "out": "60"}
    row.update(cells)
    return row


def test_original_layout_reads_positions_saliences_and_outcome() -> None:
    data = read_deu_text(original_text([issue_row(), issue_row("d1i2", out="")]), "o.csv")
    assert [i.issue_id for i in data.issues] == ["d1i1", "d1i2"]
    first = data.issues[0]
    assert first.line == 2 and first.procedure == "COD" and first.council_rule == "QMV"
    assert first.position_of("de") == 0 and first.position_of("com") == 100
    assert first.position_of("at") is None  # no column for Austria in this file
    assert first.outcome == 60 and first.reference_point == 0
    assert first.date == dt.date(2001, 6, 15)
    assert data.gdp is None
    assert data.report.without_outcome == ["d1i2"]


def test_decimal_commas_in_the_semicolon_layout() -> None:
    data = read_deu_text(original_text([issue_row(pfr="37,5", out="62,5")]), "o.csv")
    assert data.issues[0].position_of("fr") == 37.5 and data.issues[0].outcome == 62.5


def test_missing_values_follow_the_stated_rules() -> None:
    rows = [issue_row(pmt="", smt="0", sfr="", rp="", out="999")]
    data = read_deu_text(original_text(rows), "o.csv")
    report = data.report
    assert report.position_without_salience == 1  # France
    assert report.without_reference == ["d1i1"]
    assert report.without_outcome == ["d1i1"]  # 999 is a missing-data code
    assert report.out_of_scale_codes == {"999": 1}
    (built,) = data.scenarios(capability="equal")
    s = built.scenario
    assert "MT" not in s.actor_ids  # no position: not an actor of this issue
    # France's missing salience is the mean of the stated ones (50, 40, 90) / 100.
    assert s.stances["FR"]["X"].salience.value == pytest.approx(0.6)
    assert not built.status_quo_known and s.issues[0].status_quo.value == 50
    assert s.outcomes == {}
    dropped = data.scenarios(capability="equal", missing_salience="drop")[0].scenario
    assert "FR" not in dropped.actor_ids
    assert data.scenarios(capability="equal", missing_reference="drop") == []


def test_scenario_carries_outcome_and_saliences_on_0_1() -> None:
    (built,) = read_deu_text(original_text([issue_row()]), "o.csv").scenarios("equal")
    s = built.scenario
    assert s.outcomes["X"].value == 60
    assert s.stances["DE"]["X"].salience.value == pytest.approx(0.9)
    assert set(s.actor_ids) == {"COM", "EP", "DE", "FR", "MT"}


def test_issue_nobody_cares_about_is_left_out() -> None:
    row = issue_row(scom="0", sep="0", sde="0", sfr="0", smt="0")
    data = read_deu_text(original_text([row, issue_row("d1i2")]), "o.csv")
    assert [b.issue.issue_id for b in data.scenarios("equal")] == ["d1i2"]


@pytest.mark.parametrize(("cell", "column"), [("abc", "pfr"), ("12x", "sde"), ("n/a", "out")])
def test_non_numbers_are_errors_with_line_and_column(cell: str, column: str) -> None:
    rows = [issue_row(), issue_row("d1i2", **{column: cell})]
    with pytest.raises(ScenarioError) as err:
        read_deu_text(original_text(rows), "bad.csv")
    text = str(err.value)
    assert "bad.csv:3" in text and f"column {column}" in text and cell in text


def test_wrong_field_count_names_the_line() -> None:
    text = original_text([issue_row(), issue_row("d1i2")])
    lines = text.splitlines()
    lines[2] = lines[2] + ";7"
    with pytest.raises(ScenarioError, match=r"bad.csv:3: line 3: expected 25 fields"):
        read_deu_text("\n".join(lines), "bad.csv")


def test_trailing_empty_fields_and_crlf_are_accepted() -> None:
    text = original_text([issue_row(), issue_row("d1i2")])
    lines = text.splitlines()
    lines[2] += ";;"
    data = read_deu_text("\r\n".join(lines) + "\r\n", "crlf.csv")
    assert [i.issue_id for i in data.issues] == ["d1i1", "d1i2"]
    assert data.issues[1].outcome == 60


def test_duplicate_and_blank_issue_ids_are_errors() -> None:
    with pytest.raises(ScenarioError, match="appears twice") as err:
        read_deu_text(original_text([issue_row(), issue_row()]), "dup.csv")
    assert "dup.csv:3" in str(err.value)
    with pytest.raises(ScenarioError, match="issue id is blank"):
        read_deu_text(original_text([issue_row(), issue_row(isnr="")]), "blank.csv")


def test_header_without_deu_columns_is_rejected() -> None:
    with pytest.raises(ScenarioError, match="not a DEU file: no column isnr"):
        read_deu_text("a;b;c\n1;2;3\n", "x.csv")
    with pytest.raises(ScenarioError, match="empty"):
        read_deu_text("", "x.csv")


def test_blksv_layout_with_gdp_row_and_mangled_dates() -> None:
    header = [*ID_COLUMNS, *(f"p{a}" for a in ACTORS), *(f"s{a}" for a in ACTORS), "rp", "out"]
    gdp = [""] * len(ID_COLUMNS) + ["4.1", "4.1", "4.1", "2.8", "0.02"] + [""] * 7
    row = issue_row(finact="1930-05-01")
    lines = ["\t".join(f'"{h}"' for h in header), "\t".join(f'"{g}"' if g else "" for g in gdp),
             "\t".join(row.get(h, "") for h in header)]
    data = read_deu_text("\n".join(lines) + "\n", "blksv.csv")
    assert data.gdp is not None
    assert data.gdp[ACTOR_CODES.index("fr")] == 2.8
    assert data.issues[0].line == 3
    assert data.issues[0].date == dt.date(2001, 5, 30)  # "30-05-01" read as yy-mm-dd
    (built,) = data.scenarios(capability="gdp")
    assert built.scenario.actor("MT").capability.value == 0.02


def test_gdp_capability_needs_the_gdp_row() -> None:
    data = read_deu_text(original_text([issue_row()]), "o.csv")
    with pytest.raises(ScenarioError, match="no GDP row"):
        data.scenarios(capability="gdp")


def test_dates() -> None:
    assert parse_deu_date("26-01-00") == dt.date(2000, 1, 26)
    assert parse_deu_date("2014-07-04") == dt.date(2014, 7, 4)
    assert parse_deu_date("2014-07-04", spreadsheet_mangled=True) == dt.date(2004, 7, 14)
    assert parse_deu_date("999") is None and parse_deu_date("") is None
    assert parse_deu_date("31/02/2001") is None


@needs_shared(WEIGHTS)
def test_council_capabilities_follow_regime_rule_and_procedure() -> None:
    weights = CouncilWeights.read(WEIGHTS)
    before = read_deu_text(original_text([issue_row(finact="15/06/2001")]), "o.csv")
    caps = actor_capabilities(before.issues[0], before, "council", weights)
    de, mt = ACTOR_CODES.index("de"), ACTOR_CODES.index("mt")
    assert caps[de] == 10  # EU-15 votes
    assert np.isnan(caps[mt])  # Malta joined in 2004
    assert caps[0] == caps[1] == pytest.approx(87 / 15)  # COD: Com and EP = average state
    nice = read_deu_text(original_text([issue_row(proc="CNS", finact="15/06/2008")]), "o.csv")
    caps = actor_capabilities(nice.issues[0], nice, "council", weights)
    assert caps[de] == 29 and caps[mt] == 3  # Nice votes
    assert caps[1] == pytest.approx(0.5 * 345 / 27)  # CNS: a voice without a vote
    assert caps[0] == pytest.approx(345 / 27)
    unan = read_deu_text(original_text([issue_row(rule="Unan", finact="15/06/2008")]), "o.csv")
    caps = actor_capabilities(unan.issues[0], unan, "council", weights)
    assert caps[de] == caps[mt] == pytest.approx(345 / 27)  # unanimity: a veto each


@needs_data
def test_the_shared_copy_counts() -> None:
    data = read_deu(BLKSV)
    assert len(data.issues) == 364
    assert len({i.proposal_id for i in data.issues}) == 141
    assert len(data.report.without_outcome) == 11
    assert sum(i.outcome is not None and i.reference_point is not None
               for i in data.issues) == 253
    assert {i.procedure for i in data.issues} == {"COD", "CNS"}
    # Repaired dates are plausible: 1996-2020.
    years = [i.date.year for i in data.issues if i.date is not None]
    assert min(years) >= 1996 and max(years) <= 2020
    assert len(data.scenarios("council")) == 364
