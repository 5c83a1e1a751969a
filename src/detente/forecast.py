"""Forecast a scenario with several models side by side (the API behind `detente forecast`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from detente.arrays import Arrays
from detente.combine import LEVELS, CombinedForecast, combine_results, load_combination
from detente.models import (
    DEFAULT_MODELS,
    Model,
    ModelResult,
    get_model,
    model_stream,
    require_known_actors,
    spawn_seed,
)
from detente.resources import require_memory
from detente.scenario import Issue, Scenario, load
from detente.variation import Variation

JSON_FORMAT_VERSION = 1


@dataclass(frozen=True)
class Forecast:
    """Results of several models on one scenario, in issue units."""

    scenario: Scenario
    arrays: Arrays
    results: dict[str, ModelResult]
    #: The seed every model's stream comes from: ``forecast(..., rng=seed)`` repeats the run.
    seed: int
    variation: Variation | None = None
    #: The combined forecast (:mod:`detente.combine`), when asked for.
    combined: CombinedForecast | None = None

    def values(self, model: str) -> dict[str, float]:
        """Issue id -> forecast in the issue's own units."""
        units = self.arrays.to_units(self.results[model].forecast)
        return {iid: float(v) for iid, v in zip(self.arrays.issue_ids, units, strict=True)}

    def spread(self, models: Sequence[str]) -> list[tuple[Issue, float]]:
        """How far ``models`` disagree on each issue, most first (ties in the scenario's
        order): the range of their forecasts, highest less lowest, as a share of the
        issue's scale (0-1). The one measure by which the brief and the report say where
        the models differ most (first) and agree most (last)."""
        values = [self.values(m) for m in models]
        widths = [(issue, (max(v[issue.id] for v in values) - min(v[issue.id] for v in values))
                   / (issue.scale.high - issue.scale.low)) for issue in self.scenario.issues]
        return sorted(widths, key=lambda pair: -pair[1])

    def trajectory(self, model: str) -> dict[str, list[list[float]]] | None:
        """Issue id -> one list per round of every actor's position (issue units)."""
        result = self.results[model]
        if result.trajectory is None:
            return None
        traj = np.moveaxis(result.trajectory, -1, 0)  # I, R+1, A
        low, high = self.arrays.scale_low, self.arrays.scale_high
        out = {}
        for k, iid in enumerate(self.arrays.issue_ids):
            rounds = traj.shape[1] - 1 if result.rounds is None else int(result.rounds[k])
            units = low[k] + traj[k, : rounds + 1] * (high[k] - low[k])
            out[iid] = [[float(x) for x in row] for row in units]
        return out

    def forecast_path(self, model: str) -> dict[str, list[float]] | None:
        """Issue id -> the forecast after each round (issue units), for stepwise models."""
        result = self.results[model]
        path = result.details.get("forecast_path")
        if path is None:
            return None
        units = self.arrays.to_units(np.asarray(path))  # R+1, I
        out = {}
        for k, iid in enumerate(self.arrays.issue_ids):
            rounds = units.shape[0] - 1 if result.rounds is None else int(result.rounds[k])
            out[iid] = [float(v) for v in units[: rounds + 1, k]]
        return out

    def records(self) -> list[dict[str, Any]]:
        """A tidy table: one record per model and issue (no pandas needed)."""
        rows = []
        for name in self.results:
            for iid, value in self.values(name).items():
                issue = self.scenario.issue(iid)
                anchor = issue.nearest_anchor(value)
                rows.append({
                    "scenario": self.scenario.id, "model": name, "issue": iid,
                    "issue_name": issue.name, "status_quo": issue.status_quo.value,
                    "forecast": value, "nearest_anchor": anchor.label if anchor else "",
                    "units": issue.units,
                })
        return rows

    def to_csv(self) -> str:
        buffer = io.StringIO()
        rows = self.records()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue()

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON contract documented in docs/json-format.md."""
        models = []
        for name, result in self.results.items():
            entry: dict[str, Any] = {
                "name": name, "options": result.options, "forecast": self.values(name),
            }
            trajectory = self.trajectory(name)
            if trajectory is not None:
                entry["trajectory"] = trajectory
            path = self.forecast_path(name)
            if path is not None:
                entry["forecast_path"] = path
            if result.seed is not None:
                entry["seed"] = result.seed
            models.append(entry)
        return {
            "format": "detente.forecast", "version": JSON_FORMAT_VERSION,
            "scenario": self.scenario.id, "actors": list(self.arrays.actor_ids),
            "issues": list(self.arrays.issue_ids),
            "status_quo": {i.id: i.status_quo.value for i in self.scenario.issues},
            "seed": self.seed, "models": models,
            # Only when a counterfactual was applied, so the baseline contract is unchanged.
            **({"counterfactual": self.variation.describe()}
               if self.variation is not None and not self.variation.is_empty else {}),
            # Only when asked for (--combined), so the default contract is unchanged.
            **({"combined": self.combined_dict()} if self.combined is not None else {}),
        }

    def combined_values(self) -> dict[str, dict[str, float]]:
        """Issue id -> point, interval bounds (``low80``, ``high80``, ...) and spread, in
        issue units."""
        c = self.combined
        if c is None:
            return {}
        units = self.arrays.to_units
        cols = {"combined": units(c.point), "spread_low": units(c.spread[0]),
                "spread_high": units(c.spread[1])}
        for level, (low, high) in c.intervals.items():
            cols[f"low{100 * level:g}"] = units(low)
            cols[f"high{100 * level:g}"] = units(high)
        return {iid: {k: float(v[i]) for k, v in cols.items()}
                for i, iid in enumerate(self.arrays.issue_ids)}

    def combined_dict(self) -> dict[str, Any]:
        c = self.combined
        assert c is not None
        return {"forecast": self.combined_values(), "models": list(c.models),
                "stack": dict(c.combination.stack), "mixture": dict(c.combination.mixture),
                "sigma": c.combination.sigma, "point_weight": c.combination.point_weight,
                "fitted_on": c.combination.provenance.get("data", ""),
                "levels": [float(lv) for lv in c.intervals]}


def forecast(
    scenario: Scenario | str | Path | None = None,
    models: Sequence[str | Model] | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    rng: np.random.Generator | int | None = None,
    variation: Variation | None = None,
    max_memory: int | str | None = None,
    combined: bool = False,
    combination: str | Path | None = None,
) -> Forecast:
    """Forecast every issue of a scenario with each model.

    ``scenario``: a Scenario, a file path or an embedded id (default ``korea-2017``).
    ``models``: registered names or Model instances (default compromise, median, nash).
    ``options``: per model name, options for that model. ``rng``: a seed or a Generator (an
    integer seed is drawn from it); the result's ``seed`` repeats the run. Each stochastic
    model draws from its own stream, fixed by the seed and its name
    (:func:`detente.models.model_stream`), so adding, removing or reordering models does not
    change another's numbers. ``variation``: a counterfactual
    (:class:`detente.variation.Variation`) applied to the compiled arrays before any model
    runs. ``max_memory``: bytes (or ``"16G"``) a
    model may need; default ``DETENTE_MAX_MEMORY`` or 4 GiB. Every model's estimate is
    checked before any runs. ``combined``: also give the combined forecast
    (:mod:`detente.combine`) with its 50/80/95 % intervals and the spread across models; the
    models it needs are run too (they shape the spread and the intervals; ``results`` keeps
    the models asked for). ``combination``: a file from ``detente validate --fit``
    (default: the one shipped, fitted on DEU III).
    """
    s = load(scenario)
    arrays = s.compile()
    if variation is not None and not variation.is_empty:
        arrays = variation.apply(arrays)
    options = options or {}
    seed = spawn_seed(rng if rng is not None else 0)
    chosen = list(models) if models else list(DEFAULT_MODELS)
    asked = [m if isinstance(m, str) else m.name for m in chosen]
    fitted = load_combination(combination) if combined or combination is not None else None
    if fitted is not None:
        chosen += [m for m in fitted.models if m not in asked]
    built = [get_model(m, **dict(options.get(m, {}))) if isinstance(m, str) else m
             for m in chosen]
    require_known_actors(options, arrays.actor_ids)
    batch = int(np.prod(arrays.batch_shape)) if arrays.batch_shape else 1
    for model in built:  # all refusals before any work
        need = model.estimate(arrays.n_actors, arrays.n_issues, batch).working
        require_memory(f"model '{model.name}' on {arrays.n_actors} actors and "
                       f"{arrays.n_issues} issues", need, max_memory,
                       "use a smaller scenario or another model", location=model.name,
                       option=None, source=s.id)
    results: dict[str, ModelResult] = {}
    for model in built:
        results[model.name] = model.run(arrays, model_stream(seed, model.name))
    together = None
    if fitted is not None:
        together = combine_results({n: r.forecast for n, r in results.items()}, fitted, LEVELS)
        # The models run only for the combination live on in its spread and intervals;
        # the result lists the models asked for.
        results = {n: results[n] for n in asked}
    return Forecast(scenario=s, arrays=arrays, results=results, seed=seed, variation=variation,
                    combined=together)
