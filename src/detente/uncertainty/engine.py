"""The sampling engine: seeded blocks, bounded chunks, one batched model call per chunk.

Reproducibility (DESIGN.md convention 5). The samples are cut into fixed *blocks* of
:data:`BLOCK` rows; block ``j`` draws its inputs from its own stream,
``SeedSequence(seed, spawn_key=(j, 0))`` — exactly the ``j``-th child that
``SeedSequence(seed).spawn`` would give, extended by one level — and a stochastic model draws
from its own stream (:func:`detente.models.model_stream`) under ``spawn_key=(j, 1)``, as in
every run. A *chunk* (the unit of work and of memory) is any run of rows; it
draws the blocks it overlaps and keeps its rows. So the numbers depend on the seed alone,
never on the chunk size, the number of workers or where the chunks run.

A chunk is evaluated by a :class:`Kernel` — a picklable callable from batched arrays to
named output arrays with the batch on the leading axis — in one call, without a Python loop
over samples. Chunks run in this process, in a local process pool, or on any
``concurrent.futures``-style executor, e.g. a Dask distributed cluster
(``client.get_executor()``).
"""

from __future__ import annotations

import dataclasses
import functools
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from detente.arrays import Arrays
from detente.errors import option_error
from detente.models import draws_at_random, get_model, model_stream
from detente.uncertainty.inputs import InputSpace
from detente.uncertainty.varied import unvaried

BLOCK = 256
"""Rows per random-number block: fixed, so that draws never depend on the chunk size."""
CHUNK_BYTES = 64 * 2**20
"""Default working-set target of one chunk."""
MAX_CHUNK = 65_536

ProgressCallback = Callable[[int, int], None]
"""Called with (samples done, samples in all) after each chunk."""


class Kernel(Protocol):
    """What runs on a chunk: batched arrays in, named arrays with a leading batch axis out."""

    name: str
    deterministic: bool

    def __call__(self, arrays: Arrays, rng: np.random.Generator) -> dict[str, np.ndarray]: ...


@dataclass(frozen=True)
class ModelKernel:
    """Run a registered model on a batch; outputs its forecast and any per-sample details.

    ``batched=False`` runs one sample at a time (for a model that cannot take a batch axis).
    Outputs: ``forecast`` ``[B, I]`` on the unit scale, and every array in the model's
    ``details`` that carries the batch axis, as ``details.<name>``; the model runs through
    :meth:`~detente.models.base.Model.sample`, which may skip what is not kept (bdm's and
    smp's trajectory, and their per-round details unless ``per_turn``). The model draws
    from its own stream under the one handed in (:func:`~detente.models.model_stream`), as
    in every run, so it draws the same beside any other model (`sample -m combined`).
    """

    model: str
    options: tuple[tuple[str, Any], ...] = ()
    batched: bool = True
    per_turn: bool = False

    @property
    def name(self) -> str:
        return self.model

    @property
    def deterministic(self) -> bool:
        # A deterministic model can have a mode that draws (smp transitions="stochastic");
        # such a kernel must run on whole blocks (run_chunk), so ask the configured model.
        return not draws_at_random(get_model(self.model, **dict(self.options)))

    def __call__(self, arrays: Arrays, rng: np.random.Generator) -> dict[str, np.ndarray]:
        model = get_model(self.model, **dict(self.options))
        rng = model_stream(rng, self.model)
        n = arrays.batch_shape[0]
        if not self.batched:
            rows = [_outputs(model.sample(take_row(arrays, b), rng, self.per_turn), None)
                    for b in range(n)]
            return {k: np.stack([r[k] for r in rows]) for k in rows[0]}
        return _outputs(model.sample(arrays, rng, self.per_turn), n)


def _outputs(result: Any, batch: int | None) -> dict[str, np.ndarray]:
    out = {"forecast": np.asarray(result.forecast, dtype=float)}
    for key, value in result.details.items():
        value = np.asarray(value)
        if value.dtype.kind in "biuf" and value.ndim >= (1 if batch is not None else 0) and (
                batch is None or value.shape[0] == batch):
            out[f"details.{key}"] = value
    return out


def take_row(arrays: Arrays, b: int) -> Arrays:
    """Sample ``b`` of a batch, without the batch axis."""
    return _take(arrays, b)


def take_rows(arrays: Arrays, rows: np.ndarray) -> Arrays:
    """The samples ``rows`` of a batch, keeping the batch axis."""
    return _take(arrays, rows)


def _take(arrays: Arrays, key: int | np.ndarray) -> Arrays:
    # The fields the input space draws carry the batch axis (InputSpace.assemble).
    return arrays.replace(capability=arrays.capability[key], position=arrays.position[key],
                          salience=arrays.salience[key], status_quo=arrays.status_quo[key],
                          trust=arrays.trust[key])


def check_batching(kernel: ModelKernel, space: InputSpace, seed: int) -> tuple[ModelKernel, str]:
    """Probe whether a model takes a batch axis: one batched call on 3 draws against 3 single
    calls. Returns the kernel to use and a note ('' when batching works)."""
    if not kernel.batched:
        return kernel, ""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2**32 - 1,)))
    values = space.draw(rng, 3)
    arrays = space.assemble(values)
    looped = dataclasses.replace(kernel, batched=False)
    try:
        together = kernel(arrays, np.random.default_rng(0))["forecast"]
        apart = looped(arrays, np.random.default_rng(0))["forecast"]
        ok = together.shape == apart.shape and (
            not kernel.deterministic or np.allclose(together, apart, atol=1e-9, equal_nan=True))
    except Exception as err:  # a model that cannot take the batch axis fails in its own way
        reason = f"{type(err).__name__}: {err}"
    else:
        if ok:
            return kernel, ""
        reason = "batched results differ from single runs"
    return looped, (f"model '{kernel.model}' does not take a batch axis ({reason}); "
                    "ran one sample at a time (slower, same numbers)")


# ---------------------------------------------------------------------------------------
# Chunks
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chunk:
    """Rows ``start`` to ``stop`` (exclusive) of the sample matrix."""

    start: int
    stop: int

    @property
    def size(self) -> int:
        return self.stop - self.start


def block_stream(seed: int, block: int, purpose: int) -> np.random.Generator:
    """The generator of one block for one purpose (0: inputs, 1: a stochastic model, ...)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block, purpose)))


def draw_rows(space: InputSpace, seed: int, start: int, stop: int, purpose: int = 0
              ) -> np.ndarray:
    """Rows ``start:stop`` of the (conceptually infinite) input matrix of ``seed``."""
    first, last = start // BLOCK, (stop - 1) // BLOCK
    blocks = [space.draw(block_stream(seed, j, purpose), BLOCK) for j in range(first, last + 1)]
    values = np.concatenate(blocks) if len(blocks) > 1 else blocks[0]
    offset = first * BLOCK
    return values[start - offset: stop - offset]


def run_chunk(space: InputSpace, kernel: Kernel, seed: int, chunk: Chunk
              ) -> dict[str, np.ndarray]:
    """Draw one chunk's scenarios and run the kernel on them; outputs in row order."""
    if kernel.deterministic:
        arrays = space.assemble(draw_rows(space, seed, chunk.start, chunk.stop))
        return kernel(arrays, block_stream(seed, chunk.start // BLOCK, 1))
    # A stochastic model may draw in shapes that depend on the batch size, so it always
    # runs on whole blocks, each with the block's own model stream; the chunk keeps its rows.
    pieces = []
    for j in range(chunk.start // BLOCK, (chunk.stop - 1) // BLOCK + 1):
        arrays = space.assemble(draw_rows(space, seed, j * BLOCK, (j + 1) * BLOCK))
        out = kernel(arrays, block_stream(seed, j, 1))
        lo = max(chunk.start, j * BLOCK) - j * BLOCK
        hi = min(chunk.stop, (j + 1) * BLOCK) - j * BLOCK
        pieces.append({k: v[lo:hi] for k, v in out.items()})
    return {k: np.concatenate([p[k] for p in pieces]) for k in pieces[0]}


def default_chunk_size(space: InputSpace) -> int:
    """Rows per chunk so that one chunk's arrays stay near :data:`CHUNK_BYTES`.

    A model holds a few arrays of ``A × I`` (and settlement analysis ``A × G``) per row;
    a factor of 16 covers the intermediates of the models we have.
    """
    base = space.base
    per_row = 8 * 16 * (base.n_actors * (base.n_issues + len(base.guarantor_ids)) + space.size)
    rows = CHUNK_BYTES // max(per_row, 1)
    return int(min(MAX_CHUNK, max(BLOCK, rows // BLOCK * BLOCK)))


MODEL_CHUNK_BYTES = 256 * 2**20
"""Most a model's run on one chunk may hold, by its own estimate
(:meth:`~detente.models.base.Model.sample_estimate`): a chunk of a model that needs much
per sample is cut shorter than :func:`default_chunk_size`."""


def chunk_rows(space: InputSpace, kernel: Kernel, chunk_size: int | None = None) -> int:
    """Rows per chunk: ``chunk_size`` if given, else :func:`default_chunk_size`, grown (up
    to :data:`MAX_CHUNK`) for a model that asks for larger chunks
    (:attr:`~detente.models.base.Model.sample_chunk_bytes`) and cut (in whole blocks, at
    least one) so that the model's estimated working set on a chunk stays within
    :data:`MODEL_CHUNK_BYTES`. The numbers never depend on it (the draws are per block)."""
    if chunk_size:
        return chunk_size
    size = default_chunk_size(space)
    inner = unvaried(kernel)
    if not isinstance(inner, ModelKernel):
        return size
    model = get_model(inner.model, **dict(inner.options))
    base = space.base
    n_actors = base.n_actors + len(getattr(getattr(kernel, "variation", None), "add", ()))

    def working(rows: int) -> int:
        return model.sample_estimate(n_actors, base.n_issues, rows, inner.per_turn).working

    grow = min(model.sample_chunk_bytes, MODEL_CHUNK_BYTES)
    while grow and size + BLOCK <= MAX_CHUNK and working(size + BLOCK) <= grow:
        size += BLOCK
    while size > BLOCK and working(size) > MODEL_CHUNK_BYTES:
        size -= BLOCK
    return size


def parallel_chunk_size(size: int, samples: int, workers: int) -> int:
    """Cap the chunk size so that ``workers`` get about four chunks each (whole blocks):
    a slow model on a few thousand samples still spreads over the cores."""
    if workers <= 1:
        return size
    share = -(-samples // (4 * workers))  # ceil
    return max(BLOCK, min(size, -(-share // BLOCK) * BLOCK))


def plan_chunks(samples: int, chunk_size: int, first: int | None = None) -> list[Chunk]:
    """Chunks of ``chunk_size`` rows, the first one of ``first`` rows if given."""
    start = min(samples, first) if first else 0
    head = [Chunk(0, start)] if start else []
    return head + [Chunk(s, min(samples, s + chunk_size))
                   for s in range(start, samples, chunk_size)]


# ---------------------------------------------------------------------------------------
# Running all chunks
# ---------------------------------------------------------------------------------------


@dataclass
class RunStats:
    """How a run went: for the result's notes and the benchmarks."""

    chunks: int = 0
    chunk_size: int = 0
    workers: int = 1
    where: str = "this process"
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The ``run`` of a sampled result's JSON (sample, sensitivity): how it was split
        and where it ran, and the seconds it took (rounded: the timing is no result)."""
        return {"chunks": self.chunks, "chunk_size": self.chunk_size, "where": self.where,
                "seconds": round(self.seconds, 4)}


def _pool(workers: int) -> ProcessPoolExecutor:
    # fork starts workers in milliseconds with detente already imported; nothing in this
    # process holds threads while the pool starts (the progress bar refreshes by hand).
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method),
                               initializer=_ignore_sigint)


def _ignore_sigint() -> None:
    # Ctrl-C reaches every process of the terminal's group: the workers leave it to this
    # process, which cancels the pool (one line on stderr instead of one traceback each).
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def run_chunks(space: InputSpace, kernel: Kernel, seed: int, samples: int, *,
               chunk_size: int | None = None, workers: int | None = None,
               executor: Executor | None = None, progress: ProgressCallback | None = None,
               stats: RunStats | None = None) -> dict[str, np.ndarray]:
    """Evaluate ``kernel`` on ``samples`` draws of ``space``; outputs concatenated in row order.

    ``workers``: processes on this machine (None: every core when the run is long enough to
    pay for them, judged by timing the first chunk; 1: this process only). ``executor``:
    run the chunks there instead (e.g. Dask's ``client.get_executor()``).
    """
    task = functools.partial(run_chunk, space, kernel, seed)
    if chunk_size:
        chunks = plan_chunks(samples, chunk_size)
    else:
        size = chunk_rows(space, kernel)
        parallel = (workers if workers is not None else
                    available_cores() if executor is None else 8)
        if parallel <= 1 or executor is not None or samples <= BLOCK:
            chunks = plan_chunks(samples, parallel_chunk_size(size, samples, parallel))
        else:
            # The first chunk runs here alone, timed to decide on a pool, while the other
            # cores idle: one block times it well enough (execute scales by rows), and the
            # rest is spread over the pool in chunks of the model's size.
            chunks = plan_chunks(samples, parallel_chunk_size(size, samples - BLOCK, parallel),
                                 BLOCK)
    return execute(task, chunks, workers=workers, executor=executor, progress=progress,
                   stats=stats)


def execute(task: Callable[[Chunk], dict[str, np.ndarray]], chunks: Sequence[Chunk], *,
            workers: int | None = None, executor: Executor | None = None,
            progress: ProgressCallback | None = None, stats: RunStats | None = None
            ) -> dict[str, np.ndarray]:
    """Run a picklable ``task`` on every chunk (here, in a pool or on ``executor``) and
    concatenate its outputs in chunk order."""
    if not chunks:
        raise ValueError("nothing to run")
    stats = stats if stats is not None else RunStats()
    t0 = time.perf_counter()
    total = chunks[-1].stop - chunks[0].start
    stats.chunks, stats.chunk_size = len(chunks), max(c.size for c in chunks)
    results: list[dict[str, np.ndarray]] = []
    done = 0

    def record(out: dict[str, np.ndarray], chunk: Chunk) -> None:
        nonlocal done
        results.append(out)
        done += chunk.size
        if progress is not None:
            progress(done, total)

    if executor is not None:
        stats.where, stats.workers = type(executor).__name__, 0
        futures = [executor.submit(task, c) for c in chunks]
        for future, chunk in zip(futures, chunks, strict=True):
            record(future.result(), chunk)
    else:
        # The first chunk runs here: it tells whether the rest is worth a process pool.
        first = time.perf_counter()
        record(task(chunks[0]), chunks[0])
        per_row = (time.perf_counter() - first) / chunks[0].size
        rest = chunks[1:]
        rest_rows = sum(c.size for c in rest)
        n_workers = workers if workers is not None else (
            min(available_cores(), len(rest)) if per_row * rest_rows > 1.0 else 1)
        n_workers = max(1, min(n_workers, len(rest))) if rest else 1
        if n_workers > 1:
            stats.where, stats.workers = f"{n_workers} processes", n_workers
            pool = _pool(n_workers)
            try:
                futures = [pool.submit(task, c) for c in rest]
                for future, chunk in zip(futures, rest, strict=True):
                    record(future.result(), chunk)
            except BaseException:
                # An interrupt or a failed chunk: drop the queued chunks rather than run
                # them all before giving up (what leaving a `with` block would do).
                pool.shutdown(wait=True, cancel_futures=True)
                raise
            pool.shutdown(wait=True)
        else:
            for chunk in rest:
                record(task(chunk), chunk)
    stats.seconds = time.perf_counter() - t0
    return {k: np.concatenate([r[k] for r in results]) for k in results[0]}


@contextmanager
def dask_executor(address: str | None) -> Iterator[Executor | None]:
    """An executor on the Dask distributed scheduler at ``address`` (``tcp://host:8786``;
    the optional extra detente[distributed]) for ``executor=``, its client closed when the
    block ends; None without an address (the chunks run on this machine)."""
    if address is None:
        yield None
        return
    try:
        from distributed import Client
    except ImportError:
        raise option_error("--dask", "Dask distributed is not installed",
                           "pip install 'detente[distributed]'") from None
    client = Client(address)
    try:
        yield client.get_executor()
    finally:
        client.close()


__all__: Sequence[str] = (
    "BLOCK",
    "Chunk",
    "Kernel",
    "ModelKernel",
    "RunStats",
    "check_batching",
    "chunk_rows",
    "dask_executor",
    "draw_rows",
    "run_chunk",
    "run_chunks",
    "take_row",
)
