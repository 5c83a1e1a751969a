"""The ``detente`` console script (and ``python -m detente``).

``detente NAME ...`` where NAME is an analysis (forecast, settle, ...) registers that
analysis's command alone: the modules of the other commands (check, show, report, plot,
serve, room, ...) are not imported and the other analyses get no typer command, a sixth of
the CPU time of a cold ``detente forecast``. The command is built exactly as in the whole
app (:func:`detente.cli.registry.register`, then :func:`detente.cli._command_line`), so
it parses, helps and fails the same way (tests/test_cli_start.py). Anything else -- no
command, an option first, a misspelt name, a command that is not an analysis -- loads the
whole app.
"""

from __future__ import annotations

import sys

#: The commands of :data:`detente.analyses.ANALYSES`, known here without importing it
#: (tests/test_cli_start.py checks that the two agree).
ANALYSIS_COMMANDS = ("forecast", "sample", "sensitivity", "settle", "contributions",
                     "roadmap", "explain", "validate", "compare", "influence", "brief")

#: The one analysis command this process runs: set by :func:`main` before :mod:`detente.cli`
#: is imported, which then registers that command alone. None: the whole app.
only_command: str | None = None


def main() -> None:
    """Entry point of the console script."""
    global only_command
    args = sys.argv[1:]
    if args and args[0] in ANALYSIS_COMMANDS and "detente.cli" not in sys.modules:
        only_command = args[0]
    from detente.cli import main as run

    run()
