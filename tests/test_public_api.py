"""The command line and the web are plumbing over the public API (issue 14, item 6): they
import nothing from detente but what ``detente/__init__.py`` exports (their own modules
aside), and every name the public API lists resolves -- lazily, so ``import detente``
stays light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import detente

SRC = Path(detente.__file__).parent
PLUMBING = ("cli", "web")


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) of every import of a detente module in one file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split(".")[0] == "detente":
            found.append((node.lineno, node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name, []) for a in node.names
                      if a.name.split(".")[0] == "detente"]
    return found


@pytest.mark.parametrize("package", PLUMBING)
def test_plumbing_imports_only_the_public_api(package: str) -> None:
    files = sorted((SRC / package).glob("*.py"))
    assert files, f"no module found in detente/{package}"
    bad = []
    for path in files:
        for line, module, names in _imports(path):
            # Plumbing may use plumbing (`detente serve` starts the web app).
            own = module.split(".")[:2] in [["detente", p] for p in PLUMBING]
            if module == "detente":
                bad += [f"{path.name}:{line} detente.{n} (not exported)" for n in names
                        if n not in detente.__all__]
            elif not own:
                bad.append(f"{path.name}:{line} {module}")
    assert not bad, "import from the public API (detente/__init__.py) instead:\n" + \
        "\n".join(bad)


def test_the_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    # The walk above must be able to fail: a private import is found.
    sample = tmp_path / "sample.py"
    sample.write_text("from detente.settlement.problem import DEFAULT_STEP\n"
                      "import detente.variation\nfrom detente import load\n")
    assert [m for _, m, _ in _imports(sample)] == ["detente.settlement.problem",
                                                  "detente.variation", "detente"]


def test_every_public_name_resolves() -> None:
    for name in detente.__all__:
        assert getattr(detente, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        detente.nonexistent  # noqa: B018


def test_import_detente_loads_no_heavy_extra() -> None:
    # The lazily exported names must stay lazy: plain `import detente` pulls in neither
    # the plotting, the templating nor the web stack.
    code = ("import sys, detente; print(sorted(m for m in ('matplotlib', 'jinja2', "
            "'fastapi', 'detente.analyses', 'detente.report') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
