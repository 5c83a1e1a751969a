"""Analyses of the forecasting models: forecast, explain, validate."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from detente.analyses.options import (
    BOOTSTRAP_ADVICE,
    COMBINATION,
    FORECAST_MODELS,
    MAX_BOOTSTRAP,
    MAX_WORKERS,
    MODEL_OPTION,
    MODEL_SEED,
    SAMPLED_SETTLE,
    combination_models,
    the_model,
)
from detente.analyses.spec import (
    ONE_PROCESS,
    PATH_ON_THE_MACHINE,
    AnalysisSpec,
    Option,
    split_model_option,
)
from detente.combine import fitted_on
from detente.errors import (
    OptionError,
    Problem,
    given_inside,
    model_option_text,
    option_error,
    option_text,
    shorten,
)
from detente.models import (
    REGISTRY,
    draws_at_random,
    get_model,
    model_stream,
    require_known_actors,
)
from detente.render import UNITS, cell_text, fixed, significant_apart
from detente.scenario import Scenario, load
from detente.validate import DEFAULT_BOOTSTRAP, DEFAULT_FOLDS
from detente.variation import Variation
from detente.view import Estimate, Table, View, table

if TYPE_CHECKING:
    from detente.analyses import Result
    from detente.forecast import Forecast

EXPLAIN_FORMAT_VERSION = 1


def parse_model_options(items: Sequence[str]) -> dict[str, dict[str, object]]:
    """``MODEL.NAME=VALUE`` items → {model: {name: value}}, each value read by the option's
    declared type (``no`` stays the string "no" for a choice and means false for a
    true/false option; see :meth:`detente.models.base.Model.parse_option`). An option given
    twice is refused, as a repeated counterfactual is: the last value used to win without a
    word."""
    out: dict[str, dict[str, object]] = {}
    given: dict[tuple[str, str], str] = {}
    for item in items:
        model, name, value = split_model_option(item)
        info = REGISTRY.get(model)
        settle = {o.name: o for o in SAMPLED_SETTLE} if model == "settle" else {}
        if info is not None:
            read: object = info.model.parse_option(name, value)
        elif name in settle:  # sampling the settlement: its registered options
            with given_inside("settle", settle):  # its fix names -O settle.step, not --step
                checked, problems = settle[name].check(value)
            if problems:
                raise OptionError([Problem(f"settle.{name}", p.message, p.fix)
                                   for p in problems])
            # As JSON data, as the sampling result shows its options: "50%" for a step.
            read = settle[name].plain(checked)
        else:  # an unknown model or option: get_model or the settle kernel names it
            read = value
        if (model, name) in given:
            raise OptionError([Problem(f"{model}.{name}", f"{model}.{name} is given twice: "
                                       f"'{shorten(given[model, name])}' and "
                                       f"'{shorten(item)}'", "give each option once")])
        given[model, name] = item
        out.setdefault(model, {})[name] = read
    return out


# --- forecast ----------------------------------------------------------------------------


def run_forecast(scenario: Scenario | str | Path | None, variation: Variation | None, *,
                 model: Sequence[str], option: Sequence[str], seed: int, combined: bool = False,
                 combination: str | None = None) -> Forecast:
    from detente.forecast import forecast

    return forecast(scenario, models=list(model), options=parse_model_options(option),
                    rng=seed, variation=variation, combined=combined, combination=combination)


def nash_note(result: Forecast) -> str:
    """Why nash may keep the status quo (its single-issue moves are checked one by one)."""
    nash = result.results.get("nash")
    if nash is None or "feasible" not in nash.details:
        return ""
    stuck = [iid for iid, ok in zip(result.arrays.issue_ids, nash.details["feasible"],
                                    strict=True) if not ok]
    if not stuck:
        return ""
    return (f"nash: no single-issue move leaves every stakeholder better off on "
            f"{', '.join(stuck)} (status quo kept); see `detente settle` for package deals.")


def round_cap_notes(result: Forecast) -> list[str]:
    """Stepwise models that ran out of rounds before their stop rule was met.

    Their forecast is the last round's, not a resting point: say so instead of showing it
    as if the run had settled (a truncated run must never look like a finished one).
    """
    notes = []
    for name, run in result.results.items():
        details, options = run.details, dict(run.options)
        if "stopped" in details and "max_rounds" in options:
            moving = [iid for iid, done in zip(result.arrays.issue_ids,
                                               np.asarray(details["stopped"]).reshape(-1),
                                               strict=True) if not done]
            if moving:
                notes.append(f"{name}: still moving after {options['max_rounds']} rounds on "
                             f"{', '.join(moving)}; the forecast is the last round's (raise "
                             f"{model_option_text(name, 'max_rounds')} to run longer)")
        elif {"states", "stop_ratios"} <= set(details) and "max_turns" in options:
            turns = int(np.asarray(details["states"]).reshape(-1)[0]) - 1
            if turns < options["max_turns"]:
                continue
            ratios = np.asarray(details["stop_ratios"], dtype=float).reshape(-1)
            last = float(ratios[turns - 1]) if 0 < turns <= ratios.size else None
            stop_ratio, min_turns = options.get("stop_ratio", 0.0), options.get("min_turns", 1)
            if last is not None and turns >= min_turns and last < stop_ratio:
                continue  # its stop rule was met on the capped turn too
            why = _unmet_stop_rule(name, last, turns, stop_ratio, min_turns)
            # Under a stop ratio of 0 no ratio (never negative) is below it: the run would
            # not stop in any number of turns, so the option to change is the ratio.
            advice = (f"raise {model_option_text(name, 'stop_ratio')} above 0 to let the run stop "
                      "on its own"
                      if stop_ratio <= 0 and turns >= min_turns
                      else f"raise {model_option_text(name, 'max_turns')} to run longer")
            notes.append(f"{name}: stopped at its cap of {options['max_turns']} turns "
                         f"before its stop rule was met ({why}); the forecast is the last "
                         f"turn's ({advice})")
    return notes


def _unmet_stop_rule(name: str, last: float | None, turns: int, stop_ratio: float,
                     min_turns: int) -> str:
    """Why a capped stepwise run had not met its stop rule (a movement ratio below
    ``stop_ratio`` from turn ``min_turns``), in words: a ratio that was not recorded or is
    not a number is said to be so, never printed as 'nan'."""
    if turns < min_turns:
        return f"the rule applies from turn {min_turns}, {model_option_text(name, 'min_turns')}"
    if last is None:
        return "its last turn's movement ratio was not recorded"
    if not math.isfinite(last):
        return "its last movement could not be measured: the ratio is not a number"
    if last == 0.0:
        # A ratio of 0 is a run at rest: only a stop ratio of 0 (nothing is below it) keeps
        # it going; "ratio 0" would leave the reader to work that out.
        return f"its positions no longer move, but no ratio is below {stop_ratio:g}"
    shown, _ = significant_apart(last, stop_ratio, 3)  # above the bound: never read as it
    return f"last movement ratio {shown}, the rule wants below {stop_ratio:g}"


def forecast_path_table(result: Forecast, name: str) -> Table | None:
    """For a stepwise model: the forecast after each round, rounds as rows."""
    path = result.forecast_path(name)
    if not path:
        return None
    issues = list(path)
    longest = max(len(values) for values in path.values())
    rows: list[list[Any]] = [[str(k), *[path[i][k] if k < len(path[i]) else None
                                        for i in issues]] for k in range(longest)]
    stopped = result.results[name].details.get("stopped")
    if stopped is not None:
        rows.append(["stopped", *["yes" if bool(flag) else "cap"
                                  for flag in np.asarray(stopped).reshape(-1)]])
    spans = [result.scenario.issue(i).scale.span for i in issues]
    return table(f"{name} — forecast per round (round 0 = the input positions)",
                 ["round", *issues], rows, formats=["", *[UNITS] * len(issues)],
                 key=f"path-{name}", column_spans=[None, *spans])


def view_forecast(run: Result) -> View:
    result: Forecast = run.value
    s = result.scenario
    names = list(result.results)
    first = names[0]
    values = {name: result.values(name) for name in names}
    rows = []
    for issue in s.issues:
        anchor = issue.nearest_anchor(values[first][issue.id])
        # Each issue's own units on its row (the scenario declares them: 'USD bn/yr'),
        # so that no value is shown without what it counts.
        rows.append([f"{issue.id}  {issue.name}", issue.units, issue.status_quo.value,
                     *[values[n][issue.id] for n in names],
                     f"'{anchor.label}'" if anchor else ""])
    main = table(f"{s.title} — forecasts" + counterfactual_suffix(run.variation),
                 ["Issue", "Units", "Status quo", *names, f"Nearest anchor ({first})"], rows,
                 units=["", "", "issue units", *["issue units"] * len(names), ""],
                 formats=["", "", UNITS, *[UNITS] * len(names), ""], key="forecast",
                 row_spans=[issue.scale.span for issue in s.issues])
    tables = [main]
    if result.combined is not None:
        tables.append(combined_table(result))
    tables += [t for n in names if (t := forecast_path_table(result, n)) is not None]
    note = nash_note(result)
    notes = ([note] if note else []) + round_cap_notes(result) + model_kind_notes(names)
    return View("", tables=tuple(tables), notes=tuple(notes))


def model_kind_notes(names: Sequence[str]) -> list[str]:
    """Which of the models shown ignore vetoes or the status quo (say it, do not hide it)."""
    def kind(flag: str) -> list[str]:
        return [n for n in names if n in REGISTRY
                and not getattr(REGISTRY[n].model, flag, False)]

    notes = []
    if ignore_veto := kind("respects_vetoes"):
        notes.append(f"ignore vetoes (may forecast a move a veto player would block): "
                     f"{', '.join(ignore_veto)}")
    if ignore_q := kind("needs_status_quo"):
        notes.append(f"ignore the status quo: {', '.join(ignore_q)}")
    return notes


def combined_table(result: Forecast) -> Table:
    """The combined forecast per issue: point, intervals, and the spread across models."""
    c = result.combined
    assert c is not None
    values = result.combined_values()
    levels = [lv for lv in (0.8, 0.5, 0.95) if lv in c.intervals]
    # Each bound its own cell (a number, as every cell is: the CSV writes it unrounded, the
    # table with the digits its scale needs), not "low–high" text rounded for the eye.
    bounds = [f"{end}{100 * lv:g}" for lv in levels for end in ("low", "high")] + \
        ["spread_low", "spread_high"]
    rows = [[f"{issue.id}  {issue.name}", issue.status_quo.value,
             values[issue.id]["combined"], *[values[issue.id][b] for b in bounds]]
            for issue in result.scenario.issues]
    stack = ", ".join(f"{m} {fixed(w)}" for m, w in c.combination.stack.items() if w > 0)
    return table("combined forecast (one number per issue) with its intervals and the spread "
                 "across models", ["Issue", "Status quo", "combined",
                                   *[f"{100 * lv:g}% {end}" for lv in levels
                                     for end in ("low", "high")],
                                   "spread low", "spread high"], rows,
                 units=["", *["issue units"] * (len(bounds) + 2)],
                 formats=["", *[UNITS] * (len(bounds) + 2)], key="combined",
                 row_spans=[issue.scale.span for issue in result.scenario.issues],
                 notes=(f"stack weights {stack}; intervals: {interval_words(c)}, Laplace "
                        f"scale {c.combination.sigma:g} of the scale; fitted and calibrated "
                        f"out of sample on {fitted_on(c.combination)}; see docs/accuracy.md",
                        "on negotiations other than those they were calibrated on, the "
                        "intervals are a yardstick, not a guarantee"))


def interval_words(c: Any) -> str:
    """What the combined forecast's intervals are made of, with the fitted share λ on the
    stacked point (where the fit gave the models' disagreement no weight, say so)."""
    lam = c.combination.point_weight
    if lam >= 1.0:
        return ("round the combined point alone (the fit gave the models' disagreement no "
                f"weight; `sample {option_text('model', 'combined', '-m')}` shows it)")
    spread = f"over {', '.join(c.models)} weighted by their validation errors"
    return spread if lam <= 0.0 else f"share {lam:g} round the combined point, the rest {spread}"


def counterfactual_suffix(variation: Variation | None) -> str:
    return "" if variation is None or variation.is_empty else f" ({variation.describe()})"


def forecast_models(options: Mapping[str, Any]) -> list[str]:
    """The models a forecast runs: those asked for, and for the combined forecast (or a
    combination file) the combination's too."""
    if options["combined"] or options["combination"] is not None:
        return combination_models(options["model"], options["combination"])
    return list(options["model"])


FORECAST = AnalysisSpec(
    name="forecast", title="Forecast",
    summary="Forecast each issue with several models side by side.",
    options=(FORECAST_MODELS, MODEL_OPTION, MODEL_SEED,
             Option("combined", bool, True, "Also give the combined forecast of the "
                    "registered models (weights fitted on DEU III) with its 50/80/95% "
                    "intervals and the spread across models."),
             COMBINATION),
    run=run_forecast, view=view_forecast, models_run=forecast_models,
)


# --- explain -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Explanation:
    """One round of a stepwise model on one issue, as tables."""

    scenario: Scenario
    model: str
    options: dict[str, Any]
    issue: str
    round: int
    tables: tuple[Table, ...]
    variation: Variation | None = None
    #: The seed of the model's stream: the round is the one ``forecast`` plays at it.
    seed: int = 0
    #: Whether the model, as its options set it, draws from that stream: where it does not,
    #: every seed explains the same round.
    model_draws: bool = True

    def to_dict(self) -> dict[str, Any]:
        out = {"format": "detente.explain", "version": EXPLAIN_FORMAT_VERSION,
               "scenario": self.scenario.id, "model": self.model, "options": self.options,
               "issue": self.issue, "round": self.round, "seed": self.seed,
               "tables": [t.to_dict() for t in self.tables]}
        if self.variation is not None and not self.variation.is_empty:
            out["counterfactual"] = self.variation.describe()
        return out


def run_explain(scenario: Scenario | str | Path | None, variation: Variation | None, *,
                model: str, issue: str | None, round_number: int,
                option: Sequence[str], seed: int = 0) -> Explanation:
    s = load(scenario)
    arrays = s.compile()
    if variation is not None and not variation.is_empty:
        arrays = variation.apply(arrays)
    issue_id = issue or arrays.issue_ids[0]
    if issue_id not in arrays.issue_ids:
        raise option_error("--issue", f"no issue '{issue_id}' in scenario {s.id}",
                           f"choose one of {', '.join(arrays.issue_ids)}")
    options = parse_model_options(option)
    chosen = get_model(model, **options.get(model, {}))
    require_known_actors(options, arrays.actor_ids)
    tables = chosen.explain(arrays, arrays.issue_ids.index(issue_id), round_number,
                            model_stream(seed, chosen.name))
    return Explanation(s, model, chosen.options_dict(), issue_id, round_number,
                       tuple(tables), variation, seed, draws_at_random(chosen))


def view_explain(run: Result) -> View:
    e: Explanation = run.value
    issue = e.scenario.issue(e.issue)
    return View(f"{e.scenario.title}: {e.model}, issue {e.issue} ({issue.name}), round "
                f"{e.round}; positions in {issue.units or 'issue units'}"
                + counterfactual_suffix(e.variation), tables=e.tables,
                notes=() if e.model_draws or e.seed == MODEL_SEED.default else (
                    f"note: {option_text('seed', e.seed)} changes nothing here: {e.model}, "
                    "as its options set it, draws nothing at random, so every seed explains "
                    "the same round.",))


EXPLAIN = AnalysisSpec(
    name="explain", title="Explain a round",
    summary="Show one round of a stepwise model: each actor's risk and the dyad table.",
    options=(
        # Every registered model is a choice: a model without an explanation says so itself.
        Option("model", str, "bdm", "A stepwise model, e.g. bdm.", choices=tuple(REGISTRY),
               flags=("--model", "-m")),
        Option("issue", str, None, "Issue id (default: the first issue).",
               flags=("--issue", "-i")),
        Option("round_number", int, 1, "Round to explain, 1 = the first round of bargaining.",
               low=1, flags=("--round", "-r")),
        Option("option", str, (), "Model option as MODEL.NAME=VALUE, e.g. "
               "bdm.preset=printed; refused for a model other than the one explained.",
               multiple=True, flags=("--option", "-O")),
        MODEL_SEED,
    ),
    run=run_explain, view=view_explain, formats=("table", "json"), models_run=the_model,
)


# --- validate ----------------------------------------------------------------------------


def run_validate(targets: Sequence[str], variation: Variation | None, *,
                 model: Sequence[str], capability: str, weights: str | None, bootstrap: int,
                 seed: int, folds: int, workers: int, predictions: str | None,
                 fit: str | None, reliability: str | None, force: bool) -> Any:
    """``targets``: ``["deu", PATH]`` for a DEU III file, or scenario files with outcomes;
    ``predictions``: a CSV file for the per-issue predictions; ``fit``: a JSON file for the
    combination fitted on all these outcomes; ``reliability``: an image file for the
    reliability figure (none is overwritten unless ``force``)."""
    from detente.atomic import check_writable, write_atomic

    for path in (predictions, fit, reliability):
        if path is not None:
            check_writable(path, force)  # refuse before the work, not after
    result = _validated(targets, variation, model=model, capability=capability,
                        weights=weights, bootstrap=bootstrap, seed=seed, folds=folds,
                        workers=workers)
    if predictions is not None:
        write_atomic(Path(predictions), result.to_csv(), force=force)
    for flag, path in (("--fit", fit), ("--reliability", reliability)):
        if path is not None and result.calibration is None:
            raise option_error(flag, "no combined forecast to fit or draw: it needs two "
                               "scored models without fitted parameters, one of them not "
                               "needing a status quo, and two groups of cases",
                               f"score more models (drop {option_text('model')}, or add e.g. "
                               f"{option_text('model', 'compromise', '-m')} "
                               f"{option_text('model', 'median', '-m')})")
    if fit is not None:
        write_atomic(Path(fit), _fitted_combination(result, targets, variation,
                                                    capability=capability, weights=weights,
                                                    seed=seed), force=force)
    if reliability is not None:
        import io

        from detente.report.accuracy import reliability as reliability_figure

        buffer = io.BytesIO()
        suffix = Path(reliability).suffix.lower().lstrip(".") or "png"
        reliability_figure(result.calibration).savefig(buffer, format=suffix)
        write_atomic(Path(reliability), buffer.getvalue(), force=force)
    return result


def _fitted_combination(result: Any, targets: Sequence[str], variation: Variation | None, *,
                        capability: str, weights: str | None, seed: int) -> str:
    import datetime as dt
    import hashlib
    import json

    from detente import __version__
    from detente.validate import fit_from

    deu = _is_deu(targets)
    source = targets[1] if deu else ", ".join(targets)
    digest = ""
    if deu and Path(targets[1]).is_file():
        digest = hashlib.sha256(Path(targets[1]).read_bytes()).hexdigest()
    cal = result.calibration
    provenance = {
        "data": Path(source).name if deu else source,
        "sha256": digest, "capability": capability if deu else None,
        "issues": len(result.rows), "status_quo_known": int(sum(result.status_quo_known)),
        "groups": len({r.group for r in result.rows}), "seed": seed,
        # The folds the cross-validation used: no more than there are groups.
        "folds": cal.folds,
        "fitted": dt.date.today().isoformat(), "detente": __version__,
        "command": _fit_command(result, targets, variation, capability=capability,
                                weights=weights, seed=seed, folds=cal.folds),
        "out_of_fold": {  # run_validate refused a fit without a calibration
            "coverage": {f"{k:g}": round(v, 4) for k, v in cal.coverage.items()},
            "pinball": round(cal.pinball, 3), "crps": round(cal.crps, 3)},
    }
    combination = fit_from(result, provenance)
    return json.dumps(combination.to_dict(), indent=2) + "\n"


def _is_deu(targets: Sequence[Any]) -> bool:
    """Whether validate's targets are a DEU III file (``deu PATH``), not scenario files."""
    return bool(targets) and targets[0] == "deu"


def _fit_command(result: Any, targets: Sequence[str], variation: Variation | None, *,
                 capability: str, weights: str | None, seed: int, folds: int) -> str:
    """The `detente validate` command that fits this combination again: its inputs, the
    models it scored (named, so that a later registry does not change them), the folds the
    cross-validation used, the seed, the counterfactual, and DEU's capabilities and Council
    weights where the data are DEU's; written with the command line's flags whichever
    interface ran the fit, since the file outlives it."""
    import shlex

    from detente.errors import shown_on

    deu = _is_deu(targets)
    recorded: dict[str, list[object]] = {
        "model": [name for name in result.kinds if name in REGISTRY],
        "capability": [capability] if deu else [],
        "weights": [shlex.quote(weights)] if deu and weights is not None else [],
        "seed": [seed], "folds": [folds], "fit": ["FILE"]}
    with shown_on("command line"):
        words = ["detente", "validate", *map(shlex.quote, targets)]
        words += [option_text(o.name, value, o.flag) for o in VALIDATE.options
                  for value in recorded.get(o.name, ())]
        if variation is not None and not variation.is_empty:
            words[-1:-1] = variation.flags()  # before `--fit FILE`, the file to write
    return " ".join(words)


def _validated(targets: Sequence[str], variation: Variation | None, *, model: Sequence[str],
               capability: str, weights: str | None, bootstrap: int, seed: int, folds: int,
               workers: int) -> Any:
    from detente.validate import validate, validate_deu

    targets = list(targets)
    models = list(model) or None
    if _is_deu(targets):
        if len(targets) != 2:
            raise option_error("deu", "give exactly one DEU file after `deu`",
                               "e.g. detente validate deu ../shared/research/data/deu/"
                               "deu3_blksv.csv")
        if variation is not None and not variation.is_empty:
            # --capability is also this command's own option on DEU III: say which one is.
            regimes = VALIDATE.option("capability")
            weigh = (f"; to weigh the actors give {regimes.said('gdp')} (one of "
                     f"{', '.join(map(str, regimes.choices))})" if variation.capability else "")
            raise variation.refused("DEU III is a data set of many proposals with their own "
                                    "actors: a counterfactual does not apply to it",
                                    f"drop the counterfactual options, or validate scenario "
                                    f"files{weigh}")
        return validate_deu(targets[1], models=models, capability=capability,
                            n_boot=bootstrap, rng=seed, weights=weights, folds=folds,
                            workers=workers)
    return validate(targets, models=models, n_boot=bootstrap, rng=seed, folds=folds,
                    workers=workers, variation=variation)


def _deu_only(targets: Sequence[Any]) -> dict[str, tuple[str, str]]:
    """The options that weigh the actors of a DEU III file's proposals, which scenario files
    would ignore: their actors carry their own capabilities."""
    if _is_deu(targets):
        return {}
    why = ("applies to a DEU III file only (validate deu PATH): scenario files carry their "
           "actors' capabilities, so it would change nothing here")
    # No id in the example: the files' actors are not read until the run.
    edit = VALIDATE.option("capability").said("ACTOR=NUMBER")
    return {"capability": (why, f"leave it out; to change an actor's capability in the "
                                f"scenario files give an edit, {edit}"),
            "weights": (why, "leave it out")}


def _metric_format(key: str) -> str:
    """How a score reads: hit rates as percentages, errors with one decimal (0-100 scale)."""
    return ".0%" if key.startswith("within") else ".1f"


def _metric_unit(key: str) -> str:
    return "share" if key.startswith("within") else "points (0-100)"


def _estimate(s: Any, key: str, count: bool = False) -> Estimate:
    """A score's ``key``, raw, with its bootstrap interval where it has one and, with
    ``count``, the number of issues it is on; NaN (no issue, no interval) is none."""
    def number(value: float) -> float | None:
        return float(value) if value == value else None

    return Estimate(number(s.value[key]), number(s.low[key]), number(s.high[key]),
                    s.n_issues if count else None)


def _scored(s: Any, key: str) -> str:
    return cell_text(_estimate(s, key), _metric_format(key))


def calibration_table(cal: Any) -> Table:
    """Coverage of the combined forecast's central intervals, out of fold."""
    rows = [[f"{100 * level:g}%", cover, cal.width[level]]
            for level, cover in cal.coverage.items()]
    return table(f"combined forecast: calibration out of fold ({cal.folds}-fold "
                 f"cross-validation grouped by proposal, {cal.n_issues} issues)",
                 ["interval", "outcomes inside", "mean width (0-100)"], rows,
                 units=["", "share", "points (0-100)"], formats=["", ".1%", ".1f"],
                 notes=(f"pinball loss {fixed(cal.pinball)} (mean over 9 levels), CRPS "
                        f"{fixed(cal.crps)} (0-100 scale; lower is better)",
                        "reliability (nominal → observed): " + ", ".join(
                            f"{100 * lv:g}→{100 * c:.0f}" for lv, c in cal.reliability.items())),
                 key="calibration")


def view_validate(run: Result) -> View:
    from detente.validate import METRICS, MIN_GROUPS

    result = run.value
    scores = result.scores()
    intervals = (f"bootstrap 95% intervals ({result.n_boot} resamples of groups, seed "
                 f"{result.seed})" if any(s.n_groups >= MIN_GROUPS for s in scores)
                 else "no interval: one group")
    main = table(f"accuracy on the 0-100 scale, {intervals}",
                 ["predictor", "kind", "issues", "groups", *METRICS.values()],
                 [[s.predictor, s.kind, s.n_issues, s.n_groups,
                   *[_estimate(s, k) for k in METRICS]] for s in scores], key="scores",
                 units=["", "", "issues", "groups", *map(_metric_unit, METRICS)],
                 formats=["", "", "", "", *map(_metric_format, METRICS)])
    tables = [main]
    names = list(result.predictions)
    mae = _metric_format("mae")
    for tag in result.tags():
        parts = result.breakdown(tag)
        if len(parts) < 2:
            continue
        tables.append(table(f"MAE by {tag} (issues; 95% interval)", ["predictor", *parts], [
            [name, *[_estimate(scores[k], "mae", count=True) if scores[k].n_issues else None
                     for scores in parts.values()]]
            for k, name in enumerate(names)], key=f"mae-by-{tag}",
            units=["", *[_metric_unit("mae")] * len(parts)], formats=["", *[mae] * len(parts)]))
    reference = result.reference_scores()
    if result.unmasked or not all(result.status_quo_known or [True]):
        n_known = reference[0][1].n_issues if reference else 0
        tables.append(table(
            "MAE on the issues with a real status quo and on all issues (models marked * need "
            "a status quo: on all issues they use the placeholder, never counted above)",
            ["predictor", "kind", "status quo known", "all issues"],
            [[name + (" *" if name in result.unmasked else ""), known.kind,
              _estimate(known, "mae", count=True), _estimate(every, "mae", count=True)]
             for name, known, every in reference], key="by-reference",
            units=["", "", *[_metric_unit("mae")] * 2], formats=["", "", mae, mae],
            notes=(f"{n_known} issues have a status quo",) if reference else ()))
    if "compromise" in result.predictions:
        tables.append(table(
            "MAE difference against the compromise model (paired, same issues; below 0 = "
            "better)", ["predictor", "issues", "difference [95%]"],
            [[n, (c := result.compare(n)).n_issues, _estimate(c, "mae")]
             for n in names if n != "compromise"], key="against-compromise",
            units=["", "issues", _metric_unit("mae")], formats=["", "", mae]))
    if result.calibration is not None:
        tables.append(calibration_table(result.calibration))
    notes = [f"· {note}" for note in result.notes]
    if run.options.get("fit"):
        notes.append(f"wrote the fitted combination to {run.options['fit']}")
    if run.options.get("reliability"):
        notes.append(f"wrote the reliability figure to {run.options['reliability']}")
    if run.options.get("predictions"):
        notes.append(f"wrote per-issue predictions to {run.options['predictions']}")
    if result.seconds:
        timing = ", ".join(f"{name} {secs:.1f}" for name, secs in result.seconds.items())
        notes.append(f"· seconds per model: {timing} (choose models with "
                     f"{option_text('model')})")
    varied = run.variation is not None and not run.variation.is_empty
    return View("", f"counterfactual on every case: {run.variation.describe()}" if varied
                and run.variation else "", tables=tuple(tables), notes=tuple(notes))


def validate_markdown(run: Result) -> str:
    """The tables of :func:`view_validate` as GitHub markdown (for docs)."""
    from detente.validate import METRICS

    result = run.value
    lines = ["| predictor | kind | issues | groups | " + " | ".join(METRICS.values()) + " |",
             "|---|---|---|---|" + "---|" * len(METRICS)]
    for s in result.scores():
        lines.append(f"| {s.predictor} | {s.kind} | {s.n_issues} | {s.n_groups} | "
                     + " | ".join(_scored(s, k) for k in METRICS) + " |")
    for tag in result.tags():
        parts = result.breakdown(tag)
        if len(parts) < 2:
            continue
        lines += ["", f"MAE by {tag}:", "",
                  "| predictor | " + " | ".join(parts) + " |", "|---|" + "---|" * len(parts)]
        for k, name in enumerate(result.predictions):
            cells = [f"{_scored(scores[k], 'mae')} (n={scores[k].n_issues})"
                     if scores[k].n_issues else "–" for scores in parts.values()]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    reference = result.reference_scores()
    if result.unmasked or not all(result.status_quo_known or [True]):
        lines += ["", "MAE on the issues with a real status quo and on all issues (* needs a "
                  "status quo: on all issues it uses the placeholder):", "",
                  "| predictor | status quo known | all issues |", "|---|---|---|"]
        for name, known, every in reference:
            mark = " *" if name in result.unmasked else ""
            lines.append(f"| {name}{mark} | {_scored(known, 'mae')} (n={known.n_issues}) | "
                         f"{_scored(every, 'mae')} (n={every.n_issues}) |")
    if "compromise" in result.predictions:
        lines += ["", "MAE difference against the compromise model (paired, same issues):", "",
                  "| predictor | issues | difference [95%] |", "|---|---|---|"]
        for name in result.predictions:
            if name != "compromise":
                c = result.compare(name)
                lines.append(f"| {name} | {c.n_issues} | {_scored(c, 'mae')} |")
    cal = result.calibration
    if cal is not None:
        lines += ["", f"Combined forecast, calibration out of fold ({cal.folds}-fold, grouped "
                  f"by proposal, {cal.n_issues} issues):", "",
                  "| interval | outcomes inside | mean width (0-100) |", "|---|---|---|"]
        lines += [f"| {100 * lv:g}% | {fixed(100 * c, 1)}% | {fixed(cal.width[lv], 1)} |"
                  for lv, c in cal.coverage.items()]
        lines += ["", f"Pinball loss {fixed(cal.pinball)}, CRPS {fixed(cal.crps)} (0-100 scale). "
                  "Reliability (nominal → observed): " + ", ".join(
                      f"{100 * lv:g}→{100 * c:.0f}" for lv, c in cal.reliability.items())]
    lines += ["", *(f"- {note}" for note in result.notes)]
    return "\n".join(lines) + "\n"


VALIDATE = AnalysisSpec(
    name="validate", title="Validate",
    summary="Score every model and the baselines against observed outcomes.",
    options=(
        Option("model", str, (), "Model to score; repeat for several (default: every "
               "registered model).", multiple=True, choices=tuple(REGISTRY),
               flags=("--model", "-m")),
        Option("capability", str, "council", "DEU capabilities: Council votes by treaty "
               "regime, the blksv GDP row, or equal.", choices=("council", "gdp", "equal")),
        Option("weights", str, None, "Council weights CSV (default: eucouncil_weights.csv "
               "in the DEU file's folder).", held=PATH_ON_THE_MACHINE),
        Option("bootstrap", int, DEFAULT_BOOTSTRAP, "Bootstrap resamples (0: no intervals; "
               f"{BOOTSTRAP_ADVICE}).", low=0, high=MAX_BOOTSTRAP),
        Option("seed", int, 0, "Seed for the bootstrap, the cross-validation folds and "
               "stochastic models.", low=0),
        Option("folds", int, DEFAULT_FOLDS, "Folds for models with fitted parameters (grouped by "
               "proposal).", low=2),
        Option("workers", int, 2, "Processes to run the models in (same numbers; helps when "
               "a model is slow).", low=1, high=MAX_WORKERS, held=ONE_PROCESS),
        Option("predictions", str, None, "Write per-issue predictions to this CSV file.",
               flags=("--predictions", "-p"), held=PATH_ON_THE_MACHINE),
        Option("fit", str, None, "Fit the combined forecast on these outcomes and write it to "
               "this JSON file (use it with forecast --combined --combination FILE).",
               held=PATH_ON_THE_MACHINE),
        Option("reliability", str, None, "Draw the reliability figure of the combined "
               "forecast's intervals (out of fold) to this image file (.png, .svg, .pdf).",
               held=PATH_ON_THE_MACHINE),
        Option("force", bool, False, "Overwrite the output files."),
    ),
    run=run_validate, view=view_validate, inputs="targets", ignored_on=_deu_only,
    formats=("table", "json", "csv", "markdown"),
    # --capability council|gdp|equal predates the counterfactual --capability RU=60: the
    # command line tells them apart by the '=' of an edit.
    extra={"markdown": validate_markdown,
           "shares_flags": ("--capability",)},
    quick={"bootstrap": 20, "workers": 1},
)

__all__ = ["EXPLAIN", "FORECAST", "VALIDATE", "nash_note", "parse_model_options"]
