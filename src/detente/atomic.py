"""Every file detente writes goes through :func:`write_atomic`: whole or not at all.

A write that fails half way (disk full, a file-size limit, an interrupt) must never leave a
truncated report, figure or scenario that looks finished, nor block the next run from
writing the file. So the bytes go to a temporary file in the destination's folder (the same
file system, so that the rename is atomic), are flushed and fsynced, and only then renamed
over the destination; on any failure the temporary file is removed. This is the pattern of
POSIX ``rename(2)`` ("If newpath already exists, it shall be atomically replaced") used by
e.g. ``git`` for its lock files.

The rule that a user's file is never overwritten without ``force`` lives here too, so that
every command that writes keeps it. With ``force=False`` the final step uses ``link(2)``,
which fails if the name exists, so even a file created between the check and the rename
is not replaced.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import tempfile
from pathlib import Path

from detente.errors import DetenteError, Problem


class OutputError(DetenteError):
    """A file could not be written (or would overwrite the user's file); nothing was left."""


def _refuse_existing(path: Path, force_flag: str | None) -> OutputError:
    # A command with no force flag (brief --pdf) must not advise one.
    fix = f"choose another name, or pass {force_flag} to overwrite" if force_flag else \
        "choose another name, or move the existing file away"
    return OutputError([Problem("", "already exists; nothing was written", fix)], str(path))


def check_writable(path: str | Path, force: bool = False, *, flag: str = "-o",
                   force_flag: str | None = "--force") -> None:
    """Refuse early (before hours of work) when ``path`` exists and ``force`` is not given,
    or names a folder (no force writes a file there). ``flag``, ``force_flag``: how the
    command names the file and the overwrite (None: it has none), for the fixes."""
    target = Path(path)
    if target.is_dir():
        raise OutputError([Problem("", "is a folder, not a file; nothing was written",
                                   f"name a file in it: {flag} {target / 'FILE'}")],
                          str(target))
    if not force and (target.exists() or target.is_symlink()):
        raise _refuse_existing(target, force_flag)


def _reason(err: OSError) -> str:
    if err.errno == errno.EFBIG:
        return "the file grew past the size limit of this process (ulimit -f)"
    if err.errno == errno.ENOSPC:
        return "no space left on the device"
    if err.errno == errno.EDQUOT:
        return "the disk quota is exhausted"
    if err.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if err.errno == errno.EROFS:
        return "the file system is read-only"
    return err.strerror or type(err).__name__


def write_atomic(path: str | Path, data: str | bytes, force: bool = False, *,
                 flag: str = "-o", force_flag: str | None = "--force") -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` all at once, or not at all.

    Raises :class:`OutputError` (a :class:`DetenteError`: the CLI prints it and exits 2) when
    ``path`` exists and ``force`` is false, or when the write fails; either way no
    partial file is left behind, and an existing file is kept as it was. ``flag`` and
    ``force_flag``: how the command names the file and the overwrite (its messages' fixes).
    """
    target = Path(path)
    check_writable(target, force, flag=flag, force_flag=force_flag)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    folder = target.parent
    tmp: str | None = None
    # A file-size limit (ulimit -f) kills the process with SIGXFSZ unless it is ignored;
    # ignored, the write fails with EFBIG and the temporary file is cleaned up below.
    previous = _ignore_sigxfsz()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        if force:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)  # fails if the name was taken meanwhile
            except FileExistsError:
                raise _refuse_existing(target, force_flag) from None
            except OSError:  # a file system without hard links: check, then rename
                if target.exists():
                    raise _refuse_existing(target, force_flag) from None
                os.replace(tmp, target)
        _fsync_folder(folder)
    except OSError as err:
        # Only a full disk, a quota or a size limit is mended by freeing space.
        full = err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
        raise OutputError([Problem("", f"could not write the file: {_reason(err)}; nothing "
                                   "was written", ("free space or raise the limit, or write "
                                                   if full else "write ")
                                   + f"somewhere else with {flag} PATH")],
                          str(target)) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        _restore_sigxfsz(previous)
    return target


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable; not every platform can open a folder."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _ignore_sigxfsz() -> object:
    sig = getattr(signal, "SIGXFSZ", None)
    if sig is None:
        return None
    try:
        return signal.signal(sig, signal.SIG_IGN)
    except ValueError:  # not the main thread: the signal stays as the process set it
        return None


def _restore_sigxfsz(previous: object) -> None:
    sig = getattr(signal, "SIGXFSZ", None)
    if sig is None or previous is None:
        return
    with contextlib.suppress(ValueError, TypeError):
        signal.signal(sig, previous)  # type: ignore[arg-type]
