"""Figures and the HTML report: `detente plot` and `detente report`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from detente.cli.common import app, console, reports_errors, write_new_file
from detente.cli.core import ScenarioArg
from detente.errors import option_error

FIGURE_FORMATS = ("png", "svg", "pdf")


def _kinds_help() -> str:
    from detente.report.kinds import KINDS

    return "Figure kind: " + ", ".join(KINDS) + "."


@app.command()
@reports_errors
def plot(
    kind: Annotated[str, typer.Argument(help=_kinds_help(), show_default=False)],
    scenario: ScenarioArg = None,
    output: Annotated[Path, typer.Option("--output", "-o",
                      help="File to write: .png, .svg or .pdf.")] = Path("figure.png"),
    model: Annotated[list[str] | None, typer.Option(
        "--model", "-m", help="Model to run; repeat for several (default: every registered "
                              "model).")] = None,
    issue: Annotated[list[str] | None, typer.Option(
        "--issue", "-i", help="Issue id for per-issue figures; repeat for several (default: "
                              "all).")] = None,
    seed: Annotated[int, typer.Option(help="Seed for stochastic models.")] = 0,
    dpi: Annotated[int, typer.Option(help="Resolution of a PNG.")] = 150,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Draw one figure of a scenario to a PNG, SVG or PDF file."""
    from detente.report.kinds import Analysis, draw
    from detente.report.style import figure_bytes

    fmt = output.suffix.lower().lstrip(".")
    if fmt not in FIGURE_FORMATS:
        raise option_error("--output", f"cannot tell the format of '{output}'",
                           "end the file name in .png, .svg or .pdf")
    if output.exists() and not force:
        raise FileExistsError(f"{output}: already exists; nothing was written "
                              "(choose another name, or pass --force to overwrite)")
    analysis = Analysis.of(scenario, models=model or None, seed=seed, issues=issue or None)
    figure = draw(kind, analysis)
    write_new_file(output, figure_bytes(figure, fmt, dpi=dpi), force=force)
    console.print(f"wrote {output}")


@app.command()
@reports_errors
def report(
    scenario: ScenarioArg = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file to write.")
                      ] = Path("report.html"),
    model: Annotated[list[str] | None, typer.Option(
        "--model", "-m", help="Model to run; repeat for several (default: every registered "
                              "model).")] = None,
    seed: Annotated[int, typer.Option(help="Seed for stochastic models and sampling.")] = 0,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write one self-contained HTML report (figures inline, nothing loaded from the web)."""
    from detente.report.html import render_report
    from detente.report.kinds import Analysis

    if output.exists() and not force:
        raise FileExistsError(f"{output}: already exists; nothing was written "
                              "(choose another name, or pass --force to overwrite)")
    analysis = Analysis.of(scenario, models=model or None, seed=seed)
    write_new_file(output, render_report(analysis), force=force)
    console.print(f"wrote {output}")
