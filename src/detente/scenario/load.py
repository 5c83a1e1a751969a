"""Reading scenarios: embedded ids, YAML/JSON/CSV files and mappings, validated once.

Validation is done here and only here: past :func:`detente.scenario.compile_arrays` everything
is plain numpy arrays that the models trust. The CSV switch lives here too: the table
readers (:mod:`detente.scenario.tables`) return mappings that this module validates.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import functools
import re
from collections.abc import Callable
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from detente.errors import (
    Problem,
    ScenarioError,
    as_written,
    did_you_mean,
    scenario_error,
    shorten,
)
from detente.safeload import (
    LineMap,
    LoadLimits,
    parse_json,
    parse_yaml,
    read_text,
    structure_problems,
)
from detente.scenario.checks import check_semantics
from detente.scenario.schema import ID_LISTS, LONGEST_ID, MAX_MAGNITUDE, Scenario
from detente.scenario.tables import read_table

EMBEDDED_DIR = Path(__file__).parent.parent / "data" / "scenarios"
DEFAULT_SCENARIO = "korea-2017"


def embedded_scenarios() -> dict[str, Path]:
    """Embedded scenario id -> its file, sorted by id."""
    return {p.stem: p for p in sorted(EMBEDDED_DIR.glob("*.yaml"))}


def embedded_file(scenario_id: str) -> Path:
    """The file of the embedded scenario ``scenario_id``; an unknown id refused, with the
    ids there are (a server checks the id it starts with here, before reading anything)."""
    embedded = embedded_scenarios()
    if scenario_id not in embedded:
        raise ScenarioError([Problem("", f"no embedded scenario '{scenario_id}'",
                                     f"one of: {', '.join(embedded)}")], scenario_id)
    return embedded[scenario_id]


def is_embedded_id(source: object) -> bool:
    """Whether :func:`load` reads ``source`` as an embedded scenario's id: text naming one,
    where no file of that name exists (a file the user has comes first)."""
    return (isinstance(source, str) and source in embedded_scenarios()
            and not Path(source).exists())


def load_embedded(scenario_id: str) -> Scenario:
    """The embedded scenario ``scenario_id``, never a file: what a server loads for an id a
    request (or its own start) names. It reads no file a request names, and a file of that
    name in its working folder is not the scenario (:func:`load` would read it)."""
    return parse_text(*_embedded_text(scenario_id))


def _embedded_text(scenario_id: str) -> tuple[str, str, str]:
    """An embedded scenario's text, kind and the name its refusals give it."""
    return (embedded_file(scenario_id).read_text(encoding="utf-8"), ".yaml",
            f"<embedded {scenario_id}>")


def _location_parts(location: str) -> tuple[str, ...]:
    return tuple(p for p in re.split(r"[.\[\]]+", location) if p)


def line_for(location: str, raw: Any, line_map: dict[tuple[str, ...], int]) -> int | None:
    """Find the line of a location such as ``actors.KP.capability`` or ``actors[3].name``
    in a parsed document ``raw`` (any document, e.g. a room party's submission) from the
    line map :func:`detente.safeload.parse_yaml` returns."""
    if not line_map:
        return None
    parts = list(_location_parts(location))
    # Locations name list items by id (actors.KP); the file indexes them (actors.3).
    path: list[str] = []
    node = raw
    for part in parts:
        if isinstance(node, list):
            index = next((k for k, item in enumerate(node)
                          if isinstance(item, dict) and str(item.get("id")) == part), None)
            if index is None and part.isdigit():
                index = int(part)
            if index is None or index >= len(node):
                break
            path.append(str(index))
            node = node[index]
        elif isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        else:
            break
    return _deepest_line(tuple(path), line_map)


_PYDANTIC_FIXES = {
    "missing": "add this field",
    "extra_forbidden": "remove it or check its spelling",
    "float_parsing": "write a plain number",
    "float_type": "write a plain number",
    "string_type": "write text (put it in quotes if it looks like a number)",
    "string_pattern_mismatch": "ids start with a letter and use letters, digits, '-' or '_'",
    "too_short": "add at least one entry",
    "no_guarantors": "leave guarantors out to take the issue's moves at face value, or name "
                     "who delivers them (docs/settle.md)",
    "date_from_datetime_parsing": "write the date as YYYY-MM-DD",
    "date_parsing": "write the date as YYYY-MM-DD",
    "dict_type": "write a mapping (key: value lines)",
    "list_type": "write a list (lines starting with '- ')",
    "literal_error": "use one of the allowed values",
    "value_error": "write a number, or a mapping such as {value: 40, note: '...'}",
    "model_type": "write a mapping (key: value lines)",
    "bool_type": "write true or false",
    "int_type": "write a whole number",
    "string_too_long": f"shorten it (ids have at most {LONGEST_ID} characters)",
    "finite_number": "write a finite number (.nan, .inf and numbers beyond 1e308 are not "
                     "numbers a model can use)",
    "greater_than": "write a number above the bound",
    "too_large": f"write a number from -{MAX_MAGNITUDE:g} to {MAX_MAGNITUDE:g} (change the "
                 "units of the scale if need be, e.g. billions instead of units)",
}
_GENERIC_FIX = "see `detente schema` for the expected format"


def _pydantic_location(raw: Any, loc: tuple[Any, ...],
                       line_map: dict[tuple[str, ...], int] | None = None
                       ) -> tuple[str, tuple[str, ...]]:
    """The location of a schema error at ``loc``, and its path in the file (line_map's).

    A key YAML read as no text (``NO:`` is false) is named as written, from ``line_map``:
    ``stances.NO``, not ``stances[0].[key]``; the key itself is what is wrong."""
    written_keys = line_map.written_keys if isinstance(line_map, LineMap) else {}
    out = ""
    path: list[str] = []
    node = raw
    for part in loc:
        if part == "[key]":
            continue
        if isinstance(part, int) and not isinstance(node, dict):
            item = node[part] if isinstance(node, list) and part < len(node) else None
            ident = item.get("id") if isinstance(item, dict) else None
            # An over-long id is itself the error: name the item by its index instead.
            named = isinstance(ident, str) and len(ident) <= LONGEST_ID
            out += f".{ident}" if named else f"[{part}]"
            path.append(str(part))
            node = item
        else:
            if part in ("function-before[_coerce_measure(), Measure]",):
                continue
            if isinstance(node, dict) and part not in node:
                # The schema names a key that is no text by its str (None as 'None').
                part = next((k for k in node if str(k) == str(part)), part)
            key = part if isinstance(part, str) else written_keys.get((tuple(path), part),
                                                                      str(part))
            out += f".{key}" if out else key
            path.append(key)
            node = node.get(part) if isinstance(node, dict) else None
    return out.lstrip("."), tuple(path)


def _not_text(written: str, read: Any) -> str:
    """Why ``written``, where text was due, is not text: YAML read it as ``read``."""
    if isinstance(read, bool):
        return (f"{written} is read as {str(read).lower()}, not as text: YAML reads an "
                "unquoted yes, no, on, off, true or false as true or false")
    if read is None:
        return (f"{written} is read as null (no value), not as text: YAML reads an unquoted "
                "~ or null as no value")
    return f"{written} is read as the number {read}, not as text"


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model whose fields a location's last key is one of (None if unknown).

    Walks the field annotations from :class:`Scenario` along the location: a model's field,
    a list's item, a mapping's value; ``Annotated`` and unions are looked through.
    """
    annotation: Any = Scenario
    for part in loc[:-1]:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return None
            annotation = field.annotation
        elif get_origin(annotation) in (list, dict):
            annotation = get_args(annotation)[-1]
        else:
            return None
    annotation = _unwrap(annotation)
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) \
        else None


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, UnionType):
            models = [a for a in get_args(annotation) if a is not type(None)]
            annotation = models[0] if len(models) == 1 else annotation
            if len(models) != 1:
                return annotation
        else:
            return annotation


def _field_fix(loc: tuple[Any, ...]) -> str:
    """'did you mean' for a misspelt field name, then the fields that may stand there."""
    model = _model_at(loc)
    if model is None:
        return _PYDANTIC_FIXES["extra_forbidden"]
    return "remove it, or " + did_you_mean(str(loc[-1]), model.model_fields).replace(
        "known ids", "known fields")


def _problems_from_validation(err: ValidationError, raw: Any,
                              line_map: dict[tuple[str, ...], int] | None = None
                              ) -> list[Problem]:
    written_values = line_map.written_values if isinstance(line_map, LineMap) else {}
    problems = []
    unknown: dict[tuple[Any, ...], list[str]] = {}
    for e in err.errors():
        if e["type"] == "extra_forbidden":
            unknown.setdefault(tuple(e["loc"][:-1]), []).append(str(e["loc"][-1]))
    for e in err.errors():
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and "[" in p and "(" in p))
        location, path = _pydantic_location(raw, loc, line_map)
        line = _deepest_line(path, line_map or {})
        number = e["input"] if isinstance(e["input"], int | float) \
            and not isinstance(e["input"], bool) else None
        # A key is named as written where the file is YAML (a mapping given in code, with
        # a key False, was written by nobody).
        key = path[-1] if isinstance(line_map, LineMap) else None
        written = (key if loc[-1:] == ("[key]",) else written_values.get(path) or (
            None if number is None else as_written(number))) \
            if e["type"] == "string_type" and path else None
        if written:  # "" is nothing written (``id:``): the schema's own words say that
            problems.append(Problem(location, _not_text(written, e["input"]),
                                    f'quote it: "{written}"', line))
            continue
        near = difflib.get_close_matches(str(e["loc"][-1]), unknown.get(tuple(e["loc"][:-1]), []),
                                         n=1, cutoff=0.6) if e["type"] == "missing" else []
        if near:
            problems.append(Problem(location, e["msg"], f"rename '{near[0]}' to '{loc[-1]}'",
                                    line))
            continue
        if e["type"] == "extra_forbidden":
            problems.append(Problem(location, f"unknown field '{loc[-1]}'", _field_fix(loc),
                                    line))
            continue
        problems.append(Problem(location, e["msg"].replace("Value error, ", ""),
                                _PYDANTIC_FIXES.get(e["type"], _GENERIC_FIX), line))
    return problems


def _deepest_line(path: tuple[str, ...], line_map: dict[tuple[str, ...], int]) -> int | None:
    """The line of ``path`` in the file, or of the deepest part of it the file has."""
    while path and path not in line_map:
        path = path[:-1]
    return line_map.get(path)


def _without_unknown_fields(raw: Any, err: ValidationError) -> Any | None:
    """A copy of ``raw`` with its misspelt fields renamed and its unknown fields dropped, or
    None if the schema found anything else wrong.

    A misspelt field is the commonest mistake, and it hides every cross-field problem
    behind it; repairing it lets :func:`check_semantics` report those in the same pass.
    A required field counts as misspelt when an unknown sibling is its close match
    (``salince`` for ``salience``). Any other schema error leaves the structure too
    uncertain to check further.
    """
    errors = err.errors()
    unknown: dict[tuple[Any, ...], list[str]] = {}
    for e in errors:
        if e["type"] == "extra_forbidden":
            unknown.setdefault(tuple(e["loc"][:-1]), []).append(str(e["loc"][-1]))
    renames: list[tuple[tuple[Any, ...], str, str]] = []
    for e in errors:
        if e["type"] == "missing":
            parent, name = tuple(e["loc"][:-1]), str(e["loc"][-1])
            near = difflib.get_close_matches(name, unknown.get(parent, []), n=1, cutoff=0.6)
            if not near:
                return None
            renames.append((parent, near[0], name))
            unknown[parent].remove(near[0])
        elif e["type"] != "extra_forbidden":
            return None
    cleaned = copy.deepcopy(raw)

    def node_at(path: tuple[Any, ...]) -> Any:
        node = cleaned
        for part in path:
            node = node[part]
        return node

    for parent, wrong, right in renames:
        node = node_at(parent)
        node[right] = node.pop(wrong)
    for parent, names in unknown.items():
        for name in names:
            node_at(parent).pop(name, None)
    return cleaned


def scenario_from_mapping(raw: Any, source: str | None = None,
                          line_map: dict[tuple[str, ...], int] | None = None,
                          limits: LoadLimits | None = None) -> Scenario:
    """Validate a parsed mapping into a Scenario, or raise a ScenarioError listing every problem.

    A mapping built in Python gets the same depth and size guard as a file
    (:mod:`detente.safeload`), so no input reaches pydantic's recursive validation unbounded.
    """
    line_map = line_map or {}
    limits = limits or LoadLimits.from_env()
    guard = [p for p in structure_problems(raw, limits.max_depth, limits.max_values)
             if "finite" not in p.message]  # pydantic names non-finite numbers by id
    if guard:
        raise ScenarioError(guard, source)
    if raw is None:
        raise scenario_error("", "the file is empty", "write a scenario (see `detente schema`)",
                             source)
    if not isinstance(raw, dict):
        raise scenario_error("", f"expected a mapping at the top, got {type(raw).__name__}",
                             "a scenario starts with keys such as id:, title:, issues:", source)
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as err:
        problems = _problems_from_validation(err, raw, line_map)
        cleaned = _without_unknown_fields(raw, err)
        if cleaned is not None:
            # A repaired value can still fail (a renamed field of the wrong type): then the
            # schema's own problems are all we can say.
            with contextlib.suppress(ValidationError):
                problems += check_semantics(Scenario.model_validate(cleaned))
    else:
        problems = check_semantics(scenario)
    if problems:
        located = [p if p.line is not None else
                   Problem(p.location, p.message, p.fix, line_for(p.location, raw, line_map))
                   for p in problems]
        raise ScenarioError(located, source)
    return scenario


def parse_text(text: str, suffix: str, source: str,
               limits: LoadLimits | None = None) -> Scenario:
    """Parse scenario text of a given kind ('.yaml', '.json', '.csv') under the loader limits."""
    limits = limits or LoadLimits.from_env()
    if suffix == ".csv":
        table = read_table(text, source, limits=limits)
        with table.cells_named():
            return scenario_from_mapping(table.mapping, source, limits=limits)
    if not text.strip():
        raise scenario_error("", "the file is empty", "write a scenario (see `detente schema`)",
                             source)
    if suffix == ".json":
        return scenario_from_mapping(parse_json(text, source, limits), source, limits=limits)
    raw, line_map = parse_yaml(text, source, limits)
    return scenario_from_mapping(raw, source, line_map, limits)


def load(source: str | Path | Scenario | None = None,
         limits: LoadLimits | None = None) -> Scenario:
    """Load a scenario from a file path, an embedded scenario id, or pass one through.

    ``None`` loads the default embedded scenario (``korea-2017``). Files ending in
    ``.yaml``/``.yml``/``.json`` are scenario files; ``.csv`` files are read as a KTAB
    multi-dimensional table or a one-issue BDM table (see :mod:`detente.scenario.tables`).
    ``limits`` bound the file's size, nesting and YAML aliases (default: the
    :class:`~detente.safeload.LoadLimits` defaults, lifted by their environment variables).
    """
    if isinstance(source, Scenario):
        return source
    return parse_text(*_source_text(source, limits), limits)


def _source_text(source: str | Path | None, limits: LoadLimits | None
                 ) -> tuple[str, str, str]:
    """The text of the file or embedded scenario ``source`` names (:func:`load`), its kind
    (:func:`file_kind`) and the name its refusals give it."""
    if source is None:
        source = DEFAULT_SCENARIO
    if is_embedded_id(source):
        return _embedded_text(str(source))
    path = Path(source)
    if not path.exists():
        names = ", ".join(embedded_scenarios())
        raise scenario_error("", f"no such file or embedded scenario: '{shorten(str(source))}'",
                             f"give a path to a .yaml/.json/.csv file, or one of: {names}",
                             str(source))
    if path.is_dir():
        raise scenario_error("", "this is a folder, not a scenario file",
                             "give the path of a .yaml, .json or .csv file", str(path))
    return read_text(path, limits or LoadLimits.from_env()), file_kind(path), str(path)


def file_lines(source: str | Path | Scenario | None,
               limits: LoadLimits | None = None) -> Callable[[str], int | None]:
    """The line of a location (``stances.KP.NUC.salience``) in the file ``source`` names,
    for a refusal met after :func:`load`, which keeps no line map: the file is read again
    at the first call, so a run that is refused nothing holds no map. None for every
    location of a Scenario given as an object, and of a JSON or CSV file (the loader's own
    refusals have no line there either), or of a file no longer readable as it was."""
    if isinstance(source, Scenario):
        return lambda location: None

    @functools.cache
    def parsed() -> tuple[Any, LineMap] | None:
        try:
            text, kind, name = _source_text(source, limits)
            return parse_yaml(text, name, limits) if kind == ".yaml" else None
        except ScenarioError:
            return None

    def line(location: str) -> int | None:
        found = parsed()
        return None if found is None else line_for(location, *found)

    return line


def file_kind(name: str | Path) -> str:
    """The reader a file name picks (the command line's and the workbench's upload):
    ``.yaml`` (also ``.yml``), ``.json`` or ``.csv``; any other is refused, named."""
    suffix = Path(name).suffix.lower()
    suffix = ".yaml" if suffix == ".yml" else suffix
    if suffix not in (".yaml", ".json", ".csv"):
        raise scenario_error("", f"unknown file type '{Path(name).suffix}'",
                             "use .yaml, .yml, .json or .csv", str(name))
    return suffix


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file as written (plain numbers, anchors as a mapping),
    for editors and the web workbench."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "detente scenario"
    schema["x-id-lists"] = {kind: list(lists) for kind, lists in ID_LISTS.items()}
    return schema


