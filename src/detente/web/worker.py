"""One workbench computation: ``python -m detente.web.worker``.

Reads one JSON line ``{"analysis": ..., "request": ...}`` from stdin and writes JSON lines
to stdout: ``{"kind": "progress", ...}`` while it runs, then ``{"kind": "done", "result"}``
or ``{"kind": "error", "message", "problems"}``. The heavy imports happen before the
request arrives, so a spare worker waiting on stdin starts work at once.
"""

from __future__ import annotations

import json
import sys

from detente.errors import DetenteError
from detente.web.analyses import run_analysis


def send(message: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(message, allow_nan=False) + "\n")
    sys.stdout.flush()


def main() -> int:
    import matplotlib

    matplotlib.use("Agg")
    line = sys.stdin.readline()
    if not line:
        return 0  # a spare worker that was never used
    try:
        task = json.loads(line)

        def progress(fraction: float, message: str = "") -> None:
            send({"kind": "progress", "progress": float(fraction), "message": message})

        result = run_analysis(task["analysis"], task["request"], progress)
        send({"kind": "done", "result": result})
    except DetenteError as err:
        send({"kind": "error", "message": str(err), "problems": [
            {"location": p.location, "message": p.message, "fix": p.fix, "line": p.line}
            for p in err.problems]})
    except Exception as err:  # reported to the page; the server itself carries on
        send({"kind": "error", "message": f"{type(err).__name__}: {err}", "problems": []})
    return 0


if __name__ == "__main__":
    sys.exit(main())
