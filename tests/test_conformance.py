"""The conformance suite every registered model inherits (DESIGN.md convention 4).

Each registered model is run through the same invariants: results inside the scale,
determinism under a seed, invariance to actor order, to multiplying all capabilities by a
constant, to adding a zero-salience actor; a unanimous scenario is a fixed point; a single
actor with (nearly) all the capability gets its position.

A model may declare tolerances or skip an invariant it provably does not have by listing
it in ``KNOWN_EXCEPTIONS`` below, with the reason.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.models import REGISTRY, get_model
from tests.strategies import add_actor, arrays_strategy

MODELS = sorted(REGISTRY)
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
# model name -> {invariant: reason}; an invariant listed here is skipped for that model.
KNOWN_EXCEPTIONS: dict[str, dict[str, str]] = {
    "bdm": {"zero_salience_actor": "in BDM salience is also the probability of resisting a "
            "challenge (Scholz et al. 2011, eq. 7): an actor with salience 0 is a target anyone "
            "takes without resistance, it still makes offers, and it counts in the range Δ and "
            "in the security levels that normalise every risk exponent (eq. 32), so it moves "
            "the others (docs/bdm.md, known deviations)"},
    "smp": {"permutation": "KTAB's SMP breaks ties by actor index (first best target, first "
                           "most probable bargain, queue order), and rounds bargains to 4 "
                           "decimals, so reordering actors can change the path (docs/smp.md)"},
}
# model name -> absolute tolerance on the unit scale for invariance checks.
# constrained: several issues are solved by SLSQP (tolerance ~1e-8 on the unit scale).
TOLERANCE: dict[str, float] = {"nash": 1e-7, "constrained": 1e-6}


def _skip_if_exception(model: str, invariant: str) -> None:
    reason = KNOWN_EXCEPTIONS.get(model, {}).get(invariant)
    if reason:
        pytest.skip(f"{model}: {reason}")


def _tol(model: str) -> float:
    return TOLERANCE.get(model, 1e-9)


def run(model: str, arrays, seed: int = 1) -> np.ndarray:
    return get_model(model).run(arrays, np.random.default_rng(seed)).forecast


@pytest.mark.parametrize("model", MODELS)
def test_registered_models_are_documented(model: str) -> None:
    info = REGISTRY[model]
    assert info.model.name == model
    assert info.reference
    assert info.model.__doc__ and len(info.model.__doc__) > 80


@pytest.mark.parametrize("model", MODELS)
@SETTINGS
@given(arrays=arrays_strategy())
def test_inside_scale_and_deterministic(model: str, arrays) -> None:
    first = run(model, arrays)
    assert first.shape == (arrays.n_issues,)
    assert np.all(np.isfinite(first))
    assert np.all(first >= -1e-12) and np.all(first <= 1 + 1e-12)
    np.testing.assert_array_equal(first, run(model, arrays))


@pytest.mark.parametrize("model", MODELS)
@SETTINGS
@given(arrays=arrays_strategy(), data=st.data())
def test_actor_order_does_not_matter(model: str, arrays, data) -> None:
    _skip_if_exception(model, "permutation")
    order = data.draw(st.permutations(range(arrays.n_actors)))
    np.testing.assert_allclose(run(model, arrays.take_actors(order)), run(model, arrays),
                               atol=_tol(model))


@pytest.mark.parametrize("model", MODELS)
@SETTINGS
@given(arrays=arrays_strategy(), factor=st.sampled_from([0.01, 0.5, 3.0, 1000.0]))
def test_capability_rescaling_does_not_matter(model: str, arrays, factor: float) -> None:
    _skip_if_exception(model, "capability_scale")
    scaled = arrays.replace(capability=arrays.capability * factor)
    np.testing.assert_allclose(run(model, scaled), run(model, arrays), atol=_tol(model))


@pytest.mark.parametrize("model", MODELS)
@SETTINGS
@given(arrays=arrays_strategy(max_actors=6), data=st.data())
def test_zero_salience_actor_changes_nothing(model: str, arrays, data) -> None:
    _skip_if_exception(model, "zero_salience_actor")
    position = np.array(data.draw(st.lists(st.floats(0, 1), min_size=arrays.n_issues,
                                           max_size=arrays.n_issues)))
    bigger = add_actor(arrays, capability=data.draw(st.floats(0.5, 100)), position=position,
                       salience=np.zeros(arrays.n_issues))
    np.testing.assert_allclose(run(model, bigger), run(model, arrays), atol=_tol(model))


@pytest.mark.parametrize("model", MODELS)
@SETTINGS
@given(arrays=arrays_strategy(), shared=st.integers(0, 20).map(lambda k: k / 20))
def test_unanimous_scenario_is_a_fixed_point(model: str, arrays, shared: float) -> None:
    _skip_if_exception(model, "unanimous")
    unanimous = arrays.replace(position=np.full_like(arrays.position, shared))
    np.testing.assert_allclose(run(model, unanimous), np.full(arrays.n_issues, shared),
                               atol=max(_tol(model), 1e-9))


@pytest.mark.parametrize("model", MODELS)
@SETTINGS
@given(arrays=arrays_strategy(), data=st.data())
def test_dictator_gets_its_position(model: str, arrays, data) -> None:
    _skip_if_exception(model, "dictator")
    dictator = data.draw(st.integers(0, arrays.n_actors - 1))
    capability = np.zeros(arrays.n_actors)
    capability[dictator] = 1.0
    result = run(model, arrays.replace(capability=capability))
    np.testing.assert_allclose(result, arrays.position[dictator], atol=max(_tol(model), 1e-6))


@pytest.mark.parametrize("model", MODELS)
@SETTINGS
@given(arrays=arrays_strategy(max_actors=5))
def test_batch_axis_matches_single_runs(model: str, arrays) -> None:
    _skip_if_exception(model, "batch")
    other = arrays.replace(position=1.0 - arrays.position, status_quo=1.0 - arrays.status_quo)
    batched = arrays.broadcast_batch(2)
    batched = batched.replace(position=np.stack([arrays.position, other.position]),
                              status_quo=np.stack([arrays.status_quo, other.status_quo]))
    result = run(model, batched)
    assert result.shape == (2, arrays.n_issues)
    # Batching changes no number: every model computes each scenario of a batch alone
    # (the stepwise ones masking the rows that have stopped), so the match is exact.
    np.testing.assert_array_equal(result[0], run(model, arrays))
    np.testing.assert_array_equal(result[1], run(model, other))
