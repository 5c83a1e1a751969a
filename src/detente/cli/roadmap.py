"""`detente roadmap`: staged settlements, stage by stage, and a search for ones that hold."""

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
from detente.cli.settle import (
    CorrelationOpt,
    Format,
    FormatOpt,
    MethodOpt,
    SearchMethod,
    Utility,
    UtilityOpt,
    Weighting,
    WeightingOpt,
)


class DefectionOpt(StrEnum):
    reverse = "reverse"
    stop = "stop"


@app.command()
@reports_errors
def roadmap(
    scenario: ScenarioArg = None,
    stages: Annotated[int | None, typer.Option(
        "--stages", help="Search for roadmaps of this many stages (2-5; 1 = settle's best).")
    ] = None,
    roadmap_id: Annotated[list[str] | None, typer.Option(
        "--roadmap", "-r", help="Named roadmap to evaluate; repeat for several (default all).")
    ] = None,
    final: Annotated[str | None, typer.Option(
        "--final", help="The package (or roadmap) the searched roadmaps must end in "
        "[default: the best final package some roadmap reaches].")] = None,
    without: WithoutOpt = None,
    trust: TrustOpt = None,
    guarantor: GuarantorOpt = None,
    separately: Annotated[bool, typer.Option(
        "--separately", help="Show each counterfactual change in its own column.")] = False,
    patience: Annotated[float, typer.Option(
        "--patience", help="Weight of a promise one stage later, in (0, 1]; 1 = no discount.")
    ] = 1.0,
    defection: Annotated[DefectionOpt, typer.Option(
        "--defection", help="A defector's alternative: reverse (the status quo) or stop "
        "(it may also keep the banked stages).")] = DefectionOpt.reverse,
    scan: Annotated[str | None, typer.Option(
        "--scan", help="Sweep these trust values together from 0 to 1 for the named "
        "roadmaps, e.g. KP.RU,KP.CN.")] = None,
    step: Annotated[float | None, typer.Option(
        "--step", help="Grid step of the search in issue units [default: 10].")] = None,
    finals: Annotated[int, typer.Option(
        "--finals", help="Final packages (best Nash first) the search tries.")] = 100,
    near: Annotated[int, typer.Option("--near", help="Near misses shown when none holds.")
                    ] = 3,
    any_path: Annotated[bool, typer.Option(
        "--any-path", help="Let stages move issues back and forth (small spaces only; "
        "default: monotone paths from the status quo to the final package).")] = False,
    utility: UtilityOpt = Utility.quadratic,
    correlation: CorrelationOpt = 0.0,
    weighting: WeightingOpt = Weighting.capability,
    method: MethodOpt = SearchMethod.auto,
    output: FormatOpt = Format.table,
) -> None:
    """Staged settlements: for each stage, each veto player's banked gain, what it expects
    from going on (promises discounted by its trust in their deliverers) and whether it
    stays; a search for roadmaps that hold at every stage; counterfactuals side by side."""
    from detente.roadmaps import roadmap as run_roadmap
    from detente.settlement import variation

    change = variation(without=without or [], trust=trust or [], guarantors=guarantor or [])
    variations = change.split() if separately else [change]
    result = run_roadmap(scenario, stages=stages, roadmaps=roadmap_id or None, final=final,
                         variations=variations, patience=patience,
                         defection=defection.value, step=step, utility=utility.value,
                         correlation=correlation, weighting=weighting.value,
                         monotone=not any_path, finals=finals, near=near, scan=scan,
                         method=method.value)
    if output is Format.json:
        emit_json(result.to_dict())
        return
    _print(result)


def _print(result) -> None:  # type: ignore[no-untyped-def]
    s = result.scenario
    if not result.baseline.evaluations and result.baseline.search is None:
        console.print(f"{s.id} names no roadmaps: add some under `roadmaps:` in the scenario, "
                      "or search with --stages N.")
        return
    console.print(f"[bold]{s.title}[/] — roadmaps (patience {result.patience:g}, defection: "
                  f"{result.defection}, {result.settings.utility} loss)")
    console.print("At each stage, before it is carried out: banked = gain from the stages "
                  "done; expects = banked + the rest as believed (utility points over the "
                  "status quo). A veto player stays when it expects more than its "
                  "alternative; it is tempted (*) when its banked gain exceeds what it "
                  "expects.")
    outcomes = result.outcomes
    if result.baseline.evaluations:
        summary = Table(title="Named roadmaps", title_justify="left")
        summary.add_column("")
        for o in outcomes:
            summary.add_column(o.label)
        for e in result.baseline.evaluations:
            cells = []
            for o in outcomes:
                ev = o.evaluation(e.id)
                b = ev.first_break
                cells.append("holds" if ev.holds else
                             f"breaks at stage {b.stage} for " + ", ".join(
                                 x.actor for x in ev.breaks if x.stage == b.stage))
            summary.add_row(f"{e.id} {e.name}", *cells)
        console.print(summary)
    if result.baseline.search is not None:
        found = Table(title=f"Search: {result.baseline.search.n_stages} stages to "
                            f"{result.baseline.search.final} final package",
                      title_justify="left")
        found.add_column("")
        for o in outcomes:
            found.add_column(o.label)
        rows = [
            ("roadmap holding throughout", ["found" if o.search.found else "none"
                                            for o in outcomes]),
            ("final Nash product", [f"{o.search.found.final_nash:.2f}" if o.search.found
                                    else "–" for o in outcomes]),
            ("finals tried", [f"{o.search.finals_tried} of {o.search.finals_available}"
                              + ("" if o.search.exhaustive else " (bounded)")
                              for o in outcomes]),
            ("roadmaps searched", [f"{o.search.space:.3g}" for o in outcomes]),
            ("nearest miss breaks at", [
                "–" if o.search.found or not o.search.near_misses else
                _break_text(o.search.near_misses[0]) for o in outcomes]),
            ("search", [f"{o.search.seconds:.1f} s" for o in outcomes]),
        ]
        for label, cells in rows:
            found.add_row(label, *cells)
        console.print(found)
    for o in outcomes:
        suffix = f" — {o.label}" if len(outcomes) > 1 else ""
        for e in o.evaluations:
            _print_evaluation(e, s, suffix)
        if o.search is not None:
            if o.search.found:
                _print_evaluation(o.search.found, s, suffix)
            for miss in o.search.near_misses:
                _print_evaluation(miss, s, suffix)
    if result.scan is not None:
        _print_scan(result.scan)


def _break_text(e) -> str:  # type: ignore[no-untyped-def]
    b = e.first_break
    if b is None:
        return "nowhere"
    return f"stage {b.stage}: " + ", ".join(x.actor for x in e.breaks if x.stage == b.stage)


def _print_evaluation(e, s, suffix: str) -> None:  # type: ignore[no-untyped-def]
    table = Table(title=f"{e.id}: {e.name}{suffix}", title_justify="left")
    table.add_column("")
    table.add_column("status quo", justify="right")
    for k, st in enumerate(e.stages):
        table.add_column(f"{k + 1} {st.name}", justify="right")
    for i in s.issues:
        if i.id not in e.stages[0].values:
            continue
        cells = []
        for st in e.stages:
            mark = "" if i.id not in st.moved else "→"
            cells.append(f"{mark}{fmt(st.values[i.id])}")
        table.add_row(i.id, fmt(i.status_quo.value), *cells)
    for a in e.stages[0].banked:
        cells = []
        for st in e.stages:
            verdict = "stays" if st.stays[a] else "[bold red]leaves[/]"
            star = "*" if st.tempted[a] else ""
            cells.append(f"{st.banked[a]:+.1f} / {st.expected[a]:+.1f} {verdict}{star}")
        table.add_row(f"{a} banked / expects", "", *cells)
    console.print(table)
    verdict = "holds at every stage" if e.holds else "breaks"
    console.print(f"{e.id} {verdict}; final package Nash product {e.final_nash:.2f}, "
                  f"smallest margin {e.min_margin:+.2f}.")
    for b in e.breaks:
        console.print(f"  breaks: {b.describe()}")
    weak = [w for w in e.weak_points if w.margin > 0]
    for w in weak:
        console.print(f"  weak point: {w.describe()} (tempted to stop)")


def _print_scan(scan) -> None:  # type: ignore[no-untyped-def]
    pairs = ", ".join(f"{a}.{b}" for a, b in scan.pairs)
    table = Table(title=f"Trust scan: {pairs} set together", title_justify="left")
    table.add_column("trust", justify="right")
    for r in scan.holds:
        table.add_column(f"{r}: holds / smallest margin / first break")
        for a in scan.truster_margin.get(r, {}):
            table.add_column(f"{r}: {a}'s smallest margin", justify="right")
    for k, v in enumerate(scan.values):
        cells = []
        for r in scan.holds:
            cells.append(f"{'holds' if scan.holds[r][k] else 'breaks'} / "
                         f"{scan.min_margin[r][k]:+.2f} / {scan.first_break[r][k] or '–'}")
            cells += [f"{m[k]:+.2f}" for m in scan.truster_margin.get(r, {}).values()]
        table.add_row(f"{v:g}", *cells)
    console.print(table)
    for r in scan.holds:
        low = scan.lowest_holding(r)
        console.print(f"{r}: " + (f"holds from {pairs} = {low:g}" if low is not None
                                  else f"breaks at every scanned value of {pairs}"))
