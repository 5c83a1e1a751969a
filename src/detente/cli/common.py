"""Shared pieces of the command line: the app, error reporting, output helpers."""

from __future__ import annotations

import functools
import ipaddress
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from detente import DEFAULT_SCENARIO, DetenteError, option_error, to_json

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
ScenarioArg = Annotated[str | None, typer.Argument(help=SCENARIO_HELP, show_default=False)]

EXIT_INPUT = 2


def _non_finite(value: Any) -> float | None:
    if isinstance(value, float) and not math.isfinite(value):
        return value
    if isinstance(value, list | tuple):
        for item in value:
            if (bad := _non_finite(item)) is not None:
                return bad
    return None


def option_flags(func: Callable[..., Any]) -> dict[str, str]:
    """Parameter name → the flag a user types (``step`` → ``--step``), from the annotations."""
    import typing

    try:
        hints = typing.get_type_hints(func, include_extras=True)
    except Exception:  # unresolvable annotations: fall back to the names
        return {}
    flags = {}
    for name, hint in hints.items():
        for meta in getattr(hint, "__metadata__", ()):
            decls = [d for d in getattr(meta, "param_decls", None) or () if d.startswith("--")]
            if decls:
                flags[name] = decls[0]
    return flags


def check_finite_options(kwargs: dict[str, Any], flags: dict[str, str] | None = None) -> None:
    """Refuse ``inf``/``nan`` in any float option of the running command, naming the option.

    Click reads ``--step inf`` as a float like any other; checking every float argument of
    every command here means no command can forget the rule.
    """
    flags = flags or {}
    for name, value in kwargs.items():
        bad = _non_finite(value)
        if bad is not None:
            flag = flags.get(name) or f"--{name.replace('_', '-')}"
            raise option_error(flag, f"{bad} is not a finite number",
                               f"give {flag} a finite number")


def reports_errors(func: F) -> F:
    """Turn a DetenteError into a clear message on stderr and a non-zero exit, no traceback.

    Every float option is checked to be finite first (:func:`check_finite_options`).
    """

    flags: dict[str, str] = {}

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            if not flags:
                flags.update(option_flags(func) or {"": ""})
            # A command generated from the analysis registry checks its options against the
            # spec (finiteness included, every problem at once, in the rule's own words).
            if not getattr(func, "checks_options", False):
                check_finite_options(kwargs, flags)
            return func(*args, **kwargs)
        except DetenteError as err:
            err_console.print(f"[bold red]error[/]: {err}", markup=True, soft_wrap=True)
            raise typer.Exit(EXIT_INPUT) from None
        except FileExistsError as err:
            err_console.print(f"[bold red]error[/]: {err}", soft_wrap=True)
            raise typer.Exit(EXIT_INPUT) from None

    return wrapper  # type: ignore[return-value]


#: The Host names a server listening on loopback answers to (its Host-header check).
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")


def is_loopback(host: str) -> bool:
    """Whether a server listening on ``host`` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def write_new_file(path: Path, text: str | bytes, force: bool = False) -> None:
    """Write a file whole or not at all (:mod:`detente.atomic`), refusing to overwrite one
    the user already has unless ``force``."""
    from detente import write_atomic

    write_atomic(path, text, force=force)


def emit_json(data: Any) -> None:
    sys.stdout.write(to_json(data) + "\n")
