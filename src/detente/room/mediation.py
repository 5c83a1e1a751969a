"""Mediation: the skeleton a mediator opens, each party's private numbers, the proposal.

A party's numbers are checked by the scenario loader itself (its messages and places, e.g.
``stances.US.NUC.salience``), then the room assembles every party's numbers into one
private scenario and asks detente's settlement search for the package: the best Nash
product (or the max-min package) among those every party prefers to its walk-away point.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import math
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import numpy as np

from detente.analyses.options import SETTLEMENT
from detente.analyses.spec import Option
from detente.arrays import Arrays
from detente.errors import (
    OptionError,
    Problem,
    ScenarioError,
    as_written,
    given_inside,
    option_text,
)
from detente.render import and_list
from detente.room.given import BY_REQUEST, OpeningGiven
from detente.scenario import Mechanisms, Scenario, compile_mechanisms, scenario_from_mapping
from detente.scenario.compile import RuleSpec
from detente.settlement import (
    SettlementProblem,
    UtilitySettings,
    best_packages,
    build_table,
    zone_exists,
)
from detente.settlement.mechanisms import package_allowed, rule_allows, within
from detente.settlement.search import SearchTooLarge, check_brute_force

#: How the room picks its proposal among the packages every party accepts.
OBJECTIVE = Option("objective", str, "nash", "Which package the room proposes: the best "
                   "Nash product (nash) or the one whose worst-off party gains most (maxmin).",
                   choices=("nash", "maxmin"))
#: The room's options: the settlement options as declared for every package search, plus
#: the objective. Nothing here repeats a default or a bound of the registry.
ROOM_OPTIONS: tuple[Option, ...] = (OBJECTIVE, *SETTLEMENT)


def options_named(in_body: bool) -> AbstractContextManager[None]:
    """Name the room's options in the refusals made in the block as its caller gave them,
    not by settle's flags (``--step``), which no room takes: the items of `detente room
    open`'s ``-O`` (``-O step=5%``), or with ``in_body`` the fields of the HTTP request's
    ``options`` object (``"options": {"step": "5%"}``)."""
    return given_inside("", [o.name for o in ROOM_OPTIONS],
                        "options" if in_body else "option", in_body=in_body)


#: A party's walk-away point: the least gain over the status quo (in utility points, the
#: unit of `detente settle`'s gains) for which it would sign; 0 = any improvement.
WALK_AWAY = Option("walk_away", float, 0.0, "The least gain over the status quo, in utility "
                   "points (0-100), for which you would sign; 0 accepts any improvement.",
                   unit="utility points", low=0.0, high=100.0,
                   label="walk-away point")
#: Gains shown to a party are rounded to this many decimals: enough to compare packages,
#: and a party's screen never carries a long float that might echo another's input.
GAIN_DECIMALS = 2
UTILITY_POINTS = 100.0
SUBMISSION_KEYS = ("stances", "trust", "walk_away")


def check_options(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """The room's options, coerced and checked by their registry declarations."""
    raw = dict(raw or {})
    known = {o.name: o for o in ROOM_OPTIONS}
    problems = [Problem(f"options.{name}", f"unknown room option '{name}'",
                        f"options: {', '.join(known)}") for name in raw if name not in known]
    out: dict[str, Any] = {}
    for option in ROOM_OPTIONS:
        value, found = option.check(raw.get(option.name, option.default))
        problems += [dataclasses.replace(p, location=f"options.{option.name}") for p in found]
        # Stored as JSON with the room: the grid step as written ("10%", or issue units).
        out[option.name] = option.plain(value)
    if problems:
        raise OptionError(problems)
    return out


class SearchRefused(OptionError):
    """The settlement search refused the room's package space (too many packages for the
    room's method): a refusal of the room's options, not of a party's numbers."""


def _refused_search(err: SearchTooLarge, method: str, opened: bool) -> SearchRefused:
    """The search's refusal with a fix in the room's own options: the search's fix names
    settle's --fix and --max-packages, which a room does not take. When the room opens, the
    options are named as its opener gives them (:func:`options_named`). A room's options
    are set when it opens, so an open room's fix is a new room, whichever way its next
    opener gives them: the fix names the options plainly."""
    faster, why = ("bnb", " (exact and usually far faster)") if method == "brute" else \
        ("milp", "")
    if opened:
        fix = f"open a new room with the option method {faster}{why}, or a coarser step"
    else:
        fix = f"use {option_text('method', faster)}{why}, or a coarser {option_text('step')}"
    return SearchRefused([Problem("options.method", p.message, fix) for p in err.problems])


def check_search(scenario: Scenario, options: Mapping[str, Any]) -> None:
    """Refuse, when the room opens, what the settlement search would refuse when it
    proposes, by the search's own checks: a grid step with too many values on an issue
    (building the problem), and brute force over more packages than the search takes
    (counted on the skeleton, where every move is deliverable: a party's trust can only
    take moves off the table). Branch and bound's budget depends on the parties' numbers;
    a proposal it refuses leaves the submissions in place (:func:`propose`)."""
    try:
        problem = SettlementProblem.from_scenario(scenario, options["step"])
    except OptionError as err:
        raise OptionError([dataclasses.replace(p, location="options.step")
                           for p in err.problems]) from None
    if options["method"] == "brute":
        try:
            check_brute_force(build_table(problem))
        except SearchTooLarge as err:
            raise _refused_search(err, options["method"], opened=False) from None


def _nobody_cares(err: ScenarioError, issue_ids: list[str]) -> list[Problem]:
    """The problems of ``err`` other than "nobody cares about issue X".

    A skeleton has no stances yet and a party's row may leave issues out, so that rule of
    the loader is a room-level question here. The loader locates it exactly at
    ``issues.ID`` (its other issue problems are at ``issues.ID.FIELD`` or ``issues[k]``),
    so it is recognised by place, not by wording.
    """
    return [p for p in err.problems if p.location not in {f"issues.{i}" for i in issue_ids}]


def _issue_ids(mapping: Mapping[str, Any]) -> list[str]:
    issues = mapping.get("issues")
    return [i["id"] for i in issues if isinstance(i, dict) and isinstance(i.get("id"), str)] \
        if isinstance(issues, list) else []


def load_skeleton(raw: Any, source: str = "<skeleton>",
                  line_map: dict[tuple[str, ...], int] | None = None) -> Scenario:
    """A skeleton written by a mediator (a scenario without stances), checked by the
    loader with every rule but "somebody cares about each issue"; refusals name
    ``source`` and, from ``line_map``, a file's lines."""
    if not isinstance(raw, Mapping):  # an empty file, a list: the loader's own refusal
        return scenario_from_mapping(raw, source)
    mapping = copy.deepcopy(dict(raw))
    mapping.setdefault("stances", {})
    try:
        return scenario_from_mapping(mapping, source, line_map)
    except ScenarioError as err:
        problems = _nobody_cares(err, _issue_ids(mapping))
        if problems:
            raise ScenarioError(problems, err.source) from None
    # Only the stance rule failed, so every other check passed: build it without it.
    return Scenario.model_validate(mapping)


def skeleton(scenario: Scenario, parties: list[str],
             given: OpeningGiven = BY_REQUEST) -> dict[str, Any]:
    """What a mediation room is opened with: issues (scales, anchors, status quo,
    guarantors, options, what each verifies), actors with their capability, institutions,
    the package rules; no stances, no trust, no packages. Actors that are not parties stay
    as guarantors without a veto.

    Of the scenario's settlement mechanisms (docs/settle.md) the room keeps those that
    belong to the negotiation itself, which every party sees: hard package rules (a
    proposal that breaks one could not be signed) and verification regimes. It leaves out
    those that are one actor's own valuation (links, walk-away points, stakes): a party's
    valuation is what it enters in the room, its walk-away point included. Its refusals
    name the parties as ``given`` does (the request's ``parties``, or ``--party``)."""
    unknown = [p for p in parties if p not in scenario.actor_ids]
    if unknown:
        raise ScenarioError([Problem(given.party_place(parties.index(p)),
                                     f"unknown actor '{p}'",
                                     f"parties are actors of {scenario.id}: "
                                     f"{', '.join(scenario.actor_ids)}") for p in unknown])
    if len(set(parties)) != len(parties) or len(parties) < 2:
        raise ScenarioError([Problem(given.parties_place,
                                     "a room needs at least two different parties",
                                     "name each party once")])
    full = scenario.to_dict()
    actors = []
    for actor in full["actors"]:
        actor = {k: v for k, v in actor.items() if k in ("id", "name", "capability")}
        if isinstance(actor["capability"], dict):  # notes and ranges stay with the file
            actor["capability"] = actor["capability"]["value"]
        actor["veto"] = actor["id"] in parties
        actors.append(actor)
    issues = []
    for issue in full["issues"]:
        issue = {k: v for k, v in issue.items() if k not in ("note", "sources")}
        if "verifies" in issue:
            issue["verifies"] = _bare(issue["verifies"])
        if isinstance(issue["status_quo"], dict):
            issue["status_quo"] = issue["status_quo"]["value"]
        issues.append(issue)
    out = {"id": scenario.id, "title": scenario.title, "issues": issues, "actors": actors,
           "institutions": full.get("institutions", []), "rules": _bare(full.get("rules", [])),
           "stances": {}, "trust": {}}
    if "trust_default" in full:  # the trust of a pair a party leaves out
        out["trust_default"] = full["trust_default"]
    return out


def _bare(value: Any) -> Any:
    """``value`` without its notes and sources, each number as its value: an analyst's note
    on a rule or a verification regime may weigh the parties (how far one trusts the
    verifiers), which the room keeps private."""
    if isinstance(value, list):
        return [_bare(v) for v in value]
    if isinstance(value, dict):
        if "value" in value:  # a number with a note
            return value["value"]
        return {k: _bare(v) for k, v in value.items() if k not in ("note", "source", "sources")}
    return value


def check_submission(skeleton_map: Mapping[str, Any], party: str,
                     payload: Mapping[str, Any]) -> dict[str, Any]:
    """A party's numbers, checked by the scenario loader in the party's own row.

    ``payload``: ``{"stances": {ISSUE: {position, salience}}, "trust": {GUARANTOR: value},
    "walk_away": utility points}``. Problems carry the loader's messages, placed where the
    party wrote the number (``stances.NUC.salience``, ``trust.KP``, ``walk_away``), with
    fixes the party can apply there (:func:`_for_the_party`).
    """
    problems = [Problem(key, f"unknown field '{key}'", f"fields: {', '.join(SUBMISSION_KEYS)}")
                for key in payload if key not in SUBMISSION_KEYS]
    stances = payload.get("stances", {})
    trust = payload.get("trust", {})
    walk_away, found = WALK_AWAY.check(payload.get("walk_away", WALK_AWAY.default))
    # The option's own fix names a command-line flag (--walk-away) that `room submit` does
    # not have: the party sets the field of its submission.
    problems += [dataclasses.replace(
        p, location="walk_away",
        fix=f"write walk_away: {WALK_AWAY.rule()} ({WALK_AWAY.unit} over the status quo; 0 "
            "accepts any improvement), e.g. walk_away: 0") for p in found]
    if not isinstance(stances, dict) or not stances:
        problems.append(Problem("stances", "no stances: give a position and salience for "
                                "each issue you care about", _stances_example(skeleton_map)))
    if not isinstance(trust, dict):
        problems.append(Problem("trust", "trust must map actors and institutions to numbers "
                                "from 0 to 1", _trust_example(skeleton_map, party)))
    if isinstance(stances, dict) and stances and isinstance(trust, dict):
        # Every problem at once: a bad walk-away point must not hide a bad salience.
        mapping = copy.deepcopy(dict(skeleton_map))
        mapping["stances"] = {party: stances}
        mapping["trust"] = {party: trust}
        try:
            scenario_from_mapping(mapping)
        except ScenarioError as err:
            problems += [_for_the_party(p, party, skeleton_map)
                         for p in _nobody_cares(err, _issue_ids(mapping))]
    if problems:
        raise ScenarioError(problems)
    return {"stances": stances, "trust": trust, "walk_away": walk_away}


def issue_scales(scenario_map: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    """Each issue of the room and its scale (the loader's default 0-100 where none is given)."""
    out = {}
    for issue in scenario_map.get("issues", []):
        scale = issue.get("scale") or {}
        out[issue["id"]] = (float(scale.get("low", 0)), float(scale.get("high", 100)))
    return out


def _stances_example(skeleton_map: Mapping[str, Any]) -> str:
    """A stance the party could write, on this room's first issue (mid-scale)."""
    scales = issue_scales(skeleton_map)
    first = next(iter(scales))
    middle = as_written(sum(scales[first]) / 2)
    return (f'e.g. {{"stances": {{"{first}": {{"position": {middle}, "salience": 0.8}}}}}}; '
            f"this room's issues: {', '.join(scales)}")


def _trust_example(skeleton_map: Mapping[str, Any], party: str) -> str:
    """A trust the party could write, in one of this room's other ids (korea-2017's KP is
    unknown in any other room)."""
    others = [str(x.get("id")) for kind in ("actors", "institutions")
              for x in skeleton_map.get(kind) or () if x.get("id") != party]
    return f'e.g. {{"{others[0]}": 0.2}}' if others else "e.g. {}"


def _for_the_party(problem: Problem, party: str, skeleton_map: Mapping[str, Any]) -> Problem:
    """A loader problem in the party's own terms. The loader places it in the room's
    scenario (``stances.US.NUC.position``, ``trust.US.KP``); the party wrote
    ``stances.NUC.position`` and ``trust.KP`` in its submission, so that is where it is
    placed (and where the page and the file's line map find it). A fix that edits the
    room's skeleton (``widen issues.NUC.scale``) is the mediator's to apply, not the
    party's: a position's fix says the allowed range instead."""
    parts = problem.location.split(".")
    if len(parts) >= 2 and parts[0] in ("stances", "trust") and parts[1] == party:
        problem = dataclasses.replace(problem, location=".".join([parts[0], *parts[2:]]))
    return in_room_terms(problem, skeleton_map)


def in_room_terms(problem: Problem, scenario_map: Mapping[str, Any]) -> Problem:
    """A loader problem whose fix edits the room's scenario (``widen issues.NUC.scale``),
    which only the mediator or analyst can do, with the fix a party or expert can apply
    in its own submission instead: a position within the issue's scale in this room."""
    parts = problem.location.split(".")
    if parts[0] != "stances" or "position" not in parts or "issues." not in problem.fix:
        return problem
    scales = issue_scales(scenario_map)
    issue = parts[parts.index("position") - 1]
    if issue not in scales:
        return problem
    low, high = scales[issue]
    return dataclasses.replace(problem, fix=f"give a position from {as_written(low)} to "
                               f"{as_written(high)}, the scale of {issue} in this room")


def assemble(skeleton_map: Mapping[str, Any], submissions: Mapping[str, Mapping[str, Any]]
             ) -> Scenario:
    """The private scenario: the skeleton with every party's stances and trust."""
    mapping = copy.deepcopy(dict(skeleton_map))
    mapping["stances"] = {party: dict(sub["stances"]) for party, sub in submissions.items()}
    mapping["trust"] = {party: dict(sub["trust"]) for party, sub in submissions.items()
                        if sub["trust"]}
    try:
        return scenario_from_mapping(mapping, "<room>")
    except ScenarioError as err:
        # Each row passed the loader alone, so only "nobody cares about issue X" can fail
        # here; saying so would tell the last submitter about the others' saliences. Such
        # an issue changes nobody's gain, and the search keeps it at its status quo (or
        # moves it as little as a package rule requires: search.least_moved).
        if _nobody_cares(err, _issue_ids(mapping)):
            raise
    return Scenario.model_validate(mapping)


@dataclass(frozen=True)
class Proposal:
    """The room's answer for one round: whether a package every party prefers to its
    walk-away point exists, the proposed package (issue units) and each party's gain over
    the status quo (utility points, rounded to :data:`GAIN_DECIMALS`)."""

    zone_exists: bool
    package: dict[str, float] | None
    gains: dict[str, float]
    objective: str


def propose(scenario: Scenario, walk_aways: Mapping[str, float],
            options: Mapping[str, Any]) -> Proposal:
    """Search the packages every party prefers to its walk-away point.

    The walk-away point is the party's disagreement point: the search runs on gains minus
    walk-away (subtracted once per party, on the first issue of the additive gain table), so
    "acceptable" means gain > walk-away and the Nash product is that of the surpluses
    Π (g_a − w_a)^{weight_a} (Nash 1950; the asymmetric form with capability weights, Kalai
    1977). With every walk-away at 0 this is exactly `detente settle`'s zone and best
    package. The search is settle's own (brute force, branch and bound or MILP); a space it
    refuses for the room's method raises :class:`SearchRefused`.
    """
    problem = SettlementProblem.from_scenario(scenario, options["step"])
    settings = UtilitySettings(utility=options["utility"], correlation=options["correlation"],
                               losses=options["losses"])
    table = build_table(problem, settings, options["weighting"])
    shift = np.array([walk_aways.get(a, 0.0) / UTILITY_POINTS for a in problem.actor_ids])
    shifted_gains = table.gains.copy()
    shifted_gains[:, 0, :, :] -= shift
    shifted = dataclasses.replace(table, gains=shifted_gains)
    objective = options["objective"]
    try:
        exists = bool(zone_exists(shifted, options["method"])[0])
        best = best_packages(shifted, objective, 1, method=options["method"])[0] \
            if exists else None
    except SearchTooLarge as err:
        raise _refused_search(err, options["method"], opened=True) from None
    if best is None:
        return Proposal(False, None, {}, objective)
    slots = best.slots[0]
    units = problem.arrays.to_units(table.decode(0, slots[None, :])[0])
    gains = table.package_gains(0, slots[None, :])[0] * UTILITY_POINTS
    if not (np.all(np.isfinite(units)) and np.all(np.isfinite(gains))):
        raise OptionError([Problem("room", "the settlement search returned a number that is "
                                   "not finite", "report this room's options")])
    package = {i: _clean(float(v)) for i, v in zip(problem.issue_ids, units, strict=True)}
    shown = {a: round(float(g), GAIN_DECIMALS) for a, g in zip(problem.actor_ids, gains,
                                                               strict=True)
             if a in walk_aways}
    return Proposal(True, package, shown, objective)


def _clean(value: float) -> float:
    """A grid value in issue units without float noise (0.30000000000000004 -> 0.3)."""
    rounded = round(value, 9)
    return float(int(rounded)) if math.isclose(rounded, round(rounded)) else rounded


def check_bid(skeleton_map: Mapping[str, Any], payload: Mapping[str, Any],
              rules: BidRules | None = None) -> dict[str, list[float]]:
    """A blind offer: ``{"ranges": {ISSUE: [low, high]}}``, one range on every issue's
    scale (an issue a party does not mind gets the whole scale). ``rules``: the skeleton's
    :class:`BidRules`, where the caller has them already (built from it otherwise)."""
    problems = [Problem(key, f"unknown field '{key}'", "a bid has one field: ranges")
                for key in payload if key != "ranges"]
    ranges = payload.get("ranges")
    scales = issue_scales(skeleton_map)
    if not isinstance(ranges, dict):
        example = ", ".join(f'"{issue}": [{as_written(low)}, {as_written(high)}]'
                            for issue, (low, high) in scales.items())
        raise ScenarioError([*problems, Problem("ranges", "ranges must map each issue to "
                                                "[low, high]", f"e.g. {{{example}}}, each "
                                                "range narrowed to what you accept")])
    problems += [Problem(f"ranges.{k}", f"unknown issue '{str(k)[:40]}'",
                         f"issues: {', '.join(scales)}") for k in ranges if k not in scales]
    out: dict[str, list[float]] = {}
    for issue_id, (low, high) in scales.items():
        where = f"ranges.{issue_id}"
        given = ranges.get(issue_id)
        if given is None:
            problems.append(Problem(where, "no range for this issue",
                                    f"give [low, high] within {as_written(low)} to "
                                    f"{as_written(high)} (the whole "
                                    "scale if any value will do)"))
            continue
        if not (isinstance(given, list) and len(given) == 2 and all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in given)):
            problems.append(Problem(where, "a range is two numbers, [low, high]",
                                    f"e.g. [{as_written(low)}, {as_written(high)}]"))
            continue
        a, b = float(given[0]), float(given[1])
        if not (math.isfinite(a) and math.isfinite(b)):
            problems.append(Problem(where, "the range's ends must be finite numbers",
                                    f"use numbers from {as_written(low)} to "
                                    f"{as_written(high)}"))
        elif not (low <= a <= b <= high):
            problems.append(Problem(where, f"[{as_written(a)}, {as_written(b)}] is not a range "
                                    f"inside the scale of {issue_id} ({as_written(low)} to "
                                    f"{as_written(high)})",
                                    "give low <= high, both on the scale"))
        else:
            out[issue_id] = [a, b]
    if problems:
        raise ScenarioError(problems)
    # A bid that no package could close on, whoever else bids, is the bidder's to mend:
    # what blocks it is told from its own ranges alone.
    _, blocked = closing_package(out, rules or BidRules.of(skeleton_map))
    if blocked:
        raise ScenarioError(blocked)
    return out


def _piece_values(low: float, high: float, bounds: list[float],
                  options: list[float] | None) -> list[float]:
    """The values of one issue inside [low, high] that the closing package chooses from.

    The bounds of the package rules on the issue cut the overlap into pieces: each bound,
    and the open stretch between two, over which every rule reads the same. From each piece
    the value nearest the overlap's midpoint: the midpoint itself where it lies there, a
    bound itself, the middle of an open stretch that does not hold the midpoint (its ends
    belong to other pieces); an issue with options only its options (the one nearest the
    midpoint in each piece). A package exists inside the ranges that keeps every rule if
    and only if one of these does."""
    middle = (low + high) / 2
    cuts = sorted({low, high, *(b for b in bounds if low < b < high)})
    pieces = [(cut, cut) for cut in cuts] + list(itertools.pairwise(cuts))
    values = []
    for a, b in pieces:
        if options is not None:
            inside = [o for o in options if (a == b == o) or (a < o < b)]
            if inside:
                values.append(min(inside, key=lambda o: (abs(o - middle), o)))
        elif a == b or a < middle < b:
            values.append(a if a == b else middle)
        else:
            values.append((a + b) / 2)
    return sorted(set(values), key=lambda v: (abs(v - middle), v))


@dataclass(frozen=True)
class BidRules:
    """What a closing package must keep, from the room's skeleton: each issue's scale and
    options, and the package rules (as the settlement search reads them)."""

    issue_ids: tuple[str, ...]
    scales: tuple[tuple[float, float], ...]
    options: tuple[list[float] | None, ...]
    mechanisms: Mechanisms
    arrays: Arrays

    @classmethod
    def of(cls, skeleton_map: Mapping[str, Any]) -> BidRules:
        scenario = load_skeleton(skeleton_map)
        return cls(tuple(scenario.issue_ids),
                   tuple((i.scale.low, i.scale.high) for i in scenario.issues),
                   tuple(sorted(set(i.options)) if i.options else None
                         for i in scenario.issues),
                   compile_mechanisms(scenario), scenario.compile())

    def unit(self, k: int, value: float) -> float:
        low, high = self.scales[k]
        return (value - low) / (high - low)

    def units(self, k: int, values: np.ndarray) -> np.ndarray:
        """:meth:`unit` of a whole column at once (the same arithmetic, element by element)."""
        low, high = self.scales[k]
        return (values - low) / (high - low)

    def rule_bounds(self, k: int) -> list[float]:
        """The bounds the package rules set on issue k, in its units."""
        low, high = self.scales[k]
        issue = self.issue_ids[k]
        ends = [b for r in self.mechanisms.rules
                for b in ([r.when_low, r.when_high] if r.when_issue == issue else [])
                + ([r.then_low, r.then_high] if r.then_issue == issue else [])]
        return [low + b * (high - low) for b in ends if math.isfinite(b)]


def _linked(rules: BidRules) -> list[list[int]]:
    """The issues the package rules tie together, in groups (each issue in one group)."""
    group = list(range(len(rules.issue_ids)))

    def root(k: int) -> int:
        while group[k] != k:
            k = group[k]
        return k

    for r in rules.mechanisms.rules:
        if r.when_issue in rules.issue_ids and r.then_issue in rules.issue_ids:
            group[root(rules.issue_ids.index(r.when_issue))] = root(
                rules.issue_ids.index(r.then_issue))
    groups: dict[int, list[int]] = {}
    for k in range(len(group)):
        groups.setdefault(root(k), []).append(k)
    return list(groups.values())


#: The most combinations of rule-tied issues' values a bid is checked against (every bid,
#: on the server, and the room's closing inside its write lock): a few tenths of a second.
#: Enough for a scenario's rules to tie a dozen issues with two or three values each.
CLOSING_COMBINATIONS = 200_000


def closing_package(ranges: Mapping[str, Sequence[float]], rules: BidRules
                    ) -> tuple[dict[str, float] | None, list[Problem]]:
    """A package inside ``ranges`` (issue -> [low, high]) that keeps every package rule
    and every issue's options: of one candidate value per piece the rules cut (the middle
    of an open stretch, which has no value nearest a bound it leaves out), the combination
    nearest the ranges' midpoints (the sum over issues of the distance as a share of the
    issue's scale; among equals the first in issue order of the smaller values), which is
    not always the nearest rule-keeping package (docs/room.md); None with what blocks it
    where no package inside does."""
    candidates = [_piece_values(ranges[issue][0], ranges[issue][1], rules.rule_bounds(k),
                                rules.options[k])
                  for k, issue in enumerate(rules.issue_ids)]
    blocked = [Problem(f"ranges.{issue}", f"no option of {issue} lies in "
                       f"[{as_written(ranges[issue][0])}, {as_written(ranges[issue][1])}]",
                       f"include one of its options: "
                       f"{', '.join(as_written(o) for o in rules.options[k] or ())}")
               for k, issue in enumerate(rules.issue_ids) if not candidates[k]]
    if blocked:
        return None, blocked
    chosen = [values[0] for values in candidates]
    for issues in _linked(rules):
        ids = {rules.issue_ids[k] for k in issues}
        own = Mechanisms(rules=tuple(r for r in rules.mechanisms.rules
                                     if r.when_issue in ids and r.then_issue in ids))
        if not own.rules:
            continue
        combinations = math.prod(len(candidates[k]) for k in issues)
        if combinations > CLOSING_COMBINATIONS:
            names = [rules.issue_ids[k] for k in issues]
            blocked.append(Problem(
                "ranges", f"the package rules tie {and_list(names)} together: "
                f"{combinations:.3g} combinations of their values inside these ranges, more "
                f"than a bid is checked against ({CLOSING_COMBINATIONS:,})",
                f"narrow the ranges on {and_list(names)} to the values you accept"))
            continue
        grid = np.array(list(itertools.product(*(candidates[k] for k in issues))))
        units = np.zeros((len(grid), len(rules.issue_ids)))
        for column, k in enumerate(issues):
            units[:, k] = rules.units(k, grid[:, column])
        keeps = package_allowed(own, rules.issue_ids, units)
        if not keeps.any():
            # The rules that cannot hold alone, else (a chain of rules) all of the group's.
            blocked += [_blocking(r, ranges, rules) for r in own.rules
                        if not _rule_can_hold(r, candidates, rules)] or \
                [_blocking(r, ranges, rules) for r in own.rules]
            continue
        middles = np.array([sum(ranges[rules.issue_ids[k]]) / 2 for k in issues])
        spans = np.array([rules.scales[k][1] - rules.scales[k][0] for k in issues])
        distance = np.where(keeps, (np.abs(grid - middles) / spans).sum(axis=1), np.inf)
        for column, k in enumerate(issues):
            chosen[k] = float(grid[int(np.argmin(distance)), column])
    if blocked:
        return None, blocked
    return {issue: _clean(v) for issue, v in zip(rules.issue_ids, chosen, strict=True)}, []


def _rule_can_hold(rule: RuleSpec, candidates: list[list[float]], rules: BidRules) -> bool:
    """Whether some values of the rule's two issues among ``candidates`` keep it."""
    w, t = rules.issue_ids.index(rule.when_issue), rules.issue_ids.index(rule.then_issue)
    when = np.array([rules.unit(w, v) for v in candidates[w]])
    then = np.array([rules.unit(t, v) for v in candidates[t]])
    return bool(rule_allows(rule, when[:, None], then[None, :]).any())


def _blocking(rule: RuleSpec, ranges: Mapping[str, Sequence[float]], rules: BidRules
              ) -> Problem:
    """A package rule that no package inside a party's own ranges keeps, with the ranges
    that would let it hold."""
    def given(issue: str) -> str:
        low, high = ranges[issue]
        return f"{issue} [{as_written(low)}, {as_written(high)}]"

    described = rule.describe(rules.arrays)  # "VER ≤ 65 requires NUC ≤ 50"
    when, then = (side.split(" ", 1)[1] for side in described.split(" requires "))
    outside = {"≤": "above", "≥": "below"}[when[0]] + when[1:]
    # On an issue with options only an option is ever chosen: the fix names the options that
    # keep the rule (a value of the range between them would not), and leaves out a side
    # where no option does.
    w, t = rules.issue_ids.index(rule.when_issue), rules.issue_ids.index(rule.then_issue)
    then_options = _options_where(rules, t, True, rule.then_low, rule.then_high)
    when_options = _options_where(rules, w, False, rule.when_low, rule.when_high)
    ways = []
    if then_options is None:
        ways.append(f"ranges.{rule.then_issue} to include a value {then}")
    elif then_options:
        ways.append(f"ranges.{rule.then_issue} to include {_one_of(then_options, then)}")
    if when_options is None:
        ways.append(f"ranges.{rule.when_issue} to include one {outside}")
    elif when_options:
        ways.append(f"ranges.{rule.when_issue} to include {_one_of(when_options, outside)}")
    fix = ("widen " + ", or ".join(ways) if ways else
           f"no bid can keep it: no option of {rule.then_issue} is {then} and none of "
           f"{rule.when_issue} lies {outside}; the room's scenario must change")
    return Problem(f"ranges.{rule.then_issue}",
                   f"no package inside your ranges ({given(rule.when_issue)}, "
                   f"{given(rule.then_issue)}) keeps the package rule \"{described}\"", fix)


def _options_where(rules: BidRules, k: int, inside: bool, low: float, high: float
                   ) -> list[float] | None:
    """Issue k's options inside (or outside) [low, high] (unit scale); None where the issue
    has no options (any value on its scale may be chosen)."""
    options = rules.options[k]
    if options is None:
        return None
    keep = within([rules.unit(k, o) for o in options], low, high) == inside
    return [o for o, kept in zip(options, keep, strict=True) if kept]


def _one_of(options: list[float], where: str) -> str:
    """The options as a fix names them: '0 (its only option ≤ 50)', 'one of its options
    ≤ 50: 0, 25'."""
    written = [as_written(o) for o in options]
    if len(written) == 1:
        return f"{written[0]} (its only option {where})"
    return f"one of its options {where}: {', '.join(written)}"


def crossing(bids: Mapping[str, Mapping[str, list[float]]], rules: BidRules
             ) -> dict[str, float] | None:
    """The closing rule of blind bidding: offers cross when, on every issue, the parties'
    ranges overlap and the overlaps hold a package that keeps every package rule and every
    issue's options; the room then closes on such a package near the midpoints of the
    overlaps (split the difference: the midpoints themselves where they keep the rules,
    :func:`closing_package`). None until then: nobody is told what blocks it, which would
    tell of the others' ranges."""
    overlap = {}
    for issue in rules.issue_ids:
        low = max(b[issue][0] for b in bids.values())
        high = min(b[issue][1] for b in bids.values())
        if low > high:
            return None
        overlap[issue] = [low, high]
    return closing_package(overlap, rules)[0]
