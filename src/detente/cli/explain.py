"""`detente explain`: why a stepwise model moved as it did, round by round.

The command is model-agnostic: it asks the chosen model for its
:meth:`detente.models.base.Model.explain` tables (``ExplainTable``: title, columns, rows,
notes) and renders them as text tables or JSON. A model plugs in by implementing that method.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table

from detente.cli.common import ScenarioArg, app, console, emit_json, reports_errors
from detente.cli.core import parse_model_option
from detente.errors import option_error
from detente.models import ExplainTable, get_model
from detente.scenario import load

EXPLAIN_FORMAT_VERSION = 1


class ExplainFormat(StrEnum):
    table = "table"
    json = "json"


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.2e}"
    return str(value)


def print_table(table: ExplainTable) -> None:
    out = Table(title=table.title, title_justify="left")
    for column in table.columns:
        out.add_column(column)
    for row in table.rows:
        out.add_row(*[_cell(v) for v in row])
    console.print(out)
    for note in table.notes:
        console.print(f"  {note}", soft_wrap=True)


@app.command()
@reports_errors
def explain(
    scenario: ScenarioArg = None,
    model: Annotated[str, typer.Option("--model", "-m", help="A stepwise model, e.g. bdm.")
                     ] = "bdm",
    issue: Annotated[str | None, typer.Option("--issue", "-i",
                     help="Issue id (default: the first issue).")] = None,
    round_number: Annotated[int, typer.Option("--round", "-r", min=1,
                            help="Round to explain, 1 = the first round of bargaining.")] = 1,
    option: Annotated[list[str] | None, typer.Option(
        "--option", "-O", help="Model option as MODEL.NAME=VALUE, e.g. bdm.preset=printed.")
    ] = None,
    output: Annotated[ExplainFormat, typer.Option("--format", "-f")] = ExplainFormat.table,
) -> None:
    """Show one round of a stepwise model: each actor's risk and the dyad table."""
    s = load(scenario)
    arrays = s.compile()
    issue_id = issue or arrays.issue_ids[0]
    if issue_id not in arrays.issue_ids:
        raise option_error("--issue", f"no issue '{issue_id}' in scenario {s.id}",
                           f"choose one of {', '.join(arrays.issue_ids)}")
    options = parse_model_option(option or [])
    unknown = sorted(set(options) - {model})
    if unknown:
        raise option_error("--option", f"options given for model '{unknown[0]}', which is not "
                           f"the model explained ({model})", f"write {model}.NAME=VALUE")
    chosen = get_model(model, **options.get(model, {}))
    tables = chosen.explain(arrays, arrays.issue_ids.index(issue_id), round_number)
    if output is ExplainFormat.json:
        emit_json({"format": "detente.explain", "version": EXPLAIN_FORMAT_VERSION,
                   "scenario": s.id, "model": model, "options": chosen.options_dict(),
                   "issue": issue_id, "round": round_number,
                   "tables": [t.to_dict() for t in tables]})
        return
    units = s.issue(issue_id).units
    console.print(f"[bold]{s.title}[/]: {model}, issue {issue_id} ({s.issue(issue_id).name}), "
                  f"round {round_number}; positions in {units or 'issue units'}")
    for table in tables:
        print_table(table)
