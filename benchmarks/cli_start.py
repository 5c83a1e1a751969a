"""`detente forecast` as a fresh process: this tree against another revision, paired.

    python benchmarks/cli_start.py [--base REV] [--pairs 10] [-- ARGS...]

The base revision's ``src/`` is exported to a temporary folder (``git archive``; no
checkout or worktree is touched) and both trees are compiled to bytecode first, as an
installed package is, so that neither pays for compiling its sources. Then the two
commands run in turn, A B A B ..., each a fresh interpreter running
``detente.cli.main()`` with ``ARGS`` (default: ``forecast``, korea-2017 with every model
and the combined forecast). Printed: each side's median CPU (user + system, from the
operating system) and wall seconds, the median of the pair-by-pair CPU ratios (the figure
to quote on a loaded machine, where wall times move several-fold between runs), and
whether both printed the same bytes.
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def command(src: Path, args: list[str]) -> list[str]:
    return [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(src)!r}); "
            f"sys.argv = ['detente', *{args!r}]; from detente.cli import main; main()"]


def timed(cmd: list[str]) -> tuple[float, float, bytes]:
    """Wall seconds, CPU seconds (user + system of the child) and standard output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, check=True, stdout=subprocess.PIPE)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, done.stdout


def export(rev: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"], check=True,
                             stdout=subprocess.PIPE).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main", help="revision to compare with (main)")
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("args", nargs="*", default=["forecast"])
    options = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; load average at the start: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"this tree": ROOT / "src", options.base: export(options.base, Path(tmp))}
        for src in trees.values():
            compileall.compile_dir(src, quiet=1)
        cmds = {name: command(src, options.args) for name, src in trees.items()}
        outputs = {name: timed(cmd)[2] for name, cmd in cmds.items()}  # warm-up
        walls: dict[str, list[float]] = {name: [] for name in cmds}
        cpus: dict[str, list[float]] = {name: [] for name in cmds}
        for _ in range(options.pairs):
            for name, cmd in cmds.items():
                wall, cpu, _ = timed(cmd)
                walls[name].append(wall)
                cpus[name].append(cpu)
    print(f"`detente {' '.join(options.args)}`, {options.pairs} pairs, in turn:")
    for name in cmds:
        print(f"  {name:>12}: CPU {statistics.median(cpus[name]):.3f} s, wall "
              f"{statistics.median(walls[name]):.3f} s (medians; CPU min "
              f"{min(cpus[name]):.3f}, max {max(cpus[name]):.3f})")
    this, base = cpus["this tree"], cpus[options.base]
    ratios = [a / b for a, b in zip(this, base, strict=True)]
    print(f"  CPU this / {options.base}: median {statistics.median(ratios):.2f} "
          f"(min {min(ratios):.2f}, max {max(ratios):.2f})")
    same = outputs["this tree"] == outputs[options.base]
    print(f"  same output: {'yes' if same else 'NO'}")
    print(f"load average at the end: {os.getloadavg()}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
