#!/usr/bin/env python3
"""Write a regression pin: korea-2017's numbers, or every model's DEU III forecasts.

    .venv/bin/python scripts/pin_regression.py                  # first time only
    .venv/bin/python scripts/pin_regression.py --force          # overwrite: lists what moves
    .venv/bin/python scripts/pin_regression.py --pin deu --force

What is pinned and with which tolerance: tests/test_regression_korea.py (korea-2017-
regression.json) and tests/test_regression_deu.py (deu3-forecasts.json, read from
../shared/research/data). A pin exists so that a refactor can prove it changed no number;
overwriting it is a decision, so the script refuses unless given --force, and then prints
every value that moves.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The snapshot and the comparison live with the test, so both read numbers the same way.
sys.path.insert(0, str(ROOT))

from tests import test_regression_deu, test_regression_korea  # noqa: E402

#: Each pin: its golden file, how it is taken, and how two takes are compared.
PINS = {
    "korea": (test_regression_korea.GOLDEN, test_regression_korea.snapshot,
              test_regression_korea.differences),
    "deu": (test_regression_deu.GOLDEN, test_regression_deu.snapshot,
            test_regression_deu.moved),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true",
                        help="overwrite an existing golden file (prints what moves)")
    parser.add_argument("--pin", choices=sorted(PINS), default="korea",
                        help="which pin (default korea)")
    parser.add_argument("--output", type=Path, default=None,
                        help="where to write (default: the pin's golden file in tests/reference)")
    args = parser.parse_args(argv)
    golden, snapshot, differences = PINS[args.pin]
    target: Path = args.output or golden
    if target.exists() and not args.force:
        print(f"{target}: already exists; nothing was written\n"
              "    fix: check the regression test first; pass --force to overwrite "
              "(every moved value is listed)", file=sys.stderr)
        return 2
    data = snapshot()
    if target.exists():
        old = json.loads(target.read_text(encoding="utf-8"))
        moved = differences(old, data, limit=10_000)
        print(f"{len(moved)} value(s) differ from the old pin" + (":" if moved else "."))
        for line in moved:
            print("  " + line)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False) + "\n",
                      encoding="utf-8")
    print(f"wrote {target} ({target.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
