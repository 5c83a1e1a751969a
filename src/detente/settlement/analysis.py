"""Named packages: who gains, who blocks, why, and the smallest change that wins a blocker.

For a package x and a blocker b (a party with gain g_b ≤ 0), moving one issue k to v
changes b's gain by s̃[b,k]·c[b,k]·(|x_k − p_bk|^m − |v − p_bk|^m) (m = 1 or 2). b accepts
once that exceeds the deficit −g_b, i.e. once

    |v − p_bk|^m < |x_k − p_bk|^m + g_b / (s̃[b,k] c[b,k])  =: R,

so b accepts every v in the band p_bk − R^{1/m} < v < p_bk + R^{1/m} (none when R ≤ 0),
clipped to the scale. The threshold v* is the band's end on the side of x_k (the crossing
point from the package's value); the band's other end binds too where it lies inside the
scale: moving past it loses b again. The report gives both ends, the nearest candidate value
inside the band, and who would then block.
"""

from __future__ import annotations

import dataclasses
import decimal
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from detente.render import decimals_apart, fixed_toward, fmt, fmt_decimals, span_decimals, steady
from detente.settlement.mechanisms import (
    broken_rules,
    effective_credibility,
    package_allowed,
    walk_away,
)
from detente.settlement.problem import NamedPackage, SettlementProblem
from detente.settlement.utility import (
    DEFAULT_SETTINGS,
    GAIN_TOLERANCE,
    UtilitySettings,
    credibility,
    nash_product,
    nash_weights,
    package_gains,
    package_issue_gains,
    parties,
    salience_shares,
)

#: Gains are reported in utility points: a package utility lies in [−100, 0].
UTILITY_POINTS = 100.0


def _issue_value(value: float, span: float | None) -> str:
    """A candidate or current value in issue units: ``:g`` (exact for the values people
    write, 1000.25 whole), but never its exponent form, which rounds to six digits
    (123456789 read 1.23457e+08) on a scale of 0 to 1e9, nor fewer decimals than the
    scale's ``span`` needs (1000.184 read 1000.18 on a scale of 1000 to 1000.5);
    :func:`fmt` writes those."""
    text = f"{value:g}"
    decimals = len(text.partition(".")[2])
    return fmt(value, span) if "e" in text or decimals < span_decimals(span) else text


def _threshold(value: float, span: float | None, up: bool, extra: int = 0,
               origin: float = 0.0, slack: float = 0.0, allowance: bool = True) -> str:
    """A band's end in issue units, with the decimals :func:`fmt` writes its distance from
    the scale's low end ``origin`` with on the issue's scale (0.016 on 0 to 0.02, 1000.15 on
    1000 to 1000.5), ``extra`` more, rounded inward, up (``up``, a lower end) or down (an
    upper end): the band [1.63, 8.38] reads "1.7 ≤ ALL ≤ 8.3", each written end a value that
    wins (the nearest, 1.6, does not). One decimal is kept on a whole end of 1 or more: an
    end is a computed crossing point, not a grid value, and the pinned texts write it
    'threshold 20.0'.

    Measured from ``origin``, the digits do not depend on where the scale lies: an end 8
    reads 8.0 on 0 to 10 and 1000008.0 on 1000000 to 1000010 (at that magnitude the
    steadied value had lost the hair the tolerance moves it by, and read one digit more
    than on 0 to 10). ``slack``: how far the gain tolerance moved a closed-form end inward
    of the point where the actor is indifferent (issue units, WinOver.slack); a digit
    within that shift of the indifference point is that point, so an end of 7.99999998
    (indifferent at 8) reads 8.0, not 7.99: the claim then errs by at most the shift, a
    gain the model itself counts as none. Without the ``allowance`` the end is written a
    hair inward, as the tolerance put it (where the indifference point is the value the
    package has now, which the threshold must not read as)."""
    if steady(value) == 0:
        return "0"
    # The indifference point and one shift past it, never past the scale's ends (an end
    # the scan took for the scale's end is that end).
    moved = max(value + (-2.0 if up else 2.0) * slack * allowance, min(value, origin))
    if span is not None:
        moved = min(moved, max(value, origin + span))
    base = decimal.Decimal(repr(float(origin)))
    # Measured from the origin exactly. A scanned end (no slack) is a grid value, steadied
    # where it lies first: its noise far from 0 (1000006.6999999999) is its magnitude's. A
    # closed-form end is not steadied there: at 1e6 that would eat the tolerance's hair.
    offset = float(decimal.Decimal(repr(steady(moved) if slack == 0 else moved)) - base)
    # At the origin itself (an end at the scale's low) the digits add nothing to it.
    decimals = (fmt_decimals(steady(offset), span) if steady(offset) else 0) + extra
    if int(base.as_tuple().exponent) < -decimals:  # an origin the digits cannot add exactly
        base, offset = decimal.Decimal(0), moved
    written = decimal.Decimal(fixed_toward(offset, decimals, up)) + base
    text = f"{written:f}".lstrip("+")
    text = text.rstrip("0").rstrip(".") if "." in text else text
    text = "0" if text in ("-0", "") else text
    return text if abs(value) < 1 or "." in text else f"{text}.0"


def _candidate(value: float, span: float | None, up: bool, extra: int = 0) -> str:
    """A candidate value that stands for a band's end: as :func:`_issue_value` writes it
    where that reads back as the value itself (a grid value or an option, as written);
    else at its decimals, ``extra`` more, rounded inward as :func:`_threshold` rounds
    (``up`` where it is the lower end), so that it reads as a value inside the band."""
    text = _issue_value(value, span)
    if float(text) == steady(value):
        return text
    decimals = len(text.partition(".")[2]) + extra
    text = fixed_toward(value, decimals, up)
    return text.rstrip("0").rstrip(".") if "." in text else text


#: The most decimals a band's sentence adds to keep its ends apart: past a float's 17
#: significant digits more would not part them.
_MAX_EXTRA_DECIMALS = 17


@dataclass(frozen=True)
class WinOver:
    """A single-issue change of a package that makes ``actor`` gain.

    ``threshold``: the value (issue units) past which the actor gains; ``at_least``: whether
    the issue must rise above it (else fall below it); ``far_end``: the other end of the
    band the actor accepts (a loss grows with the distance from its position on either
    side: past this end it blocks again), None where the band reaches the end of the scale;
    ``ends_win``: whether ``threshold`` and ``far_end`` themselves win the actor over
    (scanned grid values, the first and last that win) rather than being where it is
    indifferent (the closed form's ends);
    ``value``: the nearest candidate value inside the band (None when no candidate is);
    ``then_blocking``: the parties that would block the changed package (``actor`` no longer
    among them); ``alone``: where package rules narrow the band, the band (low, high; None:
    the scale's end) the actor accepts by its own gain, of which ``threshold`` and
    ``far_end`` are the part the ``rules`` (described) allow; ``span``: the width of the
    issue's scale, which the sentence writes its numbers against (None: unknown).
    """

    actor: str
    issue: str
    current: float
    threshold: float
    at_least: bool
    value: float | None
    then_blocking: tuple[str, ...]
    far_end: float | None = None
    ends_win: bool = False
    alone: tuple[float | None, float | None] | None = None
    rules: tuple[str, ...] = ()
    # How the sentence writes the numbers, not part of the finding: two scans that find the
    # same change are equal whatever they were told about the scale.
    span: float | None = field(default=None, compare=False)
    #: The scale's low end, which the sentence measures its rounded numbers from (so that
    #: they do not depend on where the scale lies), and how far GAIN_TOLERANCE moved the
    #: closed form's ends inward of where the actor is indifferent (issue units; 0 for
    #: scanned ends, which are values that win): see :func:`_threshold`.
    origin: float = field(default=0.0, compare=False)
    slack: float = field(default=0.0, compare=False)

    @property
    def size(self) -> float:
        return abs(self.threshold - self.current)

    @property
    def low(self) -> float | None:
        """The band's lower end (issue units; None: it reaches the scale's low end)."""
        return self.threshold if self.at_least else self.far_end

    @property
    def high(self) -> float | None:
        """The band's upper end (issue units; None: it reaches the scale's high end)."""
        return self.far_end if self.at_least else self.threshold

    def describe(self) -> str:
        """The band as a condition on the issue: both ends where both bind ("28.0 < A <
        39.5"), the threshold alone where the band reaches the end of the scale; with a
        candidate value, the candidate stands for the threshold's end ("21.7 < B ≤ 70
        (threshold 78.3, now 78.6)").

        Every number the sentence claims wins the actor over: each end is rounded inward
        (:func:`_threshold`), so a strict end (where the actor is indifferent, "<") still
        claims only values past the true end, and an inclusive one (a winning grid value,
        "≤") one at or inside it. The candidate is written as itself where its text reads
        back as it (it wins: it is inside the band), else rounded inward too. Where
        rounding inward would write the ends crossed or alike (a band narrower than the
        digits shown) or the threshold as the current value, each number takes one more
        decimal until they read apart."""
        return self._written()[0]

    @property
    def target_shown(self) -> float:
        """The one value the sentence's condition stands on, as it writes it (the brief's
        'with ALL at 1.7'): the candidate, or the threshold rounded inward."""
        return float(self._written()[1])

    def _written(self) -> tuple[str, str]:
        """The sentence and its number on the threshold's side, with the fewest extra
        decimals that write its numbers apart (describe)."""
        text, near = "", ""
        for extra in range(_MAX_EXTRA_DECIMALS + 1):
            text, near, apart = self._sentence(extra)
            if apart:
                break
        return text, near

    def _sentence(self, extra: int) -> tuple[str, str, bool]:
        """The sentence with ``extra`` decimals on each rounded number, its number on the
        threshold's side, and whether its numbers read apart (describe)."""
        # A candidate value or a scanned end is inside the band (it may be written, ≤); the
        # closed form's ends are where the actor is indifferent (they may not, <).
        near, inclusive = ((_candidate(self.value, self.span, self.at_least, extra), True)
                           if self.value is not None
                           else (_threshold(self.threshold, self.span, self.at_least, extra,
                                            self.origin, self.slack),
                                 self.ends_win))
        apart = True
        if self.far_end is None:
            sign = ("≥" if inclusive else ">") if self.at_least else ("≤" if inclusive else "<")
            condition = f"{self.issue} {sign} {near}"
        else:
            far = _threshold(self.far_end, self.span, not self.at_least, extra, self.origin,
                             self.slack)
            sign, far_sign = "≤" if inclusive else "<", "≤" if self.ends_win else "<"
            low, high = (near, far) if self.at_least else (far, near)
            # Both ends inclusive may name one value (a band of one grid value); else the
            # written band must hold some value.
            apart = float(low) < float(high) or (inclusive and self.ends_win
                                                  and float(low) == float(high))
            condition = (f"{near} {sign} {self.issue} {far_sign} {far}" if self.at_least
                         else f"{far} {far_sign} {self.issue} {sign} {near}")
        text = f"{self.actor} accepts if {condition}"
        current = _issue_value(self.current, self.span)
        threshold = None
        if self.alone is None and self.value is not None:
            threshold = _threshold(self.threshold, self.span, self.at_least, extra,
                                   self.origin, self.slack)
            if float(threshold) == float(current):
                # Indifferent at the current value itself: the tolerance's hair inward is
                # all that tells the threshold from it, so it is written.
                threshold = _threshold(self.threshold, self.span, self.at_least, extra,
                                       self.origin, self.slack, allowance=False)
        if extra:  # as many more decimals as the threshold has: they must read apart
            decimals = len(current.partition(".")[2]) + extra
            current = f"{steady(self.current):.{decimals}f}".rstrip("0").rstrip(".")
        if self.alone is not None:
            # The band's ends here are the rules' bounds, not the actor's: its own band
            # is written apart so that no rule's bound reads as the actor's threshold.
            ruled = "the rule" if len(self.rules) == 1 else "the rules"
            text += (f" ({self.actor} alone: {self._alone_condition(extra)}; the rest breaks "
                     f"{ruled} {', '.join(repr(r) for r in self.rules)}; now {current})")
        elif threshold is not None:
            apart = apart and float(threshold) != float(current)
            text += f" (threshold {threshold}, now {current})"
        return text, near, apart

    def _alone_condition(self, extra: int) -> str:
        """The band the actor accepts by its own gain (``alone``), as a condition: grid
        values that win it over, so its ends are inclusive and rounded inward."""
        assert self.alone is not None
        low, high = self.alone
        lower = None if low is None else _threshold(low, self.span, True, extra, self.origin)
        upper = None if high is None else _threshold(high, self.span, False, extra,
                                                     self.origin)
        if lower is not None and upper is not None:
            return f"{lower} ≤ {self.issue} ≤ {upper}"
        if lower is not None:
            return f"{self.issue} ≥ {lower}"
        if upper is not None:
            return f"{self.issue} ≤ {upper}"
        return f"any {self.issue}"

    def to_dict(self) -> dict[str, Any]:
        return {"actor": self.actor, "issue": self.issue, "current": self.current,
                "threshold": self.threshold, "direction": "at_least" if self.at_least
                else "at_most", "low": self.low, "high": self.high, "value": self.value,
                "then_blocking": list(self.then_blocking),
                "alone": None if self.alone is None
                else {"low": self.alone[0], "high": self.alone[1]},
                "rules": list(self.rules), "text": self.describe()}


@dataclass(frozen=True)
class TrustNeed:
    """The trust in one guarantor that would make a blocker accept a package as it stands.

    ``needed``: the trust (on a 0.001 grid) closest to the current one at which ``actor``
    gains; None when no trust in ``guarantor`` from 0 to 1 wins it over. ``at_least`` is
    False when the actor would accept only if it trusted the guarantor *less* (it loses from
    that guarantor's moves, and distrust discounts losses too).
    """

    actor: str
    guarantor: str
    current: float
    needed: float | None
    at_least: bool = True

    def describe(self) -> str:
        if self.needed is None:
            return f"no trust in {self.guarantor} wins {self.actor} over"
        sign = "≥" if self.at_least else "≤"
        # The grid's 0.001, more where the threshold would read as the trust it has now.
        places = decimals_apart(self.needed, self.current, 3)
        return (f"{self.actor} accepts if its trust in {self.guarantor} {sign} "
                f"{self.needed:.{places}f} (now {self.current:.{places}f})")

    def to_dict(self) -> dict[str, Any]:
        return {"actor": self.actor, "guarantor": self.guarantor, "current": self.current,
                "needed": self.needed, "direction": "at_least" if self.at_least
                else "at_most", "text": self.describe()}


@dataclass(frozen=True)
class PackageAnalysis:
    """One named package: values, each actor's gain (utility points) and its breakdown."""

    id: str
    name: str
    values: dict[str, float]
    specified: tuple[str, ...]
    gains: dict[str, float]
    issue_gains: dict[str, dict[str, float]]
    credibility: dict[str, dict[str, float]]
    accepts: dict[str, bool]
    blockers: tuple[str, ...]
    nash: float
    win_over: dict[str, tuple[WinOver, ...]] = field(default_factory=dict)
    trust_needed: dict[str, tuple[TrustNeed, ...]] = field(default_factory=dict)
    #: Each actor's walk-away point as a gain over the status quo (utility points; only
    #: actors with a stated one). ``gains`` are over these points.
    walk_away: dict[str, float] = field(default_factory=dict)
    #: The scenario's package rules this package breaks (then it is not on the table).
    broken_rules: tuple[str, ...] = ()
    #: Guarantor actors delivering a moved issue: the net stake (outside gain − cost,
    #: utility points) their guarantees carry in this package.
    stakes: dict[str, float] = field(default_factory=dict)
    #: Guarantor actors not better off with their guarantee (gain over the walk-away ≤ 0):
    #: they do not give it; with the outside gain each would need to take part.
    withheld: dict[str, float] = field(default_factory=dict)
    #: Whether the package is the point every gain is measured from (see is_reference).
    reference: bool = False
    #: The issues the package moves that nobody at the table can deliver (every guarantor
    #: named for them is absent): their moves count for nothing.
    undeliverable: tuple[str, ...] = ()

    @property
    def acceptable(self) -> bool:
        return not self.blockers and not self.broken_rules

    @property
    def is_reference(self) -> bool:
        """The point every gain is measured from, not a proposal: the package whose values
        are every actor's walk-away point (the status quo where no walk-away points are
        stated), so that no actor gains or loses anything from it. Nobody "blocks" it, and no
        persuasion plan could make it a deal: it has no win-over or trust scans (``to_dict``
        gives them as null). A package that moves issues nobody at the table can deliver
        gains nobody anything either, but it is a proposal, blocked by every party
        (``undeliverable`` names those issues)."""
        return self.reference

    def why_not(self, actor: str, n: int = 3) -> list[tuple[str, float]]:
        """The issues that cost ``actor`` most in this package (most negative gains first)."""
        costs = sorted(self.issue_gains[actor].items(), key=lambda kv: kv[1])
        return [(k, v) for k, v in costs[:n] if v < 0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "values": self.values,
            "specified": list(self.specified), "acceptable": self.acceptable,
            "gains": self.gains, "accepts": self.accepts, "blockers": list(self.blockers),
            "nash_product": self.nash, "issue_gains": self.issue_gains,
            "credibility": self.credibility, "reference": self.is_reference,
            # Not applicable to the reference (nothing to win anyone over to): null, as
            # docs/json-format.md writes what does not exist.
            "win_over": None if self.is_reference else
            {a: [w.to_dict() for w in ws] for a, ws in self.win_over.items()},
            "trust_needed": None if self.is_reference else
            {a: [t.to_dict() for t in ts] for a, ts in self.trust_needed.items()},
            "walk_away": self.walk_away, "broken_rules": list(self.broken_rules),
            "stakes": self.stakes, "withheld": self.withheld,
            "undeliverable": list(self.undeliverable),
        }


def _candidate_units(problem: SettlementProblem, k: int) -> np.ndarray:
    status_quo = float(problem.arrays.to_units(problem.arrays.status_quo)[k])
    return np.unique(np.array([*problem.candidates[k], status_quo]))


def analyse_packages(problem: SettlementProblem, packages: list[NamedPackage] | None = None,
                     settings: UtilitySettings = DEFAULT_SETTINGS,
                     weighting: str = "capability") -> list[PackageAnalysis]:
    """Analyse named packages of an (unbatched) problem; all of the scenario's by default."""
    arrays = problem.arrays
    if arrays.batch_shape:
        raise ValueError("analyse_packages works on one scenario; use package_gains on batches")
    packages = list(problem.packages if packages is None else packages)
    if not packages:
        return []
    actors, issues = arrays.actor_ids, arrays.issue_ids
    values = problem.package_values(packages)  # P, I
    guarantees = problem.package_guarantees(packages)
    mech = problem.mechanisms
    per_issue = package_issue_gains(arrays, values, guarantees, settings, mech)  # P, A, I
    shares = salience_shares(arrays.salience)
    reservation = walk_away(mech, arrays, settings) if mech.walk_away \
        else np.zeros(arrays.n_actors)
    gains = per_issue.sum(axis=-1) - reservation[None, :]
    if mech.verifications:
        belief = effective_credibility(mech, arrays, values, guarantees, settings)[2]
    else:
        belief = credibility(arrays.trust[None], guarantees.deliverers,
                             guarantees.unconditional, settings.correlation)  # P, A, I
    must = parties(arrays)
    weights = nash_weights(arrays, weighting)  # type: ignore[arg-type]
    stated = {a for a, _ in mech.walk_away}
    walk_away_points = _walk_away_points(problem)
    moved = np.abs(values - arrays.status_quo) > 1e-12  # P, I
    nobody_delivers = ~guarantees.unconditional & ~guarantees.deliverers.any(axis=-1)
    out = []
    for p, package in enumerate(packages):
        accepts = gains[p] > GAIN_TOLERANCE
        blockers = tuple(a for k, a in enumerate(actors) if must[k] and not accepts[k])
        win, needs = {}, {}
        # The reference every gain is measured from (PackageAnalysis.is_reference) is no
        # proposal: every party "blocks" it by definition and no change to it is a fix worth
        # scanning for (the scans cost most of this function on a walk-away package). The
        # gains are asked too: a package at the walk-away values with other guarantors than
        # the walk-away package's is valued as any proposal.
        reference = bool(np.all(np.abs(values[p] - walk_away_points) <= 1e-12)) \
            and nobody_gains(gains[p] * UTILITY_POINTS)
        scanned = () if reference else blockers
        for b_id in scanned:
            b = actors.index(b_id)
            if mech.is_empty:
                win[b_id] = _win_over(problem, package, values[p], settings, b, gains[p, b],
                                      per_issue[p, b], shares[b], belief[p, b])
            else:  # gains no longer separable in closed form: scan each issue's values
                win[b_id] = _win_over_scan(problem, package, values[p], settings, b)
            needs[b_id] = _trust_needed(problem, package, values[p], settings, b)
        stakes, withheld = guarantor_stakes(problem, package, values[p], gains[p],
                                             settings)
        out.append(PackageAnalysis(
            id=package.id, name=package.name, values=dict(package.values),
            specified=package.specified,
            gains={a: float(gains[p, k] * UTILITY_POINTS) for k, a in enumerate(actors)},
            issue_gains={a: {i: float(per_issue[p, k, j] * UTILITY_POINTS)
                             for j, i in enumerate(issues)} for k, a in enumerate(actors)},
            credibility={a: {i: float(belief[p, k, j]) for j, i in enumerate(issues)}
                         for k, a in enumerate(actors)},
            accepts={a: bool(accepts[k]) for k, a in enumerate(actors)},
            blockers=blockers,
            nash=float(nash_product(gains[p], weights) * UTILITY_POINTS),
            win_over=win,
            trust_needed=needs,
            walk_away={a: float(reservation[k] * UTILITY_POINTS)
                       for k, a in enumerate(actors) if a in stated},
            broken_rules=tuple(broken_rules(mech, arrays, values[p])),
            stakes=stakes,
            withheld=withheld,
            reference=reference,
            undeliverable=tuple(issues[k] for k in np.nonzero(moved[p] & nobody_delivers[p])[0]),
        ))
    return out


#: How a blocked proposal is judged closest to passing, in the words every reader of it
#: (the brief, the report) says beside the verdict.
CLOSEST_RULE = "rule-keeping first, then fewest blockers, then the smallest total loss"


def blockers_loss(package: PackageAnalysis) -> float:
    """The total loss (utility points, ≥ 0) of the parties that block ``package``."""
    return sum(max(-package.gains[b], 0.0) for b in package.blockers)


def closest_to_passing(packages: Iterable[PackageAnalysis]) -> PackageAnalysis | None:
    """The blocked proposal closest to passing (:data:`CLOSEST_RULE`): one that keeps the
    scenario's package rules before one that breaks any (winning its blockers over alone
    would not put that one on the table), then the fewest blockers, then the smallest
    total loss among them (to a micro-point: a loss two ways of summing tell apart is one
    loss), then the first listed; None when no proposal is blocked (the reference is no
    proposal)."""
    blocked = [p for p in packages if p.blockers and not p.is_reference]
    return min(blocked, key=lambda p: (bool(p.broken_rules), len(p.blockers),
                                       round(blockers_loss(p), 6)), default=None)


def broken_rules_text(package: PackageAnalysis) -> str:
    """The package rules ``package`` breaks, in the words the brief and the report say
    them ("" where it keeps them all)."""
    if not package.broken_rules:
        return ""
    noun = "rule" if len(package.broken_rules) == 1 else "rules"
    return f"the scenario's {noun} ({'; '.join(package.broken_rules)})"


def guarantor_stakes(problem: SettlementProblem, package: NamedPackage,
                      unit_values: np.ndarray, gains: np.ndarray, settings: UtilitySettings
                      ) -> tuple[dict[str, float], dict[str, float]]:
    """For each actor that delivers a moved issue of the package: the net stake of its
    guarantees (outside gain − cost, utility points), and, for those not better off with
    the package than at their walk-away point, the outside gain they would need (the
    deficit plus nothing more: a gain just above 0 makes an actor take part)."""
    arrays = problem.arrays
    guarantees = problem.guarantees(package.guarantors)
    moved = np.abs(unit_values - arrays.status_quo) > 1e-12
    stakes: dict[str, float] = {}
    withheld: dict[str, float] = {}
    per = {(g, i): outside - cost for g, i, cost, outside in problem.mechanisms.stakes}
    for a, actor in enumerate(arrays.actor_ids):
        delivers = guarantees.deliverers[:, a] & moved & ~guarantees.unconditional
        if not delivers.any():
            continue
        issues = [problem.issue_ids[k] for k in np.nonzero(delivers)[0]]
        stakes[actor] = float(sum(per.get((actor, i), 0.0) for i in issues) * UTILITY_POINTS)
        if gains[a] <= GAIN_TOLERANCE:
            withheld[actor] = float((GAIN_TOLERANCE - gains[a]) * UTILITY_POINTS)
    return stakes, withheld


TRUST_GRID = np.linspace(0.0, 1.0, 1001)
#: A gain (utility points) this close to 0 is none: see PackageAnalysis.is_reference.
REFERENCE_TOLERANCE = 1e-6


def nobody_gains(gains: Iterable[float]) -> bool:
    """Whether no actor gains or loses anything (gains in utility points): true of the
    reference point (PackageAnalysis.is_reference), and of a package whose moves nobody at
    the table can deliver."""
    return all(abs(float(g)) <= REFERENCE_TOLERANCE for g in gains)


def _walk_away_points(problem: SettlementProblem) -> np.ndarray:
    """Each actor's walk-away point as unit-scale values ``[A, I]``: the status quo where the
    scenario states none, NaN (equal to no package) where it is a utility level."""
    arrays = problem.arrays
    points = np.repeat(arrays.status_quo[None], arrays.n_actors, axis=0)
    for actor, spec in problem.mechanisms.walk_away:
        if actor not in arrays.actor_ids:
            continue
        row = arrays.actor_ids.index(actor)
        points[row] = np.nan if spec.values is None else arrays.from_units(spec.values)
    return points


def _trust_needed(problem: SettlementProblem, package: NamedPackage, unit_values: np.ndarray,
                  settings: UtilitySettings, b: int) -> tuple[TrustNeed, ...]:
    """For each guarantor that delivers a moved issue of the package: the trust of b in it
    that would make b gain, everything else as it is (evaluated on a 0.001 grid)."""
    arrays = problem.arrays
    guarantees = problem.guarantees(package.guarantors)
    moved = np.abs(unit_values - arrays.status_quo) > 1e-12
    involved = (guarantees.deliverers & (moved & ~guarantees.unconditional)[:, None]).any(axis=0)
    # Only b's gain is read, and it depends on b's own rows alone (actor_gains): the scan
    # runs on b's row of trust, not on every actor's ([1001, 1, G] instead of [1001, A, G]).
    own = arrays.actor_rows([b])
    out = []
    for g in np.nonzero(involved)[0]:
        if g == b:  # an actor's trust in itself is 1 by definition
            continue
        trust = np.repeat(own.trust[None], TRUST_GRID.size, axis=0)
        trust[:, 0, g] = TRUST_GRID
        varied = own.replace(trust=trust)  # a batch of trust values
        gains = package_gains(varied, unit_values[None], guarantees, settings,
                              problem.mechanisms)[:, 0, 0]
        current = float(arrays.trust[b, g])
        wins = TRUST_GRID[gains > GAIN_TOLERANCE]
        above, below = wins[wins > current], wins[wins < current]
        needed, at_least = None, True
        if above.size:
            needed = float(above.min())
        elif below.size:
            needed, at_least = float(below.max()), False
        out.append(TrustNeed(actor=arrays.actor_ids[b], guarantor=arrays.guarantor_ids[g],
                             current=current, needed=needed, at_least=at_least))
    return tuple(sorted(out, key=lambda t: (t.needed is None, not t.at_least,
                                            abs((t.needed or 0.0) - t.current))))


#: How far past a threshold (share of the issue's scale) a change is evaluated where no
#: candidate lies inside the band (the threshold itself ties), and how near the scale's end
#: a band's far end counts as reaching it.
SCALE_END_NUDGE = 1e-6


def _win_over(problem: SettlementProblem, package: NamedPackage, unit_values: np.ndarray,
              settings: UtilitySettings, b: int, gain: float, issue_gain: np.ndarray,
              share: np.ndarray, belief: np.ndarray) -> tuple[WinOver, ...]:
    """Every single-issue change that wins actor b over, smallest move first.

    Moving issue k toward b's ideal point raises h[b,k] monotonically; b accepts once
    h[b,k](v) > h[b,k](x_k) + deficit =: H. With h = s̃ c_eff (u(v) − u(q)) that is
    |v − p|^m < |q − p|^m − H / (s̃ c_eff), where c_eff = 1 on a loss (H ≤ 0) under
    ``losses="certain"`` and c otherwise: a band of radius R^{1/m} around p, whose end on
    x_k's side is the threshold and whose other end binds where it lies on the scale.
    """
    arrays = problem.arrays
    position = arrays.position[b]
    power = settings.power
    target = issue_gain + (GAIN_TOLERANCE - gain)  # the issue's gain b needs
    belief_eff = np.where((target <= 0) & settings.certain_losses, 1.0, belief)
    slope = share * belief_eff
    base = np.abs(arrays.status_quo - position) ** power
    with np.errstate(divide="ignore", invalid="ignore"):
        room = np.where(slope > 0, base - target / np.where(slope > 0, slope, 1.0), -np.inf)
        # The same band without the tolerance: its ends are where b is indifferent.
        room_indifferent = np.where(
            slope > 0, base - (target - GAIN_TOLERANCE) / np.where(slope > 0, slope, 1.0),
            -np.inf)
    options = []
    for k in np.nonzero(room > 0)[0]:
        radius = room[k] ** (1.0 / power)
        slack = max(float(room_indifferent[k]) ** (1.0 / power) - radius, 0.0)
        side = 1.0 if unit_values[k] >= position[k] else -1.0
        threshold_unit = position[k] + side * radius
        span = arrays.scale_high[k] - arrays.scale_low[k]
        threshold = float(arrays.scale_low[k] + threshold_unit * span)
        far_unit = position[k] - side * radius
        # An end within the scan's nudge of the scale's end is that end, still strict: an
        # actor indifferent at the scale's end had it written a hair inside (GAIN_TOLERANCE:
        # "0.0000003 < FUND"), and "FUND ≤ 90" would claim the end itself, a grid value it
        # does not accept.
        if 0 <= far_unit <= 1:
            far_unit = (0.0 if far_unit < SCALE_END_NUDGE
                        else 1.0 if far_unit > 1 - SCALE_END_NUDGE else far_unit)
        far_end = float(arrays.scale_low[k] + far_unit * span) if 0 <= far_unit <= 1 else None
        candidates = _candidate_units(problem, k)
        unit = (candidates - arrays.scale_low[k]) / span
        inside = np.abs(unit - position[k]) < radius - 1e-12
        candidates = candidates[inside]
        value = None
        if candidates.size:
            current = package.values[problem.issue_ids[k]]
            value = float(candidates[np.argmin(np.abs(candidates - current))])
        options.append((k, threshold, side < 0, value, far_end, slack * span))
    if not options:
        return ()
    # Who blocks after each change (evaluated at the candidate value, or the threshold).
    changed = np.repeat(unit_values[None], len(options), axis=0)
    for row, (k, threshold, at_least, value, _, _) in enumerate(options):
        span = arrays.scale_high[k] - arrays.scale_low[k]
        # no candidate past the threshold: evaluate just past it (the threshold itself ties)
        nudge = SCALE_END_NUDGE * span * (1.0 if at_least else -1.0)
        target = value if value is not None else threshold + nudge
        changed[row, k] = (target - arrays.scale_low[k]) / span
    after = package_issue_gains(arrays, changed, problem.guarantees(package.guarantors),
                                settings).sum(axis=-1)  # n, A
    must = parties(arrays)
    result = []
    for row, (k, threshold, at_least, value, far_end, slack) in enumerate(options):
        blocking = tuple(a for j, a in enumerate(arrays.actor_ids)
                         if must[j] and after[row, j] <= GAIN_TOLERANCE)
        result.append(WinOver(actor=arrays.actor_ids[b], issue=problem.issue_ids[k],
                              current=package.values[problem.issue_ids[k]],
                              threshold=threshold, at_least=at_least, value=value,
                              then_blocking=blocking, far_end=far_end,
                              span=float(arrays.scale_high[k] - arrays.scale_low[k]),
                              origin=float(arrays.scale_low[k]), slack=float(slack)))
    return tuple(sorted(result, key=lambda w: (w.value is None, w.size)))


#: Points per scale a blocker's single-issue win-over is scanned at when the gains are not
#: separable in closed form (verification, links, walk-away points, stakes).
SCAN_POINTS = 1001


def _win_over_scan(problem: SettlementProblem, package: NamedPackage, unit_values: np.ndarray,
                   settings: UtilitySettings, b: int) -> tuple[WinOver, ...]:
    """Every single-issue change that wins actor b over, found by evaluating the full model
    on a 0.1% grid of each issue's scale (and at every candidate value): the threshold is
    the grid value nearest to the package's at which b gains, the value the nearest
    candidate past it on the same side. Changes that break a package rule are skipped."""
    arrays = problem.arrays
    mech = problem.mechanisms
    guarantees = problem.guarantees(package.guarantors)
    must = parties(arrays)
    grid = np.linspace(0.0, 1.0, SCAN_POINTS)
    # the walk-away points do not depend on the package: subtract them once
    reservation = walk_away(mech, arrays, settings) if mech.walk_away \
        else np.zeros(arrays.n_actors)
    plain = dataclasses.replace(mech, walk_away=())
    # b's gain on every trial row reads b's own rows only (actor_gains); every actor's gain
    # is needed on one row per issue (who then blocks), computed for that row alone.
    own = arrays.actor_rows([b])
    result = []
    for k, iid in enumerate(problem.issue_ids):
        span = arrays.scale_high[k] - arrays.scale_low[k]
        current = unit_values[k]
        cands = (_candidate_units(problem, k) - arrays.scale_low[k]) / span
        trial = np.concatenate([grid, cands])
        rows = np.repeat(unit_values[None], trial.size, axis=0)
        rows[:, k] = trial
        mine = package_gains(own, rows, guarantees, settings, plain)[:, 0] - reservation[b]
        accepts = mine > GAIN_TOLERANCE
        wins = accepts & package_allowed(mech, arrays.issue_ids, rows)
        if not wins[: grid.size].any() and not wins[grid.size:].any():
            continue
        on_grid = grid[wins[: grid.size]]
        pool = on_grid if on_grid.size else trial[wins]
        threshold_unit = float(pool[np.argmin(np.abs(pool - current))])
        at_least = threshold_unit >= current
        far_unit = _far_end(wins[: grid.size], grid, threshold_unit, at_least) \
            if on_grid.size else None
        winning = cands[wins[grid.size:]]
        side = winning[(winning >= current) == at_least] if winning.size else winning
        if far_unit is not None:  # a candidate past the band's far end is another band's
            side = side[side <= far_unit] if at_least else side[side >= far_unit]
        value = None
        if side.size:
            v_unit = float(side[np.argmin(np.abs(side - current))])
            value = float(arrays.scale_low[k] + v_unit * span)
            row = np.argmin(np.abs(trial[grid.size:] - v_unit)) + grid.size
        else:
            row = int(np.argmin(np.abs(trial - threshold_unit)))
        gains = package_gains(arrays, rows[row][None], guarantees, settings,
                              plain)[0] - reservation
        blocking = tuple(a for j, a in enumerate(arrays.actor_ids)
                         if must[j] and gains[j] <= GAIN_TOLERANCE)
        alone, rules = (_alone(problem, rows[: grid.size], accepts[: grid.size], grid,
                               threshold_unit, far_unit, at_least)
                        if on_grid.size else (None, ()))

        def units(v: float | None, k: int = k) -> float | None:
            return None if v is None else float(arrays.scale_low[k]
                                                + v * (arrays.scale_high[k] - arrays.scale_low[k]))
        result.append(WinOver(actor=arrays.actor_ids[b], issue=iid,
                              current=package.values[iid],
                              threshold=float(arrays.scale_low[k] + threshold_unit * span),
                              at_least=at_least, value=value, then_blocking=blocking,
                              far_end=units(far_unit), ends_win=True,
                              alone=None if alone is None
                              else (units(alone[0]), units(alone[1])),
                              rules=rules, span=float(span),
                              origin=float(arrays.scale_low[k])))
    return tuple(sorted(result, key=lambda w: (w.value is None, w.size)))


def _alone(problem: SettlementProblem, rows: np.ndarray, accepts: np.ndarray,
           grid: np.ndarray, threshold: float, far_end: float | None, at_least: bool
           ) -> tuple[tuple[float | None, float | None] | None, tuple[str, ...]]:
    """Where the package rules narrow a scanned band: the band (low, high; unit scale, None
    at the scale's end) of ``grid`` values (``rows [G, I]``) the actor ``accepts`` by its own
    gain that holds the rules' band from ``threshold`` to ``far_end``, and the rules
    (described) that rule out some of it; (None, ()) where the rules narrow nothing."""
    near = _far_end(accepts, grid, threshold, not at_least)
    far = _far_end(accepts, grid, threshold, at_least)
    low, high = (near, far) if at_least else (far, near)
    run = accepts & (grid >= (0.0 if low is None else low)) & (
        grid <= (1.0 if high is None else high))
    rules = tuple(broken_rules(problem.mechanisms, problem.arrays, rows[run]))
    if not rules:  # the band is the actor's own
        return None, ()
    return (low, high), rules


def _far_end(wins: np.ndarray, grid: np.ndarray, threshold: float,
             at_least: bool) -> float | None:
    """The last grid value of the run of winning ``grid`` values that starts at ``threshold``
    and leads away from the package's value: the band's other end, None where the run
    reaches the end of the scale (the band is not bounded there)."""
    start = int(np.argmin(np.abs(grid - threshold)))
    ahead = wins[start:] if at_least else wins[start::-1]
    losing = np.nonzero(~ahead)[0]
    if not losing.size:
        return None
    run = int(losing[0]) - 1  # grid steps from the threshold to the run's last winning value
    return float(grid[start + run if at_least else start - run])
