"""The combined forecast: stacking, the predictive mixture, calibration out of fold."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import detente
from detente.combine import (
    Combination,
    covered,
    cross_validate,
    fit_combination,
    lad_simplex,
    load_combination,
    mixture_quantiles,
)
from detente.errors import DetenteError
from detente.models import REGISTRY
from detente.validate import validate_deu
from tests.shared_data import needs_shared, shared_path

BLKSV = shared_path("deu", "deu3_blksv.csv")


def test_lad_simplex_finds_the_exact_model() -> None:
    rng = np.random.default_rng(0)
    f = rng.uniform(size=(50, 3))
    assert lad_simplex(f, f[:, 1]) == pytest.approx([0, 1, 0], abs=1e-9)
    # Halfway between two models: the LAD solution on the simplex is the blend.
    np.testing.assert_allclose(lad_simplex(f, 0.3 * f[:, 0] + 0.7 * f[:, 2]), [0.3, 0, 0.7],
                               atol=1e-7)


def test_laplace_quantiles_by_hand() -> None:
    # One component at 0.5 with scale 0.1: the α-quantile is 0.5 + 0.1 ln(2α) below the
    # median, and clipping to the scale caps it at 0 and 1.
    centres = np.array([[0.5]])
    levels = [0.1, 0.5, 0.9, 0.001]
    q = mixture_quantiles(centres, np.array([[1.0]]), 0.1, levels)[:, 0]
    expected = [0.5 + 0.1 * np.log(0.2), 0.5, 0.5 - 0.1 * np.log(0.2), 0.0]
    np.testing.assert_allclose(q, expected, atol=1e-9)
    # Two equal components far apart: the median lies between them, the quartiles at them.
    two = mixture_quantiles(np.array([[0.2], [0.8]]), np.array([[0.5], [0.5]]), 0.01,
                            [0.25, 0.5, 0.75])[:, 0]
    assert two[0] == pytest.approx(0.2, abs=1e-9) and two[2] == pytest.approx(0.8, abs=1e-9)
    assert 0.2 < two[1] < 0.8


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), sigma=st.floats(0.02, 0.5))
def test_coverage_from_the_distribution_function_matches_the_quantiles(seed: int,
                                                                     sigma: float) -> None:
    rng = np.random.default_rng(seed)
    centres = rng.uniform(size=(3, 40))
    rho = rng.dirichlet(np.ones(3))[:, None]
    observed = np.clip(rng.uniform(-0.2, 1.2, size=40), 0, 1)  # some at the poles
    levels = [0.5, 0.8, 0.95]
    inside = covered(observed, centres, rho, sigma, levels)
    probs = [(1 - lv) / 2 for lv in levels] + [(1 + lv) / 2 for lv in levels]
    q = mixture_quantiles(centres, rho, sigma, probs)
    by_quantile = (observed >= q[:3] - 1e-9) & (observed <= q[3:] + 1e-9)
    # They may differ only where the outcome sits on a bound (within the bisection error).
    near = (np.abs(observed - q[:3]) < 1e-7) | (np.abs(observed - q[3:]) < 1e-7)
    assert np.all((inside == by_quantile) | near)


def _synthetic(n_groups: int = 150, per: int = 3, sigma: float = 0.08,
               seed: int = 3) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, list[str]]:
    """Two models, outcomes = the first model + Laplace noise (clipped), one placeholder
    status quo in five issues for a model that needs one."""
    rng = np.random.default_rng(seed)
    n = n_groups * per
    truth = rng.uniform(0.1, 0.9, size=n)
    good = np.clip(truth + rng.normal(0, 0.02, size=n), 0, 1)
    poor = rng.uniform(size=n)
    needs = np.clip(truth + rng.normal(0, 0.05, size=n), 0, 1)
    observed = np.clip(truth + rng.laplace(0, sigma, size=n), 0, 1)
    known = rng.uniform(size=n) > 0.2
    groups = [f"g{k // per}" for k in range(n)]
    return ({"good": good, "poor": poor, "needs": np.where(known, needs, np.nan)}, observed,
            known, groups)


def test_calibration_out_of_fold_covers_a_known_noise_at_its_levels() -> None:
    forecasts, observed, known, groups = _synthetic()
    cal = cross_validate(forecasts, observed, known, groups, ["needs"], folds=10, seed=0)
    for level, cover in cal.coverage.items():
        assert abs(cover - level) < 0.06, (level, cover)
    # The point forecast puts its weight on the good models, not on noise.
    fitted = fit_combination(forecasts, observed, known, ["needs"])
    assert fitted.stack["poor"] < 0.05 and fitted.stack_without_status_quo["poor"] < 0.05
    assert fitted.mixture["poor"] < fitted.mixture["good"]
    assert "needs" not in fitted.stack_without_status_quo
    assert np.all(np.isfinite(cal.point)) and np.isfinite(cal.crps) and cal.crps > 0


def test_held_out_outcomes_never_reach_their_forecast() -> None:
    forecasts, observed, known, groups = _synthetic(n_groups=40)
    base = cross_validate(forecasts, observed, known, groups, ["needs"], folds=5, seed=1)
    changed = observed.copy()
    mine = np.array([g == "g0" for g in groups])
    changed[mine] = 1.0 - changed[mine]
    other = cross_validate(forecasts, changed, known, groups, ["needs"], folds=5, seed=1)
    np.testing.assert_allclose(other.point[mine], base.point[mine], atol=1e-12)


def test_combination_round_trip_and_bad_files(tmp_path: Path) -> None:
    forecasts, observed, known, _ = _synthetic(n_groups=30)
    fitted = fit_combination(forecasts, observed, known, ["needs"], {"data": "synthetic"})
    path = tmp_path / "c.json"
    path.write_text(json.dumps(fitted.to_dict()))
    again = load_combination(path)
    assert again == fitted
    raw = fitted.to_dict()
    for broken, match in (({**raw, "format": "x"}, "not a detente combination"),
                          ({**raw, "sigma": float("nan")}, "sigma"),
                          ({**raw, "stack": {"good": 0.5}}, "sum to 0.5"),
                          ({**raw, "mixture": {"good": -1.0, "poor": 2.0}}, "not a number ≥ 0")):
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps(broken))
        with pytest.raises(DetenteError, match=match):
            load_combination(bad)
    (tmp_path / "text.json").write_text("{oops")
    with pytest.raises(DetenteError, match="not JSON"):
        load_combination(tmp_path / "text.json")
    with pytest.raises(DetenteError, match="no such combination file"):
        load_combination(tmp_path / "absent.json")


def test_shipped_combination_is_registered_models_with_provenance() -> None:
    shipped = load_combination()
    assert set(shipped.models) <= set(REGISTRY)
    for key in ("data", "sha256", "issues", "command", "out_of_fold"):
        assert shipped.provenance.get(key), key
    assert all(not REGISTRY[m].model.needs_status_quo
               for m in shipped.stack_without_status_quo)


def test_combined_runs_its_models_but_lists_those_asked_for() -> None:
    asked = detente.forecast("korea-2017", models=["median"], combined=True)
    every = detente.forecast("korea-2017", models=list(load_combination().models),
                             combined=True)
    assert list(asked.results) == ["median"]
    assert asked.combined is not None and every.combined is not None
    np.testing.assert_allclose(asked.combined.point, every.combined.point, atol=1e-12)
    np.testing.assert_allclose(asked.combined.spread, every.combined.spread, atol=1e-12)


def test_forecast_combined_on_korea() -> None:
    shipped = load_combination()
    f = detente.forecast("korea-2017", models=list(shipped.models), combined=True)
    assert set(shipped.models) <= set(f.results)
    point = sum(w * f.results[m].forecast for m, w in shipped.stack.items())
    assert f.combined is not None
    np.testing.assert_allclose(f.combined.point, np.clip(point, 0, 1), atol=1e-12)
    (l50, h50), (l80, h80), (l95, h95) = (f.combined.intervals[lv] for lv in (0.5, 0.8, 0.95))
    assert np.all(l95 <= l80 + 1e-12) and np.all(l80 <= l50 + 1e-12)
    assert np.all(h50 <= h80 + 1e-12) and np.all(h80 <= h95 + 1e-12)
    low, high = f.combined.spread
    stacked = np.stack([f.results[m].forecast for m in f.combined.models])
    np.testing.assert_allclose(low, stacked.min(axis=0))
    np.testing.assert_allclose(high, stacked.max(axis=0))
    out = f.to_dict()
    values = out["combined"]["forecast"]
    assert set(values) == set(f.arrays.issue_ids)
    assert all(np.isfinite(v) for row in values.values() for v in row.values())
    assert "combined" not in detente.forecast("korea-2017").to_dict()


@pytest.mark.parametrize(("point_weight", "words"), [
    (1.0, "round the combined point alone"), (0.5, "share 0.5 round the combined point"),
    (0.0, "over compromise, median weighted by their validation errors")])
def test_the_forecast_note_says_what_the_intervals_are_made_of(
        tmp_path: Path, point_weight: float, words: str) -> None:
    from detente.analyses import run
    from detente.analyses.forecasting import combined_table

    raw = load_combination().to_dict()
    raw.update(stack={"compromise": 1.0}, mixture={"compromise": 0.5, "median": 0.5},
               point_weight=point_weight)
    path = tmp_path / "c.json"
    path.write_text(json.dumps(raw), "utf-8")
    result = run("forecast", "korea-2017", None, model=["compromise"], combination=str(path))
    note = combined_table(result.value).notes[0]
    assert words in note, note
    assert result.value.to_dict()["combined"]["point_weight"] == point_weight


def test_combination_on_a_scenario_needs_its_models() -> None:
    fitted = Combination(stack={"compromise": 1.0}, stack_without_status_quo={"compromise": 1.0},
                         mixture={"compromise": 0.5, "median": 0.5},
                         mixture_without_status_quo={"compromise": 1.0}, sigma=0.1)
    with pytest.raises(KeyError, match="median"):
        fitted.quantiles({"compromise": np.array([0.5])}, [0.5])


@needs_shared(BLKSV)
def test_deu_calibration_out_of_fold_meets_the_target() -> None:
    # smp is left out to keep the test short; the full set is in docs/accuracy.md.
    result = validate_deu(BLKSV, models=["compromise", "median", "nash", "bdm", "constrained",
                                         "procedural"], n_boot=0)
    cal = result.calibration
    assert cal is not None and cal.n_issues == 353
    assert 0.75 <= cal.coverage[0.8] <= 0.85
    assert 0.45 <= cal.coverage[0.5] <= 0.6 and 0.9 <= cal.coverage[0.95] <= 0.99
    assert "combined" in result.predictions and result.kinds["combined"] == "model (CV)"
    assert np.all(np.isfinite(result.predictions["combined"]))


def test_report_has_a_combined_section_when_its_models_ran() -> None:
    from detente.report.html import _combined
    from detente.report.kinds import Analysis

    analysis = Analysis.of("korea-2017")
    section = _combined(analysis)
    assert section is not None and section.id == "combined" and section.view is not None
    html = str(section.view)
    assert "combined" in html
    for issue in analysis.scenario.issues:
        assert issue.name in html
    # The section is the forecast's own combined forecast: with some models asked for, the
    # forecast runs the combination's others for it, as `detente forecast -m ...` does; with
    # the combined forecast turned off, there is none to show.
    some = Analysis.of("korea-2017", models=["compromise", "median"])
    assert some.forecast.combined is not None and _combined(some) is not None
    off = Analysis.of("korea-2017", settings={"forecast": {"combined": False}})
    assert off.forecast.combined is None and _combined(off) is None


def test_fit_without_any_known_status_quo_gives_the_free_models_weight() -> None:
    forecasts, observed, _, _ = _synthetic(n_groups=20)
    nowhere = np.zeros(observed.size, dtype=bool)
    with np.errstate(all="raise"):
        fitted = fit_combination({**forecasts, "needs": np.full(observed.size, np.nan)},
                                 observed, nowhere, ["needs"])
    assert fitted.stack["needs"] == 0 and fitted.mixture["needs"] == 0
    assert fitted.stack["good"] == pytest.approx(fitted.stack_without_status_quo["good"])
    values = [*fitted.stack.values(), *fitted.mixture.values(), fitted.sigma]
    assert all(np.isfinite(v) for v in values)
