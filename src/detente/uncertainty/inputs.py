"""Uncertain inputs: which numbers of a scenario vary, how, and how to draw them in batches.

Every number that enters the models (capability, position, salience, status quo, trust) may
carry its own distribution in the scenario file (:class:`detente.scenario.Measure`), and a
global :class:`Noise` from the command line applies to the numbers that carry none.

Distributions (the ``distribution`` field of a number):

``pert``
    Beta-PERT on ``[low, high]`` with mode ``value`` (the default when low/high are given):
    a Beta(α, β) scaled to the range, α = 1 + 4 (m − a)/(b − a), β = 1 + 4 (b − m)/(b − a)
    (Malcolm, Roseboom, Clark & Fazar 1959, "Application of a technique for research and
    development program evaluation", *Operations Research* 7(5); the λ = 4 form of Vose
    2008, *Risk Analysis*, 3rd ed., §10.3.2).
``triangular``
    The triangular distribution on ``[low, high]`` with mode ``value``.
``uniform``
    Uniform on ``[low, high]``.
``normal``
    Normal with mean ``value`` and standard deviation ``sd``, truncated to ``[low, high]``
    where given and always to the natural range of the quantity (the issue's scale for
    positions and the status quo, 0–1 for saliences and trust, above 0 for capabilities).
    Drawn by inverting the normal CDF between the truncation points (Robert 1995,
    "Simulation of truncated normal variables", *Statistics and Computing* 5, §1).
``discrete``
    The values ``points`` with probabilities ``weights`` (equal when left out), normalised:
    the exact linear opinion pool Σ w_e δ(x_e) of point judgements (Stone 1961; Genest &
    Zidek 1986), which the elicitation room writes (docs/room.md). ``value`` is the point
    value only.

Positions and the status quo are sampled on the unit scale (0 = scale low, 1 = scale high),
exactly as the models see them.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import ndtr, ndtri

from detente.arrays import Arrays
from detente.errors import (
    Problem,
    ScenarioError,
    as_written,
    non_finite_text,
    option_error,
    option_text,
    shorten,
)
from detente.scenario import Measure, Scenario, distribution_problem

if TYPE_CHECKING:
    from detente.variation import Variation

FIELDS = ("capability", "position", "salience", "status_quo", "trust")
# The order in which a block draws them (discrete last: a space without it draws as before).
KINDS = ("pert", "triangular", "uniform", "normal", "discrete")
_KIND_CODE = {kind: code for code, kind in enumerate(KINDS)}
# Capabilities are truncated just above zero: a model divides by total weight. The floor
# is a share of the capability as written where that is smaller (a capability of 1e-15 is
# valid): a floor above the point value would put the mode outside [low, high], where the
# truncated normal's CDF saturates and draws an infinite capability.
CAPABILITY_FLOOR = 1e-9
# Below this width in standard deviations a truncated normal is drawn as the uniform it then
# is (see _draw_kind): the density varies by under 5e-13 across the range.
FLAT_NORMAL = 1e-6


# ---------------------------------------------------------------------------------------
# Global noise from the command line
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoiseTerm:
    """The spread (a normal standard deviation) given to one kind of input.

    ``relative``: the spread is a share of each number (``capability=20%``) or, for
    positions and the status quo, a share of the issue's scale (``position=10%``).
    Otherwise it is absolute: issue points for positions and the status quo, units of
    0–1 for saliences and trust, capability units for capabilities.
    """

    sd: float
    relative: bool = False

    def __str__(self) -> str:
        # An absolute spread with every digit it was given (position=0.1234567 in issue
        # points, which :g wrote 0.123457).
        return f"{self.sd * 100:g}%" if self.relative else as_written(self.sd)


@dataclass(frozen=True)
class Noise:
    """Normal noise (truncated to each quantity's range) for numbers without their own spread."""

    capability: NoiseTerm | None = None
    position: NoiseTerm | None = None
    salience: NoiseTerm | None = None
    status_quo: NoiseTerm | None = None
    trust: NoiseTerm | None = None

    @property
    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in FIELDS)

    def to_dict(self) -> dict[str, str]:
        return {name: str(term) for name in FIELDS
                if (term := getattr(self, name)) is not None}

    def __str__(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.to_dict().items()) or "none"

    @classmethod
    def parse(cls, items: str | Iterable[str]) -> Noise:
        """Read ``position=10 salience=0.1 capability=20%`` (or a list of such items).

        ``none`` (alone) means no noise. Items may be separated by spaces or commas.
        """
        if isinstance(items, str):
            items = [items]
        tokens = [t for item in items for t in re.split(r"[\s,]+", item.strip()) if t]
        if tokens == ["none"]:
            return cls()
        terms: dict[str, NoiseTerm] = {}
        for token in tokens:
            key, sep, raw = token.partition("=")
            key = key.strip().replace("-", "_")
            if not sep or key not in FIELDS:
                raise option_error("--noise", f"'{token}' is not KIND=SPREAD",
                                   f"KIND is one of {', '.join(FIELDS)}; e.g. position=10 "
                                   "salience=0.1 capability=20%  (or 'none')")
            if key in terms:  # a repeat would silently replace the first spread
                raise option_error("--noise", f"{key} is given twice (in '{shorten(token)}')",
                                   f"give each kind of noise once, e.g. "
                                   f"{option_text('noise', 'position=10')}")
            relative = raw.endswith("%")
            try:
                sd = float(raw[:-1] if relative else raw)
            except ValueError:
                raise option_error("--noise", f"'{raw}' is not a number in '{token}'",
                                   "write a number, optionally followed by %") from None
            if relative:
                sd /= 100.0
            # A spread past the float range (position=1e400) reads as inf: said as written,
            # not as "must be 0 or more", which it is.
            if not math.isfinite(sd):
                raise option_error("--noise", f"{non_finite_text(raw.removesuffix('%'))}, in "
                                   f"'{shorten(token)}'",
                                   "write e.g. position=10 or capability=20%")
            # A spread below the normal floats (position=1e-400) reads as 0, no noise at
            # all, or loses digits (capability=1e-320% as 9.88131e-321%): not what was
            # written, so refused rather than run and shown as another number.
            if 0 <= sd < sys.float_info.min and re.search(r"[1-9]", re.split(r"[eE]", raw)[0]):
                raise option_error("--noise", f"the spread in '{shorten(token)}' is too small "
                                   "to compute with: " + ("it reads as 0" if sd == 0 else
                                   "below 2.2e-308 a float keeps too few of its digits"),
                                   f"write {key}=0 for no {key} noise, or a spread of at least "
                                   "1e-300")
            if sd < 0:
                raise option_error("--noise", f"the spread in '{token}' must be 0 or more",
                                   "write e.g. position=10 or capability=20%")
            if key in ("salience", "trust") and relative:
                raise option_error("--noise", f"'{token}': {key} noise is absolute (0-1 units)",
                                   f"write e.g. {key}=0.1")
            if key in ("salience", "trust") and sd > 1:
                raise option_error("--noise", f"'{token}': {key} lies in 0-1, so a spread of "
                                   f"{as_written(sd)} is meaningless", f"write e.g. {key}=0.1")
            terms[key] = NoiseTerm(sd, relative)
        return cls(**terms)


DEFAULT_NOISE = Noise(position=NoiseTerm(0.10, relative=True), salience=NoiseTerm(0.10),
                      capability=NoiseTerm(0.20, relative=True))


# ---------------------------------------------------------------------------------------
# The space of uncertain inputs
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InputSpace:
    """The uncertain inputs of one scenario, as flat parameter vectors (one entry per input).

    ``target[d]`` names the array an input goes to and ``index[d]`` its flat position there.
    ``kind[d]`` codes the distribution (see :data:`KINDS`); ``mode``, ``low``, ``high`` and
    ``sd`` are its parameters in model units (unit scale for positions and the status quo).
    ``labels[d]`` names the input for reports (``position[KP,NUC]``), and ``base`` holds the
    arrays every draw starts from.
    """

    base: Arrays
    target: tuple[str, ...]
    index: np.ndarray
    kind: np.ndarray
    mode: np.ndarray
    low: np.ndarray
    high: np.ndarray
    sd: np.ndarray
    labels: tuple[str, ...]
    actors: tuple[str | None, ...] = ()
    issues: tuple[str | None, ...] = ()
    #: Per input, a discrete distribution's (points in model units, probabilities summing
    #: to one); empty arrays for other kinds, or () when no input is discrete.
    atoms: tuple[tuple[np.ndarray, np.ndarray], ...] = ()

    @property
    def size(self) -> int:
        return len(self.labels)

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` joint samples of every input, ``[n, D]`` (inputs are independent).

        The draws of one kind of distribution are made together, kinds in the fixed order
        of :data:`KINDS`, so a generator in a given state always yields the same matrix.
        """
        out = np.empty((n, self.size))
        for code, kind in enumerate(KINDS):
            cols = np.flatnonzero(self.kind == code)
            if cols.size and kind == "discrete":
                for d in cols:
                    points, probabilities = self.atoms[d]
                    out[:, d] = points[choose(rng, probabilities, n)]
            elif cols.size:
                out[:, cols] = _draw_kind(kind, rng, n, self.mode[cols], self.low[cols],
                                          self.high[cols], self.sd[cols])
        return out

    def assemble(self, values: np.ndarray) -> Arrays:
        """Scenario arrays with a leading batch axis, one scenario per row of ``values``."""
        n = values.shape[0]
        fields: dict[str, np.ndarray] = {}
        for name in FIELDS:
            base = np.asarray(getattr(self.base, name), dtype=float)
            cols = np.flatnonzero(np.array([f == name for f in self.target], dtype=bool))
            batched = np.broadcast_to(base, (n, *base.shape))
            if cols.size:
                flat = batched.reshape(n, -1).copy()
                flat[:, self.index[cols]] = values[:, cols]
                batched = flat.reshape(n, *base.shape)
            fields[name] = batched
        return self.base.replace(**fields)

    def without_fixed(self, variation: Variation) -> InputSpace:
        """This space less the inputs a counterfactual sets (``--capability``,
        ``--position``, ``--salience``, ``--trust``) or takes away (every input of an actor
        ``--without`` removes, and trust in it). A counterfactual sets a
        value, so that value is certain: drawn and then overwritten it was still counted as
        uncertain and listed by sensitivity with no effect (docs/uncertainty.md)."""
        base = self.base
        actors, issues = list(base.actor_ids), list(base.issue_ids)
        guarantors = list(base.guarantor_ids)
        n_issues, n_guarantors = len(issues), len(guarantors)
        known = set(actors)
        set_here: set[tuple[str, int]] = {
            ("capability", actors.index(a)) for a, _ in variation.capability if a in known}
        for name, edits in (("position", variation.position), ("salience", variation.salience)):
            set_here |= {(name, actors.index(a) * n_issues + issues.index(i))
                         for a, i, _ in edits if a in known}
        set_here |= {("trust", actors.index(a) * n_guarantors + guarantors.index(g))
                     for a, g, _ in variation.trust if a in known}
        gone = set(variation.without)
        fixed = np.array([
            (name, int(flat)) in set_here or actor in gone
            or (name == "trust" and guarantors[int(flat) % n_guarantors] in gone)
            for name, flat, actor in zip(self.target, self.index, self.actors, strict=True)],
            dtype=bool)
        if not fixed.any():
            return self
        keep = np.flatnonzero(~fixed)

        def kept(values: Sequence[Any]) -> tuple[Any, ...]:
            return tuple(values[d] for d in keep)

        reduced = InputSpace(
            base=base, target=kept(self.target), index=self.index[keep], kind=self.kind[keep],
            mode=self.mode[keep], low=self.low[keep], high=self.high[keep], sd=self.sd[keep],
            labels=kept(self.labels), actors=kept(self.actors), issues=kept(self.issues),
            atoms=kept(self.atoms) if self.atoms else ())
        return reduced

    def nominal(self) -> np.ndarray:
        """The point values of every input (the scenario as written), ``[D]``."""
        return self.mode.copy()

    def groups(self, by: str) -> dict[str, np.ndarray]:
        """Input columns grouped for sensitivity: by ``input``, ``actor``, ``issue`` or ``kind``."""
        if by == "input":
            return {label: np.array([d]) for d, label in enumerate(self.labels)}
        keys: list[str | None]
        if by == "actor":
            keys = [a if a is not None else f"status_quo[{i}]"
                    for a, i in zip(self.actors, self.issues, strict=True)]
        elif by == "issue":
            keys = [i if i is not None else f"capability[{a}]" if f == "capability"
                    else f"trust[{a}]" for f, a, i in zip(self.target, self.actors, self.issues,
                                                          strict=True)]
        elif by == "kind":
            keys = list(self.target)
        else:
            raise option_error("--group", f"unknown grouping '{by}'",
                               "use input, actor, issue or kind")
        out: dict[str, list[int]] = {}
        for d, key in enumerate(keys):
            out.setdefault(str(key), []).append(d)
        return {k: np.array(v) for k, v in out.items()}


def choose(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """``n`` indices drawn with probabilities ``weights`` (one uniform per sample, inverted
    through the cumulative weights, so that an entry with weight 1 is always chosen)."""
    cumulative = np.cumsum(weights)
    cumulative /= cumulative[-1]
    return np.minimum(np.searchsorted(cumulative, rng.random(n), side="right"),
                      len(weights) - 1)


def _open_range(low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The floats strictly between ``low`` and ``high``, as their least and greatest, where
    there are any; ``(low, high)`` where there are none (a range of one value, or of two
    adjacent floats)."""
    inner_low, inner_high = np.nextafter(low, high), np.nextafter(high, low)
    some = inner_low <= inner_high
    return np.where(some, inner_low, low), np.where(some, inner_high, high)


def _draw_kind(kind: str, rng: np.random.Generator, n: int, mode: np.ndarray, low: np.ndarray,
               high: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """``n`` draws of each input of one continuous ``kind``, ``[n, len(mode)]``, strictly
    inside each range: a continuous distribution puts no mass on an end of its range, but
    the arithmetic lands on one now and then (a uniform of exactly 0 is 1 in 2⁵³; the
    truncated normal's clip and the triangular's square roots round onto it). A salience
    range from 0 drawn as exactly 0 would deny a stake that :func:`require_stakes` counted
    on, and every actor's at once would leave an issue nobody cares about."""
    inner_low, inner_high = _open_range(low, high)
    return np.clip(_draw_on_range(kind, rng, n, mode, low, high, sd), inner_low, inner_high)


def _draw_on_range(kind: str, rng: np.random.Generator, n: int, mode: np.ndarray,
                   low: np.ndarray, high: np.ndarray, sd: np.ndarray) -> np.ndarray:
    width = high - low
    if kind == "uniform":
        return low + rng.random((n, mode.size)) * width
    if kind == "triangular":
        # Inverse CDF of the triangular distribution (Vose 2008, §III.7.71).
        u = rng.random((n, mode.size))
        safe = np.where(width > 0, width, 1.0)
        split = (mode - low) / safe
        left = low + np.sqrt(u * safe * (mode - low))
        right = high - np.sqrt((1.0 - u) * safe * (high - mode))
        return np.where(width > 0, np.where(u < split, left, right), mode)
    if kind == "pert":
        safe = np.where(width > 0, width, 1.0)
        alpha = 1.0 + 4.0 * (mode - low) / safe
        beta = 1.0 + 4.0 * (high - mode) / safe
        return np.where(width > 0, low + rng.beta(alpha, beta, (n, mode.size)) * width, mode)
    if kind == "normal":
        # The mean lies inside [low, high], so Φ(a) <= 1/2 <= Φ(b): no far-tail cancellation.
        z_low, z_high = (low - mode) / sd, (high - mode) / sd
        a, b = ndtr(z_low), ndtr(z_high)
        r = rng.random((n, mode.size))
        inverted = np.clip(mode + sd * ndtri(a + r * (b - a)), low, high)
        # A spread so wide that [low, high] is under FLAT_NORMAL standard deviations: Φ(b) −
        # Φ(a) cancels (to exactly 0 at position=1e300, which would pin every draw to the
        # mode), while the density over the range is flat to within (FLAT_NORMAL)²/2, so the
        # truncated normal is the uniform on [low, high] to that precision.
        flat = (z_high - z_low) < FLAT_NORMAL
        return np.where(flat, low + r * (high - low), inverted)
    raise ValueError(kind)  # pragma: no cover - KINDS is closed


# ---------------------------------------------------------------------------------------
# Building the space from a scenario
# ---------------------------------------------------------------------------------------


@dataclass
class _Builder:
    target: list[str] = field(default_factory=list)
    index: list[int] = field(default_factory=list)
    kind: list[int] = field(default_factory=list)
    mode: list[float] = field(default_factory=list)
    low: list[float] = field(default_factory=list)
    high: list[float] = field(default_factory=list)
    sd: list[float] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    actors: list[str | None] = field(default_factory=list)
    issues: list[str | None] = field(default_factory=list)
    atoms: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def add(self, where: str, name: str, index: int, label: str, m: Measure,
            natural: tuple[float, float], scale: tuple[float, float], noise: NoiseTerm | None,
            actor: str | None, issue: str | None) -> None:
        """Add one number if it is uncertain (own spec or noise); ``scale`` maps to model units.

        ``natural`` is the quantity's range in file units; ``scale`` = (offset, span) maps a
        file value x to model units (x − offset) / span.
        """
        offset, span = scale

        def unit(x: float) -> float:
            return (x - offset) / span

        nat_low, nat_high = natural
        if m.has_spread:
            kind = m.kind
            low = m.low if m.low is not None else nat_low
            high = m.high if m.high is not None else nat_high
            problem = distribution_problem(m, natural)
            if problem is not None:
                message, fix = problem
                self.problems.append(Problem(where, message, fix))
                return
            sd = m.sd if m.sd is not None else 0.0
        elif noise is not None and noise.sd > 0:
            kind = "normal"
            low, high = nat_low, nat_high
            if noise.relative:
                sd = noise.sd * (abs(m.value) if name == "capability" else span)
            else:
                sd = noise.sd
            if sd <= 0:
                return
        else:
            return
        points = np.array([unit(p) for p in m.points or ()], dtype=float)
        weights = np.asarray(m.weights or [1.0] * len(points), dtype=float)
        if kind == "discrete":
            low, high = min(m.points or ()), max(m.points or ())
        if name == "capability":
            low = max(low, min(CAPABILITY_FLOOR, CAPABILITY_FLOOR * m.value))
            points = np.maximum(points, low)  # a point of 0: above zero, as every draw
        self.atoms.append((points, weights / weights.sum() if points.size else weights))
        self.target.append(name)
        self.index.append(index)
        self.kind.append(_KIND_CODE[kind])
        self.mode.append(unit(m.value))
        self.low.append(unit(low))
        self.high.append(unit(high))
        self.sd.append(sd / span if sd else 1.0)
        self.labels.append(label)
        self.actors.append(actor)
        self.issues.append(issue)


def input_space(scenario: Scenario, noise: Noise | None = None,
                arrays: Arrays | None = None, variation: Variation | None = None) -> InputSpace:
    """Collect every uncertain number of a scenario (own spec, else ``noise``) into a space.

    ``variation``: the counterfactual the draws will be varied by. A salience it sets
    decides whether that stance has a stake, as it would written in the file, so the
    counterfactual and the scenario that writes it give the same space (the inputs it sets
    are then taken out by :meth:`InputSpace.without_fixed`).

    Raises :class:`~detente.errors.ScenarioError` naming each bad distribution spec.
    """
    noise = noise or Noise()
    set_salience = {(a, i): v for a, i, v in variation.salience} if variation else {}
    arrays = arrays if arrays is not None else scenario.compile()
    b = _Builder()
    n_issues = len(scenario.issues)
    actor_index = {a: k for k, a in enumerate(scenario.actor_ids)}
    issue_index = {i: k for k, i in enumerate(scenario.issue_ids)}
    guarantor_index = {g: k for k, g in enumerate(arrays.guarantor_ids)}
    inf = math.inf

    for a, actor in enumerate(scenario.actors):
        b.add(f"actors.{actor.id}.capability", "capability", a, f"capability[{actor.id}]",
              actor.capability, (0.0, inf), (0.0, 1.0), noise.capability, actor.id, None)
    for k, issue in enumerate(scenario.issues):
        lo, hi = issue.scale.low, issue.scale.high
        b.add(f"issues.{issue.id}.status_quo", "status_quo", k, f"status_quo[{issue.id}]",
              issue.status_quo, (lo, hi), (lo, hi - lo), noise.status_quo, None, issue.id)
    for actor_id, row in scenario.stances.items():
        a = actor_index[actor_id]
        for issue_id, stance in row.items():
            k = issue_index[issue_id]
            issue = scenario.issues[k]
            lo, hi = issue.scale.low, issue.scale.high
            flat = a * n_issues + k
            # Salience exactly 0, with no spread of its own: the actor has no stake here, as
            # if it had no stance (docs/scenario-format.md), and an actor without a stance
            # has nothing to perturb. Noise would hand it a stake the scenario denies (and
            # list it among the inputs that move the forecast); a distribution the user
            # declares on the salience or the position is kept. A counterfactual salience
            # is a certain value, like one written without a spread.
            salience_set = set_salience.get((actor_id, issue_id))
            no_stake = (salience_set == 0 if salience_set is not None
                        else stance.salience.value == 0 and not stance.salience.has_spread)
            b.add(f"stances.{actor_id}.{issue_id}.position", "position", flat,
                  f"position[{actor_id},{issue_id}]", stance.position, (lo, hi), (lo, hi - lo),
                  None if no_stake else noise.position, actor_id, issue_id)
            b.add(f"stances.{actor_id}.{issue_id}.salience", "salience", flat,
                  f"salience[{actor_id},{issue_id}]", stance.salience, (0.0, 1.0), (0.0, 1.0),
                  None if no_stake else noise.salience, actor_id, issue_id)
    n_guarantors = len(arrays.guarantor_ids)
    for a, actor_id in enumerate(scenario.actor_ids):
        row = scenario.trust.get(actor_id, {})
        for g_id in arrays.guarantor_ids:
            if g_id == actor_id:
                continue  # an actor believes itself: not an input
            m = row.get(g_id, Measure(value=scenario.trust_default))
            b.add(f"trust.{actor_id}.{g_id}", "trust", a * n_guarantors + guarantor_index[g_id],
                  f"trust[{actor_id},{g_id}]", m, (0.0, 1.0), (0.0, 1.0), noise.trust,
                  actor_id, None)
    if b.problems:
        raise ScenarioError(b.problems)
    return InputSpace(
        base=arrays, target=tuple(b.target), index=np.array(b.index, dtype=np.intp),
        kind=np.array(b.kind, dtype=np.int8), mode=np.array(b.mode, dtype=float),
        low=np.array(b.low, dtype=float), high=np.array(b.high, dtype=float),
        sd=np.array(b.sd, dtype=float), labels=tuple(b.labels), actors=tuple(b.actors),
        issues=tuple(b.issues), atoms=tuple(b.atoms))


def has_own_uncertainty(scenario: Scenario) -> bool:
    """Whether any number the models read carries its own distribution."""
    measures: list[Measure] = [a.capability for a in scenario.actors]
    measures += [i.status_quo for i in scenario.issues]
    measures += [m for row in scenario.stances.values() for s in row.values()
                 for m in (s.position, s.salience)]
    measures += [m for row in scenario.trust.values() for m in row.values()]
    return any(m.has_spread for m in measures)


def require_inputs(space: InputSpace, noise: Noise, fixed: Sequence[str] = ()) -> None:
    """Refuse to 'sample' a scenario in which nothing varies (``fixed``: the inputs a
    counterfactual set, :meth:`InputSpace.without_fixed`)."""
    if space.size == 0 and fixed:
        raise option_error("--noise", "the counterfactual sets every uncertain input ("
                           f"{fixed_text(fixed)}), so every sample would be the same scenario",
                           "run `detente forecast` with this counterfactual, or give "
                           f"{option_text('noise')} or low/high/sd on other numbers")
    if space.size == 0:
        raise option_error("--noise", f"nothing is uncertain (noise: {noise}), so every "
                           "sample would be the same scenario",
                           f"give {option_text('noise')}, e.g. position=10 salience=0.1 "
                           "capability=20%, or low/high/sd on numbers in the scenario")



def can_draw_zero(space: InputSpace, d: int) -> bool:
    """Whether input ``d`` can be drawn as exactly 0: a discrete point at 0, or a range
    that ends at 0. A continuous draw from a range reaching above 0 never is: it is kept
    strictly inside its range (:func:`_open_range`)."""
    if KINDS[space.kind[d]] == "discrete":
        return bool(np.any(space.atoms[d][0] <= 0))
    return bool(_open_range(space.low[d], space.high[d])[0] <= 0)


def require_stakes(space: InputSpace, arrays: Arrays,
                   line_of: Callable[[str], int | None] = lambda location: None) -> None:
    """Refuse a space that can draw every salience on an issue as 0 at once: in such a
    draw nobody cares about the issue, as the loader refuses for the scenario as written,
    and each model answers with a number of its own making (nash the scale's end, median
    the lowest position) that would enter the issue's distribution as a forecast.

    ``arrays``: the scenario the draws vary (a counterfactual's, which may set, add or
    take away saliences); a salience that is not an input of ``space`` is as it has it.
    ``line_of``: the line of a location in the scenario's file
    (:func:`detente.scenario.file_lines`); a refusal gives the first salience's it names.
    """
    drawn = {(space.actors[d], space.issues[d]): d for d in range(space.size)
             if space.target[d] == "salience"}
    salience = np.asarray(arrays.salience, dtype=float)
    problems = []
    for k, issue in enumerate(arrays.issue_ids):
        at_zero = []
        for a, actor in enumerate(arrays.actor_ids):
            d = drawn.get((actor, issue))
            if d is None and salience[a, k] > 0:
                break  # a fixed stake: the issue is cared about in every draw
            if d is not None and not can_draw_zero(space, d):
                break
            if d is not None:
                at_zero.append(f"stances.{actor}.{issue}.salience")
        else:
            if at_zero:  # none drawn: the loader or the counterfactual refuses it
                problems.append(Problem(
                    f"stances.*.{issue}.salience",
                    f"every salience on {issue} can be drawn as 0 at once ("
                    f"{'each of ' if len(at_zero) > 1 else ''}{', '.join(at_zero)} has a "
                    f"point at 0 or a range ending at 0, and no "
                    f"other salience on {issue} is fixed above 0); in such a draw nobody "
                    f"cares about {issue}, so no model has a forecast for it",
                    f"give one of these saliences a distribution that stays above 0 (points "
                    f"above 0, or a low above 0), or keep one actor's salience on {issue} "
                    f"fixed above 0", line_of(at_zero[0])))
    if problems:
        raise ScenarioError(problems)


#: The most inputs a note names one by one (``--without`` an actor sets all of its inputs).
_NAMED = 6


def fixed_text(labels: Sequence[str]) -> str:
    """The inputs a counterfactual set, for a note: the first few, then how many more."""
    more = len(labels) - _NAMED
    return ", ".join(labels[:_NAMED]) + (f" and {more} more" if more > 0 else "")


def fixed_note(labels: Sequence[str]) -> str:
    """What a run says when a counterfactual set some uncertain inputs (none: "")."""
    if not labels:
        return ""
    return (f"the counterfactual sets {len(labels)} of the scenario's uncertain inputs, so "
            f"they are certain here (neither drawn nor counted): {fixed_text(labels)}")


__all__: Sequence[str] = ("DEFAULT_NOISE", "FIELDS", "KINDS", "InputSpace", "Noise",
                          "NoiseTerm", "distribution_problem", "fixed_note",
                          "has_own_uncertainty", "input_space", "require_inputs",
                          "require_stakes")
