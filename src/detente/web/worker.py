"""One workbench computation: ``python -m detente.web.worker``.

Reads one JSON line ``{"analysis": ..., "request": ...}`` from stdin and writes JSON lines
to stdout: ``{"kind": "progress", ...}`` while it runs, then ``{"kind": "done", "result"}``
or ``{"kind": "error", "message", "problems"}``. The heavy imports happen before the
request arrives, so a spare worker waiting on stdin starts work at once.
"""

from __future__ import annotations

import json
import sys
import traceback
from typing import Any

from detente import DetenteError, describe_failure, problems_as_json
from detente.web.analyses import run_analysis


def send(message: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(message, allow_nan=False) + "\n")
    sys.stdout.flush()


def main() -> int:
    """Run one task."""
    import matplotlib

    matplotlib.use("Agg")
    line = sys.stdin.readline()
    if not line:
        return 0  # a spare worker that was never used
    task: dict[str, Any] = {"analysis": "analysis", "request": {}}
    try:
        task = json.loads(line)

        def progress(fraction: float, message: str = "") -> None:
            send({"kind": "progress", "progress": float(fraction), "message": message})

        result = run_analysis(task["analysis"], task["request"], progress)
        send({"kind": "done", "result": result})
    except DetenteError as err:
        send({"kind": "error", "message": str(err), "problems": err.problem_dicts()})
    except Exception as err:  # reported to the page; the server itself carries on
        # The server sends a well-formed task; a worker run by hand may not be.
        known: dict[str, Any] = task if isinstance(task, dict) else {}
        message, problems = describe_failure(err, str(known.get("analysis", "analysis"))[:40],
                                             known.get("request"),
                                             "the server log has the details")
        send({"kind": "error", "message": message, "problems": problems_as_json(problems),
              "internal": traceback.format_exc()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
