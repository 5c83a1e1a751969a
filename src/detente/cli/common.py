"""Shared pieces of the command line: the app, error reporting, output helpers."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from detente.errors import DetenteError
from detente.scenario import DEFAULT_SCENARIO

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

ScenarioArg = Annotated[
    str | None,
    typer.Argument(help=f"Scenario file (.yaml/.json/.csv) or embedded id; "
                        f"default {DEFAULT_SCENARIO}.", show_default=False),
]
# Counterfactual options shared by the settlement and roadmap commands.
WithoutOpt = Annotated[list[str] | None, typer.Option(
    "--without", help="Counterfactual: drop this actor as party and guarantor.")]
TrustOpt = Annotated[list[str] | None, typer.Option(
    "--trust", help="Counterfactual trust, e.g. KP.RU=0.8 (how far KP believes RU).")]
GuarantorOpt = Annotated[list[str] | None, typer.Option(
    "--guarantor", help="Counterfactual guarantors, e.g. SEC=CN,RU (or SEC=none).")]

EXIT_INPUT = 2


def reports_errors(func: F) -> F:
    """Turn a DetenteError into a clear message on stderr and a non-zero exit, no traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DetenteError as err:
            err_console.print(f"[bold red]error[/]: {err}", markup=True, soft_wrap=True)
            raise typer.Exit(EXIT_INPUT) from None
        except FileExistsError as err:
            err_console.print(f"[bold red]error[/]: {err}", soft_wrap=True)
            raise typer.Exit(EXIT_INPUT) from None

    return wrapper  # type: ignore[return-value]


def write_new_file(path: Path, text: str | bytes, force: bool = False) -> None:
    """Write a file whole or not at all (:mod:`detente.atomic`), refusing to overwrite one
    the user already has unless ``force``."""
    from detente.atomic import write_atomic

    write_atomic(path, text, force=force)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if abs(value - round(value)) > 1e-9 else \
        f"{round(value):d}"
