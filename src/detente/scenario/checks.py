"""Cross-field checks: everything pydantic's per-field types cannot say."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from detente.errors import Problem, did_you_mean
from detente.scenario.schema import Issue, Measure, Scenario


def _duplicates(ids: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    dups: list[str] = []
    for i in ids:
        if i in seen and i not in dups:
            dups.append(i)
        seen.add(i)
    return dups


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
                            did_you_mean(g, guarantors)))
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
                        did_you_mean(actor_id, actor_ids)))
            continue
        for issue_id, stance in row.items():
            loc = f"stances.{actor_id}.{issue_id}"
            if issue_id not in issues:
                add(Problem(loc, f"unknown issue '{issue_id}'", did_you_mean(issue_id, issue_ids)))
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

    for truster, trust_row in s.trust.items():
        if truster not in actor_ids:
            add(Problem(f"trust.{truster}", f"unknown actor '{truster}'",
                        did_you_mean(truster, actor_ids)))
            continue
        for trusted, m in trust_row.items():
            loc = f"trust.{truster}.{trusted}"
            if trusted not in guarantors:
                add(Problem(loc, f"unknown actor or institution '{trusted}'",
                            did_you_mean(trusted, guarantors)))
            _check_range(loc, m, (0.0, 1.0), add, lambda v: f"trust {v:g} is outside 0-1",
                         "trust is a probability: 0 = no belief, 1 = full belief")

    def check_values(loc: str, values: Mapping[str, Measure],
                     guarantor_map: Mapping[str, list[str]]) -> None:
        for issue_id, m in values.items():
            if issue_id not in issues:
                add(Problem(f"{loc}.values.{issue_id}", f"unknown issue '{issue_id}'",
                            did_you_mean(issue_id, issue_ids)))
            else:
                check_in_scale(f"{loc}.values.{issue_id}", issues[issue_id], m, "value")
        for issue_id, gs in guarantor_map.items():
            if issue_id not in issues:
                add(Problem(f"{loc}.guarantors.{issue_id}", f"unknown issue '{issue_id}'",
                            did_you_mean(issue_id, issue_ids)))
            for g in gs:
                if g not in guarantors:
                    add(Problem(f"{loc}.guarantors.{issue_id}", f"unknown guarantor '{g}'",
                                did_you_mean(g, guarantors)))

    for package in s.packages:
        check_values(f"packages.{package.id}", package.values, package.guarantors)
    for roadmap in s.roadmaps:
        for k, stage in enumerate(roadmap.stages):
            check_values(f"roadmaps.{roadmap.id}.stages[{k}]", stage.values, stage.guarantors)

    for issue_id, outcome in s.outcomes.items():
        if issue_id not in issues:
            add(Problem(f"outcomes.{issue_id}", f"unknown issue '{issue_id}'",
                        did_you_mean(issue_id, issue_ids)))
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


