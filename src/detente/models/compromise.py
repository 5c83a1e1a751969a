"""The compromise model: the capability-times-salience weighted mean of positions."""

from __future__ import annotations

import numpy as np

from detente.arrays import Arrays
from detente.models.base import Model, ModelResult, RngLike


class Compromise(Model):
    """Weighted mean of the actors' positions, weights capability × salience.

    Source: C. H. Achen (2006), "Institutional realism and bargaining models", in Thomson,
    Stokman, Achen & König (eds.), *The European Union Decides*, ch. 4 — the "compromise
    model", the Nash bargaining solution under quadratic losses and a remote disagreement
    point; also van den Bos (1991). x̂ = Σ_i c_i s_i x_i / Σ_i c_i s_i.
    """

    name = "compromise"

    def run(self, arrays: Arrays, rng: RngLike = None) -> ModelResult:
        return self._result(weighted_mean(arrays.position, arrays.weight))


def weighted_mean(position: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Σ w x / Σ w over the actor axis (second to last), for ``[B,] A, I`` arrays."""
    return np.sum(weight * position, axis=-2) / np.sum(weight, axis=-2)
