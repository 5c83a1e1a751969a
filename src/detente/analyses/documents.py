"""`detente plot` and `detente report`: one figure, or the offline HTML report, declared
once like every analysis, so that the command line (``-o``, ``--force``, every flag) and the
workbench's *Figure* and *HTML report* entries come from these two specs.

They are documents rather than numbers: their main output is a file (``-o figure.png``,
``-o report.html``), and they have no headline numbers for ``detente compare`` (not among
its parts). Light at import like every spec: the figure kinds and their
titles are declared here, the drawing (matplotlib) in :mod:`detente.report.kinds`.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from detente.analyses.options import REPORT_OPTIONS
from detente.analyses.spec import PATH_ON_THE_MACHINE, AnalysisSpec, FileOutput, Option
from detente.errors import named_by
from detente.presets import PRESETS
from detente.scenario import Scenario
from detente.variation import Variation
from detente.view import View

if TYPE_CHECKING:
    from detente.report.kinds import Analysis

#: Every figure kind and its title, in the order `detente plot` lists them (the drawing of
#: each: :data:`detente.report.kinds.KINDS`).
FIGURES: dict[str, str] = {
    "issue-map": "Issue map: actors, status quo and forecasts on each scale",
    "comparison": "The forecasts of all models side by side",
    "trajectories": "Actors' positions per round of a stepwise model",
    "without-actor": "How each forecast moves when one actor stays away",
    "settlement": "Who gains from each package; blockers marked",
    "settlement-without": "The best deal with and without each actor",
    "issue-zones": "The zone of agreement issue by issue (per-issue ZOPA)",
    "frontier": "The efficiency frontier of the acceptable packages",
    "roadmap": "A named roadmap stage by stage: who stays, who is tempted",
    "roadmap-scan": "Does the roadmap hold if trust is earned by delivery?",
    "contributions": "What each actor adds to the deal as a guarantor",
    "uncertainty": "Each issue's forecast over sampled scenarios, with intervals",
    "tornado": "The inputs that move one issue's forecast most",
    "accuracy": "Predicted against observed outcomes, per model",
}
#: Figures drawn from a package search (there --fix and --guarantor act).
_SEARCHING = {"settlement", "settlement-without", "issue-zones", "frontier", "roadmap",
              "roadmap-scan", "contributions"}
FIGURE_FORMATS = ("png", "svg", "pdf")
REPORT_FILE = "report.html"

KIND = Option("kind", str, "issue-map", "Figure kind.", choices=tuple(FIGURES),
              flags=("KIND",), argument=True, label="figure kind")
ISSUE = Option("issue", str, (), "Issue id for per-issue figures (issue-map, trajectories; "
               "tornado takes the first); repeat for several.", multiple=True,
               flags=("--issue", "-i"))
PRESET = Option("preset", str, None, "Size the figure for: " + "; ".join(
    f"{p.name}: {p.help}" for p in PRESETS.values()) + ". Default: the figure's own size "
    "at --dpi.", choices=tuple(PRESETS))
DATA = Option("data", str, None, "DEU III file (e.g. ../shared/research/data/deu/"
              "deu3_blksv.csv) scored for the accuracy figure; default: the scenario's own "
              "observed outcomes.", held=PATH_ON_THE_MACHINE)


def _dpi(default: int, help_text: str) -> Option:
    return Option("dpi", int, default, help_text, unit="dots per inch", low=10, high=1200)


def _analysis(scenario: Scenario | str | Path | None, variation: Variation | None,
              options: dict[str, Any]) -> Analysis:
    from detente.report.kinds import Analysis

    return Analysis.from_options(scenario, options, deu=options["data"],
                                 variation=variation, issues=list(options.get("issue", ()))
                                 or None)


@dataclass
class Drawing:
    """One figure of a scenario, drawn in each format on first use (the analyses it needs
    run then, once)."""

    analysis: Analysis
    kind: str
    dpi: int
    preset: str | None
    files: dict[str, bytes] = field(default_factory=dict)
    #: The scenario as given (a path names its file in a refusal met while drawing).
    source: object = None

    @property
    def title(self) -> str:
        return FIGURES[self.kind]

    def file(self, fmt: str) -> bytes:
        if fmt not in self.files:
            from detente.report.kinds import figure_file

            preset = PRESETS[self.preset] if self.preset is not None else None
            with named_by(self.source):
                self.files[fmt] = figure_file(self.kind, self.analysis, fmt, self.dpi, preset)
        return self.files[fmt]


def _serve_settings(options: dict[str, Any], offered: Mapping[str, AnalysisSpec], at: str
                    ) -> dict[str, Any]:
    """The report's settings as a server runs them (:func:`serve_report_settings`, where
    the report reads them), imported when a request is served: the report's module imports
    the registry this module belongs to."""
    from detente.report.kinds import serve_report_settings

    return serve_report_settings(options, offered, at)


def run_plot(scenario: Scenario | str | Path | None, variation: Variation | None,
             **options: Any) -> Drawing:
    return Drawing(_analysis(scenario, variation, options), options["kind"], options["dpi"],
                   options["preset"], source=scenario)


def _figure_dict(run: Any) -> dict[str, Any]:
    """The figure as the workbench shows it: a PNG (base64) and its title."""
    drawing: Drawing = run.value
    png = base64.b64encode(drawing.file("png")).decode("ascii")
    return {"format": "detente.figure", "kind": drawing.kind,
            "figures": [{"title": drawing.title, "png": png}]}


def _figure_file(run: Any, path: Path) -> bytes:
    return run.value.file(path.suffix.lower().lstrip("."))


@dataclass(frozen=True)
class Report:
    """The offline HTML report of a scenario, and the name to save it under."""

    scenario: Scenario
    html: str

    @property
    def filename(self) -> str:
        return f"{self.scenario.id}-{REPORT_FILE}"


def run_report(scenario: Scenario | str | Path | None, variation: Variation | None, *,
               progress: Callable[[str], None] | None = None, **options: Any) -> Report:
    from detente.report.html import render_report

    if progress is not None:
        progress("loading the scenario")
    analysis = _analysis(scenario, variation, options)
    analysis.dpi = options["dpi"]
    return Report(analysis.scenario, render_report(analysis, progress))


def _report_file(run: Any, _: Path) -> bytes:
    return run.value.html.encode("utf-8")


PLOT = AnalysisSpec(
    name="plot", title="Figure",
    summary="Draw one figure of a scenario to a PNG, SVG or PDF file.",
    options=(KIND, ISSUE, _dpi(150, "Resolution of a PNG without --preset."), PRESET, DATA,
             *REPORT_OPTIONS),
    run=run_plot, view=lambda run: View(run.value.analysis.scenario.title, run.value.title),
    formats=("json",), to_dict=_figure_dict,
    package_search=lambda options: options["kind"] in _SEARCHING,
    serve_settings=_serve_settings,
    files=(FileOutput("--output", "File to write: .png, .svg or .pdf.", _figure_file,
                      short="-o", default="figure.png", suffixes=FIGURE_FORMATS,
                      overwrite=True),),
    quick={"kind": "comparison", "model": ("compromise",), "dpi": 30},
)

REPORT = AnalysisSpec(
    name="report", title="HTML report",
    summary="Write one self-contained HTML report (figures inline, nothing loaded from the "
            "web).",
    options=(_dpi(110, "Resolution of the embedded figures."), DATA, *REPORT_OPTIONS),
    run=run_report,
    view=lambda run: View(run.value.scenario.title, f"offline HTML report "
                                                    f"({len(run.value.html) // 1024} KiB)"),
    formats=("json",),
    to_dict=lambda run: {"format": "detente.report", "filename": run.value.filename,
                         "html": run.value.html},
    package_search=True, steps=True, serve_settings=_serve_settings,
    files=(FileOutput("--output", "HTML file to write.", _report_file, short="-o",
                      default=REPORT_FILE, overwrite=True),),
    quick={"model": ("compromise",), "dpi": 30,
           "set": ("settle.step=50%", "contributions.step=50%", "sample.samples=20",
                   "sample.workers=1", "sensitivity.samples=8", "sensitivity.bootstrap=10",
                   "sensitivity.workers=1")},
)

__all__ = ["FIGURES", "FIGURE_FORMATS", "PLOT", "REPORT", "Drawing", "Report"]
