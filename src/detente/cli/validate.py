"""`detente validate`: score models against observed outcomes (DEU III or any scenarios)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from detente.cli.common import app, console, emit_json, reports_errors, write_new_file
from detente.errors import option_error
from detente.validate import (
    DEFAULT_BOOTSTRAP,
    METRICS,
    Score,
    ValidationResult,
    validate_deu,
)
from detente.validate import validate as run_validate


class ValidateFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


class CapabilityOption(StrEnum):
    council = "council"
    gdp = "gdp"
    equal = "equal"


def _fmt_metric(key: str, value: float) -> str:
    if value != value:  # NaN
        return "–"
    return f"{100 * value:.0f}%" if key.startswith("within") else f"{value:.1f}"


def _cell(s: Score, key: str) -> str:
    text = _fmt_metric(key, s.value[key])
    if s.low[key] == s.low[key]:
        text += f" [{_fmt_metric(key, s.low[key])}, {_fmt_metric(key, s.high[key])}]"
    return text


def print_result(result: ValidationResult, title: str) -> None:
    """The main table, then MAE broken down by each tag."""
    table = Table(title=f"{title} — accuracy on the 0-100 scale, bootstrap 95% intervals "
                  f"({result.n_boot} resamples of groups, seed {result.seed})",
                  title_justify="left")
    table.add_column("predictor")
    table.add_column("kind")
    table.add_column("issues", justify="right")
    table.add_column("groups", justify="right")
    for label in METRICS.values():
        table.add_column(label, justify="right")
    for s in result.scores():
        table.add_row(s.predictor, s.kind, str(s.n_issues), str(s.n_groups),
                      *[_cell(s, k) for k in METRICS])
    # Piped output keeps every interval on one line; a terminal keeps its own width.
    out = console if console.is_terminal else Console(highlight=False, width=150)
    out.print(table)
    for tag in result.tags():
        parts = result.breakdown(tag)
        if len(parts) < 2:
            continue
        sub = Table(title=f"MAE by {tag} (issues; 95% interval)", title_justify="left")
        sub.add_column("predictor")
        for value in parts:
            sub.add_column(value, justify="right")
        names = list(result.predictions)
        for k, name in enumerate(names):
            cells = []
            for scores in parts.values():
                s = scores[k]
                cells.append(f"{_cell(s, 'mae')} n={s.n_issues}" if s.n_issues else "–")
            sub.add_row(name, *cells)
        out.print(sub)
    if "compromise" in result.predictions:
        vs = Table(title="MAE difference against the compromise model (paired, same issues; "
                   "below 0 = better)", title_justify="left")
        for col in ("predictor", "issues", "difference [95%]"):
            vs.add_column(col, justify="left" if col == "predictor" else "right")
        for name in result.predictions:
            if name == "compromise":
                continue
            c = result.compare(name)
            vs.add_row(name, str(c.n_issues), _cell(c, "mae"))
        out.print(vs)
    for note in result.notes:
        out.print(f"· {note}")
    if result.seconds:
        timing = ", ".join(f"{name} {secs:.1f}" for name, secs in result.seconds.items())
        out.print(f"· seconds per model: {timing} (choose models with --model)")


def markdown(result: ValidationResult) -> str:
    """The same tables as :func:`print_result`, as GitHub markdown (for docs)."""
    lines = ["| predictor | kind | issues | groups | " + " | ".join(METRICS.values()) + " |",
             "|---|---|---|---|" + "---|" * len(METRICS)]
    for s in result.scores():
        lines.append(f"| {s.predictor} | {s.kind} | {s.n_issues} | {s.n_groups} | "
                     + " | ".join(_cell(s, k) for k in METRICS) + " |")
    for tag in result.tags():
        parts = result.breakdown(tag)
        if len(parts) < 2:
            continue
        lines += ["", f"MAE by {tag}:", "",
                  "| predictor | " + " | ".join(parts) + " |", "|---|" + "---|" * len(parts)]
        for k, name in enumerate(result.predictions):
            cells = [f"{_cell(scores[k], 'mae')} (n={scores[k].n_issues})"
                     if scores[k].n_issues else "–" for scores in parts.values()]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if "compromise" in result.predictions:
        lines += ["", "MAE difference against the compromise model (paired, same issues):", "",
                  "| predictor | issues | difference [95%] |", "|---|---|---|"]
        for name in result.predictions:
            if name != "compromise":
                c = result.compare(name)
                lines.append(f"| {name} | {c.n_issues} | {_cell(c, 'mae')} |")
    lines += ["", *(f"- {note}" for note in result.notes)]
    return "\n".join(lines) + "\n"


@app.command()
@reports_errors
def validate(
    targets: Annotated[list[str], typer.Argument(
        help="`deu PATH` for a DEU III file (tab copy or original ';' release), or scenario "
             "files that carry observed `outcomes`.", show_default=False)],
    model: Annotated[list[str] | None, typer.Option(
        "--model", "-m", help="Model to score; repeat for several (default: every registered "
        "model).")] = None,
    capability: Annotated[CapabilityOption, typer.Option(
        help="DEU capabilities: Council votes by treaty regime, the blksv GDP row, or equal."
    )] = CapabilityOption.council,
    weights: Annotated[Path | None, typer.Option(
        help="Council weights CSV (default: eucouncil_weights.csv in the DEU file's "
             "folder).")] = None,
    bootstrap: Annotated[int, typer.Option(help="Bootstrap resamples (0: no intervals).")
                         ] = DEFAULT_BOOTSTRAP,
    seed: Annotated[int, typer.Option(
        help="Seed for the bootstrap, the cross-validation folds and stochastic models.")] = 0,
    folds: Annotated[int, typer.Option(
        help="Folds for models with fitted parameters (grouped by proposal).")] = 10,
    workers: Annotated[int, typer.Option(
        help="Processes to run the models in (same numbers; helps when a model is slow).")
    ] = 2,
    predictions: Annotated[Path | None, typer.Option(
        "--predictions", "-p", help="Write per-issue predictions to this CSV file.")] = None,
    output: Annotated[ValidateFormat, typer.Option("--format", "-f")] = ValidateFormat.table,
    force: Annotated[bool, typer.Option(help="Overwrite the predictions file.")] = False,
) -> None:
    """Score every model and the baselines against observed outcomes.

    `detente validate deu ../shared/research/data/deu/deu3_blksv.csv` scores DEU III;
    `detente validate a.yaml b.yaml` scores scenarios with `outcomes`.
    """
    if targets[0] == "deu":
        if len(targets) != 2:
            raise option_error("deu", "give exactly one DEU file after `deu`",
                               "e.g. detente validate deu ../shared/research/data/deu/"
                               "deu3_blksv.csv")
        result = validate_deu(targets[1], models=model, capability=capability.value,
                              n_boot=bootstrap, rng=seed, weights=weights, folds=folds,
                              workers=workers)
        title = f"DEU III ({Path(targets[1]).name})"
    else:
        result = run_validate(targets, models=model, n_boot=bootstrap, rng=seed, folds=folds,
                              workers=workers)
        title = f"{len(targets)} scenario file(s)"
    if predictions is not None:
        write_new_file(predictions, result.to_csv(), force)
    if output is ValidateFormat.json:
        emit_json(result.to_dict())
    elif output is ValidateFormat.csv:
        sys.stdout.write(result.to_csv())
    elif output is ValidateFormat.markdown:
        sys.stdout.write(markdown(result))
    else:
        print_result(result, title)
        if predictions is not None:
            console.print(f"wrote per-issue predictions to {predictions}")
