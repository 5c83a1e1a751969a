"""Influence on a forecast: checked against the weighted-mean identity and by re-running."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import detente
from detente.errors import OptionError
from detente.influence import influence

SETTINGS = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _forecast_with(actor: str, issue: str, value: float, model: str) -> float:
    s = detente.load("korea-2017")
    raw = s.model_dump(mode="python")
    raw["stances"][actor][issue]["position"] = value
    return detente.forecast(s.model_validate(raw), models=[model], rng=0).values(model)[issue]


def test_compromise_influence_is_a_weight_share() -> None:
    r = influence("korea-2017", "compromise")
    for issue in r.forecast:
        # Moving every actor by δ moves a weighted mean by δ: the shares sum to 1.
        assert sum(r.influence[a][issue] for a in r.influence) == pytest.approx(1.0, abs=1e-6)
        assert all(r.influence[a][issue] >= 0 for a in r.influence)
    # Against a forecast re-run with one position moved by 10 points (linear model).
    f0 = r.forecast["NUC"]
    moved = _forecast_with("US", "NUC", 10.0, "compromise")
    s = detente.load("korea-2017")
    p0 = float(s.stances["US"]["NUC"].position.value)
    assert moved - f0 == pytest.approx(r.influence["US"]["NUC"] * (10.0 - p0), rel=1e-6)


@SETTINGS
@given(actor=st.sampled_from(["US", "CN", "KP", "JP"]),
       issue=st.sampled_from(["NUC", "SANC", "SEC"]), share=st.floats(0.0, 1.0))
def test_target_found_is_confirmed_by_a_rerun(actor: str, issue: str, share: float) -> None:
    lo = _forecast_with(actor, issue, 0.0, "compromise")
    hi = _forecast_with(actor, issue, 100.0, "compromise")
    target = lo + share * (hi - lo)
    r = influence("korea-2017", "compromise", actor=actor, issue=issue, target=target)
    t = r.target
    assert t is not None and t.position is not None
    assert _forecast_with(actor, issue, t.position, "compromise") == pytest.approx(
        target, abs=0.1)


def test_unreachable_target_says_so_and_gives_the_nearest() -> None:
    lo = _forecast_with("RU", "NUC", 0.0, "compromise")
    hi = _forecast_with("RU", "NUC", 100.0, "compromise")
    r = influence("korea-2017", "compromise", actor="RU", issue="NUC", target=min(hi + 20, 100))
    assert r.target is not None and r.target.position is None
    assert r.target.nearest == pytest.approx(max(lo, hi), abs=1e-6)
    assert "no position" in r.target.describe()
    assert np.isfinite(r.target.forecast)


@pytest.mark.parametrize("kwargs", [{"target": 50}, {"actor": "ZZ"}, {"issue": "ZZ"},
                                    {"actor": "US", "issue": "NUC", "target": 150}])
def test_bad_input_is_an_option_error(kwargs: dict) -> None:
    with pytest.raises(OptionError):
        influence("korea-2017", **kwargs)
