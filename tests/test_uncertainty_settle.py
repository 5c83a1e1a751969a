"""Settlement analysis under uncertainty: batched kernel against one-scenario analyses."""

from __future__ import annotations

import json

import numpy as np
import pytest

import detente.settlement as settlement
from detente.errors import OptionError
from detente.scenario import load
from detente.uncertainty import DEFAULT_NOISE, input_space, sample
from detente.uncertainty.engine import draw_rows, take_row
from detente.uncertainty.sensitivity import sensitivity
from detente.variation import Variation

KOREA = load("korea-2017")
COARSE = {"step": 25.0}  # 5 values per issue: a zone search of 5^8 packages per sample


def test_batched_settle_matches_one_scenario_analyses() -> None:
    from detente.uncertainty.settle import settle_kernel

    kernel = settle_kernel(KOREA, COARSE)
    space = input_space(KOREA, DEFAULT_NOISE)
    arrays = space.assemble(draw_rows(space, 5, 0, 6))
    out = kernel(arrays, np.random.default_rng(0))
    assert out["zone"].shape == (6,) and out["acceptable"].shape == (6, len(KOREA.packages))
    for b in range(6):
        one = kernel.problem.replace(arrays=take_row(arrays, b))
        table = settlement.build_table(one)
        assert bool(out["zone"][b]) == bool(settlement.zone_exists(table)[0])
        for p, analysis in enumerate(settlement.analyse_packages(one)):
            assert bool(out["acceptable"][b, p]) == analysis.acceptable
            blockers = {a for k, a in enumerate(KOREA.actor_ids) if out["blocks"][b, p, k]}
            assert blockers == set(analysis.blockers)


def test_settle_sampling_is_reproducible_and_reports_probabilities() -> None:
    first = sample(KOREA, "settle", samples=40, rng=3, options=COARSE, workers=1)
    again = sample(KOREA, "settle", samples=40, rng=3, options=COARSE, chunk_size=7,
                   workers=2)
    for key, value in first.outputs.items():
        np.testing.assert_array_equal(again.outputs[key], value)
    summary = first.settlement
    assert summary is not None and first.forecasts is None and first.summaries() == {}
    assert summary.zone == pytest.approx(first.outputs["zone"].mean())
    p0 = KOREA.packages[0].id
    assert summary.acceptable[p0] == pytest.approx(first.outputs["acceptable"][:, 0].mean())
    assert set(summary.blocks[p0]) == set(KOREA.actor_ids)
    data = first.to_dict()
    assert data["settlement"]["packages"][p0]["acceptable"] == summary.acceptable[p0]


def test_named_packages_alone_and_bad_options() -> None:
    quick = sample(KOREA, "settle", samples=300, rng=1, options={"zone": False}, workers=1)
    assert "zone" not in quick.outputs and quick.settlement.zone is None
    with pytest.raises(OptionError, match="unknown option"):
        sample(KOREA, "settle", samples=10, options={"stepp": 5})
    with pytest.raises(OptionError, match="method"):
        sample(KOREA, "settle", samples=10, options={"method": "guess"})


def test_settle_sensitivity_ranks_what_decides_acceptance() -> None:
    r = sensitivity(KOREA, "settle", samples=128, rng=2, options={"zone": False},
                    group_by="actor", workers=1, bootstrap=0)
    assert r.outputs == tuple(f"acceptable[{p.id}]" for p in KOREA.packages)
    for out in r.outputs:
        ranking = r.ranking(out)
        assert len(ranking) == len(KOREA.actor_ids)
        # An acceptability that never changes over the draws has undefined indices (None).
        assert all(x.total is None or x.total >= 0 for x in ranking)
        if r.constant(out):
            assert any(out in n and "does not vary" in n for n in r.notes)


@pytest.mark.parametrize("options, message", [
    ({"step": float("inf")}, "settle.step: the grid step must be a finite number"),
    ({"step": float("nan")}, "settle.step: the grid step must be a finite number"),
    ({"step": 0}, "settle.step: the grid step must be a finite number"),
    ({"step": "big"}, "settle.step: the grid step must be a finite number"),
    ({"max_packages": 1.5}, "settle.max_packages: max-packages must be a whole number"),
])
def test_bad_numeric_settle_options_are_refused(options, message) -> None:
    with pytest.raises(OptionError, match=message):
        sample(KOREA, "settle", samples=4, options=options, workers=1)


def test_sampled_search_past_the_limit_is_refused_with_its_estimate() -> None:
    # The zone screen decides samples without a search; without RU and CN as guarantors
    # it cannot decide some of these (a fixed seed: other draws may all be screened; RU's
    # and CN's inputs, which the counterfactual removes, are not drawn).
    without = Variation(without=("RU", "CN"))
    checked = sample(KOREA, "settle", samples=8, rng=8, options=COARSE, workers=1,
                     variation=without)
    assert checked.settlement.zone_stages["exact"] > 0
    with pytest.raises(OptionError, match="brute force would evaluate"):
        sample(KOREA, "settle", samples=8, rng=8, options={**COARSE, "method": "brute",
                                                           "max_packages": 1000},
               workers=1, variation=without)


def test_settle_sensitivity_json_and_table_show_an_indicator_that_never_changes() -> None:
    # On korea-2017 most packages are acceptable in every draw: their indices are undefined.
    # They were NaN: the JSON refused them (exit 2) and the table printed "nan ±nan".
    from typer.testing import CliRunner

    from detente.cli import app

    runner = CliRunner()
    js = runner.invoke(app, ["sensitivity", "-m", "settle", "-n", "16", "-g", "actor",
                             "--bootstrap", "20", "-f", "json"])
    assert js.exit_code == 0, js.output
    rows = json.loads(js.stdout)["outputs"]["acceptable[PX]"]["ranking"]
    assert all(row["total"] is None and row["total_ci"] is None for row in rows)
    text = runner.invoke(app, ["sensitivity", "-m", "settle", "-n", "16", "-g", "actor",
                               "--bootstrap", "20"])
    assert text.exit_code == 0 and "nan" not in text.output and "does not vary" in text.output
