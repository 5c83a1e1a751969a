"""Per-issue zone, efficiency frontier and persuasion plans against a plain reference.

The reference (tests/settle_helpers.py) enumerates every package with itertools from the
formulas of docs/settle.md and shares no code with the searches.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import detente
from detente.scenario import scenario_from_mapping
from detente.settlement import analyse_packages
from detente.settlement.persuasion import GRID, persuade
from detente.settlement.problem import NamedPackage, SettlementProblem
from detente.settlement.zone import frontier, issue_ranges

from .settle_helpers import random_problems, reference_gains, reference_space

SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
TOL = 1e-9


def _dominates(g: list[float], h: list[float], parties: list[bool]) -> bool:
    idx = [a for a, p in enumerate(parties) if p]
    return all(g[a] >= h[a] - 1e-12 for a in idx) and any(g[a] > h[a] + 1e-12 for a in idx)


@SETTINGS
@given(problem=random_problems(max_actors=4, max_issues=3, max_options=4),
       method=st.sampled_from(["brute", "bnb"]))
def test_issue_ranges_equal_the_reference(problem: SettlementProblem, method: str) -> None:
    ref = reference_space(problem)
    zone = ref.zone()
    if not any(ref.parties):
        return
    got = issue_ranges(problem, method=method)  # type: ignore[arg-type]
    efficient = [r for r in zone if not any(
        _dominates(ref.gains[s], ref.gains[r], ref.parties) for s in zone)]
    assert got.efficient_exact  # tiny spaces: every acceptable package is listed
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


@SETTINGS
@given(problem=random_problems(max_actors=4, max_issues=3, max_options=4))
def test_frontier_points_lie_on_the_reference_frontier(problem: SettlementProblem) -> None:
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
    # The frontier reaches both ends: the best for B (threshold 0) and the best for A.
    assert max(y for _, y in got.points) == pytest.approx(max(cy for _, cy in cloud))
    assert max(x for x, _ in got.points) == pytest.approx(max(cx for cx, _ in cloud))


def _gain(problem: SettlementProblem, values: list[float], actor: int) -> float:
    return reference_gains(problem, values, "quadratic", 0.0, "discounted")[actor]


@SETTINGS
@given(problem=random_problems(max_actors=4, max_issues=3, max_options=4),
       seed=st.integers(0, 2**31 - 1))
def test_persuasion_levers_win_their_blocker_and_are_the_nearest_on_the_grid(
        problem: SettlementProblem, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = problem.arrays
    values = {i: float(rng.choice(np.arange(0, 101, 10))) for i in a.issue_ids}
    package = NamedPackage("X", "random", values, tuple(values))
    problem = problem.replace(packages=(package,))
    analysis = analyse_packages(problem, [package])[0]
    plan = persuade(problem, package, analysis)
    unit = [v / 100 for v in values.values()]
    actors = list(a.actor_ids)
    for lv in plan.levers:
        b = actors.index(lv.actor)
        assert _gain(problem, unit, b) <= TOL  # a blocker before
        changed = _changed(problem, lv.kind, lv.target, b, lv.needed)
        assert _gain(changed, unit, b) > TOL  # wins it over
        if lv.kind == "position":
            # One grid step nearer the current position does not (the lever is minimal).
            step = 1.0 / (GRID - 1) * np.sign(lv.current - lv.needed) * 100
            if abs(lv.needed - lv.current) > abs(step) + 1e-9:
                nearer = _changed(problem, lv.kind, lv.target, b, lv.needed + step)
                assert _gain(nearer, unit, b) <= TOL
    assert all(x.size <= y.size for x, y in zip(plan.levers, plan.levers[1:], strict=False))
    # The plan (one lever per blocker, applied together) leaves nobody blocking.
    if not plan.unmovable:
        changed = problem
        for lv in plan.plan:
            changed = _changed(changed, lv.kind, lv.target, actors.index(lv.actor), lv.needed)
        for k, party in enumerate(reference_space(changed).parties):
            if party:
                assert _gain(changed, unit, k) > TOL
        assert plan.after == ()


def _changed(problem: SettlementProblem, kind: str, target: str, b: int, value: float
             ) -> SettlementProblem:
    a = problem.arrays
    if kind == "position":
        pos = a.position.copy()
        pos[b, list(a.issue_ids).index(target)] = value / 100
        return problem.replace(arrays=a.replace(position=pos))
    if kind == "salience":
        sal = a.salience.copy()
        sal[b, list(a.issue_ids).index(target)] = value
        return problem.replace(arrays=a.replace(salience=sal))
    trust = a.trust.copy()
    trust[b, list(a.guarantor_ids).index(target)] = value
    return problem.replace(arrays=a.replace(trust=trust))


def test_korea_persuasion_plans_for_p1_and_p2() -> None:
    s = detente.settle("korea-2017", packages=["P1", "P2"], zones=True, persuasion=True)
    plans = {p.package: p for p in s.baseline.persuasion}
    p2 = plans["P2"]
    assert set(p2.blockers) == {"US", "KP", "JP"} and p2.after == ()
    # KP's smallest position lever on P2 is the missile freeze, as settle's single-issue
    # fix says (its smallest lever of all is a worse walk-away point: korea-2017 states PX,
    # no deal and escalation, as every actor's walk-away point since issue 16).
    kp = next(lv for lv in p2.levers if lv.actor == "KP" and lv.kind == "position")
    assert (kp.kind, kp.target) == ("position", "MSL")
    assert next(lv for lv in p2.plan if lv.actor == "KP").kind == "walk-away"
    assert set(plans["P1"].blockers) == {"US", "KP", "KR", "JP"}
    zones = s.baseline.zones
    assert zones is not None
    for z in zones.issues:  # the best Nash package lies inside every issue's ranges
        best = s.baseline.best.values[z.issue]
        assert z.zone_min <= best <= z.zone_max
        assert z.efficient_min <= best <= z.efficient_max
    d = s.to_dict()["baseline"]
    assert "zones" in d and d["persuasion"][0]["package"] in ("P1", "P2")
    plain = detente.settle("korea-2017", packages=["P2"], zones=False,
                           persuasion=False).to_dict()["baseline"]
    assert "zones" not in plain and "persuasion" not in plain  # off: the old JSON


def test_an_inner_efficient_range_is_labelled_on_every_surface(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Where the efficient range is not exact (here: forced, by listing at most one package)
    # the table's header, its note and the figure's legend say "inner range"; where it is
    # exact none of them does.
    import matplotlib.pyplot as plt

    from detente import analyses
    from detente.report.zone_figure import issue_zone_figure
    from detente.settlement import zone

    both_up = {"position": 100, "salience": 0.5}
    scenario = scenario_from_mapping({
        "id": "up", "title": "both want both up",
        "issues": [{"id": i, "name": i, "status_quo": 50} for i in ("X", "Y")],
        "actors": [{"id": a, "name": a, "capability": 1} for a in ("A", "B")],
        "stances": {a: {"X": both_up, "Y": both_up} for a in ("A", "B")}})

    def labels() -> tuple[str, str, str]:
        result = analyses.run("settle", scenario, step=50, persuade=False)
        t = next(t for t in result.view().tables if t.key == "issue-zones")
        fig = issue_zone_figure(result.value.baseline, scenario)
        legend = " ".join(x.get_text() for x in fig.axes[0].get_legend().get_texts())
        plt.close(fig)
        return " ".join(t.columns), " ".join(t.notes), legend

    assert all("inner range" not in text for text in labels())
    monkeypatch.setattr(zone, "EXACT_EFFICIENT", 1)  # the zone holds 3 packages
    inner = labels()
    assert all("inner range" in text for text in inner), inner
