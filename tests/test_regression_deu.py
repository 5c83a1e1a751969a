"""Regression pin on real inputs: every model's forecast of every DEU III issue.

korea-2017's pin (tests/test_regression_korea.py) holds one scenario whose actors never sit
at exactly the same place. The 353 scored DEU III issues are the opposite: many member
states share a position (0, 50, 100), so the stepwise models meet exact ties on every round,
and a refactor that only reorders floating-point sums can move their forecasts. One did:
an in-place rewrite of smp's challenge arithmetic ("same operations") moved 50 of the 353
smp forecasts by up to 1.5 points while korea-2017's pin held; no test noticed until the
docs' accuracy table was measured again.

The golden file ``tests/reference/deu3-forecasts.json`` is written by
``scripts/pin_regression.py --pin deu`` (which refuses to overwrite it without ``--force``).
It holds, per predictor (every registered model at its defaults, seed 0, Council-vote
capabilities; the baselines too), its forecast of each issue on the data set's 0-100 scale,
placeholders included (a model that needs a status quo is pinned on the midpoint stand-in
too). Only forecasts are pinned, never observed outcomes or scores: this guards against
silent change, and tunes nothing to the outcomes. Tolerance: 1e-7 points (1e-9 of the
scale).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from detente.validate import validate_deu
from tests.shared_data import require_shared, shared_path

GOLDEN = Path(__file__).parent / "reference" / "deu3-forecasts.json"
BLKSV = shared_path("deu", "deu3_blksv.csv")
#: Points on the 0-100 scale: 1e-9 of it.
TOLERANCE = 1e-7


def snapshot() -> dict[str, Any]:
    """Each predictor's forecast of each issue (by case id), as plain JSON data."""
    result = validate_deu(require_shared(BLKSV), n_boot=0, combine=False, rng=0)
    cases = [row.case for row in result.rows]
    forecasts = {}
    for name, values in result.predictions.items():
        shown = result.unmasked.get(name, values)
        # A baseline without a value for an issue (no status quo, no Commission position).
        forecasts[name] = {case: None if math.isnan(v) else float(v)
                           for case, v in zip(cases, shown.tolist(), strict=True)}
    return {"data": BLKSV.name, "capability": "council", "seed": 0, "forecasts": forecasts}


def moved(expected: dict[str, Any], actual: dict[str, Any], limit: int = 50) -> list[str]:
    """Each forecast that left the pin (at most ``limit``), and any change of coverage."""
    found = [f"{key}: pinned {expected.get(key)!r}, now {actual.get(key)!r}"
             for key in ("data", "capability", "seed") if expected.get(key) != actual.get(key)]
    pinned, now = expected["forecasts"], actual["forecasts"]
    found += [f"{name}: pinned, not predicted now" for name in pinned.keys() - now.keys()]
    found += [f"{name}: predicted now, not pinned" for name in now.keys() - pinned.keys()]
    for name in sorted(pinned.keys() & now.keys()):
        before, after = pinned[name], now[name]
        found += [f"{name}: issue {case} pinned, missing now" for case in before.keys()
                  - after.keys()]
        found += [f"{name}: issue {case} new, not pinned" for case in after.keys()
                  - before.keys()]
        for case in sorted(before.keys() & after.keys()):
            a, b = before[case], after[case]
            if (a is None) != (b is None) or (a is not None and abs(a - b) > TOLERANCE):
                found.append(f"{name}: issue {case} pinned {a!r}, now {b!r}")
    return found[:limit]


@pytest.fixture(scope="module")
def golden() -> dict[str, Any]:
    assert GOLDEN.is_file(), f"{GOLDEN} is missing: run scripts/pin_regression.py --pin deu"
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_every_forecast_of_every_deu_issue_is_as_pinned(golden: dict[str, Any]) -> None:
    changes = moved(golden, snapshot())
    assert not changes, "forecasts moved (a bug, or a change to explain):\n" + "\n".join(
        changes)


def test_the_comparison_sees_a_moved_forecast(golden: dict[str, Any]) -> None:
    """The check itself can fail: one forecast moved by 1e-6 points is reported."""
    altered = json.loads(json.dumps(golden))
    smp = altered["forecasts"]["smp"]
    case = sorted(smp)[0]
    smp[case] += 1e-6
    pinned = golden["forecasts"]["smp"][case]
    assert moved(golden, altered) == [f"smp: issue {case} pinned {pinned!r}, now {smp[case]!r}"]
