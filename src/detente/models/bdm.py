"""Bueno de Mesquita's expected-utility ("challenge") model, as reconstructed by Scholz et al.

Source: J. B. Scholz, G. J. Calbert & G. A. Smith (2011), "Unravelling Bueno De Mesquita's
group decision model", *J. Theoretical Politics* 23(4):510-531 (equation numbers below are
theirs), building on B. Bueno de Mesquita (1994, 1997, 2002). The specification followed is
``shared/research/bdm-deu.md`` §1; the nine points where open replications disagree (A1-A9,
§1.4) are options of :class:`Bdm.Options`, documented in ``docs/bdm.md``.

Everything here works on the unit scale and is vectorized: a "row" is one (batch, issue)
cell, and a round computes all rows and all ordered pairs (i, j) at once. The voter sums
behind P (eqs. 30-31) are prefix sums over the actors sorted by position where the votes
are plain distances (O(A² log A) a round, :func:`_vote_sums_fast`); risk-adjusted votes
(A9, step 2) and the product Q rule (A8) keep the voters x pairs tensor, O(A³), built in
blocks (:func:`_vote_sums_blocked`). ``docs/bdm.md`` ("Speed") lists which variant takes
which path.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, ClassVar

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
    require_choices,
    require_count,
    require_within_cap,
)
from detente.models.compromise import weighted_mean
from detente.render import UNITS, fmt, one_issue_spans

# Ties. Actors often share positions (and real data repeats capabilities), so a round meets
# values that are equal in exact arithmetic but come out of sums taken in different orders a
# few ulps apart. Every discrete choice of a round (who is live, the fig. 6 relation, the
# offer accepted, whether the security levels differ, the Borda winner) counts values within
# TIE_TOLERANCE (models.base) x the magnitude they carry their rounding at as equal, the
# rule of smp's first_of_max. The magnitudes (docs/bdm.md, Ties):
# - positions, distances, moves and offers: the issue's scale, 1 on the unit scale every
#   round works on, so the rule does not depend on the issue's units (an affine change of
#   them leaves the unit positions as they are, up to rounding);
# - expected utilities: max(|a|, |b|, 1), since the utilities lie in [-2, 2] and an EU (a
#   difference of them) keeps their rounding however small it is;
# - security levels (sums of EUs of either sign): the largest Σ_j |EU|, at least 1;
# - Borda losses Σ_k w_k |x_k - x_a|: Σ_k w_k, so that capabilities in any unit tie alike.
# Rounding noise is below 1e-15 of these magnitudes; no difference the model acts on is
# that small on real data (DEU III positions lie on grids of 1/100 of the scale or coarser).
# On the unit scale a position's magnitude is 1: the tolerance of positions and distances.
TIE = TIE_TOLERANCE
# ``chosen`` of an actor that holds equally good offers on both sides and so stays.
STAY = -2
# Upper bound on rows x actors^3 elements handled in one go (memory of the vote tensor).
CHUNK_ELEMENTS = 2_000_000
# Rows x actors^3 elements per chunk of rows on the blocked path, for speed: a chunk's voter
# tensor (1 MiB) and pair arrays stay in cache. Monte Carlo batches of small scenarios
# (korea-2017: 16,000 rows of 6 actors) ran 1.5-2x faster in chunks of ~600 rows than whole.
CACHE_ELEMENTS = 1 << 17

#: Calm rounds in a row that stop a run, by default; a lower max_rounds ends the run first
#: (see require_within_cap).
DEFAULT_STOP_ROUNDS = 2

CHOICES: dict[str, tuple[str, ...]] = {
    "probability": ("pairwise", "global", "net", "exclude-dyad"),
    "conflict": ("loser-moves", "no-move"),
    "compromise": ("ratio", "weighted"),
    "offer_choice": ("max-proposer-eu", "type-priority", "scholz-code"),
    "median": ("weighted", "borda"),
    "security": ("column", "row"),
    "perspective": ("own", "each"),
    "delta": ("dynamic", "initial", "scale"),
    "q_rule": ("constant", "product"),
    "t_rule": ("distance", "shrink"),
    "forecast_point": ("median", "mean"),
}

PRESETS: dict[str, dict[str, Any]] = {
    # The published equations of Scholz et al. (2011) read literally (bdm-deu.md §1.2-1.3).
    "printed": {
        "probability": "pairwise", "conflict": "loser-moves", "compromise": "ratio",
        "offer_choice": "max-proposer-eu", "median": "weighted", "security": "column",
        "perspective": "own", "delta": "dynamic", "q": 1.0, "q_rule": "constant",
        "t_rule": "distance", "voter_risk": False, "capitulation": True,
    },
    # What Scholz's own code did, as ported by jmckib (bdm-deu.md §1.4-1.5): reproduces the
    # reference trajectory on the EC car-emission table to two decimals.
    "scholz-reference": {
        "probability": "global", "conflict": "loser-moves", "compromise": "ratio",
        "offer_choice": "scholz-code", "median": "weighted", "security": "column",
        "perspective": "own", "delta": "initial", "q": 1.0, "q_rule": "constant",
        "t_rule": "distance", "voter_risk": True, "capitulation": False,
    },
}

RELATIONS = ("none", "conflict", "compromise", "capitulation")

# The reductions of a round's hot path as the ufuncs' own reduce: the ndarray methods
# (``a.sum(axis=1)``) and numpy's functions (``np.sum``) call these with the same arguments
# through a Python wrapper each, which costs as much as the reduction of a 10 x 10 array.
_add = np.add.reduce
_maximum = np.maximum.reduce
_minimum = np.minimum.reduce
_any = np.logical_or.reduce  # axis=None for "any element at all" (its default is axis 0)

# The constants of a round's arithmetic as 0-d float64 arrays: a Python float operand is
# converted anew at every call, which makes ``4.0 * d`` on a 10 x 10 array take nearly twice
# as long as ``_4 * d``. The values, and so every result, are the same.
_0, _HALF, _1, _2, _3, _4 = (np.array(v) for v in (0.0, 0.5, 1.0, 2.0, 3.0, 4.0))
_TIE, _NAN, _INF = np.array(TIE), np.array(np.nan), np.array(np.inf)
# Relation codes (RELATIONS), as np.where(conflict, 1, ...) types them (the default int).
_CODE_2, _CODE_3 = np.array(2), np.array(3)


class Bdm(Model):
    """Bueno de Mesquita's expected-utility model after Scholz, Calbert & Smith (2011).

    Each round (Scholz appendix steps 2-11): utilities (eq. 14) and votes (eqs. 26-28) give
    the median voter position (eq. 29) and the probability that i prevails over j
    (eqs. 30-31); expected utilities of challenging (eqs. 5-7, 15-25) computed with risk
    exponent 1 give each actor's security and risk exponent r_i (§5, eqs. 32-33); the
    expected utilities are recomputed with r_i; every ordered pair is classified (fig. 6:
    conflict, compromise eqs. 35-36, capitulation, stalemate); each actor accepts one offer
    (§6.2) and all move at once. Bargaining stops when the median moves less than
    ``stop_eps`` for ``stop_rounds`` rounds in a row, or after ``max_rounds``; the forecast
    is the median (or weighted mean) at that point. Actors without a stance on an issue
    (``stake`` false) take no part in it.
    """

    name = "bdm"
    reads_idle_stances = True

    @dataclass(frozen=True)
    class Options:
        """A1-A9 refer to bdm-deu.md §1.4; defaults follow the ``printed`` preset."""

        preset: str = "printed"
        # A1: denominator of P_ij: "pairwise" Σ_k|v_k(i,j)| (printed eq. 31); "global"
        # Σ_k Σ_a Σ_b |v_k(a,b)| (Scholz's code); "net" max(Σ_k v_k, 0)/Σ_k|v_k|;
        # "exclude-dyad" the pairwise form without k = i, j.
        probability: str = "pairwise"
        # A2: both EUs positive: "loser-moves" (lower EU moves fully) or "no-move".
        conflict: str = "loser-moves"
        # A3: compromise: "ratio" x_j += (x_i - x_j)|b/a| (eqs. 35-36) or "weighted"
        # (|a| x_i + |b| x_j)/(|a| + |b|).
        compromise: str = "ratio"
        # A4: which offer an actor accepts: "max-proposer-eu" (most enforceable, then least
        # move); "type-priority" (conflict > compromise > capitulation, then least move);
        # "scholz-code" (as type-priority, but compromises ranked by the smallest weighted
        # position: orientation-dependent, as Scholz's code).
        offer_choice: str = "max-proposer-eu"
        # A5: median voter: "weighted" (Condorcet winner = weighted median, exact halves
        # averaged) or "borda" (argmax_i Σ_j Σ_k v_k(i,j) over actor positions).
        median: str = "weighted"
        # A6: security Sec_i: "column" Σ_j EU_j(ji) (Scholz prose) or "row" Σ_j EU_i(ij)
        # (appendix step 8); and whose risk exponent i uses for j's EU: "own" (r_i for both
        # sides, Scholz's code) or "each" (r_j for j's EU).
        security: str = "column"
        perspective: str = "own"
        # A7: Δ: "dynamic" range of current positions, "initial" range of round-0
        # positions, "scale" the issue's scale (1 on the unit scale).
        delta: str = "dynamic"
        # A8: probability Q that the status quo persists without a challenge: "constant"
        # (= q) or "product" Π_{k≠i,j}(P_ik + 1 - s_k), clipped to [0, 1]; T (things get
        # better without a challenge): "distance" |x_i-μ| < |x_i-x_j|, or "shrink" (the
        # i-j distance shrank last round; distance rule in round 1).
        q: float = 1.0
        q_rule: str = "constant"
        t_rule: str = "distance"
        # A9: votes in P with voter-risk-adjusted distances (|x_k-x|/Δ)^{r_k}.
        voter_risk: bool = False
        # jmckib's capitulation test never fires (bdm-deu.md §1.4 bugs); False reproduces it.
        capitulation: bool = True
        # Stopping rule: the median moves less than stop_eps (unit scale) for stop_rounds
        # rounds in a row; never more than max_rounds rounds.
        max_rounds: int = 20
        stop_eps: float = 0.005
        stop_rounds: int = DEFAULT_STOP_ROUNDS
        # The forecast: the median voter position at the stop, or the weighted mean.
        forecast_point: str = "median"

        def __post_init__(self) -> None:
            require_choices(self, CHOICES)
            if self.preset not in PRESETS:
                raise ValueError(f"unknown preset {self.preset!r}: choose one of "
                                 f"{', '.join(PRESETS)}")
            if not 0.0 <= self.q <= 1.0:
                raise ValueError(f"option q={self.q}: must lie in [0, 1]")
            require_count("max_rounds", self.max_rounds, 0, 1000,
                          "the median settles within tens of rounds, 20 by default; every "
                          "round is kept in memory")
            require_count("stop_rounds", self.stop_rounds, 1, 1000,
                          "calm rounds in a row that stop the run; no run goes past 1,000 "
                          "rounds")
            require_within_cap("stop_rounds", self.stop_rounds, DEFAULT_STOP_ROUNDS,
                               "max_rounds", self.max_rounds)
            if self.stop_eps < 0:
                raise ValueError("stop_eps >= 0 needed")

    presets: ClassVar[dict[str, dict[str, Any]]] = PRESETS

    def __init__(self, **options: Any) -> None:
        preset = options.get("preset", "printed")
        if preset not in PRESETS:
            raise option_error("bdm.preset", f"unknown preset '{preset}'",
                               f"presets of bdm: {', '.join(PRESETS)}")
        super().__init__(**{**PRESETS[preset], **options})

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> Bdm:
        """The model with a named preset's options (``overrides`` change single options)."""
        return cls(preset=name, **overrides)

    def run(self, arrays: Arrays, rng: RngLike = None) -> ModelResult:
        run = simulate(arrays, self.options)
        return self._result(run.forecast, trajectory=run.trajectory, rounds=run.rounds,
                            details=run.details)

    def sample(self, arrays: Arrays, rng: RngLike = None, per_turn: bool = False
               ) -> ModelResult:
        """``run`` without the trajectory (None), which the sampling engine drops, and,
        unless ``per_turn``, without the per-round details (``forecast_path``, ``median``,
        ``mean``, ``[R+1, I]``, and ``risk``, ``[R, A, I]``): about 12 kB a korea-2017
        sample, 1.2 GB at 10^5, that no summary of `detente sample` reads. The forecast,
        ``rounds``, ``stopped`` (its P(stopped) line) and ``preset`` are kept either way,
        the same numbers."""
        run = simulate(arrays, self.options, history=per_turn)
        return self._result(run.forecast, trajectory=None, rounds=run.rounds,
                            details=run.details)

    def estimate(self, n_actors: int, n_issues: int, batch: int = 1) -> MemoryEstimate:
        """Rows are (batch, issue) cells; the trajectory and risks are ``[R+1, rows, A]``.

        Fast path (plain votes, constant Q): a round holds a few dozen ``[rows, A, A]`` pair
        arrays for a chunk of rows (:data:`PAIR_ELEMENTS`, at least one row), O(A²) per
        row, plus the voter-by-voter sums of pairs within rounding noise of zero (at most
        :data:`PAIR_ELEMENTS` voters x pairs at once). Blocked path (``voter_risk`` or
        ``q_rule=product``): voter tensors bounded by :data:`CHUNK_ELEMENTS` per block
        (:func:`_actor_blocks`) besides the pair arrays, O(A³) time."""
        opts: Bdm.Options = self.options  # type: ignore[assignment]
        a, rows, rounds = max(n_actors, 1), batch * max(n_issues, 1), opts.max_rounds + 1
        history = 8 * rounds * rows * a
        per_row = 8 * max(n_issues, 1) * (2 + (rounds - 1) * a + 3 * rounds)
        return MemoryEstimate(working=self._working(a, rows, history), outputs_per_row=per_row)

    def _working(self, a: int, rows: int, state: int) -> int:
        """The working set of :meth:`estimate` with ``state`` floats kept across rounds
        (:meth:`estimate` passes its history in bytes, which counts it eight times over)."""
        opts: Bdm.Options = self.options  # type: ignore[assignment]
        if _fast("auto", opts, a) and not opts.voter_risk:
            chunk = min(rows, max(1, PAIR_ELEMENTS // (a * a)))
            direct = min(PAIR_ELEMENTS, chunk * a**3)
            return 8 * (6 * direct + 40 * chunk * a * a + state) + 2**20
        chunk = min(rows, max(1, min(CHUNK_ELEMENTS, CACHE_ELEMENTS) // a**3))
        tensor = min(chunk * a**3, max(CHUNK_ELEMENTS, chunk * a * a))
        return 8 * (6 * tensor + 40 * chunk * a * a + state) + 2**20

    def sample_estimate(self, n_actors: int, n_issues: int, batch: int = 1,
                        per_turn: bool = False) -> MemoryEstimate:
        """:meth:`estimate` for :meth:`sample`: with ``per_turn`` the run's (the history is
        kept; the trajectory is a view of it). Without, the history is a ring of three
        rounds: 24 floats per row and actor stand for it, the inputs, the copies of the
        rows still bargaining and a round's results (about 17 measured on korea-2017), and
        a sample keeps its forecast and ``stopped`` per issue (9 bytes each; 16 allowed)."""
        if per_turn:
            return self.estimate(n_actors, n_issues, batch)
        a, rows = max(n_actors, 1), batch * max(n_issues, 1)
        return MemoryEstimate(working=self._working(a, rows, 24 * rows * a),
                              outputs_per_row=8 * max(n_issues, 1) * 2)

    def explain(self, arrays: Arrays, issue_index: int, round_number: int,
                rng: np.random.Generator | None = None) -> list[ExplainTable]:
        return explain_round(arrays, self.options, issue_index, round_number)


# ---------------------------------------------------------------------------------------
# One round, vectorized over rows (batch x issues), actors i, j and voters k
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rows:
    """A scenario flattened to rows: ``[N, A]`` arrays, one row per (batch, issue)."""

    weight: np.ndarray     # capability x salience, 0 for actors without a stance
    salience: np.ndarray
    present: np.ndarray    # bool: the actor has a stance on the row's issue

    # Derived once per Rows and reused by every round (a round of a 10-actor table is a few
    # dozen numpy calls on tiny arrays, so each call saved counts). cached_property writes
    # the instance dict directly, which a frozen dataclass allows.
    @functools.cached_property
    def all_present(self) -> bool:
        """Every actor has a stance in every row: the masks by ``present`` select all."""
        return bool(self.present.all())

    @functools.cached_property
    def pair(self) -> np.ndarray:
        """``[N, i, j]``: both i and j present (read-only)."""
        pair = self.present[:, :, None] & self.present[:, None, :]
        pair.flags.writeable = False
        return pair

    @functools.cached_property
    def dyads(self) -> np.ndarray:
        """``[N, i, j]``: i != j, both present (read-only; shared when all are present)."""
        off = _off_diagonal(self.present.shape[1])
        return off if self.all_present else self.pair & off

    @functools.cached_property
    def target_salience(self) -> tuple[np.ndarray, np.ndarray]:
        """s_j and 1 - s_j as ``[N, 1, j]``: the EU's weights of the target's salience."""
        s_j = self.salience[:, None, :]
        return s_j, 1.0 - s_j

    @functools.cached_property
    def pair_start(self) -> np.ndarray:
        """``[N, A]``: where each (row, i)'s j = 0 lies in a flattened ``[N, i, j]`` array
        (a flat gather costs a fraction of (row, i, j) index arrays)."""
        n, a = self.present.shape
        return np.arange(0, n * a * a, a).reshape(n, a)

    @functools.cached_property
    def median_weight(self) -> np.ndarray:
        """The weights of the weighted median: w, or presence where a row weighs nothing."""
        total = self.weight.sum(axis=-1)
        return np.where(total[:, None] > 0, self.weight, self.present.astype(float))


@dataclass
class RoundResult:
    """Everything one round computes, per row; pair arrays are ``[N, i, j]``."""

    median: np.ndarray       # μ at the start of the round
    delta: np.ndarray        # Δ used in the round
    security: np.ndarray     # Sec_i with r = 1
    risk_index: np.ndarray   # R_i in [-1, 1]
    risk: np.ndarray         # r_i in [0.5, 2]
    probability: np.ndarray  # P_ij with the round's r
    eu_own: np.ndarray       # a = EU_i(ij), as i evaluates it
    eu_other: np.ndarray     # b = EU_j(ji), as i evaluates it (A6 perspective)
    relation: np.ndarray     # int code into RELATIONS, of the offer j makes to i (0: none)
    offer: np.ndarray        # where i would move on j's offer (nan: no offer)
    chosen: np.ndarray       # [N, i] index j of the accepted offer, -1 for none, STAY
    new_position: np.ndarray  # [N, i]
    start: np.ndarray        # [N, i] positions at the start of the round


def median_voter(x: np.ndarray, rows: Rows, how: str) -> np.ndarray:
    """μ per row (eq. 29), from plain votes (risk 1). Returns ``[N]``."""
    w = rows.weight
    if how == "weighted":
        return weighted_median_rows(x, rows.median_weight)
    # borda: argmax over candidate positions a of Σ_b Σ_k v_k(a, b) = const - Σ_k w_k|x_k - x_a|
    loss = np.sum(w[:, :, None] * np.abs(x[:, :, None] - x[:, None, :]), axis=1)  # [N, a]
    loss = np.where(rows.present, loss, np.inf)
    best = loss.min(axis=-1, keepdims=True)
    # Each term w_k |x_k - x_a| is at most w_k: the losses carry their rounding at Σ_k w_k.
    tied = rows.present & (loss <= best + TIE_TOLERANCE * w.sum(axis=-1, keepdims=True))
    # Ties (exact halves) are averaged over the tied positions, which keeps actor order moot.
    lo = np.where(tied, x, np.inf).min(axis=-1)
    hi = np.where(tied, x, -np.inf).max(axis=-1)
    return 0.5 * (lo + hi)


def weighted_median_rows(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """:func:`detente.models.median.weighted_median` of rows, ``[N, A] -> [N]``: the same
    steps and the same numbers (its sum over actors is taken on the same ``[N, A, 1]``
    layout, so it adds in the same order), read by flat indices (row start + column)
    instead of ``take_along_axis`` or (row, column) index pairs, each of which costs
    several times a 10-actor row's arithmetic."""
    n, a = x.shape
    start = np.arange(0, n * a, a)  # of each row in the flattened [N, A] arrays
    order = x.argsort(axis=1, kind="stable")
    flat = order + start[:, None]
    pos = x.ravel()[flat]
    ws = w.ravel()[flat]
    total = _add(ws[:, :, None], axis=1)  # [N, 1], as weighted_median's keepdims sum
    cum = ws.cumsum(axis=1) / total
    # The first position whose cumulative share reaches one half.
    first = (cum >= _HALF_LESS_TOL).argmax(axis=1)
    at = first + start
    lower = pos.ravel()[at]
    at_half = np.abs(cum.ravel()[at] - _HALF) <= _TOL
    if not _any(at_half, axis=None):  # the common case: no exact half to average
        return lower
    # Exactly one half: average with the next position that carries weight.
    carries = (ws > 0) & (np.arange(a)[None, :] > first[:, None])
    upper = pos.ravel()[np.argmax(carries, axis=1) + start]
    return np.where(at_half & np.any(carries, axis=1), 0.5 * (lower + upper), lower)


# weighted_median_rows's tolerance on the cumulative share (weighted_median's).
_TOL = np.array(1e-12)
_HALF_LESS_TOL = np.array(0.5 - 1e-12)


def delta_of(x: np.ndarray, x0: np.ndarray, rows: Rows, how: str) -> np.ndarray:
    """Δ per row (A7); a zero range (everyone agrees, up to :data:`TIE`) is taken as 1, where
    all distances are 0 up to the same tolerance."""
    if how == "scale":
        return np.ones(x.shape[0])
    ref = x if how == "dynamic" else x0
    if rows.all_present:
        hi, lo = _maximum(ref, axis=-1), _minimum(ref, axis=-1)
    else:
        hi = np.where(rows.present, ref, -np.inf).max(axis=-1)
        lo = np.where(rows.present, ref, np.inf).min(axis=-1)
    span = hi - lo
    return np.where(np.isfinite(span) & (span > _TIE), span, _1)


@functools.lru_cache(maxsize=8)
def _off_diagonal(n_actors: int) -> np.ndarray:
    """The i != j mask, built once per size (read-only)."""
    mask = ~np.eye(n_actors, dtype=bool)
    mask.flags.writeable = False
    return mask


def _zero_below(base: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """``base`` with the entries at or below ``floor`` set to 0: the base of a power x^r.

    With r < 1 (risk exponents reach 1/2) the power's slope is unbounded at 0, so a base that
    is 0 in exact arithmetic but one rounding off it, 5.5e-17 for two positions one ulp apart,
    becomes 7e-9 at r = 1/2 and moves an EU by 3e-8: far beyond any tie tolerance, and
    enough to change the offer an actor accepts (a one-ulp change of one position moved a
    forecast by 0.27 of the scale). The bases are differences of positions over Δ, so
    ``floor`` is :data:`TIE`/Δ: positions equal up to the tie tolerance give a base of 0."""
    return np.where(base <= floor, _0, base)


def _votes(weight: np.ndarray, u_j: np.ndarray, u_i: np.ndarray, floor: np.ndarray,
           dist: tuple[np.ndarray, np.ndarray] | None = None,
           indifferent: np.ndarray | None = None) -> np.ndarray:
    """Votes w_k (u_k(x_j) - u_k(x_i)) (broadcast), 0 where voter k is as far from x_i as
    from x_j up to the tie tolerance: the distances (``dist``, to x_j and to x_i, when the
    utilities u are their powers; else u itself) differ by at most ``floor`` = TIE/Δ.
    ``indifferent``: those voters (:func:`_indifferent`) when the caller has them.

    Such a voter is indifferent in exact arithmetic (it sits on the pair's midpoint, or the
    pair shares a position), and the sign of its rounding would otherwise decide P: where
    every other voter is indifferent too, P is 0, 1 or 0.5 as a last bit falls (one ulp of
    one position moved a forecast by 0.03 of the scale through Q, A8 product)."""
    diff = u_j - u_i
    if indifferent is None:
        apart = diff if dist is None else dist[0] - dist[1]
        indifferent = np.abs(apart) <= floor
    np.copyto(diff, _0, where=indifferent)
    diff *= weight
    return diff


def _indifferent(dist: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """Whether voter k is as far from x_i as from x_j up to the tie tolerance (see
    :func:`_votes`), ``[N, k, i, j]``, from the distances ``dist`` = min(|x_k - x_a|/Δ, 1)
    ``[N, k, a]`` and ``floor`` = TIE/Δ ``[N, 1, 1]``: the same numbers as :func:`_votes`
    compares."""
    return np.abs(dist[:, :, None, :] - dist[:, :, :, None]) <= floor[..., None]


def _actor_blocks(n_rows: int, n_actors: int) -> list[slice]:
    """Blocks of the challenger axis i so that ``n_rows × block × A²`` stays near
    :data:`CHUNK_ELEMENTS`: the voter tensors ``[N, k, i, j]`` are O(A³) per row (7.45 GiB
    for 1,000 actors), a block of i is O(A²). One block when everything fits."""
    per = max(1, CHUNK_ELEMENTS // max(1, n_rows * n_actors * n_actors))
    return [slice(k, min(n_actors, k + per)) for k in range(0, n_actors, per)]


def probability_of_success(x: np.ndarray, rows: Rows, delta: np.ndarray,
                           voter_exp: np.ndarray | None,
                           how: str, fast: bool = False,
                           dist: np.ndarray | None = None,
                           gap: np.ndarray | None = None,
                           indifferent: np.ndarray | None = None) -> np.ndarray:
    """P_ij (eqs. 30-31 and variants A1, A9): ``[N, i, j]``.

    v_k(i,j) = w_k (u_k(x_j) - u_k(x_i)), u_k(x) = (|x_k - x|/Δ)^{ρ_k}: voters in favour of i
    count in the numerator. The factor 2/Δ of eq. 28 cancels in every variant, and so does
    any common factor of the sums. ``voter_exp`` None: ρ = 1 for every voter (plain votes).
    ``fast`` (plain votes only): the sums by prefix
    sums over sorted positions, O(A² log A) per row (:func:`_vote_sums_fast`); otherwise
    voter by voter, O(A³), per block of challengers (:func:`_vote_sums_blocked`). The fast
    path needs every present distance within Δ (the clip of u at 1 idle); a row where it is
    not (never with the model's own Δ) is summed blocked. ``dist``: min(|x_i - x_j|/Δ, 1)
    ``[N, i, j]`` when the caller has it (the blocked path's distances, the same numbers);
    ``gap``: |x_i - x_j| likewise; ``indifferent``: :func:`_indifferent` of ``dist``, for the
    blocked path, likewise.

    Two positions within :data:`TIE` of each other are one position: no voter prefers
    either, so their P is that of a shared position (0.5; 0 in ``global``, where they add
    nothing to the total). Their votes are rounding noise of either sign, which would
    otherwise decide P anywhere in [0, 1], and P enters Q (A8 ``product``) whatever the
    distance.
    """
    if fast:
        span = (np.where(rows.present, x, -np.inf).max(axis=1)
                - np.where(rows.present, x, np.inf).min(axis=1))
        fast = bool(np.all(~np.isfinite(span) | (span <= delta)))
    if fast:  # it gives tied pairs sums of 0 itself
        support, absolute, net = _vote_sums_fast(x, rows, delta, how)
    else:
        support, absolute, net = _vote_sums_blocked(x, rows, delta, voter_exp, how, dist,
                                                    indifferent)
        tied = (np.abs(x[:, :, None] - x[:, None, :]) if gap is None else gap) <= _TIE
        if np.count_nonzero(tied) > tied.shape[0] * tied.shape[1]:  # more than the diagonal
            for sums in (support, absolute, net):  # (they may be one array: idempotent)
                np.copyto(sums, _0, where=tied)
    pair = rows.pair
    if how == "global":
        total = np.sum(absolute if rows.all_present else absolute * pair,
                       axis=(1, 2))[:, None, None]
        p = np.divide(support, total, out=np.zeros(support.shape), where=total > _0)
        return p if rows.all_present else np.where(pair, p, 0.0)
    numerator = np.maximum(net, 0.0) if how == "net" else support
    # np.full and np.zeros_like are Python wrappers; an empty array filled is the same.
    halves = np.empty(support.shape)
    halves.fill(0.5)
    p = np.divide(numerator, absolute, out=halves, where=absolute > _0)
    return p if rows.all_present else np.where(pair, p, 0.0)


def _vote_sums_blocked(x: np.ndarray, rows: Rows, delta: np.ndarray,
                       voter_exp: np.ndarray | None, how: str,
                       dist: np.ndarray | None = None, indifferent: np.ndarray | None = None
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Σ_k max(v_k, 0), Σ_k |v_k|, Σ_k v_k per pair, ``[N, i, j]``: the voters x pairs
    tensor ``[N, k, i, j]``, O(A³), built per block of challengers i (:func:`_actor_blocks`);
    each (i, j) sums the same terms in the same order whatever the block. The path for
    risk-adjusted votes (A9: u = d^{ρ_k} with a different exponent per voter has no prefix
    sums) and the reference of the fast path."""
    n_rows, n_actors = x.shape
    if dist is None:
        # np.clip(., 0, 1) by two ufuncs in place: the same numbers without np.clip's
        # wrapper. (A round's d, passed as ``dist``, is these numbers: |.| / Δ is never
        # below 0, so the lower clip changes nothing.)
        dist = np.abs(x[:, :, None] - x[:, None, :]) / delta[:, None, None]
        np.minimum(np.maximum(dist, 0.0, out=dist), 1.0, out=dist)
    # [N, k, a]; plain votes (None) skip the power: x ** 1 is x exactly.
    floor = _TIE / delta[:, None, None]
    u = dist if voter_exp is None else _zero_below(dist, floor) ** voter_exp[:, :, None]
    weight, floor = rows.weight[:, :, None, None], floor[..., None]
    blocks = _actor_blocks(n_rows, n_actors)

    def votes(blk: slice) -> np.ndarray:
        """v_k(i, j) ``[N, k, i, j]`` for the challengers i in ``blk``."""
        plain = voter_exp is None
        return _votes(weight, u[:, :, None, :], u[:, :, blk, None], floor,
                      None if plain else (dist[:, :, None, :], dist[:, :, blk, None]),
                      None if indifferent is None else indifferent[:, :, blk])

    if len(blocks) == 1 and how != "exclude-dyad":  # one block: the same sums, no stores
        v = votes(slice(None))
        support = _add(np.maximum(v, _0), axis=1)
        absolute = _add(np.abs(v), axis=1)
        # Σ_k v_k is read for "net" only (the loop below leaves it unset otherwise).
        return support, absolute, _add(v, axis=1) if how == "net" else support
    support = np.empty((n_rows, n_actors, n_actors))
    absolute = np.empty_like(support)  # Σ_k |v_k(i, j)|
    net = np.empty_like(support)
    k = np.arange(n_actors)
    for blk in blocks:
        v = votes(blk)
        if how == "exclude-dyad":
            i = k[blk]
            keep = (k[:, None, None] != i[None, :, None]) & (k[:, None, None] != k[None, None, :])
            v = v * keep
        support[:, blk] = np.sum(np.maximum(v, 0.0), axis=1)
        absolute[:, blk] = np.sum(np.abs(v), axis=1)
        if how == "net":
            net[:, blk] = np.sum(v, axis=1)
        del v
    return support, absolute, net


# The fast path (issue 15 item 3). With plain votes (risk exponent 1) on one issue, voter k's
# vote between x_i and x_j is w_k (|x_k - x_j| - |x_k - x_i|)/Δ: constant ±w_k d/Δ (d = |x_i -
# x_j|) for voters outside [lo, hi] = [min, max](x_i, x_j), and 2 w_k (m - x_k)/Δ, linear in x_k,
# between them, with the sign flipping at the midpoint m. So every voter sum of eqs. 30-31 (and
# of A1's variants) is a few prefix sums of w_k and w_k x_k over the actors sorted by position,
# read at lo, m and hi: O(A² log A) per row instead of O(A³). Where the fast sum of a pair is
# within rounding noise of zero (its voters all sit at or next to the midpoint, or x_i and x_j
# nearly coincide), the sign of each tiny vote decides P; those pairs are summed voter by voter
# exactly as the blocked path does (:func:`_direct_sums`), so both paths give the same P.

# A pair whose |vote| sum is below NOISE x Σ_k w_k x (range of positions) is summed directly:
# the prefix sums carry an absolute error of a few ulp of that scale (times √A at worst), so
# above it P is good to about 1e-10; below it only the direct sum reproduces the blocked path.
NOISE = 1e-5
# Upper bound on rows x actors^2 elements per chunk of rows on the fast path (pair arrays).
PAIR_ELEMENTS = 250_000
# Below this many actors the blocked path's few large numpy calls beat the fast path's many
# small ones (measured crossover 24-48 actors on a loaded 2-core machine); method "auto"
# switches there, "fast" (tests, benchmarks) never does. Both give the same numbers.
FAST_MIN_ACTORS = 32


def _uses_fast_path(opts: Bdm.Options) -> bool:
    """Whether the variant has prefix sums: step 1 (risk 1) always has plain votes, step 2
    too unless ``voter_risk`` (A9); the product Q rule (A8) takes the blocked P, whose
    pairs of nearly equal positions it multiplies into Q whatever their rounding."""
    return opts.q_rule == "constant"


def _fast(method: str, opts: Bdm.Options, n_actors: int) -> bool:
    """Whether a round sums plain votes by prefix sums (``method`` as in :func:`play_round`)."""
    if method not in ("auto", "fast", "blocked"):
        raise ValueError(f"method {method!r}: choose auto, fast or blocked")
    wanted = method == "fast" or (method == "auto" and n_actors >= FAST_MIN_ACTORS)
    return wanted and _uses_fast_path(opts)


def _search(sorted_x: np.ndarray, values: np.ndarray, side: str) -> np.ndarray:
    """Row-wise ``searchsorted``: for each row r, how many of ``sorted_x[r]`` lie below
    ``values[r]`` (``side`` as numpy's). ``[N, A]`` sorted, ``[N, M]`` values -> ``[N, M]``.

    Several rows are searched in one call on complex keys (row + 1j x): numpy orders complex
    numbers by real part, then imaginary part, so comparisons stay exact."""
    n, a = sorted_x.shape
    if n == 1:
        return np.searchsorted(sorted_x[0], values[0], side=side)[None]  # type: ignore[arg-type]
    rows = np.arange(n, dtype=float)[:, None]
    keys = (rows + 1j * sorted_x).ravel()
    found = np.searchsorted(keys, (rows + 1j * values).ravel(), side=side)  # type: ignore[arg-type]
    return found.reshape(n, -1) - (np.arange(n) * a)[:, None]


def _direct_sums(x: np.ndarray, rows: Rows, delta: np.ndarray, where: tuple[np.ndarray, ...],
                 how: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Σ_k max(v_k, 0), Σ_k |v_k|, Σ_k v_k for the listed pairs (row, i, j), voter by voter
    with the blocked path's arithmetic, times Δ (the fast path's unit). Chunked."""
    r, i, j = where
    n_actors = x.shape[1]
    sums = np.zeros((3, r.size))
    per = max(1, PAIR_ELEMENTS // max(1, n_actors))
    for lo in range(0, r.size, per):
        s = slice(lo, lo + per)
        rr, ii, jj = r[s], i[s], j[s]
        xr, dl = x[rr], delta[rr][:, None]
        u_i = np.clip(np.abs(xr - x[rr, ii][:, None]) / dl, 0.0, 1.0)
        u_j = np.clip(np.abs(xr - x[rr, jj][:, None]) / dl, 0.0, 1.0)
        v = _votes(rows.weight[rr], u_j, u_i, _TIE / dl)
        if how == "exclude-dyad":
            k = np.arange(n_actors)
            v = v * ((k != ii[:, None]) & (k != jj[:, None]))
        sums[0, s] = np.sum(np.maximum(v, 0.0), axis=1)
        sums[1, s] = np.sum(np.abs(v), axis=1)
        sums[2, s] = np.sum(v, axis=1)
    return sums[0] * delta[r], sums[1] * delta[r], sums[2] * delta[r]


def _vote_sums_fast(x: np.ndarray, rows: Rows, delta: np.ndarray, how: str
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Σ_k max(v_k(i,j), 0), Σ_k |v_k(i,j)| and Σ_k v_k(i,j) for plain votes, ``[N, i, j]``
    each, in units of Δ (Δ v), by prefix sums over the actors sorted by position.

    For lo < hi (the pair's positions) and m their midpoint, the voters favouring lo give
    d Σ_{x_k ≤ lo} w_k + 2 Σ_{lo < x_k < m} w_k (m - x_k), those favouring hi
    d Σ_{x_k ≥ hi} w_k + 2 Σ_{m ≤ x_k < hi} w_k (x_k - m): two prefix-sum tables (of w and
    of w x) read at lo, at hi (per actor) and at m (one search per pair).
    """
    n, a = x.shape
    w = rows.weight
    present = rows.present
    with np.errstate(invalid="ignore"):  # a row with nobody present
        hi_x = np.where(present, x, -np.inf).max(axis=1)
        lo_x = np.where(present, x, np.inf).min(axis=1)
    some = np.isfinite(hi_x)
    span = np.where(some, hi_x - lo_x, 0.0)
    # Comparisons (order, sides, ties) use the positions themselves; the sums of w x are
    # taken about the centre of the present positions, which keeps their rounding small.
    centre = np.where(some, 0.5 * (hi_x + lo_x), 0.0)[:, None]
    order = np.argsort(x, axis=1, kind="stable")
    by_row = np.arange(n)[:, None]
    xs, ws = x[by_row, order], w[by_row, order]
    table = np.zeros((n, a + 1, 2))           # Σ w and Σ w (x - centre) of the first t
    table[:, 1:, 0] = np.cumsum(ws, axis=1)
    table[:, 1:, 1] = np.cumsum(ws * (xs - centre), axis=1)
    total = table[:, -1:, 0][:, :, None]       # [N, 1, 1]
    rows_at = (np.arange(n) * (a + 1))[:, None]
    flat_table = table.reshape(-1, 2)
    # Per actor: the table at the voters at or below x_i, and strictly below x_i.
    upto = flat_table[(_search(xs, x, "right") + rows_at).ravel()].reshape(n, a, 2)
    below = flat_table[(_search(xs, x, "left") + rows_at).ravel()].reshape(n, a, 2)

    xi, xj = x[:, :, None], x[:, None, :]
    i_low = xi <= xj
    d = np.abs(xi - xj)
    mid_x = 0.5 * (xi + xj)
    # Voters below the midpoint. If m rounds onto lo or hi (d of an ulp) the ranges below
    # run backwards by voters at m itself, whose terms cancel; such pairs have sums within
    # noise of zero and are redone voter by voter.
    # Searched in sorted order, where each row of midpoints is sorted (several times faster
    # than scattered queries for large A), then read in actor order: xs[rank_i] is x_i, so
    # the midpoints are the same numbers.
    rank = np.empty_like(order)
    rank[by_row, order] = np.arange(a)
    mid_sorted = 0.5 * (xs[:, :, None] + xs[:, None, :])
    at_sorted = _search(xs, mid_sorted.reshape(n, a * a), "left").reshape(n, a, a)
    at_mid = (at_sorted[by_row[:, :, None], rank[:, :, None], rank[:, None, :]]
              + rows_at[:, :, None]).ravel()
    w_mid = np.take(table[..., 0].ravel(), at_mid).reshape(n, a, a)
    wx_mid = np.take(table[..., 1].ravel(), at_mid).reshape(n, a, a)
    w_lo = np.where(i_low, upto[:, :, None, 0], upto[:, None, :, 0])
    wx_lo = np.where(i_low, upto[:, :, None, 1], upto[:, None, :, 1])
    w_hi = np.where(i_low, below[:, None, :, 0], below[:, :, None, 0])
    wx_hi = np.where(i_low, below[:, None, :, 1], below[:, :, None, 1])
    mid = mid_x - centre[:, :, None]
    favour_low = w_lo * d + 2.0 * (mid * (w_mid - w_lo) - (wx_mid - wx_lo))
    favour_high = (total - w_hi) * d + 2.0 * ((wx_hi - wx_mid) - mid * (w_hi - w_mid))
    if how == "exclude-dyad":
        # Without the two candidates, who vote for themselves: w d each.
        favour_low -= np.where(i_low, w[:, :, None], w[:, None, :]) * d
        favour_high -= np.where(i_low, w[:, None, :], w[:, :, None]) * d
    apart = d > _TIE  # closer pairs are one position (probability_of_success)
    favour_low = np.where(apart, np.maximum(favour_low, 0.0), 0.0)
    favour_high = np.where(apart, np.maximum(favour_high, 0.0), 0.0)
    support = np.where(i_low, favour_low, favour_high)
    absolute = favour_low + favour_high
    net = 2.0 * support - absolute
    # Sums within rounding noise of zero: redo voter by voter (see NOISE).
    scale = NOISE * np.sum(w, axis=1) * span
    unsure = np.nonzero((absolute <= scale[:, None, None]) & apart
                        & present[:, :, None] & present[:, None, :])
    if unsure[0].size:
        s, t, v = _direct_sums(x, rows, delta, unsure, how)
        support[unsure], absolute[unsure], net[unsure] = s, t, v
    return support, absolute, net


def expected_utility(d: np.ndarray, dm: np.ndarray, s: np.ndarray, p: np.ndarray,
                     q: float | np.ndarray, better: np.ndarray | None,
                     risk: np.ndarray | None, floor: np.ndarray) -> np.ndarray:
    """EU_i(ij) for every ordered pair (eqs. 5-7, 15-25), risk exponent ``risk`` ``[N, i, j]``.

    EU = s_j[P U_s + (1-P) U_f] + (1-s_j) U_s - {Q U_sq + (1-Q)[T U_b + (1-T) U_w]}, with
    d = min(|x_i - x_j|/Δ, 1) ``[N, i, j]`` and d_μ = min(|x_i - μ|/Δ, 1) ``[N, i, 1]``.
    ``risk`` None is r = 1 (x^1 = x exactly, so no power is taken); a constant Q = 1
    (``q`` the float 1.0, ``better`` may be None) drops U_b and U_w, whose weight 1 - Q is 0.
    Every base lies in [0, 1] because d and d_μ do, so the utilities need no clip. The bases
    that can reach 0 (of U_s and U_b) count as 0 at or below ``floor`` (:func:`_zero_below`,
    TIE/Δ ``[N, 1, 1]``) before a power is taken.
    """
    def u(base: np.ndarray, near_zero: bool = False) -> np.ndarray:
        if risk is None:
            return 2.0 - 4.0 * base
        return 2.0 - 4.0 * ((_zero_below(base, floor) if near_zero else base) ** risk)

    u_success, u_failure = u(0.5 - 0.5 * d, near_zero=True), u(0.5 + 0.5 * d)
    u_status_quo = 2.0 - 4.0 * (0.5 if risk is None else 0.5 ** risk)
    s_j = s[:, None, :]
    challenge = s_j * (p * u_success + (1.0 - p) * u_failure) + (1.0 - s_j) * u_success
    if isinstance(q, float) and q == 1.0:
        return challenge - u_status_quo
    assert better is not None
    u_better, u_worse = u(0.5 - 0.25 * (dm + d), near_zero=True), u(0.5 + 0.25 * (dm + d))
    no_challenge = q * u_status_quo + (1.0 - q) * (better * u_better + (1.0 - better) * u_worse)
    return challenge - no_challenge


def _utility(base: np.ndarray, own: bool = False) -> np.ndarray:
    """2 - 4 x ``base`` in one new array (over ``base`` itself if ``own``), as numpy's
    elision of temporaries computes ``2.0 - 4.0 * x`` for large arrays; it does not where
    the constants are 0-d arrays, and a second array of a 200-actor round is fresh memory,
    page faults included (15% of the run)."""
    out = np.multiply(base, _4, out=base if own else None)
    return np.subtract(_2, out, out=out)


class _ConstantQUtility:
    """:func:`expected_utility` with Q the constant 1, for several P and risk exponents on
    the same d: the bases 0.5 ∓ 0.5 d, 1 - s_j and 1 - P are computed once per round instead
    of once per call. d is symmetric bit for bit (|x_i - x_j| = |x_j - x_i| exactly), so
    the utilities with the target's exponent, base_ij^{r_j}, are those with the
    challenger's, base_ji^{r_j}, transposed: each power is taken once. The same operations
    on the same numbers, so the same EUs bit for bit (x - 0.0 is x, so r = 1 skips the
    status quo term, whose utility 2 - 4 x 0.5 is 0)."""

    def __init__(self, d: np.ndarray, rows: Rows, floor: np.ndarray) -> None:
        half_d = np.multiply(d, _HALF)
        self.lo_base = np.subtract(_HALF, half_d)
        self.floor = floor  # TIE/Δ [N, 1, 1]: 0.5 - 0.5 d at or below it is 0 under a power
        self.hi_base = np.add(half_d, _HALF, out=half_d)  # 0.5 + 0.5 d, in place
        self.s_j, self.s_not = rows.target_salience
        self.p_not: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.utilities: dict[int, tuple[np.ndarray, ...]] = {}

    def _utilities(self, risk: np.ndarray | None) -> tuple[np.ndarray, ...]:
        """U_s, U_f ``[N, i, j]`` with exponent r_i (None: 1), and U_sq ``[N, A]``."""
        key = id(risk)
        if key not in self.utilities:
            if risk is None:
                found: tuple[np.ndarray, ...] = (_utility(self.lo_base),
                                                 _utility(self.hi_base))
            else:
                r = risk[:, :, None]
                found = (_utility(_zero_below(self.lo_base, self.floor) ** r, own=True),
                         _utility(self.hi_base ** r, own=True),
                         _utility(_HALF ** risk, own=True), risk)  # risk kept: its id too
            self.utilities[key] = found
        return self.utilities[key]

    def __call__(self, p: np.ndarray, risk: np.ndarray | None, target: bool = False
                 ) -> np.ndarray:
        """EU_i(ij) with r_i (``target`` False) or r_j (True) for every pair."""
        if id(p) not in self.p_not:
            self.p_not[id(p)] = (p, _1 - p)  # keeps p alive, so its id stays its own
        not_p = self.p_not[id(p)][1]
        found = self._utilities(risk)
        u_success, u_failure = found[0], found[1]
        if target:
            u_success, u_failure = u_success.swapaxes(1, 2), u_failure.swapaxes(1, 2)
        out = p * u_success
        out += not_p * u_failure
        out *= self.s_j
        out += self.s_not * u_success
        if risk is not None:
            out -= found[2][:, None, :] if target else found[2][:, :, None]
        return out


def status_quo_probability(p: np.ndarray, rows: Rows, opts: Bdm.Options) -> np.ndarray:
    """Q_ij (A8): a constant, or Π_{k≠i,j} (P_ik + 1 - s_k) over present k, clipped to [0, 1].

    The product rule builds ``[N, i, j, k]`` per block of i (:func:`_actor_blocks`).
    """
    n, a = rows.present.shape
    if opts.q_rule == "constant":
        return np.full((n, a, a), opts.q)  # play_round passes the constant itself
    term = p + 1.0 - rows.salience[:, None, :]                  # [N, i, k]
    idx = np.arange(a)
    prod = np.empty((n, a, a))
    for blk in _actor_blocks(n, a):
        i = idx[blk]
        use = (rows.present[:, None, None, :] & (i[None, :, None, None] != idx[None, None, None, :])
               & (idx[None, None, :, None] != idx[None, None, None, :]))   # [N, i, j, k]
        prod[:, blk] = np.prod(np.where(use, term[:, blk, None, :], 1.0), axis=-1)
    return np.clip(prod, 0.0, 1.0)


def things_get_better(x: np.ndarray, prev: np.ndarray | None, mu: np.ndarray,
                      opts: Bdm.Options) -> np.ndarray:
    """T_ij (A8): 1 where i expects things to improve without challenging j."""
    gap = np.abs(x[:, :, None] - x[:, None, :])
    if opts.t_rule == "shrink" and prev is not None:
        return (gap < np.abs(prev[:, :, None] - prev[:, None, :]) - TIE).astype(float)
    return (np.abs(x - mu[:, None])[:, :, None] < gap - TIE).astype(float)


def risk_exponents(eu: np.ndarray, rows: Rows, how: str) -> tuple[np.ndarray, ...]:
    """Security Sec_i, R_i and r_i (§5, eqs. 32-33) from EUs computed with r = 1."""
    masked = np.where(rows.dyads, eu, _0)
    security = _add(masked, axis=1 if how == "column" else 2)
    if rows.all_present:
        hi = _maximum(security, axis=-1, keepdims=True)
        lo = _minimum(security, axis=-1, keepdims=True)
    else:
        hi = np.where(rows.present, security, -np.inf).max(axis=-1, keepdims=True)
        lo = np.where(rows.present, security, np.inf).min(axis=-1, keepdims=True)
    span = hi - lo
    # Sums of EUs of either sign carry their rounding at Σ_j |EU|: the largest sets the
    # tolerance (at least 1, the utilities' scale) under which all levels count as equal.
    magnitude = _maximum(_add(np.abs(masked), axis=1 if how == "column" else 2), axis=-1,
                         keepdims=True)
    ok = np.isfinite(span) & (span > _TIE * np.maximum(magnitude, _1))
    index = np.divide(_2 * security - hi - lo, span, out=np.zeros(security.shape),
                      where=ok if rows.all_present else ok & rows.present)
    third = index / _3
    risk = (_1 - third) / (_1 + third)
    return security, index, risk


def play_round(x: np.ndarray, x0: np.ndarray, prev: np.ndarray | None, rows: Rows,
               opts: Bdm.Options, method: str = "auto", mu: np.ndarray | None = None
               ) -> RoundResult:
    """One round for every row (Scholz appendix steps 2-11, bdm-deu.md §1.3).

    ``method``: "fast" sums plain votes by prefix sums where the variant allows it
    (:func:`_uses_fast_path`), "blocked" always voter by voter, "auto" (the model's) fast
    from :data:`FAST_MIN_ACTORS` actors on. ``mu``: the median voter position of ``x`` when
    the caller has it already."""
    fast = _fast(method, opts, x.shape[1])
    if mu is None:
        mu = median_voter(x, rows, opts.median)
    delta = delta_of(x, x0, rows, opts.delta)
    gap = np.abs(x[:, :, None] - x[:, None, :])
    d = np.minimum(gap / delta[:, None, None], _1)
    constant_q = opts.q_rule == "constant"
    # T and d_μ matter only through 1 - Q: not needed when Q is the constant 1.
    plain_q = constant_q and opts.q == 1.0
    better = None if plain_q else things_get_better(x, prev, mu, opts)
    dm = d if plain_q else np.minimum(np.abs(x - mu[:, None]) / delta[:, None], 1.0)[:, :, None]
    # Bases of a power at or below this are 0 (_zero_below): positions equal up to TIE.
    floor = _TIE / delta[:, None, None]
    eu_of = _ConstantQUtility(d, rows, floor) if plain_q else None

    def expected(p: np.ndarray, q: float | np.ndarray, risk: np.ndarray | None,
                 target: bool = False) -> np.ndarray:
        """EU_i(ij) with r_i (r_j if ``target``; risk None: r = 1)."""
        if eu_of is not None:
            return eu_of(p, risk, target)
        shaped = None if risk is None else risk[:, None, :] if target else risk[:, :, None]
        return expected_utility(d, dm, rows.salience, p, q, better, shaped, floor)

    def q_of(p: np.ndarray) -> float | np.ndarray:
        return float(opts.q) if constant_q else status_quo_probability(p, rows, opts)

    # The voters indifferent between two positions are the distances' (_votes), the same
    # in both steps' P: found once where a round takes P twice (A9) and they fit in one
    # block of the voter tensor (all blocks kept would be O(A³) per row).
    indifferent = _indifferent(d, floor) if opts.voter_risk and \
        len(_actor_blocks(*x.shape)) == 1 else None
    # Step 1: everything with r = 1, for the security levels and risk exponents.
    p1 = probability_of_success(x, rows, delta, None, opts.probability, fast=fast, dist=d,
                                gap=gap, indifferent=indifferent)
    q1 = q_of(p1)
    eu1 = expected(p1, q1, None)
    security, index, risk = risk_exponents(eu1, rows, opts.security)

    # Step 2: again with the actors' own risk exponents.
    # Plain votes (A9 off) give the same P and Q as step 1: reuse them.
    if opts.voter_risk:
        p = probability_of_success(x, rows, delta, risk, opts.probability, dist=d, gap=gap,
                                   indifferent=indifferent)
        q = q_of(p)
    else:
        p, q = p1, q1
    by_challenger = expected(p, q, risk)
    eu_own = by_challenger                                    # a[i, j] = EU_i(ij), r_i
    if opts.perspective == "each":
        eu_other = by_challenger.swapaxes(1, 2)               # b[i, j] = EU_j(ji), r_j
    else:
        by_target = expected(p, q, risk, target=True)
        eu_other = by_target.swapaxes(1, 2)                   # b[i, j] = EU_j(ji), r_i

    relation, offer = classify(x, eu_own, eu_other, rows, opts, gap)
    chosen = choose_offers(x, eu_own, eu_other, relation, offer, opts)
    taken = offer.ravel()[np.maximum(chosen, 0) + rows.pair_start]
    new_position = np.where(chosen >= 0, taken, x)
    return RoundResult(median=mu, delta=delta, security=security, risk_index=index, risk=risk,
                       probability=p, eu_own=eu_own, eu_other=eu_other, relation=relation,
                       offer=offer, chosen=chosen, new_position=new_position, start=x)


def eu_margin(abs_a: np.ndarray, abs_b: np.ndarray) -> np.ndarray:
    """The tie tolerance of comparisons between EUs a and b (and 0), given |a| and |b|:
    :data:`TIE_TOLERANCE` x max(|a|, |b|, 1), 1 being the scale of the utilities whose
    rounding an EU keeps. (In one new array: a round's pair arrays are small, so each
    array allocated counts.)"""
    margin = np.maximum(abs_a, abs_b)
    np.maximum(margin, _1, out=margin)
    margin *= _TIE
    return margin


def pair_margin(a: float, b: float) -> float:
    """:func:`eu_margin` of one dyad's two EUs (the explanation's tables; an array of one,
    so that a NaN is treated as the rounds treat it)."""
    return float(eu_margin(np.array([abs(a)]), np.array([abs(b)]))[0])


def classify(x: np.ndarray, a: np.ndarray, b: np.ndarray, rows: Rows, opts: Bdm.Options,
             gap: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Fig. 6 octants for the offer proposer j makes to receiver i (a = EU_i(ij), b = EU_j(ji)).
    ``gap``: |x_i - x_j| ``[N, i, j]`` when the caller has it.

    Returns the relation code (index into RELATIONS) and i's new position under the offer.
    """
    xi, xj = x[:, :, None], x[:, None, :]
    live = (np.abs(xi - xj) if gap is None else gap) > _TIE
    live &= rows.dyads
    abs_a, abs_b = np.abs(a), np.abs(b)
    # The EUs' tie tolerance, relative to their magnitude and at least the utilities' scale.
    margin = eu_margin(abs_a, abs_b)
    conflict = live & (a > margin) & (b > a + margin)
    if opts.conflict == "no-move":
        conflict = np.zeros_like(conflict)
    neg_a = -a
    upper_hand = live & (neg_a > margin) & (b > margin)
    compromise = upper_hand & (b > neg_a + margin)
    capitulation = upper_hand & (neg_a > b + margin) if opts.capitulation else np.zeros_like(live)
    if opts.compromise == "ratio":
        partway = xi + (xj - xi) * abs_a / np.where(compromise, abs_b, _1)
    else:
        partway = (abs_a * xi + abs_b * xj) / np.where(compromise, abs_a + abs_b, _1)
    # The three relations exclude each other (a conflict has a > margin, the other two
    # a < -margin; b > -a + margin and -a > b + margin cannot both hold), so the codes add up to
    # np.select's first-true choice, without its (or a nested np.where's) cost.
    relation = compromise * _CODE_2
    relation += conflict
    relation += capitulation * _CODE_3
    # The offer: the compromise's position, j's for a conflict or capitulation, else nan.
    offer = partway
    np.copyto(offer, _NAN, where=~compromise)
    np.copyto(offer, xj, where=conflict | capitulation)
    return relation, offer


def choose_offers(x: np.ndarray, a: np.ndarray, b: np.ndarray, relation: np.ndarray,
                  offer: np.ndarray, opts: Bdm.Options) -> np.ndarray:
    """The offer each actor accepts (§6.2, A4): index of the proposer, -1 for none,
    :data:`STAY` where equally good offers pull it both ways and it stays.

    Keys are applied in turn (smaller is better); the last key, the new position, makes the
    choice independent of actor order. Keys within :data:`TIE_TOLERANCE` x max(|best|, 1)
    of the best tie: each key is an EU (-b), a relation code or a unit-scale position or
    move, whose rounding is at the scale 1 or at their own magnitude.
    """
    valid = relation > _0
    move = np.abs(offer - x[:, :, None])
    if opts.offer_choice == "max-proposer-eu":
        keys = [-b, move]
    # conflict 0, compromise 1, capitulation 2
    elif opts.offer_choice == "type-priority":
        keys = [np.where(valid, relation - 1.0, np.inf), move]
    else:  # scholz-code: compromises ranked by the EU-weighted position, others by move
        # The smallest weighted position wins, as in Scholz's code (jmckib's port, min over
        # compromises): a key towards the low end of the scale, so this choice, unlike the
        # others, depends on the scale's orientation (docs/bdm.md, Orientation).
        weighted = (np.abs(a) * x[:, :, None] + np.abs(b) * x[:, None, :]) / \
            np.where(valid, np.abs(a) + np.abs(b), 1.0)
        # Then least move, for compromises tied on the weighted position (the other
        # choices end on the move key already).
        keys = [np.where(valid, relation - 1.0, np.inf), np.where(relation == 2, weighted, move),
                move]
    candidate = valid
    # The last key, least move, leaves offers at one distance from x_i: on one side, one new
    # position up to the tolerance, or on both (i midway between the proposers).
    for n_key, key in enumerate(keys):
        if n_key == 1:
            count = _add(candidate, axis=-1)
            if not _any(count > 1, axis=None) and not _any(np.isnan(move[candidate]), axis=None):
                # At most one candidate per actor: a later key keeps it (k <= k + margin)
                # unless it is nan there, and move is nan wherever the offer is; so the
                # rest is moot, and an actor has an offer where it has a candidate.
                return np.where(count > 0, candidate.argmax(axis=-1), -1)
        k = np.where(candidate, key, _INF)
        best = _minimum(k, axis=-1, keepdims=True)
        candidate = candidate & (k <= best + _TIE * np.maximum(np.abs(best), _1))
    # Equally good offers on both sides: i stays, at their midpoint, which is its own
    # position (docs/bdm.md, Ties): the move that is least, with no direction (§6.2).
    xi = x[:, :, None]
    split = _any(candidate & (offer > xi + _TIE), axis=-1) & \
        _any(candidate & (offer < xi - _TIE), axis=-1)
    # On one side, offers within the tolerance are one position: the lowest, so that the
    # choice does not depend on actor order.
    k = np.where(candidate, offer, _INF)
    candidate = candidate & (k <= _minimum(k, axis=-1, keepdims=True) + _TIE)
    chosen = np.where(_any(candidate, axis=-1), candidate.argmax(axis=-1), -1)
    return np.where(split, STAY, chosen)


# ---------------------------------------------------------------------------------------
# Rounds until the stopping rule, and the result
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Simulation:
    forecast: np.ndarray
    trajectory: np.ndarray | None
    rounds: np.ndarray
    details: dict[str, Any]


def to_rows(arrays: Arrays) -> tuple[np.ndarray, Rows]:
    """Flatten ``[B,] A, I`` arrays to rows ``[N, A]`` with N = prod(B) x I."""
    batch = arrays.batch_shape
    n_actors, n_issues = arrays.n_actors, arrays.n_issues
    full = (*batch, n_actors, n_issues)

    def flat(values: np.ndarray) -> np.ndarray:
        if values.shape != full:
            values = np.broadcast_to(values, full)
        return values.swapaxes(-1, -2).reshape(-1, n_actors).astype(float)

    present = np.broadcast_to(arrays.stake, full).swapaxes(-1, -2).reshape(-1, n_actors)
    salience = np.where(present, flat(arrays.salience), 0.0)
    weight = np.where(present, flat(arrays.weight), 0.0)
    return flat(arrays.position), Rows(weight=weight, salience=salience,
                                       present=present.astype(bool))


def from_rows(values: np.ndarray, arrays: Arrays, per_actor: bool) -> np.ndarray:
    """Undo :func:`to_rows` on the trailing axes, keeping leading ones (e.g. rounds).

    ``per_actor``: ``[..., N, A]`` -> ``[B,] ..., A, I``; else ``[..., N]`` -> ``[B,] ..., I``.
    """
    batch, n_issues = arrays.batch_shape, arrays.n_issues
    n_tail = 2 if per_actor else 1
    lead = values.shape[:values.ndim - n_tail]
    tail = (n_issues, arrays.n_actors) if per_actor else (n_issues,)
    shaped = values.reshape(*lead, *batch, *tail)
    if per_actor:
        shaped = np.swapaxes(shaped, -1, -2)
    if not batch or not lead:  # the leading axes are where they belong (moveaxis is costly)
        return shaped
    return np.moveaxis(shaped, tuple(range(len(lead))),
                       tuple(len(batch) + k for k in range(len(lead))))


def _chunks(n_rows: int, n_actors: int, fast: bool) -> list[slice]:
    """Chunks of rows: O(A²) memory per row on the fast path, O(A³) (bounded by blocks
    of challengers) on the blocked one."""
    if fast:
        per = max(1, PAIR_ELEMENTS // max(1, n_actors ** 2))
    else:
        per = max(1, min(CHUNK_ELEMENTS, CACHE_ELEMENTS) // max(1, n_actors ** 3))
    return [slice(k, min(n_rows, k + per)) for k in range(0, n_rows, per)]


def _subset(rows: Rows, part: slice) -> Rows:
    return Rows(weight=rows.weight[part], salience=rows.salience[part],
                present=rows.present[part])


def play_round_chunked(x: np.ndarray, x0: np.ndarray, prev: np.ndarray | None, rows: Rows,
                       opts: Bdm.Options, method: str = "auto", mu: np.ndarray | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """New positions and risk exponents for all rows, in memory-bounded chunks of rows."""
    fast = _fast(method, opts, x.shape[1]) and not opts.voter_risk
    parts = _chunks(x.shape[0], x.shape[1], fast)
    if len(parts) == 1:
        whole = play_round(x, x0, prev, rows, opts, method, mu)
        return whole.new_position, whole.risk
    new_position = np.empty_like(x)
    risk = np.empty_like(x)
    for part in parts:
        result = play_round(x[part], x0[part], None if prev is None else prev[part],
                            _subset(rows, part), opts, method,
                            None if mu is None else mu[part])
        new_position[part] = result.new_position
        risk[part] = result.risk
    return new_position, risk


def simulate_rows(x0: np.ndarray, rows: Rows, opts: Bdm.Options, method: str = "auto",
                  history: bool = True) -> dict[str, Any]:
    """Play rounds until every row has stopped or the cap R = max_rounds: ``[R+1, N, A]``.

    Each round is played on the rows still bargaining only (gathered, then scattered back):
    a row that has stopped keeps its state and costs nothing while the others go on, and a
    row's numbers do not depend on which rows run beside it (no operation mixes rows), so
    a batch gives, bit for bit, what its rows give alone.

    ``history=False`` (a Monte Carlo run without per-round details) keeps only the three
    rounds a round reads and writes (t - 1, t, t + 1) in a ring instead of all R + 1, and
    no risks: ``positions`` and ``medians`` are then that ring, ``risks`` is None, and
    ``final``/``final_median`` (the last state, also given with the history) are the same
    numbers, since every round computes the same values from the same inputs either way.
    """
    n, n_actors = x0.shape
    cap = opts.max_rounds
    # Stopped rows repeat their last state up to the round cap, so that shapes depend on the
    # options only (batches and chunks of a Monte Carlo run stack). Round t lives in slot
    # t % keep, which is t itself when the history is kept.
    keep = cap + 1 if history else min(cap + 1, 3)
    positions = np.empty((keep, n, n_actors))
    medians = np.empty((keep, n))
    risks = np.full((cap, n, n_actors), np.nan) if history else None
    positions[0] = x0
    medians[0] = median_voter(x0, rows, opts.median)
    last = cap  # the round of the final state
    rounds = np.zeros(n, dtype=int)
    calm = np.zeros(n, dtype=int)
    stop_eps = np.array(opts.stop_eps)  # 0-d: see _0 and company
    live = np.arange(n)  # rows still bargaining
    for t in range(cap):
        now, before, after = t % keep, (t - 1) % keep, (t + 1) % keep
        if live.size == 0:
            if history:
                positions[t + 1:] = positions[t]
                medians[t + 1:] = medians[t]
            last = t
            break
        every = live.size == n  # no gather while all rows run (the common first rounds)
        part = rows if every else _subset(rows, live)
        x = positions[now] if every else positions[now][live]
        start = x0 if every else x0[live]
        prev = None if t == 0 else positions[before] if every else positions[before][live]
        mu_before = medians[now] if every else medians[now][live]
        moved, risk = play_round_chunked(x, start, prev, part, opts, method, mu_before)
        mu = median_voter(moved, part, opts.median)
        still = np.abs(mu - mu_before) < stop_eps
        if every:  # the same stores without the gather and scatter
            positions[after] = moved
            medians[after] = mu
            if risks is not None:
                risks[t] = risk
            rounds += 1
            calm += 1
            calm *= still
            if _any(calm >= opts.stop_rounds, axis=None):
                live = live[calm < opts.stop_rounds]
            continue
        positions[after] = positions[now]
        medians[after] = medians[now]
        positions[after][live] = moved
        medians[after][live] = mu
        if risks is not None:
            risks[t][live] = risk
        rounds[live] += 1
        calm[live] = np.where(still, calm[live] + 1, 0)
        live = live[calm[live] < opts.stop_rounds]
    stopped = np.ones(n, dtype=bool)
    stopped[live] = False
    return {"positions": positions, "medians": medians, "risks": risks,
            "rounds": rounds, "stopped": stopped,
            "final": positions[last % keep], "final_median": medians[last % keep]}


def simulate(arrays: Arrays, opts: Bdm.Options, method: str = "auto", history: bool = True
             ) -> Simulation:
    """All rounds for a scenario; ``method`` as in :func:`play_round`.

    ``history=False``: the same forecast, ``rounds`` and ``stopped``, without what a round
    leaves behind (no trajectory, None; no ``forecast_path``, ``median``, ``mean`` or
    ``risk`` in ``details``), for Monte Carlo runs (:meth:`Bdm.sample`)."""
    x0, rows = to_rows(arrays)
    run = simulate_rows(x0, rows, opts, method, history)
    final = run["final"]
    if opts.forecast_point == "median":
        forecast_rows = run["final_median"]
    else:
        forecast_rows = weighted_mean(final[:, :, None], rows.weight[:, :, None])[:, 0]
    forecast = from_rows(forecast_rows, arrays, per_actor=False)
    rounds = from_rows(run["rounds"], arrays, per_actor=False)
    stopped = from_rows(run["stopped"], arrays, per_actor=False)
    if not history:
        return Simulation(forecast=forecast, trajectory=None, rounds=rounds,
                          details={"preset": opts.preset, "stopped": stopped})
    positions = run["positions"]
    # All rounds at once: each mean still sums its row's actors alone, contiguously.
    means = weighted_mean(positions[..., None], rows.weight[:, :, None])[..., 0]
    medians = from_rows(run["medians"], arrays, per_actor=False)
    means_out = from_rows(means, arrays, per_actor=False)
    details = {
        "preset": opts.preset,
        "forecast_path": medians if opts.forecast_point == "median" else means_out,
        "median": medians,
        "mean": means_out,
        "risk": from_rows(run["risks"], arrays, per_actor=True),
        "stopped": stopped,
    }
    return Simulation(forecast=forecast, trajectory=from_rows(positions, arrays, per_actor=True),
                      rounds=rounds, details=details)


# ---------------------------------------------------------------------------------------
# Explanation of one round (detente explain)
# ---------------------------------------------------------------------------------------


def explain_round(arrays: Arrays, opts: Bdm.Options, issue_index: int, round_number: int
                  ) -> list[ExplainTable]:
    """Risk exponents and the dyad table of one issue in one round (round 1 = the first)."""
    if arrays.batch_shape:
        raise option_error("arrays", "explain works on one scenario, not a batch",
                           "explain a single scenario")
    if not 0 <= issue_index < arrays.n_issues:
        raise option_error("--issue", f"issue index {issue_index} is out of range",
                           f"choose one of {', '.join(arrays.issue_ids)}")
    single = arrays.replace(position=arrays.position[:, [issue_index]],
                            salience=arrays.salience[:, [issue_index]],
                            status_quo=arrays.status_quo[[issue_index]],
                            stake=arrays.stake[:, [issue_index]],
                            issue_ids=(arrays.issue_ids[issue_index],),
                            scale_low=arrays.scale_low[[issue_index]],
                            scale_high=arrays.scale_high[[issue_index]])
    x0, rows = to_rows(single)
    run = simulate_rows(x0, rows, opts)
    played = int(run["rounds"][0])
    if not 1 <= round_number <= max(played, 1) or played == 0:
        raise option_error("--round", f"round {round_number} was not played on issue "
                           f"{arrays.issue_ids[issue_index]}: bargaining ran {played} round(s)",
                           f"choose a round from 1 to {played}" if played else
                           "this issue has nothing to bargain over (or max_rounds is 0)")
    positions = run["positions"][:, 0]
    x = positions[round_number - 1][None]
    prev = positions[round_number - 2][None] if round_number >= 2 else None
    result = play_round(x, x0, prev, rows, opts)
    return _tables(single, rows, result, round_number, opts)


def _tables(arrays: Arrays, rows: Rows, r: RoundResult, round_number: int,
            opts: Bdm.Options) -> list[ExplainTable]:
    ids = arrays.actor_ids
    units = arrays.to_units
    present = rows.present[0]
    x = units(r.start[0][:, None])[:, 0]
    new = units(r.new_position[0][:, None])[:, 0]
    issue = arrays.issue_ids[0]
    actor_rows = []
    for i, actor in enumerate(ids):
        if not present[i]:
            continue
        j = int(r.chosen[0, i])
        accepted = (f"{RELATIONS[int(r.relation[0, i, j])]} with {ids[j]}" if j >= 0 else
                    "tied offers both ways: stays" if j == STAY else "none")
        # Full values: the JSON carries them as the model computed them; the table's
        # formats (and cell_text's 4 significant digits) shorten them for reading.
        actor_rows.append((actor, float(x[i]), float(rows.salience[0, i]),
                           float(r.security[0, i]), float(r.risk_index[0, i]),
                           float(r.risk[0, i]), accepted, float(new[i])))
    median = float(units(np.array([r.median[0]]))[0])
    span = float(arrays.scale_high[0] - arrays.scale_low[0])
    actor_formats = ("", UNITS, "", "", "", "", "", UNITS)
    actors = ExplainTable(
        title=f"bdm, issue {issue}, round {round_number}: actors",
        columns=("actor", "position", "salience", "security", "R", "risk r",
                 "accepted offer", "new position"),
        rows=tuple(actor_rows),
        # Positions in issue units as every other table writes them: the default 4
        # significant digits wrote 1000.1, 1000.23 and 1000.41 all as 1000 on a scale of
        # 1000 to 1000.5, and the median 5e+08 on a scale of 0 to 1e9.
        formats=actor_formats,
        column_spans=one_issue_spans(actor_formats, span),
        notes=(f"median voter position at the start of the round: {fmt(median, span)}",
               f"security = {'Σ_j EU_j(ji)' if opts.security == 'column' else 'Σ_j EU_i(ij)'}"
               " with r = 1; R = (2 Sec - max - min)/(max - min); r = (1 - R/3)/(1 + R/3)"),
    )
    dyad_rows = []
    for i, actor in enumerate(ids):
        for j, other in enumerate(ids):
            if i == j or not (present[i] and present[j]):
                continue
            a, b = float(r.eu_own[0, i, j]), float(r.eu_other[0, i, j])
            challenges = {(True, True): "both", (True, False): f"{actor} → {other}",
                          (False, True): f"{other} → {actor}", (False, False): "neither"}
            code = int(r.relation[0, i, j])
            relation, yields = octant(a, b)
            margin = pair_margin(a, b)
            dyad_rows.append((
                actor, other, float(r.probability[0, i, j]), a, b,
                challenges[(a > margin, b > margin)], relation,
                {"i": actor, "j": other, "": "–"}[yields],
                float(units(np.array([r.offer[0, i, j]]))[0]) if code else None,
                int(r.chosen[0, i]) == j,
            ))
    dyad_formats = ("", "", "", "", "", "", "", "", UNITS, "")
    dyads = ExplainTable(
        title=f"bdm, issue {issue}, round {round_number}: dyads (as the first actor sees them)",
        columns=("actor i", "actor j", "P(i beats j)", "EU_i(ij)", "EU_j(ji)",
                 "would challenge", "relation", "yields", "offer: i moves to", "accepted"),
        rows=tuple(dyad_rows),
        formats=dyad_formats,
        column_spans=one_issue_spans(dyad_formats, span),
        notes=("EU_i(ij): i's expected utility of challenging j; EU_j(ji): j's of challenging "
               "i, as i reckons it (perspective option); a challenge is worth making when its EU "
               "is positive",
               "relation (Scholz fig. 6): conflict = both EUs positive, the lower one yields "
               "fully; compromise / capitulation = one positive, one negative, the negative "
               "side yields part way / fully; stalemate = both negative",
               "'offer' is where i would move on j's offer (i's offer to j is row (j, i)); each "
               "actor accepts one offer, marked 'accepted'"
               + ("" if opts.capitulation else "; capitulation offers are off "
                  "(capitulation=False, as in Scholz's code)")
               + ("; conflicts move nobody (conflict=no-move)" if opts.conflict == "no-move"
                  else ""),
               f"options: preset {opts.preset}, probability {opts.probability}, "
               f"offer choice {opts.offer_choice}, perspective {opts.perspective}"),
    )
    return [actors, dyads]


def octant(a: float, b: float) -> tuple[str, str]:
    """Scholz fig. 6 for one dyad seen by i (a = EU_i(ij), b = EU_j(ji)): relation, who yields.

    Who yields is "i", "j" or "" (nobody). Whether the move is made depends on the options
    (A2 conflict rule, the capitulation switch) and on which offer i accepts.
    """
    margin = pair_margin(a, b)
    if abs(a) <= margin and abs(b) <= margin:
        return "none", ""
    if a > margin and b > margin:
        if abs(a - b) <= margin:
            return "conflict (tie)", ""
        return "conflict", "i" if a < b else "j"
    if a > margin and -b > margin:
        return ("compromise" if a > -b + margin else "capitulation"), "j"
    if b > margin and -a > margin:
        return ("compromise" if b > -a + margin else "capitulation"), "i"
    return "stalemate", ""

