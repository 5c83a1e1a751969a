"""`detente brief`: the plain-words page a minister reads (:mod:`detente.brief`).

Declared once here: the CLI command (with ``-f markdown|html`` and ``--pdf FILE``), the JSON
and any other surface follow from this spec.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from detente.analyses.options import DEFAULT_SAMPLES, SEED, STEP
from detente.analyses.spec import AnalysisSpec, FileOutput, Option
from detente.scenario import Scenario
from detente.settlement.defaults import GridStep
from detente.variation import Variation
from detente.view import View

SAMPLES = Option("samples", int, DEFAULT_SAMPLES, "Sampled scenarios for how sure the "
                 "forecast is (the default is `sample`'s, as in the report).",
                 low=10, high=100_000)


def run_brief(scenario: Scenario | str | Path | None, variation: Variation | None, *,
              step: GridStep, samples: int, seed: int) -> Any:
    from detente.brief import make_brief

    return make_brief(scenario, variation, step=step, samples=samples, seed=seed)


def view_brief(run: Any) -> View:
    return run.value.view()


def _pdf(run: Any, _: Path) -> bytes:
    from detente.brief import pdf_bytes

    return pdf_bytes(run.value.to_html())


def _pdf_ready() -> None:
    from detente.brief import require_chromium

    require_chromium()


def _pages(data: bytes) -> str:
    from detente.brief import pdf_pages

    pages = pdf_pages(data)
    return "" if pages is None else f"{pages} page{'s' if pages != 1 else ''}"


BRIEF = AnalysisSpec(
    name="brief", title="Brief",
    summary="One page in plain words: where bargaining lands, which deals pass, who blocks "
            "them and what wins them over, what the guarantors add, how sure we are.",
    options=(STEP, SAMPLES, SEED),
    run=run_brief, view=view_brief,
    formats=("table", "markdown", "html", "json"),
    to_dict=lambda run: run.value.to_dict(),
    package_search=True, quick={"step": "50%", "samples": 10},
    extra={"markdown": lambda run: run.value.to_markdown(),
           "html": lambda run: run.value.to_html()},
    files=(FileOutput("--pdf", "PDF of the brief (printed by Debian's chromium, headless).",
                      _pdf, ready=_pdf_ready, describe=_pages),),
)

__all__ = ["BRIEF"]
