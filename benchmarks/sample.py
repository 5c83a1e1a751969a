"""Batched Monte Carlo against the single-scenario path in a loop, measured in one run.

    PYTHONPATH=src python benchmarks/sample.py [--quick] [--model NAME ...] [--max-samples N]

Prints, for korea-2017 and each model (every registered one, and settle where available):
samples per second batched in one process and with the default process pool, and in a
plain Python loop of single-scenario runs on the same draws; their ratio; the largest
difference between batched and looped results; and the peak traced memory (tracemalloc)
of the batched run. Then how the rate grows with the number of actors (6 → 200, synthetic
scenarios) and with the number of samples (10^3 → 10^6, compromise only).

Rates count the engine's time (drawing inputs, assembling arrays, running the model,
gathering results), not loading the scenario. Settle searches the zone of agreement on a
grid of step 10 (``-O settle.step=10``) to keep the run short.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from detente.models import REGISTRY, get_model
from detente.scenario import Scenario, load, scenario_from_mapping
from detente.uncertainty import input_space, sample
from detente.uncertainty.engine import available_cores, draw_rows, take_row
from detente.uncertainty.inputs import DEFAULT_NOISE
from detente.uncertainty.sampling import make_kernel
from detente.uncertainty.settle import SETTLE

SEED = 7
OPTIONS: dict[str, dict[str, Any]] = {SETTLE: {"step": 10.0}}
FAST = ("compromise", "median")


def rate(scenario: Scenario, model: str, n: int, workers: int | None = 1) -> float:
    """Samples per second of the engine (one process unless ``workers`` is None)."""
    result = sample(scenario, model, samples=n, rng=SEED, options=OPTIONS.get(model),
                    workers=workers)
    return n / result.stats.seconds


def peak_memory(fn: Callable[[], Any]) -> float:
    """Peak traced allocation (MiB) while ``fn`` runs in this process."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def looped(scenario: Scenario, model: str, n: int) -> tuple[float, float]:
    """Samples/s of the single-scenario path (one model call per draw, no batch axis; settle:
    one call per draw with a batch of one), and the largest difference from the batched run."""
    space = input_space(scenario, DEFAULT_NOISE)
    values = draw_rows(space, SEED, 0, n)
    batched = sample(scenario, model, samples=n, rng=SEED, options=OPTIONS.get(model),
                     workers=1).outputs
    kernel, _ = make_kernel(scenario, space, model, OPTIONS.get(model), SEED)
    rng = np.random.default_rng(0)
    if model == SETTLE:
        def one(b: int) -> dict[str, np.ndarray]:
            return kernel(space.assemble(values[b:b + 1]), rng)
    else:
        runner = get_model(model, **dict(OPTIONS.get(model, {})))

        def one(b: int) -> dict[str, np.ndarray]:
            single = take_row(space.assemble(values[b:b + 1]), 0)
            return {"forecast": runner.run(single, rng).forecast}
    start = time.perf_counter()
    rows = [one(b) for b in range(n)]
    seconds = time.perf_counter() - start
    diff = 0.0
    for key in ("forecast", "zone", "acceptable"):
        if key in batched:
            loop = np.concatenate([np.reshape(r[key], (1, -1)) for r in rows]).astype(float)
            gap = np.abs(loop - batched[key].reshape(n, -1).astype(float))
            diff = max(diff, float(np.max(gap)))
    return n / seconds, diff


def synthetic(n_actors: int, n_issues: int = 8, seed: int = 0) -> Scenario:
    rng = np.random.default_rng(seed)
    ids = [f"A{k}" for k in range(n_actors)]
    issues = [f"I{k}" for k in range(n_issues)]
    return scenario_from_mapping({
        "id": f"synthetic-{n_actors}", "title": f"{n_actors} actors",
        "issues": [{"id": i, "name": i, "status_quo": float(rng.integers(0, 101))}
                   for i in issues],
        "actors": [{"id": a, "name": a, "capability": float(rng.uniform(5, 100))}
                   for a in ids],
        "stances": {a: {i: {"position": float(rng.integers(0, 101)),
                            "salience": float(rng.uniform(0.1, 1))} for i in issues}
                    for a in ids},
    })


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", help="model (default: all, and settle)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--max-samples", type=int, default=10**6,
                        help="largest sample count in the growth table (compromise)")
    args = parser.parse_args()
    korea = load("korea-2017")
    models = args.model or [*REGISTRY, SETTLE]
    scale = 10 if args.quick else 1
    print(f"korea-2017: 6 actors x 8 issues, noise {DEFAULT_NOISE}, "
          f"{available_cores()} cores available")
    print(f"{'model':<12}{'samples':>9}{'batched/s':>12}{'pool/s':>12}{'loop/s':>10}"
          f"{'ratio':>8}{'max diff':>10}{'peak MiB':>10}")
    for name in models:
        n = 20_000 if name in FAST else 200 if name == SETTLE else 2_000
        n = max(20, n // scale)
        loop_n = min(n, 1_000 // scale)
        sample(korea, name, samples=20, rng=SEED, options=OPTIONS.get(name), workers=1)  # warm
        one = rate(korea, name, n)
        pool = rate(korea, name, n, workers=None)
        loop_rate, diff = looped(korea, name, loop_n)
        peak = peak_memory(lambda name=name, n=n: rate(korea, name, n))
        print(f"{name:<12}{n:>9,}{one:>12,.0f}{pool:>12,.0f}{loop_rate:>10,.0f}"
              f"{one / loop_rate:>8.1f}{diff:>10.1e}{peak:>10.1f}")

    growth = [m for m in models if m != SETTLE] or ["compromise"]
    print("\ngrowth with actors (8 issues, one process; samples per second):")
    print(f"{'actors':>7}{'inputs':>8}" + "".join(f"{m:>12}" for m in growth)
          + f"{'peak MiB ' + growth[0]:>22}")
    for n_actors in (6, 25, 50, 100, 200):
        s = synthetic(n_actors)
        size = input_space(s, DEFAULT_NOISE).size
        cells = [rate(s, m, max(100, (5_000 if m in FAST else 500) // scale)) for m in growth]
        peak = peak_memory(lambda s=s: rate(s, growth[0], 5_000 // scale))
        print(f"{n_actors:>7}{size:>8}" + "".join(f"{c:>12,.0f}" for c in cells)
              + f"{peak:>22.1f}")

    print("\ngrowth with samples (korea-2017, compromise):")
    print(f"{'samples':>10}{'one process/s':>15}{'pool/s':>12}{'peak MiB':>10}")
    n = 1_000
    while n <= min(args.max_samples, 10**6 // scale**2):
        one = rate(korea, "compromise", n)
        pool = rate(korea, "compromise", n, workers=None)
        peak = peak_memory(lambda n=n: rate(korea, "compromise", n)) if n <= 10**5 \
            else float("nan")
        print(f"{n:>10,}{one:>15,.0f}{pool:>12,.0f}{peak:>10.1f}")
        n *= 10
    return 0


if __name__ == "__main__":
    sys.exit(main())
