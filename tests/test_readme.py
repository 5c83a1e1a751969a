"""The README runs as written (issue 18, item 6).

Every line of the README's ``sh`` blocks is pasted into bash in order, in a fresh
directory that holds a copy of ``examples/`` and, beside it, a link to ``../shared`` (so the
README's ``../shared/research/...`` paths resolve as they do from a checkout); nothing in the
repository is written. Commands run against the package already installed in this test's
environment: ``.venv/bin/`` is read as that environment's ``bin`` folder and the activate
line as putting it on the ``PATH``. Lines that install, start a server or run this suite
are not run, each with its reason; the Python block runs too.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA
from tests.shared_data import require_shared

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Step:
    line: str      # the README line as written
    command: str   # what runs (after .venv/bin/ is mapped), "" when skipped
    skip: str      # why it does not run, "" when it runs


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def _why_not(part: str) -> str:
    words = shlex.split(part, comments=True)
    if not words:
        return "empty"
    if words[:3] == ["python3", "-m", "venv"] or "pip" in Path(words[0]).name:
        return "installs: the test runs against the package already installed here"
    if words[:2] == ["bash", "scripts/test.sh"]:
        return "runs the whole test suite, this test included"
    if len(words) > 1 and Path(words[0]).name == "detente" and words[1] == "serve":
        return "starts a server that runs until stopped (tests/test_web_api.py covers it)"
    return ""


def _steps() -> list[Step]:
    steps = []
    for block in _blocks("sh"):
        for line in block.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line.split("#")[0].split() == ["source", ".venv/bin/activate"]:
                steps.append(Step(line, "", "the test puts the installed environment's "
                                            "bin folder first on the PATH instead"))
                continue
            # A set-up line chains install && run: each part is judged on its own.
            for part in line.split("&&"):
                why = _why_not(part)
                command = "" if why else part.strip().replace(".venv/bin/", f"{BIN}/")
                steps.append(Step(line, command, why))
    return steps


STEPS = _steps()


def test_readme_has_the_commands_it_documents() -> None:
    # The extraction itself could silently find nothing (a renamed fence): then every
    # parametrized test below would vanish and this suite would pass on an empty README.
    run = [s for s in STEPS if not s.skip]
    assert len(run) >= 15, [s.line for s in STEPS]
    assert any("examples/my.yaml" in s.command for s in run)
    assert any("examples/ktab.csv" in s.command for s in run)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (BIN / "detente").exists():
        pytest.skip(f"the detente command is not installed in {BIN} (pip install -e .)")
    base = tmp_path_factory.mktemp("readme")
    work = base / "checkout"
    work.mkdir()
    shutil.copytree(ROOT / "examples", work / "examples")
    if SHARED_DATA.is_dir():
        (base / "shared").symlink_to(SHARED_DATA.parent.parent, target_is_directory=True)
    return work


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "120"
    return env


@pytest.mark.parametrize("step", STEPS, ids=[f"{k}:{s.line[:40]}" for k, s in
                                              enumerate(STEPS)])
def test_readme_line_runs(step: Step, workdir: Path) -> None:
    if step.skip:
        pytest.skip(f"{step.line.strip()!r}: {step.skip}")
    if "../shared/" in step.command:
        for path in re.findall(r"\.\./shared/\S+", step.command):
            require_shared(workdir.parent / path[3:])
    done = subprocess.run(["bash", "-c", step.command], cwd=workdir, env=_environment(),
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, (step.line, done.stdout[-2000:], done.stderr[-2000:])
    assert done.stdout.strip(), f"{step.line!r} printed nothing"
    for written in re.findall(r"-o (\S+)", step.command):
        assert (workdir / written).stat().st_size > 0, f"{step.line!r} wrote no {written}"


def test_readme_python_block_runs(tmp_path: Path) -> None:
    blocks = _blocks("python")
    assert blocks, "the README lost its Python example"
    for code in blocks:
        done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                              text=True, timeout=300, check=False)
        assert done.returncode == 0, (code, done.stderr[-2000:])
