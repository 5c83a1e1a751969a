"""Ctrl-C says what happened and leaves nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a named pipe")
def test_sigint_says_nothing_was_written_and_exits_130(tmp_path: Path) -> None:
    # The scenario is a named pipe: opening it for writing returns only once the command
    # has opened it for reading, i.e. it is inside the command, waiting for input. So the
    # signal lands there every time, with no timer to race.
    fifo = tmp_path / "in.yaml"
    os.mkfifo(fifo)
    out = tmp_path / "out.yaml"
    child = subprocess.Popen([sys.executable, "-m", "detente", "convert", str(fifo), "-o",
                              str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    try:
        with open(fifo, "w"):
            child.send_signal(signal.SIGINT)
            _, err = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 130
    assert err == "interrupted; nothing was written\n"
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.yaml"]
