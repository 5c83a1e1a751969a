"""A refusal's fix can be followed on the scenario it refused (not only on korea-2017).

The fixes of `--first`, `--stage`, `--fix`, `--scan` and the other counterfactual flags
cited korea-2017's ids (``e.g. --stages 2 --first NUC=50``) on any scenario: following one
on examples/my.yaml was refused in turn, ``unknown issue 'NUC'``.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from detente.cli import app
from detente.errors import ScenarioError
from detente.room.mediation import check_submission
from detente.scenario import scenario_from_mapping

EXAMPLE = str(Path(__file__).resolve().parents[1] / "examples" / "my.yaml")
runner = CliRunner()

#: (the refused command, the same command without the refused words) on examples/my.yaml.
REFUSED = [
    (["roadmap", EXAMPLE, "--first", "FLOW=12"], ["roadmap", EXAMPLE]),
    (["roadmap", EXAMPLE, "--first", "FLOW"], ["roadmap", EXAMPLE]),
    (["roadmap", EXAMPLE, "--stage", "FLOW"], ["roadmap", EXAMPLE]),
    (["roadmap", EXAMPLE, "--stage", ","], ["roadmap", EXAMPLE]),
    (["roadmap", EXAMPLE, "--scan", "UP"], ["roadmap", EXAMPLE]),
    (["roadmap", EXAMPLE, "--scan-learning"], ["roadmap", EXAMPLE, "--scan-learning"]),
    (["settle", EXAMPLE, "--fix", "FLOW=inf"], ["settle", EXAMPLE]),
    (["settle", EXAMPLE, "--fix", "FLOW"], ["settle", EXAMPLE]),
    (["settle", EXAMPLE, "--guarantor", "FLOW"], ["settle", EXAMPLE]),
    (["settle", EXAMPLE, "--capability", "UP=0"], ["settle", EXAMPLE]),
    (["settle", EXAMPLE, "--position", "UP.FLOW=nan"], ["settle", EXAMPLE]),
    (["settle", EXAMPLE, "--trust", "UP"], ["settle", EXAMPLE]),
    (["settle", EXAMPLE, "--without", " "], ["settle", EXAMPLE]),
    (["forecast", EXAMPLE, "--salience", "UP.FLOW=2"], ["forecast", EXAMPLE]),
    (["compare", EXAMPLE, "-a", "forecast"], ["compare", EXAMPLE, "-a", "forecast"]),
]


def _example(output: str) -> list[str]:
    """The command-line words of the first example the fix gives (``e.g. WORDS``, up to a
    parenthesis, a comma or a semicolon)."""
    found = re.search(r"e\.g\. (.+?)(?: \(|,\s|;|$)", output, re.MULTILINE)
    assert found, output
    return shlex.split(found.group(1))


@pytest.mark.parametrize(("refused", "base"), REFUSED, ids=lambda argv: " ".join(argv[2:]))
def test_the_fix_example_runs_on_the_scenario_it_refused(refused: list[str],
                                                          base: list[str]) -> None:
    out = runner.invoke(app, refused)
    assert out.exit_code == 2, out.output
    followed = runner.invoke(app, [*base, *_example(out.output)])
    assert "unknown" not in followed.output, (out.output, followed.output)
    assert followed.exit_code == 0, (out.output, followed.output)


def test_a_rule_without_a_bound_is_shown_one_on_the_scenarios_own_issue() -> None:
    raw = yaml.safe_load(Path(EXAMPLE).read_text(encoding="utf-8"))
    raw["rules"] = [{"when": {"issue": "FUND"}, "then": {"issue": "FLOW", "at_most": 10}}]
    with pytest.raises(ScenarioError) as err:
        scenario_from_mapping(raw, "my.yaml")
    assert "e.g. {issue: FUND, at_most: 50}" in str(err.value), str(err.value)


def test_a_room_party_is_shown_trust_in_an_id_of_its_room() -> None:
    raw = yaml.safe_load(Path(EXAMPLE).read_text(encoding="utf-8"))
    with pytest.raises(ScenarioError) as err:
        check_submission(raw, "UP", {"stances": {"FLOW": {"position": 5, "salience": 0.5}},
                                     "trust": []})
    assert 'e.g. {"MID": 0.2}' in str(err.value), str(err.value)


def test_without_an_institution_says_what_it_is_and_how_to_weigh_it_at_nothing() -> None:
    """`--without IAEA` said "unknown actor 'IAEA'" of an id korea-2017 declares (actors
    and institutions share one namespace)."""
    out = runner.invoke(app, ["settle", "--step", "25", "--without", "IAEA"])
    assert out.exit_code == 2, out.output
    assert "unknown" not in out.output and "IAEA is an institution" in out.output, out.output
    followed = runner.invoke(app, ["settle", "--step", "25", "-q", *_example(out.output)])
    assert followed.exit_code == 0, (out.output, followed.output)
