"""Plumbing of the sampling commands (`detente sample`, `detente sensitivity`, generated
from the analysis registry): a lazy progress bar and an optional Dask executor."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from detente import option_error
from detente.cli.common import err_console

T = TypeVar("T")


class LazyProgress:
    """A rich progress bar with ETA that appears only once a run has taken over a second,
    and never when quiet or when stderr is not a terminal. Refreshed by hand at each chunk
    (no refresh thread, so worker processes can be forked safely)."""

    def __init__(self, label: str, quiet: bool, console: Console | None = None,
                 delay: float = 1.0) -> None:
        self.console = console or err_console
        self.enabled = not quiet and self.console.is_terminal
        self.label = label
        self.delay = delay
        self.start = time.perf_counter()
        self.progress: Progress | None = None
        self.task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.progress is None:
            if time.perf_counter() - self.start < self.delay or done >= total:
                return
            self.progress = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                console=self.console, auto_refresh=False, transient=True)
            self.progress.start()
            self.task = self.progress.add_task(self.label, total=total)
        self.progress.update(self.task, completed=done)
        self.progress.refresh()

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def connect_dask(address: str | None) -> Any:
    """An executor on a Dask distributed scheduler (the optional extra detente[distributed])."""
    if address is None:
        return None, None
    try:
        from distributed import Client
    except ImportError:
        raise option_error("--dask", "Dask distributed is not installed",
                           "pip install 'detente[distributed]'") from None
    client = Client(address)
    return client, client.get_executor()


def with_engine(label: str, quiet: bool, dask: str | None,
                call: Callable[[Any, LazyProgress], T]) -> T:
    """Run ``call(executor, progress)`` with a progress bar and, if asked, a Dask client;
    both are closed whatever happens."""
    progress = LazyProgress(label, quiet)
    client, executor = connect_dask(dask)
    try:
        return call(executor, progress)
    finally:
        progress.close()
        if client is not None:
            client.close()
