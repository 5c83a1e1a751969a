"""The compromise forecast constrained to what every veto player prefers to the status quo."""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass

import numpy as np

from detente.arrays import Arrays
from detente.models.base import MemoryEstimate, Model, ModelResult, RngLike, require_count
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
    point is a small convex program solved through its Lagrange dual, for a whole batch of
    scenarios at once, each with its own iteration and certificate
    (:func:`dual_nearest_batch`: closed-form inner minimum, projected Newton on the
    multipliers, accepted only with a duality-gap certificate; Boyd & Vandenberghe 2004,
    *Convex Optimization*, ch. 5; Bertsekas 1982, "Projected Newton methods for
    optimization problems with simple constraints", *SIAM J. Control Optim.* 20(2)); where
    no certificate is reached (a win-set without interior, an issue nobody weighs) SLSQP
    solves that scenario alone. The result is always pulled back inside the win-set along
    the segment to q, so a solver that stops early can only be conservative, never
    infeasible.

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
            require_count("iterations", self.iterations, 10, 1000,
                          "SLSQP converges within tens of iterations; the cap only ends a "
                          "run that does not, so more only take longer")

    def estimate(self, n_actors: int, n_issues: int, batch: int = 1) -> MemoryEstimate:
        """The base estimate; on several issues plus the dual's Hessians of the batch (four
        ``[B, A, A, I]`` arrays' worth: about two measured at 20-40 actors), 32 MiB for
        SLSQP (solved one scenario at a time, so it does not grow with the batch) and the
        first import of scipy.optimize (about 11 MB measured)."""
        base = super().estimate(n_actors, n_issues, batch)
        extra = 0
        if n_issues > 1:
            extra = 8 * 4 * batch * n_actors * n_actors * n_issues + 32 * 2**20
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
    """The point of the veto players' win-set nearest ``base``; and whether ``base`` moved.

    Several issues: the scenarios whose compromise some veto player rejects are solved
    together by :func:`dual_nearest_batch` (one array program, a certificate per scenario);
    those it cannot certify go to SLSQP one at a time (:func:`_primal_nearest`).
    """
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
    # An actor without salience (no veto, no stake) has slack 0 everywhere: it accepts.
    accepted = np.all(_slack(b_base[:, None, :], b_pos, b_sal, b_q[:, None, :])
                      >= -_FEASIBLE_TOL, axis=-1)
    need = np.flatnonzero(~accepted)
    if need.size:
        total = np.sum(b_w[need], axis=-1, keepdims=True)
        w = np.where(total > 0, b_w[need] / np.where(total > 0, total, 1.0), 1.0 / n_issues)
        x, certified = dual_nearest_batch(b_base[need], b_pos[need], b_sal[need], w,
                                          b_q[need])
        out[need[certified]] = x[certified]
        for k in np.flatnonzero(~certified):
            row = need[k]
            out[row] = _primal_nearest(b_base[row], b_pos[row], b_sal[row], w[k], b_q[row],
                                       iterations)
    out = out.reshape(base.shape)
    return out, np.abs(out - base) > 1e-9


def _slack(x: np.ndarray, position: np.ndarray, salience: np.ndarray,
           status_quo: np.ndarray) -> np.ndarray:
    """Per veto player: its loss at q minus its loss at x (≥ 0: it accepts x)."""
    return np.sum(salience * ((status_quo - position) ** 2 - (x - position) ** 2), axis=-1)


def _primal_nearest(base: np.ndarray, position: np.ndarray, salience: np.ndarray,
                    weight: np.ndarray, status_quo: np.ndarray,
                    iterations: int) -> np.ndarray:
    """One scenario the dual did not certify: argmin Σ W (x − base)² over the win-set ∩
    [0, 1]^I by SLSQP (see the class); ``weight`` normalised, ``salience`` 0 off the veto
    players."""
    # Imported here: scipy.optimize costs a cold start about 0.35 s, and the dual solves
    # every case with a win-set that has an interior.
    from scipy.optimize import minimize

    active = np.any(salience > 0, axis=-1)
    pos, sal, w = position[active], salience[active], weight
    result = minimize(
        lambda x: float(np.sum(w * (x - base) ** 2)), status_quo.copy(),
        jac=lambda x: 2.0 * w * (x - base), method="SLSQP",
        bounds=[(0.0, 1.0)] * base.size,
        constraints=[{"type": "ineq", "fun": lambda x: _slack(x, pos, sal, status_quo),
                      "jac": lambda x: -2.0 * sal * (x - pos)}],
        options={"maxiter": iterations, "ftol": 1e-14})
    x = np.clip(np.asarray(result.x, dtype=float), 0.0, 1.0)
    if not np.all(_slack(x, pos, sal, status_quo) >= -_FEASIBLE_TOL):
        # Pull back toward q (feasible; the win-set is convex) until every veto player
        # accepts.
        lo, hi = 0.0, 1.0
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            if np.all(_slack(status_quo + mid * (x - status_quo), pos, sal,
                             status_quo) >= -_FEASIBLE_TOL):
                lo = mid
            else:
                hi = mid
        x = status_quo + lo * (x - status_quo)
    # A win-set without interior can be q alone (two veto players' ellipsoids touching at q),
    # where SLSQP's tolerance still accepts points up to √_FEASIBLE_TOL from q along the
    # common tangent: -0.13 for a status quo of 0 on a scale of ±10⁶.
    return status_quo.copy() if _reach_toward(x, pos, sal, status_quo) <= _AT_Q else x


#: How far (unit scale) the win-set may reach from q toward the solver's point and still be
#: q alone to rounding: positions on the unit scale carry errors of about 1e-16, which turn
#: two ellipsoids that touch at q into a lens of that size.
_AT_Q = 1e-12


def _reach_toward(x: np.ndarray, position: np.ndarray, salience: np.ndarray,
                  status_quo: np.ndarray) -> float:
    """How far the win-set reaches from q along the segment to ``x``, exactly (unit scale).

    Along q + t·d (d = x − q) veto player v's slack is t (G_v·d − t Σ_j s_vj d_j²), with
    G_v = 2 s_v (p_v − q), the gradient of its slack at q (Tsebelis 2002, ch. 2: every veto
    player is indifferent at q, so each ellipsoid passes through it). v therefore accepts
    exactly t ≤ G_v·d / Σ_j s_vj d_j² — a form without the cancellation of the squared
    distances in :func:`_slack`, so the reach is not lost in their rounding.
    """
    step = x - status_quo
    toward = np.sum(2.0 * salience * (position - status_quo) * step, axis=-1)
    curving = np.sum(salience * step ** 2, axis=-1)
    # A veto player whose loss does not change along the segment accepts all of it.
    accepted = np.where(curving > 0, toward / np.where(curving > 0, curving, 1.0), np.inf)
    return float(np.clip(np.min(accepted, initial=1.0), 0.0, 1.0) * np.max(np.abs(step),
                                                                            initial=0.0))


#: Duality gap (objective units, unit scale) below which the dual's point is accepted: with
#: an objective strongly convex in the W-norm, ‖x − x*‖²_W ≤ gap, so ‖x − x*‖_W ≤ 1e-7 at
#: worst (the Newton steps run on to rounding level first, far tighter in practice).
GAP_TOL = 1e-14
#: Constraint slack (squared distances, unit scale) that counts as met for the certificate.
CERTIFY_TOL = 1e-15


def dual_nearest(base: np.ndarray, position: np.ndarray, salience: np.ndarray,
                 weight: np.ndarray, status_quo: np.ndarray,
                 iterations: int = 60) -> np.ndarray | None:
    """One scenario through :func:`dual_nearest_batch`: the certified point, or None."""
    x, certified = dual_nearest_batch(base[None], position[None], salience[None],
                                      weight[None], status_quo[None], iterations)
    return x[0] if certified[0] else None


@dataclass(frozen=True)
class _Problem:
    """The data of the scenarios still being solved, rows aligned with the solver's state.

    ``salience_t`` and ``pull_t`` (salience × position) hold the veto players last, so every
    sum over veto players, like every sum over issues, runs along a contiguous last axis:
    a scenario's numbers then never depend on which other scenarios share its batch.
    """

    base: np.ndarray  # B, I
    position: np.ndarray  # B, V, I
    salience: np.ndarray  # B, V, I
    weight: np.ndarray  # B, I
    at_q: np.ndarray  # B, V, I: (q − p)², each veto player's squared distance to q
    weighted_base: np.ndarray  # B, I
    salience_t: np.ndarray  # B, I, V
    pull_t: np.ndarray  # B, I, V

    @classmethod
    def of(cls, base: np.ndarray, position: np.ndarray, salience: np.ndarray,
           weight: np.ndarray, status_quo: np.ndarray) -> _Problem:
        return cls(base, position, salience, weight, (status_quo[:, None, :] - position) ** 2,
                   weight * base, np.ascontiguousarray(np.swapaxes(salience, -1, -2)),
                   np.ascontiguousarray(np.swapaxes(salience * position, -1, -2)))

    def take(self, rows: np.ndarray) -> _Problem:
        return _Problem(*(getattr(self, f.name)[rows] for f in dataclasses.fields(self)))

    def inner(self, mu: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The Lagrangian's minimum over the box at multipliers ``mu`` (B, V): x(μ), the
        slack g(x(μ)), the curvature a = W + Σ_v μ_v s_v and the dual value D(μ)."""
        curvature = self.weight + np.sum(mu[:, None, :] * self.salience_t, axis=-1)
        x = np.clip((self.weighted_base + np.sum(mu[:, None, :] * self.pull_t, axis=-1))
                    / curvature, 0.0, 1.0)
        slack = np.sum(self.salience * (self.at_q - (x[:, None, :] - self.position) ** 2),
                       axis=-1)
        dual = np.sum(self.weight * (x - self.base) ** 2, axis=-1) - np.sum(mu * slack,
                                                                            axis=-1)
        return x, slack, curvature, dual


def _residual(mu: np.ndarray, slack: np.ndarray) -> np.ndarray:
    """KKT residual per scenario: active constraints off zero, inactive ones violated."""
    return np.max(np.where(mu > 0, np.abs(slack), np.maximum(-slack, 0.0)), axis=-1)


def _solve(matrix: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """``matrix⁻¹ rhs`` per scenario; NaN for a scenario whose matrix is singular."""
    try:
        return np.linalg.solve(matrix, rhs[..., None])[..., 0]
    except np.linalg.LinAlgError:
        out = np.full(rhs.shape, np.nan)
        for k in range(rhs.shape[0]):
            # Left NaN where singular: that scenario goes to the primal solver.
            with contextlib.suppress(np.linalg.LinAlgError):
                out[k] = np.linalg.solve(matrix[k], rhs[k])
        return out


def dual_nearest_batch(base: np.ndarray, position: np.ndarray, salience: np.ndarray,
                       weight: np.ndarray, status_quo: np.ndarray,
                       iterations: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """argmin Σ_j W_j (x_j − b_j)² over the veto players' win-set ∩ [0, 1]^I, by the dual,
    for a batch of scenarios: ``base``/``weight``/``status_quo`` ``B, I``; ``position``/
    ``salience`` ``B, V, I`` (salience 0 for a row that is not a veto player: its constraint
    always holds and its multiplier stays 0). Returns the points ``B, I`` and whether each is
    certified ``B``; an uncertified row's point is meaningless (the caller solves the primal).

    For multipliers μ ≥ 0 of the veto players' constraints g_v(x) ≥ 0 (their loss at q
    minus their loss at x), the Lagrangian is separable by issue and its minimum over the
    box is closed form: x_j(μ) = clip((W_j b_j + Σ_v μ_v s_vj p_vj) / (W_j + Σ_v μ_v s_vj),
    0, 1). The dual D(μ) is concave with gradient −g(x(μ)) and Hessian −2 G diag(f/a) Gᵀ
    (G_vj = s_vj (x_j − p_vj), a_j the denominator, f_j = 1 where x_j is not clipped);
    projected Newton steps with an Armijo search maximise it (Bertsekas 1982, see the
    class). Weak duality certifies the answer: once x(μ) is feasible, its objective exceeds
    the optimum by at most the gap μ·g(x(μ)) (Boyd & Vandenberghe 2004, §5.5), and the
    objective's strong convexity bounds ‖x − x*‖²_W by the same gap. A row is not
    certified when an issue has no weight, or when the gap does not close — as when the
    win-set has no interior and the multipliers grow without bound.

    Every scenario follows its own iteration (its own free set, step length and stopping
    point; a finished scenario leaves the batch), so a row's numbers are those it gets alone.
    """
    n_rows, n_veto = position.shape[:2]
    final_x = np.array(base, dtype=float, copy=True)
    final_mu = np.zeros((n_rows, n_veto))
    final_slack = np.zeros((n_rows, n_veto))
    ended = np.zeros(n_rows, dtype=bool)  # stopped with a state to certify
    live = np.flatnonzero(np.all(weight > 0, axis=-1))
    problem = _Problem.of(base[live], position[live], salience[live], weight[live],
                          status_quo[live])
    mu = np.zeros((live.size, n_veto))
    x, slack, curvature, dual = problem.inner(mu)

    def finish(stop: np.ndarray, failed: bool = False) -> None:
        """Take the rows ``stop`` (a mask over the live rows) out of the batch, keeping
        their state for the certificate (or none, ``failed``)."""
        nonlocal live, problem, mu, x, slack, curvature, dual
        if not failed:
            final_x[live[stop]], final_mu[live[stop]] = x[stop], mu[stop]
            final_slack[live[stop]], ended[live[stop]] = slack[stop], True
        keep = ~stop
        live, problem = live[keep], problem.take(keep)
        mu, x, slack, curvature, dual = mu[keep], x[keep], slack[keep], curvature[keep], \
            dual[keep]

    eye = np.eye(n_veto)
    for _ in range(iterations):
        if not live.size:
            break
        residual = _residual(mu, slack)
        if np.any(done := residual <= 1e-16):
            finish(done)
            residual = residual[~done]
            if not live.size:
                break
        gradient = -slack
        # Multipliers at 0 whose constraint holds stay there; Newton on the others (a
        # fixed row, with 1 on the diagonal and no gradient, keeps a step of 0).
        free = (mu > 0) | (gradient > 0)
        inside = (x > 0.0) & (x < 1.0)
        g = np.where(free[:, :, None],
                     problem.salience * (x[:, None, :] - problem.position), 0.0)
        scaled = g * (inside / curvature)[:, None, :]
        hessian = 2.0 * np.sum(scaled[:, :, None, :] * g[:, None, :, :], axis=-1)
        # The Hessian is singular where more constraints bind than issues move (degenerate
        # multipliers): a small relative ridge keeps the step an ascent direction of
        # bounded length.
        ridge = 1e-12 * np.maximum(np.max(np.diagonal(hessian, axis1=-2, axis2=-1), axis=-1,
                                          initial=0.0), 1e-300)
        hessian = hessian + np.where(free, ridge[:, None], 1.0)[:, :, None] * eye
        step = _solve(hessian, np.where(free, gradient, 0.0))
        if np.any(bad := ~np.all(np.isfinite(step), axis=-1)):
            finish(bad, failed=True)
            residual, gradient, step = residual[~bad], gradient[~bad], step[~bad]
        if not live.size:
            break
        # Armijo ascent per scenario; or, near the optimum where the dual's change is lost
        # to rounding, a step that halves the KKT residual (Newton's local convergence).
        t = np.ones(live.size)
        pending = np.arange(live.size)
        accepted = np.zeros(live.size, dtype=bool)
        new_mu, new_x, new_slack = mu.copy(), x.copy(), slack.copy()
        new_curvature, new_dual = curvature.copy(), dual.copy()
        for _ in range(40):
            if not pending.size:
                break
            base_mu, base_dual = mu[pending], dual[pending]
            trial = np.maximum(base_mu + t[pending, None] * step[pending], 0.0)
            # Every row tries the full step first: no gather then.
            tried = problem if pending.size == live.size else problem.take(pending)
            x_t, slack_t, curvature_t, dual_t = tried.inner(trial)
            lost = np.abs(dual_t - base_dual) <= 1e-13 * (1.0 + np.abs(base_dual))
            ok = (dual_t >= base_dual + 1e-4 * np.sum(gradient[pending] * (trial - base_mu),
                                                      axis=-1) - 1e-18) | (
                lost & (_residual(trial, slack_t) <= 0.5 * residual[pending]))
            rows = pending[ok]
            accepted[rows] = True
            new_mu[rows], new_x[rows], new_slack[rows] = trial[ok], x_t[ok], slack_t[ok]
            new_curvature[rows], new_dual[rows] = curvature_t[ok], dual_t[ok]
            t[pending[~ok]] *= 0.5
            pending = pending[~ok]
        # No ascent left at rounding level, or a step that changes nothing: certify what
        # there is, from the state before the search.
        stop = ~accepted | np.all(new_mu == mu, axis=-1)
        keep = ~stop
        mu[keep], x[keep], slack[keep] = new_mu[keep], new_x[keep], new_slack[keep]
        curvature[keep], dual[keep] = new_curvature[keep], new_dual[keep]
        if np.any(stop):
            finish(stop)
    finish(np.ones(live.size, dtype=bool))
    # Feasible to rounding (not merely to the model's tolerance): weak duality needs a point
    # inside the win-set, and a tangent point of a win-set without interior passes the
    # looser test while the multipliers are still growing.
    certified = ended & np.all(final_slack >= -CERTIFY_TOL, axis=-1) & (
        np.sum(final_mu * np.abs(final_slack), axis=-1) <= GAP_TOL)
    return final_x, certified
