"""Settlement design: utilities, credibility, the hand-worked case, counterfactuals, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import detente
from detente.cli.common import app
from detente.errors import OptionError
from detente.scenario import scenario_from_mapping
from detente.settlement import (
    Guarantees,
    NamedPackage,
    SettlementProblem,
    UtilitySettings,
    acceptable,
    analyse_packages,
    credibility,
    package_gains,
    package_utilities,
    parties,
    salience_shares,
)
from detente.settlement.contributions import contributions, shapley_exact
from detente.variation import variation_from_options as counterfactual
from tests.settle_helpers import random_problems, two_by_two

runner = CliRunner()


# --- credibility -----------------------------------------------------------------------

def test_credibility_independent_and_correlated() -> None:
    # KP's row of the brief: RU .5, CN .35; SEC delivered by RU and CN.
    trust = np.array([[1.0, 0.35, 0.5]])  # KP believes KP, CN, RU
    deliverers = np.array([[False, True, True]])
    unconditional = np.array([False])
    c = credibility(trust, deliverers, unconditional)
    assert c[0, 0] == pytest.approx(1 - 0.5 * 0.65)  # 0.675 (brief: "≈ .68")
    c = credibility(trust, deliverers, unconditional, correlation=0.7)
    assert c[0, 0] == pytest.approx(0.3 * 0.675 + 0.7 * 0.5)  # ≈ .55 as in the brief
    assert credibility(trust, deliverers, unconditional, correlation=1.0)[0, 0] == 0.5
    # nobody left to deliver: 0; nobody named: 1; a deliverer believes itself: 1
    assert credibility(trust, np.zeros((1, 3), bool), unconditional)[0, 0] == 0.0
    assert credibility(trust, np.zeros((1, 3), bool), np.array([True]))[0, 0] == 1.0
    assert credibility(trust, np.array([[True, False, False]]), unconditional)[0, 0] == 1.0


def test_credibility_is_batched() -> None:
    rng = np.random.default_rng(3)
    trust = rng.random((4, 3, 5))
    deliverers = rng.random((2, 5)) < 0.5
    batch = credibility(trust, deliverers, np.zeros(2, bool))
    for b in range(4):
        np.testing.assert_allclose(batch[b], credibility(trust[b], deliverers,
                                                         np.zeros(2, bool)))


# --- trust 1 reduces to the plain model ------------------------------------------------

@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=random_problems(), utility=st.sampled_from(["linear", "quadratic"]),
       correlation=st.floats(0, 1), seed=st.integers(0, 1000))
def test_full_trust_gives_the_plain_model(problem, utility, correlation, seed) -> None:
    arrays = problem.arrays.replace(trust=np.ones_like(problem.arrays.trust))
    # give every issue at least one deliverer (an empty set means "nobody can deliver")
    guarantors = tuple(g if g is None or g else ("A0",) for g in problem.issue_guarantors)
    problem = problem.replace(arrays=arrays, issue_guarantors=guarantors)
    packages = np.random.default_rng(seed).random((6, arrays.n_issues))
    opts = UtilitySettings(utility, correlation)
    with_trust = package_gains(arrays, packages, problem.guarantees(), opts)
    power = 1.0 if utility == "linear" else 2.0
    shares = salience_shares(arrays.salience)
    plain = (shares[None] * (np.abs(arrays.status_quo - arrays.position)[None] ** power
                             - np.abs(packages[:, None, :] - arrays.position[None]) ** power)
             ).sum(axis=-1)
    np.testing.assert_allclose(with_trust, plain, atol=1e-12)
    believed = Guarantees.everyone_believed(arrays.guarantor_ids, arrays.n_issues)
    np.testing.assert_allclose(package_gains(arrays, packages, believed, opts), plain,
                               atol=1e-12)


def test_utilities_are_reservation_plus_gain() -> None:
    problem = SettlementProblem.from_scenario(detente.load("korea-2017"))
    values = problem.package_values(problem.packages)
    guarantees = problem.package_guarantees(problem.packages)
    utilities = package_utilities(problem.arrays, values, guarantees)
    assert np.all(utilities <= 0) and np.all(utilities >= -1)
    status_quo = utilities[0]  # P0 is the status quo
    np.testing.assert_allclose(utilities - status_quo,
                               package_gains(problem.arrays, values, guarantees))


def test_package_gains_batched_shape() -> None:
    problem = SettlementProblem.from_scenario(detente.load("korea-2017"))
    batch = problem.arrays.broadcast_batch(3)
    values = problem.package_values(problem.packages)
    n = len(problem.packages)
    for mechanisms in (None, problem.mechanisms):  # plain, and with issue 16's mechanisms
        gains = package_gains(batch, values, problem.package_guarantees(problem.packages),
                              mechanisms=mechanisms)
        assert gains.shape == (3, n, 6)
        ok = acceptable(gains, parties(batch)[:, None, :])
        assert ok.shape == (3, n)


# --- the two-actor, two-issue case worked by hand --------------------------------------

def test_hand_case_zone_best_and_smallest() -> None:
    # Linear loss. A: X at 100, Y at 0, equal saliences -> g_A = (x - y)/2 on the unit scale.
    # B: X at 0 (1/4), Y at 100 (3/4) -> g_B = (0.5 - x)/4 + 3(y - 0.5)/4.
    # On a 10-unit grid the zone x > y, 3y > 1 + x holds exactly 7 packages:
    # (70,60) (80,70) (90,70) (90,80) (100,70) (100,80) (100,90); the Nash product
    # g_A g_B is largest at (100, 80): 0.1 x 0.1, so the geometric mean is 0.1 = 10 points.
    result = detente.settle(two_by_two(), step=10, utility="linear", weighting="equal")
    base = result.baseline
    assert base.zone_exists and base.zone_size == 7
    assert base.best.values == {"X": 100.0, "Y": 80.0}
    assert base.best.nash == pytest.approx(10.0)
    assert base.best.gains == pytest.approx({"A": 10.0, "B": 10.0})
    assert base.max_min.values == {"X": 100.0, "Y": 80.0}
    assert base.smallest.changed == ("X", "Y")
    # No single issue can make both gain; at step 50 nothing is acceptable.
    assert not detente.settle(two_by_two(), step=50, utility="linear").baseline.zone_exists


def test_hand_case_with_distrust() -> None:
    # B delivers X and A believes B only half: A's gain on X halves,
    # g_A(100, 80) = 0.5*0.5*0.5 - 0.5*0.8 + 0.5*0.5 = -0.025 -> A blocks (-2.5 points).
    # Winning A over on Y alone: 0.5 (0.8 - y) > 0.025  <=>  y < 75 -> "Y <= 70" on the grid.
    result = detente.settle(two_by_two(trust_b=0.5, guarantor="B"), step=10,
                            utility="linear")
    deal = result.baseline.package("DEAL")
    assert deal.gains["A"] == pytest.approx(-2.5)
    assert deal.gains["B"] == pytest.approx(10.0)
    assert deal.blockers == ("A",)
    assert deal.credibility["A"]["X"] == pytest.approx(0.5)
    assert deal.credibility["B"]["X"] == 1.0
    (win,) = deal.win_over["A"]
    assert (win.issue, win.at_least, win.value) == ("Y", False, 70.0)
    assert win.threshold == pytest.approx(75.0)
    assert win.then_blocking == ()
    assert "A accepts if Y ≤ 70" in win.describe()
    # Or raise A's trust in B: g_A = 0.25 T - 0.15 > 0  <=>  T > 0.6.
    (need,) = deal.trust_needed["A"]
    assert need.guarantor == "B" and need.at_least
    assert need.needed == pytest.approx(0.601)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=random_problems(), utility=st.sampled_from(["linear", "quadratic"]),
       losses=st.sampled_from(["discounted", "certain"]), seed=st.integers(0, 1000))
def test_win_over_changes_really_win_the_blocker_over(problem, utility, losses, seed) -> None:
    rng = np.random.default_rng(seed)
    issues = problem.issue_ids
    packages = tuple(NamedPackage(f"P{j}", "random", {i: float(rng.integers(0, 11) * 10)
                                                      for i in issues}, issues)
                     for j in range(4))
    problem = problem.replace(packages=packages)
    opts = UtilitySettings(utility, 0.0, losses)
    for analysis, package in zip(analyse_packages(problem, settings=opts), packages,
                                 strict=True):
        for actor, ways in analysis.win_over.items():
            assert actor in analysis.blockers
            b = problem.actor_ids.index(actor)
            for way in ways:
                assert actor not in way.then_blocking
                k = issues.index(way.issue)
                for value, wins in ((way.value, True),
                                    (way.threshold + (0.01 if way.at_least else -0.01), True),
                                    (way.threshold + (-0.01 if way.at_least else 0.01), False)):
                    if value is None or not 0 <= value <= 100:
                        continue
                    changed = dict(package.values, **{way.issue: value})
                    units = np.array([[changed[i] for i in issues]])
                    gain = package_gains(problem.arrays, problem.arrays.from_units(units),
                                         problem.guarantees(), opts)[0, b]
                    assert (gain > 0) == wins, (way, value, gain)
                assert way.size <= abs(way.current - 100 * problem.arrays.position[b, k]) + 1e-9


def test_moves_nobody_can_deliver_keep_the_status_quo() -> None:
    # Only B delivers X; without B nobody can move X, so A's zone is Y < 50 with X = 50.
    result = detente.settle(two_by_two(guarantor="B"), step=10, utility="linear",
                            variations=counterfactual(without=["B"]))
    (without_b,) = result.variants
    assert without_b.zone_size == 5  # Y in 0, 10, 20, 30, 40
    assert without_b.best.values == {"X": 50.0, "Y": 0.0}


def test_certain_losses_are_not_discounted() -> None:
    # A believes B (who delivers X) at 0.5; moving X away from A's ideal costs A in full.
    scenario = two_by_two(trust_b=0.5, guarantor="B")
    problem = SettlementProblem.from_scenario(scenario)
    values = problem.arrays.from_units(np.array([[0.0, 50.0]]))
    lottery = package_gains(problem.arrays, values, problem.guarantees(),
                            UtilitySettings("linear"))[0]
    certain = package_gains(problem.arrays, values, problem.guarantees(),
                            UtilitySettings("linear", losses="certain"))[0]
    assert lottery[0] == pytest.approx(0.5 * 0.5 * -0.5)
    assert certain[0] == pytest.approx(0.5 * -0.5)
    assert certain[1] == lottery[1] == pytest.approx(0.25 * 0.5)


# --- korea-2017 -------------------------------------------------------------------------

def test_korea_findings_on_a_coarse_grid() -> None:
    result = detente.settle("korea-2017", step=25, variations=[
        counterfactual(without=["RU"]), counterfactual(trust=["KP.RU=0.8"])])
    base, without_ru, more_trust = result.outcomes
    p1, p2 = base.package("P1"), base.package("P2")
    assert "KP" in p1.blockers and "US" in p1.blockers
    assert p1.accepts["CN"] and p1.accepts["RU"]
    assert "KP" in p2.blockers
    assert base.zone_exists
    # Russia as a party and guarantor widens the zone; more KP trust in RU helps KP.
    assert without_ru.zone_size < base.zone_size
    assert "RU" not in without_ru.problem.actor_ids
    assert more_trust.package("P2").gains["KP"] > p2.gains["KP"]
    data = result.to_dict()
    json.dumps(data)
    assert data["variants"][0]["label"] == "without RU"


def test_variation_changes() -> None:
    problem = SettlementProblem.from_scenario(detente.load("korea-2017"), step=25)
    changed = counterfactual(without=["RU"], trust=["KP.CN=0.9"], guarantor=["VER=IAEA"],
                        fix=["NUC=50"]).apply_problem(problem)
    ids = changed.arrays.guarantor_ids
    assert "RU" not in ids
    assert changed.arrays.trust[changed.actor_ids.index("KP"), ids.index("CN")] == 0.9
    assert changed.issue_guarantors[changed.issue_ids.index("SEC")] == ("CN",)
    assert changed.issue_guarantors[changed.issue_ids.index("VER")] == ("IAEA",)
    assert changed.candidates[0] == (50.0,) and not changed.keep_status_quo[0]
    # Both branches asserted (this used to sit behind an `if` that never ran: with NUC
    # fixed at 50 the zone at step 25 is empty).
    # The model before issue 16 (mechanisms ignored), where NUC 50 empties the zone.
    result = detente.settle("korea-2017", step=25, variations=[counterfactual(fix=["NUC=50"]),
                                                               counterfactual(fix=["NUC=75"])],
                            ignore=("verification", "links", "rules", "walk-away", "stakes"))
    at_50, at_75 = result.variants
    assert not at_50.zone_exists and at_50.best is None and at_50.zone_size == 0
    assert at_75.zone_exists and at_75.best is not None and at_75.smallest is not None
    assert at_75.best.values["NUC"] == 75.0 and at_75.smallest.values["NUC"] == 75.0
    assert at_75.max_min is not None and at_75.max_min.values["NUC"] == 75.0


@pytest.mark.parametrize("kwargs, message", [
    ({"without": ["XX"]}, "unknown actor 'XX'"),
    ({"trust": ["KP-RU=0.8"]}, "does not name truster.trusted"),
    ({"trust": ["KP.RU=high"]}, "is not a number"),
    ({"trust": ["KP.RU=1.5"]}, "outside 0-1"),
    ({"trust": ["KP.ZZ=0.5"]}, "unknown actor or institution 'ZZ'"),
    ({"guarantor": ["SEC"]}, "is not of the form"),
    ({"guarantor": ["SECX=CN"]}, "unknown issue 'SECX'"),
    ({"fix": ["NUC=500"]}, "outside the scale"),
])
def test_bad_counterfactuals_are_clear_errors(kwargs, message) -> None:
    with pytest.raises(OptionError, match=message):
        problem = SettlementProblem.from_scenario(detente.load("korea-2017"), step=50)
        counterfactual(**kwargs).apply_problem(problem)


# --- contributions ----------------------------------------------------------------------

def test_shapley_exact_on_a_known_game() -> None:
    # glove game: player 0 holds a left glove, players 1 and 2 right gloves; v = 1 for a pair
    worth = {m: float(bool(m & 1) and bool(m & 6)) for m in range(8)}
    np.testing.assert_allclose(shapley_exact(worth, 3), [2 / 3, 1 / 6, 1 / 6])


def test_contributions_efficiency_and_sampling() -> None:
    exact = contributions("korea-2017", step=50)
    total = sum(exact.shapley.values())
    assert total == pytest.approx(exact.grand_value - exact.empty_value)
    sampled = contributions("korea-2017", step=50, exact_limit=2, samples=300, rng=5)
    assert not sampled.exact and sampled.seed == 5
    assert sum(sampled.shapley.values()) == pytest.approx(total)
    again = contributions("korea-2017", step=50, exact_limit=2, samples=300, rng=5)
    assert again.shapley == sampled.shapley
    for a in exact.shapley:
        assert sampled.shapley[a] == pytest.approx(exact.shapley[a], abs=0.35 * abs(total))


def test_contributions_drawn_from_a_generator_echo_a_seed_that_repeats_them() -> None:
    # A Generator was echoed as seed None: the sampled values could not be had again.
    drawn = contributions("korea-2017", step=50, exact_limit=2, samples=50,
                          rng=np.random.default_rng(3))
    assert not drawn.exact and isinstance(drawn.seed, int)
    again = contributions("korea-2017", step=50, exact_limit=2, samples=50, rng=drawn.seed)
    assert again.seed == drawn.seed and again.shapley == drawn.shapley


# --- command line -----------------------------------------------------------------------

def test_cli_settle_table_and_json() -> None:
    out = runner.invoke(app, ["settle", "--step", "25", "--without", "RU"])
    assert out.exit_code == 0, out.output
    assert "Zone of agreement" in out.output and "without RU" in out.output
    assert "P1" in out.output and "blocked by" in out.output
    out = runner.invoke(app, ["settle", "--step", "25", "--package", "P2", "--trust",
                              "KP.RU=0.8", "--trust", "KP.CN=0.8", "--separately",
                              "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert [v["label"] for v in data["variants"]] == ["KP.RU=0.8", "KP.CN=0.8"]
    assert [p["id"] for p in data["baseline"]["packages"]] == ["P2"]
    out = runner.invoke(app, ["settle", "--step", "50", "--losses", "certain", "-p", "P1",
                              "--utility", "linear", "--correlation", "0.7"])
    assert out.exit_code == 0, out.output
    assert "losses certain" in out.output and "linear loss" in out.output


@pytest.mark.parametrize("args, message", [
    (["--without", "XX"], "unknown actor 'XX'"),
    (["--trust", "KP.RU"], "is not of the form"),
    (["--package", "P9"], "unknown package 'P9'"),
    (["--step", "0"], "grid step must be a finite number above 0"),
    (["--step", "-5"], "grid step must be a finite number above 0"),
    # Non-finite CLI numbers are refused by the one option rule before settle sees them.
    (["--step", "inf"], "--step: inf is not a finite number"),
    (["--step", "nan"], "--step: nan is not a finite number"),
    (["--step", "1e-320"], "values on NUC"),
    (["--top", "0"], "top must be a whole number from 1 to 1000"),
    (["--correlation", "nan"], "--correlation: nan is not a finite number"),
    (["--correlation", "1.5"], "correlation must be a number from 0 to 1"),
    (["--max-packages", "0"], "max-packages must be a whole number"),
    (["--guarantor", "SEC=QQ"], "unknown guarantor 'QQ'"),
])
def test_cli_bad_options(args, message) -> None:
    out = runner.invoke(app, ["settle", "--step", "50", *args])
    assert out.exit_code == 2
    assert message in out.output
    assert "Traceback" not in out.output


def test_cli_contributions() -> None:
    out = runner.invoke(app, ["contributions", "--step", "50", "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert set(data["shapley"]) == {"US", "CN", "RU", "KP", "KR", "JP"}
    out = runner.invoke(app, ["contributions", "--step", "50"])
    assert out.exit_code == 0 and "Shapley value" in out.output


# --- overflow, limits and non-finite options (issue 13) -------------------------------

def test_cli_fine_grid_never_reports_a_wrapped_size() -> None:
    # Used to print "packages searched -2503737331809788608", "zone empty", exit 0.
    out = runner.invoke(app, ["settle", "korea-2017", "--step", "0.4", "--max-packages",
                              "1000", "--method", "bnb"])  # auto would take the MILP
    assert out.exit_code == 2, out.output
    assert "branch and bound stopped after" in out.output
    assert "the space has 1.59e+19 packages" in out.output
    assert "--max-packages N" in out.output and "Traceback" not in out.output


def test_cli_brute_force_past_the_limit_is_refused_before_it_starts() -> None:
    # Used to build every slot combination first: 5.7 GB, then a MemoryError traceback.
    out = runner.invoke(app, ["settle", "--step", "1", "--method", "brute"])
    assert out.exit_code == 2, out.output
    assert "brute force would evaluate 1.16e+16 packages per scenario, past the limit of " \
        "5e+07" in out.output
    assert "years" in out.output and "--method bnb" in out.output


def test_cli_prints_large_spaces_in_short_form() -> None:
    out = runner.invoke(app, ["settle", "--step", "10", "--no-count"])
    assert out.exit_code == 0, out.output
    assert "278,296,128" in out.output  # 11 values on 8 issues (+ status quo)


@pytest.mark.parametrize("kwargs, message", [
    ({"step": float("inf")}, r"grid step must be a finite number above 0 .*scale\), got inf"),
    ({"step": float("nan")}, r"grid step must be a finite number above 0 .*scale\), got nan"),
    ({"step": -1.0}, "grid step must be a finite number above 0"),
    ({"step": 1e-320}, "values on NUC"),
    ({"correlation": float("nan")}, "correlation must be a number from 0 to 1"),
    ({"correlation": float("inf")}, "correlation must be a number from 0 to 1"),
    ({"top": 2.5}, "top must be a whole number"),
    ({"top": 10**9}, "top must be a whole number from 1 to 1000"),
    ({"count": "yes"}, "count must be true, false or None"),
    ({"max_packages": float("inf")}, "max-packages must be a whole number"),
])
def test_api_refuses_non_finite_and_bad_numbers(kwargs, message) -> None:
    with pytest.raises(OptionError, match=message):
        detente.settle("korea-2017", **kwargs)


def test_api_refuses_non_finite_counterfactual_values() -> None:
    with pytest.raises(OptionError, match="not a finite number"):
        detente.settle("korea-2017", step=50, variations=counterfactual(fix=["NUC=nan"]))
    with pytest.raises(OptionError, match="not a finite number"):
        detente.settle("korea-2017", step=50, variations=counterfactual(trust=["KP.RU=inf"]))


def test_contributions_refuses_a_non_integer_sample_count() -> None:
    with pytest.raises(OptionError, match="samples must be a whole number"):
        contributions("korea-2017", samples=float("nan"), step=50)


def test_no_veto_player_is_a_clear_error() -> None:
    # Used to end in "IndexError: index 0 is out of bounds" (no max-min package exists).
    raw = {"id": "noveto", "title": "nobody can block",
           "issues": [{"id": "X", "name": "x", "status_quo": 50}],
           "actors": [{"id": "A", "name": "a", "capability": 1, "veto": False},
                      {"id": "B", "name": "b", "capability": 1, "veto": False}],
           "stances": {"A": {"X": {"position": 100, "salience": 1}},
                       "B": {"X": {"position": 0, "salience": 1}}}}
    with pytest.raises(OptionError, match="baseline: no actor holds a veto"):
        detente.settle(scenario_from_mapping(raw), step=50)


def test_an_uncounted_zone_says_so_instead_of_a_bare_dash() -> None:
    out = runner.invoke(app, ["settle", "--step", "25", "--no-count"])
    assert out.exit_code == 0, out.output
    assert "not counted (--count counts it)" in out.output
    counted = runner.invoke(app, ["settle", "--step", "25", "--count"])
    assert "not counted" not in counted.output


def test_a_package_named_twice_is_refused_not_listed_twice() -> None:
    # It was analysed and listed twice, in the JSON too; refused as a repeated -O or
    # counterfactual is.
    result = runner.invoke(app, ["settle", "examples/my.yaml", "-p", "SWAP", "-p", "SWAP",
                                 "-f", "json"])
    assert result.exit_code == 2, result.output
    assert "--package: SWAP is given twice" in result.output
    assert "give each package once" in result.output
    once = runner.invoke(app, ["settle", "examples/my.yaml", "-p", "SWAP", "-f", "json"])
    assert once.exit_code == 0, once.output
    assert [p["id"] for p in json.loads(once.output)["baseline"]["packages"]] == ["SWAP"]
