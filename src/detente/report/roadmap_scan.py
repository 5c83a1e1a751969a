"""Trust × learning scan figure: does a named roadmap hold if trust is earned by delivery?

One column per outcome (the baseline, then each counterfactual such as "without RU"), two
rows: the smallest margin of any veto player over *every* checkpoint, and over checkpoints
2 … S only (the ones learning can change: at signing nothing has been delivered yet).
x: the scanned trust (the pairs set together), y: the learning rate λ (docs/roadmap.md).
Orange cells: every party stays; purple: someone leaves; a black contour marks margin 0 and
a dot each scanned point where the roadmap holds.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import QuadMesh
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from detente.report.style import INK, MUTED, new_figure, wrap
from detente.roadmaps.api import LearningScan, RoadmapAnalysis

MARGIN_CMAP = "PuOr_r"  # purple = someone leaves, orange = everyone stays (colour-blind safe)


def learning_scan_figure(result: RoadmapAnalysis, roadmap: str | None = None) -> Figure:
    """Heat maps of a named roadmap's smallest margin over trust × learning, per outcome.

    ``result``: :func:`detente.roadmap` run with ``scan=...`` and ``scan_learning=True``;
    ``roadmap``: a named roadmap id (default the first scanned). Returns the Figure.
    """
    scans = result.learning_scans
    if not scans:
        raise ValueError("no trust × learning scan in this result: run detente.roadmap with "
                         "scan='KP.RU,KP.CN' and scan_learning=True")
    rid = roadmap or next(iter(scans[0].holds), None)
    if rid is None or rid not in scans[0].holds:
        raise ValueError(f"no scanned roadmap '{roadmap}'; scanned: "
                         f"{', '.join(scans[0].holds) or 'none'}")
    grids = [(np.array(ls.min_margin[rid], dtype=float),
              np.array([[np.nan if x is None else x for x in row]
                        for row in ls.later_margin[rid]], dtype=float)) for ls in scans]
    finite = np.concatenate([g[np.isfinite(g)].ravel() for pair in grids for g in pair]
                            or [np.zeros(1)])
    top = max(float(np.abs(finite).max()) if finite.size else 1.0, 1e-6)
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-top, vmax=top)
    n = len(scans)
    fig = new_figure(1.2 + 3.0 * n, 5.6)
    axes = fig.subplots(2, n, squeeze=False, sharex=True, sharey=True)
    image = None
    for c, (ls, pair) in enumerate(zip(scans, grids, strict=True)):
        for r, grid in enumerate(pair):
            ax = axes[r][c]
            if not np.isfinite(grid).any():  # one stage: no later checkpoint to show
                ax.text(0.5, 0.5, "no later stage", ha="center", va="center",
                        transform=ax.transAxes, color=MUTED)
                continue
            image = _panel(ax, ls, np.where(np.isfinite(grid), grid, top), norm)
            if r == 0:
                pairs = ", ".join(f"{a}.{b}" for a, b in ls.pairs) or "no pair left"
                ax.set_title(wrap(f"{ls.label}: trust {pairs}", 30), fontsize=9, color=INK)
            if c == 0:
                ax.set_ylabel(("every stage" if r == 0 else "stages 2 on")
                              + "\nlearning rate λ")
            if r == 1:
                ax.set_xlabel("trust (scanned pairs)")
            holds = np.array(ls.holds[rid], dtype=bool)
            if r == 0 and holds.any():
                ii, jj = np.nonzero(holds)
                ax.plot(np.array(ls.trust)[jj], np.array(ls.learning)[ii], "o", ms=2.5,
                        color=INK, ls="none")
    assert image is not None
    bar = fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8)
    bar.set_label("smallest margin of any veto player (utility points)")
    verdicts = []
    for ls in scans:
        held = ls.holding(rid)
        verdicts.append(f"{ls.label}: " + (f"holds at {len(held)} scanned points"
                                           if held else "breaks everywhere"))
    fig.suptitle(wrap(f"{rid}: does it hold if trust is earned by delivery? "
                      + "; ".join(verdicts), 40 + 30 * n), fontsize=10, color=INK, x=0.02,
                 ha="left")
    fig.text(0.02, 0.005, "orange: every veto player stays; purple: one leaves; black line: "
             "margin 0; dots: the roadmap holds", fontsize=7, color=MUTED)
    return fig


def _panel(ax: Axes, ls: LearningScan, grid: np.ndarray, norm: TwoSlopeNorm
           ) -> QuadMesh:
    trust, learning = np.array(ls.trust), np.array(ls.learning)
    image = ax.pcolormesh(trust, learning, grid, cmap=MARGIN_CMAP, norm=norm,
                          shading="nearest")
    if grid.min() < 0 < grid.max() and min(grid.shape) > 1:
        ax.contour(trust, learning, grid, levels=[0.0], colors=INK, linewidths=1.0)
    return image
