"""One workbench computation: ``python -m detente.web.worker``.

Reads one JSON line ``{"analysis": ..., "request": ...}`` from stdin and writes JSON lines
to stdout: ``{"kind": "progress", ...}`` while it runs, then ``{"kind": "done", "result"}``
or ``{"kind": "error", "message", "problems"}``. The heavy imports happen before the
request arrives, so a spare worker waiting on stdin starts work at once.
"""

from __future__ import annotations

import json
import math
import sys
import traceback
from collections.abc import Mapping
from typing import Any

from detente import AnalysisSpec, DetenteError, Problem, problems_as_json, walk_document
from detente.web.analyses import run_analysis


def send(message: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(message, allow_nan=False) + "\n")
    sys.stdout.flush()


def main(more: Mapping[str, AnalysisSpec] | None = None) -> int:
    """Run one task; ``more``: analyses offered beside the workbench's own (tests only)."""
    import matplotlib

    matplotlib.use("Agg")
    line = sys.stdin.readline()
    if not line:
        return 0  # a spare worker that was never used
    task: Any = None
    try:
        task = json.loads(line)

        def progress(fraction: float, message: str = "") -> None:
            send({"kind": "progress", "progress": float(fraction), "message": message})

        result = run_analysis(task["analysis"], task["request"], progress, more)
        send({"kind": "done", "result": result})
    except DetenteError as err:
        send({"kind": "error", "message": str(err), "problems": err.problem_dicts()})
    except Exception as err:  # reported to the page; the server itself carries on
        message, problems = describe_failure(err, task if isinstance(task, dict) else {})
        send({"kind": "error", "message": message, "problems": problems,
              "internal": traceback.format_exc()})
    return 0


#: Numbers at least this large (in absolute value) are named as the likely cause of an
#: arithmetic failure: squared distances and products of such values overflow float64.
EXTREME = 1e12


def describe_failure(err: BaseException, task: dict[str, Any]
                     ) -> tuple[str, list[dict[str, Any]]]:
    """A clear, located message for an unexpected failure, never the exception's own text
    (which names internals and means nothing to the page's user; the server logs it)."""
    analysis = str(task.get("analysis", "analysis"))[:40]
    request = task.get("request") if isinstance(task.get("request"), dict) else {}
    document = {"scenario": request.get("scenario"), "params": request.get("params")}
    found = [(where, float(value)) for value, where, _ in walk_document(document)
             if isinstance(value, int | float) and not isinstance(value, bool)
             and (not math.isfinite(value) or abs(value) >= EXTREME)][:10]
    if isinstance(err, MemoryError):
        return (f"{analysis}: the computation needs more memory than this machine has",
                problems_as_json([Problem(
                    f"analysis.{analysis}", "out of memory",
                    "use fewer samples, a coarser grid step, or a smaller scenario")]))
    if found and isinstance(err, ArithmeticError | ValueError):  # numeric failures only
        return (f"{analysis}: the computation failed on numbers too large to compute with",
                problems_as_json([Problem(
                    where, f"{value:g} is too large to compute with",
                    "use values of an ordinary size (e.g. a scale of 0 to 100)")
                    for where, value in found]))
    what = "a number overflowed" if isinstance(err, ArithmeticError) else "an internal error"
    return (f"{analysis}: the computation failed ({what}; the server log has the details)",
            problems_as_json([Problem(
                f"analysis.{analysis}", f"{what} in {analysis}",
                "try other options or a smaller scenario; if it persists, report it with "
                "the scenario")]))


if __name__ == "__main__":
    sys.exit(main())
