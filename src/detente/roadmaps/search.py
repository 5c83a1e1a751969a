"""Search for roadmaps that hold at every checkpoint, reusing the settlement search.

Every checkpoint quantity of :mod:`detente.roadmaps.model` is a sum over issues of terms
that depend only on that issue's *path* (its values at stages 1 … S). So a roadmap search
is a package search in which each issue's options are its paths and each (checkpoint,
actor) condition is a column: the settlement :class:`~detente.settlement.search.GainTable`
and its exact branch and bound (:func:`~detente.settlement.search.branch_and_bound`) apply
unchanged. The columns, all of which must be > 0 for the parties:

* E^t_a − r_a for every checkpoint t (going on beats reversing to the status quo, or to the
  walk-away point r_a);
* under ``defection="stop"`` also R^t_a for t ≥ 2 (going on beats keeping the banked gains);
* one column per stage counting the issues it moves by at least their minimum move
  (``min_moves``, by default one labelled anchor step: docs/roadmap.md), M·(moves − ½), so
  no stage is empty or a token step. These are constraints, never margins: M is so large
  that a satisfied one is never the smallest column.

The final package's settlement gains g_a(xˢ) − r_a (the roadmap must end in the zone of
agreement) are not columns: they are the same for every roadmap to a final, so they are
computed once per final (:func:`final_gains`) and decide whether that final can hold at
all. As columns they would enter the max-min below, and a final gain smaller than every
checkpoint margin would tie every roadmap to that final at it, whatever its checkpoints.

The objective, the final package's Nash product, depends only on the final package. So the
finals are taken from the settlement search in decreasing Nash order
(:func:`~detente.settlement.search.best_packages`), and for each a path search decides
whether some roadmap reaches it; the first final that has one is the optimum. Among the
roadmaps to that final the search returns the most robust: it maximises the smallest
margin of any party at any checkpoint (the E^t and, under ``stop``, R^t columns), which is
the ``min_margin`` a roadmap is reported with; roadmaps tied on it are ranked by
:func:`_most_robust_first` (order-free), and in brute-force spaces margins the same on every
roadmap to the final are left out of the max-min, where they would tie them all. With
``finals = K`` at most the K best finals are tried: exact when the zone has at most K
packages or an acceptable roadmap is found among them, else a bounded answer (reported as
such).

An issue whose moves nobody can deliver (credibility 0 for every actor) keeps its status
quo, as in the settlement table; its only "move" is straight to a final that demands it.

With mechanisms (verification, links, rules, walk-away points, stakes) a column is no longer
a sum of one-issue terms: an actor's term on an issue also depends on the path of its
verifier or of the issue its link needs. As in the settlement table, the per-issue part is
evaluated with every other issue at its status quo and each tied pair of issues gets an
exact pair term over their paths (:class:`~detente.settlement.search.PairTerm`), with the
rules tying them as a mask (every stage must keep them) and the walk-away points as an
offset on the final and E^t columns; brute force and branch and bound handle all three.

Paths of issue k: with ``monotone`` (the default) a stage never moves an issue back nor
past its final value, so the paths are the non-decreasing sequences of the n_k candidate
values between q_k and the final (inclusive): C(n_k + S − 2, S − 1) paths. Without it any
candidate value may appear at stages 1 … S−1: O_k^{S−1} paths (small spaces only). The
roadmap space is Π_k P_k; brute force costs O(Π_k P_k · C), branch and bound is exact and at
worst the same, usually far less because columns whose upper bound is ≤ 0 prune whole
subtrees.

Near misses: with every margin column shifted by a constant L larger than any deficit,
every roadmap is "acceptable" and the max-min search returns the roadmaps whose smallest
checkpoint margin is largest; their checkpoints with margin ≤ 0 are where and for whom they
break.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from dataclasses import dataclass

import numpy as np

from detente.errors import option_error, option_text
from detente.roadmaps.model import Defection, evaluate_stages, stage_terms
from detente.settlement.mechanisms import pair_keys, rule_allows, walk_away
from detente.settlement.problem import SettlementProblem
from detente.settlement.search import (
    MAX_PACKAGES,
    GainTable,
    Method,
    PairTerm,
    branch_and_bound,
    brute_force,
)
from detente.settlement.utility import (
    GAIN_TOLERANCE,
    Guarantees,
    UtilitySettings,
    acceptable,
    credibility,
    parties,
    require_parties,
)

#: At most this many paths per issue (slot indices are int16 in the settlement search).
MAX_PATHS_PER_ISSUE = 20_000
#: Roadmap spaces up to this size (per final) are enumerated by brute force under "auto".
BRUTE_FORCE_LIMIT = 200_000


def issue_paths(candidates: np.ndarray, start: float, final: float, n_stages: int,
                monotone: bool = True) -> np.ndarray:
    """The paths of one issue from ``start`` to ``final`` in ``n_stages`` stages, ``[P, S]``.

    ``candidates``: the issue's candidate values (unit scale); ``final`` is always allowed.
    Monotone paths use only values between ``start`` and ``final`` and never turn back.
    """
    values = np.unique(np.concatenate([np.asarray(candidates, dtype=float), [final]]))
    if n_stages == 1:
        middle = np.zeros((1, 0))
    elif monotone:
        lo, hi = min(start, final), max(start, final)
        inside = values[(values >= lo - 1e-12) & (values <= hi + 1e-12)]
        inside = inside[np.abs(inside - start) > 1e-12]
        ordered = np.concatenate([[start], inside if final >= start else inside[::-1]])
        combos = np.array(list(itertools.combinations_with_replacement(
            range(ordered.size), n_stages - 1)), dtype=np.int64)
        middle = ordered[combos]
    else:
        values = np.unique(np.concatenate([values, [start]]))
        middle = np.array(list(itertools.product(values, repeat=n_stages - 1)),
                          dtype=float)
    if middle.shape[0] > MAX_PATHS_PER_ISSUE:
        raise option_error("--stages", f"{middle.shape[0]} paths for one issue in "
                           f"{n_stages} stages (limit {MAX_PATHS_PER_ISSUE})",
                           f"use fewer stages, a coarser {option_text('step')}, or monotone "
                           "paths")
    return np.concatenate([middle, np.full((middle.shape[0], 1), final)], axis=1)


@dataclass(frozen=True)
class PathSearch:
    """Per final package (one batch row each): the best paths found.

    ``stages [B][k, S, I]`` unit-scale roadmaps (best first), ``margin [B][k]`` their
    smallest margin of any party at any checkpoint (utility on the unit scale; the
    ``min_margin`` they are reported with; > 0: every party stays throughout),
    ``space [B]`` how many roadmaps reach each final, ``final_gains [B, A]`` each final's
    settlement gains over the walk-away points (the same for every roadmap to it),
    ``in_zone [B]`` whether every party gains from the final (it is in the zone).
    """

    stages: list[np.ndarray]
    margin: list[np.ndarray]
    space: np.ndarray
    final_gains: np.ndarray
    in_zone: np.ndarray

    def acceptable(self, b: int) -> bool:
        """Whether the best roadmap to final b holds: it ends in the zone and every party
        stays at every checkpoint."""
        return bool(self.in_zone[b] and self.margin[b].size and self.margin[b][0] > 0)


def _issue_columns(problem: SettlementProblem, roadmaps: np.ndarray, n_stages: int,
                   settings: UtilitySettings, patience: float, defection: Defection,
                   guarantees: Guarantees) -> np.ndarray:
    """Each issue's share of every margin column for roadmaps ``[N, S, I]``,
    ``[N, C_util, I]``: E^t for every checkpoint, and R^t for t ≥ 2 under ``stop`` (actors
    within each block). Walk-away points are not subtracted. The final settlement gain is
    no column (:func:`final_gains`)."""
    terms = stage_terms(problem.arrays, roadmaps, guarantees, settings, patience,
                        problem.mechanisms)
    n = roadmaps.shape[0]
    cols = [(terms.banked + terms.rest).reshape(n, -1, roadmaps.shape[-1])]
    if defection == "stop":
        cols.append(terms.rest[:, 1:].reshape(n, -1, roadmaps.shape[-1]))
    return np.concatenate(cols, axis=1)


#: Pair-term cells (roadmaps of one pair × columns) evaluated per chunk.
PAIR_CHUNK = 4096
#: The most pair-term cells one path table may hold (paths of i × paths of j × columns,
#: summed over the pairs and finals): about 400 MB of float64.
MAX_PAIR_CELLS = 50_000_000


def deliverable_issues(problem: SettlementProblem, settings: UtilitySettings) -> np.ndarray:
    """Which issues' moves someone can deliver, ``[I]`` bool (unbatched problem).

    As in the settlement table (:func:`~detente.settlement.search.build_table`): a move
    nobody believes (credibility 0 for every actor) cannot be delivered, so it is not on the
    table, and an issue whose status quo is allowed keeps it in every final.
    """
    arrays = problem.arrays
    guarantees = problem.guarantees()
    belief = credibility(arrays.trust, guarantees.deliverers, guarantees.unconditional,
                         settings.correlation)  # A, I
    return np.asarray((belief > 0).any(axis=0), dtype=bool)


def path_options(problem: SettlementProblem, deliverable: np.ndarray) -> list[np.ndarray]:
    """The values (unit scale) each issue's paths may pass on the way to a final: its
    candidates, none for an issue nobody can deliver (``deliverable [I]``,
    :func:`deliverable_issues`), which goes straight to the final."""
    return [problem.unit_candidates(k)[0] if deliverable[k] else np.zeros(0)
            for k in range(problem.arrays.n_issues)]


def final_paths(problem: SettlementProblem, finals: np.ndarray, n_stages: int,
                settings: UtilitySettings, monotone: bool,
                first: np.ndarray | None = None) -> list[list[np.ndarray]]:
    """The paths of every issue to each final ``[B, I]``: ``[B][I] → [P, S]`` (unit scale).

    ``first [I]`` (unit scale): the first stage, fixed: only the paths that start there
    (``--first``); a final none of an issue's paths reaches that way gets no path for it
    (see :func:`reachable`).
    """
    arrays = problem.arrays
    q = arrays.status_quo
    # An issue nobody can deliver may only go straight to the final value the settlement
    # search (or the user's named final) chose: without this a "stage" could consist of
    # empty promises (move there, banked at face value, and back), and roadmaps would reach
    # finals that settle rules out.
    deliverable = deliverable_issues(problem, settings)
    n_final, n_issues = finals.shape
    options = path_options(problem, deliverable)
    paths: list[list[np.ndarray]] = []
    for b in range(n_final):
        row = [issue_paths(options[k], float(q[k]), float(finals[b, k]), n_stages,
                           monotone or not deliverable[k])  # one jump, never back
               for k in range(n_issues)]
        if first is not None:
            row = [p[np.abs(p[:, 0] - first[k]) <= 1e-9] for k, p in enumerate(row)]
        paths.append(row)
    return paths


def reachable(problem: SettlementProblem, finals: np.ndarray, n_stages: int,
              settings: UtilitySettings, monotone: bool, first: np.ndarray
              ) -> tuple[np.ndarray, list[list[np.ndarray]]]:
    """Which finals ``[B, I]`` some roadmap reaches from the fixed first stage ``first [I]``
    (every issue has a path that starts there), ``[B]`` bool, and the paths to those
    reached (:func:`final_paths`), for :func:`search_paths` to search without enumerating
    them again."""
    paths = final_paths(problem, finals, n_stages, settings, monotone, first)
    reached = np.array([all(p.shape[0] for p in row) for row in paths], dtype=bool)
    return reached, [row for row, ok in zip(paths, reached, strict=True) if ok]


def _columns(problem: SettlementProblem, finals: np.ndarray,
             paths: list[list[np.ndarray]], n_stages: int, settings: UtilitySettings,
             patience: float, defection: Defection, guarantees: Guarantees,
             min_moves: np.ndarray | None = None) -> tuple[GainTable, np.ndarray]:
    """The path table of B finals ``[B, I]`` over their ``paths [B][I] → [P, S]``:
    (table, shift L [B])."""
    arrays = problem.arrays
    mech = problem.mechanisms
    n_final, n_issues = finals.shape
    n_actors = arrays.n_actors
    must = parties(arrays)
    q = arrays.status_quo
    if any(p.shape[0] == 0 for row in paths for p in row):
        raise ValueError("a final no roadmap reaches from the fixed first stage: filter the "
                         "finals with reachable() first")
    floor = np.zeros(n_issues) if min_moves is None else np.asarray(min_moves, dtype=float)
    width = max(p.shape[0] for row in paths for p in row)
    stop = defection == "stop"
    n_util = n_actors * (n_stages + (n_stages - 1 if stop else 0))
    n_cols = n_util + n_stages
    keys = pair_keys(mech, arrays.issue_ids, arrays.actor_ids)
    cells = sum(n_final * width * width * n_util for _ in keys)
    if cells > MAX_PAIR_CELLS:
        raise option_error("--stages", f"the roadmap search with the scenario's linked and "
                           f"verified issues needs {cells:.3g} pair terms (limit "
                           f"{MAX_PAIR_CELLS:.3g})", "use fewer stages, a coarser "
                           f"{option_text('step')}, or {option_text('ignore')} the mechanisms "
                           "that tie issues (verification, links, rules)")
    gains = np.zeros((n_final, n_issues, width, n_cols))
    valid = np.zeros((n_final, n_issues, width), dtype=bool)
    values = np.zeros((n_final, n_issues, width))
    changed = np.zeros((n_final, n_issues, width), dtype=bool)
    moves = np.zeros((n_final, n_issues, width, n_stages))
    still = np.broadcast_to(q, (1, n_stages, n_issues))  # every issue at its status quo
    for b in range(n_final):
        for k in range(n_issues):  # one issue at a time: all its paths at once
            p = paths[b][k]
            n = p.shape[0]
            roadmaps = np.repeat(still, n, axis=0)
            roadmaps[:, :, k] = p
            gains[b, k, :n, :n_util] = _issue_columns(
                problem, roadmaps, n_stages, settings, patience, defection, guarantees)[..., k]
            before = np.concatenate([np.full((n, 1), q[k]), p[:, :-1]], axis=1)
            step = np.abs(p - before)
            # A stage counts as moving k only by its minimum move (a token step does not);
            # the tolerance keeps a move of exactly one anchor step on the grid counted.
            moves[b, k, :n] = (step > 1e-12) & (step >= floor[k] - 1e-9)
            valid[b, k, :n] = True
            values[b, k, :n] = p[:, -1]
            changed[b, k, :n] = (step > 1e-12).any(axis=1)
    pairs = tuple(_pair_term(problem, paths, gains[..., :n_util], valid, i, j, n_stages,
                             settings, patience, defection, guarantees, n_cols)
                  for i, j in keys)
    offset = np.zeros((n_final, n_cols))
    if mech.walk_away:  # every E^t column is compared with r, not 0
        r = walk_away(mech, arrays, settings)
        offset[:, :n_actors * n_stages] = -np.tile(r, n_stages)
    # Shift the utility columns so every roadmap is "acceptable" (near misses), then scale
    # the stage counts so that a satisfied one is never the smallest column.
    spread = np.where(valid[..., None], np.abs(gains[..., :n_util]), 0.0).max(axis=2).sum(
        axis=(1, 2))
    for pr in pairs:
        spread += np.abs(pr.gains).max(axis=(1, 2)).sum(axis=-1)
    spread += np.abs(offset).sum(axis=-1)
    shift = spread + 1.0
    gains[:, 0, :, :n_util] += shift[:, None, None]
    big = 4.0 * (2.0 * shift + 1.0)
    gains[..., n_util:] = big[:, None, None, None] * moves
    gains[:, 0, :, n_util:] -= big[:, None, None] / 2
    gains = np.where(valid[..., None], gains, 0.0)
    col_must = np.concatenate([np.tile(must, n_util // n_actors), np.ones(n_stages, bool)])
    must_b = np.broadcast_to(col_must, (n_final, n_cols)).copy()
    weights = np.zeros((n_final, n_cols))  # the path search is max-min: no Nash exponents
    table = GainTable(values, valid, changed, gains, must_b, weights, pairs,
                      offset if mech.walk_away else None)
    return table, shift


def final_gains(problem: SettlementProblem, finals: np.ndarray, n_stages: int,
                settings: UtilitySettings, guarantees: Guarantees) -> np.ndarray:
    """Each final's settlement gains over the walk-away points, ``[B, A]`` (unit scale):
    ``final_gains`` of every roadmap to it, as :func:`~detente.roadmaps.model.evaluate_stages`
    reports them. They depend on the final package and the last stage's deliverers only, so
    the roadmap that stays at the final from stage 1 on stands for every roadmap to it."""
    still = np.repeat(np.asarray(finals, dtype=float)[:, None, :], n_stages, axis=1)
    return evaluate_stages(problem.arrays, still, guarantees, settings,
                           mechanisms=problem.mechanisms).final


def _pair_term(problem: SettlementProblem, paths: list[list[np.ndarray]], single: np.ndarray,
               valid: np.ndarray, i: int, j: int, n_stages: int, settings: UtilitySettings,
               patience: float, defection: Defection, guarantees: Guarantees, n_cols: int
               ) -> PairTerm:
    """The pair term of issues i < j over their paths (docs/settle.md, *Search with pair
    terms*, with paths for options): the columns of both issues with the two paths together,
    less each one's columns with the other at its status quo; ``allowed``: every stage keeps
    the rules tying i and j."""
    arrays = problem.arrays
    mech = problem.mechanisms
    n_final, _, width = valid.shape
    n_util = single.shape[-1]
    q = arrays.status_quo
    term = np.zeros((n_final, width, width, n_cols))
    allowed = np.zeros((n_final, width, width), dtype=bool)
    rules = [r for r in mech.rules
             if {r.when_issue, r.then_issue} == {arrays.issue_ids[i], arrays.issue_ids[j]}]
    for b in range(n_final):
        pi, pj = paths[b][i], paths[b][j]
        ni, nj = pi.shape[0], pj.shape[0]
        left = np.repeat(np.arange(ni), nj)
        right = np.tile(np.arange(nj), ni)
        both = np.zeros((ni * nj, n_util))
        for lo in range(0, ni * nj, PAIR_CHUNK):
            sl = slice(lo, lo + PAIR_CHUNK)
            roadmaps = np.repeat(np.broadcast_to(q, (1, n_stages, q.size)),
                                 left[sl].size, axis=0)
            roadmaps[:, :, i] = pi[left[sl]]
            roadmaps[:, :, j] = pj[right[sl]]
            cols = _issue_columns(problem, roadmaps, n_stages, settings, patience,
                                  defection, guarantees)
            both[sl] = cols[..., i] + cols[..., j]
        both -= single[b, i, left] + single[b, j, right]
        term[b, :ni, :nj, :n_util] = both.reshape(ni, nj, n_util)
        ok = np.ones((ni, nj), dtype=bool)
        for rule in rules:
            xi, xj = pi[:, None, :], pj[None, :, :]  # ni, 1, S and 1, nj, S
            when, then = (xi, xj) if rule.when_issue == arrays.issue_ids[i] else (xj, xi)
            ok &= rule_allows(rule, when, then).all(axis=-1)
        allowed[b, :ni, :nj] = ok
    allowed &= valid[:, i, :, None] & valid[:, j, None, :]
    return PairTerm(i, j, term, allowed)


#: How many of the most robust roadmaps to a final the search keeps to break ties among:
#: past this many tied at every margin, which of them is shown may depend on list order.
TIED_CANDIDATES = 16


def _may_have_left_out_ties(scores: list[np.ndarray], kept: int) -> bool:
    """Whether some final's ``kept`` best roadmaps (their ``scores``, best first) all tie
    on the search's score, so that roadmaps just as good may have been left out (which
    ones follows the list order)."""
    return any(score.size >= kept and score[-1] >= score[0] - GAIN_TOLERANCE
               for score in scores)


def _same_for_every_roadmap(table: GainTable) -> np.ndarray:
    """Which columns ``[B, C]`` take the same value on every roadmap to a final: each
    issue's and each tied pair's share of them is the same on every path."""
    def spread(values: np.ndarray, keep: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        return np.asarray(np.where(keep, values, -np.inf).max(axis=axes)
                          - np.where(keep, values, np.inf).min(axis=axes))

    same = np.all(spread(table.gains, table.valid[..., None], (2,)) <= GAIN_TOLERANCE,
                  axis=1)
    for pair in table.pairs:
        both = table.valid[:, pair.i, :, None] & table.valid[:, pair.j, None, :]
        same &= spread(pair.gains, both[..., None], (1, 2)) <= GAIN_TOLERANCE
    return np.asarray(same, dtype=bool)


def _most_robust_first(problem: SettlementProblem, roadmaps: np.ndarray, margins: np.ndarray,
                       guarantees: Guarantees, settings: UtilitySettings, patience: float,
                       defection: Defection) -> np.ndarray:
    """The order ``[N]`` of roadmaps ``[N, S, I]`` with their margins ``[N, M]``, most robust
    first, by a rule that reads no list order (docs/roadmap.md, *Search*): the larger
    smallest margin; then fewer tempted (actor, checkpoint) pairs; then the larger margins
    from the smallest up (leximin); then the values, issue by issue in the order of the
    issue ids. Margins closer than ``GAIN_TOLERANCE`` tie."""
    if roadmaps.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    tempted = evaluate_stages(problem.arrays, roadmaps, guarantees, settings, patience,
                              defection, mechanisms=problem.mechanisms
                              ).tempted.sum(axis=(-2, -1))
    ascending = np.sort(margins, axis=1)
    ids = problem.arrays.issue_ids
    by_id = sorted(range(len(ids)), key=lambda k: ids[k])
    values = [roadmaps[r][:, by_id].T.tolist() for r in range(roadmaps.shape[0])]

    def compare(r: int, s: int) -> int:
        apart = np.nonzero(np.abs(ascending[r] - ascending[s]) > GAIN_TOLERANCE)[0]
        if apart.size and apart[0] == 0:
            return -1 if ascending[r, 0] > ascending[s, 0] else 1
        if tempted[r] != tempted[s]:
            return -1 if tempted[r] < tempted[s] else 1
        if apart.size:
            return -1 if ascending[r, apart[0]] > ascending[s, apart[0]] else 1
        return 0 if values[r] == values[s] else -1 if values[r] < values[s] else 1

    return np.array(sorted(range(roadmaps.shape[0]), key=functools.cmp_to_key(compare)),
                    dtype=np.int64)


def search_paths(problem: SettlementProblem, finals: np.ndarray, n_stages: int,
                 settings: UtilitySettings, patience: float = 1.0,
                 defection: Defection = "reverse", monotone: bool = True, top: int = 1,
                 method: Method = "auto", max_packages: int = MAX_PACKAGES,
                 min_moves: np.ndarray | None = None, first: np.ndarray | None = None,
                 paths: list[list[np.ndarray]] | None = None) -> PathSearch:
    """The ``top`` most robust roadmaps to each final package ``finals [B, I]`` (unit scale):
    the largest smallest margin of any party at any checkpoint (the final's own gains, the
    same for every roadmap to it, are ``final_gains`` and ``in_zone``, not margins).

    Exact: brute force for small spaces, else the settlement branch and bound on the path
    table (module docstring). ``min_moves [I]`` (unit scale): the least move of issue k that
    makes a stage count as moving it (default: any move). ``first [I]`` (unit scale): the
    first stage, fixed (``--first``): only roadmaps that begin with it; every final must be
    :func:`reachable` from it. ``paths``: the finals' paths when :func:`reachable` has
    enumerated them already (they stand for ``monotone`` and ``first``).
    """
    # Every margin is a party's, and the stage columns must hold for everyone: with no party
    # the max-min would be the stage columns' slack (3L + 2 for the shift L), reported as a
    # utility margin. Refused as settle refuses it (docs/settle.md, *Reservation and veto*).
    require_parties(problem.arrays, "the roadmap search")
    guarantees = Guarantees.stack([problem.guarantees()] * n_stages)
    if paths is None:
        paths = final_paths(problem, finals, n_stages, settings, monotone, first)
    table, shift = _columns(problem, finals, paths, n_stages, settings, patience, defection,
                            guarantees, min_moves)
    n_util = table.must_agree.shape[1] - n_stages
    margin_columns = table.must_agree.copy()
    margin_columns[:, n_util:] = False
    space = table.space_size
    wanted = max(top, TIED_CANDIDATES)
    if method == "brute" or (method == "auto" and int(space.sum()) <= BRUTE_FORCE_LIMIT):
        # A margin that is the same for every roadmap to a final tells none of them apart:
        # left out of the max-min, the search ranks them by the margins that differ (the
        # smallest margin overall is unchanged: min(constant, best varying) is the best of
        # the min). Only here: branch and bound prunes on it (once `wanted` roadmaps tie at
        # it, nothing can beat them), and without it korea-2017 --stages 3 --final P1
        # --without RU ran past 5·10⁷ partial roadmaps.
        same = _same_for_every_roadmap(table) & margin_columns
        varying = margin_columns & ~same
        searched = table if not same.any() else dataclasses.replace(
            table, must_agree=table.must_agree & ~(same & varying.any(axis=1, keepdims=True)))
        best = brute_force(searched, "maxmin", wanted, max_packages=max_packages)[2]
        assert best is not None
        if _may_have_left_out_ties([best.result(table, b).score for b in range(table.batch)],
                                   wanted):
            # every roadmap to a final may tie (all its margins the same on each): rank them
            # all, or the ones kept would be the first few in list order
            best = brute_force(searched, "maxmin", int(space.max()),
                               max_packages=max_packages)[2]
        order = None
    else:
        _, _, best, order = branch_and_bound(table, "maxmin", wanted,
                                             max_packages=max_packages)
    assert best is not None
    stages: list[np.ndarray] = []
    margin: list[np.ndarray] = []
    for b in range(table.batch):
        slots = best.result(table, b, order).slots
        roadmaps = np.stack([np.stack([paths[b][k][slots[r, k]] for k in range(table.n_issues)],
                                      axis=-1) for r in range(slots.shape[0])]) \
            if slots.shape[0] else np.zeros((0, n_stages, table.n_issues))
        margins = table.package_gains(b, slots)[:, margin_columns[b]] - shift[b]
        ranked = _most_robust_first(problem, roadmaps, margins, guarantees, settings,
                                    patience, defection)[:top]
        stages.append(roadmaps[ranked])
        margin.append(margins[ranked].min(axis=1) if margins.shape[1]
                      else np.zeros(ranked.size))
    gains = final_gains(problem, finals, n_stages, settings, guarantees)
    in_zone = acceptable(gains, parties(problem.arrays))
    return PathSearch(stages, margin, space, gains, np.asarray(in_zone, dtype=bool))
