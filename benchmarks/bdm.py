"""The BDM model's fast path against its blocked path and the plain loop oracle, in one run.

    PYTHONPATH=src python benchmarks/bdm.py [--actors 10 200 1000] [--rounds 10]
        [--preset printed] [--loop-max 200] [--blocked-rounds-max 200]

For each number of actors (one issue, random positions, capabilities and saliences), seconds
per round of

* the fast path (prefix sums over sorted positions, O(A² log A) a round; ``--rounds``
  rounds, stopping rule off),
* the blocked path it replaced (``simulate(..., method="blocked")``, the voters x pairs
  tensor, O(A³); ``--rounds`` rounds up to ``--blocked-rounds-max`` actors, one round
  above),
* the loop oracle of the tests (``tests/bdm_reference.py``, one round; only up to
  ``--loop-max`` actors: 200 actors take minutes),

their ratios, and the largest differences between the positions they produce (fast vs
blocked over the rounds run, fast vs loop after one round). Then the EC car-emission table
(10 actors x 10 rounds, both presets), whole runs, when the shared data is there. The
``scholz-reference`` preset's global denominator makes the loop oracle O(A^5); it is timed
only up to 20 actors.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import bdm_reference

from detente.arrays import Arrays
from detente.models.bdm import Bdm, simulate


def scenario(n_actors: int, n_issues: int, seed: int) -> Arrays:
    rng = np.random.default_rng(seed)
    return Arrays(
        actor_ids=tuple(f"A{k}" for k in range(n_actors)),
        issue_ids=tuple(f"I{k}" for k in range(n_issues)),
        guarantor_ids=tuple(f"A{k}" for k in range(n_actors)),
        capability=rng.uniform(0.5, 10.0, n_actors),
        position=rng.uniform(0, 1, (n_actors, n_issues)),
        salience=rng.uniform(0.1, 1.0, (n_actors, n_issues)),
        status_quo=rng.uniform(0, 1, n_issues),
        trust=np.ones((n_actors, n_actors)),
        stake=np.ones((n_actors, n_issues), dtype=bool),
        veto=np.zeros(n_actors, dtype=bool),
        scale_low=np.zeros(n_issues), scale_high=np.ones(n_issues),
    )


def timed(call, repeat: int = 1) -> tuple[float, object]:
    """Best of ``repeat`` wall times (s) and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - start)
    return best, result


def emission_table(repeat: int) -> None:
    from tests.shared_data import shared_path

    from detente.scenario import load

    path = (shared_path("bdm") / "jmckib__bdm-scholz-expected-utility-model"
            / "ExampleActors.csv")
    if not path.exists():
        print(f"EC table: {path} not found, skipped")
        return
    arrays = load(str(path)).compile()
    for preset in ("printed", "scholz-reference"):
        opts = Bdm.preset(preset, max_rounds=10, stop_eps=0.0).options
        simulate(arrays, opts)  # warm up imports and caches
        fast, _ = timed(lambda: simulate(arrays, opts, method="fast"), repeat)  # noqa: B023
        blocked, _ = timed(lambda: simulate(arrays, opts, method="blocked"), repeat)  # noqa: B023
        print(f"EC table, 10 actors x 10 rounds, {preset}: fast {fast * 1e3:.2f} ms, "
              f"blocked {blocked * 1e3:.2f} ms (best of {repeat})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actors", type=int, nargs="+", default=[10, 200, 1000])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--preset", default="printed")
    parser.add_argument("--loop-max", type=int, default=200,
                        help="largest number of actors the loop oracle is timed on")
    parser.add_argument("--blocked-rounds-max", type=int, default=200,
                        help="above this many actors the blocked path runs one round")
    parser.add_argument("--repeat", type=int, default=20, help="repeats of the EC timing")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"preset {args.preset}; one issue; seconds per round; {os.cpu_count()} CPUs, "
          f"load average {load:.2f} at the start")
    head = (f"{'actors':>7}{'loop':>11}{'blocked':>11}{'fast':>11}{'blocked/fast':>14}"
            f"{'loop/fast':>11}{'|fast-blocked|':>16}{'|fast-loop|':>13}")
    print(head)
    for n in args.actors:
        arrays = scenario(n, 1, seed=n)
        opts = Bdm.preset(args.preset, max_rounds=args.rounds, stop_eps=0.0).options
        one = Bdm.preset(args.preset, max_rounds=1, stop_eps=0.0).options
        fast_s, fast = timed(lambda: simulate(arrays, opts, method="fast"))  # noqa: B023
        fast_s /= args.rounds
        b_opts = opts if n <= args.blocked_rounds_max else one
        blocked_s, blocked = timed(lambda: simulate(arrays, b_opts, method="blocked"))  # noqa: B023
        b_rounds = b_opts.max_rounds
        blocked_s /= b_rounds
        diff_blocked = float(np.max(np.abs(fast.trajectory[: b_rounds + 1]  # type: ignore[attr-defined]
                                           - blocked.trajectory)))  # type: ignore[attr-defined]
        loop_s = diff_loop = float("nan")
        loop_ok = n <= args.loop_max and (args.preset != "scholz-reference" or n <= 20)
        if loop_ok:
            x = list(arrays.position[:, 0])
            weights = list(arrays.capability * arrays.salience[:, 0])
            loop_s, slow = timed(lambda: bdm_reference.play_round(
                x, x, None, weights, list(arrays.salience[:, 0]), one))  # noqa: B023
            diff_loop = float(np.max(np.abs(np.array(slow["positions"])  # type: ignore[index]
                                            - fast.trajectory[1, :, 0])))  # type: ignore[attr-defined]
        print(f"{n:>7}{loop_s:>11.4g}{blocked_s:>11.4g}{fast_s:>11.4g}"
              f"{blocked_s / fast_s:>14.1f}{loop_s / fast_s:>11.0f}{diff_blocked:>16.1e}"
              f"{diff_loop:>13.1e}", flush=True)
    emission_table(args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
