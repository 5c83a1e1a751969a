"""detente: model, forecast and help design multi-party settlements.

The public API::

    import detente
    s = detente.load("korea-2017")          # or a .yaml/.json/.csv path
    f = detente.forecast(s, models=["compromise", "median", "nash"])
    f.values("compromise")                  # issue id -> forecast in issue units
    r = detente.validate_deu("Dataset_DEU_III.csv")   # every model scored on DEU III
    r.scores()                              # see also detente.validate.validate(scenarios)

Each name is imported on first use (PEP 562 module ``__getattr__``), so ``import detente``
costs next to nothing and a command loads only the parts it runs: `detente forecast` never
loads the settlement search, sampling (scipy.special) or plotting (matplotlib, jinja2).
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from detente.lazy import lazy_exports

if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    from detente.analyses import ANALYSES, AnalysisSpec, Option, Result, read_invocation, run
    from detente.analyses.options import REPORT_OPTIONS
    from detente.analyses.sampling import split_noise
    from detente.analyses.spec import check_finite, check_options
    from detente.arrays import Arrays
    from detente.atomic import check_writable, write_atomic
    from detente.catalog import embedded_index, models_view, scenario_view, scenarios_view
    from detente.errors import (
        NUMERIC_FAILURES,
        DetenteError,
        OptionError,
        Problem,
        ScenarioError,
        describe_failure,
        needs_extra,
        option_error,
        problems_as_json,
        shown_on,
    )
    from detente.forecast import Forecast, forecast
    from detente.models import DEFAULT_MODELS, REGISTRY, get_model
    from detente.presets import PRESETS
    from detente.render import fmt, print_view, to_json, view_cells, view_csv, view_html
    from detente.report.html import render_report
    from detente.report.kinds import KINDS as FIGURE_KINDS
    from detente.report.kinds import (
        REPORTED,
        figure_file,
        parse_settings,
        report_settings,
        report_shortcuts,
    )
    from detente.report.kinds import Analysis as ReportAnalysis
    from detente.report.kinds import draw as draw_figure
    from detente.report.style import figure_bytes, preset_bytes
    from detente.roadmaps import RoadmapAnalysis, roadmap
    from detente.room.api import mount_room
    from detente.safeload import LoadLimits, parse_yaml, structure_problems
    from detente.safeload import walk as walk_document
    from detente.scenario import (
        DEFAULT_SCENARIO,
        Scenario,
        embedded_file,
        embedded_scenarios,
        file_kind,
        json_schema,
        load,
        load_embedded,
        parse_text,
        scenario_from_mapping,
    )
    from detente.serving import (
        LOOPBACK_HOSTS,
        RAISE_TIME_LIMIT,
        RAISE_UPLOAD,
        SERVE_OPTIONS,
        Guards,
        RequestBody,
        ServerLimits,
        host_names,
        install_guards,
        is_loopback,
        problem_response,
    )
    from detente.settlement import Settlement, settle
    from detente.uncertainty import sample
    from detente.uncertainty.engine import dask_executor
    from detente.uncertainty.inputs import FIELDS as NOISE_FIELDS
    from detente.validate import ValidationResult, validate_deu
    from detente.variation import FLAGS as VARIATION_FLAGS
    from detente.variation import (
        Variation,
        parse_variation,
        variation_from_mapping,
        variation_from_options,
    )
    from detente.view import Table, View

__version__ = "0.1.0"

#: Public name -> the module that defines it; each is imported on first use. The command
#: line and the web import only from here (tests/test_public_api.py).
_LAZY: dict[str, str] = {
    "PRESETS": "detente.presets",
    "preset_bytes": "detente.report.style",
    "mount_room": "detente.room.api",
    "Arrays": "detente.arrays",
    "DetenteError": "detente.errors",
    "OptionError": "detente.errors",
    "ScenarioError": "detente.errors",
    "Forecast": "detente.forecast",
    "forecast": "detente.forecast",
    "REGISTRY": "detente.models",
    "get_model": "detente.models",
    "RoadmapAnalysis": "detente.roadmaps",
    "roadmap": "detente.roadmaps",
    "Scenario": "detente.scenario",
    "embedded_file": "detente.scenario",
    "embedded_scenarios": "detente.scenario",
    "file_kind": "detente.scenario",
    "json_schema": "detente.scenario",
    "load": "detente.scenario",
    "load_embedded": "detente.scenario",
    "Settlement": "detente.settlement",
    "settle": "detente.settlement",
    "sample": "detente.uncertainty",
    "ValidationResult": "detente.validate",
    "validate_deu": "detente.validate",
    "ANALYSES": "detente.analyses",
    "AnalysisSpec": "detente.analyses",
    "Option": "detente.analyses",
    "Result": "detente.analyses",
    "run": "detente.analyses",
    "read_invocation": "detente.analyses",
    "check_options": "detente.analyses.spec",
    "check_finite": "detente.analyses.spec",
    "Problem": "detente.errors",
    "option_error": "detente.errors",
    "needs_extra": "detente.errors",
    "problems_as_json": "detente.errors",
    "shown_on": "detente.errors",
    "describe_failure": "detente.errors",
    "NUMERIC_FAILURES": "detente.errors",
    "DEFAULT_SCENARIO": "detente.scenario",
    "scenario_from_mapping": "detente.scenario",
    "parse_text": "detente.scenario",
    "Variation": "detente.variation",
    "parse_variation": "detente.variation",
    "variation_from_mapping": "detente.variation",
    "variation_from_options": "detente.variation",
    "VARIATION_FLAGS": "detente.variation",
    "split_noise": "detente.analyses.sampling",
    "REPORT_OPTIONS": "detente.analyses.options",
    "View": "detente.view",
    "Table": "detente.view",
    "fmt": "detente.render",
    "print_view": "detente.render",
    "view_cells": "detente.render",
    "view_csv": "detente.render",
    "view_html": "detente.render",
    "to_json": "detente.render",
    "write_atomic": "detente.atomic",
    "check_writable": "detente.atomic",
    "DEFAULT_MODELS": "detente.models",
    "NOISE_FIELDS": "detente.uncertainty.inputs",
    "dask_executor": "detente.uncertainty.engine",
    "ReportAnalysis": "detente.report.kinds",
    "FIGURE_KINDS": "detente.report.kinds",
    "draw_figure": "detente.report.kinds",
    "figure_file": "detente.report.kinds",
    "parse_settings": "detente.report.kinds",
    "report_settings": "detente.report.kinds",
    "report_shortcuts": "detente.report.kinds",
    "REPORTED": "detente.report.kinds",
    "figure_bytes": "detente.report.style",
    "render_report": "detente.report.html",
    "LoadLimits": "detente.safeload",
    "models_view": "detente.catalog",
    "embedded_index": "detente.catalog",
    "scenario_view": "detente.catalog",
    "scenarios_view": "detente.catalog",
    "parse_yaml": "detente.safeload",
    "structure_problems": "detente.safeload",
    "walk_document": "detente.safeload",
    "LOOPBACK_HOSTS": "detente.serving",
    "Guards": "detente.serving",
    "RequestBody": "detente.serving",
    "ServerLimits": "detente.serving",
    "SERVE_OPTIONS": "detente.serving",
    "RAISE_UPLOAD": "detente.serving",
    "RAISE_TIME_LIMIT": "detente.serving",
    "install_guards": "detente.serving",
    "host_names": "detente.serving",
    "is_loopback": "detente.serving",
    "problem_response": "detente.serving",
}
#: Where a public name is spelled differently in its module.
_RENAMED = {"VARIATION_FLAGS": "FLAGS", "NOISE_FIELDS": "FIELDS",
            "ReportAnalysis": "Analysis", "FIGURE_KINDS": "KINDS", "draw_figure": "draw",
            "walk_document": "walk"}

__all__ = [
    "ANALYSES",
    "DEFAULT_MODELS",
    "DEFAULT_SCENARIO",
    "FIGURE_KINDS",
    "LOOPBACK_HOSTS",
    "NOISE_FIELDS",
    "NUMERIC_FAILURES",
    "PRESETS",
    "RAISE_TIME_LIMIT",
    "RAISE_UPLOAD",
    "REGISTRY",
    "REPORTED",
    "REPORT_OPTIONS",
    "SERVE_OPTIONS",
    "VARIATION_FLAGS",
    "AnalysisSpec",
    "Arrays",
    "DetenteError",
    "Forecast",
    "Guards",
    "LoadLimits",
    "Option",
    "OptionError",
    "Problem",
    "ReportAnalysis",
    "RequestBody",
    "Result",
    "RoadmapAnalysis",
    "Scenario",
    "ScenarioError",
    "ServerLimits",
    "Settlement",
    "Table",
    "ValidationResult",
    "Variation",
    "View",
    "__version__",
    "check_finite",
    "check_options",
    "check_writable",
    "dask_executor",
    "describe_failure",
    "draw_figure",
    "embedded_file",
    "embedded_index",
    "embedded_scenarios",
    "figure_bytes",
    "figure_file",
    "file_kind",
    "fmt",
    "forecast",
    "get_model",
    "host_names",
    "install_guards",
    "is_loopback",
    "json_schema",
    "load",
    "load_embedded",
    "models_view",
    "mount_room",
    "needs_extra",
    "option_error",
    "parse_settings",
    "parse_text",
    "parse_variation",
    "parse_yaml",
    "preset_bytes",
    "print_view",
    "problem_response",
    "problems_as_json",
    "read_invocation",
    "render_report",
    "report_settings",
    "report_shortcuts",
    "roadmap",
    "run",
    "sample",
    "scenario_from_mapping",
    "scenario_view",
    "scenarios_view",
    "settle",
    "shown_on",
    "split_noise",
    "structure_problems",
    "to_json",
    "validate_deu",
    "variation_from_mapping",
    "variation_from_options",
    "view_cells",
    "view_csv",
    "view_html",
    "walk_document",
    "write_atomic",
]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, _RENAMED)


class _Package(types.ModuleType):
    """``detente.forecast`` is both a submodule and the public function. Importing the
    submodule binds the module to the package's attribute; the eager imports this file
    used to make then rebound the function. Keep the function, as before."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and name in _LAZY:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
