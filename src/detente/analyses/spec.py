"""What an analysis is: its options (declared once) and how to run and show it.

Pure data: nothing here imports typer, FastAPI or rich. The CLI builds its commands, the
web its parameter list and the report its settings from these declarations, so a default,
a bound or a choice lives in exactly one place.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Protocol, cast

from detente.atomic import check_writable, write_atomic
from detente.errors import (
    OptionError,
    Problem,
    as_written,
    flag_name,
    non_finite_text,
    option_help,
    option_place,
    option_text,
    read_number,
    switch_either,
)
from detente.view import View

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


def _bound(x: float) -> str:
    """A bound as written: 1000000, not the 1e+06 of ``:g`` (which keeps 0.5 as it is)."""
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


class ReadValue(Protocol):
    """A type an option reads by its own rule, beyond int, float, str and bool (the grid
    step: ``2.5`` issue units or ``5%`` of each issue's scale): ``parse`` raises ValueError
    with the refusal; ``str(value)`` writes a value back as a user types it, ``to_json()``
    as JSON data."""

    RULE: str  # what a valid value is ("a percent ... or a finite number above 0")
    METAVAR: str  # how --help names the value
    def parse(self, value: object) -> Any: ...

    def fix(self) -> str:
        """How to write one, as the interface showing the refusal names the option."""
        ...

    def to_json(self) -> Any: ...


_PLAIN_TYPES = (int, float, str, bool)


@dataclass(frozen=True)
class Held:
    """The value a server (the workbench) holds an option to: it never takes the option
    from a request, whose sender does not own the machine the analysis runs on."""

    value: Any


#: A file named by a path on the machine that runs the analysis: a server reads no file but
#: its own, so the analysis takes its default (the scenario's own outcomes, the shipped
#: combination, the same scenario).
PATH_ON_THE_MACHINE = Held(None)
#: The machine's processes: a served job runs in one.
ONE_PROCESS = Held(1)


@dataclass(frozen=True)
class Option:
    """One option of an analysis.

    ``name``: the Python keyword (and, dashed, the long CLI flag). ``type``: int, float,
    str or bool, or a type read by its own rule (:class:`ReadValue`, the grid step); with
    ``multiple`` the value is a tuple of them (a repeatable flag).
    ``default``: the one default; None means "automatic", which ``help`` explains.
    ``low``/``high``: inclusive bounds unless ``low_open``/``high_open``. ``choices``: the
    allowed strings. ``flags``: the CLI spelling when it is not ``--name`` (first = long
    flag; e.g. ("--samples", "-n")); ``negative``: the off-flag of an optional bool
    (``--no-count``). ``unit``: of a number, shown in help and tables.
    """

    name: str
    type: type
    default: Any
    help: str
    unit: str = ""
    choices: tuple[str, ...] = ()
    low: float | None = None
    low_open: bool = False
    high: float | None = None
    high_open: bool = False
    multiple: bool = False
    flags: tuple[str, ...] = ()
    negative: str = ""
    label: str = ""  # what messages call it ("grid step"); default: the name in words
    #: Given on the command line as the first positional word (``plot KIND``), named by its
    #: one flag (``KIND``) in messages; a keyword like any option elsewhere.
    argument: bool = False
    #: Values a user may expect among the choices but that this option does not take, each
    #: with a function giving the refusal's message and fix (why not, what to use
    #: instead), worded when refused, as the interface showing it names options.
    not_taken: tuple[tuple[str, Callable[[], tuple[str, str]]], ...] = ()
    #: What a server holds the option to, never taking it from a request (a path on its
    #: machine, its processes); None: a request may give it.
    held: Held | None = None

    @property
    def reader(self) -> ReadValue | None:
        """The type's own rule where it has one (:class:`ReadValue`), else None."""
        return None if self.type in _PLAIN_TYPES else cast(ReadValue, self.type)

    @property
    def what(self) -> str:
        return self.label or self.name.replace("_", " ")

    @property
    def why_held(self) -> str:
        """Why a served request may not give the option (:attr:`held`)."""
        return f"the workbench sets {self.name} itself"

    @property
    def cli_flags(self) -> tuple[str, ...]:
        return self.flags or ("--" + self.name.replace("_", "-"),)

    @property
    def flag(self) -> str:
        """The long flag, used to locate problems (``--step``)."""
        return self.cli_flags[0]

    @property
    def place(self) -> str:
        """Where a problem with the option is located, as the interface showing it places
        it (:func:`detente.errors.option_place`): the flag (``--round``, the argument's
        ``KIND``) on the command line, the declared name (``params.round_number``,
        ``params.kind``) on the workbench, whatever the flag is."""
        return option_place(self.name, self.flag)

    def said(self, value: object = None) -> str:
        """The option named in a message, with ``value`` to give, as the interface showing
        it writes it (:func:`detente.errors.option_text`): ``--step 5%``, ``step=5%``."""
        return option_text(self.name, value, self.flag)

    @property
    def off_flag(self) -> str:
        """The flag that turns a bool off (``--no-count``): a bool that is on or unset by
        default needs one; "" where there is none."""
        if self.type is not bool or (self.default is False and not self.negative):
            return ""
        return self.negative or "--no-" + self.flag[2:]

    @property
    def metavar(self) -> str:
        """How ``--help`` names the value: ``[a|b]`` for choices, else its type ("" for a
        bool, which takes none)."""
        if self.choices:
            return "[" + "|".join(self.choices) + "]"
        if self.reader is not None:
            return self.reader.METAVAR
        return {int: "INTEGER", float: "NUMBER", str: "TEXT", bool: ""}[self.type]

    def words(self, value: Any) -> list[str]:
        """``value`` as command-line words (``--step 25``; ``--no-count``; a repeated flag
        for each item of a multiple option), so that a mapping of options can be run at the
        command line as written."""
        if self.argument:
            return [self._show(value)]
        if self.type is bool:
            return [self.flag] if value else [self.off_flag] if self.off_flag else []
        items = value if self.multiple and not isinstance(value, str) else (value,)
        return [word for item in items for word in (self.flag, self._show(item))]

    def rule(self) -> str:
        """What a valid number is: "a whole number from 1 to 1000", "a finite number above
        0", "a number from 0 to 1" (bounded on both sides, so finite goes without saying);
        a type with its own rule says it."""
        if self.reader is not None:
            return self.reader.RULE
        kind = "a whole number" if self.type is int else \
            "a number" if self.high is not None else "a finite number"
        if (self.low is not None and self.high is not None and not self.low_open
                and not self.high_open):
            return f"{kind} from {_bound(self.low)} to {_bound(self.high)}"
        bounds = self.bounds_text()
        return f"{kind} {bounds}" if bounds else kind

    def bounds_text(self) -> str:
        parts = []
        if self.low is not None:
            parts.append(f"{'above' if self.low_open else 'at least'} {_bound(self.low)}")
        if self.high is not None:
            parts.append(f"{'below' if self.high_open else 'at most'} {_bound(self.high)}")
        return " and ".join(parts)

    def default_text(self) -> str:
        """The default as a user writes it ("" when there is none to show)."""
        if self.default is None or self.default == ():
            return ""
        if isinstance(self.default, tuple):
            return ", ".join(str(x) for x in self.default)
        return self._show(self.default)

    def help_text(self) -> str:
        """Help with the unit, choices, bounds and default spelled out (``--help``)."""
        parts = [self.help]
        if self.unit:
            parts.append(f"Unit: {self.unit}.")
        if self.choices:
            parts.append(f"Choices: {', '.join(self.choices)}.")
        if self.bounds_text():
            parts.append(f"Must be {self.bounds_text()}.")
        if self.default_text():
            parts.append(f"[default: {self.default_text()}]")
        return " ".join(parts)

    def _example(self) -> str:
        if self.reader is not None:
            return self.reader.fix()
        if self.choices:
            return f"one of {', '.join(self.choices)}"
        if self.default is not None and not self.multiple:
            return f"give e.g. {self.said(self._show(self.default))}"
        return f"see {option_help(self.name, self.flag)}"

    @staticmethod
    def _show(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        return f"{value:g}" if isinstance(value, float) else str(value)

    def _one(self, value: Any) -> tuple[Any, Problem | None]:
        """Coerce one value (a string from the web or a query is read as the type)."""
        where = self.place
        if self.reader is not None:
            return self._read(self.reader, value)
        if self.type is bool:
            if isinstance(value, bool):
                return value, None
            # The number 1 or 0 reads as its text "1" or "0" does: a form or a query sends
            # one, a JSON request the other, and both mean the same switch.
            if isinstance(value, int | float) and value in (0, 1):
                value = str(int(value))
            if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
                return value.strip().lower() in _TRUE, None
            either = switch_either(self.name, self.flag, self.off_flag or None)
            return None, Problem(where, f"expected true or false (or 1 or 0), got {value!r}",
                                 f"write {either}")
        if self.type in (int, float):
            number: float | int | None = None
            try:
                if isinstance(value, bool):
                    raise ValueError
                if self.type is int:
                    if isinstance(value, float) and not value.is_integer():
                        raise ValueError
                    number = int(str(value).strip()) if isinstance(value, str) else int(value)
                else:
                    number = float(value)
            except (TypeError, ValueError, OverflowError):
                number = None
            # An int is always finite (math.isfinite overflows on one past 1e308).
            # Quoted as written where it was text (a 400-digit number reads as inf).
            if isinstance(number, float) and not math.isfinite(number):
                return None, not_finite(self.place, value if isinstance(value, str) else number,
                                        self.rule(), self.said())
            # One message for every other way a number can be wrong (not a number, out of
            # bounds), worded as the rule itself.
            if number is None or not self._within(number):
                # Every digit of a float (1.0000001, not :g's 1, beside "at most 1").
                shown = as_written(number) if isinstance(number, float) else repr(value) \
                    if number is None else str(number) if len(str(number)) <= 24 \
                    else f"a {len(str(number))}-digit number"
                return None, Problem(where, f"{self.what} must be {self.rule()}, got {shown}",
                                     self._example())
            return number, None
        text = value if isinstance(value, str) else None
        if text is None:
            return None, Problem(where, f"expected text, got {value!r}", self._example())
        if self.choices and text not in self.choices:
            why = dict(self.not_taken).get(text)
            if why is not None:
                return None, Problem(where, *why())
            return None, Problem(where, f"unknown {self.what} '{text}'",
                                 _near(text, self.choices) + f"use {', '.join(self.choices)}")
        return text, None

    def _read(self, reader: ReadValue, value: Any) -> tuple[Any, Problem | None]:
        """One value of a type with its own rule; a non-finite number is refused by the one
        finiteness rule first, in its one wording."""
        # The finiteness rule holds for a type with its own rule too.
        number = read_number(value)
        if number is not None and not math.isfinite(number):
            return None, not_finite(self.place, value if isinstance(value, str) else number,
                                    self.rule(), self.said())
        try:
            return reader.parse(value), None
        except ValueError as err:
            return None, Problem(self.place, str(err), self._example())

    def _within(self, x: float) -> bool:
        if self.low is not None and (x <= self.low if self.low_open else x < self.low):
            return False
        return not (self.high is not None and (x >= self.high if self.high_open
                                               else x > self.high))

    def plain(self, value: Any) -> Any:
        """``value`` (checked) as JSON data: a value of a type with its own rule by its
        ``to_json`` (``"5%"``), any other as it is."""
        return value.to_json() if self.reader is not None and value is not None else value

    def check(self, value: Any) -> tuple[Any, list[Problem]]:
        """The value coerced to the option's type, and every problem with it."""
        if value is None:
            return None, []
        if self.multiple:
            # A lone value (a number a request sent where a list goes) is one item, checked
            # as such, never iterated (list(5) raised: a 500 on the workbench).
            items = list(value) if isinstance(value, list | tuple) else [value]
            out, problems = [], []
            for item in items:
                v, p = self._one(item)
                # A repeat was listed or run twice (settle -p SWAP -p SWAP): refused as a
                # repeated counterfactual is, not dropped without a word.
                if p is None and v in out:
                    p = Problem(self.place, f"{self._show(v)} is given twice",
                                f"give each {self.what} once")
                out.append(v)
                if p:
                    problems.append(p)
            return tuple(out), problems
        v, p = self._one(value)
        return v, [p] if p else []

    def public(self) -> dict[str, Any]:
        """The declaration as plain data (for ``/api/info`` and the docs)."""
        default = list(self.default) if isinstance(self.default, tuple) else \
            self.plain(self.default)
        return {"name": self.name, "label": self.what, "type": self.type.__name__,
                "default": default,
                "help": self.help, "unit": self.unit, "choices": list(self.choices),
                "low": self.low, "low_open": self.low_open, "high": self.high,
                "high_open": self.high_open, "multiple": self.multiple,
                "flags": list(self.cli_flags)}


def not_finite(flag: str, value: float | str, rule: str = "a finite number",
               said: str = "") -> Problem:
    """The one finiteness rule of every interface, in its one wording: ``value`` as read,
    or as written where it was text (:func:`detente.errors.non_finite_text`); ``rule``: what
    the fix asks for (an option's :meth:`Option.rule`); ``said``: the option as the fix
    names it (:meth:`Option.said`; default ``flag``)."""
    message = non_finite_text(value) if isinstance(value, str) else \
        f"{value} is not a finite number"
    return Problem(flag, message, f"give {said or flag} {rule}")


def check_finite(values: Mapping[str, Any]) -> None:
    """Refuse ``inf``/``nan`` anywhere in ``values`` (a command's arguments by name, lists
    included), naming the option by its flag: ``--name`` with dashes, as every command
    spells a float option (tests/test_cli.py holds them to it).

    For options that no spec declares (``detente serve --time-limit``): a parser reads
    ``inf`` as a float like any other.
    """
    from detente.safeload import walk

    for name, value in values.items():
        bad = next((item for item, _, _ in walk(value)
                    if isinstance(item, float) and not math.isfinite(item)), None)
        if bad is not None:
            raise OptionError([not_finite(f"--{name.replace('_', '-')}", bad)])


def check_options(declared: tuple[Option, ...], options: Mapping[str, Any],
                  owner: str, at: str = "") -> dict[str, Any]:
    """``options`` checked against ``declared`` (the options of ``owner``, an analysis or
    the report): every one filled in (defaults for the missing), coerced and checked; every
    problem (unknown names too) is reported at once in one :class:`OptionError`, located
    by flag (``--step``; an unknown name as ``OWNER.NAME``), or with ``at`` as ``AT.NAME``
    (the workbench's ``params.step``)."""
    known = {o.name: o for o in declared}
    problems: list[Problem] = []
    for name in options:
        if name not in known:
            problems.append(Problem(
                f"{at or owner}.{name}", f"unknown option '{name}' for {owner}",
                _near(name, known) + f"options of {owner}: {', '.join(known) or 'none'}"))
    out: dict[str, Any] = {}
    for o in declared:
        value, found = o.check(options.get(o.name, o.default))
        if o.name in options and o.multiple and o.choices and o.default and value == ():
            found.append(_none_chosen(o))
        problems += [replace(p, location=f"{at}.{o.name}") for p in found] if at else found
        out[o.name] = value
    if problems:
        raise OptionError(problems)
    return out


def _none_chosen(option: Option) -> Problem:
    """An empty list given for a list of choices whose default is not empty (no model ticked
    on the page): refused rather than run as the default, which the caller did not ask for
    (where the default is empty, as ``--ignore``'s, an empty list is the default)."""
    return Problem(option.place, f"no {option.what} given: an empty list",
                   f"give at least one (of {', '.join(option.choices)}), or leave "
                   f"{option.said()} out for the default ({option.default_text()})")


def _near(name: str, known: Any) -> str:
    near = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"did you mean '{near[0]}'? " if near else ""


def split_model_option(item: str, flag: str = "--option") -> tuple[str, str, str]:
    """``MODEL.NAME=VALUE`` → (model, name, value); anything else is refused at ``flag``."""
    key, sep, value = item.partition("=")
    model, dot, name = key.partition(".")
    if not sep or not dot:
        raise OptionError([Problem(flag, f"'{item}' is not MODEL.NAME=VALUE", "write e.g. "
                                   f"{option_text('option', 'nash.utility=linear')}")])
    return model, name, value


def _nothing() -> None:
    return None


def _no_words(data: bytes) -> str:
    return ""


@dataclass(frozen=True)
class FileOutput:
    """A file an analysis writes (``plot -o figure.png``) or can also write (``brief --pdf
    FILE``); the command line only: the web writes no file named by a path.

    ``flag``: the CLI flag that names the file. ``write(run, path)``: the file's bytes from
    a finished run. ``ready()``: raises a DetenteError (naming the flag and the fix) when the
    writer cannot work here, so that the command refuses before a run that can take
    minutes. ``describe(data)``: what the one-line confirmation says after the path ("1
    page"; "" for nothing). A command given a file writes it and confirms it on stdout, as
    ``detente report -o`` does; the result goes to stdout too only when ``--format`` is
    given as well.
    """

    flag: str
    help: str
    write: Callable[[Any, Path], bytes]
    ready: Callable[[], None] = _nothing
    describe: Callable[[bytes], str] = _no_words
    short: str = ""
    #: The file written when the flag is not given (``plot -o figure.png``): the command's
    #: main output; "" for a file written only when asked for.
    default: str = ""
    #: Formats the file can be written in, told by the name's ending (none: any name).
    suffixes: tuple[str, ...] = ()
    #: Whether ``--force`` may overwrite an existing file (never, without it).
    overwrite: bool = False

    @property
    def force_flag(self) -> str | None:
        return "--force" if self.overwrite else None

    def help_text(self) -> str:
        """Help with what the command does with an existing file and the default name."""
        keeps = "Overwrites an existing file only with --force." if self.overwrite else \
            "Never overwrites an existing file."
        default = f" [default: {self.default}]" if self.default else ""
        return (f"{self.help} {keeps} Prints one line (the file, its size) instead of the "
                f"result unless --format is given too.{default}")

    def prepare(self, path: Path, force: bool) -> None:
        """Refuse, before a run that can take a while, a name that is taken (unless
        ``force`` and :attr:`overwrite`) or is a folder, a name whose ending names no format
        the file can be written in, and a writer that cannot work here (:attr:`ready`)."""
        check_writable(path, force and self.overwrite, flag=self.flag,
                       force_flag=self.force_flag)
        if self.suffixes and path.suffix.lower().lstrip(".") not in self.suffixes:
            listed = [f".{s}" for s in self.suffixes]
            raise OptionError([Problem(self.flag, f"cannot tell the format of '{path}'",
                                       f"end the file name in {', '.join(listed[:-1])} or "
                                       f"{listed[-1]}")])
        self.ready()

    def save(self, path: Path, data: bytes, force: bool) -> str:
        """Write ``data`` to ``path`` whole or not at all (never over a file unless ``force``
        and :attr:`overwrite`); the one-line confirmation: ``wrote brief.pdf (1 page, 84
        KiB)``."""
        write_atomic(path, data, force and self.overwrite, flag=self.flag,
                     force_flag=self.force_flag)
        size = f"{max(1, round(len(data) / 1024))} KiB"
        what = self.describe(data)
        return f"wrote {path} ({what + ', ' if what else ''}{size})"


#: How an analysis takes its positional input: one scenario; a scenario followed by noise
#: items (``sample korea-2017 position=10``); or validation targets (``deu PATH`` or files).
Inputs = Literal["scenario", "scenario+noise", "targets"]


@dataclass(frozen=True)
class AnalysisSpec:
    """One analysis, declared once.

    ``run(scenario, variation, **options)`` returns the library result (its ``to_dict()`` is
    the JSON contract of docs/json-format.md); ``view(result)`` its :class:`View`.
    ``counterfactual``: "apply" runs on the varied scenario; "beside" shows the variation
    next to the baseline (settle, roadmap). ``long``: a sampling run (progress bar, Dask).
    ``quick``: cheap options (a coarse grid, few samples, one process; a costly extra off
    where its own tests cover it); the tests run every analysis with them, so a new
    analysis joins every test walk with no test edit, and the docs may show them
    (``words``).
    """

    name: str
    title: str
    summary: str
    options: tuple[Option, ...]
    run: Callable[..., Any]
    view: Callable[[Any], View]
    inputs: Inputs = "scenario"
    counterfactual: Literal["apply", "beside"] = "apply"
    long: bool = False
    formats: tuple[str, ...] = ("table", "json", "csv")
    to_dict: Callable[[Any], dict[str, Any]] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: Files the command line can also write (see :class:`FileOutput`).
    files: tuple[FileOutput, ...] = ()
    quick: Mapping[str, Any] = field(default_factory=dict)
    #: Whether ``run`` takes ``progress(text)``, naming each step as it begins (the report:
    #: on the command line's spinner, on the workbench's progress line).
    steps: bool = False
    #: Whether the analysis searches packages (then ``--fix`` and ``--guarantor`` act on
    #: it); a function of the checked options where it depends on them (sample -m settle).
    package_search: bool | Callable[[Mapping[str, Any]], bool] = False
    #: The models a run with these (checked) options runs, those a combination adds
    #: included, for an analysis that takes model options (``option``: MODEL.NAME=VALUE):
    #: :meth:`check` refuses the options of any other model, which the run would ignore.
    models_run: Callable[[Mapping[str, Any]], Sequence[str]] | None = None
    #: For an analysis whose options set those of the analyses it runs (the report's
    #: ``set``), what :meth:`check` does with its checked options for a served request,
    #: given the analyses the server offers and where the request holds its options
    #: (``params``): reads the settings by those specs, refusing one that reaches an option
    #: the server holds, and adds the held values, so that the analyses it runs take them
    #: too; raises :class:`OptionError`.
    serve_settings: Callable[[dict[str, Any], Mapping[str, AnalysisSpec], str],
                             dict[str, Any]] | None = None
    #: The options a run on these inputs would ignore (validate's ``capability`` and
    #: ``weights`` weigh a DEU file's actors; scenario files carry their own), by name, each
    #: with why and the fix: :meth:`check`, given the inputs, refuses any of them given.
    ignored_on: Callable[[Sequence[Any]], Mapping[str, tuple[str, str]]] | None = None
    #: The scenario a counterfactual changes, given the input and the options as given,
    #: where it is not the input (compare's B, ``other``): what a counterfactual is checked
    #: against before the run (:func:`detente.analyses.read_invocation`).
    varies: Callable[[Any, Mapping[str, Any]], Any] | None = None

    @property
    def inputs_by_path(self) -> bool:
        """Whether its inputs are files named by path (validate's targets), not a scenario:
        a server, which reads no file by a request's path, cannot offer it."""
        return self.inputs == "targets"

    def held_values(self) -> dict[str, Any]:
        """The value a server holds each option to that it never takes from a request
        (:attr:`Option.held`)."""
        return {o.name: o.held.value for o in self.options if o.held is not None}

    def searches_packages(self, options: Mapping[str, Any]) -> bool:
        if callable(self.package_search):
            return bool(self.package_search(options))
        return self.package_search

    def option(self, name: str) -> Option:
        for o in self.options:
            if o.name == name:
                return o
        raise KeyError(name)

    def words(self, options: Mapping[str, Any]) -> list[str]:
        """``options`` as the analysis's command-line words (see :meth:`Option.words`)."""
        ordered = sorted(options.items(), key=lambda item: not self.option(item[0]).argument)
        return [word for name, value in ordered for word in self.option(name).words(value)]

    def split_shared(self, given: dict[str, Any]) -> dict[str, list[str]]:
        """Tell apart the values of a flag that is both an option and a counterfactual
        (``extra["shares_flags"]``: validate's ``--capability council`` and ``--capability
        RU=60``): an edit has an '=' and is returned, by counterfactual name
        (``{"capability": ["RU=60"]}``); at most one plain value is the option, left in
        ``given``."""
        from detente.variation import FLAGS

        edits: dict[str, list[str]] = {}
        for flag in self.extra.get("shares_flags", ()):
            o = next(x for x in self.options if flag in x.cli_flags)
            values = given.pop(o.name, None) or []
            values = [values] if isinstance(values, str) else list(values)
            edits[flag_name(flag)] = [v for v in values if "=" in v]
            plain = [v for v in values if "=" not in v]
            if len(plain) > 1:
                raise OptionError([Problem(
                    flag, f"{flag} given {len(plain)} times ({', '.join(plain)})",
                    f"give one of {', '.join(o.choices)}; an edit looks like {flag} "
                    f"{FLAGS[flag].key}=VALUE")])
            if plain:
                given[o.name] = plain[0]
        return edits

    def declared_names(self) -> dict[str, str]:
        """Each option's declared name by its flag (``--round`` → ``round_number``, ``KIND``
        → ``kind``): what :func:`detente.errors.declaring` places a refusal by while the
        analysis is checked and run."""
        return {o.flag: o.name for o in self.options}

    def defaults(self) -> dict[str, Any]:
        return {o.name: o.default for o in self.options}

    def check(self, options: Mapping[str, Any], at: str = "",
              served: Mapping[str, AnalysisSpec] | None = None,
              inputs: Sequence[Any] | None = None) -> dict[str, Any]:
        """Every option filled in (defaults for the missing), coerced and checked; every
        problem (unknown names too) is reported at once in one :class:`OptionError` (located
        as :func:`check_options` says). Once those pass, the model options are read against
        the models the run runs: one naming another model is refused at ``option`` (its
        flag, or ``AT.option``); given the ``inputs``, an option given that they would
        ignore (:attr:`ignored_on`) is refused at the option.

        ``served``: where a server runs the request, the analyses it offers (with its own
        bounds). An option it holds (:attr:`Option.held`) is refused if given, as unknown
        to what the request may set, and takes its held value; the settings of the
        analyses this one runs are read likewise (:attr:`serve_settings`)."""
        held = self.held_values() if served is not None else {}
        refused = [Problem(f"{at or self.name}.{name}", f"unknown option '{name}' for "
                           f"{self.name}", self.option(name).why_held)
                   for name in options if name in held]
        try:
            checked = check_options(self.options, {name: value for name, value
                                                   in options.items() if name not in held},
                                    self.name, at)
            not_run = self._options_not_run(checked, at)
            if inputs is not None and self.ignored_on is not None:
                not_run += [Problem(f"{at}.{name}" if at else self.option(name).place, why,
                                    fix)
                            for name, (why, fix) in self.ignored_on(inputs).items()
                            if name in options]
            if not_run:
                raise OptionError(not_run)
            if served is not None and self.serve_settings is not None:
                checked = self.serve_settings(checked, served, at)
        except OptionError as err:
            raise OptionError([*refused, *err.problems]) from err
        if refused:
            raise OptionError(refused)
        return {**checked, **held}

    def _options_not_run(self, checked: Mapping[str, Any], at: str) -> list[Problem]:
        if self.models_run is None:
            return []
        where = f"{at}.option" if at else self.option("option").place
        named = dict.fromkeys(split_model_option(item, where)[0]
                              for item in checked.get("option") or ())
        if not named:
            return []
        ran = self.models_run(checked)
        model = self.option("model")
        chosen = checked["model"] if model.multiple else (checked["model"],)
        return [Problem(where,
                        f"{self.name} runs {', '.join(ran)}, not {name}: options of {name} "
                        "would change nothing", self._not_run_fix(name, chosen, ran))
                for name in named if name not in ran]

    def _not_run_fix(self, name: str, chosen: Sequence[str], ran: Sequence[str]) -> str:
        model = self.option("model")
        if name in chosen:  # combined: a mixture of other models, with no options of its own
            return f"give the options to the models {name} runs, e.g. {ran[0]}.NAME=VALUE"
        return f"leave out the options of {name}" + (
            f", or run it ({model.said(name)})" if name in model.choices else "")

    def public(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "summary": self.summary,
                "counterfactual": self.counterfactual,
                "options": [o.public() for o in self.options]}


__all__ = ["ONE_PROCESS", "PATH_ON_THE_MACHINE", "AnalysisSpec", "FileOutput", "Held", "Inputs",
           "Option", "ReadValue", "check_finite", "check_options", "not_finite",
           "split_model_option"]
