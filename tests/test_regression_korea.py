"""Regression pin: every number ``korea-2017`` produces today, before the issue-14 redesign.

The golden file ``tests/reference/korea-2017-regression.json`` is written by
``scripts/pin_regression.py`` (which refuses to overwrite it without ``--force``). It holds
the JSON contracts (``to_dict``) of, for the embedded scenario through the public API:

* ``forecast``: every registered model at seed 0 (forecasts, trajectories, and the
  per-round forecast path of stepwise models);
* ``settle``: the default grid step and step 10, each with the counterfactual "without RU"
  beside the baseline (the default was 5 in `detente settle` before issue 14 made 10 the
  one default of every package search: both sections now hold the same numbers);
* ``contributions``: Shapley values as guarantors at the default step and at 10;
* ``roadmap``: defaults, and a 2-stage search;
* ``sample``: compromise (200 draws) and settle (10 draws) at seed 7.

Tolerances: floats agree to 1e-9 relative (absolute 1e-9 near 0; every quantity is in issue
units 0-100, utility points -100..0, or a share); ints, strings, booleans, ids and the set
of keys agree exactly. Wall-clock fields (``seconds``, the sampling ``run`` block) are not
pinned. A refactor that renames a JSON key updates :func:`snapshot` (how numbers are read
out), never the golden file; a number that moves is either a bug or a change to explain in
the closing note of issue 14.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

import detente
from detente.analyses import ANALYSES
from detente.scenario import Scenario, scenario_from_mapping
from detente.settlement.analysis import nobody_gains
from detente.settlement.contributions import contributions
from detente.settlement.defaults import issue_steps
from detente.variation import Variation

GOLDEN = Path(__file__).parent / "reference" / "korea-2017-regression.json"
SCENARIO = "korea-2017"
REL_TOL = 1e-9
ABS_TOL = 1e-9
FORECAST_SEED = 0
SAMPLE_SEED = 7
# Keys whose values depend on the clock or the machine, not on the model.
VOLATILE = frozenset({"seconds", "run"})


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if k not in VOLATILE}
    if isinstance(node, list | tuple):
        return [_strip(v) for v in node]
    return node


#: The pin before issue 16 gave korea-2017 verification, links, package rules, walk-away
#: points and stakes (main's pin when i16-settle merged it: its per-issue zones and
#: persuasion plans included): the scenario with those entries removed
#: (:func:`plain_scenario`) must still give exactly these numbers.
PLAIN_GOLDEN = Path(__file__).parent / "reference" / "korea-2017-plain-regression.json"
#: Result fields added after the plain pin was taken (absent from it): issue 16's carry the
#: new mechanisms; issue 17 gave every sampled issue its 80 % and 95 % intervals; every
#: named package now says whether it is the reference (``reference``).
LATER_FIELDS = frozenset({"walk_away", "broken_rules", "stakes", "withheld", "guarantors",
                          "interval80", "interval95", "reference", "ignored",
                          "undeliverable"})
#: The one default grid step of every package search (the registry's): a tenth of each
#: issue's scale, 10 units on every korea-2017 issue (each 0-100).
DEFAULT_STEP = ANALYSES["settle"].option("step").default
SECTIONS = ("forecast", "settle", "contributions", "roadmap", "sample")


def plain_scenario() -> Scenario:
    """korea-2017 without what issue 16 added: verification, links, rules, walk-away points,
    stakes, and the walk-away package PX."""
    raw = detente.load(SCENARIO).to_dict()
    for issue in raw["issues"]:
        issue.pop("verifies", None)
    for actor in raw["actors"]:
        actor.pop("walk_away", None)
    for key in ("links", "rules", "stakes"):
        raw.pop(key, None)
    raw["packages"] = [p for p in raw["packages"] if p["id"] != "PX"]
    return scenario_from_mapping(raw)


def _default_is_ten(s: Scenario) -> bool:
    """Whether the default grid is 10 units on every issue of ``s`` that has a grid: then
    the "10" pins are the default runs."""
    return set(issue_steps(s, DEFAULT_STEP).values()) <= {10.0, None}


def _pinned_grid(result: dict[str, Any]) -> dict[str, Any]:
    """A settle or roadmap result as pinned: without ``steps`` (each issue's grid step,
    added after the pin was taken). The pinned ``step`` still holds it: it is the step every
    issue shares, and null where they differ, so a grid that moved on any issue shows."""
    return {k: v for k, v in result.items() if k != "steps"}


def _drop(node: Any, keys: frozenset[str]) -> Any:
    if isinstance(node, dict):
        return {k: _drop(v, keys) for k, v in node.items() if k not in keys}
    if isinstance(node, list):
        return [_drop(v, keys) for v in node]
    return node


def snapshot(scenario: Scenario | None = None,
             sections: tuple[str, ...] = SECTIONS) -> dict[str, Any]:
    """Every pinned result of korea-2017 (or ``scenario``), as plain JSON data (volatile
    fields removed)."""
    s = detente.load(SCENARIO) if scenario is None else scenario
    without_ru = Variation(without=("RU",))
    out: dict[str, Any] = {"scenario": s.id}
    if "forecast" in sections:
        out["forecast"] = detente.forecast(s, models=list(detente.REGISTRY),
                                           rng=FORECAST_SEED).to_dict()
    if "settle" in sections:
        out.update(_settle_sections(s, without_ru))
    if "contributions" in sections:
        default = contributions(s).to_dict()
        # The default grid step is 10 on korea's 0-100 scales: the "10" pin is the same run.
        out["contributions"] = {"default": default, "10": default if _default_is_ten(s)
                                else contributions(s, step=10.0).to_dict()}
    if "roadmap" in sections:
        out["roadmap"] = {"default": _pinned_grid(detente.roadmap(s).to_dict()),
                          "stages-2": _pinned_grid(detente.roadmap(s, stages=2).to_dict())}
    if "sample" in sections:
        # workers=1: one process; the engine promises the same numbers for any worker count.
        out["sample"] = {
            "compromise": detente.sample(s, model="compromise", samples=200,
                                         rng=SAMPLE_SEED, workers=1).to_dict(),
            "settle": detente.sample(s, model="settle", samples=10, rng=SAMPLE_SEED,
                                     workers=1).to_dict(),
        }
    return _strip(json.loads(json.dumps(out, allow_nan=False)))


def _settle_sections(s: Scenario, without_ru: Any) -> dict[str, Any]:
    # step None: the one default grid step of every package search.
    default = _pinned_grid(detente.settle(s, variations=[without_ru]).to_dict())
    # The default grid step is 10 on korea's 0-100 scales: the "10" pin is the same run.
    ten = default if _default_is_ten(s) else \
        _pinned_grid(detente.settle(s, variations=[without_ru], step=10.0).to_dict())
    return {"settle": {"default": default, "10": ten}}


def differences(expected: Any, actual: Any, path: str = "$", limit: int = 50) -> list[str]:
    """Every place where ``actual`` departs from ``expected`` (at most ``limit``)."""
    found: list[str] = []

    def walk(e: Any, a: Any, where: str) -> None:
        if len(found) >= limit:
            return
        if isinstance(e, dict) and isinstance(a, dict):
            for key in e.keys() - a.keys():
                found.append(f"{where}.{key}: pinned but missing now")
            for key in a.keys() - e.keys():
                found.append(f"{where}.{key}: new, not pinned")
            for key in e.keys() & a.keys():
                walk(e[key], a[key], f"{where}.{key}")
        elif isinstance(e, list) and isinstance(a, list):
            if len(e) != len(a):
                found.append(f"{where}: {len(e)} items pinned, {len(a)} now")
                return
            for k, (x, y) in enumerate(zip(e, a, strict=True)):
                walk(x, y, f"{where}[{k}]")
        elif _is_float(e) and _is_float(a) and (isinstance(e, float) or isinstance(a, float)):
            if not math.isclose(e, a, rel_tol=REL_TOL, abs_tol=ABS_TOL):
                found.append(f"{where}: pinned {e!r}, now {a!r}")
        elif type(e) is not type(a) or e != a:
            found.append(f"{where}: pinned {e!r}, now {a!r}")

    walk(expected, actual, path)
    return found


def _is_float(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _all_finite(node: Any) -> bool:
    if isinstance(node, dict):
        return all(_all_finite(v) for v in node.values())
    if isinstance(node, list):
        return all(_all_finite(v) for v in node)
    return not isinstance(node, float) or math.isfinite(node)


@pytest.fixture(scope="module")
def golden() -> dict[str, Any]:
    assert GOLDEN.is_file(), f"{GOLDEN} is missing: run scripts/pin_regression.py"
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def now() -> dict[str, Any]:
    return snapshot()


@pytest.mark.parametrize("section", ["forecast", "settle", "contributions", "roadmap",
                                     "sample"])
def test_korea_numbers_unchanged(golden: dict[str, Any], now: dict[str, Any],
                                 section: str) -> None:
    diffs = differences(golden[section], now[section], f"$.{section}")
    assert not diffs, (f"{len(diffs)} pinned korea-2017 value(s) moved (at most 50 listed):\n  "
                       + "\n  ".join(diffs))


def _without_reference_plans(pin: dict[str, Any]) -> dict[str, Any]:
    """The old pin as the reference is shown now. A package every gain is measured from (all
    gains 0: the status quo here) is the reference, not a proposal (PackageAnalysis.
    is_reference): it gets no persuasion plan and no win-over or trust scans (null in the
    JSON); every other plan and scan stays. The old pin predates both, and cannot be taken
    again (it is the numbers before issue 16), so it is mended here."""
    for run in pin["settle"].values():
        for outcome in (run["baseline"], *run["variants"]):
            reference = {p["id"] for p in outcome["packages"] if nobody_gains(p["gains"].values())}
            outcome["persuasion"] = [plan for plan in outcome.get("persuasion", [])
                                     if plan["package"] not in reference]
            for p in outcome["packages"]:
                if p["id"] in reference:
                    p["win_over"] = p["trust_needed"] = None
    return pin


def _without_band_ends(node: Any) -> Any:
    """``node`` without the two ends of each win-over band (``low``, ``high``) and the
    band a package rule cuts (``alone``, ``rules``: none in the plain scenario), which the
    old pin predates; their text, which states them, stays compared."""
    if isinstance(node, dict):
        return {k: ({a: [{f: x for f, x in w.items()
                          if f not in ("low", "high", "alone", "rules")}
                         for w in ways] for a, ways in v.items()}
                    if k == "win_over" and isinstance(v, dict) else _without_band_ends(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_without_band_ends(v) for v in node]
    return node


def test_korea_without_the_issue_16_entries_gives_the_old_numbers() -> None:
    # Every new mechanism is data: with the entries removed, the numbers pinned before
    # issue 16 come back exactly (forecast and roadmap do not read the entries at all and
    # stay pinned by the main golden file). The new result fields are left out of the
    # comparison: the old pin predates them.
    golden = _without_reference_plans(json.loads(PLAIN_GOLDEN.read_text(encoding="utf-8")))
    sections = ("settle", "contributions", "sample")
    now = _without_band_ends(_drop(snapshot(plain_scenario(), sections), LATER_FIELDS))
    for section in sections:
        diffs = differences(golden[section], now[section], f"$.{section}")
        assert not diffs, "\n  ".join(diffs)


def test_plain_scenario_really_drops_the_entries() -> None:
    plain = plain_scenario()
    assert not (plain.links or plain.rules or plain.stakes)
    assert all(i.verifies is None for i in plain.issues)
    assert all(a.walk_away is None for a in plain.actors)
    full = detente.load(SCENARIO)
    assert full.links and full.rules and full.stakes  # else the test above proves nothing


def test_golden_covers_what_issue_14_asks(golden: dict[str, Any]) -> None:
    # A pin that silently lost a model or a counterfactual would pass while pinning less.
    assert [m["name"] for m in golden["forecast"]["models"]] == list(detente.REGISTRY)
    for step in ("default", "10"):
        settled = golden["settle"][step]
        assert [v["label"] for v in settled["variants"]] == ["without RU"]
        assert "RU" not in settled["variants"][0]["actors"]
        assert settled["baseline"]["best_nash"]["nash_product"] > 0
    assert golden["settle"]["default"]["step"] == 10.0  # the one default (issue 14)
    assert golden["settle"]["10"]["step"] == 10.0
    assert golden["roadmap"]["stages-2"]["baseline"]["search"] is not None
    stepwise = [m for m in golden["forecast"]["models"]
                if detente.REGISTRY[m["name"]].stepwise]
    assert stepwise and all("trajectory" in m for m in stepwise)
    assert golden["sample"]["compromise"]["issues"]
    assert golden["sample"]["settle"]["settlement"] is not None
    assert _all_finite(golden)


def test_differences_catches_a_moved_number(golden: dict[str, Any]) -> None:
    # The comparison itself must be able to fail: nudge one pinned number past the
    # tolerance, and one id, in a copy of the golden file.
    moved = json.loads(json.dumps(golden))
    best = moved["settle"]["default"]["baseline"]["best_nash"]
    best["nash_product"] *= 1 + 1e-7
    moved["contributions"]["default"]["shapley"]["CN"] += 1e-6
    moved["forecast"]["models"][0]["name"] = "renamed"
    diffs = differences(golden, moved)
    assert any("best_nash.nash_product" in d for d in diffs)
    assert any("shapley.CN" in d for d in diffs)
    assert any("models[0].name" in d for d in diffs)
    # A change inside the tolerance is not reported.
    within = json.loads(json.dumps(golden))
    within["settle"]["default"]["baseline"]["best_nash"]["nash_product"] *= 1 + 1e-12
    assert differences(golden, within) == []
