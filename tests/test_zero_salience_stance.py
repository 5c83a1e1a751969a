"""A stance of salience 0 is no stake, the same scenario as no stance (docs/uncertainty.md,
docs/scenario-format.md, docs/smp.md "a zero-salience actor changes nothing"): its written
position must not move any model's forecast, wherever it lies on the scale."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.models import REGISTRY, get_model
from detente.scenario import scenario_from_mapping
from tests.strategies import scenario_dicts

#: Models that still read the position of a salience-0 stance, each with why it is not
#: fixed here: making them read it as no stance moves the DEU III regression pin, which is
#: the lead's decision (anchored is a strict xfail: the day it is fixed, this list must
#: shrink).
STILL_READ: dict[str, str] = {
    "anchored": "pulls toward an anchor's position wherever it has a stance (stake), whatever "
                "its salience; on DEU III, EP holds 11 salience-0 stances and COM 2, and "
                "reading them as no stance (in run and fit) moves 253 pinned anchored "
                "forecasts (the cross-validated anchor weights change), by up to 8.8 points",
    "bdm": "counts a salience-0 actor in the contest by design (tests/test_conformance.py, "
           "KNOWN_EXCEPTIONS; docs/bdm.md); DEU III has 365 salience-0 stances of member "
           "states, and reading them as no stance moves 13 pinned bdm forecasts (up to "
           "100 points)",
}
#: anchored pulls only toward its anchors: name the actor whose stance is varied.
OPTIONS: dict[str, dict[str, Any]] = {"anchored": {"anchors": (("A1", 0.5),)}}
#: bdm: its difference shows on DEU III (13 pinned forecasts move) but 40 random scenarios
#: rarely meet it, so a strict xfail would flap; it is skipped, not claimed.
MODELS = [pytest.param(m, marks=pytest.mark.skip(reason=STILL_READ[m])) if m == "bdm"
          else pytest.param(m, marks=pytest.mark.xfail(strict=True, reason=STILL_READ[m]))
          if m in STILL_READ else m for m in sorted(REGISTRY)]


@st.composite
def idle_stance(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A scenario with a stance of salience 0 (actor A1, at any position on its issue's
    scale), and the same scenario with that stance removed."""
    raw = draw(scenario_dicts(max_actors=4))
    if len(raw["actors"]) < 2:
        raw["actors"].append({"id": "A1", "name": "Actor 1", "capability": 10.0})
        raw["stances"]["A1"] = {}
    k = draw(st.integers(0, len(raw["issues"]) - 1))
    issue = raw["issues"][k]
    lo, hi = issue["scale"]["low"], issue["scale"]["high"]
    without = copy.deepcopy(raw)
    without["stances"]["A1"].pop(f"I{k}", None)
    raw["stances"]["A1"][f"I{k}"] = {"position": draw(st.floats(lo, hi)), "salience": 0.0}
    return raw, without


@pytest.mark.parametrize("model", MODELS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pair=idle_stance())
def test_a_salience_0_stance_forecasts_as_no_stance(model: str, pair: tuple[dict, dict]
                                                    ) -> None:
    with_stance, without = (scenario_from_mapping(raw).compile() for raw in pair)
    runner = get_model(model, **OPTIONS.get(model, {}))
    np.testing.assert_allclose(runner.run(with_stance, 0).forecast,
                               runner.run(without, 0).forecast, rtol=0, atol=1e-9)


def test_the_models_that_still_read_it_declare_so() -> None:
    # `detente influence` refuses a target for a salience-0 stance by the models'
    # declaration (Model.reads_idle_stances): it must name exactly the models listed here.
    assert {m for m in REGISTRY if get_model(m).reads_idle_stances} == set(STILL_READ)
