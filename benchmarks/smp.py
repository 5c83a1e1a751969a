"""The vectorised SMP against the plain loop oracle on KTAB's dummy scenarios, in one run.

    PYTHONPATH=src python benchmarks/smp.py [--oracle-turns N|all] [--sizes 040 080 160]

For each of KTAB's ``dummyData-a040/a080/a160.csv`` (40, 80, 160 actors, one dimension)
prints the vectorised model's time per turn and in total (to KTAB's stopping rule), then
times the loop oracle (``tests/smp_oracle.py``) and the vectorised model on the same first
N turns (default 2; the oracle's cost grows as N³ Python operations per turn), their ratio,
and the largest difference in positions over those turns. KTAB's own ``smpc`` (Debug build)
took about 9 s for a040 and 91 s for a080 and did not finish a160 in 500 s (ktab-smp.md §1).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests import smp_oracle  # noqa: E402

import detente  # noqa: E402
from detente.models.smp import SMPOptions, run_smp  # noqa: E402

KTAB = ROOT.parent / "shared" / "research" / "data" / "ktab" / "smp"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--oracle-turns", default="2",
                        help="turns to time the loop oracle on, or 'all' (slow for a160)")
    parser.add_argument("--sizes", nargs="+", default=["040", "080", "160"])
    parser.add_argument("--data", default=str(KTAB), help="folder with KTAB's dummyData CSVs")
    args = parser.parse_args()
    data = Path(args.data)
    if not data.is_dir():
        print(f"KTAB data not found at {data}", file=sys.stderr)
        return 1
    opts = SMPOptions()
    rows = []
    for size in args.sizes:
        arrays = detente.load(data / f"dummyData-a{size}.csv").compile()
        cap, pos, sal = arrays.capability, arrays.position, arrays.salience
        turn_times: list[float] = []
        start = time.perf_counter()
        full = run_smp(cap, pos, sal, opts, on_turn=lambda _t, s, out=turn_times: out.append(s))
        total = time.perf_counter() - start
        states = int(full.states[0])
        print(f"a{size}: {arrays.n_actors} actors, {states} states, vectorised total "
              f"{total:.2f} s")
        print("  turn seconds: " + " ".join(f"{s:.3f}" for s in turn_times))

        turns = states - 1 if args.oracle_turns == "all" else min(int(args.oracle_turns),
                                                                   states - 1)
        start = time.perf_counter()
        fast = run_smp(cap, pos, sal, SMPOptions(max_turns=turns))
        fast_s = time.perf_counter() - start
        start = time.perf_counter()
        # The oracle does not rescale capabilities; give it the scale the model uses.
        oracle = smp_oracle.run((cap / cap.mean()).tolist(), pos.tolist(), sal.tolist(),
                                max_turns=turns)
        oracle_s = time.perf_counter() - start
        diff = float(np.max(np.abs(np.array(oracle.positions)
                                   - fast.trajectory[0, : turns + 1])))
        rows.append((size, arrays.n_actors, states, total, turns, oracle_s, fast_s, diff))
        print(f"  first {turns} turns: oracle {oracle_s:.2f} s, vectorised {fast_s:.3f} s, "
              f"ratio {oracle_s / fast_s:.0f}x, max position difference {diff:.1e}")
    print()
    print(f"{'file':<8}{'actors':>7}{'states':>7}{'total s':>9}{'turns':>7}{'oracle s':>10}"
          f"{'fast s':>9}{'ratio':>8}{'max diff':>10}")
    for size, n, states, total, turns, oracle_s, fast_s, diff in rows:
        print(f"a{size:<7}{n:>7}{states:>7}{total:>9.2f}{turns:>7}{oracle_s:>10.2f}"
              f"{fast_s:>9.3f}{oracle_s / fast_s:>8.0f}{diff:>10.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
