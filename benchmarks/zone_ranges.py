"""Per-issue zones on korea-2017, this tree against another revision, in one run.

    PYTHONPATH=src python benchmarks/zone_ranges.py --base REV [--steps 5% 2% 1%]
        [--limit 300]

Per grid step, each tree in a fresh interpreter (the revision's ``src/`` exported with
``git archive``, as benchmarks/zone_row.py does; the two alternate which goes first from one
step to the next) times :func:`detente.settlement.zone.issue_ranges` alone (the gain table
built before the clock starts) and prints its wall and CPU seconds, or that it was refused
(the refusal's first line, and how long it took to refuse), or that it ran past ``--limit``
seconds and was stopped. Then the ratio base / this where both finished, and whether both
gave the same ranges bit for bit (a digest of the JSON of ``ZoneRanges.to_dict()``); where
the base ran past the limit the ratio is only a lower bound and is printed as such; where
this tree refused, no ratio (a refusal is no answer), only how long it took to refuse. The
load average is printed at the start and at the end: on the shared 2-core machine compare
within a run, never across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from sample_batched import export

ROOT = Path(__file__).resolve().parent.parent

# One step on the tree at sys.argv[1]; prints one JSON line.
CHILD = r"""
import hashlib, json, resource, sys, time
sys.path.insert(0, sys.argv[1])
import detente
from detente.errors import OptionError
from detente.settlement.problem import SettlementProblem
from detente.settlement.search import build_table
from detente.settlement.zone import issue_ranges

problem = SettlementProblem.from_scenario(detente.load("korea-2017"), sys.argv[2])
table = build_table(problem)
own = resource.getrusage(resource.RUSAGE_SELF)
cpu0, wall0 = own.ru_utime + own.ru_stime, time.perf_counter()
try:
    text = json.dumps(issue_ranges(problem, table=table).to_dict(), sort_keys=True)
    out = {"digest": hashlib.sha256(text.encode()).hexdigest()}
except OptionError as err:
    out = {"refused": str(err).splitlines()[0]}
own = resource.getrusage(resource.RUSAGE_SELF)
out.update(wall=time.perf_counter() - wall0, cpu=own.ru_utime + own.ru_stime - cpu0,
           space=int(table.space_size[0]))
print(json.dumps(out))
"""


def child_run(src: Path, step: str, limit: float, child: str = CHILD) -> dict[str, object]:
    """``child`` (a program printing one JSON line) on the tree ``src`` at ``step``."""
    try:
        done = subprocess.run([sys.executable, "-c", child, str(src), step], check=True,
                              stdout=subprocess.PIPE, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return {"stopped": limit}
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def shown(run: dict[str, object]) -> str:
    if "stopped" in run:
        return f"> {float(str(run['stopped'])):.0f} s (stopped)"
    head = f"{float(str(run['wall'])):7.2f} s wall, {float(str(run['cpu'])):7.2f} s CPU"
    if "refused" in run:
        return f"{head}, refused: {run['refused']}"
    return f"{head}, ranges {str(run['digest'])[:12]}"


def arguments(doc: str, steps: list[str]) -> argparse.Namespace:
    """The options every this-against-a-revision benchmark of korea-2017's steps takes."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--base", required=True, help="the revision to compare with")
    parser.add_argument("--steps", nargs="+", default=steps)
    parser.add_argument("--limit", type=float, default=300.0,
                        help="seconds a run may take before it is stopped")
    return parser.parse_args()


def paired(args: argparse.Namespace, child: str, shown: Callable[[dict[str, object]], str]
           ) -> Iterator[tuple[str, dict[str, dict[str, object]]]]:
    """Per step, ``child`` on this tree and on ``args.base`` in fresh interpreters (the two
    alternate which goes first from one step to the next), each run printed as it ends;
    the load average at the start and at the end."""
    print(f"{os.cpu_count()} CPUs; load average (1, 5, 15 min) at the start: "
          f"{load_average()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"this": ROOT / "src", args.base: export(args.base, Path(tmp))}
        for n, step in enumerate(args.steps):
            order = list(trees) if n % 2 == 0 else list(trees)[::-1]
            runs = {}
            for side in order:
                runs[side] = run = child_run(trees[side], step, args.limit, child)
                print(f"step {step:>4} {side:>10}: {shown(run)}; load {load_average()}",
                      flush=True)
            yield step, runs
    print(f"load average at the end: {load_average()}")


def main() -> int:
    args = arguments(__doc__ or "", ["5%", "2%", "1%"])
    for step, runs in paired(args, CHILD, shown):
        this, base = runs["this"], runs[args.base]
        if "wall" in this and "digest" in this and "digest" in base:
            ratio = float(str(base["wall"])) / float(str(this["wall"]))
            same = "yes" if base["digest"] == this["digest"] else "NO"
            print(f"step {step:>4}: {args.base} / this {ratio:.2f} (wall); "
                  f"the same ranges bit for bit: {same}", flush=True)
        elif "digest" in this and "stopped" in base:
            ratio = float(str(base["stopped"])) / float(str(this["wall"]))
            print(f"step {step:>4}: {args.base} / this > {ratio:.1f} (wall; the base "
                  "stopped at the limit)", flush=True)
        elif "refused" in this:  # a refusal is no answer: no ratio
            there = "ran past the limit" if "stopped" in base else "answered"
            print(f"step {step:>4}: this refused after {float(str(this['wall'])):.1f} s "
                  f"where {args.base} {there}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
