"""The scenario format: one pydantic model, validated once at the edge, compiled to arrays.

- :mod:`~detente.scenario.schema`: the fields (pydantic models), the one place they are declared;
- :mod:`~detente.scenario.checks`: cross-field checks (ids, ranges, distributions);
- :mod:`~detente.scenario.load`: embedded ids, YAML/JSON/CSV files, mappings, every problem
  located by file, place and line;
- :mod:`~detente.scenario.compile`: the arrays the models read.
"""

from detente.errors import did_you_mean
from detente.scenario.checks import check_semantics, distribution_problem
from detente.scenario.compile import Mechanisms, compile_arrays, compile_mechanisms
from detente.scenario.load import (
    DEFAULT_SCENARIO,
    EMBEDDED_DIR,
    embedded_file,
    embedded_scenarios,
    file_kind,
    file_lines,
    is_embedded_id,
    json_schema,
    load,
    load_embedded,
    parse_text,
    scenario_from_mapping,
)
from detente.scenario.schema import (
    ID_PATTERN,
    MAX_MAGNITUDE,
    MIN_SCALE_SPAN,
    MIN_SCALE_SPAN_SHARE,
    Actor,
    Anchor,
    Institution,
    Issue,
    Measure,
    Number,
    ObservedOutcome,
    Package,
    Roadmap,
    Scale,
    Scenario,
    Stage,
    Stance,
)

__all__ = [
    "DEFAULT_SCENARIO",
    "EMBEDDED_DIR",
    "ID_PATTERN",
    "MAX_MAGNITUDE",
    "MIN_SCALE_SPAN",
    "MIN_SCALE_SPAN_SHARE",
    "Actor",
    "Anchor",
    "Institution",
    "Issue",
    "Measure",
    "Mechanisms",
    "Number",
    "ObservedOutcome",
    "Package",
    "Roadmap",
    "Scale",
    "Scenario",
    "Stage",
    "Stance",
    "check_semantics",
    "compile_arrays",
    "compile_mechanisms",
    "did_you_mean",
    "distribution_problem",
    "embedded_file",
    "embedded_scenarios",
    "file_kind",
    "file_lines",
    "is_embedded_id",
    "json_schema",
    "load",
    "load_embedded",
    "parse_text",
    "scenario_from_mapping",
]
