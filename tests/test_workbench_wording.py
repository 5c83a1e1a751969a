"""The workbench has no command-line flags: what a workbench run tells its user (a refusal's
problems, a result's notes, tables and data) names options as its fields do (``stage``,
``data``), never as ``--stage``; the command line keeps its flags."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from detente import errors
from detente.errors import DetenteError, OptionError, shown_on
from detente.scenario import load
from detente.settlement.api import settle

#: A flag as the command line writes one: long (``--stage``, ``--no-count``) or short and
#: given a value (``-n 1,000``).
FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z-]*|-[a-zA-Z](?=\s))")


def texts(node: Any) -> Iterator[str]:
    """Every string in a JSON-ready result, keys and values."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from texts(key)
            yield from texts(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from texts(value)


def flags_in(node: Any) -> list[str]:
    return [text for text in texts(node) if FLAG.search(text)]


def workbench(name: str, params: dict[str, Any]) -> Any:
    """What the page is sent for a run of ``name``: its result, or its refusal's problems."""
    pytest.importorskip("fastapi", reason="the web extra (FastAPI) is not installed")
    from detente.web.analyses import run_analysis

    request = {"scenario": load("korea-2017").to_dict(), "params": params}
    try:
        return run_analysis(name, request, lambda *_: None)
    except DetenteError as refused:
        return refused.problem_dicts()


@pytest.mark.parametrize(("name", "params"), [
    # A stated roadmap's name (it read "stated with --stage") is in its data and tables.
    ("roadmap", {"stage": ["NUC=50", "MSL=100"]}),
    # The accuracy figure of a scenario without outcomes said "give ... with --data".
    ("plot", {"kind": "accuracy"}),
    # The combined mixture's note compared it with "forecast --combined".
    ("sample", {"model": "combined", "samples": 8, "seed": 1}),
    # Stepwise runs cut at their cap: "raise -O bdm.max_rounds"; the combined forecast's
    # intervals: "`sample -m combined` shows it".
    ("forecast", {"model": ["bdm", "smp"], "option": ["bdm.max_rounds=1", "smp.max_turns=2"]}),
    # A model's option refused: "give -O smp.min_turns=N ..., or raise -O smp.max_turns".
    ("forecast", {"model": ["smp"], "option": ["smp.min_turns=50", "smp.max_turns=10"]}),
    ("forecast", {"model": ["smp"], "option": ["smp.max_turns=100000000"]}),
])
def test_a_workbench_run_names_no_flag(name: str, params: dict[str, Any]) -> None:
    shown = workbench(name, params)
    assert shown, "the run says something"
    assert flags_in(shown) == []


def test_a_memory_refusal_of_sampling_names_the_count_that_fits_as_a_field(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # It said "draw fewer samples (-n 36,864 fits)", the command line's short flag.
    monkeypatch.setenv("DETENTE_MAX_MEMORY", "40M")
    shown = workbench("sample", {"model": "compromise", "samples": 100_000, "seed": 1})
    assert "samples=" in shown[0]["fix"], shown
    assert flags_in(shown) == []


def test_a_refusal_of_a_switch_names_it_as_each_interface_sets_it() -> None:
    # count given a value that is no yes/no (the Python API): the fix said "--count or
    # --no-count" on the workbench too.
    with pytest.raises(OptionError) as on_command_line:
        settle("korea-2017", count="yes", step=50)  # type: ignore[arg-type]
    assert on_command_line.value.problems[0].fix == "use --count or --no-count"
    with shown_on("workbench"), pytest.raises(OptionError) as on_workbench:
        settle("korea-2017", count="yes", step=50)  # type: ignore[arg-type]
    assert on_workbench.value.problems[0].fix == "use count=true or count=false"


def test_a_switch_with_its_own_off_flag_keeps_it_on_the_command_line() -> None:
    switch_text = errors.switch_text
    assert switch_text("zones", on=False) == "--no-zones"
    assert switch_text("scan_learning", on=True) == "--scan-learning"
    assert switch_text("persuade", on=False, negative="--quiet") == "--quiet"
    with shown_on("workbench"):
        assert switch_text("zones", on=False) == "zones=false"
        assert switch_text("persuade", on=False, negative="--quiet") == "persuade=false"


def _offered_options() -> list[tuple[str, str, str]]:
    """(analysis, option, flag) for every option the workbench offers, in every analysis."""
    pytest.importorskip("fastapi", reason="the web extra (FastAPI) is not installed")
    from detente.web.analyses import available_analyses

    return [(name, o.name, o.flag) for name, spec in available_analyses().items()
            for o in spec.options if o.held is None]


def test_every_offered_option_declares_a_flag_some_differ_from_its_name() -> None:
    # The walks below would prove nothing if every flag were the name dashed.
    differ = {(name, option) for name, option, flag in _offered_options()
              if flag != "--" + option.replace("_", "-")}
    assert {("explain", "round_number"), ("plot", "kind")} <= differ


@pytest.mark.parametrize(("name", "option", "flag"), _offered_options())
def test_a_refusal_of_any_option_is_located_at_the_field_the_request_fills(
        monkeypatch: pytest.MonkeyPatch, name: str, option: str, flag: str) -> None:
    # A library refusal names the option by its flag, the only spelling it knows: explain's
    # ``--round`` was placed at params.round, plot's ``KIND`` at KIND, neither a field.
    from dataclasses import replace

    from detente import analyses
    from detente.errors import option_error

    def refuse(*_: Any, **__: Any) -> Any:
        raise option_error(flag, "refused by the run")

    monkeypatch.setitem(analyses.ANALYSES, name, replace(analyses.ANALYSES[name], run=refuse))
    assert [p["location"] for p in workbench(name, {})] == [f"params.{option}"]
    # A value no option takes is refused by the check, at the same field.
    refused = workbench(name, {option: [{"not": "a value"}]})
    assert refused and {p["location"] for p in refused} == {f"params.{option}"}, refused


@pytest.mark.parametrize(("name", "params", "field"), [
    ("explain", {"model": "bdm", "round_number": 99}, "params.round_number"),
    ("plot", {"kind": "trajectories", "model": ["compromise"]}, "params.kind"),
])
def test_a_refusal_by_the_run_itself_is_located_at_the_field(
        name: str, params: dict[str, Any], field: str) -> None:
    refused = workbench(name, params)
    assert [p["location"] for p in refused] == [field], refused


@pytest.mark.parametrize(("given", "read"), [
    ("1", True), (1, True), ("0", False), (0, False), (1.0, True), ("true", True), (False, False),
])
def test_a_switch_reads_a_number_as_it_reads_the_same_number_written_as_text(
        given: object, read: bool) -> None:
    # ``combined: "1"`` was taken and ``combined: 1`` refused: a form sends the one, a JSON
    # request the other.
    from detente.analyses import ANALYSES

    assert ANALYSES["forecast"].check({"combined": given}, at="params")["combined"] is read


@pytest.mark.parametrize("given", [2, "2", 0.5, "maybe", [1]])
def test_a_switch_refuses_any_other_value_at_its_field(given: object) -> None:
    from detente.analyses import ANALYSES

    with shown_on("workbench"), pytest.raises(OptionError) as refused:
        ANALYSES["forecast"].check({"combined": given}, at="params")
    assert [p.location for p in refused.value.problems] == ["params.combined"]
    assert "true or false" in refused.value.problems[0].message
