"""Checks of the BDM expected-utility model against independent things.

* the reference trajectory of bdm-deu.md §1.5 (golden file, two decimals);
* a three-actor round computed by hand;
* a plain loop implementation (tests/bdm_reference.py) on random scenarios, to 1e-9;
* properties of the options, presets, stakes and the batch axis.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.arrays import Arrays
from detente.errors import OptionError
from detente.models import REGISTRY, get_model
from detente.models.bdm import CHOICES, PRESETS, Bdm, Rows, play_round
from detente.scenario import load
from tests import bdm_reference
from tests.shared_data import require_shared, shared_path
from tests.strategies import arrays_strategy

HERE = Path(__file__).resolve().parent
DATA = shared_path("bdm")
EMISSIONS = DATA / "jmckib__bdm-scholz-expected-utility-model" / "ExampleActors.csv"


@pytest.fixture(scope="module")
def emissions() -> Arrays:
    return load(str(require_shared(EMISSIONS))).compile()


def test_registered_as_stepwise_and_deterministic() -> None:
    info = REGISTRY["bdm"]
    assert info.model is Bdm and info.stepwise and info.deterministic


def test_scholz_reference_trajectory_round_by_round(emissions: Arrays) -> None:
    golden = json.loads((HERE / "reference" / "bdm_scholz_emissions.json").read_text())
    model = Bdm.preset(golden["preset"], max_rounds=10, stop_eps=0.0)
    result = model.run(emissions)
    median = emissions.to_units(result.details["median"])[:, 0]
    mean = emissions.to_units(result.details["mean"])[:, 0]
    assert result.trajectory.shape == (11, 10, 1)
    np.testing.assert_allclose(median, golden["median"], atol=0.005 + 1e-9)
    np.testing.assert_allclose(mean, golden["mean"], atol=0.005 + 1e-9)
    assert int(result.rounds[0]) == 10


def test_printed_preset_differs_and_stops(emissions: Arrays) -> None:
    """The printed equations settle on the emission table; the stop rule ends the run."""
    result = Bdm.preset("printed").run(emissions)
    rounds = int(result.rounds[0])
    medians = result.details["median"][:, 0]
    assert bool(result.details["stopped"][0])
    assert rounds < 20
    assert abs(medians[rounds] - medians[rounds - 1]) < 0.005
    assert abs(medians[rounds - 1] - medians[rounds - 2]) < 0.005
    assert result.forecast[0] == pytest.approx(medians[rounds])
    reference = Bdm.preset("scholz-reference", max_rounds=10, stop_eps=0.0).run(emissions)
    assert not np.allclose(reference.details["median"][:, 0][: rounds + 1], medians[: rounds + 1])


def three_actors() -> tuple[np.ndarray, Rows]:
    """A at 0, B at 0.5, C at 1; capability x salience = 1 each; saliences 0.5, 1, 1."""
    x = np.array([[0.0, 0.5, 1.0]])
    rows = Rows(weight=np.ones((1, 3)), salience=np.array([[0.5, 1.0, 1.0]]),
                present=np.ones((1, 3), dtype=bool))
    return x, rows


def test_three_actor_round_by_hand() -> None:
    """Hand computation (docs/bdm.md): Δ = 1, μ = 0.5, Q = 1, printed equations.

    Votes v_k(i,j) = |x_k - x_j| - |x_k - x_i|: P_AB = 0.5/1.5, P_AC = 1/2, P_BC = 1/1.5.
    With r = 1: U_s = 2d, U_f = -2d, U_sq = 0, so EU_i(ij) = 2d[1 - 2 s_j (1 - P_ij)]:
    EU_A(AB) = -1/3, EU_B(BA) = 2/3, EU_A(AC) = 0, EU_C(CA) = 1, EU_B(BC) = 1/3,
    EU_C(CB) = -1/3. Security (column sums): A 5/3, B -2/3, C 1/3; R = 1, -1, -1/7;
    r = 0.5, 2, 1.1.
    """
    x, rows = three_actors()
    opts = Bdm.Options()
    r = play_round(x, x, None, rows, opts)
    p = r.probability[0]
    assert p[0, 1] == pytest.approx(1 / 3) and p[1, 0] == pytest.approx(2 / 3)
    assert p[0, 2] == pytest.approx(1 / 2) and p[2, 0] == pytest.approx(1 / 2)
    assert p[1, 2] == pytest.approx(2 / 3) and p[2, 1] == pytest.approx(1 / 3)
    assert r.median[0] == pytest.approx(0.5)
    np.testing.assert_allclose(r.security[0], [5 / 3, -2 / 3, 1 / 3])
    np.testing.assert_allclose(r.risk_index[0], [1.0, -1.0, -1 / 7])
    np.testing.assert_allclose(r.risk[0], [0.5, 2.0, 1.1])
    # With the risk exponents: EU_A(AB) at r_A = 1/2 (U_s = 0, U_f = 2 - 2√3, U_sq = 2 - 2√2).
    eu_a_ab = (2 / 3) * (2 - 2 * math.sqrt(3)) - (2 - 2 * math.sqrt(2))
    assert r.eu_own[0, 0, 1] == pytest.approx(eu_a_ab)
    # EU_B(BA) as B sees it, r_B = 2: U_s = 1.75, U_f = -0.25, U_sq = 1 -> 5/12.
    assert r.eu_own[0, 1, 0] == pytest.approx(5 / 12)
    # ... and as A sees it (perspective "own", r_A): 0.5 * (1/3)(2 - 2√3) - (2 - 2√2).
    eu_b_ba_by_a = (2 - 2 * math.sqrt(3)) / 6 - (2 - 2 * math.sqrt(2))
    assert r.eu_other[0, 0, 1] == pytest.approx(eu_b_ba_by_a)
    # b > 0 > a and b > |a|: A compromises towards B by |a/b| of the way (eqs. 35-36).
    assert r.relation[0, 0, 1] == 2
    assert r.offer[0, 0, 1] == pytest.approx(0.5 * abs(eu_a_ab / eu_b_ba_by_a))
    each = play_round(x, x, None, rows, Bdm.Options(perspective="each"))
    assert each.eu_other[0, 0, 1] == pytest.approx(5 / 12)


def test_three_actor_round_matches_reference_loops() -> None:
    x, rows = three_actors()
    opts = Bdm.Options()
    fast = play_round(x, x, None, rows, opts)
    slow = bdm_reference.play_round(list(x[0]), list(x[0]), None, list(rows.weight[0]),
                                    list(rows.salience[0]), opts)
    np.testing.assert_allclose(fast.risk[0], slow["risk"], atol=1e-12)
    np.testing.assert_allclose(fast.new_position[0], slow["positions"], atol=1e-12)


OPTION_SETS = st.fixed_dictionaries({
    name: st.sampled_from(values) for name, values in CHOICES.items()
    if name != "forecast_point"
} | {
    "voter_risk": st.booleans(), "capitulation": st.booleans(),
    "q": st.sampled_from([1.0, 0.5, 0.0]), "max_rounds": st.integers(1, 6),
    "stop_eps": st.sampled_from([0.0, 0.01]),
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays=arrays_strategy(max_actors=6, max_issues=2), options=OPTION_SETS,
       preset=st.sampled_from(sorted(PRESETS)))
def test_fast_model_matches_reference_loops(arrays: Arrays, options: dict, preset: str) -> None:
    model = Bdm(preset=preset, **options)
    result = model.run(arrays)
    for k in range(arrays.n_issues):
        weights = list(arrays.capability * arrays.salience[:, k])
        history, medians = bdm_reference.run(list(arrays.position[:, k]), weights,
                                             list(arrays.salience[:, k]), model.options)
        rounds = len(history) - 1
        assert int(result.rounds[k]) == rounds
        np.testing.assert_allclose(result.trajectory[: rounds + 1, :, k], np.array(history),
                                   atol=1e-9)
        np.testing.assert_allclose(result.details["median"][: rounds + 1, k], medians,
                                   atol=1e-9)
        # A stopped issue repeats its last state.
        np.testing.assert_allclose(result.trajectory[rounds:, :, k],
                                   np.broadcast_to(history[-1], result.trajectory[rounds:, :, k]
                                                   .shape), atol=1e-12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays=arrays_strategy(min_actors=3, max_actors=6, max_issues=2), data=st.data())
def test_actor_without_stance_is_absent(arrays: Arrays, data: st.DataObject) -> None:
    """An actor with no stance on an issue takes no part in it: as if it did not exist."""
    out = data.draw(st.integers(0, arrays.n_actors - 1))
    stake = arrays.stake.copy()
    stake[out, 0] = False
    with_absent = get_model("bdm").run(arrays.replace(stake=stake))
    keep = [a for a in range(arrays.n_actors) if a != out]
    without = get_model("bdm").run(arrays.take_actors(keep))
    assert with_absent.forecast[0] == pytest.approx(without.forecast[0], abs=1e-9)
    rounds = int(without.rounds[0])
    np.testing.assert_allclose(with_absent.trajectory[: rounds + 1, keep, 0],
                               without.trajectory[: rounds + 1, :, 0], atol=1e-9)
    # The absent actor never moves.
    assert np.all(with_absent.trajectory[:, out, 0] == arrays.position[out, 0])


def test_batch_trajectory_shapes(emissions: Arrays) -> None:
    batched = emissions.broadcast_batch(3)
    result = Bdm.preset("scholz-reference", max_rounds=4, stop_eps=0.0).run(batched)
    single = Bdm.preset("scholz-reference", max_rounds=4, stop_eps=0.0).run(emissions)
    assert result.trajectory.shape == (3, 5, 10, 1)
    assert result.rounds.shape == (3, 1)
    assert result.details["median"].shape == (3, 5, 1)
    assert result.details["risk"].shape == (3, 4, 10, 1)
    np.testing.assert_allclose(result.trajectory[1], single.trajectory, atol=1e-12)


def test_presets_and_overrides() -> None:
    model = Bdm.preset("scholz-reference", max_rounds=3)
    assert model.options.probability == "global" and model.options.max_rounds == 3
    assert Bdm().options.preset == "printed"
    assert get_model("bdm", preset="scholz-reference").options.delta == "initial"
    for preset in PRESETS:  # every preset sets every ambiguity option explicitly
        assert set(PRESETS[preset]) >= set(CHOICES) - {"forecast_point"}


@pytest.mark.parametrize("options", [{"probability": "maybe"}, {"preset": "nope"},
                                     {"q": 2.0}, {"stop_rounds": 0}, {"wobble": 1}])
def test_bad_options_are_clear_errors(options: dict) -> None:
    with pytest.raises(OptionError):
        Bdm(**options)


def test_explain_tables(emissions: Arrays) -> None:
    tables = Bdm.preset("scholz-reference").explain(emissions, 0, 1)
    actors, dyads = tables
    assert [row[0] for row in actors.rows] == list(emissions.actor_ids)
    assert len(dyads.rows) == 10 * 9
    risk = dict((row[0], row[5]) for row in actors.rows)
    assert all(0.5 - 1e-9 <= r <= 2 + 1e-9 for r in risk.values())
    result = Bdm.preset("scholz-reference").run(emissions)
    new = {row[0]: row[-1] for row in actors.rows}
    after = emissions.to_units(result.trajectory[1])[:, 0]
    for actor, value in zip(emissions.actor_ids, after, strict=True):
        assert new[actor] == pytest.approx(value, abs=1e-4)
    with pytest.raises(OptionError):
        Bdm().explain(emissions, 0, 99)
