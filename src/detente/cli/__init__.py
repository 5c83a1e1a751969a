"""The `detente` command: a thin layer over the library API.

The analyses' commands (forecast, sample, sensitivity, settle, contributions, roadmap,
explain, validate, compare) are generated from the analysis registry
(:mod:`detente.cli.registry`); the other commands (check, show, convert, report, web, ...)
live in the modules of :data:`COMMAND_MODULES` and register themselves on :data:`app`.
"""

from __future__ import annotations

import importlib
import sys

from detente.cli.common import app
from detente.cli.registry import register

COMMAND_MODULES = ("detente.cli.core", "detente.cli.report", "detente.cli.web")

register()
for _module in COMMAND_MODULES:
    importlib.import_module(_module)


def main() -> None:
    """Entry point of the console script."""
    app(prog_name="detente")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
