"""Exact package search as mixed-integer linear programs, solved by HiGHS.

Gains are separable per issue (:mod:`detente.settlement.search`: g_a(x) = Σ_k H[k, x_k, a]
once credibility is applied), so a package is a one-hot choice y[k, o] ∈ {0, 1} of one valid
slot per issue and every gain is linear in y:

    Σ_o y[k, o] = 1                     (one value per issue k)
    g_a(y) = Σ_{k,o} H[k, o, a] y[k, o]

On that model (equations and tolerances in ``docs/settle.md``, *Search as a MILP*):

* **max-min**: max z s.t. z ≤ g_a(y) for every party a. The zone is non-empty exactly when
  the optimum exceeds :data:`~detente.settlement.utility.GAIN_TOLERANCE`, so zone existence
  is the same MILP, decided from the optimum and its dual bound.
* **best Nash product**: max Σ_a w_a t_a s.t. t_a ≤ log ĝ + (g_a(y) − ĝ)/ĝ for tangent points
  ĝ of each party, and g_a(y) ≥ GAIN_TOLERANCE − relaxation. log is concave, so every
  tangent lies above it and the MILP optimum bounds the Nash objective from above; the
  incumbent's exact value bounds it from below; tangents at the incumbent's gains are added
  until the two differ by less than :data:`NASH_GAP` (outer approximation, Duran & Grossmann
  1986). The loop ends: a package met twice has t_a = log g_a exactly.
* **top k**: no-good cuts Σ_{(k,o) ∈ found} y[k, o] ≤ I − 1 exclude each package found, and
  the same program is solved again (tangent cuts stay valid, so they are kept).
* **at most m changed issues**: Σ changed[k, o] y[k, o] ≤ m; **fewest changes**: min that sum
  subject to every party gaining.

Pair terms (verification, links: g_a gains Σ_pairs Q(x_i, x_j, a)) enter by their exact
low-rank factors, Q = Σ_r C[x_u, r] W[r, x_s, a], with one continuous column z = y[s, o]·F_r
per factor and slot of one issue (:func:`model`), and the rules by one row per rectangle of
excluded slot pairs (:func:`_rule_rows`); a pair whose factors would not be fewer keeps one
column per allowed slot pair (the marginal form).

HiGHS (Huangfu & Hall 2018, via :func:`scipy.optimize.milp`) works to tolerances
(feasibility ~1e-7, integrality 1e-6, absolute gap 1e-6), so nothing it returns is taken on
trust: gains are rescaled so those tolerances are far below the differences that matter,
the zone constraint is *relaxed* by :data:`RELAXATION` (no acceptable package can be cut
off), and every package it returns is re-evaluated exactly on the gain table with the same
rule as brute force (g_a > GAIN_TOLERANCE for every party). A package outside the zone is
excluded by a no-good cut and the search goes on. A status other than optimal (time limit)
raises :class:`MilpFailed`; an undecided zone test falls back to branch and bound.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from detente.errors import OptionError, Problem, option_place, option_text
from detente.settlement.utility import GAIN_TOLERANCE

if TYPE_CHECKING:
    from detente.settlement.search import Best, GainTable, Objective

#: Certified optimality gap of the best Nash packages, in log Nash product (so the Nash
#: product of the package returned is within a factor 1 + NASH_GAP of the optimum).
NASH_GAP = 1e-6
#: The zone constraint g_a ≥ GAIN_TOLERANCE is relaxed by this much (in scaled gains, where
#: the largest |H| is 1): far above HiGHS's feasibility tolerance, so no package of the zone
#: is cut off by tolerance; packages the relaxation lets in are rejected exactly afterwards.
RELAXATION = 1e-5
#: Objectives are multiplied by this so HiGHS's absolute gap (1e-6) is 1e-9 of our units.
OBJECTIVE_SCALE = 1e3
#: Rows linking z or t to the gains, and zone rows, are multiplied by this so HiGHS's row
#: feasibility tolerance (1e-6 in a MIP) allows only 1e-9 of slack in our units.
ROW_SCALE = 1e3
#: Tangent points below this (scaled gain) are raised to it: a tangent anywhere is a valid
#: cut, and its slope 1/ĝ stays ≤ 1e3 (well conditioned); a Nash optimum with a party's gain
#: below it cannot close the gap, and that scenario is searched by branch and bound instead.
TANGENT_FLOOR = 1e-3
#: Slack (scaled gains) under a known package's smallest gain when it bounds the zone
#: test's optimum from below: far above the rounding of a sum of a few dozen gains.
FLOOR_SLACK = 1e-6
#: Seconds per MILP before HiGHS stops (then :class:`MilpFailed`, never a guess).
TIME_LIMIT = 120.0
#: Outer-approximation rounds (and packages rejected by exact re-evaluation) per package
#: before giving up with :class:`MilpFailed`.
MAX_ROUNDS = 200
#: How pair terms enter the model (:func:`model`): "auto" (factored where smaller),
#: "factored" (wherever a factorisation reproduces the term) or "columns" (marginal form).
PairForm = Literal["auto", "factored", "columns"]
PAIR_FORM: PairForm = "auto"
#: A factorisation of a pair term (scaled gains, largest |H| = 1) must reproduce every
#: entry within this: far below HiGHS's row tolerance on the gains (1e-9 after ROW_SCALE).
FACTOR_TOLERANCE = 1e-12
#: Coordinate-ascent sweeps of the first tangents' package (:func:`_local_nash`), and the
#: multiples of its gains the first tangents touch (1: exact there).
MAX_SWEEPS = 30
AROUND = (0.5, 0.8, 1.0, 1.25, 2.0)
LOCAL_TANGENTS = True


@contextlib.contextmanager
def formulation(form: PairForm, local_tangents: bool = True) -> Iterator[None]:
    """Within the block, models carry their pair terms in ``form`` and the first Nash
    tangents include the coordinate-ascent package's or not: to compare the formulations
    (tests, ``benchmarks/settle.py``); every form gives the same answers."""
    global PAIR_FORM, LOCAL_TANGENTS
    saved = PAIR_FORM, LOCAL_TANGENTS
    PAIR_FORM, LOCAL_TANGENTS = form, local_tangents
    try:
        yield
    finally:
        PAIR_FORM, LOCAL_TANGENTS = saved


class MilpFailed(OptionError):
    """HiGHS did not prove optimality (time limit, numerical trouble): no answer is given."""


class _NotClosed(Exception):
    """Outer approximation could not certify the gap (a party's gain at the optimum below
    :data:`TANGENT_FLOOR`, or a HiGHS solve error): the caller uses branch and bound."""


def _failed(what: str, message: str) -> MilpFailed:
    return MilpFailed([Problem(
        option_place("method"), f"the MILP for {what} ended without a proven optimum "
        f"({message})", f"use {option_text('method', 'bnb')} (exact branch and bound) or a "
        f"coarser {option_text('step')}")])


@dataclass
class Found:
    """Packages of one scenario found by a MILP search, best first.

    ``slots [k, I]``, ``score [k]`` (log Nash product or smallest gain, exact from the gain
    table), ``gap``: certified optimality gap of the first package (0 for max-min and zone).
    """

    slots: np.ndarray
    score: np.ndarray
    gap: float = 0.0


@dataclass
class _Pair:
    """A pair term of the gain table: ``gains [Oi, Oj, A]`` (unscaled), and ``allowed
    [Oi, Oj]``: the slot pairs that are valid and that the rules allow, read as brute force
    reads them. How the model carries it (:func:`model`) is in its rows and columns."""

    i: int
    j: int
    gains: np.ndarray  # Oi, Oj, A unscaled
    allowed: np.ndarray  # Oi, Oj bool


class _Rows:
    """Sparse rows lo ≤ A x ≤ hi over the model's columns, gathered block by block."""

    def __init__(self) -> None:
        self.count = 0
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.lo: list[np.ndarray] = []
        self.hi: list[np.ndarray] = []

    def add(self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, lo: np.ndarray,
            hi: np.ndarray) -> None:
        """Rows numbered 0 … len(lo) − 1 within the block (entries (rows, cols, vals))."""
        self.rows.append(np.asarray(rows, dtype=np.int64) + self.count)
        self.cols.append(np.asarray(cols, dtype=np.int64))
        self.vals.append(np.asarray(vals, dtype=float))
        self.lo.append(np.asarray(lo, dtype=float))
        self.hi.append(np.asarray(hi, dtype=float))
        self.count += len(lo)

    def matrix(self, n: int) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
        if not self.count:
            return sparse.csr_matrix((0, n)), np.zeros(0), np.zeros(0)
        a = sparse.coo_matrix((np.concatenate(self.vals), (np.concatenate(self.rows),
                                                           np.concatenate(self.cols))),
                              shape=(self.count, n)).tocsr()
        return a, np.concatenate(self.lo), np.concatenate(self.hi)


@dataclass
class _Model:
    """One scenario's one-hot model: columns are its valid (issue, slot) pairs, then the
    continuous columns of the pair terms (docs/settle.md, *Search with pair terms*), with
    ``rows`` (one-hot, pair terms and rules) and the columns' bounds ``lb``, ``ub``."""

    gains: np.ndarray  # A_party, N scaled gains of each column
    changed: np.ndarray  # N_y
    issue_of: np.ndarray  # N_y
    slot_of: np.ndarray  # N_y
    n_issues: int
    raw: np.ndarray  # I, O, A unscaled gains
    must: np.ndarray  # A
    weights: np.ndarray  # A
    scale: float
    rows: sparse.csr_matrix  # structural rows over the N columns
    rows_lo: np.ndarray
    rows_hi: np.ndarray
    lb: np.ndarray  # N
    ub: np.ndarray  # N
    nogood: list[np.ndarray] = field(default_factory=list)  # column index sets
    pairs: list[_Pair] = field(default_factory=list)
    offset: np.ndarray | None = None  # A unscaled (minus the walk-away points)

    @property
    def n(self) -> int:
        """Columns: the one-hot y, then the pair columns."""
        return self.gains.shape[1]

    @property
    def n_y(self) -> int:
        return self.issue_of.size

    def integrality(self, extra: int) -> np.ndarray:
        """Integer columns: only the one-hot y (then ``extra`` continuous columns). The pair
        columns are continuous: with binary y their rows leave them one value each (see
        :func:`model`), so HiGHS branches on the issues' values only."""
        return np.concatenate([np.ones(self.n_y), np.zeros(self.n - self.n_y + extra)])

    def bounds(self, lower: Sequence[float] | np.ndarray, upper: Sequence[float] | np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
        """The columns' bounds, then those of the extra columns."""
        return np.concatenate([self.lb, lower]), np.concatenate([self.ub, upper])

    def structure(self, extra: int) -> LinearConstraint:
        """The structural rows (``extra`` continuous columns follow, with no entry)."""
        a = sparse.hstack([self.rows, sparse.csr_matrix((self.rows.shape[0], extra))],
                          format="csr") if extra else self.rows
        return LinearConstraint(a, self.rows_lo, self.rows_hi)

    def best_gains(self) -> np.ndarray:
        """Each party's largest achievable (scaled) gain: Σ_k max_o H (+ Σ_pairs max Q)."""
        return self._extreme_gains(np.max)

    def worst_gains(self) -> np.ndarray:
        """Each party's smallest possible (scaled) gain: Σ_k min_o H (+ Σ_pairs min Q)."""
        return self._extreme_gains(np.min)

    def _extreme_gains(self, pick: Callable[..., np.ndarray]) -> np.ndarray:
        out = np.zeros(self.gains.shape[0])
        for k in range(self.n_issues):
            out += pick(self.gains[:, : self.n_y][:, self.issue_of == k], axis=1)
        for p in self.pairs:
            if p.allowed.any():  # over the allowed slot pairs, however the model carries Q
                out += pick(p.gains[p.allowed][:, self.must].T * self.scale, axis=1)
        return out

    def z_bound(self) -> float:
        """A bound on |z| of the max-min programs: every package's smallest party gain
        (scaled) lies within ±z_bound. It must hold for *every* package, pair terms
        included: a cap below a package's smallest gain would make packages that differ
        above it tie (a wrong max-min), a floor above it would make the program infeasible."""
        if self.gains.shape[0] == 0:
            return 1.0
        return float(max(np.abs(self.best_gains()).max(), np.abs(self.worst_gains()).max())) + 1.0

    def keeps_rules(self, slots: np.ndarray) -> bool:
        """Whether a package (slot indices) keeps every rule, read from the pair terms'
        allowed slot pairs exactly as brute force reads them: the MILP's answer is rounded
        to one value per issue, and nothing it returns is taken on trust."""
        return all(bool(p.allowed[slots[p.i], slots[p.j]]) for p in self.pairs)

    def has_package(self) -> bool:
        """Whether some package keeps every rule (every issue has a valid value, or there
        is no model): the zone when no party must agree. Without pair terms every package
        does; with them it is a feasibility MILP, since rules on different pairs of issues
        can exclude every package together while each pair alone allows some."""
        if any(not p.allowed.any() for p in self.pairs):
            return False
        if not self.pairs:
            return True
        out = _solve(np.zeros(self.n), [self.structure(0)], self.integrality(0),
                     self.lb, self.ub, "a package that keeps the rules")
        if out is None:
            return False
        if not self.keeps_rules(self.slots(out[0])):  # never, but never on trust either
            raise _failed("a package that keeps the rules", "a package that breaks a rule")
        return True

    def hopeless(self) -> bool:
        """Some party gains at most GAIN_TOLERANCE from every package: Σ_k max_o H[k, o, a]
        in unscaled floats, summed in the order brute force sums a package (rounding is
        monotone, so no package's float sum exceeds it). Exact, without a MILP."""
        best = np.zeros(int(self.must.sum()))
        for k in range(self.n_issues):
            best = best + self.raw[k][self.slot_of[self.issue_of == k]][:, self.must].max(axis=0)
        for p in self.pairs:
            if not p.allowed.any():
                return True  # no allowed slot pair: no package keeps the rules
            best = best + p.gains[p.allowed][:, self.must].max(axis=0)
        if self.offset is not None:
            best = best + self.offset[self.must]
        return bool(np.any(best <= GAIN_TOLERANCE))

    def exact(self, slots: np.ndarray) -> np.ndarray:
        """Unscaled gains [A] of a package from the gain table (the brute-force sum)."""
        total = self.raw[np.arange(self.n_issues), slots].sum(axis=0)
        for p in self.pairs:
            total = total + p.gains[slots[p.i], slots[p.j]]
        if self.offset is not None:
            total = total + self.offset
        return total

    def in_zone(self, gains: np.ndarray) -> bool:
        return bool(np.all((gains > GAIN_TOLERANCE) | ~self.must))

    def acceptable(self, slots: np.ndarray) -> bool:
        """Brute force's rule for a package: it keeps every rule and every party gains."""
        return self.keeps_rules(slots) and self.in_zone(self.exact(slots))

    def slots(self, y: np.ndarray) -> np.ndarray:
        chosen = np.nonzero(np.round(y[: self.n_y]) > 0.5)[0]
        out = np.zeros(self.n_issues, dtype=np.int64)
        out[self.issue_of[chosen]] = self.slot_of[chosen]
        if chosen.size != self.n_issues:  # HiGHS's integrality tolerance is 1e-6: never
            raise _failed("a package", "a solution that is not one value per issue")
        return out

    def columns(self, slots: np.ndarray) -> np.ndarray:
        """Column indices of a package's one-hot variables."""
        index = {(int(k), int(o)): j for j, (k, o) in
                 enumerate(zip(self.issue_of, self.slot_of, strict=True))}
        return np.array([index[(k, int(o))] for k, o in enumerate(slots)])

    def nogood_rows(self, extra: int) -> list[LinearConstraint]:
        """Σ_{j ∈ found} y_j ≤ I − 1 for every package excluded so far."""
        if not self.nogood:
            return []
        rows = np.zeros((len(self.nogood), self.n + extra))
        for r, cols in enumerate(self.nogood):
            rows[r, cols] = 1.0
        return [LinearConstraint(rows, -np.inf, self.n_issues - 1)]

    def changes_row(self, extra: int, max_changes: int | None) -> list[LinearConstraint]:
        if max_changes is None:
            return []
        row = np.concatenate([self.changed.astype(float), np.zeros(self.n - self.changed.size),
                              np.zeros(extra)])
        return [LinearConstraint(row[None], -np.inf, max_changes)]


def _factor(q: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray] | None:
    """An exact low-rank split of a pair term, q[u, s, a] = Σ_r C[u, r] W[r, s, a], with
    max |C[:, r]| = 1, that reproduces q within :data:`FACTOR_TOLERANCE`; None when that
    takes ``limit`` factors or more (the marginal columns are then no larger).

    Gaussian elimination with complete pivoting (a skeleton or cross decomposition,
    Goreinov, Tyrtyshnikov & Zamarashkin 1997): each step takes the largest remaining
    entry as pivot, its row as W[r] and its column, divided by the pivot, as C[:, r], and
    subtracts their product; a term of rank r is exhausted after r steps. Elementwise
    numpy only (no threaded BLAS on a shared machine), a few steps of O(|u|·|s|·|a|)."""
    n_u, n_s, n_a = q.shape
    flat = q.reshape(n_u, n_s * n_a)
    rest = flat.copy()
    cols: list[np.ndarray] = []
    rows: list[np.ndarray] = []
    while np.abs(rest).max(initial=0.0) > FACTOR_TOLERANCE / 10:
        if len(cols) + 1 >= limit:
            return None
        u, s = np.unravel_index(int(np.argmax(np.abs(rest))), rest.shape)
        col = rest[:, s] / rest[u, s]  # |col| ≤ 1: the pivot is the largest entry
        row = rest[u].copy()
        cols.append(col)
        rows.append(row)
        rest -= col[:, None] * row[None, :]
    c = np.stack(cols, axis=1) if cols else np.zeros((n_u, 0))
    w = np.stack(rows) if rows else np.zeros((0, n_s * n_a))
    # rounding noise as exact zeros: HiGHS drops matrix entries below 1e-9 anyway, and the
    # check below is then on what it is given
    c = np.where(np.abs(c) > 1e-11, c, 0.0)
    w = np.where(np.abs(w) > 1e-11 * np.abs(w).max(initial=0.0), w, 0.0)
    error = np.abs((c[:, :, None] * w[None, :, :]).sum(axis=1) - flat).max(initial=0.0)
    if error > FACTOR_TOLERANCE:
        return None
    return c, w.reshape(len(rows), n_s, n_a)


def _rule_rows(rows: _Rows, cols_i: np.ndarray, cols_j: np.ndarray, allowed: np.ndarray
               ) -> None:
    """A rule mask on two issues' valid slots as rows Σ_{o ∈ A} y[i, o] + Σ_{o ∈ B} y[j, o]
    ≤ 1, one per rectangle A × B of excluded slot pairs: the slots of i sharing the same
    excluded partners B form A. With one value per issue a row is broken exactly when the
    package takes an excluded pair, and every excluded pair lies in one rectangle, so the
    rows exclude exactly the masked packages (a slot with no allowed partner is fixed to 0:
    its B is every slot of j). Threshold rules ("VER ≤ 65 requires NUC ≤ 50") give one
    rectangle each; the side with fewer distinct patterns carries A."""
    if allowed.all():
        return
    if len({r.tobytes() for r in allowed.T}) < len({r.tobytes() for r in allowed}):
        cols_i, cols_j, allowed = cols_j, cols_i, allowed.T
    patterns: dict[bytes, list[int]] = {}
    for a, row in enumerate(allowed):
        if not row.all():
            patterns.setdefault(row.tobytes(), []).append(a)
    entries_r, entries_c = [], []
    for r, members in enumerate(patterns.values()):
        excluded = cols_j[~allowed[members[0]]]
        block = np.concatenate([cols_i[members], excluded])
        entries_r.append(np.full(block.size, r))
        entries_c.append(block)
    cols = np.concatenate(entries_c)
    rows.add(np.concatenate(entries_r), cols, np.ones(cols.size), np.full(len(patterns), -np.inf),
             np.ones(len(patterns)))


def model(raw: np.ndarray, valid: np.ndarray, changed: np.ndarray, must: np.ndarray,
          weights: np.ndarray, pairs: Sequence[tuple[int, int, np.ndarray, np.ndarray]] = (),
          offset: np.ndarray | None = None, form: PairForm | None = None) -> _Model | None:
    """The model of one scenario (``raw [I, O, A]`` gains); None if an issue has no value.

    ``pairs``: (i, j, gains [Oi, Oj, A], allowed [Oi, Oj]) pair terms of the gain table;
    ``offset [A]``: added to every gain (minus the walk-away points), carried by the
    one-hot columns of issue 0 (exactly one of them is 1). ``form`` (default
    :data:`PAIR_FORM`): how pair terms enter (docs/settle.md, *Search with pair terms*):

    * ``"columns"``: one column w[oi, oj] ∈ [0, 1] per allowed slot pair with the marginal
      equalities Σ_oj w[oi, oj] = y[i, oi], Σ_oi w[oi, oj] = y[j, oj]: with binary y they
      force w = y[i, oi]·y[j, oj] (McCormick 1976's inequalities follow from them); a
      masked pair has no column, a slot with no allowed partner is fixed to 0.
    * ``"factored"``: the party gains of the pair, q[u, s, a] over the valid slots of one
      issue u and the other s, split exactly as Σ_r C[u, r] W[r, s, a] (:func:`_factor`);
      then F_r = Σ_u C[u, r] y[u] ∈ [L, U] and one column z[r, s] = y[s]·F_r per factor
      and slot of s, exact with binary y by the rows z ≤ U_s y[s], z ≥ L_s y[s] and
      Σ_s z[r, s] = F_r (y[s] = 0 gives z = 0, so the one z left equals F_r; McCormick
      1976's two other inequalities follow from these). L_s, U_s: the extremes of C[:, r]
      over the slots of u allowed with s. The pair's gain is Σ W[r, s, a] z[r, s]; the
      rules are rows (:func:`_rule_rows`). A pair with no gain has rows only.
    * ``"auto"``: factored where that takes fewer columns than the marginal form, else
      the marginal columns (a pair term of high rank)."""
    form = PAIR_FORM if form is None else form
    issue_of, slot_of = np.nonzero(valid)
    if np.unique(issue_of).size != valid.shape[0]:
        return None
    n_y, n_issues = issue_of.size, valid.shape[0]
    own = [np.nonzero(issue_of == k)[0] for k in range(n_issues)]  # y columns, slot order
    y_block = raw[issue_of, slot_of]  # N_y, A
    if offset is not None:
        y_block = y_block + np.where(issue_of == 0, 1.0, 0.0)[:, None] * offset[None, :]
    terms = [_Pair(i, j, gains, allowed & valid[i][:, None] & valid[j][None, :])
             for i, j, gains, allowed in pairs]
    party = np.concatenate([y_block, *(p.gains[p.allowed] for p in terms)], axis=0)[:, must]
    # Scale so the largest |H| (or |Q|) is 1: HiGHS's absolute tolerances then sit far
    # below any gain difference the exact check resolves (unit-scale gains can be ~1e-3).
    scale = float(np.abs(party).max()) if party.size else 1.0
    scale = 1.0 / scale if scale > 0 else 1.0
    rows = _Rows()
    rows.add(issue_of, np.arange(n_y), np.ones(n_y), np.ones(n_issues), np.ones(n_issues))
    blocks, lbs, ubs = [y_block[:, must]], [np.zeros(n_y)], [np.ones(n_y)]
    start = n_y
    for p in terms:
        vi, vj = valid[p.i], valid[p.j]
        mask = p.allowed[vi][:, vj]  # over the valid slots
        n_allowed = int(mask.sum())
        q = p.gains[vi][:, vj][:, :, must] * scale
        splits = []
        if form != "columns" and n_allowed:
            # factors of q[u, s] put z on the slots of s: one split per side
            for u, s, qu, mu in ((p.i, p.j, q, mask), (p.j, p.i, q.transpose(1, 0, 2), mask.T)):
                limit = (n_allowed // own[s].size + 1 if form == "auto"
                         else own[u].size + 1)
                got = _factor(qu, limit)
                if got is not None:
                    splits.append((got[0].shape[1] * own[s].size, u, s, mu, got))
        if form == "columns" or (not splits and n_allowed):
            start = _marginal_columns(rows, p, own, q, mask, start, blocks, lbs, ubs)
            continue
        _rule_rows(rows, own[p.i], own[p.j], mask)
        if not splits:  # no allowed slot pair: the rule rows leave no package
            continue
        _, u, s, mu, (c, w) = min(splits, key=lambda t: t[0])
        if c.shape[1]:  # else the pair term is 0 for every party: its rules only
            start = _factored_columns(rows, own[u], own[s], mu, c, start, lbs, ubs)
            blocks.append(w.reshape(-1, w.shape[2]))
    gains = np.concatenate(blocks, axis=0).T  # A_party, N (pair blocks already scaled)
    gains[:, :n_y] *= scale
    matrix, rows_lo, rows_hi = rows.matrix(start)
    return _Model(gains, changed[issue_of, slot_of], issue_of, slot_of, n_issues, raw, must,
                  weights, scale, matrix, rows_lo, rows_hi, np.concatenate(lbs),
                  np.concatenate(ubs),
                  pairs=terms, offset=None if offset is None else np.asarray(offset,
                                                                             dtype=float))


def _factored_columns(rows: _Rows, own_u: np.ndarray, own_s: np.ndarray, mu: np.ndarray,
                      c: np.ndarray, start: int, lbs: list[np.ndarray], ubs: list[np.ndarray]
                      ) -> int:
    """The columns z[r, s] = y[s]·F_r of one factored pair term (:func:`model`), with
    F_r = Σ_u C[u, r] y[u]; returns the next free column."""
    n_r, n_s = c.shape[1], own_s.size
    z = start + np.arange(n_r * n_s).reshape(n_r, n_s)
    # F_r's extremes over the partners each slot of s allows (rule rows enforce them)
    big = np.where(mu.T[None, :, :], c.T[:, None, :], -np.inf).max(axis=2)  # r, s
    small = np.where(mu.T[None, :, :], c.T[:, None, :], np.inf).min(axis=2)
    big = np.where(np.isfinite(big), big, 0.0)
    small = np.where(np.isfinite(small), small, 0.0)
    ys = np.broadcast_to(own_s[None, :], (n_r, n_s)).ravel()
    flat = z.ravel()
    k = flat.size
    n_u = own_u.size
    # z − U y[s] ≤ 0 and z − L y[s] ≥ 0, times ROW_SCALE (slack ≤ 1e-9 of z's range)
    for bound, lo, hi in ((big, -np.inf, 0.0), (small, 0.0, np.inf)):
        rows.add(np.repeat(np.arange(k), 2), np.stack([flat, ys], 1).ravel(),
                 ROW_SCALE * np.stack([np.ones(k), -bound.ravel()], 1).ravel(),
                 np.full(k, lo), np.full(k, hi))
    # Σ_s z[r, s] − Σ_u C[u, r] y[u] = 0
    rows.add(np.concatenate([np.repeat(np.arange(n_r), n_s), np.repeat(np.arange(n_r), n_u)]),
             np.concatenate([flat, np.tile(own_u, n_r)]),
             ROW_SCALE * np.concatenate([np.ones(k), -c.T.ravel()]),
             np.zeros(n_r), np.zeros(n_r))
    lbs.append(np.minimum(small, 0.0).ravel())
    ubs.append(np.maximum(big, 0.0).ravel())
    return start + k


def _marginal_columns(rows: _Rows, p: _Pair, own: list[np.ndarray], q: np.ndarray,
                      mask: np.ndarray, start: int,
                      blocks: list[np.ndarray], lbs: list[np.ndarray], ubs: list[np.ndarray]
                      ) -> int:
    """The ``"columns"`` form of a pair (:func:`model`); returns the next free column."""
    ai, aj = np.nonzero(mask)  # indices among the valid slots of i and j
    cols = start + np.arange(ai.size)
    sides = ((ai, p.i), (aj, p.j))
    for side, issue in sides:  # Σ w − y = 0 per slot with a partner
        targets = np.unique(side)
        where = np.searchsorted(targets, side)
        rows.add(np.concatenate([where, np.arange(targets.size)]),
                 np.concatenate([cols, own[issue][targets]]),
                 np.concatenate([np.ones(cols.size), -np.ones(targets.size)]),
                 np.zeros(targets.size), np.zeros(targets.size))
    for side, issue in sides:  # a slot with no allowed partner can never be chosen
        lonely = np.setdiff1d(np.arange(own[issue].size), side)
        if lonely.size:
            rows.add(np.arange(lonely.size), own[issue][lonely], np.ones(lonely.size),
                     np.zeros(lonely.size), np.zeros(lonely.size))
    blocks.append(q[ai, aj])
    lbs.append(np.zeros(ai.size))
    ubs.append(np.ones(ai.size))
    return start + ai.size


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """HiGHS (scipy 1.17) prints a debug line ("HighsMipSolverData::transformNewInteger...")
    straight to file descriptor 1, which would corrupt ``--format json`` output: point fd 1
    at /dev/null while it runs."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # captured or replaced stdout: nothing to do
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def _solve(c: np.ndarray, constraints: list[LinearConstraint], integrality: np.ndarray,
           lower: np.ndarray, upper: np.ndarray, what: str) -> tuple[np.ndarray, float] | None:
    """Solve a maximisation (``c`` is maximised); None when infeasible."""
    with _quiet_stdout():
        res = milp(-c, constraints=constraints, integrality=integrality,
                   bounds=Bounds(lower, upper),
                   options={"mip_rel_gap": 0.0, "time_limit": TIME_LIMIT, "presolve": True})
    if res.status == 2:  # infeasible (of a *relaxed* zone: truly no acceptable package)
        return None
    if res.status != 0 or res.x is None:
        raise _failed(what, str(res.message))
    bound = getattr(res, "mip_dual_bound", None)
    bound = -float(bound) if bound is not None and np.isfinite(bound) else -float(res.fun)
    return np.asarray(res.x), bound


def _zone_rows(m: _Model, extra: int) -> LinearConstraint:
    """g_a(y) ≥ GAIN_TOLERANCE − RELAXATION for every party (scaled)."""
    rows = np.concatenate([m.gains, np.zeros((m.gains.shape[0], extra))], axis=1)
    return LinearConstraint(ROW_SCALE * rows, ROW_SCALE * (GAIN_TOLERANCE * m.scale - RELAXATION),
                            np.inf)


def max_min(m: _Model, top: int = 1, max_changes: int | None = None,
            zone_only: bool = True) -> Found:
    """The ``top`` packages of the zone with the largest smallest party gain.

    With ``zone_only=False`` and ``top=1``: the package with the largest smallest gain
    whether or not it is in the zone (the zone test).
    """
    n, a = m.n, m.gains.shape[0]
    if a == 0:  # a min over no party is +inf: no package scores (as in brute force)
        return _result(m, [], [])
    integrality = m.integrality(1)
    # z within every package's smallest gain (pair terms included), so the bound never
    # decides between packages and never empties the program.
    bound_z = m.z_bound()
    lower, upper = m.bounds([-bound_z], [bound_z])
    c = np.concatenate([np.zeros(n), [OBJECTIVE_SCALE]])
    link = LinearConstraint(ROW_SCALE * np.concatenate([-m.gains, np.ones((a, 1))], axis=1),
                            -np.inf, 0.0)
    found_slots: list[np.ndarray] = []
    found_score: list[float] = []
    rejected = 0
    while len(found_slots) < top:
        constraints = [m.structure(1), link, *m.nogood_rows(1),
                       *m.changes_row(1, max_changes)]
        if zone_only:
            constraints.append(_zone_rows(m, 1))
        out = _solve(c, constraints, integrality, lower, upper, "the max-min package")
        if out is None:
            break
        slots = m.slots(out[0])
        gains = m.exact(slots)
        m.nogood.append(m.columns(slots))
        if (zone_only and not m.in_zone(gains)) or not m.keeps_rules(slots):
            rejected += 1  # inside the relaxation only (or a rule broken): not acceptable
            if rejected > MAX_ROUNDS:
                raise _failed("the max-min package", "too many near-zero packages")
            continue
        found_slots.append(slots)
        found_score.append(float(np.min(np.where(m.must, gains, np.inf))))
        if not zone_only:
            break
    return _result(m, found_slots, found_score)


def _result(m: _Model, slots: list[np.ndarray], score: list[float], gap: float = 0.0
            ) -> Found:
    s = np.array(slots, dtype=np.int64).reshape(len(slots), m.n_issues)
    v = np.array(score, dtype=float)
    order = np.argsort(-v, kind="stable")  # exact scores decide the order of near-ties
    return Found(s[order], v[order], gap)


def zone_test(m: _Model, floor: float = -math.inf,
              witness: list[np.ndarray] | None = None) -> bool | None:
    """Whether the zone is non-empty: True/False when the max-min MILP decides it, None
    when its optimum lies within HiGHS's tolerances of the threshold (then the caller uses
    an exact method). ``floor``: the smallest party gain (unscaled) of some known package
    that keeps the rules, a lower bound of the optimum that starts the MILP's bound there
    (a warm start). ``witness``: where given, the slots of the acceptable package that
    proved a True are appended to it."""
    if m.gains.shape[0] == 0:
        # Nobody must agree: the zone is every package that keeps the rules, which may be
        # none (two rules that leave an issue no candidate value), not every package.
        return m.has_package()
    # A party whose best achievable gain is ≤ 0 empties the zone without a MILP.
    if m.hopeless():
        return False
    n, a = m.n, m.gains.shape[0]
    integrality = m.integrality(1)
    bound_z = m.z_bound()
    # The optimum is at least the known package's smallest gain; FLOOR_SLACK keeps
    # rounding of that package's sum from cutting off the package itself.
    low_z = max(-bound_z, floor * m.scale - FLOOR_SLACK) if math.isfinite(floor) else -bound_z
    lower, upper = m.bounds([low_z], [bound_z])
    c = np.concatenate([np.zeros(n), [OBJECTIVE_SCALE]])
    link = LinearConstraint(ROW_SCALE * np.concatenate([-m.gains, np.ones((a, 1))], axis=1),
                            -np.inf, 0.0)
    out = _solve(c, [m.structure(1), link], integrality, lower, upper, "the zone test")
    if out is None:
        # z is bounded by every package's smallest gain, so only the rules (no package
        # keeps them all) or a floor that no package reaches can leave no solution: the
        # floor is a caller's claim, so decide again without it rather than trust it.
        return zone_test(m, witness=witness) if math.isfinite(floor) else False
    slots = m.slots(out[0])
    if m.acceptable(slots):
        if witness is not None:
            witness.append(slots)
        return True  # a certificate: this package keeps the rules and is acceptable, exactly
    if out[1] / OBJECTIVE_SCALE < GAIN_TOLERANCE * m.scale - RELAXATION:
        return False  # even the dual bound leaves some party without a gain
    return None


def _tangents(m: _Model, t_index: np.ndarray, points: list[list[float]], extra: int
              ) -> LinearConstraint | None:
    """t_a − g_a(y)/ĝ ≤ log ĝ − 1 (the tangent of log at ĝ) for every tangent point ĝ of
    every weighted party a."""
    rows, ub = [], []
    for p, pts in enumerate(points):
        for g in pts:
            row = np.zeros(m.n + extra)
            row[: m.n] = -m.gains[t_index[p]] / g
            row[m.n + p] = 1.0
            # times ROW_SCALE·min(1, ĝ): coefficients stay ≤ 1e3 and t_a's slack ≤ 1e-6
            factor = ROW_SCALE * min(1.0, g)
            rows.append(factor * row)
            ub.append(factor * (math.log(g) - 1.0))
    if not rows:
        return None
    return LinearConstraint(np.array(rows), -np.inf, np.array(ub))


def _local_nash(m: _Model) -> np.ndarray | None:
    """Gains [A_party] (unscaled, exact) of a good acceptable package found by coordinate
    ascent on the gain table, or None: one issue at a time takes its best value given the
    others, first for the smallest party gain until every party gains, then for the Nash
    product, until no single issue improves it. Only a place for the first tangents
    (any tangent is a valid cut): it decides nothing by itself."""
    own = [m.slot_of[m.issue_of == k] for k in range(m.n_issues)]
    party = np.nonzero(m.must)[0]
    if not party.size:
        return None
    w = m.weights[party]
    x = np.array([o[0] for o in own])  # slot 0 (the status quo) where it is valid

    def candidates(k: int) -> tuple[np.ndarray, np.ndarray]:
        """Gains [O_k, A_party] of every value of issue k, the others as in x, and
        whether each keeps the rules."""
        base = m.exact(x)[party] - m.raw[k, x[k]][party]
        ok = np.ones(own[k].size, dtype=bool)
        g = base[None, :] + m.raw[k, own[k]][:, party]
        for p in m.pairs:
            if k == p.i:
                g += p.gains[own[k], x[p.j]][:, party] - p.gains[x[k], x[p.j]][party]
                ok &= p.allowed[own[k], x[p.j]]
            elif k == p.j:
                g += p.gains[x[p.i], own[k]][:, party] - p.gains[x[p.i], x[k]][party]
                ok &= p.allowed[x[p.i], own[k]]
        return g, ok

    for nash in (False, True):
        for _ in range(MAX_SWEEPS):
            moved = False
            for k in range(m.n_issues):
                g, ok = candidates(k)
                if nash:
                    score = np.where(np.all(g > GAIN_TOLERANCE, axis=1) & ok,
                                     np.log(np.maximum(g, GAIN_TOLERANCE)) @ w, -np.inf)
                else:
                    score = np.where(ok, g.min(axis=1), -np.inf)
                best = int(np.argmax(score))
                current = int(np.nonzero(own[k] == x[k])[0][0])
                if score[best] > score[current] + 1e-12:
                    x[k] = own[k][best]
                    moved = True
            if not moved:
                break
        if not m.acceptable(x):
            return None
    return m.exact(x)[party]


def best_nash(m: _Model, top: int = 1, max_changes: int | None = None) -> Found:
    """The ``top`` packages of the zone with the largest Nash product, by outer
    approximation (module docstring); the first within :data:`NASH_GAP` of the optimum,
    each next one within it of the best package not yet found."""
    party_w = m.weights[m.must]
    weighted = np.nonzero(party_w > 0)[0]  # rows of m.gains with a Nash exponent
    n, p = m.n, weighted.size
    if m.hopeless():
        return _result(m, [], [])
    best = m.best_gains()
    floor = max(GAIN_TOLERANCE * m.scale, 1e-12)
    # Initial tangents spread geometrically over each party's achievable range, so the
    # first MILP is already bounded and close; exact ones are added at each incumbent.
    points = [list(np.geomspace(max(best[a] * 1e-3, TANGENT_FLOOR), max(best[a], TANGENT_FLOOR),
                                3)) for a in weighted]
    near = _local_nash(m) if LOCAL_TANGENTS else None
    if near is not None:
        for q, g in enumerate(near[weighted] * m.scale):
            points[q].extend(max(float(g) * f, TANGENT_FLOOR) for f in AROUND)
    seen: set[bytes] = set()
    integrality = m.integrality(p)
    log_low = math.log(floor) - 1.0
    lower, upper = m.bounds(np.full(p, log_low),
                            np.log(np.maximum(best[weighted], floor)) + 1e-9)
    c = np.concatenate([np.zeros(n), OBJECTIVE_SCALE * party_w[weighted]])
    shift = float(party_w.sum()) * math.log(m.scale)  # Σ w log(S g) = Σ w log g + Σ w log S
    found_slots: list[np.ndarray] = []
    found_score: list[float] = []
    first_gap = 0.0
    rounds = 0
    while len(found_slots) < top:
        constraints = [m.structure(p), _zone_rows(m, p), *m.nogood_rows(p),
                       *m.changes_row(p, max_changes)]
        cuts = _tangents(m, weighted, points, p)
        if cuts is not None:
            constraints.append(cuts)
        try:
            out = _solve(c, constraints, integrality, lower, upper, "the best Nash package")
        except MilpFailed as err:
            if "Solve error" in str(err):  # numerical trouble, not a time limit
                raise _NotClosed(str(err)) from None
            raise
        if out is None:
            break
        rounds += 1
        if rounds > MAX_ROUNDS * max(1, top):
            raise _NotClosed("outer approximation did not converge")
        slots = m.slots(out[0])
        gains = m.exact(slots)
        if not m.acceptable(slots):  # let in by the relaxation only: exclude it
            m.nogood.append(m.columns(slots))
            continue
        scaled = gains[m.must][weighted] * m.scale
        value = float(np.sum(party_w[weighted] * np.log(scaled)))
        gap = out[1] / OBJECTIVE_SCALE - value
        if gap > NASH_GAP:
            key = slots.tobytes()
            if key in seen:  # tangents at it are in place: only the floor or tolerance
                raise _NotClosed(f"gap {gap:.2g} did not close")
            seen.add(key)
            for q, g in enumerate(scaled):  # tighten at the incumbent and solve again
                points[q].append(max(float(g), TANGENT_FLOOR))
            continue
        m.nogood.append(m.columns(slots))
        if not found_slots:
            first_gap = max(gap, 0.0)
        found_slots.append(slots)
        found_score.append(value - shift)
    return _result(m, found_slots, found_score, first_gap)


def fewest_changes(m: _Model) -> int | None:
    """A lower bound on the number of issues an acceptable package must move (exact up to
    the relaxation; the caller confirms with :func:`best_nash` under that limit); None when
    no package is acceptable even relaxed."""
    n = m.n
    c = -np.concatenate([m.changed.astype(float), np.zeros(n - m.changed.size)])
    out = _solve(c, [m.structure(0), _zone_rows(m, 0)], m.integrality(0), m.lb, m.ub,
                 "the smallest accord")
    if out is None:
        return None
    return max(0, math.ceil(-out[1] - 1e-6))



# ---------------------------------------------------------------------------------------
# Gain tables (a leading batch axis: one MILP per scenario)
# ---------------------------------------------------------------------------------------


def _models(table: GainTable) -> list[_Model | None]:
    return [model(table.gains[b], table.valid[b], table.changed[b], table.must_agree[b],
                  table.weights[b], [(p.i, p.j, p.gains[b], p.allowed[b]) for p in table.pairs],
                  None if table.offset is None else table.offset[b])
            for b in range(table.batch)]


def zone_exists(table: GainTable, floor: np.ndarray | None = None,
                witness: np.ndarray | None = None) -> np.ndarray:
    """Whether some package makes every party gain, per scenario ``[B]``: the max-min MILP,
    and branch and bound (exact) for a scenario whose optimum lies within HiGHS's
    tolerances of zero. ``floor [B]``: per scenario, the smallest party gain of a known
    package (−inf for none), which bounds each MILP's optimum from below. ``witness
    [B, I]``: where given, the slots of the acceptable package that proved a scenario's
    zone non-empty are written to its row (rows without one are left as they are)."""
    from detente.settlement.search import ENUMERABLE, branch_and_bound

    out = np.zeros(table.batch, dtype=bool)
    undecided = []
    for b, m in enumerate(_models(table)):
        if m is None:
            continue
        proof: list[np.ndarray] = []
        verdict = zone_test(m, -math.inf if floor is None else float(floor[b]), proof)
        if witness is not None and proof:
            witness[b] = proof[0]
        if verdict is None:
            undecided.append(b)
        else:
            out[b] = verdict
    if undecided:  # rare: a zone whose best package barely gains, or barely fails
        rows = np.array(undecided)
        out[rows] = branch_and_bound(table.subset(rows), stop_at_first=True,
                                     max_packages=ENUMERABLE)[0]
    return out


def _bnb(table: GainTable, b: int, objective: Objective, top: int,
         max_changes: int | None) -> Best:
    """Scenario b by branch and bound (exact), where outer approximation cannot certify."""
    from detente.settlement.search import MAX_PACKAGES, branch_and_bound

    # within the default search limit: a refusal (SearchTooLarge) rather than hours
    one = table.subset(np.array([b]))
    _, _, best, order = branch_and_bound(one, objective, top, max_changes,
                                         max_packages=MAX_PACKAGES)
    assert best is not None
    return best.result(one, 0, order)


def best_packages(table: GainTable, objective: Objective = "nash", top: int = 1,
                  max_changes: int | None = None) -> list[Best]:
    """The ``top`` acceptable packages with the highest objective, per scenario (the same
    result as :func:`detente.settlement.search.best_packages`; Nash within
    :data:`NASH_GAP`)."""
    from detente.settlement.search import Best

    results = []
    for b, m in enumerate(_models(table)):
        if m is None:
            found = Found(np.zeros((0, table.n_issues), dtype=np.int64), np.zeros(0))
        elif objective == "nash":
            try:
                found = best_nash(m, top, max_changes)
            except _NotClosed:  # exact instead, for this scenario only
                results.append(_bnb(table, b, "nash", top, max_changes))
                continue
        else:
            found = max_min(m, top, max_changes)
        results.append(Best(found.slots, table.decode(b, found.slots), found.score,
                            table.package_gains(b, found.slots), found.gap))
    return results


def smallest_accords(table: GainTable) -> list[Best]:
    """Per scenario, the acceptable package that moves the fewest issues, the best Nash
    product among those: the fewest-changes MILP gives a lower bound m (exact but for the
    relaxation), then the best Nash package with at most m, m + 1, … changes."""
    from detente.settlement.search import Best

    results = []
    for b, m in enumerate(_models(table)):
        empty = Best(np.zeros((0, table.n_issues), dtype=np.int64),
                     np.zeros((0, table.n_issues)), np.zeros(0),
                     np.zeros((0, table.gains.shape[-1])))
        start = None if m is None else fewest_changes(m)
        best = empty
        if m is not None and start is not None:
            for limit in range(start, table.n_issues + 1):
                m.nogood.clear()
                try:
                    found = best_nash(m, 1, limit)
                except _NotClosed:
                    exact = _bnb(table, b, "nash", 1, limit)
                    found = Found(exact.slots, exact.score)
                if found.score.size:
                    best = Best(found.slots, table.decode(b, found.slots), found.score,
                                table.package_gains(b, found.slots))
                    break
        results.append(best)
    return results


# ---------------------------------------------------------------------------------------
# Per-issue zone ranges
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssueRanges:
    """Per issue, the smallest and largest value (unit scale) that some acceptable package
    gives it: ``low [I]``, ``high [I]``, and the acceptable packages that attain them,
    ``low_slots [I, I]`` and ``high_slots [I, I]`` (row k: slot indices of the package
    that gives issue k its extreme value)."""

    low: np.ndarray
    high: np.ndarray
    low_slots: np.ndarray
    high_slots: np.ndarray


def _extreme_value(m: _Model, values: np.ndarray, issue: int, sign: float) -> np.ndarray | None:
    """Slots of an acceptable package whose value of ``issue`` is the largest (``sign`` 1)
    or smallest (−1): max sign·Σ_o v[issue, o] y[issue, o] over the relaxed zone, each
    answer re-evaluated exactly and cut off by a no-good cut when only the relaxation let
    it in. None when no package is acceptable."""
    own = m.issue_of == issue
    # Unit-scale values differ by at least the grid's spacing; OBJECTIVE_SCALE puts HiGHS's
    # absolute gap (1e-6) far below it. Pair columns (after the one-hot y) cost nothing.
    c = np.zeros(m.n)
    c[: m.n_y] = np.where(own, sign * OBJECTIVE_SCALE * values, 0.0)
    m.nogood.clear()
    for _ in range(MAX_ROUNDS):
        out = _solve(c, [m.structure(0), _zone_rows(m, 0), *m.nogood_rows(0)],
                     m.integrality(0), m.lb, m.ub, "the zone's range of an issue")
        if out is None:
            return None
        slots = m.slots(out[0])
        if m.acceptable(slots):
            return slots
        m.nogood.append(m.columns(slots))
    raise _failed("the zone's range of an issue", "too many near-zero packages")


def zone_ranges(table: GainTable) -> list[IssueRanges | None]:
    """Per scenario, each issue's range over the zone of agreement: the smallest and the
    largest value some acceptable package gives it (None where the zone is empty). Two
    MILPs per issue (docs/settle.md, *Search as a MILP*): the zone constraints with the
    issue's value as the objective, minimised and maximised; every package returned is
    checked with brute force's rule, so the range is exact (every value inside the zone's
    packages, the extremes attained by the packages returned)."""
    results: list[IssueRanges | None] = []
    for b, m in enumerate(_models(table)):
        if m is None or m.hopeless():
            results.append(None)
            continue
        values = table.values[b][m.issue_of, m.slot_of]
        n_issues = table.n_issues
        low, high = np.zeros(n_issues), np.zeros(n_issues)
        low_slots = np.zeros((n_issues, n_issues), dtype=np.int64)
        high_slots = np.zeros((n_issues, n_issues), dtype=np.int64)
        empty = False
        for k in range(n_issues):
            top = _extreme_value(m, values, k, 1.0)
            if top is None:  # no acceptable package at all
                empty = True
                break
            bottom = _extreme_value(m, values, k, -1.0)
            assert bottom is not None  # the zone holds `top`
            high_slots[k], low_slots[k] = top, bottom
            high[k] = table.values[b, k, top[k]]
            low[k] = table.values[b, k, bottom[k]]
        results.append(None if empty else IssueRanges(low, high, low_slots, high_slots))
    return results
