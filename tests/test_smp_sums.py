"""The SMP's column-wise sums give numpy's bits (docs/smp.md, Speed).

``sum_last``, ``sequential_sum`` and ``prod_last`` replace ``np.sum``, ``np.cumsum(...)[..., -1]``
and ``np.prod`` over the last axis by the same additions done a column at a time. They are
only worth having if they agree bit for bit, signed zeros included; if numpy changes the
order in which it adds a row, these tests fail rather than the SMP's results moving.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from detente.models.smp import prod_last, sequential_sum, sum_last

CASES: list[tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]] = [
    (sum_last, lambda x: np.sum(x, axis=-1)),
    (sequential_sum, lambda x: np.cumsum(x, axis=-1)[..., -1]),
    (prod_last, lambda x: np.prod(x, axis=-1)),
]


def _draw(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Magnitudes over twelve orders (so the order of additions shows), with signed zeros."""
    x = rng.standard_normal(shape) * 10.0 ** rng.integers(-6, 6, shape)
    zero = rng.random(shape) < 0.2
    x[zero] = rng.choice([0.0, -0.0], int(zero.sum()))
    return x


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.array_equal(a, b, equal_nan=True)
                and np.array_equal(np.signbit(a), np.signbit(b)))


@pytest.mark.parametrize("n", [*range(1, 20), 23, 31, 32, 33, 64, 127, 128, 129, 200])
@pytest.mark.parametrize(("fast", "numpy"), CASES)
def test_equals_numpy_bit_for_bit(n: int, fast: Callable[[np.ndarray], np.ndarray],
                                  numpy: Callable[[np.ndarray], np.ndarray]) -> None:
    rng = np.random.default_rng(n)
    for outer in [(), (1,), (7,), (3, 5), (2, 1, 4), (40, 6, 6)]:
        x = _draw(rng, (*outer, n))
        assert _same_bits(fast(x), numpy(x)), (outer, n)
        # Views whose rows are not contiguous (numpy may add them in another order).
        wide = _draw(rng, (*outer, n, 3))
        assert _same_bits(fast(wide[..., 1]), numpy(wide[..., 1])), (outer, n)
        swapped = np.swapaxes(_draw(rng, (*outer, n, 2)), -1, -2)
        assert _same_bits(fast(swapped), numpy(swapped)), (outer, n)


@pytest.mark.parametrize(("fast", "numpy"), CASES)
def test_all_zeros_and_non_finite_terms(fast: Callable[[np.ndarray], np.ndarray],
                                        numpy: Callable[[np.ndarray], np.ndarray]) -> None:
    for row in ([-0.0] * 3, [-0.0] * 9, [0.0, -0.0], [np.inf, 1.0, -np.inf], [np.nan, 2.0] * 5,
                [1e308, 1e308, -1e308] * 3):
        x = np.array([row, row])
        with np.errstate(all="ignore"):
            assert _same_bits(fast(x), numpy(x)), row


def test_a_changed_order_is_caught() -> None:
    # The check above can fail: the plain left-to-right sum differs from numpy's pairwise
    # sum on some rows of 8 or more terms.
    x = _draw(np.random.default_rng(0), (2000, 9))
    assert not _same_bits(sequential_sum(x), np.sum(x, axis=-1))
