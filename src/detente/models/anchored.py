"""The compromise model pulled toward named anchor actors, with weights fitted out of sample."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from detente.arrays import Arrays
from detente.models.base import Model, ModelResult, RngLike
from detente.models.compromise import weighted_mean

#: Stacking weights fitted on all 353 DEU III issues with an outcome (council capabilities;
#: ``docs/accuracy.md``). The scores reported for this model are never these in-sample
#: weights but refits on held-out folds (``detente.validate``).
DEFAULT_ANCHORS: tuple[tuple[str, float], ...] = (("COM", 0.06), ("EP", 0.14))


def _normalise_anchors(raw: Any) -> tuple[tuple[str, float], ...]:
    items = list(raw.items()) if isinstance(raw, Mapping) else [tuple(pair) for pair in raw]
    out = []
    for item in items:
        if len(item) != 2:
            raise ValueError("anchors are (actor id, weight) pairs, e.g. {COM: 0.06, EP: 0.14}")
        actor, weight = str(item[0]), float(item[1])
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"anchor weight of {actor} must be from 0 to 1, got {weight:g}")
        out.append((actor, weight))
    if len({a for a, _ in out}) != len(out):
        raise ValueError("an actor appears twice among the anchors")
    if sum(w for _, w in out) > 1.0 + 1e-9:
        raise ValueError("anchor weights must sum to at most 1")
    return tuple(out)


class Anchored(Model):
    """Compromise forecast pulled toward the positions of named anchor actors.

    x̂ = (1 − Σ_k β_k m_k) · x̄ + Σ_k β_k m_k · x_{a_k}, where x̄ is the capability × salience
    weighted mean (the compromise model, Achen 2006), x_{a_k} the position of anchor actor
    a_k and m_k = 1 when that actor is in the scenario and has a stance on the issue (else its
    weight returns to the compromise). The weights β are *stacking* weights: Wolpert (1992),
    "Stacked generalization", *Neural Networks* 5(2); Breiman (1996), "Stacked regressions",
    *Machine Learning* 24(1) — here non-negative, summing to at most one, and fitted by least
    absolute deviations (a linear program) so that they minimise the mean absolute error.

    Default anchors: the European Commission (``COM``, the agenda setter) and the European
    Parliament (``EP``), weights fitted on DEU III; the DEU literature finds that the
    compromise model underweights the institutions (Thomson et al. 2006, ch. 10). On a
    scenario without these actor ids the model *is* the compromise model. Set your own
    anchors with ``anchors={ID: weight}`` or refit them with :meth:`fit`.

    Known deviation from the conformance suite: with an anchor present, an actor holding all
    the capability does not get its own position (the anchors keep their pull), so the
    "dictator" invariant does not hold for such scenarios; every other invariant does.
    """

    name = "anchored"
    reads_idle_stances = True
    #: Anchors are looked up by actor id, so batches must share their actors' ids.
    actor_options = ("anchors",)

    @dataclass(frozen=True)
    class Options:
        anchors: tuple[tuple[str, float], ...] = DEFAULT_ANCHORS

        def __post_init__(self) -> None:
            object.__setattr__(self, "anchors", _normalise_anchors(self.anchors))

    def run(self, arrays: Arrays, rng: RngLike = None) -> ModelResult:
        base = weighted_mean(arrays.position, arrays.weight)
        forecast = base.copy()
        for actor, weight in self.options.anchors:
            if actor not in arrays.actor_ids or weight == 0:
                continue
            a = arrays.actor_ids.index(actor)
            present = arrays.stake[a]  # [I]
            forecast = forecast + np.where(present, weight * (arrays.position[..., a, :] - base),
                                           0.0)
        return self._result(np.clip(forecast, 0.0, 1.0))

    def fit(self, arrays: Sequence[Arrays], observed: Sequence[np.ndarray]) -> Anchored:
        """Refit the anchor weights on scenarios with observed outcomes (unit scale, NaN = none).

        Minimises Σ |x̂ − outcome| over all issues with an outcome, keeping the anchor ids.
        """
        features, target = [], []
        ids = [a for a, _ in self.options.anchors]
        for arr, obs in zip(arrays, observed, strict=True):
            base = weighted_mean(arr.position, arr.weight)
            pulls = [np.where(arr.stake[arr.actor_ids.index(a)],
                              arr.position[arr.actor_ids.index(a)] - base, 0.0)
                     if a in arr.actor_ids else np.zeros_like(base) for a in ids]
            keep = ~np.isnan(obs)
            features.append(np.column_stack(pulls)[keep] if pulls else
                            np.zeros((int(keep.sum()), 0)))
            target.append(obs[keep] - base[keep])
        weights = lad_weights(np.vstack(features), np.concatenate(target))
        return Anchored(anchors=tuple(zip(ids, (float(w) for w in weights), strict=True)))


def lad_weights(features: np.ndarray, target: np.ndarray) -> np.ndarray:
    """argmin_β Σ_n |target_n − features_n · β| subject to β ≥ 0, Σ β ≤ 1 (a linear program)."""
    from scipy import sparse
    from scipy.optimize import linprog

    n, p = features.shape
    if p == 0 or n == 0:
        return np.zeros(p)
    # Variables: β (p), then the positive and negative parts of each residual (n each).
    cost = np.concatenate([np.zeros(p), np.ones(2 * n)])
    identity = sparse.identity(n, format="csr")
    a_eq = sparse.hstack([sparse.csr_matrix(features), identity, -identity], format="csr")
    a_ub = np.concatenate([np.ones(p), np.zeros(2 * n)])[None, :]
    result = linprog(cost, A_ub=a_ub, b_ub=[1.0], A_eq=a_eq, b_eq=target,
                     bounds=[(0, None)] * (p + 2 * n), method="highs")
    if not result.success:  # pragma: no cover - the program is always feasible (β = 0)
        raise RuntimeError(f"LAD fit failed: {result.message}")
    return np.clip(result.x[:p], 0.0, 1.0)
