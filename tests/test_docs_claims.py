"""What the reference docs claim of every model holds for the registered models."""

from __future__ import annotations

import re
from pathlib import Path

import detente
from detente.models import REGISTRY
from tests.test_conformance import KNOWN_EXCEPTIONS

DOCS = Path(__file__).parents[1] / "docs"


def test_the_models_summary_names_each_model_excepted_from_an_invariance() -> None:
    # It claimed invariance to actor order for every model, though smp is excepted.
    summary = (DOCS / "models.md").read_text(encoding="utf-8").split("Notation:")[0]
    for model, invariants in KNOWN_EXCEPTIONS.items():
        assert f"`{model}`" in summary, (model, invariants)
    assert "`smp` is not invariant to actor order" in " ".join(summary.split())


def test_the_json_format_says_which_models_have_a_forecast_path() -> None:
    # It promised a forecast_path "for stepwise models such as bdm"; smp, stepwise, has none.
    text = (DOCS / "json-format.md").read_text(encoding="utf-8")
    bullet = " ".join(re.search(r"^- `forecast_path`(.*?)^- ", text, re.M | re.S)
                      .group(1).split())  # type: ignore[union-attr]
    models = detente.forecast("korea-2017", models=sorted(REGISTRY)).to_dict()["models"]
    with_path = {m["name"] for m in models if "forecast_path" in m}
    stepwise_without = {m["name"] for m in models if "trajectory" in m} - with_path
    assert with_path and stepwise_without
    assert all(f"only for `{m}`" in bullet for m in with_path), bullet
    assert all(f"`{m}`, though stepwise, has none" in bullet for m in stepwise_without), bullet
