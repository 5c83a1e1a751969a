"""`detente roadmap`: tables, the JSON contract, counterfactuals, clear errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from detente.cli import main  # noqa: F401  (registers every command module)
from detente.cli.common import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_roadmap_table_names_the_breaking_stage_and_actors() -> None:
    result = invoke("roadmap", "--roadmap", "OPED")
    assert result.exit_code == 0, result.output
    assert "breaks at stage 1 for US, KP, KR, JP" in result.output
    assert "banked / expects" in result.output


def test_roadmap_json_with_search_counterfactual_and_scan() -> None:
    result = invoke("roadmap", "--stages", "2", "--without", "RU", "--trust", "KP.CN=0.9",
                    "--separately", "--scan", "KP.RU", "--patience", "0.9", "-f", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["format"] == "detente.roadmap"
    assert data["patience"] == 0.9
    assert [v["label"] for v in data["variants"]] == ["without RU", "KP.CN=0.9"]
    search = data["baseline"]["search"]
    assert search["stages"] == 2
    # korea-2017 has 2-stage roadmaps that hold (docs/roadmap.md, findings): one is found.
    assert search["exists"], search
    stages = search["found"]["stages"]
    assert len(stages) == 2 and all(stages[k]["moved"] for k in range(2))
    assert all(all(s["stays"].values()) for s in stages)
    assert len(data["scan"]["values"]) == 21
    assert data["baseline"]["roadmaps"][0]["id"] == "OPED"


def test_roadmap_search_to_a_named_final_reports_near_misses() -> None:
    result = invoke("roadmap", "--stages", "2", "--final", "P1", "--roadmap", "OPED",
                    "--near", "1", "-f", "json")
    assert result.exit_code == 0, result.output
    search = json.loads(result.output)["baseline"]["search"]
    assert not search["exists"]
    miss = search["near_misses"][0]
    assert {b["actor"] for b in miss["breaks"] if b["stage"] == 1} == {"US", "KP", "KR", "JP"}


@pytest.mark.parametrize("args", [
    ("roadmap", "--stages", "9"),
    ("roadmap", "--stages", "0"),
    ("roadmap", "--patience", "0"),
    ("roadmap", "--patience", "2"),
    ("roadmap", "--roadmap", "OPEDX"),
    ("roadmap", "--final", "P9", "--stages", "2"),
    ("roadmap", "--trust", "KP.XX=0.5"),
    ("roadmap", "--trust", "KP.RU=1.5"),
    ("roadmap", "--guarantor", "SEC="),
    ("roadmap", "--without", "ZZ"),
    ("roadmap", "--scan", "KP"),
    ("roadmap", "--scan", "KP.QQ"),
    ("roadmap", "missing.yaml"),
])
def test_bad_options_exit_nonzero_without_traceback(args: tuple[str, ...]) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "error" in result.output


def test_a_scan_of_an_actors_trust_in_itself_is_refused() -> None:
    """T[a,a] is always 1: a scan of it swept a value no model reads as an input and
    tabled the results as if it were one."""
    import detente
    from detente.errors import OptionError

    result = invoke("roadmap", "--scan", "KP.RU,KP.KP")
    assert result.exit_code == 2, result.output
    assert "KP.KP is KP's trust in itself" in result.output
    assert "leave it out: an actor always believes itself" in result.output
    with pytest.raises(OptionError) as caught:  # the API's pairs, past the text's parser
        detente.roadmap("korea-2017", roadmaps=["OPED"], scan=[("KP", "KP")])
    assert [p.location for p in caught.value.problems] == ["--scan"]


@pytest.mark.parametrize("method", ["brute", "bnb"])
def test_roadmap_search_past_max_packages_is_refused_with_the_option_that_lifts_it(
        method: str) -> None:
    # The limit message names --max-packages, so roadmap must take it too.
    result = invoke("roadmap", "--stages", "2", "--step", "25", "--method", method,
                    "--max-packages", "10")
    assert result.exit_code == 2, result.output
    assert "past the limit of 10" in result.output
    assert "raise the limit with --max-packages N" in result.output
    assert "Traceback" not in result.output


def test_roadmap_max_packages_reaches_the_search() -> None:
    small = invoke("roadmap", "--stages", "2", "--step", "25", "-f", "json")
    lifted = invoke("roadmap", "--stages", "2", "--step", "25", "--max-packages",
                    "100000000", "-f", "json")
    assert small.exit_code == 0 and lifted.exit_code == 0, small.output + lifted.output
    assert json.loads(small.output)["baseline"]["search"] == \
        json.loads(lifted.output)["baseline"]["search"] | {"seconds": json.loads(
            small.output)["baseline"]["search"]["seconds"]}


def _nobody_blocks(veto_b: bool = False) -> dict:
    """The hand roadmap's two actors, A without a veto (B too unless ``veto_b``)."""
    return {
        "id": "noveto", "title": "nobody can block",
        "issues": [{"id": "X", "name": "x", "status_quo": 50, "guarantors": ["B"]},
                   {"id": "Y", "name": "y", "status_quo": 50, "guarantors": ["A"]}],
        "actors": [{"id": "A", "name": "a", "capability": 1, "veto": False},
                   {"id": "B", "name": "b", "capability": 1, "veto": veto_b}],
        "stances": {"A": {"X": {"position": 100, "salience": 0.7},
                          "Y": {"position": 0, "salience": 0.3}},
                    "B": {"X": {"position": 0, "salience": 0.25},
                          "Y": {"position": 100, "salience": 0.75}}},
        "trust": {"A": {"B": 0.6}, "B": {"A": 0.9}},
        "packages": [{"id": "P1", "name": "both to 60", "values": {"X": 60, "Y": 60}}],
        "roadmaps": [{"id": "R", "name": "X first, then Y",
                      "stages": [{"name": "x", "values": {"X": 60}},
                                 {"name": "y", "values": {"Y": 60}}]}],
    }


@pytest.mark.parametrize("args", [(), ("--stages", "2"), ("--stages", "2", "--final", "P1"),
                                  ("-f", "json"), ("--scan", "A.B")])
def test_no_veto_player_is_refused_as_settle_refuses_it(tmp_path, args: tuple[str, ...]
                                                        ) -> None:
    # With nobody who must agree every roadmap "held" with "smallest margin +inf" and a Nash
    # product of 100.00 (a product over nobody), exit 0; the search's margin was its stage
    # columns' slack. Settle refuses such a scenario; so does roadmap, in the same words.
    path = tmp_path / "noveto.json"
    path.write_text(json.dumps(_nobody_blocks()))
    result = invoke("roadmap", str(path), *args)
    assert result.exit_code == 2, result.output
    assert "baseline: no actor holds a veto" in result.output
    assert "inf" not in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(("command", "label"), [
    (("contributions",), "contributions"), (("sample", "-m", "settle", "-n", "20"),
                                            "sample -m settle")])
def test_contributions_and_sampled_settle_refuse_a_scenario_nobody_must_agree_to(
        tmp_path, command: tuple[str, ...], label: str) -> None:
    # contributions printed "all actors as guarantors: 100; nobody: 100" and sample -m settle
    # "P(the zone of agreement is non-empty): 100.0%", exit 0: numbers about nobody.
    path = tmp_path / "noveto.json"
    path.write_text(json.dumps(_nobody_blocks()))
    result = invoke(command[0], str(path), *command[1:])
    assert result.exit_code == 2, result.output
    assert f"{label}: no actor holds a veto" in result.output


def test_a_counterfactual_without_the_last_veto_player_is_refused_by_its_label(tmp_path
                                                                             ) -> None:
    path = tmp_path / "oneveto.json"
    path.write_text(json.dumps(_nobody_blocks(veto_b=True)))
    assert invoke("roadmap", str(path)).exit_code == 0
    result = invoke("roadmap", str(path), "--without", "B")
    assert result.exit_code == 2, result.output
    assert "without B: no actor holds a veto" in result.output


def test_a_near_miss_that_holds_but_ends_outside_the_zone_says_why_it_is_no_roadmap(
        tmp_path: object) -> None:
    # X first, then Y holds at both checkpoints (A's margins +12.5 and +25), but A's gain from
    # the final (100, 100) as one package is -6.25 (settle_helpers.final_outside_zone_scenario):
    # the search finds no roadmap to it. The search table said its nearest miss "breaks at
    # nowhere" beside "holding: none".
    from pathlib import Path

    import yaml

    from tests.settle_helpers import final_outside_zone_scenario

    scenario = final_outside_zone_scenario()
    path = Path(str(tmp_path)) / "zone.yaml"
    path.write_text(yaml.safe_dump(scenario))
    result = invoke("roadmap", str(path), "--final", "P", "--stages", "2", "--patience", "0.5",
                    "--step", "100")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "nowhere" not in text
    assert "nearest miss breaks at │ the final package is outside the zone of agreement (A " \
           "gains -6.25 from it)" in text
    assert "near miss 1 holds at every stage" in text
    assert "the final package is outside the zone of agreement (A gains -6.25 from it): a " \
           "search counts only roadmaps that end in the zone." in text


def test_a_refused_first_stage_writes_the_status_quo_as_a_grid_value(tmp_path) -> None:
    # The status quo comes back from the unit scale: 1.3 on 0.3 to 13.1 was written
    # 1.2999999999999998 beside the fix's FLOW=1.3.
    from pathlib import Path

    import yaml

    example = Path(__file__).resolve().parent.parent / "examples" / "my.yaml"
    data = yaml.safe_load(example.read_text())
    flow = next(i for i in data["issues"] if i["id"] == "FLOW")
    flow.update(scale={"low": 0.3, "high": 13.1}, status_quo=1.3, anchors={0.3: "lo", 13.1: "hi"})
    for stance in data["stances"].values():
        if "FLOW" in stance:
            stance["FLOW"]["position"] = min(stance["FLOW"]["position"], 13.1)
    path = tmp_path / "sq.yaml"
    path.write_text(yaml.safe_dump(data))
    result = invoke("roadmap", str(path), "--stages", "2", "--first", "FLOW=1.31")
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "and the status quo 1.3)" in text, text
