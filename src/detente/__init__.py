"""detente: model, forecast and help design multi-party settlements.

The public API::

    import detente
    s = detente.load("korea-2017")          # or a .yaml/.json/.csv path
    f = detente.forecast(s, models=["compromise", "median", "nash"])
    f.values("compromise")                  # issue id -> forecast in issue units
    r = detente.validate_deu("Dataset_DEU_III.csv")   # every model scored on DEU III
    r.scores()                              # see also detente.validate.validate(scenarios)
"""

from typing import TYPE_CHECKING, Any

from detente.arrays import Arrays
from detente.errors import DetenteError, OptionError, ScenarioError
from detente.forecast import Forecast, forecast
from detente.models import REGISTRY, get_model
from detente.roadmaps import RoadmapAnalysis, roadmap
from detente.scenario import Scenario, embedded_scenarios, json_schema, load
from detente.settlement import Settlement, settle
from detente.uncertainty import sample
from detente.validate import ValidationResult, validate_deu

__version__ = "0.1.0"

#: Public names loaded on first use (``detente.ANALYSES``), so that ``import detente``
#: stays light: name → the module that defines it. The command line and the web import
#: only from here (tests/test_public_api.py).
_LAZY: dict[str, str] = {
    "ANALYSES": "detente.analyses",
    "AnalysisSpec": "detente.analyses",
    "Option": "detente.analyses",
    "Result": "detente.analyses",
    "run": "detente.analyses",
    "Problem": "detente.errors",
    "option_error": "detente.errors",
    "DEFAULT_SCENARIO": "detente.scenario",
    "scenario_from_mapping": "detente.scenario",
    "parse_text": "detente.scenario",
    "Variation": "detente.variation",
    "parse_variation": "detente.variation",
    "variation_from_mapping": "detente.variation",
    "variation_from_options": "detente.variation",
    "VARIATION_OPTIONS": "detente.variation",
    "VARIATION_HELP": "detente.variation",
    "split_noise": "detente.analyses.sampling",
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
    "ReportAnalysis": "detente.report.kinds",
    "FIGURE_KINDS": "detente.report.kinds",
    "draw_figure": "detente.report.kinds",
    "parse_settings": "detente.report.kinds",
    "figure_bytes": "detente.report.style",
    "render_report": "detente.report.html",
    "LoadLimits": "detente.safeload",
    "models_view": "detente.catalog",
    "scenario_view": "detente.catalog",
    "scenarios_view": "detente.catalog",
    "parse_yaml": "detente.safeload",
    "structure_problems": "detente.safeload",
}
#: Where a public name is spelled differently in its module.
_RENAMED = {"VARIATION_OPTIONS": "OPTIONS", "VARIATION_HELP": "HELP", "NOISE_FIELDS": "FIELDS",
            "ReportAnalysis": "Analysis", "FIGURE_KINDS": "KINDS", "draw_figure": "draw"}

if TYPE_CHECKING:
    from detente.analyses import ANALYSES, AnalysisSpec, Option, Result, run
    from detente.analyses.sampling import split_noise
    from detente.atomic import check_writable, write_atomic
    from detente.catalog import models_view, scenario_view, scenarios_view
    from detente.errors import Problem, option_error
    from detente.models import DEFAULT_MODELS
    from detente.render import fmt, print_view, to_json, view_cells, view_csv, view_html
    from detente.report.html import render_report
    from detente.report.kinds import KINDS as FIGURE_KINDS
    from detente.report.kinds import Analysis as ReportAnalysis
    from detente.report.kinds import draw as draw_figure
    from detente.report.kinds import parse_settings
    from detente.report.style import figure_bytes
    from detente.safeload import LoadLimits, parse_yaml, structure_problems
    from detente.scenario import DEFAULT_SCENARIO, parse_text, scenario_from_mapping
    from detente.uncertainty.inputs import FIELDS as NOISE_FIELDS
    from detente.variation import HELP as VARIATION_HELP
    from detente.variation import OPTIONS as VARIATION_OPTIONS
    from detente.variation import (
        Variation,
        parse_variation,
        variation_from_mapping,
        variation_from_options,
    )
    from detente.view import Table, View


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'detente' has no attribute '{name}'")
    import importlib

    value = getattr(importlib.import_module(module), _RENAMED.get(name, name))
    globals()[name] = value  # later lookups skip this function
    return value


__all__ = [
    "ANALYSES",
    "DEFAULT_MODELS",
    "DEFAULT_SCENARIO",
    "FIGURE_KINDS",
    "NOISE_FIELDS",
    "REGISTRY",
    "VARIATION_HELP",
    "VARIATION_OPTIONS",
    "AnalysisSpec",
    "Arrays",
    "DetenteError",
    "Forecast",
    "LoadLimits",
    "Option",
    "OptionError",
    "Problem",
    "ReportAnalysis",
    "Result",
    "RoadmapAnalysis",
    "Scenario",
    "ScenarioError",
    "Settlement",
    "Table",
    "ValidationResult",
    "Variation",
    "View",
    "__version__",
    "check_writable",
    "draw_figure",
    "embedded_scenarios",
    "figure_bytes",
    "fmt",
    "forecast",
    "get_model",
    "json_schema",
    "load",
    "models_view",
    "option_error",
    "parse_settings",
    "parse_text",
    "parse_variation",
    "parse_yaml",
    "print_view",
    "render_report",
    "roadmap",
    "run",
    "sample",
    "scenario_from_mapping",
    "scenario_view",
    "scenarios_view",
    "settle",
    "split_noise",
    "structure_problems",
    "to_json",
    "validate_deu",
    "variation_from_mapping",
    "variation_from_options",
    "view_cells",
    "view_csv",
    "view_html",
    "write_atomic",
]
