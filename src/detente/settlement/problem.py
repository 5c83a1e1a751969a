"""A settlement problem compiled from a scenario, and the counterfactual changes to it.

A :class:`SettlementProblem` holds the arrays, who guarantees each issue, the candidate
values of every issue and the scenario's named packages. A :class:`Variation` (drop an
actor, change a trust value, change who guarantees an issue, fix issue values) maps one
problem to another; :func:`parse_trust`, :func:`parse_guarantor` and :func:`parse_fix` read
the command-line spellings (``KP.RU=0.8``, ``SEC=CN,RU``, ``NUC=50``) with clear errors.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from detente.arrays import Arrays
from detente.errors import OptionError, Problem, option_error
from detente.scenario import Mechanisms, Scenario, compile_mechanisms, did_you_mean
from detente.settlement.utility import Guarantees

#: The one default grid step (issue units) of every package search: settle, contributions,
#: roadmap, sample -m settle, the report and the web (issue 14; settle used 5, the rest 10).
#: Pass a smaller step for a finer, slower search.
DEFAULT_STEP = 10.0
MAX_OPTIONS_PER_ISSUE = 1001


def check_step(step: object, where: str = "--step") -> float:
    """The grid step as a finite float above 0 (default :data:`DEFAULT_STEP`).

    An infinite step would silently shrink every grid to the scale's two ends, and NaN
    compares false with everything; both are refused, as are 0, negatives and non-numbers.
    """
    if step is None:
        return DEFAULT_STEP
    try:
        value = float(step)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = math.nan
    if isinstance(step, bool) or not math.isfinite(value) or value <= 0:
        raise option_error(where, f"the grid step must be a finite number above 0, got "
                           f"{step!r}", "give a positive step in issue units, e.g. --step 5")
    return value


@dataclass(frozen=True)
class NamedPackage:
    """A package named in the scenario: every issue's value in issue units.

    ``specified``: the issues the package sets (the others keep the status quo).
    ``guarantors``: per-issue overrides of who delivers the move.
    """

    id: str
    name: str
    values: dict[str, float]
    specified: tuple[str, ...]
    guarantors: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class SettlementProblem:
    """Everything the package search and the package analysis need, unbatched or batched.

    ``issue_guarantors[k]``: the ids that deliver a move of issue k, or None when the
    scenario names nobody (moves taken at face value). ``candidates[k]``: the values of
    issue k (issue units) a package may take besides the status quo; ``keep_status_quo[k]``
    is False once the issue is fixed to a value. ``steps[k]``: the grid step of issue k
    (None when the scenario lists options), used to round thresholds to the grid.
    """

    scenario_id: str
    arrays: Arrays
    issue_guarantors: tuple[tuple[str, ...] | None, ...]
    candidates: tuple[tuple[float, ...], ...]
    keep_status_quo: tuple[bool, ...]
    steps: tuple[float | None, ...]
    packages: tuple[NamedPackage, ...] = ()
    names: dict[str, str] = field(default_factory=dict)
    #: Verification, links, rules, walk-away points, stakes (issue 16; empty: the plain model).
    mechanisms: Mechanisms = field(default_factory=Mechanisms)

    @classmethod
    def from_scenario(cls, scenario: Scenario, step: float | None = None) -> SettlementProblem:
        """Compile a scenario; ``step`` (issue units) is the grid for issues without options."""
        grid_step = check_step(step)
        candidates: list[tuple[float, ...]] = []
        steps: list[float | None] = []
        for issue in scenario.issues:
            if issue.options:
                values = sorted(set(issue.options))
                steps.append(None)
            else:
                lo, hi = issue.scale.low, issue.scale.high
                ratio = (hi - lo) / grid_step  # inf for a subnormal step: refused below
                n = int(np.floor(ratio + 1e-9)) if math.isfinite(ratio) else None
                if n is None or n + 1 > MAX_OPTIONS_PER_ISSUE:
                    many = "too many" if n is None else str(n + 1)
                    raise option_error("step", f"a step of {grid_step:g} gives {many} values "
                                       f"on {issue.id} ({lo:g} to {hi:g}; at most "
                                       f"{MAX_OPTIONS_PER_ISSUE})",
                                       f"use a step of at least {(hi - lo) / 1000:g}")
                values = [lo + j * grid_step for j in range(n + 1)]
                if hi - values[-1] > 1e-9:
                    values.append(hi)
                steps.append(grid_step)
            candidates.append(tuple(float(v) for v in values))
        status = {i.id: i.status_quo.value for i in scenario.issues}
        packages = tuple(
            NamedPackage(
                id=p.id, name=p.name,
                values={iid: float(p.values[iid].value) if iid in p.values else status[iid]
                        for iid in scenario.issue_ids},
                specified=tuple(iid for iid in scenario.issue_ids if iid in p.values),
                guarantors={k: tuple(v) for k, v in p.guarantors.items()},
            )
            for p in scenario.packages
        )
        names = {x.id: x.name for x in (*scenario.actors, *scenario.institutions,
                                         *scenario.issues)}
        return cls(
            scenario_id=scenario.id,
            arrays=scenario.compile(),
            issue_guarantors=tuple(tuple(i.guarantors) if i.guarantors else None
                                   for i in scenario.issues),
            candidates=tuple(candidates),
            keep_status_quo=tuple(True for _ in scenario.issues),
            steps=tuple(steps),
            packages=packages,
            names=names,
            mechanisms=compile_mechanisms(scenario),
        )

    # --- lookups -------------------------------------------------------------------
    @property
    def issue_ids(self) -> tuple[str, ...]:
        return self.arrays.issue_ids

    @property
    def actor_ids(self) -> tuple[str, ...]:
        return self.arrays.actor_ids

    @property
    def space_size(self) -> int:
        """How many packages the candidate values allow (status quo included)."""
        total = 1
        for k in range(self.arrays.n_issues):
            total *= len(self.unit_candidates(k)[0])
        return total

    def package(self, package_id: str) -> NamedPackage:
        for p in self.packages:
            if p.id == package_id:
                return p
        raise option_error("--package", f"unknown package '{package_id}'",
                           did_you_mean(package_id, [p.id for p in self.packages])
                           if self.packages else "the scenario names no packages")

    def guarantees(self, overrides: Mapping[str, Sequence[str]] | None = None) -> Guarantees:
        """Who delivers each issue, with optional per-issue overrides (e.g. a package's)."""
        overrides = overrides or {}
        per_issue = [tuple(overrides[iid]) if iid in overrides else g
                     for iid, g in zip(self.issue_ids, self.issue_guarantors, strict=True)]
        return Guarantees.from_lists(self.arrays.guarantor_ids, per_issue)

    def package_guarantees(self, packages: Sequence[NamedPackage]) -> Guarantees:
        return Guarantees.stack([self.guarantees(p.guarantors) for p in packages])

    def package_values(self, packages: Sequence[NamedPackage]) -> np.ndarray:
        """Unit-scale values of named packages, ``[P, I]``."""
        units = np.array([[p.values[iid] for iid in self.issue_ids] for p in packages],
                         dtype=float).reshape(len(packages), self.arrays.n_issues)
        return self.arrays.from_units(units)

    def unit_candidates(self, k: int) -> tuple[np.ndarray, bool]:
        """Candidate values of issue k on the unit scale, and whether the status quo stays
        allowed. The status quo is added to the list (once) when it is allowed."""
        lo, hi = self.arrays.scale_low[k], self.arrays.scale_high[k]
        values = (np.asarray(self.candidates[k]) - lo) / (hi - lo)
        keep = self.keep_status_quo[k]
        if keep and not self.arrays.batch_shape:
            q = float(self.arrays.status_quo[k])
            values = np.concatenate([[q], values[np.abs(values - q) > 1e-12]])
        return values, keep

    def replace(self, **changes: object) -> SettlementProblem:
        return dataclasses.replace(self, **changes)


# ---------------------------------------------------------------------------------------
# Counterfactuals
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variation:
    """A counterfactual change to a settlement problem; several changes apply together.

    ``without``: actors removed both as parties (no veto, no gain counted) and as
    guarantors. ``trust``: (truster, trusted, value) triples. ``guarantors``: issue id →
    who delivers it, replacing the scenario's and every package's choice for that issue.
    ``fix``: issue id → the only value (issue units) the package search may give it.
    """

    without: tuple[str, ...] = ()
    trust: tuple[tuple[str, str, float], ...] = ()
    guarantors: tuple[tuple[str, tuple[str, ...]], ...] = ()
    fix: tuple[tuple[str, float], ...] = ()
    label: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.without or self.trust or self.guarantors or self.fix)

    def describe(self) -> str:
        if self.label:
            return self.label
        parts = [f"without {a}" for a in self.without]
        parts += [f"{i}.{g}={v:g}" for i, g, v in self.trust]
        parts += [f"{k}={','.join(g) or 'nobody'}" for k, g in self.guarantors]
        parts += [f"{k}={v:g}" for k, v in self.fix]
        return "; ".join(parts) or "baseline"

    def split(self) -> list[Variation]:
        """One variation per single change (to show each change's effect on its own)."""
        return ([Variation(without=(a,)) for a in self.without]
                + [Variation(trust=(t,)) for t in self.trust]
                + [Variation(guarantors=(g,)) for g in self.guarantors]
                + [Variation(fix=(f,)) for f in self.fix])

    def apply(self, problem: SettlementProblem) -> SettlementProblem:
        """The problem with these changes; unknown ids raise an :class:`OptionError`."""
        arrays = problem.arrays
        problems: list[Problem] = []
        actor_ids = list(arrays.actor_ids)
        for actor in self.without:
            if actor not in actor_ids:
                problems.append(Problem("--without", f"unknown actor '{actor}'",
                                        did_you_mean(actor, actor_ids)))
        guarantor_ids = list(arrays.guarantor_ids)
        for truster, trusted, value in self.trust:
            if truster not in actor_ids:
                problems.append(Problem("--trust", f"unknown actor '{truster}' (the truster)",
                                        did_you_mean(truster, actor_ids)))
            if trusted not in guarantor_ids:
                problems.append(Problem("--trust", f"unknown actor or institution "
                                        f"'{trusted}' (the trusted)",
                                        did_you_mean(trusted, guarantor_ids)))
            if not 0.0 <= value <= 1.0:
                problems.append(Problem("--trust", f"trust {value:g} is outside 0-1",
                                        "trust is a probability: 0 = no belief, 1 = full"))
        issue_ids = list(problem.issue_ids)
        for issue, names in self.guarantors:
            if issue not in issue_ids:
                problems.append(Problem("--guarantor", f"unknown issue '{issue}'",
                                        did_you_mean(issue, issue_ids)))
            for name in names:
                if name not in guarantor_ids:
                    problems.append(Problem("--guarantor", f"unknown guarantor '{name}'",
                                            did_you_mean(name, guarantor_ids)))
        for issue, value in self.fix:
            if issue not in issue_ids:
                problems.append(Problem("--fix", f"unknown issue '{issue}'",
                                        did_you_mean(issue, issue_ids)))
                continue
            k = issue_ids.index(issue)
            lo, hi = arrays.scale_low[k], arrays.scale_high[k]
            if not lo <= value <= hi:
                problems.append(Problem("--fix", f"{issue}={value:g} is outside the scale "
                                        f"({lo:g} to {hi:g})", "use a value inside the scale"))
        if problems:
            raise OptionError(problems)

        # Trust first (ids still include removed actors), then removals.
        if self.trust:
            trust = arrays.trust.copy()
            for truster, trusted, value in self.trust:
                trust[..., actor_ids.index(truster), guarantor_ids.index(trusted)] = value
            arrays = arrays.replace(trust=trust)
        issue_guarantors = list(problem.issue_guarantors)
        packages = list(problem.packages)
        for issue, names in self.guarantors:
            issue_guarantors[issue_ids.index(issue)] = tuple(names)
            packages = [dataclasses.replace(p, guarantors={k: v for k, v in p.guarantors.items()
                                                           if k != issue}) for p in packages]
        if self.without:
            keep = [k for k, a in enumerate(actor_ids) if a not in self.without]
            if not keep:
                raise option_error("--without", "every actor was removed",
                                   "keep at least one actor")
            arrays = arrays.take_actors(keep)
            gone = set(self.without)
            issue_guarantors = [None if g is None else tuple(x for x in g if x not in gone)
                                for g in issue_guarantors]
            packages = [dataclasses.replace(p, guarantors={
                k: tuple(x for x in v if x not in gone) for k, v in p.guarantors.items()})
                for p in packages]
        candidates = list(problem.candidates)
        keep_sq = list(problem.keep_status_quo)
        for issue, value in self.fix:
            k = issue_ids.index(issue)
            candidates[k] = (float(value),)
            keep_sq[k] = False
        return problem.replace(arrays=arrays, issue_guarantors=tuple(issue_guarantors),
                               candidates=tuple(candidates), keep_status_quo=tuple(keep_sq),
                               packages=tuple(packages))


def _split_pair(text: str, option: str, example: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise option_error(option, f"'{text}' is not of the form {example.split('=')[0]}=...",
                           f"write e.g. {option} {example}")
    return key.strip(), value.strip()


def parse_trust(text: str) -> tuple[str, str, float]:
    """``KP.RU=0.8`` → ("KP", "RU", 0.8): how far KP believes RU."""
    key, value = _split_pair(text, "--trust", "KP.RU=0.8")
    truster, dot, trusted = key.partition(".")
    if not dot or not truster or not trusted:
        raise option_error("--trust", f"'{text}' does not name truster.trusted",
                           "write e.g. --trust KP.RU=0.8 (how far KP believes RU)")
    try:
        number = float(value)
    except ValueError:
        raise option_error("--trust", f"'{value}' in '{text}' is not a number",
                           "write a trust from 0 to 1, e.g. --trust KP.RU=0.8") from None
    if not 0.0 <= number <= 1.0:
        raise option_error("--trust", f"trust {number:g} in '{text}' is outside 0-1",
                           "trust is a probability: 0 = no belief, 1 = full belief")
    return truster, trusted, number


def parse_guarantor(text: str) -> tuple[str, tuple[str, ...]]:
    """``SEC=CN,RU`` → ("SEC", ("CN", "RU")); ``SEC=`` is refused, ``SEC=none`` = nobody."""
    key, value = _split_pair(text, "--guarantor", "SEC=CN,RU")
    if value.lower() == "none":
        return key, ()
    names = tuple(x.strip() for x in value.split(",") if x.strip())
    if not names:
        raise option_error("--guarantor", f"'{text}' names no guarantor",
                           "write e.g. --guarantor SEC=CN,RU (or SEC=none)")
    return key, names


def parse_fix(text: str) -> tuple[str, float]:
    """``NUC=50`` → ("NUC", 50.0)."""
    key, value = _split_pair(text, "--fix", "NUC=50")
    try:
        return key, float(value)
    except ValueError:
        raise option_error("--fix", f"'{value}' in '{text}' is not a number",
                           "write e.g. --fix NUC=50 (in the issue's units)") from None


def variation(without: Iterable[str] = (), trust: Iterable[str | tuple[str, str, float]] = (),
              guarantors: Iterable[str | tuple[str, Sequence[str]]] | Mapping[
                  str, Sequence[str]] = (),
              fix: Iterable[str | tuple[str, float]] | Mapping[str, float] = (),
              label: str = "") -> Variation:
    """Build a :class:`Variation` from command-line strings or plain Python values."""
    if isinstance(guarantors, Mapping):
        guarantors = list(guarantors.items())
    if isinstance(fix, Mapping):
        fix = list(fix.items())
    return Variation(
        without=tuple(without),
        trust=tuple(parse_trust(t) if isinstance(t, str) else (t[0], t[1], float(t[2]))
                    for t in trust),
        guarantors=tuple(parse_guarantor(g) if isinstance(g, str) else (g[0], tuple(g[1]))
                         for g in guarantors),
        fix=tuple(parse_fix(f) if isinstance(f, str) else (f[0], float(f[1])) for f in fix),
        label=label,
    )
