"""Cross-field checks: everything pydantic's per-field types cannot say."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cache
from typing import Any, get_args

from pydantic import BaseModel

from detente.errors import Problem, as_written, did_you_mean
from detente.render import significant_apart
from detente.scenario.schema import (
    MIN_SCALE_SPAN,
    MIN_SCALE_SPAN_SHARE,
    IdKind,
    Issue,
    Measure,
    Scenario,
    declared_names,
    narrowest_span,
)
from detente.settlement.defaults import value_tolerance

#: How a message names each kind of id, and the lists an id of that kind must be in.
_KIND_WORDS: dict[IdKind, tuple[str, str]] = {
    "actors": ("actor", "actors"),
    "issues": ("issue", "issues"),
    "packages": ("package", "packages"),
    "guarantors": ("actor or institution", "actors or institutions"),
}


def _duplicates(ids: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    dups: list[str] = []
    for i in ids:
        if i in seen and i not in dups:
            dups.append(i)
        seen.add(i)
    return dups


def too_narrow_text(low: float, high: float) -> str | None:
    """Why a scale from ``low`` to ``high`` is too narrow to compute with (see
    :data:`MIN_SCALE_SPAN`), None where it is not: the one wording of a scenario's scale and
    of a BDM table's positions, whose range is its scale."""
    narrowest = narrowest_span(low, high)
    # Within float noise of the bound is at it: 0.1 to 0.10001 is a span of 1e-5 as written.
    if high - low >= narrowest * (1 - 1e-9):
        return None
    # The ends as the user wrote them; the span and the bound, computed, to six digits, or
    # more where six write a span just below the bound as the bound itself.
    span, bound = significant_apart(high - low, narrowest, 6)
    return (f"the scale from {as_written(low)} to {as_written(high)} is too narrow to "
            f"compute with: its span, {span}, is below the narrowest a scale may "
            f"have here ({bound}: at least {MIN_SCALE_SPAN:g}, and "
            f"{MIN_SCALE_SPAN_SHARE:g} of its larger end)")


def _too_narrow(loc: str, issue: Issue) -> Problem | None:
    """The refusal of a scale too narrow to compute with (see :data:`MIN_SCALE_SPAN`)."""
    message = too_narrow_text(issue.scale.low, issue.scale.high)
    if message is None:
        return None
    return Problem(loc, message,
                   "rescale the issue (e.g. to 0-100) or, where its ends are large, move its "
                   "zero (e.g. 0 to 5 for 2000000000 to 2000000005), and its status quo, "
                   "anchors and positions with it")


def self_trust(location: str, truster: str, trusted: str) -> Problem | None:
    """The refusal of an actor's trust in itself, wherever one is given (a scenario's or a
    room submission's trust table, ``--trust``, ``roadmap --scan``); None for two different
    parties. It is no input: an actor fully believes the moves it delivers itself
    (docs/settle.md, T[a,a] = 1)."""
    if truster != trusted:
        return None
    return Problem(location, f"{truster}.{trusted} is {truster}'s trust in itself, which is "
                   "always 1", "leave it out: an actor always believes itself")


def _scale_problem(issue: Issue) -> Problem | None:
    """The refusal of the issue's scale itself (its ends swapped, equal or too close, or a
    span no number holds), or None for a scale values can be checked against."""
    if not math.isfinite(issue.scale.high - issue.scale.low):  # pragma: no cover
        return Problem(f"issues.{issue.id}.scale", "the scale is wider than a number can hold",
                       "use a narrower scale")
    if issue.scale.low >= issue.scale.high:
        return Problem(f"issues.{issue.id}.scale", f"low ({as_written(issue.scale.low)}) must be "
                       f"below high ({as_written(issue.scale.high)})",
                       "swap or correct the two ends of the scale")
    return _too_narrow(f"issues.{issue.id}.scale", issue)


def check_semantics(s: Scenario) -> list[Problem]:
    """Return every cross-field problem of a parsed scenario (empty when it is valid)."""
    problems: list[Problem] = []
    add = problems.append
    issues = {i.id: i for i in s.issues}

    for what, ids in (("issues", s.issue_ids), ("actors", s.guarantor_ids),
                      ("packages", s.package_ids),
                      ("roadmaps", tuple(r.id for r in s.roadmaps))):
        for dup in _duplicates(ids):
            add(Problem(what, f"the id '{dup}' is used twice", "give every entry its own id"))
    problems += unknown_ids(s)
    # Past this point an entry with an unknown id is skipped: unknown_ids has named it.

    # The issues whose scale is refused: a value checked against such a scale would be
    # refused with a range ("20 to 0") that no value can be moved into.
    scale_problems = [(issue, _scale_problem(issue)) for issue in s.issues]
    unscaled = {issue.id for issue, problem in scale_problems if problem}

    def check_in_scale(loc: str, issue: Issue, m: Measure, what: str) -> None:
        if issue.id in unscaled:
            return
        lo, hi = issue.scale.low, issue.scale.high
        _check_range(loc, m, (lo, hi), add,
                     lambda v: f"{what} {as_written(v)} is outside the scale of {issue.id} "
                     f"({as_written(lo)} to {as_written(hi)})",
                     f"use a value from {as_written(lo)} to {as_written(hi)}, or widen "
                     f"issues.{issue.id}.scale")

    for issue, problem in scale_problems:
        if problem:
            add(problem)
            continue
        check_in_scale(f"issues.{issue.id}.status_quo", issue, issue.status_quo, "status quo")
        for a, anchor in enumerate(issue.anchors):
            if not issue.scale.low <= anchor.value <= issue.scale.high:
                add(Problem(f"issues.{issue.id}.anchors[{a}]",
                            f"anchor '{anchor.label}' at {as_written(anchor.value)} is "
                            "outside the scale",
                            "move the anchor inside the scale"))
        listed: list[tuple[int, float]] = []
        for o, value in enumerate(issue.options or []):
            if not issue.scale.low <= value <= issue.scale.high:
                add(Problem(f"issues.{issue.id}.options[{o}]",
                            f"option {as_written(value)} is outside the scale",
                            "use values inside the scale"))
                continue
            # Options within the scale's tolerance are one value: near twins were two packages
            # that read the same, and exact twins were dropped without a word (a typo hidden).
            twin = next(((t, v) for t, v in listed if issue.scale.same(v, value)), None)
            if twin is not None:
                tolerance = value_tolerance(issue.scale.low, issue.scale.high)
                noise = "" if twin[1] == value else (
                    f", to within {tolerance:.3g} (closer values are one value on this scale)")
                add(Problem(f"issues.{issue.id}.options[{o}]",
                            f"option {as_written(value)} is options[{twin[0]}] "
                            f"({as_written(twin[1])}) again{noise}",
                            f"list each value once: leave out options[{o}]"))
                continue
            listed.append((o, value))

    for actor in s.actors:
        if actor.capability.value <= 0:
            add(Problem(f"actors.{actor.id}.capability",
                        f"capability must be above 0, got {as_written(actor.capability.value)}",
                        "give a positive number; leave out an actor with no leverage"))
        if actor.capability.low is not None and actor.capability.low < 0:
            add(Problem(f"actors.{actor.id}.capability.low", "capability cannot be negative",
                        "use a low bound of 0 or above"))
        _check_bounds_order(f"actors.{actor.id}.capability", actor.capability, add,
                            (0.0, math.inf))

    cared: dict[str, float] = {i: 0.0 for i in s.issue_ids}
    for actor_id, row in s.stances.items():
        if actor_id not in s.actor_ids:
            continue
        for issue_id, stance in row.items():
            loc = f"stances.{actor_id}.{issue_id}"
            if issue_id not in issues:
                continue
            check_in_scale(f"{loc}.position", issues[issue_id], stance.position, "position")
            sal = stance.salience
            _check_range(f"{loc}.salience", sal, (0.0, 1.0), add,
                         lambda v: f"salience {as_written(v)} is outside 0-1"
                         + (" (saliences are shares: divide 0-100 values by 100)" if v > 1 else ""),
                         "use a value from 0 to 1")
            cared[issue_id] += max(sal.value, 0.0)
    for issue_id, total in cared.items():
        if total <= 0:
            add(Problem(f"issues.{issue_id}", "nobody cares about this issue: no actor has a "
                        "stance with salience above 0",
                        f"add a stance on {issue_id} for at least one actor, or remove the issue"))

    for truster, trust_row in s.trust.items():
        if truster not in s.actor_ids:
            continue
        for trusted, m in trust_row.items():
            loc = f"trust.{truster}.{trusted}"
            # A plain 1 says what holds anyway; anything else (or a spread to sample) would
            # change results that docs/settle.md fixes at T[a,a] = 1.
            plain_one = m.value == 1 and not m.has_spread
            if not plain_one and (problem := self_trust(loc, truster, trusted)):
                add(problem)
                continue
            _check_range(loc, m, (0.0, 1.0), add, lambda v: f"trust {as_written(v)} is outside 0-1",
                         "trust is a probability: 0 = no belief, 1 = full belief")

    def check_values(loc: str, values: Mapping[str, Measure]) -> None:
        for issue_id, m in values.items():
            if issue_id in issues:
                check_in_scale(f"{loc}.values.{issue_id}", issues[issue_id], m, "value")

    for package in s.packages:
        check_values(f"packages.{package.id}", package.values)
    for roadmap in s.roadmaps:
        for k, stage in enumerate(roadmap.stages):
            check_values(f"roadmaps.{roadmap.id}.stages[{k}]", stage.values)

    _check_mechanisms(s, add, unscaled)

    for issue_id, outcome in s.outcomes.items():
        scale = issues[issue_id].scale if issue_id in issues.keys() - unscaled else None
        if scale is not None and not scale.low <= outcome.value <= scale.high:
            add(Problem(f"outcomes.{issue_id}", f"outcome {as_written(outcome.value)} is outside "
                        "the scale", "use a value inside the issue's scale"))
    return problems


def unknown_ids(s: Scenario) -> list[Problem]:
    """Every id that names nothing of its kind, at its place.

    Where ids stand is what the format declares on its fields (:func:`~detente.scenario.
    schema.names`), and this walk reads nothing else: a field that declares its ids gets
    this check without a line of its own. Each declared place is checked on its own, so an
    unknown key does not hide an unknown id below it.
    """
    known = {kind: dict.fromkeys(s.ids_of(kind)) for kind in get_args(IdKind)}
    institutions = {i.id for i in s.institutions}
    problems: list[Problem] = []

    def check(kind: IdKind, some_id: str, loc: str) -> None:
        if some_id in known[kind]:
            return
        noun, lists = _KIND_WORDS[kind]
        why = (" (an institution: institutions do not bargain)"
               if kind == "actors" and some_id in institutions else "")
        problems.append(Problem(loc, f"unknown {noun} '{some_id}'{why}",
                                did_you_mean(some_id, known[kind]) if known[kind]
                                else f"add the {noun} to {lists}"))

    def check_field(value: object, loc: str, refers: IdKind | None,
                    keys: tuple[IdKind, ...]) -> None:
        if isinstance(value, dict):
            for key, held in value.items():
                if keys:
                    check(keys[0], key, f"{loc}.{key}")
                check_field(held, f"{loc}.{key}", refers, keys[1:])
        elif refers is not None:
            for some_id in value if isinstance(value, list) else [value]:
                if isinstance(some_id, str):  # else None: an optional id left out
                    check(refers, some_id, loc)

    def visit(node: object, loc: str) -> None:
        # Places are named as the loader names them: list entries by id, else by index.
        if isinstance(node, BaseModel):
            for name, refers, keys, inside in _fields_to_check(type(node)):
                value, here = getattr(node, name), f"{loc}.{name}" if loc else name
                if refers is not None or keys:
                    check_field(value, here, refers, keys)
                if inside:
                    visit(value, here)
        elif isinstance(node, list):
            for k, item in enumerate(node):
                item_id = getattr(item, "id", None)
                visit(item, f"{loc}.{item_id}" if isinstance(item_id, str) else f"{loc}[{k}]")
        elif isinstance(node, dict):
            for key, item in node.items():
                visit(item, f"{loc}.{key}")

    visit(s, "")
    return problems


@cache
def _fields_to_check(model: type[BaseModel]) -> tuple[
        tuple[str, IdKind | None, tuple[IdKind, ...], bool], ...]:
    """The fields of a model that hold ids or lead to a model with such fields, each as
    (name, refers, keys, whether ids stand inside): :func:`unknown_ids` skips the others
    (the numbers and notes that make up most of a large scenario)."""
    found = []
    for name, field in model.model_fields.items():
        refers, keys = declared_names(field)
        inside = any(_fields_to_check(m) for m in _models_in(field.annotation))
        if refers is not None or keys or inside:
            found.append((name, refers, keys, inside))
    return tuple(found)


def _models_in(annotation: object) -> Iterator[type[BaseModel]]:
    """The pydantic models a field's type names, through lists, mappings, unions and
    ``Annotated``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for part in get_args(annotation):
        yield from _models_in(part)


def _check_mechanisms(s: Scenario, add: Callable[[Problem], None],
                      unscaled: set[str]) -> None:
    """Verification, links, rules, walk-away points and stakes (docs/scenario-format.md).

    Beyond ranges (unknown ids are :func:`unknown_ids`'s), the checks keep every interaction
    between issues a pair term (a function of two issues' values), which keeps the package
    search exact (docs/settle.md, Search with pair terms): an issue is verified by at most
    one issue, a verifying issue is not itself verified, and a link's dependent issue is not
    verified. No value is checked against the scale of an issue in ``unscaled`` (refused).
    """
    issues = {i.id: i for i in s.issues}
    verified_by: dict[str, str] = {}
    verifying = {i.id for i in s.issues if i.verifies is not None}

    def in_scale(loc: str, iid: str, value: float) -> None:
        lo, hi = issues[iid].scale.low, issues[iid].scale.high
        if iid not in unscaled and not lo <= value <= hi:
            add(Problem(loc, f"{as_written(value)} is outside the scale of {iid} "
                        f"({as_written(lo)} to {as_written(hi)})",
                        f"use a value from {as_written(lo)} to {as_written(hi)}"))

    def unit(loc: str, m: Measure, what: str) -> None:
        _check_range(loc, m, (0.0, 1.0), add, lambda v: f"{what} {as_written(v)} is outside 0-1",
                     f"give the {what} as a share from 0 to 1")
        certain(loc, m)

    def certain(loc: str, m: Measure) -> None:
        # `detente sample` draws only capability, position, salience, status quo and trust:
        # a spread given here would be ignored without a word.
        if m.has_spread:
            add(Problem(loc, "a spread (low/high/sd/distribution) is not sampled here yet",
                        "give a plain number (with a note on its uncertainty)"))

    for issue in s.issues:
        ver = issue.verifies
        if ver is None:
            continue
        loc = f"issues.{issue.id}.verifies"
        for iid in ver.issues:
            if iid not in issues:
                continue
            if iid == issue.id:
                add(Problem(f"{loc}.issues", f"{iid} cannot verify itself",
                            "name the issues whose promises this issue verifies"))
            elif iid in verifying:
                add(Problem(f"{loc}.issues", f"{iid} verifies other issues, so it cannot be "
                            "verified itself (the model keeps credibility one level deep)",
                            f"remove {iid} from this list"))
            elif iid in verified_by:
                add(Problem(f"{loc}.issues", f"{iid} is already verified by "
                            f"{verified_by[iid]}", f"let one issue verify {iid}"))
            else:
                verified_by[iid] = issue.id
        in_scale(f"{loc}.full_at", issue.id, ver.full_at)
        none_at = ver.none_at if ver.none_at is not None else issue.status_quo.value
        if ver.none_at is not None:
            in_scale(f"{loc}.none_at", issue.id, ver.none_at)
        if abs(ver.full_at - none_at) <= 0:
            add(Problem(f"{loc}.full_at", f"full_at ({as_written(ver.full_at)}) equals none_at "
                        f"({as_written(none_at)}, the status quo unless given)",
                        "set full_at to the value of the most intrusive regime"))
        unit(f"{loc}.strength", ver.strength, "strength")
        previous = -math.inf
        for b, band in enumerate(ver.verifiers):
            bloc = f"{loc}.verifiers[{b}]"
            if band.up_to <= previous:
                add(Problem(f"{bloc}.up_to", f"bands must ascend: {as_written(band.up_to)} "
                            f"follows {as_written(previous)}",
                            "list the bands from the scale's low end up"))
            previous = band.up_to
        if previous < issue.scale.high and issue.id not in unscaled:
            add(Problem(f"{loc}.verifiers", f"the last band ends at {as_written(previous)}, "
                        f"below the scale's high end ({as_written(issue.scale.high)})",
                        f"let the last band's up_to be {as_written(issue.scale.high)}"))

    linked: set[tuple[str, str]] = set()
    for n, link in enumerate(s.links):
        loc = f"links[{n}]"
        if (link.actor, link.issue) in linked:
            add(Problem(loc, f"{link.actor} already links {link.issue} to another issue",
                        "give each actor at most one link per issue (the gain would depend "
                        "on three issues at once)"))
        linked.add((link.actor, link.issue))
        ok = link.issue in issues
        if link.needs in issues:
            in_scale(f"{loc}.target", link.needs, link.target)
            if abs(link.target - issues[link.needs].status_quo.value) <= 0:
                add(Problem(f"{loc}.target", f"the target equals {link.needs}'s status quo, "
                            "so the condition is always met", "give the value the actor "
                            f"needs {link.needs} to reach"))
            if ok and link.needs == link.issue:
                add(Problem(f"{loc}.needs", "an issue cannot be linked to itself",
                            "name another issue"))
        if ok and link.issue in verified_by:
            add(Problem(f"{loc}.issue", f"{link.issue} is verified by "
                        f"{verified_by[link.issue]}; a linked issue cannot be verified (the "
                        "gain would depend on three issues at once)",
                        "link the verifying issue instead, or drop the link"))
        unit(f"{loc}.weight", link.weight, "weight")

    for n, rule in enumerate(s.rules):
        for part, cond in (("when", rule.when), ("then", rule.then)):
            loc = f"rules[{n}].{part}"
            if (cond.at_least is None) == (cond.at_most is None):
                # The example in this scenario's ids: korea-2017's NUC is unknown elsewhere.
                bounded = issues.get(cond.issue, s.issues[0])
                middle = as_written((bounded.scale.low + bounded.scale.high) / 2)
                add(Problem(loc, "give exactly one of at_least and at_most",
                            f"e.g. {{issue: {bounded.id}, at_most: {middle}}}"))
            if cond.issue in issues:
                for bound in (cond.at_least, cond.at_most):
                    if bound is not None:
                        in_scale(loc, cond.issue, bound)
        if rule.when.issue == rule.then.issue:
            add(Problem(f"rules[{n}]", "a rule needs two different issues",
                        "a bound on one issue is an issue option (issues.ID.options)"))

    for actor in s.actors:
        walk = actor.walk_away
        if walk is None:
            continue
        loc = f"actors.{actor.id}.walk_away"
        if (walk.package is None) == (walk.utility is None):
            add(Problem(loc, "give exactly one of package and utility",
                        "e.g. {package: P0} or {utility: -30}"))
        if walk.utility is not None and not -100.0 <= walk.utility <= 0.0:
            add(Problem(f"{loc}.utility", f"utility {as_written(walk.utility)} is outside -100..0",
                        "utility points run from -100 (every issue at the far end) to 0"))

    for g, row in s.stakes.items():
        if g not in s.actor_ids:
            continue
        for iid, stake in row.items():
            loc = f"stakes.{g}.{iid}"
            if iid not in issues:
                continue
            for what, m in (("cost", stake.cost), ("outside_gain", stake.outside_gain)):
                def outside(v: float, w: str = what) -> str:
                    return f"{w} {as_written(v)} is outside 0-100 utility points"

                _check_range(f"{loc}.{what}", m, (0.0, 100.0), add, outside,
                             "utility points run from 0 to 100")
                certain(f"{loc}.{what}", m)
            named = set(issues[iid].guarantors) | {x for p in s.packages
                                                   for x in p.guarantors.get(iid, [])}
            if g not in named:
                add(Problem(loc, f"{g} guarantees {iid} nowhere (not in the issue's or a "
                            "package's guarantors)", f"add {g} to issues.{iid}.guarantors, "
                            "or remove the stake"))


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
        add(Problem(loc, f"low ({as_written(m.low)}) is above high ({as_written(m.high)})",
                    "swap low and high"))
    elif (m.low is not None and m.value < m.low) or (m.high is not None and m.value > m.high):
        add(Problem(loc, f"value {as_written(m.value)} lies outside its own low/high range",
                    "make low <= value <= high"))
    elif (problem := distribution_problem(m, natural)) is not None:
        add(Problem(loc, *problem))


def distribution_problem(m: Measure, natural: tuple[float, float]) -> tuple[str, str] | None:
    """What is wrong with a number's distribution spec, as (message, fix); None if fine.

    ``natural`` is the range the quantity can take (``inf`` where unbounded); a missing
    ``low`` or ``high`` defaults to it. See docs/uncertainty.md.
    """
    if not m.has_spread:
        return None
    kind = m.kind
    if kind == "discrete":
        return _discrete_problem(m, natural)
    if m.points is not None or m.weights is not None:
        return (f"points and weights are only used by a discrete distribution, not by {kind}",
                "remove points and weights, or write distribution: discrete")
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


def _discrete_problem(m: Measure, natural: tuple[float, float]) -> tuple[str, str] | None:
    """What is wrong with a discrete spec (``points`` with optional ``weights``)."""
    if not m.points:
        return ("a discrete distribution needs points (the values it takes)",
                "add points: [a, b, ...] and, optionally, weights: [...] of the same length")
    unused = [name for name in ("low", "high", "sd") if getattr(m, name) is not None]
    if unused:
        verb = "is" if len(unused) == 1 else "are"
        return (f"{' and '.join(unused)} {verb} not used by a discrete distribution",
                f"remove {' and '.join(unused)}; the points are the values drawn")
    low, high = natural
    outside = [p for p in m.points if not low <= p <= high]
    if outside:
        return (f"point {as_written(outside[0])} is outside {as_written(low)} to "
                f"{as_written(high)}", "keep every point within the quantity's range")
    if m.weights is not None:
        if len(m.weights) != len(m.points):
            return (f"{len(m.weights)} weights for {len(m.points)} points",
                    "give one weight per point, or leave weights out (equal weights)")
        if any(not w > 0 for w in m.weights):
            return ("every weight must be above 0", "remove a point of weight 0, or raise it")
    return None
