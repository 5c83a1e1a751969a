"""Figures of a settlement analysis (:func:`detente.settle`, docs/settle.md).

* :func:`package_gains`: each actor's gain from each named or found package, blockers
  marked;
* :func:`without_actor_settlement`: the zone of agreement and the best package with and
  without each actor;
* :func:`guarantor_contributions`: the Shapley value of each actor as a guarantor.

Gains are in the settlement's *utility points* (a package utility lies in −100..0, so a gain
of +5 is 5% of the whole range an actor can lose).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from detente.render import fixed, fmt_signed
from detente.report.style import INK, MUTED, OKABE_ITO, new_figure, row_inches, wrap
from detente.settlement import Settlement
from detente.settlement.contributions import Contributions
from detente.settlement.defaults import search_text

GAIN_CMAP = "PuOr_r"   # purple = loses, orange = gains; safe for colour-blind readers


@dataclass(frozen=True)
class PackageRow:
    """One row of the gains heat map: a named package or one the search found."""

    label: str
    gains: dict[str, float]
    blockers: tuple[str, ...]
    #: The status quo itself: the reference every gain is measured from, never "blocked".
    reference: bool = False


def package_rows(settlement: Settlement) -> list[PackageRow]:
    """The baseline's found packages (best Nash, max-min, smallest accord), then the named."""
    base = settlement.baseline
    rows = []
    for title, found in (("found: best Nash product", base.best),
                         ("found: best for the worst-off", base.max_min),
                         ("found: smallest accord", base.smallest)):
        if found is not None:
            blockers = tuple(a for a, g in found.gains.items() if g <= 0)
            rows.append(PackageRow(f"{title} ({len(found.changed)} issues moved)",
                                   found.gains, blockers))
    for p in base.packages:
        # with walk-away points (issue 16) gains are over those, and the status quo is a
        # package like any other, which some may block
        if not settlement.scenario.moved_issues(p.values) and not p.walk_away:
            rows.append(PackageRow(p.name, p.gains, (), reference=True))
        else:
            rows.append(PackageRow(p.name, p.gains, p.blockers))
    return rows


def package_gains(settlement: Settlement, *, ax: Axes | None = None) -> Figure:
    """Heat map of each actor's gain (utility points) from each package.

    Rows: the packages the search found (best Nash product, max-min, smallest accord)
    and the scenario's named packages; columns: actors. Orange cells gain, purple lose;
    a blocker (a veto party that does not gain) has a heavy black frame and ✕.
    """
    s = settlement.scenario
    rows = package_rows(settlement)
    actors = list(settlement.baseline.problem.actor_ids)
    gains = np.array([[row.gains.get(a, np.nan) for a in actors] for row in rows])
    n_rows, n_cols = gains.shape
    if ax is None:
        height = 1.9 + 0.45 * n_rows
        fig = new_figure(9.0, height)
        ax = fig.add_axes((3.1 / 9.0, 0.55 / height, 4.9 / 9.0, 0.45 * n_rows / height))
    fig = ax.get_figure()
    # A floor of 0.1 utility points: where nobody gains or loses, a colour scale of ±1e-9
    # would print its ticks as an offset ('1e−9') and colour rounding noise.
    limit = max(float(np.nanmax(np.abs(gains))), 0.1) if n_rows else 1.0
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-limit, vmax=limit)
    image = ax.imshow(gains, cmap=GAIN_CMAP, norm=norm, aspect="auto")
    # A cell narrower than its number (many actors) shows colour and ✕ only: numbers that
    # run into each other read as different numbers. `detente settle` lists them all.
    cell_points = ax.get_position().width * fig.get_figwidth() * 72 / max(n_cols, 1)
    numbers = cell_points >= 32
    for r, row in enumerate(rows):
        for c, actor in enumerate(actors):
            value = gains[r, c]
            blocked = actor in row.blockers
            strong = abs(value) > 0.6 * limit
            shown = fmt_signed(value, 1) if numbers and np.isfinite(value) else ""
            text = shown + (" ✕" if blocked else "")
            if not text:
                continue
            ax.text(c, r, text.strip(), ha="center", va="center", fontsize=7.5,
                    color="white" if strong else INK, fontweight="bold" if blocked else None)
            if blocked:
                ax.add_patch(Rectangle((c - 0.46, r - 0.44), 0.92, 0.88, fill=False,
                                       ec=INK, lw=1.8))
    labels = [wrap(row.label, 40) + ("\n= the status quo (reference point)" if row.reference
                                      else "\n✓ every party gains" if not row.blockers
                                      else f"\n✕ blocked by {len(row.blockers)}")
              for row in rows]
    ax.set_yticks(range(n_rows), labels, fontsize=7.5, linespacing=1.1)
    if numbers:
        ax.set_xticks(range(n_cols), [wrap(s.name_of(a), 12) for a in actors], fontsize=7.5)
    else:
        ax.set_xticks(range(n_cols), actors, fontsize=7, rotation=90)
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    bar = fig.colorbar(image, ax=ax, fraction=0.05, pad=0.02)
    bar.set_label("gain over the status quo (utility points)", fontsize=7.5, color=MUTED)
    bar.ax.tick_params(labelsize=7)
    ax.set_title(f"{s.title}: who gains from each package", loc="left", fontsize=10,
                 fontweight="bold", color=INK, pad=30)
    fig.text(0.01, 0.01, "✕ and frame: a veto party that does not gain blocks the package. "
             f"Searched: {search_text(settlement.step, settlement.steps)}."
             + ("" if numbers else " Too many actors to print each gain: detente settle "
                "lists them."), fontsize=7, color=MUTED)
    return fig


def without_actor_settlement(settlement: Settlement, *, ax: Axes | None = None) -> Figure:
    """The best Nash product and the size of the zone of agreement, baseline and each
    counterfactual of the settlement (e.g. each actor left out), as horizontal bars.

    The bar is the best package's Nash product (utility points; the weighted geometric mean
    of the parties' gains); the label gives the zone's size in packages. A variant with no
    package acceptable to every party shows "no zone".
    """
    s = settlement.scenario
    outcomes = settlement.outcomes
    labels = [_variant_label(o.label, s) for o in outcomes]
    values = [o.best.nash if o.best is not None else 0.0 for o in outcomes]
    if ax is None:
        row = row_inches(len(outcomes), 0.38)
        height = 1.3 + row * len(outcomes)
        fig = new_figure(9.0, height)
        ax = fig.add_axes((2.4 / 9.0, 0.55 / height, 5.2 / 9.0, row * len(outcomes) / height))
    fig = ax.get_figure()
    base = values[0]
    colors = [MUTED if k == 0 else OKABE_ITO["orange"] if v > base + 1e-9 else
              OKABE_ITO["blue"] if v < base - 1e-9 else MUTED for k, v in enumerate(values)]
    y = np.arange(len(outcomes))
    ax.barh(y, values, color=colors, height=0.62)
    ax.axvline(base, color=INK, lw=0.8, ls=(0, (4, 3)))
    # No deal anywhere (every bar 0): a unit axis, not one of 1e-9 printed as 0.0000000000.
    top = max(values) if max(values, default=0.0) > 1e-9 else 1.0
    for k, o in enumerate(outcomes):
        if not o.zone_exists:
            note = "no zone of agreement"
        elif o.zone_size is None:
            note = "zone not counted"
        else:
            note = f"{o.zone_size:,} acceptable packages"
        ax.text(values[k] + 0.01 * top, k, f"{fixed(values[k])}  ·  {note}", va="center",
                fontsize=7.5, color=INK, zorder=4,
                bbox={"boxstyle": "square,pad=0.15", "fc": "white", "ec": "none",
                      "alpha": 0.85})
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_ylim(len(outcomes) - 0.5, -0.5)
    ax.set_xlim(0, top * 1.55)
    # Plain tick numbers: a scale of 1e-9 (no deal anywhere) would otherwise print an
    # offset like '1e−9' over the labels.
    ax.ticklabel_format(axis="x", style="plain", useOffset=False)
    ax.set_xlabel("best package's Nash product (utility points); orange: a better deal than "
                  "with everybody, blue: a worse one", fontsize=8, color=MUTED)
    ax.tick_params(axis="x", labelsize=7.5, colors=MUTED)
    for side in ("right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_title(f"{s.title}: the best deal with and without each actor", loc="left",
                 fontsize=10, fontweight="bold", color=INK, pad=8)
    return fig


def _variant_label(label: str, scenario: object) -> str:
    if label.startswith("without "):
        actor = label.removeprefix("without ")
        return f"without {scenario.name_of(actor)}"  # type: ignore[attr-defined]
    return "everybody (baseline)" if label == "baseline" else label


def guarantor_contributions(contrib: Contributions, names: dict[str, str] | None = None, *,
                            ax: Axes | None = None) -> Figure:
    """Each actor's Shapley value as a guarantor: its average contribution to the worth of
    the deal (best Nash product, or zone size) over all orders in which guarantors join."""
    names = names or {}
    actors = sorted(contrib.shapley, key=lambda a: -contrib.shapley[a])
    values = [contrib.shapley[a] for a in actors]
    if ax is None:
        row = row_inches(len(actors), 0.36)
        height = 1.3 + row * len(actors)
        fig = new_figure(9.0, height)
        ax = fig.add_axes((2.4 / 9.0, 0.6 / height, 5.6 / 9.0, row * len(actors) / height))
    fig = ax.get_figure()
    y = np.arange(len(actors))
    ax.barh(y, values, color=OKABE_ITO["bluish_green"], height=0.6)
    span = max(max(np.abs(values)), 1e-9)
    unit = "utility points" if contrib.value == "nash" else "packages"
    for k, v in enumerate(values):
        share = contrib.share(actors[k])
        label = fixed(v) if share is None else f"{fixed(v)} ({fixed(100 * share, 0)}%)"
        ax.text(max(v, 0) + 0.01 * span, k, label, va="center", fontsize=7.5, color=INK)
    ax.set_yticks(y, [names.get(a, a) for a in actors], fontsize=8)
    ax.set_ylim(len(actors) - 0.5, -0.5)
    ax.set_xlim(min(0, min(values)) * 1.2, span * 1.3)
    ax.axvline(0, color=INK, lw=0.6)
    what = "best Nash product" if contrib.value == "nash" else "zone size"
    ax.set_xlabel(f"Shapley value ({what}, {unit}; share of what guarantees add)",
                  fontsize=8, color=MUTED)
    ax.tick_params(axis="x", labelsize=7.5, colors=MUTED)
    for side in ("right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_title(f"{contrib.scenario_title}: what each actor adds as a guarantor", loc="left",
                 fontsize=10, fontweight="bold", color=INK, pad=8)
    return fig
