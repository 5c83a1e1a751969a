"""Per-issue zone, efficiency frontier and persuasion plans against a plain reference.

The reference (tests/settle_helpers.py) enumerates every package with itertools from the
formulas of docs/settle.md and shares no code with the searches.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import detente
from detente.arrays import Arrays
from detente.scenario import Scenario, scenario_from_mapping
from detente.settlement.problem import SettlementProblem
from detente.settlement.search import SearchTooLarge, best_packages, build_table
from detente.settlement.zone import EfficientList, frontier

from .settle_helpers import (
    REFERENCE_SETTINGS,
    check_frontier,
    check_issue_ranges,
    check_persuasion,
    random_problems,
    two_by_two,
)


@REFERENCE_SETTINGS
@given(problem=random_problems(max_actors=4, max_issues=3, max_options=4),
       method=st.sampled_from(["brute", "bnb"]))
def test_issue_ranges_equal_the_reference(problem: SettlementProblem, method: str) -> None:
    check_issue_ranges(problem, method)


@REFERENCE_SETTINGS
@given(problem=random_problems(max_actors=4, max_issues=3, max_options=4))
def test_frontier_points_lie_on_the_reference_frontier(problem: SettlementProblem) -> None:
    check_frontier(problem)


@REFERENCE_SETTINGS
@given(problem=random_problems(max_actors=4, max_issues=3, max_options=4),
       seed=st.integers(0, 2**31 - 1))
def test_persuasion_levers_win_their_blocker_and_are_the_nearest_on_the_grid(
        problem: SettlementProblem, seed: int) -> None:
    check_persuasion(problem, seed)


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


def test_the_frontier_end_best_for_a_is_not_beaten_on_g_b() -> None:
    # A0 sits at 0.3 on I1 and its candidates are 0.2 and 0.4: A0 gains the same from either,
    # so A0's most (the frontier's right end) is two packages, (40, 20) and (40, 40), and A2
    # gains more from (40, 40). The end point once was whichever A0's search returned first,
    # (40, 20), a point (40, 40) beats (seed hunt: hypothesis seed 3 of
    # test_frontier_points_lie_on_the_reference_frontier).
    arrays = Arrays(
        actor_ids=("A0", "A1", "A2", "A3"), issue_ids=("I0", "I1"),
        guarantor_ids=("A0", "A1", "A2", "A3", "INST"),
        capability=np.array([31.983224825174666, 4.9381835377863945, 63.09477636919711,
                             31.094363328438483]),
        position=np.array([[0.4, 0.3], [0.5, 0.2], [0.0, 0.9], [0.4, 0.4]]),
        salience=np.array([[0.40315061771517263, 0.6160261275328652],
                           [0.5156140017791062, 0.5864591490729903],
                           [0.7098322352804023, 0.42915311244022597],
                           [0.5535549033990983, 0.4541227635770759]]),
        status_quo=np.array([1.0, 0.6]),
        trust=np.array([
            [0.6652490465133546, 0.01455878412385025, 0.1894580778232623, 0.8291826398654727,
             1.0],
            [0.723371896081798, 1.0, 1.0, 0.2992398937731122, 0.23965889671521112],
            [0.2114840907610832, 0.8737707680230818, 1.0, 0.3576979332247695,
             0.5212822075601673],
            [0.5606134838461407, 1.0, 0.45284555158868833, 1.0, 1.0]]),
        stake=np.ones((4, 2), dtype=bool), veto=np.array([True, False, True, True]),
        scale_low=np.zeros(2), scale_high=np.full(2, 100.0))
    problem = SettlementProblem(
        scenario_id="tied-end", arrays=arrays,
        issue_guarantors=(("A0", "A2", "A3"), ("A0", "A2", "A3", "INST")),
        candidates=((30.0, 40.0, 70.0), (20.0, 40.0)), keep_status_quo=(True, True),
        steps=(None, None))
    check_frontier(problem)  # against the reference, with the brute force
    for method in ("brute", "bnb", "auto", "milp"):
        got = frontier(problem, "A0", "A2", method=method)
        assert got.packages[-1] == {"I0": 40.0, "I1": 40.0}, method


def test_an_efficient_range_only_the_milp_could_list_is_refused_with_its_estimate(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # korea-2017 at the default step (2.8e8 packages) goes to the MILP under auto; with
    # branch and bound's budget for the 200 best by Nash cut to one expansion, the 200 were
    # listed by 200 MILPs, silently (at step 1% for most of an hour): now refused with the
    # estimate and the fixes.
    from detente.settlement import zone

    monkeypatch.setattr(zone, "TOP_K_BUDGET", 1, raising=False)
    problem = SettlementProblem.from_scenario(detente.load("korea-2017"))
    with pytest.raises(SearchTooLarge) as err:
        zone.issue_ranges(problem)
    (problem_,) = err.value.problems
    assert problem_.location == "--zones"
    assert "200 best by Nash product" in problem_.message and "200 ×" in problem_.message
    assert "--no-zones" in problem_.fix and "--method bnb" in problem_.fix


def test_settle_refuses_the_zones_before_any_of_its_other_searches(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The refusal above, met by settle: korea-2017 at step 1% reached it only after ~20 s of
    # the zone test, the best Nash and max-min searches and the named packages. A refusal
    # that can be known before the work comes before it: none of those runs.
    from detente.settlement import api, zone

    monkeypatch.setattr(zone, "TOP_K_BUDGET", 1, raising=False)
    searched: list[str] = []
    for name in ("zone_exists", "zone_size", "best_packages", "smallest_accords",
                 "analyse_packages"):
        def spy(*args: object, _name: str = name, _real: object = getattr(api, name),
                **kwargs: object) -> object:
            searched.append(_name)
            return _real(*args, **kwargs)  # type: ignore[operator]

        monkeypatch.setattr(api, name, spy)
    with pytest.raises(SearchTooLarge) as err:
        detente.settle("korea-2017", persuasion=False)
    assert err.value.problems[0].location == "--zones"
    assert searched == []


def test_settle_names_each_step_as_it_begins_the_zones_issue_by_issue() -> None:
    # The per-issue zones take minutes at step 1%: the spinner (and the workbench's job)
    # names each step, through the progress the analyses hand an analysis with steps.
    from detente import analyses

    steps: list[str] = []
    result = analyses.run("settle", "korea-2017", {"without": ["RU"]}, progress=steps.append,
                          step="25%", persuade=False)
    issues = result.value.scenario.issue_ids
    (variant,) = result.value.variants
    zones = ["zones: screening each value not yet seen",
             *[f"zones: issue {k + 1} of {len(issues)} ({i})" for k, i in enumerate(issues)]]
    searches = ["the zone of agreement", "counting the zone",
                "the best packages by Nash product", "the max-min package",
                "the smallest accord", "the named packages", *zones]
    first = "zones: the 200 best packages by Nash product"
    # Both outcomes' refusable part first (the zones' efficient packages), then each one's
    # searches, the counterfactual's named by its label.
    assert steps == [first, f"{variant.label}: {first}", *searches,
                     *[f"{variant.label}: {s}" for s in searches]]


SEARCHES = ["the zone of agreement", "counting the zone", "the best packages by Nash product",
            "the max-min package", "the smallest accord", "the named packages"]


def both_want_more() -> Scenario:
    """Two veto players who both want X and Y at 100 from 0: every value of each issue is
    taken by some acceptable package (the other issue at 100 gives both a gain)."""
    stance = {"X": {"position": 100, "salience": 0.5}, "Y": {"position": 100, "salience": 0.5}}
    return scenario_from_mapping({
        "id": "more", "title": "both want more",
        "issues": [{"id": i, "name": i, "status_quo": 0} for i in ("X", "Y")],
        "actors": [{"id": a, "name": a, "capability": 1, "veto": True} for a in ("A", "B")],
        "stances": {"A": stance, "B": stance}})


@pytest.mark.parametrize(("scenario", "step", "method", "values", "screened"), [
    (two_by_two, "5%", "auto", 21, True),
    (two_by_two, "1%", "bnb", 101, False),  # a named method decides every value by search
    (both_want_more, "25%", "auto", 5, False),  # every value seen already: nothing to screen
])
def test_the_zones_steps_at_a_finer_step_on_a_small_scenario(
        scenario: Callable[[], Scenario], step: str, method: str, values: int,
        screened: bool) -> None:
    # Before: every space brute force lists was announced as 'the 200 best packages by Nash
    # product' (it scores every package and keeps up to 20,001), and the screen was
    # announced when every value had been seen and nothing was screened.
    from detente import analyses

    steps: list[str] = []
    result = analyses.run("settle", scenario(), None, progress=steps.append, step=step,
                          method=method, persuade=False)
    baseline = result.value.baseline
    assert baseline.space_size == values ** 2 and baseline.zones is not None
    assert baseline.zones.efficient_exact
    assert steps == [f"zones: the best packages by Nash product (all {values ** 2} scored)",
                     *SEARCHES, *["zones: screening each value not yet seen"] * screened,
                     "zones: issue 1 of 2 (X)", "zones: issue 2 of 2 (Y)"]


def test_a_refusal_of_the_zones_comes_after_their_first_step_alone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The zones' efficient packages of every outcome are listed before any search: refused
    # there (korea-2017 once its budget is spent), the baseline's first step is the only one
    # named, neither a search nor the counterfactual's steps.
    from detente import analyses
    from detente.settlement import zone

    monkeypatch.setattr(zone, "TOP_K_BUDGET", 1, raising=False)
    steps: list[str] = []
    with pytest.raises(SearchTooLarge):
        analyses.run("settle", "korea-2017", {"without": ["RU"]}, progress=steps.append,
                     persuade=False)
    assert steps == ["zones: the 200 best packages by Nash product"]


@pytest.mark.parametrize("step", [None, "25%"])
def test_settle_lists_the_best_by_nash_once_with_the_zones_on(
        monkeypatch: pytest.MonkeyPatch, step: str | None) -> None:
    # The zones list the 200 best by Nash product and settle's Pareto list the 50 best: the
    # 50 were searched again (korea-2017 at step 5%: 3 s of 40 s). Read from the 200 best
    # instead (their scores lie apart), the list is the one settle without zones searches.
    from detente.settlement import api, zone

    lists: list[int] = []
    for module in (api, zone):
        def spy(table: object, objective: str = "nash", top: int = 1, *args: object,
                _real: object = module.best_packages, **kwargs: object) -> object:
            if objective == "nash" and top > 1:
                lists.append(top)
            return _real(table, objective, top, *args, **kwargs)  # type: ignore[operator]

        monkeypatch.setattr(module, "best_packages", spy)
    zoned = detente.settle("korea-2017", step=step, persuasion=False).baseline
    assert lists == [zone.EFFICIENT_TOP]
    alone = detente.settle("korea-2017", step=step, persuasion=False, zones=False).baseline
    assert lists == [zone.EFFICIENT_TOP, 50]
    assert zoned.pareto_searched == alone.pareto_searched == 50
    assert zoned.best == alone.best and zoned.pareto == alone.pareto


def _mirrored() -> SettlementProblem:
    """Both parties want X at 50 from 0, so X = 40 and X = 60 give each the same gain: every
    package with X at one of them ties with its mirror."""
    return SettlementProblem.from_scenario(scenario_from_mapping({
        "id": "mirror", "title": "mirrored values",
        "issues": [{"id": "X", "name": "x", "status_quo": 0},
                   {"id": "Y", "name": "y", "status_quo": 50}],
        "actors": [{"id": "A", "name": "a", "capability": 1, "veto": True},
                   {"id": "B", "name": "b", "capability": 2, "veto": True}],
        "stances": {"A": {"X": {"position": 50, "salience": 0.5},
                          "Y": {"position": 0, "salience": 0.5}},
                    "B": {"X": {"position": 50, "salience": 0.5},
                          "Y": {"position": 100, "salience": 0.5}}}}))


@REFERENCE_SETTINGS
@given(problem=random_problems(max_actors=4, max_issues=4, max_options=5),
       few=st.integers(1, 12), method=st.sampled_from(["brute", "bnb"]))
@example(problem=_mirrored(), few=3, method="bnb")
@example(problem=_mirrored(), few=3, method="brute")
def test_a_nash_list_read_from_a_longer_one_is_the_one_its_own_search_returns(
        problem: SettlementProblem, few: int, method: str) -> None:
    # settle reads its Pareto list from the zones' longer one (above) only where that is
    # certain: brute force always, branch and bound where no tie can reorder the cut-off.
    table = build_table(problem)
    if not table.must_agree[0].any():
        return  # nobody must agree: settle refuses
    longer = best_packages(table, "nash", 4 * few, method=method)[0]
    read = EfficientList(None, False, longer, 4 * few, method).best_by_nash(few, method)
    own = best_packages(table, "nash", few, method=method)[0]
    assert read is not None or method == "bnb"
    if read is not None:
        assert read.slots.tolist() == own.slots.tolist()
        assert read.score.tolist() == own.score.tolist()
        assert read.gains.tolist() == own.gains.tolist()


def test_a_tie_within_the_list_is_searched_again_by_branch_and_bound() -> None:
    table = build_table(_mirrored())
    longer = best_packages(table, "nash", 12, method="bnb")[0]
    assert np.any(np.diff(longer.score[:4]) == 0)  # the case is tied where it is read
    listed = EfficientList(None, False, longer, 12, "bnb")
    assert listed.best_by_nash(3, "bnb") is None
    whole = listed.best_by_nash(12, "bnb")  # the same search: read whatever its ties
    assert whole is not None and whole.slots.tolist() == longer.slots.tolist()
    assert listed.best_by_nash(3, "brute") is None  # another search is never read
