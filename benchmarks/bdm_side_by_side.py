"""BDM's speed, this tree against another revision's ``src/detente/models/bdm.py``, in one
process, alternating.

    PYTHONPATH=src python benchmarks/bdm_side_by_side.py [--base REV] [--pairs 15]

The base revision's ``bdm.py`` (``git show``; no checkout is touched) is loaded as a module
beside this tree's, on this tree's other modules (the scenario, arrays and the compromise
model's weighted mean, which a change of ``bdm.py`` alone leaves as they are). Then, in
turn, base and this tree time the EC car-emission table (10 actors x 10 rounds, ``printed``,
stopping rule off: best of 20 runs) and 200 random actors x 10 rounds
(``benchmarks/bdm.py``'s scenario, best of 3), ``--pairs`` times. Printed: each side's
median of those bests, the median of the pair-by-pair ratios (the figure to quote on a
loaded machine), whether the two give the same trajectories bit for bit, and the load
average at the start and the end. Times are CPU seconds of this process (the wall clock
of a shared machine counts other people's jobs).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]


def base_module(rev: str, into: Path) -> ModuleType:
    text = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:src/detente/models/bdm.py"],
                          check=True, stdout=subprocess.PIPE).stdout
    path = into / "bdm_base.py"
    path.write_bytes(text)
    spec = importlib.util.spec_from_file_location("bdm_base", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def best(call: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        call()
        times.append(time.process_time() - start)
    return min(times)


def main() -> int:
    import numpy as np
    from bdm import scenario
    from tests.shared_data import shared_path

    import detente
    from detente.models import bdm as this

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main", help="revision to compare with (main)")
    parser.add_argument("--pairs", type=int, default=15)
    options = parser.parse_args()
    ec_path = (shared_path("bdm") / "jmckib__bdm-scholz-expected-utility-model"
               / "ExampleActors.csv")
    cases = {"EC table, 10 actors x 10 rounds (best of 20)":
             (detente.load(str(ec_path)).compile(), 20),
             "200 actors x 10 rounds (best of 3)": (scenario(200, 1, seed=200), 3)}
    print(f"{os.cpu_count()} CPUs; load average at the start: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        modules = {options.base: base_module(options.base, Path(tmp)), "this tree": this}
        same = True
        for label, (arrays, repeat) in cases.items():
            runs = {}
            for name, module in modules.items():
                opts = module.Bdm.preset("printed", max_rounds=10, stop_eps=0.0).options
                runs[name] = (module, opts)
                module.simulate(arrays, opts)  # caches, first-call costs
            a, b = (module.simulate(arrays, opts) for module, opts in runs.values())
            same &= a.trajectory.tobytes() == b.trajectory.tobytes() and \
                a.forecast.tobytes() == b.forecast.tobytes() and \
                np.array_equal(a.rounds, b.rounds)
            times: dict[str, list[float]] = {name: [] for name in runs}
            for _ in range(options.pairs):
                for name, (module, opts) in runs.items():
                    times[name].append(best(
                        lambda m=module, o=opts, a=arrays: m.simulate(a, o), repeat))
            ratios = [t / s for t, s in zip(times["this tree"], times[options.base],
                                            strict=True)]
            print(f"{label}, {options.pairs} pairs in turn:")
            for name, values in times.items():
                print(f"  {name:>12}: median {statistics.median(values) * 1e3:.3f} ms "
                      f"(min {min(values) * 1e3:.3f}, max {max(values) * 1e3:.3f})")
            print(f"  this / {options.base}: median {statistics.median(ratios):.3f} "
                  f"(min {min(ratios):.3f}, max {max(ratios):.3f})")
    print(f"same trajectories and forecasts bit for bit: {'yes' if same else 'NO'}")
    print(f"load average at the end: {os.getloadavg()}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
