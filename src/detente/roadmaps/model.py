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

**Mechanisms** (issue 16; ``docs/roadmap.md``, applied with the settlement's own functions
in :mod:`detente.settlement.mechanisms`). Verification (Keohane 1984, ch. 6; Fearon 1995):
stage j's promised move of a verified issue, seen at checkpoint t, is believed with
c' = c + (1 − c) e E, where the regime E falls back to the one delivered before t and the
regime promised by stage j is believed with its deliverers' credibility. Links (Raiffa 1982,
ch. 10) and stakes value the cumulative package: a stage counts the change it makes to
them (at face when banked, the link part times c' when promised). Package rules hold at
every stage. Walk-away points (Fisher & Ury 1981) replace the status quo as the defector's
alternative: E − r, or E − max(r, B) under ``stop`` after the first checkpoint.

Every function takes a leading batch axis ``[B,]`` (trust scans, Monte Carlo); an actor's
term on an issue depends on that issue's path and at most one other's, so the search
(:mod:`detente.roadmaps.search`) can add per-issue and pair terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from detente.arrays import Arrays
from detente.scenario.compile import Mechanisms
from detente.settlement.mechanisms import (
    effective_credibility,
    issue_gains_with,
    linked_gains,
    package_allowed,
    stake_gains,
    walk_away,
)
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
    return issue_gains(position, shares, before, after, belief, settings.power,
                       settings.certain_losses)


@dataclass(frozen=True)
class StageTerms:
    """Per-issue terms of a roadmap's checkpoints, ``[..., S, A, I]`` each.

    ``banked``: B^t per issue; ``rest``: R^t per issue; ``face``: the stage's own move at
    face value (c = 1, links and stakes on the cumulative package), ``promised``: the
    stage's move as believed at its own checkpoint (ψ^{j,j}); ``final``: the settlement
    gain over the status quo of the final package with the last stage's deliverers,
    ``[..., A, I]``.
    """

    banked: np.ndarray
    rest: np.ndarray
    face: np.ndarray
    promised: np.ndarray
    final: np.ndarray

    @property
    def expected(self) -> np.ndarray:
        return self.banked + self.rest


def _before(stages: np.ndarray, status_quo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(stages, before) broadcast together, ``[..., S, I]``: x^j and x^{j−1} (x⁰ = q)."""
    q = np.asarray(status_quo, dtype=float)[..., None, :]
    lead = np.broadcast_shapes(q.shape[:-2], stages.shape[:-2])
    stages = np.broadcast_to(stages, lead + stages.shape[-2:])
    before = np.concatenate([np.broadcast_to(q, (*lead, 1, stages.shape[-1])),
                             stages[..., :-1, :]], axis=-2)
    return stages, before


def stage_terms(arrays: Arrays, stages: np.ndarray, guarantees: Guarantees,
                settings: UtilitySettings, patience: float = 1.0,
                mechanisms: Mechanisms | None = None,
                learning: float | np.ndarray = 0.0) -> StageTerms:
    """The per-issue checkpoint terms of roadmaps ``stages [..., S, I]`` (unit scale).

    ``guarantees``: each stage's deliverers (``deliverers [S, I, G]``). ``mechanisms``:
    verification, links and stakes, applied by the settlement's own functions
    (:mod:`detente.settlement.mechanisms`; equations in docs/roadmap.md): a promised move
    of a verified issue is believed with the credibility verification raises, the regime
    falling back to the one delivered by the stages before the checkpoint; links and stakes
    value the cumulative package, so a stage counts the change it makes to them.
    ``learning``: λ (a scalar or one per batch row), trust earned by delivery. Leading
    axes of ``arrays`` and ``stages`` broadcast.
    """
    mech = mechanisms if mechanisms is not None and not mechanisms.is_empty else None
    stages, before = _before(np.asarray(stages, dtype=float), arrays.status_quo)
    shares = salience_shares(arrays.salience)
    pos = arrays.position[..., None, :, :]
    sh = shares[..., None, :, :]
    face = _step_gains(pos, sh, before, stages, np.ones(1), settings)
    shift = None  # what links and stakes add to a stage's move, before belief
    if mech is not None:
        q = arrays.status_quo[..., None, :]
        lost = []
        for x in (stages, before):  # the link loss of each cumulative package at face value
            h = _step_gains(pos, sh, q, x, np.ones(1), settings)
            lost.append(h - linked_gains(mech, arrays, h, x))
        links = lost[0] - lost[1]
        stakes = (stake_gains(mech, arrays, stages, guarantees)
                  - stake_gains(mech, arrays, before, guarantees))
        face = face - links + stakes
        shift = (links, stakes)
    # B^t = Σ_{j<t} face^j: exclusive cumulative sum over the stage axis (-3).
    banked = np.cumsum(face, axis=-3) - face
    rate = np.asarray(learning, dtype=float)
    learned = None
    if np.any(rate > 0.0):
        counts = delivered_counts(stages, arrays.status_quo, guarantees)
        learned = learned_trust(arrays.trust, counts, rate)  # [..., S(t), A, G]
    per_checkpoint = learned is not None or (mech is not None and bool(mech.verifications))
    n_stages = stages.shape[-2]

    def believed(t: int) -> np.ndarray:
        """Every stage's move as believed at checkpoint t, ``[..., S, A, I]``."""
        # checkpoint 1 has delivered nothing yet: T¹ = T
        trust = arrays.trust if learned is None or t == 0 else learned[..., t, :, :]
        if mech is None:
            belief = credibility(trust[..., None, :, :], guarantees.deliverers,
                                 guarantees.unconditional, settings.correlation)
        else:
            belief = effective_credibility(
                mech, arrays.replace(trust=trust), stages, guarantees, settings,
                delivered=before[..., t:t + 1, :])[2]
        promised = _step_gains(pos, sh, before, stages, belief, settings)
        if shift is not None:
            promised = promised - belief * shift[0] + shift[1]
        return promised

    def backward(promised: np.ndarray, down_to: int, rest: np.ndarray) -> None:
        # R^t = promised^t + δ R^{t+1}, from the last stage back.
        carry = np.zeros(promised.shape[:-3] + promised.shape[-2:])
        for t in range(n_stages - 1, down_to - 1, -1):  # S ≤ 5 stages: a short loop
            carry = promised[..., t, :, :] + patience * carry
            rest[..., t, :, :] = carry

    first = believed(0)
    lead = np.broadcast_shapes(first.shape, banked.shape, () if learned is None
                               else learned.shape[:-3] + first.shape[-3:])
    rest = np.empty(lead)
    own = np.empty(lead)
    backward(first, 0, rest)
    own[...] = first
    if per_checkpoint:
        for t in range(1, n_stages):
            at_t = believed(t)
            later = np.empty(lead)
            backward(at_t, t, later)
            rest[..., t, :, :] = later[..., t, :, :]
            own[..., t, :, :] = at_t[..., t, :, :]
    last = stages[..., -1:, :]
    last_guarantees = Guarantees(guarantees.guarantor_ids, guarantees.deliverers[..., -1, :, :],
                                 guarantees.unconditional[..., -1, :])
    if mech is None:
        belief = credibility(arrays.trust[..., None, :, :], last_guarantees.deliverers,
                             last_guarantees.unconditional, settings.correlation)
        final = _step_gains(pos, sh, arrays.status_quo[..., None, :], last, belief, settings)
    else:
        final = issue_gains_with(mech, arrays, last, last_guarantees, settings)
    return StageTerms(banked, rest, face, own, final[..., 0, :, :])


def margins(expected: np.ndarray, banked: np.ndarray, defection: Defection,
            walk_away: np.ndarray | None = None) -> np.ndarray:
    """How far going on beats defecting, ``[..., S, A]``: E − r, or under ``stop``
    E − max(r, B) from checkpoint 2 on (at checkpoint 1 nothing is banked: stopping is
    walking away), with r each actor's walk-away point ``[..., A]`` (0, the status quo,
    when None)."""
    r = 0.0 if walk_away is None else np.asarray(walk_away)[..., None, :]
    if defection == "reverse":
        return expected - r
    alternative = np.array(np.broadcast_to(np.maximum(banked, r), expected.shape))
    alternative[..., 0, :] = np.broadcast_to(r, alternative[..., :1, :].shape)[..., 0, :]
    return expected - alternative


@dataclass(frozen=True)
class Checkpoints:
    """A roadmap (or a batch of them) evaluated checkpoint by checkpoint.

    All ``[..., S, A]`` unless noted: ``banked`` B, ``rest`` R, ``expected`` E = B + R,
    ``margin`` E minus the alternative (the walk-away point r, or max(r, B) under
    ``stop``), ``stays`` margin > 0 (or not a party), ``tempted`` R < 0 (banked gains
    exceed what going on brings), ``issue_rest`` R per issue ``[..., S, A, I]``, ``final``
    the final package's settlement gains over the walk-away points ``[..., A]``,
    ``parties`` ``[..., A]``, ``allowed`` ``[..., S]`` whether each stage keeps the
    package rules, ``walk_away`` ``[..., A]`` the walk-away points r (None: the status
    quo).
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
    allowed: np.ndarray | None = None
    walk_away: np.ndarray | None = None

    @property
    def holds(self) -> np.ndarray:
        """Whether every party stays at every checkpoint and every stage keeps the package
        rules, ``[...]``."""
        stays = np.all(self.stays, axis=(-2, -1))
        return stays if self.allowed is None else stays & np.all(self.allowed, axis=-1)

    @property
    def stage_holds(self) -> np.ndarray:
        """Whether every party stays at each checkpoint, ``[..., S]``."""
        return np.all(self.stays, axis=-1)


def delivered_counts(stages: np.ndarray, status_quo: np.ndarray, guarantees: Guarantees
                     ) -> np.ndarray:
    """n^t_g, ``[..., S, G]``: in how many stages before checkpoint t guarantor g delivered a
    move (it is a deliverer of an issue that stage moves; unconditional issues have none)."""
    stages = np.asarray(stages, dtype=float)
    q = np.asarray(status_quo, dtype=float)[..., None, :]
    lead = np.broadcast_shapes(q.shape[:-2], stages.shape[:-2])
    stages = np.broadcast_to(stages, lead + stages.shape[-2:])
    before = np.concatenate([np.broadcast_to(q, (*lead, 1, stages.shape[-1])),
                             stages[..., :-1, :]], axis=-2)
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


def evaluate_stages(arrays: Arrays, stages: np.ndarray, guarantees: Guarantees,
                    settings: UtilitySettings, patience: float = 1.0,
                    defection: Defection = "reverse",
                    learning: float | np.ndarray = 0.0,
                    mechanisms: Mechanisms | None = None) -> Checkpoints:
    """Evaluate roadmaps ``stages [..., S, I]`` (unit scale) on (possibly batched) arrays.

    ``guarantees``: the deliverers of each stage's moves (``deliverers [S, I, G]``).
    ``learning``: the rate λ at which a delivered stage raises trust in its deliverers (a
    scalar, or one per batch row for a scan); 0 (the default) leaves trust fixed.
    ``mechanisms``: verification, links, package rules, walk-away points and stakes
    (docs/roadmap.md); None or empty: every number as without them.
    """
    check_defection(defection)
    if not 0.0 < patience <= 1.0:
        raise ValueError(f"patience must be in (0, 1], got {patience}")
    rate = np.asarray(learning, dtype=float)
    if not np.all((rate >= 0.0) & (rate <= 1.0)):
        raise ValueError(f"learning must be in [0, 1], got {learning}")
    terms = stage_terms(arrays, stages, guarantees, settings, patience, mechanisms, rate)
    banked = terms.banked.sum(axis=-1)
    rest = terms.rest.sum(axis=-1)
    banked = np.broadcast_to(banked, rest.shape)
    expected = banked + rest
    final = terms.final.sum(axis=-1)
    walk = None
    allowed = np.ones(expected.shape[:-1], dtype=bool)
    if mechanisms is not None and mechanisms.walk_away:
        walk = walk_away(mechanisms, arrays, settings)  # [B,] A: fixed at signing
        final = final - walk
    if mechanisms is not None and mechanisms.rules:
        allowed = np.broadcast_to(package_allowed(mechanisms, arrays.issue_ids,
                                                  np.asarray(stages, dtype=float)),
                                  allowed.shape)
    margin = margins(expected, banked, defection, walk)
    must = arrays.veto & (arrays.salience.sum(axis=-1) > 0)
    must_s = np.broadcast_to(must[..., None, :], margin.shape)
    stays = (margin > GAIN_TOLERANCE) | ~must_s
    tempted = (rest < -GAIN_TOLERANCE) & must_s
    return Checkpoints(banked=banked, rest=rest, expected=expected, margin=margin,
                       stays=stays, tempted=tempted, issue_rest=terms.rest,
                       final=final, parties=must, allowed=allowed, walk_away=walk)
