"""Roadmap figure: stages × issues, and who is tempted to defect where.

Top block: one row per issue, one column per stage (the status quo first); a cell's shade is
how much of the issue's whole move (status quo → final value) is done by that stage, its
text the value, bold where the stage moves the issue. Bottom block: one row per veto
player; at each stage a marker says whether it stays (green circle), stays but is tempted to
stop (orange triangle: banked gains above what it expects from going on) or leaves
(vermillion cross), with its margin in utility points.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from detente.render import fmt, fmt_signed
from detente.report.style import (
    INK,
    MUTED,
    OKABE_ITO,
    SALIENCE_CMAP,
    new_figure,
    row_inches,
    wrap,
)
from detente.roadmaps.api import RoadmapAnalysis, RoadmapEvaluation

STAYS = (OKABE_ITO["bluish_green"], "o")
TEMPTED = (OKABE_ITO["orange"], "^")
LEAVES = (OKABE_ITO["vermillion"], "X")


def _pick(source: RoadmapAnalysis | RoadmapEvaluation, roadmap: str | None, outcome: str
          ) -> tuple[RoadmapEvaluation, dict[str, float], dict[str, str]]:
    if isinstance(source, RoadmapEvaluation):
        return source, {}, {}
    chosen = None
    for o in source.outcomes:
        if o.label == outcome:
            chosen = o
    if chosen is None:
        raise ValueError(f"no outcome '{outcome}'; have {[o.label for o in source.outcomes]}")
    s = source.scenario
    status = {i.id: float(i.status_quo.value) for i in s.issues}
    names = {i.id: i.name for i in s.issues}
    if roadmap in (None, "found") and chosen.search is not None and chosen.search.found:
        return chosen.search.found, status, names
    if roadmap == "found":
        raise ValueError("the search found no roadmap that holds (or none was run); draw a "
                         "near miss ('near miss 1') or a named roadmap instead")
    if roadmap is None:
        if not chosen.evaluations:
            raise ValueError("nothing to draw: no named roadmap and no roadmap found")
        return chosen.evaluations[0], status, names
    if roadmap.startswith("near miss") and chosen.search is not None:
        for miss in chosen.search.near_misses:
            if miss.id == roadmap:
                return miss, status, names
    return chosen.evaluation(roadmap), status, names


def roadmap_figure(source: RoadmapAnalysis | RoadmapEvaluation, roadmap: str | None = None,
                   *, outcome: str = "baseline", ax: Axes | None = None) -> Figure:
    """Draw one roadmap: stages × issues (how far each issue has moved) and, per veto player
    and stage, whether it stays, is tempted to stop, or leaves.

    ``source``: the result of :func:`detente.roadmap` (``roadmap``: a named roadmap id,
    ``"found"`` for the search's roadmap, ``"near miss 1"`` …; default the found roadmap,
    else the first named one; ``outcome``: ``"baseline"`` or a counterfactual's label), or
    one :class:`~detente.roadmaps.RoadmapEvaluation`. Returns the Figure; never shows it.
    """
    e, status, names = _pick(source, roadmap, outcome)
    scenario = source.scenario if isinstance(source, RoadmapAnalysis) else None
    stages = e.stages
    issues = list(stages[0].values)
    actors = list(stages[0].banked)
    n_s, n_i, n_a = len(stages), len(issues), len(actors)
    if not status:  # an evaluation alone: infer the status quo from the first stage
        status = {i: stages[0].values[i] for i in issues}
        for i in issues:
            if i in stages[0].moved:
                status[i] = float("nan")
    rows = n_i + 1 + n_a
    if ax is None:
        width = 2.4 + 1.35 * (n_s + 1)
        height = 1.2 + row_inches(rows, 0.32) * rows
        fig = new_figure(width, height)
        ax = fig.add_axes((2.0 / width, 0.35 / height, 1 - 2.3 / width, 1 - 1.05 / height))
    fig = ax.get_figure()
    assert isinstance(fig, Figure)

    values = np.array([[status[i]] + [st.values[i] for st in stages] for i in issues])
    start, final = values[:, :1], values[:, -1:]
    # Whether an issue moves is the roadmap's own word (each stage's ``moved``, told apart
    # at its scale's value tolerance): an evaluation drawn alone brings no scale to judge by.
    moves = np.array([[any(i in st.moved for st in stages)] for i in issues])
    span = np.where(moves & (final != start), final - start, np.nan)
    done = np.clip((values - start) / span, 0.0, 1.0)
    done = np.where(np.isnan(done), 0.0, done)
    ax.imshow(done, cmap=SALIENCE_CMAP, vmin=0, vmax=1, aspect="auto",
              extent=(-0.5, n_s + 0.5, n_i - 0.5, -0.5))
    # A value reads at its issue's precision; an evaluation drawn alone brings no scale, so
    # its row's own spread stands in for one.
    spans = {i.id: i.scale.span for i in scenario.issues} if scenario is not None else {}
    row_spread = np.nanmax(values, axis=1) - np.nanmin(values, axis=1)
    for r, i in enumerate(issues):
        for c in range(n_s + 1):
            v = values[r, c]
            moved = c > 0 and i in stages[c - 1].moved
            ax.text(c, r, "–" if np.isnan(v) else fmt(v, spans.get(i, float(row_spread[r]))),
                    ha="center", va="center",
                    fontsize=8, color="white" if done[r, c] > 0.55 else INK,
                    fontweight="bold" if moved else "normal")
    for r, a in enumerate(actors):
        y = n_i + 1 + r
        ax.plot([-0.5, n_s + 0.5], [y, y], color="#EEEEEE", lw=0.8, zorder=0)
        for c, st in enumerate(stages, start=1):
            color, marker = (LEAVES if not st.stays[a] else TEMPTED if st.tempted[a]
                             else STAYS)
            ax.plot([c - 0.28], [y], marker=marker, color=color, ms=7, ls="none",
                    mec="white", mew=0.5)
            ax.text(c - 0.12, y, fmt_signed(st.margin[a], 1), ha="left", va="center", fontsize=7.5,
                    color=INK if st.stays[a] else color)
    ax.set_xlim(-0.5, n_s + 0.5)
    ax.set_ylim(rows - 0.5, -0.5)
    ax.set_xticks(range(n_s + 1), ["status quo", *[wrap(f"{k + 1}. {st.name}", 16)
                                                   for k, st in enumerate(stages)]],
                  fontsize=7.5)
    ax.xaxis.tick_top()
    labels = [wrap(names.get(i, i), 26) if names else i for i in issues]
    ax.set_yticks([*range(n_i), *range(n_i + 1, rows)],
                  [*labels, *[f"{a} (margin)" for a in actors]], fontsize=7.5)
    ax.tick_params(length=0)
    for side in ("left", "right", "top", "bottom"):
        ax.spines[side].set_visible(False)
    handles = [Line2D([], [], ls="none", marker=m, color=c, label=t) for (c, m), t in
               ((STAYS, "stays"), (TEMPTED, "stays, tempted to stop"), (LEAVES, "leaves"))]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, -0.01), ncol=3,
              frameon=False, fontsize=7.5)
    verdict = "holds at every stage" if e.holds else "breaks"
    ax.set_title(f"{e.id}: {e.name} — {verdict}", loc="left", fontsize=10,
                 fontweight="bold", color=INK, pad=28)
    ax.annotate("shade: share of the issue's move (status quo → final) done; bold: moved at "
                "that stage; number: margin of going on over defecting (utility points)",
                xy=(0, 0), xycoords="axes fraction", xytext=(0, -30),
                textcoords="offset points", fontsize=7, color=MUTED, va="top")
    return fig
