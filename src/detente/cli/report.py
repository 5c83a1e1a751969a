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

from detente import PRESETS, check_writable, option_error
from detente.cli.common import ScenarioArg, app, console, reports_errors, write_new_file
from detente.cli.progress import Activity, activity, quiet_option
from detente.cli.registry import edits_variation, pop_edits, variation_parameters

if TYPE_CHECKING:
    from detente import ReportAnalysis, Variation

FIGURE_FORMATS = ("png", "svg", "pdf")

Models = Annotated[list[str] | None, typer.Option(
    "--model", "-m", help="Model to run; repeat for several (default: every registered model).")]
Primary = Annotated[str | None, typer.Option(
    help="Model of the counterfactual, uncertainty and sensitivity analyses (default: "
         "compromise).")]
Settings = Annotated[list[str] | None, typer.Option(
    "--set", help="An option of an analysis the report shows, as ANALYSIS.OPTION=VALUE "
    "(e.g. settle.step=5, sample.samples=5000; see `detente ANALYSIS --help`); repeat for "
    "several.", metavar="ANALYSIS.OPTION=VALUE")]
Data = Annotated[Path | None, typer.Option(
    help="DEU III file (e.g. ../shared/research/data/deu/deu3_blksv.csv) scored for the "
         "accuracy figure; default: the scenario's own observed outcomes.")]
Seed = Annotated[int | None, typer.Option(help="Seed of every analysis that has one "
                                               "(default: each analysis's own, 0).")]
Force = Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")]
Quiet = Annotated[bool, quiet_option()]


#: The options every report command shares, declared once (name, annotation, default).
SHARED = (("model", Models, None), ("primary", Primary, None), ("settings", Settings, None),
          ("data", Data, None), ("seed", Seed, None), ("force", Force, False),
          ("quiet", Quiet, False))


def _analysis(scenario: str | None, model: list[str] | None, seed: int | None,
              primary: str | None, settings: list[str] | None, data: Path | None,
              variation: Variation, issues: list[str] | None = None) -> ReportAnalysis:
    from detente import ReportAnalysis, parse_settings

    validation = None
    if data is not None:
        from detente import validate_deu

        # Council weights beside the DEU file, as the shared data folder keeps them.
        beside = data.parent / "eucouncil_weights.csv"
        validation = validate_deu(data, models=model or None,
                                  rng=0 if seed is None else seed,
                                  weights=beside if beside.is_file() else None)
    return ReportAnalysis.of(scenario, settings=parse_settings(settings), models=model or None,
                             primary=primary, seed=seed, issues=issues or None,
                             validation=validation, variation=variation)


def report_command(write: Callable[..., bytes | str]) -> Callable[..., None]:
    """A command from ``write(analysis, progress, output, **its own options)``, which
    returns what to write: the options of :data:`SHARED` and the counterfactual flags of
    every analysis join its signature and become the analysis; ``progress`` names each
    step on stderr (off with --quiet)."""

    def command(**kwargs: Any) -> None:
        shared = {name: kwargs.pop(name) for name, _, _ in SHARED}
        variation = edits_variation(pop_edits(kwargs))
        output: Path = kwargs["output"]
        check_writable(output, shared["force"])  # before the analysis: it can take minutes
        with activity(write.__name__, shared["quiet"]) as shown:
            shown.step("loading the scenario")
            analysis = _analysis(kwargs.pop("scenario"), shared["model"], shared["seed"],
                                 shared["primary"], shared["settings"], shared["data"],
                                 variation, kwargs.pop("issue", None))
            data = write(analysis, shown, **kwargs)
        write_new_file(output, data, force=shared["force"])
        console.print(f"wrote {output}")

    # Annotations are strings (postponed); the first two parameters are ours.
    own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY,
                     annotation=eval(p.annotation, write.__globals__))
           for p in list(inspect.signature(write).parameters.values())[2:]]
    command.__signature__ = inspect.Signature([*own, *(  # type: ignore[attr-defined]
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                          annotation=annotation) for name, annotation, default in SHARED),
        *variation_parameters()])
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
    from detente import draw_figure, figure_bytes, preset_bytes

    fmt = output.suffix.lower().lstrip(".")
    if fmt not in FIGURE_FORMATS:
        raise option_error("--output", f"cannot tell the format of '{output}'",
                           "end the file name in .png, .svg or .pdf")
    if preset is not None and preset not in PRESETS:
        raise option_error("--preset", f"unknown preset '{preset}'",
                           f"use {', '.join(PRESETS)}")
    chosen = PRESETS[preset] if preset is not None else None
    if chosen is not None:
        analysis.aspect = chosen.aspect
    progress.step("running the analyses and drawing")
    figure = draw_figure(kind, analysis)
    if chosen is None:
        return figure_bytes(figure, fmt, dpi=dpi)
    return preset_bytes(figure, fmt, chosen)


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
    # The report reads these cached analyses; computing them here, in its order, only
    # lets the progress line name each (same settings, same numbers).
    for step, name in (("forecasting with every model", "forecast"),
                       ("leaving out each actor", "without_actor"),
                       ("searching packages", "settlement"),
                       ("Shapley values of the guarantors", "contributions"),
                       ("sampling scenarios", "sampled"),
                       ("sensitivity indices", "sensitivity")):
        progress.step(step)
        getattr(analysis, name)
    progress.step("drawing the figures")
    return render_report(analysis)


app.command(name="plot")(report_command(plot))
app.command(name="report")(report_command(report))
