"""Seconds until ``settle`` refuses, this tree against another revision, in one run.

    PYTHONPATH=src python benchmarks/settle_refusal.py --base REV [--steps 1% 2%]
        [--limit 300]

``detente settle korea-2017 --step 1%`` (zones on, as on the command line) is refused at
``--zones``: only the MILP could list the 200 best packages the efficient ranges need. Per
grid step, each tree in a fresh interpreter (the revision's ``src/`` exported with ``git
archive``, as benchmarks/zone_ranges.py does; the two alternate which goes first) times
:func:`detente.settle` from the call to the refusal, and prints its wall and CPU seconds and
the refusal's first line (or that it answered, or ran past ``--limit`` seconds), then the
ratio base / this. The load average is printed at the start and at the end: on the shared
2-core machine compare within a run, never across runs.
"""

from __future__ import annotations

import sys

import zone_ranges

# One step on the tree at sys.argv[1]; prints one JSON line.
CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
import detente
from detente.errors import OptionError

detente.load("korea-2017")  # the scenario's loading is not what is timed
own = resource.getrusage(resource.RUSAGE_SELF)
cpu0, wall0 = own.ru_utime + own.ru_stime, time.perf_counter()
try:
    detente.settle("korea-2017", step=sys.argv[2])
    out = {"answered": True}
except OptionError as err:
    out = {"refused": str(err).splitlines()[0][:120]}
own = resource.getrusage(resource.RUSAGE_SELF)
out.update(wall=time.perf_counter() - wall0, cpu=own.ru_utime + own.ru_stime - cpu0)
print(json.dumps(out))
"""


def shown(run: dict[str, object]) -> str:
    if "refused" in run or "stopped" in run:
        return zone_ranges.shown(run)
    return f"{float(str(run['wall'])):7.2f} s wall, {float(str(run['cpu'])):7.2f} s CPU, answered"


def main() -> int:
    args = zone_ranges.arguments(__doc__ or "", ["1%"])
    for step, runs in zone_ranges.paired(args, CHILD, shown):
        this, base = runs["this"], runs[args.base]
        if "refused" in this and "refused" in base:
            print(f"step {step:>4}: seconds to the refusal, {args.base} / this "
                  f"{float(str(base['wall'])) / float(str(this['wall'])):.2f} (wall), "
                  f"{float(str(base['cpu'])) / float(str(this['cpu'])):.2f} (CPU)",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
