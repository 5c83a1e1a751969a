"""Compiling a validated scenario to the arrays every model reads."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from detente.arrays import Arrays
from detente.render import fmt
from detente.scenario.schema import Scenario


def compile_arrays(s: Scenario) -> Arrays:
    """Compile a valid scenario to arrays on the unit scale (0 = scale low, 1 = scale high).

    An actor with no stance on an issue gets salience 0 there and, so that no model ever
    reads an undefined number, the status quo as a placeholder position (``stake`` marks it).
    """
    n_actors, n_issues = len(s.actors), len(s.issues)
    low = np.array([i.scale.low for i in s.issues], dtype=float)
    high = np.array([i.scale.high for i in s.issues], dtype=float)
    span = high - low
    status_quo = (np.array([i.status_quo.value for i in s.issues]) - low) / span
    position = np.tile(status_quo, (n_actors, 1))
    salience = np.zeros((n_actors, n_issues))
    stake = np.zeros((n_actors, n_issues), dtype=bool)
    issue_index = {iid: k for k, iid in enumerate(s.issue_ids)}
    for a, actor_id in enumerate(s.actor_ids):
        for issue_id, stance in s.stances.get(actor_id, {}).items():
            k = issue_index[issue_id]
            position[a, k] = (stance.position.value - low[k]) / span[k]
            salience[a, k] = stance.salience.value
            stake[a, k] = True
    guarantor_ids = s.guarantor_ids
    trust = np.full((n_actors, len(guarantor_ids)), s.trust_default)
    g_index = {g: k for k, g in enumerate(guarantor_ids)}
    for a, actor_id in enumerate(s.actor_ids):
        trust[a, g_index[actor_id]] = 1.0
        for trusted, m in s.trust.get(actor_id, {}).items():
            trust[a, g_index[trusted]] = m.value
    return Arrays(
        actor_ids=s.actor_ids,
        issue_ids=s.issue_ids,
        guarantor_ids=guarantor_ids,
        capability=np.array([a.capability.value for a in s.actors], dtype=float),
        position=np.clip(position, 0.0, 1.0),
        salience=salience,
        status_quo=np.clip(status_quo, 0.0, 1.0),
        trust=trust,
        stake=stake,
        veto=np.array([a.veto for a in s.actors], dtype=bool),
        scale_low=low,
        scale_high=high,
    )


# ---------------------------------------------------------------------------------------
# Settlement mechanisms (issue 16): verification, links, rules, walk-away points, stakes
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerificationSpec:
    """Issue ``issue`` verifies ``verified``; unit-scale ``none_at`` and ``full_at``;
    ``bands``: (upper end on the unit scale, verifier ids), ascending."""

    issue: str
    verified: tuple[str, ...]
    none_at: float
    full_at: float
    strength: float
    bands: tuple[tuple[float, tuple[str, ...]], ...]


@dataclass(frozen=True)
class LinkSpec:
    """``actor``'s gain on ``issue`` counts in full only once ``needs`` reaches ``target``
    (unit scale); a share ``weight`` of it is lost while the condition is unmet."""

    actor: str
    issue: str
    needs: str
    target: float
    weight: float


@dataclass(frozen=True)
class RuleSpec:
    """A package with ``when_issue`` in [when_low, when_high] must have ``then_issue`` in
    [then_low, then_high] (unit scale, closed; ±inf for an open end)."""

    when_issue: str
    when_low: float
    when_high: float
    then_issue: str
    then_low: float
    then_high: float

    def describe(self, arrays: Arrays | None = None) -> str:
        when = self._side(self.when_low, self.when_high, arrays, self.when_issue)
        then = self._side(self.then_low, self.then_high, arrays, self.then_issue)
        return f"{self.when_issue} {when} requires {self.then_issue} {then}"

    @staticmethod
    def _side(low: float, high: float, arrays: Arrays | None, issue: str) -> str:
        # The bound came back from the unit scale, so it is written as a result (fmt, to the
        # digits its issue's span needs), not echoed: ':g' wrote 1000000.25 as 1e+06.
        def units(v: float) -> str:
            if arrays is None:
                return fmt(v)
            k = arrays.issue_ids.index(issue)
            span = float(arrays.scale_high[k] - arrays.scale_low[k])
            return fmt(float(arrays.scale_low[k] + v * span), span)
        return f"≥ {units(low)}" if math.isfinite(low) else f"≤ {units(high)}"


@dataclass(frozen=True)
class WalkAwaySpec:
    """An actor's walk-away point: a package (issue units, every issue, with each issue's
    deliverers) or a utility level on the unit utility scale (-1..0)."""

    package_id: str | None = None
    values: tuple[float, ...] | None = None
    guarantors: tuple[tuple[str, ...] | None, ...] | None = None
    utility: float | None = None


@dataclass(frozen=True)
class Mechanisms:
    """What a scenario says beyond positions, saliences and trust: which issues verify
    which, linked issues, hard package rules, walk-away points and guarantors' stakes.
    Ids, not indices, so that removing an actor (``--without``) needs no re-indexing: a
    mechanism naming a removed actor drops out where it is applied."""

    verifications: tuple[VerificationSpec, ...] = ()
    links: tuple[LinkSpec, ...] = ()
    rules: tuple[RuleSpec, ...] = ()
    walk_away: tuple[tuple[str, WalkAwaySpec], ...] = ()
    #: (guarantor, issue, cost, outside gain), on the unit utility scale (points / 100).
    stakes: tuple[tuple[str, str, float, float], ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.verifications or self.links or self.rules or self.walk_away
                    or self.stakes)

    @property
    def has_pairs(self) -> bool:
        """Whether some gain depends on two issues at once (or a rule ties two issues)."""
        return bool(self.verifications or self.links or self.rules)

    def without(self, *kinds: str) -> Mechanisms:
        """The same with some kinds removed (``verifications``, ``links``, ...)."""
        return dataclasses.replace(self, **{k: () for k in kinds})

    def without_actors(self, gone: Iterable[str]) -> Mechanisms:
        """The same with actors removed (``--without``): they verify in no band (a band may
        be left with nobody), hold no link, walk-away point or stake, and deliver nothing
        of a walk-away package (an issue all of whose deliverers are gone cannot be
        delivered, as for any package)."""
        out = set(gone)
        if not out:
            return self
        verifications = tuple(dataclasses.replace(v, bands=tuple(
            (up, tuple(g for g in by if g not in out)) for up, by in v.bands))
            for v in self.verifications)
        walk = tuple((a, w if w.guarantors is None else dataclasses.replace(
            w, guarantors=tuple(None if g is None else tuple(x for x in g if x not in out)
                                for g in w.guarantors)))
            for a, w in self.walk_away if a not in out)
        return dataclasses.replace(
            self, verifications=verifications,
            links=tuple(x for x in self.links if x.actor not in out), walk_away=walk,
            stakes=tuple(x for x in self.stakes if x[0] not in out))


def compile_mechanisms(s: Scenario) -> Mechanisms:
    """The settlement mechanisms of a valid scenario, on the unit scale."""
    issues = {i.id: i for i in s.issues}

    def unit(iid: str, value: float) -> float:
        lo, hi = issues[iid].scale.low, issues[iid].scale.high
        return (value - lo) / (hi - lo)

    verifications = []
    for issue in s.issues:
        ver = issue.verifies
        if ver is None:
            continue
        none_at = ver.none_at if ver.none_at is not None else issue.status_quo.value
        verifications.append(VerificationSpec(
            issue=issue.id, verified=tuple(ver.issues), none_at=unit(issue.id, none_at),
            full_at=unit(issue.id, ver.full_at), strength=float(ver.strength.value),
            bands=tuple((unit(issue.id, b.up_to), tuple(b.by)) for b in ver.verifiers)))
    links = tuple(LinkSpec(actor=x.actor, issue=x.issue, needs=x.needs,
                           target=unit(x.needs, x.target), weight=float(x.weight.value))
                  for x in s.links)

    def interval(c: Any) -> tuple[float, float]:
        if c.at_least is not None:
            return unit(c.issue, c.at_least), math.inf
        return -math.inf, unit(c.issue, c.at_most)

    rules = tuple(RuleSpec(r.when.issue, *interval(r.when), r.then.issue, *interval(r.then))
                  for r in s.rules)
    walk: list[tuple[str, WalkAwaySpec]] = []
    for actor in s.actors:
        w = actor.walk_away
        if w is None:
            continue
        if w.utility is not None:
            walk.append((actor.id, WalkAwaySpec(utility=w.utility / 100.0)))
            continue
        p = s.package(str(w.package))
        walk.append((actor.id, WalkAwaySpec(
            package_id=p.id,
            values=tuple(float(p.values[iid].value) if iid in p.values
                         else issues[iid].status_quo.value for iid in s.issue_ids),
            guarantors=tuple(tuple(p.guarantors[iid]) if iid in p.guarantors
                             else (tuple(issues[iid].guarantors) or None)
                             for iid in s.issue_ids))))
    stakes = tuple((g, iid, st.cost.value / 100.0, st.outside_gain.value / 100.0)
                   for g, row in s.stakes.items() for iid, st in row.items())
    return Mechanisms(tuple(verifications), links, rules, tuple(walk), stakes)
