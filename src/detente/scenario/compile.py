"""Compiling a validated scenario to the arrays every model reads."""

from __future__ import annotations

import numpy as np

from detente.arrays import Arrays
from detente.scenario.schema import Scenario


def compile_arrays(s: Scenario) -> Arrays:
    """Compile a valid scenario to arrays on the unit scale (0 = scale low, 1 = scale high).

    An actor with no stance on an issue gets salience 0 there and, so that no model ever
    reads an undefined number, the status quo as a placeholder position (``stake`` marks it).
    """
    n_actors, n_issues = len(s.actors), len(s.issues)
    low = np.array([i.scale.low for i in s.issues], dtype=float)
    high = np.array([i.scale.high for i in s.issues], dtype=float)
    span = high - low
    status_quo = (np.array([i.status_quo.value for i in s.issues]) - low) / span
    position = np.tile(status_quo, (n_actors, 1))
    salience = np.zeros((n_actors, n_issues))
    stake = np.zeros((n_actors, n_issues), dtype=bool)
    issue_index = {iid: k for k, iid in enumerate(s.issue_ids)}
    for a, actor_id in enumerate(s.actor_ids):
        for issue_id, stance in s.stances.get(actor_id, {}).items():
            k = issue_index[issue_id]
            position[a, k] = (stance.position.value - low[k]) / span[k]
            salience[a, k] = stance.salience.value
            stake[a, k] = True
    guarantor_ids = s.guarantor_ids
    trust = np.full((n_actors, len(guarantor_ids)), s.trust_default)
    g_index = {g: k for k, g in enumerate(guarantor_ids)}
    for a, actor_id in enumerate(s.actor_ids):
        trust[a, g_index[actor_id]] = 1.0
        for trusted, m in s.trust.get(actor_id, {}).items():
            trust[a, g_index[trusted]] = m.value
    return Arrays(
        actor_ids=s.actor_ids,
        issue_ids=s.issue_ids,
        guarantor_ids=guarantor_ids,
        capability=np.array([a.capability.value for a in s.actors], dtype=float),
        position=np.clip(position, 0.0, 1.0),
        salience=salience,
        status_quo=np.clip(status_quo, 0.0, 1.0),
        trust=trust,
        stake=stake,
        veto=np.array([a.veto for a in s.actors], dtype=bool),
        scale_low=low,
        scale_high=high,
    )
