"""Roadmap search: branch and bound against brute force on the same path tables, one run.

    PYTHONPATH=src python benchmarks/roadmap_search.py [--quick]

For korea-2017 (grid step 10) and a few finals, prints the number of roadmaps per final,
the seconds of the exact branch and bound and of brute force (only where the space is at
most --brute-limit roadmaps), their ratio, and whether both found the same smallest margin.
Then the branch and bound alone on spaces too large to enumerate (3 and 4 stages to P1).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from detente.roadmaps.api import plans_from_scenario
from detente.roadmaps.search import search_paths
from detente.scenario import load
from detente.settlement.problem import SettlementProblem
from detente.settlement.utility import UtilitySettings


def timed(problem: SettlementProblem, finals: np.ndarray, stages: int, method: str
          ) -> tuple[float, float, int]:
    start = time.perf_counter()
    result = search_paths(problem, finals, stages, UtilitySettings(), method=method)  # type: ignore[arg-type]
    seconds = time.perf_counter() - start
    margin = float(result.margin[0][0]) if result.margin[0].size else float("nan")
    return seconds, margin, int(result.space[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller spaces only")
    parser.add_argument("--brute-limit", type=float, default=3e6)
    args = parser.parse_args()
    s = load("korea-2017")
    problem = SettlementProblem.from_scenario(s, 10.0)
    p1 = problem.package_values([problem.package("P1")])
    p2 = problem.package_values([problem.package("P2")])
    oped = plans_from_scenario(s)[0]
    oped_final = problem.package_values([oped.stages[-1]])
    cases = [("P2", p2, 2), ("P1", p1, 2)] + ([] if args.quick else [("P2", p2, 3)])
    print(f"{'final':6} {'stages':>6} {'roadmaps':>12} {'bnb s':>8} {'brute s':>8} "
          f"{'brute/bnb':>9}  same margin")
    for name, final, stages in cases:
        bnb_s, bnb_m, space = timed(problem, final, stages, "bnb")
        if space <= args.brute_limit:
            brute_s, brute_m, _ = timed(problem, final, stages, "brute")
            print(f"{name:6} {stages:6d} {space:12.3g} {bnb_s:8.2f} {brute_s:8.2f} "
                  f"{brute_s / bnb_s:9.1f}  {abs(bnb_m - brute_m) < 1e-12}")
        else:
            print(f"{name:6} {stages:6d} {space:12.3g} {bnb_s:8.2f} {'–':>8} {'–':>9}")
    if not args.quick:
        for stages in (3, 4):
            bnb_s, _, space = timed(problem, oped_final, stages, "bnb")
            print(f"{'OPED':6} {stages:6d} {space:12.3g} {bnb_s:8.2f} {'–':>8} {'–':>9}")


if __name__ == "__main__":
    main()
