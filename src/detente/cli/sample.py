"""Uncertainty commands: `detente sample` and `detente sensitivity`."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from detente.cli.common import app, console, emit_json, err_console, fmt, reports_errors
from detente.cli.core import parse_model_option
from detente.errors import option_error
from detente.scenario import DEFAULT_SCENARIO
from detente.uncertainty.inputs import FIELDS, Noise

SPARK = "▁▂▃▄▅▆▇█"
T = TypeVar("T")


class SampleFormat(str, Enum):  # noqa: UP042 - as OutputFormat in cli.core
    table = "table"
    json = "json"


class LazyProgress:
    """A rich progress bar with ETA that appears only once a run has taken over a second,
    and never when quiet or when stderr is not a terminal. Refreshed by hand at each chunk
    (no refresh thread, so worker processes can be forked safely)."""

    def __init__(self, label: str, quiet: bool, console: Console | None = None,
                 delay: float = 1.0) -> None:
        self.console = console or err_console
        self.enabled = not quiet and self.console.is_terminal
        self.label = label
        self.delay = delay
        self.start = time.perf_counter()
        self.progress: Progress | None = None
        self.task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.progress is None:
            if time.perf_counter() - self.start < self.delay or done >= total:
                return
            self.progress = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                console=self.console, auto_refresh=False, transient=True)
            self.progress.start()
            self.task = self.progress.add_task(self.label, total=total)
        self.progress.update(self.task, completed=done)
        self.progress.refresh()

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def split_inputs(inputs: list[str] | None, noise: list[str] | None
                 ) -> tuple[str | None, Noise | None]:
    """Separate the scenario from noise items written after ``--noise`` without repeating it.

    ``detente sample korea-2017 --noise position=10 salience=0.1`` reaches us as the
    positional tokens ``korea-2017 salience=0.1`` and ``--noise position=10``.
    """
    scenario: str | None = None
    items = list(noise or [])
    for token in inputs or []:
        key = token.partition("=")[0].replace("-", "_")
        if "=" in token and key in FIELDS:
            items.append(token)
        elif scenario is None:
            scenario = token
        else:
            raise option_error("SCENARIO", f"more than one scenario given ('{scenario}', "
                               f"'{token}')", "give one scenario; noise items look like "
                               "position=10")
    return scenario, (Noise.parse(items) if items else None)


def connect_dask(address: str | None) -> Any:
    """An executor on a Dask distributed scheduler (the optional extra detente[distributed])."""
    if address is None:
        return None, None
    try:
        from distributed import Client
    except ImportError:
        raise option_error("--dask", "Dask distributed is not installed",
                           "pip install 'detente[distributed]'") from None
    client = Client(address)
    return client, client.get_executor()


def with_engine(label: str, quiet: bool, dask: str | None,
                call: Callable[[Any, LazyProgress], T]) -> T:
    """Run ``call(executor, progress)`` with a progress bar and, if asked, a Dask client;
    both are closed whatever happens."""
    progress = LazyProgress(label, quiet)
    client, executor = connect_dask(dask)
    try:
        return call(executor, progress)
    finally:
        progress.close()
        if client is not None:
            client.close()


def sparkline(counts: tuple[int, ...] | list[int]) -> str:
    top = max(counts) or 1
    return "".join(SPARK[min(len(SPARK) - 1, int(c / top * (len(SPARK) - 1) + 0.5))]
                   if c else " " for c in counts)


ScenarioAndNoise = Annotated[
    list[str] | None,
    typer.Argument(help=f"Scenario file or embedded id (default {DEFAULT_SCENARIO}); noise "
                        "items KIND=SPREAD may follow --noise without repeating it.",
                   show_default=False),
]
ModelOpt = Annotated[str, typer.Option("--model", "-m", help="Registered model to run.")]
SeedOpt = Annotated[int, typer.Option(help="Seed: the same seed gives the same numbers.")]
NoiseOpt = Annotated[list[str] | None, typer.Option(
    "--noise", help="Spread for numbers without their own: position=10 (issue points) or 10% "
                    "(of the scale), salience=0.1, capability=20%, trust=0.1, status_quo=5; "
                    "'none' for none. Default: none if the scenario has its own, else "
                    "position=10% salience=0.1 capability=20%.")]
OptionOpt = Annotated[list[str] | None, typer.Option(
    "--option", "-O", help="Model option as MODEL.NAME=VALUE.")]
ChunkOpt = Annotated[int | None, typer.Option(
    "--chunk-size", help="Samples per batched call (bounds memory; default from the size of "
                         "the scenario). Does not change the numbers.", min=1)]
WorkersOpt = Annotated[int | None, typer.Option(
    "--workers", help="Processes on this machine (default: all cores when the run is long "
                      "enough). Does not change the numbers.", min=1)]
DaskOpt = Annotated[str | None, typer.Option(
    "--dask", help="Run the chunks on this Dask distributed scheduler (tcp://host:8786).")]
MaxMemoryOpt = Annotated[str | None, typer.Option(
    "--max-memory", help="Refuse a run estimated to need more memory than this (e.g. 16G; "
                         "default DETENTE_MAX_MEMORY or 4G).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
FormatOpt = Annotated[SampleFormat, typer.Option("--format", "-f")]


@app.command()
@reports_errors
def sample(
    inputs: ScenarioAndNoise = None,
    model: ModelOpt = "compromise",
    samples: Annotated[int, typer.Option("--samples", "-n", help="Scenarios to draw.", min=1)
                       ] = 1000,
    seed: SeedOpt = 0,
    noise: NoiseOpt = None,
    option: OptionOpt = None,
    chunk_size: ChunkOpt = None,
    workers: WorkersOpt = None,
    dask: DaskOpt = None,
    quiet: QuietOpt = False,
    output: FormatOpt = SampleFormat.table,
    max_memory: MaxMemoryOpt = None,
) -> None:
    """Draw scenarios from the inputs' uncertainty and show each issue's forecast distribution."""
    from detente.uncertainty import sample as run_sample

    scenario, chosen = split_inputs(inputs, noise)
    options = parse_model_option(option or []).get(model, {})
    result = with_engine(f"sampling {model}", quiet, dask, lambda executor, progress: run_sample(
        scenario, model=model, samples=samples, rng=seed, noise=chosen, options=options,
        chunk_size=chunk_size, workers=workers, executor=executor, progress=progress,
        max_memory=max_memory))
    if output is SampleFormat.json:
        emit_json(result.to_dict())
        return
    s = result.scenario
    console.print(f"[bold]{s.title}[/] — {model}, {samples} samples, seed {result.seed}, "
                  f"noise {result.noise} ({result.noise_source}); {len(result.space.labels)} "
                  f"uncertain inputs; {result.stats.seconds:.2f} s in {result.stats.chunks} "
                  f"chunk(s), {result.stats.where}")
    if result.settlement is not None:
        print_settlement(result)
    else:
        print_forecasts(result)
    for name, per_issue in result.probabilities().items():
        values = ", ".join(f"{iid} {p:.0%}" for iid, p in per_issue.items())
        console.print(f"P({name}): {values}")
    for note in result.notes:
        console.print(f"note: {note}")
    sys.stdout.flush()


def print_settlement(result: Any) -> None:
    summary = result.settlement
    if summary.zone is not None:
        console.print(f"P(the zone of agreement is non-empty): {summary.zone:.1%}")
    if not summary.acceptable:
        console.print("the scenario names no packages")
        return
    actors = result.space.base.actor_ids
    table = Table(title="Named packages: P(acceptable to every party), P(each actor blocks)",
                  title_justify="left")
    table.add_column("Package")
    table.add_column("Acceptable", justify="right")
    for a in actors:
        table.add_column(a, justify="right")
    for pid, p in summary.acceptable.items():
        blocks = summary.blocks.get(pid, {})
        table.add_row(pid, f"{p:.0%}", *[f"{blocks.get(a, 0.0):.0%}" for a in actors])
    console.print(table)


def print_forecasts(result: Any) -> None:
    s = result.scenario
    table = Table(caption="Now: the status quo. Histogram: the issue's scale, low to high.",
                  caption_justify="left")
    for col, justify in (("Issue", "left"), ("Now", "right"), ("Median", "right"),
                         ("50%", "right"), ("90%", "right"), ("Histogram", "left")):
        table.add_column(col, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for iid, summary in result.summaries().items():
        issue = s.issue(iid)
        lo50, hi50 = summary.interval50
        lo90, hi90 = summary.interval90
        table.add_row(iid, fmt(issue.status_quo.value), fmt(summary.median),
                      f"{fmt(lo50)}–{fmt(hi50)}", f"{fmt(lo90)}–{fmt(hi90)}",
                      sparkline(summary.histogram_counts))
    console.print(table)


class GroupBy(str, Enum):  # noqa: UP042 - as OutputFormat in cli.core
    input = "input"
    actor = "actor"
    issue = "issue"
    kind = "kind"


def bar(value: float, width: int = 12) -> str:
    if value != value:  # NaN: the output does not vary
        return ""
    filled = max(0.0, min(1.0, value)) * width
    return "█" * int(filled) + ("▌" if filled - int(filled) >= 0.5 else "")


@app.command()
@reports_errors
def sensitivity(
    inputs: ScenarioAndNoise = None,
    model: ModelOpt = "compromise",
    samples: Annotated[int, typer.Option(
        "--samples", "-n", help="Rows N of each Saltelli matrix; the model runs N × (inputs + "
                                "2) times.", min=2)] = 512,
    seed: SeedOpt = 0,
    noise: NoiseOpt = None,
    option: OptionOpt = None,
    group: Annotated[GroupBy, typer.Option(
        "--group", "-g", help="Rank single inputs, or everything about an actor, an issue, "
                              "or a kind of input.")] = GroupBy.input,
    issue: Annotated[list[str] | None, typer.Option(
        "--issue", "-i", help="Only these issues (repeat); default all.")] = None,
    top: Annotated[int, typer.Option(help="Inputs shown per issue.", min=1)] = 8,
    bootstrap: Annotated[int, typer.Option(help="Bootstrap resamples for the 95% intervals.",
                                           min=0)] = 200,
    chunk_size: ChunkOpt = None,
    workers: WorkersOpt = None,
    dask: DaskOpt = None,
    quiet: QuietOpt = False,
    output: FormatOpt = SampleFormat.table,
) -> None:
    """Rank which uncertain inputs move each forecast most (Sobol indices, Saltelli design)."""
    from detente.uncertainty.sensitivity import sensitivity as run_sensitivity

    scenario, chosen = split_inputs(inputs, noise)
    options = parse_model_option(option or []).get(model, {})
    result = with_engine(
        f"sensitivity {model}", quiet, dask, lambda executor, progress: run_sensitivity(
            scenario, model=model, samples=samples, rng=seed, noise=chosen, options=options,
            group_by=group.value, bootstrap=bootstrap, chunk_size=chunk_size, workers=workers,
            executor=executor, progress=progress))
    wanted = list(issue or result.outputs)
    unknown = [i for i in wanted if i not in result.outputs]
    if unknown:
        raise option_error("--issue", f"unknown issue '{unknown[0]}'",
                           f"issues: {', '.join(result.outputs)}")
    if output is SampleFormat.json:
        data = result.to_dict(top)
        data["outputs"] = {k: v for k, v in data["outputs"].items() if k in wanted}
        emit_json(data)
        return
    s = result.scenario
    console.print(f"[bold]{s.title}[/] — sensitivity of {model}, N = {samples} "
                  f"({result.evaluations} runs), seed {result.seed}, noise {result.noise} "
                  f"({result.noise_source}); {result.stats.seconds:.2f} s")
    for iid in wanted:
        o = result.outputs.index(iid)
        table = Table(title=f"{iid}  {s.issue(iid).name}: forecast {fmt(result.nominal[o])} "
                            f"at the point values, sd {result.variance[o] ** 0.5:.2g}",
                      title_justify="left")
        for col, justify in (("Input", "left"), ("Total", "right"), ("", "left"),
                             ("First", "right"), ("Swing 5%→95%", "right")):
            table.add_column(col, justify=justify, no_wrap=True)  # type: ignore[arg-type]
        for row in result.ranking(iid, top):
            lo, hi = row.total_ci
            table.add_row(row.input, f"{row.total:.2f} ±{(hi - lo) / 2:.2f}", bar(row.total),
                          f"{row.first:.2f}", f"{fmt(row.swing_low)}→{fmt(row.swing_high)}")
        console.print(table)
    console.print("Total: share of the forecast's variance this input drives, with every "
                  "interaction (± half the 95% bootstrap interval); First: alone. Swing: the "
                  "forecast with the input at its 5th and 95th percentile, others as written.")
    for note in result.notes:
        console.print(f"note: {note}")
