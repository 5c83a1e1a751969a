"""An analysis's options given inside another option: settle's as `detente sample -m settle
-O settle.NAME=VALUE` (workbench ``option=settle.NAME=VALUE``), every analysis's as the
report's ``--set ANALYSIS.NAME=VALUE`` (workbench ``set=...``). A refusal names the option
as the user gave it, never by a flag of a command they did not run (``--step 5%``, which
`detente sample` does not take); `detente settle` keeps its own flags."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from detente.cli.common import app
from tests.test_workbench_wording import flags_in, workbench

runner = CliRunner()


def refusal(args: list[str]) -> str:
    """The command's refusal, its words joined as one line (the console wraps them)."""
    done = runner.invoke(app, args)
    assert done.exit_code == 2, done.output
    return " ".join(done.output.split())


#: A bad settle option, where it is located and how the fix gives one.
SETTLE_REFUSALS = [
    ("zone=maybe", "settle.zone: expected true or false",
     "write -O settle.zone=true or -O settle.zone=false"),
    ("step=abc", "settle.step: the grid step must be", "e.g. -O settle.step=5%"),
    # A grid too fine is refused by the settlement problem itself (it was at --step).
    ("step=0.0001", "settle.step: a step of 0.0001 gives", "e.g. -O settle.step=1%"),
    ("step=500", "settle.step: a step of 500 is wider", "e.g. -O settle.step=10%"),
    ("max_packages=0", "settle.max_packages: max-packages must",
     "e.g. -O settle.max_packages=50000000"),
]


@pytest.mark.parametrize(("option", "located", "fix"), SETTLE_REFUSALS)
def test_sample_names_settles_options_as_it_takes_them(option: str, located: str,
                                                       fix: str) -> None:
    said = refusal(["sample", "korea-2017", "-m", "settle", "-n", "4", "--workers", "1",
                    "-O", f"settle.{option}"])
    assert located in said and fix in said, said
    flag = "--" + option.partition("=")[0].replace("_", "-")
    assert flag not in said, said


def test_settle_keeps_its_own_flags() -> None:
    said = refusal(["settle", "korea-2017", "--step", "0.0001"])
    assert "--step: a step of 0.0001 gives" in said and "e.g. --step 1%" in said, said
    # And inside sample the same refusal names the item (the two differ: the test above
    # holds only where the wording follows the option as given).
    inside = refusal(["sample", "korea-2017", "-m", "settle", "-n", "4", "-O",
                      "settle.step=0.0001"])
    assert "--step" not in inside and "-O settle.step=1%" in inside, inside


@pytest.mark.parametrize(("option", "located", "fix"), SETTLE_REFUSALS)
def test_the_workbench_names_settles_options_as_its_option_field(option: str, located: str,
                                                                 fix: str) -> None:
    problems = workbench("sample", {"model": "settle", "samples": 4, "seed": 1,
                                    "option": [f"settle.{option}"]})
    assert isinstance(problems, list) and len(problems) == 1, problems
    (problem,) = problems
    assert f"{problem['location']}: {problem['message']}".startswith(located), problem
    assert fix.replace("-O ", "option=") in problem["fix"], problem
    assert flags_in(problems) == [], problems


def test_the_reports_settings_are_named_as_settings(tmp_path: Path) -> None:
    target = str(tmp_path / "report.html")
    said = refusal(["report", "korea-2017", "-o", target, "--set", "settle.step=abc",
                    "--set", "sample.samples=0"])
    assert "--set settle.step: the grid step must be" in said, said
    assert "e.g. --set settle.step=5%" in said and "--step" not in said, said
    assert "e.g. --set sample.samples=1000" in said and "--samples" not in said, said
    # Refused when the report runs settle, not when it reads the settings: located there too.
    said = refusal(["report", "korea-2017", "-o", target, "--set", "settle.step=0.0001"])
    assert said.startswith("error: --set settle.step: a step of 0.0001 gives"), said
    assert "e.g. --set settle.step=1%" in said, said
    # Sample's own -O item, given as a setting of the report: named as the setting.
    said = refusal(["report", "korea-2017", "-o", target, "--set", "sample.model=settle",
                    "--set", "sample.option=settle.step=abc"])
    assert "e.g. --set sample.option=settle.step=5%" in said, said


@pytest.mark.parametrize(("written", "fix"), [
    # Each way written whole: "=true or false" read as one value to give.
    ("command line", "write --set settle.zones=true or --set settle.zones=false"),
    ("workbench", "write set=settle.zones=true or set=settle.zones=false"),
])
def test_a_refused_switch_of_the_report_is_given_either_way_whole(written: Any,
                                                                   fix: str) -> None:
    from detente.errors import OptionError, shown_on
    from detente.report.kinds import report_settings

    with shown_on(written), pytest.raises(OptionError) as refused:
        report_settings({"settle": {"zones": "maybe"}})
    assert [p.fix for p in refused.value.problems] == [fix]


@pytest.mark.parametrize(("written", "name", "fix"), [
    ("command line", "zones", "write --zones or --no-zones"),
    ("command line", "separately", "write --separately, or leave it out"),  # no off-flag
    ("workbench", "zones", "write zones=true or zones=false"),
])
def test_a_refused_switch_of_an_analysis_is_given_either_way(written: Any, name: str,
                                                             fix: str) -> None:
    from detente.analyses import ANALYSES
    from detente.errors import shown_on

    with shown_on(written):
        [problem] = ANALYSES["settle"].option(name).check("maybe")[1]
    assert problem.fix == fix


def test_the_workbench_names_the_reports_settings_as_its_set_field() -> None:
    problems: Any = workbench("report", {"set": ["settle.step=abc"]})
    assert [p["location"] for p in problems] == ["params.set"], problems
    assert "e.g. set=settle.step=5%" in problems[0]["fix"], problems
    assert flags_in(problems) == [], problems


def test_a_sampled_search_past_its_limit_names_settles_options_as_sample_takes_them(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import detente.settlement.screen as screen

    screened = screen.screen_candidates

    def undecided(table: Any, *args: Any, **kwargs: Any) -> Any:
        """The screen as it ran, deciding nothing: every sample left to the exact search."""
        empty, found, slots = screened(table, *args, **kwargs)
        return empty & False, found & False, slots

    monkeypatch.setattr(screen, "screen_candidates", undecided)
    said = refusal(["sample", "korea-2017", "-m", "settle", "-n", "2", "--workers", "1",
                    "-O", "settle.method=brute", "-O", "settle.max_packages=1"])
    assert said.startswith("error: settle.max_packages: brute force would evaluate"), said
    assert "use -O settle.method=bnb" in said and "a coarser -O settle.step," in said, said
    assert "--method" not in said and "--step" not in said, said
    assert said.endswith("raise the limit with -O settle.max_packages=N"), said


@pytest.mark.parametrize(("option", "fix"), [
    ("step=abc", "e.g. -O step=5%"),
    # Refused by the settlement problem itself, when the room checks its grid.
    ("step=0.0001", "e.g. -O step=1%"),
])
def test_a_room_names_its_options_as_it_takes_them(tmp_path: Path, option: str,
                                                   fix: str) -> None:
    # `detente room open -O step=abc` was told "e.g. --step 5%", a flag it does not take.
    said = refusal(["room", "open", "--db", str(tmp_path / "rooms.db"), "-O", option])
    assert said.startswith("error: options.step: "), said
    assert fix in said and "--step" not in said, said
