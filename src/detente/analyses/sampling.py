"""Analyses under uncertainty: sample and sensitivity."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from detente.analyses.forecasting import parse_model_options
from detente.analyses.options import (
    BOOTSTRAP_ADVICE,
    COMBINATION,
    DEFAULT_SAMPLES,
    ENGINE,
    MAX_BOOTSTRAP,
    MAX_SAMPLES,
    MODEL_OPTION,
    NOISE,
    SAMPLE_MODEL,
    SAMPLED_MODEL,
    SAMPLES_ADVICE,
    SEED,
    the_model,
)
from detente.analyses.spec import AnalysisSpec, Option
from detente.combine import COMBINED, LEVELS, load_combination
from detente.errors import option_error, option_text
from detente.render import UNITS, fmt, one_issue_spans
from detente.scenario import Scenario
from detente.variation import Variation
from detente.view import View, table

if TYPE_CHECKING:
    from detente.analyses import Result

SPARK = "▁▂▃▄▅▆▇█"


def sparkline(counts: Sequence[int]) -> str:
    top = max(counts) or 1
    return "".join(SPARK[min(len(SPARK) - 1, int(c / top * (len(SPARK) - 1) + 0.5))]
                   if c else " " for c in counts)


def bar(value: float | None, width: int = 12) -> str:
    if value is None or value != value:  # undefined: the output does not vary
        return ""
    filled = max(0.0, min(1.0, value)) * width
    return "█" * int(filled) + ("▌" if filled - int(filled) >= 0.5 else "")


def _noise(items: Sequence[str]) -> Any:
    from detente.uncertainty.inputs import Noise

    return Noise.parse(list(items)) if items else None


def split_noise(inputs: Sequence[str] | None) -> tuple[str | None, list[str]]:
    """Separate the scenario from noise items written after ``--noise`` without repeating
    it: ``sample korea-2017 --noise position=10 salience=0.1`` reaches us as the positional
    tokens ``korea-2017 salience=0.1`` and ``--noise position=10``."""
    scenario: str | None = None
    items: list[str] = []
    for token in inputs or []:
        key = token.partition("=")[0].replace("-", "_")
        # KIND=SPREAD is a noise item unless a file of that name exists; an unknown KIND (a
        # typo) too, so that the noise parser names it with the kinds it knows.
        if "=" in token and key.isidentifier() and not Path(token).exists():
            items.append(token)
        elif scenario is None:
            scenario = token
        else:
            raise option_error("SCENARIO", f"more than one scenario given ('{scenario}', "
                               f"'{token}')", "give one scenario; noise items look like "
                               "position=10")
    return scenario, items


# --- sample ------------------------------------------------------------------------------

MAX_MEMORY = Option("max_memory", str, None, "Refuse a run estimated to need more memory "
                    "than this (e.g. 16G; default DETENTE_MAX_MEMORY or 4G).")


def run_sample(scenario: Scenario | str | Path | None, variation: Variation | None, *,
               model: str, samples: int, seed: int, noise: Sequence[str],
               option: Sequence[str], chunk_size: int | None, workers: int | None,
               max_memory: str | None, combination: str | None = None, executor: Any = None,
               progress: Any = None) -> Any:
    from detente.uncertainty import sample

    options = parse_model_options(option)
    # The combined model runs several models: each takes its own -O MODEL.NAME=VALUE.
    chosen = options if model == COMBINED else options.get(model, {})
    return sample(scenario, model=model, samples=samples, rng=seed, noise=_noise(noise),
                  options=chosen, chunk_size=chunk_size, workers=workers, executor=executor,
                  progress=progress, variation=variation, max_memory=max_memory,
                  combination=combination)


def view_sample(run: Result) -> View:
    result = run.value
    s = result.scenario
    head = (f"{s.title} — {result.model}, {result.samples} samples, seed {result.seed}, "
            f"noise {result.noise} ({result.noise_source}); {len(result.space.labels)} "
            f"uncertain inputs; {result.stats.seconds:.2f} s in {result.stats.chunks} "
            f"chunk(s), {result.stats.where}")
    if run.variation is not None and not run.variation.is_empty:
        head += f"; counterfactual: {run.variation.describe()}"
    tables = []
    notes: list[str] = []
    summary = result.settlement
    if summary is not None:
        if summary.zone is not None:
            decided = ""
            if summary.zone_stages:
                stages = summary.zone_stages
                decided = (f" (decided by a bound: {stages['bound']:,}, by a package found "
                           f"in the screen: {stages['incumbent']:,}, by exact search: "
                           f"{stages['exact']:,})")
            notes.append(f"P(the zone of agreement is non-empty): {summary.zone:.1%}{decided}")
        if not summary.acceptable:
            notes.append("the scenario names no packages")
        else:
            actors = list(result.actor_ids)
            tables.append(table(
                "Named packages: P(acceptable to every party), P(each actor blocks)",
                ["Package", "Acceptable", *actors],
                [[pid, p, *[summary.blocks.get(pid, {}).get(a, 0.0) for a in actors]]
                 for pid, p in summary.acceptable.items()],
                units=["", "share", *["share"] * len(actors)],
                formats=["", ".0%", *[".0%"] * len(actors)], key="packages"))
    else:
        rows = []
        spans = []
        for iid, x in result.summaries().items():
            rows.append([iid, s.issue(iid).status_quo.value, x.median,
                         *[end for lv in LEVELS for end in x.interval(lv)],
                         sparkline(x.histogram_counts)])
            spans.append(s.issue(iid).scale.span)
        bounds = [f"{100 * lv:g}% {end}" for lv in LEVELS for end in ("low", "high")]
        numbers = 2 + len(bounds)
        tables.append(table("", ["Issue", "Now", "Median", *bounds, "Histogram"], rows,
                            units=["", *["issue units"] * numbers, ""],
                            formats=["", *[UNITS] * numbers, ""],
                            notes=["Now: the status quo. Histogram: the issue's scale, low "
                                   "to high."], key="forecast", row_spans=spans))
    if result.mixture is not None:
        drawn = result.drawn()
        notes.append("combined: each sample forecast by one model drawn with the mixture "
                     "weights of the combined forecast (weight → share drawn): " + ", ".join(
                         f"{m} {w:.0%} → {drawn.get(m, 0.0):.0%}"
                         for m, w in result.mixture.items())
                     + "; the intervals carry the inputs' uncertainty and the models' "
                     "disagreement (not the residual spread of forecast "
                     f"{option_text('combined')})")
    for name, per_issue in result.probabilities().items():
        notes.append(f"P({name}): " + ", ".join(f"{iid} {p:.0%}"
                                                for iid, p in per_issue.items()))
    notes += [f"note: {n}" for n in result.notes]
    return View(head, tables=tuple(tables), notes=tuple(notes))


def sampled_models(options: Mapping[str, Any]) -> list[str]:
    """The models a sample runs: its model, or those the combined model's mixture draws
    from (a positive mixture weight; a fitted file may give a model none)."""
    if options["model"] == COMBINED:
        from detente.uncertainty.mixture import mixture_weights

        return list(mixture_weights(load_combination(options["combination"])))
    return the_model(options)


SAMPLE = AnalysisSpec(
    name="sample", title="Uncertainty",
    summary="Draw scenarios from the inputs' uncertainty and show each issue's forecast "
            "distribution (or, with -m settle, how likely a deal is).",
    options=(
        SAMPLE_MODEL,
        Option("samples", int, DEFAULT_SAMPLES, f"Scenarios to draw ({SAMPLES_ADVICE}).", low=1,
               high=MAX_SAMPLES, flags=("--samples", "-n")),
        SEED, NOISE, MODEL_OPTION, *ENGINE, MAX_MEMORY, COMBINATION,
    ),
    run=run_sample, view=view_sample, inputs="scenario+noise", long=True,
    models_run=sampled_models,
    formats=("table", "json", "csv"), package_search=lambda o: o["model"] == "settle",
    quick={"samples": 20, "workers": 1},
)


# --- sensitivity -------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranked:
    """A sensitivity result with the issues and the number of inputs to show."""

    result: Any  # detente.uncertainty.sensitivity.SensitivityResult
    issues: tuple[str, ...]
    top: int

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = self.result.to_dict(self.top)
        data["outputs"] = {k: v for k, v in data["outputs"].items() if k in self.issues}
        return data


def run_sensitivity(scenario: Scenario | str | Path | None, variation: Variation | None, *,
                    model: str, samples: int, seed: int, noise: Sequence[str],
                    option: Sequence[str], group: str, issue: Sequence[str], top: int,
                    bootstrap: int, chunk_size: int | None, workers: int | None,
                    max_memory: str | None, executor: Any = None,
                    progress: Any = None) -> Ranked:
    from detente.uncertainty.sensitivity import sensitivity

    result = sensitivity(scenario, model=model, samples=samples, rng=seed, noise=_noise(noise),
                         options=parse_model_options(option).get(model, {}), group_by=group,
                         bootstrap=bootstrap, chunk_size=chunk_size, workers=workers,
                         executor=executor, progress=progress, variation=variation,
                         max_memory=max_memory)
    wanted = tuple(issue or result.outputs)
    unknown = [i for i in wanted if i not in result.outputs]
    if unknown:
        raise option_error("--issue", f"unknown issue '{unknown[0]}'",
                           f"issues: {', '.join(result.outputs)}")
    return Ranked(result, wanted, top)


def view_sensitivity(run: Result) -> View:
    ranked: Ranked = run.value
    result = ranked.result
    s = result.scenario
    tables = []
    for iid in ranked.issues:
        o = result.outputs.index(iid)
        name = s.issue(iid).name if iid in s.issue_ids else iid
        span = s.issue(iid).scale.span if iid in s.issue_ids else None
        rows = []
        # Numbers stay numbers in their own cells (not pre-formatted text), so that the
        # renderers' one finiteness check sees every one of them.
        for row in result.ranking(iid, ranked.top):
            half = None if row.total_ci is None else (row.total_ci[1] - row.total_ci[0]) / 2
            rows.append([row.input, row.total, half, bar(row.total), row.first,
                         row.swing_low, row.swing_high])
        # The sd is in issue units too: fmt, as the forecast beside it (.2g wrote an sd of
        # 61 million on a 0 to 1e9 scale as 6.1e+07).
        formats = ["", ".2f", ".2f", "", ".2f", UNITS, UNITS]
        tables.append(table(f"{iid}  {name}: forecast {fmt(result.nominal[o], span)} at the "
                            f"point values, sd {fmt(result.variance[o] ** 0.5, span)}",
                            ["Input", "Total", "±", "", "First", "Swing 5%", "95%"], rows,
                            formats=formats, key=iid,
                            column_spans=one_issue_spans(formats, span)))
    notes = ["Total: share of the forecast's variance this input drives, with every "
             "interaction (±: half the 95% bootstrap interval); First: alone. Swing: the "
             "forecast with the input at its 5th and 95th percentile, others as written."]
    notes += [f"note: {n}" for n in result.notes]
    head = (f"{s.title} — sensitivity of {result.model}, N = {result.samples} "
            f"({result.evaluations} runs), seed {result.seed}, noise {result.noise} "
            f"({result.noise_source}); {result.stats.seconds:.2f} s")
    if run.variation is not None and not run.variation.is_empty:
        head += f"; counterfactual: {run.variation.describe()}"
    return View(head, tables=tuple(tables), notes=tuple(notes))


SENSITIVITY = AnalysisSpec(
    name="sensitivity", title="Sensitivity",
    summary="Rank which uncertain inputs move each forecast most (Sobol indices, Saltelli "
            "design).",
    options=(
        SAMPLED_MODEL,
        Option("samples", int, 512, "Rows N of each Saltelli matrix; the model runs N × "
               f"(inputs + 2) times ({SAMPLES_ADVICE}).", low=2, high=MAX_SAMPLES,
               flags=("--samples", "-n")),
        SEED, NOISE, MODEL_OPTION,
        Option("group", str, "input", "Rank single inputs, or everything about an actor, an "
               "issue, or a kind of input.", choices=("input", "actor", "issue", "kind"),
               flags=("--group", "-g")),
        Option("issue", str, (), "Only these issues (repeat); default all.", multiple=True,
               flags=("--issue", "-i")),
        Option("top", int, 8, "Inputs shown per issue.", low=1),
        Option("bootstrap", int, 200, "Bootstrap resamples for the 95% intervals (0: none; "
               f"{BOOTSTRAP_ADVICE}).", low=0, high=MAX_BOOTSTRAP),
        *ENGINE, MAX_MEMORY,
    ),
    run=run_sensitivity, view=view_sensitivity, inputs="scenario+noise", long=True,
    models_run=the_model,
    formats=("table", "json"), package_search=lambda o: o["model"] == "settle",
    quick={"samples": 8, "bootstrap": 10, "workers": 1},
)

__all__ = ["SAMPLE", "SENSITIVITY", "Ranked", "bar", "sparkline"]
