"""The weighted median: the position a capability-weighted majority can hold against moves."""

from __future__ import annotations

import numpy as np

from detente.arrays import Arrays
from detente.models.base import Model, ModelResult, RngLike


class Median(Model):
    """Capability × salience weighted median of positions, per issue.

    Source: D. Black (1948), "On the rationale of group decision-making", *J. Political
    Economy* 56(1) — the median voter theorem; weighted as in the "median voter" baseline of
    Bueno de Mesquita (1994) and the DEU literature (Thomson et al. 2006, ch. 10).
    Where the cumulative weight reaches exactly one half at a position, the two middle
    positions are averaged, so the result does not depend on the order of the actors.
    """

    name = "median"

    def run(self, arrays: Arrays, rng: RngLike = None) -> ModelResult:
        return self._result(weighted_median(arrays.position, arrays.weight))


def weighted_median(position: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Weighted median over the actor axis (second to last) of ``[B,] A, I`` arrays."""
    order = np.argsort(position, axis=-2, kind="stable")
    pos = np.take_along_axis(position, order, axis=-2)
    w = np.take_along_axis(np.broadcast_to(weight, position.shape), order, axis=-2)
    total = np.sum(w, axis=-2, keepdims=True)
    cum = np.cumsum(w, axis=-2) / total
    tol = 1e-12
    # The first position whose cumulative share reaches one half.
    first = np.argmax(cum >= 0.5 - tol, axis=-2)[..., None, :]
    lower = np.take_along_axis(pos, first, axis=-2)[..., 0, :]
    at_half = np.abs(np.take_along_axis(cum, first, axis=-2)[..., 0, :] - 0.5) <= tol
    # Exactly one half: average with the next position that carries weight.
    carries = (w > 0) & (np.arange(pos.shape[-2])[:, None] > first)
    nxt = np.argmax(carries, axis=-2)[..., None, :]
    has_next = np.any(carries, axis=-2)
    upper = np.take_along_axis(pos, nxt, axis=-2)[..., 0, :]
    return np.where(at_half & has_next, 0.5 * (lower + upper), lower)
