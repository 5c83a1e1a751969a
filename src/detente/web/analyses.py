"""What the workbench runs: the analysis registry (the figure and the report included).

Plumbing only. Options, their defaults, bounds and checks come from each analysis's spec
(:data:`detente.ANALYSES`); the counterfactual is one :class:`detente.Variation` read from
the request by the library's one parser; tables and notes are the result's
:class:`detente.View`, sent with every cell already formatted (:func:`detente.view_cells`)
so the page renders every analysis the same way. Adapters run in a child process (see
:mod:`detente.web.jobs`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from detente import (
    ANALYSES,
    AnalysisSpec,
    Option,
    OptionError,
    Problem,
    Scenario,
    Variation,
    View,
    option_error,
    run,
    scenario_from_mapping,
    to_json,
    variation_from_mapping,
    view_cells,
)

Progress = Callable[[float, str], None]

#: Options the workbench sets itself rather than offering: one process per job, so that
#: the time limit and *Cancel* stop all of a run; no second scenario or combination file
#: read from a path (the workbench reads no file but its own), so ``compare`` compares a
#: counterfactual, the combined forecast uses the shipped weights and the accuracy figure
#: scores the scenario's own outcomes.
FIXED: dict[str, Any] = {"workers": 1, "other": None, "combination": None, "data": None}
#: Analyses that read or write files named by path: not offered.
READS_FILES = ("validate",)
#: Options filled from the page's shared controls (seed, ticked models, model options)
#: when the request's ``params`` do not give them.
SHARED = ("seed", "model", "option")


def page_result(data: dict[str, Any], view: View) -> dict[str, Any]:
    """What the page gets: the result's data (a figure's PNG, the report's HTML and file
    name among them), and its view with every cell formatted."""
    return {"data": data, "view": view_cells(view)}


# --- what the page may run ---------------------------------------------------------------


def offered_options(entry: AnalysisSpec) -> tuple[Option, ...]:
    return tuple(o for o in entry.options if o.name not in FIXED)


def public(entry: AnalysisSpec) -> dict[str, Any]:
    """One entry of ``/api/info``: the spec's options as declared (minus :data:`FIXED`),
    which of them the shared controls fill, and what the workbench fixes."""
    options = offered_options(entry)
    shared = [o.name for o in options if o.name in SHARED
              and not (o.name == "model" and not o.multiple)]
    return {**entry.public(), "long": entry.long, "options": [o.public() for o in options],
            "shared": shared, "fixed": fixed_for(entry)}


def request_options(entry: AnalysisSpec, request: Mapping[str, Any]) -> dict[str, Any]:
    """The request's ``params``, with the shared controls filling seed, models and model
    options where the params leave them out: every option filled and checked by the spec
    (:meth:`AnalysisSpec.check`), less what the workbench fixes (which a request cannot
    give); problems at ``params.NAME``. Nothing a request asks for is dropped: a ``seed``
    for an analysis that draws nothing, ``models`` it cannot run as given and ``options`` of
    a model it does not run (the spec's rule) are refused (at ``seed``, ``models`` and
    ``options.MODEL``), never left out."""
    names = {o.name: o for o in offered_options(entry)}
    params = {k: v for k, v in (request.get("params") or {}).items() if v not in (None, "")}
    given = dict(params)
    seed: int | None = request.get("seed")
    problems = [] if seed is None or "seed" in names else [
        Problem("seed", f"{entry.name} draws nothing at random: a seed would change nothing",
                "leave seed out")]
    if seed is not None and "seed" in names:
        given.setdefault("seed", seed)
    models: list[str] | None = request.get("models")
    refused = [] if models is None else _models_problems(entry, names.get("model"), models)
    problems += refused
    if refused:
        models = None  # refused as a whole: neither filled in nor compared with params.model
    elif models and "model" in names:
        given.setdefault("model", list(models) if names["model"].multiple else models[0])
    by_model: Mapping[str, Mapping[str, Any]] = request.get("options") or {}
    if by_model and "option" not in names:
        problems += [Problem(f"options.{model}", f"{entry.name} takes no model options",
                             _no_model_options_fix(entry)) for model in by_model]
    elif by_model:
        given.setdefault("option", [f"{m}.{k}={_as_typed(v)}" for m, values in
                                    by_model.items() for k, v in values.items()])
    problems += [Problem(f"params.{name}", f"unknown option '{name}' for {entry.name}",
                         f"the workbench sets {name} itself") for name in given if name in FIXED]
    checked: dict[str, Any] = {}
    try:
        checked = entry.check({k: v for k, v in given.items() if k not in FIXED}, at="params",
                              options_at={m: f"options.{m}" for m in by_model})
    except OptionError as err:
        problems += err.problems
    if checked:
        problems += _given_twice(entry, checked, params, seed, models, by_model)
    if problems:
        raise OptionError(problems)
    return {k: v for k, v in checked.items() if k not in FIXED}


def _as_typed(value: Any) -> str:
    """A model option's JSON value as the command line's -O takes it: text as it is (JSON's
    quotes would become part of the value), anything else in JSON's spelling."""
    return value if isinstance(value, str) else json.dumps(value)


def _models_problems(entry: AnalysisSpec, model: Option | None, models: list[str]
                     ) -> list[Problem]:
    """Why the analysis cannot run the request's ``models`` as given (none when it can)."""
    given = ", ".join(models)
    if model is None:
        return [Problem("models", f"{entry.name} runs no model of the request's choosing "
                                  f"(models: {given})", "leave models out")] if models else []
    if not models:
        default = model.default_text() or "every registered model"
        return [Problem("models", "an empty list of models", f"give at least one model, or "
                                  f"leave models out for {entry.name}'s default ({default})")]
    if not model.multiple and len(models) > 1:
        return [Problem("models", f"{entry.name} runs one model; {len(models)} given "
                                  f"({given})", "give one, or params.model")]
    return []


def _no_model_options_fix(entry: AnalysisSpec) -> str:
    if any(o.name == "set" for o in entry.options):  # the report's settings
        return ("leave options out; give them as params.set items, e.g. "
                "forecast.option=nash.utility=linear")
    return f"leave options out: {entry.name} runs each model with that model's defaults"


def _given_twice(entry: AnalysisSpec, checked: Mapping[str, Any], params: Mapping[str, Any],
                 seed: int | None, models: list[str] | None,
                 by_model: Mapping[str, Mapping[str, Any]]) -> list[Problem]:
    """``seed`` beside ``params.seed`` and ``models`` beside ``params.model`` are taken only
    where both say the same (as the spec reads them); ``options`` beside ``params.option``
    is refused (which would win?)."""
    problems = []
    if seed is not None and "seed" in params and checked["seed"] != seed:
        problems.append(Problem("seed", f"seed ({seed}) and params.seed ({checked['seed']}) "
                                "differ", "give the seed once: in seed or in params.seed"))
    if models and "model" in params:
        chosen = checked["model"]
        ran = list(chosen) if isinstance(chosen, tuple) else [chosen]
        if ran != list(models):
            problems.append(Problem("models", f"models ({', '.join(models)}) and params.model "
                                    f"({', '.join(ran)}) differ",
                                    f"give {entry.name}'s model once: in models or in "
                                    "params.model"))
    if by_model and "option" in params:
        problems.append(Problem("options", "model options given twice: in options and in "
                                "params.option", "give them once, in one of the two"))
    return problems


def read_request(entry: AnalysisSpec, request: Mapping[str, Any]
                 ) -> tuple[Scenario, Variation, dict[str, Any]]:
    """The request's scenario, counterfactual (``{"without": ["RU"], "position":
    ["CN.NUC=40"]}``, checked against the scenario; problems at ``counterfactual.KIND``) and
    options (problems at ``params.NAME``), every problem of the two reported together."""
    scenario = scenario_from_mapping(request["scenario"], "<workbench>")
    variation, options = Variation(), {}
    try:
        variation = variation_from_mapping(request.get("counterfactual") or {})
        found = variation.problems(scenario.compile())
    except OptionError as err:
        found = list(err.problems)
    problems = [Problem("counterfactual." + p.location.removeprefix("--")
                        if p.location.startswith("--") else p.location, p.message, p.fix)
                for p in found]
    try:
        options = request_options(entry, request)
    except OptionError as err:
        problems += err.problems
    if problems:
        raise OptionError(problems)
    return scenario, variation, options


def available_analyses(more: Mapping[str, AnalysisSpec] | None = None
                       ) -> dict[str, AnalysisSpec]:
    """What a server (or a worker) offers: the registry's analyses that read no file, and
    ``more`` (tests only: see ``create_app``)."""
    offered = {name: spec for name, spec in ANALYSES.items() if name not in READS_FILES}
    return {**offered, **(more or {})}


def _progress_per_chunk(progress: Progress) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        progress(done / total if total else 1.0, f"{done} of {total}")

    return report


def run_analysis(name: str, request: Mapping[str, Any], progress: Progress,
                 more: Mapping[str, AnalysisSpec] | None = None) -> dict[str, Any]:
    """Run one entry of :func:`available_analyses` on a request (scenario, counterfactual,
    params): JSON-ready result."""
    offered = available_analyses(more)
    entry = offered.get(name)
    if entry is None:
        raise option_error("analysis", f"unknown analysis '{name}'",
                           f"available: {', '.join(offered)}")
    scenario, variation, options = read_request(entry, request)
    if name not in ANALYSES:  # a test's entry (``more``)
        out = entry.run(scenario, variation, progress=progress, **options)
    else:
        progress(0.0, f"running {name}")
        engine = {"progress": _progress_per_chunk(progress)} if entry.long else \
            {"progress": lambda step: progress(0.0, step)} if entry.steps else {}
        result = run(name, scenario, variation, **options, **fixed_for(entry), **engine)
        out = page_result(result.to_dict(), result.view())
    out["view"]["counterfactual"] = "" if variation.is_empty else variation.describe()
    # The command line's JSON writer: a non-finite number is refused by its path, never
    # sent as null or NaN.
    return dict(json.loads(to_json(out)))


def fixed_for(spec: AnalysisSpec) -> dict[str, Any]:
    """The :data:`FIXED` values of the options this analysis has."""
    return {k: v for k, v in FIXED.items() if k in {o.name for o in spec.options}}
