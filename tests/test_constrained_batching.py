"""The constrained model batched for Monte Carlo (issue 15): one dual solve for the batch.

Every scenario of a batch follows its own projected-Newton iteration (its own free set, step
length and stopping point) inside one array program, and the scenarios the dual cannot
certify go to SLSQP one at a time. A batch must give, bit for bit, what each of its
scenarios gives alone — certified, already accepted, or solved by the fallback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from detente.arrays import Arrays
from detente.models import constrained as constrained_module
from detente.models import get_model
from detente.models.constrained import _slack, dual_nearest, dual_nearest_batch
from detente.uncertainty.engine import take_row
from tests.test_batching import korea_draws


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the scenarios sent to the SLSQP fallback (one call each)."""
    calls: list[int] = []
    primal: Callable[..., Any] = constrained_module._primal_nearest

    def counted(*args: Any) -> Any:
        calls.append(1)
        return primal(*args)

    monkeypatch.setattr(constrained_module, "_primal_nearest", counted)
    return calls


def _assert_rows_alone(arrays: Arrays) -> tuple[int, int]:
    """The batch equals each row run alone, bit for bit; returns the fallback calls of the
    batch and of the rows alone (the same scenarios, so the same count)."""
    model = get_model("constrained")
    with pytest.MonkeyPatch.context() as patch:
        calls = _counting(patch)
        together = model.run(arrays)
        in_batch = len(calls)
        alone = [model.run(take_row(arrays, b)) for b in range(arrays.batch_shape[0])]
        one_by_one = len(calls) - in_batch
    for b, single in enumerate(alone):
        np.testing.assert_array_equal(together.forecast[b], single.forecast)
        np.testing.assert_array_equal(together.details["moved"][b], single.details["moved"])
    return in_batch, one_by_one


@st.composite
def veto_batches(draw: st.DrawFn) -> Arrays:
    """2-5 variants of a random scenario with 2-4 issues: positions on a coarse grid and
    saliences in {0, ½, 1} (so win-sets without interior, issues nobody weighs and
    compromises already accepted all happen: each route through the model), random veto
    flags and stakes; positions, capabilities, saliences and status quo redrawn per row.
    Actor 0 weighs every issue (with nobody weighing an issue the compromise is
    undefined)."""
    n_b = draw(st.integers(2, 5))
    n_actors = draw(st.integers(1, 5))
    n_issues = draw(st.integers(2, 4))
    shape = (n_b, n_actors, n_issues)
    size = n_b * n_actors * n_issues

    def grid(step: int, n: int) -> np.ndarray:
        return np.array(draw(st.lists(st.integers(0, step).map(lambda k: k / step),
                                      min_size=n, max_size=n)))

    position = grid(4, size).reshape(shape)
    salience = grid(2, size).reshape(shape)
    salience[:, 0, :] = np.maximum(salience[:, 0, :], 0.5)
    capability = np.array(draw(st.lists(st.floats(0.5, 100.0), min_size=n_b * n_actors,
                                        max_size=n_b * n_actors))).reshape(n_b, n_actors)
    stake = np.array(draw(st.lists(st.booleans(), min_size=n_actors * n_issues,
                                   max_size=n_actors * n_issues))).reshape(n_actors, n_issues)
    stake[0] = True
    veto = np.array(draw(st.lists(st.booleans(), min_size=n_actors, max_size=n_actors)))
    ids = tuple(f"A{k}" for k in range(n_actors))
    return Arrays(actor_ids=ids, issue_ids=tuple(f"I{k}" for k in range(n_issues)),
                  guarantor_ids=ids, capability=capability, position=position,
                  salience=salience, status_quo=grid(4, n_b * n_issues).reshape(n_b, -1),
                  trust=np.ones((n_b, n_actors, n_actors)), stake=stake, veto=veto,
                  scale_low=np.zeros(n_issues), scale_high=np.full(n_issues, 100.0))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays=veto_batches())
def test_constrained_batch_equals_its_rows_alone_bit_for_bit(arrays: Arrays) -> None:
    in_batch, one_by_one = _assert_rows_alone(arrays)
    assert in_batch == one_by_one
    event(f"fallback for {in_batch} of {arrays.batch_shape[0]} rows")


def test_a_batch_mixing_every_route_equals_its_rows_alone() -> None:
    # Two veto players and a third actor (no veto) at (0.9, 0.1), q = (0.3, 0.4). Row 0:
    # the veto players share a disk win-set round the origin, certified by the dual. Rows 1
    # and 2: veto players on either side of q whose disks touch at q alone (diagonally; along
    # I0), a win-set without interior whose multipliers grow without bound (no certificate:
    # SLSQP). Row 3: the compromise is accepted (the veto players sit on q). Row 4: they
    # weigh I0 alone, on either side of q: the win-set is the line x0 = q0, without interior
    # but with finite multipliers, certified.
    position = np.array([[[0.0, 0.0], [0.0, 0.0], [0.9, 0.1]],
                         [[0.1, 0.2], [0.5, 0.6], [0.9, 0.1]],
                         [[0.1, 0.4], [0.5, 0.4], [0.9, 0.1]],
                         [[0.3, 0.4], [0.3, 0.4], [0.3, 0.4]],
                         [[0.1, 0.5], [0.5, 0.5], [0.9, 0.1]]])
    salience = np.ones((5, 3, 2))
    salience[4, :2, 1] = 0.0
    ids = ("A0", "A1", "A2")
    arrays = Arrays(actor_ids=ids, issue_ids=("I0", "I1"), guarantor_ids=ids,
                    capability=np.array([[1.0, 1.0, 3.0]] * 5), position=position,
                    salience=salience, status_quo=np.array([[0.3, 0.4]] * 5),
                    trust=np.ones((5, 3, 3)), stake=np.ones((3, 2), dtype=bool),
                    veto=np.array([True, True, False]), scale_low=np.zeros(2),
                    scale_high=np.full(2, 100.0))
    in_batch, one_by_one = _assert_rows_alone(arrays)
    assert in_batch == one_by_one == 2


def test_korea_draws_batch_exactly() -> None:
    in_batch, _ = _assert_rows_alone(korea_draws(24))
    assert in_batch == 0  # korea-2017's win-sets have an interior: the dual certifies all


def test_dual_batch_equals_each_problem_alone_bit_for_bit() -> None:
    # Problems of one size solved together, each ending after its own number of Newton
    # steps: points and certificates as when solved alone.
    rng = np.random.default_rng(3)
    n, n_veto, n_issues = 200, 4, 3
    pos, q, base = rng.random((n, n_veto, n_issues)), rng.random((n, n_issues)), \
        rng.random((n, n_issues))
    sal = rng.random((n, n_veto, n_issues)) * (rng.random((n, n_veto, n_issues)) < 0.7)
    w = rng.random((n, n_issues)) + 0.05
    w /= w.sum(axis=-1, keepdims=True)
    w[:5, 0] = 0.0  # an issue nobody weighs: never certified
    x, certified = dual_nearest_batch(base, pos, sal, w, q)
    assert not certified[:5].any() and certified.sum() >= 0.8 * n
    for k in range(n):
        alone = dual_nearest(base[k], pos[k], sal[k], w[k], q[k])
        assert (alone is not None) == certified[k]
        if alone is not None:
            np.testing.assert_array_equal(x[k], alone)
            assert np.all(_slack(x[k], pos[k], sal[k], q[k]) >= -1e-15)
