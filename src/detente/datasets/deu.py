"""Read the DEU III data set (Decision-making in the European Union) into scenarios.

DEU III: J. Arregui & C. Perarnaud (2022), "A new dataset on legislative decision-making in
the European Union: the DEU III dataset", *Journal of European Public Policy* 29(1);
data doi:10.34810/data53. One row per controversial issue of a legislative proposal:
the positions (``p*``) and saliences (``s*``) of the Commission, the European Parliament and
the member states on a 0-100 issue scale, the reference point ``rp`` (the policy if no law
is adopted: the status quo) and the decision outcome ``out``.

Two layouts are read, detected from the first line:

* the original release ``Dataset_DEU_III.csv``: semicolon-separated, one header row;
  decimal commas are accepted;
* the tab-separated copy in ``blksv/predictioneers_game`` (``deu3_blksv.csv`` in the shared
  research data): quoted header, then a row of GDP-based weights (one per actor column,
  the id columns blank), then the issues. Its dates were mangled by a spreadsheet
  (``dd-mm-yy`` read as ``yy-mm-dd``, e.g. ``30-05-01`` became ``1930-05-01``); they are
  repaired here (:func:`parse_deu_date`).

Each issue becomes one :class:`~detente.scenario.Scenario` (:meth:`DeuDataset.scenarios`):
the actors with a position, their capability from one of three options, saliences divided
by 100, the reference point as status quo and the outcome in ``outcomes``. What is missing
is handled by explicit rules and counted in :class:`MissingReport` (see ``docs/accuracy.md``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from detente.errors import Problem, ScenarioError, scenario_error

#: Actor codes of the DEU column names (``p<code>``/``s<code>``), in the data set's order.
ACTOR_CODES: tuple[str, ...] = (
    "com", "ep", "at", "be", "bu", "cr", "cy", "cz", "dk", "ee", "fi", "fr", "de", "el", "hu",
    "ie", "it", "lv", "lt", "lu", "mt", "nl", "pl", "pt", "ro", "si", "sk", "es", "se", "uk",
)
INSTITUTIONS = ("com", "ep")
ACTOR_NAMES: dict[str, str] = {
    "com": "European Commission", "ep": "European Parliament", "at": "Austria",
    "be": "Belgium", "bu": "Bulgaria", "cr": "Croatia", "cy": "Cyprus",
    "cz": "Czech Republic", "dk": "Denmark", "ee": "Estonia", "fi": "Finland",
    "fr": "France", "de": "Germany", "el": "Greece", "hu": "Hungary", "ie": "Ireland",
    "it": "Italy", "lv": "Latvia", "lt": "Lithuania", "lu": "Luxembourg", "mt": "Malta",
    "nl": "Netherlands", "pl": "Poland", "pt": "Portugal", "ro": "Romania", "si": "Slovenia",
    "sk": "Slovakia", "es": "Spain", "se": "Sweden", "uk": "United Kingdom",
}
REQUIRED_COLUMNS = ("isnr", "prnr", "proc", "counvte", "rp", "out", "pcom", "scom")
Capability = Literal["council", "gdp", "equal"]
MissingSalience = Literal["mean", "drop"]
MissingReference = Literal["midpoint", "drop"]


@dataclass(frozen=True)
class DeuIssue:
    """One row of DEU: an issue of a proposal, as read (0-100 scales, NaN = missing)."""

    line: int
    issue_id: str
    proposal_id: str
    proposal_name: str
    procedure: str
    council_rule: str
    date: dt.date | None
    positions: np.ndarray
    saliences: np.ndarray
    reference_point: float | None
    outcome: float | None

    def position_of(self, code: str) -> float | None:
        value = self.positions[ACTOR_CODES.index(code)]
        return None if np.isnan(value) else float(value)


@dataclass
class MissingReport:
    """How many values were missing and what was done about each kind."""

    issues: int = 0
    without_outcome: list[str] = field(default_factory=list)
    without_reference: list[str] = field(default_factory=list)
    position_without_salience: int = 0
    salience_without_position: int = 0
    no_stance: int = 0
    out_of_scale_codes: Counter[str] = field(default_factory=Counter)
    undated: list[str] = field(default_factory=list)

    def lines(self, missing_salience: MissingSalience = "mean",
              missing_reference: MissingReference = "midpoint") -> list[str]:
        """Plain-language summary, one line per kind of gap."""
        sal_rule = ("given the issue's mean stated salience" if missing_salience == "mean"
                    else "left out of the issue")
        ref_rule = ("status quo set to the scale midpoint 50 for the models; the status-quo "
                    "baseline skips them" if missing_reference == "midpoint"
                    else "issues dropped")
        out = [f"{self.issues} issues read",
               f"{len(self.without_outcome)} without an outcome: kept as scenarios, not scored",
               f"{len(self.without_reference)} without a reference point: {ref_rule}",
               f"{self.position_without_salience} positions without a salience: {sal_rule}",
               f"{self.salience_without_position} saliences above 0 without a position, and "
               f"{self.no_stance} actor-issue cells with no position and no salience above 0 "
               "(non-members, actors not involved): actor left out of that issue"]
        if self.out_of_scale_codes:
            codes = ", ".join(f"{k} ×{v}" for k, v in sorted(self.out_of_scale_codes.items()))
            out.append(f"cells outside 0-100 read as missing-data codes: {codes}")
        if self.undated:
            out.append(f"{len(self.undated)} issues without a readable date: Council weights "
                       "of the latest regime in the weights file")
        return out


@dataclass(frozen=True)
class DeuDataset:
    """The issues of a DEU file, the blksv GDP row if present, and the missing-data report."""

    source: str
    issues: tuple[DeuIssue, ...]
    actor_codes: tuple[str, ...]
    gdp: np.ndarray | None
    report: MissingReport

    def scenarios(self, capability: Capability = "council",
                  missing_salience: MissingSalience = "mean",
                  missing_reference: MissingReference = "midpoint",
                  weights: CouncilWeights | None = None) -> list[DeuScenario]:
        """One scenario per issue (see :func:`issue_scenario` for the rules)."""
        if capability == "gdp" and self.gdp is None:
            raise scenario_error("", "this file has no GDP row (only the blksv copy has one)",
                                 "use capability 'council' or 'equal'", self.source)
        if capability == "council" and weights is None:
            weights = CouncilWeights.beside(self.source)
        out = []
        for issue in self.issues:
            if missing_reference == "drop" and issue.reference_point is None:
                continue
            built = issue_scenario(issue, self, capability, missing_salience, weights)
            if built is not None:
                out.append(built)
        return out


@dataclass(frozen=True)
class DeuScenario:
    """A scenario built from one DEU issue, with what validation needs beside it."""

    scenario: object  # detente.scenario.Scenario (kept loose to avoid an import cycle)
    issue: DeuIssue
    status_quo_known: bool


# ---------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------

_DATE_PATTERNS = (
    (re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2})$"), "dmy2"),
    (re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$"), "dmy4"),
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), "ymd"),
)


def parse_deu_date(text: str, spreadsheet_mangled: bool = False) -> dt.date | None:
    """Read a DEU date (``dd-mm-yy``, ``dd/mm/yyyy``, ``yyyy-mm-dd``); None if blank or 999.

    With ``spreadsheet_mangled`` (the blksv copy) a ``yyyy-mm-dd`` value is taken to be a
    ``dd-mm-yy`` that a spreadsheet read as ``yy-mm-dd`` with its two-digit-year pivot
    (00-29 → 20xx, 30-99 → 19xx): ``1930-05-01`` is 30 May 2001.
    """
    text = text.strip()
    if not text or text in ("999", "NA", "."):
        return None
    for pattern, kind in _DATE_PATTERNS:
        m = pattern.match(text)
        if not m:
            continue
        a, b, c = (int(g) for g in m.groups())
        try:
            if kind == "dmy2":
                return dt.date(2000 + c if c < 50 else 1900 + c, b, a)
            if kind == "dmy4":
                return dt.date(c, b, a)
            if spreadsheet_mangled:
                return dt.date(2000 + c if c < 50 else 1900 + c, b, a % 100)
            return dt.date(a, b, c)
        except ValueError:
            return None
    return None


def _sniff_delimiter(first_line: str) -> str:
    for delimiter in ("\t", ";", ","):
        if delimiter in first_line:
            return delimiter
    return ","


def _cell_number(cell: str, decimal_comma: bool) -> float | None:
    """A numeric cell: None when blank or NA; raises ValueError when not a number."""
    cell = cell.strip().strip('"').strip()
    if cell in ("", "NA", "."):
        return None
    if decimal_comma:
        cell = cell.replace(",", ".")
    value = float(cell)
    if not np.isfinite(value):
        raise ValueError(cell)
    return value


def read_deu_text(text: str, source: str = "<deu>") -> DeuDataset:
    """Parse DEU text (either layout) into a :class:`DeuDataset`; see the module docstring."""
    if not text.strip():
        raise scenario_error("", "the file is empty", "give a DEU III .csv file", source)
    first_line = text.splitlines()[0]
    delimiter = _sniff_delimiter(first_line)
    decimal_comma = delimiter == ";"
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().strip('"').strip().lower() for h in next(reader)]
    col = {name: k for k, name in enumerate(header) if name}
    missing = [c for c in REQUIRED_COLUMNS if c not in col]
    if missing:
        raise scenario_error(
            "line 1 (header)", f"not a DEU file: no column {', '.join(missing)}",
            "the header must name isnr, prnr, proc, counvte, rp, out and a p<actor>/s<actor> "
            "column pair per actor (pcom, scom, pep, sep, pat, sat, ...)", source, 1)
    codes = tuple(c for c in ACTOR_CODES if f"p{c}" in col and f"s{c}" in col)
    lone = [c for c in ACTOR_CODES if (f"p{c}" in col) != (f"s{c}" in col)]
    if lone:
        raise scenario_error("line 1 (header)", f"actor '{lone[0]}' has a position or a "
                             "salience column but not both",
                             f"add the missing p{lone[0]} or s{lone[0]} column", source, 1)
    p_cols = [col[f"p{c}"] for c in codes]
    s_cols = [col[f"s{c}"] for c in codes]
    report = MissingReport()
    problems: list[Problem] = []
    issues: list[DeuIssue] = []
    gdp: np.ndarray | None = None
    seen: dict[str, int] = {}
    blksv = delimiter == "\t"

    def number(row: list[str], k: int, line: int, what: str) -> float | None:
        try:
            value = _cell_number(row[k], decimal_comma)
        except ValueError:
            problems.append(Problem(f"line {line}, column {header[k]}",
                                    f"'{row[k]}' is not a number ({what})",
                                    "write a number from 0 to 100, or leave the cell blank "
                                    "for a missing value", line))
            return None
        if value is not None and not 0 <= value <= 100:
            report.out_of_scale_codes[f"{value:g}"] += 1
            return None
        return value

    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header) and not any(cell.strip() for cell in row[len(header):]):
            row = row[:len(header)]  # trailing separators a spreadsheet left behind
        if len(row) != len(header):
            problems.append(Problem(f"line {line}", f"expected {len(header)} fields "
                                    f"(as in the header), got {len(row)}",
                                    "check for a missing or extra "
                                    f"{'tab' if delimiter == chr(9) else repr(delimiter)}",
                                    line))
            continue
        issue_id = row[col["isnr"]].strip().strip('"')
        if not issue_id:
            if gdp is None and not issues and row[p_cols[0]].strip():
                # The blksv copy's second row: GDP weights per actor, id columns blank.
                values = [_gdp_cell(row[k], line, header[k], problems) for k in p_cols]
                gdp = np.array(values, dtype=float)
                continue
            problems.append(Problem(f"line {line}, column isnr", "the issue id is blank",
                                    "give every issue row its id (isnr)", line))
            continue
        if issue_id in seen:
            problems.append(Problem(f"line {line}, column isnr",
                                    f"issue '{issue_id}' appears twice (also line "
                                    f"{seen[issue_id]})", "keep one row per issue", line))
            continue
        seen[issue_id] = line
        procedure = row[col["proc"]].strip().strip('"').upper()
        rule_text = row[col["counvte"]].strip().strip('"').lower()
        rule = "unanimity" if rule_text.startswith("un") else (
            "QMV" if rule_text.startswith("qmv") else rule_text or "unknown")
        positions = np.array([np.nan if (v := number(row, k, line, "position")) is None
                              else v for k in p_cols])
        saliences = np.array([np.nan if (v := number(row, k, line, "salience")) is None
                              else v for k in s_cols])
        date = None
        for date_col in ("finact", "intro"):
            if date_col in col and date is None:
                date = parse_deu_date(row[col[date_col]], spreadsheet_mangled=blksv)
        issues.append(DeuIssue(
            line=line, issue_id=issue_id,
            proposal_id=row[col["prnr"]].strip().strip('"') or issue_id,
            proposal_name=row[col["prname"]].strip().strip('"') if "prname" in col else "",
            procedure=procedure, council_rule=rule, date=date,
            positions=_expand(positions, codes), saliences=_expand(saliences, codes),
            reference_point=number(row, col["rp"], line, "reference point"),
            outcome=number(row, col["out"], line, "outcome"),
        ))
    if problems:
        raise ScenarioError(problems, source)
    if not issues:
        raise scenario_error("", "the file has a header but no issue rows",
                             "add one row per issue", source)
    for issue in issues:
        report.issues += 1
        if issue.outcome is None:
            report.without_outcome.append(issue.issue_id)
        if issue.reference_point is None:
            report.without_reference.append(issue.issue_id)
        if issue.date is None:
            report.undated.append(issue.issue_id)
        has_p = ~np.isnan(issue.positions)
        has_s = ~np.isnan(issue.saliences)
        columns = np.isin(ACTOR_CODES, codes)
        report.position_without_salience += int(np.sum(has_p & ~has_s))
        report.salience_without_position += int(np.sum(~has_p & has_s & (issue.saliences > 0)))
        report.no_stance += int(np.sum(columns & ~has_p & ~(has_s & (issue.saliences > 0))))
    return DeuDataset(source=source, issues=tuple(issues), actor_codes=codes,
                      gdp=None if gdp is None else _expand(gdp, codes), report=report)


def _gdp_cell(cell: str, line: int, column: str, problems: list[Problem]) -> float:
    try:
        value = _cell_number(cell, decimal_comma=False)
    except ValueError:
        value = None
    if value is None or value <= 0:
        problems.append(Problem(f"line {line}, column {column}",
                                f"'{cell}' is not a positive GDP weight",
                                "the blksv GDP row needs a positive number per actor", line))
        return np.nan
    return value


def _expand(values: np.ndarray, codes: Sequence[str]) -> np.ndarray:
    """Values for the columns present, spread onto all of ACTOR_CODES (NaN elsewhere)."""
    out = np.full(len(ACTOR_CODES), np.nan)
    out[[ACTOR_CODES.index(c) for c in codes]] = values
    return out


def read_deu(path: str | Path) -> DeuDataset:
    """Read a DEU III file (original ``;`` release or the blksv tab copy)."""
    path = Path(path)
    if not path.exists():
        raise scenario_error("", "no such file", "give the path of a DEU III .csv file",
                             str(path))
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return read_deu_text(text, str(path))


# ---------------------------------------------------------------------------------------
# Council voting weights by treaty regime
# ---------------------------------------------------------------------------------------

_WEIGHTS_NAMES = {
    "Austria": "at", "Belgium": "be", "Bulgaria": "bu", "Cyprus": "cy", "Czech Republic": "cz",
    "Denmark": "dk", "Estonia": "ee", "Finland": "fi", "France": "fr", "Germany": "de",
    "Greece": "el", "Hungary": "hu", "Ireland": "ie", "Italy": "it", "Latvia": "lv",
    "Lithuania": "lt", "Luxembourg": "lu", "Malta": "mt", "Netherlands": "nl", "Poland": "pl",
    "Portugal": "pt", "Romania": "ro", "Slovakia": "sk", "Slovenia": "si", "Spain": "es",
    "Sweden": "se", "United Kingdom": "uk", "Croatia": "cr",
}


@dataclass(frozen=True)
class Regime:
    """A treaty regime of Council voting: from which date, which column of weights."""

    start: dt.date
    column: str
    label: str


#: Council QMV regimes (the weights file's columns). Nice votes apply from 1 Nov 2004 for
#: the EU-25, Bulgaria and Romania from 1 Jan 2007, Croatia from 1 Jul 2013; the Lisbon double
#: majority (55 % of states, 65 % of population) from 1 Nov 2014 is represented by the
#: population column (the file's populations are of the 2000s).
REGIMES: tuple[Regime, ...] = (
    Regime(dt.date(1995, 1, 1), "eu15", "EU-15, Amsterdam votes (87)"),
    Regime(dt.date(2004, 5, 1), "eu25_bv", "EU-25 transitional votes (May-Oct 2004)"),
    Regime(dt.date(2004, 11, 1), "eu25_av", "Nice votes"),
    Regime(dt.date(2014, 11, 1), "eu25_ap", "Lisbon double majority (population)"),
)
_ACCESSION = {"bu": dt.date(2007, 1, 1), "ro": dt.date(2007, 1, 1), "cr": dt.date(2013, 7, 1)}


WEIGHTS_FILE = "eucouncil_weights.csv"


@dataclass(frozen=True)
class CouncilWeights:
    """Member-state weights per regime column (``eucouncil_weights.csv`` of sumtxt/coresize)."""

    columns: dict[str, dict[str, float]]

    @classmethod
    def read(cls, path: str | Path) -> CouncilWeights:
        path = Path(path)
        if not path.is_file():
            raise scenario_error("", "no such Council weights file",
                                 "give the path of eucouncil_weights.csv", str(path))
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
        columns: dict[str, dict[str, float]] = {r.column: {} for r in REGIMES}
        for line, row in enumerate(rows, start=2):
            code = _WEIGHTS_NAMES.get(row.get("name", "").strip())
            if code is None:
                raise scenario_error(f"line {line}", f"unknown member state "
                                     f"'{row.get('name')}'", "use the English country name",
                                     str(path), line)
            for regime in REGIMES:
                cell = (row.get(regime.column) or "NA").strip()
                if cell == "NA":
                    continue
                try:
                    columns[regime.column][code] = float(cell)
                except ValueError:
                    raise scenario_error(f"line {line}, column {regime.column}",
                                         f"'{cell}' is not a number", "write a number or NA",
                                         str(path), line) from None
        return cls(columns)

    @classmethod
    def beside(cls, data: str | Path) -> CouncilWeights:
        """``eucouncil_weights.csv`` in the folder of the DEU file ``data``.

        Only the user's data folder is searched, never a folder relative to the installed
        package: an installed detente has no research data beside it.
        """
        path = Path(data).parent / WEIGHTS_FILE
        if not path.is_file():
            raise scenario_error("", f"{WEIGHTS_FILE} not found beside the DEU data "
                                 f"(looked for {path})",
                                 f"put {WEIGHTS_FILE} in that folder, give its path with "
                                 "--weights PATH (weights=...), or use capability 'gdp' or "
                                 "'equal'", str(data))
        return cls.read(path)

    def regime(self, date: dt.date | None) -> Regime:
        if date is None:
            return REGIMES[-1]
        current = REGIMES[0]
        for regime in REGIMES:
            if date >= regime.start:
                current = regime
        return current

    def weights(self, date: dt.date | None) -> dict[str, float]:
        """Member state -> weight in force at ``date`` (members at that date only)."""
        regime = self.regime(date)
        table = self.columns[regime.column]
        return {code: w for code, w in table.items()
                if date is None or code not in _ACCESSION or date >= _ACCESSION[code]}


# ---------------------------------------------------------------------------------------
# Building scenarios
# ---------------------------------------------------------------------------------------


def issue_scenario(issue: DeuIssue, dataset: DeuDataset, capability: Capability,
                   missing_salience: MissingSalience,
                   weights: CouncilWeights | None) -> DeuScenario | None:
    """Turn one DEU issue into a scenario; None if no actor with a position cares about it."""
    from detente.scenario import scenario_from_mapping

    has_p = ~np.isnan(issue.positions)
    has_s = ~np.isnan(issue.saliences)
    stated = has_p & has_s
    mean_salience = float(np.mean(issue.saliences[stated])) if stated.any() else 50.0
    saliences = np.where(has_s, issue.saliences, mean_salience)
    members = has_p if missing_salience == "mean" else stated
    if not np.any(members & (saliences > 0)):
        return None
    caps = actor_capabilities(issue, dataset, capability, weights)
    members &= ~np.isnan(caps)
    status_quo = issue.reference_point
    known = status_quo is not None
    if status_quo is None:
        status_quo = 50.0
    actors, stances = [], {}
    for k in np.flatnonzero(members):
        code = ACTOR_CODES[k]
        actor_id = code.upper()
        actors.append({"id": actor_id, "name": ACTOR_NAMES[code], "capability": float(caps[k]),
                       "veto": holds_veto(code, issue)})
        stances[actor_id] = {"X": {"position": float(issue.positions[k]),
                                   "salience": float(saliences[k]) / 100.0}}
    raw = {
        "id": _scenario_id(issue.issue_id),
        "title": f"DEU {issue.issue_id}: {issue.proposal_name or issue.proposal_id}",
        "description": f"DEU III issue {issue.issue_id} of proposal {issue.proposal_id} "
                       f"({issue.procedure}, Council {issue.council_rule}); capability "
                       f"'{capability}'.",
        "as_of": issue.date.isoformat() if issue.date else None,
        "sources": ["Arregui & Perarnaud (2022), DEU III, doi:10.34810/data53"],
        "issues": [{"id": "X", "name": f"Issue {issue.issue_id}", "units": "DEU scale",
                    "status_quo": status_quo,
                    "note": None if known else "no reference point in DEU: status quo set to "
                    "the scale midpoint as a placeholder"}],
        "actors": actors,
        "stances": stances,
        "outcomes": {} if issue.outcome is None else {"X": issue.outcome},
    }
    scenario = scenario_from_mapping(raw, f"{dataset.source}:{issue.line}")
    return DeuScenario(scenario=scenario, issue=issue, status_quo_known=known)


def holds_veto(code: str, issue: DeuIssue) -> bool:
    """Whether the actor can block the issue alone under its procedure and Council rule.

    Every member state under unanimity; the Parliament under co-decision (COD), whose
    assent is needed, not under consultation (CNS); the Commission never (the Council can
    amend its proposal by unanimity, Art. 293 TFEU). Under qualified majority no state
    blocks alone: the procedural model applies the quota to their votes.
    """
    if code == "com":
        return False
    if code == "ep":
        return issue.procedure == "COD"
    return issue.council_rule == "unanimity"


def _scenario_id(issue_id: str) -> str:
    ident = re.sub(r"[^A-Za-z0-9_\-]+", "_", issue_id)[:40]
    return ident if ident[:1].isalpha() else f"i{ident}"[:40]


def actor_capabilities(issue: DeuIssue, dataset: DeuDataset, capability: Capability,
                       weights: CouncilWeights | None) -> np.ndarray:
    """Capability per actor column (NaN: the actor takes no part under this option).

    ``equal``: every actor 1. ``gdp``: the blksv GDP row as given (it gives the Commission
    and the Parliament the largest state's value).

    ``council`` (the default): member states get their Council votes under the treaty regime
    in force at the issue's date (:data:`REGIMES`; the final-act date, else the date of the
    proposal); states that were not members then take no part. Under unanimity every member
    state holds a veto and voting weights do not count, so each gets the members' mean weight.
    The Commission and the Parliament are handled as the procedure gives them:

    * the Commission, which makes the proposal under both procedures, counts as one average
      member state;
    * the Parliament counts as one average member state under co-decision (COD), where its
      assent is needed, and as half of one under consultation (CNS), where it gives an
      opinion that does not bind the Council (a voice without a vote).

    Giving either institution the Council's total weight instead (one third of the say under
    co-decision) makes the compromise model 1.5-4 points worse on DEU III; the alternatives
    are tabulated in ``docs/accuracy.md``.
    """
    n = len(ACTOR_CODES)
    if capability == "equal":
        return np.ones(n)
    if capability == "gdp":
        assert dataset.gdp is not None
        return dataset.gdp.copy()
    assert weights is not None
    caps = np.full(n, np.nan)
    for code, w in weights.weights(issue.date).items():
        caps[ACTOR_CODES.index(code)] = w
    states = caps[2:]  # a view: the member states
    present = ~np.isnan(states)
    if issue.council_rule == "unanimity":
        states[present] = np.mean(states[present])
    average = float(np.mean(states[present]))
    caps[0] = average
    caps[1] = average if issue.procedure == "COD" else 0.5 * average
    return caps
