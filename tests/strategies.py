"""Hypothesis strategies for random valid scenarios, as arrays and as Scenario objects."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from detente.arrays import Arrays


@st.composite
def arrays_strategy(draw: st.DrawFn, min_actors: int = 2, max_actors: int = 7,
                    max_issues: int = 3) -> Arrays:
    """Random valid arrays: positive capability, salience in (0, 1], positions on the grid.

    Positions are drawn on a 1/20 grid so that ties (and exact median halves) happen often.
    """
    n_actors = draw(st.integers(min_actors, max_actors))
    n_issues = draw(st.integers(1, max_issues))
    unit = st.integers(0, 20).map(lambda k: k / 20)
    position = np.array(draw(st.lists(unit, min_size=n_actors * n_issues,
                                      max_size=n_actors * n_issues))).reshape(n_actors, n_issues)
    salience = np.array(draw(st.lists(st.floats(0.05, 1.0), min_size=n_actors * n_issues,
                                      max_size=n_actors * n_issues))).reshape(n_actors, n_issues)
    capability = np.array(draw(st.lists(st.floats(0.5, 100.0), min_size=n_actors,
                                        max_size=n_actors)))
    status_quo = np.array(draw(st.lists(unit, min_size=n_issues, max_size=n_issues)))
    trust = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n_actors * n_actors,
                                   max_size=n_actors * n_actors))).reshape(n_actors, n_actors)
    np.fill_diagonal(trust, 1.0)
    return Arrays(
        actor_ids=tuple(f"A{k}" for k in range(n_actors)),
        issue_ids=tuple(f"I{k}" for k in range(n_issues)),
        guarantor_ids=tuple(f"A{k}" for k in range(n_actors)),
        capability=capability, position=position, salience=salience, status_quo=status_quo,
        trust=trust, stake=np.ones((n_actors, n_issues), dtype=bool),
        veto=np.ones(n_actors, dtype=bool),
        scale_low=np.zeros(n_issues), scale_high=np.full(n_issues, 100.0),
    )


def add_actor(arrays: Arrays, capability: float, position: np.ndarray,
              salience: np.ndarray) -> Arrays:
    """Append one actor (used for the zero-salience invariance)."""
    n = arrays.n_actors
    trust = np.ones((n + 1, n + 1))
    trust[:n, :n] = arrays.trust[:, :n]
    return arrays.replace(
        actor_ids=(*arrays.actor_ids, f"A{n}"),
        guarantor_ids=(*arrays.actor_ids, f"A{n}"),
        capability=np.append(arrays.capability, capability),
        position=np.vstack([arrays.position, position]),
        salience=np.vstack([arrays.salience, salience]),
        trust=trust,
        stake=np.vstack([arrays.stake, np.ones(arrays.n_issues, dtype=bool)]),
        veto=np.append(arrays.veto, True),
    )


@st.composite
def scenario_dicts(draw: st.DrawFn, max_actors: int = 5, max_issues: int = 3) -> dict:
    """Random valid scenario mappings in the file format (issue scales vary)."""
    n_actors = draw(st.integers(1, max_actors))
    n_issues = draw(st.integers(1, max_issues))
    issues, stances = [], {}
    for k in range(n_issues):
        low = draw(st.integers(-50, 50))
        high = low + draw(st.integers(1, 200))
        issues.append({"id": f"I{k}", "name": f"Issue {k}", "scale": {"low": low, "high": high},
                       "status_quo": draw(st.integers(low, high))})
    actors = [{"id": f"A{a}", "name": f"Actor {a}",
               "capability": draw(st.floats(0.1, 1000.0))} for a in range(n_actors)]
    for a in range(n_actors):
        stances[f"A{a}"] = {}
        for k, issue in enumerate(issues):
            if a == 0 or draw(st.booleans()):
                lo, hi = issue["scale"]["low"], issue["scale"]["high"]
                stances[f"A{a}"][f"I{k}"] = {
                    "position": draw(st.floats(lo, hi)),
                    "salience": draw(st.floats(0.01, 1.0)) if a == 0 else draw(st.floats(0, 1)),
                }
    return {"id": "random", "title": "Random", "issues": issues, "actors": actors,
            "stances": stances}
