"""Where the time of the full `detente validate deu PATH` goes, measured in one run.

    PYTHONPATH=src python benchmarks/validate_full.py [--data PATH] [--workers 2]

Runs every registered model, the bootstrap (1000 resamples of proposals) and the combined
forecast's cross-validated calibration, as the command does, and prints the wall-clock and
CPU seconds of each stage and its share of the total. The target (issue 17) is the whole
command under 60 s on two cores; the ratio column says which stage to make faster first.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

from detente.analyses.forecasting import view_validate
from detente.models import REGISTRY
from detente.validate import deu_cases, validate

DEU = Path(__file__).resolve().parents[1].parent / "shared" / "research" / "data" / "deu"


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEU / "deu3_blksv.csv"))
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not Path(args.data).exists():
        print(f"DEU data not found at {args.data}", file=sys.stderr)
        return 1
    stages: list[tuple[str, float, float]] = []

    def timed(label: str, start: float, cpu: float) -> None:
        stages.append((label, time.perf_counter() - start, _cpu() - cpu))

    start, cpu = time.perf_counter(), _cpu()
    cases, notes = deu_cases(args.data)
    timed("read DEU III, build scenarios", start, cpu)

    start, cpu = time.perf_counter(), _cpu()
    result = validate(cases, list(REGISTRY), n_boot=1000, rng=0, notes=notes,
                      workers=args.workers)
    timed(f"run every model ({args.workers} workers) + combined CV", start, cpu)
    for name, secs in result.seconds.items():
        print(f"  {name:<12} {secs:6.2f} s wall (inside the stage above)")

    # The bootstrap runs when the tables are made (every score, breakdown and difference).
    start, cpu = time.perf_counter(), _cpu()
    view_validate(SimpleNamespace(value=result, options={}, variation=None))
    timed("tables with bootstrap intervals (1000 resamples)", start, cpu)
    cal = result.calibration
    total = sum(s[1] for s in stages)
    print(f"\n{'stage':<58}{'wall s':>8}{'cpu s':>8}{'share':>8}")
    for label, wall, cpu_s in stages:
        print(f"{label:<58}{wall:>8.2f}{cpu_s:>8.2f}{wall / total:>8.0%}")
    print(f"{'total':<58}{total:>8.2f}")
    if cal is not None:
        print("\nout-of-fold coverage: " + ", ".join(
            f"{100 * k:g}% → {100 * v:.1f}%" for k, v in cal.coverage.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
