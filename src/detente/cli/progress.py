"""Progress on stderr for commands that take a while: one display, which ``--quiet`` hides.

Every command that can run for more than about two seconds (the analyses, ``report``,
``plot``) shows what it is doing and for how long, on stderr, so that stdout stays the
result (:class:`Activity`): a spinner naming the current step, or for sampling runs a bar
with a count and an ETA. The display closes whatever happens. Nothing is shown with
``--quiet`` or when stderr is not a terminal (a pipe, a log file, CI), so scripts and tests
see exactly the output they saw before. rich's progress module is imported only once
something is shown.
"""

from __future__ import annotations

import time
from typing import Any, Self

from rich.console import Console

from detente.cli.common import err_console

#: Seconds a sampling run takes before its bar appears: a short run shows none.
BAR_DELAY_S = 1.0


class Activity:
    """What a command is doing: a spinner naming the current step (:meth:`step`) and the
    time spent, shown at once; or with ``bar_after`` (a sampling run), a bar fed by calling
    the activity with ``(done, total)`` after each chunk, shown once the run has taken over
    ``bar_after`` seconds. Every call is a no-op when quiet or off a terminal."""

    def __init__(self, label: str, quiet: bool, console: Console | None = None,
                 bar_after: float | None = None) -> None:
        self.console = console or err_console
        self.enabled = not quiet and self.console.is_terminal
        self.label = label
        self.bar_after = bar_after
        self.start = time.perf_counter()
        self.status: Any = None  # the rich Progress while it is shown
        self.task: Any = None

    def _show(self, columns: list[Any], total: float | None, auto_refresh: bool,
              description: str) -> None:
        from rich.progress import Progress

        # transient: the line disappears when done, leaving only the result.
        self.status = Progress(*columns, console=self.console, auto_refresh=auto_refresh,
                               transient=True)
        self.status.start()
        self.task = self.status.add_task(description, total=total)

    def __enter__(self) -> Self:
        # The spinner shows at once; the bar appears on its own once a run takes a while.
        if self.enabled and self.bar_after is None:
            from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

            # The elapsed time ticks on its own (refresh thread) through a long step.
            self._show([SpinnerColumn(), TextColumn("{task.description}"),
                        TimeElapsedColumn()], None, True, f"{self.label}: working")
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def step(self, text: str) -> None:
        """Name the step that runs now."""
        if self.status is not None:
            self.status.update(self.task, description=f"{self.label}: {text}")

    def __call__(self, done: int, total: int) -> None:
        """Count the work done. The bar is refreshed here, by hand: no refresh thread, so
        worker processes can be forked safely."""
        if self.status is None:
            if (not self.enabled or self.bar_after is None or done >= total
                    or time.perf_counter() - self.start < self.bar_after):
                return
            from rich import progress as rp

            self._show([rp.TextColumn("{task.description}"), rp.BarColumn(),
                        rp.MofNCompleteColumn(), rp.TimeElapsedColumn(), rp.TextColumn("ETA"),
                        rp.TimeRemainingColumn()], total, False, self.label)
        self.status.update(self.task, completed=done)
        self.status.refresh()

    def close(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None


__all__ = ["BAR_DELAY_S", "Activity"]
