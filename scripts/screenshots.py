#!/usr/bin/env python3
"""Regenerate the screenshots in docs/img from the current code (issue 18).

    .venv/bin/pip install pypdfium2          # once: rasterizes the PDF page
    .venv/bin/python scripts/screenshots.py  # needs Debian's chromium on the PATH

Writes ``report-1200.png`` and ``report-400.png`` (the top of the korea-2017 report at a
desktop and a phone width, as chromium draws it headless) and ``brief-page1.png`` (the
first page of ``detente brief --pdf``, at 100 dpi). Defaults everywhere: the pictures show
what a user who types the commands gets.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMG = ROOT / "docs" / "img"
#: Width of each report screenshot (px) -> file; every one shows the report's top HEIGHT px.
REPORT_WIDTHS = {1200: "report-1200.png", 400: "report-400.png"}
HEIGHT = 2200
PDF_DPI = 100


def _detente(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "detente", *args], check=True, cwd=ROOT)


def _browser() -> str:
    from detente.brief import find_chromium

    found = find_chromium()
    if found is None:
        raise SystemExit("screenshots: chromium is not installed (apt-get install chromium)")
    return found


def report_shots(browser: str, folder: Path, target: Path) -> list[Path]:
    page = folder / "report.html"
    _detente("report", "-o", str(page), "-q")
    written = []
    for width, name in REPORT_WIDTHS.items():
        shot = target / name
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                        "--hide-scrollbars", f"--window-size={width},{HEIGHT}",
                        f"--screenshot={shot}", page.as_uri()],
                       check=True, capture_output=True)
        written.append(shot)
    return written


def brief_shot(folder: Path, target: Path) -> Path:
    try:
        import pypdfium2
    except ImportError:
        raise SystemExit("screenshots: pip install pypdfium2 (it rasterizes the PDF)") from None
    pdf = folder / "brief.pdf"
    _detente("brief", "--pdf", str(pdf), "-q")
    document = pypdfium2.PdfDocument(str(pdf))
    print(f"brief.pdf: {len(document)} page(s)")
    shot = target / "brief-page1.png"
    document[0].render(scale=PDF_DPI / 72).to_pil().save(shot)
    return shot


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=IMG, help="folder (default docs/img)")
    args = parser.parse_args(argv)
    browser = _browser()
    args.output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="detente-shots-") as name:
        folder = Path(name)
        written = [*report_shots(browser, folder, args.output), brief_shot(folder, args.output)]
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
