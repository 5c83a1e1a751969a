"""`detente schema` describes the files a scenario is written as, not the models it is read
into: an editor validating a shipped scenario against it finds nothing wrong, and finds a
file the loader refuses wrong too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml
from typer.testing import CliRunner

from detente.cli import main  # noqa: F401  (registers every command module)
from detente.cli.common import app
from detente.errors import ScenarioError
from detente.scenario import scenario_from_mapping
from detente.scenario.load import embedded_scenarios

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
#: Every scenario file shipped: the embedded ones and the examples (a CSV is a table, not a
#: scenario file, and has no schema).
SCENARIO_FILES = sorted([*embedded_scenarios().values(), *(
    path for path in EXAMPLES.iterdir() if path.suffix in (".yaml", ".yml", ".json"))])


def as_an_editor_reads(path: Path) -> Any:
    """The file as a JSON Schema validator sees it: YAML's number keys (anchors) and dates
    (``as_of``) are text in JSON, as editors that validate YAML read them."""
    return json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))


@pytest.fixture(scope="module")
def printed_schema(tmp_path_factory: pytest.TempPathFactory) -> jsonschema_rs.Validator:
    out = tmp_path_factory.mktemp("schema") / "scenario.schema.json"
    result = CliRunner().invoke(app, ["schema", "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return jsonschema_rs.validator_for(json.loads(out.read_text(encoding="utf-8")))


def test_every_shipped_scenario_is_found_valid(printed_schema: jsonschema_rs.Validator) -> None:
    assert len(SCENARIO_FILES) >= 3
    found = {path.name: [f"{'/'.join(map(str, e.instance_path))}: {e.message}"
                         for e in printed_schema.iter_errors(as_an_editor_reads(path))][:3]
             for path in SCENARIO_FILES}
    assert found == {path.name: [] for path in SCENARIO_FILES}


@pytest.mark.parametrize(("change", "refused_at"), [
    (lambda raw: raw["actors"][0].update(capability="lots"), "actors"),
    (lambda raw: raw.update(colour="blue"), ""),
    (lambda raw: raw["issues"][0].update(anchors=[{"value": 0}]), "issues"),
    (lambda raw: raw["issues"][0].update(status_quo={"value": 5, "colour": "blue"}), "issues"),
    (lambda raw: raw["issues"][0].update(guarantors=[]), "issues"),
], ids=["capability text", "unknown key", "anchor without label", "measure with unknown key",
        "no guarantors"])
def test_a_file_the_loader_refuses_is_found_invalid(
        printed_schema: jsonschema_rs.Validator, change: Any, refused_at: str) -> None:
    raw = as_an_editor_reads(EXAMPLES / "my.yaml")
    change(raw)
    with pytest.raises(ScenarioError):
        scenario_from_mapping(raw)
    errors = list(printed_schema.iter_errors(raw))
    assert errors
    assert all(list(map(str, e.instance_path))[:1] == ([refused_at] if refused_at else [])
               for e in errors), [e.message for e in errors]
