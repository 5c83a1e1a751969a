"""``held``, a workbench analysis for tests only: it reports progress, then waits until the
test creates its gate file.

Jobs that must still be running when a test looks at them (progress, cancel, too many jobs,
time limit) run it instead of a large computation, so those tests depend on an event the
test controls, never on how fast the machine is. It is a registry entry like any other, run
by the same ``run()``, but only while a test offers it, in both of the workbench's
processes: ``with offering_held(folder) as worker`` adds it to the server's registry and
gives ``create_app`` its ``worker``, this file run as a script (``python tests/web_held.py
FOLDER``), which adds it to the worker's registry, then runs the workbench's own worker
with the gates in FOLDER.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from detente import ANALYSES, AnalysisSpec, Option, Result, Scenario, Variation, View, option_error
from detente.web.worker import main

GATE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
#: The gates' folder, in a worker process (from its command line).
gates: Path | None = None


@dataclass(frozen=True)
class Passed:
    """What a held run returns once its gate opened."""

    gate: str
    scenario: str
    title: str

    def to_dict(self) -> dict[str, Any]:
        return {"gate": self.gate, "scenario": self.scenario}


def run_held(s: Scenario, _: Variation, *, progress: Callable[[int, int], None],
             executor: Any, gate: str, fail: str) -> Passed:
    """Report progress (1 of 2, as a sampling run reports its chunks), then wait until the
    file ``<gates>/<gate>`` exists. ``executor``: run() gives one to every long analysis;
    held has no pool to hand it."""
    if not GATE_NAME.fullmatch(gate):
        raise option_error("params.gate", f"gate must be 1-64 letters, digits, - or _, "
                           f"got {gate[:40]!r}", "name the gate file, e.g. g1")
    if fail == "overflow":  # an internal error, as numpy/int() raise them
        raise OverflowError("cannot convert float infinity to integer")
    assert gates is not None, "held runs only in its own worker (python tests/web_held.py)"
    if fail == "child":  # a process of its own holding the output, as a pool's
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        (gates / f"{gate}.child").write_text(str(child.pid))
    progress(1, 2)
    path = gates / gate
    while not path.exists():  # polls an event; the outcome never depends on timing
        time.sleep(0.01)
    progress(2, 2)
    return Passed(gate, s.id, s.title)


def _view(result: Result) -> View:
    return View(result.value.title, f"passed gate {result.value.gate}")


HELD = AnalysisSpec(
    "held", "Held (tests)", "Waits until the test opens its gate.",
    (Option("gate", str, "g", "Gate file name."),
     Option("fail", str, "none", "Fail on purpose, or start a child process.",
            choices=("none", "overflow", "child"))),
    run_held, _view, long=True)


@contextmanager
def offering_held(folder: Path) -> Iterator[tuple[str, str]]:
    """The registry with ``held`` in it while the block runs (so a ``create_app`` built in
    it offers ``held``), and the ``worker`` that offers it too, with its gates in
    ``folder``. The registry is as before after the block, so no other test sees it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(ANALYSES, HELD.name, HELD)
        yield __file__, str(folder)


if __name__ == "__main__":
    gates = Path(sys.argv[1])
    ANALYSES[HELD.name] = HELD
    sys.exit(main())
