"""The persuasion scans evaluate one actor, not every actor: the same numbers, bit for bit.

``_trust_needed``, ``_win_over_scan`` (settlement.analysis) and the position and salience
levers (settlement.persuasion) scan one blocker's inputs on 1001-point grids and read only
that blocker's gain; they now compute it on the blocker's own rows
(:func:`detente.settlement.utility.actor_gains`, docs/settle.md, *Evaluating one actor*).
:func:`detente.settlement.utility.credibility` leaves out guarantors that deliver nothing.
Each is checked here against the plain code it replaced, kept below as the reference
(every actor's gain on the full arrays, every guarantor in the product), with exact
equality: on random small problems with and without mechanisms (verification, links,
walk-away points, stakes, rules), every utility setting, and on korea-2017 and a crowded
scenario.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import detente
from detente.settlement import analysis as analysis_module
from detente.settlement import persuasion as persuasion_module
from detente.settlement.analysis import (
    TRUST_GRID,
    TrustNeed,
    WinOver,
    _candidate_units,
    _trust_needed,
    _win_over_scan,
    analyse_packages,
)
from detente.settlement.mechanisms import package_allowed, rule_allows, walk_away
from detente.settlement.persuasion import GRID, Lever, _levers, persuade
from detente.settlement.problem import NamedPackage, SettlementProblem
from detente.settlement.utility import (
    GAIN_TOLERANCE,
    UtilitySettings,
    actor_gains,
    credibility,
    package_gains,
    parties,
)

from .settle_helpers import (
    REFERENCE_SETTINGS,
    random_mechanisms_problems,
    random_problems,
)

SETTINGS = st.builds(UtilitySettings, utility=st.sampled_from(["quadratic", "linear"]),
                     correlation=st.sampled_from([0.0, 0.4, 1.0]),
                     losses=st.sampled_from(["discounted", "certain"]))


# ---------------------------------------------------------------------------------------
# The plain code, as it was before the one-actor scans: the reference.
# ---------------------------------------------------------------------------------------

def credibility_reference(trust: np.ndarray, deliverers: np.ndarray,
                          unconditional: np.ndarray, correlation: float = 0.0) -> np.ndarray:
    t = trust[..., :, None, :]
    d = deliverers[..., None, :, :]
    belief = 1.0 - np.prod(np.where(d, 1.0 - t, 1.0), axis=-1)
    if correlation > 0.0:
        most_trusted = np.max(np.where(d, t, 0.0), axis=-1)
        belief = (1.0 - correlation) * belief + correlation * most_trusted
    return np.where(unconditional[..., None, :], 1.0, belief)


def trust_needed_reference(problem: SettlementProblem, package: NamedPackage,
                           unit_values: np.ndarray, settings: UtilitySettings, b: int
                           ) -> tuple[TrustNeed, ...]:
    arrays = problem.arrays
    guarantees = problem.guarantees(package.guarantors)
    moved = np.abs(unit_values - arrays.status_quo) > 1e-12
    involved = (guarantees.deliverers & (moved & ~guarantees.unconditional)[:, None]).any(axis=0)
    out = []
    for g in np.nonzero(involved)[0]:
        if g == b:
            continue
        trust = np.repeat(arrays.trust[None], TRUST_GRID.size, axis=0)
        trust[:, b, g] = TRUST_GRID
        gains = package_gains(arrays.replace(trust=trust), unit_values[None], guarantees,
                              settings, problem.mechanisms)[:, 0, b]
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


def win_over_scan_reference(problem: SettlementProblem, package: NamedPackage,
                            unit_values: np.ndarray, settings: UtilitySettings, b: int
                            ) -> tuple[WinOver, ...]:
    arrays = problem.arrays
    mech = problem.mechanisms
    guarantees = problem.guarantees(package.guarantors)
    must = parties(arrays)
    grid = np.linspace(0.0, 1.0, analysis_module.SCAN_POINTS)
    reservation = walk_away(mech, arrays, settings) if mech.walk_away \
        else np.zeros(arrays.n_actors)
    plain = dataclasses.replace(mech, walk_away=())
    result = []
    for k, iid in enumerate(problem.issue_ids):
        span = arrays.scale_high[k] - arrays.scale_low[k]
        current = unit_values[k]
        cands = (_candidate_units(problem, k) - arrays.scale_low[k]) / span
        trial = np.concatenate([grid, cands])
        rows = np.repeat(unit_values[None], trial.size, axis=0)
        rows[:, k] = trial
        gains = package_gains(arrays, rows, guarantees, settings, plain) - reservation
        wins = (gains[:, b] > GAIN_TOLERANCE) & package_allowed(mech, arrays.issue_ids, rows)
        if not wins[: grid.size].any() and not wins[grid.size:].any():
            continue
        on_grid = grid[wins[: grid.size]]
        pool = on_grid if on_grid.size else trial[wins]
        threshold_unit = float(pool[np.argmin(np.abs(pool - current))])
        at_least = threshold_unit >= current
        # The band's far end: walk the grid away from the package's value while b still wins.
        far_unit: float | None = None
        if on_grid.size:
            step = 1 if at_least else -1
            j = int(np.argmin(np.abs(grid - threshold_unit)))
            while 0 <= j + step < grid.size and wins[j + step]:
                j += step
            far_unit = float(grid[j]) if 0 <= j + step < grid.size else None
        winning = cands[wins[grid.size:]]
        side = winning[(winning >= current) == at_least] if winning.size else winning
        if far_unit is not None:
            side = side[side <= far_unit] if at_least else side[side >= far_unit]
        value = None
        if side.size:
            v_unit = float(side[np.argmin(np.abs(side - current))])
            value = float(arrays.scale_low[k] + v_unit * span)
            row = np.argmin(np.abs(trial[grid.size:] - v_unit)) + grid.size
        else:
            row = int(np.argmin(np.abs(trial - threshold_unit)))
        blocking = tuple(a for j, a in enumerate(arrays.actor_ids)
                         if must[j] and gains[row, j] <= GAIN_TOLERANCE)
        # The band b accepts by its own gain around the threshold, and the rules that rule
        # out some of it: walk the grid both ways while b gains, whatever the rules say.
        alone: tuple[float | None, float | None] | None = None
        rules: tuple[str, ...] = ()
        if on_grid.size:
            accepts = gains[: grid.size, b] > GAIN_TOLERANCE
            ends: list[int | None] = []
            for step in (-1, 1):
                j = int(np.argmin(np.abs(grid - threshold_unit)))
                while 0 <= j + step < grid.size and accepts[j + step]:
                    j += step
                ends.append(j if 0 <= j + step < grid.size else None)
            run = np.arange(0 if ends[0] is None else ends[0],
                            grid.size if ends[1] is None else ends[1] + 1)
            rules = tuple(r.describe(arrays) for r in mech.rules
                          if not all(rule_allows(r, rows[i, arrays.issue_ids.index(
                              r.when_issue)], rows[i, arrays.issue_ids.index(r.then_issue)])
                              for i in run))
            if rules:
                alone = tuple(None if e is None else float(arrays.scale_low[k] + grid[e] * span)
                              for e in ends)  # type: ignore[assignment]
        result.append(WinOver(actor=arrays.actor_ids[b], issue=iid,
                              current=package.values[iid],
                              threshold=float(arrays.scale_low[k] + threshold_unit * span),
                              at_least=at_least, value=value, then_blocking=blocking,
                              far_end=None if far_unit is None
                              else float(arrays.scale_low[k] + far_unit * span),
                              ends_win=True, alone=alone, rules=rules))
    return tuple(sorted(result, key=lambda w: (w.value is None, w.size)))


def levers_reference(problem: SettlementProblem, package: NamedPackage, unit: np.ndarray,
                     settings: UtilitySettings, b: int) -> list[Lever]:
    arrays = problem.arrays
    actor = arrays.actor_ids[b]
    n_i = arrays.n_issues
    out: list[Lever] = []
    grid = np.linspace(0.0, 1.0, GRID)
    guarantees = problem.guarantees(package.guarantors)

    def all_gains(changed: object) -> np.ndarray:
        return package_gains(changed, unit[None], guarantees, settings,  # type: ignore[arg-type]
                             problem.mechanisms)[..., 0, :]

    position = np.repeat(arrays.position[None], n_i * GRID, axis=0)
    for k in range(n_i):
        position[k * GRID:(k + 1) * GRID, b, k] = grid
    gains = all_gains(arrays.broadcast_batch(n_i * GRID).replace(position=position))[:, b]
    span = arrays.scale_high - arrays.scale_low
    for k in range(n_i):
        ok = gains[k * GRID:(k + 1) * GRID] > GAIN_TOLERANCE
        now = float(arrays.position[b, k])
        needed = persuasion_module._nearest(grid, ok, now)
        if needed is not None:
            out.append(Lever(actor, "position", problem.issue_ids[k],
                             float(arrays.scale_low[k] + now * span[k]),
                             float(round(arrays.scale_low[k] + needed * span[k], 9)),
                             abs(needed - now)))
    top = max(1.0, float(arrays.salience[b].max()))
    sgrid = np.linspace(0.0, top, GRID)
    salience = np.repeat(arrays.salience[None], n_i * GRID, axis=0)
    for k in range(n_i):
        salience[k * GRID:(k + 1) * GRID, b, k] = sgrid
    gains = all_gains(arrays.broadcast_batch(n_i * GRID).replace(salience=salience))[:, b]
    for k in range(n_i):
        ok = gains[k * GRID:(k + 1) * GRID] > GAIN_TOLERANCE
        now = float(arrays.salience[b, k])
        needed = persuasion_module._nearest(sgrid, ok, now)
        if needed is not None:
            out.append(Lever(actor, "salience", problem.issue_ids[k], now, needed,
                             abs(needed - now) / top))
    walk = persuasion_module._walk_away_lever(problem, unit, package, settings, b)
    if walk is not None:
        out.append(walk)
    return out


# ---------------------------------------------------------------------------------------

def _package(problem: SettlementProblem, seed: int) -> tuple[NamedPackage, np.ndarray]:
    """A random package on the 0, 10, ..., 100 grid (issues often away from the status
    quo, so that guarantors are involved)."""
    rng = np.random.default_rng(seed)
    values = {i: float(rng.choice(np.arange(0, 101, 10))) for i in problem.issue_ids}
    package = NamedPackage("X", "random", values, tuple(values))
    return package, problem.package_values([package])[0]


@pytest.mark.parametrize("lead", [(), (3,), (2, 3)])
@pytest.mark.parametrize("correlation", [0.0, 0.3, 1.0])
def test_credibility_is_the_plain_formula_bit_for_bit(lead: tuple[int, ...],
                                                       correlation: float) -> None:
    """Leaving out guarantors that deliver nothing changes no bit: with some, none and
    every guarantor delivering, trust at 0 and 1, per-package deliverers."""
    rng = np.random.default_rng(len(lead) * 10 + int(correlation * 10))
    for case in range(60):
        n_a, n_i, n_g = rng.integers(1, 6), rng.integers(1, 6), rng.integers(1, 9)
        trust = rng.choice([0.0, 1.0, *rng.random(5)], (*lead[:1], n_a, n_g))
        share = [0.0, 0.2, 0.6, 1.0][case % 4]
        deliverers = rng.random((*lead, n_i, n_g)) < share
        unconditional = rng.random((*lead, n_i)) < 0.2
        got = credibility(trust[..., None, :, :] if lead else trust, deliverers,
                          unconditional, correlation)
        want = credibility_reference(trust[..., None, :, :] if lead else trust, deliverers,
                                     unconditional, correlation)
        assert got.shape == want.shape
        assert np.array_equal(got, want)


def test_credibility_leaves_out_a_non_deliverer_by_hand() -> None:
    """One actor, one issue delivered by g1 only among three guarantors: c = T[a, g1] (the
    others enter neither product nor max), and with ρ = 1 also T[a, g1]."""
    trust = np.array([[0.9, 0.25, 0.7]])
    deliverers = np.array([[False, True, False]])
    unconditional = np.array([False])
    assert credibility(trust, deliverers, unconditional)[0, 0] == pytest.approx(0.25)
    assert credibility(trust, deliverers, unconditional, 1.0)[0, 0] == pytest.approx(0.25)
    nobody = np.zeros((1, 3), dtype=bool)
    assert credibility(trust, nobody, unconditional, 0.5)[0, 0] == 0.0


@REFERENCE_SETTINGS
@given(problem=random_mechanisms_problems(max_actors=4, max_issues=3, max_options=4),
       settings=SETTINGS, seed=st.integers(0, 2**16))
def test_actor_gains_are_the_full_gains_bit_for_bit(problem: SettlementProblem,
                                                    settings: UtilitySettings,
                                                    seed: int) -> None:
    """One actor's gain on its own rows equals its column of package_gains on the full
    arrays, exactly, with every mechanism, for unbatched arrays and for the scans'
    batches (trust, position or salience varied)."""
    rng = np.random.default_rng(seed)
    arrays = problem.arrays
    packages = rng.choice(np.linspace(0, 1, 11), (5, arrays.n_issues))
    guarantees = problem.guarantees()
    mech = problem.mechanisms
    n = 7
    trust = np.repeat(arrays.trust[None], n, axis=0)
    trust[:, rng.integers(arrays.n_actors), rng.integers(len(arrays.guarantor_ids))] = \
        rng.random(n)
    position = np.repeat(arrays.position[None], n, axis=0)
    position[:, rng.integers(arrays.n_actors), rng.integers(arrays.n_issues)] = rng.random(n)
    salience = np.repeat(arrays.salience[None], n, axis=0)
    salience[:, rng.integers(arrays.n_actors), rng.integers(arrays.n_issues)] = rng.random(n)
    variants = [arrays, arrays.replace(trust=trust),
                arrays.broadcast_batch(n).replace(position=position),
                arrays.broadcast_batch(n).replace(salience=salience)]
    for varied in variants:
        full = package_gains(varied, packages, guarantees, settings, mech)
        for b in range(arrays.n_actors):
            assert np.array_equal(actor_gains(varied, b, packages, guarantees, settings, mech),
                                  full[..., b])


@REFERENCE_SETTINGS
@given(problem=random_mechanisms_problems(max_actors=4, max_issues=3, max_options=4),
       settings=SETTINGS, seed=st.integers(0, 2**16))
def test_scans_equal_the_plain_scans_with_mechanisms(problem: SettlementProblem,
                                                     settings: UtilitySettings,
                                                     seed: int) -> None:
    """Trust needed, the scanned win-over and the position / salience / walk-away levers of
    every actor equal the plain full-array scans."""
    package, unit = _package(problem, seed)
    problem = problem.replace(packages=(package,))
    for b in range(problem.arrays.n_actors):
        assert _trust_needed(problem, package, unit, settings, b) == \
            trust_needed_reference(problem, package, unit, settings, b)
        assert _win_over_scan(problem, package, unit, settings, b) == \
            win_over_scan_reference(problem, package, unit, settings, b)
        assert _levers(problem, package, unit, settings, b) == \
            levers_reference(problem, package, unit, settings, b)


@REFERENCE_SETTINGS
@given(problem=random_problems(max_actors=5, max_issues=3, max_options=4),
       settings=SETTINGS, seed=st.integers(0, 2**16))
def test_scans_equal_the_plain_scans_without_mechanisms(problem: SettlementProblem,
                                                        settings: UtilitySettings,
                                                        seed: int) -> None:
    package, unit = _package(problem, seed)
    problem = problem.replace(packages=(package,))
    for b in range(problem.arrays.n_actors):
        assert _trust_needed(problem, package, unit, settings, b) == \
            trust_needed_reference(problem, package, unit, settings, b)
        assert _levers(problem, package, unit, settings, b) == \
            levers_reference(problem, package, unit, settings, b)


def test_a_scan_can_find_something() -> None:
    """The comparisons above are not all between empty answers: on korea-2017 (every
    mechanism declared) a blocker of a named package has trust levers, scanned win-overs
    and position levers, each equal to the plain scan's."""
    problem = SettlementProblem.from_scenario(detente.load("korea-2017"), 25.0)
    settings = UtilitySettings()
    found = {"trust": 0, "win": 0, "levers": 0}
    for package in problem.packages:
        unit = problem.package_values([package])[0]
        (result,) = analyse_packages(problem, [package], settings)
        if result.is_reference:  # PX: no scans, no plan (test_numbers_shown)
            assert result.trust_needed == result.win_over == {}
            continue
        for b_id in result.blockers:
            b = problem.actor_ids.index(b_id)
            needs = _trust_needed(problem, package, unit, settings, b)
            assert needs == trust_needed_reference(problem, package, unit, settings, b)
            assert result.trust_needed[b_id] == needs
            wins = _win_over_scan(problem, package, unit, settings, b)
            assert wins == win_over_scan_reference(problem, package, unit, settings, b)
            levers = _levers(problem, package, unit, settings, b)
            assert levers == levers_reference(problem, package, unit, settings, b)
            found["trust"] += sum(n.needed is not None for n in needs)
            found["win"] += len(wins)
            found["levers"] += len(levers)
        plan = persuade(problem, package, result, settings)
        assert plan.after == ()
    assert all(found.values()), found


def test_crowded_scenario_scans_equal_the_plain_scans() -> None:
    """A 12-actor version of the generated crowded scenario (two guarantors among 14, the
    case the guarantor pruning of credibility is for): every blocker's trust needed and
    levers equal the plain scans."""
    from .test_figure_presets import crowded_scenario

    problem = SettlementProblem.from_scenario(crowded_scenario(n_actors=12), 25.0)
    settings = UtilitySettings()
    checked = 0
    for package in problem.packages:
        unit = problem.package_values([package])[0]
        (result,) = analyse_packages(problem, [package], settings)
        if result.is_reference:  # the status quo here: no scans (test_numbers_shown)
            assert result.trust_needed == result.win_over == {}
            continue
        for b_id in result.blockers:
            b = problem.actor_ids.index(b_id)
            assert result.trust_needed[b_id] == trust_needed_reference(
                problem, package, unit, settings, b)
            assert _levers(problem, package, unit, settings, b) == levers_reference(
                problem, package, unit, settings, b)
            checked += 1
    assert checked > 0
