"""One counterfactual type at the array level, for every analysis (issue 14, item 2).

A :class:`Variation` is a set of changes to a compiled scenario: drop or add an actor,
change trust, who guarantees an issue, fix an issue for the package search, and an actor's
position, salience or capability. Positions and fixed values are in issue units;
saliences and trust on 0-1; capabilities are positive. Several changes apply together.

* :func:`parse_variation` reads the command-line spelling
  (``--without RU --add EU=10 --position CN.NUC=40 --salience KP.SANC=0.9
  --capability RU=60 --trust KP.RU=0.8 --guarantor SEC=CN,RU --fix NUC=50``);
  :func:`variation_from_options` takes the same strings grouped per option, as typer
  hands them over. Both refuse malformed, non-finite or out-of-range values at once.
* :meth:`Variation.apply` maps :class:`~detente.arrays.Arrays` (batched or not) to the
  varied arrays: enough for forecast, sample and sensitivity.
* :meth:`Variation.apply_problem` maps a
  :class:`~detente.settlement.problem.SettlementProblem` (arrays, guarantors, candidate
  grids, named packages) to the varied one: settle, contributions and roadmap.

Ids unknown to the scenario, positions outside an issue's scale and contradictions (an
edit of an actor that ``without`` removes) are refused with the option, the value and a
"did you mean" fix, never repaired silently. It is the only counterfactual type: every
analysis, the report's settlement and the web workbench take it.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from detente.arrays import Arrays
from detente.errors import (
    DetenteError,
    OptionError,
    Problem,
    as_written,
    did_you_mean,
    flag_name,
    non_finite_text,
    option_place,
    option_text,
    shorten,
)
from detente.scenario.checks import self_trust
from detente.scenario.schema import MAX_MAGNITUDE

if TYPE_CHECKING:
    from collections.abc import Iterator

    from detente.settlement.problem import SettlementProblem

# The scenario format's id rule (scenario.ID_PATTERN): an added actor must be writable
# in a scenario file too.
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")
# A changed capability is held to the scenario file's bound: past it the Nash weights' sum
# overflows to infinity and every weight reads 0 (a Nash product of 100.00 from gains of 6).
_MOST = f"{MAX_MAGNITUDE:g}"
_RESCALE = " (only ratios between capabilities matter: scale them down together)"


def _capability_fits(value: float) -> bool:
    return math.isfinite(value) and 0 < value <= MAX_MAGNITUDE


@dataclass(frozen=True)
class Flag:
    """One counterfactual option, declared once for the command line's flag and the web's
    field."""

    #: What its values look like.
    example: str
    #: What it does, for help texts (the CLI's flags, the web's form).
    help: str
    #: The most entries one request to a server may give it: a change per actor or per
    #: issue takes far fewer than one per actor pair or per actor and issue (the default).
    most: int = 2000
    #: What the key before ``=`` names, as a refusal of a value without one writes it.
    key: str = "ACTOR"


#: Option name → its declaration, in the order they are applied and described.
FLAGS: dict[str, Flag] = {
    "--without": Flag("RU", "Counterfactual: drop this actor as party and guarantor.",
                      most=100),
    "--add": Flag("EU=10", "Counterfactual: add an actor with this capability, e.g. EU=10 "
                  "(give it stances with --position and --salience).", most=40),
    "--capability": Flag("RU=60", "Counterfactual capability, e.g. RU=60.", most=200),
    "--position": Flag("CN.NUC=40", "Counterfactual position in issue units, e.g. "
                       "CN.NUC=40.", key="ACTOR.ISSUE"),
    "--salience": Flag("KP.SANC=0.9", "Counterfactual salience (0-1), e.g. KP.SANC=0.9.",
                       key="ACTOR.ISSUE"),
    "--trust": Flag("KP.RU=0.8", "Counterfactual trust, e.g. KP.RU=0.8 (how far KP believes "
                    "RU).", key="TRUSTER.TRUSTED"),
    "--guarantor": Flag("SEC=CN,RU", "Counterfactual guarantors, e.g. SEC=CN,RU (or "
                        "SEC=none).", most=200, key="ISSUE"),
    "--fix": Flag("NUC=50", "Counterfactual: fix an issue for the package search, e.g. "
                  "NUC=50.", most=200, key="ISSUE"),
}


def scenario_examples(arrays: Arrays) -> dict[str, str]:
    """Each change's example in ``arrays``' own ids, a position or fixed value in the middle
    of its issue's scale: a fix that names korea-2017's NUC is refused as an unknown issue
    on any other scenario. A change the scenario cannot exemplify (trust where the only
    actor is the only guarantor) keeps its flag's own example."""
    from detente.settlement.problem import grid_value_text

    actor, issue = arrays.actor_ids[0], arrays.issue_ids[0]
    low, high = float(arrays.scale_low[0]), float(arrays.scale_high[0])
    middle = grid_value_text((low + high) / 2, high - low)
    new = next(f"NEW{n or ''}" for n in range(len(arrays.guarantor_ids) + 1)
               if f"NEW{n or ''}" not in arrays.guarantor_ids)
    out = {"--without": actor, "--add": f"{new}=10", "--capability": f"{actor}=60",
           "--position": f"{actor}.{issue}={middle}", "--salience": f"{actor}.{issue}=0.9",
           "--guarantor": f"{issue}={actor}", "--fix": f"{issue}={middle}"}
    trusted = next((g for g in arrays.guarantor_ids if g != actor), None)
    if trusted is not None:
        out["--trust"] = f"{actor}.{trusted}=0.8"
    return out


#: Where the examples of the scenario in view come from (:func:`examples_of`), asked only
#: when a refusal writes one; None: each flag's own.
_EXAMPLES: ContextVar[Callable[[], Mapping[str, str]] | None] = ContextVar(
    "variation_examples", default=None)


@contextmanager
def examples_of(scenario: object) -> Iterator[None]:
    """Refusals in the block write their examples in ``scenario``'s ids
    (:func:`scenario_examples`; a :class:`~detente.scenario.Scenario`, a file or embedded
    id). It is loaded only when a refusal needs an example; one that does not load leaves
    each flag's own, and its own refusal comes from the run that loads it."""
    from detente.scenario import Scenario, load

    @functools.cache
    def examples() -> Mapping[str, str]:
        if not isinstance(scenario, Scenario | str | None) and not hasattr(scenario, "__fspath__"):
            return {}  # validate's list of targets: no one scenario
        try:
            return scenario_examples(load(scenario).compile())  # type: ignore[arg-type]
        except (DetenteError, OSError):
            return {}

    token = _EXAMPLES.set(examples)
    try:
        yield
    finally:
        _EXAMPLES.reset(token)


def _example(flag: str) -> str:
    """``flag``'s example: the scenario's in view (:func:`examples_of`), else its own."""
    examples = _EXAMPLES.get()
    return (examples() if examples is not None else {}).get(flag, FLAGS[flag].example)


@dataclass(frozen=True)
class AddedActor:
    """An actor the scenario does not have. It starts with no stance (salience 0 on every
    issue) and full trust both ways; give it stances with ``position`` and ``salience``
    edits and other trust with ``trust`` edits."""

    id: str
    capability: float
    veto: bool = True


@dataclass(frozen=True)
class Variation:
    """Counterfactual changes, applied together (see the module docstring).

    ``position``/``salience``: (actor, issue, value); ``capability``: (actor, value);
    ``trust``: (truster, trusted, value); ``guarantors``: (issue, deliverers) — an empty
    tuple means nobody; ``fix``: (issue, value). Construction checks everything that needs
    no scenario; :meth:`apply` checks the rest against the arrays.
    """

    without: tuple[str, ...] = ()
    add: tuple[AddedActor, ...] = ()
    capability: tuple[tuple[str, float], ...] = ()
    position: tuple[tuple[str, str, float], ...] = ()
    salience: tuple[tuple[str, str, float], ...] = ()
    trust: tuple[tuple[str, str, float], ...] = ()
    guarantors: tuple[tuple[str, tuple[str, ...]], ...] = ()
    fix: tuple[tuple[str, float], ...] = ()
    label: str = ""

    def __post_init__(self) -> None:
        problems = self._own_problems()
        if problems:
            raise OptionError(problems)

    # --- description ---------------------------------------------------------------
    @property
    def is_empty(self) -> bool:
        return not (self.without or self.add or self.capability or self.position
                    or self.salience or self.trust or self.guarantors or self.fix)

    def describe(self, legacy: bool = False) -> str:
        """A short label (``without RU; CN.NUC=40``); ``baseline`` when empty.

        ``legacy``: trust, guarantors and fixed issues worded as settle and roadmap have
        always labelled them (``KP.RU=0.8``, ``SEC=CN,RU``, ``NUC=50``; part of their JSON
        contract) instead of in words.
        """
        if self.label:
            return self.label
        parts = [f"without {a}" for a in self.without]
        parts += [f"add {a.id}={as_written(a.capability)}" for a in self.add]
        parts += [f"capability {a}={as_written(v)}" for a, v in self.capability]
        parts += [f"position {a}.{i}={as_written(v)}" for a, i, v in self.position]
        parts += [f"salience {a}.{i}={as_written(v)}" for a, i, v in self.salience]
        return "; ".join(parts + self.package_parts(legacy)) or "baseline"

    def package_parts(self, legacy: bool = False) -> list[str]:
        """The changes that act on the package search alone (trust, guarantors, fixed
        issues), as :meth:`describe` words them."""
        if legacy:
            return [*(f"{a}.{g}={as_written(v)}" for a, g, v in self.trust),
                    *(f"{i}={','.join(g) or 'nobody'}" for i, g in self.guarantors),
                    *(f"{i}={as_written(v)}" for i, v in self.fix)]
        return [*(f"trust {a}.{g}={as_written(v)}" for a, g, v in self.trust),
                *(f"{i} guaranteed by {','.join(g) or 'nobody'}" for i, g in self.guarantors),
                *(f"{i} fixed at {as_written(v)}" for i, v in self.fix)]

    def flags(self) -> list[str]:
        """The changes as the command line gives them (``--without RU``, ``--position
        CN.NUC=40``), every number with all its digits: a recorded run that repeats them."""
        import shlex

        return [change_text(flag, shlex.quote(value)) for flag, value in self._given()]

    def refused(self, why: str, fix: str) -> OptionError:
        """The refusal of this counterfactual where none applies (``why``): one problem at
        each kind of change given (located at its flag), naming its values."""
        by_flag: dict[str, list[str]] = {}
        for flag, value in self._given():
            by_flag.setdefault(flag, []).append(value)
        return OptionError([Problem(_at(flag), f"{', '.join(changes)}: {why}", fix)
                            for flag, changes in by_flag.items()])

    def _given(self) -> list[tuple[str, str]]:
        """Each change as its flag and the value the command line gives it."""
        given = [("--without", a) for a in self.without]
        given += [("--add", f"{a.id}={as_written(a.capability)}") for a in self.add]
        given += [("--capability", f"{a}={as_written(v)}") for a, v in self.capability]
        given += [("--position", f"{a}.{i}={as_written(v)}") for a, i, v in self.position]
        given += [("--salience", f"{a}.{i}={as_written(v)}") for a, i, v in self.salience]
        given += [("--trust", f"{a}.{g}={as_written(v)}") for a, g, v in self.trust]
        given += [("--guarantor", f"{i}={','.join(g) or 'none'}") for i, g in self.guarantors]
        given += [("--fix", f"{i}={as_written(v)}") for i, v in self.fix]
        return given

    def split(self) -> list[Variation]:
        """One variation per single change, to show each change's effect on its own.

        A position or salience edit of an added actor stays with its ``add`` (alone it would
        name an actor the scenario lacks)."""
        added = {a.id for a in self.add}
        out = [Variation(without=(a,)) for a in self.without]
        for a in self.add:
            out.append(Variation(
                add=(a,), position=tuple(p for p in self.position if p[0] == a.id),
                salience=tuple(s for s in self.salience if s[0] == a.id),
                trust=tuple(t for t in self.trust if a.id in (t[0], t[1]))))
        out += [Variation(capability=(c,)) for c in self.capability if c[0] not in added]
        out += [Variation(position=(p,)) for p in self.position if p[0] not in added]
        out += [Variation(salience=(s,)) for s in self.salience if s[0] not in added]
        out += [Variation(trust=(t,)) for t in self.trust
                if t[0] not in added and t[1] not in added]
        out += [Variation(guarantors=(g,)) for g in self.guarantors]
        out += [Variation(fix=(f,)) for f in self.fix]
        return out

    # --- checks ----------------------------------------------------------------------
    def _own_problems(self) -> list[Problem]:
        """What is wrong without looking at a scenario: ids, finiteness, natural ranges,
        the same thing changed twice."""
        problems: list[Problem] = []
        add = problems.append
        for a in self.add:
            if not _ID.match(a.id):
                add(Problem(_at("--add"), f"'{a.id}' is not a valid actor id",
                            "ids start with a letter and use letters, digits, '-' or '_'"))
            if not _capability_fits(a.capability):
                add(Problem(_at("--add"), f"capability of {a.id} must be a finite number "
                            f"above 0 and at most {_MOST}, got {as_written(a.capability)}",
                            f"write e.g. {change_text('--add', _example('--add'))}{_RESCALE}"))
        for actor, value in self.capability:
            if not _capability_fits(value):
                add(Problem(_at("--capability"), f"capability {actor}={as_written(value)} "
                            f"must be a finite number above 0 and at most {_MOST}",
                            f"write e.g. {change_text('--capability', _example('--capability'))}"
                            f"{_RESCALE}; to remove "
                            f"an actor use {change_text('--without')}"))
        for actor, issue, value in self.position:
            if not math.isfinite(value):
                add(Problem(_at("--position"), f"position {actor}.{issue}="
                            f"{as_written(value)} is not a finite number",
                            "write a value on the issue's scale, e.g. "
                            f"{change_text('--position', _example('--position'))}"))
        for option, triples in (("--salience", self.salience), ("--trust", self.trust)):
            for first, second, value in triples:
                if not (math.isfinite(value) and 0.0 <= value <= 1.0):
                    what = "salience" if option == "--salience" else "trust"
                    add(Problem(_at(option), f"{what} {first}.{second}={as_written(value)} is "
                                "outside 0-1",
                                "write a value from 0 to 1, e.g. "
                                f"{change_text(option, _example(option))}"))
        for issue, value in self.fix:
            if not math.isfinite(value):
                add(Problem(_at("--fix"), f"{issue}={as_written(value)} is not a finite number",
                            "write a value on the issue's scale, e.g. "
                            f"{change_text('--fix', _example('--fix'))}"))
        keyed: list[tuple[str, Sequence[tuple[object, ...]]]] = [
            ("--without", [(a,) for a in self.without]),
            ("--add", [(a.id,) for a in self.add]),
            ("--capability", [c[:1] for c in self.capability]),
            ("--position", [p[:2] for p in self.position]),
            ("--salience", [s[:2] for s in self.salience]),
            ("--trust", [t[:2] for t in self.trust]),
            ("--guarantor", [g[:1] for g in self.guarantors]),
            ("--fix", [f[:1] for f in self.fix]),
        ]
        for option, keys in keyed:
            seen: set[object] = set()
            for key in keys:
                if key in seen:
                    add(Problem(_at(option), f"{'.'.join(map(str, key))} is given twice",
                                "give each change once"))
                seen.add(key)
        gone = set(self.without)
        for a in self.add:
            if a.id in gone:
                add(Problem(_at("--add"), f"{a.id} is both added and removed "
                            f"({change_text('--without')})", "give one of the two"))
        for option, ids in (("--capability", [c[0] for c in self.capability]),
                            ("--position", [p[0] for p in self.position]),
                            ("--salience", [s[0] for s in self.salience]),
                            ("--trust", [x for t in self.trust for x in t[:2]]),
                            ("--guarantor", [x for g in self.guarantors for x in g[1]])):
            for actor in dict.fromkeys(ids):
                if actor in gone:
                    add(Problem(_at(option), f"{change_text(option)} names {actor}, which "
                                f"{change_text('--without')} removes",
                                f"drop the {change_text(option)} change or the "
                                f"{change_text('--without', actor)}"))
        return problems

    def problems(self, arrays: Arrays) -> list[Problem]:
        """What is wrong with this variation for these arrays (empty when it applies)."""
        problems: list[Problem] = []
        add = problems.append
        actors = list(arrays.actor_ids)
        new = [a.id for a in self.add]
        after = [a for a in actors if a not in self.without] + new
        guarantors = list(arrays.guarantor_ids)
        issues = list(arrays.issue_ids)
        for actor in self.without:
            if actor in guarantors and actor not in actors:
                # Actors and institutions share one namespace: a declared id is not unknown.
                add(Problem(_at("--without"), f"{actor} is an institution, which "
                            f"{change_text('--without')} does not remove: it takes no part in the "
                            "bargaining and counts only through the trust actors place in it "
                            "as a guarantor or verifier",
                            "to weigh it at nothing set each actor's trust in it to 0, e.g. "
                            f"{change_text('--trust', f'{actors[0]}.{actor}=0')}; to take it out "
                            "as the guarantor of an issue, name that issue's guarantors "
                            f"without it ({change_text('--guarantor', 'ISSUE=...')})"))
            elif actor not in actors:
                add(Problem(_at("--without"), f"unknown actor '{actor}'",
                            did_you_mean(actor, actors)))
        if actors and not after:
            add(Problem(_at("--without"), "every actor would be removed",
                        "keep at least one actor"))
        for a in self.add:
            if a.id in guarantors:
                add(Problem(_at("--add"), f"'{a.id}' is already an actor or institution",
                            "choose a new id; to change an actor use "
                            f"{change_text('--capability')}, {change_text('--position')} or "
                            f"{change_text('--salience')}"))
        for actor, _ in self.capability:
            if actor not in actors + new:
                add(Problem(_at("--capability"), f"unknown actor '{actor}'",
                            did_you_mean(actor, actors + new)))
        has_stance = {(p[0], p[1]) for p in self.position} & {(s[0], s[1]) for s in self.salience}
        for option, edits in (("--position", self.position), ("--salience", self.salience)):
            for actor, issue, value in edits:
                where = f"{_at(option)} {actor}.{issue}={as_written(value)}"
                if actor not in actors + new:
                    add(Problem(where, f"unknown actor '{actor}'",
                                did_you_mean(actor, actors + new)))
                    continue
                if issue not in issues:
                    add(Problem(where, f"unknown issue '{issue}'",
                                did_you_mean(issue, issues)))
                    continue
                k = issues.index(issue)
                stake = actor in actors and bool(arrays.stake[actors.index(actor), k])
                if not stake and (actor, issue) not in has_stance:
                    other = "--salience" if option == "--position" else "--position"
                    add(Problem(where, f"{actor} has no stance on {issue}",
                                f"give its {other[2:]} too "
                                f"({change_text(other, f'{actor}.{issue}=...')}), so the new "
                                "stance is complete"))
                if option == "--position":
                    lo, hi = float(arrays.scale_low[k]), float(arrays.scale_high[k])
                    if not lo <= value <= hi:
                        add(Problem(where, f"outside the scale of {issue} "
                                    f"({as_written(lo)} to {as_written(hi)})",
                                    f"use a value from {as_written(lo)} to {as_written(hi)}"))
        for truster, trusted, _ in self.trust:
            if truster not in actors + new:
                add(Problem(_at("--trust"), f"unknown actor '{truster}' (the truster)",
                            did_you_mean(truster, actors + new)))
            if trusted not in guarantors + new:
                add(Problem(_at("--trust"), f"unknown actor or institution '{trusted}' "
                            "(the trusted)",
                            did_you_mean(trusted, guarantors + new)))
            if problem := self_trust(_at("--trust"), truster, trusted):
                add(problem)
        for issue, names in self.guarantors:
            if issue not in issues:
                add(Problem(_at("--guarantor"), f"unknown issue '{issue}'",
                            did_you_mean(issue, issues)))
            for name in names:
                if name not in guarantors + new:
                    add(Problem(_at("--guarantor"), f"unknown guarantor '{name}'",
                                did_you_mean(name, guarantors + new)))
        for issue, value in self.fix:
            if issue not in issues:
                add(Problem(_at("--fix"), f"unknown issue '{issue}'", did_you_mean(issue, issues)))
                continue
            k = issues.index(issue)
            lo, hi = float(arrays.scale_low[k]), float(arrays.scale_high[k])
            if not lo <= value <= hi:
                add(Problem(_at("--fix"), f"{issue}={as_written(value)} is outside the scale "
                            f"({as_written(lo)} to {as_written(hi)})",
                            f"use a value from {as_written(lo)} to {as_written(hi)}"))
        return problems

    # --- application -------------------------------------------------------------------
    def apply(self, arrays: Arrays) -> Arrays:
        """The varied arrays (any leading batch axis is kept); :class:`OptionError` listing
        every problem when a change does not fit these arrays.

        ``guarantors`` and ``fix`` are not part of the arrays: they act through
        :meth:`apply_problem`."""
        problems = self.problems(arrays)
        if problems:
            raise OptionError(problems)
        if self.add:
            arrays = _append_actors(arrays, self.add)
        actors = list(arrays.actor_ids)
        guarantors = list(arrays.guarantor_ids)
        issues = list(arrays.issue_ids)
        changes: dict[str, np.ndarray] = {}

        def edited(name: str) -> np.ndarray:
            if name not in changes:
                changes[name] = np.array(getattr(arrays, name), copy=True)
            return changes[name]

        for actor, value in self.capability:
            edited("capability")[..., actors.index(actor)] = value
        for actor, issue, value in self.position:
            k = issues.index(issue)
            span = arrays.scale_high[k] - arrays.scale_low[k]
            edited("position")[..., actors.index(actor), k] = (value - arrays.scale_low[k]) / span
            edited("stake")[actors.index(actor), k] = True
        for actor, issue, value in self.salience:
            k = issues.index(issue)
            edited("salience")[..., actors.index(actor), k] = value
            edited("stake")[actors.index(actor), k] = True
        for truster, trusted, value in self.trust:
            edited("trust")[..., actors.index(truster), guarantors.index(trusted)] = value
        if changes:
            arrays = arrays.replace(**changes)
        if self.without:
            arrays = arrays.take_actors([k for k, a in enumerate(actors)
                                         if a not in self.without])
        # The loader refuses an issue nobody cares about (the models would divide by a zero
        # total weight); a variation must not produce one either.
        cared = np.all(np.any(arrays.salience > 0, axis=-2).reshape(-1, arrays.n_issues), axis=0)
        if not cared.all():
            raise OptionError([Problem(
                _culprit(self, issue), f"after these changes nobody cares about {issue}: "
                "every actor's salience on it is 0",
                f"keep a salience above 0 on {issue} for some actor")
                for issue, ok in zip(arrays.issue_ids, cared, strict=True) if not ok])
        return arrays

    def apply_problem(self, problem: SettlementProblem) -> SettlementProblem:
        """The varied settlement problem: the arrays as :meth:`apply`, removed actors taken
        out of every issue's and package's guarantors and of the settlement mechanisms
        (verifier bands, links, walk-away points, stakes;
        :meth:`detente.scenario.Mechanisms.without_actors`),
        guarantor overrides (which replace the scenario's and every package's choice for
        that issue), fixed issues."""
        arrays = self.apply(problem.arrays)
        issue_ids = list(problem.issue_ids)
        gone = set(self.without)
        issue_guarantors = [None if g is None else tuple(x for x in g if x not in gone)
                            for g in problem.issue_guarantors]
        packages = [dataclasses.replace(p, guarantors={
            k: tuple(x for x in v if x not in gone) for k, v in p.guarantors.items()})
            for p in problem.packages]
        for issue, names in self.guarantors:
            issue_guarantors[issue_ids.index(issue)] = tuple(names)
            packages = [dataclasses.replace(p, guarantors={
                k: v for k, v in p.guarantors.items() if k != issue}) for p in packages]
        candidates = list(problem.candidates)
        keep_status_quo = list(problem.keep_status_quo)
        for issue, value in self.fix:
            k = issue_ids.index(issue)
            candidates[k] = (float(value),)
            keep_status_quo[k] = False
        display_names = dict(problem.names)
        display_names.update({a.id: a.id for a in self.add if a.id not in display_names})
        return problem.replace(arrays=arrays, issue_guarantors=tuple(issue_guarantors),
                               candidates=tuple(candidates),
                               keep_status_quo=tuple(keep_status_quo),
                               packages=tuple(packages), names=display_names,
                               mechanisms=problem.mechanisms.without_actors(gone))


def _append_actors(arrays: Arrays, added: Sequence[AddedActor]) -> Arrays:
    """New actors after the existing ones (and before the institutions, as compile orders
    guarantors): no stance, full trust both ways, the status quo as placeholder position."""
    n, m = arrays.n_actors, len(added)
    batch = arrays.batch_shape
    n_guarantors = len(arrays.guarantor_ids)
    # Guarantor columns: the old actors, the new actors, then the institutions.
    columns = np.r_[np.arange(n), np.arange(n_guarantors, n_guarantors + m),
                    np.arange(n, n_guarantors)]
    trust = np.ones((*batch, n + m, n_guarantors + m))
    trust[..., :n, :n_guarantors] = arrays.trust
    trust = trust[..., columns]
    placeholder = np.broadcast_to(arrays.status_quo[..., None, :], (*batch, m, arrays.n_issues))
    capability = np.broadcast_to(np.array([a.capability for a in added]), (*batch, m))
    return arrays.replace(
        actor_ids=(*arrays.actor_ids, *(a.id for a in added)),
        guarantor_ids=(*arrays.actor_ids, *(a.id for a in added),
                       *arrays.guarantor_ids[n:]),
        capability=np.concatenate([arrays.capability, capability], axis=-1),
        position=np.concatenate([arrays.position, placeholder], axis=-2),
        salience=np.concatenate([arrays.salience, np.zeros((*batch, m, arrays.n_issues))],
                                axis=-2),
        trust=trust,
        stake=np.concatenate([arrays.stake, np.zeros((m, arrays.n_issues), dtype=bool)]),
        veto=np.concatenate([arrays.veto, np.array([a.veto for a in added], dtype=bool)]),
    )


def _culprit(change: Variation, issue: str) -> str:
    """The option to blame when an issue loses every salience: a salience edit on it if
    there is one, else the removal."""
    for actor, where, value in change.salience:
        if where == issue and value == 0:
            return f"{_at('--salience')} {actor}.{issue}={as_written(value)}"
    return _at("--without")


# ---------------------------------------------------------------------------------------
# Parsing the command-line spelling
# ---------------------------------------------------------------------------------------


def _at(flag: str) -> str:
    """Where a problem with a change is located: its flag, the workbench's
    ``counterfactual.KIND`` (:func:`detente.errors.option_place`)."""
    return option_place(flag_name(flag), flag, within="counterfactual")


def change_text(flag: str, value: object = None) -> str:
    """A change named in a message, as the interface showing it writes it
    (:func:`detente.errors.option_text`): ``--without RU``, ``without=RU``."""
    return option_text(flag_name(flag), value, flag)


def _fail(option: str, message: str) -> OptionError:
    return OptionError([Problem(_at(option), message,
                                f"write e.g. {change_text(option, _example(option))}")])


def _key_value(option: str, text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise _fail(option, f"'{text}' is not of the form {FLAGS[option].key}=VALUE")
    return key.strip(), value.strip()


def _number(option: str, text: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise _fail(option, f"'{value}' in '{text}' is not a number") from None
    if not math.isfinite(number):
        raise _fail(option, f"{non_finite_text(value)}, in '{shorten(text)}'")
    return number


def _pair(option: str, text: str, key: str) -> tuple[str, str]:
    first, dot, second = key.partition(".")
    if not dot or not first or not second or "." in second:
        names = "truster.trusted" if option == "--trust" else "actor.issue"
        raise _fail(option, f"'{text}' does not name {names}")
    return first, second


def variation_from_options(
    without: Iterable[str] = (), add: Iterable[str] = (), capability: Iterable[str] = (),
    position: Iterable[str] = (), salience: Iterable[str] = (), trust: Iterable[str] = (),
    guarantor: Iterable[str] = (), fix: Iterable[str] = (), label: str = "",
) -> Variation:
    """Build a :class:`Variation` from the command-line strings of each option.

    ``add``: ``EU=10`` (id=capability); ``capability``: ``RU=60``; ``position``:
    ``CN.NUC=40`` (issue units); ``salience``: ``KP.SANC=0.9``; ``trust``: ``KP.RU=0.8``
    (how far KP believes RU); ``guarantor``: ``SEC=CN,RU`` or ``SEC=none``; ``fix``:
    ``NUC=50``."""
    problems: list[Problem] = []

    def collect(option: str, items: Iterable[str], read: object) -> list[object]:
        out: list[object] = []
        for text in items:
            try:
                out.append(read(text))  # type: ignore[operator]
            except OptionError as err:
                problems.extend(err.problems)
        return out

    def read_add(text: str) -> AddedActor:
        key, value = _key_value("--add", text)
        return AddedActor(key, _number("--add", text, value))

    def read_actor_value(option: str) -> object:
        def read(text: str) -> tuple[str, float]:
            key, value = _key_value(option, text)
            return key, _number(option, text, value)
        return read

    def read_triple(option: str) -> object:
        def read(text: str) -> tuple[str, str, float]:
            key, value = _key_value(option, text)
            first, second = _pair(option, text, key)
            return first, second, _number(option, text, value)
        return read

    def read_guarantor(text: str) -> tuple[str, tuple[str, ...]]:
        key, value = _key_value("--guarantor", text)
        if value.lower() == "none":
            return key, ()
        names = tuple(x.strip() for x in value.split(",") if x.strip())
        if not names:
            raise _fail("--guarantor", f"'{text}' names no guarantor")
        return key, names

    without_ids = [w.strip() for w in without]
    for w in without_ids:
        if not w:
            example = change_text("--without", _example("--without"))
            problems.append(Problem(_at("--without"), "an empty actor id",
                                    f"write e.g. {example}"))
    parsed = {
        "add": collect("--add", add, read_add),
        "capability": collect("--capability", capability, read_actor_value("--capability")),
        "position": collect("--position", position, read_triple("--position")),
        "salience": collect("--salience", salience, read_triple("--salience")),
        "trust": collect("--trust", trust, read_triple("--trust")),
        "guarantors": collect("--guarantor", guarantor, read_guarantor),
        "fix": collect("--fix", fix, read_actor_value("--fix")),
    }
    if problems:
        raise OptionError(problems)
    return Variation(without=tuple(without_ids), label=label,
                     **{k: tuple(v) for k, v in parsed.items()})  # type: ignore[arg-type]


def parse_variation(args: Sequence[str], label: str = "") -> Variation:
    """Read ``--option value`` (or ``--option=value``) tokens, options repeatable, into one
    :class:`Variation`; unknown options and missing values are refused."""
    grouped: dict[str, list[str]] = {option: [] for option in FLAGS}
    k = 0
    while k < len(args):
        token = args[k]
        option, eq, value = token.partition("=")
        if option not in FLAGS:
            near = difflib.get_close_matches(option, list(FLAGS), n=1)
            raise OptionError([Problem(option or token, f"unknown counterfactual option "
                                       f"'{token}'", (f"did you mean '{near[0]}'? " if near
                                                      else "") + "options: "
                                       + ", ".join(FLAGS))])
        if not eq:
            if k + 1 >= len(args) or args[k + 1].startswith("--"):
                raise _fail(option, f"{option} needs a value")
            value = args[k + 1]
            k += 1
        grouped[option].append(value)
        k += 1
    return variation_from_options(
        without=grouped["--without"], add=grouped["--add"],
        capability=grouped["--capability"], position=grouped["--position"],
        salience=grouped["--salience"], trust=grouped["--trust"],
        guarantor=grouped["--guarantor"], fix=grouped["--fix"], label=label)


#: No scenario in view: :func:`variation_from_mapping`'s refusals give each flag's own
#: example (None names the embedded default scenario).
_NO_SCENARIO = object()


def variation_from_mapping(changes: Mapping[str, Sequence[str]], label: str = "",
                           scenario: object = _NO_SCENARIO) -> Variation:
    """The same from ``{"without": ["RU"], "position": ["CN.NUC=40"], ...}`` (the web's form
    once it speaks this spelling); refusals give their examples in ``scenario``'s ids where
    one is given (:func:`examples_of`)."""
    if scenario is not _NO_SCENARIO:
        with examples_of(scenario):
            return variation_from_mapping(changes, label)
    unknown = [k for k in changes if f"--{k}" not in FLAGS]
    if unknown:
        raise OptionError([Problem(f"counterfactual.{k}", f"unknown change '{k}'",
                                   "known: " + ", ".join(o[2:] for o in FLAGS))
                           for k in unknown])
    return variation_from_options(**{k: list(v) for k, v in changes.items()}, label=label)
