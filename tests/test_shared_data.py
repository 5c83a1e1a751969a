"""The reference-data guard: a missing file skips outside CI and fails under ``CI=true``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA
from tests.shared_data import needs_shared, require_shared, shared_path


def test_missing_shared_file_fails_under_ci(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.csv"
    with pytest.raises(pytest.fail.Exception, match=r"CI=true.*nowhere\.csv"):
        require_shared(missing, ci=True)


def test_missing_shared_file_skips_outside_ci(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.csv"
    with pytest.raises(pytest.skip.Exception, match=r"nowhere\.csv"):
        require_shared(missing, ci=False)


def test_present_file_passes_through(tmp_path: Path) -> None:
    present = tmp_path / "here.csv"
    present.write_text("x\n")
    assert require_shared(present, ci=True) == present


def test_decorator_checks_when_the_test_runs(tmp_path: Path) -> None:
    calls: list[int] = []

    @needs_shared(tmp_path / "absent")
    def body(x: int) -> None:
        calls.append(x)

    with pytest.raises((pytest.skip.Exception, pytest.fail.Exception)):
        body(1)
    assert calls == []
    (tmp_path / "absent").mkdir()
    body(2)
    assert calls == [2]


def test_paths_come_from_conftest() -> None:
    assert shared_path("ktab", "smp") == SHARED_DATA / "ktab" / "smp"


def test_no_test_file_builds_its_own_shared_path() -> None:
    """Every reference test goes through SHARED_DATA, so the CI guard covers it."""
    here = Path(__file__).parent
    offenders = [p.name for p in sorted(here.glob("*.py"))
                 if p.name not in {"conftest.py", "test_shared_data.py"}
                 and '"shared" / "research"' in p.read_text()]
    assert offenders == []
