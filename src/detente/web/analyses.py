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
    Scenario,
    ServerLimits,
    Variation,
    option_error,
    read_invocation,
    run,
    scenario_from_mapping,
    shown_on,
    to_json,
    view_cells,
)

Progress = Callable[[float, str], None]

#: Options the page gives from its shared controls (the seed, the ticked models) rather
#: than from fields of the analysis's own; model options (``option``, the command line's
#: -O items) it leaves to scripts.
SHARED = ("seed", "model", "option")


# --- what the page may run ---------------------------------------------------------------


def public(entry: AnalysisSpec) -> dict[str, Any]:
    """One entry of ``/api/info``: the spec's options as declared (minus those a server
    holds: ``Option.held``), which of them the shared controls fill, and what the workbench
    holds the others to."""
    options = [o for o in entry.options if o.held is None]
    shared = [o.name for o in options if o.name in SHARED
              and not (o.name == "model" and not o.multiple)]
    return {**entry.public(), "long": entry.long, "options": [o.public() for o in options],
            "shared": shared, "fixed": entry.held_values()}


@shown_on("workbench")
def read_request(entry: AnalysisSpec, request: Mapping[str, Any],
                 offered: Mapping[str, AnalysisSpec] = ANALYSES
                 ) -> tuple[Scenario, Variation, dict[str, Any]]:
    """The request's scenario, counterfactual (``{"without": ["RU"], "position":
    ["CN.NUC=40"]}``, checked against the scenario; problems at ``counterfactual.KIND``) and
    options (``params``, a field left empty taking the default), every problem of the two
    reported together (:func:`detente.read_invocation`). The options are named and spelled
    as the command line has them (``model``, ``option`` as ``-O`` items, ``seed``), checked
    by the spec as a served request (:meth:`AnalysisSpec.check`: what a server holds takes
    its held value, and a request cannot give it; an option the analysis lacks is refused as
    unknown, never dropped); problems at ``params.NAME``. The report's settings are checked
    as the report reads them, by the ``offered`` specs (:func:`available_analyses`: the
    workbench's sample bound), problems at ``params.set``."""
    scenario = scenario_from_mapping(request["scenario"], "<workbench>")
    given = {k: v for k, v in (request.get("params") or {}).items() if v not in (None, "")}
    variation, options = read_invocation(entry, scenario, request.get("counterfactual") or {},
                                         given, at="params", served=offered)
    return scenario, variation, options


def available_analyses(limits: ServerLimits | None = None) -> dict[str, AnalysisSpec]:
    """What a server (or a worker) offers: the registry's analyses whose inputs are not
    files named by path (``AnalysisSpec.inputs_by_path``), held to the server's ``limits``
    (:meth:`ServerLimits.held_to`). A worker leaves the limits out: it runs what the server
    has checked, and the registry's bounds accept whatever the narrower ones did."""
    return {name: spec if limits is None else limits.held_to(spec)
            for name, spec in ANALYSES.items() if not spec.inputs_by_path}


@shown_on("workbench")
def run_analysis(name: str, request: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    """Run one entry of :func:`available_analyses` on a request (scenario, counterfactual,
    params): JSON-ready result."""
    offered = available_analyses()
    entry = offered.get(name)
    if entry is None:
        raise option_error("analysis", f"unknown analysis '{name}'",
                           f"available: {', '.join(offered)}")
    scenario, variation, options = read_request(entry, request, offered)
    progress(0.0, f"running {name}")

    def by_chunk(done: int, total: int) -> None:
        progress(done / total if total else 1.0, f"{done} of {total}")

    # A sampling run reports its chunks, the report its steps: run() hands the step names
    # on only to an analysis that has steps.
    result = run(name, scenario, variation, **options,
                 progress=by_chunk if entry.long else lambda step: progress(0.0, step))
    # What the page gets: the result's data (a figure's PNG, the report's HTML and file
    # name among them), and its view with every cell formatted.
    out = {"data": result.to_dict(), "view": view_cells(result.view())}
    out["view"]["counterfactual"] = "" if variation.is_empty else variation.describe()
    # The command line's JSON writer: a non-finite number is refused by its path, never
    # sent as null or NaN.
    return dict(json.loads(to_json(out)))
