"""Small hand-made and random settlement problems for the settlement tests, the itertools
reference they are checked against, and the checks more than one test file runs (on plain
problems and on problems with mechanisms)."""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from detente.arrays import Arrays
from detente.scenario import scenario_from_mapping
from detente.scenario.compile import (
    LinkSpec,
    Mechanisms,
    RuleSpec,
    VerificationSpec,
    WalkAwaySpec,
)
from detente.settlement import analyse_packages, milp, search
from detente.settlement.persuasion import GRID, WALK_AWAY_GRID, persuade
from detente.settlement.problem import NamedPackage, SettlementProblem
from detente.settlement.utility import UtilitySettings
from detente.settlement.zone import frontier, issue_ranges


def two_by_two(trust_b: float = 1.0, guarantor: str | None = None):
    """Two actors, two issues, worked by hand in tests/test_settlement.py."""
    issue_x = {"id": "X", "name": "x", "status_quo": 50}
    if guarantor:
        issue_x["guarantors"] = [guarantor]
    raw = {
        "id": "hand", "title": "hand case",
        "issues": [issue_x, {"id": "Y", "name": "y", "status_quo": 50}],
        "actors": [{"id": "A", "name": "a", "capability": 1},
                   {"id": "B", "name": "b", "capability": 1}],
        "stances": {"A": {"X": {"position": 100, "salience": 0.5},
                          "Y": {"position": 0, "salience": 0.5}},
                    "B": {"X": {"position": 0, "salience": 0.25},
                          "Y": {"position": 100, "salience": 0.75}}},
        "trust": {"A": {"B": trust_b}},
        "packages": [{"id": "DEAL", "name": "deal", "values": {"X": 100, "Y": 80}}],
    }
    return scenario_from_mapping(raw)


def one_issue_walk_away():
    """One issue 0..100 at 50, quadratic loss: A wants 0 and walks away at -40 utility
    points, B wants 40 and states no walk-away point (worked by hand in
    tests/test_numbers_shown.py::test_the_share_by_hand)."""
    return scenario_from_mapping({
        "id": "one", "title": "one issue",
        "issues": [{"id": "X", "name": "x", "status_quo": 50}],
        "actors": [{"id": "A", "name": "a", "capability": 1, "walk_away": {"utility": -40}},
                   {"id": "B", "name": "b", "capability": 1}],
        "stances": {"A": {"X": {"position": 0, "salience": 1}},
                    "B": {"X": {"position": 40, "salience": 1}}}})


def tied_final_gain_scenario() -> dict[str, Any]:
    """A roadmap case in the file format that the property test of roadmaps under reordering
    found (shrunk by hypothesis): three issues on 0..100 at their status quo 0, only I0
    guaranteed (by A2, which A1 trusts 0.25; every other trust 1), two equal veto players
    A0 and A1. With patience 0.5 every 2-stage roadmap to (25, 25, 25) has A1's final gain
    (0.227 utility points) as its smallest final gain, below the best roadmap's smallest
    checkpoint margin (0.5): the search once ranked them all tied at that final gain."""
    stance = {"A0": [(0, 0.5), (25, 1.0), (15, 1.0)], "A1": [(25, 1.0), (0, 0.75), (20, 1.0)],
              "A2": [(0, 1.0), (0, 1.0), (0, 1.0)]}
    return {"id": "tie", "title": "tied roadmaps",
            "issues": [{"id": f"I{k}", "name": f"Issue {k}", "status_quo": 0,
                        **({"guarantors": ["A2"]} if k == 0 else {})} for k in range(3)],
            "actors": [{"id": a, "name": a, "capability": 1.0, "veto": a != "A2"}
                       for a in stance],
            "stances": {a: {f"I{k}": {"position": p, "salience": s}
                            for k, (p, s) in enumerate(rows)} for a, rows in stance.items()},
            "trust": {"A1": {"A2": 0.25}}}


def mechanism_tie_scenario() -> dict[str, Any]:
    """Three issues, a verifier V of A, a link, a package rule (V ≥ 60 requires A ≥ 60), a
    walk-away point and a stake. Every 2-stage roadmap (step 20) to the best final holds
    with X's margin, +0.21, the same at every checkpoint of every roadmap to it, as its
    smallest; with V at its status quo 100 the rule asks A ≥ 60, past where X alone accepts
    (A ≥ 50 on the 0.1 % scan)."""
    def stance(position: float, salience: float) -> dict[str, float]:
        return {"position": position, "salience": salience}

    return {
        "id": "t3", "title": "mech",
        "issues": [
            {"id": "A", "name": "A", "status_quo": 80, "guarantors": ["X"]},
            {"id": "B", "name": "B", "status_quo": 20, "guarantors": ["Y"]},
            {"id": "V", "name": "V", "status_quo": 100, "guarantors": ["X"],
             "verifies": {"issues": ["A"], "full_at": 0, "none_at": 100, "strength": 0.6,
                          "verifiers": [{"up_to": 50, "by": ["I"]},
                                        {"up_to": 100, "by": ["Z"]}]}}],
        "institutions": [{"id": "I", "name": "Inspectors"}],
        "actors": [{"id": "X", "name": "X", "capability": 1},
                   {"id": "Y", "name": "Y", "capability": 2},
                   {"id": "Z", "name": "Z", "capability": 1, "walk_away": {"utility": -20}}],
        "stances": {"X": {"A": stance(100, 0.5), "B": stance(100, 0.9), "V": stance(100, 0.3)},
                    "Y": {"A": stance(0, 0.9), "B": stance(0, 0.4), "V": stance(0, 0.5)},
                    "Z": {"A": stance(40, 0.5), "B": stance(60, 0.5)}},
        "trust": {"X": {"Y": 0.3, "Z": 0.5, "I": 0.6}, "Y": {"X": 0.2, "Z": 0.5, "I": 0.9},
                  "Z": {"X": 0.5, "Y": 0.5, "I": 0.5}},
        "links": [{"actor": "Y", "issue": "B", "needs": "A", "target": 40, "weight": 1}],
        "rules": [{"when": {"issue": "V", "at_least": 60},
                   "then": {"issue": "A", "at_least": 60}}],
        "stakes": {"Y": {"B": {"cost": 1.0, "outside_gain": 0.5}}},
    }


def every_roadmap_tied_scenario() -> dict[str, Any]:
    """A case the property test of roadmaps under reordering found (the explore profile):
    one party, A0, which believes every move (no trust given: full trust), so with
    patience 1 under ``reverse`` its margin at every checkpoint is its final gain and all
    the 2-stage roadmaps (step 25) to a final tie at every margin; more of them than the
    search keeps for its tie-break."""
    def stance(position: float, salience: float) -> dict[str, float]:
        return {"position": position, "salience": salience}

    def issue(k: int, status_quo: float, **more: Any) -> dict[str, Any]:
        return {"id": f"I{k}", "name": f"Issue {k}", "scale": {"low": 0, "high": 100},
                "status_quo": status_quo, **more}

    return {
        "id": "random-settlement", "title": "Random settlement",
        "issues": [issue(0, 100), issue(1, 0), issue(2, 0, guarantors=["N0", "A0"])],
        "actors": [{"id": "A0", "name": "Actor A0", "capability": 1.0, "veto": True,
                    "walk_away": {"utility": -20}},
                   {"id": "A1", "name": "Actor A1", "capability": 1.0, "veto": False,
                    "walk_away": {"utility": 0}},
                   {"id": "A2", "name": "Actor A2", "capability": 1.0, "veto": False}],
        "stances": {
            "A0": {"I0": stance(0, 0.8125), "I1": stance(0, 0.59765625),
                   "I2": stance(95, 0.71875)},
            "A1": {"I0": stance(0, 1.0), "I1": stance(0, 0.5), "I2": stance(0, 1.0)},
            "A2": {"I0": stance(0, 1.0), "I1": stance(0, 0.8671875),
                   "I2": stance(0, 0.376953125)}},
        "trust": {},
        "institutions": [{"id": "N0", "name": "Institution N0"},
                         {"id": "N1", "name": "Institution N1"}],
        "links": [{"actor": "A1", "issue": "I0", "needs": "I1", "target": 25, "weight": 0.5},
                  {"actor": "A2", "issue": "I0", "needs": "I1", "target": 25, "weight": 0.5}],
        "rules": [{"when": {"issue": "I0", "at_most": 0}, "then": {"issue": "I1", "at_most": 0}}],
    }


def final_outside_zone_scenario() -> dict[str, Any]:
    """A roadmap case in the file format whose final (X 100, Y 100; package P) is outside the
    zone although the roadmap "X first, then Y" holds at both checkpoints under patience
    0.5. X (B delivers, A trusts B .5) and Y (A's own move) go from 0 to 100; A wants X
    (shares .625, .375 of loss on Y), B wants Y (1/6 of loss on X, 5/6 of gain on Y). X
    first, then Y: A's margins .5·.625 − .5·.375 = .125 and .625 − .375 = .25, B's −1/6 +
    .5·5/6 = .25 and 2/3, all > 0; but A's final gain, .5·.625 − .375 = −.0625, is not. Y
    first: A −.375 + .5·.5·.625 = −.21875 at checkpoint 1."""
    return {"id": "zone", "title": "a final outside the zone",
            "issues": [{"id": "X", "name": "X", "status_quo": 0, "guarantors": ["B"]},
                       {"id": "Y", "name": "Y", "status_quo": 0, "guarantors": ["A"]}],
            "actors": [{"id": a, "name": a, "capability": 1.0, "veto": True} for a in "AB"],
            "stances": {"A": {"X": {"position": 100, "salience": 1.0},
                              "Y": {"position": 0, "salience": 0.6}},
                        "B": {"X": {"position": 0, "salience": 0.2},
                              "Y": {"position": 100, "salience": 1.0}}},
            "trust": {"A": {"B": 0.5}},
            "packages": [{"id": "P", "name": "both", "values": {"X": 100, "Y": 100}}]}


@st.composite
def random_problems(draw: st.DrawFn, batch: int | None = None, max_actors: int = 5,
                    max_issues: int = 5, max_options: int = 5) -> SettlementProblem:
    """A random settlement problem with random guarantors, trust and candidate values."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n_actors = draw(st.integers(2, max_actors))
    n_issues = draw(st.integers(1, max_issues))
    lead = () if batch is None else (batch,)
    grid = np.linspace(0, 1, 11)
    arrays = Arrays(
        actor_ids=tuple(f"A{k}" for k in range(n_actors)),
        issue_ids=tuple(f"I{k}" for k in range(n_issues)),
        guarantor_ids=(*(f"A{k}" for k in range(n_actors)), "INST"),
        capability=rng.uniform(0.5, 100, (*lead, n_actors)),
        position=rng.choice(grid, (*lead, n_actors, n_issues)),
        salience=rng.uniform(0.05, 1, (*lead, n_actors, n_issues)),
        status_quo=rng.choice(grid, (*lead, n_issues)),
        trust=np.where(rng.random((*lead, n_actors, n_actors + 1)) < 0.3, 1.0,
                       rng.random((*lead, n_actors, n_actors + 1))),
        stake=np.ones((n_actors, n_issues), dtype=bool),
        veto=rng.random(n_actors) < 0.8,
        scale_low=np.zeros(n_issues), scale_high=np.full(n_issues, 100.0),
    )
    names = [*arrays.actor_ids, "INST"]
    guarantors = tuple(
        None if rng.random() < 0.3 else
        tuple(g for g in names if rng.random() < 0.4)
        for _ in range(n_issues))
    candidates = tuple(
        tuple(float(v) for v in sorted(set(rng.choice(np.arange(0, 101, 10),
                                                      draw(st.integers(1, max_options))))))
        for _ in range(n_issues))
    keep = tuple(bool(rng.random() < 0.9) for _ in range(n_issues))
    return SettlementProblem(scenario_id="random", arrays=arrays, issue_guarantors=guarantors,
                             candidates=candidates, keep_status_quo=keep,
                             steps=tuple(None for _ in range(n_issues)))


# ---------------------------------------------------------------------------------------
# An independent reference: plain Python and itertools, written from the formulas in
# docs/settle.md (The model), sharing no code with detente.settlement.search or .utility,
# so that a bug common to brute force and branch and bound cannot hide.
# ---------------------------------------------------------------------------------------

TOLERANCE = 1e-9  # docs/settle.md, Zone of agreement: a party gains when g_a > 10⁻⁹


@st.composite
def random_mechanisms_problems(draw: st.DrawFn, batch: int | None = None, max_actors: int = 4,
                               max_issues: int = 4, max_options: int = 4
                               ) -> SettlementProblem:
    """A random problem (:func:`random_problems`) with random verification, links, package
    rules, walk-away points and guarantors' stakes, each kept to the scenario checks' limits
    (an issue verified by one issue, no verifier verified, one link per actor and issue,
    a linked issue not verified)."""
    problem = draw(random_problems(batch=batch, max_actors=max_actors, max_issues=max_issues,
                                   max_options=max_options))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    ar = problem.arrays
    issues, actors = list(ar.issue_ids), list(ar.actor_ids)
    names = list(ar.guarantor_ids)
    grid = np.linspace(0, 1, 11)
    verifications: list[VerificationSpec] = []
    verified: set[str] = set()
    if len(issues) >= 2 and rng.random() < 0.7:
        v = issues[int(rng.integers(len(issues)))]
        others = [i for i in issues if i != v]
        chosen = tuple(i for i in others if rng.random() < 0.7) or (others[0],)
        verified = set(chosen)
        none_at, full_at = rng.choice(grid, 2, replace=False)
        ups = [*sorted(set(rng.choice(grid[1:-1], int(rng.integers(0, 3))).tolist())), 1.0]
        bands = tuple((float(u), tuple(g for g in names if rng.random() < 0.5) or (names[0],))
                      for u in ups)
        verifications.append(VerificationSpec(v, chosen, float(none_at), float(full_at),
                                              float(rng.choice([0.0, 0.5, 1.0, rng.random()])),
                                              bands))
    links = []
    q = ar.status_quo.reshape(-1, len(issues))[0]
    for a in actors:
        for j in issues:
            if j in verified or rng.random() > 0.3 or len(issues) < 2:
                continue
            k = rng.choice([i for i in issues if i != j])
            target = float(rng.choice([t for t in grid
                                       if abs(t - q[issues.index(k)]) > 1e-9]))
            links.append(LinkSpec(a, j, str(k), target, float(rng.choice([1.0, rng.random()]))))
    rules = []
    for _ in range(int(rng.integers(0, 3)) if len(issues) >= 2 else 0):
        w, t = rng.choice(issues, 2, replace=False)
        lw, lt = rng.choice(grid, 2)
        rules.append(RuleSpec(str(w), *((float(lw), math.inf) if rng.random() < 0.5
                                        else (-math.inf, float(lw))),
                              str(t), *((float(lt), math.inf) if rng.random() < 0.5
                                        else (-math.inf, float(lt)))))
    walk = []
    for a in actors:
        r = rng.random()
        if r < 0.1:
            walk.append((a, WalkAwaySpec(utility=float(-rng.uniform(0, 0.3)))))
        elif r < 0.2:
            walk.append((a, WalkAwaySpec(
                package_id="ALT", values=tuple(float(v) for v in rng.choice(grid, len(issues))
                                               * 100),
                guarantors=tuple(None if rng.random() < 0.3 else
                                 tuple(g for g in names if rng.random() < 0.4)
                                 for _ in issues))))
    stakes = []
    for k, named in enumerate(problem.issue_guarantors):
        for g in named or ():
            if g in actors and rng.random() < 0.5:
                stakes.append((g, issues[k], float(rng.uniform(0, 0.05)),
                               float(rng.uniform(0, 0.05))))
    mech = Mechanisms(tuple(verifications), tuple(links), tuple(rules), tuple(walk),
                      tuple(stakes))
    return problem.replace(mechanisms=mech)


@dataclass(frozen=True)
class Reference:
    """Every package of a problem (unit-scale values) with each actor's gain."""

    packages: list[tuple[float, ...]]
    gains: list[list[float]]
    parties: list[bool]
    weights: list[float]
    status_quo: tuple[float, ...]

    def in_zone(self, g: list[float]) -> bool:
        return all(g[a] > TOLERANCE for a, must in enumerate(self.parties) if must)

    def zone(self) -> list[int]:
        return [r for r, g in enumerate(self.gains) if self.in_zone(g)]

    def log_nash(self, g: list[float]) -> float:
        """log Π_a g_a^{w_a} over the parties (Nash 1950; Kalai 1977 with weights)."""
        return sum(w * math.log(g[a]) for a, w in enumerate(self.weights) if w > 0)

    def min_gain(self, g: list[float]) -> float:
        """The smallest party gain; +inf over no party (as the search defines it)."""
        return min((g[a] for a, must in enumerate(self.parties) if must), default=math.inf)

    def changes(self, r: int) -> int:
        return sum(abs(x - q) > 1e-12 for x, q in zip(self.packages[r], self.status_quo,
                                                       strict=True))


def reference_gains(problem: SettlementProblem, values: Sequence[float], utility: str,
                    correlation: float, losses: str,
                    guarantors: Sequence[Sequence[str] | None] | None = None,
                    walk_away: bool = True) -> list[float]:
    """g_a(x) = Σ_k h[a,k] − r_a with h[a,k] = s̃[a,k]·c[a,k]·(u[a,k](x_k) − u[a,k](q_k)),
    u = −|v − p|^m (m = 2 quadratic, 1 linear), c the credibility of issue k's deliverers
    (independent, correlated or mixed failures); with ``losses="certain"`` a move the actor
    loses from has c = 1. With the problem's mechanisms (docs/settle.md, Verification,
    Linked issues, Guarantors' stakes, Walk-away points): c raised by the verifying issue,
    h scaled by links, stakes added, r_a the walk-away point (0 without one)."""
    ar = problem.arrays
    mech = problem.mechanisms
    named_all = list(problem.issue_guarantors if guarantors is None else guarantors)
    ids = list(ar.issue_ids)
    m = 2.0 if utility == "quadratic" else 1.0
    out = []
    for a in range(ar.n_actors):
        total_salience = sum(float(s) for s in ar.salience[a])
        h = []
        for k in range(ar.n_issues):
            share = float(ar.salience[a, k]) / total_salience if total_salience > 0 else 0.0
            p, q = float(ar.position[a, k]), float(ar.status_quo[k])
            change = -abs(values[k] - p) ** m + abs(q - p) ** m
            c = _credibility(problem, a, k, correlation, named_all[k])
            for spec in mech.verifications:
                if ids[k] not in spec.verified or spec.issue not in ids:
                    continue
                present = [g for g in (named_all[k] or ()) if g in ar.guarantor_ids]
                if named_all[k] is None or not present:
                    continue
                kv = ids.index(spec.issue)
                c_v = _credibility(problem, a, kv, correlation, named_all[kv])

                def regime(v: float, spec: VerificationSpec = spec, a: int = a) -> float:
                    level = min(1.0, max(0.0, (v - spec.none_at) / (spec.full_at
                                                                    - spec.none_at)))
                    band = next((ids_ for up, ids_ in spec.bands if v <= up + 1e-9),
                                spec.bands[-1][1])
                    fail = 1.0
                    for g in band:
                        if g in ar.guarantor_ids:
                            fail *= 1.0 - float(ar.trust[a, list(ar.guarantor_ids).index(g)])
                    return level * (1.0 - fail)

                expected = c_v * regime(values[kv]) + (1 - c_v) * regime(float(
                    ar.status_quo[kv]))
                c = c + (1.0 - c) * spec.strength * expected
            if losses == "certain" and change < 0:
                c = 1.0
            h.append(share * c * change)
        for link in mech.links:
            if ar.actor_ids[a] != link.actor:
                continue
            j, k = ids.index(link.issue), ids.index(link.needs)
            q = float(ar.status_quo[k])
            progress = (min(1.0, max(0.0, (values[k] - q) / (link.target - q)))
                        if abs(link.target - q) > 1e-9 else 1.0)
            h[j] -= link.weight * (1.0 - progress) * max(h[j], 0.0)
        for g, issue, cost, outside in mech.stakes:
            k = ids.index(issue)
            moved = abs(values[k] - float(ar.status_quo[k])) > 1e-9
            if g == ar.actor_ids[a] and moved and g in (named_all[k] or ()):
                h[k] += outside - cost
        total = sum(h)
        if walk_away:
            total -= _walk_away(problem, a, utility, correlation, losses)
        out.append(total)
    return out


def _walk_away(problem: SettlementProblem, a: int, utility: str, correlation: float,
               losses: str) -> float:
    """r_a: a stated package's gain (with its own guarantors), or a utility level minus the
    status quo's utility Σ_k s̃ u(q_k); 0 without a walk-away point."""
    ar = problem.arrays
    for actor, spec in problem.mechanisms.walk_away:
        if actor != ar.actor_ids[a]:
            continue
        if spec.utility is not None:
            m = 2.0 if utility == "quadratic" else 1.0
            total = float(ar.salience[a].sum())
            at_q = sum(-float(ar.salience[a, k]) / total * abs(float(ar.status_quo[k])
                                                               - float(ar.position[a, k])) ** m
                       for k in range(ar.n_issues)) if total > 0 else 0.0
            return spec.utility - at_q
        units = [(v - float(lo)) / (float(hi) - float(lo)) for v, lo, hi in
                 zip(spec.values, ar.scale_low, ar.scale_high, strict=True)]
        return reference_gains(problem, units, utility, correlation, losses,
                               guarantors=spec.guarantors, walk_away=False)[a]
    return 0.0


def _credibility(problem: SettlementProblem, a: int, k: int, correlation: float,
                 named: Sequence[str] | str | None = "scenario") -> float:
    """c_ind = 1 − Π_{g∈D_k}(1 − T[a,g]), c_cor = max_{g∈D_k} T[a,g], c = (1−ρ)c_ind + ρc_cor;
    no guarantors named: 1; named but none left: 0."""
    if named == "scenario":
        named = problem.issue_guarantors[k]
    if named is None:
        return 1.0
    ids = list(problem.arrays.guarantor_ids)
    trust = [float(problem.arrays.trust[a, ids.index(g)]) for g in named if g in ids]
    fail = 1.0
    for t in trust:
        fail *= 1.0 - t
    independent = 1.0 - fail if trust else 0.0
    correlated = max(trust, default=0.0)
    return (1.0 - correlation) * independent + correlation * correlated


def reference_space(problem: SettlementProblem, utility: str = "quadratic",
                    correlation: float = 0.0, losses: str = "discounted",
                    weighting: str = "capability") -> Reference:
    """Every package by itertools.product: each issue takes its candidate values, plus the
    status quo unless fixed; an issue whose moves no actor believes keeps the status quo."""
    ar = problem.arrays
    lists = []
    for k in range(ar.n_issues):
        lo, hi = float(ar.scale_low[k]), float(ar.scale_high[k])
        q = float(ar.status_quo[k])
        values = [(v - lo) / (hi - lo) for v in problem.candidates[k]]
        if problem.keep_status_quo[k]:
            believed = any(_credibility(problem, a, k, correlation) > 0
                           for a in range(ar.n_actors))
            values = [q] + ([v for v in values if abs(v - q) > 1e-12] if believed else [])
        lists.append(values)
    packages = [x for x in itertools.product(*lists)
                if _keeps_rules(problem.mechanisms, ar.issue_ids, x)]
    gains = [reference_gains(problem, x, utility, correlation, losses) for x in packages]
    parties = [bool(ar.veto[a]) and float(ar.salience[a].sum()) > 0
               for a in range(ar.n_actors)]
    raw = [(float(ar.capability[a]) if weighting == "capability" else 1.0) if parties[a]
           else 0.0 for a in range(ar.n_actors)]
    weights = [w / sum(raw) for w in raw] if sum(raw) > 0 else raw
    return Reference(packages, gains, parties, weights,
                     tuple(float(q) for q in ar.status_quo))


def _keeps_rules(mech: Mechanisms, issue_ids: Sequence[str], x: Sequence[float]) -> bool:
    """Every rule: when the first issue is in its interval, the second is in its own."""
    ids = list(issue_ids)
    for r in mech.rules:
        w, t = x[ids.index(r.when_issue)], x[ids.index(r.then_issue)]
        if r.when_low - 1e-9 <= w <= r.when_high + 1e-9 and not (
                r.then_low - 1e-9 <= t <= r.then_high + 1e-9):
            return False
    return True


# ---------------------------------------------------------------------------------------
# Checks against the reference, shared by the files that run them on plain problems
# (test_settlement_search.py, test_zone_persuasion.py) and on problems with mechanisms
# (test_settlement_mechanisms.py, test_mechanisms_surfaces.py).
# ---------------------------------------------------------------------------------------

#: Under ``HYPOTHESIS_PROFILE=explore`` (tests/conftest.py) the reference checks take the
#: profile's count (1000) instead of their own small one: a settings object with its own
#: count overrides the profile, so without this an explore run would sweep no further here.
EXPLORE = os.environ.get("HYPOTHESIS_PROFILE") == "explore"


def _examples(n: int) -> int:
    return settings.default.max_examples if EXPLORE else n  # the loaded profile's count


#: Hypothesis settings of the reference checks: few examples (each enumerates a space).
REFERENCE_SETTINGS = settings(max_examples=_examples(30), deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.data_too_large])
#: ... and of the exact searches against it (test_settlement_search, _mechanisms).
SEARCH_SETTINGS = settings(max_examples=_examples(40), deadline=None,
                           suppress_health_check=[HealthCheck.too_slow])
METHODS = ("bnb", "brute", "auto", "milp")


def rounded_scores(best: Any) -> np.ndarray:
    return np.round(best.score, 9)


def _nash_atol(method: str) -> float:
    """The MILP's Nash packages are certified within NASH_GAP (log Nash product); the
    enumerations are exact up to rounding."""
    return milp.NASH_GAP + 1e-9 if method == "milp" else 1e-9


def check_against_reference(problem: SettlementProblem, utility: str, correlation: float,
                            losses: str, top: int, weighting: str = "capability") -> None:
    """Every method's answers equal the plain itertools enumeration of the documented
    formulas, and every package returned has the gains and the score the formulas give
    it."""
    ref = reference_space(problem, utility, correlation, losses, weighting)
    zone = ref.zone()
    by_nash = sorted((ref.log_nash(ref.gains[r]) for r in zone), reverse=True)[:top]
    # over no party the smallest gain is +inf, which no search reports as a package
    best_min = max((v for r in zone if np.isfinite(v := ref.min_gain(ref.gains[r]))),
                   default=None)
    fewest = min((ref.changes(r) for r in zone), default=None)
    smallest = max((ref.log_nash(ref.gains[r]) for r in zone if ref.changes(r) == fewest),
                   default=None)
    table = search.build_table(problem, UtilitySettings(utility, correlation, losses), weighting)
    for method in METHODS:
        assert bool(search.zone_exists(table, method)[0]) == bool(zone), method
        assert search.zone_size(table, method)[0] == len(zone), method
        nash = search.best_packages(table, "nash", top, method=method)[0]
        np.testing.assert_allclose(nash.score, by_nash, atol=_nash_atol(method),
                                   err_msg=method)
        maxmin = search.best_packages(table, "maxmin", 1, method=method)[0]
        np.testing.assert_allclose(maxmin.score, [] if best_min is None else [best_min],
                                   atol=1e-9, err_msg=method)
        for found, score in ((nash, ref.log_nash), (maxmin, ref.min_gain)):
            for values, gains, claimed in zip(found.values, found.gains, found.score,
                                              strict=True):
                truth = reference_gains(problem, values, utility, correlation, losses)
                np.testing.assert_allclose(gains, truth, atol=1e-12, err_msg=method)
                assert ref.in_zone(truth)
                assert claimed == pytest.approx(score(truth), abs=1e-9)
        accord = search.smallest_accords(table, method)[0]
        assert accord.found == bool(zone), method
        np.testing.assert_allclose(accord.score, [] if smallest is None else [smallest],
                                   atol=_nash_atol(method), err_msg=method)
        moved = (np.abs(accord.values - np.array(ref.status_quo)) > 1e-12).sum(axis=1)
        assert moved.tolist() == ([] if fewest is None else [fewest]), method
    check_milp_zone_ranges(problem, table, ref, utility, correlation, losses)


def check_milp_zone_ranges(problem: SettlementProblem, table: search.GainTable, ref: Reference,
                           utility: str = "quadratic", correlation: float = 0.0,
                           losses: str = "discounted") -> None:
    """:func:`detente.settlement.milp.zone_ranges` gives each issue the smallest and largest
    value of the reference's zone (None where it is empty), and each witness is a package
    of the zone (every rule kept, every party gaining) that attains its extreme."""
    zone = ref.zone()
    found = milp.zone_ranges(table)[0]
    if not zone:
        assert found is None
        return
    assert found is not None
    packages = np.array([ref.packages[r] for r in zone])  # unit-scale values
    np.testing.assert_allclose(found.low, packages.min(axis=0), atol=1e-12)
    np.testing.assert_allclose(found.high, packages.max(axis=0), atol=1e-12)
    for k in range(table.n_issues):
        for slots, value in ((found.low_slots[k], found.low[k]),
                             (found.high_slots[k], found.high[k])):
            values = [float(v) for v in table.decode(0, slots[None])[0]]
            assert _keeps_rules(problem.mechanisms, problem.arrays.issue_ids, values)
            assert ref.in_zone(reference_gains(problem, values, utility, correlation, losses))
            assert values[k] == value


def check_batched_equals_one_at_a_time(problem: SettlementProblem) -> None:
    """The batched branch and bound gives each scenario of the batch what brute force
    gives that scenario alone."""
    table = search.build_table(problem)
    exists = search.zone_exists(table, "bnb")
    sizes = search.zone_size(table, "bnb")
    best = search.best_packages(table, "nash", 2, method="bnb")
    for b in range(table.batch):
        one = table.subset(np.array([b]))
        assert exists[b] == search.brute_force(one)[0][0]
        assert sizes[b] == search.brute_force(one, count=True)[1][0]
        ref = search.best_packages(one, "nash", 2, method="brute")[0]
        np.testing.assert_allclose(rounded_scores(best[b]), rounded_scores(ref), atol=1e-8)


def _dominates(g: list[float], h: list[float], parties: list[bool]) -> bool:
    idx = [a for a, p in enumerate(parties) if p]
    return all(g[a] >= h[a] - 1e-12 for a in idx) and any(g[a] > h[a] + 1e-12 for a in idx)


def check_issue_ranges(problem: SettlementProblem, method: str) -> None:
    """Each issue's range in the zone and in its efficient packages equals the reference's
    (tiny spaces: every acceptable package is listed, so the efficient range is exact)."""
    ref = reference_space(problem)
    zone = ref.zone()
    if not any(ref.parties):
        return
    got = issue_ranges(problem, method=method)  # type: ignore[arg-type]
    efficient = [r for r in zone if not any(
        _dominates(ref.gains[s], ref.gains[r], ref.parties) for s in zone)]
    assert got.efficient_exact
    # On tiny spaces every acceptable package is listed for the efficient range, so every
    # value is witnessed: the group tests that decide the rest are checked on their own,
    # from no witness at all (refuted groups, packages found, groups halved).
    from detente.settlement.zone import _feasible_values

    table = search.build_table(problem)
    alone = _feasible_values(table, set(), method, search.MAX_PACKAGES)  # type: ignore[arg-type]
    for k in range(table.n_issues):
        want_units = {round(ref.packages[r][k], 9) for r in zone}
        have_units = {round(float(table.values[0, k, o]), 9) for kk, o in alone if kk == k}
        assert have_units == want_units
    for k, z in enumerate(got.issues):
        want = {round(ref.packages[r][k] * 100, 6) for r in zone}
        have = {round(v, 6) for v, f in zip(z.values, z.feasible, strict=True) if f}
        assert have == want
        if zone:
            assert z.zone_min == pytest.approx(min(want))
            assert z.zone_max == pytest.approx(max(want))
            eff = [ref.packages[r][k] * 100 for r in efficient]
            assert z.efficient_min == pytest.approx(min(eff))
            assert z.efficient_max == pytest.approx(max(eff))
        else:
            assert z.zone_min is None and z.efficient_min is None


def check_frontier(problem: SettlementProblem) -> None:
    """The frontier of the first two parties lies on the reference's Pareto frontier of
    their gains and reaches both ends (the best for B, the best for A)."""
    ref = reference_space(problem)
    parties = [a for a, p in enumerate(ref.parties) if p]
    if len(parties) < 2:
        return
    ia, ib = parties[:2]
    actors = problem.arrays.actor_ids
    got = frontier(problem, actors[ia], actors[ib], method="brute")
    zone = ref.zone()
    if not zone:
        assert got.points == ()
        return
    cloud = [(ref.gains[r][ia] * 100, ref.gains[r][ib] * 100) for r in zone]
    for x, y in got.points:
        assert any(abs(x - cx) < 1e-7 and abs(y - cy) < 1e-7 for cx, cy in cloud)
        assert not any(cx >= x - 1e-9 and cy >= y - 1e-9 and (cx > x + 1e-7 or cy > y + 1e-7)
                       for cx, cy in cloud)
    assert max(y for _, y in got.points) == pytest.approx(max(cy for _, cy in cloud))
    assert max(x for x, _ in got.points) == pytest.approx(max(cx for cx, _ in cloud))


def _gain(problem: SettlementProblem, values: list[float], actor: int) -> float:
    return reference_gains(problem, values, "quadratic", 0.0, "discounted")[actor]


def _changed(problem: SettlementProblem, kind: str, target: str, b: int, value: float
             ) -> SettlementProblem:
    """The problem with one persuasion lever applied (a position or walk-away point in issue
    units, a salience or a trust)."""
    a = problem.arrays
    if kind == "position":
        pos = a.position.copy()
        pos[b, list(a.issue_ids).index(target)] = value / 100
        return problem.replace(arrays=a.replace(position=pos))
    if kind == "salience":
        sal = a.salience.copy()
        sal[b, list(a.issue_ids).index(target)] = value
        return problem.replace(arrays=a.replace(salience=sal))
    if kind == "walk-away":
        mech = problem.mechanisms
        walk = tuple((x, WalkAwaySpec(utility=value / 100) if x == target else w)
                     for x, w in mech.walk_away)
        return problem.replace(mechanisms=dataclasses.replace(mech, walk_away=walk))
    trust = a.trust.copy()
    trust[b, list(a.guarantor_ids).index(target)] = value
    return problem.replace(arrays=a.replace(trust=trust))


def check_persuasion(problem: SettlementProblem, seed: int) -> None:
    """A random package's persuasion plan, by the reference: its blockers are the parties
    that do not gain; each lever wins its blocker and is the nearest on the grid; the levers
    come smallest first; the plan applied together leaves nobody blocking; broken package
    rules are named."""
    tol = 1e-9
    rng = np.random.default_rng(seed)
    a = problem.arrays
    values = {i: float(rng.choice(np.arange(0, 101, 10))) for i in a.issue_ids}
    package = NamedPackage("X", "random", values, tuple(values))
    problem = problem.replace(packages=(package,))
    analysis = analyse_packages(problem, [package])[0]
    plan = persuade(problem, package, analysis)
    unit = [v / 100 for v in values.values()]
    actors = list(a.actor_ids)
    assert set(plan.blockers) == {x for k, x in enumerate(actors)
                                  if reference_space(problem).parties[k]
                                  and _gain(problem, unit, k) <= tol}
    for lv in plan.levers:
        b = actors.index(lv.actor)
        assert _gain(problem, unit, b) <= tol  # a blocker before
        assert _gain(_changed(problem, lv.kind, lv.target, b, lv.needed), unit, b) > tol
        if lv.kind == "position":  # a grid step nearer the current position does not win
            step = 1.0 / (GRID - 1) * np.sign(lv.current - lv.needed) * 100
            if abs(lv.needed - lv.current) > abs(step) + 1e-9:
                nearer = _changed(problem, lv.kind, lv.target, b, lv.needed + step)
                assert _gain(nearer, unit, b) <= tol
        if lv.kind == "walk-away":  # one grid step higher does not win
            assert lv.needed < lv.current
            higher = _changed(problem, lv.kind, lv.target, b,
                              lv.needed + WALK_AWAY_GRID * 100 * 1.0001)
            assert _gain(higher, unit, b) <= tol + 1e-12
    assert all(x.size <= y.size for x, y in zip(plan.levers, plan.levers[1:], strict=False))
    if not plan.unmovable:
        changed = problem
        for lv in plan.plan:
            changed = _changed(changed, lv.kind, lv.target, actors.index(lv.actor), lv.needed)
        for k, party in enumerate(reference_space(changed).parties):
            if party:
                assert _gain(changed, unit, k) > tol
        assert plan.after == ()
    assert bool(plan.broken_rules) == (not _keeps_rules(problem.mechanisms, a.issue_ids, unit))
