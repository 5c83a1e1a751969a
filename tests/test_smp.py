"""KTAB's Spatial Model of Politics: turn-0 values, KTAB reference runs, and the loop oracle."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import detente
from detente.errors import OptionError
from detente.models import get_model
from detente.models.smp import (
    _CHOICES,
    SMPOptions,
    assess,
    best_targets,
    challenge,
    prepare_inputs,
    propose_bargains,
    resolve_bargains,
    run_smp,
    utility,
)
from tests import smp_oracle
from tests.shared_data import needs_shared, require_shared, shared_path

KTAB = shared_path("ktab")
needs_ktab = needs_shared(KTAB / "smp", KTAB / "ref-runs")

REFERENCE_RUNS = [
    ("dummyData_3Dim.csv", "20170530_ref-dummyData_3Dim.history.txt"),
    ("SOE-Pol-Comp.csv", "20170530_ref-SOE-Pol-Comp.history.txt"),
    ("SOE-Policy.csv", "local-smpc-build_SOE-Policy.history.txt"),
    ("dummyData-a040.csv", "local-smpc-build_dummyData-a040.history.txt"),
]


def parse_history(path: Path) -> tuple[int, np.ndarray, np.ndarray]:
    """KTAB's history extract -> (states, positions [T, lines], probabilities [T, actors])."""
    states = None
    positions, probs = [], []
    for line in path.read_text().splitlines():
        m = re.match(r"There were (\d+) states", line)
        if m:
            states = int(m.group(1))
        elif ", prob :" in line:
            probs.append([float(v) for v in line.split(":", 1)[1].split()])
        elif re.search(r"(Position|Pstn\d+)\s*:", line):
            positions.append([float(v) for v in line.split(":", 1)[1].split()])
    assert states is not None
    return states, np.array(positions).T, np.array(probs).T


def load_ktab(name: str):
    return detente.load(require_shared(KTAB / "smp" / name)).compile()


# --- turn 0 of dummyData_3Dim (ktab-smp.md §3) ---------------------------------------

@pytest.fixture(scope="module")
def turn0():
    arrays = load_ktab("dummyData_3Dim.csv")
    opts = SMPOptions(ktab_compat=True)
    cap, pos, sal, active = prepare_inputs(arrays.capability, arrays.position,
                                           arrays.salience, True)
    state = assess(pos, pos, sal, cap, active, opts)
    return opts, cap, pos, sal, active, state


@needs_ktab
def test_turn0_risk_neutral_utilities_and_risk(turn0) -> None:
    _, _, _, _, _, state = turn0
    np.testing.assert_allclose(utility(state.distance, 0.0)[0, 0],
                               [1.000, .903, .639, .870, .929, .882, .890], atol=5e-4)
    np.testing.assert_allclose(state.risk[0],
                               [-.500, -.459, -.499, -.274, 1.000, -.232, -.430], atol=5e-4)


@needs_ktab
def test_turn0_best_target_bargain_and_moves(turn0) -> None:
    opts, cap, pos, sal, active, state = turn0
    total = sal.sum(-1)
    weight = cap * total
    prob, _, target, best = best_targets(state, weight, total, active, opts)
    assert target[0, 0] == 6
    assert prob[0, 0, 6] == pytest.approx(.7643, abs=5e-5)
    assert best[0, 0] == pytest.approx(.0947, abs=5e-5)
    # Actor 6's view of 0 challenging 6 (h = 6, k = 0): the numbers bug (a) confuses.
    b = np.arange(1)
    p6, g6 = challenge(state, b, np.array([6]), np.array([0]), np.array([0]), np.array([6]),
                       weight, total, active, opts)
    assert p6[0] == pytest.approx(.7660, abs=5e-5)
    assert g6[0] == pytest.approx(.0925, abs=5e-5)
    bargains = propose_bargains(state, pos, sal, cap, weight, total, active, prob, target,
                                opts)
    g = int(np.flatnonzero(bargains.init == 0)[0])
    np.testing.assert_allclose(bargains.pos_init[g] * 100, [75.61, 24.78, 71.95], atol=1e-9)
    np.testing.assert_allclose(bargains.pos_rcvr[g] * 100, [75.61, 24.79, 71.95], atol=1e-9)
    moved = resolve_bargains(state, bargains, pos, pos, sal, cap, active, opts, None).position
    expected = {0: (79.5, 44.7, 72.0), 1: (78.9, 56.3, 72.5), 3: (65.8, 50.8, 63.0),
                5: (84.4, 34.1, 86.3), 6: (75.6, 24.8, 72.0)}
    for actor, xyz in expected.items():
        np.testing.assert_allclose(moved[0, actor] * 100, xyz, atol=0.05 + 1e-9)


# --- whole reference runs ------------------------------------------------------------

@needs_ktab
@pytest.mark.parametrize("compat", [False, True], ids=["default", "ktab_compat"])
@pytest.mark.parametrize(("csv", "history"), REFERENCE_RUNS, ids=[r[0] for r in REFERENCE_RUNS])
def test_reference_run(csv: str, history: str, compat: bool) -> None:
    states, ref_pos, ref_prob = parse_history(KTAB / "ref-runs" / history)
    arrays = load_ktab(csv)
    result = get_model("smp", ktab_compat=compat).run(arrays)
    assert result.details["states"] == states
    traj = result.trajectory[:states] * 100  # [T, A, I]; KTAB lists actor-major, then dims
    ours = traj.reshape(traj.shape[0], -1)
    assert ours.shape == ref_pos.shape
    # KTAB prints one decimal: every printed value is within 0.05 of ours.
    assert np.max(np.abs(ours - ref_pos)) <= 0.05 + 1e-6
    # KTAB prints four decimals.
    np.testing.assert_allclose(result.details["probability"][:states], ref_prob, atol=1e-4)
    # After the stop the arrays repeat the last state (fixed length: max_turns + 1).
    assert result.trajectory.shape[0] == 101
    np.testing.assert_array_equal(result.trajectory[states:], result.trajectory[states - 1:-1])
    np.testing.assert_allclose(result.details["final_probability"], ref_prob[-1], atol=1e-4)


# KTAB's smpc run with non-default model parameters (ref-runs-params/README.md): the run,
# its input table, and the detente options the README gives for it.
PARAMETER_RUNS: list[tuple[str, str, dict[str, str]]] = [
    ("3Dim_voting-binary", "dummyData_3Dim.csv", {"voting_rule": "binary"}),
    ("3Dim_vp-octic_pce-markovincentive", "dummyData_3Dim.csv",
     {"victory_prob": "octic", "pce": "markov_incentive"}),
    ("3Dim_interp-s1p1_brgn-pwcomp", "dummyData_3Dim.csv",
     {"bargain_interp": "s1p1", "bargain_model": "pw_comp"}),
    ("3Dim_brgn-initrcvr_interp-s2pmax_adjust-none", "dummyData_3Dim.csv",
     {"big_r_adjust": "none", "bargain_interp": "s2pmax", "bargain_model": "init_rcvr"}),
    ("SOE_voting-cubic_tpc-full", "SOE-Pol-Comp.csv",
     {"voting_rule": "cubic", "third_party_commit": "full"}),
    ("SOE_pce-markovuniform_vp-quartic_bigr-max", "SOE-Pol-Comp.csv",
     {"victory_prob": "quartic", "pce": "markov_uniform", "big_r_range": "max"}),
    ("SOE_voting-propcbc_vp-square_adjust-half", "SOE-Pol-Comp.csv",
     {"victory_prob": "square", "voting_rule": "prop_cubic", "big_r_adjust": "half"}),
]

# KTAB's names in the echoed "Model Paramaters" block -> detente option and value.
KTAB_PARAMETER_NAMES: dict[str, tuple[str, dict[str, str]]] = {
    "VictoryProbModel": ("victory_prob", {"Linear": "linear", "Square": "square",
                                          "Quartic": "quartic", "Octic": "octic",
                                          "Binary": "binary"}),
    "PCEModel": ("pce", {"Conditional": "conditional", "MarkovUniform": "markov_uniform",
                         "MarkovIncentive": "markov_incentive"}),
    "StateTransitions": ("transitions", {"Deterministic": "deterministic",
                                         "Stochastic": "stochastic"}),
    "VotingRule": ("voting_rule", {"Binary": "binary", "PropBin": "prop_bin",
                                   "Prop": "proportional", "PropCbc": "prop_cubic",
                                   "Cubic": "cubic", "ASymProsp": "asym_prospect"}),
    "BigRAdjust": ("big_r_adjust", {"None": "none", "OneThird": "one_third", "Half": "half",
                                    "TwoThirds": "two_thirds", "Full": "full"}),
    "BigRRange": ("big_r_range", {"Min": "min", "Mid": "mid", "Max": "max"}),
    "ThirdPartyCommit": ("third_party_commit", {"NoCommit": "no", "SemiCommit": "semi",
                                                "FullCommit": "full"}),
    "InterVecBrgn": ("bargain_interp", {"S1P1": "s1p1", "S2P2": "s2p2", "S2PMax": "s2pmax"}),
    "BargnModel": ("bargain_model", {"InitOnlyInterp": "init_only",
                                     "InitRcvrInterp": "init_rcvr",
                                     "PWCompInterp": "pw_comp"}),
}


def echoed_parameters(path: Path) -> dict[str, str]:
    """The nine parameters smpc echoed into its log, as detente options."""
    out = {}
    for line in path.read_text().splitlines():
        m = re.match(r"(\w+): (\w+)\s*$", line)
        if m and m.group(1) in KTAB_PARAMETER_NAMES:
            option, values = KTAB_PARAMETER_NAMES[m.group(1)]
            out[option] = values[m.group(2)]
    return out


@needs_ktab
@pytest.mark.parametrize(("run", "csv", "options"), PARAMETER_RUNS,
                         ids=[r[0] for r in PARAMETER_RUNS])
def test_reference_run_with_parameters(run: str, csv: str, options: dict[str, str]) -> None:
    """KTAB's own smpc with non-default parameters, reproduced with ``ktab_compat=True``.

    docs/smp.md ("Reference runs with non-default parameters") says run by run where the
    default (corrected) model departs and why.
    """
    history = require_shared(KTAB / "ref-runs-params" / f"{run}.history.txt")
    # The options under test are exactly the ones smpc ran with (every other one default).
    echoed = echoed_parameters(history)
    assert len(echoed) == 9
    defaults = SMPOptions()
    assert {k: v for k, v in echoed.items() if getattr(defaults, k) != v} == options
    states, ref_pos, ref_prob = parse_history(history)
    result = get_model("smp", ktab_compat=True, **options).run(load_ktab(csv))
    assert result.details["states"] == states
    traj = result.trajectory[:states] * 100
    ours = traj.reshape(traj.shape[0], -1)
    assert ours.shape == ref_pos.shape
    # One printed decimal for positions, four for probabilities.
    assert np.max(np.abs(ours - ref_pos)) <= 0.05 + 1e-6
    np.testing.assert_allclose(result.details["probability"][:states], ref_prob, atol=1e-4)


@needs_ktab
def test_capability_unit_changes_ktab_cubic_run_only_through_the_floors() -> None:
    """Why the default departs on SOE cubic (docs/smp.md): KTAB's absolute coalition floors.

    With ktab_compat, multiplying all capabilities by 100 changes the run; with the default
    (capabilities in units of their mean) it does not.
    """
    arrays = load_ktab("SOE-Pol-Comp.csv")
    scaled = arrays.replace(capability=arrays.capability * 100)
    def gap(compat: bool) -> float:
        model = get_model("smp", ktab_compat=compat, voting_rule="cubic",
                          third_party_commit="full")
        return float(np.max(np.abs(model.run(arrays).trajectory
                                   - model.run(scaled).trajectory)))

    assert gap(compat=True) > 0.05  # KTAB: another path (27 vs 31 states, measured)
    assert gap(compat=False) < 1e-9


@needs_ktab
def test_reference_stop_ratios_dummy3() -> None:
    out = get_model("smp").run(load_ktab("dummyData_3Dim.csv"))
    np.testing.assert_allclose(out.details["stop_ratios"][:10],
                               [.9999, .7631, .1780, .0801, .0853, .0686, .0639, .1058, .0398,
                                .0045], atol=5e-5)
    assert np.all(np.isnan(out.details["stop_ratios"][10:]))


@needs_ktab
def test_ktab_table_without_final_comma_reads_the_same() -> None:
    a = load_ktab("dummyData_3Dim.csv")
    b = load_ktab("dummyData_3Dim-no-final-comma.csv")
    np.testing.assert_array_equal(a.position, b.position)
    np.testing.assert_array_equal(a.salience, b.salience)


# --- the vectorised model against the loop oracle ------------------------------------

@st.composite
def ktab_inputs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Generic KTAB inputs from a drawn seed.

    Continuous draws, so that no two options tie exactly. Exact ties are checked in
    tests/test_smp_ties.py: both implementations take the first of options equal up to
    rounding, and the binary voting rules (Δ/10⁻⁸) count a Δ within the tolerance of 0 as 0
    (smp.binary_step), which the two implementations round differently (the oracle
    subtracts KTAB's two third-party expectations, the model computes their difference).
    """
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = int(rng.integers(3, 7))
    k = int(rng.integers(1, 4))
    pos = rng.uniform(0.0, 1.0, (n, k))
    sal = rng.uniform(0.05, 1.0, (n, k))
    sal = sal / sal.sum(axis=1, keepdims=True) * rng.uniform(0.2, 1.0, (n, 1))
    cap = rng.uniform(0.2, 5.0, n)
    return cap / cap.mean(), pos, sal


OPTION_VALUES = [(name, value) for name, values in _CHOICES.items() if name != "transitions"
                 for value in values]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs=ktab_inputs(), option=st.sampled_from(OPTION_VALUES), compat=st.booleans())
def test_vectorised_model_matches_loop_oracle(inputs, option, compat: bool) -> None:
    cap, pos, sal = inputs
    kw = {option[0]: option[1], "ktab_compat": compat, "max_turns": 6}
    oracle = smp_oracle.run(cap.tolist(), pos.tolist(), sal.tolist(),
                            smp_oracle.OracleOptions(**kw))
    fast = run_smp(cap, pos, sal, SMPOptions(**kw))
    states = int(fast.states[0])
    assert states == len(oracle.positions)
    np.testing.assert_allclose(fast.trajectory[0, :states], oracle.positions, atol=1e-9)
    np.testing.assert_allclose(fast.probability[0, :states], oracle.probabilities, atol=1e-7)
    np.testing.assert_allclose(fast.risk[0, :states], oracle.risks, atol=1e-9)
    np.testing.assert_allclose(fast.stop_ratios[0, :states - 1], oracle.stop_ratios, atol=1e-9)


# --- the model interface --------------------------------------------------------------



def test_forecast_is_probability_weighted_final_position() -> None:
    arrays = detente.load("korea-2017").compile()
    result = get_model("smp").run(arrays)
    final = result.trajectory[-1]
    assert result.forecast.shape == (arrays.n_issues,)
    assert result.trajectory.shape[1:] == (arrays.n_actors, arrays.n_issues)
    assert np.all(result.rounds == result.details["states"] - 1)
    # Merged positions share a probability; summing over distinct positions gives 1.
    run = run_smp(arrays.capability, arrays.position, arrays.salience, SMPOptions())
    assert run.unique_prob[0].sum() == pytest.approx(1.0)
    np.testing.assert_allclose(result.forecast, run.unique_prob[0] @ final, atol=1e-12)
    assert np.all((result.forecast >= 0) & (result.forecast <= 1))


def test_stochastic_mode_is_reproducible_from_the_seed() -> None:
    arrays = detente.load("korea-2017").compile()
    model = get_model("smp", transitions="stochastic")
    a = model.run(arrays, 7)
    b = model.run(arrays, 7)
    np.testing.assert_array_equal(a.trajectory, b.trajectory)
    assert a.seed == 7
    runs = {model.run(arrays, s).trajectory.tobytes() for s in range(6)}
    assert len(runs) > 1  # the draws matter


def test_stochastic_batch_draws_as_its_rows_run_alone() -> None:
    """Each scenario of a batch has its own stream: batched = row by row on one generator."""
    arrays = detente.load("korea-2017").compile()
    rng = np.random.default_rng(3)
    cap = arrays.capability * rng.uniform(0.5, 1.5, (4, arrays.n_actors))
    pos = np.repeat(arrays.position[None], 4, axis=0)
    sal = np.repeat(arrays.salience[None], 4, axis=0)
    opts = SMPOptions(transitions="stochastic", max_turns=8)
    together = run_smp(cap, pos, sal, opts, np.random.default_rng(5))
    shared = np.random.default_rng(5)
    for b in range(4):
        alone = run_smp(cap[b], pos[b], sal[b], opts, shared)
        np.testing.assert_array_equal(together.trajectory[b], alone.trajectory[0])


def test_bad_option_is_a_clear_error() -> None:
    with pytest.raises(OptionError, match="voting_rule"):
        get_model("smp", voting_rule="plurality")
    with pytest.raises(OptionError, match="unknown option"):
        get_model("smp", turns=3)


def test_salience_totals_above_one_are_scaled_down_together() -> None:
    cap = np.array([1.0, 2.0, 3.0])
    sal = np.array([[0.9, 0.9], [0.5, 0.1], [0.2, 0.2]])
    _, _, scaled, active = prepare_inputs(cap, np.zeros((3, 2)), sal, False)
    np.testing.assert_allclose(scaled[0], sal / 1.8)
    assert active.all()


@needs_ktab
def test_explain_turn_one_matches_the_turn0_values() -> None:
    arrays = load_ktab("dummyData_3Dim.csv")
    first, second = get_model("smp").explain(arrays, 0, 1)
    row0 = dict(zip(first.columns, first.rows[0], strict=True))
    assert row0["target"] == "SActor-06"
    assert row0["P[actor > target]"] == pytest.approx(.7643, abs=1e-4)
    assert row0["gain"] == pytest.approx(.0947, abs=1e-4)
    assert row0["bargain: actor"] == pytest.approx(75.61)
    moved = {r[0]: r[5] for r in second.rows}
    assert moved["SActor-00"] == pytest.approx(79.5, abs=0.05)
    with pytest.raises(OptionError, match="not played"):
        get_model("smp").explain(arrays, 0, 11)
