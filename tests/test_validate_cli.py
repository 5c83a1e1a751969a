"""`detente validate` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from detente.analyses import run
from detente.cli import app
from detente.errors import Interface, OptionError, shown_on
from detente.render import fixed
from tests.shared_data import needs_shared
from tests.test_deu import WEIGHTS, issue_row, original_text

runner = CliRunner()


def _deu_file(tmp_path: Path) -> Path:
    rows = [issue_row("d1i1", "d1"), issue_row("d1i2", "d1", out="20"),
            issue_row("d2i1", "d2", proc="CNS", rule="Unan", out="90", rp="100")]
    path = tmp_path / "Dataset_DEU_III.csv"
    path.write_text(original_text(rows), encoding="utf-8")
    return path


def test_validate_deu_prints_table_breakdowns_and_writes_predictions(tmp_path: Path) -> None:
    path = _deu_file(tmp_path)
    out = tmp_path / "pred.csv"
    result = runner.invoke(app, ["validate", "deu", str(path), "--capability", "equal",
                                 "--bootstrap", "50", "-p", str(out)])
    assert result.exit_code == 0, result.output
    for text in ("compromise", "status-quo", "commission", "parliament", "salience-median",
                 "MAE by procedure", "MAE by rule", "COD", "CNS", "unanimity"):
        assert text in result.output
    lines = out.read_text().splitlines()
    assert lines[0].startswith("case,issue,group,procedure,rule,observed")
    assert len(lines) == 4
    again = runner.invoke(app, ["validate", "deu", str(path), "--capability", "equal",
                                "-p", str(out)])
    assert again.exit_code == 2 and "already exists" in again.output


def test_validate_json_output(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", "deu", str(_deu_file(tmp_path)), "--capability",
                                 "equal", "-m", "compromise", "--bootstrap", "20", "-f", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    names = [s["predictor"] for s in data["scores"]]
    assert "compromise" in names and "nash" not in names
    assert data["resampled"] == "groups" and set(data["breakdowns"]) == {"procedure", "rule"}


@pytest.mark.parametrize(("given", "named"), [
    (["--position", "A.B=5"], "--position"),
    (["--fix", "N=3", "--trust", "A.B=0.5"], "--fix"),
    (["--capability", "UP=5"], "--capability")])
def test_a_counterfactual_on_deu_is_refused_at_the_flag_given(
        tmp_path: Path, given: list[str], named: str) -> None:
    result = runner.invoke(app, ["validate", "deu", str(_deu_file(tmp_path)), "-m",
                                 "compromise", "--bootstrap", "0", *given])
    assert result.exit_code == 2, result.output
    assert f"{named}: {given[1]}: DEU III is a data set" in result.output
    assert "--without" not in result.output
    assert ("--capability gdp" in result.output) == (named == "--capability")


def test_capability_on_deu_is_still_the_regime(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", "deu", str(_deu_file(tmp_path)), "-m",
                                 "compromise", "--bootstrap", "0", "--capability", "equal"])
    assert result.exit_code == 0, result.output
    assert "capability: equal" in result.output


def test_malformed_deu_file_is_a_clean_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(original_text([issue_row(pfr="lots")]), encoding="utf-8")
    result = runner.invoke(app, ["validate", "deu", str(path)])
    assert result.exit_code == 2
    assert "bad.csv:2" in result.output and "'lots' is not a number" in result.output
    assert "Traceback" not in result.output
    missing = runner.invoke(app, ["validate", "deu"])
    assert missing.exit_code == 2 and "exactly one DEU file" in missing.output


def test_validate_scenario_files(tmp_path: Path) -> None:
    scenario = {
        "id": "toy", "title": "Toy",
        "issues": [{"id": "X", "name": "x", "status_quo": 0}],
        "actors": [{"id": "A", "name": "A", "capability": 1},
                   {"id": "B", "name": "B", "capability": 1}],
        "stances": {"A": {"X": {"position": 20, "salience": 1}},
                    "B": {"X": {"position": 80, "salience": 1}}},
        "outcomes": {"X": 60},
    }
    path = tmp_path / "toy.yaml"
    path.write_text(yaml.safe_dump(scenario), encoding="utf-8")
    predictions = tmp_path / "predictions.csv"
    result = runner.invoke(app, ["validate", str(path), "-m", "compromise", "-f", "csv",
                                 "-p", str(predictions)])
    assert result.exit_code == 0, result.output
    header, row = predictions.read_text(encoding="utf-8").strip().splitlines()
    values = dict(zip(header.split(","), row.split(","), strict=True))
    assert float(values["compromise"]) == 50 and float(values["observed"]) == 60
    # -f csv is the view, as for every analysis: the score table's rows.
    assert "scores,2,predictor,compromise," in result.output.splitlines()
    unknown = runner.invoke(app, ["validate", str(path), "-m", "oracle"])
    assert unknown.exit_code == 2 and "unknown model 'oracle'" in unknown.output


@needs_shared(WEIGHTS)
def test_council_weights_option(tmp_path: Path) -> None:
    path = _deu_file(tmp_path)
    ok = runner.invoke(app, ["validate", "deu", str(path), "--weights", str(WEIGHTS),
                             "--bootstrap", "0", "-m", "compromise"])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(app, ["validate", "deu", str(path), "--weights",
                              str(tmp_path / "nope.csv")])
    assert bad.exit_code == 2 and "no such Council weights file" in bad.output


def test_markdown_output_for_the_docs(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", "deu", str(_deu_file(tmp_path)), "--capability",
                                 "equal", "-m", "compromise", "-m", "median", "--bootstrap", "20",
                                 "-f", "markdown"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("| predictor | kind | issues | groups | MAE |")
    assert any(line.startswith("| compromise | model | 3 | 2 |") for line in lines)
    assert "MAE by procedure:" in result.output
    assert any(line.startswith("| median | 3 |") for line in lines)  # paired difference


def deu_to_fit(tmp_path: Path) -> Path:
    """A DEU file of 12 proposals (24 issues, some without a reference point): enough
    groups to fit a combination on."""
    rows = [issue_row(f"d{k}i{j}", f"d{k}", out=str(10 * ((k + j) % 10)),
                      rp=str(10 * (k % 7)) if k % 3 else "")
            for k in range(12) for j in range(2)]
    path = tmp_path / "Dataset_DEU_III.csv"
    path.write_text(original_text(rows), encoding="utf-8")
    return path


def test_validate_fit_writes_a_combination_forecast_reads(tmp_path: Path) -> None:
    path = deu_to_fit(tmp_path)
    fitted, figure = tmp_path / "c.json", tmp_path / "rel.png"
    result = runner.invoke(app, ["validate", "deu", str(path), "--capability", "equal",
                                 "--bootstrap", "0", "--folds", "3", "-m", "compromise",
                                 "-m", "median", "-m", "nash", "--fit", str(fitted),
                                 "--reliability", str(figure)])
    assert result.exit_code == 0, result.output
    for text in ("calibration out of fold", "outcomes inside", "status quo known",
                 "need a status quo"):
        assert text in result.output
    raw = json.loads(fitted.read_text())
    assert raw["format"] == "detente.combination"
    assert set(raw["stack"]) == {"compromise", "median", "nash"}
    assert set(raw["stack_without_status_quo"]) == {"compromise", "median"}
    assert raw["provenance"]["sha256"] and raw["provenance"]["issues"] == 24
    assert figure.read_bytes()[:4] == b"\x89PNG"
    forecast = runner.invoke(app, ["forecast", "--combined", "--combination", str(fitted),
                                   "-f", "json"])
    assert forecast.exit_code == 0, forecast.output
    combined = json.loads(forecast.output)["combined"]
    assert combined["fitted_on"] == "Dataset_DEU_III.csv"
    # An existing output is refused before any work.
    again = runner.invoke(app, ["validate", "deu", str(path), "--capability", "equal",
                                "--fit", str(fitted)])
    assert again.exit_code == 2 and "already exists" in again.output
    broken = tmp_path / "broken.json"
    broken.write_text("{}")
    bad = runner.invoke(app, ["forecast", "--combined", "--combination", str(broken)])
    assert bad.exit_code != 0 and "Traceback" not in bad.output
    assert "not a detente combination" in bad.output


def test_validate_fit_without_a_combination_is_a_clear_error(tmp_path: Path) -> None:
    path = _deu_file(tmp_path)
    fitted = tmp_path / "c.json"
    result = runner.invoke(app, ["validate", "deu", str(path), "--capability", "equal",
                                 "--bootstrap", "0", "-m", "nash", "--fit", str(fitted)])
    assert result.exit_code == 2, result.output
    assert "no combined forecast to fit" in result.output and "Traceback" not in result.output
    assert not fitted.exists()


@pytest.mark.parametrize(("interface", "place", "fix"), [
    ("command line", "--fit",
     "score more models (drop --model, or add e.g. -m compromise -m median)"),
    ("workbench", "params.fit",
     "score more models (drop model, or add e.g. model=compromise model=median)")])
def test_validate_fit_refusal_names_the_models_as_each_interface_does(
        tmp_path: Path, interface: Interface, place: str, fix: str) -> None:
    # It wrote "-m compromise -m median" whoever read it.
    with shown_on(interface), pytest.raises(OptionError) as refused:
        run("validate", ["deu", str(_deu_file(tmp_path))], capability="equal", bootstrap=0,
            model=["nash"], fit=str(tmp_path / "c.json"))
    assert [(p.location, p.fix) for p in refused.value.problems] == [(place, fix)]


def test_one_group_has_no_bootstrap_interval(tmp_path: Path) -> None:
    # One scenario is one resampling group: every resample was that group again, and the
    # table showed "10.0 [10.0, 10.0]", a 95% interval of width 0.
    scenario = {
        "id": "toy", "title": "Toy",
        "issues": [{"id": i, "name": i, "status_quo": 0} for i in ("X", "Y")],
        "actors": [{"id": "A", "name": "A", "capability": 1},
                   {"id": "B", "name": "B", "capability": 1}],
        "stances": {"A": {i: {"position": 20, "salience": 1} for i in ("X", "Y")},
                    "B": {i: {"position": 80, "salience": 1} for i in ("X", "Y")}},
        "outcomes": {"X": 60, "Y": 30},
    }
    path = tmp_path / "toy.yaml"
    path.write_text(yaml.safe_dump(scenario), encoding="utf-8")
    shown = runner.invoke(app, ["validate", str(path), "-m", "compromise"])
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.split())
    assert "[" not in text.replace("[95%]", "") and "no interval: one group" in text
    assert "no bootstrap interval" in text
    data = json.loads(runner.invoke(app, ["validate", str(path), "-m", "compromise", "-f",
                                          "json"]).output)
    for entry in [*data["scores"], *data["versus_compromise"]]:
        assert entry.get("mae_low", entry.get("low")) is None, entry


def test_validate_csv_cells_are_the_raw_scores_the_table_rounds(tmp_path: Path) -> None:
    # The CSV carried the table's text: "8.6", "50%", "8.6 n=2", "23.9 [21.3, 26.3] n=253",
    # where the JSON has 8.605015673981196 (docs/json-format.md: the raw value, unrounded).
    import csv
    import io

    base = yaml.safe_load((Path(__file__).resolve().parent.parent / "examples" / "my.yaml")
                          .read_text(encoding="utf-8"))
    files = []
    for name, flow, fund in (("r1", 12.3, 45), ("r2", 14, 30.7)):
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump({**base, "id": name, "outcomes": {
            "FLOW": {"value": flow}, "FUND": {"value": fund}}}), encoding="utf-8")
        files.append(str(path))
    common = [*files, "-m", "compromise", "-m", "median", "-m", "nash", "--bootstrap", "50",
              "-q"]
    scores = json.loads(runner.invoke(app, ["validate", *common, "-f", "json"]).output)
    written = runner.invoke(app, ["validate", *common, "-f", "csv"])
    assert written.exit_code == 0, written.output
    cells = {(r["table"], r["row"], r["column"]): r for r in
             csv.DictReader(io.StringIO(written.output)) if r["row"]}
    shown = runner.invoke(app, ["validate", *common, "-f", "markdown"]).output
    for row, score in enumerate(s for s in scores["scores"] if s["subset"] == "all"):
        assert cells["scores", str(row), "predictor"]["value"] == score["predictor"]
        for key, column in (("mae", "MAE"), ("within10", "≤10 pts")):
            for part, suffix in ((key, ""), (f"{key}_low", " low"), (f"{key}_high", " high")):
                cell = cells["scores", str(row), column + suffix]
                assert float(cell["value"]) == score[part], (row, column + suffix)
                assert cell["unit"] == ("share" if key.startswith("within") else
                                        "points (0-100)")
        # The text still rounds them for the eye, as every number is written (a bound of
        # 6.749999999999998 is 6.75 to a few ulps, written 6.8: render.fixed).
        assert (f"{fixed(score['mae'], 1)} [{fixed(score['mae_low'], 1)}, "
                f"{fixed(score['mae_high'], 1)}]" in shown)
    known = next(s["known"] for s in scores["by_status_quo"] if s["predictor"] == "compromise")
    row = next(r for (t, r, c), cell in cells.items()
               if t == "by-reference" and c == "predictor" and cell["value"] == "compromise")
    assert float(cells["by-reference", row, "status quo known"]["value"]) == known["mae"]
    assert cells["by-reference", row, "status quo known n"]["value"] == str(known["n_issues"])


def _scored_scenario(tmp_path: Path) -> Path:
    """examples/my.yaml with observed outcomes: a scenario file validate scores."""
    path = tmp_path / "scored.yaml"
    path.write_text(Path("examples/my.yaml").read_text(encoding="utf-8")
                    + "outcomes:\n  FLOW: {value: 12}\n  FUND: {value: 45}\n", encoding="utf-8")
    return path


def test_deu_options_on_scenario_files_are_refused_at_the_option(tmp_path: Path) -> None:
    """``--capability gdp|equal`` and ``--weights`` weigh a DEU file's actors: on scenario
    files they used to be ignored (the same MAE for each, exit 0 with a weights file that
    does not exist)."""
    scored = str(_scored_scenario(tmp_path))
    for given, flag in ((["--capability", "gdp"], "--capability"),
                        (["--capability", "equal"], "--capability"),
                        (["--weights", str(tmp_path / "missing.csv")], "--weights")):
        result = runner.invoke(app, ["validate", scored, "-m", "compromise", "--bootstrap",
                                     "0", "-q", *given])
        assert result.exit_code == 2, result.output
        assert result.output.startswith(f"error: {flag}: applies to a DEU III file only"), \
            result.output
        assert "Traceback" not in result.output
    both = runner.invoke(app, ["validate", scored, "--capability", "gdp", "--weights", "w.csv"])
    assert both.exit_code == 2 and "--capability: " in both.output \
        and "--weights: " in both.output
    # The counterfactual spelling of the flag is an edit of the files' actors: it runs.
    edit = runner.invoke(app, ["validate", scored, "-m", "compromise", "--bootstrap", "0",
                               "-q", "--capability", "UP=70"])
    assert edit.exit_code == 0, edit.output


def test_the_refusal_is_the_declarations_on_every_interface(tmp_path: Path) -> None:
    import pytest

    import detente.analyses as analyses
    from detente.errors import OptionError, shown_on

    with shown_on("workbench"), pytest.raises(OptionError) as caught:
        analyses.run("validate", [str(_scored_scenario(tmp_path))], capability="equal")
    [problem] = caught.value.problems
    assert problem.location == "params.capability"
    assert "capability=ACTOR=NUMBER" in problem.fix and "--" not in problem.fix
