"""Package utilities, credibility of promises, gains over the reservation: the array core.

Every function here works on plain arrays with an optional leading batch axis ``[B,]`` (Monte
Carlo) and, where packages are involved, a package axis ``P`` just before the actor axis.
The staged roadmaps (issue #9) and the uncertainty layer build on these functions; their
equations are in ``docs/settle.md``.

Notation (unit scale, 0 = scale low, 1 = scale high): ``p[a, k]`` ideal point of actor a on
issue k, ``s[a, k]`` salience, ``q[k]`` status quo, ``x[k]`` a package's value, ``T[a, g]``
how far actor a believes guarantor g, ``D[k, g]`` whether g is one of the deliverers of a
move of issue k.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from detente.arrays import Arrays
from detente.errors import NOBODY_MUST_AGREE, NobodyMustAgree, Problem, option_text

if TYPE_CHECKING:
    from detente.scenario.compile import Mechanisms

UtilityShape = Literal["linear", "quadratic"]
#: An actor gains from a package when its gain exceeds this (on the unit utility scale).
GAIN_TOLERANCE = 1e-9


def loss_power(utility: UtilityShape) -> float:
    """The exponent of the distance loss: 1 for ``linear``, 2 for ``quadratic``."""
    if utility == "linear":
        return 1.0
    if utility == "quadratic":
        return 2.0
    raise ValueError(f"utility must be 'linear' or 'quadratic', got {utility!r}")


def salience_shares(salience: np.ndarray) -> np.ndarray:
    """Each actor's saliences divided by their sum over issues, ``[B,] A, I``.

    With these shares an actor's package utility lies in [-1, 0] whatever the scale of its
    saliences, so gains are comparable across actors (needed by the max-min criterion).
    An actor with no salience anywhere gets zeros (it is indifferent to every package).
    """
    total = salience.sum(axis=-1, keepdims=True)
    return np.divide(salience, total, out=np.zeros_like(salience, dtype=float),
                     where=total > 0)


def issue_utility(position: np.ndarray, values: np.ndarray, power: float) -> np.ndarray:
    """u[a, k](x) = −|x[k] − p[a, k]|^power; ``position [..., A, I]``, ``values [..., I]``.

    Returns ``[..., A, I]`` (leading axes broadcast).
    """
    return -np.abs(values[..., None, :] - position) ** power


@dataclass(frozen=True)
class Guarantees:
    """Who delivers a move of each issue away from the status quo.

    ``deliverers [..., I, G]``: whether guarantor g is among the deliverers of issue k (a
    leading package axis carries per-package overrides). ``unconditional [..., I]``: issues
    for which nobody is named, whose promised moves are taken at face value (credibility 1).
    An issue whose named deliverers were all removed (e.g. ``--without RU`` on an issue only
    Russia guarantees) is *not* unconditional: nobody can deliver it, its credibility is 0.
    """

    guarantor_ids: tuple[str, ...]
    deliverers: np.ndarray
    unconditional: np.ndarray

    @classmethod
    def from_lists(cls, guarantor_ids: Sequence[str],
                   per_issue: Sequence[Sequence[str] | None]) -> Guarantees:
        """One entry per issue: a list of guarantor ids, or None for unconditional."""
        index = {g: k for k, g in enumerate(guarantor_ids)}
        deliverers = np.zeros((len(per_issue), len(guarantor_ids)), dtype=bool)
        unconditional = np.zeros(len(per_issue), dtype=bool)
        for k, names in enumerate(per_issue):
            if names is None:
                unconditional[k] = True
                continue
            for name in names:
                if name in index:  # a removed guarantor simply delivers nothing
                    deliverers[k, index[name]] = True
        return cls(tuple(guarantor_ids), deliverers, unconditional)

    @classmethod
    def stack(cls, items: Sequence[Guarantees]) -> Guarantees:
        """Stack per-package guarantees along a new leading package axis."""
        return cls(items[0].guarantor_ids, np.stack([g.deliverers for g in items]),
                   np.stack([g.unconditional for g in items]))

    @classmethod
    def everyone_believed(cls, guarantor_ids: Sequence[str], n_issues: int) -> Guarantees:
        """Every issue unconditional: the plain model without credibility."""
        return cls(tuple(guarantor_ids), np.zeros((n_issues, len(guarantor_ids)), dtype=bool),
                   np.ones(n_issues, dtype=bool))


def credibility(trust: np.ndarray, deliverers: np.ndarray, unconditional: np.ndarray,
                correlation: float = 0.0) -> np.ndarray:
    """How far each actor believes a promised move of each issue, ``[..., A, I]``.

    ``trust [..., A, G]``, ``deliverers [..., I, G]``, ``unconditional [..., I]`` (leading
    axes broadcast). With independent failures of the deliverers (``correlation = 0``) the
    move happens unless every deliverer defects:

        c_ind[a, k] = 1 − Π_{g ∈ D_k} (1 − T[a, g])

    With perfectly correlated (comonotone) failures it happens exactly when the most
    trusted deliverer delivers: c_cor[a, k] = max_{g ∈ D_k} T[a, g]. A ``correlation``
    ρ in [0, 1] mixes the two, c = (1 − ρ) c_ind + ρ c_cor. An empty set of deliverers
    gives c = 0; an unconditional issue gives c = 1. An actor believes its own promises
    (T[a, a] = 1), so c = 1 wherever it is itself a deliverer.
    """
    if not 0.0 <= correlation <= 1.0:
        raise ValueError(f"correlation must be between 0 and 1, got {correlation}")
    deliverers = np.asarray(deliverers, dtype=bool)
    n_g = deliverers.shape[-1]
    used = np.flatnonzero(deliverers.reshape(-1, n_g).any(axis=0)) if n_g else np.arange(0)
    if used.size < n_g:
        # A guarantor that delivers no issue adds a factor of exactly 1.0 to every product
        # below (x·1.0 = x, and the product is taken in guarantor order either way) and a
        # 0.0 to every max (kept as the max's initial value): leaving it out changes no
        # bit and shrinks the [..., A, I, G] temporaries to the few that deliver (2 of 42
        # guarantors in a 40-actor scenario with two guarantors).
        trust = trust[..., used]
        deliverers = deliverers[..., used]
    t = trust[..., :, None, :]  # [..., A, 1, G]
    d = deliverers[..., None, :, :]  # [..., 1, I, G]
    fail_all = np.prod(np.where(d, 1.0 - t, 1.0), axis=-1)
    belief = 1.0 - fail_all
    if correlation > 0.0:
        candidates = np.where(d, t, 0.0)
        most_trusted = (np.max(candidates, axis=-1, initial=0.0) if used.size < n_g
                        else np.max(candidates, axis=-1))
        belief = (1.0 - correlation) * belief + correlation * most_trusted
    return np.where(unconditional[..., None, :], 1.0, belief)


def issue_gains(position: np.ndarray, shares: np.ndarray, status_quo: np.ndarray,
                values: np.ndarray, belief: np.ndarray, power: float,
                certain_losses: bool = False) -> np.ndarray:
    """Gain of each actor on each issue from moving it to ``values``, ``[..., A, I]``.

    The actor values a promised move as a lottery: with probability c it happens, else the
    status quo stays, so its value of issue k is c·u(x) + (1 − c)·u(q) and its gain over
    the status quo is

        h[a, k](x) = s̃[a, k] · c[a, k] · (u[a, k](x[k]) − u[a, k](q[k]))

    with s̃ the salience shares. ``certain_losses``: a move the actor loses from is taken
    as certain (c = 1), only moves it gains from are discounted. ``values`` and
    ``status_quo`` are ``[..., I]``.
    """
    moved = issue_utility(position, values, power)
    stay = issue_utility(position, np.asarray(status_quo, dtype=float), power)
    change = moved - stay
    if certain_losses:
        belief = np.where(change < 0, 1.0, belief)
    return shares * belief * change


@dataclass(frozen=True)
class UtilitySettings:
    """How actors value packages: the loss shape, how deliverers' failures correlate, and
    whether moves an actor loses from are discounted like promises (``losses="discounted"``,
    the lottery for every move) or taken as certain (``losses="certain"``)."""

    utility: UtilityShape = "quadratic"
    correlation: float = 0.0
    losses: Literal["discounted", "certain"] = "discounted"

    def __post_init__(self) -> None:
        loss_power(self.utility)
        if self.losses not in ("discounted", "certain"):
            raise ValueError(f"losses must be 'discounted' or 'certain', got {self.losses!r}")
        if not 0.0 <= self.correlation <= 1.0:
            raise ValueError(f"correlation must be between 0 and 1, got {self.correlation}")

    @property
    def power(self) -> float:
        return loss_power(self.utility)

    @property
    def certain_losses(self) -> bool:
        return self.losses == "certain"


#: The default settings: quadratic loss, independent failures of the deliverers.
DEFAULT_SETTINGS = UtilitySettings()


def package_issue_gains(arrays: Arrays, packages: np.ndarray, guarantees: Guarantees,
                        settings: UtilitySettings = DEFAULT_SETTINGS,
                        mechanisms: Mechanisms | None = None) -> np.ndarray:
    """Per-issue gains of every actor from every package over the status quo, ``[B,] P, A, I``.

    ``packages``: unit-scale values ``[P, I]`` or ``[B, P, I]``. ``guarantees``: one set for
    all packages (``deliverers [I, G]``) or one per package (``[P, I, G]``). ``mechanisms``:
    verification, links and stakes (:mod:`detente.settlement.mechanisms`); the walk-away
    points are not subtracted here (see :func:`package_gains`).
    """
    packages = np.asarray(packages, dtype=float)
    if mechanisms is not None and not mechanisms.is_empty:
        from detente.settlement.mechanisms import issue_gains_with

        return issue_gains_with(mechanisms, arrays, packages, guarantees, settings)
    trust = arrays.trust[..., None, :, :]  # [B,] 1, A, G
    belief = credibility(trust, guarantees.deliverers, guarantees.unconditional,
                         settings.correlation)  # [B,] P|1, A, I
    position = arrays.position[..., None, :, :]
    shares = salience_shares(arrays.salience)[..., None, :, :]
    status_quo = arrays.status_quo[..., None, :]
    return issue_gains(position, shares, status_quo, packages, belief, settings.power,
                       settings.certain_losses)


def package_gains(arrays: Arrays, packages: np.ndarray, guarantees: Guarantees,
                  settings: UtilitySettings = DEFAULT_SETTINGS,
                  mechanisms: Mechanisms | None = None) -> np.ndarray:
    """Each actor's gain from each package over its walk-away point, ``[B,] P, A``.

    U_a(x) = Σ_k s̃[a,k] (c[a,k] u[a,k](x_k) + (1 − c[a,k]) u[a,k](q_k)) and the gain is
    U_a(x) − U_a(q) − r_a, r_a the walk-away point as a gain over the status quo (0 unless
    ``mechanisms`` states one). With every issue unconditional (or all trust 1) and no
    mechanisms this is the plain salience-weighted utility difference.
    """
    gains = package_issue_gains(arrays, packages, guarantees, settings,
                                mechanisms).sum(axis=-1)
    if mechanisms is not None and mechanisms.walk_away:
        from detente.settlement.mechanisms import walk_away

        gains = gains - walk_away(mechanisms, arrays, settings)[..., None, :]
    return gains


def actor_gains(arrays: Arrays, actor: int, packages: np.ndarray, guarantees: Guarantees,
                settings: UtilitySettings = DEFAULT_SETTINGS,
                mechanisms: Mechanisms | None = None) -> np.ndarray:
    """One actor's gain from each package over its walk-away point, ``[B,] P``: equal,
    element for element, to ``package_gains(...)[..., actor]``.

    Every term of an actor's gain reads only its own rows of position, salience and trust
    (its credibility, its trust in a verification regime's verifiers), its own links and
    stakes and its own walk-away point, besides what all actors share (status quo, scales,
    deliverers, the package); nothing couples two actors (docs/settle.md, *Evaluating one
    actor*). So the other actors' rows are left out rather than computed and thrown away:
    a scan of one blocker's trust, position or salience does 1/A of the work.
    """
    own = arrays.actor_rows([actor])
    return package_gains(own, packages, guarantees, settings, mechanisms)[..., 0]


def package_utilities(arrays: Arrays, packages: np.ndarray, guarantees: Guarantees,
                      settings: UtilitySettings = DEFAULT_SETTINGS,
                      mechanisms: Mechanisms | None = None) -> np.ndarray:
    """Each actor's (credibility-weighted) utility of each package, ``[B,] P, A``, in [-1, 0]
    (stakes may take a guarantor past either end)."""
    shares = salience_shares(arrays.salience)
    reservation = (shares * issue_utility(arrays.position, arrays.status_quo,
                                          loss_power(settings.utility))).sum(axis=-1)
    return reservation[..., None, :] + package_issue_gains(
        arrays, packages, guarantees, settings, mechanisms).sum(axis=-1)


def status_quo_losses(arrays: Arrays, utility: UtilityShape = "quadratic") -> dict[str, float]:
    """Each actor's loss at the status quo in utility points (0 = every issue where it
    wants it): the yardstick a gain is read against (+3.5 of a 38-point loss closes 9%)."""
    from detente.settlement.analysis import UTILITY_POINTS  # it imports this module

    shares = salience_shares(arrays.salience)
    distance = -issue_utility(arrays.position, arrays.status_quo, loss_power(utility))
    loss = UTILITY_POINTS * (shares * distance).sum(axis=-1)
    return {a: float(x) for a, x in zip(arrays.actor_ids, loss, strict=True)}


def parties(arrays: Arrays) -> np.ndarray:
    """Actors whose assent a settlement needs: veto holders with some salience, ``[B,] A``."""
    return arrays.veto & (arrays.salience.sum(axis=-1) > 0)


#: The label of the problem as the scenario states it, beside each counterfactual's.
BASELINE = "baseline"


def somebody_must_agree(arrays: Arrays) -> bool:
    """Whether some actor of :func:`parties` must agree, in every batch row: the problem
    :func:`require_parties` lets through (a caller that leaves such a search out asks this
    first)."""
    return bool(np.all(np.any(parties(arrays), axis=-1)))


def require_parties(arrays: Arrays, label: str) -> None:
    """Refuse a problem (``label``: which one, e.g. "baseline" or a counterfactual) in which
    nobody must agree: no actor of :func:`parties` in some batch row.

    Then every package and every roadmap is "acceptable", each smallest gain or margin is a
    minimum over nobody (+inf) and each Nash product one over nobody (1): no number about
    the problem, so settle and roadmap both refuse it rather than show one.
    """
    if not somebody_must_agree(arrays):
        # The baseline is the scenario as written: no counterfactual to blame.
        removed = "" if label == BASELINE else (
            f", or keep a veto player: a {option_text('without')} that removes the last "
            "leaves nobody who must agree")
        raise NobodyMustAgree([Problem(
            "actors", f"{label}: {NOBODY_MUST_AGREE}",
            f"give at least one actor `veto: true` (the default){removed}")])


def acceptable(gains: np.ndarray, must_agree: np.ndarray) -> np.ndarray:
    """Whether every party that must agree gains, ``gains [..., A]`` → ``[...]``.

    ``must_agree`` (``[..., A]``, broadcast against ``gains``) is usually :func:`parties`.
    """
    return np.all((gains > GAIN_TOLERANCE) | ~must_agree, axis=-1)


def nash_weights(arrays: Arrays, weighting: Literal["capability", "equal"] = "capability"
                 ) -> np.ndarray:
    """Exponents of the Nash product, ``[B,] A``: over the parties, summing to 1.

    ``capability``: proportional to capability (the asymmetric Nash solution, Kalai 1977);
    ``equal``: the symmetric Nash (1950) product.
    """
    must = parties(arrays)
    if weighting == "capability":
        raw = np.where(must, arrays.capability, 0.0)
    elif weighting == "equal":
        raw = must.astype(float)
    else:
        raise ValueError(f"weighting must be 'capability' or 'equal', got {weighting!r}")
    total = raw.sum(axis=-1, keepdims=True)
    return np.divide(raw, total, out=np.zeros_like(raw), where=total > 0)


def nash_product(gains: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted geometric mean of the gains, Π_a g_a^{w_a} with Σ w = 1, ``[...]``.

    Zero where some weighted party does not gain (the package is outside the zone). In the
    same units as the gains, so it can be read as "a typical party's gain".
    """
    weighted = weights > 0
    positive = np.all((gains > GAIN_TOLERANCE) | ~weighted, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(weighted, weights * np.log(np.where(weighted, gains, 1.0)), 0.0)
    return np.where(positive, np.exp(logs.sum(axis=-1)), 0.0)


def min_gain(gains: np.ndarray, must_agree: np.ndarray) -> np.ndarray:
    """The smallest gain among the parties, ``[...]`` (the max-min criterion)."""
    return np.min(np.where(must_agree, gains, np.inf), axis=-1)
