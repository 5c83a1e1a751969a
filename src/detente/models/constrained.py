"""The compromise forecast constrained to what every veto player prefers to the status quo."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detente.arrays import Arrays
from detente.models.base import MemoryEstimate, Model, ModelResult, RngLike
from detente.models.compromise import weighted_mean

#: Constraint slack treated as satisfied (unit scale, squared distances).
_FEASIBLE_TOL = 1e-12


class ConstrainedCompromise(Model):
    """Compromise forecast moved into the veto players' win-set of the status quo.

    The compromise model (capability × salience weighted mean x̄; Achen 2006, in Thomson,
    Stokman, Achen & König (eds.), *The European Union Decides*, ch. 4) ignores who can
    block. Veto-player theory (G. Tsebelis 2002, *Veto Players: How Political Institutions
    Work*, ch. 1-2) says the outcome must lie in the *win-set of the status quo*: the set of
    outcomes every veto player prefers (weakly) to the status quo q. With quadratic
    salience-weighted losses, veto player v accepts x when
    Σ_j s_vj (x_j − p_vj)² ≤ Σ_j s_vj (q_j − p_vj)² — an ellipsoid through q around v's ideal
    point; the win-set is the intersection of these ellipsoids and the scale. The forecast is
    the point of the win-set nearest to x̄ in the metric Σ_j W_j (x_j − x̄_j)², W_j the total
    capability × salience weight on issue j (normalised).

    On a single issue the win-set is the interval ⋂_v [p_v − |q − p_v|, p_v + |q − p_v|] and
    the forecast is the compromise clipped to it (closed form). On several issues veto
    players can trade across issues (the packages ``detente settle`` searches); the nearest
    point is a small convex program solved per scenario (SLSQP), and the result is always
    pulled back inside the win-set along the segment to q, so a solver that stops early
    can only be conservative, never infeasible.

    Veto players: actors with ``veto: true`` and positive capability × salience (an actor
    with no capability or no stake cannot block). The status quo is the walk-away point of
    every veto player; it always lies in the win-set, so the win-set is never empty: where
    it is q alone (veto players on both sides of q on a lone issue), the forecast is q.
    Trust and guarantees (which ``settle`` uses to discount promises) are not modelled.
    """

    name = "constrained"
    needs_status_quo = True
    respects_vetoes = True

    @dataclass(frozen=True)
    class Options:
        iterations: int = 200

        def __post_init__(self) -> None:
            if self.iterations < 10:
                raise ValueError("iterations must be at least 10")

    def estimate(self, n_actors: int, n_issues: int, batch: int = 1) -> MemoryEstimate:
        """The base estimate; on several issues plus 32 MiB for SLSQP (solved one scenario
        at a time, so it does not grow with the batch) and the first import of
        scipy.optimize (about 11 MB measured)."""
        base = super().estimate(n_actors, n_issues, batch)
        extra = 32 * 2**20 if n_issues > 1 else 0
        return MemoryEstimate(working=base.working + extra,
                              outputs_per_row=base.outputs_per_row)

    def run(self, arrays: Arrays, rng: RngLike = None) -> ModelResult:
        weight = arrays.weight
        base = weighted_mean(arrays.position, weight)
        veto = arrays.veto[:, None] & arrays.stake & (weight > 0)  # [B,] A, I
        forecast, moved = constrain(base, arrays.position, arrays.salience, weight,
                                    arrays.status_quo, veto, self.options.iterations)
        return self._result(forecast, details={"moved": moved})


def interval_win_set(position: np.ndarray, status_quo: np.ndarray,
                     veto: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per issue, the interval every veto player prefers to the status quo (single issues).

    ``position``/``veto``: ``[B,] A, I``; ``status_quo``: ``[B,] I``. Returns (low, high), each
    ``[B,] I``, clipped to the unit scale; it always contains the status quo.
    """
    radius = np.abs(status_quo[..., None, :] - position)
    low = np.max(np.where(veto, position - radius, -np.inf), axis=-2)
    high = np.min(np.where(veto, position + radius, np.inf), axis=-2)
    return np.maximum(low, 0.0), np.minimum(high, 1.0)


def constrain(base: np.ndarray, position: np.ndarray, salience: np.ndarray,
              weight: np.ndarray, status_quo: np.ndarray, veto: np.ndarray,
              iterations: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """The point of the veto players' win-set nearest ``base``; and whether ``base`` moved."""
    if base.shape[-1] == 1:
        low, high = interval_win_set(position, status_quo, veto)
        out = np.clip(base, low, high)
        return out, np.abs(out - base) > 1e-12
    batch = base.shape[:-1]
    flat = int(np.prod(batch)) if batch else 1
    n_actors, n_issues = position.shape[-2:]
    b_base = base.reshape(flat, n_issues)
    b_pos = np.broadcast_to(position, (*batch, n_actors, n_issues)).reshape(flat, n_actors,
                                                                             n_issues)
    b_sal = np.broadcast_to(np.where(veto, salience, 0.0),
                            (*batch, n_actors, n_issues)).reshape(flat, n_actors, n_issues)
    b_w = np.broadcast_to(np.sum(weight, axis=-2), (*batch, n_issues)).reshape(flat, n_issues)
    b_q = np.broadcast_to(status_quo, (*batch, n_issues)).reshape(flat, n_issues)
    out = b_base.copy()
    for b in range(flat):
        out[b] = _nearest_in_win_set(b_base[b], b_pos[b], b_sal[b], b_w[b], b_q[b], iterations)
    out = out.reshape(base.shape)
    return out, np.abs(out - base) > 1e-9


def _slack(x: np.ndarray, position: np.ndarray, salience: np.ndarray,
           status_quo: np.ndarray) -> np.ndarray:
    """Per veto player: its loss at q minus its loss at x (≥ 0: it accepts x)."""
    return np.sum(salience * ((status_quo - position) ** 2 - (x - position) ** 2), axis=-1)


def _nearest_in_win_set(base: np.ndarray, position: np.ndarray, salience: np.ndarray,
                        weight: np.ndarray, status_quo: np.ndarray,
                        iterations: int) -> np.ndarray:
    """One scenario: argmin Σ W (x − base)² over the win-set ∩ [0, 1]^I (see the class)."""
    active = np.any(salience > 0, axis=-1)
    if not active.any() or np.all(_slack(base, position[active], salience[active],
                                         status_quo) >= -_FEASIBLE_TOL):
        return base
    pos, sal = position[active], salience[active]
    total = float(np.sum(weight))
    w = weight / total if total > 0 else np.full_like(weight, 1.0 / weight.size)
    from scipy.optimize import minimize

    result = minimize(
        lambda x: float(np.sum(w * (x - base) ** 2)), status_quo.copy(),
        jac=lambda x: 2.0 * w * (x - base), method="SLSQP",
        bounds=[(0.0, 1.0)] * base.size,
        constraints=[{"type": "ineq", "fun": lambda x: _slack(x, pos, sal, status_quo),
                      "jac": lambda x: -2.0 * sal * (x - pos)}],
        options={"maxiter": iterations, "ftol": 1e-14})
    x = np.clip(np.asarray(result.x, dtype=float), 0.0, 1.0)
    if np.all(_slack(x, pos, sal, status_quo) >= -_FEASIBLE_TOL):
        return x
    # Pull back toward q (feasible; the win-set is convex) until every veto player accepts.
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if np.all(_slack(status_quo + mid * (x - status_quo), pos, sal,
                         status_quo) >= -_FEASIBLE_TOL):
            lo = mid
        else:
            hi = mid
    return status_quo + lo * (x - status_quo)
