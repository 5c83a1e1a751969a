"""Errors a user can act on: each names the file, the place in it, what is wrong and the fix."""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import PurePath
from types import MappingProxyType
from typing import Any, Literal

#: The longest unbroken run of characters a message echoes whole (ids, keys, values).
LONGEST_ECHO = 80
#: A file path is echoed whole up to this length: the user needs it to act on the message.
LONGEST_PATH = 4096
_LONG_RUN = re.compile(r"\S{" + str(LONGEST_ECHO + 1) + ",}")


def shorten(text: str, most: int = LONGEST_ECHO) -> str:
    """A user string fit to echo in a message: a long one keeps its start and says its length.

    A 100,000-character id pasted by mistake must not flood the terminal (or the web page).
    """
    if len(text) <= most:
        return text
    return f"{text[: max(most - 24, 8)]}… ({len(text):,} characters)"


def non_finite_text(given: str) -> str:
    """What is wrong with ``given``, a number as written that reads as inf or nan: the one
    wording of every reader of typed numbers (an option, a model option, an edit). A number
    written past the float range (a 400-digit ``--step``, ``1e400``) reads as inf; calling
    it "inf" would quote a word the user never wrote, so it is quoted as given (shortened)
    and called too large. ``inf`` or ``nan`` itself is simply not finite."""
    written = given.strip()
    if written.lstrip("+-").lower() in ("inf", "infinity", "nan"):
        return f"{float(written)} is not a finite number"
    return (f"{shorten(written)} is too large to compute with (a number must lie within "
            f"±{sys.float_info.max:.1e})")


def read_number(value: object) -> float | None:
    """``value`` read as a float where it is a number or text that reads as one (``"1e999"``
    is inf, for the finiteness rule to refuse), else None (``abc``, None, a list, and a
    bool, which is no number though float(True) reads as one)."""
    if isinstance(value, bool):
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None


def as_written(value: float) -> str:
    """A number a refusal echoes (the user's own, or the bound it broke) with every digit it
    has: the shortest text that reads back as the same float (100.04, 1000000.7, 1e+300), an
    integral one without ".0". Not ``render.fmt``, whose one decimal writes 100.04 and its
    bound 100 alike, nor ``:g``, whose six digits write 1000000.7 and 1000000.5 both as
    1e+06: the message must show why the number was refused. From 1e15 an integral number
    is written as repr writes those from 1e16 (1e+15, not 1000000000000000.0): sixteen
    digits and a ".0" are no number a person reads at a glance."""
    number = float(value)
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    text = repr(number)
    if number.is_integer() and "e" not in text:  # 1e15 <= |number| < 1e16: repr's digits
        return next(short for digits in range(17)
                    if float(short := f"{number:.{digits}e}") == number)
    return text


def _shorten_runs(text: str) -> str:
    # Messages quote user strings inside ordinary words; only a long run without a space
    # can be such a string, so only those are cut.
    return _LONG_RUN.sub(lambda m: _shorten_run(m.group()), text) \
        if len(text) > LONGEST_ECHO else text


def _shorten_run(run: str) -> str:
    return shorten(run, LONGEST_PATH if "/" in run or "\\" in run else LONGEST_ECHO)


#: Where a message is shown: each interface writes an option its own way.
Interface = Literal["command line", "workbench"]
_SHOWN_ON: ContextVar[Interface] = ContextVar("shown_on", default="command line")


@contextmanager
def shown_on(interface: Interface) -> Iterator[None]:
    """Word the messages made in the block (or the decorated function) for ``interface``
    (:func:`option_text`, :func:`option_place`): the workbench wraps what it checks and
    runs; the command line is the default, and the wording of every other caller."""
    token = _SHOWN_ON.set(interface)
    try:
        yield
    finally:
        _SHOWN_ON.reset(token)


#: The declared names of the options of the analysis being checked or run, by the flag the
#: command line gives each where the two differ (``--round`` → ``round_number``, the
#: argument ``KIND`` → ``kind``): a library refusal located by its flag is placed on the
#: workbench at the field the request fills, which only the declaration knows.
_DECLARED: ContextVar[Mapping[str, str]] = ContextVar("declared",
                                                     default=MappingProxyType({}))
#: The options of the analysis being checked or run that a server holds, never taking them
#: from a request (``Option.held``): a fix offered on the workbench never gives one.
_HELD: ContextVar[frozenset[str]] = ContextVar("held", default=frozenset())


@contextmanager
def declaring(names: Mapping[str, str], held: Iterable[str] = ()) -> Iterator[None]:
    """Place the refusals made in the block by a flag of ``names`` (flag → declared name) at
    the option's declared name (:func:`option_error`); ``held``: the declared names of the
    options a server holds (:func:`option_taken`)."""
    token, held_token = _DECLARED.set(names), _HELD.set(frozenset(held))
    try:
        yield
    finally:
        _DECLARED.reset(token)
        _HELD.reset(held_token)


@dataclass(frozen=True)
class _GivenInside:
    """Options ``names`` of ``prefix`` (settle's ``step``), given as the items of another
    option (``-O``, named ``option``): ``-O settle.step=5%``."""

    prefix: str
    names: frozenset[str]
    name: str
    flag: str
    located_by_flag: bool
    in_body: bool

    def item(self, name: str) -> str:
        """The option ``name`` as an item's key: ``settle.step``; ``step`` without a prefix
        (a room's ``-O step=5%``)."""
        return f"{self.prefix}.{name}" if self.prefix else name


#: The innermost last: a setting of the report may hold sample's ``-O settle.step``.
_GIVEN_INSIDE: ContextVar[tuple[_GivenInside, ...]] = ContextVar("given_inside", default=())


@contextmanager
def given_inside(prefix: str, names: Iterable[str], name: str = "option", flag: str = "-O",
                 located_by_flag: bool = False, in_body: bool = False) -> Iterator[None]:
    """Name the options ``names`` in the messages made in the block as the items
    ``PREFIX.NAME=VALUE`` of the option ``name`` (``flag`` on the command line) that gives
    them: settle's options read as a sub-analysis of `detente sample` are ``-O
    settle.step=5%`` (workbench ``option=settle.step=5%``), an analysis's options read as
    the report's settings ``--set settle.step=5%``; each is located at ``PREFIX.NAME``
    as a model's option is, or with ``located_by_flag`` at ``FLAG PREFIX.NAME`` (``--set
    settle.step``, as the report locates its settings); ``prefix`` "" for items without
    one (a room's ``-O step=5%``). With ``in_body`` the items are instead the fields of
    the JSON object ``name`` in a request's body, whatever the interface: a room's options
    over HTTP, ``"options": {"step": "5%"}``, located at ``options.step``. A refusal of
    settle's own (``GridStep.fix``) thus names the option as the user gave it, not a flag
    of a command they did not run."""
    frame = _GivenInside(prefix, frozenset(names), name, flag, located_by_flag, in_body)
    token = _GIVEN_INSIDE.set((*_GIVEN_INSIDE.get(), frame))
    try:
        yield
    finally:
        _GIVEN_INSIDE.reset(token)


def _inside(name: str) -> tuple[_GivenInside | None, tuple[_GivenInside, ...]]:
    """The innermost frame of :func:`given_inside` that gives ``name``, and the frames
    around it (which may give that frame's own option in turn)."""
    frames = _GIVEN_INSIDE.get()
    for depth in range(len(frames) - 1, -1, -1):
        if name in frames[depth].names:
            return frames[depth], frames[:depth]
    return None, frames


def option_text(name: str, value: object = None, flag: str = "") -> str:
    """An option named in a message by its declared ``name``, as the interface showing the
    message writes it (:func:`shown_on`): the command line by its flag (``--max-packages
    1000``; ``flag`` where it is not ``--name`` dashed, ``-O``), the workbench by the name
    its fields and the report's settings take (``max_packages=1000``). ``value``: one to
    give, as the user writes it. A library message never spells a flag itself: the
    workbench has none. Inside :func:`given_inside`, as the item of the option that gives
    it (``-O settle.max_packages=1000``)."""
    frame, around = _inside(name)
    if frame is not None and frame.in_body:
        return f"{frame.name}.{frame.item(name)}" if value is None else \
            f'"{frame.name}": {{"{frame.item(name)}": {_json_value(str(value))}}}'
    if frame is not None:
        item = frame.item(name) if value is None else f"{frame.item(name)}={value}"
        token = _GIVEN_INSIDE.set(around)
        try:
            return option_text(frame.name, item, frame.flag)
        finally:
            _GIVEN_INSIDE.reset(token)
    if _SHOWN_ON.get() == "workbench":
        return name if value is None else f"{name}={value}"
    written = _flag(name, flag)
    return written if value is None else f"{written} {value}"


def _json_value(value: str) -> str:
    """``value`` (as a user writes it on the command line) as a JSON body gives it: a
    number or true/false as it is, any other text quoted ("5%")."""
    try:
        json.loads(value)
    except ValueError:
        return json.dumps(value)
    return value


def option_taken(name: str) -> bool:
    """Whether the interface showing the message takes the option ``name``: the workbench
    does not take one its server holds (:func:`declaring`), so a fix gives it there only
    where this is true."""
    return _SHOWN_ON.get() != "workbench" or name not in _HELD.get()


def switch_text(name: str, on: bool, negative: str = "", flag: str = "") -> str:
    """A yes/no option set ``on`` or off, as :func:`option_text` names options: the command
    line by its flag or off-flag (``--count``, ``--no-count``; ``flag`` and ``negative``
    where they are not ``--`` and the name, ``--no-`` and the name, dashed), the workbench
    by the name and the value its field takes (``count=true``, ``count=false``)."""
    if _SHOWN_ON.get() == "workbench" or _inside(name)[0] is not None:
        return option_text(name, "true" if on else "false")
    return _flag(name, flag) if on else negative or _flag("no_" + name, "")


def switch_either(name: str, flag: str = "", negative: str | None = "") -> str:
    """A yes/no option set either way, each way written whole as :func:`switch_text` writes
    it: ``--set settle.zones=true or --set settle.zones=false`` (never ``...=true or
    false``, which reads as one value), workbench ``zones=true or zones=false``, the
    command line ``--count or --no-count``; ``negative`` None where the command line has no
    off-flag (``--zones, or leave it out``)."""
    on = switch_text(name, True, flag=flag)
    if negative is None and _SHOWN_ON.get() != "workbench" and _inside(name)[0] is None:
        return f"{on}, or leave it out"
    return f"{on} or {switch_text(name, False, negative or '', flag)}"


def model_option_text(model: str, option: str) -> str:
    """A model's ``option`` (``max_rounds``, or ``max_rounds=N`` with its value) named as
    :func:`option_text` names options: ``-O bdm.max_rounds`` on the command line, as the
    items of the workbench's ``option`` field on the workbench."""
    return option_text("option", f"{model}.{option}", "-O")


def option_help(name: str, flag: str = "") -> str:
    """Where the help of the option ``name`` is read, as :func:`option_text` names it:
    ``--help for --chunk-size`` on the command line, the hint of the workbench's field."""
    if _SHOWN_ON.get() == "workbench":
        return f"the hint of {name}"
    return f"--help for {_flag(name, flag)}"


def option_place(name: str, flag: str = "", within: str = "params") -> str:
    """Where a problem with the option ``name`` is located, as :func:`option_text` names
    it: the command line's flag (``--samples``), the workbench's field (``params.samples``;
    ``within``: the request's part that holds it, ``counterfactual`` for a change); inside
    :func:`given_inside`, the item it is given as (``settle.step``, ``--set settle.step``)."""
    frame, _ = _inside(name)
    if frame is not None and frame.in_body:
        return f"{frame.name}.{frame.item(name)}"
    if frame is not None:
        return f"{frame.flag} {frame.item(name)}" if frame.located_by_flag \
            else frame.item(name)
    if _SHOWN_ON.get() == "workbench":
        return f"{within}.{name}"
    return _flag(name, flag)


def _flag(name: str, flag: str) -> str:
    """``flag``, or the long flag of the option ``name``: ``--`` and its name, dashed."""
    return flag or "--" + name.replace("_", "-")


def flag_name(flag: str) -> str:
    """The declared name of the option whose long flag is ``flag`` (``--max-packages`` →
    ``max_packages``): the inverse of the command line's spelling."""
    return flag[2:].replace("-", "_")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where, what, and how to fix it."""

    location: str
    message: str
    fix: str = ""
    line: int | None = None

    def __post_init__(self) -> None:
        for name in ("location", "message", "fix"):
            object.__setattr__(self, name, _shorten_runs(getattr(self, name)))

    def render(self, source: str | None = None) -> str:
        """``file:line: place: message`` and the fix; without a file (an option, a value
        given in code) the place alone, which names it (``--without: unknown actor``): a
        stand-in such as ``<input>`` read as a file nobody wrote."""
        line = "" if self.line is None else f"line {self.line}" if source is None \
            else f"{source}:{self.line}"
        text = ": ".join(part for part in (line or source, self.location, self.message)
                         if part)
        if self.fix:
            text += f"\n    fix: {self.fix}"
        return text


def problems_as_json(problems: Iterable[Problem]) -> list[dict[str, Any]]:
    """Problems as plain data, ``[{location, message, fix, line}]``: the ``problems`` of
    every JSON refusal (web, room, the workbench's worker)."""
    return [dataclasses.asdict(p) for p in problems]


@dataclass
class DetenteError(Exception):
    """Base error for anything a user did wrong; the CLI prints it without a traceback."""

    problems: list[Problem] = field(default_factory=list)
    source: str | None = None

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(p.render(self.source) for p in self.problems)

    def problem_dicts(self) -> list[dict[str, Any]]:
        """The problems as plain data: see :func:`problems_as_json`."""
        return problems_as_json(self.problems)


class ScenarioError(DetenteError):
    """A scenario file (or table) that cannot be read or is not valid."""


class OptionError(DetenteError):
    """A bad command-line or API option (unknown model, bad override, ...)."""


class NobodyMustAgree(OptionError, ScenarioError):
    """A settlement problem in which nobody must agree: no actor holds a veto and cares
    about an issue, in the scenario as written or as a counterfactual leaves it (hence both
    kinds). Settle, contributions and roadmap refuse it; the brief and the report leave out
    what needs a party and give :data:`NOBODY_MUST_AGREE` as the reason."""


#: Why a problem in which nobody must agree has nothing to settle: every package is
#: acceptable, each smallest gain a minimum over nobody.
NOBODY_MUST_AGREE = ("no actor holds a veto and cares about any issue, so every package is "
                     "acceptable and there is nothing to settle")


@contextmanager
def named_by(scenario: object) -> Iterator[None]:
    """A scenario refusal met in the block (nobody must agree) names ``scenario``'s file
    where it names none, as the loader's refusals do; a scenario given as an object, not
    a path, names none."""
    try:
        yield
    except ScenarioError as err:
        if err.source is None and isinstance(scenario, str | PurePath):
            err.source = str(scenario)
        raise


def scenario_error(location: str, message: str, fix: str = "", source: str | None = None,
                   line: int | None = None) -> ScenarioError:
    return ScenarioError([Problem(location, message, fix, line)], source)


def option_error(location: str, message: str, fix: str = "") -> OptionError:
    """The refusal of one option; a ``location`` given as the option's flag (``--samples``,
    the command line's spelling of its declared name; ``--round`` or ``KIND`` of an option
    named otherwise, :func:`declaring`) is placed as the interface showing the refusal
    places it (:func:`option_place`: ``params.samples``, ``params.round_number``,
    ``params.kind`` on the workbench; inside :func:`given_inside`, the item the option is
    given as, ``settle.step`` or ``--set settle.step``)."""
    declared = _DECLARED.get()
    if location in declared:
        location = option_place(declared[location], location)
    elif location.startswith("--"):
        location = option_place(flag_name(location), location)
    return OptionError([Problem(location, message, fix)])


@contextmanager
def needs_extra(location: str, needs: str, extra: str) -> Iterator[None]:
    """An import in the block that fails (an optional dependency) becomes one clear
    refusal: ``NEEDS (MODULE is missing)``, fixed by ``pip install 'detente[EXTRA]'``."""
    try:
        yield
    except ImportError as err:
        raise option_error(location, f"{needs} ({err.name} is missing)",
                           f"pip install 'detente[{extra}]'") from None


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """A fix line: the closest known id, then all of them."""
    options = list(dict.fromkeys(known))
    # Ids are short (RU, KP): difflib's default cutoff 0.6 misses one wrong letter of two.
    upper = {o.upper(): o for o in options}
    near = difflib.get_close_matches(name.upper(), list(upper), n=1, cutoff=0.5)
    hint = f"did you mean '{upper[near[0]]}'? " if near else ""
    return f"{hint}known ids: {', '.join(options) or 'none'}"


def unknown_ids(location: str, noun: str, wanted: Iterable[str], known: Sequence[str]
                ) -> list[Problem]:
    """The ids of ``wanted`` that are not ``known``, each (once) a problem at ``location``
    with the closest known one."""
    return [Problem(location, f"unknown {noun} '{name}'", did_you_mean(name, known))
            for name in dict.fromkeys(wanted) if name not in known]


def require_known(location: str, noun: str, wanted: Iterable[str], known: Sequence[str]
                  ) -> None:
    """Refuse the ids of ``wanted`` that are not ``known`` (a figure's ``--issue``), each
    with the closest known one, at once (:func:`unknown_ids`)."""
    problems = unknown_ids(location, noun, wanted, known)
    if problems:
        raise OptionError(problems)


#: Numbers at least this large (in absolute value) are named as the likely cause of an
#: arithmetic failure: squared distances and products of such values overflow float64.
EXTREME = 1e12
#: Failures an analysis may meet on input its checks let through (out of memory, an
#: overflow, an infinite value converted): described by :func:`describe_failure`.
NUMERIC_FAILURES = (MemoryError, ArithmeticError, ValueError)


def describe_failure(err: BaseException, analysis: str, inputs: Any, details: str
                     ) -> tuple[str, list[Problem]]:
    """A clear, located message for an unexpected failure of ``analysis``, never the
    exception's own text (which names internals and means nothing to the user): the
    extreme numbers of ``inputs`` (a document, located as walked) are named as the likely
    cause of a numeric failure. ``details``: where the exception itself can be read."""
    from detente.safeload import walk  # here: the loader reports its problems with this module

    # An int is compared as it is: one past 1e308 overflows float() and math.isfinite.
    found = [(where, value) for value, where, _ in walk(inputs)
             if isinstance(value, int | float) and not isinstance(value, bool)
             and ((isinstance(value, float) and not math.isfinite(value))
                  or abs(value) >= EXTREME)][:10]
    if isinstance(err, MemoryError):
        return (f"{analysis}: the computation needs more memory than this machine has",
                [Problem(f"analysis.{analysis}", "out of memory",
                         "use fewer samples, a coarser grid step, or a smaller scenario")])
    if found and isinstance(err, ArithmeticError | ValueError):  # numeric failures only
        return (f"{analysis}: the computation failed on numbers too large to compute with",
                [Problem(where, f"{_shown(value)} is too large to compute with",
                         "use values of an ordinary size (e.g. a scale of 0 to 100)")
                 for where, value in found])
    what = "a number overflowed" if isinstance(err, ArithmeticError) else "an internal error"
    return (f"{analysis}: the computation failed ({what}; {details})",
            [Problem(f"analysis.{analysis}", f"{what} in {analysis}",
                     "try other options or a smaller scenario; if it persists, report it "
                     "with the scenario")])


def _shown(value: float) -> str:
    """A number for a message: 1e+400 as '1e+400', an int of 401 digits by its length."""
    if isinstance(value, int) and len(str(abs(value))) > 24:
        return f"a {len(str(abs(value)))}-digit number"
    return f"{value:g}"
