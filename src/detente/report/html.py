"""The HTML report: one self-contained, offline file an analyst can hand on.

Built from a jinja2 template shipped with the package (``report/templates``). Figures are
embedded as base64 PNG; the page loads nothing from elsewhere (no scripts, fonts or
styles from the web), reads on a phone (one column, images scale) and prints (figures
are not split across pages). Each section appears only when its analysis exists, with a
one-line reading computed from the numbers it shows.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from jinja2 import Environment, PackageLoader, select_autoescape

from detente import __version__
from detente.models import REGISTRY
from detente.report.counterfactual import largest_shifts
from detente.report.kinds import KINDS, Analysis
from detente.report.style import figure_bytes


@dataclass
class FigureBlock:
    kind: str
    caption: str
    data_uri: str
    alt: str


@dataclass
class Section:
    id: str
    title: str
    reading: str
    figures: list[FigureBlock] = field(default_factory=list)
    table: dict[str, Any] | None = None
    items: list[dict[str, Any]] = field(default_factory=list)


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def figure_block(analysis: Analysis, kind: str, alt: str, dpi: int = 110) -> FigureBlock:
    fig = KINDS[kind].draw(analysis)
    png = figure_bytes(fig, "png", dpi=dpi)
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return FigureBlock(kind, KINDS[kind].title, uri, alt)


# --- one-line readings, computed from the numbers each section shows -------------------

def forecast_reading(analysis: Analysis) -> str:
    f = analysis.forecast
    s = f.scenario
    names = list(f.results)
    values = {m: f.values(m) for m in names}
    spans = []
    for issue in s.issues:
        column = {m: values[m][issue.id] for m in names}
        low_model = min(column, key=column.__getitem__)
        high_model = max(column, key=column.__getitem__)
        width = issue.scale.high - issue.scale.low
        spans.append((100 * (column[high_model] - column[low_model]) / width, issue,
                      low_model, high_model, column))
    if len(names) == 1:
        m = names[0]
        issue = max(s.issues, key=lambda i: abs(values[m][i.id] - i.status_quo.value))
        return (f"{m} moves furthest from the status quo on {issue.name}: "
                f"{_fmt(issue.status_quo.value)} → {_fmt(values[m][issue.id])} {issue.units}.")
    agree = min(spans, key=lambda t: t[0])
    split = max(spans, key=lambda t: t[0])
    _, issue, lo_m, hi_m, column = split
    move = {m: np.mean([100 * abs(values[m][i.id] - i.status_quo.value)
                        / (i.scale.high - i.scale.low) for i in s.issues]) for m in names}
    boldest = max(move, key=move.__getitem__)
    stillest = min(move, key=move.__getitem__)
    return (f"The {len(names)} models agree most on {agree[1].name} (within "
            f"{_fmt(agree[0])}% of the scale) and differ most on {issue.name} "
            f"({lo_m} {_fmt(column[lo_m])} to {hi_m} {_fmt(column[hi_m])} {issue.units}); "
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
    best = (0.0, "", "", 0.0, 0.0)
    for issue in f.scenario.issues:
        path = np.asarray(paths[issue.id])
        moved = np.abs(path[-1] - path[0])
        a = int(np.argmax(moved))
        if moved[a] > best[0]:
            best = (float(moved[a]), f.scenario.name_of(f.arrays.actor_ids[a]), issue.name,
                    float(path[0, a]), float(path[-1, a]))
    text = (f"{model} runs {min(rounds)} to {max(rounds)} rounds per issue"
            if rounds and min(rounds) != max(rounds) else f"{model} runs {max(rounds or [0])} "
            "rounds")
    if best[0] > 0:
        text += (f"; the largest move is {best[1]} on {best[2]}, from {_fmt(best[3])} to "
                 f"{_fmt(best[4])}")
    return text + "."


def counterfactual_reading(analysis: Analysis) -> str:
    cf = analysis.without_actor
    s = analysis.scenario
    names = [s.name_of(a) for a in cf.actor_ids]
    issues = [s.name_of(i) for i in cf.issue_ids]
    (actor, issue, shift), = largest_shifts(cf, names, issues)
    total = np.abs(cf.shift).sum(axis=1)
    least = names[int(np.argmin(total))]
    units = s.issue(cf.issue_ids[issues.index(issue)]).units
    return (f"Leaving out {actor} moves the {cf.model} forecast most: {issue} by "
            f"{'+' if shift >= 0 else ''}{_fmt(shift)} {units}; leaving out {least} changes "
            "the least in total.")


# --- sections -----------------------------------------------------------------------

def forecast_table(analysis: Analysis) -> dict[str, Any]:
    f = analysis.forecast
    names = list(f.results)
    rows = []
    for issue in f.scenario.issues:
        cells = []
        for m in names:
            value = f.values(m)[issue.id]
            anchor = issue.nearest_anchor(value)
            cells.append({"value": _fmt(value), "anchor": anchor.label if anchor else ""})
        sq_anchor = issue.nearest_anchor(issue.status_quo.value)
        rows.append({"issue": issue.name, "units": issue.units,
                     "status_quo": {"value": _fmt(issue.status_quo.value),
                                    "anchor": sq_anchor.label if sq_anchor else ""},
                     "cells": cells})
    return {"models": [{"name": m, "title": REGISTRY[m].title if m in REGISTRY else m}
                       for m in names], "rows": rows}


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


SectionBuilder = Callable[[Analysis], Section | None]


def _forecasts(analysis: Analysis) -> Section:
    return Section(
        "forecasts", "Forecasts of all models", forecast_reading(analysis),
        figures=[figure_block(analysis, "comparison",
                              "Each model's forecast and the status quo on every issue")],
        table=forecast_table(analysis))


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


def _counterfactuals(analysis: Analysis) -> Section:
    return Section("counterfactuals", "Counterfactuals: without each actor",
                   counterfactual_reading(analysis),
                   figures=[figure_block(analysis, "without-actor",
                                         "Shift of each forecast when one actor is left out")])


SECTIONS: tuple[SectionBuilder, ...] = (_forecasts, _issue_map, _trajectories, _counterfactuals)


def render_report(analysis: Analysis) -> str:
    """The whole report as one HTML string."""
    sections = [section for build in SECTIONS if (section := build(analysis)) is not None]
    env = Environment(loader=PackageLoader("detente.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                      lstrip_blocks=True)
    s = analysis.scenario
    return env.get_template("report.html.j2").render(
        scenario=s, sections=sections, sources=sources_items(analysis),
        actors=[{"name": a.name, "capability": _fmt(a.capability.value), "veto": a.veto}
                for a in s.actors],
        models=[{"name": m, "title": REGISTRY[m].title, "reference": REGISTRY[m].reference}
                for m in analysis.forecast.results if m in REGISTRY],
        seed=analysis.seed, version=__version__, today=dt.date.today().isoformat())
