"""Staged settlements: the array core (equations in ``docs/roadmap.md``).

A roadmap is a list of stages x¹ … xˢ (packages on the unit scale), with x⁰ = q the status
quo. Stage j moves issue k from x^{j−1}_k to x^j_k; its deliverers D^j_k (the stage's
guarantors, else the issue's) give actor a the settlement credibility c^j[a, k]
(:func:`detente.settlement.credibility`). Before stage t is carried out (checkpoint t,
t = 1 … S) stages 1 … t−1 are done and stages t … S are promises. For actor a:

* banked gain   B^t_a = Σ_{j<t} Σ_k s̃[a,k] (u(x^j_k) − u(x^{j−1}_k)) = U_a(x^{t−1}) − U_a(q)
  (delivered: counted in full);
* expected rest R^t_a = Σ_{j≥t} δ^{j−t} Σ_k s̃[a,k] c^j[a,k] (u(x^j_k) − u(x^{j−1}_k))
  (each promised stage's move as the settlement lottery of :func:`issue_gains`, discounted
  by the patience factor δ per stage of delay);
* expected total E^t_a = B^t_a + R^t_a, its gain over the status quo if it goes on.

Defecting at checkpoint t either reverses the deal to the status quo (``defection="reverse"``:
the alternative is 0, the settlement's reservation) or, in addition, may stop and keep the
banked stages (``defection="stop"``: the alternative is max(0, B^t_a)). Actor a *stays* at
t when E^t_a exceeds its alternative; it is *tempted* (the weak point) when its banked gain
exceeds what it expects from going on, B^t_a > E^t_a, i.e. R^t_a < 0.

With one stage E¹ is the settlement gain of x¹; with all trust 1 and δ = 1, E^t = U(xˢ) − U(q)
at every checkpoint, so under ``reverse`` the last stage holds exactly when the final
package is in the settlement zone.

**Trust earned by delivery** (``learning`` λ in [0, 1], default 0 = off). Each stage that is
carried out raises every receiver's trust in each deliverer that delivered a move in it, by
the learning rule of Rescorla & Wagner (1972) with the outcome "delivered" (= 1):
T ← T + λ (1 − T). After n delivered stages, T^t[a,g] = 1 − (1 − T[a,g]) (1 − λ)^{n^t_g},
where n^t_g counts the stages j < t in which g is a deliverer of an issue the stage moves.
(λ = 1/(n₀ + 1) on the first delivery is the Beta–Bernoulli posterior mean with n₀ prior
pseudo-observations; the constant rate forgets the prior as a Beta update with discounting
would.) The credibility of the promised stages j ≥ t at checkpoint t is taken with T^t, so
R^t = Σ_{j≥t} δ^{j−t} Σ_k s̃ c^{t,j} Δu^j. Banked stages and the final settlement gain are
unchanged; defection still ends the roadmap.

Every function takes a leading batch axis ``[B,]`` (trust scans, Monte Carlo) and works per
issue, so the search (:mod:`detente.roadmap.search`) can add per-issue terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from detente.arrays import Arrays
from detente.settlement.utility import (
    GAIN_TOLERANCE,
    Guarantees,
    UtilitySettings,
    credibility,
    issue_gains,
    salience_shares,
)

Defection = Literal["reverse", "stop"]


def check_defection(defection: str) -> Defection:
    if defection not in ("reverse", "stop"):
        raise ValueError(f"defection must be 'reverse' or 'stop', got {defection!r}")
    return defection  # type: ignore[return-value]


def _step_gains(position: np.ndarray, shares: np.ndarray, before: np.ndarray,
                after: np.ndarray, belief: np.ndarray, settings: UtilitySettings
                ) -> np.ndarray:
    """Per-issue gain of moving from ``before`` to ``after`` (the settlement lottery)."""
    extra = {}
    if getattr(settings, "certain_losses", False):  # settings of newer settlement versions
        extra["certain_losses"] = True
    return issue_gains(position, shares, before, after, belief, settings.power, **extra)


@dataclass(frozen=True)
class StageTerms:
    """Per-issue terms of a roadmap's checkpoints, ``[..., S, A, I]`` each.

    ``banked``: B^t per issue; ``rest``: R^t per issue; ``face``: the stage's own move at
    face value (c = 1), ``promised``: the stage's move as believed (c^j); ``final``: the
    settlement gain of the final package with the last stage's deliverers, ``[..., A, I]``.
    """

    banked: np.ndarray
    rest: np.ndarray
    face: np.ndarray
    promised: np.ndarray
    final: np.ndarray

    @property
    def expected(self) -> np.ndarray:
        return self.banked + self.rest


def _with_before(stages: np.ndarray, status_quo: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The stages ``[..., S, I]`` broadcast against the status quo, and where each stage
    starts from: the status quo before the first, the previous stage after it."""
    stages = np.asarray(stages, dtype=float)
    q = np.asarray(status_quo, dtype=float)[..., None, :]
    lead = np.broadcast_shapes(q.shape[:-2], stages.shape[:-2])
    stages = np.broadcast_to(stages, lead + stages.shape[-2:])
    before = np.concatenate([np.broadcast_to(q, (*lead, 1, stages.shape[-1])),
                             stages[..., :-1, :]], axis=-2)
    return stages, before


def stage_terms(position: np.ndarray, shares: np.ndarray, status_quo: np.ndarray,
                stages: np.ndarray, belief: np.ndarray, settings: UtilitySettings,
                patience: float = 1.0) -> StageTerms:
    """The per-issue checkpoint terms of roadmaps.

    ``position``, ``shares`` ``[..., A, I]``; ``status_quo`` ``[..., I]``; ``stages``
    ``[..., S, I]`` (unit scale); ``belief`` ``[..., S, A, I]`` the credibility of each
    stage's move (:func:`detente.settlement.credibility` with that stage's deliverers).
    Leading axes broadcast.
    """
    stages, before = _with_before(stages, status_quo)
    pos = position[..., None, :, :]
    sh = shares[..., None, :, :]
    face = _step_gains(pos, sh, before, stages, np.ones_like(belief), settings)
    promised = _step_gains(pos, sh, before, stages, belief, settings)
    # B^t = Σ_{j<t} face^j: exclusive cumulative sum over the stage axis (-3).
    banked = np.cumsum(face, axis=-3) - face
    # R^t = promised^t + δ R^{t+1}, from the last stage back.
    rest = np.empty_like(promised)
    carry = np.zeros(promised.shape[:-3] + promised.shape[-2:])
    for t in range(promised.shape[-3] - 1, -1, -1):  # S ≤ 5 stages: a short loop
        carry = promised[..., t, :, :] + patience * carry
        rest[..., t, :, :] = carry
    final = _step_gains(position, shares, np.asarray(status_quo, dtype=float),
                        stages[..., -1, :], belief[..., -1, :, :], settings)
    return StageTerms(banked, rest, face, promised, final)


def margins(expected: np.ndarray, banked: np.ndarray, defection: Defection) -> np.ndarray:
    """How far going on beats defecting, ``[..., S, A]``: E − 0 or E − max(0, B)."""
    if defection == "reverse":
        return expected
    return expected - np.maximum(banked, 0.0)


@dataclass(frozen=True)
class Checkpoints:
    """A roadmap (or a batch of them) evaluated checkpoint by checkpoint.

    All ``[..., S, A]`` unless noted: ``banked`` B, ``rest`` R, ``expected`` E = B + R,
    ``margin`` E minus the alternative, ``stays`` margin > 0 (or not a party), ``tempted``
    R < 0 (banked gains exceed what going on brings), ``issue_rest`` R per issue
    ``[..., S, A, I]``, ``final`` the final package's settlement gains ``[..., A]``,
    ``parties`` ``[..., A]``.
    """

    banked: np.ndarray
    rest: np.ndarray
    expected: np.ndarray
    margin: np.ndarray
    stays: np.ndarray
    tempted: np.ndarray
    issue_rest: np.ndarray
    final: np.ndarray
    parties: np.ndarray

    @property
    def holds(self) -> np.ndarray:
        """Whether every party stays at every checkpoint, ``[...]``."""
        return np.all(self.stays, axis=(-2, -1))

    @property
    def stage_holds(self) -> np.ndarray:
        """Whether every party stays at each checkpoint, ``[..., S]``."""
        return np.all(self.stays, axis=-1)


def delivered_counts(stages: np.ndarray, status_quo: np.ndarray, guarantees: Guarantees
                     ) -> np.ndarray:
    """n^t_g, ``[..., S, G]``: in how many stages before checkpoint t guarantor g delivered a
    move (it is a deliverer of an issue that stage moves; unconditional issues have none)."""
    stages, before = _with_before(stages, status_quo)
    moved = np.abs(stages - before) > 1e-12  # [..., S, I]
    duty = guarantees.deliverers & ~guarantees.unconditional[..., None]  # [S, I, G]
    delivered = (moved[..., :, :, None] & duty).any(axis=-2)  # [..., S, G]
    return np.cumsum(delivered, axis=-2) - delivered  # exclusive: stages before t


def learned_trust(trust: np.ndarray, counts: np.ndarray, learning: np.ndarray | float
                  ) -> np.ndarray:
    """T^t = 1 − (1 − T)(1 − λ)^{n^t}, ``[..., S, A, G]`` from ``trust [..., A, G]``,
    ``counts [..., S, G]`` and ``learning`` λ (a scalar or ``[...]`` per batch row)."""
    rate = np.asarray(learning, dtype=float)
    keep = (1.0 - rate)[..., None, None] ** counts  # [..., S, G]
    return 1.0 - (1.0 - trust[..., None, :, :]) * keep[..., :, None, :]


def _learned_rest(arrays: Arrays, shares: np.ndarray, stages: np.ndarray,
                  guarantees: Guarantees, settings: UtilitySettings, patience: float,
                  rate: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """R^t per issue with the trust learned by checkpoint t, ``[..., S, A, I]``."""
    counts = delivered_counts(stages, arrays.status_quo, guarantees)
    trust_t = learned_trust(arrays.trust, counts, rate)  # [..., S(t), A, G]
    rest = np.array(np.broadcast_to(fallback, np.broadcast_shapes(
        fallback.shape, trust_t.shape[:-3] + fallback.shape[-3:])))
    for t in range(1, rest.shape[-3]):  # checkpoint 1 has delivered nothing yet: T¹ = T
        belief = credibility(trust_t[..., t, None, :, :], guarantees.deliverers,
                             guarantees.unconditional, settings.correlation)
        terms = stage_terms(arrays.position, shares, arrays.status_quo, stages, belief,
                            settings, patience)
        rest[..., t, :, :] = terms.rest[..., t, :, :]
    return rest


def evaluate_stages(arrays: Arrays, stages: np.ndarray, guarantees: Guarantees,
                    settings: UtilitySettings, patience: float = 1.0,
                    defection: Defection = "reverse",
                    learning: float | np.ndarray = 0.0) -> Checkpoints:
    """Evaluate roadmaps ``stages [..., S, I]`` (unit scale) on (possibly batched) arrays.

    ``guarantees``: the deliverers of each stage's moves (``deliverers [S, I, G]``).
    ``learning``: the rate λ at which a delivered stage raises trust in its deliverers (a
    scalar, or one per batch row for a scan); 0 (the default) leaves trust fixed.
    """
    check_defection(defection)
    if not 0.0 < patience <= 1.0:
        raise ValueError(f"patience must be in (0, 1], got {patience}")
    rate = np.asarray(learning, dtype=float)
    if not np.all((rate >= 0.0) & (rate <= 1.0)):
        raise ValueError(f"learning must be in [0, 1], got {learning}")
    belief = credibility(arrays.trust[..., None, :, :], guarantees.deliverers,
                         guarantees.unconditional, settings.correlation)  # [B,] S, A, I
    shares = salience_shares(arrays.salience)
    terms = stage_terms(arrays.position, shares, arrays.status_quo,
                        stages, belief, settings, patience)
    issue_rest = terms.rest
    if np.any(rate > 0.0):
        issue_rest = _learned_rest(arrays, shares, stages, guarantees, settings, patience,
                                   rate, terms.rest)
    banked = terms.banked.sum(axis=-1)
    rest = issue_rest.sum(axis=-1)
    expected = banked + rest
    margin = margins(expected, banked, defection)
    must = arrays.veto & (arrays.salience.sum(axis=-1) > 0)
    must_s = np.broadcast_to(must[..., None, :], margin.shape)
    stays = (margin > GAIN_TOLERANCE) | ~must_s
    tempted = (rest < -GAIN_TOLERANCE) & must_s
    return Checkpoints(banked=banked, rest=rest, expected=expected, margin=margin,
                       stays=stays, tempted=tempted, issue_rest=issue_rest,
                       final=terms.final.sum(axis=-1), parties=must)
