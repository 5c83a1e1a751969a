"""Exact search of the package space: brute force in chunks, and branch and bound.

The gain of actor a from a package is additive over issues, g_a(x) = Σ_k h[a, k](x_k)
(:mod:`detente.settlement.utility`), so the search works on a *gain table*
``H [B, I, O, A]``: the gain of every actor from giving issue k its o-th candidate value.
Slot 0 of each issue is the status quo (gain 0) when it is allowed.

Branch and bound (Land & Doig 1960) assigns issues one at a time, in order of decreasing
spread, and keeps a frontier of partial packages as arrays (one row per node, with the
batch index of its scenario, so thousands of sampled scenarios are searched together).
For a node with partial gains γ_a and remaining issues R:

* upper bound of every gain: γ_a + Σ_{k∈R} max_o H[k, o, a]; a node is dropped as soon as
  one party's upper bound is ≤ 0 (no completion is acceptable);
* lower bound: γ_a + Σ_{k∈R} min_o H[k, o, a]; when every party's lower bound is > 0 all
  completions are acceptable and are counted at once, without enumeration;
* the Nash objective Σ_a w_a log g_a and the max-min objective min_a g_a are increasing in
  every gain, so evaluating them at the upper bounds bounds every completion; a node whose
  bound does not beat the k-th best package found so far is dropped.

Every rule is exact: the results equal brute force (tests/test_settlement_search.py proves
it on random small spaces with hypothesis).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Literal, TypeVar

import numpy as np

from detente.errors import (
    OptionError,
    Problem,
    model_option_text,
    option_error,
    option_place,
    option_text,
)
from detente.settlement.defaults import MAX_PACKAGES, METHODS
from detente.settlement.problem import SettlementProblem
from detente.settlement.utility import (
    DEFAULT_SETTINGS,
    GAIN_TOLERANCE,
    Guarantees,
    UtilitySettings,
    credibility,
    issue_gains,
    nash_weights,
    parties,
    salience_shares,
)

Objective = Literal["nash", "maxmin"]
Method = Literal["auto", "brute", "bnb", "milp"]
#: Spaces up to this many packages (summed over the batch) are searched by brute force
#: under "auto".
BRUTE_FORCE_LIMIT = 200_000
#: Spaces of more packages than this (per scenario) are searched by the MILP under "auto"
#: (:mod:`detente.settlement.milp`); between the two limits, branch and bound. Measured on
#: korea-2017 (docs/settle.md, Performance): branch and bound wins at step 25 (1.4·10⁶
#: packages), the MILP from step 10 (2.8·10⁸) on.
MILP_LIMIT = 10_000_000
#: Branch and bound's budget for the smallest accord under "auto" before the MILP takes over.
SMALLEST_BUDGET = 1_000_000
#: ... and for the k > 1 best packages (the MILP adds one no-good cut per package found).
TOP_K_BUDGET = 5_000_000
#: Children expanded at once (bounds memory: CHUNK × actors floats per array).
CHUNK = 1 << 16
#: Beyond this, brute force cannot index its packages in 64-bit integers at all.
ENUMERABLE = 1 << 62
#: Measured rates on one core of a shared 2-core machine (korea-2017: 8 issues, 6 actors;
#: docs/settle.md, Performance), used only to put a time on a refusal.
BRUTE_RATE = 600_000
BNB_RATE = 1_000_000
#: Package-actor cells brute force evaluates at once (bounds memory: about 40 bytes each).
BRUTE_CHUNK_CELLS = 2_000_000


class SearchTooLarge(OptionError):
    """A package search past :data:`MAX_PACKAGES`: refused with its estimate."""


def check_max_packages(max_packages: object, where: str = "--max-packages") -> int:
    """The search limit as an int ≥ 1 (no bool, float or non-finite value slips through);
    ``where`` names the option in the error (``settle.max_packages`` in `detente sample`)."""
    if isinstance(max_packages, bool) or not isinstance(max_packages, int | np.integer) \
            or not 1 <= int(max_packages) <= ENUMERABLE:
        raise option_error(where, f"max-packages must be a whole number from 1 to "
                           f"2^62, got {max_packages!r}",
                           f"e.g. {option_text('max_packages', 1000000000)}")
    return int(max_packages)


def format_count(n: int) -> str:
    """A possibly astronomically large count: exact below 10⁶, else ``m.mme+X`` computed
    from the digits (a Python int past 10³⁰⁸ cannot be converted to a float)."""
    if n < 1_000_000:
        return str(n)
    digits = str(n)
    exponent = len(digits) - 1
    mantissa = (int(digits[:4]) + 5) // 10  # three significant digits, rounded
    if mantissa >= 1000:
        mantissa //= 10
        exponent += 1
    text = f"{mantissa // 100}.{mantissa % 100:02d}".rstrip("0").rstrip(".")
    return f"{text}e+{exponent:02d}"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h"
    if seconds < 2 * 365 * 86400:
        return f"{seconds / 86400:.0f} days"
    return f"{format_count(int(seconds / (365 * 86400)))} years"


def _too_large(message: str, brute: bool) -> SearchTooLarge:
    faster = f"use {option_text('method', 'bnb')} (exact and usually far faster), " \
        if brute else ""
    raise_with = option_text("max_packages", "N")
    in_sample = model_option_text("settle", "max_packages=N")
    # Met in `detente sample` the limit is already named as sample takes it: not twice.
    elsewhere = "" if raise_with == in_sample else \
        f" ({in_sample} in `detente sample`, max_packages=N in the Python API)"
    return SearchTooLarge([Problem(
        option_place("max_packages"), message,
        f"{faster}use a coarser {option_text('step')}, fix issues with {option_text('fix')}, "
        f"or raise the limit with {raise_with}{elsewhere}")])


@dataclass(frozen=True)
class PairTerm:
    """The part of the gains that depends on two issues at once (verification, links) and
    the rules tying them: ``gains [B, Oi, Oj, A]`` added to the per-issue gains when issue
    ``i`` takes slot oi and ``j`` slot oj (0 wherever either is at the status quo), and
    ``allowed [B, Oi, Oj]`` the slot pairs the rules allow (``i < j``)."""

    i: int
    j: int
    gains: np.ndarray
    allowed: np.ndarray

    def subset(self, rows: np.ndarray) -> PairTerm:
        return PairTerm(self.i, self.j, self.gains[rows], self.allowed[rows])


@dataclass(frozen=True)
class GainTable:
    """The package space of B scenarios as per-issue gains.

    ``values [B, I, O]`` unit-scale candidate values (slot 0 = status quo), ``valid [B, I, O]``
    which slots exist, ``changed [B, I, O]`` which slots move the issue, ``gains [B, I, O, A]``,
    ``must_agree [B, A]`` the parties, ``weights [B, A]`` the Nash exponents. With
    mechanisms (issue 16): ``pairs`` the pair terms and rules, ``offset [B, A]`` minus each
    actor's walk-away point, so that a package's gain is
    offset + Σ_k gains[k, x_k] + Σ_pairs pair.gains[x_i, x_j] (its gain over the walk-away).
    """

    values: np.ndarray
    valid: np.ndarray
    changed: np.ndarray
    gains: np.ndarray
    must_agree: np.ndarray
    weights: np.ndarray
    pairs: tuple[PairTerm, ...] = ()
    offset: np.ndarray | None = None

    @property
    def batch(self) -> int:
        return self.gains.shape[0]

    @property
    def n_issues(self) -> int:
        return self.gains.shape[1]

    @property
    def has_rules(self) -> bool:
        return any(not p.allowed.all() for p in self.pairs)

    @property
    def space_size(self) -> np.ndarray:
        """Packages per scenario, ``[B]``, as exact Python ints (an object array): a space
        easily exceeds 2⁶³ (korea-2017 at step 0.4: 1.6·10¹⁹), where int64 wraps silently.
        Rules are not subtracted: this is the space the search walks."""
        return _exact([math.prod(int(c) for c in row)
                       for row in self.valid.sum(axis=-1).tolist()])

    def subset(self, rows: np.ndarray) -> GainTable:
        return GainTable(self.values[rows], self.valid[rows], self.changed[rows],
                         self.gains[rows], self.must_agree[rows], self.weights[rows],
                         tuple(p.subset(rows) for p in self.pairs),
                         None if self.offset is None else self.offset[rows])

    def decode(self, b: int, slots: np.ndarray) -> np.ndarray:
        """Unit-scale values of packages given by slot indices ``[..., I]`` of scenario b."""
        return np.take_along_axis(self.values[b], slots.T.reshape(self.n_issues, -1),
                                  axis=1).T.reshape(slots.shape)

    def package_gains(self, b: int, slots: np.ndarray) -> np.ndarray:
        """Gains ``[..., A]`` of packages given by slot indices ``[..., I]`` of scenario b."""
        issues = np.arange(self.n_issues)
        total = self.gains[b][issues, slots].sum(axis=-2)
        for p in self.pairs:
            total = total + p.gains[b][slots[..., p.i], slots[..., p.j]]
        if self.offset is not None:
            total = total + self.offset[b]
        return total

    def allowed(self, b: int, slots: np.ndarray) -> np.ndarray:
        """Whether packages ``[..., I]`` of scenario b keep every rule, ``[...]``."""
        ok = np.ones(slots.shape[:-1], dtype=bool)
        for p in self.pairs:
            ok &= p.allowed[b][slots[..., p.i], slots[..., p.j]]
        return ok


def build_table(problem: SettlementProblem, settings: UtilitySettings = DEFAULT_SETTINGS,
                weighting: Literal["capability", "equal"] = "capability",
                guarantees: Guarantees | None = None) -> GainTable:
    """The gain table of a (possibly batched) settlement problem.

    An issue whose promised moves nobody believes (credibility 0 for every actor: its named
    deliverers were all removed, or nobody trusts them at all) keeps its status quo.
    """
    arrays = problem.arrays
    batched = bool(arrays.batch_shape)
    n_batch = arrays.batch_shape[0] if batched else 1
    n_issues, n_actors = arrays.n_issues, arrays.n_actors
    status_quo = arrays.status_quo.reshape(n_batch, n_issues)
    lists = []
    for k in range(n_issues):
        lo, hi = arrays.scale_low[k], arrays.scale_high[k]
        cand = (np.asarray(problem.candidates[k], dtype=float) - lo) / (hi - lo)
        keep = problem.keep_status_quo[k]
        q = status_quo[:, k : k + 1]
        values = np.concatenate([q, np.broadcast_to(cand, (n_batch, cand.size))], axis=1)
        valid = np.ones_like(values, dtype=bool)
        valid[:, 0] = keep
        if keep:  # a grid value equal to the status quo is the status quo slot
            valid[:, 1:] = np.abs(values[:, 1:] - q) > 1e-12
        lists.append((values, valid))
    width = max(v.shape[1] for v, _ in lists)
    values = np.repeat(status_quo[:, :, None], width, axis=2)
    valid = np.zeros((n_batch, n_issues, width), dtype=bool)
    for k, (v, ok) in enumerate(lists):
        values[:, k, : v.shape[1]] = v
        valid[:, k, : v.shape[1]] = ok
    changed = np.abs(values - status_quo[:, :, None]) > 1e-12

    guarantees = guarantees or problem.guarantees()
    trust = arrays.trust.reshape(n_batch, n_actors, -1)
    belief = credibility(trust, guarantees.deliverers, guarantees.unconditional,
                         settings.correlation)  # B, A, I
    # A move nobody believes cannot be delivered: it is not on the table (else it would
    # multiply the zone's size by packages that differ only in empty promises). Verification
    # does not put it back: it deters a deliverer's defection, it cannot deliver for one
    # (``contributions`` removes a guarantor by setting everybody's trust in it to 0).
    deliverable = (belief > 0).any(axis=1)  # B, I
    mech = problem.mechanisms
    keep = np.array(problem.keep_status_quo)
    valid[:, :, 1:] &= (deliverable | ~keep[None, :])[:, :, None]
    changed &= valid
    position = arrays.position.reshape(n_batch, n_actors, n_issues)
    shares = salience_shares(arrays.salience).reshape(n_batch, n_actors, n_issues)
    slot_values = np.moveaxis(values, 2, 1)  # B, O, I
    gains = issue_gains(position[:, None], shares[:, None], status_quo[:, None],
                        slot_values, belief[:, None], settings.power,
                        settings.certain_losses)  # B, O, A, I
    pairs: tuple[PairTerm, ...] = ()
    offset = None
    if not mech.is_empty:
        gains, pairs, offset = _mechanism_terms(problem, settings, guarantees, values, valid,
                                                n_batch)
    gains = np.where(valid.transpose(0, 2, 1)[:, :, None, :], gains, 0.0)
    gains = np.ascontiguousarray(gains.transpose(0, 3, 1, 2))  # B, I, O, A
    must = np.broadcast_to(parties(arrays), (n_batch, n_actors)).reshape(n_batch, n_actors)
    weights = nash_weights(arrays, weighting).reshape(n_batch, n_actors)
    return GainTable(values, valid, changed, gains, must.copy(), weights, pairs, offset)


def _mechanism_terms(problem: SettlementProblem, settings: UtilitySettings,
                     guarantees: Guarantees, values: np.ndarray, valid: np.ndarray,
                     n_batch: int) -> tuple[np.ndarray, tuple[PairTerm, ...], np.ndarray | None]:
    """Per-issue gains ``[B, O, A, I]``, pair terms and the walk-away offset ``[B, A]`` of a
    problem with mechanisms (docs/settle.md, *Search with pair terms*).

    Each actor's gain on an issue depends on that issue and at most one other (its
    verifier, or the issue a link needs), F[a, k](x_k, x_d). The per-issue part reads the
    other issue at its status quo, H[k, x_k] = F[k](x_k, q_d); the pair term of issues
    {i, j} adds, for both, F[i](x_i, x_j) − F[i](x_i, q_j): zero when the other is at the
    status quo, and zero for actors whose gain on i does not depend on j. Summed, the
    decomposition is exact.
    """
    from detente.settlement.mechanisms import (
        issue_gains_with,
        pair_keys,
        rule_allows,
        walk_away,
    )

    arrays = problem.arrays
    mech = problem.mechanisms
    n_actors = arrays.n_actors
    batched = bool(arrays.batch_shape)
    slot_values = np.moveaxis(values, 2, 1)  # B, O, I
    status = np.broadcast_to(values[:, :, :1].transpose(0, 2, 1), slot_values.shape)

    def evaluate(v: np.ndarray, deps: np.ndarray | None = None,
                 issues: tuple[int, ...] | None = None) -> np.ndarray:
        """v [B, P, I] → per-issue gains [B, P, A, I] (only ``issues``' columns if given)."""
        if not batched:  # unbatched arrays: one scenario, B = 1
            return issue_gains_with(mech, arrays, v[0], guarantees, settings,
                                    None if deps is None else deps[0], issues)[None]
        return issue_gains_with(mech, arrays, v, guarantees, settings, deps, issues)

    gains = evaluate(slot_values, status)  # B, O, A, I: the other issue at its status quo
    pairs = []
    for i, j in pair_keys(mech, arrays.issue_ids, arrays.actor_ids):
        oi, oj = values.shape[2], values.shape[2]
        grid = np.repeat(values[:, None, :, 0], oi * oj, axis=1)  # B, P, I: status quo
        grid[:, :, i] = np.repeat(values[:, i, :], oj, axis=1)
        grid[:, :, j] = np.tile(values[:, j, :], (1, oi))
        # The term reads the gains on i and j alone: the other issues' columns are not
        # computed (each column's bits do not depend on which others are).
        both = evaluate(grid, issues=(i, j)).reshape(n_batch, oi, oj, n_actors, 2)
        term = ((both[..., 0] - both[:, :, :1, :, 0]) + (both[..., 1] - both[:, :1, :, :, 1]))
        term = np.where((valid[:, i, :, None] & valid[:, j, None, :])[..., None], term, 0.0)
        allowed = np.ones((n_batch, oi, oj), dtype=bool)
        for rule in mech.rules:
            ids = arrays.issue_ids
            if {rule.when_issue, rule.then_issue} != {ids[i], ids[j]}:
                continue
            w, t = ids.index(rule.when_issue), ids.index(rule.then_issue)
            xw = values[:, w, :]
            xt = values[:, t, :]
            ok = rule_allows(rule, xw[:, :, None], xt[:, None, :])  # B, Ow, Ot
            allowed &= ok if w == i else ok.transpose(0, 2, 1)
        pairs.append(PairTerm(i, j, np.ascontiguousarray(term), allowed))
    offset = None
    if mech.walk_away:
        offset = -np.asarray(walk_away(mech, arrays, settings)).reshape(n_batch, n_actors)
    return gains, tuple(pairs), offset


# ---------------------------------------------------------------------------------------
# Objectives
# ---------------------------------------------------------------------------------------


def _objective(gains: np.ndarray, must: np.ndarray, weights: np.ndarray,
               objective: Objective) -> np.ndarray:
    """Objective of gains ``[N, A]`` (−inf outside the zone); Nash in log form."""
    ok = np.all((gains > GAIN_TOLERANCE) | ~must, axis=-1)
    if objective == "nash":
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.where(weights > 0, weights * np.log(np.where(weights > 0, gains, 1.0)),
                            0.0)
        value = logs.sum(axis=-1)
    else:
        value = np.min(np.where(must, gains, np.inf), axis=-1)
    return np.where(ok, value, -np.inf)


def objective_value(gains: np.ndarray, must: np.ndarray, weights: np.ndarray,
                    objective: Objective) -> np.ndarray:
    """The reported objective: the Nash product (geometric mean) or the smallest gain."""
    raw = _objective(gains, must, weights, objective)
    if objective == "nash":
        return np.exp(raw)
    return np.where(np.isfinite(raw), raw, -np.inf)


# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Best:
    """The k best packages of one scenario by an objective, best first.

    ``slots [k, I]`` slot indices, ``values [k, I]`` unit-scale values, ``score [k]`` the
    objective in search form (log Nash product, or smallest gain), ``gains [k, A]``.
    """

    slots: np.ndarray
    values: np.ndarray
    score: np.ndarray
    gains: np.ndarray
    #: Certified optimality gap of the first package, in log Nash product (the MILP's outer
    #: approximation; 0 for the enumerating searches and for max-min).
    gap: float = 0.0

    @property
    def found(self) -> bool:
        return self.score.size > 0


class _TopK:
    """The k best (score, package) per scenario, updated with vectorized merges."""

    def __init__(self, batch: int, n_issues: int, k: int) -> None:
        self.k = k
        self.batch = batch
        self.bid = np.empty(0, dtype=np.int64)
        self.score = np.empty(0)
        self.slots = np.empty((0, n_issues), dtype=np.int16)
        self.threshold = np.full(batch, -np.inf)

    def offer(self, bid: np.ndarray, score: np.ndarray, slots: np.ndarray) -> None:
        good = np.isfinite(score) & (score > self.threshold[bid])
        if not good.any():
            return
        bid = np.concatenate([self.bid, bid[good]])
        score = np.concatenate([self.score, score[good]])
        slots = np.concatenate([self.slots, slots[good]])
        order = np.lexsort((-score, bid))
        bid, score, slots = bid[order], score[order], slots[order]
        start = np.searchsorted(bid, np.arange(self.batch))
        rank = np.arange(bid.size) - start[bid]
        keep = rank < self.k
        self.bid, self.score, self.slots = bid[keep], score[keep], slots[keep]
        counts = np.bincount(self.bid, minlength=self.batch)
        last = np.searchsorted(self.bid, np.arange(self.batch), side="right") - 1
        self.threshold = np.where(counts >= self.k, self.score[np.maximum(last, 0)], -np.inf)

    def result(self, table: GainTable, b: int, order: np.ndarray | None = None) -> Best:
        rows = self.bid == b
        slots = self.slots[rows].astype(np.int64)
        if order is not None:  # back from search order to issue order
            unpermuted = np.empty_like(slots)
            unpermuted[:, order] = slots
            slots = unpermuted
        return Best(slots, table.decode(b, slots), self.score[rows],
                    table.package_gains(b, slots))


# ---------------------------------------------------------------------------------------
# Brute force (the reference, and the fast path for small spaces)
# ---------------------------------------------------------------------------------------


def _exact(values: list[int]) -> np.ndarray:
    """An object array of Python ints (sizes that may exceed 2⁶³)."""
    out = np.empty(len(values), dtype=object)
    out[:] = [int(v) for v in values]
    return out


def _widths(table: GainTable) -> tuple[int, ...]:
    """Slots per issue that brute force enumerates (every scenario's widest list)."""
    used = table.valid.any(axis=0)  # I, O
    return tuple(int(np.nonzero(row)[0].max()) + 1 if row.any() else 1 for row in used)


def enumeration_size(table: GainTable) -> int:
    """How many slot combinations brute force enumerates per scenario (exact)."""
    return math.prod(_widths(table))


def _enumerate_slots(table: GainTable, chunk: int) -> Iterator[np.ndarray]:
    """All slot combinations, ``chunk`` at a time: a generator, so memory holds one chunk,
    never the whole space (a list of every chunk grew to 5.7 GB at korea-2017 step 1)."""
    widths = _widths(table)
    total = math.prod(widths)
    if total > ENUMERABLE:  # unravel_index needs int64 indices
        raise _too_large(f"brute force cannot enumerate {format_count(total)} packages "
                         "(at most 2^62)", brute=True)
    for start in range(0, total, chunk):
        flat = np.arange(start, min(start + chunk, total), dtype=np.int64)
        yield np.stack(np.unravel_index(flat, widths), axis=-1).astype(np.int16)


def check_brute_force(table: GainTable, max_packages: int = MAX_PACKAGES) -> None:
    """Refuse (:class:`SearchTooLarge`, with its estimate) a brute force that would
    enumerate more than ``max_packages`` packages per scenario of ``table``."""
    max_packages = check_max_packages(max_packages)
    total = enumeration_size(table)
    if total > max_packages:
        raise _too_large(
            f"brute force would evaluate {format_count(total)} packages per scenario, past "
            f"the limit of {format_count(max_packages)} (about "
            f"{_duration(total * table.batch / BRUTE_RATE)} at ~{format_count(BRUTE_RATE)} "
            "packages/s; memory stays bounded)", brute=True)


def brute_force(table: GainTable, objective: Objective | None = None, top: int = 1,
                max_changes: int | None = None, count: bool = False,
                max_packages: int = MAX_PACKAGES,
                ) -> tuple[np.ndarray, np.ndarray | None, _TopK | None]:
    """Evaluate every package: (exists [B], zone size [B] (Python ints) or None, top-k or
    None). Refuses with :class:`SearchTooLarge` before starting when it would enumerate more
    than ``max_packages`` packages per scenario; memory stays bounded (streamed chunks)."""
    batch, n_issues, _, n_actors = table.gains.shape
    check_brute_force(table, max_packages)
    exists = np.zeros(batch, dtype=bool)
    sizes = np.zeros(batch, dtype=np.int64) if count else None  # ≤ total ≤ 2^62: no wrap
    best = _TopK(batch, n_issues, top) if objective else None
    chunk = max(1024, BRUTE_CHUNK_CELLS // max(1, batch * n_actors))
    for slots in _enumerate_slots(table, chunk):
        gains = np.zeros((batch, slots.shape[0], n_actors))
        valid = np.ones((batch, slots.shape[0]), dtype=bool)
        changes = np.zeros((batch, slots.shape[0]), dtype=np.int16)
        for k in range(n_issues):  # a few issues: sum their gain columns
            gains += table.gains[:, k, slots[:, k]]
            valid &= table.valid[:, k, slots[:, k]]
            changes += table.changed[:, k, slots[:, k]]
        for pair in table.pairs:
            gains += pair.gains[:, slots[:, pair.i], slots[:, pair.j]]
            valid &= pair.allowed[:, slots[:, pair.i], slots[:, pair.j]]
        if table.offset is not None:
            gains += table.offset[:, None, :]
        ok = valid & np.all((gains > GAIN_TOLERANCE) | ~table.must_agree[:, None], axis=-1)
        if max_changes is not None:
            ok &= changes <= max_changes
        exists |= ok.any(axis=1)
        if sizes is not None:
            sizes += ok.sum(axis=1)
        if best is not None:
            bid, col = np.nonzero(ok)
            if bid.size:
                score = _objective(gains[bid, col], table.must_agree[bid], table.weights[bid],
                                   objective)
                best.offer(bid, score, slots[col])
    return exists, None if sizes is None else _exact(sizes.tolist()), best


# ---------------------------------------------------------------------------------------
# Branch and bound
# ---------------------------------------------------------------------------------------


def search_order(table: GainTable) -> np.ndarray:
    """Issues by decreasing spread of the parties' gains: decisive issues first prune most."""
    hi = np.where(table.valid[..., None], table.gains, -np.inf).max(axis=2)
    lo = np.where(table.valid[..., None], table.gains, np.inf).min(axis=2)
    spread = np.where(table.must_agree[:, None, :], hi - lo, 0.0).sum(axis=(0, 2))
    return np.argsort(-spread, kind="stable")


@dataclass
class _Nodes:
    bid: np.ndarray  # N
    partial: np.ndarray  # N, A
    slots: np.ndarray  # N, depth
    changed: np.ndarray  # N
    bound: np.ndarray  # N (objective bound, or +inf)


@dataclass
class _Pair:
    """A pair term in search order: ``first < second`` depths, ``gains [B, Of, Os, A]``,
    ``allowed [B, Of, Os]``, and the extremes the bounds use: over every valid allowed
    entry (``max_all``, ``min_all [B, A]``) and given the first issue's slot
    (``max_given``, ``min_given [B, Of, A]``; −inf/+inf where no entry is allowed)."""

    first: int
    second: int
    gains: np.ndarray
    allowed: np.ndarray
    rules: bool
    max_all: np.ndarray
    min_all: np.ndarray
    max_given: np.ndarray
    min_given: np.ndarray


def _ordered_pairs(table: GainTable, order: np.ndarray, valid: np.ndarray) -> list[_Pair]:
    """The table's pair terms with issues at their search depths (``valid`` in that order)."""
    depth_of = np.empty(order.size, dtype=int)
    depth_of[order] = np.arange(order.size)
    out = []
    for p in table.pairs:
        di, dj = int(depth_of[p.i]), int(depth_of[p.j])
        gains, allowed = p.gains, p.allowed
        if di > dj:
            gains, allowed = gains.transpose(0, 2, 1, 3), allowed.transpose(0, 2, 1)
            di, dj = dj, di
        ok = (allowed & valid[:, di, :, None] & valid[:, dj, None, :])[..., None]
        hi = np.where(ok, gains, -np.inf)
        lo = np.where(ok, gains, np.inf)
        out.append(_Pair(di, dj, np.ascontiguousarray(gains), np.ascontiguousarray(allowed),
                         bool(not p.allowed.all()), hi.max(axis=(1, 2)), lo.min(axis=(1, 2)),
                         hi.max(axis=2), lo.min(axis=2)))
    return out


def branch_and_bound(table: GainTable, objective: Objective | None = None, top: int = 1,
                     max_changes: int | None = None, count: bool = False,
                     stop_at_first: bool = False, max_packages: int = MAX_PACKAGES,
                     ) -> tuple[np.ndarray, np.ndarray | None, _TopK | None, np.ndarray]:
    """Exact search: (exists [B], zone size [B] (Python ints) or None, top-k or None, issue
    order).

    ``stop_at_first``: only decide whether the zone is empty (fastest). ``count``: also the
    zone's size. ``objective``: keep the ``top`` best packages. ``max_changes``: only
    packages that move at most that many issues away from the status quo.
    ``max_packages``: the most partial and complete packages expanded per scenario of the
    batch; past it the search stops with :class:`SearchTooLarge` (its work cannot be known
    in advance: it lies between the number of issues and the size of the space). Memory is
    bounded by the chunked frontier whatever the limit.
    """
    max_packages = check_max_packages(max_packages)
    if count and max_changes is not None:
        raise ValueError("counting the zone under a limit on changes is not supported")
    order = search_order(table)
    gains = table.gains[:, order]
    valid = table.valid[:, order]
    moved = table.changed[:, order]
    must = table.must_agree
    weights = table.weights
    batch, n_issues, _, n_actors = gains.shape

    hmax = np.where(valid[..., None], gains, -np.inf).max(axis=2)  # B, I, A
    hmin = np.where(valid[..., None], gains, np.inf).min(axis=2)
    zeros = np.zeros((batch, 1, n_actors))
    max_rest = np.concatenate([np.cumsum(hmax[:, ::-1], axis=1)[:, ::-1], zeros], axis=1)
    min_rest = np.concatenate([np.cumsum(hmin[:, ::-1], axis=1)[:, ::-1], zeros], axis=1)
    pairs = _ordered_pairs(table, order, valid)
    for pr in pairs:  # pairs with both issues still open: their extreme entries
        max_rest[:, : pr.first + 1] += pr.max_all[:, None]
        min_rest[:, : pr.first + 1] += pr.min_all[:, None]
    # Depths from which on a rule can still exclude a completion: there, no node is counted
    # whole (some completions may break a rule) nor taken as proof that the zone exists.
    rules_open = [any(pr.rules and pr.second >= d for pr in pairs) for d in range(n_issues + 1)]
    # Completions of a node at each depth, as Python ints: a product of widths wraps in
    # int64 past 2^63 (and a float weight in bincount loses exactness past 2^53).
    n_valid = valid.sum(axis=-1).tolist()
    rest_count = [[math.prod(int(c) for c in row[d:]) for d in range(n_issues + 1)]
                  for row in n_valid]
    # Whether every remaining issue may stay at the status quo (gain 0): then a node whose
    # partial gains already satisfy everybody has an acceptable completion.
    keep_rest = np.concatenate([np.cumprod(valid[:, ::-1, 0], axis=1)[:, ::-1],
                                np.ones((batch, 1), dtype=bool)], axis=1)

    exists = np.zeros(batch, dtype=bool)
    sizes = [0] * batch if count else None
    best = _TopK(batch, n_issues, top) if objective else None
    budget = max_packages * batch
    work = 0

    def satisfied(g: np.ndarray, bid: np.ndarray) -> np.ndarray:
        return np.all((g > GAIN_TOLERANCE) | ~must[bid], axis=-1)

    root = _Nodes(np.arange(batch), np.zeros((batch, n_actors)) if table.offset is None
                  else table.offset.astype(float).copy(),
                  np.zeros((batch, 0), dtype=np.int16), np.zeros(batch, dtype=np.int16),
                  np.full(batch, np.inf))
    stack: list[tuple[int, _Nodes]] = [(0, root)]
    while stack:
        depth, nodes = stack.pop()
        # Drop what became useless since the nodes were pushed.
        live = np.ones(nodes.bid.size, dtype=bool)
        if stop_at_first:
            live &= ~exists[nodes.bid]
        if best is not None:
            live &= nodes.bound > best.threshold[nodes.bid]
        if not live.all():
            nodes = _Nodes(nodes.bid[live], nodes.partial[live], nodes.slots[live],
                           nodes.changed[live], nodes.bound[live])
        if nodes.bid.size == 0:
            continue
        width = int(valid[:, depth].any(axis=0).nonzero()[0].max()) + 1
        per = max(1, CHUNK // width)
        if nodes.bid.size > per:  # expand a part now, the rest later
            rest = _Nodes(nodes.bid[per:], nodes.partial[per:], nodes.slots[per:],
                          nodes.changed[per:], nodes.bound[per:])
            stack.append((depth, rest))
            nodes = _Nodes(nodes.bid[:per], nodes.partial[:per], nodes.slots[:per],
                           nodes.changed[:per], nodes.bound[:per])
        n = nodes.bid.size
        work += n * width
        if work > budget:
            space = int(table.space_size.max())
            raise _too_large(
                f"branch and bound stopped after expanding {format_count(work)} partial "
                f"packages, past the limit of {format_count(max_packages)} per scenario "
                f"(the space has {format_count(space)} packages; finishing could take up to "
                f"{_duration(space * batch / BNB_RATE)} at ~{format_count(BNB_RATE)} "
                "packages/s)", brute=False)
        slot = np.tile(np.arange(width, dtype=np.int16), n)
        parent = np.repeat(np.arange(n), width)
        bid = nodes.bid[parent]
        ok = valid[bid, depth, slot]
        changed = nodes.changed[parent] + moved[bid, depth, slot]
        if max_changes is not None:
            ok &= changed <= max_changes
        parent, slot, bid, changed = parent[ok], slot[ok], bid[ok], changed[ok]
        partial = nodes.partial[parent] + gains[bid, depth, slot]
        for pr in pairs:
            if pr.second == depth:  # the pair is complete: its term and its rules
                first = nodes.slots[parent, pr.first]
                partial += pr.gains[bid, first, slot]
                if pr.rules:
                    keep = pr.allowed[bid, first, slot]
                    parent, slot, bid, changed = parent[keep], slot[keep], bid[keep], \
                        changed[keep]
                    partial = partial[keep]
        slots = np.concatenate([nodes.slots[parent], slot[:, None]], axis=1)
        next_depth = depth + 1

        if next_depth == n_issues:  # complete packages
            accepted = satisfied(partial, bid)
            exists[bid[accepted]] = True
            if sizes is not None:
                for b, c in enumerate(np.bincount(bid[accepted], minlength=batch).tolist()):
                    sizes[b] += c
            if best is not None and accepted.any():
                score = _objective(partial[accepted], must[bid[accepted]],
                                   weights[bid[accepted]], objective)
                best.offer(bid[accepted], score, slots[accepted])
            continue

        upper = partial + max_rest[bid, next_depth]
        lower = partial + min_rest[bid, next_depth]
        for pr in pairs:  # first issue set, second open: the extremes given the first
            if pr.first < next_depth <= pr.second:
                first = slots[:, pr.first]
                upper = upper + pr.max_given[bid, first]
                lower = lower + pr.min_given[bid, first]
        alive = satisfied(upper, bid)
        closed = not rules_open[next_depth]
        if stop_at_first:
            # (the pair terms vanish when an issue stays at the status quo, so completing
            # with the status quo adds nothing to the partial gains)
            sure = alive & satisfied(lower, bid) & closed
            if max_changes is not None:  # completing with the status quo must be possible
                sure = alive & satisfied(partial, bid) & keep_rest[bid, next_depth] & closed
            exists[bid[sure]] = True
            alive &= ~exists[bid]
        if sizes is not None:
            inside = alive & satisfied(lower, bid) & closed
            # Every node here sits at the same depth: count per scenario, times its
            # completions, in exact integers.
            per = np.bincount(bid[inside], minlength=batch).tolist()
            for b in np.nonzero(per)[0].tolist():
                sizes[b] += per[b] * rest_count[b][next_depth]
            exists[bid[inside]] = True
            alive &= ~inside
        bound = np.full(bid.size, np.inf)
        if best is not None:
            bound = _objective(upper, must[bid], weights[bid], objective)
            alive &= bound > best.threshold[bid]
        if not alive.any():
            continue
        kids = _Nodes(bid[alive], partial[alive], slots[alive], changed[alive], bound[alive])
        if best is not None:  # most promising first: pushed last, popped first
            rank = np.argsort(kids.bound, kind="stable")
            kids = _Nodes(kids.bid[rank], kids.partial[rank], kids.slots[rank],
                          kids.changed[rank], kids.bound[rank])
            piece = max(1, CHUNK // width)
            for start in range(0, kids.bid.size, piece):
                sl = slice(start, start + piece)
                stack.append((next_depth, _Nodes(kids.bid[sl], kids.partial[sl],
                                                 kids.slots[sl], kids.changed[sl],
                                                 kids.bound[sl])))
        else:
            stack.append((next_depth, kids))
    if best is not None:
        exists |= np.bincount(best.bid, minlength=batch) > 0
    return exists, None if sizes is None else _exact(sizes), best, order


# ---------------------------------------------------------------------------------------
# The operations, with a method switch
# ---------------------------------------------------------------------------------------


def chosen_method(table: GainTable, method: Method) -> Literal["brute", "bnb", "milp"]:
    """The search ``method`` resolves to: ``auto`` takes brute force for spaces up to
    :data:`BRUTE_FORCE_LIMIT` packages in all, the MILP for one scenario of more than
    :data:`MILP_LIMIT` packages, else branch and bound (exact Python ints, so a
    space past 2⁶³ is never mistaken for a small, or negative, one)."""
    if method not in METHODS:
        raise ValueError(f"method must be 'auto', 'brute', 'bnb' or 'milp', got {method!r}")
    if method == "auto":
        if int(table.space_size.sum()) <= BRUTE_FORCE_LIMIT:
            return "brute"
        # A batch stays with branch and bound: it searches every scenario at once, while
        # the MILP solves them one by one (~0.05 s each at step 5).
        big = int(table.space_size.max()) > MILP_LIMIT
        return "milp" if big and table.batch == 1 else "bnb"
    return method


def _use_brute(table: GainTable, method: Method) -> bool:
    return chosen_method(table, method) == "brute"


def zone_exists(table: GainTable, method: Method = "auto",
                max_packages: int = MAX_PACKAGES) -> np.ndarray:
    """Whether some package makes every party gain, per scenario ``[B]``. Under ``auto``
    the vectorised screen (:mod:`detente.settlement.screen`: bounds and an acceptable
    package, both exact proofs) decides first and only the rest are searched; a named
    method searches every scenario with that method."""
    if method == "auto":
        from detente.settlement.screen import screened_zone_exists  # imports this module

        return screened_zone_exists(table, "auto", max_packages).exists
    used = chosen_method(table, method)
    if used == "brute":
        return brute_force(table, max_packages=max_packages)[0]
    if used == "milp":
        from detente.settlement import milp  # scipy.optimize only when used

        return milp.zone_exists(table)
    return branch_and_bound(table, stop_at_first=True, max_packages=max_packages)[0]


def zone_size(table: GainTable, method: Method = "auto",
              max_packages: int = MAX_PACKAGES) -> np.ndarray:
    """How many packages make every party gain, per scenario ``[B]`` (exact Python ints in
    an object array: a zone may hold more than 2⁶³ packages). Counting is not an
    optimisation: under ``milp`` the zone is counted by branch and bound."""
    if _use_brute(table, method):
        sizes = brute_force(table, count=True, max_packages=max_packages)[1]
    else:
        sizes = branch_and_bound(table, count=True, max_packages=max_packages)[1]
    assert sizes is not None
    return sizes


Found = TypeVar("Found")


def bnb_within_budget(search: Callable[[Method, int], Found], budget: int, max_packages: int,
                      past_budget: Callable[[], Found]) -> Found:
    """``search(method, max_packages)`` by branch and bound held to ``budget`` expansions
    per scenario (``max_packages`` where lower), and ``past_budget()`` where it stops there.

    The order of every search that the MILP would run slowly where branch and bound is
    usually fast: a list of packages (each no-good cut makes the next MILP harder:
    korea-2017 at step 5, the 50 best by Nash take ~100 s by MILP, 1.3 s by branch and
    bound) and the smallest accord. The callers differ only in what comes past the budget:
    the MILP's list, its best package alone, or a refusal with an estimate. The fallback
    runs outside the ``except``: a refusal it raises does not carry branch and bound's."""
    try:
        return search("bnb", min(max_packages, budget))
    except SearchTooLarge:
        pass
    return past_budget()


def best_packages(table: GainTable, objective: Objective = "nash", top: int = 1,
                  max_changes: int | None = None, method: Method = "auto",
                  max_packages: int = MAX_PACKAGES) -> list[Best]:
    """The ``top`` acceptable packages with the highest objective, per scenario. Under
    ``milp`` the Nash packages are optimal within :data:`detente.settlement.milp.NASH_GAP`
    (relative, on the Nash product) and ``max_packages`` does not apply.

    The best package (the first of the list, whatever ``top``) leaves an issue no party's
    gain depends on at its status quo, or moves it as little as the package rules allow
    (:func:`least_moved`): the objective is the same wherever it lies, so each method would
    otherwise leave it wherever its search happened to. The other packages are left as
    searched: packages that differ only in such issues would become one."""
    return least_moved(table, _searched(table, objective, top, max_changes, method,
                                        max_packages))


def _searched(table: GainTable, objective: Objective, top: int, max_changes: int | None,
              method: Method, max_packages: int) -> list[Best]:
    """:func:`best_packages`' lists as the chosen method finds them, before
    :func:`least_moved`."""
    used = chosen_method(table, method)
    if used == "brute":
        best = brute_force(table, objective, top, max_changes, max_packages=max_packages)[2]
        assert best is not None
        return [best.result(table, b) for b in range(table.batch)]
    if used == "milp":
        from detente.settlement import milp

        def listed_by_milp() -> list[Best]:
            return milp.best_packages(table, objective, top, max_changes)

        if method == "auto" and top > 1:
            return bnb_within_budget(partial(_searched, table, objective, top, max_changes),
                                     TOP_K_BUDGET, max_packages, listed_by_milp)
        return listed_by_milp()
    _, _, best, order = branch_and_bound(table, objective, top, max_changes,
                                         max_packages=max_packages)
    assert best is not None
    return [best.result(table, b, order) for b in range(table.batch)]


#: The most combinations of values of rule-tied indifferent issues that
#: :func:`least_moved` lists, counting only values the rules tell apart
#: (:func:`_rule_classes`); past it a walk that drops combinations early finds the same
#: values (:func:`_least_moved_walk`).
LEAST_MOVED_LIMIT = 1_000_000


def indifferent_issues(table: GainTable) -> np.ndarray:
    """``[B, I]``: the issues on which no party's gain depends, every allowed value giving
    each party the same gain (a walk-away point's offset included) and no pair term
    through the issue changing a party's gain."""
    must = table.must_agree[:, None, None, :]
    first = np.argmax(table.valid, axis=-1)  # B, I: the first allowed slot
    reference = np.take_along_axis(table.gains, first[:, :, None, None], axis=2)
    same = (table.gains == reference) | ~table.valid[..., None] | ~must
    # An issue with one allowed value has nowhere else to go.
    out = same.all(axis=(2, 3)) & (table.valid.sum(axis=-1) > 1)
    for pair in table.pairs:
        moves = np.any((pair.gains != 0) & table.must_agree[:, None, None, :], axis=(1, 2, 3))
        out[:, pair.i] &= ~moves
        out[:, pair.j] &= ~moves
    return out


def least_moved(table: GainTable, found: list[Best]) -> list[Best]:
    """Each list of ``found`` (one :class:`Best` per scenario) with its first package's
    :func:`indifferent_issues` at the status quo, or where the package rules force one to
    move, at the values that move the fewest such issues, then the least in all (on the unit
    scale; ties to the earlier issue's lower value). The parties' gains, the objective and
    the rules' verdict are unchanged, and the first package depends only on the issues some
    party cares about, whatever the method and however long the list. The other packages
    are left as searched; where one of them is the first one's least-moved form, the two
    trade places, so that the list keeps the same distinct packages."""
    indifferent = indifferent_issues(table)
    out = []
    for b, best in enumerate(found):
        if not best.found or not indifferent[b].any():
            out.append(best)
            continue
        slots = best.slots.copy()
        moved = _least_moved_slots(table, b, slots[0], indifferent[b])
        same = np.nonzero(np.all(slots[1:] == moved, axis=1))[0]
        if same.size:  # a package of the same gains (hence score) further down the list
            slots[1 + same[0]] = slots[0]
        slots[0] = moved
        out.append(Best(slots, table.decode(b, slots), best.score,
                        table.package_gains(b, slots), best.gap))
    return out


def _rule_classes(table: GainTable, b: int, k: int, allowed: np.ndarray) -> np.ndarray:
    """The allowed slots of issue k that the package rules tell apart, one for each class
    of slots every rule through k treats alike (the same rows of each rule's ``allowed``),
    the first of each class in ``allowed``'s order.

    Exact for :func:`_least_moved_slots`: swapping a value for another of its class keeps
    every rule's verdict, and its first (nearest the status quo, then lower) moves the
    issue no more, so the least-moved values are among the classes' first ones, and in the
    same order of enumeration. A rule's bounds are few, so the classes are too (the values
    between two consecutive bounds are one class), however fine the step."""
    rows = []
    for p in table.pairs:
        if p.allowed[b].all():
            continue
        if p.i == k:
            rows.append(p.allowed[b][allowed, :])
        elif p.j == k:
            rows.append(p.allowed[b][:, allowed].T)
    if not rows:
        return allowed[:1]
    _, first = np.unique(np.concatenate(rows, axis=1), axis=0, return_index=True)
    return allowed[np.sort(first)]


def _least_moved_slots(table: GainTable, b: int, slots: np.ndarray,
                       indifferent: np.ndarray) -> np.ndarray:
    """One package's slots with its indifferent issues moved back (:func:`least_moved`)."""
    slots = slots.copy()
    status_quo = table.values[b, :, 0]
    ruled = [p for p in table.pairs if not p.allowed[b].all()]
    # Indifferent issues tied by a rule are settled together, the others one by one.
    group = {k: {k} for k in np.nonzero(indifferent)[0].tolist()}
    for p in ruled:
        if p.i in group and p.j in group and group[p.i] is not group[p.j]:
            merged = group[p.i] | group[p.j]
            for k in merged:
                group[k] = merged
    for issues in {id(g): sorted(g) for g in group.values()}.values():
        choices = []
        for k in issues:
            allowed = np.nonzero(table.valid[b, k])[0]
            distance = np.abs(table.values[b, k, allowed] - status_quo[k])
            choices.append(_rule_classes(
                table, b, k, allowed[np.lexsort((table.values[b, k, allowed], distance))]))
        if math.prod(len(c) for c in choices) > LEAST_MOVED_LIMIT:
            found = _least_moved_walk(table, b, slots, issues, choices)
            if found is not None:
                slots[issues] = found
            continue
        combos = np.array(list(itertools.product(*choices)), dtype=np.int64).reshape(
            -1, len(issues))
        packages = np.repeat(slots[None, :].astype(np.int64), len(combos), axis=0)
        packages[:, issues] = combos
        keeps = table.allowed(b, packages)
        moved = np.abs(table.values[b, issues][np.arange(len(issues)), combos]
                       - status_quo[issues])
        count = (moved > 1e-12).sum(axis=1)
        # The first of the fewest moves, then the least distance: product order is each
        # issue's values nearest the status quo first.
        order = np.lexsort((moved.sum(axis=1), count))
        best = next((int(n) for n in order if keeps[n]), None)
        if best is not None:
            slots[issues] = combos[best]
    return slots


def _least_moved_walk(table: GainTable, b: int, slots: np.ndarray, issues: list[int],
                      choices: list[np.ndarray]) -> np.ndarray | None:
    """The values :func:`_least_moved_slots` would pick for ``issues`` (None where none keeps
    the rules) without listing every combination: a depth-first walk in the same order of
    enumeration, each issue's values nearest the status quo first, that drops a partial
    combination as soon as it breaks a rule or moves no less than the best found so far
    (its later values at that depth move at least as much), so the first combination of
    the fewest moves, then the least distance, is the one kept."""
    status_quo = table.values[b, :, 0]
    group = set(issues)
    at = {k: n for n, k in enumerate(issues)}
    within: list[list[PairTerm]] = [[] for _ in issues]  # rules to check once k is set
    options = list(choices)
    for p in table.pairs:
        if p.allowed[b].all():
            continue
        if p.i in group and p.j in group:
            within[max(at[p.i], at[p.j])].append(p)
        elif p.i in group:
            options[at[p.i]] = options[at[p.i]][p.allowed[b][options[at[p.i]], slots[p.j]]]
        elif p.j in group:
            options[at[p.j]] = options[at[p.j]][p.allowed[b][slots[p.i], options[at[p.j]]]]
        elif not p.allowed[b][slots[p.i], slots[p.j]]:
            return None
    moves = [np.abs(table.values[b, k, o] - status_quo[k]) for k, o in zip(issues, options,
                                                                            strict=True)]
    chosen = slots.astype(np.int64).copy()
    best: list[tuple[tuple[int, float], np.ndarray]] = []

    def walk(depth: int, count: int, distance: float) -> None:
        if depth == len(issues):
            best[:] = [((count, distance), chosen[issues].copy())]
            return
        k = issues[depth]
        for slot, move in zip(options[depth].tolist(), moves[depth].tolist(), strict=True):
            key = (count + (move > 1e-12), distance + move)
            if best and key >= best[0][0]:
                break  # nearest first: every later value here moves at least as much
            chosen[k] = slot
            if all(p.allowed[b][chosen[p.i], chosen[p.j]] for p in within[depth]):
                walk(depth + 1, *key)

    walk(0, 0, 0.0)
    return best[0][1] if best else None


def smallest_accords(table: GainTable, method: Method = "auto",
                     max_packages: int = MAX_PACKAGES) -> list[Best]:
    """Per scenario, the acceptable package that moves the fewest issues from the status
    quo, with the best Nash product among those (empty when the zone is empty)."""
    if chosen_method(table, method) == "milp":
        from detente.settlement import milp

        if method == "auto":
            # The smallest accord usually moves one or two issues, where branch and bound
            # under a change limit takes milliseconds (korea-2017: 0.01 s against the MILP's
            # 0.3 s); past a small budget the MILP takes over.
            return bnb_within_budget(partial(smallest_accords, table), SMALLEST_BUDGET,
                                     max_packages, partial(milp.smallest_accords, table))
        return milp.smallest_accords(table)
    results: list[Best | None] = [None] * table.batch
    pending = np.arange(table.batch)
    # from 0: a walk-away point below the status quo can put the status quo in the zone
    for limit in range(0, table.n_issues + 1):
        if pending.size == 0:
            break
        found = best_packages(table.subset(pending), "nash", 1, limit, method, max_packages)
        for b, best in zip(pending, found, strict=True):
            if best.found:
                results[b] = best
        pending = np.array([b for b in pending if results[b] is None], dtype=int)
    empty = Best(np.zeros((0, table.n_issues), dtype=np.int64),
                 np.zeros((0, table.n_issues)), np.zeros(0),
                 np.zeros((0, table.gains.shape[-1])))
    return [r if r is not None else empty for r in results]


def pareto_efficient(gains: np.ndarray, must: np.ndarray) -> np.ndarray:
    """Which rows of ``gains [N, A]`` no other row Pareto-dominates (over the parties)."""
    g = gains[:, must]
    geq = np.all(g[:, None, :] >= g[None, :, :] - 1e-12, axis=-1)
    gt = np.any(g[:, None, :] > g[None, :, :] + 1e-12, axis=-1)
    dominated = np.any(geq & gt, axis=0)  # [j]: some i dominates j
    return ~dominated
