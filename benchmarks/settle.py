"""Package search on korea-2017: branch and bound against brute force, measured in one run.

    python benchmarks/settle.py [--steps 25 10 5] [--count-5] [--batch 200]
                                [--milp-steps 25 10 5 2 1] [--forms-steps 5 2 1]
                                [--milp-only] [--forms-only]

For each grid step it prints the size of the package space and the time branch and bound
takes to decide whether the zone is empty, to find the best Nash package, and to count the
zone (counting at step 5 visits ~10^8 acceptable packages' boundary: only with --count-5).
Brute force runs where it is feasible (step 25); elsewhere its time is extrapolated from
its measured rate on the first 2·10^6 packages, and marked "est.". Finally it compares one
batched search over ``--batch`` perturbed scenarios (Monte Carlo style) with a loop that
searches them one at a time.

Then MILP (HiGHS) against branch and bound, in the same run, per step of ``--milp-steps``:
zone test, best Nash package, max-min package and smallest accord; each answer is checked
equal (Nash within the MILP's stated gap). Branch and bound runs under the default search
limit, so where it is refused the row says so instead of a time.

Then (``--forms-steps``) the MILP's two formulations of the pair terms side by side, same
tables, same run, answers checked equal: before (the marginal columns, one per allowed
slot pair, and the first tangents spread over each party's range only) and after (the
exact low-rank factors and rule rows, and first tangents at a coordinate-ascent package;
docs/settle.md, *Search with pair terms*).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import detente
from detente.settlement import milp
from detente.settlement.problem import SettlementProblem
from detente.settlement.search import (
    ENUMERABLE,
    GainTable,
    SearchTooLarge,
    best_packages,
    brute_force,
    build_table,
    format_count,
    smallest_accords,
    zone_exists,
    zone_size,
)


def timed(func, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    out = func(*args, **kwargs)
    return out, time.perf_counter() - start


def brute_rate(table: GainTable, sample: int = 2_000_000) -> float:
    """Packages per second of brute force (Nash search and count) on the first packages."""
    widths = table.valid.any(axis=0).sum(axis=-1)
    head = 1
    keep = []
    for w in widths[::-1]:  # the last issues vary fastest: restrict the first ones
        if head * w <= sample:
            head *= int(w)
            keep.append(int(w))
        else:
            keep.append(1)
    keep = keep[::-1]
    valid = table.valid.copy()
    for k, w in enumerate(keep):
        valid[:, k, w:] = False
    small = GainTable(table.values, valid, table.changed, table.gains, table.must_agree,
                      table.weights)
    n = int(small.space_size[0])
    _, seconds = timed(brute_force, small, "nash", 1, None, True)
    return n / seconds


def milp_against_bnb(scenario: detente.Scenario, steps: list[float]) -> None:
    """MILP and branch and bound on the same gain tables, answers checked equal."""
    print("\nMILP (HiGHS) against branch and bound, seconds (bnb within the default limit)")
    print(f"{'step':>5} {'packages':>10} {'task':>9} {'bnb':>9} {'milp':>8} {'ratio':>7}")
    tasks = {
        "exists": lambda t, m: zone_exists(t, m)[0],
        "nash": lambda t, m: best_packages(t, "nash", 1, method=m)[0],
        "maxmin": lambda t, m: best_packages(t, "maxmin", 1, method=m)[0],
        "smallest": lambda t, m: smallest_accords(t, m)[0],
    }
    for step in steps:
        table = build_table(SettlementProblem.from_scenario(scenario, step))
        space = format_count(int(table.space_size[0]))
        for name, task in tasks.items():
            ours, t_milp = timed(task, table, "milp")
            try:
                theirs, t_bnb = timed(task, table, "bnb")
            except SearchTooLarge:
                print(f"{step:5g} {space:>10} {name:>9} {'refused':>9} {t_milp:8.3f} "
                      f"{'–':>7}")
                continue
            if name == "exists":
                assert ours == theirs
            else:
                atol = milp.NASH_GAP + 1e-9 if name in ("nash", "smallest") else 1e-12
                assert np.allclose(ours.score, theirs.score, atol=atol), (name, step)
            print(f"{step:5g} {space:>10} {name:>9} {t_bnb:9.3f} {t_milp:8.3f} "
                  f"{t_bnb / t_milp:7.1f}")


def forms_side_by_side(scenario: detente.Scenario, steps: list[float]) -> None:
    """The MILP with the marginal pair columns (before) and the factored ones (after)."""
    print(f"\nMILP pair terms, before (marginal columns) / after (factored), seconds; load "
          f"{os.getloadavg()[0]:.2f}")
    print(f"{'step':>5} {'task':>9} {'before':>9} {'after':>8} {'ratio':>7}  columns "
          f"(refused: HiGHS's {milp.TIME_LIMIT:g} s limit, MilpFailed)")
    tasks = {
        "exists": lambda t: milp.zone_exists(t)[0],
        "nash": lambda t: milp.best_packages(t, "nash", 1)[0],
        "maxmin": lambda t: milp.best_packages(t, "maxmin", 1)[0],
        "smallest": lambda t: milp.smallest_accords(t)[0],
    }
    for step in steps:
        table = build_table(SettlementProblem.from_scenario(scenario, step))
        widths = []
        for form in ("columns", "auto"):
            with milp.formulation(form, form == "auto"):
                m = milp._models(table)[0]
                widths.append("–" if m is None else f"{m.n}")
        for name, task in tasks.items():
            answers, times = [], []
            for form, local in (("columns", False), ("auto", True)):
                with milp.formulation(form, local):
                    try:
                        answer, took = timed(task, table)
                    except milp.MilpFailed:  # HiGHS's time limit: refused, not answered
                        answer, took = None, float("nan")
                answers.append(answer)
                times.append(took)
            before, after = answers
            if before is None or after is None:
                pass  # nothing to compare: the row says which side was refused
            elif name == "exists":
                assert before == after
            else:
                atol = milp.NASH_GAP + 1e-9 if name in ("nash", "smallest") else 1e-12
                assert np.allclose(before.score, after.score, atol=atol), (name, step)
                assert before.slots.tolist() == after.slots.tolist(), (name, step)
            text = [f"{t:9.3f}" if np.isfinite(t) else f"{'refused':>9}" for t in times]
            print(f"{step:5g} {name:>9} {text[0]} {text[1]:>8} {times[0] / times[1]:7.1f}  "
                  f"{' / '.join(widths)}", flush=True)
    print(f"load at the end {os.getloadavg()[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=float, nargs="+", default=[25, 10, 5])
    parser.add_argument("--count-5", action="store_true", help="also count the zone at step 5")
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--milp-steps", type=float, nargs="*", default=[25, 10, 5, 2, 1])
    parser.add_argument("--milp-only", action="store_true",
                        help="only the MILP against branch and bound")
    parser.add_argument("--forms-steps", type=float, nargs="*", default=[5, 2])
    parser.add_argument("--forms-only", action="store_true",
                        help="only the MILP's pair formulations side by side")
    args = parser.parse_args()
    if args.forms_only:
        forms_side_by_side(detente.load("korea-2017"), args.forms_steps)
        return
    if args.milp_only:
        milp_against_bnb(detente.load("korea-2017"), args.milp_steps)
        return
    scenario = detente.load("korea-2017")
    print("korea-2017: 6 actors, 8 issues; times in seconds (one process)")
    header = (f"{'step':>5} {'packages':>10} {'exists':>7} {'best Nash':>10} {'count':>8} "
              f"{'zone size':>11} {'brute force':>12} {'ratio (best+count)':>19}")
    print(header)
    for step in args.steps:
        problem = SettlementProblem.from_scenario(scenario, step)
        table = build_table(problem)
        space = int(table.space_size[0])
        # A benchmark measures whatever it takes: no search limit (MAX_PACKAGES).
        _, t_exists = timed(zone_exists, table, "bnb", ENUMERABLE)
        _, t_best = timed(best_packages, table, "nash", 1, None, "bnb", ENUMERABLE)
        if step >= 10 or args.count_5:
            sizes, t_count = timed(zone_size, table, "bnb", ENUMERABLE)
            size, count_text = f"{int(sizes[0]):,}", f"{t_count:8.2f}"
        else:
            t_count, size, count_text = float("nan"), "skipped", "       –"
        if space <= 2_000_000:
            (_, brute_sizes, _), t_brute = timed(brute_force, table, "nash", 1, None, True)
            assert brute_sizes is not None and int(brute_sizes[0]) == int(sizes[0])
            brute_text = f"{t_brute:12.2f}"
        else:
            t_brute = space / brute_rate(table)
            brute_text = f"{t_brute:8.0f} est."
        fast = t_best + (t_count if np.isfinite(t_count) else 0.0)
        ratio = f"{t_brute / fast:19.0f}"
        print(f"{step:5g} {format_count(space):>10} {t_exists:7.2f} {t_best:10.2f} {count_text} "
              f"{size:>11} {brute_text} {ratio}")

    # Monte Carlo style: many perturbed scenarios searched as one batch, or one by one.
    rng = np.random.default_rng(0)
    problem = SettlementProblem.from_scenario(scenario, 25)
    arrays = problem.arrays.broadcast_batch(args.batch)
    noisy = arrays.replace(
        position=np.clip(arrays.position + rng.normal(0, 0.05, arrays.position.shape), 0, 1),
        trust=np.clip(arrays.trust + rng.normal(0, 0.1, arrays.trust.shape), 0, 1))
    batched = problem.replace(arrays=noisy)
    table = build_table(batched)
    together, t_together = timed(zone_exists, table, "bnb")
    start = time.perf_counter()
    one_by_one = np.array([zone_exists(table.subset(np.array([b])), "bnb")[0]
                           for b in range(args.batch)])
    t_loop = time.perf_counter() - start
    assert np.array_equal(together, one_by_one)
    print(f"\nzone non-empty over {args.batch} perturbed scenarios (step 25): batched "
          f"{t_together:.2f} s, loop {t_loop:.2f} s, ratio {t_loop / t_together:.1f}; "
          f"non-empty in {together.mean():.0%}")
    milp_against_bnb(scenario, args.milp_steps)
    forms_side_by_side(scenario, args.forms_steps)


if __name__ == "__main__":
    main()
