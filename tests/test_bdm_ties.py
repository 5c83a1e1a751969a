"""BDM decides ties by one declared rule (docs/bdm.md, Ties), not by rounding.

Member states often share a position, capability and salience, so a round of the model meets
quantities that are equal in exact arithmetic: two proposers' equally good offers, a voter
on the midpoint of two candidates, two actors at one position, a pair spanning exactly the
range Δ. Computed, such quantities differ in the last bits, by how the sums happened to be
ordered. Every discrete choice counts values within ``TIE_TOLERANCE`` of the magnitude they
carry their rounding at as equal, so that what moves only the rounding (one ulp of one input,
capabilities in another unit, the issue in other units) moves no forecast.

The scenarios: a few kinds of actor on a grid of positions, some of them twice (exact
copies). Before the rule, about one such run in eight (random options) changed its forecast
when the copy moved one ulp, by up to the whole scale (measured on 2,000 runs; 0 since).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from detente.arrays import Arrays
from detente.models.bdm import CHOICES, Bdm, Rows, play_round, probability_of_success, simulate
from tests.test_smp_ties import one_issue

POSITIONS = (0.0, 0.25, 0.5, 0.7, 1.0)  # 0.7 sits on the midpoint of 0.4 and 1.0 only exactly
CAPABILITIES = (0.7, 1.0, 1.3, 3.0)    # not dyadic fractions: tripled, they round differently
SALIENCES = (0.3, 0.5, 1.0)


@st.composite
def tied_scenarios(draw: st.DrawFn) -> tuple[Arrays, int]:
    """3 to 8 actors of drawn kinds plus 1 to 3 exact copies; and the index of a copy."""
    kinds = draw(st.lists(st.tuples(st.sampled_from(POSITIONS), st.sampled_from(CAPABILITIES),
                                    st.sampled_from(SALIENCES)), min_size=3, max_size=8))
    copies = draw(st.lists(st.integers(0, len(kinds) - 1), min_size=1, max_size=3))
    actors = kinds + [kinds[k] for k in copies]
    copy = len(kinds) + draw(st.integers(0, len(copies) - 1))
    return one_issue([p for p, _, _ in actors], [c for _, c, _ in actors],
                     [s for _, _, s in actors]), copy


OPTIONS = st.fixed_dictionaries({
    name: st.sampled_from(values) for name, values in CHOICES.items()
} | {"voter_risk": st.booleans(), "capitulation": st.booleans(),
     "q": st.sampled_from([1.0, 0.5, 0.0])})
PRESETS = st.sampled_from(["printed", "scholz-reference"])


def forecast(arrays: Arrays, model: Bdm, method: str = "auto") -> float:
    return float(simulate(arrays, model.options, method, history=False).forecast[0])


def one_ulp_toward_the_middle(arrays: Arrays, actor: int) -> Arrays:
    position = arrays.position.copy()
    position[actor, 0] = np.nextafter(position[actor, 0], 0.5)
    return arrays.replace(position=position)


# Found by a probe (2,000 runs each, before the rule), as (actors, copy, options, preset):
# positions, capabilities and saliences per actor.
# Default options: A2 one ulp below 1.0 spans Δ = 1 less one ulp from A5 at 0, and at r = 1/2
# the power turned that ulp into 3e-8 of A5's EU of the offer: A5 took A4's conflict offer
# instead of A2's equally good compromise, and the forecast moved 27 points of 100.
SPANS_DELTA = ([0.5, 0.5, 1.0, 0.5, 1.0, 0.0, 1.0, 1.0, 0.5, 1.0, 1.0],
               [1.3, 3.0, 1.0, 1.0, 3.0, 1.3, 3.0, 1.3, 1.3, 3.0, 3.0],
               [0.5, 1.0, 1.0, 0.3, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5])
DEFAULTS = {name: getattr(Bdm.Options(), name) for name in (*CHOICES, "voter_risk",
                                                            "capitulation", "q")}


def options(**changes: Any) -> dict[str, Any]:
    """Every option of OPTIONS: the defaults (the ``printed`` preset's) with ``changes``."""
    return {**DEFAULTS, **changes}


# A1 and A3 share 1.0; one ulp made P(A1 beats A3) the sign pattern of ulp-sized votes (1,
# not 0.5), which the product Q rule (A8) multiplies into every EU: 100 points.
SHARED_IN_Q = ([0.0, 1.0, 0.5, 1.0], [0.7, 1.0, 1.3, 1.0], [1.0, 1.0, 0.3, 1.0])
SHARED_IN_Q_OPTIONS = options(probability="exclude-dyad", offer_choice="scholz-code",
                              security="row", q=0.0, q_rule="product", voter_risk=True)
# Every voter but the pair (A2 at 0, A4 at 0.5) sits on their midpoint 0.25; one ulp of A7
# made its vote the only one (P 0 or 1 instead of 0.5).
ON_THE_MIDPOINT = ([0.25, 0.25, 0.0, 0.25, 0.5, 0.25, 0.25, 0.25, 0.25],
                   [3.0, 1.0, 1.3, 3.0, 1.3, 1.3, 3.0, 1.0, 3.0],
                   [0.5, 1.0, 0.5, 1.0, 0.3, 1.0, 1.0, 1.0, 0.5])
ON_THE_MIDPOINT_OPTIONS = options(
    probability="exclude-dyad", conflict="no-move", offer_choice="scholz-code",
    perspective="each", delta="initial", q=0.5, t_rule="shrink", voter_risk=True,
    capitulation=False, forecast_point="mean")
# Capabilities tripled: A6 shares 0.7 with A0 and A3 (21 points).
TRIPLED = ([0.7, 1.0, 0.0, 0.7, 0.0, 0.0, 0.7], [1.0, 1.0, 1.3, 1.3, 1.0, 1.0, 1.3],
           [1.0, 1.0, 1.0, 0.3, 0.5, 0.5, 0.3])
TRIPLED_OPTIONS = options(probability="net", conflict="no-move", perspective="each",
                          q_rule="product", capitulation=False)


# Issue units 7.1 to 7.2: 0.7 and 0.25 come back as 0.7000000000000053 and 0.25000000000000444
# (1.0 as 1.0): 7 points of 100 with the Borda median and product Q.
RESCALED = ([1.0, 0.7, 0.25, 0.25, 1.0, 0.25, 0.0, 0.25, 0.7, 1.0, 1.0],
            [0.7, 1.3, 3.0, 1.3, 1.0, 0.7, 1.3, 0.7, 1.3, 1.0, 1.0],
            [0.3, 0.3, 0.3, 1.0, 1.0, 0.5, 0.3, 1.0, 0.3, 1.0, 1.0])
RESCALED_OPTIONS = options(probability="exclude-dyad", conflict="no-move", median="borda",
                           delta="scale", q_rule="product")


def tied(actors: tuple[list[float], list[float], list[float]], copy: int
         ) -> tuple[Arrays, int]:
    return one_issue(*actors), copy


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=tied_scenarios(), options=OPTIONS, preset=PRESETS)
@example(scenario=tied(SPANS_DELTA, 2), options=DEFAULTS, preset="printed")
@example(scenario=tied(SHARED_IN_Q, 1), options=SHARED_IN_Q_OPTIONS, preset="scholz-reference")
@example(scenario=tied(ON_THE_MIDPOINT, 7), options=ON_THE_MIDPOINT_OPTIONS,
         preset="scholz-reference")
def test_one_ulp_of_a_shared_position_moves_no_forecast(
        scenario: tuple[Arrays, int], options: dict[str, Any], preset: str) -> None:
    arrays, copy = scenario
    model = Bdm(preset=preset, **options)
    moved = one_ulp_toward_the_middle(arrays, copy)
    for method in ("blocked", "fast"):
        before, after = forecast(arrays, model, method), forecast(moved, model, method)
        assert abs(after - before) <= 1e-9, f"{method}: {before} -> {after}"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=tied_scenarios(), options=OPTIONS, preset=PRESETS)
@example(scenario=tied(TRIPLED, 6), options=TRIPLED_OPTIONS, preset="printed")
def test_capabilities_in_any_unit_give_one_forecast(
        scenario: tuple[Arrays, int], options: dict[str, Any], preset: str) -> None:
    arrays, _ = scenario
    model = Bdm(preset=preset, **options)
    tripled = arrays.replace(capability=3.0 * arrays.capability)
    assert abs(forecast(tripled, model) - forecast(arrays, model)) <= 1e-9


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=tied_scenarios(), options=OPTIONS, preset=PRESETS)
@example(scenario=tied(RESCALED, 10), options=RESCALED_OPTIONS, preset="printed")
def test_issue_units_do_not_matter(scenario: tuple[Arrays, int], options: dict[str, Any],
                                   preset: str) -> None:
    """The model works on the unit scale, so other units of the issue change the unit
    positions by their rounding only: 7.1 to 7.2 for 0 to 100 gives 0.7 back as
    0.7000000000000053 ((7.1007 - 7.1) / 0.1, each rounded), and so on."""
    arrays, _ = scenario
    model = Bdm(preset=preset, **options)
    low, high = 7.1, 7.1 + 100.0 * 1e-3
    units = low + 1e-3 * (100.0 * arrays.position)
    rescaled = arrays.replace(position=(units - low) / (high - low))
    assert abs(forecast(rescaled, model) - forecast(arrays, model)) <= 1e-9


def pair_probability(x: list[float], how: str, fast: bool) -> np.ndarray:
    row = np.array([x])
    rows = Rows(weight=np.ones_like(row), salience=np.ones_like(row),
                present=np.ones_like(row, dtype=bool))
    delta = np.array([np.ptp(row)])
    return probability_of_success(row, rows, delta, None, how, fast=fast)[0]


def test_a_voter_on_the_midpoint_is_indifferent_on_both_paths() -> None:
    # 0.7 is the midpoint of 0.4 and 1.0, but |0.7 - 0.4| and |1.0 - 0.7| differ by an ulp
    # (a DEU III issue has these positions).
    for fast in (False, True):
        p = pair_probability([0.4, 1.0, 0.7, 0.7], "exclude-dyad", fast)
        assert p[0, 1] == 0.5 and p[1, 0] == 0.5


def test_positions_one_ulp_apart_are_one_position_for_p() -> None:
    one = 0.25
    for fast in (False, True):
        p = pair_probability([one, np.nextafter(one, 1.0), 0.0, 1.0, 0.0], "pairwise", fast)
        assert p[0, 1] == 0.5 and p[1, 0] == 0.5


def test_a_pair_spanning_delta_less_one_ulp_has_the_eus_of_one_spanning_it() -> None:
    """U_s = 2 - 4 (0.5 - 0.5 d)^r at d = 1 less one ulp and r = 1/2 was 2 - 3e-8."""
    def round_of(top: float) -> np.ndarray:
        x = np.array([[0.0, top, 1.0, 0.4]])
        rows = Rows(weight=np.array([[1.0, 1.0, 1.0, 6.0]]), salience=np.ones_like(x),
                    present=np.ones_like(x, dtype=bool))
        result = play_round(x, x, None, rows, Bdm.Options())
        assert result.risk[0].min() < 1.0  # some actor weighs with a root
        return result.eu_own[0]

    np.testing.assert_allclose(round_of(np.nextafter(1.0, 0.0)), round_of(1.0), rtol=0,
                               atol=1e-12)
