"""Per-issue zone of agreement (ZOPA) and the efficiency frontier, as figures.

* :func:`issue_zone_figure`: one bar per issue over its labelled scale: the whole scale
  (light), the values some acceptable package takes (mid blue), the values in efficient
  acceptable packages (dark blue), the status quo (black bar) and the best Nash package
  (orange diamond); the scale's labelled anchors as ticks.
* :func:`frontier_figure`: the Pareto frontier of the acceptable packages in two parties'
  gains, with the status quo, the named packages (filled when acceptable, hollow when
  blocked) and the best Nash and max-min packages placed on it.

Zones and frontier: :mod:`detente.settlement.zone`; gains in utility points.
"""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from detente.render import fmt
from detente.report.style import INK, MUTED, OKABE_ITO, STATUS_QUO_COLOR, new_figure, wrap
from detente.scenario import Scenario
from detente.settlement.api import Outcome
from detente.settlement.zone import Frontier

SCALE = "#EEEEEE"
ZONE = OKABE_ITO["sky_blue"]
EFFICIENT = OKABE_ITO["blue"]
BEST = OKABE_ITO["orange"]


def issue_zone_figure(outcome: Outcome, scenario: Scenario, *, ax: Axes | None = None
                      ) -> Figure:
    """One bar per issue (module docstring). ``outcome``: a settle outcome computed with
    ``zones=True``. Each row is drawn on its own scale, shown from low to high."""
    zones = outcome.zones
    if zones is None:
        raise ValueError("this outcome has no per-issue zone: run detente.settle with "
                         "zones=True")
    n = len(zones.issues)
    if ax is None:
        fig = new_figure(8.0, 1.1 + 0.62 * n)
        ax = fig.add_axes((0.27, 0.16, 0.70, 0.76))
    fig = ax.get_figure()
    assert isinstance(fig, Figure)
    for r, z in enumerate(zones.issues):
        issue = scenario.issue(z.issue)
        lo, hi = z.scale
        span = hi - lo

        def x(v: float, lo: float = lo, span: float = span) -> float:
            return (v - lo) / span

        ax.barh(r, 1.0, left=0.0, height=0.6, color=SCALE, zorder=1)
        if z.zone_min is not None and z.zone_max is not None:
            ax.barh(r, max(x(z.zone_max) - x(z.zone_min), 0.006), left=x(z.zone_min),
                    height=0.6, color=ZONE, zorder=2)
        if z.efficient_min is not None and z.efficient_max is not None:
            ax.barh(r, max(x(z.efficient_max) - x(z.efficient_min), 0.006),
                    left=x(z.efficient_min), height=0.3, color=EFFICIENT, zorder=3)
        ax.plot([x(z.status_quo)] * 2, [r - 0.38, r + 0.38], color=STATUS_QUO_COLOR, lw=2,
                zorder=4)
        if outcome.best is not None:
            ax.plot([x(outcome.best.values[z.issue])], [r], marker="D", color=BEST, ms=6,
                    mec="white", mew=0.6, zorder=5, ls="none")
        for anchor in issue.anchors:
            ax.plot([x(anchor.value)] * 2, [r + 0.3, r + 0.42], color=MUTED, lw=0.8, zorder=1)
            ax.text(x(anchor.value), r + 0.44, fmt(anchor.value, span), ha="center", va="top",
                    fontsize=6, color=MUTED)
    ax.set_yticks(range(n), [wrap(f"{z.issue} {scenario.issue(z.issue).name}", 30)
                             for z in zones.issues], fontsize=7.5)
    ax.set_ylim(n - 0.4, -0.7)
    ax.set_xlim(-0.02, 1.02)
    ax.set_xticks([0, 0.5, 1], ["scale low", "middle", "scale high"], fontsize=7)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    handles = [Patch(color=ZONE, label="in some acceptable package"),
               Patch(color=EFFICIENT, label="in efficient acceptable packages"
                     + ("" if zones.efficient_exact else " (inner range)")),
               Line2D([], [], color=STATUS_QUO_COLOR, lw=2, label="status quo"),
               Line2D([], [], marker="D", color=BEST, ls="none", label="best Nash package")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.06), ncol=2,
              frameon=False, fontsize=7)
    ax.set_title(f"{scenario.title}: the zone of agreement issue by issue", loc="left",
                 fontsize=10, color=INK, fontweight="bold")
    return fig


def frontier_figure(outcome: Outcome, front: Frontier, *, ax: Axes | None = None) -> Figure:
    """The frontier of the zone in two parties' gains with the packages placed on it."""
    a, b = front.actors
    if ax is None:
        fig = new_figure(6.4, 5.0)
        ax = fig.add_axes((0.13, 0.12, 0.82, 0.78))
    fig = ax.get_figure()
    assert isinstance(fig, Figure)
    if front.points:
        xs = [p[0] for p in front.points]
        ys = [p[1] for p in front.points]
        ax.fill_between(xs, ys, 0, step="pre", color=ZONE, alpha=0.25, lw=0,
                        label="below the frontier")
        ax.step(xs, ys, where="pre", color=EFFICIENT, lw=1.6, label="efficient frontier")
        ax.plot(xs, ys, "o", color=EFFICIENT, ms=3)
    ax.axhline(0, color=MUTED, lw=0.6)
    ax.axvline(0, color=MUTED, lw=0.6)
    ax.plot([0], [0], "s", color=STATUS_QUO_COLOR, ms=7, label="status quo")
    for label, found, marker in (("best Nash", outcome.best, "D"),
                                 ("max-min", outcome.max_min, "^")):
        if found is not None:
            ax.plot([found.gains[a]], [found.gains[b]], marker, color=BEST, ms=8,
                    mec="white", ls="none", label=label)
    placed: list[tuple[float, float]] = []
    xs = [p.gains[a] for p in outcome.packages] + [0.0]
    ys = [p.gains[b] for p in outcome.packages] + [0.0]
    close_a = 0.06 * (max(xs) - min(xs) or 1.0)
    close_b = 0.06 * (max(ys) - min(ys) or 1.0)
    for p in outcome.packages:
        ok = p.acceptable
        ax.plot([p.gains[a]], [p.gains[b]], "o", ms=7, ls="none",
                color=OKABE_ITO["bluish_green"] if ok else "none",
                mec=OKABE_ITO["bluish_green"] if ok else OKABE_ITO["vermillion"], mew=1.5)
        # Packages with nearly the same gains (the status quo and a walk-away package) get
        # their ids one above the other, whatever size the figure is drawn at.
        near = sum(abs(q[0] - p.gains[a]) <= close_a and abs(q[1] - p.gains[b]) <= close_b
                   for q in placed)
        placed.append((p.gains[a], p.gains[b]))
        ax.annotate(p.id, (p.gains[a], p.gains[b]), xytext=(5, 4 + 11 * near),
                    textcoords="offset points", fontsize=8, color=INK)
    ax.plot([], [], "o", color=OKABE_ITO["bluish_green"], label="named, acceptable")
    ax.plot([], [], "o", color="none", mec=OKABE_ITO["vermillion"], mew=1.5,
            label="named, blocked")
    ax.set_xlabel(f"gain of {a} (utility points)")
    ax.set_ylabel(f"gain of {b} (utility points)")
    ax.legend(fontsize=7, frameon=False, loc="best")
    ax.set_title(f"Efficiency frontier of the acceptable packages: {a} against {b}",
                 loc="left", fontsize=10, color=INK, fontweight="bold")
    return fig
