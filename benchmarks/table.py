"""Issue 15's performance table, every row measured in one run (docs/performance.md).

    PYTHONPATH=src python benchmarks/table.py [--quick] [--skip smp ...] [--samples 10000]

Rows (``--skip`` takes these names):

* ``smp``: SMP on KTAB's 160-actor file to KTAB's stopping rule; KTAB's ``smpc`` cannot be
  built here (Qt5), so its time is quoted (marked *quoted*).
* ``bdm-ec``, ``bdm-200``: BDM on the EC car-emission table (10 actors x 10 rounds, best of
  20) and on 200 random actors x 10 rounds (``benchmarks/bdm.py``'s scenario); jmckib's code
  is not in the shared data, so its times are quoted.
* ``settle``: korea-2017 at steps 5, 2 and 1: the zone test, the best Nash package, the
  max-min package and the smallest accord (each as `detente settle` runs it, method auto),
  against the reference of issue 15, a plain HiGHS max-min MILP over the same gain table
  (:func:`reference_max_min`), its score checked equal.
* ``zone``: P(zone non-empty) over ``--samples`` Monte Carlo samples at step 5 (the
  screened kernel of `detente sample -m settle`) against the unscreened exact search of the
  same samples, timed on the first ``--unscreened`` samples and scaled (marked *est.*).
* ``monte-carlo``: samples/s per model; the rows come from ``monte_carlo_rows()`` of a
  ``benchmarks/sample*.py`` that defines it (the batched bdm/smp work), else this branch's
  engine is timed directly (marked *engine*).
* ``cli``: `detente forecast` (the console script pip installs, this tree compiled to
  bytecode as an install has it) and `import detente` as fresh processes, median of
  ``--repeat`` runs, wall and CPU seconds.

Every time is wall-clock seconds on this machine, whose load is printed at the start and end
of the run: on the shared 2-core machine the load moves times several-fold, so compare
within a run, never across runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import math
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT), str(ROOT / "benchmarks")]

import detente  # noqa: E402

KTAB = ROOT.parent / "shared" / "research" / "data" / "ktab" / "smp"
ROWS = ("smp", "bdm-ec", "bdm-200", "settle", "zone", "monte-carlo", "cli")


@dataclass(frozen=True)
class Row:
    what: str
    detente: str
    reference: str
    goal: str
    met: str


def timed(call: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Best of ``repeat`` wall times (s) and the last result."""
    best, result = math.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - start)
    return best, result


def seconds(s: float) -> str:
    if not math.isfinite(s):
        return "–"
    if s < 1e-2:
        return f"{s * 1e3:.2f} ms"
    if s < 1:
        return f"{s * 1e3:.0f} ms"
    return f"{s:.2f} s" if s < 100 else f"{s:.0f} s"


def load_average() -> str:
    if not hasattr(os, "getloadavg"):
        return "unknown"
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- SMP -------------------------------------------------------------------------------


def smp_row() -> Row:
    from detente.models.smp import SMPOptions, run_smp

    path = KTAB / "dummyData-a160.csv"
    if not path.exists():
        return Row("SMP, KTAB's 160-actor file", "data not found", "", "", "not measured")
    arrays = detente.load(path).compile()
    total, result = timed(lambda: run_smp(arrays.capability, arrays.position,
                                          arrays.salience, SMPOptions()))
    states = int(result.states[0])
    quoted = 572.0  # issue 15: KTAB smpc built -O2 on this kind of machine
    return Row("SMP, KTAB's 160-actor file", f"{seconds(total)} ({states} states)",
               f"KTAB smpc -O2: 572 s, quoted (issue 15); Debug build > 500 s unfinished "
               f"(docs/smp.md): {quoted / total:.0f}x", "met in issue 15 — keep it",
               "yes" if total < quoted else "no")


# --- BDM -------------------------------------------------------------------------------


def bdm_ec_row(repeat: int) -> Row:
    from tests.shared_data import shared_path

    from detente.models.bdm import Bdm, simulate

    path = (shared_path("bdm") / "jmckib__bdm-scholz-expected-utility-model"
            / "ExampleActors.csv")
    if not path.exists():
        return Row("BDM, EC table 10 actors x 10 rounds", "data not found", "", "",
                   "not measured")
    arrays = detente.load(str(path)).compile()
    opts = Bdm.preset("printed", max_rounds=10, stop_eps=0.0).options
    simulate(arrays, opts)  # imports and caches
    best, _ = timed(lambda: simulate(arrays, opts), repeat)
    jmckib = 2.11  # issue 15, quoted: jmckib's Python code is not in the shared data
    return Row("BDM, EC table 10 actors x 10 rounds", f"{seconds(best)} (best of {repeat})",
               f"jmckib: 2.11 s, quoted (issue 15): {jmckib / best:.0f}x",
               ">= 1000x (<= 2 ms)", "yes" if best <= 2e-3 else "no")


def bdm_200_row() -> Row:
    from bdm import scenario

    from detente.models.bdm import Bdm, simulate

    arrays = scenario(200, 1, seed=200)
    opts = Bdm.preset("printed", max_rounds=10, stop_eps=0.0).options
    simulate(arrays, Bdm.preset("printed", max_rounds=1, stop_eps=0.0).options)
    took, _ = timed(lambda: simulate(arrays, opts))
    return Row("BDM, 200 actors x 10 rounds", seconds(took),
               "jmckib: ~1e8 s, extrapolated in issue 15 (quoted)", "< 0.2 s",
               "yes" if took < 0.2 else "no")


# --- settle ----------------------------------------------------------------------------


def reference_max_min(table: Any) -> tuple[float, np.ndarray]:
    """Issue 15's reference: a plain HiGHS max-min MILP over detente's gain table (one
    scenario), y one-hot per issue, max z s.t. z <= g_a(y), g_a(y) >= 1e-9. No rescaling,
    no exact re-check: the yardstick detente's MILP is measured and checked against."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    issue_of, slot_of = np.nonzero(table.valid[0])
    must = table.must_agree[0]
    gains = table.gains[0][issue_of, slot_of][:, must].T  # parties x columns
    n, parties = issue_of.size, gains.shape[0]
    one_hot = np.zeros((table.n_issues, n + 1))
    one_hot[issue_of, np.arange(n)] = 1.0
    link = np.hstack([-gains, np.ones((parties, 1))])
    zone = np.hstack([gains, np.zeros((parties, 1))])
    c = np.zeros(n + 1)
    c[-1] = -1.0
    res = milp(c, integrality=np.r_[np.ones(n), 0.0],
               bounds=Bounds(np.r_[np.zeros(n), -np.inf], np.r_[np.ones(n), np.inf]),
               constraints=[LinearConstraint(one_hot, 1, 1),
                            LinearConstraint(link, -np.inf, 0),
                            LinearConstraint(zone, 1e-9, np.inf)])
    if res.status != 0:
        return -math.inf, np.zeros(0, dtype=int)
    chosen = np.round(res.x[:n]) > 0.5
    slots = np.zeros(table.n_issues, dtype=int)
    slots[issue_of[chosen]] = slot_of[chosen]
    return float(-res.fun), slots


def settle_rows(steps: Iterable[float]) -> list[Row]:
    from detente.settlement.problem import SettlementProblem
    from detente.settlement.search import (
        SearchTooLarge,
        best_packages,
        build_table,
        smallest_accords,
        zone_exists,
    )

    korea = detente.load("korea-2017")
    rows = []
    for step in steps:
        table = build_table(SettlementProblem.from_scenario(korea, step))
        cells = {}
        tasks = {"zone": lambda t=table: zone_exists(t)[0],
                 "best Nash": lambda t=table: best_packages(t, "nash")[0],
                 "max-min": lambda t=table: best_packages(t, "maxmin")[0],
                 "smallest accord": lambda t=table: smallest_accords(t)[0]}
        results = {}
        for name, task in tasks.items():
            try:
                cells[name], results[name] = timed(task)
            except SearchTooLarge:
                cells[name] = math.nan
        # The reference reads the per-issue gains only (issue 15 predates the pair terms,
        # rules and walk-away points of issue 16), so its score is checked against detente's
        # max-min on that same separable table; the times above are the full problem's.
        separable = dataclasses.replace(table, pairs=(), offset=None)
        ref_s, (ref_score, _) = timed(lambda t=separable: reference_max_min(t))
        ours = best_packages(separable, "maxmin")[0]
        same = ours.found and abs(float(ours.score[0]) - ref_score) < 1e-7
        worst = max(cells.values())
        size = int(table.space_size[0])
        rows.append(Row(
            f"`detente settle` korea-2017 step {step:g} ({size:.2g} packages): "
            "zone / best Nash / max-min / smallest accord",
            " / ".join(seconds(v) for v in cells.values()),
            f"HiGHS max-min MILP over the per-issue gains: {seconds(ref_s)}; detente's "
            f"max-min there {'equal' if same else 'DIFFERENT'} ({ref_score:.6g})",
            "each < 1 s at step 1" if step == 1 else "—",
            ("yes" if worst < 1 else "no") if step == 1 else "—"))
    return rows


# --- P(zone non-empty) ----------------------------------------------------------------


def zone_row(samples: int, unscreened: int) -> Row:
    from detente.settlement.problem import SettlementProblem
    from detente.settlement.search import build_table, chosen_method, zone_exists
    from detente.uncertainty import input_space, sample
    from detente.uncertainty.engine import draw_rows
    from detente.uncertainty.inputs import DEFAULT_NOISE

    korea = detente.load("korea-2017")
    seed = 1
    took, result = timed(lambda: sample(korea, "settle", samples=samples, rng=seed,
                                        options={"step": 5.0}))
    stages = result.settlement.zone_stages
    # The same draws, searched without the screen: the method `auto` picks for a batch,
    # named, so that zone_exists does not screen.
    space = input_space(korea, DEFAULT_NOISE)
    arrays = space.assemble(draw_rows(space, seed, 0, unscreened))
    table = build_table(SettlementProblem.from_scenario(korea, 5.0).replace(arrays=arrays))
    method = chosen_method(table, "auto")
    plain_s, plain = timed(lambda: zone_exists(table, method))
    same = bool(np.array_equal(plain, result.outputs["zone"][:unscreened]))
    estimate = plain_s * samples / unscreened
    return Row(f"P(zone non-empty), {samples:,} samples, step 5",
               f"{seconds(took)} (P = {result.settlement.zone:.1%}; decided by bound "
               f"{stages['bound']:,}, incumbent {stages['incumbent']:,}, exact "
               f"{stages['exact']:,})",
               f"unscreened exact search ({method}): {seconds(estimate)} est. (timed on "
               f"{unscreened} "
               f"samples, answers {'equal' if same else 'DIFFERENT'}): "
               f"{estimate / took:.0f}x", "< 30 s", "yes" if took < 30 else "no")


# --- Monte Carlo -----------------------------------------------------------------------


def monte_carlo_rows(quick: bool) -> list[Row]:
    """From ``monte_carlo_rows()`` of a benchmarks/sample*.py when one defines it."""
    notes = []
    for path in sorted((ROOT / "benchmarks").glob("sample*.py")):
        spec = importlib.util.spec_from_file_location(f"_bench_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as err:  # a script of another branch may not import here
            notes.append(f"{path.name}: {type(err).__name__}: {err}")
            continue
        rows = getattr(module, "monte_carlo_rows", None)
        if rows is None:
            continue
        out = []
        for row in rows():
            if isinstance(row, Row):
                out.append(row)
            elif isinstance(row, dict):
                out.append(Row(*(str(row.get(k, "")) for k in
                                 ("what", "detente", "reference", "goal", "met"))))
            else:
                cells = [str(c) for c in row] + [""] * 5
                out.append(Row(*cells[:5]))
        return out
    return _engine_rates(quick, notes)


def _engine_rates(quick: bool, notes: list[str]) -> list[Row]:
    from detente.uncertainty import sample

    korea = detente.load("korea-2017")
    cells = []
    for model, n in (("compromise", 20_000), ("nash", 2_000), ("bdm", 400), ("smp", 200)):
        n = max(50, n // 10) if quick else n
        sample(korea, model, samples=20, rng=7, workers=1)  # imports, caches
        took, _ = timed(lambda m=model, k=n: sample(korea, m, samples=k, rng=7))
        cells.append((model, n / took))
    why = ("no benchmarks/sample*.py defines monte_carlo_rows() in this branch"
           + (f" ({'; '.join(notes)})" if notes else ""))
    return [Row("Monte Carlo samples/s, korea-2017: " + " / ".join(m for m, _ in cells),
                " / ".join(f"{r:,.0f}" for _, r in cells) + f" (engine; {why})", "—",
                "1e5 samples < 60 s for every model (bdm, smp >= 2k/s)",
                "yes" if all(r >= 2_000 for _, r in cells) else "no")]


# --- CLI start-up ----------------------------------------------------------------------


def process_times(command: list[str], repeat: int, env: dict[str, str] | None = None
                  ) -> tuple[float, float]:
    """Median wall and CPU seconds (user + system, from the OS) of fresh processes."""
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def cli_row(repeat: int) -> Row:
    import compileall
    import tempfile

    from cli_start import console_script

    python = sys.executable
    env_src = str(ROOT / "src")
    # What a user runs: the console script pip installs (benchmarks/cli_start.py), on this
    # tree compiled to bytecode as an install has it.
    compileall.compile_dir(ROOT / "src", quiet=1)
    env = dict(os.environ, PYTHONPATH=env_src, PYTHONDONTWRITEBYTECODE="1")
    with tempfile.TemporaryDirectory() as tmp:
        command = [str(console_script(ROOT, Path(tmp))), "forecast"]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)  # file cache
        wall, cpu = process_times(command, repeat, env)
    imp_wall, imp_cpu = process_times(
        [python, "-c", f"import sys; sys.path.insert(0, {env_src!r}); import detente"], repeat)
    bare_wall, bare_cpu = process_times([python, "-c", "pass"], repeat)
    return Row("`detente forecast` wall time, cold",
               f"{seconds(wall)} wall, {seconds(cpu)} CPU (median of {repeat}); "
               f"`import detente` {seconds(imp_wall)} / {seconds(imp_cpu)} CPU; bare Python "
               f"{seconds(bare_wall)} / {seconds(bare_cpu)} CPU", "—", "< 0.4 s",
               "yes" if wall < 0.4 else "no")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    parser.add_argument("--skip", nargs="*", default=[], choices=ROWS)
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--unscreened", type=int, default=200)
    parser.add_argument("--steps", type=float, nargs="+", default=[5, 2, 1])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    start_load = load_average()
    print(f"{os.cpu_count()} CPUs; load average (1, 5, 15 min) at the start: {start_load}",
          flush=True)
    producers: dict[str, Callable[[], list[Row]]] = {
        "smp": lambda: [smp_row()],
        "bdm-ec": lambda: [bdm_ec_row(5 if args.quick else 20)],
        "bdm-200": lambda: [bdm_200_row()],
        "settle": lambda: settle_rows(args.steps),
        "zone": lambda: [zone_row(args.samples // (10 if args.quick else 1),
                                  args.unscreened // (4 if args.quick else 1))],
        "monte-carlo": lambda: monte_carlo_rows(args.quick),
        "cli": lambda: [cli_row(3 if args.quick else args.repeat)],
    }
    rows: list[Row] = []
    for name in ROWS:
        if name in args.skip:
            continue
        began = time.perf_counter()
        produced = producers[name]()
        rows.extend(produced)
        for row in produced:
            print(f"  {name}: {row.detente}  [{time.perf_counter() - began:.0f} s]", flush=True)
    print(f"\nload average at the end: {load_average()}\n")
    print("| what | detente | reference (same run unless marked) | goal | met |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(f"| {row.what} | {row.detente} | {row.reference} | {row.goal} | {row.met} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
