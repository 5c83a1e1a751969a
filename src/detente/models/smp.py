"""KTAB's Spatial Model of Politics (SMP), vectorised over actors, dimensions and a batch axis.

Source: B. P. Wise et al., "An Introduction to the KAPSARC Toolkit for Behavioral Analysis
(KTAB)" and "Multidimensional Bargaining Using KTAB" (KAPSARC); the model as implemented in
KTAB's ``smpc`` (github.com/KAPSARC/KTAB, ``examples/smp/libsrc``, ``KTAB/kmodel/libsrc``),
paraphrased in ``shared/research/ktab-smp.md`` §2. Section numbers below refer to that note.

Every issue of the scenario is one dimension of the SMP's space. Arrays are on the unit
scale (KTAB's 0-100 divided by 100). Internally every array carries a batch axis ``B``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from detente.arrays import Arrays
from detente.errors import option_error
from detente.models.base import (
    TIE_TOLERANCE,
    ExplainTable,
    MemoryEstimate,
    Model,
    ModelResult,
    RngLike,
    make_rng,
    model_stream,
    require_choices,
    require_count,
    require_within_cap,
)
from detente.render import UNITS, one_issue_spans

# Constants of KTAB's implementation (§2.2, §2.6, §2.7, §2.9).
MIN_COALITION = 1e-8        # floor of a coalition in Model::coalitions
MIN_CHALLENGE = 1e-10       # floor of the principals' coalitions in probEduChlg
MIN_GAIN = 1e-5             # a challenge must promise more than this (bestChallenge)
MIN_BARGAIN_WEIGHT = 1e-6   # keeps interpolated bargains defined when neither side cares
POSITION_TOLERANCE = 1e-3   # positions closer than this are one option in the report (posTol)
STOP_FLOOR = 1e-4           # added to the first step's distance in the stopping rule
BINARY_VOTE_SCALE = 1e-8    # Binary voting: clip(Δ / 1e-8, ±1)
BINARY_VICTORY_THRESHOLD = 1.10
BINARY_VICTORY_MIN = 1e-6
INCENTIVE_EPS = 1e-10       # diagonal incentive in the Markov-incentive PCE
MARKOV_UNIFORM_TOL = 1e-6
MARKOV_INCENTIVE_TOL = 1e-8
MARKOV_MAX_ITER = 1000
RISK_RANGE_FLOOR = 1e-12   # a smaller spread of probabilities is rounding noise
# Ties (first_of_max): candidates within TIE_TOLERANCE (models.base) of the values'
# magnitude of the largest count as equal. On DEU III the gaps between the two best targets
# or bargains that tie in exact arithmetic came from sums over the actors and products over
# a queue; bargains are rounded to 1e-4, far above the tolerance.
CHUNK_ELEMENTS = 1 << 18  # bound on the third-party tensors built at once
# Working set of the scenarios bargaining at once (run_smp), besides the results and the
# tensors bounded by CHUNK_ELEMENTS: about 285 korea-2017 scenarios (6 actors, 8 issues).
# Since a stopped scenario's place is taken at once, steps stay full and their numpy calls'
# fixed cost is shared; fewer scenarios keep a step's arrays nearer the cache (on 4,608
# draws, CPU seconds within a few per cent from 256 to 1,142 at once, 128 clearly slower).
BATCH_BYTES = 16 * 2**20

VictoryProb = Literal["linear", "square", "quartic", "octic", "binary"]
PCEModel = Literal["conditional", "markov_uniform", "markov_incentive"]
Transitions = Literal["deterministic", "stochastic"]
VotingRule = Literal["binary", "prop_bin", "proportional", "prop_cubic", "cubic",
                     "asym_prospect"]
BigRAdjust = Literal["none", "one_third", "half", "two_thirds", "full"]
BigRRange = Literal["min", "mid", "max"]
ThirdPartyCommit = Literal["no", "semi", "full"]
BargainInterp = Literal["s1p1", "s2p2", "s2pmax"]
BargainModel = Literal["init_only", "init_rcvr", "pw_comp"]

#: The turn from which the stop rule applies, by default (KTAB's); a lower max_turns ends
#: the run first (see require_within_cap).
DEFAULT_MIN_TURNS = 2

_CHOICES: dict[str, tuple[str, ...]] = {
    "victory_prob": ("linear", "square", "quartic", "octic", "binary"),
    "pce": ("conditional", "markov_uniform", "markov_incentive"),
    "transitions": ("deterministic", "stochastic"),
    "voting_rule": ("binary", "prop_bin", "proportional", "prop_cubic", "cubic",
                    "asym_prospect"),
    "big_r_adjust": ("none", "one_third", "half", "two_thirds", "full"),
    "big_r_range": ("min", "mid", "max"),
    "third_party_commit": ("no", "semi", "full"),
    "bargain_interp": ("s1p1", "s2p2", "s2pmax"),
    "bargain_model": ("init_only", "init_rcvr", "pw_comp"),
}


@dataclass(frozen=True)
class SMPOptions:
    """KTAB's nine model parameters (defaults as in ``smp.h``/``kmodel.h``) and run limits."""

    victory_prob: VictoryProb = "linear"
    pce: PCEModel = "conditional"
    transitions: Transitions = "deterministic"
    voting_rule: VotingRule = "proportional"
    big_r_adjust: BigRAdjust = "one_third"
    big_r_range: BigRRange = "mid"
    third_party_commit: ThirdPartyCommit = "semi"
    bargain_interp: BargainInterp = "s2p2"
    bargain_model: BargainModel = "init_only"
    ktab_compat: bool = False
    ideal_adjustment: float = 1.0
    max_turns: int = 100
    min_turns: int = DEFAULT_MIN_TURNS
    stop_ratio: float = 0.02

    def __post_init__(self) -> None:
        require_choices(self, _CHOICES)
        if not 0.0 <= self.ideal_adjustment <= 1.0:
            raise ValueError("ideal_adjustment must be in [0, 1]")
        require_count("max_turns", self.max_turns, 1, 1000,
                      "runs meet the stop rule within tens of turns, 100 by default; every "
                      "turn is kept in memory")
        require_count("min_turns", self.min_turns, 1, 1000,
                      "the stop rule applies from this turn on; no run goes past 1,000 turns")
        require_within_cap("min_turns", self.min_turns, DEFAULT_MIN_TURNS,
                           "max_turns", self.max_turns)
        if not self.stop_ratio >= 0.0:
            raise ValueError("stop_ratio must be >= 0")


# --------------------------------------------------------------------------------------
# Sums over the last axis, bit for bit as numpy's and faster on short rows
# --------------------------------------------------------------------------------------
# numpy reduces the last axis one row at a time, which costs far more than the additions
# where rows are a few terms long and many (the N third parties or voters, the K issues, of
# thousands of pairs): about 5x on [285, 6, 6, 6]. The functions below do the same
# additions in the same order over whole columns. tests/test_smp_sums.py checks them
# against numpy on random arrays, signed zeros included, so that a numpy that changes its
# order fails there rather than moving a result.

PAIRWISE_BLOCK = 8     # numpy's pairwise sum keeps 8 running sums ...
PAIRWISE_LIMIT = 128   # ... over rows of up to 128 terms (it splits longer ones)


def sum_last(x: np.ndarray) -> np.ndarray:
    """``np.sum(x, axis=-1)`` with the same bits.

    numpy adds a row of a C-contiguous array as 0.0 + its pairwise sum: below 8 terms left
    to right; up to 128 terms in 8 running sums over the row, (r0 + r1) + (r2 + r3) +
    ((r4 + r5) + (r6 + r7)), then the remaining terms one by one. Other arrays (and longer
    rows) are left to numpy.
    """
    n = x.shape[-1]
    if not 2 <= n <= PAIRWISE_LIMIT or not x.flags.c_contiguous:
        return np.sum(x, axis=-1)
    if n < PAIRWISE_BLOCK:
        total = sequential_sum(x)
    else:
        whole = n - n % PAIRWISE_BLOCK
        r = x[..., :PAIRWISE_BLOCK]
        if whole > PAIRWISE_BLOCK:  # running sums to keep (else r is only read)
            r = r.copy()
            for k in range(PAIRWISE_BLOCK, whole, PAIRWISE_BLOCK):
                r += x[..., k:k + PAIRWISE_BLOCK]
        total = (r[..., 0] + r[..., 1]) + (r[..., 2] + r[..., 3])
        total += (r[..., 4] + r[..., 5]) + (r[..., 6] + r[..., 7])
        for k in range(whole, n):
            total += x[..., k]
    total += 0.0  # numpy's start: a sum of signed zeros is +0.0
    return total


def first_of_max(values: np.ndarray, scale: float = 0.0) -> np.ndarray:
    """Index of the first largest value on the last axis, values within
    :data:`TIE_TOLERANCE` × max(|largest|, ``scale``) of the largest counting as equal.

    KTAB's loops keep the first of equal values (a strict '<' in bestChallenge, ndxMaxAbs):
    on an exact tie, actor (or queue) order decides. Here "equal" is equal up to rounding,
    so that an exact tie is not broken by the last bits of sums that are taken in different
    orders (np.argmax would pick whichever came out a few ulps larger). ``scale``: the
    magnitude at which the values carry their rounding noise where it is not their own
    (differences of larger terms). A row of −inf gives 0, as np.argmax.
    """
    top = np.max(values, axis=-1, keepdims=True)
    magnitude = np.maximum(np.abs(top), scale)
    return np.argmax(values >= top - TIE_TOLERANCE * magnitude, axis=-1)


def prod_last(x: np.ndarray) -> np.ndarray:
    """``np.prod(x, axis=-1)``: numpy multiplies left to right."""
    total = x[..., 0].copy()
    for k in range(1, x.shape[-1]):
        total *= x[..., k]
    return total


# --------------------------------------------------------------------------------------
# Elementary functions (§2.1-§2.3)
# --------------------------------------------------------------------------------------

def salience_distance(ideal: np.ndarray, position: np.ndarray, salience: np.ndarray,
                      norm: np.ndarray | None = None) -> np.ndarray:
    """d_ij = sqrt(Σ_k s_ik² (y_ik − x_jk)² / Σ_k s_ik²), ``[B, N, N]`` (§2.1, bvDiff).

    An actor with no salience at all is indifferent: its distances are 0. ``norm``:
    Σ_k s_ik² if the caller has it (``salience_norm``).
    """
    s = salience[:, :, None, :]
    # In place: the same products as (y − x)·s and its square, without two temporaries of
    # [B, N, N, K].
    ds = np.subtract(ideal[:, :, None, :], position[:, None, :, :])
    np.multiply(ds, s, out=ds)
    num = sum_last(np.multiply(ds, ds, out=ds))
    den = (salience_norm(salience) if norm is None else norm)[:, :, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.sqrt(num / den)
    return np.where(den > 0, d, 0.0)


def salience_norm(salience: np.ndarray) -> np.ndarray:
    """Σ_k s_ik², the denominator of :func:`salience_distance`, ``[B, N]``."""
    return sum_last(salience * salience)


def point_distance(ideal: np.ndarray, points: np.ndarray, salience: np.ndarray,
                   norm: np.ndarray | None = None) -> np.ndarray:
    """Distance of each actor's ideal to arbitrary points: ``[B, N], [B, G, K] -> [B, N, G]``."""
    return salience_distance(ideal, points, salience, norm)


def utility(d: np.ndarray, r: np.ndarray | float) -> np.ndarray:
    """u(d, R) = (1 − d)(1 + dR) for d ≤ 1, (1 − d)(1 + R) beyond (§2.1, bsUtil)."""
    # (1 − d)(1 + dR) written into the array of dR (the broadcast shape), without two
    # more temporaries: the model evaluates it on every [B, N, N, N] third-party tensor.
    near = np.multiply(d, r)
    np.multiply(np.subtract(1, d), np.add(1, near, out=near), out=near)
    if np.max(d, initial=0.0) <= 1:  # always so for positions on the unit scale
        return near
    return np.where(d <= 1, near, (1 - d) * (1 + r))


def vote(rule: str, weight: np.ndarray, u1: np.ndarray, u2: np.ndarray) -> np.ndarray:
    """v = w f(u1 − u2) under a voting rule (§2.2, Model::vote)."""
    return vote_on_difference(rule, weight, u1 - u2)


def vote_on_difference(rule: str, weight: np.ndarray, du: np.ndarray) -> np.ndarray:
    """v = w f(Δ) for a utility difference Δ."""
    if rule == "proportional":
        return weight * du
    if rule == "binary":
        return weight * binary_step(du)
    if rule == "prop_bin":
        return weight * ((1 - 0.2) * du + 0.2 * binary_step(du))
    if rule == "prop_cubic":
        return weight * ((1 - 0.5) * du + 0.5 * (du * du * du))
    if rule == "cubic":
        return weight * (du * du * du)
    if rule == "asym_prospect":
        return np.where(du < 0, weight * du, np.where(du > 0, (2.0 * weight * du) / 3.0, 0.0))
    raise ValueError(rule)


def binary_step(du: np.ndarray) -> np.ndarray:
    """clip(Δ / BINARY_VOTE_SCALE, ±1), the binary rules' vote per unit weight, with a Δ
    within :data:`TIE_TOLERANCE` of 0 counting as 0.

    Δ is a difference of utilities (or of their expected sums over three positions), which
    carry their rounding at the utilities' scale, 1. A Δ that is 0 in exact arithmetic (a
    voter equally well off either way, as actors sharing positions make common) comes out
    a few ulps off 0, and division by 1e-8 lifts that to ~1e-8 of a vote: far above the
    tolerance that decides ties elsewhere (:func:`first_of_max`), and of a sign set by the
    order of the sums (the loop oracle and this model disagreed on 3 of 100 tied runs)."""
    return np.clip(np.where(np.abs(du) <= TIE_TOLERANCE, 0.0, du) / BINARY_VOTE_SCALE,
                   -1.0, 1.0)


def victory_pair(model: str, s1: np.ndarray, s2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(P[1>2], P[2>1]) from coalition strengths (§2.3, Model::vProb)."""
    if model == "binary":
        thresh = BINARY_VICTORY_THRESHOLD
        with np.errstate(invalid="ignore", divide="ignore"):
            r12 = s1 / (s1 + s2)
            p12 = (r12 * (thresh + 1.0) - 1.0) / (thresh - 1.0)
        x1 = np.where(s1 >= thresh * s2, 1.0, np.where(s2 >= thresh * s1, BINARY_VICTORY_MIN, p12))
        x2 = np.where(s1 >= thresh * s2, BINARY_VICTORY_MIN, np.where(s2 >= thresh * s1, 1.0,
                                                                       1 - p12))
    else:
        power = {"linear": 1, "square": 2, "quartic": 4, "octic": 8}[model]
        x1, x2 = s1, s2
        if power >= 2:
            x1, x2 = x1 * x1, x2 * x2
        if power >= 4:
            x1, x2 = x1 * x1, x2 * x2
        if power >= 8:
            x1, x2 = x1 * x1, x2 * x2
    total = x1 + x2
    return x1 / total, x2 / total


def victory_matrix(model: str, c: np.ndarray) -> np.ndarray:
    """P[a>c] for all options from a coalition matrix (§2.3), computed per lower pair."""
    ct = np.swapaxes(c, -1, -2)
    p_lo, p_hi = victory_pair(model, c, ct)
    n = c.shape[-1]
    lower = np.tri(n, k=-1, dtype=bool)
    p = np.where(lower, p_lo, np.swapaxes(p_hi, -1, -2))
    return np.where(np.eye(n, dtype=bool), 0.5, p)


def pce(model: str, victory: np.ndarray, coalition: np.ndarray | None, mask: np.ndarray,
        victory_model: str, padded: bool = False) -> np.ndarray:
    """Probabilistic Condorcet election over options (last axis), invalid options masked (§2.4).

    ``victory``/``coalition``: ``[..., M, M]``; ``mask``: ``[..., M]``. Returns ``[..., M]``.
    ``padded``: the options are queues of different lengths padded to the widest of the
    batch; sums over options then run strictly left to right (as KTAB's loops add), so that
    the padding (zeros at the end) changes no bit, whichever queues share the batch. numpy's
    pairwise sum regroups the terms once a row has 8 or more.
    """
    total: Callable[[np.ndarray, int], np.ndarray] = _sequential_total if padded else \
        functools.partial(np.sum, keepdims=True)
    m = mask.astype(float)
    if model == "conditional":
        factors = np.where(mask[..., None, :], victory, 1.0)
        p = prod_last(factors) * m
        return p / total(p, -1)
    count = np.sum(m, axis=-1, keepdims=True)
    p = m / count
    done = np.zeros(p.shape[:-1], dtype=bool)
    both = mask[..., :, None] & mask[..., None, :]
    if model == "markov_uniform":
        pv = np.where(both, victory, 0.0)
        tol = MARKOV_UNIFORM_TOL
    else:
        n = victory.shape[-1]
        assert coalition is not None
        incentive = coalition * victory + np.eye(n) * INCENTIVE_EPS
        incentive = np.where(both, incentive, 0.0)
        col = total(incentive, -2)
        with np.errstate(invalid="ignore", divide="ignore"):
            challenge = np.where(col > 0, incentive / col, 0.0)  # Q_ij
        pv = np.where(both, victory, 0.0)
        tol = MARKOV_INCENTIVE_TOL
    for _ in range(MARKOV_MAX_ITER):
        if model == "markov_uniform":
            q = total(pv * (p[..., :, None] + p[..., None, :]), -1)[..., 0] / count
        else:
            t = p[..., :, None] * np.swapaxes(challenge, -1, -2)  # t_ij = p_i Q_ji
            q = total(pv * (t + np.swapaxes(t, -1, -2)), -1)[..., 0]
        change = np.max(np.abs(q - p), axis=-1)
        p = np.where(done[..., None], p, (p + q) / 2.0)
        done = done | (change <= tol)
        if np.all(done):
            break
    return p


def _sequential_total(values: np.ndarray, axis: int) -> np.ndarray:
    """Sum over ``axis`` (the last or the one before) strictly in order, kept as a
    length-1 axis."""
    if axis in (-1, values.ndim - 1):
        return sequential_sum(values)[..., None]
    return sequential_sum(np.swapaxes(values, axis, -1))[..., None, :]


def big_r(prob: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    """Risk attitudes from the probabilities of the actors' positions (§2.5, bigRfromProb).

    Where every position is equally likely the range is empty (KTAB divides by zero) or
    only rounding noise (KTAB then amplifies the noise into arbitrary attitudes); all actors
    are then risk neutral. "Noise" is a range below 1e-12 of the largest probability.
    """
    p_min = np.min(np.where(mask, prob, np.inf), axis=-1, keepdims=True)
    p_max = np.max(np.where(mask, prob, -np.inf), axis=-1, keepdims=True)
    span = p_max - p_min
    with np.errstate(invalid="ignore", divide="ignore"):
        if mode == "min":
            r = (prob - p_min) / span
        elif mode == "mid":
            r = (3 * prob - (p_max + 2 * p_min)) / (2 * span)
        else:
            r = (2 * prob - (p_max + p_min)) / span
    return np.where(mask & (span > RISK_RANGE_FLOOR * p_max), r, 0.0)


def estimate_risk(r_h: np.ndarray, r_i: np.ndarray, mode: str) -> np.ndarray:
    """h's estimate of i's risk attitude (§2.5, Model::estNRA)."""
    if mode == "full":
        return r_i + 0.0 * r_h
    if mode == "two_thirds":
        return (r_h + (2.0 * r_i)) / 3.0
    if mode == "half":
        return (r_h + r_i) / 2
    if mode == "one_third":
        return ((2.0 * r_h) + r_i) / 3.0
    return r_h + 0.0 * r_i


def sequential_sum(terms: np.ndarray) -> np.ndarray:
    """Sum over the last axis strictly left to right, as KTAB's loops add
    (``np.cumsum(terms, axis=-1)[..., -1]``, a column at a time)."""
    total = terms[..., 0].copy()
    for k in range(1, terms.shape[-1]):
        total += terms[..., k]
    return total


def round4(x: np.ndarray) -> np.ndarray:
    """KTAB's rounding of bargains to four decimals: int(0.5 + 1e4 x) / 1e4 (x ≥ 0)."""
    return np.trunc(0.5 + x * 10000.0) / 10000.0


def interpolate_bargain(mode: str, x_i: np.ndarray, s_i: np.ndarray, p_i: np.ndarray,
                        x_j: np.ndarray, s_j: np.ndarray,
                        p_j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bargain positions for initiator and receiver, per dimension (§2.7, interpolateBrgn)."""
    p_i = p_i[..., None]
    p_j = p_j[..., None]
    if mode == "s2pmax":
        di = np.where(p_j > p_i, p_j - p_i, 0.0)
        dj = np.where(p_i > p_j, p_i - p_j, 0.0)
        si2, sj2 = s_i * s_i, s_j * s_j
        dik = (di * sj2) / ((di * sj2) + MIN_BARGAIN_WEIGHT + ((1 - di) * si2))
        djk = (dj * si2) / ((dj * si2) + MIN_BARGAIN_WEIGHT + ((1 - dj) * sj2))
        return x_i + dik * (x_j - x_i), x_j + djk * (x_i - x_j)
    if mode == "s2p2":
        w_i = (s_i * s_i) * (p_i * p_i)
        w_j = (s_j * s_j) * (p_j * p_j)
    else:
        w_i = s_i * p_i
        w_j = s_j * p_j
    den = w_i + MIN_BARGAIN_WEIGHT + w_j
    b_i = round4(((w_i + MIN_BARGAIN_WEIGHT) * x_i + w_j * x_j) / den)
    b_j = round4((w_i * x_i + (MIN_BARGAIN_WEIGHT + w_j) * x_j) / den)
    return b_i, b_j


# --------------------------------------------------------------------------------------
# The state of one turn: risk attitudes and perceived utilities (§2.5)
# --------------------------------------------------------------------------------------

@dataclass
class TurnAssessment:
    """What every actor perceives in one state: distances, risk attitudes, their estimates."""

    distance: np.ndarray      # [B, N, N] ideal i to position j
    risk: np.ndarray          # [B, N]   R_i
    risk_estimate: np.ndarray  # [B, N, N] r^h_i (h's estimate of i)
    neutral_prob: np.ndarray  # [B, N]   PCE probabilities of the positions, risk neutral

    def perceived(self, bi: np.ndarray, h: Any, a: Any, c: Any) -> np.ndarray:
        """aUtil[h](a, c) = u(d_ac, r^h_a), gathered for broadcastable index arrays."""
        return utility(self.distance[bi, a, c], self.risk_estimate[bi, h, a])

    def own_view(self) -> np.ndarray:
        """aUtil[a](a, c) for every a and c, ``[B, N, N]``: ``perceived`` with h = a over
        all positions, read without gathers (the same numbers)."""
        own_risk = np.diagonal(self.risk_estimate, axis1=-2, axis2=-1)[..., None]
        return utility(self.distance, own_risk)


ANTISYMMETRIC_RULES = ("binary", "prop_bin", "proportional", "prop_cubic", "cubic")


def position_coalitions(utilities: np.ndarray, weight: np.ndarray, rule: str) -> np.ndarray:
    """Coalition matrix ``[B, M, M]`` over options from ``[B, voters, M]`` utilities.

    Built in blocks of options. For voting rules with v(a:c) = −v(c:a) the votes against a
    (C_ca, KTAB's negative sums over the lower pair) equal the votes for c over a, so only
    the positive parts are summed.
    """
    n_b, _, n_opt = utilities.shape
    u_t = np.swapaxes(utilities, -1, -2)  # [B, M, voters]
    w = weight[:, None, None, :]
    pos = np.empty((n_b, n_opt, n_opt))
    neg = None if rule in ANTISYMMETRIC_RULES else np.empty((n_b, n_opt, n_opt))
    rows = max(1, CHUNK_ELEMENTS // max(1, n_b * n_opt * utilities.shape[1]))
    for start in range(0, n_opt, rows):
        blk = slice(start, min(n_opt, start + rows))
        v = vote(rule, w, u_t[:, blk, None, :], u_t[:, None, :, :])
        if neg is not None:
            neg[:, blk] = -sum_last(np.minimum(v, 0.0))
        pos[:, blk] = sum_last(np.maximum(v, 0.0, out=v))  # v is not needed after
    pos += MIN_COALITION
    if neg is None:
        c = pos
    else:
        neg += MIN_COALITION
        lower = np.tri(n_opt, k=-1, dtype=bool)
        c = np.where(lower, pos, np.swapaxes(neg, -1, -2))
    return np.where(np.eye(n_opt, dtype=bool), MIN_COALITION, c)


def position_pce(utilities: np.ndarray, weight: np.ndarray, option_mask: np.ndarray,
                 opts: SMPOptions) -> np.ndarray:
    """PCE over options given each voter's utility ``[B, voters, options]`` (scalarPCE)."""
    c = position_coalitions(utilities, weight, opts.voting_rule)
    p = victory_matrix(opts.victory_prob, c)
    return pce(opts.pce, p, c, option_mask, opts.victory_prob)


def assess(ideal: np.ndarray, position: np.ndarray, salience: np.ndarray,
           capability: np.ndarray, active: np.ndarray, opts: SMPOptions,
           norm: np.ndarray | None = None) -> TurnAssessment:
    """Risk-neutral PCE over the actors' positions, then R and r^h_i (setAllAUtil).
    ``norm``: :func:`salience_norm` of ``salience`` if the caller has it."""
    d = salience_distance(ideal, position, salience, norm)
    neutral = utility(d, 0.0)
    prob = position_pce(neutral, capability, active, opts)
    risk = big_r(prob, active, opts.big_r_range)
    estimate = estimate_risk(risk[:, :, None], risk[:, None, :], opts.big_r_adjust)
    return TurnAssessment(d, risk, estimate, prob)


# --------------------------------------------------------------------------------------
# Challenges (§2.6) and targets (§2.7)
# --------------------------------------------------------------------------------------

def challenge_gain(uii: np.ndarray, uij: np.ndarray, uji: np.ndarray, ujj: np.ndarray,
                   uki: np.ndarray, ukj: np.ndarray, uni: np.ndarray, unj: np.ndarray,
                   unn: np.ndarray, w_i: np.ndarray, w_j: np.ndarray, w_n: np.ndarray,
                   s_j: np.ndarray, third: np.ndarray,
                   opts: SMPOptions) -> tuple[np.ndarray, np.ndarray]:
    """P[i>j] and k's expected gain from i challenging j, in h's eyes (§2.6, probEduChlg).

    ``u..`` are h's perceived utilities aUtil[h](a, c); principal quantities broadcast to a
    shape Q, third-party ones (``un.``, ``w_n``, ``third``) to Q + (N,).
    """
    vr = opts.voting_rule
    a = vote(vr, w_i, uii, uij)
    b = vote(vr, w_j, uji, ujj)
    c_ij = (MIN_CHALLENGE + np.maximum(a, 0.0)) + np.maximum(b, 0.0)
    c_ji = (MIN_CHALLENGE - np.minimum(a, 0.0)) - np.minimum(b, 0.0)
    # The third-party arrays (shape Q + (N,)) are most of the work: each operation below
    # writes into an array whose value is no longer needed (the same operations on the
    # same operands as the plain expressions in the comments; + and × commute exactly).
    # Each third party n weighs in on the little contest (i:j) of the principals alone...
    v_little = vote(vr, w_n, uni, unj)
    cni = np.add(c_ij[..., None], np.maximum(v_little, 0.0))  # c_ij + max(v, 0)
    cnj = np.subtract(c_ji[..., None], np.minimum(v_little, 0.0, out=v_little),
                      out=v_little)  # c_ji − min(v, 0)
    pin = np.divide(cni, np.add(cni, cnj, out=cnj), out=cni)  # cni / (cni + cnj)
    # ... then votes by the expected sums of three position utilities (thirdPartyVoteSU).
    # Only the difference of the two expectations enters the vote.
    tpc = opts.third_party_commit
    if tpc == "semi":
        # E_i − E_j = p(2u_ni + u_nn − 3u_ni) + (1 − p)(3u_nj − 2u_nj − u_nn)
        # du = pin (u_nn − u_ni) + (1 − pin)(u_nj − u_nn)
        du = np.multiply(pin, unn - uni, out=cnj)
        later = np.subtract(unj, unn)
        np.multiply(np.subtract(1.0, pin, out=pin), later, out=later)
        np.add(du, later, out=du)
    else:  # with full or no commitment both expectations are equal (§2.6)
        du = np.zeros(np.broadcast_shapes(pin.shape, np.shape(unj)))
    v_third = vote_on_difference(vr, w_n, du)
    np.copyto(v_third, 0.0, where=~third)  # np.where(third, v, 0)
    ch_ij = c_ij + sum_last(np.maximum(v_third, 0.0, out=du))
    ch_ji = c_ji - sum_last(np.minimum(v_third, 0.0, out=v_third))
    if opts.ktab_compat or opts.victory_prob == "linear":
        total = ch_ij + ch_ji  # §2.10 (c): KTAB always uses the linear form here
        p_ij, p_ji = ch_ij / total, ch_ji / total
    else:
        p_ij, p_ji = victory_pair(opts.victory_prob, ch_ij, ch_ji)
    eu_sq = uki + ukj
    eu_win = uki + uki
    eu_contest = p_ij * eu_win + p_ji * (ukj + ukj)
    # The target's total salience is the chance that it resists rather than concedes.
    eu_challenge = (1 - s_j) * eu_win + s_j * eu_contest
    return p_ij, eu_challenge - eu_sq


def challenge(state: TurnAssessment, bi: np.ndarray, h: Any, k: Any, i: Any, j: Any,
              weight: np.ndarray, total_salience: np.ndarray, active: np.ndarray,
              opts: SMPOptions) -> tuple[np.ndarray, np.ndarray]:
    """h's estimate of P[i>j] and of k's gain if i challenges j, for index arrays.

    ``bi, h, k, i, j`` broadcast to a common shape Q (``bi`` indexes the batch).
    """
    u = state.perceived
    n = np.arange(state.distance.shape[-1])
    ex = (..., None)
    bn, hn, in_, jn = (np.asarray(x)[ex] for x in (bi, h, i, j))
    third = (n != in_) & (n != jn) & active[bn, n]
    return challenge_gain(u(bi, h, i, i), u(bi, h, i, j), u(bi, h, j, i), u(bi, h, j, j),
                          u(bi, h, k, i), u(bi, h, k, j), u(bn, hn, n, in_), u(bn, hn, n, jn),
                          u(bn, hn, n, n), weight[bi, i], weight[bi, j], weight[bn, n],
                          total_salience[bi, j], third, opts)


def best_targets(state: TurnAssessment, weight: np.ndarray, total_salience: np.ndarray,
                 active: np.ndarray, opts: SMPOptions) -> tuple[np.ndarray, np.ndarray,
                                                                np.ndarray, np.ndarray]:
    """Each actor's own view (h = k = i) of challenging every j, and its best target.

    Returns P^i[i>j] and Δ^i(i→j) (``[B, N, N]``), the target (−1: none) and its gain
    (bestChallenge). Built by broadcasting, in blocks of initiators to bound memory.
    """
    n_b, n_act = weight.shape
    d = state.distance  # d[a, c]: ideal of a to position of c
    d_t = np.swapaxes(d, -1, -2)  # d_t[c, a] = d[a, c]
    r = state.risk_estimate  # r[h, a]
    d_diag = np.diagonal(d, axis1=-2, axis2=-1)  # d[a, a]
    prob = np.empty((n_b, n_act, n_act))
    gain = np.empty((n_b, n_act, n_act))
    rows = max(1, CHUNK_ELEMENTS // max(1, n_b * n_act * n_act))
    all_n = np.arange(n_act)
    for start in range(0, n_act, rows):
        blk = slice(start, min(n_act, start + rows))
        ii = all_n[blk]
        r_i = r[:, blk]  # [B, i, a] = r^i_a
        r_ii = np.take_along_axis(r_i, ii[None, :, None], axis=-1)  # [B, i, 1]
        uii = utility(np.take_along_axis(d[:, blk], ii[None, :, None], axis=-1), r_ii)
        uij = utility(d[:, blk], r_ii)  # [B, i, j]
        uji = utility(d_t[:, blk], r_i)  # d[j, i] with r^i_j
        ujj = utility(d_diag[:, None, :], r_i)
        # Third parties n on the last axis: u^i(n, i), u^i(n, j), u^i(n, n).
        r_in = r_i[:, :, None, :]  # [B, i, 1, n]
        uni = utility(d_t[:, blk][:, :, None, :], r_in)
        unj = utility(d_t[:, None, :, :], r_in)  # d[n, j] -> [B, 1, j, n]
        unn = utility(d_diag[:, None, None, :], r_in)
        third = ((all_n[None, None, :] != ii[:, None, None])
                 & (all_n[None, None, :] != all_n[None, :, None])
                 & active[:, None, None, :])
        p, g = challenge_gain(uii, uij, uji, ujj, uii, uij, uni, unj, unn,
                              weight[:, blk, None], weight[:, None, :],
                              weight[:, None, None, :], total_salience[:, None, :], third,
                              opts)
        prob[:, blk] = p
        gain[:, blk] = g
    eye = np.eye(n_act, dtype=bool)
    eligible = ~eye & active[:, None, :] & active[:, :, None] & (gain > MIN_GAIN)
    masked = np.where(eligible, gain, -np.inf)
    # The first of equal gains, as KTAB's strict '<'. A gain is a difference of expected
    # utilities of up to 2 (utilities are at most 1), so its rounding noise is at the
    # scale of 1 however small the gain.
    target = first_of_max(masked, scale=1.0)
    best = np.take_along_axis(masked, target[..., None], axis=-1)[..., 0]
    target = np.where(np.isfinite(best), target, -1)
    return prob, gain, target, np.where(target >= 0, best, 0.0)


# --------------------------------------------------------------------------------------
# Bargains (§2.7) and their resolution (§2.8)
# --------------------------------------------------------------------------------------

@dataclass
class Bargains:
    """Proposed bargains of one turn, flattened over batch and initiators."""

    batch: np.ndarray      # [G]
    init: np.ndarray       # [G]
    rcvr: np.ndarray       # [G]
    slot: np.ndarray       # [G] order among an initiator's bargains
    pos_init: np.ndarray   # [G, K]
    pos_rcvr: np.ndarray   # [G, K]


def propose_bargains(state: TurnAssessment, position: np.ndarray, salience: np.ndarray,
                     capability: np.ndarray, weight: np.ndarray, total_salience: np.ndarray,
                     active: np.ndarray, prob: np.ndarray, target: np.ndarray,
                     opts: SMPOptions) -> Bargains:
    """The bargain(s) each challenger proposes to its target (doBCN)."""
    b_idx, i_idx = np.nonzero(target >= 0)
    j_idx = target[b_idx, i_idx]
    p_iij = prob[b_idx, i_idx, j_idx]
    x_i, x_j = position[b_idx, i_idx], position[b_idx, j_idx]
    s_i, s_j = salience[b_idx, i_idx], salience[b_idx, j_idx]
    iij = interpolate_bargain(opts.bargain_interp, x_i, s_i, p_iij, x_j, s_j, 1 - p_iij)
    if opts.bargain_model == "init_only":
        return Bargains(b_idx, i_idx, j_idx, np.zeros_like(i_idx), iij[0], iij[1])
    # The target's own view of the challenge (h = j, k = i).
    p_j, gain_j = challenge(state, b_idx, j_idx, i_idx, i_idx, j_idx, weight,
                            total_salience, active, opts)
    p_jij = gain_j if opts.ktab_compat else p_j  # §2.10 (a): KTAB passes the gain
    jij = interpolate_bargain(opts.bargain_interp, x_i, s_i, p_jij, x_j, s_j, 1 - p_jij)
    if opts.bargain_model == "init_rcvr":
        zeros, ones = np.zeros_like(i_idx), np.ones_like(i_idx)
        return Bargains(np.concatenate([b_idx, b_idx]), np.concatenate([i_idx, i_idx]),
                        np.concatenate([j_idx, j_idx]), np.concatenate([zeros, ones]),
                        np.concatenate([iij[0], jij[0]]), np.concatenate([iij[1], jij[1]]))
    w_i = capability[b_idx, i_idx] * total_salience[b_idx, i_idx]
    cap_j = capability[b_idx, i_idx] if opts.ktab_compat else capability[b_idx, j_idx]
    w_j = cap_j * total_salience[b_idx, j_idx]  # §2.10 (b): KTAB uses i's capability
    den = (w_i + w_j)[:, None]
    pos_i = (w_i[:, None] * iij[0] + w_j[:, None] * jij[0]) / den
    pos_j = (w_i[:, None] * iij[1] + w_j[:, None] * jij[1]) / den
    return Bargains(b_idx, i_idx, j_idx, np.zeros_like(i_idx), pos_i, pos_j)


@dataclass
class Resolution:
    """The outcome of every actor's bargain election."""

    position: np.ndarray        # [B, N, K] new positions
    chosen_init: np.ndarray     # [B, N] initiator of the chosen bargain (self: status quo)
    chosen_rcvr: np.ndarray     # [B, N]
    queue_size: np.ndarray      # [B, N]
    chosen_prob: np.ndarray     # [B, N] PCE probability of the chosen bargain


def resolve_bargains(state: TurnAssessment, bargains: Bargains, ideal: np.ndarray,
                     position: np.ndarray, salience: np.ndarray, capability: np.ndarray,
                     active: np.ndarray, opts: SMPOptions,
                     draw: np.ndarray | None, norm: np.ndarray | None = None) -> Resolution:
    """Each actor's PCE over the bargains in its queue; it moves to its side of the winner.

    The queue of actor k lists, in KTAB's order (initiators in actor order, k's status quo
    just before k's own proposals), its status quo and every bargain it is party to. The
    value of a bargain to voter a is the mean utility to a of all positions after it (§2.8).
    """
    n_b, n_act, _ = position.shape
    n_active = np.sum(active, axis=-1).astype(float)  # [B]
    # aUtil[a](a, n): a's own view of every current position, inactive actors left out.
    own = np.where(active[:, None, :], state.own_view(), 0.0)  # [B, N, N]
    sq_value = sequential_sum(own) / n_active[:, None]  # [B, N voters]

    # Value of each bargain g to each voter a, in chunks of bargains: all at once would hold
    # [G, N, N] (G up to 2N bargains a scenario), O(N³).
    g_b, g_i, g_j = bargains.batch, bargains.init, bargains.rcvr
    n_g = len(g_b)
    g_value = np.empty((n_g, n_act))
    # KTAB's posUtil measures from the voter's current position, not its ideal.
    origin = position if opts.ktab_compat else ideal
    per = max(1, CHUNK_ELEMENTS // (n_act * (n_act + 2)))
    if norm is None:  # per scenario, not per bargain
        norm = salience_norm(salience)
    for first in range(0, n_g, per):
        part = slice(first, min(n_g, first + per))
        gb, size = g_b[part], len(g_b[part])
        # Both sides of a bargain in one pass: [g, N, 2] (each distance sums over the
        # issues alone, so it is the same number whatever else is computed beside it).
        sides = np.stack([bargains.pos_init[part], bargains.pos_rcvr[part]], axis=1)
        d_sides = point_distance(origin[gb], sides, salience[gb], norm[gb])
        r_own = state.risk[gb]  # [g, N]
        u_init = utility(d_sides[..., 0], r_own)
        u_rcvr = utility(d_sides[..., 1], r_own)
        # Positions other than the two that move keep their value to the voter; summed in
        # KTAB's order (init, receiver, then the others), so that equal bargains tie exactly.
        keep = np.ones((size, 1, n_act), dtype=bool)
        keep[np.arange(size), 0, g_i[part]] = False
        keep[np.arange(size), 0, g_j[part]] = False
        terms = np.concatenate([u_init[..., None], u_rcvr[..., None],
                                np.where(keep, own[gb], 0.0)], axis=-1)
        g_value[part] = sequential_sum(terms) / n_active[gb, None]

    # Queue entries: status quo of every active actor, and each bargain twice.
    sq_b, sq_k = np.nonzero(active)
    e_b = np.concatenate([sq_b, g_b, g_b])
    e_k = np.concatenate([sq_k, g_i, g_j])
    e_key = np.concatenate([3 * sq_k, 3 * g_i + 1 + bargains.slot, 3 * g_i + 1 + bargains.slot])
    e_g = np.concatenate([np.full(len(sq_b), -1), np.arange(n_g), np.arange(n_g)])
    order = np.lexsort((e_key, e_k, e_b))
    e_b, e_k, e_g = e_b[order], e_k[order], e_g[order]
    e_value = np.where((e_g < 0)[:, None], sq_value[e_b],
                       g_value[np.maximum(e_g, 0)] if n_g else 0.0)  # [E, N voters]
    queue = e_b * n_act + e_k
    starts = np.flatnonzero(np.r_[True, queue[1:] != queue[:-1]])
    sizes = np.diff(np.r_[starts, len(queue)])
    n_q = len(starts)

    # Votes for every lower pair (later entry over earlier) of every queue, in chunks of
    # pairs (a queue of m entries has m(m-1)/2 pairs, each with N voters: O(N³) at worst).
    pair_q = np.repeat(np.arange(n_q), sizes * (sizes - 1) // 2)
    lo, hi = _lower_pairs(sizes)
    n_pairs = len(pair_q)
    c_lo, c_hi = np.empty(n_pairs), np.empty(n_pairs)
    w_all = np.where(active, capability, 0.0)
    per = max(1, CHUNK_ELEMENTS // n_act)
    for first in range(0, n_pairs, per):
        part = slice(first, min(n_pairs, first + per))
        e1 = starts[pair_q[part]] + lo[part]  # the later entry
        e2 = starts[pair_q[part]] + hi[part]
        v = vote(opts.voting_rule, w_all[e_b[e1]], e_value[e1], e_value[e2])
        c_lo[part] = MIN_COALITION + sum_last(np.maximum(v, 0.0))
        c_hi[part] = MIN_COALITION - sum_last(np.minimum(v, 0.0, out=v))
    # P[a>c] of the pairs alone, spread below over padded matrices: the entries
    # victory_matrix would give, without evaluating the padding and the diagonal.
    p_lo, p_hi = victory_pair(opts.victory_prob, c_lo, c_hi)

    # Each queue's election, in chunks of queues padded to the chunk's widest: sums over a
    # queue run left to right (pce padded=True), so the padding changes no bit.
    pair_start = np.r_[0, np.cumsum(sizes * (sizes - 1) // 2)]
    pick = np.empty(n_q, dtype=int)
    picked = np.empty(n_q)
    widest = int(sizes.max())
    per = max(1, CHUNK_ELEMENTS // (widest * widest))
    for q0 in range(0, n_q, per):
        q1 = min(n_q, q0 + per)
        width = int(sizes[q0:q1].max())
        ps = slice(pair_start[q0], pair_start[q1])
        qq, a_lo, a_hi = pair_q[ps] - q0, lo[ps], hi[ps]
        p_vict = np.full((q1 - q0, width, width), 0.5)
        p_vict[qq, a_lo, a_hi] = p_lo[ps]
        p_vict[qq, a_hi, a_lo] = p_hi[ps]
        c = None
        if opts.pce == "markov_incentive":  # the only election that weighs by coalitions
            c = np.full((q1 - q0, width, width), MIN_COALITION)
            c[qq, a_lo, a_hi] = c_lo[ps]
            c[qq, a_hi, a_lo] = c_hi[ps]
        mask = np.arange(width)[None, :] < sizes[q0:q1, None]
        prob = pce(opts.pce, p_vict, c, mask, opts.victory_prob, padded=True)
        prob = np.where(mask, prob, 0.0)
        if draw is None:
            pick[q0:q1] = first_of_max(prob)  # first of equal maxima, as ndxMaxAbs
        else:
            cum = np.cumsum(prob, axis=-1)
            first_of = starts[q0:q1]
            pick[q0:q1] = np.minimum(np.sum(cum < draw[e_b[first_of], e_k[first_of], None]
                                            * cum[:, -1:], axis=-1), sizes[q0:q1] - 1)
        picked[q0:q1] = prob[np.arange(q1 - q0), pick[q0:q1]]
    chosen = starts + pick
    q_b, q_k, q_g = e_b[chosen], e_k[chosen], e_g[chosen]

    new_position = position.copy()
    chosen_init = np.tile(np.arange(n_act), (n_b, 1))
    chosen_rcvr = chosen_init.copy()
    is_bargain = q_g >= 0
    gb = q_g[is_bargain]
    kb, bb = q_k[is_bargain], q_b[is_bargain]
    as_init = bargains.init[gb] == kb
    new_position[bb, kb] = np.where(as_init[:, None], bargains.pos_init[gb],
                                    bargains.pos_rcvr[gb])
    chosen_init[bb, kb] = bargains.init[gb]
    chosen_rcvr[bb, kb] = bargains.rcvr[gb]
    queue_size = np.zeros((n_b, n_act), dtype=int)
    queue_size[e_b[starts], e_k[starts]] = sizes
    chosen_prob = np.zeros((n_b, n_act))
    chosen_prob[q_b, q_k] = picked
    return Resolution(new_position, chosen_init, chosen_rcvr, queue_size, chosen_prob)


def _lower_pairs(sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For queues of the given sizes, all (a, c) with a > c, queue after queue."""
    if len(sizes) == 0:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    width = int(sizes.max())
    a, c = np.tril_indices(width, k=-1)
    # tril_indices lists pairs row by row, so a queue of size m uses the first m(m-1)/2.
    counts = sizes * (sizes - 1) // 2
    offsets = np.repeat(np.cumsum(counts) - counts, counts)
    within = np.arange(int(counts.sum())) - offsets
    return a[within], c[within]


# --------------------------------------------------------------------------------------
# Reporting (§2.9)
# --------------------------------------------------------------------------------------

def report_probabilities(state: TurnAssessment, position: np.ndarray, capability: np.ndarray,
                         active: np.ndarray,
                         opts: SMPOptions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Probability of each actor's (merged) position, as KTAB reports it (pDist(-1)).

    Returns the per-actor probability ``[B, N]``, the unique-position flags and the
    probability of each unique position (0 elsewhere).
    """
    n_act = position.shape[1]
    gap = position[:, :, None, :] - position[:, None, :, :]
    close = np.sqrt(sum_last(np.multiply(gap, gap, out=gap))) < POSITION_TOLERANCE
    close &= active[:, :, None] & active[:, None, :]
    earlier = np.tri(n_act, k=-1, dtype=bool)
    unique = active.copy()
    for _ in range(n_act):  # greedy first-appearance (ueIndices) as a fixed point
        nxt = active & ~np.any(close & earlier & unique[:, None, :], axis=-1)
        if np.array_equal(nxt, unique):
            break
        unique = nxt
    own = state.own_view()  # u_ij = aUtil[i](i, j)
    prob = position_pce(own, np.where(active, capability, 0.0), unique, opts)
    prob = np.where(unique, prob, 0.0)
    # posProb: an actor gets the probability of the last unique position it is close to.
    match = close & unique[:, None, :]
    last = n_act - 1 - np.argmax(match[..., ::-1], axis=-1)
    per_actor = np.where(np.any(match, axis=-1),
                         np.take_along_axis(prob, last, axis=-1), 0.0)
    return per_actor, unique, prob


# --------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------

@dataclass
class SMPRun:
    """Everything a run produced, on the unit scale, with a batch axis."""

    trajectory: np.ndarray | None  # [B, T+1, N, K], T = max_turns; stopped runs repeat
    final: np.ndarray            # [B, N, K] the last positions
    probability: np.ndarray | None  # [B, T+1, N] (None: turns=False)
    risk: np.ndarray | None      # [B, T+1, N] (None: turns=False)
    states: np.ndarray           # [B] states actually computed (turns + 1)
    stop_ratios: np.ndarray | None  # [B, T]  nan after the stop (None: turns=False)
    unique_prob: np.ndarray      # [B, N] probability of each unique final position
    final_probability: np.ndarray  # [B, N] each actor's position's, in the last state
    turn_seconds: list[float] = field(default_factory=list)
    recorded: dict[str, Any] = field(default_factory=dict)


def prepare_inputs(capability: np.ndarray, position: np.ndarray, salience: np.ndarray,
                   ktab_compat: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                 np.ndarray]:
    """Batch axis, KTAB's salience convention and the set of actors that take part.

    KTAB requires total salience ≤ 1 per actor; where an actor's saliences sum to more, all
    saliences of the scenario are divided by the largest total. Actors without capability
    or without any salience take no part (KTAB rejects them).
    """
    cap = np.asarray(capability, dtype=float)
    pos = np.asarray(position, dtype=float)
    sal = np.asarray(salience, dtype=float)
    cap, pos, sal = np.atleast_1d(cap), np.atleast_2d(pos), np.atleast_2d(sal)
    if pos.ndim == 2:
        cap, pos, sal = cap[None], pos[None], sal[None]
    total = np.sum(sal, axis=-1)
    largest = np.max(total, axis=-1, keepdims=True)
    sal = np.where(largest[..., None] > 1.0, sal / np.maximum(largest, 1.0)[..., None], sal)
    active = (cap > 0) & (np.sum(sal, axis=-1) > 0)
    if not ktab_compat:
        # Capabilities in units of their mean over the actors that take part, so that the
        # floors KTAB adds to coalitions do not depend on the capability unit.
        mean = np.sum(np.where(active, cap, 0.0), axis=-1, keepdims=True) / np.maximum(
            np.sum(active, axis=-1, keepdims=True), 1)
        cap = np.where(mean > 0, cap / np.where(mean > 0, mean, 1.0), cap)
    cap = np.where(active, cap, 0.0)
    return cap, pos, sal, active


def _take_state(state: TurnAssessment, keep: np.ndarray) -> TurnAssessment:
    return TurnAssessment(state.distance[keep], state.risk[keep], state.risk_estimate[keep],
                          state.neutral_prob[keep])


def run_smp(capability: np.ndarray, position: np.ndarray, salience: np.ndarray,
            opts: SMPOptions, rng: np.random.Generator | None = None,
            on_turn: Callable[[int, float], None] | None = None,
            record_turn: int | None = None, trajectory: bool = True,
            turns: bool = True) -> SMPRun:
    """Run the SMP to its stopping rule on ``[B,] N`` capabilities and ``[B,] N, K`` arrays.

    At most :func:`batch_rows` scenarios bargain at once, so that a step's working set
    stays within :data:`BATCH_BYTES` whatever B (the results, ``[B, T+1, N, K]``, are held
    whole). A scenario that stops leaves the batch at once and the next waiting one takes
    its place, so scenarios in different turns play side by side: a step costs numpy's
    per-call overhead once for up to :func:`batch_rows` scenarios, and only the last few
    long runs of the whole batch play steps of a handful. No step mixes scenarios, so a
    batch gives, bit for bit, what each of its scenarios gives alone, whoever plays beside
    it.

    ``on_turn`` is called after every step with the step's number and its seconds (for one
    scenario, or a batch that fits in one step, the step is the turn). ``record_turn``: keep
    the intermediate results of the first step in which a scenario plays that turn in
    ``SMPRun.recorded`` (explain, on one scenario), for every scenario of that step.
    ``trajectory=False``: keep the last positions only (``SMPRun.trajectory`` is None; the
    sampling engine drops the trajectory, whose ``[B, T+1, N, K]`` would be most of the
    memory a Monte Carlo chunk touches). ``turns=False``: no per-turn probabilities, risks
    and stop ratios either (None; ``final_probability`` is kept): the same numbers, without
    the ``[B, T+1, N]`` arrays a sampled run would write, fill to the cap and send back.
    """
    cap, pos, sal, active = prepare_inputs(capability, position, salience, opts.ktab_compat)
    n_b, n_act, n_dim = pos.shape
    streams: list[np.random.Generator] = []
    if opts.transitions == "stochastic":
        # One child stream per scenario of the batch (SeedSequence spawning), so that a
        # scenario draws the same numbers whether it runs alone or in a batch: B single
        # runs sharing one generator spawn children 0..B-1, as one batched run does.
        streams = (rng if rng is not None else np.random.default_rng()).spawn(n_b)
    n_turns = opts.max_turns
    out = SMPRun(trajectory=np.empty((n_b, n_turns + 1, n_act, n_dim)) if trajectory else None,
                 final=np.empty((n_b, n_act, n_dim)),
                 probability=np.empty((n_b, n_turns + 1, n_act)) if turns else None,
                 risk=np.empty((n_b, n_turns + 1, n_act)) if turns else None,
                 states=np.ones(n_b, dtype=int),
                 stop_ratios=np.full((n_b, n_turns), np.nan) if turns else None,
                 unique_prob=np.empty((n_b, n_act)), final_probability=np.empty((n_b, n_act)))
    _play(cap, pos, sal, active, streams, opts, out, batch_rows(n_act, n_dim), on_turn,
          record_turn)
    return out


@dataclass
class _Bargaining:
    """The scenarios bargaining in one step (rows ``live`` of the batch) and their state."""

    live: np.ndarray        # [L] rows of the batch
    turn: np.ndarray        # [L] turns played
    cap: np.ndarray
    sal: np.ndarray
    active: np.ndarray
    total_sal: np.ndarray
    sal_norm: np.ndarray    # salience_norm(sal), once a scenario: salience never changes
    weight: np.ndarray      # challenge weight W_i = c_i S_i (§2.6)
    ideal: np.ndarray
    x: np.ndarray
    first_step: np.ndarray  # [L] the first turn's movement + STOP_FLOOR (0 before it)
    ratio: np.ndarray       # [L] the last turn's stop ratio
    streams: list[np.random.Generator]

    def take(self, keep: np.ndarray) -> _Bargaining:
        arrays = [getattr(self, f.name)[keep]
                  for f in dataclasses.fields(self) if f.name != "streams"]
        return _Bargaining(*arrays, streams=[s for s, k in zip(self.streams, keep, strict=True)
                                             if k] if self.streams else [])

    def join(self, other: _Bargaining) -> _Bargaining:
        if not self.live.size:
            return other
        arrays = [np.concatenate([getattr(self, f.name), getattr(other, f.name)])
                  for f in dataclasses.fields(self) if f.name != "streams"]
        return _Bargaining(*arrays, streams=self.streams + other.streams)


def _admit(rows: np.ndarray, cap: np.ndarray, pos: np.ndarray, sal: np.ndarray,
           active: np.ndarray, streams: list[np.random.Generator]) -> _Bargaining:
    """Scenarios ``rows`` before their first turn."""
    c, s = cap[rows], sal[rows]
    total_sal = np.sum(s, axis=-1)
    n = len(rows)
    return _Bargaining(rows, np.zeros(n, dtype=int), c, s, active[rows], total_sal,
                       salience_norm(s), c * total_sal, pos[rows], pos[rows], np.zeros(n),
                       np.zeros(n),
                       [streams[b] for b in rows] if streams else [])


def _play(cap: np.ndarray, pos: np.ndarray, sal: np.ndarray, active: np.ndarray,
          streams: list[np.random.Generator], opts: SMPOptions, out: SMPRun, room: int,
          on_turn: Callable[[int, float], None] | None, record_turn: int | None) -> None:
    """Steps until every scenario has stopped, with at most ``room`` scenarios a step."""
    import time

    n_b, n_act = cap.shape
    waiting = 0  # the next scenario to admit, in row order
    now = _admit(np.zeros(0, dtype=int), cap, pos, sal, active, streams)
    step = 0
    while True:
        t0 = time.perf_counter()
        if waiting < n_b and now.live.size < room:
            rows = np.arange(waiting, min(n_b, waiting + room - now.live.size))
            waiting += len(rows)
            now = now.join(_admit(rows, cap, pos, sal, active, streams))
        # The state after each scenario's last turn (or its start), with the newcomers.
        state = assess(now.ideal, now.x, now.sal, now.cap, now.active, opts, now.sal_norm)
        per_actor, _, unique = report_probabilities(state, now.x, now.cap, now.active, opts)
        live, turn = now.live, now.turn
        if out.trajectory is not None:
            out.trajectory[live, turn] = now.x
        out.final[live], out.final_probability[live] = now.x, per_actor
        if out.probability is not None and out.risk is not None:
            out.probability[live, turn] = per_actor
            out.risk[live, turn] = state.risk
        out.unique_prob[live] = unique
        out.states[live] = turn + 1
        played = turn > 0
        stop = played & ((turn >= opts.max_turns)
                         | ((turn >= opts.min_turns) & (now.ratio < opts.stop_ratio)))
        if stop.any():
            # Fixed length (max_turns + 1 states): a run that stopped early repeats its last
            # state, so results of different batches stack.
            filled = out.trajectory is not None or out.probability is not None
            # sorted(set()) rather than np.unique: the same turns in the same order, without
            # np.unique's import of numpy.ma (~10 ms of a cold `detente forecast`).
            for t in sorted(set(turn[stop].tolist())) if filled else ():
                last = stop & (turn == t)
                gone = live[last]
                if out.trajectory is not None:
                    out.trajectory[gone, t + 1:] = now.x[last][:, None]
                if out.probability is not None and out.risk is not None:
                    out.probability[gone, t + 1:] = per_actor[last][:, None]
                    out.risk[gone, t + 1:] = state.risk[last][:, None]
            keep = ~stop
            now, state = now.take(keep), _take_state(state, keep)
        if not now.live.size:
            if waiting >= n_b:
                break
            continue
        step += 1
        prob, gain, target, best = best_targets(state, now.weight, now.total_sal, now.active,
                                                opts)
        bargains = propose_bargains(state, now.x, now.sal, now.cap, now.weight, now.total_sal,
                                    now.active, prob, target, opts)
        draw = np.stack([s.random(n_act) for s in now.streams]) if now.streams else None
        resolution = resolve_bargains(state, bargains, now.ideal, now.x, now.sal, now.cap,
                                      now.active, opts, draw, now.sal_norm)
        new_x = resolution.position
        a = opts.ideal_adjustment
        new_ideal = a * new_x + (1.0 - a) * now.ideal
        moved = sum_last(np.sqrt(sum_last((new_x - now.x) ** 2)))
        turn = now.turn + 1
        first_step = np.where(turn == 1, moved + STOP_FLOOR, now.first_step)
        ratio = moved / first_step
        if out.stop_ratios is not None:
            out.stop_ratios[now.live, turn - 1] = ratio
        if record_turn is not None and not out.recorded and np.any(turn == record_turn):
            out.recorded.update({
                "state": state, "prob": prob, "gain": gain, "target": target,
                "best": best, "bargains": bargains, "resolution": resolution,
                "start": now.x, "end": new_x, "ratio": ratio, "capability": now.cap,
                "active": now.active})
        now = dataclasses.replace(now, turn=turn, ideal=new_ideal, x=new_x,
                                  first_step=first_step, ratio=ratio)
        out.turn_seconds.append(time.perf_counter() - t0)
        if on_turn is not None:
            on_turn(step, out.turn_seconds[-1])


def scenario_bytes(n_actors: int, n_dims: int) -> int:
    """Working set of one scenario in a turn, besides the chunk-bounded tensors: a few dozen
    ``[N, N]`` arrays, the ``[N, N, K]`` distance tensors, queue entries (up to 5N, each
    valued by N voters) and the pairs of the queues (up to about 3N², a dozen arrays)."""
    n, k = max(n_actors, 1), max(n_dims, 1)
    return 8 * n * n * (140 + 8 * k)


def batch_rows(n_actors: int, n_dims: int) -> int:
    """Scenarios that bargain in one step (at least one): :data:`BATCH_BYTES` over
    :func:`scenario_bytes`."""
    return max(1, BATCH_BYTES // scenario_bytes(n_actors, n_dims))


class SMP(Model):
    """KTAB's Spatial Model of Politics: multidimensional challenge-and-bargain dynamics.

    Source: B. P. Wise et al., KAPSARC Toolkit for Behavioral Analysis (KTAB), the SMP as
    implemented in ``smpc`` (``examples/smp/libsrc/smp*.cpp``, ``KTAB/kmodel``); equations in
    ``shared/research/ktab-smp.md`` §2 and ``docs/smp.md``. Each turn every actor re-estimates
    risk attitudes from a probabilistic Condorcet election over the actors' positions
    (§2.5), evaluates challenging every other actor with third-party votes (§2.6), proposes
    a bargain to its best target (§2.7), and every actor then moves to its side of the
    bargain that wins a Condorcet election over its queue (§2.8), until the total movement
    falls below 2% of the first turn's (§2.9). All issues are dimensions of one space.

    ``forecast``: the probability-weighted mean of the final positions (the PCE over the
    distinct final positions, §2.9). ``details``: per-turn probabilities of each actor's
    position (KTAB's "prob" lines), the number of states, the stop ratios, risk attitudes
    per turn, and the most probable final position.
    """

    name = "smp"
    Options = SMPOptions  # type: ignore[assignment]
    # Each call ends in a tail of a few long runs (up to max_turns steps of a handful of
    # scenarios), so fewer, larger chunks cost less per sample; sampled, a scenario keeps
    # a few hundred bytes, so 128 MiB allows chunks of ~20k korea-2017 scenarios.
    sample_chunk_bytes = 128 * 2**20

    @property
    def deterministic(self) -> bool:
        """False in the stochastic mode: the sampling engine then gives it whole blocks."""
        return self.options.transitions == "deterministic"  # type: ignore[attr-defined]

    def run(self, arrays: Arrays, rng: RngLike = None) -> ModelResult:
        return self._run(arrays, rng, trajectory=True, turns=True)

    def sample(self, arrays: Arrays, rng: RngLike = None, per_turn: bool = False
               ) -> ModelResult:
        """``run`` without the trajectory (None), which the sampling engine drops, and,
        unless ``per_turn``, without the per-turn details (``probability``, ``risk``,
        ``stop_ratios``): at 10^5 samples those are about 1 GB that no summary of
        `detente sample` reads, and a worker process would send them back through a pipe.
        ``final_probability``, ``states`` and ``most_probable`` are kept either way."""
        return self._run(arrays, rng, trajectory=False, turns=per_turn)

    def _run(self, arrays: Arrays, rng: RngLike, trajectory: bool, turns: bool
             ) -> ModelResult:
        opts: SMPOptions = self.options  # type: ignore[assignment]
        generator, seed = make_rng(rng)
        # Every actor's position vector is an option of the SMP (KTAB SMP; docs/smp.md), so
        # the written position of a stance of salience 0 became a package that could win:
        # such a stance is no stance (docs/smp.md, Deviations), and its place is the status quo.
        arrays = arrays.without_idle_stances()
        out = run_smp(arrays.capability, arrays.position, arrays.salience, opts, generator,
                      trajectory=trajectory, turns=turns)
        batched = bool(arrays.batch_shape)
        final = out.final  # [B, N, K]
        forecast = np.einsum("bn,bnk->bk", out.unique_prob, final)
        forecast = np.clip(forecast, 0.0, 1.0)
        best = first_of_max(out.unique_prob)
        most_probable = np.take_along_axis(final, best[:, None, None], axis=1)[:, 0]
        rounds = np.repeat((out.states - 1)[:, None], arrays.n_issues, axis=1)

        def unbatch(x: np.ndarray) -> np.ndarray:
            return x if batched else x[0]

        details = {  # in this order since before turns=False (JSON of forecasts)
            "probability": out.probability,
            "final_probability": out.final_probability,
            "states": out.states,
            "stop_ratios": out.stop_ratios,
            "risk": out.risk,
            "most_probable": most_probable,
        }
        details = {k: unbatch(v) for k, v in details.items() if v is not None}
        path = None if out.trajectory is None else unbatch(out.trajectory)
        return self._result(unbatch(forecast), trajectory=path,
                            rounds=unbatch(rounds), details=details,
                            seed=seed)

    def estimate(self, n_actors: int, n_issues: int, batch: int = 1) -> MemoryEstimate:
        """An upper bound: the results (``[B, T+1, N, K]`` positions, probabilities and
        risks per turn), the inputs, the scenarios of one step (:func:`batch_rows` scenarios of
        :func:`scenario_bytes`: O(N² K) each, the O(N³) steps being chunked) and the
        temporaries of the chunked tensors (a few dozen, each at most
        :data:`CHUNK_ELEMENTS` or one challenger's)."""
        opts: SMPOptions = self.options  # type: ignore[assignment]
        n, k, turns = max(n_actors, 1), max(n_issues, 1), opts.max_turns + 1
        results = 8 * batch * (turns * n * (k + 2) + turns + 2 * n + 2 * k)
        rows = min(batch, batch_rows(n, k))
        # The largest chunked tensor: a block of challengers' third-party votes (at least
        # one challenger for every scenario of the part) or of queue elections, never more
        # than all of them (N queues of up to 2N + 1 entries a scenario).
        tensor = min(rows * n * (2 * n + 1) ** 2, max(CHUNK_ELEMENTS, rows * n * n))
        working = (results + 8 * 8 * batch * n * k + rows * scenario_bytes(n, k)
                   + 8 * 32 * tensor + 2**20)
        per_row = 8 * (2 * turns * n + n + 1 + (turns - 1) + 2 * k)
        return MemoryEstimate(working=working, outputs_per_row=per_row)

    def sample_estimate(self, n_actors: int, n_issues: int, batch: int = 1,
                        per_turn: bool = False) -> MemoryEstimate:
        """:meth:`estimate` without the trajectory, and without the per-turn results unless
        ``per_turn``: the last positions, the probabilities of the last state, the states,
        the forecast, the most probable position and the rounds."""
        run = self.estimate(n_actors, n_issues, batch)
        if per_turn:
            return run
        opts: SMPOptions = self.options  # type: ignore[assignment]
        n, k, turns = max(n_actors, 1), max(n_issues, 1), opts.max_turns + 1
        results = 8 * batch * (turns * n * (k + 2) + turns + 2 * n + 2 * k)
        kept = 8 * batch * (n * k + 3 * n + 3 * k + 2)
        return MemoryEstimate(working=run.working - results + kept,
                              outputs_per_row=8 * (n + 1 + 2 * k))

    def explain(self, arrays: Arrays, issue_index: int, round_number: int,
                rng: np.random.Generator | None = None) -> list[ExplainTable]:
        """Turn ``round_number`` of the SMP: risk, targets, bargains and moves (§2.5-§2.8).

        The SMP moves in all issues at once; positions are shown on issue ``issue_index``.
        A stochastic run draws from ``rng``, by default the stream ``forecast`` hands smp at
        seed 0, so the turn shown is the one that forecast plays.
        """
        stream = rng if rng is not None else model_stream(0, self.name)
        return explain_turn(self.options, arrays.without_idle_stances(), issue_index, round_number,  # type: ignore[arg-type]
                            stream)


def explain_turn(opts: SMPOptions, arrays: Arrays, issue_index: int,
                 round_number: int, rng: np.random.Generator) -> list[ExplainTable]:
    """Tables for one turn of one scenario (no batch axis), drawing from ``rng`` in the
    stochastic mode as :meth:`SMP.run` does."""
    if arrays.batch_shape:
        raise option_error("arrays", "explain works on one scenario, not a batch",
                           "explain a single scenario")
    if not 0 <= issue_index < arrays.n_issues:
        raise option_error("--issue", f"issue index {issue_index} is out of range",
                           f"choose one of {', '.join(arrays.issue_ids)}")
    out = run_smp(arrays.capability, arrays.position, arrays.salience, opts, rng,
                  record_turn=round_number)
    played = int(out.states[0]) - 1
    if not 1 <= round_number <= played:
        raise option_error("--round", f"turn {round_number} was not played: the SMP ran "
                           f"{played} turn(s)", f"choose a turn from 1 to {played}")
    rec = out.recorded
    k = issue_index
    low, high = float(arrays.scale_low[k]), float(arrays.scale_high[k])

    # Full values: the JSON carries them as the model computed them; the table's formats
    # (and cell_text's 4 significant digits) shorten them for reading.
    def units(x: float) -> float:
        return low + float(x) * (high - low)

    ids = arrays.actor_ids
    state: TurnAssessment = rec["state"]
    bargains: Bargains = rec["bargains"]
    res: Resolution = rec["resolution"]
    target = rec["target"][0]
    own_bargain = {int(i): g for g, i in enumerate(bargains.init) if bargains.slot[g] == 0}
    start, end = rec["start"][0], rec["end"][0]
    first = []
    for i, name in enumerate(ids):
        j = int(target[i])
        g = own_bargain.get(i)
        first.append((
            name, units(start[i, k]), float(state.neutral_prob[0, i]),
            float(state.risk[0, i]), ids[j] if j >= 0 else "",
            float(rec["prob"][0, i, j]) if j >= 0 else "",
            float(rec["best"][0, i]) if j >= 0 else "",
            units(bargains.pos_init[g, k]) if g is not None else "",
            units(bargains.pos_rcvr[g, k]) if g is not None else "",
        ))
    second = []
    for i, name in enumerate(ids):
        a, b = int(res.chosen_init[0, i]), int(res.chosen_rcvr[0, i])
        chosen = "status quo" if a == b else f"{ids[a]}:{ids[b]}"
        second.append((name, int(res.queue_size[0, i]), chosen,
                       float(res.chosen_prob[0, i]), units(start[i, k]),
                       units(end[i, k]), float(np.linalg.norm(end[i] - start[i]))))
    issue = arrays.issue_ids[k]
    first_formats = ("", UNITS, "", "", "", "", "", UNITS, UNITS)
    second_formats = ("", "", "", "", UNITS, UNITS, "")
    return [
        ExplainTable(
            f"Turn {round_number}: risk attitudes, best targets and proposed bargains "
            f"(positions on {issue})",
            ("actor", "position", "P(position), risk neutral", "R", "target",
             "P[actor > target]", "gain", "bargain: actor", "bargain: target"),
            tuple(first),
            ("R comes from the risk-neutral PCE over all positions (BigRRange "
             f"{opts.big_r_range}); the most probable position's holder is most risk averse.",
             "gain: the actor's expected gain from challenging its target, in its own eyes "
             "(third parties voting); no target when no gain exceeds 1e-5.",
             "Bargains are interpolated in every issue; this table shows one."),
            # Positions in issue units as every other table writes them: the default 4
            # significant digits wrote every position on a scale of 1000 to 1000.5 as 1000.
            formats=first_formats,
            column_spans=one_issue_spans(first_formats, high - low),
        ),
        ExplainTable(
            f"Turn {round_number}: each actor's election over its bargains",
            ("actor", "bargains in queue", "chosen", "P(chosen)", "from", "to",
             "moved (all issues)"),
            tuple(second),
            (f"Stop ratio after this turn: {float(rec['ratio'][0]):.4f} "
             f"(stops below {opts.stop_ratio} from turn {opts.min_turns}).",),
            formats=second_formats,
            column_spans=one_issue_spans(second_formats, high - low),
        ),
    ]
