"""Shared pieces of the command line: the app, error reporting, output helpers."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from detente import DEFAULT_SCENARIO, NUMERIC_FAILURES, DetenteError, check_finite, describe_failure

app = typer.Typer(
    name="detente",
    help="Model, forecast and design multi-party settlements.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Piped output has no terminal width; a wide fixed width keeps tables readable in files.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 140)
err_console = Console(stderr=True, highlight=False)

F = TypeVar("F", bound=Callable[..., Any])

SCENARIO_HELP = f"Scenario file (.yaml/.json/.csv) or embedded id; default {DEFAULT_SCENARIO}."
# Named as the help and messages name it (typer would write [scenario] in the usage line).
ScenarioArg = Annotated[str | None, typer.Argument(help=SCENARIO_HELP, show_default=False,
                                                   metavar="SCENARIO")]

EXIT_INPUT = 2
EXIT_FAILED = 1  # a run failed on input the checks let through, as a traceback exits


def reports_errors(func: F) -> F:
    """Turn a DetenteError, or an unexpected numeric failure (out of memory, an overflow:
    :func:`detente.errors.describe_failure`), into a clear message on stderr and a non-zero
    exit, no traceback.

    Every float option is checked to be finite first (:func:`detente.check_finite`).
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            # A command generated from the analysis registry checks its options against the
            # spec (finiteness included, every problem at once, in the rule's own words).
            if not getattr(func, "checks_options", False):
                check_finite(kwargs)
            return func(*args, **kwargs)
        except DetenteError as err:
            # Escaped: a message quoting "detente[web]" or "[default: 5]" must not lose
            # them to rich's markup.
            err_console.print(f"[bold red]error[/]: {escape(str(err))}", soft_wrap=True)
            raise typer.Exit(EXIT_INPUT) from None
        except NUMERIC_FAILURES as err:
            if os.environ.get("DETENTE_TRACEBACK") == "1":
                raise
            flags = {"--" + name.replace("_", "-"): v for name, v in kwargs.items()}
            message, problems = describe_failure(err, func.__name__, flags,
                                                 "DETENTE_TRACEBACK=1 shows the traceback")
            err_console.print(f"[bold red]error[/]: {escape(message)}\n"
                              f"{escape(str(DetenteError(problems)))}", soft_wrap=True)
            raise typer.Exit(EXIT_FAILED) from None

    return wrapper  # type: ignore[return-value]
