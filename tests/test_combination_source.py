"""A combination file written by `validate --fit`: every surface that shows the combined
forecast uses that file and says where it was fitted, and its provenance's command fits it
again."""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from detente.brief import BriefInputs, _how_sure
from detente.cli import app
from detente.combine import load_combination
from detente.report.html import _combined
from detente.report.kinds import Analysis

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "my.yaml"
FAST: dict[str, dict[str, Any]] = {
    "settle": {"step": 25.0}, "contributions": {"step": 25.0}, "sample": {"samples": 200},
    "sensitivity": {"samples": 16, "bootstrap": 20}}


def _with_outcomes(folder: Path, name: str, flow: float, fund: float) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8").replace("id: river-example", f"id: {name}", 1)
    path = folder / f"{name}.yaml"
    path.write_text(text + f"outcomes:\n  FLOW: {{value: {flow}}}\n  FUND: {{value: {fund}}}\n",
                    encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("cases")
    return [_with_outcomes(folder, "r1", 12, 45), _with_outcomes(folder, "r2", 14, 30)]


def _fit(targets: Sequence[str | Path], out: Path, *extra: str) -> dict[str, Any]:
    result = runner.invoke(app, ["validate", *map(str, targets), "--bootstrap", "0", "-q",
                                 *extra, "--fit", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def fitted(cases: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fit") / "fit.json"
    _fit(cases, out, "-m", "compromise", "-m", "median")
    return out


def test_the_report_shows_the_combination_its_forecast_setting_names(
        fitted: Path, cases: list[Path]) -> None:
    # The report's combined section loaded the shipped file whatever the setting said: its
    # DEU III σ and stack under a settings table that named the user's file.
    mine, shipped = load_combination(fitted), load_combination()
    assert mine.sigma != shipped.sigma
    analysis = Analysis.of(EXAMPLE, settings={**FAST, "forecast": {"combination": str(fitted)}})
    section = _combined(analysis)
    assert section is not None and section.view is not None
    page = section.reading + str(section.view)
    assert f"Laplace scale {mine.sigma:g} of the scale" in page
    for model, weight in mine.stack.items():
        assert f"{model} {weight:.2f}" in page
    assert all(str(case) in page for case in cases)
    assert "EU legislation" not in page and "DEU III" not in page
    # Its interval's record is the file's own out-of-fold coverage, not DEU III's 80%.
    held = mine.provenance["out_of_fold"]["coverage"]["0.8"]
    assert f"held {100 * held:.0f}% of held-out outcomes" in section.reading
    # The brief beside it reads the same forecast, so it names the same record.
    brief = _how_sure(analysis.scenario, BriefInputs(analysis.scenario, analysis.forecast,
                                                     None, None, analysis.sampled))
    assert "EU" not in " ".join(brief.paragraphs) and str(cases[0]) in brief.paragraphs[0]


def test_the_shipped_combination_is_still_said_to_be_fitted_on_eu_legislation() -> None:
    section = _combined(Analysis.of(EXAMPLE, settings=FAST))
    assert section is not None and section.view is not None
    assert "EU legislation, DEU III's deu3_blksv.csv" in section.reading
    assert f"Laplace scale {load_combination().sigma:g}" in str(section.view)


def test_forecast_says_a_users_combination_was_calibrated_on_its_own_outcomes(
        fitted: Path, cases: list[Path]) -> None:
    # The note after "fitted ... on /tmp/a.yaml" went on: "the intervals were calibrated on
    # EU legislation", in the table, the JSON view and the CSV notes alike.
    for form in ("table", "json", "csv"):
        result = runner.invoke(app, ["forecast", str(EXAMPLE), "-m", "compromise",
                                     "--combination", str(fitted), "-f", form])
        assert result.exit_code == 0, result.output
        text = " ".join(result.output.split())
        assert "EU legislation" not in text, form
        named = f"{cases[0]}, {cases[1]}"
        assert (f'"fitted_on": "{named}"' if form == "json" else f"the outcomes of {named}") \
            in text, form
    shipped = runner.invoke(app, ["forecast", str(EXAMPLE), "-m", "compromise"])
    assert "EU legislation" in " ".join(shipped.output.split())


@pytest.mark.parametrize("given", [
    ("-m", "compromise", "-m", "median"),
    ("-m", "compromise", "-m", "median", "-m", "nash", "--seed", "3", "--without", "DELTA",
     "--position", "UP.FLOW=13.25"),
])
def test_the_recorded_command_fits_the_same_combination_again(
        cases: list[Path], tmp_path: Path, given: tuple[str, ...]) -> None:
    # The command recorded no models, the default 10 folds where 2 were used, and no
    # counterfactual: run again, it fitted another combination.
    first = _fit(cases, tmp_path / "first.json", *given)
    provenance = first["provenance"]
    words = shlex.split(provenance["command"])
    assert words[:2] == ["detente", "validate"] and words[-2:] == ["--fit", "FILE"]
    assert "--capability" not in words  # DEU's capabilities: nothing to do with scenarios
    again = tmp_path / "again.json"
    result = runner.invoke(app, [*words[1:-1], str(again), "--bootstrap", "0", "-q"])
    assert result.exit_code == 0, result.output
    second = json.loads(again.read_text(encoding="utf-8"))
    for key in ("stack", "stack_without_status_quo", "mixture", "mixture_without_status_quo",
                "sigma", "point_weight"):
        assert second[key] == first[key], key
    assert second["provenance"]["command"] == provenance["command"]
    # Two scenarios are two groups: the cross-validation used two folds, whatever was asked.
    assert provenance["folds"] == 2
    # What is recorded matters: the default run (every model, no counterfactual) fits
    # another combination.
    plain = _fit(cases, tmp_path / "plain.json")
    assert plain["stack"] != first["stack"]


def test_a_deu_fits_command_keeps_its_capabilities_and_models(tmp_path: Path) -> None:
    from tests.test_validate_cli import deu_to_fit

    first = _fit(["deu", deu_to_fit(tmp_path)], tmp_path / "first.json",
                 "--capability", "equal", "--folds", "3", "-m", "compromise", "-m", "nash")
    words = shlex.split(first["provenance"]["command"])
    assert words[words.index("--capability") + 1] == "equal"
    assert words[words.index("--folds") + 1] == "3" == str(first["provenance"]["folds"])
    result = runner.invoke(app, [*words[1:-1], str(tmp_path / "again.json"), "--bootstrap",
                                 "0", "-q"])
    assert result.exit_code == 0, result.output
    second = json.loads((tmp_path / "again.json").read_text(encoding="utf-8"))
    assert (second["stack"], second["sigma"]) == (first["stack"], first["sigma"])
