"""The figure kinds that `detente plot` draws and the HTML report embeds.

An :class:`Analysis` runs what the figures need once (the forecast of every registered
model, counterfactuals, ...) and caches it; each :class:`PlotKind` draws one figure from
it, or says why it cannot for this scenario.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from detente.analyses import ANALYSES, AnalysisSpec, Option, Result, run
from detente.analyses.documents import FIGURES
from detente.errors import (
    NobodyMustAgree,
    OptionError,
    Problem,
    given_inside,
    option_error,
    option_place,
    option_text,
    require_known,
)
from detente.forecast import Forecast
from detente.models import REGISTRY
from detente.scenario import Scenario, load
from detente.variation import Variation

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from detente.arrays import Arrays
    from detente.presets import Preset
    from detente.report.counterfactual import WithoutActor
    from detente.roadmaps.api import RoadmapAnalysis
    from detente.settlement import Settlement
    from detente.settlement.api import Outcome
    from detente.settlement.contributions import Contributions
    from detente.settlement.zone import Frontier
    from detente.uncertainty import SampleResult
    from detente.uncertainty.sensitivity import SensitivityResult
    from detente.validate import ValidationResult


def _deferred(module: str, name: str) -> Callable[..., Any]:
    """``module.name``, imported on the first call: every command lists the figure kinds
    (`detente plot --help`), but only drawing one may load matplotlib, and only the
    analyses a figure needs may load scipy."""
    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    return call


accuracy = _deferred("detente.report.accuracy", "accuracy")
counterfactual_map = _deferred("detente.report.counterfactual", "counterfactual_map")
without_each_actor = _deferred("detente.report.counterfactual", "without_each_actor")
issue_map = _deferred("detente.report.figures", "issue_map")
model_comparison = _deferred("detente.report.figures", "model_comparison")
stepwise_models = _deferred("detente.report.figures", "stepwise_models")
trajectories = _deferred("detente.report.figures", "trajectories")
guarantor_contributions = _deferred("detente.report.settlement", "guarantor_contributions")
package_gains = _deferred("detente.report.settlement", "package_gains")
without_actor_settlement = _deferred("detente.report.settlement", "without_actor_settlement")
outcome_distributions = _deferred("detente.report.uncertainty", "outcome_distributions")
tornado = _deferred("detente.report.uncertainty", "tornado")
roadmap_figure = _deferred("detente.report.roadmap_figure", "roadmap_figure")
learning_scan_figure = _deferred("detente.report.roadmap_scan", "learning_scan_figure")
frontier_figure = _deferred("detente.report.zone_figure", "frontier_figure")
issue_zone_figure = _deferred("detente.report.zone_figure", "issue_zone_figure")
frontier = _deferred("detente.settlement.zone", "frontier")

#: The analyses of the registry the report shows. Its settings are their options -- the
#: registry's declarations, defaults and checks -- given per analysis:
#: ``{"settle": {"step": 5}, "sample": {"samples": 5000}}`` (``detente report --set
#: settle.step=5``).
REPORTED = ("forecast", "settle", "contributions", "sample", "sensitivity")
#: The one place the report departs from an analysis's default: it compares every
#: registered model, where `detente forecast` runs the standard set, and leaves out the
#: persuasion plans (they take most of a search's time and no section shows them).
REPORT_DEFAULTS: dict[str, dict[str, Any]] = {"forecast": {"model": tuple(REGISTRY)},
                                              "settle": {"persuade": False}}


def parse_settings(items: Sequence[str] | None) -> dict[str, dict[str, Any]]:
    """``settle.step=5`` → {"settle": {"step": "5"}} (the spec reads and checks the value;
    a repeatable option collects its values)."""
    out: dict[str, dict[str, Any]] = {}
    problems = []
    for item in items or []:
        key, eq, value = item.partition("=")
        analysis, dot, option = key.strip().partition(".")
        if not eq or not dot or not analysis or not option:
            problems.append(Problem("--set", f"'{item}' is not ANALYSIS.OPTION=VALUE",
                                    f"write e.g. {option_text('set', 'settle.step=5')}"))
            continue
        given = out.setdefault(analysis, {})
        if option in given:
            previous = given[option]
            given[option] = [*(previous if isinstance(previous, list) else [previous]), value]
        else:
            given[option] = value
    if problems:
        raise OptionError(problems)
    return out


def as_settings(name: str, options: Iterable[Option]) -> AbstractContextManager[None]:
    """The ``options`` of the report's analysis ``name`` named in the block's refusals as
    the report's settings that give them (``--set settle.step=5%``, workbench
    ``set=settle.step=5%``), not as flags of `detente settle` the user did not run."""
    return given_inside(name, (o.name for o in options), "set", "--set", located_by_flag=True)


def report_settings(given: Mapping[str, Mapping[str, Any]] | None = None, *,
                    models: Sequence[str] | None = None, primary: str | None = None,
                    seed: int | None = None, specs: Mapping[str, AnalysisSpec] = ANALYSES,
                    served: bool = False) -> dict[str, dict[str, Any]]:
    """Every option of every analysis in :data:`REPORTED`, checked by its spec, defaults
    filled in; every problem at once, located as ``--set ANALYSIS.OPTION``.

    Shortcuts: ``models`` (the forecast's), ``primary`` (the model of the sampled
    analyses) and ``seed`` (of every analysis that has one) apply where ``given`` does not
    set the option itself. ``specs``: the analyses by name, where a caller narrows their
    bounds (the workbench its sample counts). ``served``: the settings of a request a server
    runs (:meth:`AnalysisSpec.check`), where an option the server holds
    (:attr:`Option.held`) takes its held value and may be given only that value."""
    given = dict(given or {})
    problems = _held_settings(given, specs) if served else []
    problems += [Problem("--set", f"the report shows no analysis '{name}'",
                         f"analyses of the report: {', '.join(REPORTED)}")
                 for name in given if name not in REPORTED]
    out: dict[str, dict[str, Any]] = {}
    for name in REPORTED:
        spec = specs[name]
        names = {o.name for o in spec.options}
        held = spec.held_values() if served else {}
        shortcut: dict[str, Any] = {"seed": seed, "model": models if name == "forecast"
                                    else primary}
        wanted = {**REPORT_DEFAULTS.get(name, {}),
                  **{k: v for k, v in shortcut.items() if v is not None and k in names},
                  **{k: v for k, v in given.get(name, {}).items() if k not in held}}
        try:
            # Worded as the report takes the setting (--set settle.step=5%, workbench
            # set=settle.step=5%: as_settings) and located as it is written, by the option's
            # declared name ("--set settle.step"; an unknown name too, "settle.stepp").
            with as_settings(name, spec.options):
                out[name] = spec.check(wanted, at=name, served=specs if served else None)
        except OptionError as err:
            problems += [Problem(f"--set {p.location}", p.message, p.fix)
                         for p in err.problems]
    if problems:
        raise OptionError(problems)
    return out


def _held_settings(given: Mapping[str, Mapping[str, Any]], specs: Mapping[str, AnalysisSpec]
                   ) -> list[Problem]:
    """The settings of a served request that reach an option the server holds: refused
    unless they give its held value. A held value of None is never given: the text "None"
    would name a file (``forecast.combination=None``)."""
    problems = []
    for name, options in given.items():
        if name not in REPORTED:  # refused as unknown by report_settings
            continue
        spec = specs[name]
        held = spec.held_values()
        for option, value in options.items():
            values = value if isinstance(value, list) else [value]
            problems += [Problem("--set", f"'{name}.{option}={v}': "
                                 f"{spec.option(option).why_held}", f"leave {option} out")
                         for v in values if option in held and (
                             held[option] is None or str(v).strip() != str(held[option]))]
    return problems


def serve_report_settings(options: dict[str, Any], offered: Mapping[str, AnalysisSpec],
                          at: str) -> dict[str, Any]:
    """The report's own options (checked) as a server runs them
    (:attr:`AnalysisSpec.serve_settings`): its settings read as the report reads them
    (:func:`report_settings`), by the ``offered`` specs and held where the server holds
    them, every problem at the ``set`` field (``params.set``), prefixed with the setting it
    is about; the held values the settings leave out added as settings, so that the report's
    analyses run in the job's one process too (left unset, a sampling analysis took its own
    default, all cores when long enough)."""
    place = f"{at}.set" if at else option_place("set")
    problems: list[Problem] = []
    settings: dict[str, dict[str, Any]] = {}
    try:
        settings = parse_settings(options["set"])
    except OptionError as err:
        problems += err.problems
    try:
        report_settings(settings, **report_shortcuts(options), specs=offered, served=True)
    except OptionError as err:
        problems += err.problems
    if problems:
        raise OptionError([Problem(place, _setting_message(p), p.fix) for p in problems])
    held = [f"{name}.{option}={value}" for name in REPORTED
            for option, value in offered[name].held_values().items()
            if value is not None and option not in settings.get(name, {})]
    return {**options, "set": (*options["set"], *held)}


def _setting_message(problem: Problem) -> str:
    """A problem of the report's settings (located ``--set settle.step``) as a served
    request words it, all at the ``set`` field: prefixed with the setting it is about."""
    setting = problem.location.removeprefix("--set").strip()
    return f"{setting}: {problem.message}" if setting else problem.message


def report_shortcuts(options: Mapping[str, Any]) -> dict[str, Any]:
    """The shortcuts of :func:`report_settings` (``models``, None for the report's own
    choice; ``primary``; ``seed``) as the report's own options (:data:`REPORT_OPTIONS`,
    checked) give them: the report reads its settings with these, and so does a caller
    checking them ahead (the workbench, at submit)."""
    return {"models": list(options["model"]) or None, "primary": options["primary"],
            "seed": options["seed"]}


@dataclass
class Analysis:
    """One scenario and the analyses of it that figures and the report draw on.

    ``settings``: the options of each analysis in :data:`REPORTED` (see
    :func:`report_settings`; :meth:`of` builds them). ``variation``: the counterfactual,
    taken by every analysis as `detente ANALYSIS` takes it (forecast, contributions, sample
    and sensitivity run on the varied scenario; settle and roadmap show it beside the
    baseline). ``issues``: restrict per-issue figures to these ids (default: all).
    ``validation``: observed outcomes scored for the accuracy figure (default: the
    scenario's own outcomes, when it has any). ``dpi``: the resolution of the report's
    embedded PNGs. The results the figures read are cached properties, so a caller may put
    one of its own in their place (a cheaper one, for a figure's layout).
    """

    scenario: Scenario
    settings: dict[str, dict[str, Any]] = field(default_factory=report_settings)
    variation: Variation = field(default_factory=Variation)
    issues: Sequence[str] | None = None
    validation: ValidationResult | None = None
    dpi: int = 110
    #: Width / height of the box the figures are for (a preset's; None: one column).
    aspect: float | None = None

    @classmethod
    def of(cls, source: Scenario | str | Path | None, *,
           settings: Mapping[str, Mapping[str, Any]] | None = None,
           models: Sequence[str] | None = None, primary: str | None = None,
           seed: int | None = None, variation: Variation | None = None,
           **kw: Any) -> Analysis:
        scenario = load(source)
        variation = variation or Variation()
        # Every problem of the counterfactual, and every unknown issue a figure is asked
        # for (every kind, whether it draws one issue or several), before any analysis
        # runs (they take minutes).
        problems = variation.problems(scenario.compile())
        if problems:
            raise OptionError(problems)
        require_known(option_place("issue"), "issue", kw.get("issues") or (), scenario.issue_ids)
        return cls(scenario, report_settings(settings, models=models, primary=primary,
                                             seed=seed), variation, **kw)

    @classmethod
    def from_options(cls, source: Scenario | str | Path | None, options: Mapping[str, Any],
                     deu: str | Path | None = None, **kw: Any) -> Analysis:
        """The analysis as the report's own options ask for it (:data:`REPORT_OPTIONS`,
        checked: `detente report` and `detente plot`, the workbench's figure and report);
        other keys of ``options`` are not the report's and are left alone. ``deu``: a DEU
        III file on which the report's models are scored (with its seed) for the accuracy
        figure; :func:`~detente.validate.validate_deu` reads the Council weights beside it,
        as the shared data folder keeps them."""
        shortcuts = report_shortcuts(options)
        if deu is not None:
            from detente.validate import validate_deu

            seed = shortcuts["seed"]
            kw["validation"] = validate_deu(deu, models=shortcuts["models"],
                                            rng=0 if seed is None else seed)
        return cls.of(source, settings=parse_settings(options["set"]), **shortcuts, **kw)

    #: Each analysis of :data:`REPORTED` as `detente ANALYSIS` runs it with the report's
    #: settings and counterfactual, filled in on first use (:meth:`result`).
    results: dict[str, Result] = field(default_factory=dict, init=False, repr=False,
                                       compare=False)

    def result(self, name: str) -> Result:
        if name not in self.results:
            with as_settings(name, ANALYSES[name].options):
                self.results[name] = run(name, self.scenario, self.variation,
                                         **self.settings[name])
        return self.results[name]

    @property
    def counterfactual(self) -> str:
        """What the report shows: "" for the scenario as written, else the change."""
        return "" if self.variation.is_empty else self.variation.describe()

    @property
    def seed(self) -> int:
        return int(self.settings["forecast"]["seed"])

    @cached_property
    def forecast(self) -> Forecast:
        return self.result("forecast").value  # type: ignore[no-any-return]

    @property
    def stepwise(self) -> list[str]:
        return stepwise_models(self.forecast)

    @property
    def primary_model(self) -> str:
        """The model of the sampled analyses, and of the counterfactual forecasts when the
        forecast ran it (else the first model run)."""
        return str(self.settings["sample"]["model"])

    @property
    def counterfactual_model(self) -> str:
        names = list(self.forecast.results)
        return self.primary_model if self.primary_model in names else names[0]

    @cached_property
    def without_actor(self) -> WithoutActor:
        return without_each_actor(self.forecast, self.counterfactual_model)

    @cached_property
    def arrays_without(self) -> dict[str, Arrays]:
        """The scenario's arrays without each actor whose absence is a scenario: not the
        only actor, nor the only one who cares about an issue (Variation.apply's rule; the
        report names the others)."""
        arrays = self.scenario.compile()
        leavable = {}
        for actor in arrays.actor_ids:
            try:
                leavable[actor] = Variation(without=(actor,)).apply(arrays)
            except OptionError:
                continue
        return leavable

    @property
    def can_leave_out(self) -> tuple[str, ...]:
        """The actors of :attr:`arrays_without`."""
        return tuple(self.arrays_without)

    @cached_property
    def settles_without(self) -> tuple[str, ...]:
        """The actors of :attr:`can_leave_out` without whom somebody must still agree: the
        deal without each of these is searched (without the only veto player there is
        nothing to settle, and settle refuses)."""
        from detente.settlement.utility import somebody_must_agree

        return tuple(actor for actor, arrays in self.arrays_without.items()
                     if somebody_must_agree(arrays))

    @cached_property
    def without_each(self) -> Result:
        """The package search of the scenario as written with each actor left out in turn
        (of :attr:`settles_without`), side by side (`detente settle --without A --without B
        ... --separately`)."""
        everyone = Variation(without=self.settles_without)
        with as_settings("settle", ANALYSES["settle"].options):
            return run("settle", self.scenario, everyone, **{
                **self.settings["settle"], "separately": True, "zones": False,
                "persuade": False})

    @cached_property
    def settlement(self) -> Settlement:
        return self.without_each.value  # type: ignore[no-any-return]

    @cached_property
    def settled(self) -> Settlement:
        """The package search as `detente settle` runs it: the counterfactual beside the
        baseline, each issue's zone."""
        return self.result("settle").value  # type: ignore[no-any-return]

    @cached_property
    def searches(self) -> bool:
        """Whether a package search runs: not where nobody must agree (settle refuses:
        :class:`~detente.errors.NobodyMustAgree`), where the report leaves out every
        section that needs a party and says why."""
        try:
            self.settled  # noqa: B018  (its refusal is the answer)
        except NobodyMustAgree:
            return False
        return True

    @property
    def deal(self) -> Outcome:
        """The outcome the report reads: under the counterfactual when there is one."""
        return self.settled.outcomes[-1]

    @property
    def deal_alone(self) -> Settlement:
        """The settle run with :attr:`deal` as its only outcome, for the figures that draw
        one (who gains from each package)."""
        return dataclasses.replace(self.settled, baseline=self.deal, variants=())

    @property
    def frontier_actors(self) -> tuple[str, str]:
        """The two veto players whose stances lie furthest apart (salience-weighted mean
        distance): the pair whose trade-off the frontier is most worth seeing for."""
        import itertools

        import numpy as np

        problem = self.deal.problem
        arrays = problem.arrays
        must = [k for k in range(arrays.n_actors)
                if arrays.veto[k] and arrays.salience[k].sum() > 0]
        if len(must) < 2:
            raise option_error("KIND", "the frontier needs two veto players with some "
                               "salience", "add a second veto player to the scenario")

        def apart(pair: tuple[int, int]) -> float:
            a, b = pair
            weight = (arrays.salience[a] + arrays.salience[b]) / 2
            return float(np.sum(weight * np.abs(arrays.position[a] - arrays.position[b])))

        a, b = max(itertools.combinations(must, 2), key=apart)
        return arrays.actor_ids[a], arrays.actor_ids[b]

    @cached_property
    def frontier(self) -> Frontier:
        a, b = self.frontier_actors
        settled = self.settled  # the settle settings, as the zone figure uses them
        return frontier(self.deal.problem, a, b, settings=settled.settings,
                        weighting=settled.weighting)

    @cached_property
    def roadmap_run(self) -> Result:
        """The named roadmaps with a trust × learning scan, as `detente roadmap` runs it on
        the settle settings: the trust of the party furthest from staying in the guarantors
        its stages name, each guarantor left out in turn beside the baseline (`--scan
        KP.CN,KP.RU --scan-learning --without CN --without RU --separately`); under a
        counterfactual, the counterfactual beside the baseline instead."""
        from detente.analyses import SETTLEMENT

        shared = self.settle_search
        with as_settings("settle", SETTLEMENT):  # only these are settle's settings here
            plain = run("roadmap", self.scenario, self.variation, **shared)
        if not plain.value.baseline.evaluations:
            return plain
        first = plain.value.baseline.evaluations[0]
        named = sorted({g for st in self.scenario.roadmaps[0].stages
                        for gs in st.guarantors.values() for g in gs})
        worst = min(first.parties, key=lambda a: min(st.margin[a] for st in first.stages))
        pairs = [f"{worst}.{g}" for g in named if g != worst]
        if not pairs:
            return plain
        variation = self.variation if self.counterfactual else Variation(
            without=tuple(g for g in named if g != worst))
        with as_settings("settle", SETTLEMENT):
            return run("roadmap", self.scenario, variation, scan=",".join(pairs),
                       scan_learning=True, separately=not self.counterfactual, **shared)

    @cached_property
    def roadmap(self) -> RoadmapAnalysis:
        return self.roadmap_run.value  # type: ignore[no-any-return]

    @cached_property
    def contributions(self) -> Contributions:
        return self.result("contributions").value  # type: ignore[no-any-return]

    @property
    def settle_search(self) -> dict[str, Any]:
        """settle's search settings (grid step, utility, weighting …: the SETTLEMENT
        options), which the analyses read beside its deals search with too."""
        from detente.analyses import SETTLEMENT

        return {o.name: self.settings["settle"][o.name] for o in SETTLEMENT}

    @cached_property
    def brief_contributions(self) -> Contributions:
        """The guarantors' Shapley values on settle's search, as `detente brief` values them
        beside its deals (its one step for both): the brief section would otherwise give
        the shares of another grid's game than the deals it names. The contributions
        section's own where its search settings are settle's."""
        from detente.analyses import SETTLEMENT

        own = self.settings["contributions"]
        search = self.settle_search
        if all(own[name] == value for name, value in search.items()):
            return self.contributions
        with as_settings("settle", SETTLEMENT):
            return run("contributions", self.scenario, self.variation,  # type: ignore[no-any-return]
                       **{**own, **search}).value

    @cached_property
    def sampled(self) -> SampleResult:
        return self.result("sample").value  # type: ignore[no-any-return]

    @cached_property
    def sensitivity(self) -> SensitivityResult:
        return self.result("sensitivity").value.result  # type: ignore[no-any-return]

    @cached_property
    def accuracy(self) -> ValidationResult | None:
        if self.validation is not None:
            return self.validation
        if not self.scenario.outcomes:
            return None
        from detente.validate import validate

        return validate([self.scenario], list(self.forecast.results), rng=self.seed,
                        variation=None if self.variation.is_empty else self.variation)


@dataclass(frozen=True)
class PlotKind:
    """How to draw one figure kind of :data:`~detente.analyses.documents.FIGURES` (which
    declares the kinds and their titles), and when it cannot be drawn."""

    name: str
    draw: Callable[[Analysis], Figure]
    unavailable: Callable[[Analysis], str | None] = lambda _: None

    @property
    def title(self) -> str:
        return FIGURES[self.name]


def _need_stepwise(analysis: Analysis) -> str | None:
    if analysis.stepwise:
        return None
    return (f"no model in this run moves round by round; add a stepwise model with "
            f"{option_text('model', flag='-m')} (registered: "
            + ", ".join(n for n, i in REGISTRY.items() if i.stepwise) + ")"
            if any(i.stepwise for i in REGISTRY.values())
            else "no stepwise model (bdm, smp) is registered in this version")


def _draw_trajectories(analysis: Analysis) -> Figure:
    return trajectories(analysis.forecast, analysis.stepwise[0], analysis.issues,
                        aspect=analysis.aspect)


def _need_validation(analysis: Analysis) -> str | None:
    if analysis.accuracy is not None:
        return None
    return (f"the scenario carries no observed outcomes; give a DEU III file with "
            f"{option_text('data')} (e.g. ../shared/research/data/deu/deu3_blksv.csv)")


def _names(analysis: Analysis) -> dict[str, str]:
    return {a.id: a.name for a in analysis.scenario.actors}


def _tornado(analysis: Analysis) -> Figure:
    issues = list(analysis.issues or [])
    return tornado(analysis.sensitivity, issues[0] if issues else None)


def _need_two_veto_players(analysis: Analysis) -> str | None:
    try:
        analysis.frontier_actors  # noqa: B018  (its refusal is the reason)
    except OptionError as refused:
        return refused.problems[0].message
    return None


def _need_packages(analysis: Analysis) -> str | None:
    from detente.report.settlement import package_rows

    if package_rows(analysis.deal_alone):
        return None
    return ("no package to show: the search found none every veto player accepts and the "
            "scenario names none")


def _need_roadmap(analysis: Analysis) -> str | None:
    if analysis.scenario.roadmaps:
        return None
    return "the scenario names no roadmaps (add some under `roadmaps:`)"


def _need_scan(analysis: Analysis) -> str | None:
    missing = _need_roadmap(analysis)
    if missing:
        return missing
    if not analysis.roadmap.learning_scans:
        return ("its first roadmap's stages name no guarantors whose trust could be "
                "scanned")
    return None


def _accuracy(analysis: Analysis) -> Figure:
    assert analysis.accuracy is not None
    title = ("Predicted against observed outcomes" if analysis.validation is not None
             else f"{analysis.scenario.title}: predicted against observed outcomes")
    return accuracy(analysis.accuracy, title=title)


KINDS: dict[str, PlotKind] = {
    kind.name: kind
    for kind in (
        PlotKind("issue-map", lambda a: issue_map(a.forecast, a.issues, aspect=a.aspect)),
        PlotKind("comparison", lambda a: model_comparison(a.forecast)),
        PlotKind("trajectories", _draw_trajectories, _need_stepwise),
        PlotKind("without-actor", lambda a: counterfactual_map(a.forecast, a.counterfactual_model)),
        PlotKind("settlement", lambda a: package_gains(a.deal_alone), _need_packages),
        PlotKind("settlement-without", lambda a: without_actor_settlement(a.settlement)),
        PlotKind("issue-zones", lambda a: issue_zone_figure(a.deal, a.scenario)),
        PlotKind("frontier", lambda a: frontier_figure(a.deal, a.frontier),
                 _need_two_veto_players),
        PlotKind("roadmap", lambda a: roadmap_figure(a.roadmap), _need_roadmap),
        PlotKind("roadmap-scan", lambda a: learning_scan_figure(a.roadmap), _need_scan),
        PlotKind("contributions", lambda a: guarantor_contributions(a.contributions, _names(a))),
        PlotKind("uncertainty", lambda a: outcome_distributions(a.sampled)),
        PlotKind("tornado", _tornado),
        PlotKind("accuracy", _accuracy, _need_validation),
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


def figure_file(kind: str, analysis: Analysis, fmt: str, dpi: int,
                preset: Preset | None = None) -> bytes:
    """Figure ``kind`` as a PNG, SVG or PDF file's bytes (`detente plot`, the workbench's
    figures): at ``dpi``, or laid out and sized for ``preset``. The figure is closed after,
    so that a process drawing many does not keep them all."""
    import matplotlib.pyplot as plt

    from detente.report.style import figure_bytes, preset_bytes

    if preset is not None:
        analysis.aspect = preset.aspect
    figure = draw(kind, analysis)
    try:
        if preset is None:
            return figure_bytes(figure, fmt, dpi=dpi)
        return preset_bytes(figure, fmt, preset)
    finally:
        plt.close(figure)
