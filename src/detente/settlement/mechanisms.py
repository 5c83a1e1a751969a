"""Verification, linked issues, walk-away points and guarantors' stakes (issue 16).

The equations are in ``docs/settle.md`` (sections *Verification*, *Linked issues and package
rules*, *Walk-away points*, *Guarantors' stakes*). In short, on the unit scale:

* **Verification** (issue V verifies issue k): the verification level is
  L(v) = clip((v − none_at)/(full_at − none_at), 0, 1) and actor a's trust in the regime
  at v is R[a](v) = 1 − Π_{g ∈ verifiers(v)} (1 − T[a, g]) (the verifiers of v's band). The
  regime is itself a promise, believed with a's credibility c[a, V], so a expects

      E[a](x_V) = c[a, V] L(x_V) R[a](x_V) + (1 − c[a, V]) L(q_V) R[a](q_V)

  and credits a promised move of k with c'[a, k] = c[a, k] + (1 − c[a, k]) · e · E[a](x_V),
  e the stated strength: verification deters the share e·E of the defections a fears
  (the monitoring argument of Keohane 1984, ch. 6; Fearon 1995 on commitment problems).
* **Links**: actor a's gain on issue j counts in full only once issue k has moved from its
  status quo to the target t: with progress P_k(x) = clip((x − q_k)/(t − q_k), 0, 1) and
  weight w, h'[a, j] = h[a, j] − w (1 − P_k(x_k)) max(h[a, j], 0) (complements in the sense
  of Raiffa 1982, ch. 10: the value of one term depends on another).
* **Rules**: packages with ``when`` true and ``then`` false are not on the table.
* **Stakes**: a guarantor g among the deliverers of a moved issue k gains
  outside_gain[g, k] − cost[g, k] on top of its utility.
* **Walk-away points** r[a] (Fisher & Ury 1981's BATNA): the gain of a stated package, or a
  stated utility level minus the status quo's utility; every gain the search and the
  analyses compare is then g[a] − r[a].

Every interaction involves at most two issues (the scenario checks see to it), so a
package's gain is Σ_k H[k, x_k] + Σ_pairs Q[x_i, x_j]: exact pair terms for the search.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from detente.arrays import Arrays
from detente.errors import OptionError, Problem, did_you_mean, option_place
from detente.scenario.compile import Mechanisms, RuleSpec, VerificationSpec
from detente.settlement.utility import (
    DEFAULT_SETTINGS,
    Guarantees,
    UtilitySettings,
    credibility,
    issue_gains,
    issue_utility,
    salience_shares,
    status_quo_losses,
)

#: The names ``--ignore`` takes, and the :class:`Mechanisms` field each leaves out.
KINDS = {"verification": "verifications", "links": "links", "rules": "rules",
         "walk-away": "walk_away", "stakes": "stakes"}

#: Tolerance of value comparisons on the unit scale (rule bounds, bands, moved issues).
VALUE_TOLERANCE = 1e-9


def _level(spec: VerificationSpec, v: np.ndarray) -> np.ndarray:
    return np.clip((v - spec.none_at) / (spec.full_at - spec.none_at), 0.0, 1.0)


def effective_credibility(mech: Mechanisms, arrays: Arrays, values: np.ndarray,
                          guarantees: Guarantees, settings: UtilitySettings = DEFAULT_SETTINGS,
                          dependencies: np.ndarray | None = None,
                          delivered: np.ndarray | None = None,
                          issues: Sequence[int] | None = None
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The credibility each actor gives each issue's promised move in each package, raised
    by verification: (values, dependencies, belief ``[B,] P, A, I``), the first two
    broadcast to the packages' common shape.

    ``delivered`` (broadcast against ``values``): the values already in place, which a
    promised regime falls back to when it is not delivered (default: the status quo; a
    roadmap passes the stages carried out, docs/roadmap.md). ``issues``: the belief of
    these issues alone, ``[B,] P, A, len(issues)`` (``values`` and the dependencies still
    hold every issue: a verifier may be another); each column has the bits of the full
    belief's column of that issue, every value being computed element by element."""
    values = np.asarray(values, dtype=float)
    deps = values if dependencies is None else np.asarray(dependencies, dtype=float)
    ids = arrays.issue_ids
    trust = arrays.trust[..., None, :, :]  # [B,] 1, A, G
    before = credibility(trust, guarantees.deliverers, guarantees.unconditional,
                         settings.correlation)  # [B,] P|1, A, I
    lead = np.broadcast_shapes(values.shape[:-1], deps.shape[:-1], before.shape[:-2])
    values = np.broadcast_to(values, (*lead, values.shape[-1]))
    deps = np.broadcast_to(deps, values.shape)
    # The credibility before verification, read-only: a broadcast view, not a second copy
    # of [B, P, A, I] (the gain table's pair grids make that hundreds of MB per call).
    base = np.broadcast_to(before, (*lead, *before.shape[-2:]))
    column = _columns(len(ids), issues)
    belief = (base if issues is None else
              np.broadcast_to(before[..., list(column)], (*lead, before.shape[-2],
                                                          len(column)))).copy()
    # The status quo is the same in every package: what a regime falls back to is computed
    # once per scenario (package axis 1) and broadcast in the sums below, each element from
    # the same operands as on the full [B, P, A] arrays, so the same bits.
    in_place = (np.broadcast_to(arrays.status_quo[..., None, :], (*lead[:-1], 1, len(ids)))
                if delivered is None else
                np.broadcast_to(np.asarray(delivered, dtype=float), values.shape))
    has = np.broadcast_to(guarantees.deliverers.any(axis=-1) & ~guarantees.unconditional,
                          values.shape)  # [B,] P, I
    for spec in mech.verifications:
        verified = [(column[k], k) for k in (ids.index(i) for i in spec.verified if i in ids)
                    if k in column]
        if spec.issue not in ids or not verified:
            continue
        kv = ids.index(spec.issue)
        x = deps[..., kv]  # [B,] P
        q = in_place[..., kv]  # [B,] P|1
        level_x = _level(spec, x)[..., None]  # [B,] P, 1
        level_q = _level(spec, q)[..., None]
        bands = _bands(spec, arrays)  # once for both values: it reads only the trust
        regime_x = _regime(spec, bands, x)  # [B,] P, A
        regime_q = _regime(spec, bands, q)  # [B,] P|1, A
        expected = (base[..., kv] * level_x * regime_x
                    + (1.0 - before[..., kv]) * level_q * regime_q)
        for out, k in verified:
            c = base[..., k]
            raised = c + (1.0 - before[..., k]) * spec.strength * expected
            belief[..., out] = np.where(has[..., k][..., None], raised, c)
    return values, deps, belief


def _columns(n_issues: int, issues: Sequence[int] | None) -> dict[int, int]:
    """Issue index -> its column among ``issues`` (every issue in order when None)."""
    chosen = range(n_issues) if issues is None else issues
    column = {int(k): n for n, k in enumerate(chosen)}
    if len(column) != len(chosen) or not all(0 <= k < n_issues for k in column):
        raise ValueError(f"issues must be distinct indices below {n_issues}, got {issues!r}")
    return column


def issue_gains_with(mech: Mechanisms, arrays: Arrays, values: np.ndarray,
                     guarantees: Guarantees, settings: UtilitySettings = DEFAULT_SETTINGS,
                     dependencies: np.ndarray | None = None,
                     issues: Sequence[int] | None = None) -> np.ndarray:
    """Per-issue gains over the status quo with verification, links and stakes,
    ``[B,] P, A, I`` for ``values [B,] P, I`` (unit scale).

    ``dependencies`` (same shape as ``values``): the values the verifying and the needed
    issues are read at, instead of ``values`` (the gain table reads them at the status quo
    for its per-issue part, :func:`detente.settlement.search.build_table`). ``issues``:
    the gains on these issues alone, ``[B,] P, A, len(issues)``, the same bits as those
    columns of the full result (the gain table's pair terms read two of every issue's).
    """
    values, deps, belief = effective_credibility(mech, arrays, values, guarantees, settings,
                                                 dependencies, issues=issues)
    # A list index copies only [B,] P, len(issues) of the values; the slice keeps the
    # full evaluation free of any copy.
    chosen: slice | list[int] = slice(None) if issues is None else [int(k) for k in issues]
    status_quo = arrays.status_quo[..., chosen]  # [B,] I
    position = arrays.position[..., None, :, chosen]
    shares = salience_shares(arrays.salience)[..., None, :, chosen]
    gains = issue_gains(position, shares, status_quo[..., None, :], values[..., chosen],
                        belief, settings.power, settings.certain_losses)  # [B,] P, A, I
    gains = linked_gains(mech, arrays, gains, deps, in_place=True,
                         issues=issues)  # gains is ours
    gains += stake_gains(mech, arrays, values, guarantees, issues=issues)
    return gains


def linked_gains(mech: Mechanisms, arrays: Arrays, gains: np.ndarray, needed: np.ndarray,
                 in_place: bool = False, issues: Sequence[int] | None = None) -> np.ndarray:
    """Per-issue gains ``[..., A, I]`` after the links: a's gain on j counts in full only
    once the needed issue k (read in ``needed [..., I]``) has reached its target,
    h' = h − w (1 − P_k) max(h, 0) (a copy, ``gains`` left as it is, unless ``in_place``
    and ``gains`` is a float array, which is then changed and returned). ``issues``: the
    issues of ``gains``' columns when it holds only some (``needed`` holds every one)."""
    ids, actors = arrays.issue_ids, arrays.actor_ids
    column = _columns(len(ids), issues)
    status_quo = arrays.status_quo  # [B,] I
    if not (in_place and isinstance(gains, np.ndarray) and gains.dtype == np.float64):
        gains = np.array(gains, dtype=float)
    for link in mech.links:
        if link.actor not in actors or link.issue not in ids or link.needs not in ids:
            continue
        if ids.index(link.issue) not in column:
            continue
        a, j, k = (actors.index(link.actor), column[ids.index(link.issue)],
                   ids.index(link.needs))
        q = status_quo[..., k][..., None]
        span = link.target - q
        # a (sampled) status quo at the target: the condition is met already
        safe = np.where(np.abs(span) > VALUE_TOLERANCE, span, 1.0)
        progress = np.where(np.abs(span) > VALUE_TOLERANCE,
                            np.clip((needed[..., k] - q) / safe, 0.0, 1.0), 1.0)  # [B,] P
        h = gains[..., a, j]
        gains[..., a, j] = h - link.weight * (1.0 - progress) * np.maximum(h, 0.0)
    return gains


def stake_gains(mech: Mechanisms, arrays: Arrays, values: np.ndarray,
                guarantees: Guarantees, issues: Sequence[int] | None = None) -> np.ndarray:
    """What each guarantor's stakes add to its per-issue gains, ``[..., P, A, I]`` for
    ``values [..., P, I]``: outside_gain − cost on each issue the package moves from the
    status quo and the guarantor delivers (on ``issues`` alone, in that order, if given)."""
    ids, actors = arrays.issue_ids, arrays.actor_ids
    column = _columns(len(ids), issues)
    status_quo = arrays.status_quo  # [B,] I
    lead = np.broadcast_shapes(values.shape[:-1], (*status_quo.shape[:-1], 1))
    out = np.zeros((*lead, len(actors), len(column)))
    gids = arrays.guarantor_ids
    for g, iid, cost, outside in mech.stakes:
        if g not in actors or iid not in ids or ids.index(iid) not in column:
            continue
        a, k = actors.index(g), ids.index(iid)
        moved = np.abs(values[..., k] - status_quo[..., k][..., None]) > VALUE_TOLERANCE
        delivers = np.broadcast_to(guarantees.deliverers[..., k, gids.index(g)],
                                   moved.shape)
        out[..., a, column[k]] += (outside - cost) * (moved & delivers)
    return out


def _bands(spec: VerificationSpec, arrays: Arrays) -> np.ndarray:
    """Each band's regime trust 1 − Π_{g ∈ band} (1 − T[a, g]), ``[B,] nb, A``."""
    index = {g: n for n, g in enumerate(arrays.guarantor_ids)}
    per_band = []
    for _, ids in spec.bands:
        cols = [index[g] for g in ids if g in index]
        t = arrays.trust[..., cols]  # [B,] A, n
        per_band.append(1.0 - np.prod(1.0 - t, axis=-1))  # [B,] A
    return np.stack(per_band, axis=-2)  # [B,] nb, A


def _regime(spec: VerificationSpec, bands: np.ndarray, v: np.ndarray) -> np.ndarray:
    """R[a](v) for values ``v [B,] ...`` → ``[B,] ..., A`` (B the trust's batch axes), from
    the bands' regime trust (:func:`_bands`)."""
    ups = np.array([u for u, _ in spec.bands])
    which = np.clip(np.searchsorted(ups, v - VALUE_TOLERANCE, side="left"), 0, len(ups) - 1)
    if bands.ndim == 2:
        return bands[which]  # ..., A
    # trust batched [B..., nb, A]: pick each value's band along nb, broadcasting the rest
    extra = which.ndim - (bands.ndim - 2)
    table = bands.reshape(bands.shape[:-2] + (1,) * extra + bands.shape[-2:])
    return np.take_along_axis(table, which[..., None, None], axis=-2)[..., 0, :]


def walk_away(mech: Mechanisms, arrays: Arrays,
              settings: UtilitySettings = DEFAULT_SETTINGS) -> np.ndarray:
    """Each actor's walk-away point as a gain over the status quo, ``[B,] A`` (0 where the
    scenario states none: the status quo is the walk-away point). A batch axis on any
    array (e.g. trust alone, in a trust scan) carries through."""
    actors = arrays.actor_ids
    pieces: dict[int, np.ndarray] = {}
    # one evaluation per distinct walk-away package (korea-2017: all six share PX)
    evaluated: dict[tuple[object, ...], np.ndarray] = {}
    for actor, spec in mech.walk_away:
        if actor not in actors:
            continue
        a = actors.index(actor)
        if spec.utility is not None:
            shares = salience_shares(arrays.salience)
            at_q = (shares * issue_utility(arrays.position, arrays.status_quo,
                                           settings.power)).sum(axis=-1)  # [B,] A
            pieces[a] = spec.utility - at_q[..., a]
            continue
        assert spec.values is not None and spec.guarantors is not None
        key = (spec.values, spec.guarantors)
        if key not in evaluated:
            units = (np.array(spec.values) - arrays.scale_low) / (arrays.scale_high
                                                                  - arrays.scale_low)
            guarantees = Guarantees.from_lists(arrays.guarantor_ids, list(spec.guarantors))
            evaluated[key] = issue_gains_with(mech, arrays, units[None], guarantees,
                                              settings).sum(axis=-1)[..., 0, :]
        pieces[a] = evaluated[key][..., a]
    lead = np.broadcast_shapes(arrays.capability.shape[:-1],
                               *(np.shape(v) for v in pieces.values()))
    out = np.zeros((*lead, arrays.n_actors))
    for a, v in pieces.items():
        out[..., a] = v
    return out


def reference_losses(mech: Mechanisms, arrays: Arrays,
                     settings: UtilitySettings = DEFAULT_SETTINGS) -> dict[str, float]:
    """Each actor's loss at its reference point, in utility points (docs/glossary.md,
    *share*): at its walk-away point where the scenario states one (issue 16), else at the
    status quo. Every gain settle reports is over that point, so ``gain / loss`` is the
    share of the way from it to everything the actor wants (1: every issue at the actor's
    position). The walk-away point is the BATNA of Fisher & Ury (1981)."""
    from detente.settlement.analysis import UTILITY_POINTS  # it imports this module

    losses = status_quo_losses(arrays, settings.utility)
    if not mech.walk_away:
        return losses
    # walk_away is the point's gain over the status quo (unit scale): a walk-away point
    # below the status quo is a larger loss.
    offset = walk_away(mech, arrays, settings)
    return {a: losses[a] - UTILITY_POINTS * float(offset[k])
            for k, a in enumerate(arrays.actor_ids)}


def within(values: np.ndarray | Sequence[float], low: float, high: float) -> np.ndarray:
    """Whether values (unit scale) lie in one side of a package rule, [low, high] closed,
    to the tolerance the rules are kept to."""
    unit = np.asarray(values)
    inside: np.ndarray = (unit >= low - VALUE_TOLERANCE) & (unit <= high + VALUE_TOLERANCE)
    return inside


def rule_allows(rule: RuleSpec, when: np.ndarray, then: np.ndarray) -> np.ndarray:
    """Whether values of the two issues (broadcast) satisfy ``when ⇒ then``."""
    allows: np.ndarray = ~within(when, rule.when_low, rule.when_high) | within(
        then, rule.then_low, rule.then_high)
    return allows


def package_allowed(mech: Mechanisms, issue_ids: tuple[str, ...],
                    values: np.ndarray) -> np.ndarray:
    """Whether packages ``[..., I]`` keep every rule, ``[...]``."""
    ok = np.ones(values.shape[:-1], dtype=bool)
    for rule in mech.rules:
        if rule.when_issue in issue_ids and rule.then_issue in issue_ids:
            ok &= rule_allows(rule, values[..., issue_ids.index(rule.when_issue)],
                              values[..., issue_ids.index(rule.then_issue)])
    return ok


def broken_rules(mech: Mechanisms, arrays: Arrays, values: np.ndarray) -> list[str]:
    """The rules one package (``values [I]``, unit scale) breaks, or that some of several
    packages (``[N, I]``) break, described in issue units."""
    return [r.describe(arrays) for r in mech.rules
            if not np.all(package_allowed(Mechanisms(rules=(r,)), arrays.issue_ids, values))]


def pair_keys(mech: Mechanisms, issue_ids: tuple[str, ...],
              actor_ids: tuple[str, ...]) -> list[tuple[int, int]]:
    """The issue pairs (i < j) some gain or rule ties together."""
    keys: set[tuple[int, int]] = set()

    def add(x: str, y: str) -> None:
        if x in issue_ids and y in issue_ids:
            i, j = issue_ids.index(x), issue_ids.index(y)
            keys.add((min(i, j), max(i, j)))

    for spec in mech.verifications:
        for iid in spec.verified:
            add(spec.issue, iid)
    for link in mech.links:
        if link.actor in actor_ids:
            add(link.issue, link.needs)
    for rule in mech.rules:
        add(rule.when_issue, rule.then_issue)
    return sorted(keys)


def ignoring(mech: Mechanisms, names: Sequence[str]) -> Mechanisms:
    """The mechanisms without the kinds named (``--ignore verification`` ...): to compare
    an analysis with and without them. Unknown names raise an :class:`OptionError`."""
    unknown = [n for n in names if n not in KINDS]
    if unknown:
        raise OptionError([Problem(option_place("ignore"), f"unknown mechanism '{n}'",
                                   did_you_mean(n, list(KINDS))) for n in unknown])
    return mech.without(*(KINDS[n] for n in names)) if names else mech
