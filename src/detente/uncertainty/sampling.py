"""`detente.sample`: draw scenarios from the inputs' uncertainty, run a model, summarise."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from detente.combine import LEVELS, load_combination
from detente.errors import option_error, option_text
from detente.models import REGISTRY, get_model, require_known_actors, spawn_seed
from detente.resources import human, memory_limit, require_memory
from detente.scenario import Scenario, file_lines, load
from detente.uncertainty.engine import (
    Kernel,
    ModelKernel,
    ProgressCallback,
    RunStats,
    available_cores,
    check_batching,
    chunk_rows,
    run_chunks,
)
from detente.uncertainty.inputs import (
    DEFAULT_NOISE,
    InputSpace,
    Noise,
    fixed_note,
    has_own_uncertainty,
    input_space,
    require_inputs,
    require_stakes,
)
from detente.uncertainty.mixture import COMBINED, MixtureKernel, mixture_kernel
from detente.uncertainty.settle import (
    SETTLE,
    SettleKernel,
    SettlementSummary,
    settle_kernel,
    summarise_settlement,
)
from detente.uncertainty.varied import VariedKernel, unvaried
from detente.variation import Variation

JSON_FORMAT_VERSION = 1
#: The central intervals of every issue: 50/80/95 % (as the combined forecast's) and 90 %.
INTERVAL_LEVELS: tuple[float, ...] = tuple(sorted({*LEVELS, 0.9}))
HISTOGRAM_BINS = 20


@dataclass(frozen=True)
class IssueSummary:
    """The distribution of one issue's forecast, in the issue's units."""

    issue: str
    median: float
    mean: float
    sd: float
    interval50: tuple[float, float]
    interval90: tuple[float, float]
    histogram_edges: tuple[float, ...]
    histogram_counts: tuple[int, ...]
    interval80: tuple[float, float] = (np.nan, np.nan)
    interval95: tuple[float, float] = (np.nan, np.nan)

    def interval(self, level: float) -> tuple[float, float]:
        """The central interval at ``level`` (one of :data:`INTERVAL_LEVELS`)."""
        found = {0.5: self.interval50, 0.8: self.interval80, 0.9: self.interval90,
                 0.95: self.interval95}.get(level)
        if found is None:
            raise KeyError(f"no {100 * level:g}% interval; levels: {INTERVAL_LEVELS}")
        return found

    def to_dict(self) -> dict[str, Any]:
        return {"median": self.median, "mean": self.mean, "sd": self.sd,
                **{f"interval{100 * lv:g}": list(self.interval(lv))
                   for lv in INTERVAL_LEVELS},
                "histogram": {"edges": list(self.histogram_edges),
                              "counts": list(self.histogram_counts)}}


def summarise(values: np.ndarray, low: float, high: float, issue: str,
              bins: int = HISTOGRAM_BINS) -> IssueSummary:
    """Median, mean, sd, the central intervals of :data:`INTERVAL_LEVELS` and a histogram
    over the scale."""
    # Rounded so that 0.05 is 0.05, not (1 - 0.9) / 2 = 0.04999999999999999.
    tails = [round(q, 12) for lv in INTERVAL_LEVELS for q in ((1 - lv) / 2, (1 + lv) / 2)]
    median, *bounds = (float(q) for q in np.quantile(values, [0.5, *tails]))
    interval = {lv: (bounds[2 * k], bounds[2 * k + 1]) for k, lv in enumerate(INTERVAL_LEVELS)}
    counts, edges = np.histogram(values, bins=bins, range=(low, high))
    return IssueSummary(issue=issue, median=median, mean=float(np.mean(values)),
                        sd=float(np.std(values)), interval50=interval[0.5],
                        interval80=interval[0.8], interval90=interval[0.9],
                        interval95=interval[0.95],
                        histogram_edges=tuple(float(e) for e in edges),
                        histogram_counts=tuple(int(c) for c in counts))


@dataclass(frozen=True)
class SampleResult:
    """Forecasts of one model over ``samples`` scenarios drawn from the inputs' uncertainty.

    ``forecasts``: ``[samples, I]`` in issue units (None for settlement analysis, whose
    probabilities are in ``settlement``). ``outputs``: every raw output of the kernel (unit
    scale), e.g. ``details.feasible`` of nash. ``seed`` reproduces the run exactly, whatever
    the chunk size or workers.
    """

    scenario: Scenario
    space: InputSpace
    model: str
    options: dict[str, Any]
    seed: int
    samples: int
    noise: Noise
    noise_source: str
    forecasts: np.ndarray | None
    outputs: dict[str, np.ndarray]
    stats: RunStats
    notes: list[str] = field(default_factory=list)
    settlement: SettlementSummary | None = None
    variation: Variation | None = None
    #: For ``model="combined"``: each model's mixture weight (``details.model`` indexes it).
    mixture: dict[str, float] | None = None

    def drawn(self) -> dict[str, float]:
        """For the combined model: the share of samples each model forecast."""
        if self.mixture is None or "details.model" not in self.outputs:
            return {}
        counts = np.bincount(self.outputs["details.model"], minlength=len(self.mixture))
        return {m: float(c) / self.samples for m, c in zip(self.mixture, counts, strict=True)}

    @property
    def actor_ids(self) -> tuple[str, ...]:
        """The actors each draw was analysed with (after the counterfactual, if any)."""
        if self.variation is None or self.variation.is_empty:
            return self.space.base.actor_ids
        return self.variation.apply(self.space.base).actor_ids

    @property
    def issue_ids(self) -> tuple[str, ...]:
        return self.space.base.issue_ids

    def summaries(self) -> dict[str, IssueSummary]:
        """Per issue, the forecast's distribution (empty for settlement analysis)."""
        if self.forecasts is None:
            return {}
        base = self.space.base
        return {iid: summarise(self.forecasts[:, k], float(base.scale_low[k]),
                               float(base.scale_high[k]), iid)
                for k, iid in enumerate(self.issue_ids)}

    def probabilities(self) -> dict[str, dict[str, float]]:
        """For each yes/no output per issue (e.g. nash's ``feasible``): the share of samples."""
        out: dict[str, dict[str, float]] = {}
        for key, value in self.outputs.items():
            if key.startswith("details.") and value.dtype == bool and value.ndim == 2 and \
                    value.shape[1] == len(self.issue_ids):
                out[key.removeprefix("details.")] = {
                    iid: float(p) for iid, p in zip(self.issue_ids, value.mean(axis=0),
                                                    strict=True)}
        return out

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of `detente sample --format json` (docs/uncertainty.md)."""
        return {
            "format": "detente.sample", "version": JSON_FORMAT_VERSION,
            "scenario": self.scenario.id, "model": self.model, "options": self.options,
            "seed": self.seed, "samples": self.samples,
            "noise": self.noise.to_dict(), "noise_source": self.noise_source,
            "uncertain_inputs": len(self.space.labels),
            "issues": {iid: s.to_dict() for iid, s in self.summaries().items()},
            "probabilities": self.probabilities(),
            "settlement": self.settlement.to_dict() if self.settlement else None,
            # Only for the combined model, so that every other model's contract is unchanged.
            **({"mixture": {"weights": dict(self.mixture), "drawn": self.drawn()}}
               if self.mixture is not None else {}),
            "run": self.stats.to_dict(),
            "notes": list(self.notes),
            **({"counterfactual": self.variation.describe()}
               if self.variation is not None and not self.variation.is_empty else {}),
        }


def resolve_noise(scenario: Scenario, noise: Noise | str | None) -> tuple[Noise, str]:
    """The noise to use and where it came from.

    None: no noise where the scenario has its own uncertainty, else :data:`DEFAULT_NOISE`
    (so that an embedded scenario samples out of the box). A string is parsed.
    """
    if isinstance(noise, str):
        return Noise.parse(noise), "given"
    if noise is not None:
        return noise, "given"
    if has_own_uncertainty(scenario):
        return Noise(), "scenario only"
    return DEFAULT_NOISE, "default"


@dataclass
class Setup:
    """What a sampling or sensitivity run starts from: the scenario, its input space, the
    noise and where it came from, the seed, the kernel, and the run's stats and notes."""

    scenario: Scenario
    space: InputSpace
    noise: Noise
    noise_source: str
    seed: int
    kernel: Kernel
    stats: RunStats
    variation: Variation | None = None

    def notes(self) -> list[str]:
        notes = list(self.stats.notes)
        if self.noise_source == "default":
            notes.append(f"the scenario gives no uncertainty of its own: default noise "
                         f"{self.noise}")
        return notes


def require_finite_outputs(model: str, noise: Noise, outputs: Sequence[np.ndarray]) -> None:
    """Refuse, naming the noise, when the model's forecast is not finite for some draw (a
    spread so wide that its arithmetic overflows): a summary of it would be NaN, not an
    answer, and the renderers would refuse it without saying which input to change."""
    if all(np.all(np.isfinite(y)) for y in outputs):
        return
    raise option_error("--noise", f"{model} gives a forecast that is not a finite number for "
                       f"some inputs drawn with noise {noise}", "give a smaller spread, e.g. "
                       f"{option_text('noise', 'capability=20% position=10%')} (if the spread "
                       "is sound, please report this with the scenario)")


def setup(scenario: Scenario | str | Path | None, noise: Noise | str | None, model: str,
          options: Mapping[str, Any] | None, rng: np.random.Generator | int | None,
          variation: Variation | None = None, combination: str | Path | None = None,
          per_turn: bool = False) -> Setup:
    """Load, build the input space (checking that something varies), fix the seed and
    build the kernel; every input error is raised here, before any work."""
    s = load(scenario)
    chosen, source = resolve_noise(s, noise)
    space = input_space(s, chosen)
    require_inputs(space, chosen)
    fixed: tuple[str, ...] = ()
    varied = space.base
    if variation is not None and not variation.is_empty:
        varied = variation.apply(space.base)  # unknown ids and bad values fail here, first
        written = space
        space = input_space(s, chosen, written.base, variation=variation).without_fixed(
            variation)
        # What the counterfactual makes certain: the inputs it sets or removes, and a
        # position whose stake it takes away (a salience set to 0).
        still = set(space.labels)
        fixed = tuple(label for label in written.labels if label not in still)
        require_inputs(space, chosen, fixed)
    require_stakes(space, varied, file_lines(scenario))
    # Before the kernel is made: making it runs the model (the batching check).
    if model in REGISTRY or model == COMBINED:
        require_known_actors(options or {} if model == COMBINED else {model: options or {}},
                             varied.actor_ids)
    seed = spawn_seed(rng)
    kernel, note = make_kernel(s, space, model, options, seed, combination)
    if per_turn and isinstance(kernel, ModelKernel):
        kernel = dataclasses.replace(kernel, per_turn=True)
    if variation is not None and not variation.is_empty:
        if isinstance(kernel, SettleKernel):
            kernel = dataclasses.replace(kernel, problem=variation.apply_problem(kernel.problem))
        kernel = VariedKernel(kernel, variation)
    notes = [n for n in (fixed_note(fixed), note) if n]
    return Setup(s, space, chosen, source, seed, kernel, RunStats(notes=notes), variation)


def model_kernel(model: str, options: Mapping[str, Any] | None) -> ModelKernel:
    if model not in REGISTRY:
        raise option_error("--model", f"unknown model '{model}'",
                           f"registered models: {', '.join(REGISTRY)}, {COMBINED} and "
                           f"{SETTLE}")
    get_model(model, **dict(options or {}))  # bad options fail here, before any work
    return ModelKernel(model, tuple(sorted((options or {}).items())))


def make_kernel(scenario: Scenario, space: InputSpace, model: str,
                options: Mapping[str, Any] | None, seed: int,
                combination: str | Path | None = None) -> tuple[Kernel, str]:
    """The kernel for a registered model (probed for a batch axis), for settle, or for the
    mixture over the combination's models (``options``: per model, its options)."""
    if model == SETTLE:
        return settle_kernel(scenario, options), ""
    if model == COMBINED:
        notes: list[str] = []

        def build(name: str, given: Mapping[str, Any]) -> ModelKernel:
            kernel, note = check_batching(model_kernel(name, given), space, seed)
            notes.extend([note] if note else [])
            return kernel

        return mixture_kernel(load_combination(combination), options, build), "; ".join(notes)
    if combination is not None:
        raise option_error("--combination", f"a combination file is read only by the "
                           f"{COMBINED} model, not by '{model}'",
                           f"drop {option_text('combination')}, or sample "
                           f"{option_text('model', COMBINED, '-m')}")
    return check_batching(model_kernel(model, options), space, seed)


def sample_memory(space: InputSpace, kernel: Kernel, samples: int, chunk_size: int | None,
                  workers: int | None) -> tuple[int, int]:
    """Estimated bytes of a sampling run: (all of it, per sample kept).

    Kept per sample: the kernel's outputs (the model's :meth:`~detente.models.base.Model.
    sample_estimate`; for settle a zone flag, a flag per package and one per package and actor),
    the forecast in issue units and a column copy for the quantiles. Plus one chunk's
    working set in each process that runs at once.
    """
    base = space.base
    n_actors, n_issues = base.n_actors, base.n_issues
    rows = chunk_rows(space, kernel, chunk_size)  # as run_chunks will cut them
    if isinstance(kernel, VariedKernel):  # a counterfactual may add actors
        n_actors += len(kernel.variation.add)
    kernel = unvaried(kernel)
    if isinstance(kernel, ModelKernel):
        model = get_model(kernel.model, **dict(kernel.options))
        kept = model.sample_estimate(n_actors, n_issues, 1, kernel.per_turn).outputs_per_row
        working = model.sample_estimate(n_actors, n_issues, rows, kernel.per_turn).working
    elif isinstance(kernel, MixtureKernel):
        # Kept: the forecast and the model index. Each model may draw every row of a chunk.
        kept = 8 * (n_issues + 1)
        working = max(get_model(k.model, **dict(k.options)).estimate(
            n_actors, n_issues, rows).working for k in kernel.kernels)
    else:
        packages = len(getattr(kernel, "package_ids", ()))
        kept = 8 * (1 + packages + packages * n_actors)
        working = 8 * 64 * rows * n_actors * (n_issues + packages)
    per_sample = kept + 2 * 8 * n_issues
    parallel = workers if workers is not None else available_cores()
    return samples * per_sample + parallel * working, per_sample


def require_sample_memory(space: InputSpace, kernel: Kernel, samples: int,
                          chunk_size: int | None, workers: int | None,
                          max_memory: int | str | None) -> None:
    """Refuse a run whose estimate is over the limit, saying how many samples would fit."""
    needed, per_sample = sample_memory(space, kernel, samples, chunk_size, workers)
    allowed = memory_limit(max_memory)
    if needed <= allowed:
        return
    fits = max(0, (allowed - (needed - samples * per_sample)) // per_sample)
    fewer = f"draw fewer samples ({option_text('samples', f'{fits:,}', '-n')} fits)" if fits \
        else "use a smaller scenario"
    require_memory(f"{samples:,} samples of {kernel.name} ({human(per_sample)} kept per "
                   "sample)", needed, allowed, fewer)


def sample(
    scenario: Scenario | str | Path | None = None,
    model: str = "compromise",
    samples: int = 1000,
    rng: np.random.Generator | int | None = None,
    noise: Noise | str | None = None,
    options: Mapping[str, Any] | None = None,
    *,
    chunk_size: int | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: ProgressCallback | None = None,
    variation: Variation | None = None,
    max_memory: int | str | None = None,
    combination: str | Path | None = None,
    per_turn: bool = False,
) -> SampleResult:
    """Draw ``samples`` scenarios from the inputs' uncertainty and forecast each with ``model``.

    ``noise``: spreads for numbers without their own distribution (a :class:`Noise` or text
    such as ``"position=10 salience=0.1 capability=20%"``); by default none when the
    scenario carries its own uncertainty, else :data:`DEFAULT_NOISE`. ``rng``: a seed or a
    Generator; the seed used is echoed in the result. ``chunk_size`` bounds memory;
    ``workers`` is the number of local processes (None: all cores when worth it); ``executor``
    runs the chunks elsewhere (e.g. ``distributed.Client(...).get_executor()``). None of
    these three changes a single number. ``variation``: a counterfactual applied to every
    drawn scenario (the draws themselves do not change). ``max_memory``: bytes (or
    ``"16G"``) the run may hold; default ``DETENTE_MAX_MEMORY`` or 4 GiB. Every sample's
    outputs are kept (the quantiles are exact), so the estimate grows with ``samples``;
    past the limit nothing runs.

    ``model="combined"``: each sample is forecast by a model drawn with the mixture weights
    of the combination (:mod:`detente.uncertainty.mixture`), so the intervals carry the
    models' disagreement as well as the inputs' uncertainty; ``options`` then maps each
    model to its options, and ``combination`` names a file from ``detente validate --fit``
    (default: the one shipped, fitted on DEU III).

    ``per_turn``: also keep a stepwise model's details for every turn in ``outputs`` (smp's
    ``details.probability``, ``details.risk`` ``[samples, max_turns + 1, actors]`` and
    ``details.stop_ratios``; about 10 kB a korea-2017 sample, 1 GB at 10^5; bdm's
    ``details.forecast_path``, ``median``, ``mean`` ``[samples, max_rounds + 1, issues]`` and
    ``details.risk`` ``[samples, max_rounds, actors, issues]``, about 12 kB). Off by default:
    no summary reads them, and the numbers kept either way are the same.
    """
    if samples < 1:
        raise option_error("--samples", f"need at least 1 sample, got {samples}",
                           f"give {option_text('samples', 1000)} or more for stable intervals")
    run = setup(scenario, noise, model, options, rng, variation, combination, per_turn)
    space, kernel = run.space, run.kernel
    require_sample_memory(space, kernel, samples, chunk_size, workers, max_memory)
    outputs = run_chunks(space, kernel, run.seed, samples, chunk_size=chunk_size,
                         workers=workers, executor=executor, progress=progress, stats=run.stats)
    forecasts = space.base.to_units(outputs["forecast"]) if "forecast" in outputs else None
    if forecasts is not None:
        require_finite_outputs(model, run.noise, (forecasts,))
    settled = isinstance(unvaried(kernel), SettleKernel)
    actors = variation.apply(space.base).actor_ids if variation is not None \
        and not variation.is_empty else space.base.actor_ids
    settlement = summarise_settlement(outputs, kernel.package_ids, actors) \
        if settled else None
    return SampleResult(scenario=run.scenario, space=space, model=model,
                        options=dict(options or {}), seed=run.seed, samples=samples,
                        noise=run.noise, noise_source=run.noise_source, forecasts=forecasts,
                        outputs=outputs, stats=run.stats, notes=run.notes(),
                        settlement=settlement, variation=variation,
                        mixture=mixture_of(kernel))


def mixture_of(kernel: Kernel) -> dict[str, float] | None:
    """The mixture weights of a combined kernel (None for any other kernel)."""
    inner = unvaried(kernel)
    if not isinstance(inner, MixtureKernel):
        return None
    return dict(zip(inner.models, inner.weights, strict=True))
