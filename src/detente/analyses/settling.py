"""Package-search analyses: settle, contributions, roadmap.

A counterfactual is shown *beside* the baseline here (each variation its own column),
as `detente settle --without RU` always did; ``separately`` splits it into single changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from detente.analyses.options import IGNORE, MAX_PACKAGES, SEED, SETTLEMENT, STEP
from detente.analyses.spec import AnalysisSpec, Option
from detente.errors import option_text
from detente.render import UNITS, and_list, fixed, fmt, fmt_signed, units_where_on_an_issue
from detente.scenario import Scenario
from detente.settlement.defaults import GridStep, search_text
from detente.variation import Variation
from detente.view import Table, View, table

if TYPE_CHECKING:
    from detente.analyses import Result

GAIN_UNIT = "utility points"
SEPARATELY = Option("separately", bool, False, "Show each counterfactual change in its own "
                    "column (default: all changes together).")


def beside(variation: Variation | None, separately: bool) -> list[Variation]:
    """The counterfactuals settle and roadmap show beside the baseline: the variation as
    one column, or (``separately``) one column per single change."""
    if variation is None or variation.is_empty:
        return []
    return variation.split() if separately else [variation]


def unbacked_guarantee(guarantor: str, gain: float, needs: float) -> str:
    """Why a guarantor's own interest does not carry its guarantee (its ``gain``, utility
    points over its walk-away point, is ≤ 0) and what would: an outside gain above
    ``needs``, the value the JSON reports (``withheld``, from guarantor_stakes), never
    worked out again here. The gains, the Nash product and acceptability count every named
    guarantor as delivering with the trust placed in it (docs/settle.md, *Guarantors'
    stakes*): said, so that no reader takes the guarantee for left out of them. An actor
    with no stance gains exactly nothing: it needs any outside gain at all, which must not
    read like the nothing one that gives needs."""
    # Here, not at the top: a forecast loads this module's specs, not the package search.
    from detente.settlement.analysis import UTILITY_POINTS
    from detente.settlement.utility import GAIN_TOLERANCE

    state = ("gains nothing" if abs(gain) <= GAIN_TOLERANCE * UTILITY_POINTS
             else f"is not better off ({fmt_signed(gain)})")
    return (f"{guarantor} {state} with its guarantee: its own interest does not carry it, "
            f"though these numbers count it as given (an outside gain above "
            f"{fixed(needs)} would)")


def _stake_lines(p: Any) -> list[str]:
    """Guarantors whose own interest does not carry their guarantee, and the stakes that
    carry weight."""
    lines = [f"  {unbacked_guarantee(g, p.gains[g], needs)}"
             for g, needs in p.withheld.items()
             # a blocking veto player's refusal is said below; repeat it only where its
             # guarantee carries a stake
             if g not in p.blockers or abs(p.stakes.get(g, 0.0)) > 1e-12]
    staked = {g: v for g, v in p.stakes.items() if abs(v) > 1e-12}
    if staked:
        lines.append("  net stakes of the guarantees (outside gain − cost): "
                     + ", ".join(f"{g} {fmt_signed(v)}" for g, v in staked.items()))
    return lines


def _mechanism_kinds(mech: Any) -> list[str]:
    """The kinds of settlement mechanisms a scenario declares, in words."""
    kinds = [("verification", mech.verifications), ("linked issues", mech.links),
             ("package rules", mech.rules), ("walk-away points", mech.walk_away),
             ("guarantors' stakes", mech.stakes)]
    return [name for name, items in kinds if items]


def _values_line(values: dict[str, float], s: Scenario) -> str:
    """The issues a package moves from the status quo, each at its value."""
    moved = [f"{k} {fmt(values[k], s.issue(k).scale.span)}" for k in s.moved_issues(values)]
    return ", ".join(moved) or "status quo"


# --- settle ------------------------------------------------------------------------------


def run_settle(scenario: Scenario | str | Path | None, variation: Variation | None, *,
               package: Sequence[str], separately: bool, top: int, step: GridStep, utility: str,
               correlation: float, losses: str, weighting: str, method: str,
               count: bool | None, max_packages: int, ignore: Sequence[str] = (),
               zones: bool = True, persuade: bool = True,
               progress: Callable[[str], None] | None = None) -> Any:
    from detente.settlement import settle

    return settle(scenario, variations=beside(variation, separately),
                  packages=list(package) or None, step=step, utility=utility,  # type: ignore[arg-type]
                  correlation=correlation, losses=losses, weighting=weighting,  # type: ignore[arg-type]
                  top=top, method=method, count=count,  # type: ignore[arg-type]
                  max_packages=max_packages, ignore=tuple(ignore), zones=zones,
                  persuasion=persuade, progress=progress)


def view_settle(run: Result) -> View:
    result = run.value
    s = result.scenario
    status_quo = {i.id: i.status_quo.value for i in s.issues}
    outcomes = result.outcomes
    rows: list[list[Any]] = [
        ["packages searched", *[o.space_size for o in outcomes]],
        ["zone", *["empty" if not o.zone_exists else "not empty" for o in outcomes]],
        # An uncounted zone is said to be so: a bare "–" reads like a missing answer.
        ["zone size", *[o.zone_size if o.zone_size is not None
                        else f"not counted ({option_text('count')} counts it)"
                        for o in outcomes]],
        ["best Nash package", *[_values_line(o.best.values, s) if o.best else "–"
                                for o in outcomes]],
        ["  Nash product", *[o.best.nash if o.best else None for o in outcomes]],
        ["max-min package", *[_values_line(o.max_min.values, s) if o.max_min
                              else "–" for o in outcomes]],
        ["  smallest gain", *[o.max_min.min_gain if o.max_min else None for o in outcomes]],
        ["smallest accord", *[_values_line(o.smallest.values, s) if o.smallest
                              else "–" for o in outcomes]],
    ]
    for p in result.baseline.packages:
        cells: list[Any] = []
        for o in outcomes:
            try:
                a = o.package(p.id)
            except KeyError:
                cells.append("–")
                continue
            # The status quo is the reference every gain is measured from, not a proposal
            # that all the parties block.
            cells.append(_reference_cell(a, s) if a.is_reference else _verdict_cell(a))
        rows.append([f"{p.id} {p.name}", *cells])
    rows.append(["search", *[f"{o.method}, {o.seconds:.1f} s" for o in outcomes]])
    # Counts print as integers (large spaces in 3 digits), Nash numbers with 2 decimals.
    text_rows = [[r[0], *[_summary_cell(r[0], c) for c in r[1:]]] for r in rows]
    labels = [o.label for o in outcomes]
    summary = table("Zone of agreement", ["", *labels], text_rows, key="zone")
    # The best package of the baseline and of each counterfactual side by side: what a
    # counterfactual changes at a glance (issue units, then gains in utility points).
    best = table("Best package (Nash product)", ["Issue", "Units", "Status quo", *labels],
                 [[f"{i.id} {i.name}", i.units, i.status_quo.value,
                   *[o.best.values.get(i.id) if o.best else None for o in outcomes]]
                  for i in s.issues], units=["", "", *["issue units"] * (len(labels) + 1)],
                 formats=["", "", *[UNITS] * (len(labels) + 1)], key="best",
                 row_spans=[i.scale.span for i in s.issues])
    actors = list(dict.fromkeys(a for o in outcomes for a in o.problem.actor_ids))
    mech = result.baseline.problem.mechanisms
    over = ("each actor's walk-away point (the status quo unless the scenario states one)"
            if mech.walk_away else "the status quo")
    # Beside each gain, the share of the actor's loss at its reference point it closes:
    # the scale a bare "+3.5 utility points" lacks (docs/glossary.md, *share*).
    from detente.settlement.mechanisms import reference_losses

    losses = [reference_losses(o.problem.mechanisms, o.problem.arrays, result.settings)
              for o in outcomes]
    reference = "its walk-away point" if mech.walk_away else "the status quo"
    gains = table(f"Gains in the best package (utility points; share: of the actor's loss at "
                  f"{reference})",
                  ["Actor", *[c for label in labels for c in (label, f"{label} share")]],
                  [[a, *[c for o, loss in zip(outcomes, losses, strict=True)
                         for c in (o.best.gains.get(a) if o.best else None,
                                   _share(o.best.gains.get(a) if o.best else None,
                                          loss.get(a)))]]
                   for a in actors],
                  units=["", *[u for _ in labels for u in (GAIN_UNIT, "share")]],
                  formats=["", *[f for _ in labels for f in ("+.2f", ".0%")]],
                  key="best-gains")
    tables = [summary, best, gains]
    zones = _zones(outcomes, s)
    if zones is not None:
        tables.append(zones)
    notes: list[str] = []
    for o in outcomes:
        t, n = _outcome(o, s, status_quo, len(outcomes) > 1, result)
        tables += t
        notes += n
        tables += _persuasion(o, len(outcomes) > 1)
    head = (f"{s.title} — settlement design ({search_text(result.step, result.steps)}, "
            f"{result.settings.utility} loss, deliverer correlation "
            f"{result.settings.correlation:g}, losses {result.settings.losses}, "
            f"{result.weighting}-weighted Nash product)")
    notes[:0] = _mechanism_notes(_mechanism_kinds(mech), result.ignored, "", "settle")
    return View(head, f"Gains are in utility points over {over} (a package's utility "
                "lies in −100..0); a veto player accepts a package when its gain is above 0.",
                tables=tuple(tables), notes=tuple(notes))


def _zones(outcomes: Sequence[Any], s: Scenario) -> Table | None:
    """Per-issue zone: the range of each issue's values in acceptable packages, and in the
    efficient ones, per outcome side by side."""
    shown = [o for o in outcomes if o.zones is not None]
    if not shown:
        return None

    def extent(lo: float | None, hi: float | None, span: float, gaps: bool = False) -> str:
        if lo is None or hi is None:
            return "–"
        return ((f"{fmt(lo, span)}–{fmt(hi, span)}" if hi > lo else fmt(lo, span))
                + (" (gaps)" if gaps else ""))

    rows = []
    for i in s.issues:
        cells: list[Any] = []
        for o in shown:
            try:
                z = o.zones.issue(i.id)
            except KeyError:
                cells += ["–", "–"]
                continue
            cells += [extent(z.zone_min, z.zone_max, i.scale.span, z.gaps),
                      extent(z.efficient_min, z.efficient_max, i.scale.span)]
        rows.append([f"{i.id} {i.name}", fmt(i.status_quo.value, i.scale.span), *cells])
    columns = ["Issue", "Status quo"]
    for o in shown:
        suffix = f" ({o.label})" if len(shown) > 1 else ""
        # an inner range says so in its header too, not only in a note (never shown as exact)
        inner = "" if o.zones.efficient_exact else " (inner range)"
        columns += [f"in the zone{suffix}", f"efficient{inner}{suffix}"]
    notes = ["in the zone: the values (on the search grid) that some package every veto "
             "player accepts takes (exact); efficient: the values in Pareto-efficient "
             "acceptable packages."]
    for o in shown:
        if o.zones.efficient_exact:
            notes.append(f"{o.label}: efficient range exact (every acceptable package "
                         "listed).")
        else:
            notes.append(f"{o.label}: efficient range over the efficient packages among the "
                         f"{o.zones.efficient_searched} best by Nash product: an inner range "
                         "(efficient packages further down are not seen).")
    return table("Per-issue zone of agreement (issue units)", columns, rows, notes=notes,
                 key="issue-zones")


def _persuasion(o: Any, labelled: bool) -> list[Table]:
    out = []
    suffix = f" — {o.label}" if labelled else ""
    for plan in o.persuasion:
        rows = [[k + 1, lv.actor, lv.kind, lv.target,
                 *((round(lv.current, 1), round(lv.needed, 1)) if lv.kind == "walk-away"
                   else (lv.current, lv.needed)), lv.size]
                for k, lv in enumerate(plan.plan)]
        notes = []
        if plan.unmovable:
            notes.append("no single change of position, salience, trust or walk-away point "
                         "wins over " + ", ".join(plan.unmovable))
        if plan.after:
            notes.append("with the plan applied still blocking: " + ", ".join(plan.after))
        elif not plan.unmovable:
            notes.append(f"with these {len(plan.plan)} changes together every veto player "
                         f"gains from {plan.package} (checked)")
        if plan.broken_rules:
            notes.append(f"{plan.package} breaks a package rule ("
                         + "; ".join(plan.broken_rules) + "): it stays off the table "
                         "whoever is won over")
        others = [lv for lv in plan.levers if lv not in plan.plan][:4]
        if others:
            notes.append("next smallest: " + "; ".join(lv.describe() for lv in others))
        notes.append("size: the change as a share of the lever's range (scale span, "
                     "salience 0–1, trust 0–1, walk-away point 0–100 utility points, "
                     "given in utility points); each lever changes only its actor's gain")
        out.append(table(f"Persuasion plan for {plan.package}{suffix}: the smallest change "
                         "that wins each blocker over", ["#", "actor", "lever", "on",
                                                         "now", "needed", "size"], rows,
                         formats=["", "", "", "", units_where_on_an_issue("g"),
                                  units_where_on_an_issue("g"), ".1%"], notes=notes,
                         key=f"persuasion {plan.package}{suffix}",
                         row_spans=[lv.span for lv in plan.plan]))
    return out


def _share(gain: float | None, loss: float | None) -> float | None:
    # An actor that loses nothing at the status quo has no yardstick: no share, not ∞.
    if gain is None or loss is None or loss <= 1e-9:
        return None
    return gain / loss


def _summary_cell(label: str, value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if label == "packages searched":
        from detente.settlement.search import format_count

        # Plain digits where they read (278,296,128); exact ints past 10^308 would
        # overflow a float format, so the astronomically large keep format_count.
        return f"{value:,}" if value < 10**15 else format_count(value)
    if label == "zone size":
        return f"{value:,}"
    return fixed(value)


def _status_quo_gains(o: Any, result: Any) -> tuple[list[float], float]:
    """Each actor's gain from the status quo and its Nash product: 0 and 0, or, where the
    scenario states walk-away points (issue 16), the status quo over them (utility points)."""
    import numpy as np

    from detente.settlement.mechanisms import walk_away
    from detente.settlement.utility import nash_product, nash_weights

    problem = o.problem
    if not problem.mechanisms.walk_away:
        return [0.0] * problem.arrays.n_actors, 0.0
    gains = -walk_away(problem.mechanisms, problem.arrays, result.settings)
    weights = nash_weights(problem.arrays, result.weighting)
    nash = float(nash_product(np.asarray(gains), weights)) * 100.0
    return [float(g) * 100.0 for g in gains], nash


def _outcome(o: Any, s: Scenario, status_quo: dict[str, float], show_label: bool,
             result: Any) -> tuple[list[Table], list[str]]:
    suffix = f" — {o.label}" if show_label else ""
    actors = list(o.problem.actor_ids)
    tables: list[Table] = []
    notes: list[str] = []
    if o.zone_exists:
        labelled = [("best Nash", o.best), ("max-min", o.max_min),
                    (f"smallest ({len(o.smallest.changed)})", o.smallest)]
        labelled += [(f"Pareto {k + 1}", p) for k, p in enumerate(o.pareto)]
        rows: list[list[Any]] = [[f"{i.id} ({i.units})", status_quo[i.id],
                                  *[p.values[i.id] for _, p in labelled]] for i in s.issues]
        sq_gains, sq_nash = _status_quo_gains(o, result)
        rows += [[f"{a} gain", sq, *[p.gains[a] for _, p in labelled]]
                 for a, sq in zip(actors, sq_gains, strict=True)]
        rows.append(["Nash product", sq_nash, *[p.nash for _, p in labelled]])
        n_issues = len(s.issues)
        # Issue rows are in issue units, gain rows in utility points: format per row block.
        text = [[r[0], *[fmt(v, s.issues[k].scale.span) if k < n_issues
                         else fmt_signed(v) if k < len(rows) - 1
                         else fixed(v) for v in r[1:]]] for k, r in enumerate(rows)]
        if not o.problem.mechanisms.walk_away:  # the reference: exactly 0
            text[n_issues:n_issues + len(actors)] = [
                [r[0], "0", *r[2:]] for r in text[n_issues:n_issues + len(actors)]]
            text[-1][1] = "0"
        tables.append(table(f"Acceptable packages{suffix}",
                            ["", "status quo", *[label for label, _ in labelled]], text,
                            notes=[f"Pareto k: the efficient packages among the "
                                   f"{o.pareto_searched} best by Nash product (any package "
                                   "dominating one of them is among those)."],
                            key=f"packages{suffix}"))
    else:
        notes.append(f"No package on this grid makes every veto player gain{suffix}.")
    if not o.packages:
        return tables, notes
    named_rows = [[a, *["0 (reference)" if p.is_reference else
                        f"{fmt_signed(p.gains[a])} {'✓' if p.accepts[a] else '✗'}"
                        for p in o.packages]] for a in actors]
    named_rows.append(["Nash", *[fixed(p.nash) for p in o.packages]])
    tables.append(table(f"Named packages: gain of each actor{suffix}",
                        ["actor", *[p.id for p in o.packages]], named_rows,
                        notes=[_package_note(p, s) for p in o.packages],
                        key=f"named{suffix}"))
    return tables, notes


def _reference_cell(p: Any, s: Scenario) -> str:
    """A package every gain is measured from (PackageAnalysis.is_reference) is not a
    proposal that all the parties block."""
    return ("the status quo (reference point)" if not s.moved_issues(p.values)
            else "the reference point (every actor's walk-away point)")


def _verdict_cell(p: Any) -> str:
    """Why a proposal passes or not, in a table cell: its blockers and the package rules it
    breaks (a package every party accepts is still off the table when it breaks a rule)."""
    if p.acceptable:
        return "acceptable"
    reasons = [f"blocked by {', '.join(p.blockers)}"] if p.blockers else []
    if p.broken_rules:
        count = len(p.broken_rules)
        reasons.append("breaks a rule" if count == 1 else f"breaks {count} rules")
    return "; ".join(reasons)


def _package_note(p: Any, s: Scenario) -> str:
    extra = _stake_lines(p)
    if not s.moved_issues(p.values):
        if p.walk_away:
            return "\n".join([f"{p.id} is the status quo: gains are each actor's status quo "
                              "over its walk-away point.", *extra])
        return f"{p.id} is the status quo: nobody gains from it."
    if p.is_reference:
        return (f"{p.id} is every actor's walk-away point: the reference gains are measured "
                "from, so nobody gains from it.")
    if p.undeliverable:
        extra.insert(0, f"  Nobody at the table guarantees {and_list(p.undeliverable)}, so "
                     f"{p.id}'s moves there cannot be delivered: they count for nothing.")
    if p.broken_rules:
        extra.insert(0, f"  {p.id} breaks the scenario's rule(s): "
                     f"{'; '.join(p.broken_rules)} — it is not on the table.")
    if p.acceptable:
        return "\n".join([f"{p.id} is acceptable to every veto player.", *extra])
    if not p.blockers:
        return "\n".join([f"{p.id} is acceptable to every veto player but breaks a rule:",
                          *extra])
    lines = [f"{p.id} ({_values_line(p.values, s)}) is blocked by "
             f"{', '.join(p.blockers)}:", *extra]
    from detente.settlement.analysis import UTILITY_POINTS
    from detente.settlement.utility import GAIN_TOLERANCE

    # A gain within the gain tolerance is rounding noise (2e-15 on an issue the package
    # leaves where the blocker wants it), not something the package gives: it read
    # 'gains most: FUND +0.0'.
    noise = GAIN_TOLERANCE * UTILITY_POINTS
    for b in p.blockers:
        costs = ", ".join(f"{k} {fmt_signed(v, 1)}" for k, v in p.why_not(b))
        helps = ", ".join(f"{k} {fmt_signed(v, 1)}" for k, v in sorted(
            p.issue_gains[b].items(), key=lambda kv: -kv[1])[:2] if v > noise)
        line = (f"  {b} {fmt_signed(p.gains[b])}; costs it most: {costs or 'none'}; "
                f"gains most: {helps or 'none'}")
        ways = p.win_over.get(b, ())
        if ways:
            w = ways[0]
            line += (f"; smallest fix: {w.describe()}, then blocked by "
                     f"{', '.join(w.then_blocking) or 'nobody'}")
        else:
            line += "; no single-issue change wins it over"
        needs = p.trust_needed.get(b, ())
        helping = [t for t in needs if t.needed is not None]
        if helping:
            line += "; " + "; ".join(t.describe() for t in helping[:2])
        elif needs:
            line += "; no trust in " + ", ".join(t.guarantor for t in needs) + " alone wins it over"
        lines.append(line)
    return "\n".join(lines)


SETTLE = AnalysisSpec(
    name="settle", title="Settlement design",
    summary="Which packages every veto player accepts: zone of agreement, best and smallest "
            "deals, the scenario's named packages (who blocks, what wins them over), "
            "counterfactuals.",
    options=(
        Option("package", str, (), "Named package to analyse; repeat for several (default "
               "all).", multiple=True, flags=("--package", "-p")),
        SEPARATELY,
        Option("top", int, 5, "Pareto-efficient packages to list.", low=1, high=1000,
               flags=("--top", "-n")),
        *SETTLEMENT,
        Option("count", bool, None, "Count the zone's packages (default: when the space has "
               "at most 2e9 packages).", flags=("--count",), negative="--no-count"),
        MAX_PACKAGES,
        IGNORE,
        Option("zones", bool, True, "Per-issue zone: each issue's range in acceptable and "
               "in efficient packages.", flags=("--zones",), negative="--no-zones"),
        Option("persuade", bool, True, "Persuasion plan for each blocked named package: the "
               "smallest change of a blocker's position, salience or trust that wins it "
               "over.", flags=("--persuade",), negative="--no-persuade"),
    ),
    run=run_settle, view=view_settle, counterfactual="beside", formats=("table", "json"),
    # Persuasion plans are most of a run's time (2.5 s against 15 s with a counterfactual);
    # test_zone_persuasion and test_settlement cover them.
    # steps: the search names each step on the spinner and the workbench's progress line
    # (the per-issue zones take minutes at step 1%: 'zones: issue 3 of 7 (NUC)').
    package_search=True, quick={"step": "25%", "persuade": False}, steps=True,
)


# --- contributions -----------------------------------------------------------------------


def run_contributions(scenario: Scenario | str | Path | None, variation: Variation | None, *,
                      value: str, samples: int, seed: int, step: GridStep, utility: str,
                      correlation: float, losses: str, weighting: str, method: str,
                      ignore: Sequence[str] = ()) -> Any:
    from detente.settlement.contributions import contributions

    return contributions(scenario, value=value, samples=samples, rng=seed,  # type: ignore[arg-type]
                         step=step, utility=utility, correlation=correlation,  # type: ignore[arg-type]
                         losses=losses, weighting=weighting, method=method,  # type: ignore[arg-type]
                         variation=variation, ignore=tuple(ignore))


def view_contributions(run: Result) -> View:
    result = run.value
    what = "best Nash product" if result.value == "nash" else "zone size"
    unit = GAIN_UNIT if result.value == "nash" else "packages"
    rows = [[a, phi, result.share(a), result.alone[a], result.without[a]]
            for a, phi in result.shapley.items()]
    t = table(f"{result.scenario_title} — contributions as guarantors (value: {what}, "
              f"{'exact' if result.exact else 'sampled'})"
              + ("" if run.variation is None or run.variation.is_empty
                 else f" ({run.variation.describe()})"),
              ["actor", "Shapley value", "share", "value alone", "value without it"], rows,
              units=["", unit, "share", unit, unit], formats=["", ".4g", ".0%", ".4g", ".4g"],
              key="contributions")
    tables = [t]
    if result.guarantors:
        # Stakes left out are no stake of 0: the column says so rather than read 0.00.
        stakes_left_out = any(g["stake"] is None for g in result.guarantors.values())
        tables.append(table(
            "What each guarantor needs to take part (best Nash package, all guarantors)",
            ["guarantor", "gain", "net stake", "outside gain needed"],
            [[a, g["gain"], "left out" if stakes_left_out else g["stake"],
              "none" if g["gives"] else f"above {fixed(g['needs'])}"]
             for a, g in result.guarantors.items()],
            units=["", GAIN_UNIT, GAIN_UNIT, GAIN_UNIT], formats=["", "+.2f", "+.2f", ""],
            notes=["gain: over the guarantor's walk-away point; net stake: "
                   + (f"left out ({option_text('ignore')} stakes)" if stakes_left_out
                      else "the scenario's outside gain minus cost of its guarantees "
                           "(stakes:)")
                   + "; a guarantor whose gain is not above 0 has no interest of its own "
                   "in giving its guarantee (the worths above still count it as given) and "
                   "would with the outside gain shown; none: it gains already."],
            key="guarantor-needs"))
    return View("", tables=tuple(tables), notes=(
        *_mechanism_notes(_mechanism_kinds(result.mechanisms), result.ignored, "", "settle"),
        f"All actors as guarantors: {result.grand_value:.4g}; nobody: "
        f"{result.empty_value:.4g}; "
        + ("guarantees add nothing, so no actor has a share. " if result.adds_nothing
           else f"share: of the {result.added:.4g} that guarantees add. ")
        + f"{result.coalitions} coalitions evaluated"
        + (f"; seed {result.seed}" if result.seed is not None else "") + "."))


CONTRIBUTIONS = AnalysisSpec(
    name="contributions", title="Contributions as guarantors",
    summary="Each actor's Shapley value as a guarantor: what the deal is worth when only a "
            "coalition's members may deliver moves (all actors keep their veto).",
    options=(
        Option("value", str, "nash", "Worth of a coalition of guarantors: nash (best Nash "
               "product) or size (zone size).", choices=("nash", "size")),
        Option("samples", int, 2000, "Permutations sampled when there are more than 15 "
               "guarantors.", low=1),
        Option("seed", int, 0, "Seed for the sampled Shapley values.", low=0),
        *SETTLEMENT,
        IGNORE,
    ),
    run=run_contributions, view=view_contributions, formats=("table", "json", "csv"),
    package_search=True, quick={"step": "50%"},
)


# --- roadmap -----------------------------------------------------------------------------


def run_roadmap(scenario: Scenario | str | Path | None, variation: Variation | None, *,
                stages: int | None, roadmap: Sequence[str], final: str | None,
                separately: bool, patience: float, defection: str, scan: str | None,
                finals: int, near: int, any_path: bool, step: GridStep, utility: str,
                correlation: float, losses: str, weighting: str, method: str,
                max_packages: int, learning: float = 0.0, min_move: float = 1.0,
                scan_learning: bool = False, ignore: Sequence[str] = (),
                first: Sequence[str] = (), stage: Sequence[str] = ()) -> Any:
    from detente.roadmaps import roadmap as run

    return run(scenario, stages=stages, roadmaps=list(roadmap) or None, final=final,
               variations=beside(variation, separately), patience=patience,
               defection=defection, step=step, utility=utility,  # type: ignore[arg-type]
               correlation=correlation, losses=losses, weighting=weighting,  # type: ignore[arg-type]
               monotone=not any_path, finals=finals, near=near, scan=scan,
               method=method, max_packages=max_packages,  # type: ignore[arg-type]
               learning=learning, min_move=min_move, scan_learning=scan_learning,
               ignore=tuple(ignore), first=list(first) or None, stage=list(stage))


def view_roadmap(run: Result) -> View:
    result = run.value
    s = result.scenario
    if not result.baseline.evaluations and result.baseline.search is None:
        return View("", notes=(f"{s.id} names no roadmaps: add some under `roadmaps:` in the "
                               f"scenario, or search with {option_text('stages', 'N')}.",))
    outcomes = result.outcomes
    labels = [o.label for o in outcomes]
    tables: list[Table] = []
    if result.baseline.evaluations:
        rows = []
        for e in result.baseline.evaluations:
            cells = []
            for o in outcomes:
                ev = o.evaluation(e.id)
                where = ev.where_it_breaks()
                b = ev.first_break
                if b is not None and where and where.startswith(f"stage {b.stage}: "):
                    where = f"stage {b.stage} for " + where.split(": ", 1)[1]
                cells.append("holds" if ev.holds else f"breaks at {where}")
            rows.append([f"{e.id} {e.name}", *cells])
        tables.append(table("Named roadmaps", ["Roadmap", *labels], rows, key="named"))
    search = result.baseline.search
    if search is not None:
        rows = [
            ["roadmap holding throughout", *["found" if o.search.found else "none"
                                             for o in outcomes]],
            ["final Nash product", *[fixed(o.search.found.final_nash) if o.search.found
                                     else "–" for o in outcomes]],
            ["finals tried", *[f"{o.search.finals_tried} of {o.search.finals_available}"
                               + ("" if o.search.exhaustive else " (bounded)")
                               for o in outcomes]],
            ["roadmaps searched", *[_searched_text(o.search) for o in outcomes]],
            ["nearest miss breaks at", *["–" if o.search.found else _break_text(
                o.search.near_misses[0]) if o.search.near_misses else
                "none (see the note)" if o.search.note else "–" for o in outcomes]],
            ["search", *[f"{o.search.seconds:.1f} s" for o in outcomes]],
        ]
        held = "" if search.first is None else ", first stage held to " + ", ".join(
            f"{i} {fmt(v, s.issue(i).scale.span)}" for i, v in search.first.items())
        # "0 of 0" alone reads like a failed search: say that no final can follow the stage.
        empty = [f"{o.label}: no final package of the zone of agreement lies at or past the "
                 f"held first stage, so no roadmap can begin with it." for o in outcomes
                 if o.search.first is not None and not o.search.finals_available]
        # No roadmap has a stage at every stage: no near miss, and the note says why.
        empty += [f"{o.label}: {o.search.note}." for o in outcomes if o.search.note]
        tables.append(table(f"Search: {search.n_stages} stages to {search.final} final "
                            f"package{held}", ["", *labels], rows, notes=empty, key="search"))
    for o in outcomes:
        suffix = f" — {o.label}" if len(outcomes) > 1 else ""
        shown = list(o.evaluations)
        if o.search is not None:
            shown += ([o.search.found] if o.search.found else []) + list(o.search.near_misses)
        tables += [_evaluation(e, s, suffix) for e in shown]
    if result.scan is not None:
        tables.append(_scan(result.scan))
    for ls in result.learning_scans:
        tables += _learning_scan(ls, len(result.learning_scans) > 1)
    comparison = _one_shot(result)
    if comparison is not None:
        tables.append(comparison)
    walk = bool(result.mechanisms.walk_away)
    return View(f"{s.title} — roadmaps (patience {result.patience:g}, defection: "
                f"{result.defection}, {result.settings.utility} loss, "
                f"{search_text(result.step, result.steps)})",
                "At each stage, before it is carried out: banked = gain from the stages "
                "done; expects = banked + the rest as believed (utility points over the "
                "status quo). A veto player stays when it expects more than its "
                "alternative (" + ("its walk-away point, or under stop the banked gain "
                                   "if higher" if walk else "the status quo, or under stop "
                                   "the banked gain if higher") + "); it is tempted (*) "
                "when its banked gain exceeds what it expects.", tables=tuple(tables),
                notes=_mechanism_notes(_mechanism_kinds(result.mechanisms), result.ignored,
                                       " at every stage", "roadmap"))


def _mechanism_notes(applied: Sequence[str], ignored: Sequence[str], where: str,
                     page: str) -> tuple[str, ...]:
    """The notes of a search on the scenario's mechanisms: which it applies (``where``),
    and which the user left out, so that a number read without a rule is never taken for
    the scenario's own; ``page``: the docs page that explains them."""
    notes = [f"Applied from the scenario{where}: {', '.join(applied)} (docs/{page}.md); "
             f"{option_text('ignore')} leaves any of them out."] if applied else []
    if ignored:
        notes.append(f"Left out ({option_text('ignore')}): {', '.join(dict.fromkeys(ignored))}"
                     " — these numbers are the scenario's without them.")
    return tuple(notes)


def _break_text(e: Any) -> str:
    """Where a roadmap breaks; one that holds at every stage but ends outside the zone of
    agreement is no roadmap the search counts, and says why (never a bare "nowhere")."""
    return e.where_it_breaks() or _outside_zone_text(e) or "nowhere"


def _outside_zone_text(e: Any) -> str:
    """"" unless the roadmap's final package is outside the zone of agreement: who gains
    nothing from it as one package (its settlement gain, utility points)."""
    return "" if not e.one_shot_blockers else (
        "the final package is outside the zone of agreement (" + ", ".join(
            f"{a} gains {fmt_signed(e.final_gains[a])} from it" for a in e.one_shot_blockers) + ")")


def _searched_text(search: Any) -> str:
    """The roadmaps searched; where the last batch of finals held more than the ones tried
    (a final that holds ends the search inside its batch), how many lead to those."""
    if search.finals_searched == search.finals_tried:
        return f"{search.space:.3g}"
    return (f"{search.space:.3g} to the {search.finals_searched} finals searched together, "
            f"{search.space_tried:.3g} to the {search.finals_tried} tried")


def _evaluation(e: Any, s: Scenario, suffix: str) -> Table:
    rows: list[list[Any]] = []
    for i in s.issues:
        if i.id not in e.stages[0].values:
            continue
        rows.append([i.id, fmt(i.status_quo.value, i.scale.span),
                     *[("→" if i.id in st.moved else "") + fmt(st.values[i.id], i.scale.span)
                       for st in e.stages]])
    for a in e.stages[0].banked:
        rows.append([f"{a} banked / expects", "", *[
            f"{fmt_signed(st.banked[a], 1)} / {fmt_signed(st.expected[a], 1)} "
            f"{'stays' if st.stays[a] else 'LEAVES'}{'*' if st.tempted[a] else ''}"
            for st in e.stages]])
    verdict = "holds at every stage" if e.holds else "breaks"
    notes = [f"{e.id} {verdict}; final package Nash product {fixed(e.final_nash)}, smallest "
             f"margin {fmt_signed(e.min_margin)}."]
    outside = _outside_zone_text(e) if e.holds else ""
    if outside:
        notes.append(f"{outside}: a search counts only roadmaps that end in the zone.")
    if e.walk_away:
        notes.append("walk-away points (utility points over the status quo): " + ", ".join(
            f"{a} {fmt_signed(v, 1)}" for a, v in e.walk_away.items()))
    notes += [f"breaks the package rule at {r}" for r in e.broken_rules]
    notes += [f"breaks: {b.describe()}" for b in e.breaks]
    notes += [f"weak point: {w.describe()} (tempted to stop)" for w in e.weak_points
              if w.margin > 0]
    return table(f"{e.id}: {e.name}{suffix}",
                 ["", "status quo", *[f"{k + 1} {st.name}" for k, st in enumerate(e.stages)]],
                 rows, notes=notes, key=f"roadmap {e.id}{suffix}")


def _one_shot(result: Any) -> Table | None:
    """Staged against one-shot: each blocker of a named roadmap's final package offered as
    one package, and the checkpoints at which the staged path keeps it."""
    rows = []
    for o in result.outcomes:
        for e in o.evaluations:
            for a, stays in e.won_over().items():
                rows.append([o.label, e.id, a, e.final_gains[a],
                             ", ".join(str(t) for t in stays) or "none",
                             "yes" if len(stays) == len(e.stages) else "no"])
    if not rows:
        return None
    lam = f", learning {result.learning:g}" if result.learning else ""
    return table("Staged against one-shot: the final package's blockers on the staged path"
                 + lam, ["outcome", "roadmap", "blocks one-shot", "one-shot gain",
                         "stays at stages", "won over throughout"], rows,
                 units=["", "", "", GAIN_UNIT, "", ""], formats=["", "", "", "+.2f", "", ""],
                 notes=["One-shot gain: the settlement gain of the roadmap's final package "
                        "offered as one package (its last stage's deliverers). A blocker the "
                        "staged path keeps at every stage is won over by staging."],
                 key="one-shot")


def _learning_scan(ls: Any, labelled: bool) -> list[Table]:
    out = []
    suffix = f" — {ls.label}" if labelled else ""
    pairs = ", ".join(f"{a}.{b}" for a, b in ls.pairs) or "none"
    shown = [j for j, t in enumerate(ls.trust) if round(t * 10, 6).is_integer()]
    for r in ls.holds:
        rows = []
        for i, lam in enumerate(ls.learning):
            rows.append([lam, *[fmt_signed(ls.min_margin[r][i][j], 1)
                                + (" ✓" if ls.holds[r][i][j] else "") for j in shown]])
        notes = []
        if ls.skipped:
            notes.append(f"not scanned here (an actor left out): {', '.join(ls.skipped)}")
        held = ls.holding(r)
        if held:
            notes.append(f"{r} holds at {len(held)} of {len(ls.learning) * len(ls.trust)} "
                         f"scanned points; lowest trust {min(t for _, t in held):g}, lowest "
                         f"learning {min(x for x, _ in held):g}")
        else:
            later = [(ls.later_margin[r][i][j], i, j) for i in range(len(ls.learning))
                     for j in range(len(ls.trust)) if ls.later_margin[r][i][j] is not None]
            text = f"{r} breaks at every scanned trust and learning value"
            if later:
                best = max(later)
                text += (f"; from stage 2 on the smallest margin is at best {fmt_signed(best[0])} "
                         f"(learning {ls.learning[best[1]]:g}, trust {ls.trust[best[2]]:g})")
            notes.append(text)
        for a in ls.one_shot[r]:
            if all(ls.one_shot[r][a]) and all(all(x) for x in ls.stays[r][a]):
                continue  # accepts everywhere: nothing to say
            one = ls.lowest_trust(r, a, None)
            staged = [(lam, ls.lowest_trust(r, a, i)) for i, lam in enumerate(ls.learning)]
            first = next(((lam, t) for lam, t in staged if t is not None), None)
            if one is None and first is None and all(not x for x in ls.one_shot[r][a]):
                notes.append(f"{a}: accepts neither the one-shot package nor every stage at "
                             "any scanned trust")
                continue
            notes.append(f"{a}: accepts one-shot from trust {one:g}" if one is not None
                         else f"{a}: never accepts one-shot")
            notes[-1] += (f"; stays throughout from trust {first[1]:g} at learning "
                          f"{first[0]:g}" if first else "; never stays throughout")
        out.append(table(f"Trust × learning scan of {r}: {pairs} set together{suffix}",
                         ["learning \\ trust", *[f"{ls.trust[j]:g}" for j in shown]], rows,
                         notes=["cells: the smallest margin of any veto player at any stage "
                                "(utility points); ✓ where the roadmap holds", *notes],
                         formats=["g", *[""] * len(shown)], key=f"learning scan {r}{suffix}"))
    return out


def _scan(scan: Any) -> Table:
    pairs = ", ".join(f"{a}.{b}" for a, b in scan.pairs)
    columns = ["trust"]
    for r in scan.holds:
        columns.append(f"{r}: holds / smallest margin / first break")
        columns += [f"{r}: {a}'s smallest margin" for a in scan.truster_margin.get(r, {})]
    rows = []
    for k, v in enumerate(scan.values):
        cells: list[Any] = [v]
        for r in scan.holds:
            cells.append(f"{'holds' if scan.holds[r][k] else 'breaks'} / "
                         f"{fmt_signed(scan.min_margin[r][k])} / {scan.first_break[r][k] or '–'}")
            cells += [fmt_signed(m[k]) for m in scan.truster_margin.get(r, {}).values()]
        rows.append(cells)
    notes = []
    for r in scan.holds:
        low = scan.lowest_holding(r)
        notes.append(f"{r}: " + (f"holds from {pairs} = {low:g}" if low is not None
                                 else f"breaks at every scanned value of {pairs}"))
    return table(f"Trust scan: {pairs} set together", columns, rows, notes=notes,
                 formats=["g", *[""] * (len(columns) - 1)], key="scan")


ROADMAP = AnalysisSpec(
    name="roadmap", title="Roadmaps",
    summary="Staged settlements: for each stage, each veto player's banked gain, what it "
            "expects from going on and whether it stays; a search for roadmaps that hold "
            "at every stage; counterfactuals side by side.",
    options=(
        Option("stages", int, None, "Search for roadmaps of this many stages (2-5; 1 = "
               "settle's best).", low=1, high=5),
        Option("roadmap", str, (), "Named roadmap to evaluate; repeat for several (default "
               "all).", multiple=True, flags=("--roadmap", "-r")),
        Option("stage", str, (), "Evaluate this roadmap, stated stage by stage: one --stage "
               "per stage, in order, each ISSUE=VALUE[,ISSUE=VALUE...] (issue units; an issue "
               "a stage leaves out keeps its value). Shown as STATED, like a named roadmap "
               "(scans, learning, counterfactuals, --final STATED); the scenario's own only "
               "with --roadmap.", multiple=True),
        Option("final", str, None, "The package (or roadmap) the searched roadmaps must end "
               "in (default: the best final package some roadmap reaches)."),
        Option("first", str, (), "Hold the searched roadmaps' first stage to ISSUE=VALUE "
               "(issue units, a value on the search grid); repeat for several issues. Issues "
               "not named stay at their status quo in stage 1 (--first NUC=50: the freeze "
               "alone first). Needs --stages.", multiple=True),
        SEPARATELY,
        Option("patience", float, 1.0, "Weight of a promise one stage later, in (0, 1]; "
               "1 = no discount.", low=0.0, low_open=True, high=1.0),
        Option("defection", str, "reverse", "A defector's alternative: reverse (its "
               "walk-away point: the status quo unless the scenario states one) or stop (it "
               "may also keep the banked stages).", choices=("reverse", "stop")),
        Option("scan", str, None, "Sweep these trust values together from 0 to 1 for the "
               "named roadmaps, e.g. KP.RU,KP.CN."),
        Option("finals", int, 100, "Final packages (best Nash first) the search tries.",
               low=1),
        Option("near", int, 3, "Near misses shown when none holds.", low=0),
        Option("any_path", bool, False, "Let stages move issues back and forth (small spaces "
               "only; default: monotone paths from the status quo to the final package)."),
        Option("learning", float, 0.0, "Trust earned by delivery: each delivered stage "
               "raises every receiver's trust T in its deliverers to T + learning*(1 - T); "
               "0 = trust fixed. Named roadmaps and scans only.", low=0.0, high=1.0),
        Option("min_move", float, 1.0, "A searched stage must move some issue by at least "
               "this many labelled anchor steps (the smallest gap between two anchors of "
               "the issue); 0 = any move.", unit="anchor steps", low=0.0, high=10.0),
        Option("scan_learning", bool, False, "With --scan: sweep the learning rate 0, 0.1, "
               "..., 1 against the scanned trust, for the baseline and each counterfactual "
               "(does the roadmap hold if trust is earned by delivery?)."),
        *SETTLEMENT,
        MAX_PACKAGES,
        IGNORE,
    ),
    run=run_roadmap, view=view_roadmap, counterfactual="beside", formats=("table", "json"),
    package_search=True, quick={"step": "25%"},
)

__all__ = ["CONTRIBUTIONS", "ROADMAP", "SEED", "SETTLE", "STEP", "beside"]
