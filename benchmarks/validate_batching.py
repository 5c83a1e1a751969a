"""Batched model runs over DEU III issues against a plain loop over issues, in one run.

    PYTHONPATH=src python benchmarks/validate_batching.py [--model NAME ...]

Prints, per model, the seconds for one call per issue and for the batched calls of
:func:`detente.validate.run_models`, their ratio, and the largest difference in forecasts.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from detente.models import REGISTRY, get_model
from detente.validate import deu_cases, run_models

DEU = Path(__file__).resolve().parents[1].parent / "shared" / "research" / "data" / "deu"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", help="model (default: all registered)")
    parser.add_argument("--data", default=str(DEU / "deu3_blksv.csv"))
    args = parser.parse_args()
    if not Path(args.data).exists():
        print(f"DEU data not found at {args.data}", file=sys.stderr)
        return 1
    cases, _ = deu_cases(args.data)
    arrays = [c.scenario.compile() for c in cases]
    print(f"{len(arrays)} DEU III issues")
    print(f"{'model':<16}{'loop s':>10}{'batched s':>12}{'ratio':>8}{'max diff':>12}")
    for name in args.model or list(REGISTRY):
        model = get_model(name)
        start = time.perf_counter()
        looped = [model.run(a, np.random.default_rng(0)).forecast for a in arrays]
        loop_s = time.perf_counter() - start
        start = time.perf_counter()
        batched = run_models(arrays, [model], 0)[name]
        batch_s = time.perf_counter() - start
        diff = max(float(np.max(np.abs(x - y))) for x, y in zip(looped, batched, strict=True))
        print(f"{name:<16}{loop_s:>10.3f}{batch_s:>12.3f}{loop_s / batch_s:>8.1f}{diff:>12.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
