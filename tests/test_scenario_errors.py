"""Every bad input gets a clear error: the file, the place, what is wrong, how to fix it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import detente
from detente.errors import ScenarioError
from detente.scenario import MIN_SCALE_SPAN, load

MINIMAL = {
    "id": "mini",
    "title": "Minimal",
    "issues": [{"id": "X", "name": "Issue X", "status_quo": 50}],
    "actors": [{"id": "A", "name": "Alpha", "capability": 10},
               {"id": "B", "name": "Beta", "capability": 5}],
    "stances": {"A": {"X": {"position": 20, "salience": 0.5}},
                "B": {"X": {"position": 80, "salience": 1.0}}},
}


def write(tmp_path: Path, data: object, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
    return path


def error_for(tmp_path: Path, data: object, name: str = "s.yaml") -> ScenarioError:
    path = write(tmp_path, data, name)
    with pytest.raises(ScenarioError) as info:
        load(path)
    text = str(info.value)
    assert str(path) in text, "the message names the file"
    assert "fix:" in text, "the message says how to fix it"
    return info.value


def mutate(**changes: object) -> dict:
    data = yaml.safe_load(yaml.safe_dump(MINIMAL))
    for dotted, value in changes.items():
        node = data
        parts = dotted.split("__")
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        last = parts[-1]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return data


def test_minimal_scenario_loads(tmp_path: Path) -> None:
    s = load(write(tmp_path, MINIMAL))
    assert s.actor_ids == ("A", "B")
    arrays = s.compile()
    assert arrays.position.tolist() == [[0.2], [0.8]]


@pytest.mark.parametrize(
    ("changes", "location", "words"),
    [
        ({"stances__A__X__salience": 1.5}, "stances.A.X.salience", "outside 0-1"),
        ({"stances__A__X__salience": 60}, "stances.A.X.salience", "divide 0-100"),
        ({"stances__B__X__position": 120}, "stances.B.X.position", "outside the scale"),
        ({"actors__0__capability": 0}, "actors.A.capability", "above 0"),
        ({"actors__1__capability": -3}, "actors.B.capability", "above 0"),
        ({"issues__0__status_quo": -1}, "issues.X.status_quo", "outside the scale"),
    ],
)
def test_out_of_range_numbers(tmp_path: Path, changes: dict, location: str, words: str) -> None:
    err = error_for(tmp_path, mutate(**changes))
    text = str(err)
    assert location in text
    assert words in text


def test_unknown_actor_and_issue_ids(tmp_path: Path) -> None:
    data = mutate()
    data["stances"]["C"] = {"X": {"position": 1, "salience": 1}}
    data["stances"]["A"]["Y"] = {"position": 1, "salience": 1}
    text = str(error_for(tmp_path, data))
    assert "stances.C" in text and "unknown actor 'C'" in text
    assert "stances.A.Y" in text and "unknown issue 'Y'" in text


def test_typo_gets_a_suggestion(tmp_path: Path) -> None:
    data = mutate()
    data["stances"]["AA"] = data["stances"].pop("A")
    assert "did you mean 'A'" in str(error_for(tmp_path, data))


def test_duplicate_ids(tmp_path: Path) -> None:
    data = mutate()
    data["actors"].append({"id": "A", "name": "Again", "capability": 1})
    assert "'A' is used twice" in str(error_for(tmp_path, data))


def test_issue_nobody_cares_about(tmp_path: Path) -> None:
    data = mutate()
    data["issues"].append({"id": "Z", "name": "Nobody's", "status_quo": 0})
    text = str(error_for(tmp_path, data))
    assert "issues.Z" in text and "nobody cares" in text


def test_zero_salience_everywhere_is_nobody_caring(tmp_path: Path) -> None:
    data = mutate(stances__A__X__salience=0, stances__B__X__salience=0)
    assert "nobody cares" in str(error_for(tmp_path, data))


def test_trust_outside_range_and_unknown(tmp_path: Path) -> None:
    data = mutate()
    data["trust"] = {"A": {"B": 1.2, "Q": 0.5}}
    text = str(error_for(tmp_path, data))
    assert "trust.A.B" in text and "outside 0-1" in text
    assert "trust.A.Q" in text and "unknown actor or institution 'Q'" in text


@pytest.mark.parametrize("own", [0.3, 1.5, {"value": 1, "low": 0.5, "high": 1}])
def test_trust_in_oneself_is_refused_unless_a_plain_1(tmp_path: Path, own: object) -> None:
    """T[a,a] = 1 (docs/settle.md): a self-trust entry used to be read and change gains."""
    data = mutate()
    data["trust"] = {"A": {"B": 0.5, "A": own}}
    problems = error_for(tmp_path, data).problems
    assert [(p.location, p.fix) for p in problems] == [
        ("trust.A.A", "leave it out: an actor always believes itself")]
    assert "always 1" in problems[0].message
    data["trust"] = {"A": {"B": 0.5, "A": 1}}  # says what holds anyway
    assert load(write(tmp_path, data)).trust["A"]["A"].value == 1


def test_package_values_checked(tmp_path: Path) -> None:
    data = mutate()
    data["packages"] = [{"id": "P", "name": "Deal", "values": {"X": 101, "W": 3}}]
    text = str(error_for(tmp_path, data))
    assert "packages.P.values.X" in text and "packages.P.values.W" in text


def test_unknown_field_is_named(tmp_path: Path) -> None:
    data = mutate()
    data["actors"][0]["capabilty"] = 3
    text = str(error_for(tmp_path, data))
    assert "actors.A.capabilty" in text and "unknown field 'capabilty'" in text
    assert "did you mean 'capability'?" in text


def test_unknown_field_with_no_near_name_lists_the_fields(tmp_path: Path) -> None:
    data = mutate()
    data["issues"][0]["zzzz"] = 1
    text = str(error_for(tmp_path, data))
    assert "did you mean" not in text and "known fields: id, name" in text


def test_misspelt_required_field_is_named_once_as_a_rename(tmp_path: Path) -> None:
    data = mutate()
    data["stances"]["A"]["X"]["salince"] = data["stances"]["A"]["X"].pop("salience")
    text = str(error_for(tmp_path, data))
    assert "rename 'salince' to 'salience'" in text


def test_misspelt_fields_do_not_hide_cross_field_problems(tmp_path: Path) -> None:
    # A typo and an unknown id in one file: both come in the same message, not in two rounds.
    data = mutate(stances__A__X__position=250)
    data["actors"][0]["capabilty"] = 3
    data["stances"]["A"]["X"]["salince"] = data["stances"]["A"]["X"].pop("salience")
    data["stances"]["C"] = {"X": {"position": 10, "salience": 0.5}}
    err = error_for(tmp_path, data)
    locations = {p.location for p in err.problems}
    assert {"actors.A.capabilty", "stances.A.X.salince", "stances.C",
            "stances.A.X.position"} <= locations


def test_other_schema_errors_stop_before_cross_field_checks(tmp_path: Path) -> None:
    # Text where a number belongs leaves the structure uncertain: only the schema speaks.
    data = mutate(stances__A__X__position="high")
    data["stances"]["C"] = {"X": {"position": 10, "salience": 0.5}}
    err = error_for(tmp_path, data)
    assert [p.location for p in err.problems] == ["stances.A.X.position"]


def test_missing_field_is_named(tmp_path: Path) -> None:
    data = mutate()
    del data["issues"][0]["status_quo"]
    text = str(error_for(tmp_path, data))
    assert "issues.X.status_quo" in text and "add this field" in text


def test_text_where_a_number_belongs(tmp_path: Path) -> None:
    data = mutate(stances__A__X__position="high")
    assert "stances.A.X.position" in str(error_for(tmp_path, data))


def test_error_carries_line_number(tmp_path: Path) -> None:
    text = yaml.safe_dump(mutate(stances__B__X__salience=7), sort_keys=False)
    expected = next(k for k, line in enumerate(text.splitlines(), 1) if "salience: 7" in line)
    err = error_for(tmp_path, text)
    assert err.problems[0].line == expected
    assert f"s.yaml:{expected}:" in str(err)


def test_malformed_yaml_has_line(tmp_path: Path) -> None:
    err = error_for(tmp_path, "id: x\ntitle: [unclosed\nissues: 3\n")
    assert "malformed YAML" in str(err)
    assert err.problems[0].line is not None


def test_malformed_json_has_line(tmp_path: Path) -> None:
    err = error_for(tmp_path, '{\n  "id": "x",\n  "title": \n}', name="s.json")
    assert "malformed JSON" in str(err) and err.problems[0].line == 4


def test_empty_file(tmp_path: Path) -> None:
    assert "empty" in str(error_for(tmp_path, ""))
    assert "empty" in str(error_for(tmp_path, "   \n# only a comment\n"))


def test_top_level_not_a_mapping(tmp_path: Path) -> None:
    assert "mapping at the top" in str(error_for(tmp_path, "- 1\n- 2\n"))


def test_missing_file() -> None:
    with pytest.raises(ScenarioError) as info:
        load("no/such/file.yaml")
    assert "no such file" in str(info.value) and "korea-2017" in str(info.value)


def test_unknown_suffix(tmp_path: Path) -> None:
    assert "unknown file type" in str(error_for(tmp_path, "x", name="s.txt"))


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    err = error_for(tmp_path, mutate(stances__A__X__salience=2, actors__1__capability=0))
    assert len(err.problems) == 2


def test_uncertain_bounds_in_order(tmp_path: Path) -> None:
    data = mutate(stances__A__X__position={"value": 20, "low": 30, "high": 10})
    assert "low (30) is above high (10)" in str(error_for(tmp_path, data))


def test_public_api_reexports() -> None:
    assert detente.load is load
    assert callable(detente.forecast)


# --- every place the format declares ids is checked ------------------------------------
#: An id no scenario uses (nothing near it, so no "did you mean" decides the message).
BOGUS = "ZZ9"
Step = str | int


def declared_id_places() -> list[tuple[tuple[str, ...], str]]:
    """Where the format says ids stand, read from the JSON Schema as the workbench reads it
    (x-refers, x-keys): paths through a scenario mapping whose "*" is any entry and "{}" a
    mapping's keys, each with the kind of id it holds."""
    schema = detente.json_schema()

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref")
        return schema["$defs"][ref.rsplit("/", 1)[-1]] if ref else node

    places: list[tuple[tuple[str, ...], str]] = []

    def visit(node: dict[str, Any], path: tuple[str, ...]) -> None:
        if "x-refers" in node:
            places.append(((*path, "*") if "additionalProperties" in node else path,
                           node["x-refers"]))
        for depth, kind in enumerate(node.get("x-keys", [])):
            places.append(((*path, *["*"] * depth, "{}"), kind))
        inner = resolve(node)
        for choice in inner.get("anyOf", []):
            visit(resolve(choice), path)
        for name, prop in inner.get("properties", {}).items():
            visit(prop, (*path, name))
        for part in (inner.get("items"), inner.get("additionalProperties")):
            if isinstance(part, dict):
                visit(part, (*path, "*"))

    visit(schema, ())
    return places


def first_place(node: Any, pattern: tuple[str, ...]) -> tuple[Step, ...] | None:
    """The path of the first entry of a scenario mapping that a declared place matches."""
    if not pattern:
        return ()
    step, rest = pattern[0], pattern[1:]
    if step == "{}":
        return (next(iter(node)),) if isinstance(node, dict) and node else None
    children: list[tuple[Step, Any]] = (
        list(enumerate(node)) if isinstance(node, list) else list(node.items())
        if isinstance(node, dict) else [])
    for key, child in children:
        if step in ("*", key) and (found := first_place(child, rest)) is not None:
            return (key, *found)
    return None


def put_bogus(raw: dict[str, Any], path: tuple[Step, ...], is_key: bool) -> str:
    """Write BOGUS at a place (a mapping's key, a lone id, or a list's first id) and return
    the place as the loader names it: list entries by their id, else by their index."""
    node: Any = raw
    where = ""
    for step in path[:-1] if is_key else path:
        if isinstance(node, list):
            item = node[int(step)]
            where += f".{item['id']}" if isinstance(item, dict) and "id" in item else f"[{step}]"
        else:
            where += f".{step}"
        node = node[step] if isinstance(node, dict) else node[int(step)]
    if is_key:
        node[BOGUS] = node.pop(path[-1])
        return f"{where}.{BOGUS}".lstrip(".")
    parent: Any = raw
    for step in path[:-1]:
        parent = parent[step]
    if isinstance(node, list):
        node[0] = BOGUS
    else:
        parent[path[-1]] = BOGUS
    return where.lstrip(".")


def full_scenario() -> dict[str, Any]:
    """The embedded Korea scenario, which fills every field that holds ids but outcomes."""
    from detente.scenario.load import embedded_scenarios

    raw: dict[str, Any] = yaml.safe_load(embedded_scenarios()["korea-2017"].read_text())
    raw.setdefault("outcomes", {"NUC": 60})
    return raw


@pytest.mark.parametrize(("pattern", "kind"), declared_id_places(),
                         ids=[".".join(p) for p, _ in declared_id_places()])
def test_every_place_the_format_declares_ids_gets_its_unknown_id_check(
        tmp_path: Path, pattern: tuple[str, ...], kind: str) -> None:
    raw = full_scenario()
    path = first_place(raw, pattern)
    assert path is not None, f"full_scenario() has nothing at {'.'.join(pattern)}: add it there"
    location = put_bogus(raw, path, is_key=pattern[-1] == "{}")
    problems = error_for(tmp_path, raw).problems
    about = [p for p in problems if f"'{BOGUS}'" in p.message]
    assert [p.location for p in about] == [location], (kind, problems)
    assert about[0].message.startswith("unknown ") and about[0].line is not None, about


def test_an_institution_where_an_actor_belongs_is_named_and_hides_no_other_id(
        tmp_path: Path) -> None:
    data = mutate()
    data["institutions"] = [{"id": "IN", "name": "An inspectorate"}]
    data["stances"]["IN"] = {"Q": {"position": 1, "salience": 1}}
    data["issues"][0]["guarantors"] = ["IM"]
    problems = error_for(tmp_path, data).problems
    assert [(p.location, p.message) for p in problems] == [
        ("issues.X.guarantors", "unknown actor or institution 'IM'"),
        ("stances.IN", "unknown actor 'IN' (an institution: institutions do not bargain)"),
        ("stances.IN.Q", "unknown issue 'Q'")]
    assert "did you mean 'IN'?" in problems[0].fix


@pytest.mark.parametrize(("low", "high", "narrowest"), [
    (0.0, 1e-10, "1e-05"),           # a span of a ten-billionth: every zone read 0.0
    (1e12, 1e12 + 0.5, "100"),       # float precision runs out at 16 digits
])
def test_a_scale_too_narrow_to_compute_with_is_refused_at_load(
        low: float, high: float, narrowest: str) -> None:
    # A scale of 0 to 1e-10 ran: the zones rounded to 9 decimals read 0.0 and the brief
    # said "every model agrees" over models 2e-11 apart. It is refused, naming the scale.
    raw = {"id": "narrow", "title": "t",
           "issues": [{"id": "FLOW", "name": "f", "status_quo": low,
                       "scale": {"low": low, "high": high}}],
           "actors": [{"id": "A", "name": "A", "capability": 1}],
           "stances": {"A": {"FLOW": {"position": high, "salience": 1}}}}
    with pytest.raises(ScenarioError) as caught:
        detente.scenario_from_mapping(raw, "narrow.yaml")
    text = str(caught.value)
    assert "narrow.yaml" in text and "issues.FLOW.scale" in text, text
    assert "too narrow to compute with" in text and f"({narrowest}:" in text, text
    assert "rescale the issue (e.g. to 0-100)" in text, text


@pytest.mark.parametrize(("positions", "fix", "fixed"), [
    # Small numbers: a larger unit, positions as written times ten.
    (("0.000001", "0.000003", "0.000002"), "multiply every position by 10", (1e-5, 3e-5, 2e-5)),
    # Large ends: the bound is a share of them, so the zero moves.
    (("2000000000", "2000000000.1", "2000000000"), "subtract 2000000000 from every position",
     (0.0, 0.1, 0.0)),
])
def test_a_bdm_table_whose_positions_lie_too_close_is_refused_by_its_rows(
        tmp_path: Path, positions: tuple[str, ...], fix: str, fixed: tuple[float, ...]) -> None:
    # A table's scale is the range of its positions: the refusal named the scale a table
    # does not have (issues.X.scale, "rescale the issue ... and its anchors"), and no line.
    rows = [f"{name},10,{p},50" for name, p in zip("ABC", positions, strict=True)]
    path = write(tmp_path, "actor,capability,position,salience\n" + "\n".join(rows) + "\n",
                 "narrow.csv")
    with pytest.raises(ScenarioError) as caught:
        load(path)
    text = str(caught.value)
    assert text.startswith(f"{path}:2: column 'position', rows 2 and 3:"), text
    assert "too narrow to compute with" in text and "fix: a table has no scale to set" in text
    assert fix in text and "scale:" not in text and "anchors" not in text, text
    # The fix works: the table with its positions so written loads.
    rows = [f"{name},10,{p!r}" + ",50" for name, p in zip("ABC", fixed, strict=True)]
    write(tmp_path, "actor,capability,position,salience\n" + "\n".join(rows) + "\n",
          "narrow.csv")
    assert load(path).issues[0].scale.span > 0


@pytest.mark.parametrize(("low", "high"), [
    (0.1, 0.10001),          # a span of 1e-5 as written (9.999999999996e-06 in floats)
    (3e9, 3e9 + 1),          # a BDM table's scale where every position is 3e9
    (2e9, 2e9 + 5),          # 2.5e-9 of its end: the bound is 1e-10 of it, not a power of ten
])
def test_a_scale_within_float_noise_or_above_the_share_loads(low: float, high: float) -> None:
    raw = {"id": "narrow", "title": "t",
           "issues": [{"id": "FLOW", "name": "f", "status_quo": low,
                       "scale": {"low": low, "high": high}}],
           "actors": [{"id": "A", "name": "A", "capability": 1}],
           "stances": {"A": {"FLOW": {"position": high, "salience": 1}}}}
    assert detente.scenario_from_mapping(raw, "narrow.yaml").issue("FLOW").scale.high == high


def test_a_scale_at_the_narrowest_span_loads() -> None:
    raw = {"id": "narrow", "title": "t",
           "issues": [{"id": "FLOW", "name": "f", "status_quo": 0,
                       "scale": {"low": 0, "high": MIN_SCALE_SPAN}}],
           "actors": [{"id": "A", "name": "A", "capability": 1}],
           "stances": {"A": {"FLOW": {"position": MIN_SCALE_SPAN, "salience": 1}}}}
    scale = detente.scenario_from_mapping(raw, "narrow.yaml").issue("FLOW").scale
    assert scale.high == MIN_SCALE_SPAN


EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "my.yaml"


@pytest.mark.parametrize(("written", "read_as"), [
    ("NO", "false"), ("yes", "true"), ("on", "true"), ("off", "false"), ("~", "null")])
def test_an_id_yaml_reads_as_no_text_is_quoted_where_it_was_written(
        tmp_path: Path, written: str, read_as: str) -> None:
    # Norway's NO was "no.yaml:50: stances[0].[key]: Input should be a valid string ... if it
    # looks like a number": the line of `stances:`, a path nobody wrote, and a wrong reason.
    text = EXAMPLE.read_text(encoding="utf-8").replace("MID", written)
    lines = text.splitlines()
    id_line = next(k for k, line in enumerate(lines, 1) if f"{{id: {written}," in line)
    key_line = next(k for k, line in enumerate(lines, 1) if line == f"  {written}:")
    err = error_for(tmp_path, text, "no.yaml")
    found = {(p.location, p.line, p.fix) for p in err.problems}
    assert found == {("actors[1].id", id_line, f'quote it: "{written}"'),
                     (f"stances.{written}", key_line, f'quote it: "{written}"')}
    assert all(f"{written} is read as {read_as}" in p.message for p in err.problems)



def test_an_empty_list_of_guarantors_is_refused_for_reading_two_ways(tmp_path: Path) -> None:
    # Left out, an issue's guarantors name nobody and its moves count at face value; an
    # empty list elsewhere (a package's override, --guarantor X=none) says nobody can deliver
    # them. The same words in a file gave the first reading, zone 16 against 3: refused.
    err = error_for(tmp_path, mutate(issues__0__guarantors=[]))
    (problem,) = err.problems
    assert problem.location == "issues.X.guarantors"
    assert "reads two ways" in problem.message
    assert "leave guarantors out" in problem.fix
    left_out = load(write(tmp_path, MINIMAL, "plain.yaml"))
    assert left_out.issues[0].guarantors == []
    with_package = mutate()
    with_package["packages"] = [{"id": "P", "name": "P", "values": {"X": 30},
                                 "guarantors": {"X": []}}]
    assert load(write(tmp_path, with_package, "p.yaml")).packages[0].guarantors == {"X": []}


# --- a refused scale is the one problem its values have --------------------------------
def river_with_flow_in_every_place() -> dict[str, Any]:
    """examples/my.yaml, with FLOW's values in a link, a rule and an outcome too."""
    path = Path(__file__).resolve().parents[1] / "examples" / "my.yaml"
    raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["links"] = [{"actor": "DOWN", "issue": "FUND", "needs": "FLOW", "target": 12}]
    raw["rules"] = [{"when": {"issue": "FLOW", "at_least": 10},
                     "then": {"issue": "FUND", "at_most": 60}}]
    raw["outcomes"] = {"FLOW": 8}
    return raw


@pytest.mark.parametrize("scale", [{"low": 20, "high": 0}, {"low": 10, "high": 10},
                                   {"low": 0, "high": MIN_SCALE_SPAN / 10}])
def test_a_refused_scale_refuses_no_value_against_itself(tmp_path: Path,
                                                        scale: dict[str, float]) -> None:
    # A swapped scale also refused every position, value and outcome on it as "outside the
    # scale of FLOW (20 to 0)", fix "use a value from 20 to 0": a range nothing is inside.
    raw = river_with_flow_in_every_place()
    assert load(write(tmp_path, raw, "ok.yaml")).issue("FLOW").scale.high == 20
    raw["issues"][0]["scale"] = scale
    with pytest.raises(ScenarioError) as refused:
        load(write(tmp_path, raw))
    # Located by the issue's id, as every other problem of an issue is.
    assert [p.location for p in refused.value.problems] == ["issues.FLOW.scale"], \
        refused.value.problems
