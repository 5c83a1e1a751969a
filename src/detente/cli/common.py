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
    """Write a file, refusing to overwrite one the user already has unless ``force``."""
    if path.exists() and not force:
        raise FileExistsError(f"{path}: already exists; nothing was written "
                              "(choose another name, or pass --force to overwrite)")
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")

