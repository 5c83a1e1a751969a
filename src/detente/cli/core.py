"""Commands that are not analyses: check, show, scenarios, models, schema, convert."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from detente import (
    json_schema,
    load,
    models_view,
    print_view,
    scenario_view,
    scenarios_view,
    write_atomic,
)
from detente.cli.common import ScenarioArg, app, console, reports_errors


@app.command()
@reports_errors
def check(file: Annotated[str, typer.Argument(help="Scenario file to validate.",
                                              metavar="FILE")]) -> None:
    """Validate a scenario file without running anything."""
    # print, not rich: a file name is printed whole, its [brackets] no style, never wrapped.
    print(f"{file}: ok — {load(file).size_text()}")


@app.command()
@reports_errors
def scenarios() -> None:
    """List the embedded scenarios."""
    print_view(scenarios_view(), console)


@app.command()
@reports_errors
def show(scenario: ScenarioArg = None) -> None:
    """Print a scenario's actors, issues and stances."""
    print_view(scenario_view(load(scenario)), console)


@app.command()
def models() -> None:
    """List the registered models with their references and options."""
    print_view(models_view(), console)


@app.command()
@reports_errors
def schema(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")
                      ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Print the JSON Schema of the scenario format (for editors and validators)."""
    text = json.dumps(json_schema(), indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        write_atomic(output, text, force=force)
        print(f"wrote {output}")


@app.command()
@reports_errors
def convert(
    source: Annotated[str, typer.Argument(help="Scenario, KTAB CSV or BDM table.",
                                          metavar="SOURCE")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output .yaml or .json file.")],
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Convert a scenario or an imported table to YAML (or JSON); never overwrites by default."""
    text = load(source).text_for(output)
    write_atomic(output, text, force=force)
    print(f"wrote {output}")
