"""Accuracy of models against observed outcomes: metrics, bootstrap intervals, breakdowns.

The unit of the data is a :class:`Case`: a scenario whose ``outcomes`` hold what was
decided, the *group* it belongs to (for DEU: the legislative proposal) and tags to break
results down by (procedure, Council rule). Every registered model and a few baselines give
one prediction per issue; errors are measured on each issue's scale rescaled to 0-100
(DEU scales are 0-100 already), so "within 10" means within a tenth of the scale.

Bootstrap intervals resample *groups* with replacement (Efron & Tibshirani 1993, ch. 13,
percentile intervals; the cluster bootstrap of Field & Welsh 2007): issues of one proposal
share the same negotiators and context, so they are not independent draws. Models are run
once on all issues, batched over a leading axis of issues that have the same number of
actors (:func:`run_models`), so every model sees every issue in a handful of calls.
"""

from __future__ import annotations

import csv
import io
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from detente.arrays import Arrays
from detente.errors import option_error, scenario_error
from detente.models import (
    REGISTRY,
    Model,
    get_model,
    make_rng,
    model_seed,
    require_known_actors,
    spawn_seed,
)
from detente.models.median import weighted_median
from detente.scenario import Scenario, load
from detente.variation import Variation

if TYPE_CHECKING:
    from detente.combine import Calibration, Combination

#: Metric keys, in table order, with their labels.
METRICS: dict[str, str] = {
    "mae": "MAE",
    "rmse": "RMSE",
    "median": "Median AE",
    "within10": "≤10 pts",
    "within20": "≤20 pts",
}
DEFAULT_BOOTSTRAP = 1000
#: The fewest groups a bootstrap interval is drawn from: resampling one group gives it back
#: every time.
MIN_GROUPS = 2


@dataclass(frozen=True)
class Case:
    """A scenario with observed outcomes, the group it is resampled with, and its tags.

    ``status_quo_known``: False when the scenario's status quo is only a placeholder (the
    status-quo baseline then skips it). ``baselines``: extra named predictions per issue id
    (e.g. the Commission's position), in issue units.
    """

    scenario: Scenario
    group: str
    tags: Mapping[str, str] = field(default_factory=dict)
    status_quo_known: bool = True
    baselines: Mapping[str, Mapping[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class IssueRow:
    case: str
    issue: str
    group: str
    tags: Mapping[str, str]
    observed: float
    low: float
    high: float


@dataclass(frozen=True)
class Score:
    """Metrics of one predictor on one subset, with bootstrap 95 % intervals."""

    predictor: str
    kind: str
    subset: str
    n_issues: int
    n_groups: int
    value: Mapping[str, float]
    low: Mapping[str, float]
    high: Mapping[str, float]

    def interval(self, key: str) -> tuple[float, float] | None:
        """The 95 % interval of metric ``key``; None where there is none (one group, no
        bootstrap, no issues)."""
        low, high = self.low[key], self.high[key]
        return (low, high) if np.isfinite(low) and np.isfinite(high) else None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"predictor": self.predictor, "kind": self.kind,
                               "subset": self.subset, "n_issues": self.n_issues,
                               "n_groups": self.n_groups}
        for key in METRICS:
            out[key] = _or_null(self.value[key])
            out[f"{key}_low"] = _or_null(self.low[key])
            out[f"{key}_high"] = _or_null(self.high[key])
        return out


def _or_null(value: float) -> float | None:
    """NaN marks a number that does not exist (no bootstrap, no issues): JSON ``null``."""
    return None if value != value else value


# ---------------------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------------------


def point_metrics(abs_error: np.ndarray) -> dict[str, float]:
    """MAE, RMSE, median absolute error, shares within 10 and 20 points, of ``|errors|``."""
    a = np.asarray(abs_error, dtype=float)
    if a.size == 0:
        return {k: float("nan") for k in METRICS}
    return {"mae": float(np.mean(a)), "rmse": float(np.sqrt(np.mean(a**2))),
            "median": float(np.median(a)), "within10": float(np.mean(a <= 10 + 1e-9)),
            "within20": float(np.mean(a <= 20 + 1e-9))}


def resample_counts(n_groups: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """How often each group is drawn in each bootstrap replicate, ``[n_boot, n_groups]``."""
    return rng.multinomial(n_groups, np.full(n_groups, 1.0 / n_groups), size=n_boot)


def issue_draws(groups: Sequence[str] | np.ndarray, n_boot: int,
                rng: np.random.Generator | int | None) -> tuple[int, np.ndarray | None]:
    """The number of distinct ``groups`` (one label per issue) and how often each issue is
    drawn in each bootstrap replicate (its group's count, :func:`resample_counts`),
    ``[n_boot, n_issues]``; None where there is no interval: no replicates, or fewer than
    :data:`MIN_GROUPS` groups. A fresh generator from the same seed draws the same counts
    for every predictor on the same issues, so their intervals are comparable."""
    labels, index = np.unique(np.asarray(groups, dtype=object).astype(str), return_inverse=True)
    if len(labels) < MIN_GROUPS or n_boot <= 0:
        return len(labels), None
    generator, _ = make_rng(rng)
    return len(labels), resample_counts(len(labels), n_boot, generator)[:, index]


def weighted_metrics(abs_error: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
    """The metrics of replicated samples: issue ``k`` taken ``counts[b, k]`` times in ``b``.

    The median is that of the expanded sample (mean of the two middle ranks when its size
    is even), so ``counts`` of ones give :func:`point_metrics` exactly.
    """
    a = np.asarray(abs_error, dtype=float)
    w = np.asarray(counts, dtype=float)
    total = w.sum(axis=1)
    out = {"mae": w @ a / total, "rmse": np.sqrt(w @ a**2 / total),
           "within10": w @ (a <= 10 + 1e-9) / total, "within20": w @ (a <= 20 + 1e-9) / total}
    order = np.argsort(a, kind="stable")
    cum = np.cumsum(w[:, order], axis=1)
    sorted_a = a[order]
    lower_rank = np.floor((total + 1) / 2)  # 1-based ranks of the middle element(s)
    upper_rank = np.floor(total / 2) + 1
    lower = sorted_a[np.argmax(cum >= lower_rank[:, None] - 1e-9, axis=1)]
    upper = sorted_a[np.argmax(cum >= upper_rank[:, None] - 1e-9, axis=1)]
    out["median"] = 0.5 * (lower + upper)
    return out


def score(abs_error: np.ndarray, groups: Sequence[str], n_boot: int = DEFAULT_BOOTSTRAP,
          rng: np.random.Generator | int | None = 0, predictor: str = "", kind: str = "",
          subset: str = "all") -> Score:
    """Point metrics of absolute errors and percentile 95 % intervals from a group bootstrap.

    Groups (e.g. proposals) are drawn with replacement, each bringing all its issues; a
    fresh generator from the same seed gives every predictor on the same issues the same
    draws, so their intervals are comparable. One group has no interval (NaN bounds):
    each resample would be that group again, an interval of width 0 that claims a
    certainty the data cannot give.
    """
    a = np.asarray(abs_error, dtype=float)
    n_groups, counts = issue_draws(groups, n_boot, rng)
    value = point_metrics(a)
    low = {k: float("nan") for k in METRICS}
    high = dict(low)
    if counts is not None:
        replicated = weighted_metrics(a, counts)
        for key, values in replicated.items():
            low[key], high[key] = (float(v) for v in np.percentile(values, [2.5, 97.5]))
    return Score(predictor=predictor, kind=kind, subset=subset, n_issues=int(a.size),
                 n_groups=n_groups, value=value, low=low, high=high)


# ---------------------------------------------------------------------------------------
# Running models, batched
# ---------------------------------------------------------------------------------------


def _batch_key(arrays: Arrays, by_ids: bool) -> tuple[Any, ...]:
    shape_key = (arrays.position.shape, len(arrays.guarantor_ids), arrays.stake.tobytes(),
                 arrays.veto.tobytes(), arrays.scale_low.tobytes(), arrays.scale_high.tobytes())
    return (arrays.actor_ids, *shape_key) if by_ids else shape_key


def stack_arrays(items: Sequence[Arrays]) -> Arrays:
    """Stack unbatched arrays of one shape (same stake and veto) on a new batch axis.

    Where the members' actor ids differ, the stack gets neutral ids (``a0``, ``a1``, ...).
    """
    first = items[0]
    same_ids = all(a.actor_ids == first.actor_ids for a in items)
    actor_ids = first.actor_ids if same_ids else tuple(f"a{k}" for k in range(first.n_actors))
    return first.replace(
        actor_ids=actor_ids,
        capability=np.stack([a.capability for a in items]),
        position=np.stack([a.position for a in items]),
        salience=np.stack([a.salience for a in items]),
        status_quo=np.stack([a.status_quo for a in items]),
        trust=np.stack([a.trust for a in items]),
    )


def _run_one(model: Model, arrays: Sequence[Arrays],
             seed: np.random.SeedSequence) -> tuple[list[np.ndarray], float]:
    """One model on every scenario, batched; its forecasts and wall-clock seconds."""
    start = time.perf_counter()
    by_ids = bool(model.actor_options)
    batches: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for k, a in enumerate(arrays):
        batches[_batch_key(a, by_ids)].append(k)
    model_rng = np.random.default_rng(seed)
    results: list[np.ndarray] = [np.empty(0)] * len(arrays)
    for members in batches.values():
        stacked = stack_arrays([arrays[k] for k in members])
        forecast = np.asarray(model.run(stacked, model_rng).forecast)
        for row, k in enumerate(members):
            results[k] = forecast[row]
    return results, time.perf_counter() - start


def run_models(arrays: Sequence[Arrays], models: Sequence[Model],
               rng: np.random.Generator | int | None = 0,
               seconds: dict[str, float] | None = None,
               workers: int = 1) -> dict[str, list[np.ndarray]]:
    """Forecasts (unit scale) of each model on each scenario, batched by shape.

    Scenarios with the same number of actors and issues (and the same stake and veto
    pattern) are stacked on a leading batch axis and run in one call per model. A model that
    looks actors up by id (class attribute ``actor_options``) is batched only over
    scenarios with the same actor ids. Each model draws from its own stream, fixed by the
    seed and its name (:func:`detente.models.model_seed`, as in ``forecast``), so adding
    a model changes no other's numbers, and ``workers``
    > 1 runs models in parallel processes with the same numbers. ``seconds``, if given,
    receives each model's wall-clock time.
    """
    seed = spawn_seed(rng)
    seeds = [model_seed(seed, m.name) for m in models]
    if workers > 1 and len(models) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=min(workers, len(models))) as pool:
            futures = [pool.submit(_run_one, m, arrays, s)
                       for m, s in zip(models, seeds, strict=True)]
            done = [f.result() for f in futures]
    else:
        done = [_run_one(m, arrays, s) for m, s in zip(models, seeds, strict=True)]
    out: dict[str, list[np.ndarray]] = {}
    for model, (results, secs) in zip(models, done, strict=True):
        out[model.name] = results
        if seconds is not None:
            seconds[model.name] = secs
    return out


# ---------------------------------------------------------------------------------------
# Cross-validation grouped by proposal
# ---------------------------------------------------------------------------------------

DEFAULT_FOLDS = 10


def grouped_folds(groups: Sequence[str], k: int = DEFAULT_FOLDS,
                  rng: np.random.Generator | int | None = 0) -> np.ndarray:
    """A fold number per item such that every group lies in exactly one fold.

    Groups are shuffled (seeded), then dealt largest first to the fold with the fewest
    items so far, which balances the folds' sizes. ``k`` larger than the number of groups
    gives one fold per group (leave one group out).
    """
    labels, index = np.unique(np.asarray(groups, dtype=object).astype(str), return_inverse=True)
    k = max(1, min(k, len(labels)))
    generator, _ = make_rng(rng)
    sizes = np.bincount(index, minlength=len(labels))
    order = generator.permutation(len(labels))
    order = order[np.argsort(-sizes[order], kind="stable")]  # largest first, ties shuffled
    fold_of_group = np.empty(len(labels), dtype=int)
    load = np.zeros(k)
    for g in order:
        fold = int(np.argmin(load))
        fold_of_group[g] = fold
        load[fold] += sizes[g]
    return fold_of_group[index]


def is_fitted(model: Model) -> bool:
    """Whether a model has parameters it can fit to outcomes (a ``fit`` method)."""
    return callable(getattr(model, "fit", None))


def cross_validated_forecasts(model: Model, arrays: Sequence[Arrays],
                              observed: Sequence[np.ndarray], groups: Sequence[str],
                              k: int = DEFAULT_FOLDS, rng: int = 0) -> list[np.ndarray]:
    """Out-of-sample forecasts: each scenario forecast by the model refitted without its fold.

    Folds are grouped (:func:`grouped_folds`), so no group (proposal) is ever both in the
    data a forecast was fitted on and among the issues it forecasts. ``observed``: per
    scenario, the outcome of each issue on the unit scale (NaN where none).
    """
    folds = grouped_folds(groups, k, rng)
    out: list[np.ndarray] = [np.empty(0)] * len(arrays)
    for fold in np.unique(folds):
        train = np.flatnonzero(folds != fold)
        test = np.flatnonzero(folds == fold)
        fitted = model.fit([arrays[i] for i in train],  # type: ignore[attr-defined]
                           [observed[i] for i in train])
        forecasts = run_models([arrays[i] for i in test], [fitted], rng)[fitted.name]
        for i, forecast in zip(test, forecasts, strict=True):
            out[i] = forecast
    return out


# ---------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValidationResult:
    """Predictions of every predictor on every scored issue, and their scores."""

    rows: tuple[IssueRow, ...]
    predictions: dict[str, np.ndarray]
    kinds: dict[str, str]
    seed: int | None
    n_boot: int
    notes: tuple[str, ...] = ()
    #: Wall-clock seconds each model took (cross-validation included); not in to_dict().
    seconds: Mapping[str, float] = field(default_factory=dict)
    #: Per row: whether the issue's status quo is known (False: a placeholder such as DEU's
    #: midpoint where the data set has no reference point).
    status_quo_known: tuple[bool, ...] = ()
    #: Models that need a status quo (``Model.needs_status_quo``): their predictions on every
    #: row, placeholders included. ``predictions`` holds NaN on the placeholder rows, so
    #: every score of such a model is on issues with a real status quo only.
    unmasked: Mapping[str, np.ndarray] = field(default_factory=dict)
    #: Out-of-fold scores of the combined forecast's intervals (None: not computed).
    calibration: Calibration | None = None

    @property
    def observed(self) -> np.ndarray:
        return np.array([r.observed for r in self.rows])

    @property
    def groups(self) -> np.ndarray:
        """Each row's bootstrap group (:class:`Case`), as the scores resample them."""
        return np.array([r.group for r in self.rows], dtype=object)

    @property
    def bootstrap_seed(self) -> int:
        """The seed of every score's bootstrap draws (0 where none was given), so that all
        predictors on the same issues are drawn alike (:func:`issue_draws`)."""
        return self.seed if self.seed is not None else 0

    def abs_errors(self, predictor: str) -> np.ndarray:
        """|prediction − outcome| on each issue's scale rescaled to 0-100 (NaN: no prediction)."""
        span = np.array([r.high - r.low for r in self.rows])
        return np.abs(self.predictions[predictor] - self.observed) * 100.0 / span

    def scores(self, tag: str | None = None, value: str | None = None) -> list[Score]:
        """One score per predictor, on all issues or on those whose ``tag`` equals ``value``."""
        keep = np.ones(len(self.rows), dtype=bool)
        subset = "all"
        if tag is not None:
            keep = np.array([r.tags.get(tag) == value for r in self.rows])
            subset = f"{tag}={value}"
        groups = self.groups
        out = []
        for name in self.predictions:
            errors = self.abs_errors(name)
            mask = keep & ~np.isnan(errors)
            out.append(score(errors[mask], groups[mask], self.n_boot, self.bootstrap_seed,
                             name, self.kinds[name], subset))
        return out

    def compare(self, predictor: str, reference: str = "compromise") -> Score:
        """Paired MAE difference ``predictor − reference`` on the issues both predict.

        The interval resamples groups as in :meth:`scores`; an interval below zero means
        ``predictor`` is more accurate than ``reference`` beyond resampling noise. Only
        ``value["mae"]`` and its bounds are meaningful (the difference of means).
        """
        diff = self.abs_errors(predictor) - self.abs_errors(reference)
        mask = ~np.isnan(diff)
        n_groups, counts = issue_draws(self.groups[mask], self.n_boot, self.bootstrap_seed)
        d = diff[mask]
        value = {k: float("nan") for k in METRICS}
        low, high = dict(value), dict(value)
        value["mae"] = float(np.mean(d)) if d.size else float("nan")
        if counts is not None:
            means = counts @ d / counts.sum(axis=1)
            low["mae"], high["mae"] = (float(v) for v in np.percentile(means, [2.5, 97.5]))
        return Score(predictor=predictor, kind=f"minus {reference}", subset="paired",
                     n_issues=int(d.size), n_groups=n_groups, value=value, low=low,
                     high=high)

    def reference_scores(self) -> list[tuple[str, Score, Score]]:
        """Every predictor's score on the issues with a known status quo and on all issues.

        For a model that needs a status quo the second score uses its forecasts from the
        placeholder status quo (they are never in :meth:`scores`): it shows how much a
        placeholder flatters or hurts it. Baselines without a prediction on some issues are
        scored where they have one.
        """
        known = np.array(self.status_quo_known or [True] * len(self.rows), dtype=bool)
        groups, seed = self.groups, self.bootstrap_seed
        out = []
        for name in self.predictions:
            full = np.abs(self.unmasked.get(name, self.predictions[name]) - self.observed) \
                * 100.0 / np.array([r.high - r.low for r in self.rows])
            first = known & ~np.isnan(full)
            every = ~np.isnan(full)
            out.append((name, score(full[first], groups[first], self.n_boot, seed, name,
                                    self.kinds[name], "status quo known"),
                        score(full[every], groups[every], self.n_boot, seed, name,
                              self.kinds[name], "all")))
        return out

    def tag_values(self, tag: str) -> list[str]:
        return sorted({r.tags[tag] for r in self.rows if tag in r.tags})

    def breakdown(self, tag: str) -> dict[str, list[Score]]:
        """Scores per value of a tag (e.g. procedure: COD, CNS)."""
        return {v: self.scores(tag, v) for v in self.tag_values(tag)}

    def tags(self) -> list[str]:
        seen: dict[str, None] = {}
        for r in self.rows:
            for t in r.tags:
                seen.setdefault(t, None)
        return list(seen)

    def to_csv(self) -> str:
        """Per-issue predictions, one column per predictor (blank where it has none)."""
        buffer = io.StringIO()
        tags = self.tags()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["case", "issue", "group", *tags, "observed", *self.predictions])
        for k, r in enumerate(self.rows):
            # Unrounded, as every CSV the library writes (render.view_csv): the csv module
            # writes a float by repr, which reads back as the same number; a fixed count of
            # digits wrote 1000000009 as 1e+09 and 1.000004 as 1.0000.
            values = ["" if np.isnan(p[k]) else float(p[k]) for p in self.predictions.values()]
            writer.writerow([r.case, r.issue, r.group, *(r.tags.get(t, "") for t in tags),
                             float(r.observed), *values])
        return buffer.getvalue()

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "detente.validate", "version": 1, "seed": self.seed,
            "bootstrap": self.n_boot, "resampled": "groups", "notes": list(self.notes),
            "scores": [s.to_dict() for s in self.scores()],
            "versus_compromise": ([{"predictor": name,
                                    "mae_difference": _or_null(c.value["mae"]),
                                    "low": _or_null(c.low["mae"]),
                                    "high": _or_null(c.high["mae"]),
                                    "n_issues": c.n_issues}
                                   for name in self.predictions if name != "compromise"
                                   for c in [self.compare(name)]]
                                  if "compromise" in self.predictions else []),
            "needs_status_quo": sorted(self.unmasked),
            "calibration": None if self.calibration is None else self.calibration.to_dict(),
            "by_status_quo": [{"predictor": name, "known": known.to_dict(),
                               "all": every.to_dict()}
                              for name, known, every in self.reference_scores()],
            "breakdowns": {tag: {v: [s.to_dict() for s in scores]
                                 for v, scores in self.breakdown(tag).items()}
                           for tag in self.tags()},
        }


def _salience_median(arrays: Arrays) -> np.ndarray:
    """Salience-weighted median of the stated positions (capability ignored)."""
    return weighted_median(arrays.position, np.where(arrays.stake, arrays.salience, 0.0))


BaselineFn = Callable[[Case, Arrays], np.ndarray | None]
#: Baselines every validation reports: name -> predictions on the unit scale (None: skip).
BASELINES: dict[str, BaselineFn] = {
    "status-quo": lambda case, a: a.status_quo if case.status_quo_known else None,
    "salience-median": lambda case, a: _salience_median(a),
}


def resolve_models(models: Sequence[str | Model] | None,
                   options: Mapping[str, Mapping[str, Any]] | None = None) -> list[Model]:
    """Model instances for names (default: every registered model)."""
    options = options or {}
    chosen = list(models) if models else list(REGISTRY)
    out = []
    for m in chosen:
        out.append(get_model(m, **dict(options.get(m, {}))) if isinstance(m, str) else m)
    return out


def validate(
    cases: Iterable[Case | Scenario | str | Path],
    models: Sequence[str | Model] | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    n_boot: int = DEFAULT_BOOTSTRAP,
    rng: int | None = 0,
    notes: Sequence[str] = (),
    folds: int = DEFAULT_FOLDS,
    workers: int = 1,
    variation: Variation | None = None,
    combine: bool = True,
) -> ValidationResult:
    """Score models and baselines on every issue that has an observed outcome.

    ``cases``: :class:`Case` objects, scenarios or scenario files (each its own group).
    ``models``: registered names or instances (default: every registered model).
    ``rng``: the seed for stochastic models, the folds and the bootstrap (echoed).
    A model with parameters fitted to outcomes (a ``fit`` method) is scored by ``folds``-fold
    cross-validation grouped by case group: never on issues it was fitted on. ``workers`` > 1
    runs the models in that many processes (same numbers, less waiting for slow models).
    ``variation``: a counterfactual applied to every case's arrays. ``combine``: also score
    the combined forecast (:mod:`detente.combine`) of the models without fitted parameters,
    its weights and interval scale refitted by grouped cross-validation, with the coverage
    of its intervals out of fold (``result.calibration``).
    """
    case_list = _cases_of(cases)
    case_list = [c for c in case_list if c.scenario.outcomes]
    if not case_list:
        raise scenario_error("", "no scenario carries an observed outcome",
                             "add `outcomes: {ISSUE: VALUE}` to the scenarios to score")
    if n_boot < 0:
        raise option_error("bootstrap", "the number of bootstrap replicates is negative",
                           "use 0 (no intervals) or more")
    instances = resolve_models(models, options)
    seed = 0 if rng is None else int(rng)
    arrays = [c.scenario.compile() for c in case_list]
    if variation is not None and not variation.is_empty:
        # The same counterfactual on every case (e.g. --without RU): ids unknown to a case
        # are refused with that case's ids, never skipped.
        arrays = [variation.apply(a) for a in arrays]
    # An id no case has is a typo; one some cases lack leaves those to the model's fallback.
    require_known_actors(options or {}, list(dict.fromkeys(i for a in arrays
                                                           for i in a.actor_ids)))
    plain = [m for m in instances if not is_fitted(m)]
    seconds: dict[str, float] = {}
    forecasts = run_models(arrays, plain, seed, seconds, workers)
    groups = [c.group for c in case_list]
    n_groups = len(set(groups))
    notes = list(notes)
    if n_groups < MIN_GROUPS and n_boot > 0:
        notes.append("one group (one scenario, or one proposal): no bootstrap interval, since "
                     "every resample would be that group again; score two or more for "
                     "intervals")
    for m in instances:
        if not is_fitted(m):
            continue
        if n_groups < 2:
            forecasts.update(run_models(arrays, [m], seed, seconds))
            notes.append(f"{m.name}: only one group, so scored with its stored parameters "
                         "(in-sample for data it was fitted on)")
            continue
        observed = [np.array([np.nan if (o := c.scenario.outcomes.get(i)) is None
                              else (o.value - a.scale_low[k]) / (a.scale_high[k] - a.scale_low[k])
                              for k, i in enumerate(a.issue_ids)])
                    for c, a in zip(case_list, arrays, strict=True)]
        start = time.perf_counter()
        forecasts[m.name] = cross_validated_forecasts(m, arrays, observed, groups, folds, seed)
        seconds[m.name] = time.perf_counter() - start
        notes.append(f"{m.name}: fitted parameters, scored by {min(folds, n_groups)}-fold "
                     "cross-validation grouped by proposal (no group in two folds)")
    rows: list[IssueRow] = []
    known_rows: list[bool] = []
    columns: dict[str, list[float]] = defaultdict(list)
    kinds: dict[str, str] = {}
    extra = sorted({name for c in case_list for name in c.baselines})
    for name in (*BASELINES, *extra):
        kinds[name] = "baseline"
    for m in instances:
        kinds[m.name] = "model (CV)" if is_fitted(m) and n_groups >= 2 else "model"
    for k, (case, a) in enumerate(zip(case_list, arrays, strict=True)):
        unit: dict[str, np.ndarray | None] = {name: fn(case, a) for name, fn in
                                              BASELINES.items()}
        for m in instances:
            unit[m.name] = forecasts[m.name][k]
        for i, issue_id in enumerate(a.issue_ids):
            outcome = case.scenario.outcomes.get(issue_id)
            if outcome is None:
                continue
            low, high = float(a.scale_low[i]), float(a.scale_high[i])
            rows.append(IssueRow(case.scenario.id, issue_id, case.group, dict(case.tags),
                                 outcome.value, low, high))
            known_rows.append(case.status_quo_known)
            for name in kinds:
                if name in unit:
                    values = unit[name]
                    columns[name].append(float("nan") if values is None
                                         else low + float(values[i]) * (high - low))
                else:
                    columns[name].append(case.baselines.get(name, {}).get(issue_id,
                                                                          float("nan")))
    predictions = {name: np.array(columns[name]) for name in kinds}
    known = np.array(known_rows, dtype=bool)
    unmasked: dict[str, np.ndarray] = {}
    needing = [m.name for m in instances if getattr(m, "needs_status_quo", False)]
    for name in needing:
        unmasked[name] = predictions[name]
        predictions[name] = np.where(known, predictions[name], np.nan)
    if needing and not known.all():
        notes.append(f"{', '.join(needing)}: need a status quo, so scored only on the "
                     f"{int(known.sum())} issues that have one (not on the "
                     f"{int((~known).sum())} with a placeholder)")
    calibration = None
    stacked = [m.name for m in instances if not is_fitted(m)]
    free = [n for n in stacked if n not in needing]
    if combine and len(stacked) >= 2 and free and n_groups >= 2:
        from detente import combine as comb

        start = time.perf_counter()
        unit = _unit_forecasts(rows, {n: unmasked.get(n, predictions[n]) for n in stacked})
        observed_unit = _unit_forecasts(rows, {"y": np.array([r.observed for r in rows])})["y"]
        calibration = comb.cross_validate(
            {n: np.where(known, u, np.nan) if n in needing else u for n, u in unit.items()},
            observed_unit, known, [r.group for r in rows], needing, folds, seed)
        span = np.array([r.high - r.low for r in rows])
        predictions["combined"] = np.array([r.low for r in rows]) + calibration.point * span
        kinds["combined"] = "model (CV)"
        seconds["combined"] = time.perf_counter() - start
        notes.append(f"combined: stack of {', '.join(stacked)} with weights refitted by "
                     f"{calibration.folds}-fold cross-validation grouped by proposal; its "
                     "interval coverage is out of fold (see the calibration table)")
    elif combine and len(stacked) >= 2:
        notes.append("combined: not computed (it needs two models without fitted parameters, "
                     "one of them not needing a status quo, and two groups)")
    return ValidationResult(rows=tuple(rows), predictions=predictions, kinds=kinds, seed=seed,
                            n_boot=n_boot, notes=tuple(notes), seconds=seconds,
                            status_quo_known=tuple(bool(k) for k in known), unmasked=unmasked,
                            calibration=calibration)


def _unit_forecasts(rows: Sequence[IssueRow],
                    values: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Issue-unit values per row to the unit scale of each row's issue."""
    low = np.array([r.low for r in rows])
    span = np.array([r.high - r.low for r in rows])
    return {name: (np.asarray(v, dtype=float) - low) / span for name, v in values.items()}


def fit_from(result: ValidationResult, provenance: Mapping[str, Any]) -> Combination:
    """The combination (:class:`detente.combine.Combination`) fitted on every scored issue
    of a validation, over its models without fitted parameters."""
    from detente import combine as comb

    names = [n for n, k in result.kinds.items() if k == "model"]
    known = np.array(result.status_quo_known, dtype=bool)
    needing = sorted(result.unmasked)
    unit = _unit_forecasts(result.rows, {n: result.unmasked.get(n, result.predictions[n])
                                         for n in names})
    observed = _unit_forecasts(result.rows, {"y": result.observed})["y"]
    forecasts = {n: np.where(known, u, np.nan) if n in needing else u for n, u in unit.items()}
    return comb.fit_combination(forecasts, observed, known, needing, provenance)


def _cases_of(items: Iterable[Case | Scenario | str | Path]) -> list[Case]:
    """Cases as given; a scenario or file is its own group, named by its id. Two of them
    with one id are refused: their rows and their group would be read as one scenario's
    (one bootstrap group, no interval), silently."""
    out: list[Case] = []
    named: dict[str, str] = {}
    for item in items:
        if isinstance(item, Case):
            out.append(item)
            continue
        scenario = load(item)
        given = str(item) if not isinstance(item, Scenario) else f"the scenario '{item.title}'"
        if scenario.id in named:
            raise scenario_error("id", f"'{scenario.id}' is also the id of {named[scenario.id]}"
                                 " (a scenario given twice, or two scenarios sharing an id)",
                                 "give each scenario to score once, each with its own id",
                                 source=given)
        named[scenario.id] = given
        out.append(Case(scenario=scenario, group=scenario.id))
    return out


# ---------------------------------------------------------------------------------------
# DEU III
# ---------------------------------------------------------------------------------------


def deu_cases(path: str | Path, capability: str = "council", missing_salience: str = "mean",
              missing_reference: str = "midpoint",
              weights: str | Path | None = None) -> tuple[list[Case], list[str]]:
    """Cases from a DEU III file (one per issue, grouped by proposal) and the missing report.

    ``weights``: the Council weights file for ``capability="council"`` (default: the
    ``eucouncil_weights.csv`` in the folder of ``path``).
    """
    from detente.datasets.deu import CouncilWeights, read_deu

    if capability not in ("council", "gdp", "equal"):
        raise option_error("capability", f"unknown capability option '{capability}'",
                           "use council, gdp or equal")
    if missing_salience not in ("mean", "drop"):
        raise option_error("missing_salience", f"unknown rule '{missing_salience}'",
                           "use mean or drop")
    if missing_reference not in ("midpoint", "drop"):
        raise option_error("missing_reference", f"unknown rule '{missing_reference}'",
                           "use midpoint or drop")
    dataset = read_deu(path)
    council = None
    if capability == "council":
        # Without a weights file, DeuDataset.scenarios looks beside the DEU file itself.
        council = CouncilWeights.read(weights) if weights else None
    built = dataset.scenarios(capability, missing_salience, missing_reference,  # type: ignore[arg-type]
                              council)
    cases = []
    for b in built:
        baselines = {}
        for code, name in (("com", "commission"), ("ep", "parliament")):
            value = b.issue.position_of(code)
            if value is not None:
                baselines[name] = {"X": value}
        cases.append(Case(scenario=b.scenario, group=b.issue.proposal_id,  # type: ignore[arg-type]
                          tags={"procedure": b.issue.procedure, "rule": b.issue.council_rule},
                          status_quo_known=b.status_quo_known, baselines=baselines))
    notes = dataset.report.lines(missing_salience, missing_reference)  # type: ignore[arg-type]
    skipped = len(dataset.issues) - len(built)
    if missing_reference == "drop":
        skipped -= len(dataset.report.without_reference)
    if skipped:
        notes.append(f"{skipped} issues left out: no actor with a position has salience > 0")
    notes.append(f"capability: {capability}")
    return cases, notes


def validate_deu(path: str | Path, models: Sequence[str | Model] | None = None,
                 options: Mapping[str, Mapping[str, Any]] | None = None,
                 capability: str = "council", missing_salience: str = "mean",
                 missing_reference: str = "midpoint", n_boot: int = DEFAULT_BOOTSTRAP,
                 rng: int | None = 0, weights: str | Path | None = None,
                 folds: int = DEFAULT_FOLDS, workers: int = 1,
                 combine: bool = True) -> ValidationResult:
    """Score models and baselines on a DEU III file (see :mod:`detente.datasets.deu`)."""
    cases, notes = deu_cases(path, capability, missing_salience, missing_reference, weights)
    return validate(cases, models, options, n_boot, rng, notes, folds, workers,
                    combine=combine)
