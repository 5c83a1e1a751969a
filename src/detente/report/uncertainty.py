"""Figures of the uncertainty analysis (docs/uncertainty.md).

* :func:`outcome_distributions`: per issue, the distribution of a model's forecast over
  sampled scenarios (:func:`detente.sample`) with its 50% and 90% intervals;
* :func:`tornado`: the inputs that move one issue's forecast most
  (:func:`detente.uncertainty.sensitivity.sensitivity`), bars from the forecast with the
  input at its 5th to its 95th percentile, ordered by the total Sobol index.
"""

from __future__ import annotations

import re

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from detente.render import fixed, fmt
from detente.report.style import (
    INK,
    MUTED,
    OKABE_ITO,
    STATUS_QUO_COLOR,
    model_label,
    new_figure,
    wrap,
)
from detente.scenario import Scenario
from detente.uncertainty import SampleResult
from detente.uncertainty.sensitivity import SensitivityResult

LOW_COLOR = OKABE_ITO["blue"]        # the input at its 5th percentile
HIGH_COLOR = OKABE_ITO["orange"]     # ... at its 95th


def outcome_distributions(result: SampleResult, *, ax: Axes | None = None) -> Figure:
    """Per issue (rows): the histogram of the sampled forecasts, the 90% interval (thin
    bar), the 50% interval (thick bar), the median (white dot) and the status quo (black
    tick), on the issue's scale (or in % of it where the issues' scales differ)."""
    s = result.scenario
    issues = list(s.issues)
    same = len({(i.scale.low, i.scale.high, i.units) for i in issues}) == 1
    summaries = result.summaries()
    n = len(issues)
    if ax is None:
        height = 1.25 + 0.62 * n
        fig = new_figure(9.0, height)
        ax = fig.add_axes((2.3 / 9.0, 0.5 / height, 6.35 / 9.0, 0.62 * n / height))
    fig = ax.get_figure()

    def place(issue_index: int, value: float | np.ndarray) -> float | np.ndarray:
        issue = issues[issue_index]
        if same:
            return value
        return 100 * (np.asarray(value) - issue.scale.low) / (issue.scale.high - issue.scale.low)

    for k, issue in enumerate(issues):
        summary = summaries[issue.id]
        counts = np.asarray(summary.histogram_counts, dtype=float)
        edges = np.asarray(place(k, np.asarray(summary.histogram_edges)))
        if counts.max() > 0:
            heights = 0.42 * counts / counts.max()
            ax.stairs(k - heights, edges, baseline=k, fill=True, color="#C9DDEE", lw=0)
        lo90, hi90 = summary.interval90
        lo50, hi50 = summary.interval50
        ax.plot([place(k, lo90), place(k, hi90)], [k + 0.1, k + 0.1], color=OKABE_ITO["blue"],
                lw=1.6, solid_capstyle="butt")
        ax.plot([place(k, lo50), place(k, hi50)], [k + 0.1, k + 0.1], color=OKABE_ITO["blue"],
                lw=6, solid_capstyle="butt")
        ax.plot([place(k, summary.median)], [k + 0.1], marker="o", ms=4.5, color="white",
                mec=OKABE_ITO["blue"], mew=1.2)
        sq = place(k, issue.status_quo.value)
        ax.plot([sq, sq], [k - 0.3, k + 0.3], color=STATUS_QUO_COLOR, lw=2)
        span = issue.scale.span
        ax.text(place(k, hi90), k + 0.1, f"  {fmt(lo90, span)}–{fmt(hi90, span)}", va="center",
                fontsize=7, color=MUTED)
    ax.set_yticks(range(n), [wrap(i.name, 28) for i in issues], fontsize=8)
    ax.set_ylim(n - 0.4, -0.7)
    lo = issues[0].scale.low if same else 0.0
    hi = issues[0].scale.high if same else 100.0
    ax.set_xlim(lo - 0.01 * (hi - lo), hi + 0.06 * (hi - lo))
    unit = issues[0].units if same else "% of each issue's scale"
    ax.set_xlabel(f"{model_label(result.model)} forecast ({unit})", fontsize=8, color=MUTED)
    ax.tick_params(axis="x", labelsize=7.5, colors=MUTED)
    ax.tick_params(axis="y", length=0)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    handles = [Patch(color="#C9DDEE", label="share of samples"),
               Line2D([], [], color=OKABE_ITO["blue"], lw=6, label="50% interval"),
               Line2D([], [], color=OKABE_ITO["blue"], lw=1.6, label="90% interval"),
               Line2D([], [], ls="none", marker="o", color="white", mec=OKABE_ITO["blue"],
                      label="median"),
               Line2D([], [], color=STATUS_QUO_COLOR, lw=2, label="status quo")]
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=5,
              frameon=False, fontsize=7.5, handletextpad=0.6, columnspacing=2.0,
              handlelength=2.2)
    ax.set_title(f"{s.title}: {model_label(result.model)} forecast over {result.samples:,} sampled "
                 f"scenarios (seed {result.seed})", loc="left", fontsize=10,
                 fontweight="bold", color=INK, pad=22)
    return fig


_INPUT = re.compile(r"^(?P<kind>[a-z_]+)\[(?P<args>[^\]]*)\]$")


def input_label(name: str, scenario: Scenario, issue: str | None = None) -> str:
    """``position[US,NUC]`` → ``position of United States`` (the issue named only when it
    is not the chart's own)."""
    m = _INPUT.match(name)
    if not m:
        return name
    kind, args = m["kind"].replace("_", " "), [a for a in m["args"].split(",") if a]
    ids = set(scenario.issue_ids)
    actors = [scenario.name_of(a) for a in args if a not in ids]
    issues = [a for a in args if a in ids and a != issue]
    if kind == "trust" and len(actors) == 2:
        text = f"trust of {actors[0]} in {actors[1]}"
    elif actors:
        text = f"{kind} of {actors[0]}"
    else:
        text = kind
    if issues:
        text += f" ({scenario.name_of(issues[0])})"
    return text


def tornado(result: SensitivityResult, issue: str | None = None, top: int = 10, *,
            ax: Axes | None = None) -> Figure:
    """Tornado chart of one issue's forecast (default: the issue whose forecast varies
    most): for each of the ``top`` inputs ranked by total Sobol index, the forecast with
    that input at its 5th percentile (blue end) and at its 95th (orange end), everything
    else as written; the total index is printed by each bar."""
    s = result.scenario
    if issue is None:
        issue = result.outputs[int(np.nanargmax(result.variance))]
    data = result.tornado(issue, top)
    labels = [input_label(x, s, issue) for x in data["labels"]]
    nominal = data["nominal"]
    n = len(labels)
    if ax is None:
        height = 1.35 + 0.34 * n
        fig = new_figure(9.0, height)
        ax = fig.add_axes((3.0 / 9.0, 0.55 / height, 5.4 / 9.0, 0.34 * n / height))
    fig = ax.get_figure()
    y = np.arange(n)
    for k in range(n):
        low, high = data["low"][k], data["high"][k]
        ax.barh(k, low - nominal, left=nominal, color=LOW_COLOR, height=0.62)
        ax.barh(k, high - nominal, left=nominal, color=HIGH_COLOR, height=0.62)
        right = max(low, high, nominal)
        total = data["total"][k]
        ax.text(right, k, f"  ST {'–' if total is None else fixed(total)}", va="center",
                fontsize=7,
                color=MUTED)
    ax.axvline(nominal, color=INK, lw=1)
    ax.set_yticks(y, [wrap(label, 38) for label in labels], fontsize=7.5)
    ax.set_ylim(n - 0.5, -0.5)
    the_issue = s.issue(issue)
    span = [min(data["low"] + data["high"] + [nominal]),
            max(data["low"] + data["high"] + [nominal])]
    pad = max(0.12 * (span[1] - span[0]), 0.5)
    ax.set_xlim(span[0] - pad, span[1] + 2.2 * pad)
    ax.set_xlabel(f"{model_label(result.model)} forecast of {the_issue.name} ({the_issue.units}); "
                  f"line: as written, {fmt(nominal, the_issue.scale.span)}", fontsize=8,
                  color=MUTED)
    ax.tick_params(axis="x", labelsize=7.5, colors=MUTED)
    ax.tick_params(axis="y", length=0)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    handles = [Patch(color=LOW_COLOR, label="input at its 5th percentile"),
               Patch(color=HIGH_COLOR, label="input at its 95th percentile"),
               Line2D([], [], ls="none", label="ST: total Sobol index (share of variance)")]
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3,
              frameon=False, fontsize=7.5, columnspacing=1.5)
    ax.set_title(f"What moves the {model_label(result.model)} forecast of {the_issue.name}",
                 loc="left", fontsize=10, fontweight="bold", color=INK, pad=20)
    return fig
