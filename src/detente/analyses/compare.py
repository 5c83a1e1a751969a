"""`detente compare`: two scenarios, or a scenario and a counterfactual, side by side.

Every analysis's headline numbers -- the forecasts, the settlement's zone and best
package, each actor's contribution as guarantor, whether each named roadmap holds, the
sampled medians -- for A and B, and B − A. A is the scenario; B is ``--other`` (another
scenario) and/or the counterfactual options (``--without RU --position CN.NUC=40``).

This module is the whole analysis: it runs the others through the registry, so it needs
no code anywhere else (issue 14: adding an analysis touches its module, its registration
and its docs page).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from detente.analyses.options import SEED, STEP
from detente.analyses.spec import PATH_ON_THE_MACHINE, AnalysisSpec, Option
from detente.errors import (
    NOBODY_MUST_AGREE,
    option_error,
    option_place,
    option_taken,
    option_text,
)
from detente.render import steady, units_where_on_an_issue
from detente.scenario import Scenario, load
from detente.settlement.defaults import GridStep
from detente.variation import Variation, scenario_examples
from detente.view import View, table

if TYPE_CHECKING:
    from detente.analyses import Result

JSON_FORMAT_VERSION = 1
PARTS = ("forecast", "settle", "contributions", "roadmap", "sample")
#: The parts of a comparison that search packages: refused where nobody must agree.
NEED_A_DEAL = ("settle", "roadmap", "contributions")


@dataclass(frozen=True)
class Row:
    """One headline number of A and of B (None where it does not exist, e.g. the Shapley
    value of an actor B drops); ``span``: for a number in issue units, the width of the
    issue's scale, which the table writes it against (not in the JSON)."""

    analysis: str
    quantity: str
    a: float | None
    b: float | None
    unit: str
    span: float | None = None

    @property
    def difference(self) -> float | None:
        """B − A of the steadied values: two numbers equal but for rounding noise (one deal
        found on a rescaled scenario) differ by 0, not by their last bits."""
        if self.a is None or self.b is None:
            return None
        return steady(steady(self.b) - steady(self.a))

    def to_dict(self) -> dict[str, Any]:
        return {"analysis": self.analysis, "quantity": self.quantity, "a": self.a,
                "b": self.b, "difference": self.difference, "unit": self.unit}


@dataclass(frozen=True)
class Comparison:
    scenario: str
    a: str
    b: str
    rows: tuple[Row, ...]
    #: Analyses left out, each with why (nobody must agree on a side: nothing to settle).
    left_out: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"format": "detente.compare", "version": JSON_FORMAT_VERSION,
                "scenario": self.scenario, "a": self.a, "b": self.b,
                "rows": [r.to_dict() for r in self.rows], "left_out": list(self.left_out)}


def _flag(x: bool | None) -> float | None:
    return None if x is None else float(bool(x))


def _both(a: Iterable[str], b: Iterable[str]) -> list[str]:
    """The keys of A and of B, each once: A's in A's order, then those only B has (a row
    for every quantity of either side, never only A's)."""
    return list(dict.fromkeys([*a, *b]))


def _headlines(part: str, a: Any, b: Any, spans: dict[str, float]) -> list[Row]:
    """Rows of one analysis from its A and B results (the library objects); ``spans``: each
    issue's scale width."""
    rows: list[Row] = []
    if part == "forecast":
        for name in _both(a.results, b.results):
            va = a.values(name) if name in a.results else {}
            vb = b.values(name) if name in b.results else {}
            rows += [Row(part, f"{name} {i}", va.get(i), vb.get(i), "issue units",
                         spans.get(i)) for i in _both(va, vb)]
    elif part == "settle":
        rows += [Row(part, "zone exists", _flag(a.zone_exists), _flag(b.zone_exists), "yes=1"),
                 Row(part, "zone size", a.zone_size, b.zone_size, "packages"),
                 Row(part, "best Nash product", a.best.nash if a.best else None,
                     b.best.nash if b.best else None, "utility points"),
                 Row(part, "max-min smallest gain", a.max_min.min_gain if a.max_min else None,
                     b.max_min.min_gain if b.max_min else None, "utility points")]
        named_a, named_b = ({p.id: p for p in side.packages} for side in (a, b))
        rows += [Row(part, f"{name} acceptable",
                     _flag(named_a[name].acceptable) if name in named_a else None,
                     _flag(named_b[name].acceptable) if name in named_b else None, "yes=1")
                 for name in _both(named_a, named_b)]
    elif part == "contributions":
        rows.append(Row(part, "all actors as guarantors", a.grand_value, b.grand_value,
                        "utility points"))
        rows += [Row(part, f"Shapley {x}", a.shapley.get(x), b.shapley.get(x),
                     "utility points") for x in _both(a.shapley, b.shapley)]
    elif part == "roadmap":
        evaluations_a, evaluations_b = ({e.id: e for e in side.evaluations} for side in (a, b))
        for name in _both(evaluations_a, evaluations_b):
            ea, eb = evaluations_a.get(name), evaluations_b.get(name)
            rows += [Row(part, f"{name} holds", _flag(ea.holds) if ea else None,
                         _flag(eb.holds) if eb else None, "yes=1"),
                     Row(part, f"{name} smallest margin", ea.min_margin if ea else None,
                         eb.min_margin if eb else None, "utility points")]
    elif part == "sample":
        sa, sb = a.summaries(), b.summaries()
        # The model is named: "sample median FLOW" read as the median model's forecast.
        rows += [Row(part, f"median {i} of the {a.model} samples",
                     sa[i].median if i in sa else None,
                     sb[i].median if i in sb else None, "issue units", spans.get(i))
                 for i in _both(sa, sb)]
    return rows


def run_compare(scenario: Scenario | str | Path | None, variation: Variation | None, *,
                other: str | None, analyses: Sequence[str], step: GridStep, samples: int,
                seed: int) -> Comparison:
    from detente.analyses import run

    varied = variation is not None and not variation.is_empty
    s_a = load(scenario)
    if other is None and not varied:
        examples = scenario_examples(s_a.compile())
        # The workbench holds other (a path on its machine): there a counterfactual is the
        # one way to make B, and the refusal stands where it is given.
        taken = option_taken("other")
        raise option_error("--other" if taken else option_place("without", within="counterfactual"),
                           "nothing to compare: B is the same as A",
                           "give " + (f"another scenario ({option_text('other', 'FILE')}) or "
                                      if taken else "") + "a counterfactual (e.g. "
                           f"{option_text('without', examples['--without'])}, "
                           f"{option_text('position', examples['--position'])})")
    s_b = load(other) if other is not None else s_a
    label_b = (s_b.id if other is not None else "") + (
        ("; " if other is not None else "") + variation.describe() if varied else "")
    settle_opts = {"step": step}
    # No headline reads settle's persuasion plans or per-issue zones: not computed.
    settle_only = {"persuade": False, "zones": False}
    # One row per issue shows A, B and their difference against one span: where A and B
    # scale an issue differently, the narrower one's, so that neither side loses digits.
    spans: dict[str, float] = {}
    for i in (*s_a.issues, *s_b.issues):
        spans[i.id] = min(spans.get(i.id, math.inf), i.scale.span)
    rows: list[Row] = []
    left_out: list[str] = []
    # As the brief and the report do: the forecasts still compare; a deal where nobody must
    # agree on a side is no number (settle refuses it), so the searches are left out there,
    # asked once, before either side's search runs.
    unsettled = [name for name, ok in (("A", _settles(s_a)),
                                       ("B", _settles(s_b, variation))) if not ok]
    for part in analyses:
        if unsettled and part in NEED_A_DEAL:
            left_out.append(f"{part}: left out: on {' and '.join(unsettled)}, "
                            f"{NOBODY_MUST_AGREE}")
            continue
        pair = _part(run, part, s_a, s_b, variation, other, seed, samples, settle_opts,
                     settle_only)
        found = _headlines(part, *pair, spans) if pair is not None else []
        if not found:  # an analysis asked for shows its rows or says why it has none
            left_out.append(f"{part}: left out: {_no_rows(part)}")
        rows += found
    return Comparison(s_a.id, s_a.id, label_b or s_b.id, tuple(rows), tuple(left_out))


def _no_rows(part: str) -> str:
    """Why ``part`` gives compare no headline on either side."""
    if part == "roadmap":
        return ("neither side names a roadmap, and compare evaluates the scenarios' named "
                "roadmaps (it runs no roadmap search)")
    if part == "sample":
        return f"{option_text('samples', 0)} asks for no samples"
    return "neither side gives it a headline number"


def _settles(s: Scenario, variation: Variation | None = None) -> bool:
    """Whether somebody must agree in ``s`` under ``variation`` (settle runs on it)."""
    from detente.settlement.utility import somebody_must_agree

    arrays = s.compile()
    return somebody_must_agree(arrays if variation is None else variation.apply(arrays))


def _part(run: Any, part: str, s_a: Scenario, s_b: Scenario, variation: Variation | None,
          other: str | None, seed: int, samples: int, settle_opts: dict[str, Any],
          settle_only: dict[str, Any]) -> tuple[Any, Any] | None:
    """A's and B's results of one analysis (None: sample with no samples asked)."""
    if part == "forecast":
        return run("forecast", s_a, seed=seed).value, run("forecast", s_b, variation,
                                                          seed=seed).value
    if part == "settle":
        return _beside(run, "settle", s_a, s_b, variation, other, {**settle_opts,
                                                                    **settle_only})
    if part == "roadmap":
        return _beside(run, "roadmap", s_a, s_b, variation, other, settle_opts)
    if part == "contributions":
        return (run("contributions", s_a, seed=seed, **settle_opts).value,
                run("contributions", s_b, variation, seed=seed, **settle_opts).value)
    if samples == 0:  # sample
        return None
    return (run("sample", s_a, samples=samples, seed=seed, workers=1).value,
            run("sample", s_b, variation, samples=samples, seed=seed, workers=1).value)


def _beside(run: Any, name: str, s_a: Scenario, s_b: Scenario, variation: Variation | None,
            other: str | None, options: dict[str, Any]) -> tuple[Any, Any]:
    """The baseline outcome of A and the outcome of B (settle and roadmap show a
    counterfactual beside their baseline: B is then that variant, and one run gives both)."""
    if other is None:
        both = run(name, s_a, variation, **options).value
        return both.baseline, both.variants[0]
    a = run(name, s_a, **options).value
    b = run(name, s_b, variation, **options).value
    return a.baseline, (b.variants[0] if b.variants else b.baseline)


def view_compare(run: Result) -> View:
    c: Comparison = run.value
    t = table(f"{c.a} (A) against {c.b} (B)", ["analysis", "quantity", "A", "B", "B − A",
                                               "unit"],
              [[r.analysis, r.quantity, r.a, r.b, r.difference, r.unit] for r in c.rows],
              # On an issue, A, B and B − A with the digits its scale needs, as every table
              # writes issue units (four significant digits wrote the forecasts 1000.23 and
              # 1000.1 on a scale of 1000 to 1000.5 both as 1000; six wrote 9.45455 on 0 to
              # 20); elsewhere (utility points, counts) six significant digits.
              formats=["", "", *[units_where_on_an_issue(".6g")] * 2,
                       units_where_on_an_issue("+.4g"), ""], key="compare",
              row_spans=[r.span for r in c.rows])
    return View("", tables=(t,), notes=("– : the quantity does not exist on that side (e.g. "
                                        "the Shapley value of an actor B drops).",
                                        *c.left_out))


COMPARE = AnalysisSpec(
    name="compare", title="Compare",
    summary="Two scenarios, or a scenario and a counterfactual, side by side: every "
            "analysis's headline numbers and their difference.",
    options=(
        Option("other", str, None, "Scenario B (default: the same scenario; B then differs "
               "by the counterfactual options).", held=PATH_ON_THE_MACHINE),
        Option("analyses", str, PARTS, "Analyses to compare; repeat for several.",
               multiple=True, choices=PARTS, flags=("--analysis", "-a")),
        STEP,
        Option("samples", int, 200, "Sampled scenarios for the medians (0: skip "
               "sampling).", low=0, flags=("--samples", "-n")),
        SEED,
    ),
    run=run_compare, view=view_compare, package_search=True,
    varies=lambda scenario, options: options.get("other") or scenario,
    quick={"step": "50%", "samples": 10, "analyses": ("forecast", "settle", "sample")},
)

__all__ = ["COMPARE", "Comparison", "Row"]
