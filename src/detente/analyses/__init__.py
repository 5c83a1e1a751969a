"""The analysis registry: every analysis declared once (issue 14).

Each analysis is an :class:`~detente.analyses.spec.AnalysisSpec`: its options (type,
default, bounds, choices, help, unit), how to run it and how to show its result as a
presentation-neutral :class:`~detente.view.View`. The CLI commands, the web parameters and
the report settings are generated from :data:`ANALYSES`; :func:`run` is the one way in::

    import detente.analyses as analyses
    r = analyses.run("settle", "korea-2017", parse_variation(["--without", "RU"]), step=10)
    r.to_dict()     # the JSON contract (docs/json-format.md)
    r.view()        # tables, notes: render with detente.render

Adding an analysis: its module (a ``SPEC``), one line in :data:`_SPECS`, its docs page.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from detente.analyses.brief import BRIEF
from detente.analyses.compare import COMPARE
from detente.analyses.documents import PLOT, REPORT
from detente.analyses.forecasting import EXPLAIN, FORECAST, VALIDATE
from detente.analyses.influence import INFLUENCE
from detente.analyses.options import DEFAULT_STEP, SETTLEMENT
from detente.analyses.sampling import SAMPLE, SENSITIVITY
from detente.analyses.settling import CONTRIBUTIONS, ROADMAP, SETTLE
from detente.analyses.spec import AnalysisSpec, Option
from detente.errors import OptionError, Problem, declaring, named_by, option_error
from detente.render import to_json, view_csv
from detente.scenario import Scenario
from detente.variation import Variation
from detente.view import View

_SPECS: tuple[AnalysisSpec, ...] = (FORECAST, SAMPLE, SENSITIVITY, SETTLE, CONTRIBUTIONS,
                                    ROADMAP, EXPLAIN, VALIDATE, COMPARE, INFLUENCE, BRIEF,
                                    PLOT, REPORT)

#: Every analysis by name, in the order the CLI lists them.
ANALYSES: dict[str, AnalysisSpec] = {s.name: s for s in _SPECS}


@dataclass(frozen=True)
class Result:
    """One run of an analysis: the library result (``value``), the options it ran with
    (every one filled in) and the counterfactual."""

    analysis: str
    value: Any
    options: dict[str, Any] = field(default_factory=dict)
    variation: Variation | None = None
    notes: tuple[str, ...] = ()

    @property
    def spec(self) -> AnalysisSpec:
        return ANALYSES[self.analysis]

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of this analysis (docs/json-format.md)."""
        # A result computed when shown (a figure drawn) refuses by its options' flags too.
        with declaring(self.spec.declared_names(), self.spec.held_values()):
            data: dict[str, Any] = (self.spec.to_dict(self) if self.spec.to_dict is not None
                                    else self.value.to_dict())
        # A result computed on a varied scenario says so (settle and roadmap label their
        # variants instead); no key without a counterfactual, so the baseline contract holds.
        if self.variation is not None and not self.variation.is_empty \
                and self.spec.counterfactual == "apply":
            data.setdefault("counterfactual", self.variation.describe())
        # The notes the view ends with (a part of the counterfactual this analysis does not
        # read), so that a script reading the JSON is told what the table tells a reader.
        if self.notes:
            data["counterfactual_notes"] = list(self.notes)
        return data

    def view(self) -> View:
        with declaring(self.spec.declared_names(), self.spec.held_values()):
            view = self.spec.view(self)
        # The rule of to_dict: a result computed on a varied scenario says so, in every
        # format (settle and roadmap title their variants beside the baseline instead).
        if self.variation is not None and not self.variation.is_empty \
                and self.spec.counterfactual == "apply":
            view = dataclasses.replace(view, counterfactual=self.variation.describe())
        if not self.notes:
            return view
        return dataclasses.replace(view, notes=(*view.notes, *self.notes))

    def to_csv(self) -> str:
        """The view as CSV (:func:`detente.render.view_csv`): one rule for every analysis,
        so that the CSV holds every table, note and the counterfactual the view shows."""
        return view_csv(self.view())

    def text(self, output_format: str) -> str:
        """The result as the text of one of its spec's formats other than the table:
        ``json`` (the contract, by the one JSON writer), ``csv``, or one of the spec's own
        (the brief's markdown and html)."""
        if output_format == "json":
            return to_json(self.to_dict()) + "\n"
        custom = self.spec.extra.get(output_format)
        return str(custom(self)) if custom is not None else self.to_csv()


def get(name: str) -> AnalysisSpec:
    if name not in ANALYSES:
        raise option_error("analysis", f"unknown analysis '{name}'",
                           f"analyses: {', '.join(ANALYSES)}")
    return ANALYSES[name]


def run(name: str, scenario: Scenario | str | Path | list[str] | None = None,
        variation: Variation | Mapping[str, Any] | None = None, *,
        executor: Any = None, progress: Any = None, **options: Any) -> Result:
    """Run analysis ``name`` on ``scenario`` (a Scenario, path or embedded id; for
    ``validate`` a list of targets) under an optional counterfactual.

    ``variation``: a :class:`Variation` or a mapping of its command-line options
    (``{"without": ["RU"], "position": ["CN.NUC=40"]}``). ``options`` are checked against
    the analysis's spec -- every problem at once, as one :class:`OptionError` -- and the
    missing ones take the spec's default. ``executor``: for sampling runs (``spec.long``).
    ``progress``: ``progress(done, total)`` after each chunk of a sampling run;
    ``progress(text)`` as each step begins for an analysis with ``spec.steps`` (the report).
    """
    spec = get(name)
    with declaring(spec.declared_names(), spec.held_values()):
        return _run(spec, scenario, variation, executor, progress, options)


def read_invocation(spec: AnalysisSpec,
                    scenario: Scenario | str | Path | list[str] | None,
                    changes: Mapping[str, Sequence[str]], options: Mapping[str, Any], *,
                    at: str = "", served: Mapping[str, AnalysisSpec] | None = None
                    ) -> tuple[Variation, dict[str, Any]]:
    """One run's counterfactual and options, read together: ``changes`` in the spelling of
    :func:`~detente.variation.variation_from_mapping` (``{"without": ["RU"]}``), checked
    against the scenario they change (``scenario``, or :attr:`AnalysisSpec.varies`) where it
    loads (one that does not is refused by the run);
    ``options`` checked by :meth:`AnalysisSpec.check` (``at``, ``served`` as it takes
    them). Every problem of the two is reported at once, in one :class:`OptionError`, so
    the command line, the workbench and a script refuse a command alike."""
    from detente.errors import DetenteError
    from detente.scenario import load
    from detente.variation import variation_from_mapping

    refused: list[Problem] = []
    checked: dict[str, Any] = {}
    try:
        checked = spec.check(options, at, served, _targets(spec, scenario))
    except OptionError as err:
        refused = list(err.problems)
    # The scenario the changes act on, from the checked options only: an option as sent
    # (compare's other, a path a server holds) is never loaded before it is accepted; while
    # the options are refused, which scenario that is stays unknown, and none is loaded.
    varied = scenario if spec.varies is None else spec.varies(scenario, checked)
    known = spec.varies is None or not refused
    loaded: Scenario | None = None
    if (known and any(changes.values()) and not spec.inputs_by_path
            and not isinstance(varied, list)):
        with contextlib.suppress(DetenteError, OSError):
            loaded = load(varied)
    problems: list[Problem] = []
    variation = Variation()
    try:
        # A refusal's example is one its scenario runs.
        variation = variation_from_mapping(changes, "", varied if loaded is None else loaded)
        if loaded is not None:
            problems = variation.problems(loaded.compile())
    except OptionError as err:
        problems = list(err.problems)
    problems += refused
    if problems:
        raise OptionError(problems)
    return variation, checked


def _targets(spec: AnalysisSpec, scenario: Scenario | str | Path | list[str] | None
             ) -> list[Any] | None:
    """The validation targets of an analysis whose inputs are files by path (validate)."""
    return None if not spec.inputs_by_path else [scenario] if isinstance(
        scenario, str | Path | Scenario) else list(scenario or [])


def _run(spec: AnalysisSpec, scenario: Scenario | str | Path | list[str] | None,
         variation: Variation | Mapping[str, Any] | None, executor: Any, progress: Any,
         options: Mapping[str, Any]) -> Result:
    targets = _targets(spec, scenario)
    if variation is None or isinstance(variation, Variation):
        checked = spec.check(options, inputs=targets)
    else:
        variation, checked = read_invocation(spec, scenario, variation, options)
    engine = {"executor": executor, "progress": progress} if spec.long else \
        {"progress": progress} if spec.steps and progress is not None else {}
    if targets is not None:
        value = spec.run(targets, variation, **checked, **engine)
    else:
        with named_by(scenario):
            value = spec.run(scenario, variation, **checked, **engine)
    return Result(spec.name, value, checked, variation, _inert(spec, checked, variation))


def _inert(spec: AnalysisSpec, options: Mapping[str, Any], variation: Variation | None
           ) -> tuple[str, ...]:
    """Say so when part of a counterfactual cannot change this analysis: trust, guarantors
    and fixed issues act on the package search only (no model reads trust, and a forecast
    has no package to guarantee or fix)."""
    if variation is None or spec.searches_packages(options):
        return ()
    parts = variation.package_parts()
    if not parts:
        return ()
    return (f"note: {'; '.join(parts)} changes nothing here: trust, guarantors and fixed "
            f"issues act on the package search (settle, contributions, roadmap, sample -m "
            f"settle), which {spec.name} does not run.",)


__all__ = ["ANALYSES", "DEFAULT_STEP", "SETTLEMENT", "AnalysisSpec", "Option", "Result",
           "get", "read_invocation", "run"]
