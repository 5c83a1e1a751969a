"""Small hand-made and random settlement problems for the settlement tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from detente.arrays import Arrays
from detente.scenario import scenario_from_mapping
from detente.settlement.problem import SettlementProblem


def two_by_two(trust_b: float = 1.0, guarantor: str | None = None):
    """Two actors, two issues, worked by hand in tests/test_settlement.py."""
    issue_x = {"id": "X", "name": "x", "status_quo": 50}
    if guarantor:
        issue_x["guarantors"] = [guarantor]
    raw = {
        "id": "hand", "title": "hand case",
        "issues": [issue_x, {"id": "Y", "name": "y", "status_quo": 50}],
        "actors": [{"id": "A", "name": "a", "capability": 1},
                   {"id": "B", "name": "b", "capability": 1}],
        "stances": {"A": {"X": {"position": 100, "salience": 0.5},
                          "Y": {"position": 0, "salience": 0.5}},
                    "B": {"X": {"position": 0, "salience": 0.25},
                          "Y": {"position": 100, "salience": 0.75}}},
        "trust": {"A": {"B": trust_b}},
        "packages": [{"id": "DEAL", "name": "deal", "values": {"X": 100, "Y": 80}}],
    }
    return scenario_from_mapping(raw)


@st.composite
def random_problems(draw: st.DrawFn, batch: int | None = None, max_actors: int = 5,
                    max_issues: int = 5, max_options: int = 5) -> SettlementProblem:
    """A random settlement problem with random guarantors, trust and candidate values."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n_actors = draw(st.integers(2, max_actors))
    n_issues = draw(st.integers(1, max_issues))
    lead = () if batch is None else (batch,)
    grid = np.linspace(0, 1, 11)
    arrays = Arrays(
        actor_ids=tuple(f"A{k}" for k in range(n_actors)),
        issue_ids=tuple(f"I{k}" for k in range(n_issues)),
        guarantor_ids=(*(f"A{k}" for k in range(n_actors)), "INST"),
        capability=rng.uniform(0.5, 100, (*lead, n_actors)),
        position=rng.choice(grid, (*lead, n_actors, n_issues)),
        salience=rng.uniform(0.05, 1, (*lead, n_actors, n_issues)),
        status_quo=rng.choice(grid, (*lead, n_issues)),
        trust=np.where(rng.random((*lead, n_actors, n_actors + 1)) < 0.3, 1.0,
                       rng.random((*lead, n_actors, n_actors + 1))),
        stake=np.ones((n_actors, n_issues), dtype=bool),
        veto=rng.random(n_actors) < 0.8,
        scale_low=np.zeros(n_issues), scale_high=np.full(n_issues, 100.0),
    )
    names = [*arrays.actor_ids, "INST"]
    guarantors = tuple(
        None if rng.random() < 0.3 else
        tuple(g for g in names if rng.random() < 0.4)
        for _ in range(n_issues))
    candidates = tuple(
        tuple(float(v) for v in sorted(set(rng.choice(np.arange(0, 101, 10),
                                                      draw(st.integers(1, max_options))))))
        for _ in range(n_issues))
    keep = tuple(bool(rng.random() < 0.9) for _ in range(n_issues))
    return SettlementProblem(scenario_id="random", arrays=arrays, issue_guarantors=guarantors,
                             candidates=candidates, keep_status_quo=keep,
                             steps=tuple(None for _ in range(n_issues)))
