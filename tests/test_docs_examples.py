"""The examples in docs/ run as written (issue 14): every ```python block, and every
``detente`` line of a ```sh or ```bash block, in a temporary folder.

A page's example is a promise to its reader; this test keeps it. Paths into the shared
research data (``../shared/research/data/...``) point at the real files; ``my.yaml`` and
``data.csv`` (the reader's own files in the examples) are written into the folder first,
from the embedded scenario and from a KTAB table of the shared data. Lines that install
packages, start a server or call one are not run; the reason is in ``NOT_RUN``.
"""

from __future__ import annotations

import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import main  # noqa: F401  (registers every command module)
from detente.cli.common import app
from detente.scenario import load
from tests.shared_data import SHARED_DATA, require_shared

DOCS = Path(__file__).resolve().parents[1] / "docs"
KTAB_TABLE = SHARED_DATA / "ktab" / "smp" / "dummyData_3Dim.csv"

#: What a line starts with -> why it is not run here.
NOT_RUN = {
    "pip install": "installs packages (the test environment has them)",
    "detente serve": "starts a server that runs until stopped (tests/test_web_*.py cover it)",
    "curl": "talks to a running server (tests/test_web_api.py covers the API)",
    "PYTHONPATH=src python benchmarks/": "a benchmark that runs for minutes (run by hand; "
                                         "docs/performance.md shows its output)",
    "detente room": "needs the tokens an earlier line prints (tests/test_room.py runs the "
                    "same rooms through the CLI, tokens and all)",
    "DETENTE_ROOM_TOKEN=": "needs a token an earlier line prints (tests/test_room.py)",
    "export DETENTE_ROOM_TOKEN": "sets a token an earlier line prints (tests/test_room.py)",
    "detente report my.yaml -o my-report.html --set settle.step=5":
        "the whole report at a fine grid and 10,000 samples runs for minutes; the line above "
        "runs the report, and tests/test_surfaces.py runs one with --set options",
    "detente sample pooled.yaml": "reads the file a room exports (tests/test_room.py pools "
                                  "three experts and samples the result)",
}


@dataclass(frozen=True)
class Example:
    page: str
    line: int
    language: str
    code: str

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def examples() -> list[Example]:
    found = []
    for page in sorted(DOCS.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        for match in re.finditer(r"^```(\w*)\n(.*?)^```", text, re.S | re.M):
            language, body = match.group(1), match.group(2)
            first_line = text.count("\n", 0, match.start()) + 2
            if language == "python":
                found.append(Example(page.name, first_line, language, body))
            elif language in ("sh", "bash"):
                for offset, line in enumerate(body.splitlines()):
                    if line.strip() and not line.startswith((" ", "#")):
                        found.append(Example(page.name, first_line + offset, "sh", line))
    return found


EXAMPLES = examples()


def test_the_docs_have_examples_of_both_kinds() -> None:
    kinds = {e.language for e in EXAMPLES}
    assert kinds == {"python", "sh"}, kinds
    assert len(EXAMPLES) > 30


def with_real_paths(code: str) -> str:
    return code.replace("../shared/research/data", str(SHARED_DATA))


@pytest.fixture
def reader_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with the reader's own files the examples name."""
    (tmp_path / "my.yaml").write_text(load("korea-2017").to_yaml(), encoding="utf-8")
    if KTAB_TABLE.exists():
        shutil.copyfile(KTAB_TABLE, tmp_path / "data.csv")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def needs_shared_data(code: str) -> None:
    if "../shared/research/data" in code or "data.csv" in code:
        require_shared(SHARED_DATA / "deu" / "deu3_blksv.csv")
        require_shared(KTAB_TABLE)


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.language == "python"],
                         ids=lambda e: e.id)
def test_python_example_runs(example: Example, reader_folder: Path) -> None:
    needs_shared_data(example.code)
    exec(compile(with_real_paths(example.code), example.id, "exec"), {"__name__": "__doc__"})


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.language == "sh"],
                         ids=lambda e: e.id)
def test_shell_example_runs(example: Example, reader_folder: Path) -> None:
    for start, reason in NOT_RUN.items():
        if example.code.startswith(start):
            pytest.skip(f"not run: {reason}")
    words = shlex.split(with_real_paths(example.code), comments=True)
    command = shlex.join(words)
    needs_shared_data(example.code)
    assert words[0] == "detente", f"{example.id}: a shell example should call detente"
    result = CliRunner().invoke(app, words[1:], catch_exceptions=False)
    assert result.exit_code == 0, f"{example.id}: `{command}` exited {result.exit_code}:\n" \
                                  f"{result.output[-2000:]}"
