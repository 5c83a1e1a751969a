"""Batched Monte Carlo against the single-scenario path in a loop, measured in one run.

    PYTHONPATH=src python benchmarks/sample.py [--quick] [--model NAME ...] [--max-samples N]

Prints, for korea-2017 and each model (every registered one, and settle where available):
samples per second batched in one process, with the default process pool, and in a plain
Python loop of single-scenario runs on the same draws; their ratio; the largest difference
between batched and looped forecasts; and the peak memory (tracemalloc) of the batched run.
Then how the time grows with the number of actors (6 → 200, synthetic scenarios) and with
the number of samples (10^3 → 10^6, compromise only).
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

SEED = 7


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def peak_memory(fn: Callable[[], Any]) -> float:
    """Peak traced allocation (MiB) while ``fn`` runs in this process."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def looped_rate(scenario: Scenario, model: str, n: int) -> tuple[float, float]:
    """Samples/s of the single-scenario path (one unbatched model call per draw, on the
    same draws), and its largest difference from the batched forecasts (issue units)."""
    space = input_space(scenario, DEFAULT_NOISE)
    values = draw_rows(space, SEED, 0, n)
    batched = sample(scenario, model, samples=n, rng=SEED, workers=1).forecasts
    runner = get_model(model)
    rng = np.random.default_rng(0)

    def loop() -> np.ndarray:
        return np.stack([runner.run(take_row(space.assemble(values[b:b + 1]), 0), rng).forecast
                         for b in range(n)])

    seconds, out = timed(loop)
    return n / seconds, float(np.max(np.abs(space.base.to_units(out) - batched)))


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
    parser.add_argument("--model", action="append", help="model (default: all registered)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--max-samples", type=int, default=10**6,
                        help="largest sample count in the growth table (compromise)")
    args = parser.parse_args()
    korea = load("korea-2017")
    models = args.model or list(REGISTRY)
    batch_n = 2_000 if args.quick else 20_000
    loop_n = 200 if args.quick else 1_000
    print(f"korea-2017: {korea.compile().n_actors} actors x {korea.compile().n_issues} issues, "
          f"noise {DEFAULT_NOISE}, {available_cores()} cores available")
    print(f"{'model':<12}{'batched/s':>12}{'pool/s':>12}{'loop/s':>10}{'ratio':>8}"
          f"{'max diff':>10}{'peak MiB':>10}")
    for name in models:
        n = batch_n if name in ("compromise", "median") else max(loop_n, batch_n // 10)
        sample(korea, name, samples=300, rng=SEED, workers=1)  # warm caches and imports
        one_s, _ = timed(lambda name=name, n=n: sample(korea, name, samples=n, rng=SEED,
                                                       workers=1))
        pool_s, _ = timed(lambda name=name, n=n: sample(korea, name, samples=n, rng=SEED))
        loop_rate, diff = looped_rate(korea, name, loop_n)
        peak = peak_memory(lambda name=name, n=n: sample(korea, name, samples=n, rng=SEED,
                                                         workers=1))
        print(f"{name:<12}{n / one_s:>12,.0f}{n / pool_s:>12,.0f}{loop_rate:>10,.0f}"
              f"{n / one_s / loop_rate:>8.1f}{diff:>10.1e}{peak:>10.1f}")

    print("\ngrowth with actors (8 issues, one process; samples per second):")
    n = 1_000 if args.quick else 5_000
    print(f"{'actors':>7}{'inputs':>8}" + "".join(f"{m:>14}" for m in models)
          + f"{'peak MiB (' + models[0] + ')':>22}")
    for n_actors in (6, 25, 50, 100, 200):
        s = synthetic(n_actors)
        size = input_space(s, DEFAULT_NOISE).size
        cells = []
        for name in models:
            k = n if name in ("compromise", "median") else max(200, n // 10)
            seconds, _ = timed(lambda s=s, name=name, k=k: sample(s, name, samples=k, rng=SEED,
                                                                  workers=1))
            cells.append(f"{k / seconds:>10,.0f}/s")
        peak = peak_memory(lambda s=s: sample(s, models[0], samples=n, rng=SEED, workers=1))
        print(f"{n_actors:>7}{size:>8}" + "".join(f"{c:>14}" for c in cells) + f"{peak:>22.1f}")

    print("\ngrowth with samples (korea-2017, compromise):")
    print(f"{'samples':>10}{'one process s':>15}{'samples/s':>12}{'pool s':>10}{'samples/s':>12}"
          f"{'peak MiB':>10}")
    top = min(args.max_samples, 10**4 if args.quick else 10**6)
    n = 1_000
    while n <= top:
        one_s, _ = timed(lambda n=n: sample(korea, "compromise", samples=n, rng=SEED, workers=1))
        pool_s, _ = timed(lambda n=n: sample(korea, "compromise", samples=n, rng=SEED))
        peak = peak_memory(lambda n=n: sample(korea, "compromise", samples=n, rng=SEED,
                                              workers=1)) if n <= 10**5 else float("nan")
        print(f"{n:>10,}{one_s:>15.2f}{n / one_s:>12,.0f}{pool_s:>10.2f}{n / pool_s:>12,.0f}"
              f"{peak:>10.1f}")
        n *= 10
    return 0


if __name__ == "__main__":
    sys.exit(main())
