"""The anchored (stacked) compromise model: hand-computed cases, fitting, invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.errors import OptionError
from detente.models import get_model
from detente.models.anchored import lad_weights
from tests.strategies import arrays_strategy

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _with_anchor_ids(arrays, n_anchors: int = 2):
    ids = ("COM", "EP")[:n_anchors] + arrays.actor_ids[n_anchors:]
    return arrays.replace(actor_ids=ids, guarantor_ids=ids)


def test_forecast_by_hand() -> None:
    from detente.arrays import Arrays

    arrays = Arrays(
        actor_ids=("COM", "EP", "DE"), issue_ids=("X", "Y"), guarantor_ids=("COM", "EP", "DE"),
        capability=np.array([1.0, 1.0, 2.0]),
        position=np.array([[1.0, 0.0], [0.5, 0.2], [0.0, 0.8]]),
        salience=np.ones((3, 2)), status_quo=np.zeros(2), trust=np.ones((3, 3)),
        stake=np.array([[True, True], [True, False], [True, True]]), veto=np.ones(3, bool),
        scale_low=np.zeros(2), scale_high=np.ones(2),
    )
    model = get_model("anchored", anchors={"COM": 0.1, "EP": 0.2})
    compromise_x = (1 * 1.0 + 1 * 0.5 + 2 * 0.0) / 4  # 0.375
    compromise_y = (1 * 0.0 + 1 * 0.2 + 2 * 0.8) / 4  # 0.45 (the compromise reads salience only)
    result = model.run(arrays).forecast
    assert result[0] == pytest.approx(0.7 * compromise_x + 0.1 * 1.0 + 0.2 * 0.5)
    # On Y the EP has no stance, so its weight goes back to the compromise.
    assert result[1] == pytest.approx(0.9 * compromise_y + 0.1 * 0.0)


@SETTINGS
@given(arrays=arrays_strategy())
def test_without_anchor_actors_it_is_the_compromise_model(arrays) -> None:
    np.testing.assert_allclose(get_model("anchored").run(arrays).forecast,
                               get_model("compromise").run(arrays).forecast, atol=1e-12)


@SETTINGS
@given(arrays=arrays_strategy(min_actors=3), data=st.data())
def test_invariants_with_anchors_present(arrays, data) -> None:
    arrays = _with_anchor_ids(arrays)
    model = get_model("anchored")
    first = model.run(arrays).forecast
    assert np.all((first >= 0) & (first <= 1))
    order = data.draw(st.permutations(range(arrays.n_actors)))
    np.testing.assert_allclose(model.run(arrays.take_actors(order)).forecast, first, atol=1e-12)
    scaled = arrays.replace(capability=arrays.capability * 37.0)
    np.testing.assert_allclose(model.run(scaled).forecast, first, atol=1e-12)
    shared = data.draw(st.integers(0, 20)) / 20
    unanimous = arrays.replace(position=np.full_like(arrays.position, shared))
    np.testing.assert_allclose(model.run(unanimous).forecast, shared, atol=1e-12)
    batched = arrays.broadcast_batch(2)
    np.testing.assert_allclose(model.run(batched).forecast[1], first, atol=1e-12)


def test_the_dictator_invariant_does_not_hold_with_anchors() -> None:
    """The documented exception: anchors keep their pull against a dictator."""
    from detente.arrays import Arrays

    arrays = Arrays(actor_ids=("COM", "DE"), issue_ids=("X",), guarantor_ids=("COM", "DE"),
                    capability=np.array([1e-9, 1.0]), position=np.array([[1.0], [0.0]]),
                    salience=np.ones((2, 1)), status_quo=np.zeros(1), trust=np.ones((2, 2)),
                    stake=np.ones((2, 1), bool), veto=np.ones(2, bool), scale_low=np.zeros(1),
                    scale_high=np.ones(1))
    assert get_model("anchored", anchors={"COM": 0.25}).run(arrays).forecast[0] == \
        pytest.approx(0.25, abs=1e-6)


def test_lad_weights_recover_an_exact_combination() -> None:
    rng = np.random.default_rng(4)
    features = rng.normal(size=(60, 2))
    target = features @ np.array([0.2, 0.5])
    np.testing.assert_allclose(lad_weights(features, target), [0.2, 0.5], atol=1e-7)
    # Outliers barely move a least-absolute-deviations fit.
    target[:3] += 50
    np.testing.assert_allclose(lad_weights(features, target), [0.2, 0.5], atol=1e-6)
    # Constraints: weights stay non-negative and sum to at most one.
    w = lad_weights(features, features @ np.array([0.9, 0.9]))
    assert np.all(w >= 0) and w.sum() <= 1 + 1e-9


def test_fit_recovers_weights_from_scenarios() -> None:
    rng = np.random.default_rng(0)
    arrays_list, observed = [], []
    truth = get_model("anchored", anchors={"COM": 0.3, "EP": 0.1})
    for _ in range(40):
        arrays = _with_anchor_ids(_random_arrays(rng))
        arrays_list.append(arrays)
        observed.append(truth.run(arrays).forecast)
    fitted = get_model("anchored").fit(arrays_list, observed)
    weights = dict(fitted.options.anchors)
    assert weights["COM"] == pytest.approx(0.3, abs=1e-6)
    assert weights["EP"] == pytest.approx(0.1, abs=1e-6)


def _random_arrays(rng: np.random.Generator):
    from detente.arrays import Arrays

    n, i = 4, 2
    ids = tuple(f"A{k}" for k in range(n))
    return Arrays(actor_ids=ids, issue_ids=("X", "Y"), guarantor_ids=ids,
                  capability=rng.uniform(0.5, 3, n), position=rng.uniform(0, 1, (n, i)),
                  salience=rng.uniform(0.1, 1, (n, i)), status_quo=np.zeros(i),
                  trust=np.ones((n, n)), stake=np.ones((n, i), bool), veto=np.ones(n, bool),
                  scale_low=np.zeros(i), scale_high=np.ones(i))


@pytest.mark.parametrize("anchors", [{"COM": 1.5}, {"COM": 0.6, "EP": 0.6}, [("COM",)],
                                     {"COM": -0.1}])
def test_bad_anchor_options_are_clear_errors(anchors) -> None:
    with pytest.raises(OptionError):
        get_model("anchored", anchors=anchors)
