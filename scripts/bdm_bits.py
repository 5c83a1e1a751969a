"""Every number BDM computes, saved, so that a change meant to keep them can be checked bit
for bit against the code before it.

    PYTHONPATH=src python scripts/bdm_bits.py save BEFORE.npz   # on the old code
    PYTHONPATH=src python scripts/bdm_bits.py save AFTER.npz    # on the new code
    python scripts/bdm_bits.py compare BEFORE.npz AFTER.npz

Saved: every array of ``simulate`` (forecast, trajectory, rounds and the details) and of
the first two rounds' ``play_round`` (P, EUs, relations, offers, choices, ...), for the EC
car-emission table, korea-2017 (both files), random 10/40/200-actor scenarios (one with
actors without a stance on some issues, one a batch), under both presets, each option of
``CHOICES`` changed one at a time, the switches (``voter_risk``, ``capitulation``), a Q
below 1 and every method (auto, fast, blocked). ``compare`` checks the raw bytes (so -0.0
against 0.0 or one nan against another payload counts), dtypes and shapes, key by key.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def _random(n_actors: int, n_issues: int, seed: int, batch: int = 0,
            absent: bool = False) -> Any:
    from detente.arrays import Arrays

    rng = np.random.default_rng(seed)
    lead = (batch,) if batch else ()
    stake = np.ones((n_actors, n_issues), dtype=bool)
    if absent:
        stake = rng.uniform(size=(n_actors, n_issues)) > 0.25
    # A 1/20 grid puts actors exactly on each other's midpoints (ties in the sums).
    position = np.round(rng.uniform(0, 1, (*lead, n_actors, n_issues)) * 20) / 20
    return Arrays(
        actor_ids=tuple(f"A{k}" for k in range(n_actors)),
        issue_ids=tuple(f"I{k}" for k in range(n_issues)),
        guarantor_ids=tuple(f"A{k}" for k in range(n_actors)),
        capability=rng.uniform(0.5, 10.0, n_actors),
        position=position,
        salience=rng.uniform(0.1, 1.0, (n_actors, n_issues)),
        status_quo=rng.uniform(0, 1, n_issues),
        trust=np.ones((n_actors, n_actors)),
        stake=stake,
        veto=np.zeros(n_actors, dtype=bool),
        scale_low=np.zeros(n_issues), scale_high=np.ones(n_issues),
    )


def scenarios() -> Iterator[tuple[str, Any, bool]]:
    """(name, arrays, every option set) -- the 200-actor one runs the presets only."""
    import detente

    sys.path.insert(0, str(ROOT))
    from tests.shared_data import shared_path

    ec = (shared_path("bdm") / "jmckib__bdm-scholz-expected-utility-model"
          / "ExampleActors.csv")
    yield "ec", detente.load(str(ec)).compile(), True
    yield "korea", detente.load("korea-2017").compile(), True
    yield "korea-moon", detente.load("korea-2017-moon").compile(), True
    yield "r10-absent", _random(10, 4, 1, absent=True), True
    yield "r10-batch", _random(10, 2, 2, batch=5), True
    yield "r40", _random(40, 2, 3), True
    yield "r200", _random(200, 1, 200), False


def option_sets(everything: bool) -> Iterator[tuple[str, dict[str, Any]]]:
    from detente.models.bdm import CHOICES, PRESETS

    for preset, base in PRESETS.items():
        yield preset, {"preset": preset}
        if not everything:
            continue
        for name, allowed in CHOICES.items():
            for value in allowed:
                if value != base.get(name):
                    yield f"{preset}.{name}={value}", {"preset": preset, name: value}
        for switch in ("voter_risk", "capitulation"):
            yield f"{preset}.{switch}", {"preset": preset, switch: not base[switch]}
        yield f"{preset}.q=0.7", {"preset": preset, "q": 0.7}
        yield f"{preset}.q=0.7.shrink", {"preset": preset, "q": 0.7, "t_rule": "shrink"}


def save(path: str) -> None:
    from detente.models.bdm import Bdm, play_round, simulate, simulate_rows, to_rows

    out: dict[str, np.ndarray] = {}
    for name, arrays, everything in scenarios():
        for label, options in option_sets(everything):
            rounds = {"max_rounds": 10, "stop_eps": 0.0} if name == "r200" else {}
            opts = Bdm(**options, **rounds).options
            methods = ("auto", "fast", "blocked")
            if name == "r200" and (opts.voter_risk or opts.q_rule == "product"):
                methods = ("auto",)
            for method in methods:
                key = f"{name}/{label}/{method}"
                run = simulate(arrays, opts, method=method)
                out[f"{key}/forecast"] = run.forecast
                out[f"{key}/trajectory"] = run.trajectory
                out[f"{key}/rounds"] = run.rounds
                for detail, value in run.details.items():
                    if isinstance(value, np.ndarray):
                        out[f"{key}/details.{detail}"] = value
                if name == "r200":
                    continue
                x0, rows = to_rows(arrays)
                played = simulate_rows(x0, rows, opts, method)["positions"]
                for t in range(min(2, len(played) - 1)):
                    prev = played[t - 1] if t else None
                    result = play_round(played[t], x0, prev, rows, opts, method)
                    for field, value in vars(result).items():
                        out[f"{key}/round{t}.{field}"] = value
        print(f"{name}: done", flush=True)
    np.savez(path, **out)
    print(f"{len(out)} arrays saved to {path}")


def compare(before: str, after: str) -> int:
    a, b = np.load(before), np.load(after)
    problems = [f"only in {before}: {k}" for k in sorted(set(a.files) - set(b.files))]
    problems += [f"only in {after}: {k}" for k in sorted(set(b.files) - set(a.files))]
    for key in sorted(set(a.files) & set(b.files)):
        x, y = a[key], b[key]
        if x.dtype != y.dtype or x.shape != y.shape or x.tobytes() != y.tobytes():
            problems.append(f"differs: {key}")
    print("\n".join(problems[:50]))
    print(f"{len(a.files)} arrays compared: "
          f"{'all bit-identical' if not problems else f'{len(problems)} differ'}")
    return 1 if problems else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["save"] and len(sys.argv) == 3:
        save(sys.argv[2])
    elif sys.argv[1:2] == ["compare"] and len(sys.argv) == 4:
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)
