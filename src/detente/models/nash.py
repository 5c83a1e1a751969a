"""The asymmetric Nash bargaining solution per issue, with the status quo as disagreement."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from detente.arrays import Arrays
from detente.models.base import Model, ModelResult, RngLike, require_count

GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


class Nash(Model):
    """Asymmetric Nash bargaining solution on each issue separately.

    Source: J. F. Nash (1950), "The bargaining problem", *Econometrica* 18(2); the
    asymmetric form of Kalai (1977), "Nonsymmetric Nash solutions and replications of
    2-person bargaining", *Int. J. Game Theory* 6; as applied to EU legislation by
    Schneider, Finke & Bailer (2010), "Bargaining power in the European Union",
    *Political Studies* 58(1).

    Utility of actor i for outcome x (unit scale): u_i(x) = −|x − p_i|^k, with k = 1
    (``utility="linear"``) or k = 2 (``"quadratic"``, the default). The disagreement point
    is the status quo q, the bargaining weights are w_i = c_i s_i. The solution maximises
    Σ_i w_i log(u_i(x) − u_i(q)) over the outcomes every stakeholder (w_i > 0) weakly
    prefers to q, i.e. the intersection of the intervals |x − p_i| ≤ |q − p_i|.

    Where stakeholders stand on both sides of the status quo (or one stands on it) that
    set is q alone: no move on this issue by itself makes everybody better off, and the
    solution is the status quo (``details["feasible"]`` is False there). That is the case
    for package deals, which :mod:`detente.settle` analyses.
    """

    name = "nash"
    # Every stakeholder is a veto player under this disagreement point, whatever its flag.
    needs_status_quo = True
    respects_vetoes = True

    @dataclass(frozen=True)
    class Options:
        utility: Literal["linear", "quadratic"] = "quadratic"
        iterations: int = 90

        def __post_init__(self) -> None:
            if self.utility not in ("linear", "quadratic"):
                raise ValueError("utility must be 'linear' or 'quadratic'")
            require_count("iterations", self.iterations, 10, 1000,
                          "each golden-section step keeps 0.618 of the interval, so 90 "
                          "already reach 1e-19 of the scale, below double precision; more "
                          "only take longer")

    def run(self, arrays: Arrays, rng: RngLike = None) -> ModelResult:
        power = 1.0 if self.options.utility == "linear" else 2.0
        forecast, feasible = nash_solution(arrays.position, arrays.weight, arrays.status_quo,
                                           power, self.options.iterations)
        return self._result(forecast, details={"feasible": feasible})


def nash_solution(position: np.ndarray, weight: np.ndarray, status_quo: np.ndarray,
                  power: float, iterations: int = 90) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised golden-section search over ``[B,] I`` issues; see :class:`Nash`."""
    stakeholder = weight > 0
    radius = np.abs(status_quo[..., None, :] - position)
    low = np.maximum(np.max(np.where(stakeholder, position - radius, -np.inf), axis=-2), 0.0)
    high = np.minimum(np.min(np.where(stakeholder, position + radius, np.inf), axis=-2), 1.0)
    feasible = high - low > 1e-12
    w = weight / np.sum(weight, axis=-2, keepdims=True)
    gain_cap = radius**power

    def objective(x: np.ndarray) -> np.ndarray:
        gain = gain_cap - np.abs(x[..., None, :] - position) ** power
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(stakeholder, w * np.log(np.maximum(gain, 0.0)), 0.0)
        return np.sum(terms, axis=-2)

    a = np.where(feasible, low, status_quo)
    b = np.where(feasible, high, status_quo)
    c = b - GOLDEN * (b - a)
    d = a + GOLDEN * (b - a)
    for _ in range(iterations):
        left = objective(c) > objective(d)  # the maximum lies in [a, d], else in [c, b]
        b = np.where(left, d, b)
        a = np.where(left, a, c)
        c = b - GOLDEN * (b - a)
        d = a + GOLDEN * (b - a)
    solution = np.where(feasible, 0.5 * (a + b), status_quo)
    return solution, feasible
