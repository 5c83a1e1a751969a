"""Global, variance-based sensitivity: which uncertain inputs move each forecast most.

First-order and total Sobol indices by the Saltelli design (A. Saltelli et al. 2010,
"Variance based sensitivity analysis of model output. Design and estimator for the total
sensitivity index", *Computer Physics Communications* 181(2), 259-270): two independent
input matrices A and B of N rows, and for each input (or group of inputs) g the matrix
A_B^(g) — A with the columns of g taken from B. With f evaluated on all N (G + 2) rows,

    V    = Var(f(A) ∪ f(B))
    S_g  = (1/N) Σ_j f(B)_j (f(A_B^(g))_j − f(A)_j) / V            (Saltelli 2010, Table 2 b)
    ST_g = (1/2N) Σ_j (f(A)_j − f(A_B^(g))_j)² / V                 (Jansen 1999; Table 2 f)

S_g is the share of the forecast's variance due to g alone; ST_g adds every interaction g
takes part in. Inputs are independent (as drawn). Where the forecast does not vary (V = 0:
the model ignores every uncertain input of that issue) the shares are 0/0, undefined rather
than zero: Sobol's decomposition is defined for outputs of positive variance only (Sobol
1993, *Math. Model. Comput. Exp.* 1(4); Saltelli et al. 2008, *Global Sensitivity
Analysis: The Primer*, §4.1). They are ``None`` (JSON null) then, with a note saying why.
Confidence intervals come from a bootstrap over the N rows (Archer, Saltelli & Sobol 1997,
*J. Stat. Comput. Simul.* 58).

For a tornado chart each input also gets a one-at-a-time *swing*: the forecast with that
input (every input of the group) at its 5th and at its 95th percentile and every other
input at its point value. The bars are ordered by ST, not by the swing: the swing is the
picture, ST the global measure.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from detente.errors import option_error, option_text
from detente.resources import human, memory_limit, require_memory
from detente.scenario import Scenario
from detente.uncertainty.engine import (
    BLOCK,
    Chunk,
    Kernel,
    ProgressCallback,
    RunStats,
    available_cores,
    block_stream,
    default_chunk_size,
    draw_rows,
    execute,
    plan_chunks,
)
from detente.uncertainty.inputs import InputSpace, Noise
from detente.uncertainty.sampling import require_finite_outputs, sample_memory, setup
from detente.uncertainty.settle import SettleKernel
from detente.uncertainty.varied import unvaried
from detente.variation import Variation

PURPOSE_A, PURPOSE_MODEL, PURPOSE_B, PURPOSE_SWING = 0, 1, 2, 3
SWING_QUANTILES = (0.05, 0.95)
SWING_DRAWS = 4096
#: Resamples per matrix product (their row weights are [resamples, N] floats): bounds the
#: bootstrap's working memory whatever N. The resamples are the same; only a run whose
#: weights exceed one block (R N > 8 million) may round an interval end's last bit otherwise.
BOOTSTRAP_BLOCK_BYTES = 64 * 2**20
JSON_FORMAT_VERSION = 1


def _outputs_matrix(out: Mapping[str, np.ndarray], keys: Sequence[str]) -> np.ndarray:
    parts = [np.asarray(out[k], dtype=float).reshape(len(out[k]), -1) for k in keys]
    return np.concatenate(parts, axis=1)


def saltelli_chunk(space: InputSpace, kernel: Kernel, seed: int, groups: tuple[np.ndarray, ...],
                   keys: tuple[str, ...], chunk: Chunk) -> dict[str, np.ndarray]:
    """f(A), f(B) and f(A_B^(g)) for the rows of one chunk: ``fA``/``fB`` ``[n, O]``,
    ``fAB`` ``[n, G, O]``. Rows depend only on the seed (see :mod:`engine`)."""

    def matrices(start: int, stop: int) -> list[np.ndarray]:
        a = draw_rows(space, seed, start, stop, PURPOSE_A)
        b = draw_rows(space, seed, start, stop, PURPOSE_B)
        mats = [a, b]
        for cols in groups:
            ab = a.copy()
            ab[:, cols] = b[:, cols]
            mats.append(ab)
        return mats

    if kernel.deterministic:
        mats = matrices(chunk.start, chunk.stop)
        stacked = space.assemble(np.concatenate(mats))
        y = _outputs_matrix(kernel(stacked, block_stream(seed, 0, PURPOSE_MODEL)), keys)
        y = y.reshape(len(mats), chunk.size, -1)
    else:
        # Stochastic: whole blocks, every matrix with the block's model stream (common random
        # numbers across A, B and the A_B), as in engine.run_chunk.
        pieces = []
        for j in range(chunk.start // BLOCK, (chunk.stop - 1) // BLOCK + 1):
            mats = matrices(j * BLOCK, (j + 1) * BLOCK)
            ys = np.stack([_outputs_matrix(kernel(space.assemble(m),
                                                  block_stream(seed, j, PURPOSE_MODEL)), keys)
                           for m in mats])
            lo = max(chunk.start, j * BLOCK) - j * BLOCK
            hi = min(chunk.stop, (j + 1) * BLOCK) - j * BLOCK
            pieces.append(ys[:, lo:hi])
        y = np.concatenate(pieces, axis=1)
    return {"fA": y[0], "fB": y[1], "fAB": np.moveaxis(y[2:], 0, 1)}


def _row_terms(fA: np.ndarray, fB: np.ndarray, fAB: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-row terms whose means give the estimators: ``[N, G, O]`` twice, ``[N, O]`` twice.

    Outputs are centred on their pooled mean first: that changes no expectation but keeps
    the mean's noise out of the first-order estimator, whose variance otherwise grows with
    the squared mean of f.
    """
    centre = np.concatenate([fA, fB]).mean(axis=0)
    a, b, ab = fA - centre, fB - centre, fAB - centre
    first = b[:, None, :] * (ab - a[:, None, :])
    total = 0.5 * (a[:, None, :] - ab) ** 2
    return first, total, 0.5 * (a + b), 0.5 * (a**2 + b**2)


def _indices(first_num: np.ndarray, total_num: np.ndarray, mean: np.ndarray,
             mean_sq: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    variance = mean_sq - mean**2
    constant = variance <= 1e-24 * np.maximum(1.0, mean_sq)
    safe = np.where(constant, 1.0, variance)
    first = np.where(constant, np.nan, first_num / safe)
    total = np.where(constant, np.nan, total_num / safe)
    return first, total, np.where(constant, 0.0, variance)


def sobol_indices(fA: np.ndarray, fB: np.ndarray, fAB: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First-order and total indices ``[G, O]`` and the variance ``[O]`` (see module doc).

    An output that does not vary gets NaN indices.
    """
    terms = _row_terms(fA, fB, fAB)
    return _indices(*(t.mean(axis=0) for t in terms))


@dataclass(frozen=True)
class InputIndex:
    """One input (or group) for one output: its indices, their 95% intervals and swing.

    An index is None where it is undefined (the output does not vary), an interval None
    where no bootstrap was run or a resample's index is undefined.
    """

    input: str
    first: float | None
    total: float | None
    first_ci: tuple[float, float] | None
    total_ci: tuple[float, float] | None
    swing_low: float
    swing_high: float

    def to_dict(self) -> dict[str, Any]:
        return {"input": self.input, "first": self.first, "total": self.total,
                "first_ci": _listed(self.first_ci), "total_ci": _listed(self.total_ci),
                "swing": [self.swing_low, self.swing_high]}


def _defined(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _interval(ends: np.ndarray) -> tuple[float, float] | None:
    return (float(ends[0]), float(ends[1])) if np.all(np.isfinite(ends)) else None


def _listed(ends: tuple[float, float] | None) -> list[float] | None:
    return None if ends is None else list(ends)


@dataclass(frozen=True)
class SensitivityResult:
    """Sobol indices of every output against every input (or group), ranked per output.

    ``first``/``total``: ``[G, O]``; ``*_ci``: ``[G, O, 2]`` (95% bootstrap); ``swing``:
    ``[G, O, 2]`` forecast (issue units) with the input at its 5th / 95th percentile;
    ``nominal``: ``[O]`` forecast at the point values; ``mean``/``variance``: ``[O]`` over
    the samples.
    """

    scenario: Scenario
    model: str
    options: dict[str, Any]
    seed: int
    samples: int
    group_by: str
    noise: Noise
    noise_source: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    first: np.ndarray
    total: np.ndarray
    first_ci: np.ndarray
    total_ci: np.ndarray
    swing: np.ndarray
    nominal: np.ndarray
    mean: np.ndarray
    variance: np.ndarray
    stats: RunStats
    notes: list[str] = field(default_factory=list)

    @property
    def evaluations(self) -> int:
        return self.samples * (len(self.inputs) + 2)

    def ranking(self, output: str, top: int | None = None) -> list[InputIndex]:
        """Inputs by total index, largest first (ties by first-order index): tornado order."""
        o = self.outputs.index(output)
        order = sorted(range(len(self.inputs)),
                       key=lambda g: (-np.nan_to_num(self.total[g, o], nan=-1.0),
                                      -np.nan_to_num(self.first[g, o], nan=-1.0)))
        rows = [InputIndex(self.inputs[g], _defined(self.first[g, o]),
                           _defined(self.total[g, o]), _interval(self.first_ci[g, o]),
                           _interval(self.total_ci[g, o]),
                           float(self.swing[g, o, 0]), float(self.swing[g, o, 1]))
                for g in order]
        return rows[:top] if top else rows

    def constant(self, output: str) -> bool:
        """Whether ``output`` did not vary over the samples (its indices are undefined)."""
        o = self.outputs.index(output)
        return bool(np.all(np.isnan(self.total[:, o])))

    def tornado(self, output: str, top: int = 10) -> dict[str, Any]:
        """What a tornado chart needs, largest bar first: labels, the swing ends around
        the nominal forecast, and the indices that order the bars (None: undefined)."""
        rows = self.ranking(output, top)
        o = self.outputs.index(output)
        return {"output": output, "nominal": float(self.nominal[o]),
                "labels": [r.input for r in rows], "low": [r.swing_low for r in rows],
                "high": [r.swing_high for r in rows], "total": [r.total for r in rows],
                "first": [r.first for r in rows]}

    def to_dict(self, top: int | None = None) -> dict[str, Any]:
        """The JSON contract of `detente sensitivity --format json` (docs/uncertainty.md)."""
        return {
            "format": "detente.sensitivity", "version": JSON_FORMAT_VERSION,
            "scenario": self.scenario.id, "model": self.model, "options": self.options,
            "seed": self.seed, "samples": self.samples, "evaluations": self.evaluations,
            "group_by": self.group_by, "noise": self.noise.to_dict(),
            "noise_source": self.noise_source, "method": "saltelli-2010/jansen",
            "outputs": {
                out: {"nominal": float(self.nominal[o]), "mean": float(self.mean[o]),
                      "variance": float(self.variance[o]),
                      "ranking": [r.to_dict() for r in self.ranking(out, top)]}
                for o, out in enumerate(self.outputs)},
            "run": self.stats.to_dict(),
            "notes": list(self.notes),
        }


def _bootstrap(fA: np.ndarray, fB: np.ndarray, fAB: np.ndarray, resamples: int, seed: int
               ) -> tuple[np.ndarray, np.ndarray]:
    """95% percentile intervals ``[G, O, 2]`` from resampling the N rows with replacement.

    A resample is a vector of row counts, so every estimator mean is one matrix product.
    """
    n, g, o = fAB.shape
    if resamples < 1:
        return np.full((g, o, 2), np.nan), np.full((g, o, 2), np.nan)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2**32 - 2,)))
    first_t, total_t, mean_t, sq_t = _row_terms(fA, fB, fAB)
    first, total = np.empty((resamples, g, o)), np.empty((resamples, g, o))
    block = max(1, BOOTSTRAP_BLOCK_BYTES // (8 * n))
    for start in range(0, resamples, block):
        stop = min(resamples, start + block)
        # Drawn block by block from one generator: the same counts as one [R, N] draw.
        weights = rng.multinomial(n, np.full(n, 1.0 / n), size=stop - start) / n
        first[start:stop], total[start:stop], _ = _indices(
            (weights @ first_t.reshape(n, -1)).reshape(-1, g, o),
            (weights @ total_t.reshape(n, -1)).reshape(-1, g, o),
            (weights @ mean_t)[:, None, :], (weights @ sq_t)[:, None, :])
    pct = (2.5, 97.5)
    return (np.moveaxis(np.percentile(first, pct, axis=0), 0, -1),
            np.moveaxis(np.percentile(total, pct, axis=0), 0, -1))


def _swings(space: InputSpace, kernel: Kernel, seed: int, groups: Sequence[np.ndarray],
            keys: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Nominal forecast ``[O]`` and one-at-a-time swings ``[G, O, 2]``."""
    draws = space.draw(block_stream(seed, 0, PURPOSE_SWING), SWING_DRAWS)
    low, high = np.quantile(draws, SWING_QUANTILES, axis=0)
    nominal = space.nominal()
    rows = [nominal]
    for cols in groups:
        for ends in (low, high):
            x = nominal.copy()
            x[cols] = ends[cols]
            rows.append(x)
    y = _outputs_matrix(kernel(space.assemble(np.stack(rows)),
                               block_stream(seed, 0, PURPOSE_SWING + 1)), keys)
    return y[0], y[1:].reshape(len(groups), 2, -1).transpose(0, 2, 1)


def _require_memory(space: InputSpace, kernel: Any, samples: int, n_groups: int, rows: int,
                    workers: int | None, max_memory: int | str | None, bootstrap: int = 0,
                    n_outputs: int = 0) -> None:
    """Refuse a design whose kept outputs (N rows × (G + 2) runs) and bootstrap indices
    (two ``[resamples, G, O]`` arrays) would not fit the limit."""
    runs = samples * (n_groups + 2)
    needed, per_run = sample_memory(space, kernel, runs, rows * (n_groups + 2), workers)
    # Each resample keeps its indices and, within one block, its N row weights.
    per_resample = 2 * 8 * n_groups * n_outputs
    resampled = bootstrap * per_resample + min(BOOTSTRAP_BLOCK_BYTES, 8 * samples * bootstrap)
    needed += resampled
    allowed = memory_limit(max_memory)
    if needed <= allowed:
        return
    fits = max(0, (allowed - (needed - runs * per_run)) // (per_run * (n_groups + 2)))
    grouped = f"group the inputs ({option_text('group', 'actor, issue or kind')})"
    fewer = (f"use fewer rows ({option_text('samples', f'{fits:,}', '-n')} fits)" if fits >= 2
             else "use a smaller scenario") + f" or {grouped}"
    if resampled > needed // 2:
        room = max(0, (allowed - (needed - resampled)) // (per_resample + 8 * samples))
        fewer = (f"use fewer resamples ({option_text('bootstrap', f'{room:,}')} fits) or "
                 f"{grouped}")
    require_memory(f"{samples:,} rows × ({n_groups} groups + 2) runs of {kernel.name} "
                   f"({human(per_run)} kept per run)"
                   + (f" and {bootstrap:,} bootstrap resamples" if bootstrap else ""),
                   needed, allowed, fewer)


def sensitivity(
    scenario: Scenario | str | Path | None = None,
    model: str = "compromise",
    samples: int = 512,
    rng: np.random.Generator | int | None = None,
    noise: Noise | str | None = None,
    options: Mapping[str, Any] | None = None,
    *,
    group_by: str = "input",
    bootstrap: int = 200,
    chunk_size: int | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: ProgressCallback | None = None,
    variation: Variation | None = None,
    max_memory: int | str | None = None,
) -> SensitivityResult:
    """Sobol first-order and total indices of each issue's forecast (see module doc).

    ``samples`` is N, the rows of each Saltelli matrix: the model runs N (G + 2) times for
    G inputs or groups. ``group_by``: ``input`` (each number), ``actor`` (everything about
    an actor), ``issue`` (everything about an issue) or ``kind`` (all positions, all
    saliences, ...). Other arguments as in :func:`detente.uncertainty.sample`; the numbers
    depend on the seed only. ``variation``: a counterfactual applied to every drawn scenario.
    """
    if samples < 2:
        raise option_error("--samples", f"need at least 2 rows, got {samples}",
                           f"give {option_text('samples', 512)} or more for usable indices")
    run = setup(scenario, noise, model, options, rng, variation)
    space, kernel, seed = run.space, run.kernel, run.seed
    grouped = space.groups(group_by)
    labels = tuple(grouped)
    groups = tuple(grouped[k] for k in labels)
    keys, outputs, in_units = output_plan(kernel, space)
    # Each row is G + 2 model runs: bound the chunk's memory, and give every worker a few.
    spread = workers if workers is not None else available_cores() if executor is None else 8
    rows = chunk_size or max(1, min(default_chunk_size(space) // (len(groups) + 2),
                                    -(-samples // (4 * max(1, spread)))))
    _require_memory(space, kernel, samples, len(groups), rows, workers, max_memory,
                    bootstrap, len(outputs))
    task = functools.partial(saltelli_chunk, space, kernel, seed, groups, keys)
    out = execute(task, plan_chunks(samples, rows), workers=workers, executor=executor,
                  progress=progress, stats=run.stats)

    def units(y: np.ndarray) -> np.ndarray:  # outputs on the last axis
        return space.base.to_units(y) if in_units else y

    fA, fB, fAB = units(out["fA"]), units(out["fB"]), units(out["fAB"])
    nominal, swing = _swings(space, kernel, seed, groups, keys)
    require_finite_outputs(model, run.noise, (fA, fB, fAB, nominal, swing))
    first, total, variance = sobol_indices(fA, fB, fAB)
    first_ci, total_ci = _bootstrap(fA, fB, fAB, bootstrap, seed)
    flat = np.concatenate([fA, fB])
    constant = [out for o, out in enumerate(outputs) if np.all(np.isnan(total[:, o]))]
    notes = run.notes()
    if constant:
        notes.append(f"{', '.join(constant)}: does not vary over the samples, so its Sobol "
                     "indices (shares of a variance of 0) are undefined: – in tables, null in "
                     "JSON, not 0")
    return SensitivityResult(
        scenario=run.scenario, model=model, options=dict(options or {}), seed=seed,
        samples=samples, group_by=group_by, noise=run.noise, noise_source=run.noise_source,
        inputs=labels,
        outputs=outputs, first=first, total=total, first_ci=first_ci,
        total_ci=total_ci, swing=units(swing.transpose(0, 2, 1)).transpose(0, 2, 1),
        nominal=units(nominal), mean=flat.mean(axis=0), variance=variance, stats=run.stats,
        notes=notes)



def output_plan(kernel: Kernel, space: InputSpace
                ) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """Which kernel outputs to analyse, their labels, and whether they are issue values.

    A model: each issue's forecast (issue units). Settle: the zone indicator and each named
    package's acceptability (0/1; their Sobol indices rank what decides a yes or a no).
    """
    inner = unvaried(kernel)
    if isinstance(inner, SettleKernel):
        keys: tuple[str, ...] = ()
        labels: tuple[str, ...] = ()
        if inner.zone:
            keys, labels = ("zone",), ("zone",)
        if inner.package_ids:
            keys += ("acceptable",)
            labels += tuple(f"acceptable[{p}]" for p in inner.package_ids)
        return keys, labels, False
    return ("forecast",), space.base.issue_ids, True
