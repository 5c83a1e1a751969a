"""`detente forecast` as a user runs it: the console script, a fresh process, this tree
against another revision, paired.

    python benchmarks/cli_start.py [--base REV] [--pairs 10] [--no-compile] [-- ARGS...]

Each tree runs through its own console script: the file pip writes for the ``detente``
entry of the tree's ``pyproject.toml`` (``from MODULE import main; sys.exit(main())``,
started by this interpreter), with the tree's ``src/`` first on ``PYTHONPATH``, so the
same installed dependencies serve both. The base revision's ``src/`` and
``pyproject.toml`` are exported to a temporary folder (``git archive``; no checkout or
worktree is touched).

Bytecode: ``pip install .`` compiles every module when it installs, and an editable install
writes the bytecode on its first run, so a user's ``detente`` reads compiled modules. Both
trees are compiled first (the default) to measure that. ``--no-compile`` measures trees
without bytecode instead: what every run costs where nothing may be written
(``PYTHONDONTWRITEBYTECODE=1`` with an editable install, as on the shared development
machine, where each run compiles detente's sources again).

Then the two commands run in turn, A B A B ..., ``ARGS`` (default: ``forecast``, korea-2017
with every model and the combined forecast) after one warm-up each. Printed: each side's
median wall and CPU (user + system, from the operating system) seconds, the medians of the
pair-by-pair ratios of both, whether both printed the same bytes, and the load average.
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What pip writes for a console_scripts entry (pip's own template).
SCRIPT = """#!{python}
# -*- coding: utf-8 -*-
import re
import sys
from {module} import {function}
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit({function}())
"""


def console_script(tree: Path, into: Path) -> Path:
    """The ``detente`` script pip would install from ``tree``'s pyproject.toml."""
    entry = tomllib.loads((tree / "pyproject.toml").read_text())["project"]["scripts"]
    module, function = entry["detente"].split(":")
    path = into / "detente"
    path.write_text(SCRIPT.format(python=sys.executable, module=module, function=function))
    path.chmod(0o755)
    return path


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, bytes]:
    """Wall seconds, CPU seconds (user + system of the child) and standard output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, done.stdout


def export(rev: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src", "pyproject.toml"],
                             check=True, stdout=subprocess.PIPE).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def copy_tree(into: Path) -> Path:
    """This tree's src/ and pyproject.toml, without bytecode (for --no-compile)."""
    shutil.copytree(ROOT / "src", into / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", into / "pyproject.toml")
    return into


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main", help="revision to compare with (main)")
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--no-compile", action="store_true",
                        help="trees without bytecode (each run compiles the sources)")
    parser.add_argument("args", nargs="*", default=["forecast"])
    options = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; load average at the start: {os.getloadavg()}; "
          f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}")
    with tempfile.TemporaryDirectory() as tmp:
        base_dir, this_dir = Path(tmp, "base"), Path(tmp, "this")
        base_dir.mkdir()
        this_dir.mkdir()
        trees = {"this tree": copy_tree(this_dir) if options.no_compile else ROOT,
                 options.base: export(options.base, base_dir)}
        cmds, envs = {}, {}
        for name, tree in trees.items():
            if not options.no_compile:
                compileall.compile_dir(tree / "src", quiet=1)
            scripts = Path(tmp, "bin-" + name.replace(" ", "-").replace("/", "-"))
            scripts.mkdir()
            cmds[name] = [str(console_script(tree, scripts)), *options.args]
            # Nothing is written during the runs: each run of a --no-compile tree compiles.
            envs[name] = dict(os.environ, PYTHONPATH=str(tree / "src"),
                              PYTHONDONTWRITEBYTECODE="1")
        outputs = {name: timed(cmd, envs[name])[2] for name, cmd in cmds.items()}  # warm-up
        walls: dict[str, list[float]] = {name: [] for name in cmds}
        cpus: dict[str, list[float]] = {name: [] for name in cmds}
        for _ in range(options.pairs):
            for name, cmd in cmds.items():
                wall, cpu, _ = timed(cmd, envs[name])
                walls[name].append(wall)
                cpus[name].append(cpu)
    bytecode = "without bytecode" if options.no_compile else "compiled to bytecode"
    print(f"`detente {' '.join(options.args)}`, console script, fresh processes, both trees "
          f"{bytecode}, {options.pairs} pairs in turn:")
    for name in cmds:
        print(f"  {name:>12}: wall {statistics.median(walls[name]):.3f} s, CPU "
              f"{statistics.median(cpus[name]):.3f} s (medians; wall min "
              f"{min(walls[name]):.3f}, max {max(walls[name]):.3f})")
    for what, figures in (("wall", walls), ("CPU", cpus)):
        ratios = [a / b for a, b in zip(figures["this tree"], figures[options.base],
                                        strict=True)]
        print(f"  {what} this / {options.base}: median {statistics.median(ratios):.2f} "
              f"(min {min(ratios):.2f}, max {max(ratios):.2f})")
    same = outputs["this tree"] == outputs[options.base]
    print(f"  same output: {'yes' if same else 'NO'}")
    print(f"load average at the end: {os.getloadavg()}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
