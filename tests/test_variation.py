"""The array-level counterfactual (detente.variation): each change equals the scenario file
written with that change, the empty variation is the identity, errors name the place."""

from __future__ import annotations

import copy
import json
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import detente
from detente.arrays import Arrays
from detente.errors import OptionError
from detente.scenario import scenario_from_mapping
from detente.settlement.problem import SettlementProblem
from detente.variation import AddedActor, Variation, parse_variation, variation_from_mapping
from tests.strategies import scenario_dicts

FIELDS = ("capability", "position", "salience", "status_quo", "trust", "stake", "veto",
          "scale_low", "scale_high")


def assert_same_arrays(got: Arrays, want: Arrays) -> None:
    assert got.actor_ids == want.actor_ids
    assert got.issue_ids == want.issue_ids
    assert got.guarantor_ids == want.guarantor_ids
    for name in FIELDS:
        a, b = getattr(got, name), getattr(want, name)
        assert a.shape == b.shape, name
        assert a.dtype.kind == b.dtype.kind, name
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=name)


@st.composite
def scenarios_with_trust(draw: st.DrawFn) -> dict[str, Any]:
    """Random scenario mappings with a sparse trust table and maybe an institution, so
    that removals and additions must keep the guarantor columns in order."""
    raw = draw(scenario_dicts(max_actors=5, max_issues=3))
    ids = [a["id"] for a in raw["actors"]]
    if draw(st.booleans()):
        raw["institutions"] = [{"id": "INST", "name": "An institution"}]
    trusted = ids + [g["id"] for g in raw.get("institutions", [])]
    trust: dict[str, dict[str, float]] = {}
    for truster in ids:
        for other in trusted:
            if other != truster and draw(st.booleans()):
                trust.setdefault(truster, {})[other] = draw(st.floats(0, 1))
    raw["trust"] = trust
    return raw


def compiled(raw: dict[str, Any]) -> Arrays:
    return scenario_from_mapping(raw).compile()


# --- the identity and the array edits match scenario edits --------------------------------


@given(scenarios_with_trust(), st.integers(1, 4))
@settings(max_examples=30)
def test_empty_variation_is_the_identity(raw: dict[str, Any], batch: int) -> None:
    arrays = compiled(raw)
    assert Variation().is_empty and Variation().describe() == "baseline"
    assert_same_arrays(Variation().apply(arrays), arrays)
    batched = arrays.broadcast_batch(batch)
    assert_same_arrays(Variation().apply(batched), batched)


@given(scenarios_with_trust(), st.data())
@settings(max_examples=30)
def test_dropping_an_actor_equals_the_scenario_written_without_it(
        raw: dict[str, Any], data: st.DataObject) -> None:
    ids = [a["id"] for a in raw["actors"]]
    if len(ids) < 2:
        ids.append("EXTRA")
        raw["actors"].append({"id": "EXTRA", "name": "Extra", "capability": 3})
    # A0 has a stance on every issue (see scenario_dicts), so the rest stays valid.
    gone = data.draw(st.sampled_from(ids[1:]))
    written = copy.deepcopy(raw)
    written["actors"] = [a for a in written["actors"] if a["id"] != gone]
    written["stances"].pop(gone, None)
    written["trust"] = {k: {j: v for j, v in row.items() if j != gone}
                        for k, row in written["trust"].items() if k != gone}
    assert_same_arrays(Variation(without=(gone,)).apply(compiled(raw)), compiled(written))


@given(scenarios_with_trust(), st.data())
@settings(max_examples=30)
def test_stance_and_capability_edits_equal_the_edited_file(
        raw: dict[str, Any], data: st.DataObject) -> None:
    actor = data.draw(st.sampled_from([a["id"] for a in raw["actors"]]), label="actor")
    k = data.draw(st.integers(0, len(raw["issues"]) - 1), label="issue")
    issue = raw["issues"][k]
    lo, hi = issue["scale"]["low"], issue["scale"]["high"]
    position = data.draw(st.floats(lo, hi), label="position")
    salience = data.draw(st.floats(0, 1), label="salience")
    capability = data.draw(st.floats(0.01, 1e4), label="capability")
    edit_salience = data.draw(st.booleans(), label="edit salience")
    written = copy.deepcopy(raw)
    stance = written["stances"].setdefault(actor, {}).get(issue["id"])
    had_stance = stance is not None
    if not had_stance:
        # A new stance needs both numbers (the variation refuses half a stance).
        edit_salience = True
        stance = written["stances"][actor][issue["id"]] = {}
    stance["position"] = position
    if edit_salience:
        stance["salience"] = salience
    for a in written["actors"]:
        if a["id"] == actor:
            a["capability"] = capability
    change = Variation(capability=((actor, capability),),
                       position=((actor, issue["id"], position),),
                       salience=((actor, issue["id"], salience),) if edit_salience else ())
    cared = any(s.get("salience", 0) > 0 for row in written["stances"].values()
                for s in [row.get(issue["id"], {})])
    if cared:
        assert_same_arrays(change.apply(compiled(raw)), compiled(written))
    else:
        # The file would be refused by the loader; the variation refuses it too.
        with pytest.raises(OptionError, match=f"nobody cares about {issue['id']}"):
            change.apply(compiled(raw))


@given(scenarios_with_trust(), st.data())
@settings(max_examples=30)
def test_adding_an_actor_equals_the_scenario_written_with_it(
        raw: dict[str, Any], data: st.DataObject) -> None:
    capability = data.draw(st.floats(0.01, 1e3), label="capability")
    veto = data.draw(st.booleans(), label="veto")
    stances = {}
    for issue in raw["issues"]:
        if data.draw(st.booleans()):
            stances[issue["id"]] = {
                "position": data.draw(st.floats(issue["scale"]["low"], issue["scale"]["high"])),
                "salience": data.draw(st.floats(0, 1))}
    written = copy.deepcopy(raw)
    written["actors"].append({"id": "NEW", "name": "NEW", "capability": capability,
                              "veto": veto})
    written["stances"]["NEW"] = stances
    change = Variation(add=(AddedActor("NEW", capability, veto),),
                       position=tuple(("NEW", i, s["position"]) for i, s in stances.items()),
                       salience=tuple(("NEW", i, s["salience"]) for i, s in stances.items()))
    assert_same_arrays(change.apply(compiled(raw)), compiled(written))


@given(scenarios_with_trust(), st.integers(2, 3), st.data())
@settings(max_examples=20)
def test_batched_arrays_vary_like_each_replicate(raw: dict[str, Any], batch: int,
                                                 data: st.DataObject) -> None:
    arrays = compiled(raw)
    actor = arrays.actor_ids[0]
    change = Variation(add=(AddedActor("NEW", 2.0),), capability=((actor, 7.0),),
                       salience=((actor, arrays.issue_ids[0], 0.5),),
                       trust=(("NEW", actor, 0.25),))
    one = change.apply(arrays)
    many = change.apply(arrays.broadcast_batch(batch))
    assert_same_arrays(many, one.broadcast_batch(batch))


def test_trust_edit_equals_the_edited_file() -> None:
    s = detente.load("korea-2017")
    raw = s.to_dict()
    raw.setdefault("trust", {}).setdefault("KP", {})["IAEA"] = 0.35
    got = Variation(trust=(("KP", "IAEA", 0.35),)).apply(s.compile())
    assert_same_arrays(got, scenario_from_mapping(raw).compile())


# --- it can replace the settlement counterfactual ------------------------------------------


def test_an_added_actor_can_guarantee_in_the_settlement_problem() -> None:
    problem = SettlementProblem.from_scenario(detente.load("korea-2017"), 10.0)
    new = parse_variation(["--add", "EU=10", "--position", "EU.NUC=0",
                           "--salience", "EU.NUC=0.5", "--guarantor", "NUC=EU"]
                          ).apply_problem(problem)
    assert new.actor_ids[-1] == "EU"
    assert new.arrays.guarantor_ids[-2:] == ("EU", "IAEA")
    assert new.issue_guarantors[new.issue_ids.index("NUC")] == ("EU",)
    assert new.guarantees().deliverers.shape[-1] == len(new.arrays.guarantor_ids)


# --- parsing and errors -----------------------------------------------------------------


def test_parser_reads_every_option_and_both_spellings() -> None:
    v = parse_variation(["--without", "RU", "--position=CN.NUC=40", "--salience",
                         "KP.SANC=0.9", "--capability", "US=60", "--trust", "KP.CN=0.8",
                         "--guarantor", "SEC=none", "--fix", "NUC=50", "--add", "EU=10"])
    assert v == Variation(without=("RU",), add=(AddedActor("EU", 10.0),),
                          capability=(("US", 60.0),), position=(("CN", "NUC", 40.0),),
                          salience=(("KP", "SANC", 0.9),), trust=(("KP", "CN", 0.8),),
                          guarantors=(("SEC", ()),), fix=(("NUC", 50.0),))
    assert v == variation_from_mapping({"without": ["RU"], "position": ["CN.NUC=40"],
                                        "salience": ["KP.SANC=0.9"], "capability": ["US=60"],
                                        "trust": ["KP.CN=0.8"], "guarantor": ["SEC=none"],
                                        "fix": ["NUC=50"], "add": ["EU=10"]})
    assert [x.describe() for x in v.split()] == [
        "without RU", "add EU=10", "capability US=60", "position CN.NUC=40",
        "salience KP.SANC=0.9", "trust KP.CN=0.8", "SEC guaranteed by nobody",
        "NUC fixed at 50"]


@pytest.mark.parametrize(("change", "label"), [
    # The largest capability a counterfactual may set read "RU=1000000000000000.0".
    ("--capability RU=1e15", "capability RU=1e+15"),
    ("--capability RU=999999999999999", "capability RU=999999999999999"),
    ("--add EU=1e15", "add EU=1e+15"),
    ("--capability RU=40", "capability RU=40"),
    ("--capability RU=62.5", "capability RU=62.5"),
    ("--salience KP.SANC=0.0000001", "salience KP.SANC=1e-07"),
    ("--position CN.NUC=40", "position CN.NUC=40"),
    ("--trust KP.RU=0.8", "trust KP.RU=0.8"),
    ("--fix NUC=50", "NUC fixed at 50"),
])
def test_a_label_writes_each_number_readably(change: str, label: str) -> None:
    v = parse_variation(change.split())
    assert v.describe() == label
    assert "1000000000000000" not in v.describe(legacy=True)


def test_a_label_writes_a_sixteen_digit_number_with_every_digit_and_no_point_zero() -> None:
    # Positions and fixed values are checked against the scenario's scales, not here.
    v = Variation(position=(("CN", "NUC", 1234567890123456.0),), fix=(("NUC", 2e15),))
    assert v.describe() == "position CN.NUC=1.234567890123456e+15; NUC fixed at 2e+15"


def test_the_counterfactual_of_a_huge_capability_reads_as_a_number_in_json() -> None:
    from typer.testing import CliRunner

    from detente.cli import app

    out = CliRunner().invoke(app, ["forecast", "--capability", "RU=1e15", "-m", "compromise",
                                   "-f", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["counterfactual"] == "capability RU=1e+15"


@pytest.mark.parametrize(("args", "location", "words"), [
    ("--without RX", "--without", ["unknown actor 'RX'", "did you mean 'RU'"]),
    ("--position CN.NUK=40", "--position CN.NUK=40", ["unknown issue 'NUK'", "did you mean 'NUC'"]),
    ("--position CX.NUC=40", "--position CX.NUC=40", ["unknown actor 'CX'", "did you mean 'CN'"]),
    ("--position CN.NUC=140", "--position CN.NUC=140", ["outside the scale", "0 to 100"]),
    ("--salience KP.SANC=1.5", "--salience", ["outside 0-1"]),
    ("--capability RU=0", "--capability", ["above 0"]),
    ("--capability RU=nan", "--capability", ["not a finite number"]),
    # The scenario file's bound: two capabilities of 1e308 summed to infinity, every Nash
    # weight read 0 and settle printed a Nash product of 100.00 from gains of at most 6.
    ("--capability US=1e308", "--capability", ["at most 1e+15", "scale them down"]),
    ("--capability US=1.000001e15", "--capability", ["at most 1e+15"]),
    ("--add EU=2e15", "--add", ["at most 1e+15"]),
    ("--position CN.NUC=inf", "--position", ["not a finite number"]),
    ("--trust KP.RU=-0.1", "--trust", ["outside 0-1"]),
    ("--trust KP.RU", "--trust", ["not of the form"]),
    ("--trust KP=0.5", "--trust", ["truster.trusted"]),
    ("--trust KP.RUS=0.5", "--trust", ["unknown actor or institution 'RUS'"]),
    ("--trust KP.KP=0.5", "--trust", ["KP's trust in itself", "leave it out"]),
    ("--trust KP.RU=0.5 --without RU", "--trust", ["which --without removes"]),
    ("--guarantor SEC=", "--guarantor", ["not of the form"]),
    ("--guarantor SEC=CN,XX", "--guarantor", ["unknown guarantor 'XX'"]),
    ("--fix NUC=101", "--fix", ["outside the scale"]),
    ("--fix NUC=abc", "--fix", ["not a number"]),
    ("--add US=3", "--add", ["already an actor"]),
    ("--add 9X=3", "--add", ["not a valid actor id"]),
    ("--add EU=2 --position EU.NUC=30", "--position EU.NUC=30", ["no stance on NUC",
                                                                "--salience EU.NUC="]),
    ("--position CN.NUC=30 --position CN.NUC=40", "--position", ["given twice"]),
    ("--salience KP.VER=0 --without US --without CN --without RU --without KR --without JP",
     "--salience KP.VER=0", ["nobody cares about VER"]),
    ("--postion CN.NUC=30", "--postion", ["did you mean '--position'"]),
    ("--without", "--without", ["needs a value"]),
    ("--without US --without CN --without RU --without KP --without KR --without JP",
     "--without", ["every actor"]),
])
def test_errors_name_the_place_and_the_fix(args: str, location: str, words: list[str]) -> None:
    s = detente.load("korea-2017")
    with pytest.raises(OptionError) as caught:
        parse_variation(args.split()).apply(s.compile())
    problem = caught.value.problems[0]
    assert problem.location == location
    text = f"{problem.message} {problem.fix}"
    for word in words:
        assert word in text
    assert problem.fix


def test_every_problem_is_reported_at_once() -> None:
    s = detente.load("korea-2017")
    with pytest.raises(OptionError) as caught:
        parse_variation(["--without", "RX", "--fix", "NUK=3", "--capability", "JX=2"]
                        ).apply(s.compile())
    assert [p.location for p in caught.value.problems] == ["--without", "--capability",
                                                           "--fix"]


def test_capabilities_at_the_bound_keep_the_nash_weights_finite() -> None:
    """The largest capability the bound allows, for every actor: the weights still sum to 1
    and equal the symmetric ones (equal capabilities), not the zeros an overflowing sum gave."""
    from detente.settlement import nash_weights

    s = detente.load("korea-2017")
    most = parse_variation([f"--capability={a}=1e15" for a in s.actor_ids]).apply(s.compile())
    weights = nash_weights(most)
    assert np.all(np.isfinite(weights))
    assert np.allclose(weights, nash_weights(most, "equal"))
    assert weights.sum() == pytest.approx(1.0)
