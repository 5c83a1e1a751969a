"""Figures of a forecast: the issue map, the model comparison and the trajectories.

Every function takes what it draws (a :class:`~detente.forecast.Forecast`, or anything
:func:`detente.forecast` accepts, which is then forecast with the default models), an
optional ``ax`` and returns the :class:`~matplotlib.figure.Figure`. Nothing is shown.
Labels use actor and issue names and the issues' anchor labels, never ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from detente.errors import option_error, require_known
from detente.forecast import Forecast, forecast
from detente.render import fmt as _fmt  # the one number format
from detente.report.style import (
    INK,
    MUTED,
    SALIENCE_CMAP,
    STATUS_QUO_COLOR,
    actor_style,
    distinct_models,
    grid_columns,
    hidden,
    model_label,
    model_style,
    new_figure,
    stack_labels,
    wrap,
)
from detente.scenario import Issue, Scenario

ForecastLike = Forecast | Scenario | str | Path | None

ROW_IN = 0.2          # height of one forecast row below the actors' line, inches
ACTOR_ZONE_IN = 0.95  # room above the line for circles and their stacked labels, inches
ANCHOR_ZONE_IN = 1.0  # room below a panel for its anchor labels, inches
TITLE_IN = 0.35
LEFT_IN, RIGHT_IN = 1.05, 0.35


def as_forecast(source: ForecastLike) -> Forecast:
    """A Forecast as given, or the default models' forecast of a scenario / path / id."""
    if isinstance(source, Forecast):
        return source
    return forecast(source)


def pick_issues(f: Forecast, issues: str | Sequence[str] | None) -> list[Issue]:
    if issues is None:
        return list(f.scenario.issues)
    wanted = [issues] if isinstance(issues, str) else list(issues)
    require_known("issue", "issue", wanted, f.scenario.issue_ids)
    return [f.scenario.issue(iid) for iid in wanted]


def _axes_list(ax: Axes | Sequence[Axes] | None, n: int, what: str) -> list[Axes] | None:
    if ax is None:
        return None
    axes = [ax] if isinstance(ax, Axes) else list(ax)
    if len(axes) != n:
        raise option_error("ax", f"{what} draws {n} panel(s) but {len(axes)} axes were given",
                           "pass one Axes per issue, or choose the issues with `issues=`")
    return axes


def _end_alignment(x: float, low: float, high: float) -> str:
    """Anchor text near an end of the scale on its inner side so it stays inside."""
    share = (x - low) / (high - low)
    return "left" if share < 0.08 else "right" if share > 0.92 else "center"


def _scale_text(issue: Issue) -> str:
    span = issue.scale.span
    return f"{_fmt(issue.scale.low, span)}–{_fmt(issue.scale.high, span)} {issue.units}"


def _draw_anchor_labels(ax: Axes, issue: Issue, width_chars: int, depth_in: float) -> int:
    """Anchor values as ticks, anchor labels under them, stacked where they would touch;
    a label reaching more than ``depth_in`` below the panel (into the next one) is left
    out. Returns how many were left out."""
    lo, hi = issue.scale.low, issue.scale.high
    values = [a.value for a in issue.anchors] or [lo, hi]
    ax.set_xticks(values, [_fmt(v, issue.scale.span) for v in values])
    texts = []
    for anchor in issue.anchors:
        texts.append(ax.annotate(
            wrap(anchor.label, width_chars), xy=(anchor.value, 0),
            xycoords=("data", "axes fraction"), xytext=(0, -16), textcoords="offset points",
            ha=_end_alignment(anchor.value, lo, hi), va="top", fontsize=8, color=MUTED,
            linespacing=1.05, annotation_clip=False, gid="anchor-label"))
    if texts:
        fig = ax.get_figure()
        tallest = max(t.get_window_extent().height for t in texts) * 72 / fig.dpi
        stack_labels(texts, step_points=tallest + 3, up=False, max_tiers=3)
        floor = ax.get_window_extent().y0 - depth_in * fig.dpi
        for text in texts:
            if text.get_visible() and text.get_window_extent().y0 < floor:
                text.set_visible(False)
    return hidden(texts)


def _issue_panel(ax: Axes, f: Forecast, issue: Issue, models: Sequence[str]) -> int:
    scenario, arrays = f.scenario, f.arrays
    k = scenario.issue_ids.index(issue.id)
    lo, hi = issue.scale.low, issue.scale.high
    pad = 0.02 * (hi - lo)
    # Every issue to its own units, then this issue's column: a one-column slice went
    # through the first issue's scale (it broadcasts against all the scales), which drew
    # the actors of every other issue at the wrong place (FUND's 20 to 70 at 4 to 14).
    positions = arrays.to_units(arrays.position)[..., k]
    salience = arrays.salience[:, k]
    capability = arrays.capability
    rows = ["status quo", *models]
    bottom = -ROW_IN * (len(rows) + 0.4)
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(bottom, ACTOR_ZONE_IN)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(MUTED)

    ax.axhline(0, color=MUTED, lw=1.2, zorder=1)
    sq = issue.status_quo.value
    ax.plot([sq, sq], [bottom, 0], color=STATUS_QUO_COLOR, lw=0.8, ls=(0, (4, 3)), zorder=0)

    # Actors: area = capability, shade = salience; large circles first so small stay visible.
    sizes = 60 + 540 * capability / capability.max()
    order = np.argsort(-sizes, kind="stable")
    stake = arrays.stake[:, k]
    order = [a for a in order if stake[a]]
    ax.scatter(positions[order], np.zeros(len(order)), s=sizes[order],
               c=SALIENCE_CMAP(salience[order]), edgecolors=INK, linewidths=0.7, zorder=3,
               clip_on=False)
    lift = float(np.sqrt(sizes.max() / np.pi)) + 2
    labels = []
    for a in order:
        name = scenario.name_of(arrays.actor_ids[a])
        labels.append(ax.annotate(
            name, xy=(positions[a], 0), xytext=(0, lift), textcoords="offset points",
            ha=_end_alignment(positions[a], lo, hi), va="bottom", fontsize=8, color=INK,
            annotation_clip=False, gid="actor-label"))
    # Four tiers fit under the panel's title (ACTOR_ZONE_IN); a name that fits in none is
    # left out and counted, never drawn over another.
    stack_labels(labels, step_points=11, up=True, max_tiers=4)

    # One row per forecast under the line: its name on the left, its value by the marker.
    for r, name in enumerate(rows):
        y = -ROW_IN * (r + 1)
        if r == 0:
            value, color, marker = sq, STATUS_QUO_COLOR, "|"
        else:
            value = f.values(name)[issue.id]
            color, marker = model_style(name, models)
        ax.plot([lo, hi], [y, y], color="#E6E6E6", lw=0.6, zorder=1)
        ax.plot([value], [y], marker=marker, color=color, ms=7 if r else 11, mew=2 if not r else 1,
                mec=color if not r else "white", ls="none", zorder=4, clip_on=False)
        ax.annotate(model_label(name) if r else name, xy=(0, y),
                    xycoords=("axes fraction", "data"), xytext=(-6, 0),
                    textcoords="offset points", ha="right", va="center", fontsize=8,
                    color=color if r else STATUS_QUO_COLOR)
        right = (value - lo) / (hi - lo) < 0.9
        ax.annotate(_fmt(value, issue.scale.span), xy=(value, y), xytext=(7 if right else -7, 0),
                    textcoords="offset points", ha="left" if right else "right", va="center",
                    fontsize=8, color=color)

    ax.set_title(issue.name, loc="left", fontsize=10, fontweight="bold", color=INK, pad=4)
    ax.set_title(_scale_text(issue), loc="right", fontsize=8, color=MUTED, pad=4)
    ax.tick_params(axis="x", labelsize=8, colors=MUTED, length=3)
    return hidden(labels)


def issue_map(source: ForecastLike = None, issues: str | Sequence[str] | None = None, *,
              models: Sequence[str] | None = None,
              ax: Axes | Sequence[Axes] | None = None, aspect: float | None = None) -> Figure:
    """The issue map: per issue, actors on the scale and where each model lands.

    Each actor is a circle at its position, its area proportional to capability and its
    shade to salience (light = the issue matters little to it, dark = a lot). Under the
    scale, one row each for the status quo and every model's forecast, with the value.
    The scale's anchor values are the ticks, their labels written beneath. A model whose
    forecast repeats another's on every issue is named in the key instead of drawn twice.

    ``issues``: one id or several (default: all, one panel each). ``ax``: one Axes per
    issue to draw on (the key to circle size and shade is added only to a new figure).
    ``aspect``: the width / height of the box the figure is for (16/9 for a slide): the
    panels go into the number of columns that reads largest there (default one column).
    """
    f = as_forecast(source)
    chosen = pick_issues(f, issues)
    if models is not None:
        model_names, same = list(models), {}
    else:
        model_names, same = distinct_models({m: f.values(m) for m in f.results}, f.scenario)
    for name in model_names:
        if name not in f.results:
            raise option_error("models", f"the forecast has no model '{name}'",
                               f"models run: {', '.join(f.results)}")
    axes = _axes_list(ax, len(chosen), "issue_map")
    rows_in = ROW_IN * (len(model_names) + 1.4)
    panel_in = ACTOR_ZONE_IN + rows_in
    step_in = panel_in + ANCHOR_ZONE_IN + TITLE_IN
    key_in = 1.05
    column_in = 9.0 if aspect is None else 7.0
    # The model rows are labelled on the left: room for the longest display name.
    left_in = max(LEFT_IN, 0.075 + 0.062 * max(len(model_label(m)) for m in model_names))
    if axes is None:
        columns = grid_columns(len(chosen), column_in, step_in, key_in, aspect)
        rows = -(-len(chosen) // columns)
        width, height = column_in * columns, key_in + step_in * rows
        fig = new_figure(width, height)
        axes = []
        for n in range(len(chosen)):
            row, column = divmod(n, columns)
            top = key_in + TITLE_IN + row * step_in
            left = column * column_in + left_in
            axes.append(fig.add_axes((left / width, 1 - (top + panel_in) / height,
                                      (column_in - left_in - RIGHT_IN) / width,
                                      panel_in / height)))
        _size_shade_key(fig, f, height, same)
    fig = axes[0].get_figure()
    width_chars = max(12, int(90 * (axes[0].get_position().width * fig.get_figwidth()) / 7.6
                              / max(1, *(len(issue.anchors) for issue in chosen)) / 1.6))
    left_out = 0
    for axis, issue in zip(axes, chosen, strict=True):
        left_out += _issue_panel(axis, f, issue, model_names)
        left_out += _draw_anchor_labels(axis, issue, width_chars, ANCHOR_ZONE_IN)
    if left_out:
        fig.text(0.5 / fig.get_figwidth(), 0.06 / fig.get_figheight(),
                 f"{left_out} name(s) too close to others to fit are left out "
                 "(detente show lists every actor and anchor).", ha="left", va="bottom",
                 fontsize=8, color=MUTED)
    return fig


def _size_shade_key(fig: Figure, f: Forecast, height: float, same: dict[str, str]) -> None:
    """Legend for the issue map: circle area = capability, shade = salience."""
    fig.text(LEFT_IN / fig.get_figwidth(), 1 - 0.08 / height, f.scenario.title,
             ha="left", va="top", fontsize=11, fontweight="bold", color=INK)
    fig.text(LEFT_IN / fig.get_figwidth(), 1 - 0.3 / height,
             "circle area = capability, shade = salience; dashed line = status quo"
             + "".join(f"; {model_label(m)} = {model_label(twin)} here"
                       for m, twin in same.items()),
             ha="left", va="top", fontsize=8.5, color=MUTED)
    cap = f.arrays.capability
    handles = []
    for value in (cap.max(), np.median(cap), cap.min()):
        size = 60 + 540 * value / cap.max()
        handles.append(Line2D([], [], ls="none", marker="o", ms=np.sqrt(size), mfc="white",
                              mec=INK, label=f"capability {_fmt(float(value))}"))
    for s in (0.2, 0.6, 1.0):
        handles.append(Line2D([], [], ls="none", marker="o", ms=10, mfc=SALIENCE_CMAP(s),
                              mec=INK, label=f"salience {s:g}"))
    # Markers up to 25 points wide: the text starts past the widest (handletextpad, in
    # font sizes) so that no marker covers its label.
    fig.legend(handles=handles, loc="upper left",
               bbox_to_anchor=(LEFT_IN / fig.get_figwidth() - 0.01, 1 - 0.5 / height), ncol=6,
               frameon=False, fontsize=8, handletextpad=1.2, columnspacing=1.8,
               borderaxespad=0, handlelength=2.2)


def model_comparison(source: ForecastLike = None, *, models: Sequence[str] | None = None,
                     ax: Axes | None = None) -> Figure:
    """The forecasts of all models side by side, one row per issue.

    Each row is the issue's scale, drawn from its low end (left) to its high end (right)
    with the end anchors' labels underneath; the status quo is the black bar and each
    model a coloured marker of its own shape. Where every issue has the same scale and
    units the axis is in those units, otherwise in percent of each issue's scale.
    """
    f = as_forecast(source)
    if models is not None:
        model_names, same = list(models), {}
    else:
        model_names, same = distinct_models({m: f.values(m) for m in f.results}, f.scenario)
    issues = list(f.scenario.issues)
    same_scale = len({(i.scale.low, i.scale.high, i.units) for i in issues}) == 1
    n = len(issues)
    if ax is None:
        height = 1.1 + 0.72 * n
        fig = new_figure(9.0, height)
        ax = fig.add_axes((2.3 / 9.0, 0.5 / height, 1 - 2.65 / 9.0, (0.72 * n) / height))
    fig = ax.get_figure()

    def place(issue: Issue, value: float) -> float:
        if same_scale:
            return value
        return 100 * (value - issue.scale.low) / (issue.scale.high - issue.scale.low)

    lo = issues[0].scale.low if same_scale else 0.0
    hi = issues[0].scale.high if same_scale else 100.0
    dodge = np.linspace(-0.17, 0.17, len(model_names)) if len(model_names) > 1 else [0.0]
    for row, issue in enumerate(issues):
        y = row
        ax.plot([lo, hi], [y, y], color="#D9D9D9", lw=3, solid_capstyle="butt", zorder=1)
        ax.plot([place(issue, issue.status_quo.value)] * 2, [y - 0.28, y + 0.28],
                color=STATUS_QUO_COLOR, lw=2.2, zorder=2)
        for d, name in zip(dodge, model_names, strict=True):
            color, marker = model_style(name, model_names)
            ax.plot([place(issue, f.values(name)[issue.id])], [y + d], marker=marker,
                    color=color, mec="white", mew=0.6, ms=7.5, ls="none", zorder=3)
        ends = sorted(issue.anchors, key=lambda a: a.value)
        if ends:
            low_end, high_end = ends[0], ends[-1]
            # The whole label, on two lines at most (half the row each): never cut with '…'.
            for anchor, ha in ((low_end, "left"), (high_end, "right")):
                ax.annotate(wrap(anchor.label, max(48, len(anchor.label) // 2 + 2)),
                            xy=(place(issue, anchor.value), y + 0.3), ha=ha, va="top",
                            fontsize=6.5, color=MUTED, annotation_clip=False,
                            linespacing=1.0)
    ax.set_ylim(n - 0.45, -0.75)
    ax.set_yticks(range(n), [wrap(i.name, 28) for i in issues], fontsize=8)
    ax.set_xlim(lo - 0.01 * (hi - lo), hi + 0.01 * (hi - lo))
    unit = issues[0].units if same_scale else "% of each issue's scale"
    ax.set_xlabel(f"{unit} (low end of the scale left, high end right)", fontsize=8,
                  color=MUTED)
    ax.tick_params(axis="x", labelsize=7.5, colors=MUTED)
    ax.tick_params(axis="y", length=0)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    handles = [Line2D([], [], color=STATUS_QUO_COLOR, lw=2.2, label="status quo")]
    for name in model_names:
        color, marker = model_style(name, model_names)
        handles.append(Line2D([], [], ls="none", marker=marker, color=color, mec="white",
                              ms=7.5, label=model_label(name)))
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.0),
              ncol=min(len(handles), 4), frameon=False, fontsize=8, handletextpad=0.6,
              columnspacing=1.4)
    if same:
        ax.annotate("; ".join(f"{model_label(m)} = {model_label(twin)} on every issue here"
                              for m, twin in same.items()),
                    xy=(0, 0), xycoords="axes fraction", xytext=(0, -40),
                    textcoords="offset points", fontsize=7, color=MUTED, va="top")
    legend_rows = -(-len(handles) // 4)
    ax.set_title(f"{f.scenario.title}: forecasts by model", loc="left", fontsize=10,
                 fontweight="bold", color=INK, pad=8 + 14 * legend_rows)
    return fig


def stepwise_models(f: Forecast) -> list[str]:
    """The models of a forecast that return a round-by-round trajectory."""
    return [name for name, result in f.results.items() if result.trajectory is not None]


def trajectories(source: ForecastLike = None, model: str | None = None,
                 issues: str | Sequence[str] | None = None, *,
                 ax: Axes | Sequence[Axes] | None = None, aspect: float | None = None
                 ) -> Figure:
    """Positions of every actor per round of a stepwise model, one panel per issue.

    Each actor is a line of its own colour and dash (named in the legend); the model's
    final forecast is the black marker at the last round and the dotted black line, the
    status quo the grey dashed line. The left axis is in the issue's units with the anchor
    values as ticks; the right axis names the anchors. ``aspect``: as for :func:`issue_map`.
    """
    f = as_forecast(source)
    stepwise = stepwise_models(f)
    if model is None:
        if not stepwise:
            raise option_error("model", "no model in this forecast moves round by round",
                               "run a stepwise model (e.g. bdm or smp) to draw trajectories")
        model = stepwise[0]
    if model not in f.results:
        raise option_error("model", f"the forecast has no model '{model}'",
                           f"models run: {', '.join(f.results)}")
    paths = f.trajectory(model)
    if paths is None:
        raise option_error("model", f"'{model}' gives no trajectory (it is not stepwise)",
                           f"stepwise models here: {', '.join(stepwise) or 'none'}")
    chosen = pick_issues(f, issues)
    axes = _axes_list(ax, len(chosen), "trajectories")
    owner = axes is None
    column_in, panel_in, gap_in = 9.0, 1.55, 0.75
    names = [f.scenario.name_of(a) for a in f.arrays.actor_ids]
    legend_rows = -(-(len(names) + 2) // 4)
    top_in = 0.55 + 0.17 * legend_rows
    if axes is None:
        columns = grid_columns(len(chosen), column_in, panel_in + gap_in, top_in, aspect)
        rows = -(-len(chosen) // columns)
        width, height = column_in * columns, top_in + rows * (panel_in + gap_in)
        fig = new_figure(width, height)
        axes = []
        for n in range(len(chosen)):
            row, column = divmod(n, columns)
            top = top_in + row * (panel_in + gap_in) + 0.3
            axes.append(fig.add_axes(((column * column_in + 0.75) / width,
                                      1 - (top + panel_in) / height,
                                      5.0 / width, panel_in / height)))
    fig = axes[0].get_figure()
    _, marker = model_style(model, list(f.results))
    final = f.values(model)
    longest = 1
    for axis, issue in zip(axes, chosen, strict=True):
        k = f.scenario.issue_ids.index(issue.id)
        path = np.asarray(paths[issue.id])           # rounds+1, A
        steps = np.arange(path.shape[0])
        longest = max(longest, int(steps[-1]))
        for a in range(path.shape[1]):
            if not f.arrays.stake[a, k]:
                continue
            c, ls = actor_style(a)
            axis.plot(steps, path[:, a], color=c, ls=ls, lw=1.5, label=names[a],
                      marker="o", ms=2.5, clip_on=False)
        axis.axhline(issue.status_quo.value, color=STATUS_QUO_COLOR, lw=0.8, ls=(0, (4, 3)))
        axis.axhline(final[issue.id], color=INK, lw=1.0, ls=":")
        axis.plot([steps[-1]], [final[issue.id]], marker=marker, color=INK, mec="white",
                  ms=8, ls="none", zorder=5, clip_on=False)
        lo, hi = issue.scale.low, issue.scale.high
        pad = 0.04 * (hi - lo)
        axis.set_ylim(lo - pad, hi + pad)
        axis.set_xlim(0, max(1, steps[-1]))
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        shown = _spaced_anchors(issue, axis)
        ticks = [a.value for a in shown] or [lo, hi]
        axis.set_yticks(ticks, [_fmt(t, issue.scale.span) for t in ticks], fontsize=7)
        right = axis.twinx()
        right.set_ylim(axis.get_ylim())
        right.set_yticks([a.value for a in shown],
                         [wrap(a.label, 46) for a in shown], fontsize=6.8, color=MUTED,
                         linespacing=1.0)
        right.tick_params(length=0, pad=4)
        axis.tick_params(axis="x", labelsize=7)
        axis.set_title(issue.name, loc="left", fontsize=9.5, fontweight="bold", color=INK)
        axis.set_xlabel("round", fontsize=7.5, color=MUTED, labelpad=1)
        axis.set_ylabel(issue.units, fontsize=7.5, color=MUTED)
        for side in ("right", "top"):
            axis.spines[side].set_visible(False)
            right.spines[side].set_visible(False)
        right.spines["left"].set_visible(False)
        right.spines["bottom"].set_visible(False)
    if owner:
        handles = [Line2D([], [], color=actor_style(a)[0], ls=actor_style(a)[1], lw=1.5,
                          label=names[a]) for a in range(len(names))]
        handles.append(Line2D([], [], color=INK, ls=":", marker=marker, mec="white",
                              label=f"{model_label(model)} forecast"))
        handles.append(Line2D([], [], color=STATUS_QUO_COLOR, ls=(0, (4, 3)), label="status quo"))
        width, height = fig.get_figwidth(), fig.get_figheight()
        fig.text(0.75 / width, 1 - 0.1 / height,
                 f"{f.scenario.title}: positions per round ({model_label(model)})", ha="left",
                 va="top",
                 fontsize=11, fontweight="bold", color=INK)
        fig.legend(handles=handles, loc="upper left",
                   bbox_to_anchor=(0.75 / width - 0.01, 1 - 0.38 / height),
                   ncol=min(4, len(handles)), frameon=False, fontsize=7.5, borderaxespad=0)
    return fig


def _spaced_anchors(issue: Issue, ax: Axes) -> list:
    """The anchors whose labels fit on a vertical axis of ``ax`` without touching (the ends
    first, then the others in order)."""
    anchors = sorted(issue.anchors, key=lambda a: a.value)
    if not anchors:
        return []
    fig = ax.get_figure()
    height_in = ax.get_position().height * fig.get_figheight()
    span = issue.scale.high - issue.scale.low
    def room(anchor: Any) -> float:
        # A label wraps to lines of 46 characters, each 6.8 points and a gap.
        lines = len(wrap(anchor.label, 46).split("\n"))
        return span * (7.2 * lines + 2.5) / 72 / max(height_in, 1e-6)

    keep = [anchors[0], anchors[-1]] if len(anchors) > 1 else anchors[:1]
    for anchor in anchors[1:-1]:
        if all(abs(anchor.value - k.value) >= (room(anchor) + room(k)) / 2 for k in keep):
            keep.append(anchor)
    return sorted(keep, key=lambda a: a.value)
