"""The `detente` command: a thin layer over the library API.

The analyses' commands (forecast, sample, ..., compare, brief, plot, report) are generated
from the analysis registry (:mod:`detente.cli.registry`); the other commands (check, show,
convert, serve, room, ...) live in the modules of :data:`COMMAND_MODULES` and register
themselves on :data:`app`.
"""

from __future__ import annotations

import copy
import gc
import importlib
import sys
from collections.abc import Callable
from typing import Any, NoReturn

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C


def interrupted() -> NoReturn:
    """Ctrl-C: one line on stderr instead of a traceback or silence, and exit 130.

    Every output goes through :mod:`detente.atomic`, so an interrupted command leaves no
    partial file behind; saying so tells the user there is nothing to clean up.
    """
    sys.stderr.write("interrupted; nothing was written\n")
    sys.stderr.flush()
    raise SystemExit(EXIT_INTERRUPTED)


COMMAND_MODULES = ("detente.cli.core", "detente.cli.web", "detente.room.cli")

# The imports below create some 50,000 long-lived objects (typer, rich, numpy, pydantic,
# the scenario schema) and next to no garbage, yet the cyclic collector runs over 100 times
# while they load, walking them again and again: 30-40 ms of a 0.4 s `detente forecast`.
# It is paused while they load and resumed after (a program importing this module keeps its
# own setting); main() then sets the loaded objects aside (gc.freeze) so that the command's
# own collections walk only what the command creates.
_COLLECTING = gc.isenabled()
gc.disable()
try:  # importing the commands pulls in numpy, matplotlib, ...: seconds to interrupt
    from typer.main import get_command_name, get_group

    from detente.cli.common import app
    from detente.cli.registry import register

    register()
    for _module in COMMAND_MODULES:
        importlib.import_module(_module)
except KeyboardInterrupt:  # pragma: no cover - timing dependent
    interrupted()
finally:
    if _COLLECTING:
        gc.enable()


def _command_line(args: list[str]) -> Callable[..., Any]:
    """What runs ``detente ARGS``: the whole app, or for ``detente NAME ...`` that names one
    registered command, a group holding that command alone.

    Typer turns every registered command into a click command each time the app runs (their
    signatures read, their annotations evaluated): 20 ms of a 0.4 s ``detente forecast``,
    for 28 commands of which one runs. The group is built the same way from the same
    registration (:func:`typer.main.get_group`), so the command parses, helps and fails
    exactly as in the whole app; anything else (no command, ``--help``, a group such as
    ``room``, a misspelt name that earns a suggestion) runs the whole app.
    """
    if not args:
        return app
    chosen = [c for c in app.registered_commands if args[0] == (
        c.name or get_command_name(c.callback.__name__ if c.callback else ""))]
    if len(chosen) != 1:
        return app
    one = copy.copy(app)
    one.registered_commands, one.registered_groups = chosen, []
    # Typer would run a lone command as the whole program; a group keeps `detente NAME`.
    # Calling the group directly skips only Typer's pretty tracebacks, which this app
    # turns off (pretty_exceptions_enable=False).
    return get_group(one)


def main() -> None:
    """Entry point of the console script."""
    gc.freeze()  # the modules loaded so far live as long as the process (see above)
    try:
        _command_line(sys.argv[1:])(prog_name="detente")
    except KeyboardInterrupt:
        interrupted()
    except SystemExit as err:
        # typer turns Ctrl-C inside a command into a silent Exit(130).
        if err.code == EXIT_INTERRUPTED:
            interrupted()
        raise

