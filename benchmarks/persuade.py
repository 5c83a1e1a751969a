"""Persuasion scans: one actor's rows against every actor's, measured in one run.

    PYTHONPATH=src python benchmarks/persuade.py [--actors 40] [--step 25] [--repeat 1]

For a generated crowded scenario (``--actors`` actors, three issues, two guarantors:
tests/test_figure_presets.py) and for korea-2017 (every mechanism declared), every blocker
of every named package is scanned as ``detente settle`` scans it: its trust threshold in
each deliverer (``_trust_needed``), its scanned single-issue win-overs (``_win_over_scan``,
where the scenario has mechanisms) and its position, salience and walk-away levers
(``_levers``). Each is timed (CPU seconds) as settle runs it now, on the blocker's own rows
(docs/settle.md, *Evaluating one actor*), and as it ran before, on every actor's rows with
every guarantor in the credibility product: the plain code kept in
tests/test_settlement_one_actor.py as the reference. Every answer is checked equal, and
the ratio reference / vectorised is printed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the tests package: its reference code

from tests.test_figure_presets import crowded_scenario  # noqa: E402
from tests.test_settlement_one_actor import (  # noqa: E402
    credibility_reference,
    levers_reference,
    trust_needed_reference,
    win_over_scan_reference,
)

import detente  # noqa: E402
from detente.scenario import Scenario  # noqa: E402
from detente.settlement import mechanisms, utility  # noqa: E402
from detente.settlement.analysis import _trust_needed, _win_over_scan, analyse_packages  # noqa: E402
from detente.settlement.persuasion import _levers  # noqa: E402
from detente.settlement.problem import SettlementProblem  # noqa: E402
from detente.settlement.utility import UtilitySettings  # noqa: E402

Scan = Callable[..., Any]


@contextmanager
def plain_credibility() -> Iterator[None]:
    """Every guarantor in the credibility product, as before (the modules that call it)."""
    saved = utility.credibility, mechanisms.credibility
    utility.credibility = mechanisms.credibility = credibility_reference  # type: ignore[assignment]
    try:
        yield
    finally:
        utility.credibility, mechanisms.credibility = saved


def scans(problem: SettlementProblem, fast: bool) -> list[tuple[Scan, tuple[Any, ...]]]:
    """Every blocker scan settle runs on the problem's named packages, with its arguments."""
    settings = UtilitySettings()
    trust, win, levers = ((_trust_needed, _win_over_scan, _levers) if fast else
                          (trust_needed_reference, win_over_scan_reference, levers_reference))
    out = []
    for package in problem.packages:
        unit = problem.package_values([package])[0]
        (result,) = analyse_packages(problem, [package], settings)
        for b_id in result.blockers:
            args = (problem, package, unit, settings, problem.actor_ids.index(b_id))
            out.append((trust, args))
            if not problem.mechanisms.is_empty:
                out.append((win, args))
            out.append((levers, args))
    return out


def measure(problem: SettlementProblem, fast: bool, repeat: int) -> tuple[float, list[Any]]:
    """The least CPU seconds of ``repeat`` runs of every scan, and the answers."""
    todo = scans(problem, fast)
    best, answers = float("inf"), []
    for _ in range(repeat):
        start = time.process_time()
        answers = [scan(*args) for scan, args in todo]
        best = min(best, time.process_time() - start)
    return best, answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actors", type=int, default=40)
    parser.add_argument("--step", type=float, default=25.0)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    cases: list[tuple[str, Scenario]] = [
        (f"crowded-{args.actors}", crowded_scenario(n_actors=args.actors)),
        ("korea-2017", detente.load("korea-2017"))]
    print(f"{'scenario':<12} {'actors':>6} {'scans':>6} {'vectorised s':>13} "
          f"{'reference s':>12} {'ratio':>7}  answers")
    for name, scenario in cases:
        problem = SettlementProblem.from_scenario(scenario, args.step)
        fast, got = measure(problem, True, args.repeat)
        with plain_credibility():
            slow, want = measure(problem, False, args.repeat)
        same = "equal" if got == want else "DIFFER"
        print(f"{name:<12} {problem.arrays.n_actors:>6} {len(got):>6} {fast:>13.3f} "
              f"{slow:>12.3f} {slow / fast:>7.1f}  {same}")
        if got != want:
            raise SystemExit(f"{name}: the one-actor scans differ from the reference")


if __name__ == "__main__":
    main()
