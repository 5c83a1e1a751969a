"""BDM on DEU III next to the compromise model: mean absolute error on the 0-100 scale.

    PYTHONPATH=src python benchmarks/bdm_deu.py [--data PATH] [--capability council]

Scores the compromise model, the round-0 weighted median and bdm under both presets and a
few single-option variants (A2 no-move conflicts, the weighted mean as forecast point, no
risk), with 95% bootstrap intervals over proposals. Also reports how many issues hit the
round cap without meeting the stopping rule.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from detente.models import get_model
from detente.models.bdm import Bdm
from detente.validate import deu_cases, stack_arrays, validate

DEU = Path(__file__).resolve().parents[1].parent / "shared" / "research" / "data" / "deu"

VARIANTS: dict[str, dict[str, object]] = {
    "bdm printed": {"preset": "printed"},
    "bdm scholz-reference": {"preset": "scholz-reference"},
    "bdm printed, conflict=no-move": {"preset": "printed", "conflict": "no-move"},
    "bdm printed, forecast=mean": {"preset": "printed", "forecast_point": "mean"},
    "bdm printed, max_rounds=1": {"preset": "printed", "max_rounds": 1},
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEU / "deu3_blksv.csv"))
    parser.add_argument("--capability", default="council")
    parser.add_argument("--bootstrap", type=int, default=500)
    args = parser.parse_args()
    if not Path(args.data).exists():
        print(f"DEU data not found at {args.data}", file=sys.stderr)
        return 1
    cases, _ = deu_cases(args.data, capability=args.capability)
    print(f"DEU III, capability={args.capability}, {len(cases)} issues read")
    print(f"{'predictor':<34}{'issues':>7}{'MAE':>8}{'95% interval':>18}{'capped':>8}{'s':>7}")
    shown = {"compromise", "salience-median"}
    for label, options in VARIANTS.items():
        start = time.perf_counter()
        model = Bdm(**options)
        result = validate(cases, [get_model("compromise"), model], n_boot=args.bootstrap, rng=0)
        seconds = time.perf_counter() - start
        capped = sum(int(np.sum(~np.asarray(model.run(a).details["stopped"])))
                     for a in _batches([c.scenario.compile() for c in cases]))
        for score in result.scores():
            name = score.predictor
            if name == "bdm":
                name = label
            elif name in shown:
                shown.discard(name)
            else:
                continue
            extra = (f"{capped:>8}{seconds:>7.1f}" if name == label else "")
            interval = f"[{score.low['mae']:.2f}, {score.high['mae']:.2f}]"
            print(f"{name:<34}{score.n_issues:>7}{score.value['mae']:>8.2f}{interval:>18}{extra}")
    return 0


def _batches(arrays: list) -> list:
    """Issues grouped by shape into batches (as detente.validate runs them)."""
    groups: dict[tuple, list] = {}
    for a in arrays:
        key = (a.position.shape, a.stake.tobytes(), a.scale_low.tobytes(),
               a.scale_high.tobytes())
        groups.setdefault(key, []).append(a)
    return [stack_arrays(g) for g in groups.values()]


if __name__ == "__main__":
    sys.exit(main())
