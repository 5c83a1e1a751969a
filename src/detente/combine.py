"""One combined forecast from the registered models, with intervals calibrated out of sample.

*Point*: a stacked combination Σ_m β_m f_m of the models' forecasts, β ≥ 0, Σ β = 1, fitted
by least absolute deviations (Wolpert 1992, "Stacked generalization", *Neural Networks*
5(2); Breiman 1996, "Stacked regressions", *Machine Learning* 24(1)). Two weight sets: one
for issues with a status quo (every model), one for issues without (only the models that
do not need one, :attr:`detente.models.base.Model.needs_status_quo`).

*Interval*: the predictive distribution is a mixture of Laplace laws with a common scale σ
(the error law whose maximum-likelihood fit is least absolute deviations, as the stack),
clipped to the scale (outcomes at a pole are common): a share λ centred on the stacked point,
and 1 − λ spread over the models, each centred on its own forecast with weight ρ_m ∝ 1/MAE_m²,
the inverse squared validation error (Bates & Granger 1969, "The combination of forecasts",
*Operational Research Quarterly* 20(4)). Model disagreement widens the interval where the
models disagree; σ covers everything else (input error, bargaining outside the models); λ is
chosen by the pinball loss on training data. σ is
chosen on training data only so that the central intervals cover the training outcomes
at their nominal levels (10 % ... 95 %); the pinball loss and the CRPS, proper scoring
rules (Gneiting & Raftery 2007, *JASA* 102(477)), are reported beside the coverage.

Everything is fitted on DEU III by :func:`fit_combination`; :func:`cross_validate` scores it
by grouped cross-validation (no proposal in two folds), so the coverage, pinball loss and
CRPS that ``detente validate`` prints are out of sample. The fitted numbers ship as
``detente/data/combined.json`` with their provenance; ``detente validate deu PATH --fit FILE``
refits them, and ``detente forecast --combined --combination FILE`` uses a refit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from detente.errors import scenario_error

#: The name of the combined forecast where a model name is expected (``sample -m combined``).
COMBINED = "combined"
FORMAT = "detente.combination"
VERSION = 1
#: Central interval levels reported everywhere (50, 80 and 95 %).
LEVELS: tuple[float, ...] = (0.5, 0.8, 0.95)
#: Quantile levels σ is fitted on (and the pinball loss averaged over).
FIT_QUANTILES: tuple[float, ...] = (0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975)
#: Levels for the CRPS (2 × the mean pinball loss over a fine grid of levels).
CRPS_QUANTILES: tuple[float, ...] = tuple(k / 100 for k in range(1, 100))
#: Nominal levels of the reliability figure.
RELIABILITY_LEVELS: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


@dataclass(frozen=True)
class Combination:
    """Fitted weights and spread (unit scale); see the module docstring."""

    stack: Mapping[str, float]
    stack_without_status_quo: Mapping[str, float]
    mixture: Mapping[str, float]
    mixture_without_status_quo: Mapping[str, float]
    sigma: float
    #: λ: the share of the mixture on the stacked point itself (1 − λ spread over the models
    #: by ``mixture``); chosen in the fit, 0 = all model disagreement, 1 = none.
    point_weight: float = 0.0
    provenance: Mapping[str, Any] = field(default_factory=dict)

    @property
    def models(self) -> list[str]:
        """Every model whose forecast the combination reads."""
        seen: dict[str, None] = {}
        for table in (self.stack, self.mixture, self.stack_without_status_quo,
                      self.mixture_without_status_quo):
            for name in table:
                seen.setdefault(name, None)
        return list(seen)

    def point(self, forecasts: Mapping[str, np.ndarray],
              known: np.ndarray | bool = True) -> np.ndarray:
        """The stacked forecast; ``known``: per issue, whether its status quo is real."""
        with_q = _weighted(self.stack, forecasts)
        without = _weighted(self.stack_without_status_quo, forecasts)
        return np.clip(np.where(known, with_q, without), 0.0, 1.0)

    def quantiles(self, forecasts: Mapping[str, np.ndarray], levels: Sequence[float],
                  known: np.ndarray | bool = True) -> np.ndarray:
        """Quantiles ``[L, ...]`` of the predictive mixture, clipped to the unit scale."""
        with_q = _mixture_quantiles(self.mixture, forecasts, self.sigma, levels,
                                    self.point(forecasts, True), self.point_weight)
        without = _mixture_quantiles(self.mixture_without_status_quo, forecasts, self.sigma,
                                     levels, self.point(forecasts, False), self.point_weight)
        return np.where(known, with_q, without)

    def interval(self, forecasts: Mapping[str, np.ndarray], level: float,
                 known: np.ndarray | bool = True) -> tuple[np.ndarray, np.ndarray]:
        q = self.quantiles(forecasts, ((1 - level) / 2, (1 + level) / 2), known)
        return q[0], q[1]

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, "provenance": dict(self.provenance),
                "stack": dict(self.stack),
                "stack_without_status_quo": dict(self.stack_without_status_quo),
                "mixture": dict(self.mixture),
                "mixture_without_status_quo": dict(self.mixture_without_status_quo),
                "sigma": self.sigma, "point_weight": self.point_weight}

    @classmethod
    def from_dict(cls, raw: Any, source: str = "<combination>") -> Combination:
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise scenario_error("format", "not a detente combination file",
                                 "write one with `detente validate deu PATH --fit FILE`", source)
        if raw.get("version") != VERSION:
            raise scenario_error("version", f"combination version {raw.get('version')!r} is "
                                 f"not {VERSION}", "refit it with this detente version "
                                 "(`detente validate deu PATH --fit FILE`)", source)
        tables = {}
        for key in ("stack", "stack_without_status_quo", "mixture",
                    "mixture_without_status_quo"):
            table = raw.get(key)
            if not isinstance(table, dict) or not table:
                raise scenario_error(key, "missing or empty weight table",
                                     "refit with `detente validate deu PATH --fit FILE`",
                                     source)
            values = {}
            for name, w in table.items():
                if not isinstance(w, int | float) or not np.isfinite(w) or w < 0:
                    raise scenario_error(f"{key}.{name}", f"weight {w!r} is not a number ≥ 0",
                                         "weights are finite numbers from 0 to 1", source)
                values[str(name)] = float(w)
            if abs(sum(values.values()) - 1.0) > 1e-6:
                raise scenario_error(key, f"weights sum to {sum(values.values()):g}, not 1",
                                     "refit with `detente validate deu PATH --fit FILE`",
                                     source)
            tables[key] = values
        sigma = raw.get("sigma")
        if not isinstance(sigma, int | float) or not np.isfinite(sigma) or not 0 < sigma <= 1:
            raise scenario_error("sigma", f"{sigma!r} is not a spread in (0, 1] (unit scale)",
                                 "refit with `detente validate deu PATH --fit FILE`", source)
        lam = raw.get("point_weight")
        if not isinstance(lam, int | float) or not np.isfinite(lam) or not 0 <= lam <= 1:
            raise scenario_error("point_weight", f"{lam!r} is not a share from 0 to 1",
                                 "refit with `detente validate deu PATH --fit FILE`", source)
        return cls(stack=tables["stack"],
                   stack_without_status_quo=tables["stack_without_status_quo"],
                   mixture=tables["mixture"],
                   mixture_without_status_quo=tables["mixture_without_status_quo"],
                   sigma=float(sigma), point_weight=float(lam),
                   provenance=dict(raw.get("provenance") or {}))


def fitted_on(combination: Combination) -> str:
    """Where the combination was fitted and calibrated, in words, from its provenance (the
    file ``validate --fit`` wrote): a combination fitted on DEU III speaks for EU
    legislation, one fitted on a user's scenarios for those scenarios' outcomes only."""
    provenance = combination.provenance
    data = str(provenance.get("data") or "")
    # The recorded command names what was validated: `detente validate deu PATH ...`.
    if str(provenance.get("command", "")).split()[2:3] == ["deu"]:
        return f"EU legislation, DEU III's {data}" if data else "EU legislation in DEU III"
    return f"the outcomes of {data}" if data else "outcomes its file does not name"


def load_combination(path: str | Path | None = None) -> Combination:
    """The combination shipped with detente (fitted on DEU III), or one from ``path``."""
    if path is None:
        text = (resources.files("detente") / "data" / "combined.json").read_text("utf-8")
        return Combination.from_dict(json.loads(text), "detente/data/combined.json")
    p = Path(path)
    if not p.is_file():
        raise scenario_error("", "no such combination file",
                             "give the file `detente validate deu PATH --fit FILE` wrote",
                             str(p))
    try:
        raw = json.loads(p.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise scenario_error("", f"not JSON: {err}",
                             "give the file `detente validate deu PATH --fit FILE` wrote",
                             str(p)) from None
    return Combination.from_dict(raw, str(p))


def _weighted(weights: Mapping[str, float], forecasts: Mapping[str, np.ndarray]) -> np.ndarray:
    missing = [m for m, w in weights.items() if w > 0 and m not in forecasts]
    if missing:
        raise KeyError(f"the combination needs the forecasts of {', '.join(missing)}")
    parts = [w * np.asarray(forecasts[m], dtype=float) for m, w in weights.items() if w > 0]
    return np.sum(parts, axis=0)


def _mixture_quantiles(weights: Mapping[str, float], forecasts: Mapping[str, np.ndarray],
                       sigma: float, levels: Sequence[float], point: np.ndarray,
                       point_weight: float) -> np.ndarray:
    names = [m for m, w in weights.items() if w > 0]
    centres = np.stack([*(np.asarray(forecasts[m], dtype=float) for m in names), point])
    rho = np.array([weights[m] for m in names])
    rho = np.append((1.0 - point_weight) * rho / rho.sum(), point_weight)
    return mixture_quantiles(centres, rho.reshape((-1,) + (1,) * (centres.ndim - 1)), sigma,
                             levels)


def laplace_cdf(z: np.ndarray) -> np.ndarray:
    """Distribution function of the standard Laplace law at ``z``."""
    return np.where(z < 0, 0.5 * np.exp(np.minimum(z, 0.0)),
                    1.0 - 0.5 * np.exp(-np.maximum(z, 0.0)))


def mixture_cdf(y: np.ndarray, centres: np.ndarray, rho: np.ndarray,
                sigma: float) -> np.ndarray:
    """Σ_m ρ_m Laplace(centre_m, σ) distribution function at ``y`` (centres ``[M, ...]``)."""
    return np.sum(rho * laplace_cdf((y[None] - centres) / sigma), axis=0)


def mixture_quantiles(centres: np.ndarray, rho: np.ndarray, sigma: float,
                      levels: Sequence[float], iterations: int = 60) -> np.ndarray:
    """Quantiles of Σ_m ρ_m Laplace(centre_m, σ), clipped to [0, 1]: ``[L, ...]``.

    Bisection on the mixture's distribution function (monotone), vectorised over levels and
    issues; the bracket reaches 40σ past the outermost centres (a Laplace tail mass of
    e^-40), and 60 halvings leave an error far below the printed precision.
    """
    lv = np.asarray(levels, dtype=float).reshape((-1,) + (1,) * (centres.ndim - 1))
    shape = lv.shape[:1] + centres.shape[1:]
    lo = np.broadcast_to(np.min(centres, axis=0) - 40 * sigma, shape).copy()
    hi = np.broadcast_to(np.max(centres, axis=0) + 40 * sigma, shape).copy()
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        cdf = np.sum(rho * laplace_cdf((mid[:, None] - centres[None]) / sigma), axis=1)
        below = cdf < lv
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return np.clip(0.5 * (lo + hi), 0.0, 1.0)


def covered(observed: np.ndarray, centres: np.ndarray, rho: np.ndarray, sigma: float,
            levels: Sequence[float]) -> np.ndarray:
    """Whether each outcome lies in each central interval of the clipped mixture, ``[L, n]``.

    Read from the distribution function at the outcome (no quantiles needed): an interior
    outcome y is inside the level-L interval when (1−L)/2 ≤ F(y) ≤ (1+L)/2; an outcome at
    the low pole is inside when the interval reaches it (F(0) ≥ (1−L)/2), one at the high
    pole likewise (F(1) ≤ (1+L)/2).
    """
    f = mixture_cdf(observed, centres, rho, sigma)
    lower = np.where(observed < 1.0, f, 1.0)
    upper = np.where(observed > 0.0, f, 0.0)
    lv = np.asarray(levels, dtype=float)[:, None]
    return (lower[None] >= (1 - lv) / 2 - 1e-12) & (upper[None] <= (1 + lv) / 2 + 1e-12)


def pinball(quantiles: np.ndarray, levels: Sequence[float], observed: np.ndarray) -> np.ndarray:
    """Pinball (quantile) loss per level and issue, ``[L, n]``."""
    lv = np.asarray(levels, dtype=float)[:, None]
    diff = observed[None, :] - quantiles
    return np.maximum(lv * diff, (lv - 1) * diff)


def lad_simplex(features: np.ndarray, target: np.ndarray) -> np.ndarray:
    """argmin_β Σ_n |target_n − features_n · β| over β ≥ 0, Σ β = 1 (a linear program)."""
    from scipy import sparse
    from scipy.optimize import linprog

    n, p = features.shape
    cost = np.concatenate([np.zeros(p), np.ones(2 * n)])
    identity = sparse.identity(n, format="csr")
    a_eq = sparse.vstack([
        sparse.hstack([sparse.csr_matrix(features), identity, -identity]),
        sparse.hstack([sparse.csr_matrix(np.ones((1, p))), sparse.csr_matrix((1, 2 * n))]),
    ], format="csr")
    b_eq = np.concatenate([target, [1.0]])
    result = linprog(cost, A_eq=a_eq, b_eq=b_eq, bounds=[(0, None)] * (p + 2 * n),
                     method="highs")
    if not result.success:  # pragma: no cover - feasible: any vertex of the simplex
        raise RuntimeError(f"stacking fit failed: {result.message}")
    beta = np.clip(result.x[:p], 0.0, None)
    # Weights below 1e-6 are solver noise: drop them so the stored table stays readable.
    beta[beta < 1e-6] = 0.0
    return beta / beta.sum()


def _inverse_squared_error(features: np.ndarray, target: np.ndarray) -> np.ndarray:
    mae = np.mean(np.abs(features - target[:, None]), axis=0)
    inv = 1.0 / np.maximum(mae, 1e-6) ** 2
    return inv / inv.sum()


def fit_combination(forecasts: Mapping[str, np.ndarray], observed: np.ndarray,
                    known: np.ndarray, needs_status_quo: Sequence[str],
                    provenance: Mapping[str, Any] | None = None,
                    point_weights: Sequence[float] | None = None) -> Combination:
    """Fit stack weights, mixture weights and σ on issues with outcomes (unit scale).

    ``forecasts``: model -> forecast per issue (NaN allowed only where ``known`` is False,
    for the models in ``needs_status_quo``); ``known``: whether each issue's status quo is
    real. The with-status-quo weights use the issues with one; the without weights use every
    issue and only the models that do not need one. For each share λ of the mixture on the
    stacked point (:data:`POINT_WEIGHTS`), σ is calibrated on every issue (each scored by
    the mixture it would get); the λ with the lower mean pinball loss is kept, so the data
    say how much model disagreement the intervals carry.
    """
    names = list(forecasts)
    free = [m for m in names if m not in needs_status_quo]
    if not free:
        raise ValueError("the combination needs at least one model without a status quo")
    known = np.asarray(known, dtype=bool)
    x_all = np.column_stack([forecasts[m] for m in names])
    x_free = np.column_stack([forecasts[m] for m in free])
    if observed.size == 0:
        raise ValueError("the combination needs at least one issue with an outcome")
    beta_free = lad_simplex(x_free, observed)
    rho_free = _inverse_squared_error(x_free, observed)
    if known.any():
        beta = lad_simplex(x_all[known], observed[known])
        rho = _inverse_squared_error(x_all[known], observed[known])
    else:
        # No training issue has a status quo: nothing to fit the status-quo models on, so
        # the with-status-quo tables are the free ones (those models get weight 0).
        beta = np.array([beta_free[free.index(m)] if m in free else 0.0 for m in names])
        rho = np.array([rho_free[free.index(m)] if m in free else 0.0 for m in names])
    # σ on every issue, each with the mixture it gets (the free models where q is unknown).
    centres = np.where(known[None, :], np.nan_to_num(x_all.T),
                       np.zeros_like(x_all.T))
    weights = np.where(known[None, :], rho[:, None], 0.0)
    free_index = [names.index(m) for m in free]
    for k, j in enumerate(free_index):
        centres[j] = np.where(known, centres[j], x_free[:, k])
        weights[j] = np.where(known, weights[j], rho_free[k])
    point = np.clip(np.where(known, np.nan_to_num(x_all) @ beta, x_free @ beta_free), 0.0, 1.0)
    best: tuple[float, float, float] | None = None
    for lam in POINT_WEIGHTS if point_weights is None else point_weights:
        c = np.vstack([centres, point])
        w = np.vstack([(1.0 - lam) * weights, np.full(point.size, lam)])
        sigma = _fit_sigma_weighted(c, w, observed)
        q = mixture_quantiles(c, w, sigma, FIT_QUANTILES, iterations=40)
        loss = float(np.mean(pinball(q, FIT_QUANTILES, observed)))
        if best is None or loss < best[0] - 1e-12:
            best = (loss, lam, sigma)
    assert best is not None
    _, lam, sigma = best
    return Combination(
        stack={m: float(b) for m, b in zip(names, beta, strict=True)},
        stack_without_status_quo={m: float(b) for m, b in zip(free, beta_free, strict=True)},
        mixture={m: float(r) for m, r in zip(names, rho, strict=True)},
        mixture_without_status_quo={m: float(r) for m, r in zip(free, rho_free, strict=True)},
        sigma=sigma, point_weight=lam, provenance=dict(provenance or {}))


#: The shares λ of the mixture on the stacked point that the fit tries (by pinball loss).
POINT_WEIGHTS: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
#: The scales σ (unit scale) tried when calibrating: 0.005 to 0.60.
SIGMA_GRID: tuple[float, ...] = tuple(round(0.005 * k, 4) for k in range(1, 121))


def _fit_sigma_weighted(centres: np.ndarray, weights: np.ndarray,
                        observed: np.ndarray) -> float:
    """σ whose central intervals cover the training outcomes at their nominal levels.

    Minimises Σ_level |coverage(σ) − level| over :data:`RELIABILITY_LEVELS`, on a grid of σ
    (ties: the smallest σ). Fitting the proper pinball loss instead over-covered on DEU III
    (with normal components: σ ≈ 0.42, 91 % of outcomes in the 80 % intervals out of fold):
    outcomes pile up at the poles, and a wide clipped distribution puts mass there cheaply.
    """
    levels = np.array(RELIABILITY_LEVELS)
    best: tuple[float, float] | None = None
    for sigma in SIGMA_GRID:
        cover = np.mean(covered(observed, centres, weights, float(sigma), levels), axis=1)
        miss = float(np.sum(np.abs(cover - levels)))
        if best is None or miss < best[0]:
            best = (miss, float(sigma))
    assert best is not None
    return best[1]


@dataclass(frozen=True)
class Calibration:
    """Out-of-fold scores of the combined forecast's intervals (0-100 scale for losses)."""

    point: np.ndarray
    coverage: Mapping[float, float]
    reliability: Mapping[float, float]
    pinball: float
    crps: float
    width: Mapping[float, float]
    folds: int
    seed: int
    n_issues: int
    fold_sigma: tuple[float, ...]
    fold_point_weight: tuple[float, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"folds": self.folds, "seed": self.seed, "issues": self.n_issues,
                "coverage": {f"{lv:g}": c for lv, c in self.coverage.items()},
                "mean_width": {f"{lv:g}": w for lv, w in self.width.items()},
                "reliability": {f"{lv:g}": c for lv, c in self.reliability.items()},
                "pinball": self.pinball, "crps": self.crps,
                "sigma_per_fold": list(self.fold_sigma),
                "point_weight_per_fold": list(self.fold_point_weight)}


def cross_validate(forecasts: Mapping[str, np.ndarray], observed: np.ndarray,
                   known: np.ndarray, groups: Sequence[str], needs_status_quo: Sequence[str],
                   folds: int = 10, seed: int = 0,
                   point_weights: Sequence[float] | None = None) -> Calibration:
    """Grouped k-fold: fit on k−1 folds, forecast and score the held-out fold's issues.

    Returns the out-of-fold combined point forecast (unit scale), the coverage of central
    intervals at :data:`LEVELS` and :data:`RELIABILITY_LEVELS`, the mean pinball loss over
    :data:`FIT_QUANTILES` and the CRPS (both on the 0-100 scale), and the mean widths.
    """
    from detente.validate import grouped_folds

    fold_of = grouped_folds(groups, folds, seed)
    n = observed.size
    point = np.full(n, np.nan)
    all_levels = sorted({*LEVELS, *RELIABILITY_LEVELS})
    bounds = np.full((2, len(all_levels), n), np.nan)
    fit_q = np.full((len(FIT_QUANTILES), n), np.nan)
    crps_q = np.full((len(CRPS_QUANTILES), n), np.nan)
    sigmas, lambdas = [], []
    for fold in np.unique(fold_of):
        train, test = fold_of != fold, fold_of == fold
        fitted = fit_combination({m: f[train] for m, f in forecasts.items()}, observed[train],
                                 known[train], needs_status_quo, point_weights=point_weights)
        sigmas.append(fitted.sigma)
        lambdas.append(fitted.point_weight)
        held = {m: np.nan_to_num(f[test]) for m, f in forecasts.items()}
        k = known[test]
        point[test] = fitted.point(held, k)
        lows = fitted.quantiles(held, [(1 - lv) / 2 for lv in all_levels], k)
        highs = fitted.quantiles(held, [(1 + lv) / 2 for lv in all_levels], k)
        bounds[0][:, test], bounds[1][:, test] = lows, highs
        fit_q[:, test] = fitted.quantiles(held, FIT_QUANTILES, k)
        crps_q[:, test] = fitted.quantiles(held, CRPS_QUANTILES, k)
    inside = (observed >= bounds[0] - 1e-12) & (observed <= bounds[1] + 1e-12)
    cover = {lv: float(np.mean(inside[j])) for j, lv in enumerate(all_levels)}
    width = {lv: float(100 * np.mean(bounds[1][j] - bounds[0][j]))
             for j, lv in enumerate(all_levels)}
    return Calibration(
        point=point, coverage={lv: cover[lv] for lv in LEVELS},
        reliability={lv: cover[lv] for lv in RELIABILITY_LEVELS},
        pinball=float(100 * np.mean(pinball(fit_q, FIT_QUANTILES, observed))),
        crps=float(200 * np.mean(pinball(crps_q, CRPS_QUANTILES, observed))),
        width={lv: width[lv] for lv in LEVELS}, folds=len(np.unique(fold_of)), seed=seed,
        n_issues=int(n), fold_sigma=tuple(sigmas), fold_point_weight=tuple(lambdas))


__all__ = ["COMBINED", "LEVELS", "Calibration", "Combination", "cross_validate", "fit_combination",
           "lad_simplex", "load_combination", "mixture_quantiles", "pinball"]


@dataclass(frozen=True)
class CombinedForecast:
    """The combined forecast of one scenario, unit scale, per issue (``[B,] I``).

    ``point``: the stacked forecast; ``intervals``: level -> (low, high) of the predictive
    mixture; ``spread``: (lowest, highest) forecast of the models combined.
    """

    point: np.ndarray
    intervals: Mapping[float, tuple[np.ndarray, np.ndarray]]
    spread: tuple[np.ndarray, np.ndarray]
    combination: Combination
    models: tuple[str, ...]


def combine_results(forecasts: Mapping[str, np.ndarray], combination: Combination,
                    levels: Sequence[float] = LEVELS) -> CombinedForecast:
    """Combine the models' forecasts of a scenario whose status quo is known (unit scale)."""
    names = tuple(m for m in combination.models if m in forecasts)
    missing = [m for m in combination.models if m not in forecasts]
    if missing:
        raise KeyError(f"the combination needs the forecasts of {', '.join(missing)}")
    point = combination.point(forecasts, True)
    intervals = {lv: combination.interval(forecasts, lv, True) for lv in levels}
    used = [m for m in names if combination.mixture.get(m, 0) > 0
            or combination.stack.get(m, 0) > 0]
    stacked = np.stack([np.asarray(forecasts[m], dtype=float) for m in used])
    return CombinedForecast(point=point, intervals=intervals,
                            spread=(np.min(stacked, axis=0), np.max(stacked, axis=0)),
                            combination=combination, models=tuple(used))
