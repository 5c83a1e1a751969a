"""Commands that are not analyses: check, show, scenarios, models, schema, convert."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from detente.cli.common import ScenarioArg, app, console, reports_errors, write_new_file
from detente.models import REGISTRY
from detente.render import fmt
from detente.scenario import Scenario, embedded_scenarios, json_schema, load


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
    _show_mechanisms(s)


def _show_mechanisms(s: Scenario) -> None:
    """Who guarantees and verifies what, linked issues, package rules, walk-away points and
    guarantors' stakes (docs/scenario-format.md)."""
    who = Table(title="Guarantors and verifiers", title_justify="left")
    for col in ("issue", "delivered by", "verifies", "verified by (bands)", "strength"):
        who.add_column(col)
    for i in s.issues:
        ver = i.verifies
        bands = "; ".join(f"≤ {fmt(b.up_to)}: {', '.join(b.by)}" for b in ver.verifiers) \
            if ver else ""
        who.add_row(i.id, ", ".join(i.guarantors) or "nobody named (face value)",
                    ", ".join(ver.issues) if ver else "", bands,
                    f"{ver.strength.value:g}" if ver else "")
    console.print(who)
    if s.links:
        links = Table(title="Linked issues: actor values issue only with the condition",
                      title_justify="left")
        for col in ("actor", "issue", "needs", "weight", "note"):
            links.add_column(col)
        for x in s.links:
            links.add_row(x.actor, x.issue, f"{x.needs} at {fmt(x.target)}",
                          f"{x.weight.value:g}", x.note or "")
        console.print(links)
    for r in s.rules:
        def cond(c: Any) -> str:
            return f"{c.issue} {'≥' if c.at_least is not None else '≤'} " \
                f"{fmt(c.at_least if c.at_least is not None else c.at_most)}"
        console.print(f"rule: {cond(r.when)} requires {cond(r.then)}"
                      + (f" ({r.note})" if r.note else ""))
    for a in s.actors:
        w = a.walk_away
        if w is not None:
            what = f"package {w.package}" if w.package else f"utility {fmt(w.utility)}"
            console.print(f"walk-away point of {a.id}: {what}")
    for g, row in s.stakes.items():
        for iid, st in row.items():
            console.print(f"stake of {g} in guaranteeing {iid}: cost {fmt(st.cost.value)}, "
                          f"outside gain {fmt(st.outside_gain.value)} (utility points)")


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
    console.print("`detente sample -m settle` and `detente sensitivity -m settle` sample the "
                  "settlement analysis instead of a model (options as -O settle.step=10).")


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
