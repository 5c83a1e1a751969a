"""Options shared by several analyses, declared once.

A group used by several analyses is a tuple here (``SETTLEMENT``), so that ``settle``,
``contributions``, ``roadmap`` and ``sample -m settle`` take the same names, defaults and
bounds. The package-search grid step has one default, :data:`DEFAULT_STEP`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from detente.analyses.spec import ONE_PROCESS, PATH_ON_THE_MACHINE, Option
from detente.combine import COMBINED, load_combination
from detente.errors import option_text
from detente.models import DEFAULT_MODELS, REGISTRY

# The one default grid step of every package search (10% of each issue's scale) --
# settle, contributions, roadmap, the report and the web -- and its rule live with the
# settlement search, in a module light enough for every command to read at start (no
# numpy, no search).
from detente.settlement.defaults import DEFAULT_STEP, METHODS, GridStep
from detente.settlement.defaults import MAX_PACKAGES as MAX_PACKAGES_DEFAULT

STEP = Option("step", GridStep, DEFAULT_STEP, "Grid step of the package search for issues "
              "without listed options: a percent of each issue's own scale (5%), or a "
              "number in issue units, the same on every issue (2.5); smaller is finer and "
              "slower.", label="grid step")
UTILITY = Option("utility", str, "quadratic", "Distance loss per issue.",
                 choices=("quadratic", "linear"))
CORRELATION = Option("correlation", float, 0.0, "How the deliverers' failures correlate: "
                     "0 independent, 1 together.", low=0.0, high=1.0)
LOSSES = Option("losses", str, "discounted", "Moves an actor loses from: discounted by its "
                "distrust like promises, or certain.", choices=("discounted", "certain"))
WEIGHTING = Option("weighting", str, "capability", "Exponents of the Nash product.",
                   choices=("capability", "equal"))
METHOD = Option("method", str, "auto", "Package search: auto (brute force for small "
                "spaces, the MILP for large ones, else branch and bound), brute, bnb, "
                "milp.", choices=METHODS)

IGNORE = Option("ignore", str, (), "Leave out a mechanism the scenario declares, to compare "
                "with and without it; repeat for several.", multiple=True,
                choices=("verification", "links", "rules", "walk-away", "stakes"))

#: The settlement options every package-search analysis takes.
SETTLEMENT = (STEP, UTILITY, CORRELATION, LOSSES, WEIGHTING, METHOD)
MAX_PACKAGES = Option("max_packages", int, MAX_PACKAGES_DEFAULT, "The most packages one "
                      "search may evaluate; a larger search is refused with its estimate.",
                      low=1, label="max-packages")
#: What `sample -m settle` / `sensitivity -m settle` read from -O settle.NAME=VALUE: the
#: settlement options and whether to search the zone at all.
SAMPLED_SETTLE = (*SETTLEMENT, MAX_PACKAGES,
                  Option("zone", bool, True, "Search the zone of agreement (false: only "
                         "the named packages)."))

#: A seed is a non-negative integer (numpy's rule): a negative one is refused, located.
SEED = Option("seed", int, 0, "Seed: the same seed gives the same numbers.", low=0)
#: The seed of the models' streams (detente.models.model_stream), declared once so that
#: `explain --seed` shows the round `forecast --seed` plays.
MODEL_SEED = Option("seed", int, 0, "Seed for stochastic models.", low=0)
#: Model options as MODEL.NAME=VALUE (read as YAML scalars by the model's Options).
MODEL_OPTION = Option("option", str, (), "Model option as MODEL.NAME=VALUE, e.g. "
                      "nash.utility=linear; refused for a model the run does not run.",
                      multiple=True, flags=("--option", "-O"))
FORECAST_MODELS = Option("model", str, tuple(DEFAULT_MODELS), "Model to run; repeat for "
                         "several.", multiple=True, choices=tuple(REGISTRY),
                         flags=("--model", "-m"))


def _combined_not_ranked() -> tuple[str, str]:
    """Why sensitivity refuses the combined forecast (docs/uncertainty.md), and the two runs
    that answer what it was asked for instead."""
    return ("sensitivity does not take the combined forecast: the model a combined run draws "
            "for each sample is not an input whose share of the variance could be ranked",
            f"rank the inputs of one of the models it combines ("
            f"{option_text('model', 'compromise', '-m')}; it combines "
            f"{', '.join(load_combination().models)}), or run sample with "
            f"{option_text('model', COMBINED, '-m')} for the spread the models' disagreement "
            "and your inputs leave open")


#: Sampling runs one model, or the settlement analysis ("settle", options via -O settle.*).
SAMPLED_MODEL = Option("model", str, "compromise", "Registered model to run, or settle "
                       "(the zone of agreement and the named packages; settlement options "
                       "as -O settle.step=10 ...).", choices=(*REGISTRY, "settle"),
                       flags=("--model", "-m"), not_taken=((COMBINED, _combined_not_ranked),))
#: `sample` also takes the mixture over the combined forecast's models (not `sensitivity`:
#: the model drawn is not an input whose share of the variance could be ranked).
SAMPLE_MODEL = dataclasses.replace(
    SAMPLED_MODEL, choices=(*REGISTRY, COMBINED, "settle"),
    help="Registered model to run; combined (each sample forecast by a model drawn with the "
         "combined forecast's mixture weights: intervals from the inputs and the models' "
         "disagreement); or settle (the zone of agreement and the named packages; "
         "settlement options as -O settle.step=10 ...).")
#: The combined forecast's weights: one file option for `forecast` and `sample`.
COMBINATION = Option("combination", str, None, "Combination file written by `detente "
                     "validate deu PATH --fit FILE` (default: the one shipped with detente).",
                     held=PATH_ON_THE_MACHINE)


def combination_models(chosen: Sequence[str], combination: str | None) -> list[str]:
    """``chosen`` and the models the combination (a file, else the one shipped) runs besides
    them: the combined forecast's spread and intervals."""
    added = load_combination(combination).models
    return [*(m for m in chosen if m != COMBINED), *(m for m in added if m not in chosen)]


def the_model(options: Mapping[str, Any]) -> list[str]:
    """What a single-model analysis runs: its ``model``."""
    return [options["model"]]


NOISE = Option("noise", str, (), "Spread for numbers without their own: position=10 (issue "
               "points) or 10% (of the scale), salience=0.1, capability=20%, trust=0.1, "
               "status_quo=5; 'none' for none. Default: none if the scenario has its own, "
               "else position=10% salience=0.1 capability=20%.", multiple=True)
# Bounded so that a mistyped count is refused by name rather than by the memory check (whose
# fix would blame the scenario): the automatic chunk is at most 65,536 samples, and a million
# rows of even a small scenario hold gigabytes at once; more processes than cores only add
# start-up time and memory (1,024 is far above the cores of the machines this runs on).
CHUNK_SIZE = Option("chunk_size", int, None, "Samples per batched call (bounds memory; "
                    "default from the size of the scenario). Does not change the numbers.",
                    low=1, high=1_000_000)
MAX_WORKERS = 1024
# A percentile interval wants 1,000-2,000 resamples (Efron & Tibshirani 1993, An
# Introduction to the Bootstrap, §19.3); at 10,000 the resampling error of its ends is far
# below that of the resampled rows themselves, and 10^11 once ran out of memory.
MAX_BOOTSTRAP = 10_000
BOOTSTRAP_ADVICE = "1,000-2,000 give steady interval ends, more add little"
# Monte Carlo error shrinks as 1/sqrt(n): at 10^7 draws it is 1/3,000 of one draw's spread
# (the 2.5% quantile of a normal output to about 0.001 sd; Saltelli's estimates of a Sobol
# index shrink at the same rate), far below the uncertainty being sampled. Every draw's
# outputs are kept (exact quantiles; uncertainty.sampling.sample_memory), so more could only
# fill memory (10^7 draws of compromise on korea-2017 keep 2.5 GB) or run for hours. Past
# it a count is refused by its flag, not by the memory check, whose fix would ask for
# terabytes of --max-memory.
MAX_SAMPLES = 10_000_000
#: The scenarios `detente sample` draws, and the brief for how sure it is: the report's
#: brief section reads the report's sample, so one default keeps `detente brief` the page
#: the report says it prints.
DEFAULT_SAMPLES = 1000
SAMPLES_ADVICE = "the error shrinks as 1/√n: 100 times as many for one more digit"
WORKERS = Option("workers", int, None, "Processes on this machine (default: all cores when "
                 "the run is long enough). Does not change the numbers.", low=1,
                 high=MAX_WORKERS, held=ONE_PROCESS)
#: What a sampling run shares (besides its sample count, which differs by analysis).
ENGINE = (CHUNK_SIZE, WORKERS)

#: The options of the report and its figures (`detente report`, `detente plot`, the web's
#: report and figure), declared once; the analyses they show take theirs by ``--set``.
REPORT_OPTIONS = (
    Option("model", str, (), "Model to run; repeat for several (default: every registered "
           "model).", multiple=True, choices=tuple(REGISTRY), flags=("--model", "-m")),
    Option("primary", str, None, "Model of the counterfactual, uncertainty and sensitivity "
           "analyses (default: compromise)."),
    Option("set", str, (), "An option of an analysis the report shows, as "
           "ANALYSIS.OPTION=VALUE (e.g. settle.step=5, sample.samples=5000; see `detente "
           "ANALYSIS --help`); repeat for several.", multiple=True),
    Option("seed", int, None, "Seed of every analysis that has one (default: each "
           "analysis's own, 0).", low=0),
)

__all__ = [
              "CHUNK_SIZE",
              "COMBINATION",
              "CORRELATION",
              "DEFAULT_SAMPLES",
              "DEFAULT_STEP",
              "ENGINE",
              "FORECAST_MODELS",
              "IGNORE",
              "LOSSES",
              "MAX_PACKAGES",
              "MAX_SAMPLES",
              "METHOD",
              "MODEL_OPTION",
              "MODEL_SEED",
              "NOISE",
              "REPORT_OPTIONS",
              "SAMPLED_MODEL",
              "SAMPLED_SETTLE",
              "SAMPLES_ADVICE",
              "SAMPLE_MODEL",
              "SEED",
              "SETTLEMENT",
              "STEP",
              "UTILITY",
              "WEIGHTING",
              "WORKERS",
              "combination_models",
              "the_model",
]
