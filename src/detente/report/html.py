"""The HTML report: one self-contained, offline file an analyst can hand on.

Built from a jinja2 template shipped with the package (``report/templates``). Figures are
embedded as base64 PNG; the page loads nothing from elsewhere (no scripts, fonts or
styles from the web), reads on a phone (one column, images scale) and prints (figures
are not split across pages). Each section appears only when its analysis exists, with a
one-line reading computed from the numbers it shows.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from detente import __version__
from detente.analyses import Result
from detente.analyses.forecasting import combined_table
from detente.errors import NOBODY_MUST_AGREE, shown_on
from detente.models import REGISTRY
from detente.render import and_list, decimals_apart, fixed, fmt_shift, fmt_signed, view_html
from detente.render import fmt as _fmt  # the one number format
from detente.report.counterfactual import largest_shifts
from detente.report.kinds import KINDS, Analysis
from detente.report.style import figure_bytes
from detente.settlement.analysis import CLOSEST_RULE, broken_rules_text, closest_to_passing
from detente.settlement.api import Outcome
from detente.settlement.defaults import issue_steps, search_text


@dataclass
class FigureBlock:
    kind: str
    caption: str
    data_uri: str
    alt: str


@dataclass
class Section:
    """One section of the report. ``view``: a result's tables and notes, rendered by
    :func:`detente.render.view_html` (escaped there). ``command``: the analysis whose
    tables ``view`` holds (`detente settle`), shown folded under the figures with its name,
    so a reader can tell the terminal prints the same. To add a section, write a builder
    ``(Analysis) -> Section | list[Section] | None`` and add it to :data:`SECTIONS`."""

    id: str
    title: str
    reading: str
    figures: list[FigureBlock] = field(default_factory=list)
    view: Markup | None = None
    command: str = ""


def figure_block(analysis: Analysis, kind: str, alt: str) -> FigureBlock:
    fig = KINDS[kind].draw(analysis)
    png = figure_bytes(fig, "png", dpi=analysis.dpi)
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return FigureBlock(kind, KINDS[kind].title, uri, alt)


# --- one-line readings, computed from the numbers each section shows -------------------

def forecast_reading(analysis: Analysis) -> str:
    f = analysis.forecast
    s = f.scenario
    names = list(f.results)
    values = {m: f.values(m) for m in names}
    if len(names) == 1:
        m = names[0]
        issue = max(s.issues, key=lambda i: abs(values[m][i.id] - i.status_quo.value))
        return (f"{m} moves furthest from the status quo on {issue.name}: "
                f"{_fmt(issue.status_quo.value, issue.scale.span)} → "
                f"{_fmt(values[m][issue.id], issue.scale.span)} {issue.units}.")
    # The brief's measure and ranking (Forecast.spread), over the models this section shows.
    spread = f.spread(names)
    (issue, _), agree = spread[0], spread[-1]
    column = {m: values[m][issue.id] for m in names}
    lo_m, hi_m = min(column, key=column.__getitem__), max(column, key=column.__getitem__)
    move = {m: np.mean([100 * abs(values[m][i.id] - i.status_quo.value)
                        / (i.scale.high - i.scale.low) for i in s.issues]) for m in names}
    boldest = max(move, key=move.__getitem__)
    stillest = min(move, key=move.__getitem__)
    if _fmt(100 * spread[0][1]) == _fmt(100 * agree[1]):  # a tie, said as one (the brief does)
        opening = (f"The {len(names)} models differ alike on every issue (within "
                   f"{_fmt(100 * agree[1])}% of each one's scale), on {issue.name} ")
    else:
        opening = (f"The {len(names)} models agree most on {agree[0].name} (within "
                   f"{_fmt(100 * agree[1])}% of the scale) and differ most on {issue.name} ")
    return (f"{opening}({lo_m} {_fmt(column[lo_m], issue.scale.span)} to {hi_m} "
            f"{_fmt(column[hi_m], issue.scale.span)} {issue.units}); "
            f"{boldest} moves furthest from the status quo (on average "
            f"{_fmt(move[boldest])}% of the scale), {stillest} least ({_fmt(move[stillest])}%).")


def issue_map_reading(analysis: Analysis) -> str:
    a = analysis.forecast.arrays
    s = analysis.scenario
    weight = a.weight * a.stake
    share = weight / np.maximum(weight.sum(axis=0, keepdims=True), 1e-300)
    mean = (share * a.position).sum(axis=0)
    spread = 100 * np.sqrt((share * (a.position - mean) ** 2).sum(axis=0))
    hot, calm = int(np.argmax(spread)), int(np.argmin(spread))
    pull = share.mean(axis=1)
    top = int(np.argmax(pull))
    return (f"Actors stand furthest apart on {s.issues[hot].name} (weighted spread "
            f"{_fmt(spread[hot])}% of the scale) and closest on {s.issues[calm].name} "
            f"({_fmt(spread[calm])}%); {s.name_of(a.actor_ids[top])} carries the most weight "
            f"(capability × salience) on average, {_fmt(100 * pull[top])}% of each issue.")


def trajectory_reading(analysis: Analysis) -> str:
    f = analysis.forecast
    model = analysis.stepwise[0]
    paths = f.trajectory(model) or {}
    rounds = [len(p) - 1 for p in paths.values()]
    best = (0.0, "", "", 0.0, 0.0, 0.0)
    for issue in f.scenario.issues:
        path = np.asarray(paths[issue.id])
        moved = np.abs(path[-1] - path[0])
        a = int(np.argmax(moved))
        if moved[a] > best[0]:
            best = (float(moved[a]), f.scenario.name_of(f.arrays.actor_ids[a]), issue.name,
                    float(path[0, a]), float(path[-1, a]), issue.scale.span)
    text = (f"{model} runs {min(rounds)} to {max(rounds)} rounds per issue"
            if rounds and min(rounds) != max(rounds) else f"{model} runs {max(rounds or [0])} "
            "rounds")
    if best[0] > 0:
        text += (f"; the largest move is {best[1]} on {best[2]}, from "
                 f"{_fmt(best[3], best[5])} to {_fmt(best[4], best[5])}")
    return text + "."


def counterfactual_reading(analysis: Analysis) -> str:
    cf = analysis.without_actor
    s = analysis.scenario
    names = [s.name_of(a) for a in cf.actor_ids]
    issues = [s.name_of(i) for i in cf.issue_ids]
    shifts = largest_shifts(cf, names, issues)
    if not shifts:
        return ("Without any one actor nobody cares about any issue (salience 0): there is "
                "no forecast to compare.")
    (actor, issue, shift), = shifts
    moved = s.issue(cf.issue_ids[issues.index(issue)])
    text = (f"Leaving out {actor} moves the {cf.model} forecast most: {issue} by "
            f"{fmt_shift(shift, moved.scale.span)} {moved.units}")
    # "Least in total" compares whole rows: an actor without whom an issue has no forecast
    # is named apart, not ranked on the issues that are left.
    whole = cf.defined.all(axis=1)
    if whole.any():
        total = np.abs(np.where(cf.defined, cf.shift, 0.0)).sum(axis=1)
        least = names[int(np.argmin(np.where(whole, total, total.max() + 1.0)))]
        text += f"; leaving out {least} changes the least in total"
    if not whole.all():
        alone = and_list([names[a] for a in np.flatnonzero(~whole)])
        text += (f"; without {alone} some issue has no forecast, as nobody else cares "
                 "about it")
    return text + "."


# --- sections -----------------------------------------------------------------------

def result_view(result: Result, keys: Collection[str] | None = None,
                skip: Collection[str] = ()) -> Markup:
    """A result's tables as `detente ANALYSIS` prints them (its own View, through the one
    HTML renderer), with its notes: only the tables named by ``keys`` (all when None), less
    those named by ``skip``."""
    view = result.view()
    tables = tuple(t for t in view.tables
                   if (keys is None or t.key in keys) and t.key not in skip)
    return Markup(view_html(dataclasses.replace(view, tables=tables)))


def forecast_view(analysis: Analysis) -> Markup:
    """The forecast table as `detente forecast` shows it; the combined forecast has its
    own section."""
    return result_view(analysis.result("forecast"), keys={"forecast"})


def sources_items(analysis: Analysis) -> list[dict[str, Any]]:
    """Every note and source the scenario carries, with the place it belongs to."""
    s = analysis.scenario
    items: list[dict[str, Any]] = []
    if s.sources:
        items.append({"where": "Scenario", "notes": [], "sources": list(s.sources)})
    if s.note:
        items.append({"where": "Scenario", "notes": [s.note], "sources": []})
    for issue in s.issues:
        notes = [n for n in (issue.note, issue.status_quo.note and
                             f"status quo: {issue.status_quo.note}") if n]
        sources = list(issue.sources) + ([issue.status_quo.source] if issue.status_quo.source
                                         else [])
        if notes or sources:
            items.append({"where": issue.name, "notes": notes, "sources": sources})
    for actor in s.actors:
        notes = [n for n in (actor.capability.note and f"capability: {actor.capability.note}",
                             actor.note) if n]
        sources = list(actor.sources) + ([actor.capability.source] if actor.capability.source
                                         else [])
        if notes or sources:
            items.append({"where": actor.name, "notes": notes, "sources": sources})
    for actor_id, row in s.stances.items():
        notes = [stance.note for stance in row.values() if stance.note]
        if notes:
            items.append({"where": f"Stances of {s.name_of(actor_id)}", "notes": notes,
                          "sources": []})
    return items


def _on_grid(outcome: Outcome) -> str:
    """" on the search's grid" where a named package passes (with values off the grid, or
    guarantors of its own): the empty zone is then the grid's, not every deal's."""
    return " on the search's grid" if any(p.acceptable for p in outcome.packages) else ""


def settlement_reading(analysis: Analysis) -> str:
    st = analysis.settled
    base = analysis.deal
    s = analysis.scenario
    named = [p for p in base.packages if s.moved_issues(p.values)]
    ok = [p for p in named if p.acceptable]
    parts = [f"{len(ok)} of the {len(named)} named packages that move anything "
             "satisfy every party"] if named else []
    if base.zone_exists and base.best is not None:
        best = base.best
        worst = base.worst_off(best)
        size = f"{base.zone_size:,} packages" if base.zone_size is not None else "packages"
        parts.append(f"with {search_text(st.step, st.steps)} the search finds {size} that "
                     "do; the best "
                     f"by Nash product moves {len(best.changed)} issues and gives the "
                     f"worst-off veto player, {s.name_of(worst)}, "
                     f"{fmt_signed(best.gains[worst], 1)} utility points")
    else:
        parts.append(f"with {search_text(st.step, st.steps)} no package{_on_grid(base)} "
                     "satisfies every party")
    near = closest_to_passing(named)
    if near is not None:
        parts.append(f"{near.name} comes closest among the blocked ({CLOSEST_RULE}), held up "
                     f"by {and_list([s.name_of(a) for a in near.blockers])}"
                     + (f" and by {broken_rules_text(near)}" if near.broken_rules else ""))
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def contributions_reading(analysis: Analysis) -> str:
    c = analysis.contributions
    s = analysis.scenario
    step = analysis.settings["contributions"]["step"]
    searched = f" (Shapley values with {search_text(step, issue_steps(s, step))})."
    if c.adds_nothing:
        return (f"No guarantor changes the best deal's worth ({fixed(c.grand_value)} utility "
                "points with every guarantor or none): the deal does not depend on who "
                "guarantees it" + searched)
    ranked = sorted(c.shapley, key=lambda a: -c.shapley[a])
    top = ranked[0]
    idle = [s.name_of(a) for a in ranked if abs(c.shapley[a]) < 1e-9]
    # Guarantees add v(N) − v(∅): the deal's worth less what it is worth with no guarantor.
    text = (f"As a guarantor, {s.name_of(top)} adds most to the deal: {fixed(c.shapley[top])} of "
            f"the {fixed(c.added)} utility points that guarantees add to it "
            f"({fixed(100 * (c.share(top) or 0.0), 0)}%; {fixed(c.empty_value)} with no guarantor, "
            f"{fixed(c.grand_value)} with all)")
    if idle:
        text += f"; {and_list(idle)} add{'s' if len(idle) == 1 else ''} nothing as guarantor"
    return text + searched


def settlement_counterfactual_reading(analysis: Analysis) -> str:
    st = analysis.settlement
    s = analysis.scenario
    base = st.baseline.best.nash if st.baseline.best else 0.0
    variants = [(v.best.nash if v.best else 0.0, v) for v in st.variants]
    kept = [s.name_of(a) for a in s.actor_ids if a not in analysis.can_leave_out]
    # Without such an actor there is no scenario: nobody else left, or nobody who cares
    # about one of the issues (the forecast map says "no forecast" there).
    vetoes = [s.name_of(a) for a in analysis.can_leave_out if a not in analysis.settles_without]
    alone = " ".join(
        ([f"{and_list(kept)} cannot be left out: without "
          f"{'it' if len(kept) == 1 else 'each'} nobody is left who cares about some "
          "issue."] if kept else [])
        + ([f"Without {and_list(vetoes)} nobody is left who must agree, so there is nothing "
            "to settle."] if vetoes else []))
    if not variants:
        return alone
    high_v, high = max(variants, key=lambda t: t[0])
    low_v, low = min(variants, key=lambda t: t[0])
    name = lambda v: s.name_of(v.label.removeprefix("without "))  # noqa: E731
    # Two decimals, more where the worth without an actor would read as with everybody's.
    places = max(decimals_apart(high_v, base, 2), decimals_apart(low_v, base, 2))
    text = (f"Without {name(high)} the best deal is worth most ({high_v:.{places}f} against "
            f"{base:.{places}f} with everybody); without {name(low)} least "
            f"({low_v:.{places}f})")
    empty = [name(v) for v in st.variants if not v.zone_exists]
    if empty:
        text += f"; without {and_list(empty)} no package satisfies every party"
    return f"{text}. {alone}".strip()


def uncertainty_reading(analysis: Analysis) -> str:
    r = analysis.sampled
    s = analysis.scenario
    summaries = r.summaries()

    def width(i: str) -> float:
        issue = s.issue(i)
        lo, hi = summaries[i].interval90
        return (hi - lo) / (issue.scale.high - issue.scale.low)

    wide = max(summaries, key=width)
    narrow = min(summaries, key=width)
    away = [i for i, sm in summaries.items()
            if not sm.interval90[0] <= s.issue(i).status_quo.value <= sm.interval90[1]]

    def interval(i: str) -> str:
        lo, hi = summaries[i].interval90
        issue = s.issue(i)
        return f"{_fmt(lo, issue.scale.span)}–{_fmt(hi, issue.scale.span)} {issue.units}"

    return (f"Over {r.samples:,} sampled scenarios the {r.model} forecast is least certain on "
            f"{s.name_of(wide)} (90% interval {interval(wide)}) and most certain on "
            f"{s.name_of(narrow)} ({interval(narrow)}); on {len(away)} of {len(summaries)} issues "
            "the 90% interval leaves out the status quo.")


def tornado_reading(analysis: Analysis) -> str:
    from detente.report.uncertainty import input_label

    r = analysis.sensitivity
    issues = list(analysis.issues or [])
    issue = issues[0] if issues else r.outputs[int(np.nanargmax(r.variance))]
    data = r.tornado(issue, 1)
    label = input_label(data["labels"][0], analysis.scenario, issue)
    span = (analysis.scenario.issue(issue).scale.span if issue in analysis.scenario.issue_ids
            else None)
    total = data["total"][0]
    if total is None:
        return (f"The {r.model} forecast of {analysis.scenario.name_of(issue)} does not vary "
                "over the samples, so no input moves it (its Sobol indices are undefined).")
    return (f"The {r.model} forecast of {analysis.scenario.name_of(issue)} varies most of all "
            f"issues; {label} moves it most (total Sobol index {fixed(total)}): from "
            f"{_fmt(data['low'][0], span)} to {_fmt(data['high'][0], span)} between its 5th "
            "and 95th percentiles.")


def accuracy_reading(analysis: Analysis) -> str:
    result = analysis.accuracy
    assert result is not None
    scores = [sc for sc in result.scores() if np.isfinite(sc.value["mae"])]
    models = [sc for sc in scores if result.kinds[sc.predictor] != "baseline"] or scores
    best = min(models, key=lambda sc: sc.value["mae"])
    worst = max(models, key=lambda sc: sc.value["mae"])
    interval = best.interval("mae")
    spread = (f"95% interval {fixed(interval[0], 1)}–{fixed(interval[1], 1)}" if interval
              else "no interval: one group of outcomes")
    return (f"On {best.n_issues} issues, {best.predictor} misses the observed outcome least "
            f"(mean absolute error {fixed(best.value['mae'], 1)} points, {spread}) and "
            f"{worst.predictor} most ({fixed(worst.value['mae'], 1)}).")


SectionBuilder = Callable[[Analysis], Section | None]


def _brief(analysis: Analysis) -> Section:
    """The answer first: the brief (detente brief), written from the results the report
    has already computed (its forecast, settlement, contributions and sample)."""
    from detente.brief import BriefInputs, compose_brief
    from detente.glossary import with_terms

    searched = analysis.searches
    brief = compose_brief(BriefInputs(
        analysis.scenario, analysis.forecast, analysis.settled if searched else None,
        analysis.brief_contributions if searched else None, analysis.sampled,
        None if analysis.variation.is_empty else analysis.variation))
    parts: list[Markup] = []
    for part in brief.sections:
        parts.append(Markup("<h3>{}</h3>").format(part.heading))
        # with_terms escapes the text and adds only its own <abbr> titles.
        parts += [Markup("<p>{}</p>").format(Markup(with_terms(p))) for p in part.paragraphs]
    return Section("brief", "The answer in plain words",
                   "Every sentence below is written from the numbers in the sections that "
                   "follow (`detente brief` prints the same page; terms: docs/glossary.md).",
                   view=Markup("").join(parts))


def _forecasts(analysis: Analysis) -> Section:
    return Section(
        "forecasts", "Forecasts of all models", forecast_reading(analysis),
        figures=[figure_block(analysis, "comparison",
                              "Each model's forecast and the status quo on every issue")],
        view=forecast_view(analysis))


def _combined(analysis: Analysis) -> Section | None:
    """The combined forecast (detente.combine) the forecast formed, with the combination
    its settings name (``--set forecast.combination=FILE``), worded from that file's
    provenance; none where the forecast formed none (``--set forecast.combined=no``)."""
    from detente.combine import fitted_on
    from detente.view import View

    f = analysis.forecast
    c = f.combined
    if c is None:
        return None
    widest = int(np.argmax(c.intervals[0.8][1] - c.intervals[0.8][0]))
    stack = and_list([f"{m} {fixed(w)}" for m, w in c.combination.stack.items() if w > 0])
    held = (c.combination.provenance.get("out_of_fold") or {}).get("coverage", {}).get("0.8")
    record = (f" that held {fixed(100 * held, 0)}% of held-out outcomes there"
              if isinstance(held, int | float) and math.isfinite(held) else "")
    reading = (f"One number per issue: the models combined with weights fitted on "
               f"{fitted_on(c.combination)} — {stack} — with an 80% interval{record}. The "
               f"interval is widest on {f.scenario.issues[widest].name}; the models' lowest "
               "and highest forecasts show how far they disagree. On negotiations other than "
               "those it was calibrated on, the interval is a yardstick, not a guarantee.")
    # The forecast's own table (the combination its setting named), not a second one.
    tables = (combined_table(f),)
    return Section("combined", "Combined forecast with its interval", reading,
                   view=Markup(view_html(View("", tables=tables))))


def _issue_map(analysis: Analysis) -> Section:
    return Section("issue-map", "Where the actors stand", issue_map_reading(analysis),
                   figures=[figure_block(analysis, "issue-map",
                                         "Actors on each issue's scale with the forecasts")])


def _trajectories(analysis: Analysis) -> Section | None:
    if KINDS["trajectories"].unavailable(analysis):
        return None
    return Section("trajectories", "How the bargaining moves", trajectory_reading(analysis),
                   figures=[figure_block(analysis, "trajectories",
                                         "Positions of every actor per round")])


def _settlement(analysis: Analysis) -> Section:
    if not analysis.searches:
        return Section("settlement", "Settlement: which package can everybody accept",
                       "No package is searched, so the zones, the guarantors, the roadmaps "
                       f"and the deal without each actor are left out too: {NOBODY_MUST_AGREE}.")
    return Section("settlement", "Settlement: which package can everybody accept",
                   settlement_reading(analysis),
                   figures=[] if KINDS["settlement"].unavailable(analysis) else [
                       figure_block(analysis, "settlement",
                                    "Each actor's gain from each package")],
                   view=result_view(analysis.result("settle"), skip=ZONE_TABLES),
                   command="settle")


#: The settle tables the zones section shows rather than the settlement section.
ZONE_TABLES = frozenset({"issue-zones"})


def _efficient_exact(analysis: Analysis) -> bool:
    zones = analysis.deal.zones
    return zones is None or bool(zones.efficient_exact)


def zones_reading(analysis: Analysis) -> str:
    base = analysis.deal
    s = analysis.scenario
    if base.zones is None or not base.zone_exists:
        return f"No package{_on_grid(base)} satisfies every party, so no issue has a zone."
    widths = []
    for z in base.zones.issues:
        lo, hi = z.scale
        if z.zone_min is not None and z.zone_max is not None:
            widths.append(((z.zone_max - z.zone_min) / (hi - lo), z))
    narrow = min(widths, key=lambda t: t[0])[1]
    tight = s.issue(narrow.issue)
    text = (f"The tightest issue is {tight.name}: acceptable packages put it between "
            f"{_fmt(narrow.zone_min, tight.scale.span)} and "
            f"{_fmt(narrow.zone_max, tight.scale.span)} "
            f"(status quo {_fmt(narrow.status_quo, tight.scale.span)})")
    no_frontier = KINDS["frontier"].unavailable(analysis)
    if no_frontier:
        return f"{text}; no frontier is drawn: {no_frontier}."
    a, b = analysis.frontier_actors
    pts = analysis.frontier.points
    if pts:
        (a_first, b_first), (a_last, b_last) = pts[0], pts[-1]
        text += (f"; along the frontier {s.name_of(a)}'s gain ranges from "
                 f"{fmt_signed(a_first, 1)} to {fmt_signed(a_last, 1)} while {s.name_of(b)}'s "
                 f"falls from {fmt_signed(b_first, 1)} to {fmt_signed(b_last, 1)} utility points")
    return text + "."


def roadmap_reading(analysis: Analysis) -> str:
    r = analysis.roadmap
    s = analysis.scenario
    if not r.baseline.evaluations:
        return ""
    e = r.baseline.evaluations[0]
    if e.holds:
        text = f"{e.name} holds at every stage (smallest margin {fmt_signed(e.min_margin, 1)})"
    elif e.first_break is None:  # every party stays, but a stage breaks a package rule
        text = f"{e.name} breaks the package rule at {e.broken_rules[0]}"
    else:
        b = e.first_break
        who = and_list([s.name_of(x.actor) for x in e.breaks if x.stage == b.stage])
        text = f"{e.name} breaks at stage {b.stage}, where {who} would rather defect"
    for ls in r.learning_scans:
        held = ls.holding(e.id)
        pairs = ", ".join(f"{x}.{y}" for x, y in ls.pairs)
        text += (f"; {ls.label} ({pairs} scanned 0–1, learning 0–1): "
                 + (f"holds at {len(held)} of {len(ls.trust) * len(ls.learning)} points"
                    if held else "it breaks at every scanned point"))
    return text + "."


def _zones(analysis: Analysis) -> Section | None:
    if not analysis.searches:  # said in the settlement section
        return None
    return Section("zones", "Where the deal can land, issue by issue",
                   zones_reading(analysis),
                   figures=[figure_block(analysis, "issue-zones",
                                         "Each issue's range in acceptable and efficient "
                                         "packages" + ("" if _efficient_exact(analysis)
                                                       else " (the efficient range is an "
                                                       "inner range: see the legend)")),
                            *([] if KINDS["frontier"].unavailable(analysis) else [
                                figure_block(analysis, "frontier",
                                             "The efficiency frontier of the acceptable "
                                             "packages with the named packages")])],
                   view=result_view(analysis.result("settle"), keys=ZONE_TABLES),
                   command="settle")


def _roadmap(analysis: Analysis) -> Section | None:
    if not analysis.searches or KINDS["roadmap"].unavailable(analysis):
        return None
    figures = [figure_block(analysis, "roadmap", "A named roadmap stage by stage")]
    if not KINDS["roadmap-scan"].unavailable(analysis):
        figures.append(figure_block(analysis, "roadmap-scan",
                                    "The roadmap's smallest margin over trust and learning"))
    return Section("roadmap", "Roadmap: does a staged path hold", roadmap_reading(analysis),
                   figures=figures, view=result_view(analysis.roadmap_run),
                   command="roadmap --scan ... --scan-learning")


def _contributions(analysis: Analysis) -> Section | None:
    if not analysis.searches:  # said in the settlement section
        return None
    return Section("contributions", "Guarantors: what each actor adds to the deal",
                   contributions_reading(analysis),
                   figures=[figure_block(analysis, "contributions",
                                         "Shapley value of each actor as a guarantor")],
                   view=result_view(analysis.result("contributions")),
                   command="contributions")


def _counterfactuals(analysis: Analysis) -> list[Section]:
    forecasts = Section("counterfactuals", "Counterfactuals: forecasts without each actor",
                        counterfactual_reading(analysis),
                        figures=[figure_block(analysis, "without-actor",
                                              "Shift of each forecast when one actor is "
                                              "left out")])
    if not analysis.searches:  # said in the settlement section
        return [forecasts]
    return [
        forecasts,
        Section("settlement-without", "Counterfactuals: the deal without each actor",
                settlement_counterfactual_reading(analysis),
                figures=[figure_block(analysis, "settlement-without",
                                      "Best package and zone of agreement without each "
                                      "actor")],
                view=result_view(analysis.without_each, keys={"zone", "best"}),
                command="settle --separately --without A --without B ..."),
    ]


def _uncertainty(analysis: Analysis) -> list[Section]:
    return [
        Section("uncertainty", "Uncertainty: how sure are the forecasts",
                uncertainty_reading(analysis),
                figures=[figure_block(analysis, "uncertainty",
                                      "Forecast distributions over sampled scenarios")],
                view=result_view(analysis.result("sample")), command="sample"),
        Section("sensitivity", "Sensitivity: which inputs matter", tornado_reading(analysis),
                figures=[figure_block(analysis, "tornado", "Tornado chart of one issue")],
                view=result_view(analysis.result("sensitivity")), command="sensitivity"),
    ]


def _accuracy(analysis: Analysis) -> Section | None:
    if analysis.accuracy is None:
        return None
    return Section("accuracy", "Track record: predicted against observed",
                   accuracy_reading(analysis),
                   figures=[figure_block(analysis, "accuracy",
                                         "Predicted against observed outcomes, per model")])


def _settings(analysis: Analysis) -> Section:
    """The options every analysis ran with (the registry's, defaults filled in)."""
    from detente.analyses import ANALYSES
    from detente.view import View, table

    rows = []
    for name, options in analysis.settings.items():
        for option in ANALYSES[name].options:
            value = options[option.name]
            shown = ", ".join(map(str, value)) if isinstance(value, tuple) else value
            rows.append([name, option.name, "default" if value is None else shown,
                         option.unit])
    view = View("", tables=(table("", ["analysis", "option", "value", "unit"], rows),))
    shown = (f" The counterfactual ({analysis.counterfactual}) is every analysis's, as "
             "`detente ANALYSIS` takes its flags (--without, --position, ...)."
             if analysis.counterfactual else "")
    return Section("settings", "Settings", "Every option of every analysis above, as "
                   "`detente ANALYSIS` takes it; change one with `detente report --set "
                   "ANALYSIS.OPTION=VALUE`." + shown, view=Markup(view_html(view)))


SECTIONS: tuple[Callable[[Analysis], Section | list[Section] | None], ...] = (
    _brief, _forecasts, _combined, _issue_map, _trajectories, _settlement, _zones, _contributions,
    _roadmap, _counterfactuals, _uncertainty, _accuracy, _settings)


#: The analyses the report reads, in the order it needs them, each named as a progress step.
STEPS = (("forecasting with every model", "forecast"),
         ("leaving out each actor", "without_actor"),
         ("searching packages", "settlement"),
         ("Shapley values of the guarantors", "contributions"),
         ("sampling scenarios", "sampled"),
         ("sensitivity indices", "sensitivity"))
#: The steps that search packages, left out where nobody must agree.
SEARCHES = ("settlement", "contributions")


def render_report(analysis: Analysis, progress: Callable[[str], None] | None = None) -> str:
    """The whole report as one HTML string; ``progress(step)`` names each step as it begins
    (`detente report` shows it on stderr)."""
    # The report reads these cached analyses; computing them here, in its order, lets the
    # progress line name each (same settings, same numbers), and a refusal of one is worded
    # for the interface that runs the report.
    for step, name in STEPS:
        if name in SEARCHES and not analysis.searches:
            continue
        if progress is not None:
            progress(step)
        getattr(analysis, name)
    if progress is not None:
        progress("drawing the figures")
    # A document, the same file from every interface, that cites the command line
    # (`detente settle`, `detente report --set`): its text names options as that does.
    with shown_on("command line"):
        return _page(analysis)


def _page(analysis: Analysis) -> str:
    sections: list[Section] = []
    for build in SECTIONS:
        built = build(analysis)
        if isinstance(built, Section):
            sections.append(built)
        elif built:
            sections.extend(built)
    env = Environment(loader=PackageLoader("detente.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                      lstrip_blocks=True)
    s = analysis.scenario
    return env.get_template("report.html.j2").render(
        scenario=s, sections=sections, sources=sources_items(analysis),
        counterfactual=analysis.counterfactual,
        actors=[{"name": a.name, "capability": _fmt(a.capability.value), "veto": a.veto}
                for a in s.actors],
        models=[{"name": m, "title": REGISTRY[m].title, "reference": REGISTRY[m].reference}
                for m in analysis.forecast.results if m in REGISTRY],
        seed=analysis.seed, version=__version__, today=dt.date.today().isoformat())
