"""What each actor is worth to the deal as a guarantor: Shapley values over coalitions.

The worth v(S) of a coalition S is what the best deal is worth when only S's members (and
the non-bargaining institutions) may deliver moves; every actor keeps its veto. Restricting
the deliverers to S is the same as setting everybody's trust in the actors outside S to 0
(independent failures: a factor 1 − 0 = 1 in Π(1 − T); correlated: 0 never wins the max),
so all coalitions are searched at once as one batch of scenarios.

Shapley (1953), "A value for n-person games", *Contributions to the Theory of Games II*,
eq. (1): φ_i = Σ_{S ⊆ N∖{i}} |S|! (n − |S| − 1)! / n! · (v(S ∪ {i}) − v(S)). An actor whose
trust no gain reads (it delivers, verifies and guarantees nothing: :func:`trusted_actors`)
is a null player with φ_i = 0; the game is solved among the others. Exact for up to 15 of
them, however many actors there are; beyond, the mean marginal contribution over seeded
random orders of them (Castro, Gómez & Tejada 2009, "Polynomial calculation of the Shapley
value based on sampling", *Computers & Operations Research* 36(5)).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from detente.errors import option_error, option_text
from detente.models.base import RngLike, spawn_seed
from detente.scenario import Mechanisms, Scenario, load
from detente.settlement.analysis import UTILITY_POINTS
from detente.settlement.defaults import GridStep
from detente.settlement.mechanisms import ignoring
from detente.settlement.problem import SettlementProblem
from detente.settlement.search import Method, best_packages, build_table, zone_size
from detente.settlement.utility import (
    DEFAULT_SETTINGS,
    UtilitySettings,
    UtilityShape,
    require_parties,
)

ValueName = Literal["nash", "size"]
EXACT_LIMIT = 15
#: Sampled permutations at most: each keeps n + 1 coalition masks in memory.
MAX_SAMPLES = 1_000_000
BATCH = 64
#: What guarantees add below this share of the deal's worth is rounding, not a worth: the
#: worths of all coalitions come from the same search, so equal deals give equal numbers.
ADDS_NOTHING = 1e-12


@dataclass(frozen=True)
class Contributions:
    """Shapley values of the actors as guarantors, with the worths they come from."""

    scenario_id: str
    scenario_title: str
    value: str
    exact: bool
    shapley: dict[str, float]
    alone: dict[str, float]
    without: dict[str, float]
    grand_value: float
    empty_value: float
    coalitions: int
    seed: int | None
    #: What each guarantor needs to take part (issue 16): for every actor that delivers a
    #: moved issue of the best Nash package (all actors as guarantors), its ``gain`` over
    #: its walk-away point, the net ``stake`` of its guarantees (outside gain − cost) and the
    #: outside gain it ``needs`` to be better off (0 when it already is); utility points
    #: (the stake None where ``--ignore stakes`` left the stakes out), and whether it
    #: ``gives`` its guarantee of its own interest (a gain above 0; a need within the gain
    #: tolerance is still a need).
    #: Empty when the zone is empty.
    guarantors: dict[str, dict[str, float | bool | None]] = field(default_factory=dict)
    #: The scenario's mechanisms the worths were computed on (after ``ignore``), and the
    #: kinds left out (``ignore``): every view says both, as settle's and roadmap's do.
    mechanisms: Mechanisms = field(default_factory=Mechanisms)
    ignored: tuple[str, ...] = ()

    @property
    def added(self) -> float:
        """v(N) − v(∅): what the guarantees of all actors together add to the deal's worth
        (not the deal's worth, ``grand_value``, unless the deal is worth nothing without
        guarantees). The Shapley values sum to it (efficiency), so it is what each actor's
        :meth:`share` divides."""
        return self.grand_value - self.empty_value

    @property
    def adds_nothing(self) -> bool:
        """Whether guarantees add nothing: every coalition's deal is worth the same (up to
        rounding), so no actor has a share of anything."""
        return abs(self.added) <= ADDS_NOTHING * max(1.0, abs(self.grand_value))

    def share(self, actor: str) -> float | None:
        """``actor``'s Shapley value as a share of what all guarantees add (:attr:`added`),
        the one share every view shows; None where guarantees add nothing."""
        return None if self.adds_nothing else self.shapley[actor] / self.added

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "detente.contributions", "version": 1, "scenario": self.scenario_id,
            "value": self.value, "exact": self.exact, "shapley": self.shapley,
            "alone": self.alone, "without": self.without, "grand_value": self.grand_value,
            "empty_value": self.empty_value, "coalitions": self.coalitions, "seed": self.seed,
            "guarantors": self.guarantors, "ignored": list(self.ignored),
        }


def guarantor_needs(problem: SettlementProblem, settings: UtilitySettings = DEFAULT_SETTINGS,
                    weighting: Literal["capability", "equal"] = "capability",
                    method: Method = "auto", stakes_left_out: bool = False
                    ) -> dict[str, dict[str, float | bool | None]]:
    """For the best Nash package: each delivering actor's gain, net stake and the outside
    gain it needs to take part (see :attr:`Contributions.guarantors`); the stake is None
    where the scenario's stakes were left out (``--ignore stakes``), not a stake of 0."""
    from detente.settlement.analysis import guarantor_stakes
    from detente.settlement.problem import NamedPackage

    table = build_table(problem, settings, weighting)
    best = best_packages(table, "nash", 1, method=method)[0]
    if not best.found:
        return {}
    arrays = problem.arrays
    units = arrays.to_units(best.values[0])
    package = NamedPackage("best", "best Nash package",
                           dict(zip(problem.issue_ids, (float(v) for v in units), strict=True)),
                           problem.issue_ids)
    stakes, withheld = guarantor_stakes(problem, package, best.values[0], best.gains[0],
                                         settings)
    return {a: {"gain": float(best.gains[0][arrays.actor_ids.index(a)] * UTILITY_POINTS),
                "stake": None if stakes_left_out else stake, "needs": withheld.get(a, 0.0),
                "gives": a not in withheld}
            for a, stake in stakes.items()}


def coalition_values(problem: SettlementProblem, members: np.ndarray, value: ValueName = "nash",
                     settings: UtilitySettings = DEFAULT_SETTINGS,
                     weighting: Literal["capability", "equal"] = "capability",
                     method: Method = "auto") -> np.ndarray:
    """Worth of each coalition, ``members [C, A]`` (bool) → ``[C]``.

    ``nash``: the best Nash product over the zone (utility points; 0 when it is empty);
    ``size``: the number of acceptable packages.
    """
    arrays = problem.arrays
    if arrays.batch_shape:
        raise ValueError("coalition_values works on one scenario")
    members = np.atleast_2d(np.asarray(members, dtype=bool))
    n_inst = len(arrays.guarantor_ids) - arrays.n_actors
    allowed = np.concatenate([members, np.ones((members.shape[0], n_inst), dtype=bool)], axis=1)
    out = np.zeros(members.shape[0])
    for start in range(0, members.shape[0], BATCH):
        rows = allowed[start:start + BATCH]
        batch = arrays.broadcast_batch(rows.shape[0])
        batch = batch.replace(trust=batch.trust * rows[:, None, :])
        table = build_table(problem.replace(arrays=batch), settings, weighting)
        if value == "size":
            out[start:start + rows.shape[0]] = zone_size(table, method)
        else:
            found = best_packages(table, "nash", 1, method=method)
            out[start:start + rows.shape[0]] = [
                float(np.exp(b.score[0]) * UTILITY_POINTS) if b.found else 0.0 for b in found]
    return out


def trusted_actors(problem: SettlementProblem) -> tuple[int, ...]:
    """The actors (indices) whose trust column some gain of the package search reads: those
    that deliver a move of an issue, verify in a verification band, or deliver part of a
    walk-away package.

    A coalition's worth differs from another's only through everybody's trust in the actors
    it leaves out (:func:`coalition_values`), and the search reads no other actor's trust
    (:func:`~detente.settlement.utility.credibility` drops the columns of guarantors that
    deliver nothing, unread): every other actor is a null player, v(S ∪ {i}) = v(S), whose
    Shapley value is exactly 0 (Shapley 1953, the null-player property). The Shapley values
    of the others are those of the game among them alone."""
    actors = problem.actor_ids
    gids = problem.arrays.guarantor_ids
    named = {gids[g] for g in np.flatnonzero(problem.guarantees().deliverers.any(axis=0))}
    mech = problem.mechanisms
    for spec in mech.verifications:
        named.update(g for _, band in spec.bands for g in band)
    for _, walk in mech.walk_away:
        named.update(g for deliverers in walk.guarantors or () for g in deliverers or ())
    return tuple(k for k, a in enumerate(actors) if a in named)


def shapley_exact(worth: dict[int, float], n: int) -> np.ndarray:
    """Exact Shapley values from the worth of every coalition (bit masks over n players)."""
    phi = np.zeros(n)
    fact = [math.factorial(k) for k in range(n + 1)]
    for mask, v in worth.items():
        size = bin(mask).count("1")
        for i in range(n):
            if mask >> i & 1:  # i joins S = mask − i
                phi[i] += fact[size - 1] * fact[n - size] / fact[n] * (v - worth[mask ^ 1 << i])
    return phi


def contributions(
    scenario: Scenario | str | Path | None = None,
    *,
    value: ValueName = "nash",
    samples: int = 2000,
    rng: RngLike = 0,
    step: GridStep | float | str | None = None,
    utility: UtilityShape = "quadratic",
    correlation: float = 0.0,
    losses: Literal["discounted", "certain"] = "discounted",
    weighting: Literal["capability", "equal"] = "capability",
    method: Method = "auto",
    exact_limit: int = EXACT_LIMIT,
    variation: Any = None,
    ignore: Sequence[str] = (),
) -> Contributions:
    """Shapley value of every actor as a guarantor (see the module docstring).

    ``variation``: a counterfactual (:class:`detente.variation.Variation`) applied to the
    settlement problem first: the actors and guarantors are then the varied ones.
    """
    if value not in ("nash", "size"):
        raise option_error("--value", f"unknown value '{value}'", "use nash or size")
    if isinstance(samples, bool) or not isinstance(samples, int | np.integer) \
            or not 1 <= samples <= MAX_SAMPLES:
        # a float NaN passed the old `samples < 1` check and failed later in range()
        raise option_error("--samples", f"samples must be a whole number from 1 to "
                           f"{MAX_SAMPLES:,}, got {samples!r}",
                           f"give e.g. {option_text('samples', 2000)}")
    s = load(scenario)
    problem = SettlementProblem.from_scenario(s, step)
    problem = problem.replace(mechanisms=ignoring(problem.mechanisms, list(ignore)))
    if variation is not None and not variation.is_empty:
        problem = variation.apply_problem(problem)
    # As settle refuses it: with nobody who must agree, every coalition's deal is worth the
    # same, and each actor's share of it would be a number about nothing.
    require_parties(problem.arrays, "contributions")
    try:
        settings = UtilitySettings(utility=utility, correlation=correlation, losses=losses)
    except ValueError as err:
        raise option_error("contributions", str(err), "see `detente contributions --help`"
                           ) from None
    # The game is played among the actors whose trust the search reads; every other actor
    # adds nothing to any coalition (a null player, trusted_actors), so its value is 0 and
    # the players' values are exact, and independent of the actors' order, whenever the
    # players are few enough: however many actors the scenario has.
    n = problem.arrays.n_actors
    actors = problem.actor_ids
    # In the order of their ids, not the file's: sampled orders of them, drawn from one
    # seed, are then the same orders of the same actors however the file lists them.
    players = sorted(trusted_actors(problem), key=actors.__getitem__)
    m = len(players)
    # Coalitions of players are bit masks over the m players (bit j: players[j]).
    full = (1 << m) - 1

    def masks_to_members(masks: list[int]) -> np.ndarray:
        members = np.zeros((len(masks), n), dtype=bool)
        for row, mask in enumerate(masks):
            members[row, [players[j] for j in range(m) if mask >> j & 1]] = True
        return members

    worth: dict[int, float] = {}

    def evaluate(masks: list[int]) -> None:
        todo = sorted(set(masks) - set(worth))
        if todo:
            values = coalition_values(problem, masks_to_members(todo), value, settings,
                                      weighting, method)
            worth.update(zip(todo, values.tolist(), strict=True))

    seed: int | None = None
    singles = [1 << j for j in range(m)]
    others = [full ^ 1 << j for j in range(m)]
    if m <= exact_limit:
        evaluate(list(range(full + 1)))
        phi = shapley_exact(worth, m)
        exact = True
    else:
        # A Generator gives an integer seed drawn from it, so that the seed echoed repeats
        # the run.
        seed = spawn_seed(rng)
        generator = np.random.default_rng(seed)
        orders = np.array([generator.permutation(m) for _ in range(samples)])
        prefixes = np.zeros((samples, m + 1), dtype=object)
        for t in range(samples):
            mask = 0
            for j, i in enumerate(orders[t]):
                mask |= 1 << int(i)
                prefixes[t, j + 1] = mask
        evaluate([0, full, *singles, *others, *{int(p) for p in prefixes.ravel()}])
        phi = np.zeros(m)
        for t in range(samples):
            for j, i in enumerate(orders[t]):
                phi[i] += worth[prefixes[t, j + 1]] - worth[prefixes[t, j]]
        phi /= samples
        exact = False
    evaluate([0, full, *singles, *others])
    bit = {k: j for j, k in enumerate(players)}
    # A null player alone is worth what nobody is; without it, what everybody is.
    return Contributions(
        scenario_id=s.id, scenario_title=s.title, value=value, exact=exact,
        shapley={a: float(phi[bit[k]]) if k in bit else 0.0 for k, a in enumerate(actors)},
        alone={a: worth[1 << bit[k]] if k in bit else worth[0] for k, a in enumerate(actors)},
        without={a: worth[full ^ 1 << bit[k]] if k in bit else worth[full]
                 for k, a in enumerate(actors)},
        grand_value=worth[full], empty_value=worth[0], coalitions=len(worth), seed=seed,
        guarantors=guarantor_needs(problem, settings, weighting, method,
                                   stakes_left_out="stakes" in ignore),
        mechanisms=problem.mechanisms, ignored=tuple(ignore),
    )


__all__ = ["Contributions", "coalition_values", "contributions", "guarantor_needs",
           "shapley_exact", "trusted_actors"]
