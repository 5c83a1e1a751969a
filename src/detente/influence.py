"""Influence on a forecast: how far each actor moves it, and how far one must move.

For a model f (any registered forecasting model, run with one seed so that a stochastic
model sees the same random numbers at every evaluation: common random numbers), the
forecast of issue k as a function of actor a's position p[a,k], everything else held:

* **influence** ∂f_k/∂p[a,k] by central differences with a step h of 1% of the scale
  (one-sided at the scale's ends), in issue units of forecast per issue unit of position.
  A compromise (weighted mean) model gives w[a,k] / Σ_b w[b,k] (the actor's weight
  share); a median-like model gives 0 for everyone but the pivotal actor. Finite
  differences of a model with jumps read a jump as a large slope over one step: the
  target search below does not rely on the slope.
* **shift to a target** t for a chosen actor a and issue k: f_k is evaluated on a grid of
  201 positions over the scale; among the grid intervals where f_k − t changes sign (or is
  0), the one nearest the current position is refined by 40 bisection steps. The answer is
  reported as reachable only when the forecast there is within 0.1% of the scale of t;
  otherwise the nearest forecast any scanned position reaches is reported instead (a
  model with jumps can step over the target).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from detente.arrays import Arrays
from detente.errors import as_written, option_error, option_text
from detente.models import get_model, model_stream, require_known_actors
from detente.render import fmt, fmt_apart, fmt_shift
from detente.scenario import Scenario, did_you_mean, load
from detente.variation import change_text

STEP_SHARE = 0.01
GRID = 201
BISECTIONS = 40
TOLERANCE_SHARE = 1e-3


@dataclass(frozen=True)
class TargetShift:
    """The position of ``actor`` on ``issue`` that moves the forecast to ``target`` (issue
    units). ``position`` None when no position on the scale reaches it; then ``nearest``
    is the closest forecast any scanned position gives, at ``nearest_position``.
    ``span``: the width of the issue's scale, which the numbers are written against."""

    actor: str
    issue: str
    target: float
    current_position: float
    current_forecast: float
    position: float | None
    forecast: float
    nearest: float
    nearest_position: float
    span: float

    @property
    def shift(self) -> float | None:
        return None if self.position is None else self.position - self.current_position

    def describe(self) -> str:
        def shown(value: float) -> str:
            return fmt(value, self.span)

        if self.position is None:
            # The nearest never reads as the target it falls short of (15.9993 is not 16).
            target, nearest = fmt_apart(self.target, self.nearest, self.span)
            return (f"no position of {self.actor} on {self.issue} moves the forecast to "
                    f"{target}: the nearest is {nearest} ({self.actor} at position "
                    f"{shown(self.nearest_position)}; the forecast now is "
                    f"{shown(self.current_forecast)}, with {self.actor} at "
                    f"{shown(self.current_position)})")
        now, moved = fmt_apart(self.current_position, self.position, self.span)
        before, after = fmt_apart(self.current_forecast, self.forecast, self.span)
        return (f"{self.actor} moving from {now} to {moved} on {self.issue} "
                f"({fmt_shift(self.position - self.current_position, self.span)}) moves "
                f"the forecast from {before} to {after}")

    def to_dict(self) -> dict[str, Any]:
        return {"actor": self.actor, "issue": self.issue, "target": self.target,
                "current_position": self.current_position,
                "current_forecast": self.current_forecast, "position": self.position,
                "shift": self.shift, "forecast": self.forecast, "nearest": self.nearest,
                "nearest_position": self.nearest_position, "text": self.describe()}


@dataclass(frozen=True)
class Influence:
    """``forecast[k]`` (issue units) and ``influence[a][k]``: forecast units per position
    unit of actor a on issue k; ``target``: the optional shift to a target; ``spans``: each
    issue's scale width, which its numbers are written against (not in the JSON)."""

    scenario: str
    model: str
    options: dict[str, Any]
    seed: int
    forecast: dict[str, float]
    influence: dict[str, dict[str, float]]
    target: TargetShift | None
    spans: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {"format": "detente.influence", "version": 1, "scenario": self.scenario,
                "model": self.model, "options": self.options, "seed": self.seed,
                "forecast": self.forecast,
                "influence": self.influence,
                "target": self.target.to_dict() if self.target else None}


def _forecast(model: Any, arrays: Arrays, seed: int) -> np.ndarray:
    # The stream `forecast` hands the model at this seed: the influence's base forecast is
    # the forecast's, and every shifted run draws alike, so a difference is the shift's.
    return np.asarray(model.run(arrays, model_stream(seed, model.name)).forecast, dtype=float)


def _with_position(arrays: Arrays, a: int, k: int, value: float) -> Arrays:
    position = arrays.position.copy()
    position[a, k] = value
    return arrays.replace(position=position)


def influence(scenario: Scenario | str | Path | None = None, model: str = "compromise", *,
              actor: str | None = None, issue: str | None = None,
              target: float | None = None, seed: int = 0,
              options: dict[str, Any] | None = None, variation: Any = None) -> Influence:
    """Each actor's influence on the ``model`` forecast, and optionally the position of
    ``actor`` on ``issue`` that moves that issue's forecast to ``target`` (issue units)."""
    s = load(scenario)
    arrays = s.compile()
    if variation is not None and not variation.is_empty:
        arrays = variation.apply(arrays)
    m = get_model(model, **(options or {}))
    require_known_actors({model: options or {}}, arrays.actor_ids)
    actors, issues = list(arrays.actor_ids), list(arrays.issue_ids)
    if actor is not None and actor not in actors:
        raise option_error("--actor", f"unknown actor '{actor}'", did_you_mean(actor, actors))
    if issue is not None and issue not in issues:
        raise option_error("--issue", f"unknown issue '{issue}'", did_you_mean(issue, issues))
    low, high = arrays.scale_low, arrays.scale_high
    span = high - low
    pieces = (actor, issue, target)
    if any(x is not None for x in pieces) and None in pieces:
        # The example names this scenario's ids (those given first) and a target mid-scale,
        # so that running the fix as written works.
        example_actor, example_issue = actor or actors[0], issue or issues[0]
        k = issues.index(example_issue)
        example = (f"{option_text('actor', example_actor)} "
                   f"{option_text('issue', example_issue)} "
                   f"{option_text('target', as_written(low[k] + span[k] / 2))}")
        if target is None:
            raise option_error("--actor" if actor is not None else "--issue",
                               f"{option_text('actor')} and {option_text('issue')} say who "
                               f"moves to reach {option_text('target')}: without it they "
                               "change nothing",
                               f"give all three, e.g. {example}, or leave them out for the "
                               "influence table alone")
        raise option_error("--target", "a target needs the actor that moves and the issue",
                           f"give {example}")
    if target is not None:
        k = issues.index(issue)  # type: ignore[arg-type]
        if not (np.isfinite(target) and low[k] <= target <= high[k]):
            raise option_error("--target", f"target {as_written(target)} is off {issue}'s "
                               f"scale ({as_written(low[k])} to {as_written(high[k])})",
                               "give a value on the scale")
        _require_stance(m, arrays, actors.index(actor), k)  # type: ignore[arg-type]
    base = _forecast(m, arrays, seed)
    h = STEP_SHARE
    table: dict[str, dict[str, float]] = {}
    for a, a_id in enumerate(actors):
        row = {}
        for k, k_id in enumerate(issues):
            p = float(arrays.position[a, k])
            up, down = min(p + h, 1.0), max(p - h, 0.0)
            f_up = _forecast(m, _with_position(arrays, a, k, up), seed)[k]
            f_down = _forecast(m, _with_position(arrays, a, k, down), seed)[k]
            # Unit scale in and out: the slope is the same in issue units per issue unit.
            row[k_id] = float((f_up - f_down) / (up - down))
        table[a_id] = row
    shift = None
    if target is not None:
        shift = _target(m, arrays, seed, actors.index(actor), issues.index(issue),  # type: ignore[arg-type]
                        (target - low[issues.index(issue)]) / span[issues.index(issue)])  # type: ignore[arg-type]
    units = low + base * span
    return Influence(s.id, m.name, m.options_dict(), seed,
                     {i: float(units[k]) for k, i in enumerate(issues)},
                     table, shift, {i: float(span[k]) for k, i in enumerate(issues)})


def _require_stance(model: Any, arrays: Arrays, a: int, k: int) -> None:
    """Refuse a target for an actor without a stance on the issue: its position there is
    the status-quo placeholder no model reads (docs/scenario-format.md), so the scan would
    quote a made-up position and find that no position of it moves anything. A stance of
    salience 0 is no stance to every model but those that declare they read it
    (``reads_idle_stances``), and is refused alike for the others."""
    idle = bool(arrays.stake[a, k]) and not arrays.salience[a, k] > 0
    if arrays.stake[a, k] and (not idle or model.reads_idle_stances):
        return
    actor, issue = arrays.actor_ids[a], arrays.issue_ids[k]
    holders = [arrays.actor_ids[b] for b in range(arrays.n_actors)
               if arrays.stake[b, k] and arrays.salience[b, k] > 0]
    salience = change_text('--salience', f'{actor}.{issue}=0.5')
    if idle:
        raise option_error("--actor", f"{actor}'s stance on {issue} has salience 0, which "
                           f"{model.name} reads as no stance, so none of its positions "
                           "moves the forecast",
                           f"choose an actor with a stake on {issue} ({', '.join(holders)}), "
                           f"or give {actor} a salience there: {salience}")
    middle = as_written(float(arrays.scale_low[k] + arrays.scale_high[k]) / 2)
    raise option_error("--actor", f"{actor} has no stance on {issue}: its position there is "
                       "a placeholder no model reads, so none of its positions moves the "
                       "forecast",
                       f"choose an actor with a stake on {issue} ({', '.join(holders)}), or "
                       f"give {actor} a stance first: "
                       f"{change_text('--position', f'{actor}.{issue}={middle}')} "
                       f"{salience}")


def _target(m: Any, arrays: Arrays, seed: int, a: int, k: int, goal: float) -> TargetShift:
    low, span = float(arrays.scale_low[k]), float(arrays.scale_high[k] - arrays.scale_low[k])
    grid = np.linspace(0.0, 1.0, GRID)
    values = np.array([_forecast(m, _with_position(arrays, a, k, float(p)), seed)[k]
                       for p in grid])
    now = float(arrays.position[a, k])
    base = _forecast(m, arrays, seed)[k]
    diff = values - goal
    brackets = [j for j in range(GRID - 1) if diff[j] == 0 or diff[j] * diff[j + 1] < 0]
    if diff[-1] == 0:
        brackets.append(GRID - 1)
    position = None
    reached = float("nan")
    if brackets:
        j = min(brackets, key=lambda j: abs(grid[j] - now))
        lo_p, hi_p = grid[j], grid[min(j + 1, GRID - 1)]
        if diff[j] == 0:
            hi_p = lo_p
        f_lo = diff[j]
        for _ in range(BISECTIONS):
            if hi_p - lo_p <= 0:
                break
            mid = (lo_p + hi_p) / 2
            f_mid = _forecast(m, _with_position(arrays, a, k, mid), seed)[k] - goal
            if f_mid == 0 or (f_mid > 0) == (f_lo > 0):
                lo_p, f_lo = (mid, f_mid) if f_mid != 0 else (mid, 0.0)
                if f_mid == 0:
                    hi_p = mid
            else:
                hi_p = mid
        candidate = lo_p if abs(f_lo) <= abs(
            _forecast(m, _with_position(arrays, a, k, hi_p), seed)[k] - goal) else hi_p
        reached = float(_forecast(m, _with_position(arrays, a, k, candidate), seed)[k])
        if abs(reached - goal) <= TOLERANCE_SHARE:
            position = float(candidate)
    best = int(np.argmin(np.abs(diff)))
    return TargetShift(
        actor=arrays.actor_ids[a], issue=arrays.issue_ids[k], target=low + goal * span,
        current_position=low + now * span, current_forecast=low + float(base) * span,
        position=None if position is None else low + position * span,
        forecast=low + (reached if position is not None else float(values[best])) * span,
        nearest=low + float(values[best]) * span, nearest_position=low + grid[best] * span,
        span=span)


__all__ = ["Influence", "TargetShift", "influence"]
