"""Progress on stderr (issue 18, item 4): shown on a terminal, never with --quiet or when
stderr is not a terminal, and offered by every command that can take seconds."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from typer.testing import CliRunner

from detente.cli import app
from detente.cli.progress import Activity


def _console(terminal: bool) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=terminal, width=100), buffer


def test_a_terminal_sees_each_step() -> None:
    console, buffer = _console(terminal=True)
    with Activity("report", quiet=False, console=console) as shown:
        shown.step("searching packages")
        shown.status.refresh()  # render now instead of waiting for the refresh thread
    assert "report: searching packages" in buffer.getvalue()


@pytest.mark.parametrize(("terminal", "quiet"), [(True, True), (False, False)])
def test_quiet_or_not_a_terminal_shows_nothing(terminal: bool, quiet: bool) -> None:
    console, buffer = _console(terminal)
    with Activity("report", quiet=quiet, console=console) as shown:
        shown.step("searching packages")
        assert shown.status is None
    assert buffer.getvalue() == ""


@pytest.mark.parametrize("command", ["report", "plot", "contributions", "roadmap", "validate",
                                     "settle", "sample", "compare"])
def test_every_slow_command_takes_quiet(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "--quiet" in result.output
