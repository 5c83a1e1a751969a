"""How well input noise alone covers DEU III outcomes (issue 17, docs/uncertainty.md).

    PYTHONPATH=src python scripts/research/deu_noise_coverage.py [PATH] [MODEL]

For each noise level, every DEU III issue with an outcome is sampled (`detente.sample`,
MODEL — default compromise; ``combined`` draws over the models too — 100 draws, seed 0,
one process) and the share of outcomes inside the central 50/80/95 % intervals of the
draws is printed. Nothing is fitted, so the coverage
is out of sample by construction; a level calibrated "the same way" as the combined forecast
would be the one whose 80 % interval covers 80 %.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from detente.uncertainty import sample
from detente.validate import deu_cases

DEU = Path(__file__).resolve().parents[2].parent / "shared" / "research" / "data" / "deu"
LEVELS = (0.5, 0.8, 0.95)
NOISES = ("position=10% salience=0.1 capability=20%",  # the default of `detente sample`
          "position=25% salience=0.1 capability=20%",
          "position=50% salience=0.1 capability=20%",
          "position=100% salience=0.1 capability=20%")


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEU / "deu3_blksv.csv"
    model = sys.argv[2] if len(sys.argv) > 2 else "compromise"
    cases, _ = deu_cases(path)
    cases = [c for c in cases if c.scenario.outcomes]
    print(f"{len(cases)} issues; {model} model, 100 draws per issue")
    print(f"{'noise':<44}" + "".join(f"{f'{100 * lv:g}%':>8}" for lv in LEVELS)
          + f"{'80% width':>11}{'s':>6}")
    for noise in NOISES:
        start = time.perf_counter()
        inside = np.zeros((len(LEVELS), len(cases)), dtype=bool)
        width = np.zeros(len(cases))
        for k, case in enumerate(cases):
            result = sample(case.scenario, model=model, samples=100, rng=0,
                            noise=noise, workers=1)
            draws = result.forecasts[:, 0]
            observed = case.scenario.outcomes["X"].value
            for j, lv in enumerate(LEVELS):
                lo, hi = np.quantile(draws, [(1 - lv) / 2, (1 + lv) / 2])
                inside[j, k] = lo - 1e-9 <= observed <= hi + 1e-9
                if lv == 0.8:
                    width[k] = hi - lo
        cover = "".join(f"{100 * inside[j].mean():>7.1f}%" for j in range(len(LEVELS)))
        print(f"{noise:<44}{cover}{width.mean():>11.1f}{time.perf_counter() - start:>6.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
