"""Uncertainty: input distributions, seeded batched Monte Carlo, and global sensitivity.

::

    import detente
    r = detente.sample("korea-2017", model="compromise", samples=10_000, rng=7,
                       noise="position=10 salience=0.1 capability=20%")
    r.summaries()["NUC"].interval90       # 90% interval of the NUC forecast (issue units)

See docs/uncertainty.md for the distributions, the engine and the JSON output.
"""

from detente.uncertainty.engine import BLOCK, Kernel, ModelKernel, RunStats
from detente.uncertainty.inputs import DEFAULT_NOISE, InputSpace, Noise, NoiseTerm, input_space
from detente.uncertainty.sampling import IssueSummary, SampleResult, sample

__all__ = [
    "BLOCK",
    "DEFAULT_NOISE",
    "InputSpace",
    "IssueSummary",
    "Kernel",
    "ModelKernel",
    "Noise",
    "NoiseTerm",
    "RunStats",
    "SampleResult",
    "input_space",
    "sample",
]
