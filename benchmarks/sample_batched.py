"""Monte Carlo samples per second on korea-2017: batched against one sample at a time.

    PYTHONPATH=src python benchmarks/sample_batched.py [--quick] [--model NAME ...]
        [--samples N] [--loop-samples N] [--workers N] [--base REV [--pairs N]]

For each model, in one run on the same draws (seed 7, the default noise): samples per second
of the sampling engine with the model on a whole chunk (one array program; bdm and smp mask
the samples that have stopped), and of the engine's one-at-a-time path (the kernel the engine
falls back to for a model without a batch axis: one model call per sample); their ratio; the
largest difference between the two runs' outputs (0 means bit for bit); and the seconds
10^5 samples would take at the batched rate (issue 15's goal: < 60 s for every model); and
the batched rate per CPU second of this process, which a shared machine's load disturbs far
less than the wall-clock rates.

``measure()`` returns the measurements; ``monte_carlo_rows()`` the rows of issue 15's
table for ``benchmarks/table.py`` (its columns, and every measured number). Rates count the
engine's time (drawing inputs, assembling arrays, running the model, gathering outputs) in
one process unless ``--workers`` says otherwise; both paths of a row run back to back, so
their ratio holds under load even when the rates do not.

``--base REV``: before and after in one run. The revision's ``src/`` is exported to a
temporary folder (``git archive``; no checkout is touched) and each model's batched run
(the same draws, one process) runs in fresh interpreters, this tree and REV in turn,
``--pairs`` times (default 3). Printed: each side's best samples per CPU second (user +
system of the child, the run alone, imports excluded) and per wall second, the median of
the pair-by-pair CPU ratios, and whether both trees gave the same outputs bit for bit (a
digest of each output array, compared on the outputs both trees give; an output only one
tree gives, e.g. smp's per-turn details that sampling now keeps only on request, is named
below the row).
"""

# No ``from __future__ import annotations``: benchmarks/table.py loads this file without
# registering it in sys.modules, where a dataclass cannot resolve string annotations.
import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from detente.models import REGISTRY
from detente.scenario import Scenario, load
from detente.uncertainty.engine import ModelKernel, RunStats, run_chunks
from detente.uncertainty.sampling import setup

SEED = 7
STEPWISE = ("bdm", "smp")
ROOT = Path(__file__).resolve().parent.parent

# One batched run in a fresh interpreter on the tree at sys.argv[1] (the names it uses are in
# every revision since the engine's run_chunks); prints its CPU and wall seconds and a
# digest of each output.
CHILD = """
import hashlib, json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from detente.scenario import load
from detente.uncertainty.engine import RunStats, run_chunks
from detente.uncertainty.sampling import setup
model, samples, seed = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
run = setup(load("korea-2017"), None, model, None, seed)
run_chunks(run.space, run.kernel, run.seed, 20, workers=1)  # warm up: imports, caches
before = resource.getrusage(resource.RUSAGE_SELF)
start = time.perf_counter()
out = run_chunks(run.space, run.kernel, run.seed, samples, workers=1)
wall = time.perf_counter() - start
after = resource.getrusage(resource.RUSAGE_SELF)
cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
digests = {key: hashlib.sha256(value.tobytes()).hexdigest() for key, value in out.items()}
print(json.dumps({"cpu": cpu, "wall": wall, "digests": digests}))
"""


@dataclass(frozen=True)
class MonteCarloRow:
    """One model's Monte Carlo rate, batched and one at a time, measured in the same run."""

    model: str
    samples: int            # batched run
    batched_per_s: float
    looped_samples: int     # one-at-a-time run (the first rows of the same draws)
    looped_per_s: float
    max_diff: float         # largest |batched - looped| over every output (0: bit for bit)
    workers: int
    batched_per_cpu_s: float  # samples per CPU second of this process (workers=1 only)

    @property
    def ratio(self) -> float:
        return self.batched_per_s / self.looped_per_s

    @property
    def seconds_per_1e5(self) -> float:
        return 1e5 / self.batched_per_s


def _run(scenario: Scenario, model: str, samples: int, batched: bool,
         workers: int) -> tuple[dict[str, np.ndarray], float, float]:
    """Outputs, samples per wall second and per CPU second of this process (NaN when
    workers run part of it)."""
    run = setup(scenario, None, model, None, SEED)
    kernel = run.kernel
    assert isinstance(kernel, ModelKernel)
    if not batched:
        kernel = ModelKernel(kernel.model, kernel.options, batched=False)
    stats = RunStats()
    cpu = time.process_time()
    out = run_chunks(run.space, kernel, run.seed, samples, workers=workers, stats=stats)
    cpu = time.process_time() - cpu
    return out, samples / stats.seconds, samples / cpu if workers == 1 else float("nan")


def _max_diff(batched: dict[str, np.ndarray], looped: dict[str, np.ndarray]) -> float:
    n = len(next(iter(looped.values())))
    worst = 0.0
    for key, values in looped.items():
        a = np.asarray(batched[key][:n], dtype=float)
        b = np.asarray(values, dtype=float)
        if a.shape != b.shape:
            return float("inf")
        same_nan = np.isnan(a) == np.isnan(b)
        if not np.all(same_nan):
            return float("inf")
        gap = np.abs(np.where(np.isnan(a), 0.0, a) - np.where(np.isnan(b), 0.0, b))
        worst = max(worst, float(np.max(gap, initial=0.0)))
    return worst


def monte_carlo_rows(quick: bool = False) -> list[dict[str, object]]:
    """The rows of issue 15's table (``benchmarks/table.py``): one per model, with the
    table's columns (what, detente, reference, goal, met) and the measured numbers
    (every field of :class:`MonteCarloRow`). The goal: 10^5 samples in < 60 s, bdm and smp
    at ≥ 2,000 samples/s, in one process at the load of the run."""
    rows = []
    for row in measure(quick=quick):
        floor = 2_000.0 if row.model in STEPWISE else 0.0
        met = row.seconds_per_1e5 < 60.0 and row.batched_per_s >= floor
        rows.append({
            "what": f"Monte Carlo samples/s on korea-2017, {row.model}",
            "detente": f"{row.batched_per_s:,.0f}/s batched, one process "
                       f"({row.batched_per_cpu_s:,.0f} per CPU s; max diff {row.max_diff:.0e})",
            "reference": f"one at a time: {row.looped_per_s:,.0f}/s ({row.ratio:.1f}x slower)",
            "goal": "10^5 < 60 s" + (", >= 2k/s" if floor else ""),
            "met": "yes" if met else f"no ({row.seconds_per_1e5:.0f} s per 10^5)",
            **dataclasses.asdict(row),
        })
    return rows


def measure(models: Sequence[str] | None = None, samples: int | None = None,
            loop_samples: int | None = None, quick: bool = False,
            workers: int = 1) -> list[MonteCarloRow]:
    """Measure every model (default: all registered) on korea-2017; see the module doc.

    ``samples``: batched samples per model (default 20,000 for the closed-form models,
    4,000 for bdm and smp; a tenth with ``quick``); ``loop_samples``: samples run one at a
    time (default 2,000 and 300; a tenth with ``quick``)."""
    korea = load("korea-2017")
    rows = []
    for model in models or list(REGISTRY):
        stepwise = model in STEPWISE
        n = samples or (4_000 if stepwise else 20_000) // (10 if quick else 1)
        loop_n = min(n, loop_samples or (300 if stepwise else 2_000) // (10 if quick else 1))
        _run(korea, model, 20, True, 1)  # warm up: imports, caches
        batched_out, batched_rate, batched_cpu = _run(korea, model, n, True, workers)
        looped_out, looped_rate, _ = _run(korea, model, loop_n, False, workers)
        rows.append(MonteCarloRow(model, n, batched_rate, loop_n, looped_rate,
                                  _max_diff(batched_out, looped_out), workers, batched_cpu))
    return rows


def export(rev: str, into: Path) -> Path:
    """The revision's ``src/``, unpacked under ``into``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"], check=True,
                             stdout=subprocess.PIPE).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def child_run(src: Path, model: str, samples: int) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", CHILD, str(src), model, str(samples),
                           str(SEED)], check=True, stdout=subprocess.PIPE, text=True)
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def compare(base: str, models: Sequence[str], samples: int | None, pairs: int,
            quick: bool) -> None:
    """This tree against ``base``, each model's batched run in fresh processes, paired."""
    print(f"{'model':<12}{'samples':>9}{'this /CPU s':>13}{base + ' /CPU s':>18}"
          f"{'CPU ratio':>11}{'this /s':>10}{base + ' /s':>14}{'same':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"this": ROOT / "src", "base": export(base, Path(tmp))}
        for model in models:
            n = samples or (4_000 if model in STEPWISE else 20_000) // (10 if quick else 1)
            runs: dict[str, list[dict[str, object]]] = {"this": [], "base": []}
            for _ in range(pairs):
                for side, src in trees.items():
                    runs[side].append(child_run(src, model, n))
            cpu = {k: [float(str(r["cpu"])) for r in v] for k, v in runs.items()}
            wall = {k: [float(str(r["wall"])) for r in v] for k, v in runs.items()}
            ratio = statistics.median(b / a for a, b in zip(cpu["this"], cpu["base"],
                                                            strict=True))
            digests = [dict(r["digests"]) for v in runs.values() for r in v]  # type: ignore[call-overload]
            common = set.intersection(*(set(d) for d in digests))
            same = bool(common) and all(len({d[k] for d in digests}) == 1 for k in common)
            print(f"{model:<12}{n:>9,}{n / min(cpu['this']):>13,.0f}"
                  f"{n / min(cpu['base']):>18,.0f}{ratio:>10.2f}x"
                  f"{n / min(wall['this']):>10,.0f}{n / min(wall['base']):>14,.0f}"
                  f"{'yes' if same else 'NO':>6}", flush=True)
            apart = set.union(*(set(d) for d in digests)) - common
            if apart:
                print(f"{'':<12}outputs of one tree only: {', '.join(sorted(apart))}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", help="model (default: every registered)")
    parser.add_argument("--quick", action="store_true", help="a tenth of the samples")
    parser.add_argument("--samples", type=int, help="batched samples per model")
    parser.add_argument("--loop-samples", type=int, help="samples run one at a time")
    parser.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    parser.add_argument("--base", help="also run this revision's batched path, paired")
    parser.add_argument("--pairs", type=int, default=3, help="runs of each side (--base)")
    args = parser.parse_args()
    load_avg = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"korea-2017 (6 actors x 8 issues), seed {SEED}, {args.workers} process(es); "
          f"{os.cpu_count()} CPUs, load average {load_avg:.2f} at the start")
    if args.base:
        compare(args.base, args.model or list(REGISTRY), args.samples, args.pairs,
                args.quick)
        load_avg = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"load average {load_avg:.2f} at the end")
        return 0
    print(f"{'model':<12}{'samples':>9}{'batched/s':>12}{'one at a time/s':>17}{'ratio':>8}"
          f"{'max diff':>10}{'s per 10^5':>12}{'batched/CPU s':>15}")
    for row in measure(args.model, args.samples, args.loop_samples, args.quick,
                       args.workers):
        print(f"{row.model:<12}{row.samples:>9,}{row.batched_per_s:>12,.0f}"
              f"{row.looped_per_s:>17,.0f}{row.ratio:>8.1f}{row.max_diff:>10.1e}"
              f"{row.seconds_per_1e5:>12.1f}{row.batched_per_cpu_s:>15,.0f}", flush=True)
    load_avg = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average {load_avg:.2f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
