"""`detente NAME ...` builds only the command it runs (issue 15: a CLI that starts in a
blink), and behaves exactly as the whole app: same output, same errors, same exit code."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator

import pytest

import detente.cli as cli
from detente.cli.common import app


@pytest.fixture(autouse=True)
def _unfrozen() -> Iterator[None]:
    # main() sets every object alive at its start aside from the collector (gc.freeze): a
    # process that runs it once and ends; this one runs on, so it takes them back.
    yield
    gc.unfreeze()


def _run(args: list[str], whole: bool, capsys: pytest.CaptureFixture[str],
         monkeypatch: pytest.MonkeyPatch) -> tuple[object, str, str]:
    monkeypatch.setattr("sys.argv", ["detente", *args])
    if whole:
        monkeypatch.setattr(cli, "_command_line", lambda args: app)
    with pytest.raises(SystemExit) as done:
        cli.main()
    out, err = capsys.readouterr()
    return done.value.code, out, err


@pytest.mark.parametrize("args", [
    ["forecast", "--format", "json", "--no-combined"],
    ["forecast", "--help"],
    ["forecast", "--bogus"],
    ["forecast", "--step", "3"],  # an option forecast does not have
    ["forecast", "no-such-scenario"],
    ["models"],
    ["check", "--help"],
    ["forcast"],  # misspelt: the whole app suggests the name
    ["room", "--help"],
    ["--help"],
    [],
], ids=lambda args: " ".join(args) or "no-args")
def test_one_command_runs_as_in_the_whole_app(args: list[str],
                                              capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    one = _run(args, False, capsys, monkeypatch)
    whole = _run(args, True, capsys, monkeypatch)
    assert one == whole
    assert one[1] or one[2]  # something was said


def test_only_a_named_command_gets_its_own_group() -> None:
    one = cli._command_line(["forecast", "--no-combined"])
    assert one is not app
    assert list(one.commands) == ["forecast"]  # type: ignore[attr-defined]
    # no command, an option first, a group, an unknown name: the whole app
    for args in ([], ["--help", "forecast"], ["room", "list"], ["forcast"]):
        assert cli._command_line(args) is app


@pytest.mark.parametrize("collecting", [True, False])
def test_importing_the_cli_keeps_the_programs_collector_setting(collecting: bool) -> None:
    # the collector is paused while the commands load (they make no garbage), then left as
    # the importing program had it
    code = (f"import gc\n{'' if collecting else 'gc.disable()'}\nimport detente.cli\n"
            f"assert gc.isenabled() is {collecting}, gc.isenabled()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr



def test_the_command_line_needs_no_click_of_its_own() -> None:
    # typer 0.2x carries its own copy of click and no longer installs click: `pip install .`
    # alone must give a working `detente` (click comes here only with the test extras)
    code = ("import sys\nsys.modules['click'] = None  # as if not installed\n"
            "sys.argv = ['detente', 'forecast', '-m', 'compromise', '-f', 'json']\n"
            "from detente.cli import main\nmain()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert '"compromise"' in done.stdout
