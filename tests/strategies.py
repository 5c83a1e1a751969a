"""Hypothesis strategies for random valid scenarios, as arrays and as Scenario objects."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st

from detente.arrays import Arrays


@st.composite
def arrays_strategy(draw: st.DrawFn, min_actors: int = 2, max_actors: int = 7,
                    max_issues: int = 3) -> Arrays:
    """Random valid arrays: positive capability, salience in (0, 1], positions on the grid.

    Positions are drawn on a 1/20 grid so that ties (and exact median halves) happen often.
    """
    n_actors = draw(st.integers(min_actors, max_actors))
    n_issues = draw(st.integers(1, max_issues))
    unit = st.integers(0, 20).map(lambda k: k / 20)
    position = np.array(draw(st.lists(unit, min_size=n_actors * n_issues,
                                      max_size=n_actors * n_issues))).reshape(n_actors, n_issues)
    salience = np.array(draw(st.lists(st.floats(0.05, 1.0), min_size=n_actors * n_issues,
                                      max_size=n_actors * n_issues))).reshape(n_actors, n_issues)
    capability = np.array(draw(st.lists(st.floats(0.5, 100.0), min_size=n_actors,
                                        max_size=n_actors)))
    status_quo = np.array(draw(st.lists(unit, min_size=n_issues, max_size=n_issues)))
    trust = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n_actors * n_actors,
                                   max_size=n_actors * n_actors))).reshape(n_actors, n_actors)
    np.fill_diagonal(trust, 1.0)
    return Arrays(
        actor_ids=tuple(f"A{k}" for k in range(n_actors)),
        issue_ids=tuple(f"I{k}" for k in range(n_issues)),
        guarantor_ids=tuple(f"A{k}" for k in range(n_actors)),
        capability=capability, position=position, salience=salience, status_quo=status_quo,
        trust=trust, stake=np.ones((n_actors, n_issues), dtype=bool),
        veto=np.ones(n_actors, dtype=bool),
        scale_low=np.zeros(n_issues), scale_high=np.full(n_issues, 100.0),
    )


def add_actor(arrays: Arrays, capability: float, position: np.ndarray,
              salience: np.ndarray) -> Arrays:
    """Append one actor (used for the zero-salience invariance)."""
    n = arrays.n_actors
    trust = np.ones((n + 1, n + 1))
    trust[:n, :n] = arrays.trust[:, :n]
    return arrays.replace(
        actor_ids=(*arrays.actor_ids, f"A{n}"),
        guarantor_ids=(*arrays.actor_ids, f"A{n}"),
        capability=np.append(arrays.capability, capability),
        position=np.vstack([arrays.position, position]),
        salience=np.vstack([arrays.salience, salience]),
        trust=trust,
        stake=np.vstack([arrays.stake, np.ones(arrays.n_issues, dtype=bool)]),
        veto=np.append(arrays.veto, True),
    )


@st.composite
def scenario_dicts(draw: st.DrawFn, max_actors: int = 5, max_issues: int = 3) -> dict:
    """Random valid scenario mappings in the file format (issue scales vary)."""
    n_actors = draw(st.integers(1, max_actors))
    n_issues = draw(st.integers(1, max_issues))
    issues, stances = [], {}
    for k in range(n_issues):
        low = draw(st.integers(-50, 50))
        high = low + draw(st.integers(1, 200))
        issues.append({"id": f"I{k}", "name": f"Issue {k}", "scale": {"low": low, "high": high},
                       "status_quo": draw(st.integers(low, high))})
    actors = [{"id": f"A{a}", "name": f"Actor {a}",
               "capability": draw(st.floats(0.1, 1000.0))} for a in range(n_actors)]
    for a in range(n_actors):
        stances[f"A{a}"] = {}
        for k, issue in enumerate(issues):
            if a == 0 or draw(st.booleans()):
                lo, hi = issue["scale"]["low"], issue["scale"]["high"]
                stances[f"A{a}"][f"I{k}"] = {
                    "position": draw(st.floats(lo, hi)),
                    "salience": draw(st.floats(0.01, 1.0)) if a == 0 else draw(st.floats(0, 1)),
                }
    return {"id": "random", "title": "Random", "issues": issues, "actors": actors,
            "stances": stances}


#: The issue scale and the grid step of :func:`settlement_dicts`: five values per issue, so
#: a scenario of three issues has at most 125 packages and every search is a brute force.
SETTLEMENT_STEP = 25.0
SETTLEMENT_GRID = (0, 25, 50, 75, 100)


@st.composite
def settlement_dicts(draw: st.DrawFn, min_actors: int = 2, max_actors: int = 4,
                     max_issues: int = 3) -> dict[str, Any]:
    """Random small settlement scenarios in the file format: issues on 0..100 with the status
    quo on the :data:`SETTLEMENT_STEP` grid, ideals on a 5-point grid (off the search grid
    too), random guarantors (up to two institutions among them), trust and vetoes (the first
    actor always holds a veto, so there is a party)."""
    n_actors = draw(st.integers(min_actors, max_actors))
    n_issues = draw(st.integers(1, max_issues))
    actor_ids = [f"A{a}" for a in range(n_actors)]
    institution_ids = [f"N{k}" for k in range(draw(st.integers(0, 2)))]
    issues = []
    for k in range(n_issues):
        issue: dict[str, Any] = {"id": f"I{k}", "name": f"Issue {k}",
                                 "scale": {"low": 0, "high": 100},
                                 "status_quo": draw(st.sampled_from(SETTLEMENT_GRID))}
        guarantors = draw(st.lists(st.sampled_from(actor_ids + institution_ids), unique=True,
                                   max_size=2))
        if guarantors:
            issue["guarantors"] = guarantors
        issues.append(issue)
    actors = [{"id": a, "name": f"Actor {a}", "capability": draw(st.floats(0.5, 100.0)),
               "veto": a == "A0" or draw(st.booleans())} for a in actor_ids]
    ideal = st.integers(0, 20).map(lambda k: 5 * k)
    stances = {a: {issue["id"]: {"position": draw(ideal),
                                 "salience": draw(st.floats(0.05, 1.0))}
                   for issue in issues} for a in actor_ids}
    trust: dict[str, dict[str, float]] = {}
    for truster in actor_ids:
        for trusted in actor_ids + institution_ids:
            if trusted != truster and draw(st.booleans()):
                trust.setdefault(truster, {})[trusted] = draw(
                    st.sampled_from([0.0, 0.25, 0.5, 0.9, 1.0]))
    raw = {"id": "random-settlement", "title": "Random settlement", "issues": issues,
           "actors": actors, "stances": stances, "trust": trust}
    if institution_ids:
        raw["institutions"] = [{"id": n, "name": f"Institution {n}"} for n in institution_ids]
    named = draw(st.lists(st.sampled_from([i["id"] for i in issues]), unique=True,
                          max_size=n_issues))
    if named:  # a named package setting some issues, the others at their status quo
        raw["packages"] = [{"id": "P", "name": "A named package",
                            "values": {i: draw(st.sampled_from(SETTLEMENT_GRID))
                                       for i in named}}]
    return raw


@st.composite
def settlement_mechanisms_dicts(draw: st.DrawFn, max_actors: int = 3,
                                max_issues: int = 3) -> dict[str, Any]:
    """:func:`settlement_dicts` with random mechanisms (docs/scenario-format.md, issue 16):
    maybe a verifying issue, links, a package rule, walk-away points and guarantors' stakes,
    kept within the loader's limits (an issue verified by one issue, a verifier not verified,
    one link per actor and issue, a linked issue not verified)."""
    raw = draw(settlement_dicts(max_actors=max_actors, max_issues=max_issues))
    issues = raw["issues"]
    issue_ids = [i["id"] for i in issues]
    actor_ids = [a["id"] for a in raw["actors"]]
    status_quo = {i["id"]: i["status_quo"] for i in issues}
    verified: list[str] = []
    if len(issues) >= 2 and draw(st.booleans()):
        verifier = draw(st.sampled_from(issues))
        others = [i for i in issue_ids if i != verifier["id"]]
        verified = draw(st.lists(st.sampled_from(others), unique=True, min_size=1))
        none_at, full_at = draw(st.lists(st.sampled_from(SETTLEMENT_GRID), unique=True,
                                         min_size=2, max_size=2))
        by = st.lists(st.sampled_from(actor_ids), unique=True, min_size=1, max_size=2)
        bands = [{"up_to": 50, "by": draw(by)}] if draw(st.booleans()) else []
        verifier["verifies"] = {"issues": verified, "none_at": none_at, "full_at": full_at,
                                "strength": draw(st.sampled_from([0.0, 0.5, 1.0])),
                                "verifiers": [*bands, {"up_to": 100, "by": draw(by)}]}
    links = []
    for actor in actor_ids:
        linkable = [i for i in issue_ids if i not in verified]
        if len(issue_ids) >= 2 and linkable and draw(st.booleans()):
            issue = draw(st.sampled_from(linkable))
            needs = draw(st.sampled_from([i for i in issue_ids if i != issue]))
            target = draw(st.sampled_from([v for v in SETTLEMENT_GRID
                                           if v != status_quo[needs]]))
            links.append({"actor": actor, "issue": issue, "needs": needs, "target": target,
                          "weight": draw(st.sampled_from([0.5, 1.0]))})
    if links:
        raw["links"] = links
    if len(issues) >= 2 and draw(st.booleans()):
        when, then = draw(st.permutations(issue_ids))[:2]
        raw["rules"] = [{"when": {"issue": when, draw(st.sampled_from(["at_most", "at_least"])):
                                  draw(st.sampled_from(SETTLEMENT_GRID))},
                         "then": {"issue": then, draw(st.sampled_from(["at_most", "at_least"])):
                                  draw(st.sampled_from(SETTLEMENT_GRID))}}]
    for actor in raw["actors"]:
        if draw(st.integers(0, 3)) == 0:
            actor["walk_away"] = ({"package": "P"} if "packages" in raw and draw(st.booleans())
                                  else {"utility": -draw(st.sampled_from([0, 5, 20]))})
    stakes: dict[str, dict[str, dict[str, float]]] = {}
    for issue in issues:
        for guarantor in issue.get("guarantors", []):
            # stakes are an actor's: an institution does not bargain
            if guarantor in actor_ids and draw(st.booleans()):
                stakes.setdefault(guarantor, {})[issue["id"]] = {
                    "cost": draw(st.sampled_from([0.0, 1.0, 3.0])),
                    "outside_gain": draw(st.sampled_from([0.0, 2.0]))}
    if stakes:
        raw["stakes"] = stakes
    return raw


def reordered(raw: dict[str, Any], actor_order: Sequence[int], issue_order: Sequence[int],
              institution_order: Sequence[int] | None = None) -> dict[str, Any]:
    """The same scenario with its actors, issues and institutions listed in another order
    (every table keyed by id is rewritten in that order too, so no insertion order
    survives)."""
    actors = [raw["actors"][a] for a in actor_order]
    issues = [raw["issues"][k] for k in issue_order]
    listed = raw.get("institutions", [])
    institutions = [listed[n] for n in (institution_order or range(len(listed)))]
    issue_ids = [i["id"] for i in issues]
    actor_ids = [a["id"] for a in actors]
    guarantor_ids = actor_ids + [n["id"] for n in institutions]
    stances = {a: {i: raw["stances"][a][i] for i in issue_ids if i in raw["stances"][a]}
               for a in actor_ids if a in raw["stances"]}
    trust = {a: {b: raw["trust"][a][b] for b in guarantor_ids if b in raw["trust"][a]}
             for a in actor_ids if a in raw.get("trust", {})}
    out = {**copy.deepcopy(raw), "actors": copy.deepcopy(actors),
           "issues": copy.deepcopy(issues), "stances": copy.deepcopy(stances), "trust": trust}
    if institutions:
        out["institutions"] = copy.deepcopy(institutions)
    if "links" in raw:
        out["links"] = sorted(copy.deepcopy(raw["links"]),
                              key=lambda link: actor_ids.index(link["actor"]))
    if "stakes" in raw:
        out["stakes"] = {a: {i: dict(raw["stakes"][a][i]) for i in issue_ids
                             if i in raw["stakes"][a]}
                         for a in actor_ids if a in raw["stakes"]}
    return out


def draw_reordered(data: st.DataObject, raw: dict[str, Any]) -> dict[str, Any]:
    """:func:`reordered` with every order drawn (actors, issues and institutions)."""
    actor_order = data.draw(st.permutations(range(len(raw["actors"]))), label="actor order")
    issue_order = data.draw(st.permutations(range(len(raw["issues"]))), label="issue order")
    institution_order = data.draw(st.permutations(range(len(raw.get("institutions", [])))),
                                  label="institution order")
    return reordered(raw, actor_order, issue_order, institution_order)


def affine_issues(raw: dict[str, Any], factors: Sequence[float], offsets: Sequence[float]
                  ) -> dict[str, Any]:
    """Issue k's numbers mapped by v → factors[k]·v + offsets[k] (factors > 0): the scale,
    the status quo, the options, every position, every named package's value and every point
    of the mechanisms on the scale (verification levels and bands, link targets, rule
    bounds). A grid step maps by the factor alone, so a common step needs a common factor."""
    mapped = copy.deepcopy(raw)
    moves = {issue["id"]: (lambda v, factor=factor, offset=offset: factor * v + offset)
             for issue, factor, offset in zip(mapped["issues"], factors, offsets, strict=True)}
    for issue in mapped["issues"]:
        move = moves[issue["id"]]
        issue["scale"] = {"low": move(issue["scale"]["low"]),
                          "high": move(issue["scale"]["high"])}
        issue["status_quo"] = move(issue["status_quo"])
        if "options" in issue:
            issue["options"] = [move(v) for v in issue["options"]]
        for stance in mapped["stances"].values():
            if issue["id"] in stance:
                stance[issue["id"]]["position"] = move(stance[issue["id"]]["position"])
        for package in mapped.get("packages", []):
            if issue["id"] in package["values"]:
                package["values"][issue["id"]] = move(package["values"][issue["id"]])
        if "verifies" in issue:
            verifies = issue["verifies"]
            verifies["none_at"] = move(verifies["none_at"])
            verifies["full_at"] = move(verifies["full_at"])
            for band in verifies["verifiers"]:
                band["up_to"] = move(band["up_to"])
    for link in mapped.get("links", []):
        link["target"] = moves[link["needs"]](link["target"])
    for rule in mapped.get("rules", []):
        for condition in (rule["when"], rule["then"]):
            for bound in ("at_most", "at_least"):
                if bound in condition:
                    condition[bound] = moves[condition["issue"]](condition[bound])
    return mapped
