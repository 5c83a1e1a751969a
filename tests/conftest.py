"""Suite-wide settings: hypothesis profiles and the shared research data.

Two hypothesis profiles:

* ``ci`` (chosen when ``CI=true``): derandomized, no example database, so a CI run is the same
  run every time and fails only when something is wrong;
* ``dev`` (the default elsewhere): random seeds and the local example database, so repeated
  local runs keep exploring new cases and replay the ones that failed;
* ``explore`` (``HYPOTHESIS_PROFILE=explore``): random and ten times the examples of a test
  that does not set its own count (the reference checks' ``SEARCH_SETTINGS`` and
  ``REFERENCE_SETTINGS`` in tests/settle_helpers.py take the profile's 1000 as well).

Reference tests read ``../shared/research/data``. Outside CI a missing folder skips them with
the reason; under ``CI=true`` a missing folder fails the run, so reference tests can never
pass by silently skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "research" / "data"

settings.register_profile("ci", derandomize=True, database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", print_blob=True)
settings.register_profile("explore", max_examples=1000, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if IN_CI else "dev"))


def pytest_sessionstart(session: pytest.Session) -> None:
    if IN_CI and not SHARED_DATA.is_dir():
        raise pytest.UsageError(
            f"CI=true but the shared research data is not at {SHARED_DATA}: the reference tests "
            "would skip silently. Clone the project beside ../shared, or unset CI to skip them.")
