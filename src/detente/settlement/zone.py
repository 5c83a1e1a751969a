"""Per-issue zone of possible agreement (ZOPA) and the efficiency frontier.

**Per-issue zone.** For issue k, the values v of its candidate set for which some package
with x_k = v makes every veto player gain (the zone of agreement of docs/settle.md): the
zone's *range* on k is [min, max] of those values (``gaps`` says whether some value in
between is not in any acceptable package). Exact: each (issue, value) pair is one row of a
batched zone test with the issue fixed to that value, answered by the settlement's exact
searches (brute force, branch and bound or the MILP, whichever ``method`` picks).

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
from dataclasses import dataclass
from typing import Any

import numpy as np

from detente.settlement.problem import SettlementProblem
from detente.settlement.search import (
    BRUTE_FORCE_LIMIT,
    MAX_PACKAGES,
    GainTable,
    Method,
    best_packages,
    brute_force,
    build_table,
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


def _fixed_rows(table: GainTable, rows: list[tuple[int, int]]) -> GainTable:
    """A batch of copies of scenario 0, row r with issue rows[r][0] fixed to slot rows[r][1]."""
    # subset() copies every part of the table (and whatever a newer table carries besides
    # the per-issue gains), so only the slots change here.
    copies = table.subset(np.zeros(len(rows), dtype=int))
    valid = copies.valid.copy()
    for r, (k, o) in enumerate(rows):
        keep = valid[r, k, o]
        valid[r, k, :] = False
        valid[r, k, o] = keep
    return dataclasses.replace(copies, valid=valid, changed=copies.changed & valid,
                               gains=np.where(valid[..., None], copies.gains, 0.0))


def _efficient_ranges(table: GainTable, method: Method, max_packages: int
                      ) -> tuple[np.ndarray | None, bool, int, np.ndarray]:
    """The unit values ``[N, I]`` of the efficient acceptable packages found, whether that is
    every efficient package, how many packages were searched, and the slots ``[M, I]`` of
    every acceptable package seen (witnesses for the zone ranges)."""
    must = table.must_agree[0]
    space = int(table.space_size[0])
    if space <= BRUTE_FORCE_LIMIT:
        best = brute_force(table, "nash", EXACT_EFFICIENT + 1,
                           max_packages=max_packages)[2]
        assert best is not None
        found = best.result(table, 0)
        exact = found.score.size <= EXACT_EFFICIENT
    else:
        found = best_packages(table, "nash", EFFICIENT_TOP, method=method,
                              max_packages=max_packages)[0]
        exact = False
    if not found.found:
        return None, True, int(found.score.size), found.slots
    keep = _pareto(found.gains, must)
    return found.values[keep], exact, int(found.score.size), found.slots


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
                 max_packages: int = MAX_PACKAGES, table: GainTable | None = None
                 ) -> ZoneRanges:
    """Every issue's zone range and efficient range (module docstring); one scenario."""
    arrays = problem.arrays
    if arrays.batch_shape:
        raise ValueError("issue_ranges works on one scenario")
    # Every exact method gives the same ranges; a forced MILP would list the 200 best by
    # no-good cuts (minutes) and solve one MILP per (issue, value): auto's choice instead.
    method = "auto" if method == "milp" else method
    table = table if table is not None else build_table(problem, settings, weighting)  # type: ignore[arg-type]
    rows = [(k, int(o)) for k in range(table.n_issues)
            for o in np.nonzero(table.valid[0, k])[0]]
    efficient, exact, searched, seen = _efficient_ranges(table, method, max_packages)
    # A value taken by an acceptable package already seen needs no search; the others are
    # one batched exact zone test with the issue fixed to the value.
    witnessed = {(k, int(o)) for row in seen for k, o in enumerate(row)}
    todo = [r for r in rows if r not in witnessed]
    answers = zone_exists(_fixed_rows(table, todo), method=method,
                          max_packages=max_packages) if todo else np.zeros(0, dtype=bool)
    tested = dict(zip(todo, (bool(x) for x in answers), strict=True))
    feasible = [True if r in witnessed else tested[r] for r in rows]
    low, high = arrays.scale_low, arrays.scale_high
    out = []
    for k, issue in enumerate(problem.issue_ids):
        mine = [(o, bool(f)) for (kk, o), f in zip(rows, feasible, strict=True) if kk == k]
        units = [float(table.values[0, k, o]) for o, _ in mine]
        values = [float(round(low[k] + u * (high[k] - low[k]), 9)) for u in units]
        order = np.argsort(values, kind="stable")
        eff = None if efficient is None or efficient.shape[0] == 0 else \
            low[k] + efficient[:, k] * (high[k] - low[k])
        out.append(IssueZone(
            issue=issue, name=issue, scale=(float(low[k]), float(high[k])),
            status_quo=float(round(low[k] + arrays.status_quo[k] * (high[k] - low[k]), 9)),
            values=tuple(values[i] for i in order),
            feasible=tuple(mine[i][1] for i in order),
            efficient_min=None if eff is None else float(round(eff.min(), 9)),
            efficient_max=None if eff is None else float(round(eff.max(), 9))))
    return ZoneRanges(tuple(out), exact, searched)


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


__all__ = ["EFFICIENT_TOP", "EXACT_EFFICIENT", "Frontier", "IssueZone", "ZoneRanges",
           "frontier", "issue_ranges"]
