"""Settlement commands: `detente settle` and `detente contributions`."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from detente.cli.common import (
    GuarantorOpt,
    ScenarioArg,
    TrustOpt,
    WithoutOpt,
    app,
    console,
    emit_json,
    fmt,
    reports_errors,
)


class Format(StrEnum):
    table = "table"
    json = "json"


class Utility(StrEnum):
    quadratic = "quadratic"
    linear = "linear"


class Losses(StrEnum):
    discounted = "discounted"
    certain = "certain"


class Weighting(StrEnum):
    capability = "capability"
    equal = "equal"


class SearchMethod(StrEnum):
    auto = "auto"
    brute = "brute"
    bnb = "bnb"
    milp = "milp"


class ContributionValue(StrEnum):
    nash = "nash"
    size = "size"


StepOpt = Annotated[float | None, typer.Option(
    "--step", help="Grid step in issue units for issues without listed options [default: 5].")]
UtilityOpt = Annotated[Utility, typer.Option("--utility", help="Distance loss per issue.")]
CorrelationOpt = Annotated[float, typer.Option(
    "--correlation", help="How the deliverers' failures correlate: 0 independent, 1 together.")]
LossesOpt = Annotated[Losses, typer.Option(
    "--losses", help="Moves an actor loses from: discounted by its distrust like promises, "
    "or certain.")]
WeightingOpt = Annotated[Weighting, typer.Option("--weighting",
                                                 help="Exponents of the Nash product.")]
MethodOpt = Annotated[SearchMethod, typer.Option(
    "--method", help="Package search: auto (brute force for small spaces, MILP for large "
    "ones), brute, bnb, milp (HiGHS).")]
MaxPackagesOpt = Annotated[int | None, typer.Option(
    "--max-packages", help="The most packages one search may evaluate; a larger search is "
    "refused with its estimate [default: 5e7].", show_default=False)]
FormatOpt = Annotated[Format, typer.Option("--format", "-f")]


def _gain(value: float) -> str:
    return f"{value:+.2f}"


def _values_line(values: dict[str, float], status_quo: dict[str, float]) -> str:
    moved = [f"{k} {fmt(v)}" for k, v in values.items() if abs(v - status_quo[k]) > 1e-9]
    return ", ".join(moved) or "status quo"


@app.command()
@reports_errors
def settle(
    scenario: ScenarioArg = None,
    package: Annotated[list[str] | None, typer.Option(
        "--package", "-p", help="Named package to analyse; repeat for several (default all).")
    ] = None,
    without: WithoutOpt = None,
    trust: TrustOpt = None,
    guarantor: GuarantorOpt = None,
    fix: Annotated[list[str] | None, typer.Option(
        "--fix", help="Counterfactual: fix an issue for the search, e.g. NUC=50.")] = None,
    separately: Annotated[bool, typer.Option(
        "--separately", help="Show each counterfactual change on its own column "
        "(default: all changes together).")] = False,
    top: Annotated[int, typer.Option("--top", "-n", help="Pareto-efficient packages to list.")
                   ] = 5,
    step: StepOpt = None,
    utility: UtilityOpt = Utility.quadratic,
    correlation: CorrelationOpt = 0.0,
    losses: LossesOpt = Losses.discounted,
    weighting: WeightingOpt = Weighting.capability,
    method: MethodOpt = SearchMethod.auto,
    count: Annotated[bool | None, typer.Option(
        "--count/--no-count", help="Count the zone's packages [default: when the space has "
        "at most 2e9 packages].", show_default=False)] = None,
    max_packages: MaxPackagesOpt = None,
    output: FormatOpt = Format.table,
) -> None:
    """Which packages every veto player accepts: zone of agreement, best and smallest deals,
    the scenario's named packages (who blocks, what wins them over), counterfactuals."""
    from detente.settlement import settle as run_settle
    from detente.settlement import variation
    from detente.settlement.search import MAX_PACKAGES

    change = variation(without=without or [], trust=trust or [], guarantors=guarantor or [],
                       fix=fix or [])
    variations = change.split() if separately else [change]
    result = run_settle(scenario, variations=variations, packages=package or None,
                        step=step, utility=utility.value, correlation=correlation,
                        losses=losses.value, weighting=weighting.value, top=top,
                        method=method.value, count=count,
                        max_packages=MAX_PACKAGES if max_packages is None else max_packages)
    if output is Format.json:
        emit_json(result.to_dict())
        return
    _print_settlement(result)


def _print_settlement(result) -> None:  # type: ignore[no-untyped-def]
    from detente.settlement.search import format_count

    s = result.scenario
    status_quo = {i.id: i.status_quo.value for i in s.issues}
    console.print(f"[bold]{s.title}[/] — settlement design  (grid step {fmt(result.step)}, "
                  f"{result.settings.utility} loss, deliverer correlation "
                  f"{result.settings.correlation:g}, losses {result.settings.losses}, "
                  f"{result.weighting}-weighted Nash product)")
    console.print("Gains are in utility points over the status quo (a package's utility "
                  "lies in −100..0); a veto player accepts a package when its gain is above 0.")

    summary = Table(title="Zone of agreement", title_justify="left")
    summary.add_column("")
    for o in result.outcomes:
        summary.add_column(o.label)
    rows: list[tuple[str, list[str]]] = [
        # format_count: exact Python ints past 10^308 would overflow a float format
        ("packages searched", [format_count(o.space_size) for o in result.outcomes]),
        ("zone", ["empty" if not o.zone_exists else "not empty" for o in result.outcomes]),
        ("zone size", ["–" if o.zone_size is None else f"{o.zone_size:,}"
                       for o in result.outcomes]),
        ("best Nash package", [_values_line(o.best.values, status_quo) if o.best else "–"
                               for o in result.outcomes]),
        ("  Nash product", [f"{o.best.nash:.2f}" if o.best else "–" for o in result.outcomes]),
        ("max-min package", [_values_line(o.max_min.values, status_quo) if o.max_min else "–"
                             for o in result.outcomes]),
        ("  smallest gain", [f"{o.max_min.min_gain:.2f}" if o.max_min else "–"
                             for o in result.outcomes]),
        ("smallest accord", [_values_line(o.smallest.values, status_quo) if o.smallest
                             else "–" for o in result.outcomes]),
    ]
    for p in result.baseline.packages:
        cells = []
        for o in result.outcomes:
            try:
                a = o.package(p.id)
            except KeyError:
                cells.append("–")
                continue
            cells.append("acceptable" if a.acceptable else "blocked by " + ", ".join(a.blockers))
        rows.append((f"{p.id} {p.name}", cells))
    rows.append(("search", [f"{o.method}, {o.seconds:.1f} s" for o in result.outcomes]))
    for label, cells in rows:
        summary.add_row(label, *cells)
    console.print(summary)

    for o in result.outcomes:
        _print_outcome(o, s, status_quo, show_label=len(result.outcomes) > 1)


def _print_outcome(o, s, status_quo, show_label: bool) -> None:  # type: ignore[no-untyped-def]
    suffix = f" — {o.label}" if show_label else ""
    actors = list(o.problem.actor_ids)
    if o.zone_exists:
        labelled = [("best Nash", o.best), ("max-min", o.max_min),
                    (f"smallest ({len(o.smallest.changed)})", o.smallest)]
        labelled += [(f"Pareto {k + 1}", p) for k, p in enumerate(o.pareto)]
        found = Table(title=f"Acceptable packages{suffix}", title_justify="left")
        found.add_column("")
        found.add_column("status quo", justify="right")
        for label, _ in labelled:
            found.add_column(label, justify="right")
        for i in s.issues:
            found.add_row(i.id, fmt(status_quo[i.id]), *[fmt(p.values[i.id])
                                                         for _, p in labelled])
        for a in actors:
            found.add_row(f"{a} gain", "0", *[_gain(p.gains[a]) for _, p in labelled])
        found.add_row("Nash product", "0", *[f"{p.nash:.2f}" for _, p in labelled])
        console.print(found)
        console.print(f"Pareto k: the efficient packages among the {o.pareto_searched} best "
                      "by Nash product (any package dominating one of them is among those).")
    else:
        console.print(f"[bold]No package on this grid makes every veto player gain{suffix}.[/]")
    if not o.packages:
        return
    named = Table(title=f"Named packages: gain of each actor{suffix}", title_justify="left")
    named.add_column("actor")
    for p in o.packages:
        named.add_column(p.id, justify="right")
    for a in actors:
        named.add_row(a, *[f"{_gain(p.gains[a])} {'✓' if p.accepts[a] else '✗'}"
                           for p in o.packages])
    named.add_row("Nash", *[f"{p.nash:.2f}" for p in o.packages])
    console.print(named)
    for p in o.packages:
        if all(abs(v - status_quo[k]) < 1e-9 for k, v in p.values.items()):
            console.print(f"[bold]{p.id}[/] is the status quo: nobody gains from it.")
            continue
        if p.acceptable:
            console.print(f"[bold]{p.id}[/] is acceptable to every veto player.")
            continue
        console.print(f"[bold]{p.id}[/] ({_values_line(p.values, status_quo)}) is blocked by "
                      f"{', '.join(p.blockers)}:")
        for b in p.blockers:
            costs = ", ".join(f"{k} {v:+.1f}" for k, v in p.why_not(b))
            helps = ", ".join(f"{k} {v:+.1f}" for k, v in sorted(
                p.issue_gains[b].items(), key=lambda kv: -kv[1])[:2] if v > 0)
            line = (f"  {b} {_gain(p.gains[b])}; costs it most: {costs or 'none'}; "
                    f"gains most: {helps or 'none'}")
            ways = p.win_over.get(b, ())
            if ways:
                w = ways[0]
                then = ", ".join(w.then_blocking) or "nobody"
                line += f"; smallest fix: {w.describe()}, then blocked by {then}"
            else:
                line += "; no single-issue change wins it over"
            needs = p.trust_needed.get(b, ())
            helping = [t for t in needs if t.needed is not None]
            if helping:
                line += "; " + "; ".join(t.describe() for t in helping[:2])
            elif needs:
                line += ("; no trust in " + ", ".join(t.guarantor for t in needs)
                         + " alone wins it over")
            console.print(line)


@app.command()
@reports_errors
def contributions(
    scenario: ScenarioArg = None,
    value: Annotated[ContributionValue, typer.Option(
        "--value", help="Worth of a coalition of guarantors: nash (best Nash product) or "
        "size (zone size).")] = ContributionValue.nash,
    samples: Annotated[int, typer.Option(
        "--samples", help="Permutations sampled when there are more than 15 actors.")] = 2000,
    seed: Annotated[int, typer.Option(help="Seed for the sampled Shapley values.")] = 0,
    step: StepOpt = None,
    utility: UtilityOpt = Utility.quadratic,
    correlation: CorrelationOpt = 0.0,
    losses: LossesOpt = Losses.discounted,
    weighting: WeightingOpt = Weighting.capability,
    method: MethodOpt = SearchMethod.auto,
    output: FormatOpt = Format.table,
) -> None:
    """Each actor's Shapley value as a guarantor: what the deal is worth when only a
    coalition's members may deliver moves (all actors keep their veto)."""
    from detente.settlement.contributions import contributions as run_contributions

    result = run_contributions(scenario, value=value.value, samples=samples, rng=seed,
                               step=step, utility=utility.value, correlation=correlation,
                               losses=losses.value, weighting=weighting.value,
                               method=method.value)
    if output is Format.json:
        emit_json(result.to_dict())
        return
    what = "best Nash product" if result.value == "nash" else "zone size"
    table = Table(title=f"{result.scenario_title} — contributions as guarantors "
                        f"(value: {what}, {'exact' if result.exact else 'sampled'})",
                  title_justify="left")
    for col in ("actor", "Shapley value", "share", "value alone", "value without it"):
        table.add_column(col, justify="right" if col != "actor" else "left")
    total = result.grand_value
    for a, phi in result.shapley.items():
        share = f"{phi / total:.0%}" if total else "–"
        table.add_row(a, f"{phi:.4g}", share, f"{result.alone[a]:.4g}",
                      f"{result.without[a]:.4g}")
    console.print(table)
    console.print(f"All actors as guarantors: {total:.4g}; nobody: {result.empty_value:.4g}. "
                  f"{result.coalitions} coalitions evaluated"
                  + (f"; seed {result.seed}" if result.seed is not None else "") + ".")
