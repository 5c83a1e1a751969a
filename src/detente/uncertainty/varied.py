"""A counterfactual's kernel: the scenario's kernel run on each draw after the change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from detente.arrays import Arrays
from detente.variation import Variation


@dataclass(frozen=True)
class VariedKernel:
    """A kernel run on each draw after a counterfactual (picklable for worker processes).

    The draws are made on the scenario as written, so a counterfactual changes no random
    stream: an edited number replaces its draw, a dropped actor's draws are ignored.
    """

    inner: Any  # Kernel (the engine's protocol, which imports this module)
    variation: Variation

    @property
    def name(self) -> str:
        return str(self.inner.name)

    @property
    def deterministic(self) -> bool:
        return bool(self.inner.deterministic)

    @property
    def package_ids(self) -> tuple[str, ...]:
        return tuple(self.inner.package_ids)

    def __call__(self, arrays: Arrays, rng: np.random.Generator) -> dict[str, np.ndarray]:
        return dict(self.inner(self.variation.apply(arrays), rng))


def unvaried(kernel: Any) -> Any:
    """The kernel that does the work: the one a counterfactual's :class:`VariedKernel`
    wraps (it runs the same model), any other kernel itself."""
    return kernel.inner if isinstance(kernel, VariedKernel) else kernel
