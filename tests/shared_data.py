"""The shared research data for reference tests: one place for its path, one rule for a gap.

Every reference test reads ``../shared/research/data`` through :data:`SHARED_DATA` (from
``tests/conftest.py``) and guards a file it needs with :func:`needs_shared` (a decorator) or
:func:`require_shared` (a call inside a fixture or helper). A missing file skips the test
outside CI, with the path in the reason; under ``CI=true`` it fails the test, so that a
reference test can never pass by silently skipping (issue 13, item 8).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.conftest import IN_CI, SHARED_DATA

__all__ = ["SHARED_DATA", "needs_shared", "require_shared", "shared_path"]

F = TypeVar("F", bound=Callable[..., Any])


def shared_path(*parts: str) -> Path:
    """A path under the shared research data (it need not exist)."""
    return SHARED_DATA.joinpath(*parts)


def require_shared(path: Path, *, ci: bool | None = None) -> Path:
    """Return ``path`` if it exists; otherwise skip (outside CI) or fail (under ``CI=true``).

    ``ci`` overrides the environment (for the helper's own tests).
    """
    if path.exists():
        return path
    in_ci = IN_CI if ci is None else ci
    message = (f"shared research data not found: {path} (clone the project beside "
               f"../shared; reference tests read {SHARED_DATA})")
    if in_ci:
        pytest.fail(f"CI=true and a reference test lacks its data: {message}", pytrace=False)
    pytest.skip(message)
    raise AssertionError("unreachable")  # pytest.skip raises; this keeps the type honest


def needs_shared(*paths: Path) -> Callable[[F], F]:
    """Decorator: the test needs every one of ``paths`` (see :func:`require_shared`).

    Checked when the test runs, not at collection, so a CI run reports each missing file as
    a failure of the test that needs it.
    """
    def decorate(test: F) -> F:
        @functools.wraps(test)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for path in paths:
                require_shared(path)
            return test(*args, **kwargs)
        return wrapper  # type: ignore[return-value]
    return decorate
