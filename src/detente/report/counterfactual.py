"""Counterfactual forecasts: where each model lands when one actor stays away.

The forecast is rerun on the scenario restricted to every actor but one
(:meth:`~detente.arrays.Arrays.take_actors`); the shift from the full forecast measures
how much that actor's presence pulls the outcome, in the issue's units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from detente.forecast import Forecast
from detente.models import get_model, model_stream
from detente.render import fmt_shift, fmt_signed, non_finite_error
from detente.report.figures import ForecastLike, as_forecast
from detente.report.style import INK, MUTED, model_label, new_figure, row_inches, wrap


@dataclass(frozen=True)
class WithoutActor:
    """Forecast shifts when each actor is left out, in issue units: ``shift[A, I]``.

    Without actor a, an issue that nobody else cares about (salience 0) has no forecast: a
    model would divide 0 by 0 there, or answer with a number that means nothing.
    ``defined[a, i]`` says where there is one; elsewhere ``without`` and ``shift`` are NaN,
    and whoever shows them says "no forecast" in words instead."""

    model: str
    actor_ids: tuple[str, ...]
    issue_ids: tuple[str, ...]
    full: np.ndarray      # I, the forecast with everybody
    without: np.ndarray   # A, I: the forecast without actor a (NaN where not ``defined``)
    seed: int             # the forecast's: every run drew from its model's stream at it
    defined: np.ndarray   # A, I: whether anybody but actor a cares about issue i

    @property
    def shift(self) -> np.ndarray:
        return self.without - self.full[None, :]


def without_each_actor(f: Forecast, model: str | None = None) -> WithoutActor:
    """Rerun ``model`` (default: the forecast's first) once per left-out actor.

    Each run reuses the forecast's options, and a stochastic model the stream the full run
    drew from (:func:`detente.models.model_stream` at the forecast's seed), so a difference
    comes from the actor and not from the draw: a row is what ``forecast`` gives without
    that actor at the same seed.
    """
    name = model or next(iter(f.results))
    result = f.results[name]
    runner = get_model(name, **result.options)
    arrays = f.arrays
    everyone = np.arange(arrays.n_actors)
    cares = np.asarray(arrays.salience) > 0
    defined = np.array([cares[everyone != a].any(axis=0) for a in everyone]
                       ).reshape(arrays.n_actors, arrays.n_issues)
    rows = np.full((arrays.n_actors, arrays.n_issues), np.nan)
    for a in everyone:
        if not defined[a].any():
            continue  # nobody else cares about anything: no scenario left to run
        rest = arrays.take_actors(everyone[everyone != a])
        # An issue nobody left cares about is 0/0 in some models: dropped just below, so
        # numpy's warning about it would only alarm.
        with np.errstate(invalid="ignore", divide="ignore"):
            forecast = arrays.to_units(runner.run(rest, model_stream(f.seed, name)).forecast)
        rows[a] = np.where(defined[a], forecast, np.nan)
        if not np.isfinite(rows[a][defined[a]]).all():
            raise non_finite_error(f"{name} without {arrays.actor_ids[a]}")
    return WithoutActor(name, arrays.actor_ids, arrays.issue_ids,
                        arrays.to_units(result.forecast), rows, f.seed, defined)


#: A cell of the map without a forecast (``WithoutActor.defined`` false), said in words.
NO_FORECAST = "no forecast"


def counterfactual_map(source: ForecastLike = None, model: str | None = None, *,
                       ax: Axes | None = None) -> Figure:
    """Heat map: how far each issue's forecast moves when each actor is left out.

    Rows are actors, columns issues; each cell is the forecast without that actor minus
    the forecast with everybody, in the issue's units (purple: lower on the scale, orange:
    higher; numbers in the cells).
    """
    f = as_forecast(source)
    cf = without_each_actor(f, model)
    shift = cf.shift
    n_actors, n_issues = shift.shape
    if ax is None:
        row = row_inches(n_actors, 0.42)
        height = 1.6 + row * n_actors
        fig = new_figure(9.0, height)
        ax = fig.add_axes((1.6 / 9.0, 0.1, 1 - 2.5 / 9.0, row * n_actors / height))
    fig = ax.get_figure()
    # The colour scale from the shifts there are: one NaN would make it NaN, and every
    # cell would print as "0" (abs(nan) >= 0.5 is false).
    limit = max(float(np.abs(shift[cf.defined]).max(initial=0.0)), 1e-9)
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-limit, vmax=limit)
    image = ax.imshow(np.ma.masked_invalid(shift), cmap="PuOr_r", norm=norm, aspect="auto")
    spans = [f.scenario.issue(i).scale.span for i in cf.issue_ids]
    for a in range(n_actors):
        for i in range(n_issues):
            value = shift[a, i]
            if not cf.defined[a, i]:
                ax.text(i, a, NO_FORECAST, ha="center", va="center", fontsize=7.5,
                        color=MUTED)
                continue
            strong = abs(value) > 0.55 * limit
            # Whole units where they read (+22: a unit is at most 1% of the scale); a small
            # scale's shifts with the digits the scale needs.
            shown = (fmt_signed(value, 0) if abs(value) >= 1 and spans[i] >= 100
                     else fmt_shift(value, spans[i]))
            ax.text(i, a, shown, ha="center",
                    va="center", fontsize=7.5, color="white" if strong else INK)
    names = [f.scenario.name_of(a) for a in cf.actor_ids]
    ax.set_yticks(range(n_actors), [f"without {wrap(n, 22)}" for n in names], fontsize=8)
    ax.set_xticks(range(n_issues), [wrap(f.scenario.name_of(i), 14) for i in cf.issue_ids],
                  fontsize=7)
    ax.tick_params(length=0)
    ax.xaxis.tick_top()
    for side in ax.spines.values():
        side.set_visible(False)
    units = {f.scenario.issue(i).units for i in cf.issue_ids}
    unit = units.pop() if len(units) == 1 else "issue units"
    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    # Which way + points: towards the scale's high end, named by its top anchor where
    # every issue has one, so that a reader need not know how each scale is oriented.
    bar.set_label(f"shift of the forecast without the actor ({unit})\n+ = towards the high "
                  "end of the scale, − = towards the low end", fontsize=7.5, color=MUTED)
    if not cf.defined.all():
        ax.set_xlabel(f"{NO_FORECAST}: nobody else cares about the issue (salience 0), so "
                      "there is no forecast without the actor", fontsize=7.5, color=MUTED)
    bar.ax.tick_params(labelsize=7)
    ax.set_title(f"{f.scenario.title}: {model_label(cf.model)} forecast without each actor",
                 loc="left",
                 fontsize=10, fontweight="bold", color=INK, pad=34 if n_issues > 4 else 22)
    return fig


def largest_shifts(cf: WithoutActor, names: Sequence[str], issues: Sequence[str],
                   count: int = 1) -> list[tuple[str, str, float]]:
    """The ``count`` largest absolute shifts as (actor name, issue name, shift), of those
    there are (``cf.defined``)."""
    size = np.where(cf.defined, np.abs(cf.shift), -1.0)
    flat = np.argsort(-size, axis=None, kind="stable")[:min(count, int(cf.defined.sum()))]
    out = []
    for index in flat:
        a, i = np.unravel_index(index, cf.shift.shape)
        out.append((names[a], issues[i], float(cf.shift[a, i])))
    return out
