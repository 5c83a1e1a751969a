"""The `detente` command: a thin layer over the library API.

Each group of commands lives in its own module and registers itself on :data:`app`; add a
module to :data:`COMMAND_MODULES` to add commands.
"""

from __future__ import annotations

import importlib
import sys

from detente.cli.common import app

COMMAND_MODULES = ("detente.cli.core", "detente.cli.sample", "detente.cli.validate",
                   "detente.cli.explain",
                   "detente.cli.settle",
                   "detente.cli.report",
                   "detente.cli.web",
                   "detente.cli.roadmap")

for _module in COMMAND_MODULES:
    importlib.import_module(_module)


def main() -> None:
    """Entry point of the console script."""
    app(prog_name="detente")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
