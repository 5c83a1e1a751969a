"""A procedural (agenda-setter) model of EU legislation: the setter's best point in the win-set."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detente.arrays import Arrays
from detente.models.base import MemoryEstimate, Model, ModelResult, RngLike
from detente.models.compromise import weighted_mean
from detente.models.constrained import interval_win_set


class Procedural(Model):
    """Agenda setter proposes its best point among those the decision rule accepts over q.

    The procedural models of EU legislation (G. Tsebelis 1994, "The power of the European
    Parliament as a conditional agenda setter", *APSR* 88(1); B. Steunenberg 1994,
    "Decision making under different institutional arrangements", *J. Institutional and
    Theoretical Economics* 150(4); C. Crombez 1996, *European J. Political Research* 29(2)),
    in the single-issue form tested in Thomson, Stokman, Achen & König (eds., 2006), *The
    European Union Decides*, ch. 4-5 and 10: the Commission (the agenda setter) proposes; the
    proposal passes when the Council's decision rule and, under co-decision, the Parliament
    accept it over the reference point q. The outcome is the setter's ideal point clipped to
    the *win-set* of q:

    * every veto player (``veto: true``, positive capability × salience) prefers the outcome
      to q — in DEU scenarios every member state under unanimity, and the Parliament under
      co-decision (:mod:`detente.datasets.deu` sets these flags);
    * a qualified majority of the voters prefers it to q: the voters are the actors other
      than the setter and the ``chamber`` with positive capability × salience, weighted by
      capability (the Council votes in force), and ``quota`` is the share of their votes
      needed. A voter at p prefers x to q on a line when |x − p| ≤ |q − p|, so the points a
      coalition of weight ≥ quota prefers form an interval through q, found from the voters'
      reflection points 2p − q (a weighted quantile).

    Where the setter (``setter``, default the Commission ``COM``) has no stance, the
    proposal is the compromise forecast (Achen 2006), clipped the same way; on a scenario
    without EU actors the model is the compromise constrained by the veto players and a
    qualified majority of all actors. Issues are decided one at a time (no package deals).

    Simplifications, stated: the quota is one number for every issue (Amsterdam QMV was 62
    of 87 votes, 71 %; Nice 255 of 345, 74 %; Lisbon 65 % of the population, which the
    ``council`` capability of DEU stands for) and counts the votes of the states with a
    position on the issue only; the Parliament's own majority is not modelled (it acts as
    one actor); under consultation the Parliament is neither a voter nor a veto player.
    """

    name = "procedural"
    needs_status_quo = True
    respects_vetoes = True
    #: The setter and the chamber are looked up by actor id.
    actor_options = ("setter", "chamber")

    @dataclass(frozen=True)
    class Options:
        setter: str = "COM"
        chamber: str = "EP"
        quota: float = 0.71

        def __post_init__(self) -> None:
            if not 0.5 <= self.quota <= 1.0:
                raise ValueError("quota must be from 0.5 to 1 (a share of the votes)")

    def estimate(self, n_actors: int, n_issues: int, batch: int = 1) -> MemoryEstimate:
        """As the base estimate, but each row keeps the forecast, both ends of the win-set
        and the setter flag (25 bytes per issue, rounded up to 32)."""
        base = super().estimate(n_actors, n_issues, batch)
        return MemoryEstimate(working=base.working, outputs_per_row=8 * 4 * max(n_issues, 1))

    def run(self, arrays: Arrays, rng: RngLike = None) -> ModelResult:
        weight = arrays.weight
        active = arrays.stake & (weight > 0)  # [B,] A, I
        veto = arrays.veto[:, None] & active
        low, high = interval_win_set(arrays.position, arrays.status_quo, veto)
        voter = active.copy()
        for actor in (self.options.setter, self.options.chamber):
            if actor in arrays.actor_ids:
                voter[..., arrays.actor_ids.index(actor), :] = False
        votes = np.where(voter, np.broadcast_to(arrays.capability[..., :, None], voter.shape),
                         0.0)
        q_low, q_high = qualified_majority_interval(arrays.position, arrays.status_quo, votes,
                                                    self.options.quota)
        low, high = np.maximum(low, q_low), np.minimum(high, q_high)
        proposal = weighted_mean(arrays.position, weight)
        has_setter = np.zeros(proposal.shape, dtype=bool)
        if self.options.setter in arrays.actor_ids:
            s = arrays.actor_ids.index(self.options.setter)
            has_setter = np.broadcast_to(active[..., s, :], proposal.shape)
            proposal = np.where(has_setter, arrays.position[..., s, :], proposal)
        forecast = np.clip(proposal, low, high)
        return self._result(forecast, details={"win_set_low": low, "win_set_high": high,
                                               "setter": has_setter})


def qualified_majority_interval(position: np.ndarray, status_quo: np.ndarray,
                                votes: np.ndarray,
                                quota: float) -> tuple[np.ndarray, np.ndarray]:
    """The interval of points that voters holding ≥ ``quota`` of ``votes`` prefer to q.

    ``position``/``votes``: ``[B,] A, I`` (votes 0 for non-voters); ``status_quo``: ``[B,] I``.
    Voter i weakly prefers x > q to q when x ≤ r_i = 2 p_i − q; the right end is the largest
    r with Σ_{r_i ≥ r} votes ≥ quota · Σ votes (at least q), the left end likewise. Without
    voters the interval is the whole scale.
    """
    q = status_quo[..., None, :]
    total = np.sum(votes, axis=-2)
    need = quota * total - 1e-12 * np.maximum(total, 1.0)

    def reach(reflection: np.ndarray) -> np.ndarray:
        # Largest r such that the voters whose reflection point is ≥ r hold the quota.
        order = np.argsort(-reflection, axis=-2, kind="stable")
        r = np.take_along_axis(reflection, order, axis=-2)
        cum = np.cumsum(np.take_along_axis(votes, order, axis=-2), axis=-2)
        first = np.argmax(cum >= need[..., None, :], axis=-2)[..., None, :]
        return np.take_along_axis(r, first, axis=-2)[..., 0, :]

    reflection = 2.0 * position - q
    right = np.maximum(reach(np.where(votes > 0, reflection, -np.inf)), status_quo)
    left = np.minimum(-reach(np.where(votes > 0, -reflection, -np.inf)), status_quo)
    none = total <= 0
    return (np.where(none, 0.0, np.maximum(left, 0.0)),
            np.where(none, 1.0, np.minimum(right, 1.0)))
