"""A hash of every array of the settlement's gain table, so that a change meant to keep
them can be checked bit for bit against the code before it.

    PYTHONPATH=src python scripts/gain_table_bits.py save BEFORE.json   # on the old code
    PYTHONPATH=src python scripts/gain_table_bits.py save AFTER.json    # on the new code
    python scripts/gain_table_bits.py compare BEFORE.json AFTER.json

Hashed (SHA-256 of the raw bytes with dtype and shape, so -0.0 against 0.0 counts): every
field of :class:`~detente.settlement.search.GainTable` (values, valid, changed, gains,
parties, weights, each pair term's gains and allowed slot pairs, the walk-away offset) of
``build_table`` on both embedded korea-2017 scenarios: 1,000 draws of the default noise at
steps 5 and 2 (built in batches, hashed as one array), the unsampled scenario without a
batch axis, and at step 5 on 200 draws each setting of the utility (linear, correlated
deliverers, certain losses) and each kind of mechanism left out in turn.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np

SCENARIOS = ("korea-2017", "korea-2017-moon")
SEED = 11
#: Draws per build_table call: a batch of pair grids at step 2 is [B, 52², A, I] floats.
BATCH = 250


def _fields(table: Any) -> Iterator[tuple[str, np.ndarray]]:
    for name in ("values", "valid", "changed", "gains", "must_agree", "weights"):
        yield name, getattr(table, name)
    for pair in table.pairs:
        yield f"pair{pair.i}-{pair.j}.gains", pair.gains
        yield f"pair{pair.i}-{pair.j}.allowed", pair.allowed
    if table.offset is not None:
        yield "offset", table.offset


def _hash_tables(tables: Iterator[Any]) -> dict[str, str]:
    """One hash per field over the tables' batches in turn: the hash of the concatenated
    arrays (C order), whatever the batch size."""
    hashers: dict[str, Any] = {}
    for table in tables:
        for name, array in _fields(table):
            hasher = hashers.get(name)
            if hasher is None:
                hasher = hashers[name] = hashlib.sha256()
                hasher.update(f"{array.dtype.str}{array.shape[1:]}".encode())
            hasher.update(np.ascontiguousarray(array).tobytes())
    return {name: hasher.hexdigest() for name, hasher in hashers.items()}


def digests() -> dict[str, dict[str, str]]:
    import detente
    from detente.settlement.mechanisms import KINDS, ignoring
    from detente.settlement.problem import SettlementProblem
    from detente.settlement.search import build_table
    from detente.settlement.utility import UtilitySettings
    from detente.uncertainty import input_space
    from detente.uncertainty.engine import draw_rows
    from detente.uncertainty.inputs import DEFAULT_NOISE

    def batches(space: Any, problem: SettlementProblem, draws: int,
                settings: UtilitySettings) -> Iterator[Any]:
        for start in range(0, draws, BATCH):
            arrays = space.assemble(draw_rows(space, SEED, start, min(draws, start + BATCH)))
            yield build_table(problem.replace(arrays=arrays), settings)

    out: dict[str, dict[str, str]] = {}
    for name in SCENARIOS:
        scenario = detente.load(name)
        space = input_space(scenario, DEFAULT_NOISE)

        plain = UtilitySettings()
        for step in (5.0, 2.0):
            problem = SettlementProblem.from_scenario(scenario, step)
            out[f"{name} step {step:g}, 1000 draws"] = _hash_tables(
                batches(space, problem, 1000, plain))
            out[f"{name} step {step:g}, unbatched"] = _hash_tables(
                iter([build_table(problem)]))
        problem = SettlementProblem.from_scenario(scenario, 5.0)
        for label, settings in (("linear", UtilitySettings(utility="linear")),
                                ("correlation 0.5", UtilitySettings(correlation=0.5)),
                                ("certain losses", UtilitySettings(losses="certain"))):
            out[f"{name} step 5, 200 draws, {label}"] = _hash_tables(
                batches(space, problem, 200, settings))
        for kind in KINDS:
            without = problem.replace(mechanisms=ignoring(problem.mechanisms, [kind]))
            out[f"{name} step 5, 200 draws, without {kind}"] = _hash_tables(
                batches(space, without, 200, plain))
    return out


def compare(before: dict[str, dict[str, str]], after: dict[str, dict[str, str]]) -> int:
    differences = 0
    for case in sorted(set(before) | set(after)):
        old, new = before.get(case, {}), after.get(case, {})
        for name in sorted(set(old) | set(new)):
            if old.get(name) != new.get(name):
                differences += 1
                print(f"DIFFERENT: {case}: {name}")
    fields = sum(len(v) for v in before.values())
    print(f"{len(before)} cases, {fields} arrays: "
          f"{'all the same bytes' if not differences else f'{differences} different'}")
    return 1 if differences else 0


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "save":
        with open(argv[1], "w") as f:
            json.dump(digests(), f, indent=1, sort_keys=True)
        return 0
    if len(argv) == 3 and argv[0] == "compare":
        with open(argv[1]) as f1, open(argv[2]) as f2:
            return compare(json.load(f1), json.load(f2))
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
