"""Council weights are looked up beside the user's DEU file, never beside the package."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from detente.cli import app
from tests.conftest import SHARED_DATA
from tests.test_deu import issue_row, original_text

WEIGHTS = SHARED_DATA / "deu" / "eucouncil_weights.csv"
runner = CliRunner()


def _deu_file(folder: Path) -> Path:
    folder.mkdir()
    rows = [issue_row("d1i1", "d1"), issue_row("d1i2", "d1", out="20"),
            issue_row("d2i1", "d2", proc="CNS", rule="Unan", out="90", rp="100")]
    path = folder / "Dataset_DEU_III.csv"
    path.write_text(original_text(rows), encoding="utf-8")
    return path


def test_weights_beside_the_data_are_found(tmp_path: Path) -> None:
    path = _deu_file(tmp_path / "mine")
    shutil.copy(WEIGHTS, path.parent / "eucouncil_weights.csv")  # test-time copy only
    result = runner.invoke(app, ["validate", "deu", str(path), "--bootstrap", "0",
                                 "-m", "compromise"])
    assert result.exit_code == 0, result.output


def test_without_weights_beside_the_data_the_error_says_where_it_looked(tmp_path: Path) -> None:
    # The repository's ../shared has the weights; a regular install does not. The lookup
    # must not depend on that: a DEU file alone in its folder has no Council weights.
    path = _deu_file(tmp_path / "alone")
    result = runner.invoke(app, ["validate", "deu", str(path), "--bootstrap", "0",
                                 "-m", "compromise"])
    assert result.exit_code == 2, result.output
    assert "eucouncil_weights.csv not found beside the DEU data" in result.output
    assert str(path.parent / "eucouncil_weights.csv") in result.output.replace("\n", "")
    assert "--weights" in result.output and "Traceback" not in result.output
