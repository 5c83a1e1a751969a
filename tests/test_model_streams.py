"""Each model draws from one stream fixed by the seed and its name, in every run that hands
models streams: forecast, explain, validate, influence, the report's counterfactual map and
the sampling kernels. Stochastic smp is the model that draws."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import detente
from detente import analyses
from detente.influence import influence
from detente.report.counterfactual import without_each_actor
from detente.scenario import load
from detente.uncertainty import input_space
from detente.uncertainty.engine import ModelKernel, take_rows
from detente.uncertainty.mixture import MixtureKernel
from detente.validate import run_models
from detente.variation import variation_from_mapping

KOREA = load("korea-2017")
STOCHASTIC = {"smp": {"transitions": "stochastic"}}


def smp_forecast(models: list[str], seed: int | np.random.Generator) -> dict[str, float]:
    return detente.forecast(KOREA, models=models, options=STOCHASTIC, rng=seed).values("smp")


@pytest.mark.parametrize("seed", [1, 4])
def test_a_stochastic_forecast_does_not_change_with_the_models_beside_it(seed: int) -> None:
    alone = smp_forecast(["smp"], seed)
    assert smp_forecast(["compromise", "smp"], seed) == alone
    assert smp_forecast(["median", "nash", "smp"], seed) == alone
    assert smp_forecast(["smp", "median"], seed) == alone
    # ... and the seed still matters, so the equalities above are not vacuous.
    assert smp_forecast(["smp"], seed + 1) != alone


def test_validate_hands_a_model_the_stream_forecast_hands_it() -> None:
    arrays = [KOREA.compile()]
    smp = detente.get_model("smp", transitions="stochastic")
    alone = run_models(arrays, [smp], 3)["smp"][0]
    beside = run_models(arrays, [detente.get_model("median"), smp], 3)["smp"][0]
    np.testing.assert_array_equal(beside, alone)
    forecast = detente.forecast(KOREA, models=["smp"], options=STOCHASTIC, rng=3)
    np.testing.assert_array_equal(alone, forecast.results["smp"].forecast)


def test_a_forecast_from_a_generator_records_the_seed_that_repeats_it() -> None:
    first = detente.forecast(KOREA, models=["smp"], options=STOCHASTIC,
                             rng=np.random.default_rng(11))
    assert isinstance(first.seed, int)
    assert first.to_dict()["seed"] == first.seed
    assert smp_forecast(["smp"], first.seed) == first.values("smp")


@pytest.mark.parametrize("seed", [0, 2])
def test_explain_shows_the_turn_forecast_plays_at_the_same_seed(seed: int) -> None:
    explained = analyses.run("explain", KOREA, model="smp", issue="NUC", round_number=1,
                             option=["smp.transitions=stochastic"], seed=seed).value
    moved_to = [row[5] for row in explained.tables[1].rows]
    played = detente.forecast(KOREA, models=["smp"], options=STOCHASTIC, rng=seed)
    trajectory = played.trajectory("smp")
    assert trajectory is not None
    assert moved_to == pytest.approx(trajectory["NUC"][1], abs=1e-9)
    assert explained.to_dict()["seed"] == seed


def test_the_two_explain_seeds_above_play_different_turns() -> None:
    """Otherwise the test above would pass whatever explain drew from."""
    turns = [detente.forecast(KOREA, models=["smp"], options=STOCHASTIC, rng=seed)
             .trajectory("smp") for seed in (0, 2)]
    assert turns[0] is not None and turns[1] is not None
    assert turns[0]["NUC"][1] != turns[1]["NUC"][1]


def test_the_counterfactual_map_row_is_the_forecast_without_that_actor() -> None:
    full = detente.forecast(KOREA, models=["smp"], options=STOCHASTIC, rng=5)
    shifts = without_each_actor(full, "smp")
    for a, actor in enumerate(KOREA.actor_ids):
        without = detente.forecast(KOREA, models=["smp"], options=STOCHASTIC, rng=5,
                                   variation=variation_from_mapping({"without": [actor]}))
        np.testing.assert_allclose(shifts.without[a], list(without.values("smp").values()),
                                   rtol=0, atol=1e-9)


def test_influence_starts_from_the_forecast_at_the_same_seed() -> None:
    found = influence(KOREA, "smp", seed=6, options={"transitions": "stochastic"})
    assert found.forecast == pytest.approx(smp_forecast(["smp"], 6), abs=1e-9)


def test_a_model_in_the_sampled_mixture_draws_as_it_does_alone() -> None:
    space = input_space(KOREA)
    arrays = space.assemble(space.draw(np.random.default_rng(1), 12))
    smp = ModelKernel("smp", (("transitions", "stochastic"), ("max_turns", 6)))
    mixed = MixtureKernel((ModelKernel("median"), ModelKernel("compromise"), smp),
                          (0.2, 0.2, 0.6))
    out = mixed(arrays, np.random.default_rng(np.random.SeedSequence(9, spawn_key=(0, 1))))
    rows = np.flatnonzero(out["details.model"] == 2)
    assert rows.size
    alone = smp(take_rows(arrays, rows),
                np.random.default_rng(np.random.SeedSequence(9, spawn_key=(0, 1))))
    np.testing.assert_array_equal(out["forecast"][rows], alone["forecast"])


def test_a_model_stream_is_the_same_in_another_process() -> None:
    """Fixed by the seed and the name's bytes: not by Python's salted ``hash()``."""
    from detente.models import model_stream

    here = model_stream(7, "smp").integers(2**62, size=4).tolist()
    code = ("from detente.models import model_stream; "
            "print(model_stream(7, 'smp').integers(2**62, size=4).tolist())")
    there = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, env={**os.environ, "PYTHONHASHSEED": "12345"})
    assert there.stdout.strip() == str(here)
    assert model_stream(7, "smp").integers(2**62) != model_stream(7, "bdm").integers(2**62)
