"""detente: model, forecast and help design multi-party settlements.

The public API::

    import detente
    s = detente.load("korea-2017")          # or a .yaml/.json/.csv path
    f = detente.forecast(s, models=["compromise", "median", "nash"])
    f.values("compromise")                  # issue id -> forecast in issue units
    r = detente.validate_deu("Dataset_DEU_III.csv")   # every model scored on DEU III
    r.scores()                              # see also detente.validate.validate(scenarios)
"""

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
