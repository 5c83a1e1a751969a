"""Known answers for the baseline models, computed by hand."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from detente.arrays import Arrays
from detente.models import get_model


def one_issue(positions: list[float], capability: list[float], salience: list[float],
              status_quo: float = 0.5) -> Arrays:
    n = len(positions)
    return Arrays(
        actor_ids=tuple(f"A{k}" for k in range(n)), issue_ids=("X",),
        guarantor_ids=tuple(f"A{k}" for k in range(n)),
        capability=np.array(capability, float), position=np.array(positions, float)[:, None],
        salience=np.array(salience, float)[:, None], status_quo=np.array([status_quo]),
        trust=np.ones((n, n)), stake=np.ones((n, 1), bool), veto=np.ones(n, bool),
        scale_low=np.zeros(1), scale_high=np.full(1, 100.0),
    )


def forecast(model: str, arrays: Arrays, **options: object) -> float:
    return float(get_model(model, **options).run(arrays).forecast[0])


def test_compromise_by_hand() -> None:
    # weights c*s = 1, 1, 1 -> plain mean of 0, .5, 1
    assert forecast("compromise", one_issue([0, .5, 1], [1, 2, 1], [1, .5, 1])) == pytest.approx(.5)
    # weights 3 and 1 -> (3*0 + 1*1) / 4
    assert forecast("compromise", one_issue([0, 1], [3, 1], [1, 1])) == pytest.approx(.25)


def test_median_by_hand() -> None:
    # cumulative shares .2, .4, 1.0: the heavy actor at .9 is the median
    assert forecast("median", one_issue([0, .1, .9], [1, 1, 3], [1, 1, 1])) == pytest.approx(.9)
    # exactly half the weight on each side: the midpoint of the two middle positions
    assert forecast("median", one_issue([.2, .6], [1, 1], [1, 1])) == pytest.approx(.4)
    # salience matters: (1 * .2) vs (1 * 1.0)
    assert forecast("median", one_issue([.2, .6], [1, 1], [.2, 1])) == pytest.approx(.6)


def test_nash_linear_by_hand() -> None:
    # q = 0, p = .6 and 1. On [.6, 1] the gains are 1.2 - x and x.
    # Equal weights: max (1.2 - x) x at x = .6; weights 1:3: .25/(1.2-x) = .75/x -> x = .9.
    equal = one_issue([.6, 1.0], [1, 1], [1, 1], status_quo=0.0)
    assert forecast("nash", equal, utility="linear") == pytest.approx(.6, abs=1e-7)
    skewed = one_issue([.6, 1.0], [1, 3], [1, 1], status_quo=0.0)
    assert forecast("nash", skewed, utility="linear") == pytest.approx(.9, abs=1e-7)


def test_nash_quadratic_matches_independent_optimiser() -> None:
    arrays = one_issue([.6, 1.0, .8], [1, 3, 2], [1, .5, .7], status_quo=0.1)
    w = arrays.weight[:, 0] / arrays.weight[:, 0].sum()
    p, q = arrays.position[:, 0], 0.1

    def negative_log_product(x: float) -> float:
        gain = (q - p) ** 2 - (x - p) ** 2
        return np.inf if np.any(gain <= 0) else -float(np.sum(w * np.log(gain)))

    low, high = max(p - np.abs(q - p)), min(min(p + np.abs(q - p)), 1.0)
    best = minimize_scalar(negative_log_product, bounds=(low + 1e-12, high - 1e-12),
                           method="bounded", options={"xatol": 1e-12})
    assert forecast("nash", arrays) == pytest.approx(best.x, abs=1e-7)


def test_nash_keeps_status_quo_when_actors_straddle_it() -> None:
    arrays = one_issue([.1, .9], [1, 1], [1, 1], status_quo=0.5)
    result = get_model("nash").run(arrays)
    assert result.forecast[0] == pytest.approx(.5)
    assert not result.details["feasible"][0]


def test_nash_feasible_set_is_clipped_to_the_scale() -> None:
    # p = .9 from q = .5 reaches 1.3 on the right: the solution must stay on the scale.
    arrays = one_issue([.9, 1.0], [1, 1], [1, 1], status_quo=0.5)
    assert 0.5 < forecast("nash", arrays, utility="linear") <= 1.0


def test_unknown_option_is_a_clear_error() -> None:
    from detente.errors import OptionError

    with pytest.raises(OptionError, match="unknown option 'utilty'"):
        get_model("nash", utilty="linear")
    with pytest.raises(OptionError, match="utility must be"):
        get_model("nash", utility="cubic")
    with pytest.raises(OptionError, match="unknown model 'nashh'"):
        get_model("nashh")
