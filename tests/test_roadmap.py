"""Roadmaps: a hand-worked case, equivalences with the settlement analysis, exact search."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import detente
from detente.analyses.settling import _searched_text
from detente.arrays import Arrays
from detente.errors import OptionError, shown_on
from detente.roadmaps import evaluate_stages, issue_paths, roadmap
from detente.roadmaps.api import (
    StagedPlan,
    evaluate_plan,
    minimum_moves,
    most_stages,
    roadmap_values,
    search,
)
from detente.roadmaps.search import search_paths
from detente.scenario import scenario_from_mapping
from detente.scenario.compile import LinkSpec, Mechanisms, VerificationSpec, WalkAwaySpec
from detente.settlement import (
    Guarantees,
    UtilitySettings,
    acceptable,
    analyse_packages,
    parties,
)
from detente.settlement.problem import SettlementProblem
from detente.settlement.search import best_packages, build_table
from detente.settlement.utility import package_gains
from detente.variation import variation_from_options as counterfactual

from .settle_helpers import (
    _credibility,
    _keeps_rules,
    _walk_away,
    final_outside_zone_scenario,
    random_mechanisms_problems,
    random_problems,
    reference_gains,
    tied_final_gain_scenario,
)

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def hand_scenario(trust_a_in_b: float = 0.6, trust_b_in_a: float = 0.9):
    """A gets X moved its way first (B delivers), then concedes Y to B (A delivers)."""
    raw = {
        "id": "hand", "title": "hand roadmap",
        "issues": [{"id": "X", "name": "x", "status_quo": 50, "guarantors": ["B"]},
                   {"id": "Y", "name": "y", "status_quo": 50, "guarantors": ["A"]}],
        "actors": [{"id": "A", "name": "a", "capability": 1},
                   {"id": "B", "name": "b", "capability": 1}],
        "stances": {"A": {"X": {"position": 100, "salience": 0.7},
                          "Y": {"position": 0, "salience": 0.3}},
                    "B": {"X": {"position": 0, "salience": 0.25},
                          "Y": {"position": 100, "salience": 0.75}}},
        "trust": {"A": {"B": trust_a_in_b}, "B": {"A": trust_b_in_a}},
        "roadmaps": [{"id": "R", "name": "X first, then Y",
                      "stages": [{"name": "x", "values": {"X": 60}},
                                 {"name": "y", "values": {"Y": 60}}]}],
    }
    return scenario_from_mapping(raw)


def test_two_actors_two_issues_two_stages_by_hand() -> None:
    # Unit scale, quadratic loss, salience shares A (.7, .3), B (.25, .75).
    # X: .5 -> .6. A: .7 (-(.4)^2 + (.5)^2) = .7 * .09 = .063; B: .25 (-.36 + .25) = -.0275.
    # Y: .5 -> .6. A: .3 (-.36 + .25) = -.033; B: .75 (-.16 + .25) = .0675.
    # A believes X (delivered by B) .6, its own Y 1; B believes its own X 1, Y (by A) .9.
    a_x, b_x, a_y, b_y = .063, -.0275, -.033, .0675
    r = roadmap(hand_scenario(), roadmaps=["R"])
    e = r.baseline.evaluation("R")
    one, two = e.stages
    # Checkpoint 1: nothing banked; E = R = c·(stage 1) + c·(stage 2).
    assert one.banked["A"] == pytest.approx(0.0)
    assert one.expected["A"] == pytest.approx(100 * (.6 * a_x + a_y))  # +0.48
    assert one.expected["B"] == pytest.approx(100 * (b_x + .9 * b_y))  # +3.325
    # Checkpoint 2: stage 1 banked at face value; only Y is still a promise.
    assert two.banked["A"] == pytest.approx(100 * a_x)
    assert two.banked["B"] == pytest.approx(100 * b_x)
    assert two.rest["A"] == pytest.approx(100 * a_y)
    assert two.expected["A"] == pytest.approx(100 * (a_x + a_y))  # +3.0
    assert two.expected["B"] == pytest.approx(100 * (b_x + .9 * b_y))
    assert e.holds  # both stay throughout under "reverse"
    # A has banked X and only its own concession is left: the weak point.
    assert [(w.stage, w.actor) for w in e.weak_points] == [(2, "A")]
    # The final package's settlement gains.
    assert e.final_gains["A"] == pytest.approx(100 * (.6 * a_x + a_y))
    assert e.final_gains["B"] == pytest.approx(100 * (b_x + .9 * b_y))
    # Under "stop" A may keep X and refuse Y: the roadmap breaks at stage 2 for A.
    stop = roadmap(hand_scenario(), roadmaps=["R"], defection="stop").baseline.evaluation("R")
    assert [(b.stage, b.actor) for b in stop.breaks] == [(2, "A")]
    assert stop.breaks[0].margin == pytest.approx(100 * a_y)
    # Patience .5 halves the promise one stage away: A likes the path more, B less.
    slow = roadmap(hand_scenario(), roadmaps=["R"], patience=0.5).baseline.evaluation("R")
    assert slow.stages[0].expected["A"] == pytest.approx(100 * (.6 * a_x + .5 * a_y))
    assert slow.stages[0].expected["B"] == pytest.approx(100 * (b_x + .5 * .9 * b_y))
    # Less trust in B: A would not start (E¹ < 0) and the break is at stage 1.
    wary = roadmap(hand_scenario(trust_a_in_b=.5), roadmaps=["R"]).baseline.evaluation("R")
    assert wary.stages[0].expected["A"] == pytest.approx(100 * (.5 * a_x + a_y))
    assert [(b.stage, b.actor) for b in wary.breaks] == [(1, "A")]


def _unit_settings() -> UtilitySettings:
    return UtilitySettings()


def _nobody_must_agree(problem: SettlementProblem, run: Callable[[], object]) -> bool:
    """Whether no actor must agree (no veto holder with some salience: docs/settle.md,
    *Reservation and veto*). Then ``run`` (a roadmap search) must refuse the problem, as
    settle does: every roadmap would "hold", and each smallest margin or Nash product would
    be one over nobody (+inf, 1), not a number about the problem."""
    if parties(problem.arrays).any():
        return False
    with pytest.raises(OptionError, match="no actor holds a veto"):
        run()
    return True


@SETTINGS
@given(problem=random_problems(max_actors=4, max_issues=3, max_options=4))
def test_one_stage_roadmap_equals_the_settlement_answer(problem: SettlementProblem) -> None:
    settings_ = _unit_settings()
    if _nobody_must_agree(problem, lambda: search(problem, [], 1, settings_, 1.0, "reverse",
                                                  finals=10_000)):
        return  # settle's answer too is a refusal (detente.settle)
    table = build_table(problem, settings_)
    best = best_packages(table, "nash", 1)[0]
    result = search(problem, [], 1, settings_, 1.0, "reverse", finals=10_000)
    # A roadmap moves something: when the best package is the status quo itself (no move
    # anyone can deliver gains anything), no roadmap is found, or one to a package as good.
    stays = best.found and np.array_equal(best.values[0], problem.arrays.status_quo)
    if not best.found or (stays and result.found is None):
        assert result.found is None
        return
    assert result.found is not None
    nash = float(np.exp(best.score[0])) * 100
    assert result.found.final_nash == pytest.approx(nash, rel=1e-9)
    # Its only checkpoint is the settlement's gain of that package.
    gains = package_gains(problem.arrays, problem.arrays.from_units(np.array(
        [list(result.found.stages[0].values.values())])), problem.guarantees(), settings_)[0]
    assert list(result.found.stages[0].expected.values()) == pytest.approx(list(gains * 100))


def _random_roadmap(problem: SettlementProblem, rng: np.random.Generator, n_stages: int
                    ) -> np.ndarray:
    values = [problem.unit_candidates(k)[0] for k in range(problem.arrays.n_issues)]
    return np.array([[rng.choice(v) for v in values] for _ in range(n_stages)])


@SETTINGS
@given(problem=random_problems(max_actors=5, max_issues=4), n_stages=st.integers(1, 5),
       seed=st.integers(0, 2**31 - 1))
def test_full_trust_last_stage_holds_exactly_when_the_final_package_is_acceptable(
        problem: SettlementProblem, n_stages: int, seed: int) -> None:
    arrays = problem.arrays.replace(trust=np.ones_like(problem.arrays.trust))
    # An issue nobody can deliver has credibility 0 even under full trust: name nobody.
    problem = problem.replace(arrays=arrays, issue_guarantors=tuple(
        g or None for g in problem.issue_guarantors))
    stages = _random_roadmap(problem, np.random.default_rng(seed), n_stages)
    guarantees = Guarantees.stack([problem.guarantees()] * n_stages)
    cp = evaluate_stages(arrays, stages, guarantees, UtilitySettings(), 1.0, "reverse")
    final_gains = package_gains(arrays, stages[-1:], problem.guarantees())[0]
    must = parties(arrays)
    assert bool(cp.stage_holds[-1]) == bool(acceptable(final_gains, must))
    # With full trust and no discount every checkpoint expects the final package's gain.
    np.testing.assert_allclose(cp.expected, np.broadcast_to(final_gains, cp.expected.shape),
                               atol=1e-12)


@SETTINGS
@given(problem=random_problems(max_actors=4, max_issues=3), n_stages=st.integers(1, 4),
       seed=st.integers(0, 2**31 - 1), patience=st.sampled_from([1.0, 0.9, 0.5]))
def test_first_checkpoint_is_the_settlement_gain_without_discount(
        problem: SettlementProblem, n_stages: int, seed: int, patience: float) -> None:
    stages = _random_roadmap(problem, np.random.default_rng(seed), n_stages)
    guarantees = Guarantees.stack([problem.guarantees()] * n_stages)
    cp = evaluate_stages(problem.arrays, stages, guarantees, UtilitySettings(), patience)
    final = package_gains(problem.arrays, stages[-1:], problem.guarantees())[0]
    np.testing.assert_allclose(cp.final, final, atol=1e-12)
    if patience == 1.0:
        np.testing.assert_allclose(cp.expected[0], final, atol=1e-12)
    # Banked + rest telescopes: the last checkpoint's banked is the face gain of stage S-1.
    assert np.all(cp.tempted == ((cp.rest < -1e-9) & parties(problem.arrays)))


def _brute_force_roadmaps(problem: SettlementProblem, n_stages: int, monotone: bool,
                          patience: float, defection: str,
                          floor: list[float] | None = None,
                          to_final: list[float] | None = None,
                          first: list[float] | None = None) -> float:
    """Best final Nash product over every roadmap, written from ``docs/roadmap.md`` and
    ``docs/settle.md`` alone: plain loops over every stage value, no detente helper.

    Rules (as documented): a final value is a candidate, or the status quo when it stays
    allowed; an issue nobody can deliver (credibility 0 for everyone) keeps its status quo
    unless it must move, and then goes straight to its final; monotone paths never turn back
    nor pass the final; every stage moves some issue (by at least ``floor[k]`` on the unit
    scale when given: the minimum stage move); a roadmap counts when the final package
    is in the zone (every party's final gain > 1e-9) and every party's margin is > 1e-9 at
    every checkpoint. With ``to_final``: the largest smallest checkpoint margin of the
    roadmaps ending there instead (−inf when none): E^t − r, and under ``stop`` R^t for
    t ≥ 2, over the parties — the roadmap's reported ``min_margin`` (docs/roadmap.md,
    *Search*: "the most robust one (largest smallest margin)"). The final gains are left
    out of it: they are the same for every roadmap to the final, so with them a final gain
    below every checkpoint margin tied all the roadmaps. With ``first`` (unit scale, every
    issue): only the roadmaps whose first stage is exactly that (``--first``).
    """
    a = problem.arrays
    n_actors, n_issues = len(a.actor_ids), len(a.issue_ids)
    q = [float(a.status_quo[k]) for k in range(n_issues)]
    cand = [[(float(v) - a.scale_low[k]) / (a.scale_high[k] - a.scale_low[k])
             for v in problem.candidates[k]] for k in range(n_issues)]
    shares = [[float(a.salience[i, k]) / float(sum(a.salience[i])) for k in range(n_issues)]
              for i in range(n_actors)]
    party = [bool(a.veto[i]) and float(sum(a.salience[i])) > 0 for i in range(n_actors)]
    total_cap = sum(float(a.capability[i]) for i in range(n_actors) if party[i])
    weight = [float(a.capability[i]) / total_cap if party[i] else 0.0 for i in range(n_actors)]
    gid = list(a.guarantor_ids)

    def belief(i: int, k: int) -> float:
        names = problem.issue_guarantors[k]
        if names is None:  # nobody named: promises taken at face value
            return 1.0
        fail = 1.0
        for g in names:
            if g in gid:
                fail *= 1.0 - float(a.trust[i, gid.index(g)])
        return 1.0 - fail

    c = [[belief(i, k) for k in range(n_issues)] for i in range(n_actors)]

    def same(x: float, y: float) -> bool:
        return abs(x - y) <= 1e-12

    def face(i: int, k: int, before: float, after: float) -> float:
        p = float(a.position[i, k])
        return shares[i][k] * ((after - p) ** 2 * -1 - (before - p) ** 2 * -1)

    per_issue: list[list[tuple[float, ...]]] = []
    for k in range(n_issues):
        keep = problem.keep_status_quo[k]
        deliverable = any(c[i][k] > 0 for i in range(n_actors))
        finals = [v for v in cand[k] if not (keep and same(v, q[k]))]
        finals = ([q[k]] if keep else []) + (finals if deliverable or not keep else [])
        paths: set[tuple[float, ...]] = set()
        for f in finals:
            stops = [*cand[k], q[k], f] if deliverable else [q[k], f]
            for middle in itertools.product(stops, repeat=n_stages - 1):
                path = (*middle, f)
                if monotone or not deliverable:
                    lo, hi = min(q[k], f), max(q[k], f)
                    walk = (q[k], *path)
                    step = 1.0 if f >= q[k] else -1.0
                    if any(v < lo - 1e-12 or v > hi + 1e-12 for v in path) or any(
                            (walk[j + 1] - walk[j]) * step < -1e-12 for j in range(n_stages)):
                        continue
                paths.add(path)
        per_issue.append(sorted(paths))
    mech = problem.mechanisms
    ids = list(a.issue_ids)
    best = 0.0
    least_margin = -math.inf  # the max-min margin over the roadmaps to ``to_final``
    for combo in itertools.product(*per_issue):
        x = [[q[k] for k in range(n_issues)]] + [[combo[k][j] for k in range(n_issues)]
                                                 for j in range(n_stages)]
        least = floor or [0.0] * n_issues
        if any(all(same(x[j][k], x[j - 1][k]) or abs(x[j][k] - x[j - 1][k]) < least[k] - 1e-9
                   for k in range(n_issues))
               for j in range(1, n_stages + 1)):
            continue  # a stage that moves nothing, or nothing by its minimum
        if not all(_keeps_rules(mech, ids, x[j]) for j in range(1, n_stages + 1)):
            continue  # a package rule must hold at every stage
        if to_final is not None and not all(same(x[n_stages][k], to_final[k])
                                            for k in range(n_issues)):
            continue
        if first is not None and not all(same(x[1][k], first[k]) for k in range(n_issues)):
            continue
        final, checkpoints = _reference_checkpoints(problem, x, patience)
        in_zone = all(final[i] > 1e-9 for i in range(n_actors) if party[i])
        margins = []
        for t, row in enumerate(checkpoints, start=1):
            for i, (banked, rest, walk) in enumerate(row):
                if party[i]:
                    margins.append(banked + rest - walk)
                    if defection == "stop" and t > 1:
                        margins.append(rest)
        least_margin = max(least_margin, min(margins, default=math.inf))
        if in_zone and all(m > 1e-9 for m in margins):
            nash = 1.0
            for i in range(n_actors):
                nash *= final[i] ** weight[i]
            best = max(best, nash)
    return least_margin if to_final is not None else best


def _reference_checkpoints(problem: SettlementProblem, x: list[list[float]], patience: float
                           ) -> tuple[list[float], list[list[tuple[float, float, float]]]]:
    """One roadmap ``x`` (x[0] the status quo, x[1..S] the stages, unit scale), written from
    docs/roadmap.md with plain loops: the final package's settlement gains over the
    walk-away points, and at each checkpoint t each actor's (B^t, R^t, r) (quadratic loss,
    independent deliverers, discounted losses, the issues' own guarantors)."""
    a = problem.arrays
    n_actors, n_issues = len(a.actor_ids), len(a.issue_ids)
    n_stages = len(x) - 1
    q = x[0]
    gid = list(a.guarantor_ids)
    shares = [[float(a.salience[i, k]) / float(sum(a.salience[i])) for k in range(n_issues)]
              for i in range(n_actors)]
    c = [[_credibility(problem, i, k, 0.0) for k in range(n_issues)] for i in range(n_actors)]

    def face(i: int, k: int, before: float, after: float) -> float:
        p = float(a.position[i, k])
        return shares[i][k] * ((before - p) ** 2 - (after - p) ** 2)

    # The mechanisms (docs/roadmap.md, *Verification, links, rules and walk-away points in a
    # roadmap*): links and stakes on the cumulative package at face value, verification
    # raising c with the regime promised by stage j over the one delivered before t.
    mech = problem.mechanisms
    ids = list(a.issue_ids)

    def link_loss(i: int, k: int, x: list[float]) -> float:
        h = face(i, k, q[k], x[k])
        linked = h
        for link in mech.links:
            if link.actor == a.actor_ids[i] and link.issue == ids[k]:
                m = ids.index(link.needs)
                span = link.target - q[m]
                progress = min(1.0, max(0.0, (x[m] - q[m]) / span)) if abs(span) > 1e-9 \
                    else 1.0
                linked -= link.weight * (1.0 - progress) * max(linked, 0.0)
        return h - linked

    def stake(i: int, k: int, x: list[float]) -> float:
        return sum(outside - cost for g, issue, cost, outside in mech.stakes
                   if g == a.actor_ids[i] and issue == ids[k]
                   and g in (problem.issue_guarantors[k] or ()) and abs(x[k] - q[k]) > 1e-9)

    def raised(i: int, k: int, promised: list[float], delivered: list[float]) -> float:
        out = c[i][k]
        named = [g for g in (problem.issue_guarantors[k] or ()) if g in gid]
        for spec in mech.verifications:
            if ids[k] not in spec.verified or not named:
                continue
            v = ids.index(spec.issue)

            def regime(value: float, spec: Any = spec) -> float:
                level = min(1.0, max(0.0, (value - spec.none_at)
                                     / (spec.full_at - spec.none_at)))
                band = next((g for up, g in spec.bands if value <= up + 1e-9),
                            spec.bands[-1][1])
                fail = 1.0
                for g in band:
                    if g in gid:
                        fail *= 1.0 - float(a.trust[i, gid.index(g)])
                return level * (1.0 - fail)

            expected = c[i][v] * regime(promised[v]) + (1 - c[i][v]) * regime(delivered[v])
            out += (1.0 - out) * spec.strength * expected
        return out

    def move(i: int, k: int, x: list[list[float]], j: int) -> float:
        """Stage j's change to i's value of issue k at face, links and stakes included."""
        return (face(i, k, x[j - 1][k], x[j][k])
                - (link_loss(i, k, x[j]) - link_loss(i, k, x[j - 1])))

    walk = [_walk_away(problem, i, "quadratic", 0.0, "discounted") for i in range(n_actors)]
    final = reference_gains(problem, x[n_stages], "quadratic", 0.0, "discounted")
    rows = []
    for t in range(1, n_stages + 1):  # checkpoint t: stages 1 … t-1 done
        row = []
        for i in range(n_actors):
            banked = sum(move(i, k, x, j) + stake(i, k, x[j]) - stake(i, k, x[j - 1])
                         for j in range(1, t) for k in range(n_issues))
            rest = sum(patience ** (j - t) * (
                raised(i, k, x[j], x[t - 1]) * move(i, k, x, j)
                + stake(i, k, x[j]) - stake(i, k, x[j - 1]))
                for j in range(t, n_stages + 1) for k in range(n_issues))
            row.append((banked, rest, walk[i]))
        rows.append(row)
    return final, rows


def _fresh_clone_case() -> SettlementProblem:
    """The case that failed on a fresh clone (issue 13, item 2): issue I1 has no deliverer,
    so its move to 90 is an empty promise the settlement search leaves off the table."""
    arrays = Arrays(
        actor_ids=("A0", "A1"), issue_ids=("I0", "I1"), guarantor_ids=("A0", "A1", "INST"),
        capability=np.array([63.8776878884847, 27.343778019505095]),
        position=np.array([[0.30000000000000004, 0.0], [0.0, 0.0]]),
        salience=np.array([[0.8226067272402589, 0.9171177984138357],
                           [0.6263039869788208, 0.7430217329347985]]),
        status_quo=np.array([0.6000000000000001, 0.5]),
        trust=np.array([[0.17565562060255901, 0.8631789223498866, 1.0],
                        [0.2997118905373848, 1.0, 0.02831967114546297]]),
        stake=np.ones((2, 2), dtype=bool), veto=np.array([True, True]),
        scale_low=np.zeros(2), scale_high=np.full(2, 100.0))
    return SettlementProblem(scenario_id="random", arrays=arrays,
                             issue_guarantors=(("A1",), ()),
                             candidates=((40.0, 70.0), (90.0,)), keep_status_quo=(True, True),
                             steps=(None, None))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=random_problems(max_actors=3, max_issues=2, max_options=3),
       monotone=st.booleans(), patience=st.sampled_from([1.0, 0.7]),
       defection=st.sampled_from(["reverse", "stop"]))
@example(problem=_fresh_clone_case(), monotone=True, patience=1.0, defection="reverse")
@example(problem=_fresh_clone_case(), monotone=False, patience=1.0, defection="stop")
def test_search_equals_brute_force_over_all_roadmaps(problem: SettlementProblem,
                                                     monotone: bool, patience: float,
                                                     defection: str) -> None:
    _search_matches_brute_force(problem, monotone, patience, defection)


def _search_matches_brute_force(problem: SettlementProblem, monotone: bool, patience: float,
                                defection: str) -> None:
    """The best 2-stage roadmap's final Nash product, by brute force and branch and bound,
    equals the plain enumeration's; the roadmap found holds and keeps every rule."""
    expected = _brute_force_roadmaps(problem, 2, monotone, patience, defection)
    for method in ("brute", "bnb"):
        if _nobody_must_agree(problem, lambda m=method: search(
                problem, [], 2, UtilitySettings(), patience, defection, finals=10_000,
                monotone=monotone, method=m)):
            continue
        result = search(problem, [], 2, UtilitySettings(), patience, defection,
                        finals=10_000, monotone=monotone, method=method)
        got = result.found.final_nash / 100 if result.found else 0.0
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)
        assert result.found is None or (result.found.holds and not result.found.broken_rules)


def _undeliverable_first_case() -> SettlementProblem:
    """The random example on which the search held to a first stage found a roadmap (Nash
    product 0.0496) and the enumeration none: the first stage (20, 70, 20) moves I2, which
    nobody can deliver (no guarantor) and whose status quo is allowed, so settle keeps it at
    40 in every final; the search dropped I2's status quo from the finals past the first
    stage and so put its undeliverable move on the table."""
    arrays = Arrays(
        actor_ids=("A0", "A1"), issue_ids=("I0", "I1", "I2"), guarantor_ids=("A0", "A1", "INST"),
        capability=np.array([50.42033973656511, 54.16387291754561]),
        position=np.array([[0.8, 0.1, 0.30000000000000004],
                           [0.30000000000000004, 0.8, 0.6000000000000001]]),
        salience=np.array([[0.8017223075217335, 0.19352028356446993, 0.26770567336430284],
                           [0.9433325061607374, 0.6828591210721779, 0.7764020984857777]]),
        status_quo=np.array([0.5, 0.7000000000000001, 0.4]),
        trust=np.array([[1.0, 1.0, 0.2773922127199193],
                        [0.25405001608064015, 0.4144238269983431, 0.7767585715600159]]),
        stake=np.ones((2, 3), dtype=bool), veto=np.array([False, True]),
        scale_low=np.zeros(3), scale_high=np.full(3, 100.0))
    mechanisms = Mechanisms(
        verifications=(VerificationSpec("I2", ("I0",), 0.2, 0.9, 0.13404169724716475,
                                        ((0.30000000000000004, ("A0", "INST")),
                                         (0.4, ("INST",)), (1.0, ("A1", "INST")))),),
        links=(LinkSpec("A0", "I2", "I1", 0.2, 1.0),), rules=(), walk_away=(),
        stakes=(("A1", "I0", 0.008032600438756343, 0.04849627066080663),))
    return SettlementProblem(scenario_id="random", arrays=arrays,
                             issue_guarantors=(("A0", "A1"), ("A0", "INST"), ()),
                             candidates=((20.0,), (80.0,), (20.0,)),
                             keep_status_quo=(False, True, True), steps=(None, None, None),
                             mechanisms=mechanisms)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=random_problems(max_actors=3, max_issues=2, max_options=3)
       | random_mechanisms_problems(max_actors=3, max_issues=3, max_options=2),
       pick=st.integers(0, 10**6), n_stages=st.sampled_from([2, 3]), monotone=st.booleans(),
       patience=st.sampled_from([1.0, 0.7]), defection=st.sampled_from(["reverse", "stop"]))
@example(problem=_fresh_clone_case(), pick=1, n_stages=2, monotone=True, patience=1.0,
         defection="reverse")
@example(problem=_undeliverable_first_case(), pick=0, n_stages=2, monotone=True,
         patience=1.0, defection="reverse")
def test_search_held_to_a_first_stage_equals_brute_force(
        problem: SettlementProblem, pick: int, n_stages: int, monotone: bool, patience: float,
        defection: str) -> None:
    # --first: the best roadmap whose first stage is exactly the given one (every issue at a
    # grid value or its status quo), by brute force and branch and bound, against the plain
    # enumeration of every roadmap with that first stage.
    a = problem.arrays
    if n_stages == 3 and a.n_issues > 2:
        return  # the plain enumeration of 3 stages on 3 issues is too slow for a unit test
    grids = [np.unique(np.r_[problem.unit_candidates(k)[0], a.status_quo[k]])
             for k in range(a.n_issues)]
    # One issue moves in stage 1 (a first stage that moves nothing is refused by
    # first_stage, and the search finds nothing for it, as the enumeration does).
    mover = pick % a.n_issues
    moves = grids[mover][np.abs(grids[mover] - a.status_quo[mover]) > 1e-12]
    grids[mover] = moves if moves.size else grids[mover]
    unit = [float(g[(pick // (4 ** k)) % g.size]) for k, g in enumerate(grids)]
    first = dict(zip(a.issue_ids, (float(v) for v in a.to_units(np.array(unit))),
                     strict=True))
    expected = _brute_force_roadmaps(problem, n_stages, monotone, patience, defection,
                                     first=unit)
    for method in ("brute", "bnb"):
        if _nobody_must_agree(problem, lambda m=method: search(
                problem, [], n_stages, UtilitySettings(), patience, defection, finals=10_000,
                monotone=monotone, method=m, first=first)):
            continue
        result = search(problem, [], n_stages, UtilitySettings(), patience, defection,
                        finals=10_000, monotone=monotone, method=method, first=first)
        got = result.found.final_nash / 100 if result.found else 0.0
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)
        assert result.first == first
        for e in ([result.found] if result.found else []) + list(result.near_misses):
            assert e.stages[0].values == pytest.approx(first)  # every roadmap shown starts so
        assert result.found is None or (result.found.holds and not result.found.broken_rules)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=random_mechanisms_problems(max_actors=3, max_issues=3, max_options=2),
       monotone=st.booleans(), patience=st.sampled_from([1.0, 0.7]),
       defection=st.sampled_from(["reverse", "stop"]))
def test_search_with_mechanisms_equals_brute_force(problem: SettlementProblem,
                                                   monotone: bool, patience: float,
                                                   defection: str) -> None:
    # Verification, links, package rules, walk-away points and stakes (docs/roadmap.md):
    # the search (pair terms over paths, rules as masks, walk-away offsets) against the
    # plain enumeration of every roadmap written from the formulas.
    _search_matches_brute_force(problem, monotone, patience, defection)


def _no_veto_player_case(veto: tuple[bool, bool] = (False, False)) -> SettlementProblem:
    """The random example on which the path search's margin (8.25) and the enumeration's
    (+inf) differed: neither actor holds a veto, so no actor must agree. Verification of
    I0 and I2 by I1, A1's link of I1 to I0, A1's walk-away point -0.037; the final (90,
    100, 50) is reached in 6 roadmaps of 2 stages. ``veto``: the same problem with parties."""
    arrays = Arrays(
        actor_ids=("A0", "A1"), issue_ids=("I0", "I1", "I2"), guarantor_ids=("A0", "A1", "INST"),
        capability=np.array([38.374896525326776, 82.26375695622964]),
        position=np.array([[0.9, 0.7000000000000001, 0.4], [0.7000000000000001, 0.0, 0.9]]),
        salience=np.array([[0.8734069159776311, 0.9303508506317715, 0.9661123895662918],
                           [0.574795089642744, 0.48211268760904574, 0.5756180762561287]]),
        status_quo=np.array([0.7000000000000001, 0.8, 0.8]),
        trust=np.array([[0.3338897767886081, 1.0, 0.5413952966898573],
                        [0.7416671117119341, 0.26362601858360124, 0.17390166778668614]]),
        stake=np.ones((2, 3), dtype=bool), veto=np.array(veto),
        scale_low=np.zeros(3), scale_high=np.full(3, 100.0))
    mechanisms = Mechanisms(
        verifications=(VerificationSpec("I1", ("I0", "I2"), 0.2, 0.1, 1.0,
                                        ((0.9, ("A0",)), (1.0, ("INST",)))),),
        links=(LinkSpec("A1", "I1", "I0", 0.0, 0.5414612202490917),),
        rules=(), walk_away=(("A1", WalkAwaySpec(utility=-0.037284982949869185)),), stakes=())
    return SettlementProblem(scenario_id="random", arrays=arrays,
                             issue_guarantors=(("A1",), ("A1",), None),
                             candidates=((90.0,), (100.0,), (50.0,)),
                             keep_status_quo=(True, True, True), steps=(None, None, None),
                             mechanisms=mechanisms)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=random_mechanisms_problems(max_actors=3, max_issues=3, max_options=3),
       pick=st.integers(0, 10**6), patience=st.sampled_from([1.0, 0.7]),
       defection=st.sampled_from(["reverse", "stop"]))
@example(problem=_no_veto_player_case(), pick=0, patience=1.0, defection="reverse")
@example(problem=_no_veto_player_case((True, True)), pick=0, patience=1.0, defection="reverse")
def test_path_search_margin_with_mechanisms_equals_brute_force(
        problem: SettlementProblem, pick: int, patience: float, defection: str) -> None:
    # The most robust roadmap to a fixed final: its smallest margin is sensitive to every
    # mechanism even where no roadmap holds (the Nash test above mostly sees empty zones).
    n = problem.arrays.n_issues
    grids = [problem.unit_candidates(k)[0] for k in range(n)]
    grids = [g[1:] if g.size > 1 else g for g in grids]  # moves: pair terms come into play
    final = [float(g[(pick // (3 ** k)) % g.size]) for k, g in enumerate(grids)]
    expected = _brute_force_roadmaps(problem, 2, True, patience, defection, to_final=final)
    if not parties(problem.arrays).any():
        # The enumeration's smallest margin is then a min over no party (+inf; -inf where
        # no roadmap reaches the final); the search used to return its stage columns' slack
        # (3L + 2 for the shift L) as a margin.
        assert abs(expected) == math.inf
        for method in ("brute", "bnb"):
            assert _nobody_must_agree(problem, lambda m=method: search_paths(
                problem, np.array([final]), 2, UtilitySettings(), patience, defection,
                method=m, top=3))
        return
    if expected == -math.inf:
        return  # no roadmap reaches this final (empty promises, rules)
    for method in ("brute", "bnb"):
        found = search_paths(problem, np.array([final]), 2, UtilitySettings(), patience,
                             defection, method=method, top=3)
        assert float(found.margin[0][0]) == pytest.approx(expected, rel=1e-9, abs=1e-12)
        for roadmap_ in found.stages[0]:  # no stage of any roadmap returned breaks a rule
            assert all(_keeps_rules(problem.mechanisms, problem.arrays.issue_ids, stage)
                       for stage in roadmap_.tolist())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=random_mechanisms_problems(max_actors=3, max_issues=3, max_options=3),
       n_stages=st.integers(1, 3), seed=st.integers(0, 2**32 - 1),
       patience=st.sampled_from([1.0, 0.7]), defection=st.sampled_from(["reverse", "stop"]))
def test_evaluation_with_mechanisms_equals_the_formulas(
        problem: SettlementProblem, n_stages: int, seed: int, patience: float,
        defection: str) -> None:
    # Every checkpoint number of a random roadmap (any values, not only holding ones) with
    # verification, links, rules, walk-away points and stakes, against the plain loops.
    rng = np.random.default_rng(seed)
    n = problem.arrays.n_issues
    stages = rng.choice(np.linspace(0, 1, 11), (n_stages, n))
    guarantees = Guarantees.stack([problem.guarantees()] * n_stages)
    cp = evaluate_stages(problem.arrays, stages, guarantees, UtilitySettings(), patience,
                         defection, mechanisms=problem.mechanisms)
    q = [float(v) for v in problem.arrays.status_quo]
    final, rows = _reference_checkpoints(problem, [q, *stages.tolist()], patience)
    assert cp.final == pytest.approx(final, rel=1e-9, abs=1e-12)
    for t, row in enumerate(rows):
        for i, (banked, rest, walk) in enumerate(row):
            alternative = walk if defection == "reverse" or t == 0 else max(walk, banked)
            assert cp.banked[t, i] == pytest.approx(banked, rel=1e-9, abs=1e-12)
            assert cp.rest[t, i] == pytest.approx(rest, rel=1e-9, abs=1e-12)
            assert cp.margin[t, i] == pytest.approx(banked + rest - alternative, rel=1e-9,
                                                    abs=1e-12)
    ids = problem.arrays.issue_ids
    keeps = all(_keeps_rules(problem.mechanisms, ids, stage) for stage in stages.tolist())
    assert bool(cp.holds) == (keeps and bool(cp.stays.all()))


def test_most_robust_roadmap_is_ranked_by_its_checkpoints_not_by_the_final_gain() -> None:
    # tests/settle_helpers.tied_final_gain_scenario, patience 0.5, `reverse`, grid step 25:
    # the six 2-stage roadmaps to (25, 25, 25). By hand (unit scale, quadratic loss, A0's
    # shares .2, .4, .4, A1's 1, .75, 1 over 2.75; every move believed but A1's of I0, .25):
    # I0 and I2 first, then I1: A0 at checkpoint 1 −.2·.0625 + .4·.0125 + .5·.4·.0625 = .005,
    # its smallest margin (A0 .0175 at checkpoint 2, A1 .0108 and .0193); I0 alone first:
    # A0 at checkpoint 1 −.0125 + .5·(.005 + .025) = .0025; I2 alone first: A1 at checkpoint
    # 2 (.0375 + .25·.0625 − .75·.0625)/2.75 = .00625/2.75, its final gain; the other three
    # break. Every final gain is the same for all six (A0 .0175, A1 .00625/2.75, A2 −.0625,
    # not a party): the search used to maximise the smallest of them and the checkpoint
    # margins, tied the three that hold at A1's .00227 and returned the first enumerated.
    problem = SettlementProblem.from_scenario(scenario_from_mapping(tied_final_gain_scenario()),
                                              25.0)
    final = [0.25, 0.25, 0.25]
    best = _brute_force_roadmaps(problem, 2, True, 0.5, "reverse", to_final=final)
    assert best == pytest.approx(0.005, rel=1e-9)
    for method in ("brute", "bnb"):
        found = search_paths(problem, np.array([final]), 2, UtilitySettings(), 0.5, "reverse",
                             method=method, top=3)
        assert found.margin[0] == pytest.approx([0.005, 0.0025, 0.00625 / 2.75], rel=1e-9)
        assert found.stages[0][:, 0].tolist() == [[.25, 0, .25], [.25, 0, 0], [0, 0, .25]]
        assert found.final_gains[0] == pytest.approx([0.0175, 0.00625 / 2.75, -0.0625],
                                                     rel=1e-9)
        assert found.in_zone[0] and found.acceptable(0)


def test_a_final_outside_the_zone_is_no_roadmap_though_every_checkpoint_holds() -> None:
    # The final gains are no margin columns but still decide whether a final can hold (the
    # roadmap must end in the zone): settle_helpers.final_outside_zone_scenario, by hand.
    raw = final_outside_zone_scenario()
    problem = SettlementProblem.from_scenario(scenario_from_mapping(raw), 100.0)
    assert _brute_force_roadmaps(problem, 2, True, 0.5, "reverse", to_final=[1.0, 1.0]) \
        == pytest.approx(0.125, rel=1e-9)
    for method in ("brute", "bnb"):
        found = search_paths(problem, np.array([[1.0, 1.0]]), 2, UtilitySettings(), 0.5,
                             "reverse", method=method, top=3)
        assert found.margin[0] == pytest.approx([0.125, -0.21875], rel=1e-9)
        assert found.stages[0][:, 0].tolist() == [[1, 0], [0, 1]]
        assert found.final_gains[0] == pytest.approx([-0.0625, 2 / 3], rel=1e-9)
        assert not found.in_zone[0] and not found.acceptable(0)


def test_package_rules_hold_at_every_stage() -> None:
    # "X ≥ 55 requires Y ≥ 55": the hand roadmap's first stage (X 60, Y 50) breaks it, so it
    # does not hold whatever the margins; the search to (60, 60) may only move Y first.
    raw = hand_scenario().to_dict()
    raw["rules"] = [{"when": {"issue": "X", "at_least": 55},
                     "then": {"issue": "Y", "at_least": 55}}]
    s = scenario_from_mapping(raw)
    r = roadmap(s, roadmaps=["R"], scan="A.B", scan_values=[0.6], scan_learning=True)
    e = r.baseline.evaluation("R")
    assert not e.holds and len(e.broken_rules) == 1 and e.broken_rules[0].startswith("stage 1")
    # every party stays: the rule alone breaks it, and every surface says where
    assert not e.breaks and e.where_it_breaks() == e.broken_rules[0]
    assert r.scan is not None and r.scan.first_break["R"] == ("stage 1: a package rule",)
    assert r.learning_scans[0].first_break["R"][0][0] == "stage 1: a package rule"
    problem = SettlementProblem.from_scenario(s)
    final = problem.arrays.from_units(np.array([[60.0, 60.0]]))
    for method in ("brute", "bnb"):
        found = search_paths(problem, final, 2, UtilitySettings(), method=method, top=5)
        firsts = {tuple(np.round(problem.arrays.to_units(r[0]), 6)) for r in found.stages[0]}
        assert firsts == {(50.0, 60.0)}


def test_no_stage_is_an_empty_promise() -> None:
    # Both actors want I1 at 100, but nobody can deliver it (no guarantor): settle keeps it
    # at the status quo. I0 has one move only, so a 2-stage roadmap to (40, 50) needs a
    # second stage; before the fix the search made one of I1 going to 90 (banked at face
    # value) and back (a promise believed at 0, so it cost nothing).
    problem = _fresh_clone_case()
    arrays = problem.arrays.replace(position=np.array([[0.3, 1.0], [0.0, 1.0]]))
    problem = problem.replace(arrays=arrays, candidates=((40.0,), (90.0,)))
    assert _brute_force_roadmaps(problem, 2, False, 1.0, "reverse") == 0.0
    for method in ("brute", "bnb"):
        result = search(problem, [], 2, UtilitySettings(), 1.0, "reverse", finals=10_000,
                        monotone=False, method=method)
        assert result.found is None, [s.values for s in result.found.stages]


def test_issue_paths_monotone_count() -> None:
    grid = np.linspace(0, 1, 11)
    paths = issue_paths(grid, 0.8, 0.2, 3)
    # values .8 .7 ... .2 (7 of them): non-decreasing pairs of indices: C(8, 2) = 28.
    assert paths.shape == (28, 3)
    assert np.all(np.diff(np.concatenate([np.full((28, 1), .8), paths], axis=1), axis=1)
                  <= 1e-12)
    assert np.all(paths[:, -1] == 0.2)


def test_korea_oped_breaks_where_settle_blocks_the_full_settlement() -> None:
    s = detente.load("korea-2017")
    r = roadmap(s, roadmaps=["OPED"])
    e = r.baseline.evaluation("OPED")
    # The staged model applies the scenario's verification, links, rules, walk-away points
    # and stakes with the settlement's own code: the final package's gains are P1's
    # settlement gains over the walk-away points, and P1 offered as one stage is settle's
    # answer exactly. OPED's stage 1 differs from it: the freeze is promised before the
    # verification regime (stage 2), so it is believed without it.
    problem = SettlementProblem.from_scenario(s)
    p1 = analyse_packages(problem, [problem.package("P1")])[0]
    assert not e.holds
    first = [b.actor for b in e.breaks if b.stage == 1]
    assert first == list(p1.blockers)
    one = StagedPlan("ONE", "P1 at once", (dataclasses.replace(
        problem.package("P1"), id="roadmap:ONE:0"),))
    single = evaluate_plan(problem, one, UtilitySettings(), 1.0, "reverse")
    for a, g in p1.gains.items():
        assert e.final_gains[a] == pytest.approx(g)
        assert single.stages[0].margin[a] == pytest.approx(g)
    assert e.stages[0].margin["US"] < p1.gains["US"]  # the unverified freeze


def _with_freeze_first(names: tuple[str, str] = ("freeze", "guarantee")) -> Any:
    """korea-2017 with the freeze-first roadmap of docs/roadmap.md named FF."""
    raw = detente.load("korea-2017").to_dict()
    raw["roadmaps"].append({"id": "FF", "name": "freeze first", "stages": [
        {"name": names[0], "values": {"NUC": 50}},
        {"name": names[1], "values": {"MSL": 100, "SANC": 20, "SEC": 80, "VER": 80,
                                      "ALL": 30, "LINK": 50}}]})
    return scenario_from_mapping(raw)


def test_korea_freeze_first_holds_on_a_smaller_deal_not_on_the_oped_path() -> None:
    # The findings of docs/roadmap.md with every mechanism: OPED breaks at every point of a
    # trust × learning grid; "the freeze alone, then a guarantee without missile limits"
    # holds at the scenario's trust (KP's margin +0.13) and breaks once KP trusts China at
    # 0.30 instead of 0.35.
    s = _with_freeze_first()
    r = roadmap(s, scan="KP.RU,KP.CN", scan_values=[0.0, 0.5, 1.0], scan_learning=True,
                variations=[counterfactual(trust=["KP.CN=0.3"])])
    assert r.learning_scans[0].holding("OPED") == []
    ff = r.baseline.evaluation("FF")
    assert ff.holds and ff.min_margin == pytest.approx(0.128125, abs=1e-6)
    assert min(ff.stages, key=lambda st: st.margin["KP"]).margin["KP"] == ff.min_margin
    wary = r.variants[0].evaluation("FF")
    assert not wary.holds and {b.actor for b in wary.breaks} == {"KP"}


@pytest.mark.parametrize(("first", "monotone", "holds"), [
    ({"X": 60.0}, True, True), ({"Y": 70.0}, False, True), ({"X": 70.0, "Y": 70.0}, True, True),
    ({"X": 90.0}, True, False), ({"X": 40.0}, True, False), ({"X": 40.0}, False, True)])
def test_hand_case_held_to_a_first_stage_equals_brute_force(first: dict[str, float],
                                                            monotone: bool, holds: bool
                                                            ) -> None:
    # Where a roadmap holds (X 60 first) and where none can (X 90 first: every final past
    # it loses B; X 40 first moves X away from A, unless paths may turn back: --any-path).
    problem = SettlementProblem.from_scenario(hand_scenario(), 10.0)
    a = problem.arrays
    full = dict(zip(a.issue_ids, (float(v) for v in a.to_units(a.status_quo)), strict=True))
    full.update(first)
    unit = [(full[i] - float(a.scale_low[k])) / float(a.scale_high[k] - a.scale_low[k])
            for k, i in enumerate(a.issue_ids)]
    expected = _brute_force_roadmaps(problem, 2, monotone, 1.0, "reverse", first=unit)
    assert (expected > 0) == holds
    for method in ("brute", "bnb"):
        result = search(problem, [], 2, UtilitySettings(), 1.0, "reverse", finals=10_000,
                        monotone=monotone, method=method, first=first)
        got = result.found.final_nash / 100 if result.found else 0.0
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)
        if result.found:
            assert result.found.stages[0].values == pytest.approx(full)


def test_korea_freeze_first_is_found_by_holding_the_first_stage() -> None:
    # docs/roadmap.md: `detente roadmap --stages 2 --first NUC=50` finds the freeze-first
    # roadmap the last session found by script (the freeze alone, then MSL 100, SANC 20,
    # SEC 80, VER 80, ALL 30, LINK 50; KP's margin +0.13), the same numbers as evaluating it
    # as a named roadmap (test above), where the unheld search does not begin with the freeze
    # (it takes NUC to 70 with MSL, SEC, VER and LINK; it used to show a roadmap beginning
    # with verification, tied with that one at every checkpoint 1 margin, by list order).
    held = roadmap("korea-2017", stages=2, first=["NUC=50"]).baseline.search
    assert held is not None and held.found is not None and held.first == {"NUC": 50.0}
    one, two = held.found.stages
    status = {i.id: float(i.status_quo.value) for i in detente.load("korea-2017").issues}
    assert one.values == {**status, "NUC": 50.0} and one.moved == ("NUC",)
    assert two.values == {**status, "NUC": 50.0, "MSL": 100.0, "SANC": 20.0, "SEC": 80.0,
                          "VER": 80.0, "ALL": 30.0, "LINK": 50.0}
    assert held.found.holds and held.found.min_margin == pytest.approx(0.128125, abs=1e-6)
    free = roadmap("korea-2017", stages=2).baseline.search
    assert free is not None and free.found is not None
    assert free.found.stages[0].values["NUC"] != 50.0  # it does not freeze first
    assert free.found.final_nash > held.found.final_nash


@pytest.mark.parametrize(("first", "stages", "words"), [
    (["ZZZ=50"], 2, "unknown issue 'ZZZ'"), (["NCU=50"], 2, "did you mean 'NUC'"),
    (["NUC=55"], 2, "NUC=50 or NUC=60"), (["NUC=150"], 2, "outside NUC's scale (0 to 100)"),
    (["NUC"], 2, "not of the form ISSUE=VALUE"), (["NUC=abc"], 2, "not a finite number"),
    (["NUC=nan"], 2, "not a finite number"), (["NUC=50", "NUC=60"], 2, "given twice"),
    (["VER=100"], 2, "moves no issue"), (["NUC=50"], None, "add --stages N"),
    (["VER=60"], 2, "breaks the scenario's rule VER ≤ 65 requires NUC ≤ 50"),
])
def test_first_stage_refuses_bad_values_by_name(first: list[str], stages: int | None,
                                                words: str) -> None:
    with pytest.raises(OptionError) as err:
        roadmap("korea-2017", stages=stages, first=first, step=10.0)
    assert words in str(err.value) and "--first" in str(err.value)


def test_first_stage_refuses_a_move_nobody_can_deliver() -> None:
    # Z's guarantor is an institution nobody trusts, so settle keeps Z at 50 in every
    # package. Held to a first stage that moves Z, the search used to drop Z's status quo
    # from the finals past that stage and return a roadmap to a final settle rules out
    # (Z 20, "holds", Nash 0.87, exit 0).
    raw = hand_scenario().to_dict()
    raw["institutions"] = [{"id": "I", "name": "nobody trusts it"}]
    raw["issues"].append({"id": "Z", "name": "z", "status_quo": 50, "guarantors": ["I"]})
    for actor in ("A", "B"):
        raw["stances"][actor]["Z"] = {"position": 0, "salience": 0.5}
        raw["trust"][actor]["I"] = 0.0
    s = scenario_from_mapping(raw)
    with pytest.raises(OptionError) as err:
        roadmap(s, stages=2, first=["Z=20", "X=60"])
    assert "--first" in str(err.value)
    assert "nobody can deliver a move of Z" in str(err.value)
    assert "leave Z out of --first (it stays at 50)" in str(err.value)
    held = roadmap(s, stages=2, first=["X=60"]).baseline.search
    assert held is not None and held.found is not None
    assert all(stage.values["Z"] == 50 for stage in held.found.stages)
    # Past the check (the search called directly), no final lies past such a first stage.
    problem = SettlementProblem.from_scenario(s)
    for monotone in (True, False):
        result = search(problem, [], 2, UtilitySettings(), 1.0, "reverse", monotone=monotone,
                        first={"X": 60.0, "Y": 50.0, "Z": 20.0})
        assert result.found is None and not result.near_misses


def test_cli_first_stage() -> None:
    from typer.testing import CliRunner

    from detente.cli import app

    runner = CliRunner()
    bad = runner.invoke(app, ["roadmap", "--stages", "2", "--first", "NUC=55", "-q"])
    assert bad.exit_code == 2 and bad.stdout == ""
    assert "--first: NUC=55 is not a value the search takes" in bad.stderr
    assert "use NUC=50 or NUC=60" in bad.stderr and "Traceback" not in bad.output
    done = runner.invoke(app, ["roadmap", "--stages", "2", "--first", "NUC=50", "--step",
                               "25", "-f", "json", "-q"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["baseline"]["search"]["first"] == {"NUC": 50.0}


FREEZE_FIRST = ["NUC=50", "MSL=100,SANC=20,SEC=80,VER=80,ALL=30,LINK=50"]


def test_stated_roadmap_is_evaluated_as_the_same_roadmap_named_in_the_scenario() -> None:
    # --stage NUC=50 --stage MSL=100,...: the numbers of the same stages written under
    # `roadmaps:` (FF, as in the test of the freeze-first finding above), scans included.
    named = roadmap(_with_freeze_first(("stage 1", "stage 2")), roadmaps=["FF"], scan="KP.CN",
                    variations=[counterfactual(without=["RU"])])
    stated = roadmap("korea-2017", stage=FREEZE_FIRST, scan="KP.CN",
                     variations=[counterfactual(without=["RU"])])
    assert [e.id for e in stated.baseline.evaluations] == ["STATED"]  # OPED only if asked
    for a, b in zip(named.outcomes, stated.outcomes, strict=True):
        want = {k: v for k, v in a.evaluation("FF").to_dict().items() if k not in ("id", "name")}
        got = {k: v for k, v in b.evaluation("STATED").to_dict().items()
               if k not in ("id", "name")}
        assert got == want
    assert stated.scan is not None and named.scan is not None
    assert stated.scan.lowest_holding("STATED") == named.scan.lowest_holding("FF") == 0.35
    both = roadmap("korea-2017", stage=FREEZE_FIRST, roadmaps=["OPED"])
    assert [e.id for e in both.baseline.evaluations] == ["OPED", "STATED"]
    # --final STATED: the search's final is the stated roadmap's last stage.
    to = roadmap("korea-2017", stage=FREEZE_FIRST, stages=2, final="STATED",
                 first=["NUC=50"]).baseline.search
    assert to is not None and to.found is not None
    assert to.found.stages[-1].values == stated.baseline.evaluation("STATED").stages[-1].values


@pytest.mark.parametrize(("stage", "words"), [
    (["NUC=50", "ZZZ=1"], "stage 2: unknown issue 'ZZZ'"),
    (["NUC=500"], "NUC=500 is outside NUC's scale (0 to 100)"),
    (["2"], "for a search of 2 stages write --stages 2"),
    (["NUC=50", ","], "stage 2: ',' names no issue"),
    (["NUC=50,NUC=40"], "NUC is given twice"),
    (["NUC=x"], "'x' in 'NUC=x' is not a finite number"),
])
def test_stated_roadmap_refuses_bad_stages_by_name(stage: list[str], words: str) -> None:
    with pytest.raises(OptionError) as err:
        roadmap("korea-2017", stage=stage)
    assert words in str(err.value) and "--stage" in str(err.value)


def test_first_stage_reports_every_problem_at_once() -> None:
    with pytest.raises(OptionError) as err:
        roadmap("korea-2017", stages=2, first=["ZZZ=1", "NUC=55", "SEC=-5"])
    assert len(err.value.problems) == 3


def test_counterfactuals_and_scan() -> None:
    r = roadmap("korea-2017", variations=[counterfactual(without=["RU"])], scan="KP.RU,KP.CN",
                scan_values=[0.0, 0.5, 1.0])
    assert [o.label for o in r.outcomes] == ["baseline", "without RU"]
    assert "RU" not in r.variants[0].actors
    assert r.scan is not None and len(r.scan.holds["OPED"]) == 3
    kp = r.scan.truster_margin["OPED"]["KP"]
    assert all(m <= k + 1e-12 for m, k in zip(r.scan.min_margin["OPED"], kp, strict=True))
    # At 0.5 for both, KP's scanned margin equals an evaluation with those trust values.
    both = roadmap("korea-2017", variations=[counterfactual(trust=["KP.RU=0.5", "KP.CN=0.5"])])
    stage_margins = [st.margin["KP"] for st in both.variants[0].evaluation("OPED").stages]
    assert kp[1] == pytest.approx(min(stage_margins))
    d = r.to_dict()
    assert d["format"] == "detente.roadmap" and d["scan"]["pairs"] == ["KP.RU", "KP.CN"]


@pytest.mark.parametrize("kwargs", [
    {"stages": 7}, {"patience": 0.0}, {"patience": 1.5}, {"roadmaps": ["NOPE"]},
    {"final": "NOPE", "stages": 2}, {"defection": "flee"}, {"scan": "KP.ZZ"},
])
def test_bad_options_raise_option_errors(kwargs: dict) -> None:
    with pytest.raises(OptionError):
        roadmap("korea-2017", **kwargs)


def test_roadmap_figure_returns_a_figure_without_showing() -> None:
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    from detente.report.roadmap_figure import roadmap_figure

    r = roadmap("korea-2017", stages=2, variations=[], near=1)
    before = plt.get_fignums()
    fig = roadmap_figure(r, "OPED")
    assert isinstance(fig, Figure) and plt.get_fignums() == before
    texts = {t.get_text() for t in fig.axes[0].texts}
    kp = r.baseline.evaluation("OPED").stages[0].margin["KP"]
    assert f"{kp:+.1f}".lstrip("+") in texts  # KP's margin at stage 1, as evaluated
    found = roadmap_figure(r)  # the roadmap the search found
    assert found.axes[0].get_title(loc="left").endswith("holds at every stage")
    fig2, ax = plt.subplots()
    assert roadmap_figure(r.baseline.evaluation("OPED"), ax=ax) is fig2
    plt.close(fig2)


def test_break_text_names_a_stage_once() -> None:
    from detente.roadmaps import Break

    searched = Break(2, "stage 2", "KP", -1.0, 0.5, -0.5)
    assert searched.describe().startswith("stage 2: KP banked +0.50, expects -0.50")
    named = Break(1, "Freeze with RU+CN guarantees", "US", -16.2, 0.0, -16.3)
    assert named.describe().startswith("stage 1 (Freeze with RU+CN guarantees): US banked")


@pytest.mark.parametrize("chunk", [1, 2, 8])
def test_roadmaps_searched_counts_the_finals_tried_apart_from_their_batch(chunk: int) -> None:
    # Finals are searched `chunk` at a time and the first that holds ends the search inside
    # its batch: "roadmaps searched" (JSON roadmaps_searched) counts the roadmaps to every
    # final of the batch, space_tried (roadmaps_to_finals_tried) those to the finals tried.
    # Known by hand on the two-issue hand case (3 reachable finals): held to a first stage,
    # a 2-stage roadmap to a final is that stage and then the final (1 each); on any path,
    # stage 1 is any of the 11 x 11 grid points (step 10 on 0-100), 121 roadmaps to each final.
    problem = SettlementProblem.from_scenario(hand_scenario(), 10.0)
    for first, monotone, per_final in (({"X": 60.0}, True, 1), (None, False, 121)):
        result = search(problem, [], 2, UtilitySettings(), 1.0, "reverse", finals=10_000,
                        monotone=monotone, chunk=chunk, first=first)
        assert result.found is not None and result.finals_tried == 1
        assert result.finals_available == 3
        assert result.finals_searched == min(chunk, 3)
        assert result.space_tried == per_final
        assert result.space == per_final * result.finals_searched
        data = result.to_dict()
        assert data["roadmaps_searched"] == result.space
        assert data["finals_searched"] == result.finals_searched
        assert data["roadmaps_to_finals_tried"] == per_final
        text = _searched_text(result)
        assert text == (f"{per_final}" if chunk == 1 else
                        f"{per_final * min(chunk, 3)} to the {min(chunk, 3)} finals searched "
                        f"together, {per_final} to the 1 tried")


def test_korea_first_stage_search_says_one_roadmap_to_the_one_final_tried() -> None:
    # `detente roadmap --stages 2 --first NUC=50`: "1 of 100 finals tried" beside
    # "roadmaps searched 8" read as 8 roadmaps to one final; there is exactly one (the held
    # first stage, then the final), and 8 to the batch of 8 finals searched together.
    held = roadmap("korea-2017", stages=2, first=["NUC=50"]).baseline.search
    assert held is not None and held.finals_tried == 1 and held.finals_searched == 8
    assert (held.space, held.space_tried) == (8, 1)
    assert _searched_text(held) == "8 to the 8 finals searched together, 1 to the 1 tried"


RIVER = str(Path(__file__).resolve().parent.parent / "examples" / "my.yaml")


@pytest.mark.parametrize(("first", "min_move"), [
    (["FLOW=7"], 1.0), (["FLOW=11"], 1.0), (["FLOW=7"], 0.0), (["FLOW=7", "FUND=50"], 1.0)])
def test_the_values_a_refused_first_stage_suggests_are_taken(first: list[str],
                                                             min_move: float) -> None:
    # FLOW=7 suggested FLOW=6 (the status quo: no move) or FLOW=8 (2 short of the minimum
    # move of one anchor step, 6), and both were then refused as moving no issue.
    with pytest.raises(OptionError) as info:
        roadmap(RIVER, stages=2, first=first, min_move=min_move)
    (problem,) = info.value.problems
    suggested = re.findall(r"FLOW=[\d.]+", problem.fix)
    assert len(suggested) == 2, problem.fix
    for value in suggested:
        held = [value, *first[1:]]
        assert roadmap(RIVER, stages=2, first=held, min_move=min_move).baseline.search


def test_a_search_no_roadmap_of_which_moves_at_every_stage_says_so_with_a_fix() -> None:
    # It reported "none", 7.35e3 roadmaps searched, "nearest miss breaks at –" and no word
    # of why: no roadmap of 3 stages moves an issue by one anchor step at every stage.
    search_result = roadmap(RIVER, stages=3).baseline.search
    assert search_result is not None and search_result.found is None
    assert not search_result.near_misses
    note = search_result.note or ""
    assert "--min-move" in note and "at most 2 such stages: use --stages 2" in note
    assert search_result.to_dict()["note"] == note
    with shown_on("workbench"):
        workbench = roadmap(RIVER, stages=3).baseline.search
    assert workbench is not None and "use stages=2, or a lower min_move" in (workbench.note or "")
    # The fix it gives works: 2 stages have a roadmap (here one that holds), and so does 3
    # with any move counted.
    for fixed in (roadmap(RIVER, stages=2), roadmap(RIVER, stages=3, min_move=0)):
        assert fixed.baseline.search is not None and fixed.baseline.search.note is None
        assert fixed.baseline.search.found or fixed.baseline.search.near_misses


@pytest.mark.parametrize(("scenario", "min_move", "first"), [
    (RIVER, 1.0, None), (RIVER, 2.0, None), (RIVER, 1.0, {"FLOW": 12.0}),
    ("korea-2017", 2.0, None)])
def test_most_stages_is_the_last_count_whose_search_has_a_roadmap(
        scenario: str, min_move: float, first: dict[str, float] | None) -> None:
    s = detente.load(scenario)
    problem = SettlementProblem.from_scenario(s, step=25 if scenario == "korea-2017" else None)
    floors = minimum_moves(s, problem, min_move)
    finals = best_packages(build_table(problem, UtilitySettings(), "capability"), "nash",
                           3)[0].values
    held = None if first is None else roadmap_values(problem, [first])[0]
    most = most_stages(problem, finals, UtilitySettings(), floors, held)

    def searched(n_stages: int) -> bool:
        if n_stages > 5:
            return False
        result = search(problem, [], n_stages, UtilitySettings(), 1.0, "reverse", finals=3,
                        min_moves=floors, first=first)
        return result.found is not None or bool(result.near_misses)

    assert (most == 0 or searched(most)) and not searched(most + 1)


def test_most_stages_reads_each_issues_options_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # It read every issue's candidates again for each final (finals × issues reads), the
    # options final_paths reads once.
    problem = SettlementProblem.from_scenario(detente.load("korea-2017"), step=25)
    finals = best_packages(build_table(problem, UtilitySettings(), "capability"), "nash",
                           3)[0].values
    expected = most_stages(problem, finals, UtilitySettings())
    reads: list[int] = []
    real = SettlementProblem.unit_candidates

    def counted(self: SettlementProblem, k: int) -> tuple[np.ndarray, bool]:
        reads.append(k)
        return real(self, k)

    monkeypatch.setattr(SettlementProblem, "unit_candidates", counted)
    assert most_stages(problem, finals, UtilitySettings()) == expected
    assert len(finals) == 3 and sorted(set(reads)) == sorted(reads)


def test_first_stage_checks_each_held_value_for_delivery_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Each value on the grid was checked alone (to suggest values for one off the grid),
    # then all of them together again, for the same answer.
    from detente.roadmaps import api

    checked: list[tuple[str, float]] = []
    real = api._undeliverable

    def counted(problem: SettlementProblem, stage: dict[str, float],
                settings: UtilitySettings) -> list[Any]:
        checked.extend(stage.items())
        return real(problem, stage, settings)

    monkeypatch.setattr(api, "_undeliverable", counted)
    problem = SettlementProblem.from_scenario(hand_scenario())
    assert api.first_stage(problem, ["X=60", "Y=60"]) == {"X": 60.0, "Y": 60.0}
    assert sorted(checked) == [("X", 60.0), ("Y", 60.0)]
