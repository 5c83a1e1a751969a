"""Figures and the HTML report: `detente plot` and `detente report`.

Their settings are the options of the analyses the report shows, declared once in the
analysis registry: ``--set settle.step=5 --set sample.samples=5000`` (same names, defaults
and checks as ``detente settle --step 5``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from detente import (
    PRESETS,
    REPORT_OPTIONS,
    check_options,
    check_writable,
    option_error,
    variation_from_mapping,
    write_atomic,
)
from detente.cli.common import ScenarioArg, app, console, reports_errors
from detente.cli.progress import Activity, Quiet
from detente.cli.registry import option_parameter, pop_edits, variation_parameters

if TYPE_CHECKING:
    from detente import ReportAnalysis

FIGURE_FORMATS = ("png", "svg", "pdf")

Data = Annotated[Path | None, typer.Option(
    help="DEU III file (e.g. ../shared/research/data/deu/deu3_blksv.csv) scored for the "
         "accuracy figure; default: the scenario's own observed outcomes.")]
Force = Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")]


#: The command-line-only options every report command shares (name, annotation, default);
#: the report's own options are REPORT_OPTIONS, declared once for the CLI and the web.
SHARED = (("data", Data, None), ("force", Force, False), ("quiet", Quiet, False))


def report_command(write: Callable[..., bytes | str]) -> Callable[..., None]:
    """A command from ``write(analysis, progress, output, **its own options)``, which
    returns what to write: the options of :data:`SHARED` and the counterfactual flags of
    every analysis join its signature and become the analysis; ``progress`` names each
    step on stderr (off with --quiet)."""

    def command(**kwargs: Any) -> None:
        from detente import ReportAnalysis  # the report's modules load matplotlib: not before

        shared = {name: kwargs.pop(name) for name, _, _ in SHARED}
        # The report's own options, checked by their declarations (every problem at once).
        options = check_options(REPORT_OPTIONS, {o.name: kwargs.pop(o.name) or o.default
                                                 for o in REPORT_OPTIONS}, "report")
        variation = variation_from_mapping(pop_edits(kwargs))
        output: Path = kwargs["output"]
        check_writable(output, shared["force"])  # before the analysis: it can take minutes
        with Activity(write.__name__, shared["quiet"]) as shown:
            shown.step("loading the scenario")
            analysis = ReportAnalysis.from_options(
                kwargs.pop("scenario"), options, deu=shared["data"], variation=variation,
                issues=kwargs.pop("issue", None) or None)
            data = write(analysis, shown, **kwargs)
        write_atomic(output, data, force=shared["force"])
        console.print(f"wrote {output}")

    # Annotations are strings (postponed); the first two parameters are ours.
    own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY,
                     annotation=eval(p.annotation, write.__globals__))
           for p in list(inspect.signature(write).parameters.values())[2:]]
    command.__signature__ = inspect.Signature([*own, *(  # type: ignore[attr-defined]
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                          annotation=annotation) for name, annotation, default in SHARED),
        *(option_parameter(o) for o in REPORT_OPTIONS), *variation_parameters()])
    command.__name__, command.__doc__ = write.__name__, write.__doc__
    return reports_errors(command)


def plot(
    analysis: ReportAnalysis,
    progress: Activity,
    kind: Annotated[str, typer.Argument(help="Figure kind, e.g. issue-map, comparison, "
                                             "settlement, tornado (an unknown kind lists "
                                             "them all).", show_default=False)],
    scenario: ScenarioArg = None,
    output: Annotated[Path, typer.Option("--output", "-o",
                      help="File to write: .png, .svg or .pdf.")] = Path("figure.png"),
    issue: Annotated[list[str] | None, typer.Option(
        "--issue", "-i", help="Issue id for per-issue figures (issue-map, trajectories; "
                              "tornado takes the first); repeat for several.")] = None,
    dpi: Annotated[int, typer.Option(help="Resolution of a PNG without --preset.")] = 150,
    preset: Annotated[str | None, typer.Option(
        help="Size the figure for: " + "; ".join(f"{p.name}: {p.help}" for p in
                                                 PRESETS.values()) + ". Default: the "
             "figure's own size at --dpi.", metavar="[" + "|".join(PRESETS) + "]",
        show_default=False)] = None,
) -> bytes:
    """Draw one figure of a scenario to a PNG, SVG or PDF file."""
    from detente import figure_file

    fmt = output.suffix.lower().lstrip(".")
    if fmt not in FIGURE_FORMATS:
        raise option_error("--output", f"cannot tell the format of '{output}'",
                           "end the file name in .png, .svg or .pdf")
    if preset is not None and preset not in PRESETS:
        raise option_error("--preset", f"unknown preset '{preset}'",
                           f"use {', '.join(PRESETS)}")
    progress.step("running the analyses and drawing")
    return figure_file(kind, analysis, fmt, dpi, PRESETS[preset] if preset is not None else None)


def report(
    analysis: ReportAnalysis,
    progress: Activity,
    scenario: ScenarioArg = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file to write.")
                      ] = Path("report.html"),
    dpi: Annotated[int, typer.Option(help="Resolution of the embedded figures.")] = 110,
) -> str:
    """Write one self-contained HTML report (figures inline, nothing loaded from the web)."""
    from detente import render_report

    analysis.dpi = dpi
    return render_report(analysis, progress.step)


app.command(name="plot")(report_command(plot))
app.command(name="report")(report_command(report))
