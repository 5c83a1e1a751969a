"""Uncertainty: distributions, noise, seeded chunked sampling, fallbacks, CLI."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from detente.cli import app
from detente.errors import OptionError, ScenarioError
from detente.models import REGISTRY, ModelInfo
from detente.models.base import Model, ModelResult
from detente.scenario import Measure, load, scenario_from_mapping
from detente.uncertainty import BLOCK, Noise, NoiseTerm, input_space, sample
from detente.uncertainty.engine import run_chunks
from detente.uncertainty.inputs import _draw_kind

runner = CliRunner()
KOREA = load("korea-2017")


def tiny(**position_of_a: Any) -> dict[str, Any]:
    """Two actors, one issue on 0-100, status quo 50; A's position replaceable."""
    return {
        "id": "tiny", "title": "Tiny",
        "issues": [{"id": "X", "name": "X", "status_quo": 50}],
        "actors": [{"id": "A", "name": "A", "capability": 1},
                   {"id": "B", "name": "B", "capability": 1}],
        "stances": {"A": {"X": {"position": position_of_a or 20, "salience": 1}},
                    "B": {"X": {"position": 80, "salience": 1}}},
    }


# --- distributions ---------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "mean"), [
    ("pert", (0.1 + 4 * 0.3 + 0.9) / 6),      # Beta-PERT mean (a + 4m + b) / 6
    ("triangular", (0.1 + 0.3 + 0.9) / 3),
    ("uniform", (0.1 + 0.9) / 2),
])
def test_bounded_distributions_have_their_textbook_mean_and_stay_inside(kind: str,
                                                                        mean: float) -> None:
    rng = np.random.default_rng(3)
    one = np.ones(1)
    x = _draw_kind(kind, rng, 200_000, 0.3 * one, 0.1 * one, 0.9 * one, one)[:, 0]
    assert x.min() >= 0.1 and x.max() <= 0.9
    assert abs(x.mean() - mean) < 3e-3
    if kind == "triangular":  # mode below the middle: median b - sqrt((b - a)(b - c) / 2)
        assert abs(np.median(x) - (0.9 - np.sqrt(0.8 * 0.6 / 2))) < 3e-3


def test_truncated_normal_stays_inside_and_matches_untruncated_when_bounds_are_far() -> None:
    rng = np.random.default_rng(4)
    one = np.ones(1)
    wide = _draw_kind("normal", rng, 200_000, 0.5 * one, -10 * one, 10 * one, 0.1 * one)[:, 0]
    assert abs(wide.mean() - 0.5) < 2e-3 and abs(wide.std() - 0.1) < 2e-3
    tight = _draw_kind("normal", rng, 50_000, 0.0 * one, 0 * one, 1 * one, 0.3 * one)[:, 0]
    assert tight.min() >= 0 and tight.max() <= 1
    # A normal truncated at its mean is half-normal: mean sd * sqrt(2 / pi).
    assert abs(tight.mean() - 0.3 * np.sqrt(2 / np.pi)) < 5e-3


def test_noise_keeps_every_sample_inside_its_range() -> None:
    huge = Noise.parse("position=80 salience=0.9 capability=300% trust=0.9 status_quo=80")
    space = input_space(scenario_from_mapping(tiny()), huge)
    arrays = space.assemble(space.draw(np.random.default_rng(0), 20_000))
    assert arrays.position.shape == (20_000, 2, 1)
    for name in ("position", "salience", "status_quo", "trust"):
        values = getattr(arrays, name)
        assert values.min() >= 0 and values.max() <= 1, name
    assert arrays.capability.min() > 0
    assert arrays.position.std() > 0.2  # the noise did something


def test_only_stances_that_exist_are_perturbed() -> None:
    raw = tiny()
    raw["issues"].append({"id": "Y", "name": "Y", "status_quo": 10})
    raw["stances"]["B"]["Y"] = {"position": 30, "salience": 0.5}
    space = input_space(scenario_from_mapping(raw), Noise.parse("position=10 salience=0.1"))
    assert "position[A,Y]" not in space.labels and "position[B,Y]" in space.labels
    arrays = space.assemble(space.draw(np.random.default_rng(1), 50))
    np.testing.assert_array_equal(arrays.salience[:, 0, 1], 0.0)  # A has no stance on Y


# --- the scenario's own distributions and their errors ----------------------------------

def test_a_uniform_position_gives_the_exact_compromise_distribution() -> None:
    # compromise = (x_A + 80) / 2 with x_A ~ U(0, 40): uniform on [40, 60].
    s = scenario_from_mapping(tiny(value=20, low=0, high=40, distribution="uniform"))
    r = sample(s, "compromise", samples=20_000, rng=5, noise="none")
    summary = r.summaries()["X"]
    assert r.forecasts.min() >= 40 and r.forecasts.max() <= 60
    assert abs(summary.median - 50) < 0.3
    assert abs(summary.interval90[0] - 41) < 0.3 and abs(summary.interval90[1] - 59) < 0.3
    assert abs(summary.interval50[0] - 45) < 0.3 and abs(summary.interval50[1] - 55) < 0.3
    assert sum(summary.histogram_counts) == 20_000
    assert r.noise_source == "given" and r.space.labels == ("position[A,X]",)


def test_scenario_uncertainty_alone_is_used_when_no_noise_is_given() -> None:
    s = scenario_from_mapping(tiny(value=20, low=10, high=30))
    r = sample(s, samples=300, rng=1)
    assert r.noise_source == "scenario only" and r.space.labels == ("position[A,X]",)


@pytest.mark.parametrize(("stance", "message"), [
    ({"value": 20, "distribution": "normal"}, "normal distribution needs sd"),
    ({"value": 20, "distribution": "pert"}, "needs low and high"),
    ({"value": 20, "sd": 5, "low": 10, "high": 30, "distribution": "pert"},
     "sd is only used by a normal distribution"),
    ({"value": 20, "low": 30, "high": 40}, "outside its own low/high range"),
    ({"value": 20, "low": 10, "high": 130}, "outside the scale"),
])
def test_bad_distribution_specs_get_clear_errors(stance: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        scenario_from_mapping(tiny(**stance), source="tiny.yaml")
    text = str(err.value)
    assert message in text
    assert "stances.A.X.position" in text and "tiny.yaml" in text and "fix:" in text


def test_unknown_distribution_and_negative_sd_are_rejected() -> None:
    with pytest.raises(ScenarioError, match="pert"):
        scenario_from_mapping(tiny(value=20, low=10, high=30, distribution="beta"))
    with pytest.raises(ScenarioError, match="greater than 0"):
        scenario_from_mapping(tiny(value=20, sd=-3))


def test_capability_pert_needs_a_finite_high() -> None:
    raw = tiny()
    raw["actors"][0]["capability"] = {"value": 10, "low": 5}
    with pytest.raises(ScenarioError, match=r"actors\.A\.capability.*finite high"):
        scenario_from_mapping(raw)
    raw["actors"][0]["capability"] = {"value": 10, "sd": 4}  # normal, truncated above 0
    space = input_space(scenario_from_mapping(raw))
    draws = space.draw(np.random.default_rng(0), 5000)
    assert draws.min() > 0 and abs(np.median(draws) - 10) < 0.5


@pytest.mark.parametrize("text", ["position", "colour=3", "position=x", "salience=10%",
                                  "salience=2", "capability=-1"])
def test_bad_noise_is_refused(text: str) -> None:
    with pytest.raises(OptionError):
        Noise.parse(text)


def test_noise_parses_spaces_commas_and_percentages() -> None:
    noise = Noise.parse(["position=10, salience=0.1", "capability=20%"])
    assert noise.position == NoiseTerm(10.0) and noise.capability == NoiseTerm(0.2, True)
    assert Noise.parse("none").is_empty
    with pytest.raises(OptionError, match="nothing is uncertain"):
        sample(scenario_from_mapping(tiny()), samples=10, noise="none")


# --- reproducibility -------------------------------------------------------------------

# Four actors on two issues, every kind of input uncertain: small enough for every
# registered model to run a few hundred samples several times in a test.
SMALL = scenario_from_mapping({
    "id": "small", "title": "Small",
    "issues": [{"id": "X", "name": "X", "status_quo": {"value": 40, "sd": 10}},
               {"id": "Y", "name": "Y", "status_quo": 70}],
    "actors": [{"id": f"A{k}", "name": f"A{k}",
                "capability": {"value": 10.0 * (k + 1), "low": 5.0 * (k + 1),
                               "high": 15.0 * (k + 1)}} for k in range(4)],
    "stances": {f"A{k}": {"X": {"position": {"value": 25.0 * k, "sd": 8},
                                "salience": {"value": 0.5, "low": 0.3, "high": 0.9}},
                          "Y": {"position": {"value": 90 - 20.0 * k, "low": 80 - 20.0 * k,
                                             "high": 100 - 20.0 * k,
                                             "distribution": "triangular"},
                                "salience": {"value": 0.6, "low": 0.2, "high": 1.0,
                                             "distribution": "uniform"}}}
                for k in range(4)},
    "trust": {"A0": {"A1": {"value": 0.5, "low": 0.2, "high": 0.8}}},
})


@pytest.mark.parametrize("model", sorted(REGISTRY))
def test_same_seed_same_numbers_whatever_the_chunks_and_workers(model: str) -> None:
    n = BLOCK + 37
    first = sample(SMALL, model, samples=n, rng=11, chunk_size=n, workers=1)
    assert first.seed == 11 and first.to_dict()["seed"] == 11
    for chunk, workers in ((77, 1), (100, 2)):  # chunks across block edges, two processes
        again = sample(SMALL, model, samples=n, rng=11, chunk_size=chunk, workers=workers)
        np.testing.assert_array_equal(again.forecasts, first.forecasts)
        for key, value in first.outputs.items():
            np.testing.assert_array_equal(again.outputs[key], value)
    if model == "compromise":  # (one model is enough to see that the seed matters)
        other = sample(SMALL, model, samples=n, rng=12, workers=1)
        assert not np.array_equal(other.forecasts, first.forecasts)


def test_a_longer_run_extends_a_shorter_one() -> None:
    short = sample(KOREA, samples=300, rng=3, workers=1)
    long = sample(KOREA, samples=900, rng=3, chunk_size=400, workers=1)
    np.testing.assert_array_equal(long.forecasts[:300], short.forecasts)


def test_without_a_seed_the_echoed_seed_reproduces_the_run() -> None:
    first = sample(KOREA, samples=200, rng=None, workers=1)
    again = sample(KOREA, samples=200, rng=first.seed, workers=1)
    np.testing.assert_array_equal(first.forecasts, again.forecasts)


@dataclass(frozen=True)
class NoisyKernel:
    """A stochastic kernel that draws twice, in shapes that depend on the batch size."""

    name: str = "noisy"
    deterministic: bool = False

    def __call__(self, arrays: Any, rng: np.random.Generator) -> dict[str, np.ndarray]:
        n = arrays.batch_shape[0]
        a = rng.random((n, 1))
        b = rng.random((n, 1))
        return {"forecast": arrays.position[:, 0, :] + 0.01 * a + 0.001 * b}


def test_stochastic_kernels_are_reproducible_across_chunk_sizes() -> None:
    space = input_space(scenario_from_mapping(tiny()), Noise.parse("position=5"))
    n = 3 * BLOCK + 5
    runs = [run_chunks(space, NoisyKernel(), 9, n, chunk_size=c, workers=1)["forecast"]
            for c in (n, 100, BLOCK, 7 * 13)]
    for other in runs[1:]:
        np.testing.assert_array_equal(other, runs[0])


class NoBatch(Model):
    """A model that only understands one scenario at a time (to test the fallback loop);
    it returns the compromise forecast."""

    name = "nobatch"

    def run(self, arrays: Any, rng: Any = None) -> ModelResult:
        if arrays.position.ndim != 2:
            raise ValueError("one scenario at a time")
        w = arrays.capability[:, None] * arrays.salience
        return self._result((w * arrays.position).sum(0) / w.sum(0))


def test_a_model_without_a_batch_axis_runs_sample_by_sample_with_a_note(monkeypatch) -> None:
    monkeypatch.setitem(REGISTRY, "nobatch", ModelInfo("nobatch", NoBatch, "t", "r", True,
                                                       False, "forecast"))
    looped = sample(KOREA, "nobatch", samples=300, rng=2, workers=1)
    batched = sample(KOREA, "compromise", samples=300, rng=2, workers=1)
    assert any("does not take a batch axis" in note for note in looped.notes)
    np.testing.assert_allclose(looped.forecasts, batched.forecasts, atol=1e-9)


def test_run_stats_and_probabilities() -> None:
    r = sample(KOREA, "nash", samples=400, rng=1, chunk_size=150, workers=1)
    assert r.stats.chunks == 3 and r.stats.chunk_size == 150
    p = r.probabilities()["feasible"]
    feasible = r.outputs["details.feasible"]
    assert feasible.shape == (400, 8)
    assert p["NUC"] == pytest.approx(feasible[:, 0].mean())
    assert r.stats.seconds > 0


def test_the_measure_default_is_pert_when_bounds_are_given() -> None:
    s = scenario_from_mapping(tiny(value=20, low=10, high=60))
    space = input_space(s)
    assert space.kind.tolist() == [0]  # pert
    assert isinstance(s.stances["A"]["X"].position, Measure)
    x = space.draw(np.random.default_rng(0), 100_000)[:, 0] * 100
    assert abs(x.mean() - (10 + 4 * 20 + 60) / 6) < 0.1


# --- command line ----------------------------------------------------------------------

def test_cli_sample_json_echoes_the_seed_and_accepts_bare_noise_items() -> None:
    result = runner.invoke(app, ["sample", "korea-2017", "-n", "300", "--seed", "7", "--noise",
                                 "position=10", "salience=0.1", "capability=20%", "-f", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["seed"] == 7 and data["samples"] == 300 and data["model"] == "compromise"
    assert data["noise"] == {"capability": "20%", "position": "10", "salience": "0.1"}
    nuc = data["issues"]["NUC"]
    assert nuc["interval90"][0] <= nuc["interval50"][0] <= nuc["median"] <= nuc["interval50"][1]
    assert sum(nuc["histogram"]["counts"]) == 300
    api = sample(KOREA, samples=300, rng=7,
                 noise="position=10 salience=0.1 capability=20%")
    assert nuc["median"] == pytest.approx(api.summaries()["NUC"].median, abs=0)


def test_cli_sample_table_and_errors() -> None:
    ok = runner.invoke(app, ["sample", "-n", "200", "-m", "median", "--quiet"])
    assert ok.exit_code == 0, ok.output
    assert "NUC" in ok.output and "seed 0" in ok.output and "default noise" in ok.output
    bad = runner.invoke(app, ["sample", "--noise", "colour=3"])
    assert bad.exit_code == 2 and "colour=3" in bad.output and "Traceback" not in bad.output
    unknown = runner.invoke(app, ["sample", "-m", "oracle"])
    assert unknown.exit_code == 2 and "unknown model" in unknown.output



def test_chunks_spread_over_workers_in_whole_blocks() -> None:
    from detente.uncertainty.engine import parallel_chunk_size

    assert parallel_chunk_size(2560, 2000, 2) == 256  # 8 chunks for 2 workers
    assert parallel_chunk_size(2560, 10**6, 2) == 2560  # memory bound wins
    assert parallel_chunk_size(2560, 100, 8) == BLOCK
    assert parallel_chunk_size(2560, 2000, 1) == 2560


def test_progress_bar_only_on_a_terminal_after_the_delay_and_never_when_quiet() -> None:
    import io

    from rich.console import Console

    from detente.cli.progress import Activity

    def shown(quiet: bool, terminal: bool, delay: float) -> str:
        buffer = io.StringIO()
        console = Console(file=buffer, force_terminal=terminal, width=100)
        bar = Activity("sampling", quiet, console=console, bar_after=delay)
        for done in (100, 200, 300):
            bar(done, 400)
        bar.close()
        return buffer.getvalue()

    assert "sampling" in shown(quiet=False, terminal=True, delay=0.0)
    assert shown(quiet=True, terminal=True, delay=0.0) == ""
    assert shown(quiet=False, terminal=False, delay=0.0) == ""
    assert shown(quiet=False, terminal=True, delay=60.0) == ""  # a short run: no bar


def _zero_stake(z_stances: dict[str, Any] | None) -> Any:
    """Two issues; Z (the most capable) at salience 0 on both, or with no stances."""
    stances: dict[str, Any] = {
        "A": {"X": {"position": 10, "salience": 0.7}, "Y": {"position": 80, "salience": 0.4}},
        "B": {"X": {"position": 90, "salience": 0.6}, "Y": {"position": 20, "salience": 0.9}}}
    if z_stances is not None:
        stances["Z"] = z_stances
    return scenario_from_mapping({
        "id": "zero", "title": "Zero salience",
        "issues": [{"id": i, "name": i, "scale": {"low": 0, "high": 100}, "status_quo": 50}
                   for i in ("X", "Y")],
        "actors": [{"id": a, "name": a, "capability": c}
                   for a, c in (("A", 10), ("B", 20), ("Z", 50))],
        "stances": stances})


def test_the_default_noise_leaves_a_salience_of_zero_as_no_stance() -> None:
    # Z at salience 0 drew noise on its salience and position: Y's median read 27.9 with
    # Z's stances and 31.5 without them, though "salience 0" and "no stance" are the same
    # scenario (same point forecast), and sensitivity ranked salience[Z,Y] among Y's inputs.
    from detente.uncertainty.sensitivity import sensitivity

    zero = _zero_stake({"X": {"position": 50, "salience": 0}, "Y": {"position": 0,
                                                                    "salience": 0}})
    absent = _zero_stake(None)
    drawn, without = (sample(s, samples=400, rng=3, workers=1) for s in (zero, absent))
    for issue in ("X", "Y"):
        assert drawn.summaries()[issue].median == without.summaries()[issue].median
    assert not [label for label in input_space(zero, Noise.parse("position=10 salience=0.1"))
                .labels if "Z," in label]
    ranked = sensitivity(zero, samples=16, rng=0, bootstrap=0, workers=1)
    assert not [r for o in ranked.to_dict()["outputs"].values() for r in o["ranking"]
                if "Z," in r["input"]]
    # A spread the user declares on the salience is the user's: kept, and then the
    # position may matter too.
    declared = _zero_stake({"X": {"position": 50, "salience": {"value": 0, "high": 0.5}},
                            "Y": {"position": 0, "salience": 0}})
    labels = input_space(declared, Noise.parse("position=10 salience=0.1")).labels
    assert [label for label in labels if "Z," in label] == ["position[Z,X]", "salience[Z,X]"]


def test_a_discrete_distribution_draws_only_its_points_with_their_weights() -> None:
    """`points` without `weights`: equal weights; a block draws nothing but the points, at
    their shares within five binomial standard errors (sqrt(p(1-p)/n) = 0.0035 here)."""
    mapping = tiny(value=50, points=[10, 50, 90])
    mapping["stances"]["B"]["X"]["position"] = {"value": 80, "points": [70, 90],
                                                "weights": [3, 1]}
    space = input_space(scenario_from_mapping(mapping))
    n = 20_000
    drawn = space.draw(np.random.default_rng(5), n) * 100  # unit scale -> 0-100
    a, b = (drawn[:, space.labels.index(f"position[{who},X]")] for who in "AB")
    assert set(np.round(a, 9)) == {10, 50, 90} and set(np.round(b, 9)) == {70, 90}
    tolerance = 5 * np.sqrt(0.25 * 0.75 / n)
    assert np.mean(np.isclose(a, 10)) == pytest.approx(1 / 3, abs=tolerance)
    assert np.mean(np.isclose(b, 90)) == pytest.approx(1 / 4, abs=tolerance)
    assert space.nominal()[space.labels.index("position[A,X]")] == pytest.approx(0.5)
