"""Verification, linked issues, package rules, walk-away points and guarantors' stakes
(issue 16): the search stays exact, and with no mechanisms nothing changes."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

import detente
from detente.arrays import Arrays
from detente.scenario.compile import LinkSpec, Mechanisms, RuleSpec, VerificationSpec
from detente.settlement import milp, search
from detente.settlement.problem import SettlementProblem
from detente.settlement.search import best_packages, build_table
from tests.settle_helpers import (
    METHODS,
    SEARCH_SETTINGS,
    check_against_reference,
    check_batched_equals_one_at_a_time,
    check_milp_zone_ranges,
    random_mechanisms_problems,
    reference_gains,
    reference_space,
)

INF = math.inf
GAP = milp.NASH_GAP + 1e-9


def _rule_case(issues: list[tuple[float, tuple[float, ...], bool]],
               positions: list[list[float]], veto: list[bool],
               rules: tuple[RuleSpec, ...], guarantors: tuple[tuple[str, ...] | None, ...]
               | None = None, mechanisms: Mechanisms | None = None) -> SettlementProblem:
    """A small problem by hand: ``issues`` (status quo on the unit scale, candidates in
    issue units 0..100, whether the status quo stays on the table), each actor's positions
    (unit scale, equal saliences), who holds a veto, and the package rules."""
    n_actors, n_issues = len(positions), len(issues)
    arrays = Arrays(
        actor_ids=tuple(f"A{k}" for k in range(n_actors)),
        issue_ids=tuple(f"I{k}" for k in range(n_issues)),
        guarantor_ids=(*(f"A{k}" for k in range(n_actors)), "INST"),
        capability=np.arange(1.0, n_actors + 1.0), position=np.array(positions),
        salience=np.full((n_actors, n_issues), 0.5),
        status_quo=np.array([q for q, _, _ in issues]),
        trust=np.full((n_actors, n_actors + 1), 0.5), stake=np.ones((n_actors, n_issues), bool),
        veto=np.array(veto), scale_low=np.zeros(n_issues),
        scale_high=np.full(n_issues, 100.0))
    mech = mechanisms or Mechanisms(rules=rules)
    return SettlementProblem(
        scenario_id="hand", arrays=arrays,
        issue_guarantors=guarantors or tuple(None for _ in issues),
        candidates=tuple(c for _, c, _ in issues), keep_status_quo=tuple(k for _, _, k in issues),
        steps=tuple(None for _ in issues), mechanisms=mech)


def _shrunk_case() -> SettlementProblem:
    """The case hypothesis shrank (reproduce_failure b'AEIAo0ECQQNBAUEBQQFBAkEAQQBBAUEA'):
    nobody holds a veto, and two rules, "I1 ≤ 100 requires I0 ≥ 20" and "I1 ≤ 100 requires
    I0 ≤ 20", demand I0 = 20 in every package while I0 can only stay at its status quo 10
    (its candidate 40 is an empty promise: I0 names deliverers and nobody is left). No
    package keeps the rules, so the zone is empty; the MILP's zone test answered "every
    package is acceptable" when no party must agree, without asking whether any package
    keeps the rules."""
    return _rule_case(
        [(0.1, (40.0,), True), (1.0, (20.0,), True), (0.8, (60.0,), True)],
        [[0.2, 0.6, 0.4], [0.8, 0.4, 0.2]], [False, False], (), guarantors=((), ("INST",), None),
        mechanisms=Mechanisms(
            verifications=(VerificationSpec("I0", ("I2",), 0.2, 0.3, 0.0, (
                (0.7, ("A0", "A1")), (0.9, ("A1", "INST")), (1.0, ("A1",)))),),
            links=(LinkSpec("A1", "I0", "I1", 0.3, 0.51),),
            rules=(RuleSpec("I1", -INF, 1.0, "I0", 0.2, INF),
                   RuleSpec("I1", -INF, 1.0, "I0", -INF, 0.2))))


@example(problem=_shrunk_case(), utility="linear", correlation=0.0, top=1,
         losses="discounted")
@SEARCH_SETTINGS
@given(problem=random_mechanisms_problems(), utility=st.sampled_from(["linear", "quadratic"]),
       correlation=st.sampled_from([0.0, 0.6]), top=st.integers(1, 3),
       losses=st.sampled_from(["discounted", "certain"]))
def test_every_method_equals_a_plain_enumeration_with_mechanisms(problem, utility,
                                                                 correlation, top,
                                                                 losses) -> None:
    check_against_reference(problem, utility, correlation, losses, top)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=random_mechanisms_problems(batch=5))
def test_batched_search_with_mechanisms_equals_one_scenario_at_a_time(problem) -> None:
    check_batched_equals_one_at_a_time(problem)


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__])


# ---------------------------------------------------------------------------------------
# Hand-computed cases (docs/settle.md, Verification, Linked issues, Walk-away points,
# Guarantors' stakes)
# ---------------------------------------------------------------------------------------


def _two_actor(**extra: object) -> dict:
    """A receiver R that wants X moved (delivered by D, trusted 0.2 by R) and a verifying
    issue V (status quo 100 = none, 0 = full), verified by the institution INS."""
    raw = {
        "id": "hand", "title": "hand",
        "issues": [{"id": "X", "name": "x", "status_quo": 100, "guarantors": ["D"]},
                   {"id": "V", "name": "v", "status_quo": 100, "guarantors": ["D"]}],
        "actors": [{"id": "R", "name": "r", "capability": 1},
                   {"id": "D", "name": "d", "capability": 1}],
        "institutions": [{"id": "INS", "name": "inspectors"}],
        "stances": {"R": {"X": {"position": 0, "salience": 1.0},
                          "V": {"position": 0, "salience": 0.0}},
                    "D": {"X": {"position": 100, "salience": 0.5},
                          "V": {"position": 0, "salience": 0.5}}},
        "trust": {"R": {"D": 0.2, "INS": 0.6}},
    }
    raw.update(extra)
    return raw


def _gains(raw: dict, values: dict[str, float], **kw: object) -> np.ndarray:
    from detente.scenario import scenario_from_mapping
    from detente.settlement.problem import SettlementProblem
    from detente.settlement.utility import package_gains

    problem = SettlementProblem.from_scenario(scenario_from_mapping(raw))
    units = np.array([[values.get(i, 100.0) / 100.0 for i in problem.issue_ids]])
    return package_gains(problem.arrays, units, problem.guarantees(), mechanisms=problem.mechanisms,
                         **kw)[0]


VERIFY = {"issues": ["X"], "full_at": 0, "none_at": 100, "strength": 0.5,
          "verifiers": [{"up_to": 50, "by": ["INS"]}, {"up_to": 100, "by": ["D"]}]}


def test_verification_raises_credibility_as_computed_by_hand() -> None:
    raw = _two_actor()
    raw["issues"][1]["verifies"] = VERIFY
    # R: share 1 on X; moving X 100 -> 0 changes u from -1 to 0, so g = c.
    # Without verification (V at its status quo, level 0): c = 0.2.
    assert _gains(raw, {"X": 0})[0] == pytest.approx(0.2)
    # V at 20: level L = 0.8, band <= 50 verified by INS (R's trust 0.6), the regime itself
    # believed at c[R, V] = 0.2, at the status quo L(q) = 0: E = 0.2 * 0.8 * 0.6 = 0.096;
    # c' = 0.2 + 0.8 * 0.5 * 0.096 = 0.2384.
    assert _gains(raw, {"X": 0, "V": 20})[0] == pytest.approx(0.2384)
    # V at 60: band <= 100, verified by D (trust 0.2): L = 0.4, E = 0.2 * 0.4 * 0.2 = 0.016,
    # c' = 0.2 + 0.8 * 0.5 * 0.016 = 0.2064: a regime R trusts less raises credibility less.
    assert _gains(raw, {"X": 0, "V": 60})[0] == pytest.approx(0.2064)


def test_no_verifies_entry_changes_nothing() -> None:
    raw = _two_actor()
    plain = _gains(raw, {"X": 0, "V": 20})
    raw["issues"][1]["verifies"] = {**VERIFY, "strength": 0.0}
    np.testing.assert_allclose(_gains(raw, {"X": 0, "V": 20}), plain, atol=1e-15)


def test_link_scales_the_gain_by_the_conditions_progress() -> None:
    # D gains from V (position 0, share 0.5): V 100 -> 0 gives 0.5 * 1 * (0 - (-1)) = 0.5;
    # linked to X reaching 50 from 100 (weight 1): with X at 75, progress 0.5, so half of
    # the gain on V is lost: 0.25. D loses on X (position 100): 0.5 * (-(0.25^2)) = -0.03125.
    raw = _two_actor(links=[{"actor": "D", "issue": "V", "needs": "X", "target": 50}])
    g = _gains(raw, {"X": 75, "V": 0})
    assert g[1] == pytest.approx(0.25 - 0.03125)
    assert _gains(raw, {"X": 100, "V": 0})[1] == pytest.approx(0.0)  # condition unmet
    assert _gains(raw, {"X": 40, "V": 0})[1] == pytest.approx(0.5 - 0.5 * 0.36)  # met


def test_walk_away_and_stakes_as_computed_by_hand() -> None:
    raw = _two_actor(
        packages=[{"id": "ALT", "name": "alternative", "values": {"X": 50}}],
        stakes={"D": {"X": {"cost": 10, "outside_gain": 4}}})
    raw["actors"][0]["walk_away"] = {"package": "ALT"}
    raw["actors"][1]["walk_away"] = {"utility": -10}
    g = _gains(raw, {"X": 0})
    # R: gain 0.2 from X 0; ALT (X 50) gives 0.2 * (1 - 0.25) = 0.15: surplus 0.05.
    assert g[0] == pytest.approx(0.05)
    # D: X 100 -> 0 costs 0.5 * (-1) = -0.5, plus the stake 0.04 - 0.10 = -0.06; its utility
    # at the status quo is 0.5 * 0 + 0.5 * (-1) = -0.5, so a walk-away utility of -0.10 is
    # a gain of 0.40 over the status quo: surplus -0.5 - 0.06 - 0.40 = -0.96.
    assert g[1] == pytest.approx(-0.96)


def test_rules_exclude_packages_from_every_search() -> None:
    from detente.scenario import scenario_from_mapping
    from detente.settlement.problem import SettlementProblem

    raw = _two_actor(rules=[{"when": {"issue": "X", "at_most": 50},
                             "then": {"issue": "V", "at_most": 50}}])
    raw["trust"] = {}
    problem = SettlementProblem.from_scenario(scenario_from_mapping(raw), step=50)
    table = build_table(problem)
    for method in ("brute", "bnb", "milp"):
        best = best_packages(table, "nash", 3, method=method)[0]
        for values in best.values:
            assert not (values[0] <= 0.5 + 1e-9 and values[1] > 0.5 + 1e-9), method


# Rules the candidate values cannot meet, or meet only on one side of a threshold: every
# method must read a rule exactly as brute force does (docs/settle.md, *Search with pair
# terms*), whether or not some party must agree.

#: A rule that holds whatever I1 is ("I1 ≥ 0 requires ...").
ALWAYS = ("I1", 0.0, INF)


@pytest.mark.parametrize("veto", [[True, True], [False, False]], ids=["parties", "nobody"])
def test_a_rule_no_candidate_can_meet_empties_the_zone_for_every_method(veto) -> None:
    # I0 is 10 or 40 and the rule demands I0 ≥ 50: no package keeps it.
    problem = _rule_case([(0.1, (40.0,), True), (0.0, (100.0,), True)],
                         [[0.4, 1.0], [0.4, 1.0]], veto,
                         (RuleSpec(*ALWAYS, "I0", 0.5, INF),))
    assert reference_space(problem).packages == []
    table = build_table(problem)
    for method in METHODS:
        assert not search.zone_exists(table, method)[0], method
    check_against_reference(problem, "quadratic", 0.0, "discounted", 2)


@pytest.mark.parametrize("veto", [[True, True], [False, False]], ids=["parties", "nobody"])
def test_rules_on_two_pairs_that_together_exclude_every_package(veto) -> None:
    # I0 is 40 or 60 (its status quo is off the table); "I1 ≥ 0 requires I0 ≥ 50" keeps
    # 60 and "I2 ≥ 0 requires I0 ≤ 50" keeps 40. Each pair of issues allows some of its
    # slot pairs, so no single pair term is empty: only the two rules together leave no
    # package. Both actors gain from moving I1 and I2, so only the rules empty the zone.
    problem = _rule_case([(0.1, (40.0, 60.0), False), (0.0, (100.0,), True),
                          (0.0, (100.0,), True)],
                         [[0.5, 1.0, 1.0], [0.5, 1.0, 1.0]], veto,
                         (RuleSpec(*ALWAYS, "I0", 0.5, INF),
                          RuleSpec("I2", 0.0, INF, "I0", -INF, 0.5)))
    assert reference_space(problem).packages == []
    table = build_table(problem)
    for method in METHODS:
        assert not search.zone_exists(table, method)[0], method
    assert milp.zone_ranges(table)[0] is None
    check_against_reference(problem, "quadratic", 0.0, "discounted", 2)


@pytest.mark.parametrize("veto", [[True, True], [False, False]], ids=["parties", "nobody"])
def test_a_rule_threshold_between_candidates(veto) -> None:
    # I0 is 50 (status quo), 40 or 60; I1 is 0 or 100; "I1 ≥ 50 requires I0 ≤ 45" (45 lies
    # between the candidates) excludes (50, 100) and (60, 100): 4 of the 6 packages. A0
    # wants I0 at 60 and I1 at 100, which the rule forbids together, so the best package
    # is not the unconstrained one.
    problem = _rule_case([(0.5, (40.0, 60.0), True), (0.0, (100.0,), True)],
                         [[0.6, 1.0], [0.45, 1.0]], veto,
                         (RuleSpec("I1", 0.5, INF, "I0", -INF, 0.45),))
    ref = reference_space(problem)
    assert sorted(ref.packages) == [(0.4, 0.0), (0.4, 1.0), (0.5, 0.0), (0.6, 0.0)]
    table = build_table(problem)
    for method in METHODS:
        size = search.zone_size(table, method)[0]
        assert size == len(ref.zone()), method
        if not any(veto):  # nobody must agree: the zone is every package that keeps the rule
            assert size == 4, method
        for best in (best_packages(table, "nash", 3, method=method)[0],
                     best_packages(table, "maxmin", 3, method=method)[0]):
            for values in best.values:
                assert not (values[1] >= 0.5 and values[0] > 0.45), method
    ranges = milp.zone_ranges(table)[0]
    assert ranges is not None
    if not any(veto):
        np.testing.assert_allclose(ranges.low, [0.4, 0.0])
        np.testing.assert_allclose(ranges.high, [0.6, 1.0])
    check_against_reference(problem, "quadratic", 0.0, "discounted", 3)


# ---------------------------------------------------------------------------------------
# Invariants
# ---------------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(trust=st.floats(0.0, 1.0), low=st.floats(0.0, 1.0), high=st.floats(0.0, 1.0),
       verifier_trust=st.floats(0.0, 1.0), strength=st.floats(0.0, 1.0))
def test_credibility_rises_with_verification_and_trust_in_verifiers(
        trust: float, low: float, high: float, verifier_trust: float,
        strength: float) -> None:
    raw = _two_actor(trust={"R": {"D": trust, "INS": verifier_trust}})
    raw["issues"][1]["verifies"] = {**VERIFY, "strength": strength,
                                    "verifiers": [{"up_to": 100, "by": ["INS"]}]}
    lo, hi = sorted((low, high))
    weaker = _gains(raw, {"X": 0, "V": 100 * (1 - lo)})[0]
    stronger = _gains(raw, {"X": 0, "V": 100 * (1 - hi)})[0]
    assert trust - 1e-12 <= weaker <= stronger + 1e-12 <= 1.0 + 2e-12
    raw["trust"]["R"]["INS"] = min(1.0, verifier_trust + 0.1)
    assert _gains(raw, {"X": 0, "V": 100 * (1 - hi)})[0] >= stronger - 1e-12


# ---------------------------------------------------------------------------------------
# Scenario checks: clear errors naming the place and the fix
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("change", "where", "words"), [
    (lambda r: r["issues"][1].update(verifies={**VERIFY, "issues": ["XX"]}),
     "issues.V.verifies.issues", "did you mean 'X'"),
    (lambda r: r["issues"][1].update(verifies={**VERIFY, "issues": ["V"]}),
     "issues.V.verifies.issues", "cannot verify itself"),
    (lambda r: r["issues"][1].update(verifies={**VERIFY, "verifiers": [
        {"up_to": 60, "by": ["INS"]}, {"up_to": 40, "by": ["D"]}]}),
     "issues.V.verifies.verifiers[1].up_to", "ascend"),
    (lambda r: r["issues"][1].update(verifies={**VERIFY, "verifiers": [
        {"up_to": 60, "by": ["INZ"]}]}), "issues.V.verifies", "below the scale's high end"),
    (lambda r: r.update(links=[{"actor": "RR", "issue": "V", "needs": "X", "target": 50}]),
     "links[0].actor", "did you mean 'R'"),
    (lambda r: r.update(rules=[{"when": {"issue": "X", "at_least": 5, "at_most": 9},
                                "then": {"issue": "V", "at_most": 50}}]),
     "rules[0].when", "exactly one of at_least and at_most"),
    (lambda r: r["actors"][0].update(walk_away={"package": "ALTT"}),
     "actors.R.walk_away.package", "unknown package"),
    (lambda r: r.update(stakes={"R": {"X": {"cost": 1}}}), "stakes.R.X",
     "guarantees X nowhere"),
    (lambda r: r["issues"][1].update(verifies={**VERIFY, "strength": {
        "value": 0.5, "low": 0.2, "high": 0.8}}), "issues.V.verifies.strength",
     "not sampled here yet"),
])
def test_bad_mechanisms_are_refused_with_the_place_and_a_fix(change, where, words) -> None:
    from detente.errors import ScenarioError
    from detente.scenario import scenario_from_mapping

    raw = _two_actor()
    change(raw)
    with pytest.raises(ScenarioError) as err:
        scenario_from_mapping(raw)
    text = str(err.value)
    assert where in text and words in text, text


def test_a_linked_issue_cannot_be_verified() -> None:
    from detente.errors import ScenarioError
    from detente.scenario import scenario_from_mapping

    raw = _two_actor(links=[{"actor": "R", "issue": "X", "needs": "V", "target": 0}])
    raw["issues"][1]["verifies"] = VERIFY
    with pytest.raises(ScenarioError, match="a linked issue cannot be verified"):
        scenario_from_mapping(raw)


def test_contributions_say_what_a_guarantor_needs_to_take_part() -> None:
    from detente.scenario import scenario_from_mapping
    from detente.settlement.contributions import guarantor_needs
    from detente.settlement.problem import SettlementProblem

    # D delivers X but holds no veto; moving X 100 -> 0 costs D its whole utility share
    # (position 100, all its salience on X): -1.0, plus its stake 0.04 - 0.10: -1.06, i.e.
    # 106 points short of taking part. R (the only party) wants X at 0.
    raw = _two_actor(stakes={"D": {"X": {"cost": 10, "outside_gain": 4}}})
    raw["actors"][1]["veto"] = False
    raw["issues"] = raw["issues"][:1]  # X alone
    for row in raw["stances"].values():
        del row["V"]
    problem = SettlementProblem.from_scenario(scenario_from_mapping(raw), step=50)
    needs = guarantor_needs(problem)
    assert needs["D"]["gain"] == pytest.approx(-106.0)
    assert needs["D"]["stake"] == pytest.approx(-6.0)
    assert needs["D"]["needs"] == pytest.approx(106.0, abs=1e-6)
    raw["stakes"]["D"]["X"]["outside_gain"] = 100  # 100 - 10 = +90 points: still short
    needs = guarantor_needs(SettlementProblem.from_scenario(scenario_from_mapping(raw),
                                                            step=50))
    assert needs["D"]["needs"] == pytest.approx(10.0, abs=1e-6)


# ---------------------------------------------------------------------------------------
# How the MILP carries the pair terms (docs/settle.md, *Search with pair terms*): the
# factored columns, the rule rows and the marginal columns give the same answers
# ---------------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(problem=random_mechanisms_problems(max_options=5), form=st.sampled_from(
    ["factored", "columns", "auto"]), local=st.booleans())
def test_each_pair_form_equals_the_itertools_reference(problem, form, local) -> None:
    table = build_table(problem)
    # only problems whose pair terms give some party a gain or a loss (else no pair column)
    assume(any(np.abs(p.gains[0][..., table.must_agree[0]]).max(initial=0.0) > 1e-9
               for p in table.pairs))
    ref = reference_space(problem)
    zone = ref.zone()
    with milp.formulation(form, local):
        assert bool(search.zone_exists(table, "milp")[0]) == bool(zone)
        nash = best_packages(table, "nash", 3, method="milp")[0]
        expected = sorted((ref.log_nash(ref.gains[r]) for r in zone), reverse=True)[:3]
        np.testing.assert_allclose(nash.score, expected, atol=GAP)
        for values, gains in zip(nash.values, nash.gains, strict=True):
            truth = reference_gains(problem, [float(v) for v in values], "quadratic", 0.0,
                                    "discounted")
            np.testing.assert_allclose(gains, truth, atol=1e-12)
            assert ref.in_zone(truth)
        maxmin = best_packages(table, "maxmin", 2, method="milp")[0]
        by_min = sorted((v for r in zone if np.isfinite(v := ref.min_gain(ref.gains[r]))),
                        reverse=True)[:2]
        np.testing.assert_allclose(maxmin.score, by_min, atol=1e-9)
        accord = search.smallest_accords(table, "milp")[0]
        fewest = min((ref.changes(r) for r in zone), default=None)
        moved = (np.abs(accord.values - np.array(ref.status_quo)) > 1e-12).sum(axis=1)
        assert moved.tolist() == ([] if fewest is None else [fewest])
        check_milp_zone_ranges(problem, table, ref)


def test_the_factors_reproduce_a_low_rank_term_and_refuse_past_the_limit() -> None:
    rng = np.random.default_rng(7)
    left, right = rng.normal(size=(9, 3)), rng.normal(size=(3, 6 * 4))
    q = (left @ right).reshape(9, 6, 4)
    got = milp._factor(q, 10)
    assert got is not None
    c, w = got
    assert c.shape[1] == 3 and np.abs(c).max() <= 1.0
    np.testing.assert_allclose(np.einsum("ur,rsa->usa", c, w), q, rtol=0, atol=1e-12)
    assert milp._factor(q, 3) is None  # three factors do not beat a limit of three
    zero = milp._factor(np.zeros((4, 5, 2)), 2)
    assert zero is not None and zero[0].shape == (4, 0)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_rule_rows_exclude_exactly_the_masked_slot_pairs(n_i, n_j, seed) -> None:
    rng = np.random.default_rng(seed)
    allowed = rng.random((n_i, n_j)) < rng.choice([0.3, 0.7, 1.0])
    rows = milp._Rows()
    milp._rule_rows(rows, np.arange(n_i), n_i + np.arange(n_j), allowed)
    a, lo, hi = rows.matrix(n_i + n_j)
    for oi in range(n_i):
        for oj in range(n_j):
            y = np.zeros(n_i + n_j)
            y[[oi, n_i + oj]] = 1.0
            value = a @ y
            assert bool(np.all((lo <= value) & (value <= hi))) == allowed[oi, oj]


def test_korea_factored_pairs_equal_the_marginal_columns() -> None:
    # step 10: 51 values a grid issue, ~2 600 marginal columns against ~260 factored
    table = build_table(SettlementProblem.from_scenario(detente.load("korea-2017"), 10))
    answers = []
    for form, local in (("columns", False), ("auto", True)):
        with milp.formulation(form, local):
            nash = best_packages(table, "nash", 2, method="milp")[0]
            maxmin = best_packages(table, "maxmin", 1, method="milp")[0]
            accord = search.smallest_accords(table, "milp")[0]
            answers.append((nash, maxmin, accord, bool(search.zone_exists(table, "milp")[0])))
    (n0, m0, a0, z0), (n1, m1, a1, z1) = answers
    assert z0 == z1
    assert n0.slots.tolist() == n1.slots.tolist()
    np.testing.assert_allclose(n0.score, n1.score, atol=GAP)
    assert m0.slots.tolist() == m1.slots.tolist()
    np.testing.assert_allclose(m0.score, m1.score, atol=1e-12)
    assert a0.slots.tolist() == a1.slots.tolist()
    np.testing.assert_allclose(a0.score, a1.score, atol=GAP)
    with milp.formulation("auto"):
        m = milp._models(table)[0]
        assert m is not None and m.n - m.n_y < 0.2 * sum(
            table.valid[0, p.i].sum() * table.valid[0, p.j].sum() for p in table.pairs)


def _brute(raw: np.ndarray, pairs: list[tuple[int, int, np.ndarray, np.ndarray]]
           ) -> tuple[list[tuple[int, ...]], np.ndarray]:
    """Every package of a model-level problem that keeps the masks, with its gains."""
    packages, gains = [], []
    for x in itertools.product(*(range(raw.shape[1]) for _ in range(raw.shape[0]))):
        if all(allowed[x[i], x[j]] for i, j, _, allowed in pairs):
            packages.append(x)
            gains.append(sum(raw[k, o] for k, o in enumerate(x))
                         + sum(q[x[i], x[j]] for i, j, q, _ in pairs))
    return packages, np.array(gains).reshape(len(packages), raw.shape[2])


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), form=st.sampled_from(["factored", "columns"]))
def test_low_rank_pair_terms_and_threshold_rules_equal_enumeration(seed, form) -> None:
    # Pair terms as the mechanisms make them: sums of products of a function of each
    # issue, zero at the status quo (slot 0), with threshold rules, on 3 issues of 5 slots.
    rng = np.random.default_rng(seed)
    n_issues, n_slots, n_actors = 3, 6, 3
    raw = rng.normal(0.3, 1.0, (n_issues, n_slots, n_actors))
    raw[:, 0] = 0.0
    pairs = []
    for i, j in ((0, 1), (1, 2)):
        rank = int(rng.integers(1, 4))
        f = rng.normal(size=(n_slots, rank))
        g = rng.normal(size=(rank, n_slots, n_actors))
        f[0], g[:, 0] = 0.0, 0.0
        q = np.einsum("ur,rsa->usa", f, g)
        when, then = int(rng.integers(1, n_slots)), int(rng.integers(0, n_slots))
        allowed = ~((np.arange(n_slots)[:, None] >= when) & (np.arange(n_slots)[None] > then))
        pairs.append((i, j, q, allowed))
    changed = np.ones((n_issues, n_slots), dtype=bool)
    changed[:, 0] = False
    weights = rng.dirichlet(np.ones(n_actors))
    m = milp.model(raw, np.ones((n_issues, n_slots), dtype=bool), changed,
                   np.ones(n_actors, dtype=bool), weights, pairs, form=form)
    assert m is not None
    if form == "factored":
        assert m.n - m.n_y <= 2 * 3 * n_slots  # no marginal column
    packages, gains = _brute(raw, pairs)
    zone = np.all(gains > search.GAIN_TOLERANCE, axis=1)
    nash = milp.best_nash(m, 2)
    m.nogood.clear()
    expected = np.sort(np.log(gains[zone]) @ weights)[::-1][:2]
    np.testing.assert_allclose(nash.score, expected, atol=GAP)
    maxmin = milp.max_min(m, 2)
    m.nogood.clear()
    np.testing.assert_allclose(maxmin.score, np.sort(gains[zone].min(axis=1))[::-1][:2],
                               atol=1e-9)
    assert milp.zone_test(m) in (bool(zone.any()), None)
    for slots in (*nash.slots, *maxmin.slots):
        assert tuple(int(o) for o in slots) in packages


@pytest.mark.parametrize("analysis", ["settle", "roadmap"])
def test_a_mechanism_left_out_is_said_in_the_json_and_the_table(analysis: str) -> None:
    # `--ignore rules` changes korea-2017's zone at step 50% (30 packages → 47); a reader of
    # the JSON or the table must be able to tell those numbers from the scenario's own.
    left_out = detente.run(analysis, "korea-2017", step="50%", ignore=["rules"])
    plain = detente.run(analysis, "korea-2017", step="50%")
    assert left_out.to_dict()["ignored"] == ["rules"]
    assert plain.to_dict()["ignored"] == []
    notes = " ".join(left_out.view().notes)
    assert "Left out (--ignore): rules" in notes
    assert "Left out" not in " ".join(plain.view().notes)
