"""Accuracy figure: predicted against observed outcomes, per model (docs/accuracy.md).

Takes a :class:`detente.validate.ValidationResult` (e.g. from ``validate_deu`` on DEU III,
or ``validate`` on scenarios carrying observed outcomes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from detente.render import fixed
from detente.report.style import INK, MUTED, model_style, new_figure
from detente.validate import ValidationResult


def accuracy(result: ValidationResult, predictors: Sequence[str] | None = None, *,
             title: str = "Predicted against observed outcomes",
             ax: Axes | Sequence[Axes] | None = None) -> Figure:
    """One panel per predictor (models first, then baselines, best MAE first): each issue a
    dot at (observed, predicted) on the 0-100 rescaled scale; on the diagonal the forecast
    was exact, and the band marks ±10 points. The panel title gives the mean absolute error
    with its 95% cluster-bootstrap interval and the share of issues within 10 points."""
    scores = {sc.predictor: sc for sc in result.scores()}
    def baseline(name: str) -> bool:
        return result.kinds[name] == "baseline"

    names = list(predictors) if predictors is not None else sorted(
        result.predictions, key=lambda p: (baseline(p), scores[p].value["mae"]))
    spans = np.array([r.high - r.low for r in result.rows])
    lows = np.array([r.low for r in result.rows])
    observed = 100 * (result.observed - lows) / spans
    n = len(names)
    cols = min(4, n)
    rows = -(-n // cols)
    if ax is None:
        width, cell = 9.0, 9.0 / cols
        height = 0.7 + rows * (cell + 0.25)
        fig = new_figure(width, height)
        grid = fig.add_gridspec(rows, cols, left=0.07, right=0.98, top=1 - 0.75 / height,
                                bottom=0.45 / height, wspace=0.3, hspace=0.55)
        axes = [fig.add_subplot(grid[k // cols, k % cols]) for k in range(n)]
        fig.text(0.07, 1 - 0.12 / height, title, ha="left", va="top", fontsize=11,
                 fontweight="bold", color=INK)
    else:
        axes = [ax] if isinstance(ax, Axes) else list(ax)
        fig = axes[0].get_figure()
    for k, (axis, name) in enumerate(zip(axes, names, strict=False)):
        predicted = 100 * (result.predictions[name] - lows) / spans
        keep = ~np.isnan(predicted)
        color = MUTED if baseline(name) else model_style(name, names)[0]
        axis.fill_between([0, 100], [-10, 90], [10, 110], color="#EEEEEE", lw=0)
        axis.plot([0, 100], [0, 100], color=INK, lw=0.7)
        jitter = np.random.default_rng(k).uniform(-0.8, 0.8, size=(2, keep.sum()))
        axis.scatter(observed[keep] + jitter[0], predicted[keep] + jitter[1], s=7,
                     color=color, alpha=0.45, lw=0)
        sc = scores[name]
        within = sc.value.get("within10", float("nan"))
        kind = result.kinds[name]
        interval = sc.interval("mae")
        axis.set_title(f"{name}" + ("" if kind == "model" else f" ({kind})")
                       + f"\nMAE {fixed(sc.value['mae'], 1)}"
                       + (f" [{fixed(interval[0], 1)}–{fixed(interval[1], 1)}]" if interval else "")
                       + (f", ≤10: {fixed(100 * within, 0)}%" if np.isfinite(within) else "")
                       + f", n={int(keep.sum())}", fontsize=7.5, color=INK, loc="left")
        axis.set_xlim(-3, 103)
        axis.set_ylim(-3, 103)
        axis.set_aspect("equal")
        axis.set_xticks([0, 50, 100])
        axis.set_yticks([0, 50, 100])
        axis.tick_params(labelsize=7, colors=MUTED)
        if k % cols == 0:
            axis.set_ylabel("predicted (0-100)", fontsize=7.5, color=MUTED)
        if k // cols == rows - 1 or k + cols >= n:
            axis.set_xlabel("observed (0-100)", fontsize=7.5, color=MUTED)
        for side in ("right", "top"):
            axis.spines[side].set_visible(False)
    return fig


def reliability(calibration: Any, *, title: str = "Reliability of the combined forecast's "
                "intervals (out of fold)", ax: Axes | None = None) -> Figure:
    """Nominal level of each central interval against the share of held-out outcomes inside
    it (grouped cross-validation, :class:`detente.combine.Calibration`). On the diagonal the
    intervals are calibrated; above it they are too wide, below too narrow. The shaded band
    is the 75-85 % target for the 80 % interval."""
    levels = np.array(list(calibration.reliability))
    observed = np.array(list(calibration.reliability.values()))
    if ax is None:
        fig = new_figure(4.6, 4.4)
        axis = fig.add_axes((0.15, 0.13, 0.8, 0.72))
    else:
        axis = ax
        fig = axis.get_figure()
    axis.plot([0, 100], [0, 100], color=MUTED, lw=0.8)
    axis.fill_between([78, 82], [75, 75], [85, 85], color="#EEEEEE", lw=0)
    axis.plot(100 * levels, 100 * observed, color=INK, marker="o", ms=4, lw=1.2)
    for lv in (0.5, 0.8, 0.95):
        if lv in calibration.coverage:
            axis.annotate(f"{fixed(100 * calibration.coverage[lv], 0)}%",
                          (100 * lv, 100 * calibration.coverage[lv]), fontsize=7.5,
                          color=INK, xytext=(4, -10), textcoords="offset points")
    axis.set_xlim(0, 100)
    axis.set_ylim(0, 100)
    axis.set_aspect("equal")
    axis.set_xlabel("nominal coverage of the central interval (%)", fontsize=8, color=MUTED)
    axis.set_ylabel("held-out outcomes inside (%)", fontsize=8, color=MUTED)
    axis.tick_params(labelsize=7, colors=MUTED)
    for side in ("right", "top"):
        axis.spines[side].set_visible(False)
    axis.set_title(f"{title}\n{calibration.n_issues} issues, {calibration.folds} folds; "
                   f"CRPS {fixed(calibration.crps, 1)}", fontsize=8.5, color=INK, loc="left")
    return fig
