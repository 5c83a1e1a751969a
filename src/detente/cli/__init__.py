"""The `detente` command: a thin layer over the library API.

The analyses' commands (forecast, sample, sensitivity, settle, contributions, roadmap,
explain, validate, compare) are generated from the analysis registry
(:mod:`detente.cli.registry`); the other commands (check, show, convert, report, web, ...)
live in the modules of :data:`COMMAND_MODULES` and register themselves on :data:`app`.
"""

from __future__ import annotations

import importlib
import sys
from typing import NoReturn

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C


def interrupted() -> NoReturn:
    """Ctrl-C: one line on stderr instead of a traceback or silence, and exit 130.

    Every output goes through :mod:`detente.atomic`, so an interrupted command leaves no
    partial file behind; saying so tells the user there is nothing to clean up.
    """
    sys.stderr.write("interrupted; nothing was written\n")
    sys.stderr.flush()
    raise SystemExit(EXIT_INTERRUPTED)


try:  # importing the commands pulls in numpy, matplotlib, ...: seconds to interrupt
    from detente.cli.common import app
    from detente.cli.registry import register
except KeyboardInterrupt:  # pragma: no cover - timing dependent
    interrupted()

COMMAND_MODULES = ("detente.cli.core", "detente.cli.report", "detente.cli.web",
                   "detente.room.cli")

try:
    register()
    for _module in COMMAND_MODULES:
        importlib.import_module(_module)
except KeyboardInterrupt:  # pragma: no cover - timing dependent
    interrupted()


def main() -> None:
    """Entry point of the console script."""
    try:
        app(prog_name="detente")
    except KeyboardInterrupt:
        interrupted()
    except SystemExit as err:
        # typer turns Ctrl-C inside a command into a silent Exit(130).
        if err.code == EXIT_INTERRUPTED:
            interrupted()
        raise


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
