"""The defaults and names of the package search that options elsewhere quote, and the grid
step (:class:`GridStep`: its rule, and how a grid is named in a sentence).

A light home (no numpy, no search): the options of the analyses
(:mod:`detente.analyses.options`) read these for their defaults and choices, and every
command builds those options at start, ``detente forecast`` too, which never searches
packages. :mod:`~detente.settlement.problem` and :mod:`~detente.settlement.search` use and
re-export them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from detente.errors import as_written, option_text, read_number
from detente.render import span_decimals

if TYPE_CHECKING:
    from detente.scenario import Scenario


#: Values in issue units (a found package, a roadmap's stages, a grid step) are rounded to,
#: and told apart at, this share of their issue's span: 9 decimals on a 0-100 scale, which
#: hides the grid's rounding errors (3 × 0.1 is 0.30000000000000004); a fixed number of
#: decimals would round a 0-10⁻¹² issue to 0 and count its moves as none.
VALUE_SHARE_OF_SPAN = 1e-11


def value_decimals(span: float) -> int:
    """The decimals a value on a scale of ``span`` is rounded to
    (:data:`VALUE_SHARE_OF_SPAN`)."""
    return span_decimals(span, VALUE_SHARE_OF_SPAN)


#: The float noise a value in issue units carries, as a share of its scale's larger end in
#: size: a value near 10⁶ is held to about 10⁻¹⁰ whatever its scale's span, so on 1000000
#: to 1000000.5 :data:`VALUE_SHARE_OF_SPAN` of the span (5·10⁻¹²) alone would tell values
#: apart by their noise. Some 45 float steps; on the narrowest scale a scenario may have
#: (10⁻¹⁰ of its larger end, :data:`detente.scenario.schema.MIN_SCALE_SPAN_SHARE`) it is
#: 10⁻⁴ of the span, a tenth of the finest difference a result shows.
VALUE_NOISE_SHARE = 1e-14


def value_tolerance(low: float, high: float) -> float:
    """How far apart two values on the scale ``low`` to ``high`` (issue units) may lie and
    still be one value: :data:`VALUE_SHARE_OF_SPAN` of the span (10⁻⁹ on 0-100), or the
    float noise of the scale's ends (:data:`VALUE_NOISE_SHARE`) where that is wider. A
    fixed 10⁻⁹ is exact equality on a scale of 10⁸ to 10⁹, whose values carry noise of
    10⁻⁷, so that noise read as a move."""
    return max(VALUE_SHARE_OF_SPAN * (high - low),
               VALUE_NOISE_SHARE * max(abs(low), abs(high)))


def same_value(a: float, b: float, low: float, high: float) -> bool:
    """Whether ``a`` and ``b`` are one value on the scale ``low`` to ``high``
    (:func:`value_tolerance`): a package at the status quo, a stage that does not move."""
    return abs(a - b) <= value_tolerance(low, high)


@dataclass(frozen=True)
class GridStep:
    """The grid step of a package search: ``size`` issue units on every issue, or, when
    ``relative``, ``size`` percent of each issue's own scale span (``5%``).

    A relative step suits every scale at once: one absolute number is coarse on a 0-1 issue
    (10 leaves only its two ends) and refused on a 0-10⁹ one (10⁸ values), and no single
    number suits a scenario that mixes a 0-0.02 issue with a 0-100 one. An absolute step
    keeps the meaning ``--step 2.5`` always had, so a script written before relative steps
    existed searches the same grid.
    """

    size: float
    relative: bool = False

    #: What a valid step is, in the one wording every interface refuses with.
    RULE: ClassVar[str] = ("a finite number above 0 (issue units) or a percent above 0% and "
                           "at most 100% (of each issue's scale)")
    #: How ``--help`` names the value.
    METAVAR: ClassVar[str] = "NUMBER|PERCENT"

    @classmethod
    def fix(cls) -> str:
        """How to write one, for every refusal of a bad one (the option named as the
        interface showing the refusal writes it: :func:`detente.errors.option_text`)."""
        return (f"give a percent of each issue's scale, e.g. {option_text('step', '5%')}, or "
                f"a step in issue units, e.g. {option_text('step', '2.5')}")

    @classmethod
    def parse(cls, value: object) -> GridStep:
        """``5%`` (text) as a relative step; a number, or text that reads as one, as a step
        in issue units; a :class:`GridStep` as it is. Anything else raises ValueError with
        the refusal (``the grid step must be ...``): infinite and NaN steps too, since an
        infinite step would silently shrink every grid to the scale's two ends."""
        if isinstance(value, GridStep):
            return value
        text = value.strip() if isinstance(value, str) else None
        relative = text is not None and text.endswith("%")
        number = text.removesuffix("%") if text is not None else value
        read = read_number(number)  # None for True, which is no step
        size = math.nan if read is None else read
        if not math.isfinite(size) or size <= 0 or (relative and size > 100):
            shown = text if text is not None else repr(value)
            raise ValueError(f"the grid step must be {cls.RULE}, got {shown}")
        return cls(size, relative)

    def on(self, low: float, high: float) -> float:
        """The step in issue units on a scale from ``low`` to ``high``."""
        return (high - low) * self.size / 100.0 if self.relative else self.size

    def to_json(self) -> float | str:
        """As JSON data: ``"10%"``, or a number of issue units (what a step was before
        relative steps existed, so that stored settings read back the same)."""
        return str(self) if self.relative else self.size

    def __str__(self) -> str:
        """As a user writes it: ``10%``, ``2.5``, with every digit it has, so that it reads
        back as the same step (stored settings, ``-f json``): ``:g`` wrote 33.3333333333%
        as 33.3333%, a different grid, and a step of 123456.7 as 123457."""
        size = as_written(self.size)
        return f"{size}%" if self.relative else size


def issue_steps(scenario: Scenario, step: GridStep) -> dict[str, float | None]:
    """Each issue's grid step in its own units, as reported (JSON ``steps``, the headers):
    rounded at :func:`value_decimals` of the issue's span, so that 10% of 0.1 to 0.4 reads
    0.03, not the 0.030000000000000006 the subtraction leaves; None where the scenario lists
    its options (the search takes those instead of a grid)."""
    def reported(low: float, high: float) -> float:
        return round(step.on(low, high), value_decimals(high - low))
    return {i.id: None if i.options else reported(i.scale.low, i.scale.high)
            for i in scenario.issues}


#: Two issues' steps within this share of each other are the same step (float noise apart).
SAME_STEP_SHARE = 1e-9


def shared_step(step: GridStep, steps: Mapping[str, float | None]) -> float | None:
    """The one step in issue units of every issue: an absolute step's own size; for a
    relative one, the step every issue on a grid shares (10 where every scale is 0-100;
    0.03 on 0 to 0.3 and 0.1 to 0.4, whose subtractions differ in the last bit), None where
    they differ (scales of different spans) or no issue is on a grid."""
    if not step.relative:
        return step.size
    found = [s for s in steps.values() if s is not None]
    if not found:
        return None
    first = found[0]
    same = all(math.isclose(s, first, rel_tol=SAME_STEP_SHARE, abs_tol=0.0) for s in found)
    return first if same else None


def grid_text(step: GridStep, steps: Mapping[str, float | None]) -> str:
    """The grid as a sentence names it: "10 units" where every issue on a grid has that
    step, else "5% of each issue's scale" (a relative step on scales of different spans)."""
    shared = shared_step(step, steps)
    return f"{step} of each issue's scale" if shared is None \
        else f"{as_written(shared)} units"


def search_text(step: GridStep, steps: Mapping[str, float | None]) -> str:
    """What a package search runs over, as a header or a sentence names it: "grid step 10
    units" (see :func:`grid_text`), naming the issues searched over their listed options
    instead ("grid step 10 units (FLOW: listed options)"), or "the issues' listed options"
    where every issue lists them, so no grid step applies (a header that named the unused
    step misled)."""
    listed = [issue for issue, s in steps.items() if s is None]
    if steps and len(listed) == len(steps):
        return "the issues' listed options"
    return f"grid step {grid_text(step, steps)}" + (
        f" ({', '.join(listed)}: listed options)" if listed else "")


#: The one default grid step of every package search: settle, contributions, roadmap,
#: sample -m settle, the report and the web (issue 14): a tenth of each issue's own scale,
#: which is 10 units on a 0-100 scale (the absolute default before relative steps). Pass a
#: smaller step for a finer, slower search.
DEFAULT_STEP = GridStep(10.0, relative=True)

#: The search methods (:data:`detente.settlement.search.Method`).
METHODS = ("auto", "brute", "bnb", "milp")

#: The most packages one search may evaluate per scenario: packages enumerated by brute
#: force, or partial and complete packages expanded by branch and bound. Past it the search
#: refuses (brute force before it starts, branch and bound when it reaches it) with an
#: estimate, instead of running for hours. Lifted by ``max_packages`` (API), ``--max-packages``
#: (CLI) and ``-O settle.max_packages`` (``detente sample``).
MAX_PACKAGES = 50_000_000

__all__ = ["DEFAULT_STEP", "MAX_PACKAGES", "METHODS", "SAME_STEP_SHARE", "VALUE_NOISE_SHARE",
           "VALUE_SHARE_OF_SPAN", "GridStep", "grid_text", "issue_steps", "same_value",
           "search_text", "shared_step", "value_decimals", "value_tolerance"]
