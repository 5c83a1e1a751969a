"""The figure kinds that `detente plot` draws and the HTML report embeds.

An :class:`Analysis` runs what the figures need once (the forecast of every registered
model, counterfactuals, ...) and caches it; each :class:`PlotKind` draws one figure from
it, or says why it cannot for this scenario.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from matplotlib.figure import Figure

from detente.errors import option_error
from detente.forecast import Forecast, forecast
from detente.models import REGISTRY
from detente.report.accuracy import accuracy
from detente.report.counterfactual import WithoutActor, counterfactual_map, without_each_actor
from detente.report.figures import issue_map, model_comparison, stepwise_models, trajectories
from detente.report.settlement import (
    guarantor_contributions,
    package_gains,
    without_actor_settlement,
)
from detente.report.uncertainty import outcome_distributions, tornado
from detente.scenario import Scenario, load
from detente.settlement import Settlement, Variation, settle
from detente.settlement.contributions import Contributions, contributions
from detente.settlement.problem import DEFAULT_STEP
from detente.uncertainty import SampleResult, sample
from detente.uncertainty.sensitivity import SensitivityResult, sensitivity
from detente.validate import ValidationResult

#: The model the single-model analyses use when none is chosen: the one with the best
#: record on DEU III (docs/accuracy.md), else the first model run.
PREFERRED_PRIMARY = "compromise"


@dataclass
class Analysis:
    """One scenario and the analyses of it that figures and the report draw on.

    ``models``: the models to forecast with (default: every registered model).
    ``primary``: the model of the single-model analyses (counterfactual forecasts,
    uncertainty, sensitivity); default compromise when run, else the first model.
    ``issues``: restrict per-issue figures to these ids (default: all).
    ``settle_step``: grid step (issue units) of the package search; ``contribution_step``
    that of the Shapley values (both the one package-search default, so the report's
    numbers are the terminal's).
    ``samples``: sampled scenarios for the outcome distributions; ``sensitivity_samples``:
    rows N of the Saltelli design. ``validation``: observed outcomes scored for the
    accuracy figure (default: the scenario's own outcomes, when it has any). ``dpi``: the
    resolution of the report's embedded PNGs.
    """

    scenario: Scenario
    models: Sequence[str] | None = None
    seed: int = 0
    issues: Sequence[str] | None = None
    primary: str | None = None
    settle_step: float = DEFAULT_STEP
    contribution_step: float = DEFAULT_STEP
    samples: int = 2000
    sensitivity_samples: int = 256
    validation: ValidationResult | None = None
    dpi: int = 110
    #: Width / height of the box the figures are for (a preset's; None: one column).
    aspect: float | None = None
    _cache: dict[str, object] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, source: Scenario | str | Path | None, **kw: object) -> Analysis:
        return cls(load(source), **kw)  # type: ignore[arg-type]

    @cached_property
    def forecast(self) -> Forecast:
        return forecast(self.scenario, models=list(self.models or REGISTRY), rng=self.seed)

    @property
    def stepwise(self) -> list[str]:
        return stepwise_models(self.forecast)

    @property
    def primary_model(self) -> str:
        names = list(self.forecast.results)
        if self.primary is not None:
            if self.primary not in names:
                raise option_error("--primary", f"'{self.primary}' is not among the models run",
                                   f"models run: {', '.join(names)}")
            return self.primary
        return PREFERRED_PRIMARY if PREFERRED_PRIMARY in names else names[0]

    @property
    def counterfactual_model(self) -> str:
        return self.primary_model

    @cached_property
    def without_actor(self) -> WithoutActor:
        return without_each_actor(self.forecast, self.counterfactual_model)

    @cached_property
    def settlement(self) -> Settlement:
        """The package search with each actor left out in turn, side by side."""
        leave_out = [Variation(without=(a,)) for a in self.scenario.actor_ids]
        return settle(self.scenario, variations=leave_out, step=self.settle_step)

    @cached_property
    def contributions(self) -> Contributions:
        return contributions(self.scenario, step=self.contribution_step, rng=self.seed)

    @cached_property
    def sampled(self) -> SampleResult:
        return sample(self.scenario, model=self.primary_model, samples=self.samples,
                      rng=self.seed, workers=1)

    @cached_property
    def sensitivity(self) -> SensitivityResult:
        return sensitivity(self.scenario, model=self.primary_model,
                           samples=self.sensitivity_samples, rng=self.seed, bootstrap=100,
                           workers=1)

    @cached_property
    def accuracy(self) -> ValidationResult | None:
        if self.validation is not None:
            return self.validation
        if not self.scenario.outcomes:
            return None
        from detente.validate import validate

        return validate([self.scenario], list(self.forecast.results), rng=self.seed)


@dataclass(frozen=True)
class PlotKind:
    name: str
    title: str
    draw: Callable[[Analysis], Figure]
    unavailable: Callable[[Analysis], str | None] = lambda _: None


def _need_stepwise(analysis: Analysis) -> str | None:
    if analysis.stepwise:
        return None
    return ("no model in this run moves round by round; add a stepwise model with -m "
            "(registered: " + ", ".join(n for n, i in REGISTRY.items() if i.stepwise) + ")"
            if any(i.stepwise for i in REGISTRY.values())
            else "no stepwise model (bdm, smp) is registered in this version")


def _draw_trajectories(analysis: Analysis) -> Figure:
    return trajectories(analysis.forecast, analysis.stepwise[0], analysis.issues,
                        aspect=analysis.aspect)


def _need_validation(analysis: Analysis) -> str | None:
    if analysis.accuracy is not None:
        return None
    return ("the scenario carries no observed outcomes; give a DEU III file with --data "
            "(e.g. ../shared/research/data/deu/deu3_blksv.csv)")


def _names(analysis: Analysis) -> dict[str, str]:
    return {a.id: a.name for a in analysis.scenario.actors}


def _tornado(analysis: Analysis) -> Figure:
    issues = list(analysis.issues or [])
    return tornado(analysis.sensitivity, issues[0] if issues else None)


def _accuracy(analysis: Analysis) -> Figure:
    assert analysis.accuracy is not None
    title = ("Predicted against observed outcomes" if analysis.validation is not None
             else f"{analysis.scenario.title}: predicted against observed outcomes")
    return accuracy(analysis.accuracy, title=title)


KINDS: dict[str, PlotKind] = {
    kind.name: kind
    for kind in (
        PlotKind("issue-map", "Issue map: actors, status quo and forecasts on each scale",
                 lambda a: issue_map(a.forecast, a.issues, aspect=a.aspect)),
        PlotKind("comparison", "The forecasts of all models side by side",
                 lambda a: model_comparison(a.forecast)),
        PlotKind("trajectories", "Actors' positions per round of a stepwise model",
                 _draw_trajectories, _need_stepwise),
        PlotKind("without-actor", "How each forecast moves when one actor stays away",
                 lambda a: counterfactual_map(a.forecast, a.counterfactual_model)),
        PlotKind("settlement", "Who gains from each package; blockers marked",
                 lambda a: package_gains(a.settlement)),
        PlotKind("settlement-without", "The best deal with and without each actor",
                 lambda a: without_actor_settlement(a.settlement)),
        PlotKind("contributions", "What each actor adds to the deal as a guarantor",
                 lambda a: guarantor_contributions(a.contributions, _names(a))),
        PlotKind("uncertainty", "Each issue's forecast over sampled scenarios, with intervals",
                 lambda a: outcome_distributions(a.sampled)),
        PlotKind("tornado", "The inputs that move one issue's forecast most",
                 _tornado),
        PlotKind("accuracy", "Predicted against observed outcomes, per model",
                 _accuracy, _need_validation),
    )
}


def draw(kind: str, analysis: Analysis) -> Figure:
    """Draw one figure kind, or raise an OptionError saying why it cannot be drawn."""
    entry = KINDS.get(kind)
    if entry is None:
        raise option_error("KIND", f"unknown figure kind '{kind}'",
                           f"kinds: {', '.join(KINDS)}")
    reason = entry.unavailable(analysis)
    if reason:
        raise option_error("KIND", f"cannot draw '{kind}' for {analysis.scenario.id}: {reason}")
    return entry.draw(analysis)
