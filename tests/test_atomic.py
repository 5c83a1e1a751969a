"""Outputs are written whole or not at all, and a user's file is never overwritten silently."""

from __future__ import annotations

import errno
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.atomic import OutputError, check_writable, write_atomic
from detente.cli import app

DETENTE = [sys.executable, "-m", "detente"]


def _limited(limit_bytes: int) -> None:
    """In the child: a file-size limit, and SIGXFSZ at its default (kill), as a shell
    `ulimit -f` leaves it — the writer has to cope with that itself."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)


def _run_limited(args: list[str], cwd: Path, limit_bytes: int) -> subprocess.CompletedProcess:
    return subprocess.run([*DETENTE, *args], cwd=cwd, capture_output=True, text=True,
                          preexec_fn=lambda: _limited(limit_bytes), timeout=300,
                          env={**os.environ, "COLUMNS": "200"})


@pytest.mark.parametrize("args", [["convert", "korea-2017", "-o", "k.yaml"],
                                  ["schema", "-o", "s.json"]])
def test_a_write_past_the_file_size_limit_leaves_nothing_and_says_why(
        tmp_path: Path, args: list[str]) -> None:
    failed = _run_limited(args, tmp_path, 2048)
    assert failed.returncode == 2, failed.stderr
    assert "Traceback" not in failed.stderr
    assert "could not write" in failed.stderr and "ulimit -f" in failed.stderr
    assert "nothing was written" in failed.stderr
    assert list(tmp_path.iterdir()) == []  # no truncated file, no temporary file
    # ... so a rerun with room to write is not refused.
    again = subprocess.run([*DETENTE, *args], cwd=tmp_path, capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0, again.stderr
    assert [p.name for p in tmp_path.iterdir()] == [args[-1]]


def test_a_failed_write_keeps_the_old_file_under_force(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.txt"
    target.write_text("the user's file")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError, match="no space left"):
        write_atomic(target, "x" * 10_000, force=True)
    assert target.read_text() == "the user's file"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_never_overwrites_without_force(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("mine")
    with pytest.raises(OutputError, match="already exists"):
        write_atomic(target, "theirs")
    assert target.read_text() == "mine"
    write_atomic(target, "theirs", force=True)
    assert target.read_text() == "theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_new_files_get_the_usual_permissions(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    try:
        path = write_atomic(tmp_path / "sub" / "a.txt", b"bytes")
    finally:
        os.umask(mask)
    assert path.read_bytes() == b"bytes"
    assert path.stat().st_mode & 0o777 == 0o644  # not mkstemp's 0o600


def test_cli_report_a_failed_write_is_a_clear_error(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(fd: int) -> None:
        raise OSError(errno.EFBIG, "File too large")

    out = tmp_path / "map.svg"
    monkeypatch.setattr(os, "fsync", broken)
    result = CliRunner().invoke(app, ["plot", "issue-map", "korea-2017", "-o", str(out),
                                      "-i", "NUC", "-m", "median"])
    assert result.exit_code == 2, result.output
    assert "could not write" in result.output and result.exception is not None
    assert isinstance(result.exception, SystemExit)
    assert list(tmp_path.iterdir()) == []


def test_a_folder_is_refused_by_name_with_the_commands_flag(tmp_path: Path) -> None:
    with pytest.raises(OutputError) as err:
        check_writable(tmp_path, flag="--pdf", force_flag=None)
    assert "is a folder, not a file" in str(err.value)
    assert f"--pdf {tmp_path / 'FILE'}" in str(err.value)
    with pytest.raises(OutputError):  # --force does not write over a folder either
        write_atomic(tmp_path, "x", force=True)
    assert tmp_path.is_dir()


def test_a_missing_folder_is_not_blamed_on_space(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("mine")
    with pytest.raises(OutputError) as err:  # a file where a folder must be
        write_atomic(blocked / "out.pdf", b"%PDF", flag="--pdf", force_flag=None)
    assert "free space" not in str(err.value) and "--pdf PATH" in str(err.value)
    assert blocked.read_text() == "mine"
