"""Progress on stderr for commands that take a while: one ``--quiet``, two displays.

Every command that can run for more than about two seconds (the analyses, ``report``,
``plot``) shows what it is doing and for how long, on stderr, so that stdout stays the
result: a spinner naming the current step (:class:`Activity`), or for sampling runs a bar
with a count and an ETA (:class:`LazyProgress`). Each is a context manager that closes its
display whatever happens. Nothing is shown with ``--quiet`` or when stderr is not a terminal
(a pipe, a log file, CI), so scripts and tests see exactly the output they saw before.
rich's progress module is imported only once something is shown.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Self

import typer
from rich.console import Console

from detente.cli.common import err_console

#: The one ``--quiet`` option of every command that shows progress.
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr (none is "
                                     "shown when stderr is not a terminal either).")]


class _Shown:
    """A transient rich display on stderr, enabled only on a terminal and without quiet."""

    def __init__(self, label: str, quiet: bool, console: Console | None) -> None:
        self.console = console or err_console
        self.enabled = not quiet and self.console.is_terminal
        self.label = label
        self.status: Any = None  # the rich Progress while it is shown
        self.task: Any = None

    def _start(self, columns: list[Any], total: float | None, auto_refresh: bool,
               description: str) -> None:
        from rich.progress import Progress

        # transient: the line disappears when done, leaving only the result.
        self.status = Progress(*columns, console=self.console, auto_refresh=auto_refresh,
                               transient=True)
        self.status.start()
        self.task = self.status.add_task(description, total=total)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None


class Activity(_Shown):
    """A spinner naming the current step and the time spent, shown while a command runs.

    ``step(text)`` names what runs now. Disabled (every call a no-op) when quiet or when
    the console is not a terminal.
    """

    def __init__(self, label: str, quiet: bool, console: Console | None = None) -> None:
        super().__init__(label, quiet, console)
        self.current = "working"

    def _text(self) -> str:
        return f"{self.label}: {self.current}"

    def __enter__(self) -> Self:
        # Shown at once, unlike the bar, which appears on its own once a run takes a while.
        if self.enabled:
            from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

            # The elapsed time ticks on its own (refresh thread) through a long step.
            self._start([SpinnerColumn(), TextColumn("{task.description}"),
                         TimeElapsedColumn()], None, True, self._text())
        return self

    def step(self, text: str) -> None:
        self.current = text
        if self.status is not None:
            self.status.update(self.task, description=self._text())


class LazyProgress(_Shown):
    """A progress bar with ETA that appears only once a run has taken over ``delay``
    seconds, and never when quiet or when stderr is not a terminal. Refreshed by hand at
    each chunk (no refresh thread, so worker processes can be forked safely)."""

    def __init__(self, label: str, quiet: bool, console: Console | None = None,
                 delay: float = 1.0) -> None:
        super().__init__(label, quiet, console)
        self.delay = delay
        self.start = time.perf_counter()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.status is None:
            if time.perf_counter() - self.start < self.delay or done >= total:
                return
            from rich import progress as rp

            self._start([rp.TextColumn("{task.description}"), rp.BarColumn(),
                         rp.MofNCompleteColumn(), rp.TimeElapsedColumn(), rp.TextColumn("ETA"),
                         rp.TimeRemainingColumn()], total, False, self.label)
        self.status.update(self.task, completed=done)
        self.status.refresh()


__all__ = ["Activity", "LazyProgress", "Quiet"]
