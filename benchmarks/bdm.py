"""The vectorized BDM model against the plain loop oracle (tests/bdm_reference.py), in one run.

    PYTHONPATH=src python benchmarks/bdm.py [--actors 6 20 50 200] [--rounds 5] [--preset printed]

For each number of actors (one issue, random positions, capabilities and saliences): the
seconds per round of the loop oracle (one round) and of the fast model (``--rounds`` rounds,
stopping rule off), their ratio, the fast model's time per round on a batch of issues, and
the largest difference between the two after one round. The ``scholz-reference`` preset's
global denominator makes the loop oracle O(n^5); it is timed only up to 20 actors.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import bdm_reference

from detente.arrays import Arrays
from detente.models.bdm import Bdm


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actors", type=int, nargs="+", default=[6, 20, 50, 200])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--issues", type=int, default=20, help="issues in the batched timing")
    parser.add_argument("--preset", default="printed")
    args = parser.parse_args()
    print(f"preset {args.preset}; one issue per timing unless stated; seconds per round")
    print(f"{'actors':>7}{'loop s/round':>14}{'fast s/round':>14}{'ratio':>9}"
          f"{f'fast s/round, {args.issues} issues':>28}{'max diff':>11}")
    for n in args.actors:
        arrays = scenario(n, 1, seed=n)
        one = Bdm.preset(args.preset, max_rounds=1, stop_eps=0.0)
        many = Bdm.preset(args.preset, max_rounds=args.rounds, stop_eps=0.0)
        loop_s = float("nan")
        diff = float("nan")
        fast_one = one.run(arrays).trajectory[1, :, 0]
        if args.preset != "scholz-reference" or n <= 20:
            weights = list(arrays.capability * arrays.salience[:, 0])
            start = time.perf_counter()
            slow = bdm_reference.play_round(list(arrays.position[:, 0]),
                                            list(arrays.position[:, 0]), None, weights,
                                            list(arrays.salience[:, 0]), one.options)
            loop_s = time.perf_counter() - start
            diff = float(np.max(np.abs(np.array(slow["positions"]) - fast_one)))
        start = time.perf_counter()
        many.run(arrays)
        fast_s = (time.perf_counter() - start) / args.rounds
        batch = scenario(n, args.issues, seed=n + 1)
        start = time.perf_counter()
        many.run(batch)
        batch_s = (time.perf_counter() - start) / args.rounds
        print(f"{n:>7}{loop_s:>14.4f}{fast_s:>14.5f}{loop_s / fast_s:>9.0f}{batch_s:>28.5f}"
              f"{diff:>11.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
