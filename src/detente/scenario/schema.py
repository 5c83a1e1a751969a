"""The scenario format as pydantic models: the one place a scenario's fields are declared.

A scenario is a YAML or JSON file with metadata, issues (scales with anchor labels and a
status quo), actors (capability), stances (position and salience per actor and issue),
optional trust, packages, roadmaps and observed outcomes. Every number may be written
plainly (``40``) or as a mapping that carries a note, a source or its uncertainty
(``{value: 40, note: "UNSC veto", low: 30, high: 50}``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import PurePath
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from detente.errors import as_written, option_error, option_place
from detente.settlement.defaults import same_value

if TYPE_CHECKING:
    from detente.arrays import Arrays

ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_\-]*$"
#: The longest id a scenario takes.
LONGEST_ID = 40
Id = Annotated[str, Field(pattern=ID_PATTERN, max_length=LONGEST_ID)]
DistributionName = Literal["pert", "triangular", "uniform", "normal", "discrete"]


#: The largest magnitude of any number in a scenario. Finite is not enough: two capabilities
#: of 1e308 sum to infinity, and the models multiply and cube such numbers. Below 1e15
#: every sum, product and cube the models form stays finite, and whole numbers stay exact.
MAX_MAGNITUDE = 1e15

#: The narrowest span (high - low) of an issue's scale, in its units. The analyses clean
#: float noise at a fixed billionth of a unit (zones and persuasion round to 9 decimals; a
#: lever counts when it exceeds 1e-9; moves are told apart at a share of the span instead,
#: :func:`detente.settlement.defaults.value_tolerance`). On a span of at
#: least 1e-5 that is at most 0.01 % of the scale, a tenth of the least difference a result
#: shows (0.1 %) and of the finest grid step (a thousandth of the span, the most values an
#: issue's grid may have), so no cleaning hides a move or a difference a reader could see.
#: A narrower scale (0 to 1e-10) read every zone as 0 and every move as none: it is
#: refused, not computed wrongly.
MIN_SCALE_SPAN = 1e-5
#: The narrowest span of a scale as a share of its larger end in size: a float holds about
#: 16 significant digits, so 1e15 to 1e15 + 1e-6 has no room for the 0.1 % of its span a
#: result shows; at a ten-billionth of the ends' size the span still holds some 450,000
#: steps of float precision, and the finest grid step (a thousandth of it) some 450.
MIN_SCALE_SPAN_SHARE = 1e-10


def narrowest_span(low: float, high: float) -> float:
    """The narrowest span a scale with these ends may have: :data:`MIN_SCALE_SPAN`, or
    :data:`MIN_SCALE_SPAN_SHARE` of the larger end in size where that is wider."""
    return max(MIN_SCALE_SPAN, MIN_SCALE_SPAN_SHARE * max(abs(low), abs(high)))


def _bounded(value: float) -> float:
    if abs(value) > MAX_MAGNITUDE:
        raise PydanticCustomError("too_large", "{value} is larger in size than the {most} a "
                                  "scenario number may have",
                                  {"value": as_written(value), "most": as_written(MAX_MAGNITUDE)})
    return value


#: Every number of the format: finite (``allow_inf_nan=False`` on every model refuses .nan,
#: .inf and 1e400 wherever they stand) and at most :data:`MAX_MAGNITUDE` in size.
Real = Annotated[float, AfterValidator(_bounded)]


#: The kinds of id a field may hold: the scenario's lists, and guarantors (actors and
#: institutions). :meth:`Scenario.ids_of` gives the ids of each.
IdKind = Literal["actors", "issues", "packages", "guarantors"]
_REFERS, _KEYS = "x-refers", "x-keys"
#: The lists of the scenario whose items' ids each kind of id names (the workbench renames
#: and removes ids by it, from the JSON Schema's ``x-id-lists``).
ID_LISTS: dict[IdKind, tuple[str, ...]] = {
    "actors": ("actors",), "issues": ("issues",), "packages": ("packages",),
    "guarantors": ("actors", "institutions")}


def names(refers: IdKind | None = None, keys: tuple[IdKind, ...] = ()) -> dict[str, Any]:
    """Whose ids a field holds, for the field's ``json_schema_extra``: ``x-refers`` (the ids
    in the field, or in a mapping's values) and ``x-keys`` (a mapping's keys, level by level).
    The workbench renames and removes ids wherever these say they stand, and the loader
    refuses an id that names nothing there (:func:`declared_names`)."""
    extra: dict[str, Any] = {_REFERS: refers} if refers else {}
    return extra | ({_KEYS: list(keys)} if keys else {})


def declared_names(field: FieldInfo) -> tuple[IdKind | None, tuple[IdKind, ...]]:
    """What :func:`names` declared on a field, as ``(refers, keys)``; ``(None, ())`` for a
    field that holds no ids."""
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    # names() wrote these, from arguments typed as IdKind.
    refers = cast("IdKind | None", extra.get(_REFERS))
    return refers, tuple(cast("list[IdKind]", extra.get(_KEYS, [])))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Measure(_Strict):
    """A number that may carry a note, a source and its uncertainty.

    ``low``/``high`` bound an uncertain input (read as PERT by default with ``value`` as
    the mode); ``sd`` gives a normal spread, truncated to the bounds that apply;
    ``points`` (with optional ``weights``) give a discrete distribution, the exact form of
    a linear opinion pool of point judgements (docs/uncertainty.md).
    """

    value: Real
    note: str | None = None
    source: str | None = None
    low: Real | None = None
    high: Real | None = None
    sd: Real | None = Field(default=None, gt=0)
    distribution: DistributionName | None = None
    points: list[Real] | None = None
    weights: list[Real] | None = None

    @property
    def has_spread(self) -> bool:
        """Whether the number carries a distribution of its own: any field of one (a lone
        ``distribution`` or ``weights`` too, which the checks then refuse as incomplete)."""
        return any(field is not None for field in (self.low, self.high, self.sd, self.points,
                                                   self.distribution, self.weights))

    @property
    def kind(self) -> DistributionName:
        """Its distribution: as named, else discrete with ``points``, normal with ``sd``,
        PERT otherwise (docs/uncertainty.md)."""
        return self.distribution or ("discrete" if self.points is not None
                                     else "normal" if self.sd is not None else "pert")


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


#: A number of the format: written plainly (``40``) or as a :class:`Measure` mapping, read as a
#: Measure. The JSON Schema gives what a file may write (the input type), not the Measure it
#: is read as, so that editors validate files as they are written.
Number = Annotated[Measure, BeforeValidator(_coerce_measure,
                                            json_schema_input_type=float | Measure)]


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

    @property
    def span(self) -> float:
        """high - low: what a number on this scale is shown against (its decimals)."""
        return float(self.high - self.low)

    def same(self, a: float, b: float) -> bool:
        """Whether ``a`` and ``b`` are one value on this scale, float noise apart
        (:func:`detente.settlement.defaults.same_value`)."""
        return same_value(a, b, self.low, self.high)


class VerifierBand(_Strict):
    """Who verifies when the verifying issue's value is at most ``up_to`` (issue units)."""

    up_to: Real
    by: list[Id] = Field(description="The verifiers; none: nobody verifies in this band.",
                         json_schema_extra=names("guarantors"))
    note: str | None = None


class Verification(_Strict):
    """This issue verifies others: its value sets a verification level that raises the
    credibility of promised moves on the verified ``issues`` (docs/settle.md, Verification).

    The level is 0 at ``none_at`` (default: the status quo) and 1 at ``full_at`` (issue
    units), linear between; ``strength`` (0-1) is the share of a deliverer's defection that a
    full regime run by fully trusted verifiers deters; ``verifiers`` partitions the scale
    into bands (ascending ``up_to``, the last reaching the scale's high end) naming who
    verifies there, so that an IAEA regime and a US inspection regime differ.
    """

    issues: list[Id] = Field(min_length=1, json_schema_extra=names("issues"))
    full_at: Real
    none_at: Real | None = None
    strength: Number
    verifiers: list[VerifierBand] = Field(min_length=1)
    note: str | None = None
    source: str | None = None


class Condition(_Strict):
    """An issue's value at least or at most a bound (issue units); exactly one is given."""

    issue: Id = Field(json_schema_extra=names("issues"))
    at_least: Real | None = None
    at_most: Real | None = None


class Rule(_Strict):
    """A hard package rule: a package with ``when`` true must have ``then`` true
    (``VER ≤ 65 requires NUC ≤ 50``). Packages that break it are not searched."""

    when: Condition
    then: Condition
    note: str | None = None
    source: str | None = None


class Link(_Strict):
    """``actor`` values issue ``issue`` only together with ``needs``: its gain from moving
    ``issue`` counts in full only once ``needs`` has moved from its status quo to
    ``target`` (issue units); with the condition unmet, a share ``weight`` of that gain is
    lost (docs/settle.md, Linked issues). Losses on ``issue`` are not scaled."""

    actor: Id = Field(json_schema_extra=names("actors"))
    issue: Id = Field(json_schema_extra=names("issues"))
    needs: Id = Field(json_schema_extra=names("issues"))
    target: Real
    weight: Number = Field(default_factory=lambda: Measure(value=1.0))
    note: str | None = None
    source: str | None = None


class WalkAway(_Strict):
    """An actor's walk-away point (BATNA): a named package it can have without a deal
    (valued like any package, with its guarantors' credibility), or a utility level in
    utility points (-100..0). Exactly one is given."""

    package: Id | None = Field(default=None, json_schema_extra=names("packages"))
    utility: Real | None = None
    note: str | None = None
    source: str | None = None


class Stake(_Strict):
    """What giving a guarantee on one issue means to the guarantor, in utility points: a
    ``cost`` paid whenever a package moves the issue with it among the deliverers, and an
    ``outside_gain`` it earns for it off the table (goodwill, relief elsewhere)."""

    cost: Number = Field(default_factory=lambda: Measure(value=0.0))
    outside_gain: Number = Field(default_factory=lambda: Measure(value=0.0))
    note: str | None = None
    source: str | None = None


def _someone_named(value: Any) -> Any:
    """An issue's guarantors as written: an empty list is refused, because it reads two
    ways (docs/settle.md): left out, nobody is named and moves count at face value, while
    an empty list elsewhere (a package's override, ``--guarantor ISSUE=none``) says that
    nobody can deliver them."""
    if isinstance(value, list) and not value:
        raise PydanticCustomError(
            "no_guarantors", "an empty list of guarantors reads two ways: nobody named "
            "(moves at face value) or nobody able to deliver")
    return value


class Issue(_Strict):
    id: Id
    name: str
    description: str = ""
    units: str = Field(default="points", description="The unit of the issue's numbers.")
    scale: Scale = Field(default=Scale(), description="The range of the issue's values.")
    anchors: Annotated[list[Anchor], BeforeValidator(
        _coerce_anchors, json_schema_input_type=list[Anchor] | dict[float, str])] = []
    status_quo: Number = Field(description="The value that holds without an agreement.")
    guarantors: Annotated[list[Id], BeforeValidator(
        _someone_named, json_schema_input_type=Annotated[list[Id], Field(min_length=1)])] = Field(
        default=[], description="Who delivers a move of this issue away from the status quo "
        "(left out: nobody is named, and its moves count at face value).",
        json_schema_extra=names("guarantors"),
    )
    options: list[Real] | None = Field(
        default=None, description="Candidate values for package search (default: a grid)."
    )
    verifies: Verification | None = Field(
        default=None, description="Whether this issue verifies others, and how."
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
    capability: Number = Field(description="Leverage over the outcome (> 0, any unit: only "
                               "ratios between actors matter).")
    description: str = ""
    veto: bool = Field(default=True, description="Whether a settlement needs this actor's assent.")
    walk_away: WalkAway | None = Field(
        default=None, description="What the actor has without a deal (default: the status quo)."
    )
    note: str | None = None
    sources: list[str] = []


class Institution(_Strict):
    """A party that can guarantee or verify but does not bargain (e.g. the IAEA)."""

    id: Id
    name: str
    description: str = ""


class Stance(_Strict):
    position: Number = Field(description="The outcome the actor wants, on the issue's scale.")
    salience: Number = Field(description="How much the issue matters to the actor (0-1).")
    note: str | None = None


class Package(_Strict):
    id: Id
    name: str
    description: str = ""
    values: dict[str, Number] = Field(
        description="Value per issue; an issue left out keeps its status quo.",
        json_schema_extra=names(keys=("issues",)),
    )
    guarantors: dict[str, list[Id]] = Field(
        default={}, description="Who delivers each issue's move (default: the issue's own).",
        json_schema_extra=names("guarantors", ("issues",)))
    note: str | None = None


class Stage(_Strict):
    name: str
    values: dict[str, Number] = Field(json_schema_extra=names(keys=("issues",)))
    guarantors: dict[str, list[Id]] = Field(default={},
                                            json_schema_extra=names("guarantors", ("issues",)))
    note: str | None = None


class Roadmap(_Strict):
    id: Id
    name: str
    description: str = ""
    stages: list[Stage] = Field(min_length=1)


class ObservedOutcome(_Strict):
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
    stances: dict[str, dict[str, Stance]] = Field(
        json_schema_extra=names(keys=("actors", "issues")))
    trust: dict[str, dict[str, Number]] = Field(
        default={}, description="trust[i][j]: how far actor i believes a commitment by j (0-1).",
        json_schema_extra=names(keys=("actors", "guarantors")),
    )
    trust_default: Real = Field(
        default=1.0,
        ge=0,
        le=1,
        description="Trust for pairs the trust table leaves out (1 = promises fully believed).",
    )
    packages: list[Package] = []
    roadmaps: list[Roadmap] = []
    links: list[Link] = Field(default=[], description="Issues an actor values jointly.")
    rules: list[Rule] = Field(default=[], description="Hard package rules (when ... then ...).")
    stakes: dict[str, dict[str, Stake]] = Field(
        default={}, description="stakes[g][issue]: what guaranteeing the issue means to g.",
        json_schema_extra=names(keys=("actors", "issues")),
    )
    outcomes: dict[str, Annotated[ObservedOutcome, BeforeValidator(
        _coerce_outcome, json_schema_input_type=float | ObservedOutcome)]] = Field(
        default={}, json_schema_extra=names(keys=("issues",)))
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
        return self.ids_of("guarantors")

    @property
    def package_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.packages)

    def ids_of(self, kind: IdKind) -> tuple[str, ...]:
        """The ids a field declared to hold ``kind`` (:func:`names`) may name."""
        return tuple(item.id for name in ID_LISTS[kind] for item in getattr(self, name))

    def moved_issues(self, values: Mapping[str, float]) -> list[str]:
        """The issues of ``values`` (issue id → value in its units) that are not at their
        status quo (:meth:`Scale.same`), in the order of ``values``; none: a package that
        is the status quo."""
        return [k for k, v in values.items()
                if not self.issue(k).scale.same(v, self.issue(k).status_quo.value)]

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
        items: tuple[Actor | Institution | Issue, ...] = (
            *self.actors, *self.institutions, *self.issues)
        for item in items:
            if item.id == some_id:
                return item.name
        return some_id

    def size_text(self) -> str:
        """How large the scenario is, in words (``detente check``, the workbench's summary):
        "4 actors, 5 issues, 20 stances, 3 packages"."""
        stances = sum(len(row) for row in self.stances.values())
        return (f"{len(self.actors)} actors, {len(self.issues)} issues, {stances} stances, "
                f"{len(self.packages)} packages")

    # --- conversion ----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A plain mapping in the file format; plain numbers where nothing else is attached."""
        plain: dict[str, Any] = _simplify(self.model_dump(mode="json", exclude_defaults=True))
        return plain

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, width=100)

    def to_json(self) -> str:
        # Every number of a valid scenario is finite; allow_nan=False keeps the output strict JSON.
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False)

    def text_for(self, output: str | PurePath) -> str:
        """The scenario as the file ``output`` holds it: JSON for ``.json``, YAML for
        ``.yaml`` or ``.yml``. Any other name is refused (``convert``'s ``--output``): the
        file would be YAML under a name (``x.csv``, no suffix) that reads it otherwise."""
        suffix = PurePath(output).suffix.lower()
        if suffix == ".json":
            return self.to_json()
        if suffix in (".yaml", ".yml"):
            return self.to_yaml()
        name = PurePath(output).name
        if name.lower() in (".json", ".yaml", ".yml"):
            # Python reads '.yaml' as a hidden file's name, with no suffix: it was asked to
            # be named .yaml.yaml. A file type without a name gets the scenario's.
            raise option_error(option_place("output"), f"{output} is a file type without "
                               "a name", f"name the output {self.id}{name.lower()}")
        written = f"'{suffix}'" if suffix else "no file type"
        stem = PurePath(output).with_suffix("").name or "scenario"
        raise option_error(option_place("output"),
                           f"{output} has {written}: a scenario is written as YAML or JSON "
                           f"only", f"name the output {stem}.yaml or {stem}.json")

    def compile(self) -> Arrays:
        from detente.scenario.compile import compile_arrays

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


