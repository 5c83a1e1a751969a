"""The scenario format: one pydantic model, validated once at the edge, compiled to arrays.

A scenario is a YAML or JSON file with metadata, issues (scales with anchor labels and a
status quo), actors (capability), stances (position and salience per actor and issue),
optional trust, packages, roadmaps and observed outcomes. Every number may be written
plainly (``40``) or as a mapping that carries a note, a source or its uncertainty
(``{value: 40, note: "UNSC veto", low: 30, high: 50}``).

Validation is done here and only here: past :func:`compile_arrays` everything is plain
numpy arrays that the models trust.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from detente.arrays import Arrays
from detente.errors import Problem, ScenarioError, scenario_error, shorten
from detente.safeload import LoadLimits, parse_json, parse_yaml, read_text, structure_problems

ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_\-]*$"
Id = Annotated[str, Field(pattern=ID_PATTERN, max_length=40)]
DistributionName = Literal["pert", "triangular", "uniform", "normal"]


#: The largest magnitude of any number in a scenario. Finite is not enough: two capabilities
#: of 1e308 sum to infinity, and the models multiply and cube such numbers. Below 1e15
#: every sum, product and cube the models form stays finite, and whole numbers stay exact.
MAX_MAGNITUDE = 1e15


def _bounded(value: float) -> float:
    if abs(value) > MAX_MAGNITUDE:
        raise PydanticCustomError("too_large", "{value} is larger in size than the {most} a "
                                  "scenario number may have",
                                  {"value": f"{value:g}", "most": f"{MAX_MAGNITUDE:g}"})
    return value


#: Every number of the format: finite (``allow_inf_nan=False`` on every model refuses .nan,
#: .inf and 1e400 wherever they stand) and at most :data:`MAX_MAGNITUDE` in size.
Real = Annotated[float, AfterValidator(_bounded)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Measure(_Strict):
    """A number that may carry a note, a source and its uncertainty.

    ``low``/``high`` bound an uncertain input (read as PERT by default with ``value`` as
    the mode); ``sd`` gives a normal spread, truncated to the bounds that apply.
    """

    value: Real
    note: str | None = None
    source: str | None = None
    low: Real | None = None
    high: Real | None = None
    sd: Real | None = Field(default=None, gt=0)
    distribution: DistributionName | None = None

    @property
    def is_uncertain(self) -> bool:
        return self.low is not None or self.high is not None or self.sd is not None


def _coerce_measure(raw: Any) -> Any:
    if isinstance(raw, bool):
        raise ValueError("expected a number, got true/false")
    if isinstance(raw, int | float):
        return {"value": raw}
    if isinstance(raw, str):
        try:
            return {"value": float(raw)}
        except ValueError:
            raise ValueError(f"expected a number, got '{raw}'") from None
    if raw is None:
        raise ValueError("expected a number, got nothing")
    return raw


Number = Annotated[Measure, BeforeValidator(_coerce_measure)]


class Anchor(_Strict):
    value: Real
    label: str


def _coerce_anchors(raw: Any) -> Any:
    # Analysts write anchors as {20: "label"}; the canonical form is a list of pairs.
    if isinstance(raw, Mapping):
        return [{"value": k, "label": v} for k, v in raw.items()]
    return raw


class Scale(_Strict):
    low: Real = 0.0
    high: Real = 100.0


class Issue(_Strict):
    id: Id
    name: str
    description: str = ""
    units: str = "points"
    scale: Scale = Scale()
    anchors: Annotated[list[Anchor], BeforeValidator(_coerce_anchors)] = []
    status_quo: Number
    guarantors: list[Id] = Field(
        default=[], description="Who delivers a move of this issue away from the status quo."
    )
    options: list[Real] | None = Field(
        default=None, description="Candidate values for package search (default: a grid)."
    )
    note: str | None = None
    sources: list[str] = []

    def nearest_anchor(self, value: float) -> Anchor | None:
        if not self.anchors:
            return None
        return min(self.anchors, key=lambda a: abs(a.value - value))


class Actor(_Strict):
    id: Id
    name: str
    capability: Number
    description: str = ""
    veto: bool = Field(default=True, description="Whether a settlement needs this actor's assent.")
    note: str | None = None
    sources: list[str] = []


class Institution(_Strict):
    """A party that can guarantee or verify but does not bargain (e.g. the IAEA)."""

    id: Id
    name: str
    description: str = ""


class Stance(_Strict):
    position: Number
    salience: Number
    note: str | None = None


class Package(_Strict):
    id: Id
    name: str
    description: str = ""
    values: dict[str, Number] = Field(
        description="Value per issue; an issue left out keeps its status quo."
    )
    guarantors: dict[str, list[Id]] = {}
    note: str | None = None


class Stage(_Strict):
    name: str
    values: dict[str, Number]
    guarantors: dict[str, list[Id]] = {}
    note: str | None = None


class Roadmap(_Strict):
    id: Id
    name: str
    description: str = ""
    stages: list[Stage] = Field(min_length=1)


class Outcome(_Strict):
    value: Real
    date: dt.date | None = None
    source: str | None = None
    note: str | None = None


def _coerce_outcome(raw: Any) -> Any:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return {"value": raw}
    return raw


class Scenario(_Strict):
    """A negotiation: who takes part, over what, from where, with how much at stake."""

    id: Id
    title: str
    as_of: dt.date | None = None
    description: str = ""
    sources: list[str] = []
    issues: list[Issue] = Field(min_length=1)
    actors: list[Actor] = Field(min_length=1)
    institutions: list[Institution] = []
    stances: dict[str, dict[str, Stance]]
    trust: dict[str, dict[str, Number]] = Field(
        default={}, description="trust[i][j]: how far actor i believes a commitment by j (0-1)."
    )
    trust_default: Real = Field(
        default=1.0,
        ge=0,
        le=1,
        description="Trust for pairs the trust table leaves out (1 = promises fully believed).",
    )
    packages: list[Package] = []
    roadmaps: list[Roadmap] = []
    outcomes: dict[str, Annotated[Outcome, BeforeValidator(_coerce_outcome)]] = {}
    note: str | None = None

    # --- lookups -------------------------------------------------------------------
    @property
    def actor_ids(self) -> tuple[str, ...]:
        return tuple(a.id for a in self.actors)

    @property
    def issue_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.issues)

    @property
    def guarantor_ids(self) -> tuple[str, ...]:
        return self.actor_ids + tuple(g.id for g in self.institutions)

    def issue(self, issue_id: str) -> Issue:
        for issue in self.issues:
            if issue.id == issue_id:
                return issue
        raise KeyError(issue_id)

    def actor(self, actor_id: str) -> Actor:
        for actor in self.actors:
            if actor.id == actor_id:
                return actor
        raise KeyError(actor_id)

    def package(self, package_id: str) -> Package:
        for package in self.packages:
            if package.id == package_id:
                return package
        raise KeyError(package_id)

    def name_of(self, some_id: str) -> str:
        """The display name of an actor, institution or issue id."""
        for item in (*self.actors, *self.institutions, *self.issues):
            if item.id == some_id:
                return item.name
        return some_id

    # --- conversion ----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A plain mapping in the file format; plain numbers where nothing else is attached."""
        return _simplify(self.model_dump(mode="json", exclude_defaults=True))

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, width=100)

    def to_json(self) -> str:
        # Every number of a valid scenario is finite; allow_nan=False keeps the output strict JSON.
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False)

    def compile(self) -> Arrays:
        return compile_arrays(self)


def _simplify(node: Any) -> Any:
    if isinstance(node, dict):
        if set(node) == {"value"} and isinstance(node["value"], int | float):
            value = node["value"]
            return int(value) if float(value).is_integer() else value
        return {k: _simplify(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_simplify(v) for v in node]
    if isinstance(node, float) and node.is_integer():
        return int(node)
    return node


# ---------------------------------------------------------------------------------------
# Cross-field checks: everything pydantic's per-field types cannot say.
# ---------------------------------------------------------------------------------------


def _duplicates(ids: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    dups: list[str] = []
    for i in ids:
        if i in seen and i not in dups:
            dups.append(i)
        seen.add(i)
    return dups


def _closest(name: str, choices: Iterable[str]) -> str:
    import difflib

    options = list(choices)
    near = difflib.get_close_matches(name, options, n=1)
    hint = f"did you mean '{near[0]}'? " if near else ""
    return f"{hint}known ids: {', '.join(options)}"


def check_semantics(s: Scenario) -> list[Problem]:
    """Return every cross-field problem of a parsed scenario (empty when it is valid)."""
    problems: list[Problem] = []
    add = problems.append
    actor_ids = list(s.actor_ids)
    issue_ids = list(s.issue_ids)
    guarantors = list(s.guarantor_ids)
    issues = {i.id: i for i in s.issues}

    for what, ids in (("issues", issue_ids), ("actors", list(s.guarantor_ids)),
                      ("packages", [p.id for p in s.packages]),
                      ("roadmaps", [r.id for r in s.roadmaps])):
        for dup in _duplicates(ids):
            add(Problem(what, f"the id '{dup}' is used twice", "give every entry its own id"))

    def check_in_scale(loc: str, issue: Issue, m: Measure, what: str) -> None:
        lo, hi = issue.scale.low, issue.scale.high
        _check_range(loc, m, (lo, hi), add,
                     lambda v: f"{what} {v:g} is outside the scale of {issue.id} "
                     f"({lo:g} to {hi:g})",
                     f"use a value from {lo:g} to {hi:g}, or widen issues.{issue.id}.scale")

    for k, issue in enumerate(s.issues):
        if not math.isfinite(issue.scale.high - issue.scale.low):  # pragma: no cover
            add(Problem(f"issues[{k}].scale", "the scale is wider than a number can hold",
                        "use a narrower scale"))
            continue
        if issue.scale.low >= issue.scale.high:
            add(Problem(f"issues[{k}].scale", f"low ({issue.scale.low:g}) must be below high "
                        f"({issue.scale.high:g})", "swap or correct the two ends of the scale"))
            continue
        check_in_scale(f"issues.{issue.id}.status_quo", issue, issue.status_quo, "status quo")
        for a, anchor in enumerate(issue.anchors):
            if not issue.scale.low <= anchor.value <= issue.scale.high:
                add(Problem(f"issues.{issue.id}.anchors[{a}]",
                            f"anchor '{anchor.label}' at {anchor.value:g} is outside the scale",
                            "move the anchor inside the scale"))
        for g in issue.guarantors:
            if g not in guarantors:
                add(Problem(f"issues.{issue.id}.guarantors", f"unknown guarantor '{g}'",
                            _closest(g, guarantors)))
        for o, value in enumerate(issue.options or []):
            if not issue.scale.low <= value <= issue.scale.high:
                add(Problem(f"issues.{issue.id}.options[{o}]",
                            f"option {value:g} is outside the scale",
                            "use values inside the scale"))

    for actor in s.actors:
        if actor.capability.value <= 0:
            add(Problem(f"actors.{actor.id}.capability",
                        f"capability must be above 0, got {actor.capability.value:g}",
                        "give a positive number; leave out an actor with no leverage"))
        if actor.capability.low is not None and actor.capability.low < 0:
            add(Problem(f"actors.{actor.id}.capability.low", "capability cannot be negative",
                        "use a low bound of 0 or above"))
        _check_bounds_order(f"actors.{actor.id}.capability", actor.capability, add,
                            (0.0, math.inf))

    cared: dict[str, float] = {i: 0.0 for i in issue_ids}
    for actor_id, row in s.stances.items():
        if actor_id not in actor_ids:
            add(Problem(f"stances.{actor_id}", f"unknown actor '{actor_id}'",
                        _closest(actor_id, actor_ids)))
            continue
        for issue_id, stance in row.items():
            loc = f"stances.{actor_id}.{issue_id}"
            if issue_id not in issues:
                add(Problem(loc, f"unknown issue '{issue_id}'", _closest(issue_id, issue_ids)))
                continue
            check_in_scale(f"{loc}.position", issues[issue_id], stance.position, "position")
            sal = stance.salience
            _check_range(f"{loc}.salience", sal, (0.0, 1.0), add,
                         lambda v: f"salience {v:g} is outside 0-1"
                         + (" (saliences are shares: divide 0-100 values by 100)" if v > 1 else ""),
                         "use a value from 0 to 1")
            cared[issue_id] += max(sal.value, 0.0)
    for issue_id, total in cared.items():
        if total <= 0:
            add(Problem(f"issues.{issue_id}", "nobody cares about this issue: no actor has a "
                        "stance with salience above 0",
                        f"add a stance on {issue_id} for at least one actor, or remove the issue"))

    for truster, row in s.trust.items():
        if truster not in actor_ids:
            add(Problem(f"trust.{truster}", f"unknown actor '{truster}'",
                        _closest(truster, actor_ids)))
            continue
        for trusted, m in row.items():
            loc = f"trust.{truster}.{trusted}"
            if trusted not in guarantors:
                add(Problem(loc, f"unknown actor or institution '{trusted}'",
                            _closest(trusted, guarantors)))
            _check_range(loc, m, (0.0, 1.0), add, lambda v: f"trust {v:g} is outside 0-1",
                         "trust is a probability: 0 = no belief, 1 = full belief")

    def check_values(loc: str, values: Mapping[str, Measure],
                     guarantor_map: Mapping[str, list[str]]) -> None:
        for issue_id, m in values.items():
            if issue_id not in issues:
                add(Problem(f"{loc}.values.{issue_id}", f"unknown issue '{issue_id}'",
                            _closest(issue_id, issue_ids)))
            else:
                check_in_scale(f"{loc}.values.{issue_id}", issues[issue_id], m, "value")
        for issue_id, gs in guarantor_map.items():
            if issue_id not in issues:
                add(Problem(f"{loc}.guarantors.{issue_id}", f"unknown issue '{issue_id}'",
                            _closest(issue_id, issue_ids)))
            for g in gs:
                if g not in guarantors:
                    add(Problem(f"{loc}.guarantors.{issue_id}", f"unknown guarantor '{g}'",
                                _closest(g, guarantors)))

    for package in s.packages:
        check_values(f"packages.{package.id}", package.values, package.guarantors)
    for roadmap in s.roadmaps:
        for k, stage in enumerate(roadmap.stages):
            check_values(f"roadmaps.{roadmap.id}.stages[{k}]", stage.values, stage.guarantors)

    for issue_id, outcome in s.outcomes.items():
        if issue_id not in issues:
            add(Problem(f"outcomes.{issue_id}", f"unknown issue '{issue_id}'",
                        _closest(issue_id, issue_ids)))
        else:
            issue = issues[issue_id]
            if not issue.scale.low <= outcome.value <= issue.scale.high:
                add(Problem(f"outcomes.{issue_id}", f"outcome {outcome.value:g} is outside "
                            "the scale", "use a value inside the issue's scale"))
    return problems


def _check_range(loc: str, m: Measure, bounds: tuple[float, float], add: Any,
                 message: Callable[[float], str], fix: str) -> None:
    """Check a number and its low/high bounds against a natural range, then their order."""
    lo, hi = bounds
    for suffix, v in (("", m.value), (".low", m.low), (".high", m.high)):
        if v is not None and not lo <= v <= hi:
            add(Problem(loc + suffix, message(v), fix))
    _check_bounds_order(loc, m, add, bounds)


def _check_bounds_order(loc: str, m: Measure, add: Any,
                        natural: tuple[float, float] = (-math.inf, math.inf)) -> None:
    if m.low is not None and m.high is not None and m.low > m.high:
        add(Problem(loc, f"low ({m.low:g}) is above high ({m.high:g})", "swap low and high"))
    elif (m.low is not None and m.value < m.low) or (m.high is not None and m.value > m.high):
        add(Problem(loc, f"value {m.value:g} lies outside its own low/high range",
                    "make low <= value <= high"))
    elif (problem := distribution_problem(m, natural)) is not None:
        add(Problem(loc, *problem))


def distribution_problem(m: Measure, natural: tuple[float, float]) -> tuple[str, str] | None:
    """What is wrong with a number's distribution spec, as (message, fix); None if fine.

    ``natural`` is the range the quantity can take (``inf`` where unbounded); a missing
    ``low`` or ``high`` defaults to it. See docs/uncertainty.md.
    """
    if not (m.is_uncertain or m.distribution is not None):
        return None
    kind = m.distribution or ("normal" if m.sd is not None else "pert")
    if kind == "normal":
        if m.sd is None:
            return ("a normal distribution needs sd (its standard deviation)",
                    "add sd: (a positive number), or use distribution: pert with low and high")
        return None
    if m.sd is not None:
        return (f"sd is only used by a normal distribution, not by {kind}",
                "remove sd, or write distribution: normal")
    if m.low is None and m.high is None:
        return (f"a {kind} distribution needs low and high", "add low: and high: around the value")
    low = m.low if m.low is not None else natural[0]
    high = m.high if m.high is not None else natural[1]
    if not (math.isfinite(low) and math.isfinite(high)):
        missing = "high" if m.high is None else "low"
        return (f"a {kind} distribution needs a finite {missing} here",
                f"add {missing}:, or use distribution: normal with sd")
    return None


# ---------------------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------------------

EMBEDDED_DIR = Path(__file__).parent / "data" / "scenarios"
DEFAULT_SCENARIO = "korea-2017"


def embedded_scenarios() -> dict[str, Path]:
    """Embedded scenario id -> its file, sorted by id."""
    return {p.stem: p for p in sorted(EMBEDDED_DIR.glob("*.yaml"))}


def _location_parts(location: str) -> tuple[str, ...]:
    return tuple(p for p in re.split(r"[.\[\]]+", location) if p)


def _line_for(location: str, raw: Any, line_map: dict[tuple[str, ...], int]) -> int | None:
    """Find the line of a location such as ``actors.KP.capability`` or ``actors[3].name``."""
    if not line_map:
        return None
    parts = list(_location_parts(location))
    # Locations name list items by id (actors.KP); the file indexes them (actors.3).
    path: list[str] = []
    node = raw
    for part in parts:
        if isinstance(node, list):
            index = next((k for k, item in enumerate(node)
                          if isinstance(item, dict) and str(item.get("id")) == part), None)
            if index is None and part.isdigit():
                index = int(part)
            if index is None or index >= len(node):
                break
            path.append(str(index))
            node = node[index]
        elif isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        else:
            break
    while path and tuple(path) not in line_map:
        path.pop()
    return line_map.get(tuple(path))


_PYDANTIC_FIXES = {
    "missing": "add this field",
    "extra_forbidden": "remove it or check its spelling",
    "float_parsing": "write a plain number",
    "float_type": "write a plain number",
    "string_type": "write text (put it in quotes if it looks like a number)",
    "string_pattern_mismatch": "ids start with a letter and use letters, digits, '-' or '_'",
    "too_short": "add at least one entry",
    "date_from_datetime_parsing": "write the date as YYYY-MM-DD",
    "date_parsing": "write the date as YYYY-MM-DD",
    "dict_type": "write a mapping (key: value lines)",
    "list_type": "write a list (lines starting with '- ')",
    "literal_error": "use one of the allowed values",
    "value_error": "write a number, or a mapping such as {value: 40, note: '...'}",
    "model_type": "write a mapping (key: value lines)",
    "bool_type": "write true or false",
    "int_type": "write a whole number",
    "string_too_long": "shorten it (ids have at most 40 characters)",
    "finite_number": "write a finite number (.nan, .inf and numbers beyond 1e308 are not "
                     "numbers a model can use)",
    "greater_than": "write a number above the bound",
    "too_large": f"write a number from -{MAX_MAGNITUDE:g} to {MAX_MAGNITUDE:g} (change the "
                 "units of the scale if need be, e.g. billions instead of units)",
}
_GENERIC_FIX = "see `detente schema` for the expected format"


def _pydantic_location(raw: Any, loc: tuple[Any, ...]) -> str:
    out = ""
    node = raw
    for part in loc:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and part < len(node) else None
            ident = item.get("id") if isinstance(item, dict) else None
            # An over-long id is itself the error: name the item by its index instead.
            out += f".{ident}" if isinstance(ident, str) and len(ident) <= 40 else f"[{part}]"
            node = item
        else:
            if part in ("function-before[_coerce_measure(), Measure]",):
                continue
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out.lstrip(".")


def _problems_from_validation(err: ValidationError, raw: Any) -> list[Problem]:
    problems = []
    for e in err.errors():
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and "[" in p and "(" in p))
        location = _pydantic_location(raw, loc)
        problems.append(Problem(location, e["msg"].replace("Value error, ", ""),
                                _PYDANTIC_FIXES.get(e["type"], _GENERIC_FIX)))
    return problems


def scenario_from_mapping(raw: Any, source: str | None = None,
                          line_map: dict[tuple[str, ...], int] | None = None,
                          limits: LoadLimits | None = None) -> Scenario:
    """Validate a parsed mapping into a Scenario, or raise a ScenarioError listing every problem.

    A mapping built in Python gets the same depth and size guard as a file
    (:mod:`detente.safeload`), so no input reaches pydantic's recursive validation unbounded.
    """
    line_map = line_map or {}
    limits = limits or LoadLimits.from_env()
    guard = [p for p in structure_problems(raw, limits.max_depth, limits.max_values)
             if "finite" not in p.message]  # pydantic names non-finite numbers by id
    if guard:
        raise ScenarioError(guard, source)
    if raw is None:
        raise scenario_error("", "the file is empty", "write a scenario (see `detente schema`)",
                             source)
    if not isinstance(raw, dict):
        raise scenario_error("", f"expected a mapping at the top, got {type(raw).__name__}",
                             "a scenario starts with keys such as id:, title:, issues:", source)
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as err:
        problems = _problems_from_validation(err, raw)
    else:
        problems = check_semantics(scenario)
    if problems:
        located = [Problem(p.location, p.message, p.fix, _line_for(p.location, raw, line_map))
                   for p in problems]
        raise ScenarioError(located, source)
    return scenario


def parse_text(text: str, suffix: str, source: str,
               limits: LoadLimits | None = None) -> Scenario:
    """Parse scenario text of a given kind ('.yaml', '.json', '.csv') under the loader limits."""
    limits = limits or LoadLimits.from_env()
    if suffix == ".csv":
        from detente.datasets.tables import read_table_text

        return read_table_text(text, source, limits=limits)
    if not text.strip():
        raise scenario_error("", "the file is empty", "write a scenario (see `detente schema`)",
                             source)
    if suffix == ".json":
        return scenario_from_mapping(parse_json(text, source, limits), source, limits=limits)
    raw, line_map = parse_yaml(text, source, limits)
    return scenario_from_mapping(raw, source, line_map, limits)


def load(source: str | Path | Scenario | None = None,
         limits: LoadLimits | None = None) -> Scenario:
    """Load a scenario from a file path, an embedded scenario id, or pass one through.

    ``None`` loads the default embedded scenario (``korea-2017``). Files ending in
    ``.yaml``/``.yml``/``.json`` are scenario files; ``.csv`` files are read as a KTAB
    multi-dimensional table or a one-issue BDM table (see :mod:`detente.datasets.tables`).
    ``limits`` bound the file's size, nesting and YAML aliases (default: the
    :class:`~detente.safeload.LoadLimits` defaults, lifted by their environment variables).
    """
    if isinstance(source, Scenario):
        return source
    if source is None:
        source = DEFAULT_SCENARIO
    embedded = embedded_scenarios()
    if isinstance(source, str) and source in embedded and not Path(source).exists():
        path = embedded[source]
        return parse_text(path.read_text(encoding="utf-8"), ".yaml", f"<embedded {source}>")
    path = Path(source)
    if not path.exists():
        names = ", ".join(embedded)
        raise scenario_error("", f"no such file or embedded scenario: '{shorten(str(source))}'",
                             f"give a path to a .yaml/.json/.csv file, or one of: {names}",
                             str(source))
    if path.is_dir():
        raise scenario_error("", "this is a folder, not a scenario file",
                             "give the path of a .yaml, .json or .csv file", str(path))
    suffix = path.suffix.lower()
    if suffix == ".yml":
        suffix = ".yaml"
    if suffix not in (".yaml", ".json", ".csv"):
        raise scenario_error("", f"unknown file type '{path.suffix}'",
                             "use .yaml, .yml, .json or .csv", str(path))
    return parse_text(read_text(path, limits or LoadLimits.from_env()), suffix, str(path),
                      limits)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the scenario format, for editors and the web workbench."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "detente scenario"
    return schema


# ---------------------------------------------------------------------------------------
# Compiling to arrays
# ---------------------------------------------------------------------------------------


def compile_arrays(s: Scenario) -> Arrays:
    """Compile a valid scenario to arrays on the unit scale (0 = scale low, 1 = scale high).

    An actor with no stance on an issue gets salience 0 there and, so that no model ever
    reads an undefined number, the status quo as a placeholder position (``stake`` marks it).
    """
    n_actors, n_issues = len(s.actors), len(s.issues)
    low = np.array([i.scale.low for i in s.issues], dtype=float)
    high = np.array([i.scale.high for i in s.issues], dtype=float)
    span = high - low
    status_quo = (np.array([i.status_quo.value for i in s.issues]) - low) / span
    position = np.tile(status_quo, (n_actors, 1))
    salience = np.zeros((n_actors, n_issues))
    stake = np.zeros((n_actors, n_issues), dtype=bool)
    issue_index = {iid: k for k, iid in enumerate(s.issue_ids)}
    for a, actor_id in enumerate(s.actor_ids):
        for issue_id, stance in s.stances.get(actor_id, {}).items():
            k = issue_index[issue_id]
            position[a, k] = (stance.position.value - low[k]) / span[k]
            salience[a, k] = stance.salience.value
            stake[a, k] = True
    guarantor_ids = s.guarantor_ids
    trust = np.full((n_actors, len(guarantor_ids)), s.trust_default)
    g_index = {g: k for k, g in enumerate(guarantor_ids)}
    for a, actor_id in enumerate(s.actor_ids):
        trust[a, g_index[actor_id]] = 1.0
        for trusted, m in s.trust.get(actor_id, {}).items():
            trust[a, g_index[trusted]] = m.value
    return Arrays(
        actor_ids=s.actor_ids,
        issue_ids=s.issue_ids,
        guarantor_ids=guarantor_ids,
        capability=np.array([a.capability.value for a in s.actors], dtype=float),
        position=np.clip(position, 0.0, 1.0),
        salience=salience,
        status_quo=np.clip(status_quo, 0.0, 1.0),
        trust=trust,
        stake=stake,
        veto=np.array([a.veto for a in s.actors], dtype=bool),
        scale_low=low,
        scale_high=high,
    )
