"""The analyses the workbench can run, each a thin adapter over detente's public API.

Every adapter takes a validated :class:`~detente.scenario.Scenario` and the request's
parameters and returns JSON-ready data plus a *view*: a summary line, tables and figures
that the page renders the same way for every analysis (so comparing two runs side by side
works for all of them). Adapters run in a child process (see :mod:`detente.web.jobs`).
"""

from __future__ import annotations

import base64
import copy
import math
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from detente.analyses import ANALYSES as REGISTERED
from detente.analyses import Option
from detente.analyses import Result as AnalysisResult
from detente.analyses.options import STEP as STEP_OPTION
from detente.analyses.options import UTILITY as UTILITY_OPTION
from detente.analyses.options import WEIGHTING as WEIGHTING_OPTION
from detente.errors import OptionError, Problem, option_error
from detente.models import REGISTRY
from detente.render import fmt as render_fmt
from detente.render import rows_text
from detente.report.kinds import KINDS as REPORT_KINDS
from detente.scenario import Scenario, scenario_from_mapping
from detente.view import View as ResultView

Progress = Callable[[float, str], None]
View = dict[str, Any]


@dataclass(frozen=True)
class Param:
    """One option of an analysis, as the page shows it (``kind``: int, float, text,
    choice, or issue — a choice among the scenario's issues)."""

    name: str
    label: str
    kind: str
    default: Any = None
    choices: tuple[str, ...] = ()
    help: str = ""
    low: float | None = None  # numbers: the smallest allowed (``low_open``: must be above)
    low_open: bool = False
    high: float | None = None

    def public(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "kind": self.kind,
                "default": self.default, "choices": list(self.choices), "help": self.help,
                "low": self.low, "high": self.high}

    def problem(self, value: Any, issue_ids: tuple[str, ...]) -> Problem | None:
        """What is wrong with a value of this option (None when it is fine)."""
        loc = f"params.{self.name}"
        if self.kind in ("int", "float"):
            number = isinstance(value, int | float) and not isinstance(value, bool) \
                and math.isfinite(value)
            if not number or (self.kind == "int" and value != int(value)):
                what = "a whole number" if self.kind == "int" else "a number"
                return Problem(loc, f"{self.name} must be {what}, got {value!r}",
                               f"give e.g. {self.default if self.default is not None else 1}")
            if self.low is not None and (value < self.low or (self.low_open
                                                              and value == self.low)):
                bound = f"above {self.low:g}" if self.low_open else f"at least {self.low:g}"
                return Problem(loc, f"{self.name} must be {bound}, got {value:g}",
                               f"give a value {bound}")
            if self.high is not None and value > self.high:
                return Problem(loc, f"{self.name} must be at most {self.high:g}, got "
                               f"{value:g}", f"give a value up to {self.high:g}")
            return None
        if not isinstance(value, str):
            return Problem(loc, f"{self.name} must be text, got {value!r}", "write it as text")
        if self.kind == "choice" and value not in self.choices:
            return Problem(loc, f"unknown {self.name} '{value}'",
                           f"use one of: {', '.join(self.choices)}")
        if self.kind == "issue" and value not in issue_ids:
            return Problem(loc, f"unknown issue '{value}'",
                           f"known issues: {', '.join(issue_ids)}")
        return None


@dataclass(frozen=True)
class Analysis:
    name: str
    title: str
    description: str
    run: Callable[[Scenario, Mapping[str, Any], Progress], dict[str, Any]]
    long: bool = False  # shows a progress bar and a cancel button
    params: tuple[Param, ...] = ()
    models: str = "all"  # "all" ticked models, "first" ticked model, or "none"
    # The analysis takes the counterfactual itself (and shows it beside the baseline)
    # instead of running on the changed scenario.
    own_counterfactual: bool = False


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """Plain JSON types (numpy scalars and arrays too); non-finite numbers become None."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if math.isfinite(number) else None
    if value is None or isinstance(value, str | int):
        return value
    return str(value)


def fmt(value: float | None) -> str:
    """The one number format (:func:`detente.render.fmt`); None shows as a dash."""
    return "–" if value is None else render_fmt(value)


def from_option(option: Option, label: str, name: str = "") -> Param:
    """The page's parameter of a registered analysis option: the same default, bounds,
    choices and help as the command line (issue 14), under the web's ``name`` if it has
    its own (``group_by`` for ``--group``)."""
    kind = "choice" if option.choices else {int: "int", float: "float"}.get(option.type,
                                                                             "text")
    text = option.help + (f" ({option.unit})" if option.unit else "")
    return Param(name or option.name, label, kind, option.default, option.choices, text,
                 option.low, option.low_open, option.high)


def table(title: str, columns: list[str], rows: list[list[Any]]) -> dict[str, Any]:
    return {"title": title, "columns": columns, "rows": rows}


def figure_png(fig: Any, title: str) -> dict[str, str]:
    """A matplotlib figure as an inline PNG (closed afterwards)."""
    import io

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return {"title": title, "png": base64.b64encode(buffer.getvalue()).decode("ascii")}


def model_options(params: Mapping[str, Any]) -> tuple[list[str] | None, dict[str, Any]]:
    models = params.get("models") or None
    options = params.get("options") or {}
    return models, options


# ---------------------------------------------------------------------------------------
# Counterfactual toggles, applied to the scenario mapping before validation
# ---------------------------------------------------------------------------------------


def _ids(items: Any) -> list[str]:
    return [str(item.get("id")) for item in items if isinstance(item, dict)] \
        if isinstance(items, list) else []


def apply_counterfactual(mapping: Mapping[str, Any], cf: Mapping[str, Any] | None
                         ) -> dict[str, Any]:
    """Return a copy of a scenario mapping with actors removed, trust or guarantors changed.

    ``cf``: ``{"without": [actor ids], "trust": [{"truster", "trusted", "value"}],
    "guarantors": [{"issue", "guarantors": [ids]}]}``. Unknown ids are reported with the
    same kind of message as the loader's.
    """
    data = copy.deepcopy(dict(mapping))
    if not cf:
        return data
    problems: list[Problem] = []
    actor_ids = _ids(data.get("actors"))
    issue_ids = _ids(data.get("issues"))
    without = [str(a) for a in cf.get("without") or []]
    for k, actor in enumerate(without):
        if actor not in actor_ids:
            problems.append(Problem(f"counterfactual.without[{k}]", f"unknown actor '{actor}'",
                                    f"known actors: {', '.join(actor_ids)}"))
    if set(without) >= set(actor_ids) and actor_ids:
        problems.append(Problem("counterfactual.without", "every actor would be removed",
                                "keep at least one actor"))
    for k, change in enumerate(cf.get("trust") or []):
        if change.get("truster") not in actor_ids or change.get("truster") in without:
            problems.append(Problem(f"counterfactual.trust[{k}].truster",
                                    f"unknown actor '{change.get('truster')}'",
                                    f"known actors: {', '.join(actor_ids)}"))
    for k, change in enumerate(cf.get("guarantors") or []):
        if change.get("issue") not in issue_ids:
            problems.append(Problem(f"counterfactual.guarantors[{k}].issue",
                                    f"unknown issue '{change.get('issue')}'",
                                    f"known issues: {', '.join(issue_ids)}"))
    if problems:
        raise OptionError(problems)

    gone = set(without)
    if gone:
        data["actors"] = [a for a in data["actors"]
                          if not (isinstance(a, dict) and a.get("id") in gone)]
        for key in ("stances", "trust"):
            table_ = data.get(key)
            if isinstance(table_, dict):
                data[key] = {k: ({j: v for j, v in row.items() if j not in gone}
                                 if isinstance(row, dict) else row)
                             for k, row in table_.items() if k not in gone}

        def drop(guarantors: Any) -> Any:
            return [g for g in guarantors if g not in gone] \
                if isinstance(guarantors, list) else guarantors

        for issue in data.get("issues") or []:
            if isinstance(issue, dict) and "guarantors" in issue:
                issue["guarantors"] = drop(issue["guarantors"])
        holders = [*(data.get("packages") or [])]
        for roadmap in data.get("roadmaps") or []:
            if isinstance(roadmap, dict):
                holders += list(roadmap.get("stages") or [])
        for holder in holders:
            if isinstance(holder, dict) and isinstance(holder.get("guarantors"), dict):
                holder["guarantors"] = {k: drop(v) for k, v in holder["guarantors"].items()}
        # issue 16: a removed actor verifies nothing, links nothing, has no stake
        for issue in data.get("issues") or []:
            verifies = issue.get("verifies") if isinstance(issue, dict) else None
            if isinstance(verifies, dict):
                for band in verifies.get("verifiers") or []:
                    if isinstance(band, dict) and "by" in band:
                        band["by"] = drop(band["by"])
        if isinstance(data.get("links"), list):
            data["links"] = [x for x in data["links"]
                             if not (isinstance(x, dict) and x.get("actor") in gone)]
        if isinstance(data.get("stakes"), dict):
            data["stakes"] = {k: v for k, v in data["stakes"].items() if k not in gone}
    for change in cf.get("trust") or []:
        trust = data.get("trust")
        if not isinstance(trust, dict):
            trust = data["trust"] = {}
        row = trust.get(change["truster"])
        if not isinstance(row, dict):
            row = trust[change["truster"]] = {}
        old = row.get(change["trusted"])
        if isinstance(old, dict):
            row[change["trusted"]] = {**old, "value": change["value"]}
        else:
            row[change["trusted"]] = change["value"]
    for change in cf.get("guarantors") or []:
        for issue in data["issues"]:
            if isinstance(issue, dict) and issue.get("id") == change["issue"]:
                issue["guarantors"] = list(change.get("guarantors") or [])
    return data


def describe_counterfactual(cf: Mapping[str, Any] | None) -> str:
    if not cf:
        return ""
    parts = []
    if cf.get("without"):
        parts.append("without " + ", ".join(cf["without"]))
    for change in cf.get("trust") or []:
        parts.append(f"trust {change['truster']}→{change['trusted']} = {change['value']:g}")
    for change in cf.get("guarantors") or []:
        parts.append(f"{change['issue']} guaranteed by "
                     f"{', '.join(change.get('guarantors') or []) or 'nobody'}")
    return "; ".join(parts)


# ---------------------------------------------------------------------------------------
# Adapters
# ---------------------------------------------------------------------------------------


def run_forecast(s: Scenario, params: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    from detente.forecast import forecast

    models, options = model_options(params)
    figures = _forecast_figures(params)
    f = forecast(s, models=models, options=options, rng=int(params.get("seed", 0)))
    view = web_view(AnalysisResult("forecast", f).view(),
                    report_figures(s, params, FORECAST_FIGURES[figures]))
    return {"data": f.to_dict(), "view": view}


FORECAST_FIGURES: dict[str, tuple[str, ...]] = {
    "comparison": ("comparison",), "issue-map": ("issue-map",),
    "both": ("comparison", "issue-map"), "none": (),
}


def report_figures(s: Scenario, params: Mapping[str, Any],
                   kinds: tuple[str, ...] = ("issue-map", "comparison")
                   ) -> list[dict[str, str]]:
    """Figures of the report, drawn by the report's own functions (``detente plot``)."""
    from detente.report.kinds import KINDS, draw
    from detente.report.kinds import Analysis as ReportAnalysis

    models, _ = model_options(params)
    analysis = ReportAnalysis(s, models=models or None, seed=int(params.get("seed", 0)))
    return [figure_png(draw(kind, analysis), KINDS[kind].title) for kind in kinds]


def _forecast_figures(params: Mapping[str, Any]) -> str:
    choice = str(params.get("figures") or "comparison")
    if choice not in FORECAST_FIGURES:
        raise option_error("params.figures", f"unknown figures '{choice}'",
                           f"use one of: {', '.join(FORECAST_FIGURES)}")
    return choice


def run_figure(s: Scenario, params: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    kind = str(params.get("kind") or "issue-map")
    progress(0.0, f"drawing {kind}")
    figures = report_figures(s, params, (kind,))
    view: View = {"summary": f"{s.title}: {figures[0]['title'] if figures else kind}",
                  "tables": [], "figures": figures, "notes": []}
    return {"data": {"format": "detente.figure", "kind": kind}, "view": view}


def run_report(s: Scenario, params: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    from detente.report.html import render_report
    from detente.report.kinds import Analysis as ReportAnalysis

    models, _ = model_options(params)
    progress(0.0, "forecasting and drawing the report")
    html = render_report(ReportAnalysis(s, models=models or None,
                                        seed=int(params.get("seed", 0))))
    view: View = {"summary": f"{s.title}: offline HTML report ({len(html) // 1024} KiB)",
                  "tables": [], "figures": [], "notes": []}
    return {"data": {"format": "detente.report", "filename": f"{s.id}-report.html",
                     "html": html}, "view": view}


def _one_model(params: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """Monte Carlo analyses run one model: the first one ticked."""
    models, options = model_options(params)
    model = (models or ["compromise"])[0]
    return model, dict(options.get(model, {}))


def _chunked_progress(progress: Progress, what: str) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        progress(done / total if total else 1.0, f"{done} of {total} {what}")

    return report


def _int_param(params: Mapping[str, Any], name: str, default: int, low: int) -> int:
    raw = params.get(name, default)
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw != int(raw) \
            or raw < low:
        raise option_error(f"params.{name}", f"{name} must be a whole number of at least "
                           f"{low}, got {raw!r}", f"give e.g. {default}")
    return int(raw)


def _noise(params: Mapping[str, Any]) -> str | None:
    noise = params.get("noise")
    if noise in (None, ""):
        return None
    if not isinstance(noise, str):
        raise option_error("params.noise", "noise must be text such as "
                           "'position=10 salience=0.1 capability=20%'", "write it as text")
    return noise


def web_view(view: ResultView, figures: list[dict[str, str]] | None = None) -> View:
    """A registry :class:`~detente.view.View` as the page renders it: the same tables and
    notes as the terminal (cells as text, by the one formatter), figures beside them."""
    head = " ".join(x for x in (view.title, view.summary) if x)
    return {"summary": head or (view.tables[0].title if view.tables else ""),
            "tables": [table(t.title, list(t.columns), rows_text(t)) for t in view.tables],
            "figures": figures or [],
            "notes": [*(n for t in view.tables for n in t.notes), *view.notes]}


def run_sample(s: Scenario, params: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    from detente.uncertainty import sample

    model, options = _one_model(params)
    samples = _int_param(params, "samples", SAMPLES.default, int(SAMPLES.low or 1))
    result = sample(s, model=model, samples=samples, rng=int(params.get("seed", 0)),
                    noise=_noise(params), options=options, workers=1,
                    chunk_size=max(50, samples // 20),
                    progress=_chunked_progress(progress, "samples"))
    shown = AnalysisResult("sample", result, {"model": model, "samples": samples})
    return {"data": result.to_dict(), "view": web_view(shown.view())}


def run_sensitivity(s: Scenario, params: Mapping[str, Any], progress: Progress
                    ) -> dict[str, Any]:
    from detente.analyses.sampling import Ranked
    from detente.uncertainty.sensitivity import sensitivity

    model, options = _one_model(params)
    samples = _int_param(params, "samples", ROWS.default, int(ROWS.low or 2))
    group_by = params.get("group_by") or GROUP_BY.default
    if group_by not in GROUP_BY.choices:
        raise option_error("params.group_by", f"unknown grouping '{group_by}'",
                           f"use {', '.join(GROUP_BY.choices)}")
    result = sensitivity(s, model=model, samples=samples, rng=int(params.get("seed", 0)),
                         noise=_noise(params), options=options, group_by=str(group_by),
                         workers=1, chunk_size=max(20, samples // 10),
                         progress=_chunked_progress(progress, "rows"))
    ranked = Ranked(result, tuple(result.outputs), REGISTERED["sensitivity"].option("top").default)
    shown = AnalysisResult("sensitivity", ranked, {"model": model, "samples": samples})
    return {"data": ranked.to_dict(), "view": web_view(shown.view())}


def _float_param(params: Mapping[str, Any], name: str) -> float | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise option_error(f"params.{name}", f"{name} must be a number, got {raw!r}",
                           "write a plain number")
    return float(raw)


def _variation(params: Mapping[str, Any]) -> Any:
    """The request's counterfactual toggles as a settlement :func:`variation` (or None)."""
    from detente.settlement import variation

    cf = params.get("counterfactual") or {}
    if not cf:
        return None
    return variation(
        without=cf.get("without") or (),
        trust=[(t["truster"], t["trusted"], t["value"]) for t in cf.get("trust") or ()],
        guarantors=[(g["issue"], g.get("guarantors") or ()) for g in cf.get("guarantors") or ()])


def run_settle(s: Scenario, params: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    from detente.settlement import settle

    variations = _variation(params)
    top = _int_param(params, "top", 5, 1)
    step = _float_param(params, "step")
    if step is not None and step <= 0:
        raise option_error("params.step", f"step must be above 0, got {step:g}", "give e.g. 5")
    progress(0.0, "searching packages")
    result = settle(s, variations=variations, step=step, top=top,
                    utility=str(params.get("utility") or UTILITY.default),
                    weighting=str(params.get("weighting") or WEIGHTING.default))  # type: ignore
    return {"data": result.to_dict(),
            "view": web_view(AnalysisResult("settle", result).view())}


def run_roadmap(s: Scenario, params: Mapping[str, Any], progress: Progress
                ) -> dict[str, Any]:
    from detente.roadmaps import roadmap

    progress(0.0, "evaluating roadmaps")
    stages = params.get("stages")
    result = roadmap(s, stages=None if stages in (None, "") else int(stages),
                     variations=_variation(params),
                     patience=_float_param(params, "patience") or 1.0,
                     defection=str(params.get("defection") or "reverse"),  # type: ignore[arg-type]
                     step=_float_param(params, "step"),
                     utility=str(params.get("utility") or "quadratic"))  # type: ignore[arg-type]
    return {"data": result.to_dict(),
            "view": web_view(AnalysisResult("roadmap", result).view())}


def run_explain(s: Scenario, params: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    from detente.analyses.forecasting import Explanation
    from detente.models import get_model

    models, options = model_options(params)
    stepwise = [m for m in models or [] if m in STEPWISE] or ["bdm"]
    model = stepwise[0]
    issue_id = params.get("issue") or s.issue_ids[0]
    if issue_id not in s.issue_ids:
        raise option_error("params.issue", f"unknown issue '{issue_id}'",
                           f"known issues: {', '.join(s.issue_ids)}")
    round_number = _int_param(params, "round", 1, 1)
    chosen = get_model(model, **dict(options.get(model, {})))
    tables = chosen.explain(s.compile(), s.issue_ids.index(str(issue_id)), round_number)
    explained = Explanation(s, model, chosen.options_dict(), str(issue_id), round_number,
                            tuple(tables))
    return {"data": explained.to_dict(),
            "view": web_view(AnalysisResult("explain", explained).view())}


def run_contributions(s: Scenario, params: Mapping[str, Any], progress: Progress
                      ) -> dict[str, Any]:
    from detente.analyses import run

    progress(0.0, "evaluating coalitions of guarantors")
    given = {name: params[name] for name in ("value", "step", "utility")
             if params.get(name) not in (None, "")}
    result = run("contributions", s, seed=int(params.get("seed", 0)), **given)
    return {"data": result.to_dict(), "view": web_view(result.view())}


STEPWISE = tuple(name for name, info in REGISTRY.items() if info.stepwise)

FIGURE_KINDS: tuple[str, ...] = tuple(REPORT_KINDS)

# Options every interface shares come from the analysis registry (one default each).
STEP = from_option(STEP_OPTION, "Grid step")
UTILITY = from_option(UTILITY_OPTION, "Utility")
WEIGHTING = from_option(WEIGHTING_OPTION, "Weighting")
SAMPLES = from_option(REGISTERED["sample"].option("samples"), "Samples")
ROWS = from_option(REGISTERED["sensitivity"].option("samples"), "Rows (N)")
GROUP_BY = from_option(REGISTERED["sensitivity"].option("group"), "Group by", "group_by")
NOISE = Param("noise", "Noise", "text", "",
              help="e.g. position=10 salience=0.1 capability=20%; default: the scenario's "
                   "own uncertainty, else a default noise")

ANALYSES: dict[str, Analysis] = {
    a.name: a for a in (
        Analysis("forecast", "Forecast", "Forecast every issue with the chosen models.",
                 run_forecast,
                 params=(Param("figures", "Figures", "choice", "comparison",
                               tuple(FORECAST_FIGURES), help="the report's figures to draw"),)),
        Analysis("explain", "Explain a round",
                 "Why a stepwise model moved as it did on one issue in one round (the "
                 "first stepwise model ticked, else bdm).", run_explain,
                 params=(Param("issue", "Issue", "issue"),
                         from_option(REGISTERED["explain"].option("round_number"), "Round",
                                     "round")),
                 models="first"),
        Analysis("settle", "Settlement",
                 "Zone of agreement, best and named packages, blockers; counterfactuals "
                 "side by side with the baseline.", run_settle, own_counterfactual=True,
                 params=(STEP, from_option(REGISTERED["settle"].option("top"),
                                           "Pareto packages"), UTILITY, WEIGHTING),
                 models="none"),
        Analysis("roadmap", "Roadmaps",
                 "Staged settlements: does each stage hold when later promises are only as "
                 "good as their guarantors? Counterfactuals side by side with the baseline.",
                 run_roadmap, own_counterfactual=True, long=True, models="none",
                 params=(from_option(REGISTERED["roadmap"].option("stages"), "Search stages"),
                         from_option(REGISTERED["roadmap"].option("patience"), "Patience"),
                         from_option(REGISTERED["roadmap"].option("defection"), "Defection"),
                         STEP, UTILITY)),
        Analysis("contributions", "Contributions",
                 "Each actor's Shapley value as a guarantor (a settlement search per "
                 "coalition: slow on a fine grid).", run_contributions, long=True,
                 params=(from_option(REGISTERED["contributions"].option("value"), "Value"),
                         STEP, UTILITY),
                 models="none"),
        Analysis("figure", "Figure",
                 "One figure of the report (drawn by detente plot's own functions) for the "
                 "models ticked.", run_figure,
                 params=(Param("kind", "Figure", "choice", "issue-map", FIGURE_KINDS),)),
        Analysis("report", "HTML report",
                 "The offline HTML report of the models ticked, to download.", run_report,
                 long=True),
        Analysis("sample", "Monte Carlo",
                 "Forecast distributions under input uncertainty (first model ticked).",
                 run_sample, long=True, models="first",
                 params=(SAMPLES, NOISE)),
        Analysis("sensitivity", "Sensitivity",
                 "Sobol indices: which inputs drive each forecast (first model ticked).",
                 run_sensitivity, long=True, models="first",
                 params=(ROWS, GROUP_BY, NOISE)),
    )
}


# ---------------------------------------------------------------------------------------
# A test hook: an analysis that waits at a gate until the test opens it
# ---------------------------------------------------------------------------------------

#: The environment variable that carries the gate folder to the workers. Only
#: ``create_app(test_gate=...)`` sets it (tests); ``detente serve`` never does.
TEST_GATE_ENV = "DETENTE_WEB_TEST_GATE"
HELD = "held"
_GATE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def run_held(s: Scenario, params: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    """Report progress, then wait until the file ``<gate folder>/<gate>`` exists.

    Jobs that must still be running when a test looks at them (progress, cancel, too many
    jobs, time limit) run this instead of a large computation, so those tests depend on an
    event the test controls, never on how fast the machine is.
    """
    folder = os.environ.get(TEST_GATE_ENV)
    gate = str(params.get("gate") or "")
    if not folder:
        raise option_error("analysis", f"no analysis '{HELD}'", "it exists only in tests")
    if not _GATE_NAME.fullmatch(gate):
        raise option_error("params.gate", f"gate must be 1-64 letters, digits, - or _, "
                           f"got {gate[:40]!r}", "name the gate file, e.g. g1")
    if params.get("fail") == "overflow":  # an internal error, as numpy/int() raise them
        raise OverflowError("cannot convert float infinity to integer")
    progress(0.5, f"held at gate {gate}")
    path = Path(folder) / gate
    while not path.exists():  # polls an event; the outcome never depends on timing
        time.sleep(0.01)
    progress(0.9, f"gate {gate} opened")
    view: View = {"summary": f"{s.title}: passed gate {gate}", "tables": [], "figures": [],
                  "notes": []}
    return {"data": {"gate": gate, "scenario": s.id}, "view": view}


HELD_ANALYSIS = Analysis(HELD, "Held (tests)", "Waits until the test opens its gate.",
                         run_held, long=True, models="none",
                         params=(Param("gate", "Gate", "text", "g"),
                                 Param("fail", "Fail", "choice", "", ("", "overflow"))))


def available_analyses(test_gate: bool = False) -> dict[str, Analysis]:
    """The analyses a server (or a worker) offers; ``held`` only with the test gate."""
    return {**ANALYSES, HELD: HELD_ANALYSIS} if test_gate else ANALYSES


def check_params(analysis: Analysis, params: Mapping[str, Any], issue_ids: tuple[str, ...]
                 ) -> None:
    """Raise an OptionError naming every unknown or ill-typed option of an analysis."""
    known = {p.name: p for p in analysis.params}
    problems = []
    for name, value in params.items():
        param = known.get(name)
        if param is None:
            problems.append(Problem(f"params.{name}", f"unknown option '{name}' for "
                                    f"{analysis.name}", "options of " + analysis.name + ": "
                                    + (", ".join(known) or "none")))
        elif value is not None and value != "":
            problem = param.problem(value, issue_ids)
            if problem is not None:
                problems.append(problem)
    if problems:
        raise OptionError(problems)


def scenario_for(request: Mapping[str, Any]) -> Scenario:
    """The request's scenario with its counterfactual applied, validated by the loader."""
    mapping = apply_counterfactual(request["scenario"], request.get("counterfactual"))
    return scenario_from_mapping(mapping, "<workbench>")


def run_analysis(name: str, request: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
    """Run one analysis on a request (scenario, counterfactual, params): JSON-ready result."""
    offered = available_analyses(bool(os.environ.get(TEST_GATE_ENV)))
    analysis = offered.get(name)
    if analysis is None:
        raise option_error("analysis", f"unknown analysis '{name}'",
                           f"available: {', '.join(offered)}")
    if analysis.own_counterfactual:
        scenario = scenario_for({"scenario": request["scenario"]})
    else:
        scenario = scenario_for(request)
    params = dict(request.get("params") or {})
    if analysis.own_counterfactual:
        params["counterfactual"] = request.get("counterfactual")
    params.setdefault("seed", request.get("seed", 0))
    if request.get("models"):
        params["models"] = request["models"]
    if request.get("options"):
        params["options"] = request["options"]
    out = analysis.run(scenario, params, progress)
    label = describe_counterfactual(request.get("counterfactual"))
    out["view"]["counterfactual"] = label
    return jsonable(out)
