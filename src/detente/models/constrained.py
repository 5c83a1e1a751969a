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
    point is a small convex program solved per scenario through its Lagrange dual
    (:func:`dual_nearest`: closed-form inner minimum, projected Newton on the multipliers,
    accepted only with a duality-gap certificate; Boyd & Vandenberghe 2004, *Convex
    Optimization*, ch. 5; Bertsekas 1982, "Projected Newton methods for optimization
    problems with simple constraints", *SIAM J. Control Optim.* 20(2)); where no certificate
    is reached (a win-set without interior, an issue nobody weighs) SLSQP solves it. The
    result is always pulled back inside the win-set along the segment to q, so a solver
    that stops early can only be conservative, never infeasible.

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
    certified = dual_nearest(base, pos, sal, w, status_quo)
    if certified is not None:
        x = certified
    else:
        # Imported here: scipy.optimize costs a cold start about 0.35 s, and the dual
        # solves every case with a win-set that has an interior.
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


#: Duality gap (objective units, unit scale) below which the dual's point is accepted: with
#: an objective strongly convex in the W-norm, ‖x − x*‖²_W ≤ gap, so ‖x − x*‖_W ≤ 1e-7 at
#: worst (the Newton steps run on to rounding level first, far tighter in practice).
GAP_TOL = 1e-14
#: Constraint slack (squared distances, unit scale) that counts as met for the certificate.
CERTIFY_TOL = 1e-15


def dual_nearest(base: np.ndarray, position: np.ndarray, salience: np.ndarray,
                 weight: np.ndarray, status_quo: np.ndarray,
                 iterations: int = 60) -> np.ndarray | None:
    """argmin Σ_j W_j (x_j − b_j)² over the veto players' win-set ∩ [0, 1]^I, by the dual.

    For multipliers μ ≥ 0 of the veto players' constraints g_v(x) ≥ 0 (their loss at q
    minus their loss at x), the Lagrangian is separable by issue and its minimum over the
    box is closed form: x_j(μ) = clip((W_j b_j + Σ_v μ_v s_vj p_vj) / (W_j + Σ_v μ_v s_vj),
    0, 1). The dual D(μ) is concave with gradient −g(x(μ)) and Hessian −2 G diag(f/a) Gᵀ
    (G_vj = s_vj (x_j − p_vj), a_j the denominator, f_j = 1 where x_j is not clipped);
    projected Newton steps with an Armijo search maximise it (Bertsekas 1982, see the
    class). Weak duality certifies the answer: once x(μ) is feasible, its objective exceeds
    the optimum by at most the gap μ·g(x(μ)) (Boyd & Vandenberghe 2004, §5.5), and the
    objective's strong convexity bounds ‖x − x*‖²_W by the same gap. Returns None (the
    caller solves the primal instead) when an issue has no weight, or when the gap does not
    close — as when the win-set has no interior and the multipliers grow without bound.
    """
    if np.any(weight <= 0):
        return None
    n_veto = position.shape[0]
    mu = np.zeros(n_veto)

    def inner(mu: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        curvature = weight + mu @ salience
        x = np.clip((weight * base + mu @ (salience * position)) / curvature, 0.0, 1.0)
        slack = _slack(x, position, salience, status_quo)
        dual = float(np.sum(weight * (x - base) ** 2) - mu @ slack)
        return x, slack, curvature, dual

    def residual(mu: np.ndarray, slack: np.ndarray) -> float:
        """KKT residual: active constraints off zero, inactive ones violated."""
        return float(np.max(np.where(mu > 0, np.abs(slack), np.maximum(-slack, 0.0))))

    x, slack, curvature, dual = inner(mu)
    for _ in range(iterations):
        if residual(mu, slack) <= 1e-16:
            break
        gradient = -slack
        # Multipliers at 0 whose constraint holds stay there; Newton on the others.
        free = (mu > 0) | (gradient > 0)
        inside = (x > 0.0) & (x < 1.0)
        g = salience * (x - position)
        hessian = 2.0 * (g[free] * (inside / curvature)) @ g[free].T
        # The Hessian is singular where more constraints bind than issues move (degenerate
        # multipliers): a small relative ridge and the least-squares solution keep the step
        # an ascent direction of bounded length.
        ridge = 1e-12 * max(float(np.max(np.diag(hessian), initial=0.0)), 1e-300)
        step = np.zeros(n_veto)
        step[free] = np.linalg.lstsq(hessian + ridge * np.eye(int(free.sum())),
                                     gradient[free], rcond=None)[0]
        if not np.all(np.isfinite(step)):
            return None
        t = 1.0
        for _ in range(40):
            trial = np.maximum(mu + t * step, 0.0)
            x_t, slack_t, curvature_t, dual_t = inner(trial)
            # Armijo ascent; or, near the optimum where the dual's change is lost to
            # rounding, a step that halves the KKT residual (Newton's local convergence).
            lost = abs(dual_t - dual) <= 1e-13 * (1.0 + abs(dual))
            if dual_t >= dual + 1e-4 * float(gradient @ (trial - mu)) - 1e-18 or (
                    lost and residual(trial, slack_t) <= 0.5 * residual(mu, slack)):
                break
            t *= 0.5
        else:
            break  # no ascent left at rounding level: certify what there is
        if np.array_equal(trial, mu):
            break
        mu, x, slack, curvature, dual = trial, x_t, slack_t, curvature_t, dual_t
    # Feasible to rounding (not merely to the model's tolerance): weak duality needs a point
    # inside the win-set, and a tangent point of a win-set without interior passes the
    # looser test while the multipliers are still growing.
    if np.all(slack >= -CERTIFY_TOL) and float(mu @ np.abs(slack)) <= GAP_TOL:
        return x
    return None
