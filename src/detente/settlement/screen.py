"""Zone screening for a batch of scenarios: cheap exact proofs first, search only the rest.

Deciding whether the zone of agreement is empty costs a search per scenario (branch and
bound or a MILP, ~0.1 s each on korea-2017 at step 5). Over a Monte Carlo batch most
scenarios are decided by a vectorised certificate instead (equations: docs/performance.md,
*Zone probability at speed*); every certificate is exact under brute force's own rule
(g_a > GAIN_TOLERANCE for every party, gains summed over issues in issue order):

1. **bound** (the zone is empty): some party's best achievable gain Σ_k max_o H[k, o, a] is
   ≤ GAIN_TOLERANCE, or the Lagrangian bound Σ_k max_o Σ_a λ_a H[k, o, a] / S_a is below 0
   for some weights λ ≥ 0 (S_a > 0 each party's best gain). The second holds because
   min_a g_a / S_a ≤ Σ_a λ_a g_a / S_a for Σ λ = 1, and the right side separates per issue
   (Lagrangian relaxation; Fisher 1981, "The Lagrangian relaxation method for solving
   integer programming problems", Management Science 27(1)).
2. **incumbent** (the zone is non-empty): a package every party gains from, found for all
   scenarios at once: the maximiser of each λ-weighted sum (one argmax per issue), with λ
   moved towards the worst-off party by multiplicative weights (Arora, Hazan & Kale 2012,
   "The multiplicative weights update method", Theory of Computing 8), then improved by
   coordinate ascent on the smallest gain. The package is re-evaluated with brute force's
   sum before it counts as proof.
3. **exact**: the scenarios neither proves are searched exactly: for spaces past
   :data:`~detente.settlement.search.MILP_LIMIT`, branch and bound in groups within a small
   budget, then one MILP each for a group that exhausts it (the MILP's smallest-gain
   variable bounded below by the incumbent's smallest gain: a warm start of its bound);
   smaller spaces by the method ``auto`` picks.

With the settlement mechanisms of issue 16 (pair terms Q[i, j] and rules on issue pairs,
the walk-away offset r: docs/settle.md, *Search with pair terms*) every stage stays exact:
a package's gains are summed as brute force sums them (issues, then pairs, then the
offset) and a package that breaks a rule proves nothing; the bounds add each pair's
largest entry (over every slot pair, allowed or not: a rule only removes packages) and the
offset, so they still bound every package from above; the coordinate ascent moves one
issue at a time on the full gain (each value of the issue with the pair terms it shares
with the other issues' current values, the offset carried along) and never takes a value
that breaks a rule with them. Before it did so it was skipped where pair terms exist, and
61 of 10⁴ korea-2017 samples at step 5 (all with a non-empty zone) went to the exact
search at ~0.3 s each; now the screen decides all of them.

``tests/test_settlement_screen.py`` checks the screened answer against brute force and
branch and bound per scenario on random small problems and on korea-2017, and
``tests/test_settlement_mechanisms.py`` against the itertools reference with mechanisms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detente.settlement.search import (
    MAX_PACKAGES,
    MILP_LIMIT,
    GainTable,
    Method,
    PairTerm,
    chosen_method,
    zone_exists,
)
from detente.settlement.utility import GAIN_TOLERANCE

#: What decided each scenario, in the order the stages run.
STAGES = ("bound", "incumbent", "exact")
BOUND, INCUMBENT, EXACT = range(3)
#: Multiplicative-weights rounds (each one argmax per issue for the undecided scenarios).
LAGRANGE_ROUNDS = 60
#: Coordinate-ascent sweeps over the issues after the Lagrangian rounds.
ASCENT_SWEEPS = 4
#: Weighted-sum packages per undecided scenario that the ascent starts from.
ASCENT_STARTS = 8
#: Ascent starts run at once (bounds memory: each holds its scenario's gain table).
ASCENT_CHUNK = 2048
#: The exact stage past MILP_LIMIT: scenarios per branch-and-bound group, and the
#: expansions per scenario it may spend before the group goes to the MILP (~0.1 s).
EXACT_GROUP = 32
EXACT_BUDGET = 100_000
#: A Lagrangian bound counts as proof of an empty zone only below minus this share of its
#: own magnitude: a margin far above float rounding of a sum of a few dozen terms.
BOUND_MARGIN = 1e-9


@dataclass(frozen=True)
class ZoneScreen:
    """Per scenario: ``exists [B]`` whether the zone is non-empty, ``stage [B]`` which
    stage decided it (an index into :data:`STAGES`), ``witness [B, I]`` slots of an
    acceptable package where the incumbent stage, or a MILP of the exact stage, proved the
    zone non-empty (−1 elsewhere)."""

    exists: np.ndarray
    stage: np.ndarray
    witness: np.ndarray

    def counts(self) -> dict[str, int]:
        """How many scenarios each stage decided."""
        return {name: int(np.count_nonzero(self.stage == k)) for k, name in enumerate(STAGES)}


def exact_gains(table: GainTable, slots: np.ndarray, rows: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """Gains ``[N, A]`` of one package per scenario (``slots [N, I]`` of scenarios ``rows``,
    default all), summed issue by issue from zero, then the pair terms, then the walk-away
    offset, as brute force sums them, and whether every slot is valid and every rule kept
    ``[N]``."""
    batch = np.arange(table.batch) if rows is None else rows
    gains = np.zeros((batch.size, table.gains.shape[-1]))
    valid = np.ones(batch.size, dtype=bool)
    for k in range(table.n_issues):
        gains += table.gains[batch, k, slots[:, k]]
        valid &= table.valid[batch, k, slots[:, k]]
    for pair in table.pairs:
        gains += pair.gains[batch, slots[:, pair.i], slots[:, pair.j]]
        valid &= pair.allowed[batch, slots[:, pair.i], slots[:, pair.j]]
    if table.offset is not None:
        gains += table.offset[batch]
    return gains, valid


def _accepted(gains: np.ndarray, must: np.ndarray) -> np.ndarray:
    return np.all((gains > GAIN_TOLERANCE) | ~must, axis=-1)


def best_party_gains(table: GainTable) -> np.ndarray:
    """An upper bound of each actor's achievable gain ``[B, A]``: Σ_k max over valid slots,
    summed in issue order, plus each pair term's largest entry over valid slot pairs, plus
    the walk-away offset (brute force's order). Rounding is monotone, so no package's
    brute-force sum exceeds it."""
    top = np.where(table.valid[..., None], table.gains, -np.inf).max(axis=2)  # B, I, A
    total = np.zeros((table.batch, table.gains.shape[-1]))
    for k in range(table.n_issues):
        total = total + top[:, k]
    for pair in table.pairs:
        total = total + _pair_top(table, pair)
    if table.offset is not None:
        total = total + table.offset
    return total


def _pair_valid(table: GainTable, pair: PairTerm) -> np.ndarray:
    """Slot pairs ``[B, Oi, Oj]`` of a pair term where both slots exist."""
    return table.valid[:, pair.i, :, None] & table.valid[:, pair.j, None, :]


def _pair_top(table: GainTable, pair: PairTerm) -> np.ndarray:
    """The largest entry ``[B, A]`` of a pair term over valid slot pairs (0 where none)."""
    ok = _pair_valid(table, pair)[..., None]
    top = np.where(ok, pair.gains, -np.inf).max(axis=(1, 2))
    return np.where(np.isfinite(top), top, 0.0)


def _smallest(gains: np.ndarray, must: np.ndarray) -> np.ndarray:
    return np.min(np.where(must, gains, np.inf), axis=-1)


def _ascend(table: GainTable, rows: np.ndarray, starts: np.ndarray, sweeps: int
            ) -> tuple[np.ndarray, np.ndarray]:
    """Coordinate ascent on the smallest party gain from packages ``starts [N, I]`` of
    scenarios ``rows [N]`` (repeats allowed): each issue in turn takes the value that
    maximises the smallest gain given the others, its gain counting the pair terms it
    shares with the others and the walk-away offset, and a value that breaks a rule with
    the others' values never taken. Returns the packages and their smallest gains,
    recomputed with brute force's sum (−inf for a package with an invalid slot or a
    broken rule)."""
    gains = table.gains[rows]  # N, I, O, A
    valid = table.valid[rows]
    must = table.must_agree[rows]
    pick = starts.copy()
    index = np.arange(rows.size)
    penalty = np.where(must, 0.0, np.inf)
    # The running gains carry the offset and every pair term; each step takes out the
    # terms that depend on issue k and adds them back for every value of k.
    current = exact_gains(table, pick, rows)[0]
    for _ in range(sweeps):
        for k in range(table.n_issues):
            rest = current - gains[index, k, pick[:, k]]
            trial = gains[:, k].copy()  # N, O, A
            allowed = valid[:, k].copy()  # N, O
            for pair in table.pairs:
                if pair.i == k:
                    other = pick[:, pair.j]
                    rest -= pair.gains[rows, pick[:, k], other]
                    trial += pair.gains[rows, :, other]
                    allowed &= pair.allowed[rows, :, other]
                elif pair.j == k:
                    other = pick[:, pair.i]
                    rest -= pair.gains[rows, other, pick[:, k]]
                    trial += pair.gains[rows, other, :]
                    allowed &= pair.allowed[rows, other, :]
            trial += rest[:, None, :]
            value = np.where(allowed, (trial + penalty[:, None, :]).min(axis=2), -np.inf)
            # Where no value keeps the rules given the others, the issue stays put (a later
            # issue may free it); the final check below drops what still breaks a rule.
            stuck = ~allowed.any(axis=1)
            pick[:, k] = np.where(stuck, pick[:, k], value.argmax(axis=1))
            current = trial[index, pick[:, k]]
    exact, ok = exact_gains(table, pick, rows)
    return pick, np.where(ok, _smallest(exact, must), -np.inf)


def screen_candidates(table: GainTable, rounds: int = LAGRANGE_ROUNDS,
                      sweeps: int = ASCENT_SWEEPS
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The vectorised stages: (empty [B] proven by a bound, found [B] proven non-empty by a
    package, slots [B, I] the best package tried per scenario by its smallest gain)."""
    batch = table.batch
    must = table.must_agree
    valid = table.valid
    best = best_party_gains(table)
    empty = np.any((best <= GAIN_TOLERANCE) & must, axis=1)
    # A scenario with an issue that has no value at all has no package: left to the search.
    playable = valid.any(axis=2).all(axis=1)
    slots = np.argmax(valid, axis=2)  # the first valid slot of each issue
    gains, ok = exact_gains(table, slots)
    found = ok & _accepted(gains, must) & playable
    score = np.where(ok, _smallest(gains, must), -np.inf)

    # The status quo often scores 0 (nobody loses, nobody gains) and traps the ascent at
    # a tie: the ascent starts from the best weighted-sum package instead.
    start = slots.copy()
    start_score = np.full(batch, -np.inf)
    tried: list[tuple[np.ndarray, np.ndarray]] = []  # (scenarios, weighted-sum packages)
    active = np.nonzero(~empty & ~found & playable)[0]
    if active.size:
        scale = np.where(must[active], best[active], 1.0)  # > GAIN_TOLERANCE for parties
        normal = np.where(valid[active, ..., None],
                          table.gains[active] / scale[:, None, None, :], 0.0)
        weight = must[active] / must[active].sum(axis=1, keepdims=True).clip(min=1)
        for round_ in range(rounds):
            if active.size == 0:
                break
            mixed = np.einsum("bioa,ba->bio", normal, weight)
            mixed = np.where(valid[active], mixed, -np.inf)
            choice = mixed.argmax(axis=2)
            top = np.take_along_axis(mixed, choice[..., None], axis=2)[..., 0]  # B, I
            bound = top.sum(axis=1)
            size = np.abs(top).sum(axis=1)
            # pair terms and the walk-away offset, weighted alike (upper bounds as well)
            for pair in table.pairs:
                ok_p = _pair_valid(table, pair)[active]
                mixed_p = np.einsum("bxya,ba->bxy", pair.gains[active] / scale[:, None, None],
                                    weight)
                top_p = np.where(ok_p, mixed_p, -np.inf).max(axis=(1, 2))
                top_p = np.where(np.isfinite(top_p), top_p, 0.0)
                bound = bound + top_p
                size = size + np.abs(top_p)
            if table.offset is not None:
                off = np.einsum("ba,ba->b", np.where(must[active], table.offset[active], 0.0)
                                / scale, weight)
                bound = bound + off
                size = size + np.abs(off)
            proven_empty = bound < -BOUND_MARGIN * (1.0 + size)
            gains_c, ok_c = exact_gains(table, choice, active)
            tried.append((active, choice))
            small = np.where(ok_c, _smallest(gains_c, must[active]), -np.inf)
            better = small > start_score[active]
            start_score[active[better]] = small[better]
            start[active[better]] = choice[better]
            found[active] |= ok_c & _accepted(gains_c, must[active])
            empty[active] |= proven_empty
            # Move weight to the parties that gain least (relative to what they could).
            relative = np.where(must[active], gains_c / scale, np.inf)
            step = 2.0 / np.sqrt(round_ + 1.0)
            # A sample where no party must agree has no finite entry: its shift is 0.
            lowest = relative.min(axis=1, keepdims=True)
            shift = np.where(must[active], relative - np.where(np.isfinite(lowest), lowest, 0.0),
                             0.0)
            weight = weight * np.exp(-5.0 * step * shift)
            weight = np.where(must[active], weight, 0.0)
            weight /= weight.sum(axis=1, keepdims=True).clip(min=1e-300)
            keep = ~found[active] & ~empty[active]
            active, normal, weight, scale = (active[keep], normal[keep], weight[keep],
                                             scale[keep])

    undecided = ~empty & ~found & playable
    if undecided.any() and sweeps:
        # Coordinate ascent from several weighted-sum packages of an undecided scenario
        # (rounds spread geometrically, the late ones closer to the balance of gains): one
        # start alone often stalls at a tie.
        picked = [tried[r] for r in np.unique(np.geomspace(1, len(tried), ASCENT_STARTS)
                                               .round().astype(int) - 1)] if tried else []
        rows = np.concatenate([r for r, _ in picked] + [np.nonzero(undecided)[0]])
        starts = np.concatenate([c for _, c in picked] + [start[undecided]])
        keep = undecided[rows]
        rows, starts = rows[keep], starts[keep]
        for first in range(0, rows.size, ASCENT_CHUNK):
            part = slice(first, first + ASCENT_CHUNK)
            pick, small = _ascend(table, rows[part], starts[part], sweeps)
            # the best result per scenario (np.maximum.at keeps the largest smallest gain)
            best_small = np.full(batch, -np.inf)
            np.maximum.at(best_small, rows[part], small)
            winner = small >= best_small[rows[part]]
            improve = winner & (small > start_score[rows[part]])
            start[rows[part][improve]] = pick[improve]
            start_score[rows[part][improve]] = small[improve]
        final, ok = exact_gains(table, start)
        found |= undecided & ok & _accepted(final, must)
    # The best package tried per scenario: it bounds the exact search's optimum from below.
    better = start_score > score
    slots[better] = start[better]
    return empty & ~found, found, slots


def _exact_large(table: GainTable, slots: np.ndarray, witness: np.ndarray) -> np.ndarray:
    """The exact stage for spaces past MILP_LIMIT: branch and bound on groups of
    scenarios within a small budget, one MILP each for a group that exhausts it.

    The scenarios the screen leaves are nearly-empty zones, where branch and bound prunes
    at once (korea-2017 step 5 without RU and CN: ~25 ms a scenario, against ~90 ms by
    MILP); a wide zone that escaped the screen can need far more expansions, where the
    MILP is steady. Its smallest-gain variable starts at the best package the screen
    tried (``slots``), a lower bound of its optimum. The acceptable package that proves a
    MILP's answer is written to its row of ``witness`` (branch and bound names none)."""
    from detente.settlement import milp
    from detente.settlement.search import SearchTooLarge, branch_and_bound

    exists = np.zeros(table.batch, dtype=bool)
    for first in range(0, table.batch, EXACT_GROUP):
        rows = np.arange(first, min(first + EXACT_GROUP, table.batch))
        group = table.subset(rows)
        try:
            exists[rows] = branch_and_bound(group, stop_at_first=True,
                                            max_packages=EXACT_BUDGET)[0]
        except SearchTooLarge:
            gains, ok = exact_gains(group, slots[rows])
            floor = np.where(ok, _smallest(gains, group.must_agree), -np.inf)
            found = np.full((rows.size, table.n_issues), -1, dtype=witness.dtype)
            exists[rows] = milp.zone_exists(group, floor, found)
            witness[rows] = found
    return exists


def screened_zone_exists(table: GainTable, method: Method = "auto",
                         max_packages: int = MAX_PACKAGES, rounds: int = LAGRANGE_ROUNDS,
                         sweeps: int = ASCENT_SWEEPS) -> ZoneScreen:
    """Whether the zone is non-empty per scenario, and which stage decided it: the
    vectorised bound and incumbent first, an exact search for the rest (``method`` and
    ``max_packages`` as in :func:`detente.settlement.search.zone_exists`; ``rounds`` and
    ``sweeps`` as in :func:`screen_candidates`: fewer leave more to the exact search)."""
    empty, found, slots = screen_candidates(table, rounds, sweeps)
    exists = found.copy()
    stage = np.full(table.batch, EXACT, dtype=np.int8)
    stage[empty] = BOUND
    stage[found] = INCUMBENT
    rest = np.nonzero(stage == EXACT)[0]
    witness = np.where(found[:, None], slots, -1)
    if rest.size:
        sub = table.subset(rest)
        if method == "auto" and int(sub.space_size.max()) > MILP_LIMIT:
            proofs = witness[rest]
            exists[rest] = _exact_large(sub, slots[rest], proofs)
            witness[rest] = proofs
        else:  # a named method, never "auto" again (zone_exists would screen anew)
            used = chosen_method(sub, method)
            exists[rest] = zone_exists(sub, used, max_packages)
    return ZoneScreen(exists, stage, witness)
