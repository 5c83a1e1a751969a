"""`sample -m combined`: draws over the inputs and over the models (mixture weights)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from detente.cli import app
from detente.combine import load_combination
from detente.errors import OptionError, ScenarioError
from detente.scenario import load
from detente.uncertainty import sample
from detente.uncertainty.mixture import choose

runner = CliRunner()
KOREA = load("korea-2017")
#: Fast models only, so that every test stays well under a second.
FAST = {"compromise": 0.5, "median": 0.3, "nash": 0.2}


def combination_file(tmp_path: Path, mixture: dict[str, float]) -> Path:
    """The shipped combination with another mixture table (the rest as shipped)."""
    raw = load_combination().to_dict()
    raw["mixture"] = mixture
    path = tmp_path / "combination.json"
    path.write_text(json.dumps(raw), "utf-8")
    return path


@pytest.fixture(scope="module")
def fast_mixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return combination_file(tmp_path_factory.mktemp("mix"), FAST)


def test_all_weight_on_one_model_is_that_models_sample(tmp_path: Path) -> None:
    path = combination_file(tmp_path, {"median": 1.0})
    mixed = sample(KOREA, model="combined", samples=300, rng=11, combination=path)
    alone = sample(KOREA, model="median", samples=300, rng=11)
    assert mixed.forecasts is not None and alone.forecasts is not None
    np.testing.assert_array_equal(mixed.forecasts, alone.forecasts)
    assert mixed.drawn() == {"median": 1.0}


def test_mixture_quantiles_lie_between_the_models_quantiles(fast_mixture: Path) -> None:
    # F = Σ_m (n_m / N) F_m for the pooled sample, so each quantile of the pool lies between
    # the smallest and the largest quantile of the models' own draws (inverted CDF: exact).
    r = sample(KOREA, model="combined", samples=1200, rng=3, combination=fast_mixture)
    assert r.forecasts is not None
    which = r.outputs["details.model"]
    levels = [0.025, 0.1, 0.25, 0.5, 0.75, 0.9, 0.975]
    pooled = np.quantile(r.forecasts, levels, axis=0, method="inverted_cdf")
    per_model = np.stack([np.quantile(r.forecasts[which == k], levels, axis=0,
                                      method="inverted_cdf") for k in range(len(FAST))])
    assert np.all(pooled >= per_model.min(axis=0) - 1e-12)
    assert np.all(pooled <= per_model.max(axis=0) + 1e-12)
    # Where the models disagree, the pool's 80% interval is wider than the narrowest model's.
    width = pooled[5] - pooled[1]
    assert np.any(width > (per_model[:, 5] - per_model[:, 1]).min(axis=0) + 1.0)


def test_each_model_is_drawn_with_its_weight(fast_mixture: Path) -> None:
    r = sample(KOREA, model="combined", samples=1200, rng=5, combination=fast_mixture)
    drawn = r.drawn()
    for model, weight in FAST.items():
        sd = (weight * (1 - weight) / 1200) ** 0.5
        assert abs(drawn[model] - weight) < 4 * sd, (model, drawn[model])
    summary = r.summaries()["NUC"]
    for narrow, wide in ((0.5, 0.8), (0.8, 0.9), (0.9, 0.95)):
        assert summary.interval(wide)[0] <= summary.interval(narrow)[0]
        assert summary.interval(narrow)[1] <= summary.interval(wide)[1]
    data = r.to_dict()
    assert data["mixture"]["weights"] == FAST
    assert set(data["issues"]["NUC"]) >= {"interval50", "interval80", "interval90",
                                         "interval95"}


def test_same_seed_same_draws_whatever_the_chunks_and_workers(fast_mixture: Path) -> None:
    one = sample(KOREA, model="combined", samples=600, rng=9, combination=fast_mixture,
                 workers=1)
    chunked = sample(KOREA, model="combined", samples=600, rng=9, combination=fast_mixture,
                     chunk_size=100, workers=2)
    assert one.forecasts is not None and chunked.forecasts is not None
    np.testing.assert_array_equal(one.forecasts, chunked.forecasts)
    np.testing.assert_array_equal(one.outputs["details.model"],
                                  chunked.outputs["details.model"])
    other = sample(KOREA, model="combined", samples=600, rng=10, combination=fast_mixture,
                   workers=1)
    assert not np.array_equal(one.outputs["details.model"], other.outputs["details.model"])


def test_choice_never_picks_a_model_without_weight() -> None:
    rng = np.random.default_rng(0)
    picks = choose(rng, np.array([0.0, 1.0, 0.0]), 10_000)
    assert np.all(picks == 1)


def test_model_options_reach_the_models_of_the_mixture(fast_mixture: Path) -> None:
    plain = sample(KOREA, model="combined", samples=256, rng=2, combination=fast_mixture)
    linear = sample(KOREA, model="combined", samples=256, rng=2, combination=fast_mixture,
                    options={"nash": {"utility": "linear"}})
    assert plain.forecasts is not None and linear.forecasts is not None
    nash = plain.outputs["details.model"] == list(FAST).index("nash")
    np.testing.assert_array_equal(plain.forecasts[~nash], linear.forecasts[~nash])
    with pytest.raises(OptionError, match="no weight in the combined forecast"):
        sample(KOREA, model="combined", samples=10, combination=fast_mixture,
               options={"bdm": {"max_rounds": 3}})


def test_cli_sample_combined_and_its_errors(fast_mixture: Path, tmp_path: Path) -> None:
    ok = runner.invoke(app, ["sample", "-m", "combined", "-n", "300", "--seed", "4",
                             "--combination", str(fast_mixture), "--format", "json"])
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.output)
    assert data["model"] == "combined" and set(data["mixture"]["drawn"]) == set(FAST)
    table = runner.invoke(app, ["sample", "-m", "combined", "-n", "300", "--combination",
                                str(fast_mixture)])
    assert table.exit_code == 0, table.output
    assert "80% low" in table.output and "95% high" in table.output
    assert "model" in table.output and "disagreement" in table.output
    bad = tmp_path / "bad.json"
    bad.write_text("{", "utf-8")
    broken = runner.invoke(app, ["sample", "-m", "combined", "--combination", str(bad)])
    assert broken.exit_code != 0 and "bad.json" in broken.output
    assert "Traceback" not in broken.output
    wrong = runner.invoke(app, ["sample", "-m", "median", "--combination", str(fast_mixture)])
    assert wrong.exit_code != 0 and "combined" in wrong.output
    # Sensitivity ranks inputs; the model drawn is not one.
    refused = runner.invoke(app, ["sensitivity", "-m", "combined"])
    assert refused.exit_code != 0 and "combined" in refused.output


def test_a_combination_without_mixture_weights_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="mixture"):
        sample(KOREA, model="combined", samples=10,
               combination=combination_file(tmp_path, {"median": 0.0}))
