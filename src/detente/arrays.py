"""The numerical form of a scenario: plain arrays on the unit scale.

Shapes, with an optional leading batch axis ``B`` (Monte Carlo) on the numeric fields:

========== ================ =====================================================
field      shape            meaning
========== ================ =====================================================
capability ``[B,] A``       leverage of each actor (> 0, any unit)
position   ``[B,] A, I``    ideal point per actor and issue, 0 = scale low, 1 = high
salience   ``[B,] A, I``    how much the issue matters to the actor, 0..1
status_quo ``[B,] I``       the status quo on the unit scale
trust      ``[B,] A, G``    how far actor i believes a commitment of guarantor g
stake      ``A, I``         whether the actor has a stance on the issue
veto       ``A``            whether a settlement needs the actor's assent
========== ================ =====================================================

``G`` lists the actors first (in actor order), then the institutions.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Arrays:
    actor_ids: tuple[str, ...]
    issue_ids: tuple[str, ...]
    guarantor_ids: tuple[str, ...]
    capability: np.ndarray
    position: np.ndarray
    salience: np.ndarray
    status_quo: np.ndarray
    trust: np.ndarray
    stake: np.ndarray
    veto: np.ndarray
    scale_low: np.ndarray
    scale_high: np.ndarray

    @property
    def n_actors(self) -> int:
        return len(self.actor_ids)

    @property
    def n_issues(self) -> int:
        return len(self.issue_ids)

    @property
    def batch_shape(self) -> tuple[int, ...]:
        return self.position.shape[:-2]

    @property
    def weight(self) -> np.ndarray:
        """Capability times salience, ``[B,] A, I``: an actor's pull on an issue."""
        weight: np.ndarray = self.capability[..., :, None] * self.salience
        return weight

    def replace(self, **changes: Any) -> Arrays:
        return dataclasses.replace(self, **changes)

    def without_idle_stances(self) -> Arrays:
        """The same scenario with every stance of salience exactly 0 read as no stance: the
        status quo as its placeholder position and, where no batch row gives it a salience,
        no stake.

        Salience 0 is "no stake, the same scenario as no stance" (docs/scenario-format.md,
        docs/uncertainty.md), yet the written position stays in the arrays for a
        counterfactual that gives the stance a salience (``--salience A.I=0.3``). smp reads
        its arrays through this, so that such a position is not one of its options.
        """
        idle = self.salience == 0
        if not idle.any():
            return self
        status_quo = np.broadcast_to(self.status_quo[..., None, :], self.position.shape)
        active = ~idle.reshape(-1, *idle.shape[-2:]).all(axis=0)
        return self.replace(position=np.where(idle, status_quo, self.position),
                            stake=self.stake & active)

    def to_units(self, unit_values: np.ndarray) -> np.ndarray:
        """Map values on the unit scale (issues on the last axis) to each issue's own units."""
        values: np.ndarray = self.scale_low + np.asarray(unit_values) * (
            self.scale_high - self.scale_low)
        return values

    def from_units(self, values: np.ndarray) -> np.ndarray:
        """Map values in issue units (issues on the last axis) to the unit scale."""
        unit: np.ndarray = (np.asarray(values) - self.scale_low) / (
            self.scale_high - self.scale_low)
        return unit

    def take_actors(self, index: np.ndarray | list[int]) -> Arrays:
        """The same scenario restricted to (or reordered by) some actors."""
        idx = np.asarray(index, dtype=int)
        n = self.n_actors
        g_idx = np.concatenate([idx, np.arange(n, len(self.guarantor_ids))])
        return self.replace(
            actor_ids=tuple(self.actor_ids[i] for i in idx),
            guarantor_ids=tuple(self.guarantor_ids[g] for g in g_idx),
            capability=self.capability[..., idx],
            position=self.position[..., idx, :],
            salience=self.salience[..., idx, :],
            trust=self.trust[..., idx, :][..., g_idx],
            stake=self.stake[idx],
            veto=self.veto[idx],
        )

    def actor_rows(self, index: np.ndarray | list[int]) -> Arrays:
        """The same scenario seen by some actors only: their rows of every per-actor field,
        with every guarantor kept (unlike :meth:`take_actors`, which also drops the others
        as guarantors).

        An actor's gain reads only its own rows of position, salience and trust and its
        own walk-away point (docs/settle.md, *Evaluating one actor*), so gains computed
        on these arrays are, element for element, the selected actors' gains on the full
        ones: what a scan of one actor's inputs needs, at a fraction of the work.
        """
        idx = np.asarray(index, dtype=int)
        return self.replace(
            actor_ids=tuple(self.actor_ids[i] for i in idx),
            capability=self.capability[..., idx],
            position=self.position[..., idx, :],
            salience=self.salience[..., idx, :],
            trust=self.trust[..., idx, :],
            stake=self.stake[idx],
            veto=self.veto[idx],
        )

    def broadcast_batch(self, batch: int) -> Arrays:
        """Repeat an unbatched scenario ``batch`` times along a new leading axis."""
        if self.batch_shape:
            raise ValueError("arrays already carry a batch axis")

        def rep(x: np.ndarray) -> np.ndarray:
            return np.broadcast_to(x, (batch, *x.shape)).copy()

        return self.replace(capability=rep(self.capability), position=rep(self.position),
                            salience=rep(self.salience), status_quo=rep(self.status_quo),
                            trust=rep(self.trust))
