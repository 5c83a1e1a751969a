"""Memory limits: estimate before the work, refuse past a stated limit, say how to lift it.

A run that dies of a MemoryError after minutes, or that swaps a machine to a halt, is worse
than a refusal that names the estimate. The limit is :data:`DEFAULT_MAX_MEMORY` unless the
environment variable :data:`MAX_MEMORY_ENV` (or a command's ``--max-memory``) says otherwise.
"""

from __future__ import annotations

import os
import re

from detente.errors import flag_name, option_error, option_text

MAX_MEMORY_ENV = "DETENTE_MAX_MEMORY"
DEFAULT_MAX_MEMORY = 4 * 2**30
"""4 GiB: a laptop's share; raise it with DETENTE_MAX_MEMORY=16G or --max-memory 16G."""

_UNITS = {"": 1, "B": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def parse_size(text: str, where: str = MAX_MEMORY_ENV) -> int:
    """``"512M"``, ``"16G"``, ``"2.5GiB"`` or a plain number of bytes -> bytes."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?)\s*([KMGT]?)(?:I?B)?\s*", text.upper())
    if match is None or float(match.group(1)) <= 0:
        raise option_error(where, f"cannot read the memory size '{text[:40]}'",
                           "write a size such as 512M, 16G or 2.5G")
    return int(float(match.group(1)) * _UNITS[match.group(2)])


def memory_limit(limit: int | str | None = None) -> int:
    """The limit in bytes: ``limit`` if given, else the environment's, else the default."""
    if isinstance(limit, str):
        return parse_size(limit, "--max-memory")
    if limit is not None:
        if limit <= 0:
            raise option_error("max_memory", f"the memory limit must be above 0, got {limit}",
                               "give a size such as 16G")
        return int(limit)
    env = os.environ.get(MAX_MEMORY_ENV)
    return parse_size(env) if env else DEFAULT_MAX_MEMORY


def human(size: float) -> str:
    """Bytes for people: 7.45 GiB, 512 MiB."""
    if size >= 1024 ** 4 * 10 ** 6:  # no machine has it; a huge int would overflow a float
        return "a million TiB or more"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.3g} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def require_memory(what: str, needed: int, limit: int | str | None, fix: str,
                   location: str = "--max-memory", option: str | None = "--max-memory",
                   source: str | None = None) -> None:
    """Refuse (exit 2 on the command line) when ``needed`` bytes exceed the limit.

    ``what`` says what would need the memory; ``fix`` how to need less; ``option`` the
    command's option that lifts the limit (None: only the environment variable). The
    message always names the estimate, the limit and how to lift it.
    """
    allowed = memory_limit(limit)
    if needed <= allowed:
        return
    size = _round_up(needed)
    lift = f"{option_text(flag_name(option), size, option)} (or {MAX_MEMORY_ENV}={size})" \
        if option else f"{MAX_MEMORY_ENV}={size} in the environment"
    refusal = option_error(location, f"{what} would need about {human(needed)} of memory, "
                           f"over the limit of {human(allowed)}; nothing was run",
                           f"{fix}, or raise the limit with {lift}")
    refusal.source = source
    raise refusal


def _round_up(size: int) -> str:
    gib = -(-size // 2**30)
    return f"{gib}G"
