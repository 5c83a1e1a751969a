"""The zone row of benchmarks/table.py, this tree against another revision, paired.

    PYTHONPATH=src python benchmarks/zone_row.py --base REV [--pairs 3] [--samples 10000]
        [--step 5] [--workers N]

The row is `detente sample -m settle` on korea-2017 (seed 1, the default noise, grid step
5): P(the zone of agreement is non-empty) over ``--samples`` draws, with the engine's
defaults (every core when worth it) unless ``--workers`` is given. The revision's ``src/``
is exported to a temporary folder (``git archive``, as benchmarks/sample_batched.py does;
no checkout is touched) and each run is a fresh interpreter, the two trees alternating
(the first pair starts with this tree, the next with the base, and so on), so that both
sides meet the same load. Printed per run: wall seconds and CPU seconds (user + system of
the process and of its pool workers) of the ``sample`` call alone, imports excluded; the
wall seconds until the first chunk is done (it runs alone, timed, before the engine
decides on a pool); the chunks; the probability with the stages that decided it. Then
each side's median, the median of the pair-by-pair ratios (base / this) and whether every
run of both trees gave the same outputs bit for bit (a digest of each output array: zone,
zone_stage, acceptable, blocks). The load average is printed at the start and end: on the
shared 2-core machine compare within a run, never across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from sample_batched import export

ROOT = Path(__file__).resolve().parent.parent
SEED = 1

# One row in a fresh interpreter on the tree at sys.argv[1]; prints one JSON line.
CHILD = r"""
import hashlib, json, resource, sys, time
sys.path.insert(0, sys.argv[1])
import detente
from detente.uncertainty import sample
from detente.uncertainty.engine import RunStats

samples, seed, step, workers = (int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]),
                                int(sys.argv[5]))
korea = detente.load("korea-2017")


def cpu():
    own = resource.getrusage(resource.RUSAGE_SELF)
    pool = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + pool.ru_utime + pool.ru_stime


firsts = []
cpu0, wall0 = cpu(), time.perf_counter()
result = sample(korea, "settle", samples=samples, rng=seed, options={"step": step},
                workers=workers or None,
                progress=lambda done, total: firsts.append(time.perf_counter() - wall0))
wall, spent = time.perf_counter() - wall0, cpu() - cpu0
stats = result.stats
print(json.dumps({
    "wall": wall, "cpu": spent, "alone": firsts[0], "zone": result.settlement.zone,
    "stages": result.settlement.zone_stages, "chunks": stats.chunks,
    "chunk_size": stats.chunk_size, "where": stats.where,
    "digests": {k: hashlib.sha256(v.tobytes()).hexdigest() + str(v.dtype) + str(v.shape)
                for k, v in sorted(result.outputs.items())}}))
"""


def child_run(src: Path, samples: int, step: float, workers: int) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", CHILD, str(src), str(samples), str(SEED),
                           str(step), str(workers)], check=True, stdout=subprocess.PIPE,
                          text=True)
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the revision to compare with")
    parser.add_argument("--pairs", type=int, default=3, help="runs of each side")
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--step", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=0, help="processes (0: the default)")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; load average (1, 5, 15 min) at the start: "
          f"{load_average()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"this": ROOT / "src", args.base: export(args.base, Path(tmp))}
        runs: dict[str, list[dict[str, object]]] = {side: [] for side in trees}
        for n in range(args.pairs):
            order = list(trees) if n % 2 == 0 else list(trees)[::-1]
            for side in order:
                run = child_run(trees[side], args.samples, args.step, args.workers)
                runs[side].append(run)
                print(f"{side:>10}: {float(str(run['wall'])):7.2f} s wall, "
                      f"{float(str(run['cpu'])):7.2f} s CPU, the first chunk alone "
                      f"{float(str(run['alone'])):5.2f} s; {run['chunks']} chunks of "
                      f"<= {run['chunk_size']} in {run['where']}; P = {run['zone']:.1%} "
                      f"{run['stages']}; load {load_average()}", flush=True)
    wall = {side: [float(str(r["wall"])) for r in v] for side, v in runs.items()}
    cpu = {side: [float(str(r["cpu"])) for r in v] for side, v in runs.items()}
    for side in trees:
        alone = statistics.median(float(str(r["alone"])) for r in runs[side])
        print(f"{side:>10}: median {statistics.median(wall[side]):.2f} s wall "
              f"(min {min(wall[side]):.2f}), {statistics.median(cpu[side]):.2f} s CPU, "
              f"the first chunk alone {alone:.2f} s")
    for what, times in (("wall", wall), ("CPU", cpu)):
        ratios = [b / a for a, b in zip(times["this"], times[args.base], strict=True)]
        print(f"{args.base} / this, {what}: median {statistics.median(ratios):.2f} "
              f"({min(ratios):.2f}-{max(ratios):.2f})")
    digests = [json.dumps(r["digests"], sort_keys=True) for v in runs.values() for r in v]
    print(f"outputs the same bit for bit in every run: {'yes' if len(set(digests)) == 1 else 'NO'}")
    print(f"load average at the end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
