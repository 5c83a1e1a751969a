"""One typer command per registered analysis, generated from its spec.

Every option of :data:`detente.analyses.ANALYSES` becomes a flag with the spec's name,
default and help; every analysis also takes the counterfactual flags (``--without --add
--position --salience --capability --trust --guarantor --fix``), ``--format`` and
``--quiet`` (no progress on stderr); sampling analyses take ``--dask``. Values are checked
by the spec (every problem at once, exit 2), never by typer, so the CLI, the Python API
and the web refuse the same inputs with the same messages.
"""

from __future__ import annotations

import contextlib
import inspect
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from detente import (
    ANALYSES,
    VARIATION_FLAGS,
    AnalysisSpec,
    Option,
    OptionError,
    Problem,
    print_view,
    run,
    split_noise,
)
from detente.cli.common import (
    ScenarioArg,
    app,
    console,
    err_console,
    reports_errors,
)
from detente.cli.progress import BAR_DELAY_S, Activity

#: Parameter names of the counterfactual flags (``--without`` → ``cf_without``): a prefix
#: no option of an analysis uses.
_CF = {flag: "cf_" + flag.lstrip("-") for flag in VARIATION_FLAGS}


def _keyword(name: str, annotation: Any, default: Any = None) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                             annotation=annotation)


def _option(name: str, kind: Any, flags: Sequence[str], help_text: str, metavar: str | None,
            default: Any = None) -> inspect.Parameter:
    """A keyword option, its default stated by its help text where it has one. The help is
    escaped: typer's rich help reads a bracket as markup, so an unescaped "[default: 10]"
    (Option.help_text) vanished from every analysis's --help."""
    return _keyword(name, Annotated[kind, typer.Option(
        *flags, help=escape(help_text), show_default=False, metavar=metavar)], default)


def option_parameter(o: Option) -> inspect.Parameter:
    """The typer parameter of one option. Numbers and choices are read as text where the
    spec must check them (typer would stop at the first problem, with its own wording)."""
    if o.argument:
        return _keyword(o.name, Annotated[str | None, typer.Argument(
            help=escape(o.help_text()), show_default=False, metavar=o.flag)])
    # Every number is read as text and parsed by the spec: typer would read a 400-digit
    # float as inf, and the refusal could not quote what the user wrote.
    kind = str
    flags = [f"{o.flag}/{o.off_flag}"] if o.off_flag else list(o.cli_flags)
    default: Any = None
    if o.multiple:
        annotation: Any = list[kind] | None  # type: ignore[valid-type]
    elif o.type is bool:
        annotation, default = bool | None if o.default is None else bool, o.default
    else:
        # Text checked by the spec, every problem at once ('abc' or a 400-digit number for a
        # float, '1e999' for an int, a choice outside the list), in the rule's own words.
        annotation = str | None
    return _option(o.name, annotation, flags, o.help_text(), o.metavar or None, default)


def _shared_parameter(o: Option) -> inspect.Parameter:
    """An option whose flag is also a counterfactual flag: repeatable text, split later."""
    flag = o.cli_flags[0]
    return _option(o.name, list[str] | None, o.cli_flags,
                   f"{o.help_text()} Also the counterfactual {flag} "
                   f"{VARIATION_FLAGS[flag].example}: {VARIATION_FLAGS[flag].help}", "TEXT")


#: The positional inputs of each kind of analysis (AnalysisSpec.inputs); targets are required.
_INPUTS: dict[str, list[inspect.Parameter]] = {
    "scenario": [_keyword("inputs", ScenarioArg)],
    "scenario+noise": [_keyword("inputs", ScenarioArg), _keyword("noise_items", Annotated[
        list[str] | None, typer.Argument(help="Noise items KIND=SPREAD that follow --noise "
                                         "without repeating it.", show_default=False,
                                         metavar="NOISE")])],
    "targets": [_keyword("inputs", Annotated[list[str], typer.Argument(
        help="`deu PATH` for a DEU III file, or scenario files that carry observed "
             "`outcomes`.", show_default=False, metavar="TARGETS")], inspect.Parameter.empty)],
}


def _engine_parameters(spec: AnalysisSpec) -> list[inspect.Parameter]:
    formats = spec.formats
    given_too = (" With " + " or ".join(f.flag for f in spec.files) + ": only when given."
                 if spec.files else "")
    # None: not given (the default format, unless a file is written: see make_command).
    out = [_option("output_format", str | None, ["--format", "-f"],
                   f"Output: {', '.join(formats)}. [default: {formats[0]}]{given_too}",
                   "[" + "|".join(formats) + "]")]
    # Files an analysis writes (plot -o FILE) or can also write (brief --pdf FILE): CLI
    # only, never over a file the user has unless --force says so.
    out += [_option(_file_parameter(f.flag), Path | None, [*filter(None, (f.flag, f.short))],
                    f.help_text(), "FILE", Path(f.default) if f.default else None)
            for f in spec.files]
    if overwrite := {f.force_flag for f in spec.files if f.force_flag}:  # FileOutput's flag
        out.append(_option(_FORCE, bool, [*overwrite], "Overwrite an existing file.", None,
                           False))
    # Every analysis takes --quiet: the sampling runs' bar and the others' spinner
    # (detente.cli.progress) both obey it.
    out.append(_option("quiet", bool, ["--quiet", "-q"], "No progress on stderr (none is "
                       "shown when stderr is not a terminal either).", None, False))
    if spec.long:
        out.append(_option("dask", str | None, ["--dask"], "Run the chunks on this Dask "
                           "distributed scheduler (tcp://host:8786).", None))
    return out


#: The parameter of --force (plot, report): a name no option of an analysis uses (validate
#: has its own --force).
_FORCE = "file_force"


def _file_parameter(flag: str) -> str:
    return "file_" + flag.lstrip("-").replace("-", "_")


def make_command(spec: AnalysisSpec) -> Callable[..., None]:
    """The typer command of one analysis."""
    shared = set(spec.extra.get("shares_flags", ()))

    def command(**kwargs: Any) -> None:
        output_format = kwargs.pop("output_format")
        if output_format is not None and output_format not in spec.formats:
            raise OptionError([Problem("--format", f"unknown format '{output_format}'",
                                       f"use {', '.join(spec.formats)}")])
        dask, quiet = kwargs.pop("dask", None), kwargs.pop("quiet", False)
        force = kwargs.pop(_FORCE, False)
        files = [(path, f) for f in spec.files
                 if (path := kwargs.pop(_file_parameter(f.flag))) is not None]
        for path, f in files:
            f.prepare(path, force)  # refused before a run that can take a while
        inputs, noise = kwargs.pop("inputs"), []
        if spec.inputs == "scenario+noise":
            # Noise items may follow the scenario (sample korea-2017 --noise position=10
            # salience=0.1) or stand before it: split_noise tells them apart.
            items = kwargs.pop("noise_items") or []
            inputs, noise = split_noise([inputs, *items] if inputs is not None else items)
        # The counterfactual flags, in the spelling run() reads with the options, every
        # problem of both at once ({"without": ["RU"]}); a flag an option takes too is
        # split from it below.
        edits = {flag[2:]: list(kwargs.pop(name) or []) for flag, name in _CF.items()
                 if flag not in shared}
        # Options left at None (or an empty list) take the spec's default.
        given = {k: v for k, v in kwargs.items() if v is not None and v != []}
        edits.update(spec.split_shared(given))
        if noise:
            given["noise"] = [*given.get("noise", []), *noise]
        label = spec.name
        executor: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
        if spec.long:
            # The sampling engine (scipy): loaded by the sampling runs only.
            from detente import dask_executor

            label = f"{spec.name} {given.get('model', spec.option('model').default)}"
            executor = dask_executor(dask)
        bar_after = BAR_DELAY_S if spec.long else None
        with Activity(label, quiet, bar_after=bar_after) as shown, executor as pool:
            # A sampling run counts its chunks on the bar; run() hands the step names on
            # only to an analysis that has steps.
            result = run(spec.name, inputs, edits, executor=pool,
                         progress=shown if spec.long else shown.step, **given)
            # Inside the display: a figure is drawn as it is written.
            written = [(path, f, f.write(result, path)) for path, f in files]
        # A file is the output, confirmed in one line on stdout; given --format too, the
        # result takes stdout and the line goes to stderr.
        for path, f, data in written:
            (err_console if output_format else console).print(
                f.save(path, data, force), soft_wrap=True, highlight=False, markup=False)
        if files and output_format is None:
            return
        output_format = output_format or spec.formats[0]
        if output_format == "table":
            print_view(result.view(), console)
        else:
            sys.stdout.write(result.text(output_format))
        sys.stdout.flush()

    parameters = [*[option_parameter(o) for o in spec.options if o.argument],
                  *_INPUTS[spec.inputs],  # after the positional options (plot KIND)
                  *[_shared_parameter(o) if set(o.cli_flags) & shared else option_parameter(o)
                    for o in spec.options if not o.argument],
                  # The counterfactual flags (repeatable text, split and checked later), less
                  # those an option of the same name takes (AnalysisSpec.split_shared).
                  *[_option(name, list[str] | None, [flag], VARIATION_FLAGS[flag].help,
                            VARIATION_FLAGS[flag].example) for flag, name in _CF.items()
                    if flag not in shared],
                  *_engine_parameters(spec)]
    command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    command.__name__ = spec.name
    command.__doc__ = spec.summary
    command.checks_options = True  # type: ignore[attr-defined]  # spec.check, see run()
    return reports_errors(command)


def register() -> None:
    """Add one command per analysis to the app."""
    for spec in ANALYSES.values():
        app.command(name=spec.name)(make_command(spec))


__all__ = ["make_command", "option_parameter", "register"]
