"""Per-issue zone of possible agreement (ZOPA) and the efficiency frontier.

**Per-issue zone.** For issue k, the values v of its candidate set for which some package
with x_k = v makes every veto player gain (the zone of agreement of docs/settle.md): the
zone's *range* on k is [min, max] of those values (``gaps`` says whether some value in
between is not in any acceptable package). Exact, value by value: a value taken by an
acceptable package seen is in it; the rest are decided by group tests, each issue's
undecided values together in one row of a batched zone test with the issue restricted to
them, answered by the settlement's exact searches (brute force, branch and bound or the
MILP, whichever ``method`` picks): a refuted group refutes all its values
(:func:`_feasible_values`). Where only the MILP could list the packages the efficient range
needs, that is refused with its estimate (:func:`_efficient_too_slow`).

**Efficient range.** The values of k in the Pareto-efficient acceptable packages (no
acceptable package gives every party at least as much and one more). Exact when the zone
holds at most :data:`EXACT_EFFICIENT` packages and the space is small enough to enumerate
(every acceptable package is listed and filtered); otherwise taken from the efficient
packages among the :data:`EFFICIENT_TOP` best by Nash product, which is an *inner* range
(every package counted is efficient, but efficient packages further down the Nash order are
not seen) and is reported as such.

**Frontier.** For two parties A and B, the upper-right boundary of {(g_A(x), g_B(x)) : x in
the zone}: for thresholds t on g_A, max g_B subject to x in the zone and g_A(x) > t, found by
the exact search with the Nash objective weighted on B alone (its maximiser maximises g_B)
and A's gain column shifted by t; one batched search for all thresholds.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from detente.errors import Problem, option_place, option_text, switch_text
from detente.settlement.problem import SettlementProblem
from detente.settlement.screen import screen_candidates, screened_zone_exists
from detente.settlement.search import (
    BRUTE_FORCE_LIMIT,
    MAX_PACKAGES,
    TOP_K_BUDGET,
    Best,
    GainTable,
    Method,
    SearchTooLarge,
    _duration,
    best_packages,
    bnb_within_budget,
    build_table,
    chosen_method,
    format_count,
    pareto_efficient,
    zone_exists,
)
from detente.settlement.utility import DEFAULT_SETTINGS, UtilitySettings

#: The efficient range is exact when the zone has at most this many packages.
EXACT_EFFICIENT = 20_000
#: Otherwise it is taken from the efficient packages among this many best by Nash product.
EFFICIENT_TOP = 200
#: Thresholds of the frontier sweep.
FRONTIER_POINTS = 24
#: Log Nash products further apart than this are told apart by every exact search, whatever
#: the float rounding of its sums (~1e-15) and bounds.
SCORES_APART = 1e-9


@dataclass(frozen=True)
class IssueZone:
    """One issue's zone: candidate ``values`` (issue units, the status quo included),
    ``feasible`` whether each appears in some acceptable package; the zone range
    [``zone_min``, ``zone_max``] and the efficient range (None when the zone is empty)."""

    issue: str
    name: str
    scale: tuple[float, float]
    status_quo: float
    values: tuple[float, ...]
    feasible: tuple[bool, ...]
    efficient_min: float | None
    efficient_max: float | None

    @property
    def zone_min(self) -> float | None:
        ok = [v for v, f in zip(self.values, self.feasible, strict=True) if f]
        return min(ok) if ok else None

    @property
    def zone_max(self) -> float | None:
        ok = [v for v, f in zip(self.values, self.feasible, strict=True) if f]
        return max(ok) if ok else None

    @property
    def gaps(self) -> bool:
        """Whether a candidate value inside [zone_min, zone_max] is in no acceptable package."""
        lo, hi = self.zone_min, self.zone_max
        if lo is None or hi is None:
            return False
        return any(lo < v < hi and not f for v, f in zip(self.values, self.feasible,
                                                         strict=True))

    def to_dict(self) -> dict[str, Any]:
        return {"issue": self.issue, "name": self.name, "scale": list(self.scale),
                "status_quo": self.status_quo, "values": list(self.values),
                "feasible": list(self.feasible), "zone_min": self.zone_min,
                "zone_max": self.zone_max, "gaps": self.gaps,
                "efficient_min": self.efficient_min, "efficient_max": self.efficient_max}


@dataclass(frozen=True)
class ZoneRanges:
    """Every issue's zone; ``efficient_exact`` whether the efficient ranges are exact, else
    they come from the efficient packages among ``efficient_searched`` best by Nash."""

    issues: tuple[IssueZone, ...]
    efficient_exact: bool
    efficient_searched: int

    def issue(self, issue_id: str) -> IssueZone:
        for z in self.issues:
            if z.issue == issue_id:
                return z
        raise KeyError(issue_id)

    def to_dict(self) -> dict[str, Any]:
        return {"issues": [z.to_dict() for z in self.issues],
                "efficient_exact": self.efficient_exact,
                "efficient_searched": self.efficient_searched}


def _decide(table: GainTable, method: Method, max_packages: int
            ) -> tuple[np.ndarray, np.ndarray]:
    """Whether each row's zone is non-empty ``[B]``, and the slots ``[B, I]`` of an
    acceptable package where one was found on the way (−1 elsewhere): under ``auto`` the
    screen (exact proofs, its package a witness) and the exact search for the rest, a named
    method searches every row with that method."""
    if method == "auto":
        screen = screened_zone_exists(table, "auto", max_packages)
        return screen.exists, screen.witness
    exists = zone_exists(table, method=method, max_packages=max_packages)
    return exists, np.full((table.batch, table.n_issues), -1, dtype=np.int64)


def _feasible_values(table: GainTable, witnessed: set[tuple[int, int]], method: Method,
                     max_packages: int, issue_begins: Callable[[int], None] | None = None
                     ) -> set[tuple[int, int]]:
    """The (issue, slot) pairs taken by some acceptable package, ``witnessed`` ones known.

    Under ``auto`` each value not yet known is first screened alone (one batched
    :func:`~detente.settlement.screen.screen_candidates`: a bound refutes it, a package
    proves every value it takes, on every issue). The values left are decided by group
    tests, issue by issue (``issue_begins(k)`` as issue k's begin, for a progress line): the
    issue's undecided values together, one row of an exact zone test with the issue
    restricted to them. A group with no acceptable package refutes all of its values at
    once; a package found for a group proves what it takes, on every issue (so a later
    issue has less to test), and the rest are tested again; a group found non-empty
    without a package is halved. Every test is exact, so the answer is the per-value
    test's; the values past the zone's ends, which the screen rarely refutes, cost one
    exact search per issue instead of one each."""
    feasible = set(witnessed)
    refuted: set[tuple[int, int]] = set()
    values = [[int(o) for o in np.nonzero(table.valid[0, k])[0]]
              for k in range(table.n_issues)]
    alone = [(k, o) for k, slots in enumerate(values) for o in slots if (k, o) not in feasible]
    if method == "auto" and alone:
        empty, found, slots = screen_candidates(_restricted(table, [(k, [o]) for k, o in alone]))
        for row in slots[found]:
            feasible.update((k, int(o)) for k, o in enumerate(row))
        refuted = {r for r, out in zip(alone, empty, strict=True) if out}
    for k, slots in enumerate(values):
        if issue_begins is not None:
            issue_begins(k)
        decided = feasible | refuted  # once per issue, not once per value
        left = [o for o in slots if (k, o) not in decided]
        pending = [left] if left else []
        while pending:
            exists, witness = _decide(_restricted(table, [(k, g) for g in pending]), method,
                                      max_packages)
            for row in witness[exists & (witness[:, 0] >= 0)]:
                feasible.update((kk, int(o)) for kk, o in enumerate(row))
            later = []
            for group, found, row in zip(pending, exists, witness, strict=True):
                left = [o for o in group if (k, o) not in feasible]
                if not found or not left:
                    continue  # refuted, or every value proven: decided
                if row[0] < 0 and len(group) == 1:  # the one value tested is in the zone
                    feasible.add((k, group[0]))
                elif row[0] >= 0 or len(left) == 1:  # the rest are tested again
                    later.append(left)
                else:  # non-empty without a package: halve
                    half = len(left) // 2
                    later += [left[:half], left[half:]]
            pending = later
    return feasible


def _restricted(table: GainTable, rows: list[tuple[int, list[int]]]) -> GainTable:
    """A batch of copies of scenario 0, row r with issue rows[r][0] restricted to the slots
    rows[r][1]."""
    # subset() copies every part of the table (and whatever a newer table carries besides
    # the per-issue gains), so only the slots change here.
    copies = table.subset(np.zeros(len(rows), dtype=int))
    valid = copies.valid.copy()
    for r, (k, slots) in enumerate(rows):
        keep = valid[r, k, slots]
        valid[r, k, :] = False
        valid[r, k, slots] = keep
    return dataclasses.replace(copies, valid=valid, changed=copies.changed & valid,
                               gains=np.where(valid[..., None], copies.gains, 0.0))


@dataclass(frozen=True)
class EfficientList:
    """The packages the efficient ranges are read from (:func:`efficient_list`): the unit
    values ``[N, I]`` of the efficient acceptable packages found (None: the zone is empty),
    whether that is every efficient package, and the packages searched, ``by_nash``, best
    by Nash product first, as ``searched_by`` (a :func:`chosen_method`, "milp" for branch
    and bound first) listed them when asked for the ``asked`` best."""

    values: np.ndarray | None
    exact: bool
    by_nash: Best
    asked: int
    searched_by: str

    @property
    def searched(self) -> int:
        """How many packages were searched."""
        return int(self.by_nash.score.size)

    @property
    def seen(self) -> np.ndarray:
        """The slots ``[M, I]`` of every acceptable package seen (witnesses for the zone
        ranges)."""
        return self.by_nash.slots

    def best_by_nash(self, top: int, searched_by: str) -> Best | None:
        """The ``top`` best by Nash product exactly as :func:`listed_by_nash` by
        ``searched_by`` returns them, read from this list where that is certain (settle
        lists them after the zones' list; korea-2017: the 50 best after the 200 best);
        None where the search must run.

        Brute force meets the packages in one order of enumeration whatever ``top``, keeps
        ties in the order met and drops only packages that rank past ``top``: its list of
        the ``top`` best is the first ``top`` of its list of any more. Branch and bound
        prunes against the ``top``-th best found so far, so the order it meets packages in
        depends on ``top``: two packages of one score may come out the other way round, or
        another of a tie at the cut-off may be kept. Its list is read only for the same
        ``top``, or where the first ``top + 1`` scores lie strictly apart: then every exact
        search returns the packages scoring above the (``top`` + 1)-th, in order of score.
        The shorter search is then not run, so its budget is not met: were it to stop there
        where the longer one did not (it prunes against a higher bar, so it is not expected
        to, but its order of expansion differs), the exact list is given where it would
        have given the MILP's best alone, or a refusal.
        """
        if searched_by != self.searched_by or top > self.asked:
            return None
        apart = bool(np.all(np.diff(self.by_nash.score[:top + 1]) < -SCORES_APART))
        if not (searched_by == "brute" or top == self.asked or apart):
            return None
        found = self.by_nash
        return Best(found.slots[:top], found.values[:top], found.score[:top],
                    found.gains[:top], found.gap)


def _ranges_method(method: Method) -> Method:
    """Every exact method gives the same ranges; a forced MILP would list the 200 best by
    no-good cuts (minutes) and solve one MILP per (issue, value): auto's choice instead."""
    return "auto" if method == "milp" else method


def listed_by_nash(table: GainTable, top: int, method: Method, max_packages: int,
                   past_budget: Callable[[], list[Best]]) -> Best:
    """The ``top`` best packages of scenario 0 by Nash product, for a list of them (the
    efficient range, settle's Pareto list). Where ``method`` comes to the MILP, auto's
    choice or forced, branch and bound first (:func:`bnb_within_budget`, within
    :data:`TOP_K_BUDGET`), ``past_budget()`` past it."""
    if chosen_method(table, method) != "milp":
        return best_packages(table, "nash", top, method=method, max_packages=max_packages)[0]
    return bnb_within_budget(partial(best_packages, table, "nash", top, None), TOP_K_BUDGET,
                             max_packages, past_budget)[0]


def efficient_list(table: GainTable, method: Method = "auto",
                   max_packages: int = MAX_PACKAGES,
                   progress: Callable[[str], None] | None = None) -> EfficientList:
    """The efficient acceptable packages of scenario 0 (module docstring), the part of
    :func:`issue_ranges` that may be refused (:func:`_efficient_too_slow`): a caller with
    other searches to run (``settle``) lists them first, so that a refusal comes before
    that work, and hands the list to :func:`issue_ranges`. ``progress(text)`` names the
    step as it begins."""
    method = _ranges_method(method)
    must = table.must_agree[0]
    space = int(table.space_size[0])
    if progress is not None:
        # A space brute force can list is scored whole, not cut at EFFICIENT_TOP.
        progress(f"zones: the best packages by Nash product (all {format_count(space)} "
                 "scored)" if space <= BRUTE_FORCE_LIMIT else
                 f"zones: the {EFFICIENT_TOP} best packages by Nash product")
    if space <= BRUTE_FORCE_LIMIT:
        asked, searched_by = EXACT_EFFICIENT + 1, "brute"
        # through best_packages, as listed_by_nash: its first package is the least moved
        found = best_packages(table, "nash", asked, method="brute",
                              max_packages=max_packages)[0]
        exact = found.score.size <= EXACT_EFFICIENT
    else:
        def refuse() -> list[Best]:
            # Past the budget the MILP would list the 200 one by one, each with a no-good
            # cut per package before it (korea-2017 at step 2%: minutes, silent): refused
            # instead, with the first MILP's time as the estimate.
            raise _efficient_too_slow(table)

        asked, searched_by = EFFICIENT_TOP, chosen_method(table, method)
        found = listed_by_nash(table, asked, method, max_packages, refuse)
        exact = False
    values = found.values[_pareto(found.gains, must)] if found.found else None
    return EfficientList(values, exact or not found.found, found, asked, searched_by)


def _efficient_too_slow(table: GainTable) -> SearchTooLarge:
    """The refusal of an efficient range that only the MILP could list: the time of its
    first package (the best by Nash product) times :data:`EFFICIENT_TOP`, an estimate,
    as the message says (each later MILP carries one more no-good cut, so likely longer,
    but that is not proven)."""
    start = time.perf_counter()
    best_packages(table, "nash", 1, method="milp")
    seconds = time.perf_counter() - start
    return SearchTooLarge([Problem(
        option_place("zones"),
        f"the per-issue zones' efficient ranges need the {EFFICIENT_TOP} best by Nash "
        f"product of {format_count(int(table.space_size[0]))} packages; branch and bound "
        f"stopped at its budget of {format_count(TOP_K_BUDGET)} expansions and the MILP "
        f"lists them one at a time, an estimated {_duration(EFFICIENT_TOP * seconds)} "
        f"({EFFICIENT_TOP} × {seconds:.1f} s, the first one's time; each later one "
        "carries one more cut)",
        f"leave the zones out with {switch_text('zones', on=False)}, use a coarser "
        f"{option_text('step', '5%')}, or search them by branch and bound with "
        f"{option_text('method', 'bnb')} and {option_text('max_packages', 'N')} "
        "(refused with its own estimate past N)")])


def _pareto(gains: np.ndarray, must: np.ndarray, chunk: int = 512) -> np.ndarray:
    """:func:`pareto_efficient` in column chunks, so 20 000 packages fit in memory."""
    if gains.shape[0] <= chunk:
        return pareto_efficient(gains, must)
    g = gains[:, must]
    out = np.ones(g.shape[0], dtype=bool)
    for lo in range(0, g.shape[0], chunk):
        part = g[lo:lo + chunk]
        geq = np.all(g[:, None, :] >= part[None, :, :] - 1e-12, axis=-1)
        gt = np.any(g[:, None, :] > part[None, :, :] + 1e-12, axis=-1)
        out[lo:lo + chunk] = ~np.any(geq & gt, axis=0)
    return out


def issue_ranges(problem: SettlementProblem, settings: UtilitySettings = DEFAULT_SETTINGS,
                 weighting: str = "capability", method: Method = "auto",
                 max_packages: int = MAX_PACKAGES, table: GainTable | None = None,
                 efficient: EfficientList | None = None,
                 progress: Callable[[str], None] | None = None) -> ZoneRanges:
    """Every issue's zone range and efficient range (module docstring); one scenario.
    ``efficient``: the table's :func:`efficient_list` where the caller listed it first;
    ``progress(text)`` names each step as it begins ('zones: issue 3 of 7 (NUC)')."""
    arrays = problem.arrays
    if arrays.batch_shape:
        raise ValueError("issue_ranges works on one scenario")
    method = _ranges_method(method)
    table = table if table is not None else build_table(problem, settings, weighting)  # type: ignore[arg-type]
    rows = [(k, int(o)) for k in range(table.n_issues)
            for o in np.nonzero(table.valid[0, k])[0]]
    if efficient is None:
        efficient = efficient_list(table, method, max_packages, progress)
    # A value taken by an acceptable package already seen needs no search; the others are
    # decided by group tests (_feasible_values).
    witnessed = {(k, int(o)) for row in efficient.seen for k, o in enumerate(row)}
    issue_ids = problem.issue_ids

    def issue_begins(k: int) -> None:
        if progress is not None:
            progress(f"zones: issue {k + 1} of {len(issue_ids)} ({issue_ids[k]})")

    # _feasible_values screens only the values no package seen takes: said where it will.
    if progress is not None and method == "auto" and not witnessed.issuperset(rows):
        progress("zones: screening each value not yet seen")
    known = _feasible_values(table, witnessed, method, max_packages, issue_begins)
    feasible = [r in known for r in rows]
    low, high = arrays.scale_low, arrays.scale_high
    out = []
    for k, issue in enumerate(problem.issue_ids):
        mine = [(o, bool(f)) for (kk, o), f in zip(rows, feasible, strict=True) if kk == k]
        units = [float(table.values[0, k, o]) for o, _ in mine]
        values = [float(round(low[k] + u * (high[k] - low[k]), 9)) for u in units]
        order = np.argsort(values, kind="stable")
        eff = None if efficient.values is None or efficient.values.shape[0] == 0 else \
            low[k] + efficient.values[:, k] * (high[k] - low[k])
        out.append(IssueZone(
            issue=issue, name=issue, scale=(float(low[k]), float(high[k])),
            status_quo=float(round(low[k] + arrays.status_quo[k] * (high[k] - low[k]), 9)),
            values=tuple(values[i] for i in order),
            feasible=tuple(mine[i][1] for i in order),
            efficient_min=None if eff is None else float(round(eff.min(), 9)),
            efficient_max=None if eff is None else float(round(eff.max(), 9))))
    return ZoneRanges(tuple(out), efficient.exact, efficient.searched)


@dataclass(frozen=True)
class Frontier:
    """The efficiency frontier of the zone projected on two parties' gains (utility points):
    ``points [(g_A, g_B)]`` from left to right, each a package in the zone that no package
    of the zone beats on both; ``packages`` their values (issue units)."""

    actors: tuple[str, str]
    points: tuple[tuple[float, float], ...]
    packages: tuple[dict[str, float], ...]

    def to_dict(self) -> dict[str, Any]:
        return {"actors": list(self.actors), "points": [list(p) for p in self.points],
                "packages": list(self.packages)}


def frontier(problem: SettlementProblem, a: str, b: str,
             settings: UtilitySettings = DEFAULT_SETTINGS, weighting: str = "capability",
             method: Method = "auto", max_packages: int = MAX_PACKAGES,
             points: int = FRONTIER_POINTS) -> Frontier:
    """The zone's frontier in (g_a, g_b) (module docstring): exact at each threshold."""
    table = build_table(problem, settings, weighting)  # type: ignore[arg-type]
    actors = list(problem.actor_ids)
    ia, ib = actors.index(a), actors.index(b)
    if not table.must_agree[0, ia] or not table.must_agree[0, ib]:
        raise ValueError(f"{a} and {b} must both be veto players with some salience")
    top_a = best_packages(_weighted(table, ia), "nash", 1, method=method,
                          max_packages=max_packages)[0]
    if not top_a.found:
        return Frontier((a, b), (), ())
    high = float(top_a.gains[0, ia])
    thresholds = np.linspace(0.0, high, points, endpoint=False)
    found = _best_above(table, ib, ia, thresholds, method, max_packages)
    # Lexicographic second pass: among the packages giving B at least that much, the most
    # for A. Without it a tie in g_B could return a package another one beats on g_A.
    rows = [r for r, best in enumerate(found) if best.found]
    floors = np.array([float(found[r].gains[0, ib]) - 2e-9 for r in rows])
    second = _best_above(table, ia, ib, floors, method, max_packages) if rows else []
    pts, pkgs = [], []
    for best in second:
        if not best.found:  # cannot happen: the first pass's package qualifies
            continue
        pts.append((float(best.gains[0, ia] * 100), float(best.gains[0, ib] * 100)))
        units = problem.arrays.to_units(best.values[0])
        pkgs.append({i: float(round(v, 9)) for i, v in zip(problem.issue_ids, units,
                                                          strict=True)})
    # The end best for A, lexicographic as well: among the packages giving A its most, the
    # most for B. top_a alone is any of A's best, and when A is indifferent between them
    # (its gain tied on an issue) it can be one that another of them beats on g_B.
    end = _best_above(table, ib, ia, np.array([high - 2e-9]), method, max_packages)[0]
    pts.append((float(end.gains[0, ia] * 100), float(end.gains[0, ib] * 100)))
    pkgs.append({i: float(round(v, 9)) for i, v in zip(
        problem.issue_ids, problem.arrays.to_units(end.values[0]), strict=True)})
    keep = _front(pts)
    order = sorted(keep, key=lambda r: pts[r][0])
    return Frontier((a, b), tuple(pts[r] for r in order), tuple(pkgs[r] for r in order))


def _best_above(table: GainTable, most: int, floor_of: int, floors: np.ndarray,
                method: Method, max_packages: int) -> list[Any]:
    """Per floor f: the zone package with the largest gain of ``most`` among those with
    g_floor_of > f (true gains returned). Every package takes exactly one slot of issue 0,
    so shifting all of its slots by f shifts g_floor_of by f: the zone rule g − f > 1e-9
    is then g > f (+1e-9)."""
    shifted = _weighted(table, most, n=floors.size)
    gains = shifted.gains.copy()
    shift = np.where(shifted.valid[:, 0, :], floors[:, None], 0.0)
    gains[:, 0, :, floor_of] -= shift
    found = best_packages(dataclasses.replace(shifted, gains=gains), "nash", 1,
                          method=method, max_packages=max_packages)
    out = []
    for f, best in zip(floors, found, strict=True):
        if best.found:
            g = best.gains.copy()
            g[:, floor_of] += f
            best = dataclasses.replace(best, gains=g)
        out.append(best)
    return out


def _weighted(table: GainTable, actor: int, n: int = 1) -> GainTable:
    """``n`` copies of scenario 0 whose Nash objective weighs only ``actor``."""
    weights = np.zeros((n, table.weights.shape[1]))
    weights[:, actor] = 1.0
    return dataclasses.replace(table.subset(np.zeros(n, dtype=int)), weights=weights)


def _front(points: list[tuple[float, float]]) -> list[int]:
    """Indices of the points no other point beats on both coordinates (ties: the first)."""
    keep = []
    for r, (x, y) in enumerate(points):
        beaten = any((x2 >= x - 1e-12 and y2 >= y - 1e-12 and (x2 > x + 1e-12 or y2 > y + 1e-12))
                     for s, (x2, y2) in enumerate(points) if s != r)
        duplicate = any(abs(x2 - x) <= 1e-12 and abs(y2 - y) <= 1e-12
                        for x2, y2 in points[:r])
        if not beaten and not duplicate:
            keep.append(r)
    return keep


__all__ = ["EFFICIENT_TOP", "EXACT_EFFICIENT", "EfficientList", "Frontier", "IssueZone",
           "ZoneRanges", "efficient_list", "frontier", "issue_ranges", "listed_by_nash"]
