"""The loader's guard (issue 13, items 3, 4, 7): non-finite and huge numbers, YAML bombs,
deep nesting, file size, duplicate keys, encodings and over-long strings in messages.

Each input here was accepted, crashed with a traceback or ran out of memory before the
guard; each must now be refused with a located message.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from detente import safeload
from detente.errors import Problem, ScenarioError, shorten
from detente.safeload import LoadLimits, parse_json, parse_yaml
from detente.scenario import MAX_MAGNITUDE, load, scenario_from_mapping

MINIMAL_YAML = """\
id: mini
title: Minimal
trust_default: TRUST
issues:
  - id: X
    name: Issue X
    scale: {low: LOW, high: HIGH}
    status_quo: SQ
    options: [OPT]
actors:
  - id: A
    name: Alpha
    capability: CAP
  - id: B
    name: Beta
    capability: 5
stances:
  A: {X: {position: POS, salience: SAL}}
  B: {X: {position: 80, salience: 1.0}}
trust:
  A: {B: TRUSTAB}
outcomes:
  X: OUT
"""
DEFAULTS = {"TRUST": "1", "LOW": "0", "HIGH": "100", "SQ": "50", "OPT": "40", "CAP": "10",
            "POS": "20", "SAL": "0.5", "TRUSTAB": "0.5", "OUT": "60"}


def scenario_text(**values: str) -> str:
    text = MINIMAL_YAML
    for key, default in sorted(DEFAULTS.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(key, values.get(key, default))
    return text


def refused(tmp_path: Path, text: str | bytes, name: str = "s.yaml",
            limits: LoadLimits | None = None) -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load(path, limits=limits)
    message = str(info.value)
    assert str(path) in message and "fix:" in message
    return message


def test_the_minimal_text_loads(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(scenario_text(), encoding="utf-8")
    s = load(path)
    assert s.actors[0].capability.value == 10 and s.outcomes["X"].value == 60


# --- item 3: one finiteness rule for every number ---------------------------------------

NON_FINITE = [".nan", ".inf", "-.inf", "1e400", "'nan'", "'inf'"]
FIELDS = {  # the place each placeholder names in the error
    "CAP": "actors.A.capability", "POS": "stances.A.X.position",
    "SAL": "stances.A.X.salience", "SQ": "issues.X.status_quo", "HIGH": "issues.X.scale.high",
    "LOW": "issues.X.scale.low", "OPT": "issues.X.options", "TRUSTAB": "trust.A.B",
    "TRUST": "trust_default", "OUT": "outcomes.X",
}


@pytest.mark.parametrize("field", sorted(FIELDS))
@pytest.mark.parametrize("bad", NON_FINITE)
def test_non_finite_numbers_are_refused_everywhere(tmp_path: Path, field: str, bad: str) -> None:
    message = refused(tmp_path, scenario_text(**{field: bad}))
    assert FIELDS[field] in message
    assert "finite" in message or "valid number" in message


@pytest.mark.parametrize("spec", ["{value: 5, sd: .inf}", "{value: 5, sd: .nan}",
                                  "{value: 5, low: -.inf, high: 10}",
                                  "{value: 5, low: 0, high: .nan}"])
def test_non_finite_uncertainty_is_refused(tmp_path: Path, spec: str) -> None:
    assert "actors.A.capability" in refused(tmp_path, scenario_text(CAP=spec))


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_json_literals_are_refused(tmp_path: Path, literal: str) -> None:
    data = yaml.safe_load(scenario_text())
    text = json.dumps(data, default=str).replace('"capability": 10', f'"capability": {literal}')
    assert "actors.A.capability" in refused(tmp_path, text, "s.json")


@pytest.mark.parametrize("changes", [{"HIGH": "1e308"}, {"LOW": "-1e308"},
                                     {"LOW": "-1e308", "HIGH": "1e308"},
                                     {"CAP": "1e308"}, {"CAP": "1e16"}])
def test_numbers_too_large_to_compute_with_are_refused(tmp_path: Path,
                                                       changes: dict[str, str]) -> None:
    message = refused(tmp_path, scenario_text(**changes))
    assert f"{MAX_MAGNITUDE:g}" in message


def test_largest_allowed_magnitude_loads(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(scenario_text(CAP="1e15", LOW="-1e15", HIGH="1e15", SQ="0", OPT="0",
                                  POS="0", OUT="0"), encoding="utf-8")
    assert load(path).compile().scale_high[0] == 1e15


# --- item 4: bombs, nesting and size -----------------------------------------------------

def billion_laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for k in range(1, levels + 1):
        lines.append(f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 9) + "]")
    return "\n".join(lines) + f"\nid: *a{levels}\n"


def test_billion_laughs_is_refused_without_expanding(tmp_path: Path) -> None:
    message = refused(tmp_path, billion_laughs())
    assert "expands to more than" in message and "DETENTE_MAX_VALUES" in message


def test_too_many_aliases_is_refused(tmp_path: Path) -> None:
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * 50) + "]\n"
    message = refused(tmp_path, text, limits=LoadLimits(max_aliases=10))
    assert "aliases" in message and "DETENTE_MAX_ALIASES" in message


def test_deep_yaml_is_refused_not_a_recursion_error(tmp_path: Path) -> None:
    message = refused(tmp_path, "id: " + "[" * 5000 + "]" * 5000 + "\n")
    assert "nested more than 64 levels" in message


def test_deep_block_yaml_is_refused(tmp_path: Path) -> None:
    text = "".join("  " * k + f"k{k}:\n" for k in range(2000)) + "  " * 2000 + "v\n"
    assert "nested more than" in refused(tmp_path, text)


def test_deep_json_is_refused_not_a_recursion_error(tmp_path: Path) -> None:
    message = refused(tmp_path, '{"id": ' + "[" * 100_000 + "]" * 100_000 + "}", "s.json")
    assert "nested more than 64 levels" in message


def test_brackets_inside_json_strings_do_not_count_as_depth(tmp_path: Path) -> None:
    data = yaml.safe_load(scenario_text())
    data["description"] = "[" * 500 + '\\"{' * 100
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert load(path).description.startswith("[[[")


def test_large_file_is_refused_before_parsing(tmp_path: Path) -> None:
    text = scenario_text() + "description: " + "x" * 5000 + "\n"
    message = refused(tmp_path, text, limits=LoadLimits(max_bytes=4096))
    assert "more than the 4,096 bytes" in message and "DETENTE_MAX_FILE_BYTES" in message


def test_environment_variables_set_and_lift_the_limits(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(scenario_text() + "description: " + "x" * 5000 + "\n", encoding="utf-8")
    monkeypatch.setenv("DETENTE_MAX_FILE_BYTES", "4096")
    with pytest.raises(ScenarioError, match="4,096 bytes"):
        load(path)
    monkeypatch.setenv("DETENTE_MAX_FILE_BYTES", "0")
    assert load(path).id == "mini"
    monkeypatch.setenv("DETENTE_MAX_DEPTH", "lots")
    with pytest.raises(ScenarioError, match="DETENTE_MAX_DEPTH"):
        load(path)


def test_default_limits_are_stated() -> None:
    assert LoadLimits() == LoadLimits(max_bytes=16 * 1024 * 1024, max_depth=64,
                                      max_values=1_000_000, max_aliases=10_000)


def test_python_api_mapping_gets_the_depth_guard() -> None:
    deep: object = "x"
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(ScenarioError, match="nested more than"):
        scenario_from_mapping({"id": "t", "title": deep})


def test_web_guard_is_the_loader_guard() -> None:
    from detente.serving import ServerLimits

    with pytest.raises(ScenarioError, match="expands to more than"):
        ServerLimits().check_yaml_text(billion_laughs(), "upload.yaml")
    with pytest.raises(ScenarioError, match="appears twice"):
        ServerLimits().check_yaml_text("a: 1\na: 2\n", "upload.yaml")


# --- item 7: duplicate keys, encodings, long strings ------------------------------------

def test_duplicate_yaml_keys_name_both_lines(tmp_path: Path) -> None:
    text = scenario_text().replace("title: Minimal\n", "title: Minimal\ntitle: Other\n")
    message = refused(tmp_path, text)
    assert "'title' appears twice" in message and "line 2 and on line 3" in message


def test_duplicate_nested_yaml_keys_are_refused(tmp_path: Path) -> None:
    text = scenario_text().replace("    name: Alpha\n", "    name: Alpha\n    name: A2\n")
    assert "'name' appears twice" in refused(tmp_path, text)


def test_yaml_merge_keys_may_be_overridden() -> None:
    data, _ = parse_yaml("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n", "t.yaml")
    assert data["other"] == {"x": 1, "y": 3}


# --- libyaml's events, the pure loader's document and messages (issue 15) ---------------

#: YAML beyond the embedded scenarios' plain style: anchors and merges, block and folded
#: text, quoted and bare numbers, dates, flow collections, comments, an empty value.
_TRICKY_YAML = """\
# comment
base: &b {x: 1, y: 2.5e3, z: .5}
other:
  <<: *b
  y: -3
text: |
  two
  lines
folded: >-
  one
  line
quoted: ["10", '1e3', 0x1F, 0o17, 1_000, yes, No, ~, null]
when: 2017-05-10
empty:
list:
  - [1, 2, {a: [3, 4]}]
  - - deep
    - er
"""


def _pure(text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    with monkeypatch.context() as m:
        m.setattr(safeload, "_LIBYAML", False)
        return parse_yaml(text, "t.yaml")


@pytest.mark.parametrize("text", [
    *(p.read_text(encoding="utf-8") for p in sorted(
        (Path(safeload.__file__).parent / "data" / "scenarios").glob("*.yaml"))),
    _TRICKY_YAML, MINIMAL_YAML, "", "# only a comment\n", "just text\n"],
    ids=lambda text: text.partition("\n")[0][:30] or "empty")
def test_libyaml_events_build_the_pure_loaders_document(text: str,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    assert safeload._LIBYAML  # the wheels we install carry libyaml; else this proves nothing
    assert parse_yaml(text, "t.yaml") == _pure(text, monkeypatch)  # data and every line


@pytest.mark.parametrize("text", ["id: [unclosed", "a: b: c", "a:\n\tb: 1", "- a\nb: 1",
                                  "a: 1\n---\nb: 2\n", "a: 1\na: 2\n"])
def test_refusals_keep_the_pure_loaders_words_and_line(text: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # libyaml words most of these differently ("did not find expected ',' or ']'"): the
    # text is read again by the pure loader, whose message and line the user gets.
    with pytest.raises(ScenarioError) as fast:
        parse_yaml(text, "t.yaml")
    with pytest.raises(ScenarioError) as pure:
        _pure(text, monkeypatch)
    assert fast.value.problems == pure.value.problems


def test_duplicate_json_keys_name_both_lines(tmp_path: Path) -> None:
    text = '{\n  "id": "t",\n  "title": "T",\n  "title": "U"\n}\n'
    message = refused(tmp_path, text, "s.json")
    assert "'title' appears twice" in message and "line 3 and on line 4" in message


def test_same_key_in_different_json_objects_is_fine() -> None:
    assert parse_json('{"a": {"id": 1}, "b": {"id": 2}}', "t.json") == {"a": {"id": 1},
                                                                         "b": {"id": 2}}


@pytest.mark.parametrize(("encoding", "named"), [
    ("utf-16", "UTF-16 (little-endian, with a byte-order mark)"),
    ("utf-16-be", "UTF-16 (big-endian, no byte-order mark)"),
    ("utf-16-le", "UTF-16 (little-endian, no byte-order mark)"),
    ("utf-32", "UTF-32"),
])
def test_wide_encodings_are_named(tmp_path: Path, encoding: str, named: str) -> None:
    message = refused(tmp_path, scenario_text().encode(encoding))
    assert named in message and "UTF-8" in message and "#x0000" not in message


def test_latin1_is_named_not_guessed(tmp_path: Path) -> None:
    text = scenario_text().replace("Minimal", "Caf\u00e9")
    message = refused(tmp_path, text.encode("latin-1"))
    assert "0xE9 is not UTF-8" in message and "Latin-1" in message and ":2:" in message


def test_utf8_with_bom_loads(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + scenario_text().encode("utf-8"))
    assert load(path).id == "mini"


def test_long_id_is_not_echoed_whole(tmp_path: Path) -> None:
    long_id = "Q" * 100_000
    text = scenario_text().replace("  - id: A\n", f"  - id: {long_id}\n")
    message = refused(tmp_path, text)
    assert len(message) < 2000 and "Q" * 200 not in message


def test_unknown_long_stance_key_is_shortened(tmp_path: Path) -> None:
    long_id = "Z" * 100_000
    data = yaml.safe_load(scenario_text())
    data["stances"][long_id] = data["stances"].pop("A")
    path = tmp_path / "s.json"
    message = refused(tmp_path, json.dumps(data), path.name)
    assert len(message) < 2000 and "characters)" in message


def test_shorten_keeps_short_strings_and_cuts_long_ones() -> None:
    assert shorten("KP") == "KP"
    cut = shorten("x" * 1000)
    assert len(cut) < 100 and cut.endswith("(1,000 characters)")
    assert len(Problem("", "unknown '" + "y" * 10_000 + "'").message) < 200


def test_a_long_file_path_in_a_message_is_kept_whole() -> None:
    # The user acts on a path (e.g. where a file was looked for), so it is not cut like an id.
    path = "/tmp/" + "deep/" * 40 + "eucouncil_weights.csv"
    problem = Problem("weights", f"{path} not found", "put it there")
    assert path in problem.message
    assert len(Problem("id", "x" * 5000).message) < 100


def test_a_key_written_twice_on_one_line_is_placed_on_that_line_once(tmp_path: Path) -> None:
    text = "id: t\ntitle: T\nmeta: {a: 1, a: 2}\n"
    message = refused(tmp_path, text)
    assert "'a' appears twice in one mapping, on line 3 (YAML" in message
