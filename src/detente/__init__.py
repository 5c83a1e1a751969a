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

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
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

#: Public name -> the module that defines it.
_LAZY = {
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
    "embedded_scenarios": "detente.scenario",
    "json_schema": "detente.scenario",
    "load": "detente.scenario",
    "Settlement": "detente.settlement",
    "settle": "detente.settlement",
    "sample": "detente.uncertainty",
    "ValidationResult": "detente.validate",
    "validate_deu": "detente.validate",
}

__all__ = [
    "REGISTRY",
    "Arrays",
    "DetenteError",
    "Forecast",
    "OptionError",
    "RoadmapAnalysis",
    "Scenario",
    "ScenarioError",
    "Settlement",
    "ValidationResult",
    "__version__",
    "embedded_scenarios",
    "forecast",
    "get_model",
    "json_schema",
    "load",
    "roadmap",
    "sample",
    "settle",
    "validate_deu",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'detente' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


class _Package(types.ModuleType):
    """``detente.forecast`` is both a submodule and the public function. Importing the
    submodule binds the module to the package's attribute; the eager imports this file
    used to make then rebound the function. Keep the function, as before."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and name in _LAZY:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
