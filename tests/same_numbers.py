"""Compare two JSON-like results number by number, to a relative tolerance.

Two surfaces (the web worker, the library) run the same arithmetic in different processes;
the last bit of an iterative model's float may differ with the order numpy sums in, so
"the same result" means equal structure, equal strings and numbers equal to 1e-9.
"""

from __future__ import annotations

import math
from typing import Any


def assert_same_numbers(got: Any, expected: Any, rel: float = 1e-9, where: str = "$") -> None:
    if isinstance(expected, dict):
        assert isinstance(got, dict), f"{where}: {got!r} is not an object"
        assert list(got) == list(expected), f"{where}: keys {list(got)} != {list(expected)}"
        for key in expected:
            assert_same_numbers(got[key], expected[key], rel, f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(got, list), f"{where}: {got!r} is not a list"
        assert len(got) == len(expected), f"{where}: {len(got)} items != {len(expected)}"
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            assert_same_numbers(g, e, rel, f"{where}[{i}]")
    elif isinstance(expected, float) and not isinstance(got, bool):
        assert isinstance(got, int | float), f"{where}: {got!r} is not a number"
        close = math.isclose(got, expected, rel_tol=rel, abs_tol=rel)
        assert close, f"{where}: {got} != {expected}"
    else:
        assert got == expected, f"{where}: {got!r} != {expected!r}"
