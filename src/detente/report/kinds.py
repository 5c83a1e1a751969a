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
from detente.report.counterfactual import WithoutActor, counterfactual_map, without_each_actor
from detente.report.figures import issue_map, model_comparison, stepwise_models, trajectories
from detente.scenario import Scenario, load


@dataclass
class Analysis:
    """One scenario and the analyses of it that figures and the report draw on.

    ``models``: the models to forecast with (default: every registered model).
    ``issues``: restrict per-issue figures to these ids (default: all).
    """

    scenario: Scenario
    models: Sequence[str] | None = None
    seed: int = 0
    issues: Sequence[str] | None = None
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
    def counterfactual_model(self) -> str:
        """The model counterfactuals use: the first stepwise model, else the first one."""
        return (self.stepwise or list(self.forecast.results))[0]

    @cached_property
    def without_actor(self) -> WithoutActor:
        return without_each_actor(self.forecast, self.counterfactual_model)


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
    return trajectories(analysis.forecast, analysis.stepwise[0], analysis.issues)


KINDS: dict[str, PlotKind] = {
    kind.name: kind
    for kind in (
        PlotKind("issue-map", "Issue map: actors, status quo and forecasts on each scale",
                 lambda a: issue_map(a.forecast, a.issues)),
        PlotKind("comparison", "The forecasts of all models side by side",
                 lambda a: model_comparison(a.forecast)),
        PlotKind("trajectories", "Actors' positions per round of a stepwise model",
                 _draw_trajectories, _need_stepwise),
        PlotKind("without-actor", "How each forecast moves when one actor stays away",
                 lambda a: counterfactual_map(a.forecast, a.counterfactual_model)),
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
