"""Sobol indices against closed forms, invariances, and the tornado structure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

import detente
from detente.cli import app
from detente.scenario import load, scenario_from_mapping
from detente.uncertainty.sensitivity import sensitivity, sobol_indices

runner = CliRunner()
RIVER = Path(__file__).resolve().parent.parent / "examples" / "my.yaml"


def two_uniform_positions(width_a: float = 40, width_b: float = 20) -> Any:
    """Compromise = (x_A + x_B) / 2 with independent uniform positions: additive, so
    S_A = ST_A = w_A² / (w_A² + w_B²)."""
    return scenario_from_mapping({
        "id": "two", "title": "Two",
        "issues": [{"id": "X", "name": "X", "status_quo": 50}],
        "actors": [{"id": "A", "name": "A", "capability": 1},
                   {"id": "B", "name": "B", "capability": 1}],
        "stances": {
            "A": {"X": {"position": {"value": 20, "low": 20 - width_a / 2,
                                     "high": 20 + width_a / 2, "distribution": "uniform"},
                        "salience": 1}},
            "B": {"X": {"position": {"value": 80, "low": 80 - width_b / 2,
                                     "high": 80 + width_b / 2, "distribution": "uniform"},
                        "salience": 1}}},
    })


def test_additive_model_indices_match_the_closed_form() -> None:
    r = sensitivity(two_uniform_positions(), samples=4096, rng=1, workers=1)
    ranking = r.ranking("X")
    assert [x.input for x in ranking] == ["position[A,X]", "position[B,X]"]
    truth = {"position[A,X]": 0.8, "position[B,X]": 0.2}
    for x in ranking:
        assert abs(x.first - truth[x.input]) < 0.04 and abs(x.total - truth[x.input]) < 0.04
        assert x.total_ci[0] <= truth[x.input] <= x.total_ci[1]
        assert x.first_ci[0] <= truth[x.input] <= x.first_ci[1]
    # Var of (x_A + x_B)/2 = (40² + 20²) / 12 / 4.
    assert r.variance[0] == pytest.approx((1600 + 400) / 48, rel=0.05)
    assert r.nominal[0] == pytest.approx(50.0)


def test_estimators_on_a_known_function_with_interaction() -> None:
    # f = x1 + x1 * x2 with x ~ U(0,1): V = 1/12 + ... computed by hand below.
    rng = np.random.default_rng(0)
    n = 200_000
    a, b = rng.random((n, 2)), rng.random((n, 2))

    def f(x: np.ndarray) -> np.ndarray:
        return (x[:, 0] + x[:, 0] * x[:, 1])[:, None]

    ab = np.stack([np.column_stack([b[:, 0], a[:, 1]]), np.column_stack([a[:, 0], b[:, 1]])])
    fab = np.stack([f(m) for m in ab], axis=1)
    first, total, variance = sobol_indices(f(a), f(b), fab)
    # E[f|x1] = 1.5 x1 -> V1 = 2.25/12; E[f|x2] = (1 + x2)/2 -> V2 = 1/48;
    # V = E[x1²]E[(1+x2)²] - (3/4)² = (1/3)(7/3) - 9/16.
    v = 7 / 9 - 9 / 16
    v1, v2 = 2.25 / 12, 1 / 48
    assert variance[0] == pytest.approx(v, rel=0.02)
    assert first[0, 0] == pytest.approx(v1 / v, abs=0.02)
    assert first[1, 0] == pytest.approx(v2 / v, abs=0.02)
    # Totals: V - V_{~i}; V_{~1} = V2, V_{~2} = V1.
    assert total[0, 0] == pytest.approx(1 - v2 / v, abs=0.02)
    assert total[1, 0] == pytest.approx(1 - v1 / v, abs=0.02)


def test_inputs_a_model_ignores_get_exactly_zero_and_runs_are_reproducible() -> None:
    korea = load("korea-2017")
    noise = "position=10 salience=0.1 capability=20% trust=0.2"
    first = sensitivity(korea, samples=200, rng=4, noise=noise, workers=1, chunk_size=200)
    trust = [k for k, label in enumerate(first.inputs) if label.startswith("trust[")]
    assert trust and np.all(first.total[trust] == 0) and np.all(first.first[trust] == 0)
    for chunk, workers in ((7, 1), (33, 2)):
        again = sensitivity(korea, samples=200, rng=4, noise=noise, chunk_size=chunk,
                            workers=workers)
        np.testing.assert_array_equal(again.first, first.first)
        np.testing.assert_array_equal(again.total, first.total)
        np.testing.assert_array_equal(again.total_ci, first.total_ci)


def test_groups_and_tornado_structure() -> None:
    korea = load("korea-2017")
    r = sensitivity(korea, "median", samples=128, rng=2, group_by="actor", workers=1)
    assert set(r.inputs) == set(korea.actor_ids)
    t = r.tornado("NUC", top=4)
    assert len(t["labels"]) == len(t["low"]) == len(t["high"]) == 4
    assert t["total"] == sorted(t["total"], reverse=True)
    point = detente.forecast(korea, ["median"]).values("median")["NUC"]
    assert t["nominal"] == pytest.approx(point)
    kinds = sensitivity(korea, samples=64, rng=2, group_by="kind", workers=1, bootstrap=0)
    assert set(kinds.inputs) == {"capability", "position", "salience"}


def test_cli_sensitivity() -> None:
    ok = runner.invoke(app, ["sensitivity", "-n", "64", "-i", "NUC", "--top", "3", "--quiet"])
    assert ok.exit_code == 0, ok.output
    assert "DPRK nuclear weapons program" in ok.output and "Security guarantees" not in ok.output
    js = runner.invoke(app, ["sensitivity", "-n", "64", "-g", "actor", "-f", "json",
                             "--seed", "3"])
    data = json.loads(js.output)
    assert data["seed"] == 3 and data["evaluations"] == 64 * (6 + 2)
    assert len(data["outputs"]["NUC"]["ranking"]) == 6
    bad = runner.invoke(app, ["sensitivity", "-n", "64", "-i", "NOPE"])
    assert bad.exit_code == 2 and "unknown issue" in bad.output


def _river(capability_of_delta: float | None = None) -> Any:
    import yaml

    data = yaml.safe_load(RIVER.read_text(encoding="utf-8"))
    if capability_of_delta is not None:
        data["actors"][3]["capability"] = capability_of_delta
    return scenario_from_mapping(data)


def test_a_capability_far_below_the_floor_still_gets_finite_indices() -> None:
    # The truncation floor (1e-9) once lay above a capability of 1e-15: the truncated normal
    # then drew an infinite capability and every index came out NaN.
    r = sensitivity(_river(1e-15), samples=64, rng=0, workers=1)
    assert np.all(np.isfinite(r.first)) and np.all(np.isfinite(r.total))
    assert np.all(np.isfinite(r.swing)) and np.all(r.variance > 0)
    delta = r.inputs.index("capability[DELTA]")
    # A capability of 1e-15 beside 60, 30 and 40 moves nothing.
    assert np.all(np.abs(r.total[delta]) < 1e-9)


def test_a_spread_far_wider_than_the_scale_draws_the_uniform() -> None:
    # sd = 1e300 once made Φ(b) − Φ(a) exactly 0, pinning every draw to the point value (sd 0,
    # NaN indices); the truncated normal's limit is the uniform on the scale.
    from detente.uncertainty.inputs import Noise, input_space

    space = input_space(_river(), Noise.parse("position=1e300"))
    draws = space.draw(np.random.default_rng(0), 20_000)
    assert np.all((draws >= 0) & (draws <= 1))
    np.testing.assert_allclose(draws.mean(axis=0), 0.5, atol=0.01)
    np.testing.assert_allclose(draws.var(axis=0), 1 / 12, rtol=0.03)
    r = sensitivity(_river(), samples=64, rng=0, noise="position=1e300", workers=1)
    assert np.all(np.isfinite(r.total)) and np.all(r.variance > 0)


@pytest.mark.parametrize("noise", ["", "position=1e300"])
def test_cli_table_shows_no_nan_for_extreme_inputs(tmp_path: Any, noise: str) -> None:
    path = tmp_path / "tiny.yaml"
    text = RIVER.read_text(encoding="utf-8").replace("capability: 15,", "capability: 1e-15,")
    path.write_text(text, encoding="utf-8")
    args = ["sensitivity", "--samples", "64", str(path), *(["--noise", noise] if noise else [])]
    for fmt in ("table", "json"):
        out = runner.invoke(app, [*args, "-f", fmt])
        assert out.exit_code == 0, out.output
        assert "nan" not in out.output.lower() and "inf" not in out.output.lower()


def test_an_output_that_does_not_vary_has_undefined_indices_not_nan() -> None:
    # Compromise ignores trust: with only trust uncertain, V = 0 and every Sobol index is 0/0.
    r = sensitivity(_river(), samples=32, rng=0, noise="trust=0.2", workers=1)
    assert r.constant("FLOW") and np.all(r.variance == 0)
    row = r.ranking("FLOW")[0]
    assert row.first is None and row.total is None and row.total_ci is None
    assert any("does not vary" in n and "undefined" in n for n in r.notes)
    js = runner.invoke(app, ["sensitivity", "-n", "32", "--noise", "trust=0.2", "-f", "json",
                             str(RIVER)])
    assert js.exit_code == 0, js.output
    ranking = json.loads(js.output)["outputs"]["FLOW"]["ranking"]
    assert ranking[0]["total"] is None and ranking[0]["total_ci"] is None
    text = runner.invoke(app, ["sensitivity", "-n", "32", "--noise", "trust=0.2",
                               str(RIVER)])
    assert text.exit_code == 0 and "nan" not in text.output and "does not vary" in text.output


@pytest.mark.parametrize("analysis", ["sensitivity", "sample"])
def test_a_spread_that_overflows_the_model_is_refused_by_the_noise(analysis: str) -> None:
    # Capabilities drawn near 1e308 overflow the weighted sums: NaN forecasts, once shown
    # as nan (sensitivity) or – (sample) with exit 0.
    out = runner.invoke(app, [analysis, "-n", "16", "--noise", "capability=1e308",
                              str(RIVER)])
    assert out.exit_code == 2 and "--noise" in out.output and "not a finite" in out.output
    assert "Traceback" not in out.output
