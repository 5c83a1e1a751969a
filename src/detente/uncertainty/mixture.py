"""`detente sample -m combined`: draws over the inputs *and* over the models.

Each sampled scenario is forecast by one model drawn at random with the mixture weights
ρ_m of the combination (:mod:`detente.combine`: ρ_m ∝ 1/MAE_m², the inverse squared
validation error on DEU III; Bates & Granger 1969, "The combination of forecasts",
*Operational Research Quarterly* 20(4)). The draws therefore come from the mixture
Σ_m ρ_m F_m, where F_m is model m's forecast distribution under the inputs' uncertainty: a
wide interval says either that the inputs are uncertain or that the models disagree. The
model drawn for each sample is kept (``details.model``), so the share of each model can be
read back.

What this is not: the calibrated predictive interval of ``detente forecast --combined``,
which adds the residual Laplace spread σ fitted out of sample (and whose fit chose how much
weight the model disagreement gets). Here nothing is fitted to outcomes but ρ.

Reproducibility: the model choice of a sample comes from its block's model stream (the
engine's ``spawn_key=(block, 1)``), so the draws depend on the seed alone; each model draws
from its own stream under it, fixed by its name (:func:`detente.models.model_stream`, in
:class:`~detente.uncertainty.engine.ModelKernel`), so a stochastic model draws the same
whatever the others do, and whichever models the combination holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from detente.arrays import Arrays
from detente.combine import COMBINED
from detente.errors import option_error
from detente.uncertainty.engine import ModelKernel, take_rows
from detente.uncertainty.inputs import choose


@dataclass(frozen=True)
class MixtureKernel:
    """Run a randomly drawn model on each sample (picklable for worker processes).

    ``kernels``: one per model with positive weight, in the combination's order;
    ``weights``: their mixture weights (summing to one). Output: ``forecast`` ``[B, I]``
    (unit scale) and ``details.model`` ``[B]``, the index into ``kernels`` of the model
    that forecast each sample.
    """

    kernels: tuple[ModelKernel, ...]
    weights: tuple[float, ...]
    name: str = COMBINED
    #: The model drawn for each sample is random: whole blocks, each with its own stream.
    deterministic: bool = False

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(k.model for k in self.kernels)

    def __call__(self, arrays: Arrays, rng: np.random.Generator) -> dict[str, np.ndarray]:
        n = arrays.batch_shape[0]
        chosen = choose(rng, np.asarray(self.weights), n)
        forecast = np.full((n, arrays.n_issues), np.nan)
        for k, kernel in enumerate(self.kernels):
            rows = np.flatnonzero(chosen == k)
            if rows.size:
                forecast[rows] = kernel(take_rows(arrays, rows), rng)["forecast"]
        return {"forecast": forecast, "details.model": chosen}


def mixture_weights(combination: Any) -> dict[str, float]:
    """The models of ``combination`` with positive mixture weight (scenarios have a status
    quo on every issue, so the with-status-quo table applies, as in ``forecast``)."""
    weights = {m: float(w) for m, w in combination.mixture.items() if w > 0}
    if not weights:
        raise option_error("--combination", "the combination gives no model a positive "
                           "mixture weight", "refit it with `detente validate deu PATH --fit "
                           "FILE`")
    return weights


def mixture_kernel(combination: Any, options: Mapping[str, Mapping[str, Any]] | None,
                   build: Any) -> MixtureKernel:
    """The kernel over the combination's models; ``build(model, options)`` makes each
    model's kernel (probed for a batch axis by the caller's rules)."""
    weights = mixture_weights(combination)
    # `detente sample` refuses these in its spec's check; this guards direct library calls.
    unknown = sorted(set(options or {}) - set(weights))
    if unknown:
        raise option_error("--option", f"options given for model '{unknown[0]}', which has "
                           f"no weight in the combined forecast",
                           f"models combined: {', '.join(weights)}")
    kernels = tuple(build(m, dict((options or {}).get(m, {}))) for m in weights)
    return MixtureKernel(kernels, tuple(weights.values()))


__all__ = ["COMBINED", "MixtureKernel", "choose", "mixture_kernel", "mixture_weights"]
