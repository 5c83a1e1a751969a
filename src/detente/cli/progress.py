"""Progress on stderr for commands that take a while: one helper and one ``--quiet``.

Every command that can run for more than about two seconds (the analyses, ``report``,
``plot``) shows what it is doing and for how long, on stderr, so that stdout stays the
result. Nothing is shown with ``--quiet`` or when stderr is not a terminal (a pipe, a log
file, CI), so scripts and tests see exactly the output they saw before. Sampling runs have
their own bar with a count and an ETA (:class:`detente.cli.sample.LazyProgress`); both obey
the same :data:`QUIET` option.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console

from detente.cli.common import err_console

#: The one ``--quiet`` option of every command that shows progress.
QUIET_FLAGS = ("--quiet", "-q")
QUIET_HELP = "No progress on stderr (none is shown when stderr is not a terminal either)."


def quiet_option() -> Any:
    return typer.Option(*QUIET_FLAGS, help=QUIET_HELP)


class Activity:
    """A spinner naming the current step and the time spent, shown while a command runs.

    ``step(text)`` names what runs now. Disabled (every call a no-op) when quiet or when
    the console is not a terminal.
    """

    def __init__(self, label: str, quiet: bool, console: Console | None = None) -> None:
        self.console = console or err_console
        self.enabled = not quiet and self.console.is_terminal
        self.label = label
        self.status: Any = None
        self.task: Any = None
        self.current = "working"

    def _text(self) -> str:
        return f"{self.label}: {self.current}"

    def begin(self) -> None:
        if self.enabled:
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            # transient: the line disappears when done, leaving only the result; the
            # elapsed time ticks on its own (refresh thread) through a long step.
            self.status = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                   TimeElapsedColumn(), console=self.console,
                                   transient=True)
            self.status.start()
            self.task = self.status.add_task(self._text(), total=None)

    def step(self, text: str) -> None:
        self.current = text
        if self.status is not None:
            self.status.update(self.task, description=self._text())

    def end(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None


@contextmanager
def activity(label: str, quiet: bool, console: Console | None = None) -> Iterator[Activity]:
    shown = Activity(label, quiet, console)
    shown.begin()
    try:
        yield shown
    finally:
        shown.end()


__all__ = ["QUIET_FLAGS", "QUIET_HELP", "Activity", "activity", "quiet_option"]
