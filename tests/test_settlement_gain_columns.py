"""The gain table's pair terms evaluate the model on the pair's two issues alone
(``issue_gains_with(..., issues=(i, j))``): each column must carry the very bits of that
issue's column in the full evaluation, whichever other issues are left out and in whatever
order they are asked for, so that the zone search's answers cannot move."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import detente
from detente.arrays import Arrays
from detente.settlement.mechanisms import issue_gains_with, pair_keys
from detente.settlement.problem import SettlementProblem
from detente.settlement.search import build_table
from detente.settlement.utility import UtilitySettings
from detente.uncertainty import input_space
from detente.uncertainty.engine import draw_rows
from detente.uncertainty.inputs import DEFAULT_NOISE
from tests.settle_helpers import random_mechanisms_problems


def _bits(array: np.ndarray) -> bytes:
    """Raw bytes with dtype and shape: -0.0 against 0.0 and any other last bit counts."""
    return f"{array.dtype.str}{array.shape}".encode() + np.ascontiguousarray(array).tobytes()


def _sampled_korea(name: str, draws: int, seed: int) -> tuple[SettlementProblem, Arrays]:
    scenario = detente.load(name)
    space = input_space(scenario, DEFAULT_NOISE)
    arrays = space.assemble(draw_rows(space, seed, 0, draws))
    return SettlementProblem.from_scenario(scenario, 25.0).replace(arrays=arrays), arrays


def _packages(arrays: Arrays, count: int, seed: int) -> np.ndarray:
    """Unit-scale packages ``[B,] P, I``: random values, some issues at the status quo
    (where links and verification read their dependency unmoved) and some at the scale's
    ends."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, (*arrays.batch_shape, count, arrays.n_issues))
    status_quo = np.broadcast_to(arrays.status_quo[..., None, :], values.shape)
    values = np.where(rng.random(values.shape) < 0.3, status_quo, values)
    return np.where(rng.random(values.shape) < 0.1, rng.integers(0, 2, values.shape), values)


def _issue_subsets(n_issues: int, linked: list[tuple[int, int]]) -> list[tuple[int, ...]]:
    """Each linked pair both ways round, single issues and every issue in reverse."""
    return [*linked, *((j, i) for i, j in linked), (0,), (n_issues - 1,),
            tuple(range(n_issues))[::-1]]


@pytest.mark.parametrize("name", ["korea-2017", "korea-2017-moon"])
@pytest.mark.parametrize("settings_", [UtilitySettings(), UtilitySettings(utility="linear"),
                                       UtilitySettings(correlation=0.5, losses="certain")],
                         ids=["quadratic", "linear", "correlated-certain"])
def test_gains_on_some_issues_are_the_full_evaluations_columns_bit_for_bit(
        name: str, settings_: UtilitySettings) -> None:
    problem, arrays = _sampled_korea(name, 6, 5)
    mech = problem.mechanisms
    linked = pair_keys(mech, arrays.issue_ids, arrays.actor_ids)
    # korea-2017's pairs: NUC-VER (verification, links, a rule), MSL-SANC (a rule),
    # MSL-VER (verification); the test is about those mechanisms, so it needs them.
    assert mech.verifications and mech.links and len(linked) == 3
    guarantees = problem.guarantees()
    values = _packages(arrays, 40, 8)
    at_status_quo = np.broadcast_to(arrays.status_quo[:, None, :], values.shape)
    for dependencies in (None, at_status_quo):
        full = issue_gains_with(mech, arrays, values, guarantees, settings_, dependencies)
        assert np.isfinite(full).all()
        for issues in _issue_subsets(arrays.n_issues, linked):
            some = issue_gains_with(mech, arrays, values, guarantees, settings_, dependencies,
                                    issues=issues)
            assert _bits(some) == _bits(full[..., list(issues)]), issues


def test_gains_on_some_issues_without_a_batch_axis() -> None:
    scenario = detente.load("korea-2017")
    problem = SettlementProblem.from_scenario(scenario, 25.0)
    arrays, guarantees = problem.arrays, problem.guarantees()
    assert not arrays.batch_shape
    values = _packages(arrays, 30, 2)
    full = issue_gains_with(problem.mechanisms, arrays, values, guarantees)
    for issues in _issue_subsets(arrays.n_issues, pair_keys(
            problem.mechanisms, arrays.issue_ids, arrays.actor_ids)):
        some = issue_gains_with(problem.mechanisms, arrays, values, guarantees,
                                issues=issues)
        assert _bits(some) == _bits(full[..., list(issues)]), issues


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=random_mechanisms_problems(batch=3), seed=st.integers(0, 2**32 - 1),
       utility=st.sampled_from(["linear", "quadratic"]),
       losses=st.sampled_from(["discounted", "certain"]))
def test_gains_on_some_issues_equal_full_columns_with_random_mechanisms(
        problem: SettlementProblem, seed: int, utility: str, losses: str) -> None:
    arrays = problem.arrays
    settings_ = UtilitySettings(utility=utility, losses=losses)  # type: ignore[arg-type]
    guarantees = problem.guarantees()
    values = _packages(arrays, 12, seed)
    full = issue_gains_with(problem.mechanisms, arrays, values, guarantees, settings_)
    rng = np.random.default_rng(seed)
    for size in range(1, arrays.n_issues + 1):
        issues = tuple(int(k) for k in rng.permutation(arrays.n_issues)[:size])
        some = issue_gains_with(problem.mechanisms, arrays, values, guarantees, settings_,
                                issues=issues)
        assert _bits(some) == _bits(full[..., list(issues)]), issues


def test_issues_must_be_distinct_and_in_range() -> None:
    problem, arrays = _sampled_korea("korea-2017", 2, 1)
    values = _packages(arrays, 3, 1)
    for bad in ((0, 0), (8,), (-1, 2)):
        with pytest.raises(ValueError, match="distinct indices"):
            issue_gains_with(problem.mechanisms, arrays, values, problem.guarantees(),
                             issues=bad)


@pytest.mark.parametrize("name", ["korea-2017", "korea-2017-moon"])
def test_pair_terms_are_made_of_the_full_models_columns_of_the_pair(name: str) -> None:
    """Each pair term of the table, against the definition on the full model:
    F[i](x_i, x_j) − F[i](x_i, q_j) + F[j](x_i, x_j) − F[j](q_i, x_j), every issue but the
    pair at its status quo, bit for bit."""
    problem, arrays = _sampled_korea(name, 4, 9)
    table = build_table(problem)
    assert [(p.i, p.j) for p in table.pairs] == [(0, 4), (1, 2), (1, 4)]
    batch, n_issues, width = table.values.shape
    n_actors = arrays.n_actors
    slots = np.array(list(itertools.product(range(width), repeat=2)))
    guarantees = problem.guarantees()
    for pair in table.pairs:
        packages = np.repeat(table.values[:, None, :, 0], len(slots), axis=1)
        packages[:, :, pair.i] = table.values[:, pair.i][:, slots[:, 0]]
        packages[:, :, pair.j] = table.values[:, pair.j][:, slots[:, 1]]
        full = issue_gains_with(problem.mechanisms, arrays, packages, guarantees).reshape(
            batch, width, width, n_actors, n_issues)
        on_i, on_j = full[..., pair.i], full[..., pair.j]
        expected = (on_i - on_i[:, :, :1]) + (on_j - on_j[:, :1])
        both_valid = table.valid[:, pair.i, :, None] & table.valid[:, pair.j, None, :]
        expected = np.where(both_valid[..., None], expected, 0.0)
        assert _bits(pair.gains) == _bits(expected), (pair.i, pair.j)
    # The term that carries verification and links is not trivially zero.
    assert np.abs(table.pairs[0].gains).max() > 1e-3
