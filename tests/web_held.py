"""``held``, a workbench analysis for tests only: it reports progress, then waits until the
test creates its gate file.

Jobs that must still be running when a test looks at them (progress, cancel, too many jobs,
time limit) run it instead of a large computation, so those tests depend on an event the
test controls, never on how fast the machine is. ``create_app(**held_app(folder))`` offers
it; its workers run this file as a script (``python tests/web_held.py FOLDER``), which runs
the workbench's own worker with ``held`` added and the gates in FOLDER.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from detente import AnalysisSpec, Option, Scenario, Variation, View, option_error
from detente.web.analyses import Progress, page_result
from detente.web.worker import main

GATE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
#: The gates' folder, in a worker process (from its command line).
gates: Path | None = None


def run_held(s: Scenario, _: Variation, *, progress: Progress, **options: Any
             ) -> dict[str, Any]:
    """Report progress, then wait until the file ``<gates>/<gate>`` exists."""
    gate = options["gate"]
    if not GATE_NAME.fullmatch(gate):
        raise option_error("params.gate", f"gate must be 1-64 letters, digits, - or _, "
                           f"got {gate[:40]!r}", "name the gate file, e.g. g1")
    if options["fail"] == "overflow":  # an internal error, as numpy/int() raise them
        raise OverflowError("cannot convert float infinity to integer")
    assert gates is not None, "held runs only in its own worker (python tests/web_held.py)"
    if options["fail"] == "child":  # a process of its own holding the output, as a pool's
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        (gates / f"{gate}.child").write_text(str(child.pid))
    progress(0.5, f"held at gate {gate}")
    path = gates / gate
    while not path.exists():  # polls an event; the outcome never depends on timing
        time.sleep(0.01)
    progress(0.9, f"gate {gate} opened")
    return page_result({"gate": gate, "scenario": s.id}, View(s.title, f"passed gate {gate}"))


def _drawn(_: Any) -> View:
    return View("")  # run_held returns the page's JSON itself


HELD = {"held": AnalysisSpec(
    "held", "Held (tests)", "Waits until the test opens its gate.",
    (Option("gate", str, "g", "Gate file name."),
     Option("fail", str, "none", "Fail on purpose, or start a child process.",
            choices=("none", "overflow", "child"))),
    run_held, _drawn, long=True)}


def held_app(folder: Path) -> dict[str, Any]:
    """``create_app``'s keywords for a workbench that also offers ``held``, with its gates
    in ``folder``."""
    return {"more_analyses": HELD, "worker": (__file__, str(folder))}


if __name__ == "__main__":
    gates = Path(sys.argv[1])
    sys.exit(main(HELD))
