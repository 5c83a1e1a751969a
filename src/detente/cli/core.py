"""Core commands: forecast, check, show, scenarios, models, schema, convert."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.table import Table

from detente.cli.common import (
    ScenarioArg,
    app,
    console,
    emit_json,
    fmt,
    reports_errors,
    write_new_file,
)
from detente.forecast import Forecast
from detente.forecast import forecast as run_forecast
from detente.models import DEFAULT_MODELS, REGISTRY
from detente.scenario import embedded_scenarios, json_schema, load


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"




def parse_model_option(items: list[str]) -> dict[str, dict[str, object]]:
    """Parse ``--option model.key=value`` pairs, each value read by the option's declared type.

    ``no`` stays the string ``"no"`` for a choice and means false for a true/false option
    (see :meth:`detente.models.base.Model.parse_option`).
    """
    from detente.errors import option_error

    out: dict[str, dict[str, object]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        model, dot, name = key.partition(".")
        if not sep or not dot:
            raise option_error("--option", f"'{item}' is not MODEL.NAME=VALUE",
                               "write e.g. --option nash.utility=linear")
        info = REGISTRY.get(model)
        # An unknown model is kept as text: get_model names it with the registered ones.
        out.setdefault(model, {})[name] = (info.model.parse_option(name, value)
                                           if info is not None else value)
    return out


@app.command()
@reports_errors
def forecast(
    scenario: ScenarioArg = None,
    model: Annotated[list[str] | None, typer.Option("--model", "-m",
                     help="Model name; repeat for several (default: compromise, median, nash)."
                     )] = None,
    option: Annotated[list[str] | None, typer.Option(
        "--option", "-O", help="Model option as MODEL.NAME=VALUE, e.g. nash.utility=linear.")
    ] = None,
    output: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
    seed: Annotated[int, typer.Option(help="Seed for stochastic models.")] = 0,
) -> None:
    """Forecast each issue with several models side by side."""
    result = run_forecast(scenario, models=model or list(DEFAULT_MODELS),
                          options=parse_model_option(option or []), rng=seed)
    if output is OutputFormat.json:
        emit_json(result.to_dict())
        return
    if output is OutputFormat.csv:
        sys.stdout.write(result.to_csv())
        return
    s = result.scenario
    table = Table(title=f"{s.title} — forecasts", title_justify="left")
    table.add_column("Issue")
    table.add_column("Status quo", justify="right")
    for name in result.results:
        table.add_column(name, justify="right")
    first = next(iter(result.results))
    table.add_column(f"Nearest anchor ({first})")
    values = {name: result.values(name) for name in result.results}
    for issue in s.issues:
        row = [f"{issue.id}  {issue.name}", fmt(issue.status_quo.value)]
        row += [fmt(values[name][issue.id]) for name in result.results]
        anchor = issue.nearest_anchor(values[first][issue.id])
        row.append(f"'{anchor.label}'" if anchor else "")
        table.add_row(*row)
    console.print(table)
    for name in result.results:
        print_forecast_path(result, name)
    nash = result.results.get("nash")
    if nash is not None and "feasible" in nash.details:
        stuck = [iid for iid, ok in zip(s.issue_ids, nash.details["feasible"], strict=True)
                 if not ok]
        if stuck:
            console.print(f"nash: no single-issue move leaves every stakeholder better off on "
                          f"{', '.join(stuck)} (status quo kept); see `detente settle` for "
                          "package deals.")


def print_forecast_path(result: Forecast, name: str) -> None:
    """For a stepwise model: a table of the forecast after each round, rounds as rows."""
    path = result.forecast_path(name)
    if not path:
        return
    issues = list(path)
    console.print(f"{name} — forecast per round (round 0 = the input positions)")
    table = Table()
    table.add_column("round", justify="right")
    for iid in issues:
        table.add_column(iid, justify="right")
    longest = max(len(values) for values in path.values())
    for k in range(longest):
        table.add_row(str(k), *[f"{path[iid][k]:.2f}" if k < len(path[iid]) else ""
                                for iid in issues])
    stopped = result.results[name].details.get("stopped")
    if stopped is not None:
        table.add_row("stopped", *["yes" if bool(flag) else "cap"
                                   for flag in np.asarray(stopped).reshape(-1)])
    console.print(table)


@app.command()
@reports_errors
def check(file: Annotated[str, typer.Argument(help="Scenario file to validate.")]) -> None:
    """Validate a scenario file without running anything."""
    s = load(file)
    console.print(f"{file}: ok — {len(s.actors)} actors, {len(s.issues)} issues, "
                  f"{sum(len(r) for r in s.stances.values())} stances, "
                  f"{len(s.packages)} packages")


@app.command()
@reports_errors
def scenarios() -> None:
    """List the embedded scenarios."""
    table = Table(title="Embedded scenarios", title_justify="left")
    table.add_column("id")
    table.add_column("title")
    table.add_column("as of")
    table.add_column("actors × issues", justify="right")
    for sid in embedded_scenarios():
        s = load(sid)
        table.add_row(sid, s.title, str(s.as_of or ""), f"{len(s.actors)} × {len(s.issues)}")
    console.print(table)


@app.command()
@reports_errors
def show(scenario: ScenarioArg = None) -> None:
    """Print a scenario's actors, issues and stances."""
    s = load(scenario)
    console.print(f"[bold]{s.title}[/] ({s.id}, as of {s.as_of or 'n/a'})")
    if s.description:
        console.print(s.description)
    actors = Table(title="Actors", title_justify="left")
    for col in ("id", "name", "capability", "veto", "note"):
        actors.add_column(col)
    for a in s.actors:
        actors.add_row(a.id, a.name, fmt(a.capability.value), "yes" if a.veto else "no",
                       a.capability.note or a.note or "")
    console.print(actors)
    issues = Table(title="Issues", title_justify="left")
    for col in ("id", "name", "scale", "status quo", "anchors"):
        issues.add_column(col)
    for i in s.issues:
        anchors = "; ".join(f"{fmt(a.value)} {a.label}" for a in i.anchors)
        issues.add_row(i.id, i.name, f"{fmt(i.scale.low)}–{fmt(i.scale.high)} {i.units}",
                       fmt(i.status_quo.value), anchors)
    console.print(issues)
    stances = Table(title="Stances: position / salience", title_justify="left")
    stances.add_column("actor")
    for i in s.issues:
        stances.add_column(i.id, justify="right")
    for a in s.actors:
        row = s.stances.get(a.id, {})
        cells = [f"{fmt(row[i.id].position.value)} / {row[i.id].salience.value:.2f}"
                 if i.id in row else "–" for i in s.issues]
        stances.add_row(a.id, *cells)
    console.print(stances)
    if s.trust:
        trust = Table(title="Trust: row believes column", title_justify="left")
        trust.add_column("")
        arrays = s.compile()
        for g in arrays.guarantor_ids:
            trust.add_column(g, justify="right")
        for k, a in enumerate(arrays.actor_ids):
            trust.add_row(a, *[f"{v:.2f}" for v in arrays.trust[k]])
        console.print(trust)
    for p in s.packages:
        values = ", ".join(f"{k} {fmt(v.value)}" for k, v in p.values.items())
        console.print(f"package [bold]{p.id}[/] {p.name}: {values}")


@app.command()
def models() -> None:
    """List the registered models with their references and options."""
    import dataclasses

    table = Table(title="Registered models", title_justify="left")
    for col in ("name", "title", "deterministic", "stepwise", "options", "reference"):
        table.add_column(col)
    for info in REGISTRY.values():
        opts = ", ".join(f"{f.name}={f.default!r}" for f in dataclasses.fields(info.model.Options))
        table.add_row(info.name, info.title, "yes" if info.deterministic else "no",
                      "yes" if info.stepwise else "no", opts, info.reference)
    console.print(table)


@app.command()
@reports_errors
def schema(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")
                      ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Print the JSON Schema of the scenario format (for editors and validators)."""
    import json

    text = json.dumps(json_schema(), indent=2)
    if output is None:
        sys.stdout.write(text + "\n")
    else:
        write_new_file(output, text + "\n", force)
        console.print(f"wrote {output}")


@app.command()
@reports_errors
def convert(
    source: Annotated[str, typer.Argument(help="Scenario, KTAB CSV or BDM table.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output .yaml or .json file.")],
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Convert a scenario or an imported table to YAML (or JSON); never overwrites by default."""
    s = load(source)
    text = s.to_json() if output.suffix.lower() == ".json" else s.to_yaml()
    write_new_file(output, text, force)
    console.print(f"wrote {output}")
