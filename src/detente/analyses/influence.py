"""The influence analysis: how far each actor moves a forecast, and who must move how far
to reach a target (``detente influence``; model: :mod:`detente.influence`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from detente.analyses.forecasting import parse_model_options
from detente.analyses.options import MODEL_OPTION, MODEL_SEED, the_model
from detente.analyses.spec import AnalysisSpec, Option
from detente.models import REGISTRY
from detente.render import UNITS
from detente.scenario import Scenario
from detente.variation import Variation
from detente.view import View, table

if TYPE_CHECKING:
    from detente.analyses import Result


def run_influence(scenario: Scenario | str | Path | None, variation: Variation | None, *,
                  model: str, actor: str | None, issue: str | None, target: float | None,
                  option: Sequence[str], seed: int) -> Any:
    from detente.influence import influence

    return influence(scenario, model, actor=actor, issue=issue, target=target, seed=seed,
                     options=parse_model_options(option).get(model, {}), variation=variation)


def view_influence(run: Result) -> View:
    r = run.value
    issues = list(r.forecast)
    rows = [[a, *[r.influence[a][i] for i in issues]] for a in r.influence]
    notes = ["cells: how far the forecast of the issue moves per unit the actor's position "
             "moves (central difference over 1% of the scale); a weighted-mean model gives "
             "each actor's weight share, a median-like model 0 to all but the pivotal actor."]
    if r.target is not None:
        notes.append(r.target.describe())
    t = table(f"{r.scenario} — influence on the {r.model} forecast", ["actor", *issues], rows,
              formats=["", *[".3f"] * len(issues)], notes=notes, key="influence")
    # The forecast is in issue units, the cells above are shifts per unit: in the cells'
    # ``.3f`` a forecast of 0.0096 on a 0 to 0.02 scale read 0.010 (the forecast table
    # says 0.0096), so it has its own table, written as every issue-unit number is.
    forecast = table("forecast (issue units)", ["model", *issues],
                     [[r.model, *[r.forecast[i] for i in issues]]],
                     formats=["", *[UNITS] * len(issues)], key="influence-forecast",
                     column_spans=[None, *[r.spans[i] for i in issues]])
    return View("", tables=(t, forecast))


INFLUENCE = AnalysisSpec(
    name="influence", title="Influence on a forecast",
    summary="Each actor's influence on a model's forecast (forecast shift per unit shift of "
            "its position), and the position of a chosen actor that moves an issue's "
            "forecast to a target.",
    options=(
        Option("model", str, "compromise", "Registered model whose forecast is examined.",
               choices=tuple(REGISTRY), flags=("--model", "-m")),
        Option("actor", str, None, "The actor whose position would move (with --target)."),
        Option("issue", str, None, "The issue whose forecast should reach --target."),
        Option("target", float, None, "The forecast wanted on --issue (issue units).",
               unit="issue units"),
        # The model's options, as forecast takes them: without them every model ran
        # deterministic, and the seed could change no number (smp.transitions=stochastic).
        MODEL_OPTION, MODEL_SEED,
    ),
    run=run_influence, view=view_influence, formats=("table", "json", "csv"),
    models_run=the_model,
)
