"""Figures and the HTML report: `detente plot` and `detente report`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from detente.analyses.options import STEP
from detente.cli.common import ScenarioArg, app, console, reports_errors, write_new_file
from detente.cli.progress import activity, quiet_option
from detente.errors import OptionError, Problem, option_error
from detente.presets import PRESETS

if TYPE_CHECKING:
    from detente.report.kinds import Analysis

FIGURE_FORMATS = ("png", "svg", "pdf")


def _kinds_help() -> str:
    from detente.report.kinds import KINDS

    return "Figure kind: " + ", ".join(KINDS) + "."


Models = Annotated[list[str] | None, typer.Option(
    "--model", "-m", help="Model to run; repeat for several (default: every registered model).")]
Primary = Annotated[str | None, typer.Option(
    help="Model of the counterfactual, uncertainty and sensitivity analyses (default: "
         "compromise).")]
# The report's package searches (settlement and guarantor shares) take the settlement
# analyses' one grid-step option: same default, same bounds, same checks.
SettleStep = Annotated[float, typer.Option(help=f"{STEP.help} Used by the settlement and the "
                                                f"guarantor shares.")]
Samples = Annotated[int, typer.Option(help="Sampled scenarios for the uncertainty figure.")]
Data = Annotated[Path | None, typer.Option(
    help="DEU III file (e.g. ../shared/research/data/deu/deu3_blksv.csv) scored for the "
         "accuracy figure; default: the scenario's own observed outcomes.")]
Seed = Annotated[int, typer.Option(help="Seed for stochastic models and sampling.")]
Force = Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")]
Quiet = Annotated[bool, quiet_option()]


def _refuse_existing(output: Path, force: bool) -> None:
    # Before the analysis, which can take minutes; the writer checks again at the end.
    from detente.atomic import check_writable

    check_writable(output, force)


def _analysis(scenario: str | None, model: list[str] | None, seed: int, primary: str | None,
              settle_step: float, samples: int, data: Path | None,
              issues: list[str] | None = None) -> Analysis:
    from detente.report.kinds import Analysis

    step, problems = STEP.check(settle_step)
    if problems:
        raise OptionError([Problem("--settle-step", p.message, p.fix.replace("--step",
                                                                             "--settle-step"))
                           for p in problems])
    if samples < 10:
        raise option_error("--samples", f"need at least 10 samples, got {samples}",
                           "give e.g. --samples 2000")
    validation = None
    if data is not None:
        from detente.validate import validate_deu

        # Council weights beside the DEU file, as the shared data folder keeps them.
        beside = data.parent / "eucouncil_weights.csv"
        validation = validate_deu(data, models=model or None, rng=seed,
                                  weights=beside if beside.is_file() else None)
    return Analysis.of(scenario, models=model or None, seed=seed, issues=issues or None,
                       primary=primary, settle_step=step, contribution_step=step,
                       samples=samples,
                       validation=validation)


@app.command()
@reports_errors
def plot(
    kind: Annotated[str, typer.Argument(help=_kinds_help(), show_default=False)],
    scenario: ScenarioArg = None,
    output: Annotated[Path, typer.Option("--output", "-o",
                      help="File to write: .png, .svg or .pdf.")] = Path("figure.png"),
    model: Models = None,
    issue: Annotated[list[str] | None, typer.Option(
        "--issue", "-i", help="Issue id for per-issue figures (issue-map, trajectories; "
                              "tornado takes the first); repeat for several.")] = None,
    primary: Primary = None,
    settle_step: SettleStep = STEP.default,
    samples: Samples = 2000,
    data: Data = None,
    seed: Seed = 0,
    dpi: Annotated[int, typer.Option(help="Resolution of a PNG without --preset.")] = 150,
    preset: Annotated[str | None, typer.Option(
        help="Size the figure for: " + "; ".join(f"{p.name}: {p.help}" for p in
                                                 PRESETS.values()) + ". Default: the "
             "figure's own size at --dpi.", metavar="[" + "|".join(PRESETS) + "]",
        show_default=False)] = None,
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Draw one figure of a scenario to a PNG, SVG or PDF file."""
    from detente.report.kinds import draw
    from detente.report.style import figure_bytes

    fmt = output.suffix.lower().lstrip(".")
    if fmt not in FIGURE_FORMATS:
        raise option_error("--output", f"cannot tell the format of '{output}'",
                           "end the file name in .png, .svg or .pdf")
    if preset is not None and preset not in PRESETS:
        raise option_error("--preset", f"unknown preset '{preset}'",
                           f"use {', '.join(PRESETS)}")
    _refuse_existing(output, force)
    chosen = PRESETS[preset] if preset is not None else None
    with activity(f"plot {kind}", quiet) as shown:
        shown.step("running the analyses")
        analysis = _analysis(scenario, model, seed, primary, settle_step, samples, data, issue)
        if chosen is not None:
            analysis.aspect = chosen.aspect
        figure = draw(kind, analysis)
        shown.step("drawing")
        if chosen is None:
            data_bytes = figure_bytes(figure, fmt, dpi=dpi)
        else:
            from detente.report.style import preset_bytes

            data_bytes = preset_bytes(figure, fmt, chosen)
    write_new_file(output, data_bytes, force=force)
    console.print(f"wrote {output}")


@app.command()
@reports_errors
def report(
    scenario: ScenarioArg = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file to write.")
                      ] = Path("report.html"),
    model: Models = None,
    primary: Primary = None,
    settle_step: SettleStep = STEP.default,
    samples: Samples = 2000,
    data: Data = None,
    seed: Seed = 0,
    dpi: Annotated[int, typer.Option(help="Resolution of the embedded figures.")] = 110,
    force: Force = False,
    quiet: Quiet = False,
) -> None:
    """Write one self-contained HTML report (figures inline, nothing loaded from the web)."""
    from detente.report.html import render_report

    _refuse_existing(output, force)
    with activity("report", quiet) as shown:
        shown.step("forecasting with every model")
        analysis = _analysis(scenario, model, seed, primary, settle_step, samples, data)
        analysis.dpi = dpi
        # The report reads these cached analyses; computing them here, in its order, only
        # lets the progress line name each (same seed, same numbers).
        for step, name in (("forecasting with every model", "forecast"),
                           ("leaving out each actor", "without_actor"),
                           ("searching packages", "settlement"),
                           ("Shapley values of the guarantors", "contributions"),
                           ("sampling scenarios", "sampled"),
                           ("sensitivity indices", "sensitivity")):
            shown.step(step)
            getattr(analysis, name)
        shown.step("drawing the figures")
        html = render_report(analysis)
    write_new_file(output, html, force=force)
    console.print(f"wrote {output}")
