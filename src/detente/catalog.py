"""Views of what detente holds: a scenario's inputs, the embedded scenarios, the registered
models (``detente show``, ``detente scenarios``, ``detente models``).

They are :class:`~detente.view.View` data like every analysis result, so the terminal, JSON
and HTML renderers of :mod:`detente.render` show them; the CLI only prints them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from detente.models import REGISTRY
from detente.render import UNITS, fmt
from detente.scenario import Scenario, embedded_scenarios, load
from detente.scenario.schema import Condition
from detente.view import Table, View, table


def scenario_view(s: Scenario) -> View:
    """Actors, issues, stances (position / salience), trust and named packages."""
    actors = table("Actors", ["id", "name", "capability", "veto", "note"],
                   [[a.id, a.name, a.capability.value, a.veto,
                     a.capability.note or a.note or ""] for a in s.actors],
                   formats=["", "", UNITS, "", ""])
    # Who must deliver a move of each issue: the settlement analysis discounts a promise
    # by each party's trust in them.
    issues = table("Issues", ["id", "name", "scale", "status quo", "guaranteed by", "anchors"],
                   [[i.id, i.name,
                     f"{fmt(i.scale.low, i.scale.span)}–{fmt(i.scale.high, i.scale.span)} "
                     f"{i.units}", i.status_quo.value,
                     ", ".join(s.name_of(g) for g in i.guarantors) or "nobody named",
                     "; ".join(f"{fmt(a.value, i.scale.span)} {a.label}" for a in i.anchors)]
                    for i in s.issues],
                   formats=["", "", "", UNITS, "", ""],
                   row_spans=[i.scale.span for i in s.issues])
    stances = table("Stances: position / salience", ["actor", *s.issue_ids], [
        [a.id, *[f"{fmt(row[i].position.value, s.issue(i).scale.span)} / "
                 f"{row[i].salience.value:.2f}" if i in row else None for i in s.issue_ids]]
        for a in s.actors for row in [s.stances.get(a.id, {})]])
    tables: list[Table] = [actors, issues, stances]
    if s.trust:
        arrays = s.compile()
        tables.append(table("Trust: row believes column", ["", *arrays.guarantor_ids],
                            [[a, *arrays.trust[k]] for k, a in enumerate(arrays.actor_ids)],
                            formats=["", *[".2f"] * len(arrays.guarantor_ids)]))
    if s.packages:
        tables.append(table("Packages", ["id", "name", "values"], [
            [p.id, p.name, ", ".join(f"{k} {fmt(v.value, s.issue(k).scale.span)}"
                                     for k, v in p.values.items())]
            for p in s.packages]))
    tables += _mechanism_tables(s)
    return View(f"{s.title} ({s.id}, as of {s.as_of or 'n/a'})", s.description or "",
                tables=tuple(tables))


def _mechanism_tables(s: Scenario) -> list[Table]:
    """Who guarantees and verifies what, linked issues, package rules, walk-away points and
    guarantors' stakes (docs/scenario-format.md, docs/settle.md)."""
    rows = []
    for i in s.issues:
        ver = i.verifies
        bands = "; ".join(f"≤ {fmt(b.up_to, i.scale.span)}: {', '.join(b.by) or 'nobody'}"
                          for b in ver.verifiers) if ver else ""
        rows.append([i.id, ", ".join(i.guarantors) or "nobody named (face value)",
                     ", ".join(ver.issues) if ver else "", bands,
                     ver.strength.value if ver else None])
    tables = [table("Guarantors and verifiers",
                    ["issue", "delivered by", "verifies", "verified by (bands)", "strength"],
                    rows, formats=["", "", "", "", "g"])]
    if s.links:
        tables.append(table(
            "Linked issues: actor values issue only with the condition",
            ["actor", "issue", "needs", "weight", "note"],
            [[x.actor, x.issue, f"{x.needs} at {fmt(x.target, s.issue(x.needs).scale.span)}",
              x.weight.value, x.note or ""]
             for x in s.links], formats=["", "", "", "g", ""]))

    def cond(c: Condition) -> str:
        bound = c.at_least if c.at_least is not None else c.at_most
        return (f"{c.issue} {'≥' if c.at_least is not None else '≤'} "
                f"{fmt(bound, s.issue(c.issue).scale.span)}")

    if s.rules:
        tables.append(table("Package rules", ["when", "requires", "note"],
                            [[cond(r.when), cond(r.then), r.note or ""] for r in s.rules]))
    walk = [[a.id, f"package {a.walk_away.package}" if a.walk_away.package
             else f"utility {fmt(a.walk_away.utility)}", a.walk_away.note or ""]
            for a in s.actors if a.walk_away is not None]
    if walk:
        tables.append(table("Walk-away points", ["actor", "walk-away point", "note"], walk))
    stakes = [[g, iid, st.cost.value, st.outside_gain.value]
              for g, row in s.stakes.items() for iid, st in row.items()]
    if stakes:
        tables.append(table("Guarantors' stakes (utility points)",
                            ["guarantor", "issue", "cost", "outside gain"], stakes))
    return tables


def embedded_index() -> list[dict[str, Any]]:
    """Each embedded scenario's id, title, date and size, as plain data (the workbench's
    ``/api/scenarios``; ``detente scenarios`` shows it as :func:`scenarios_view`)."""
    out = []
    for sid in embedded_scenarios():
        s = load(sid)
        out.append({"id": sid, "title": s.title, "as_of": str(s.as_of or ""),
                    "actors": len(s.actors), "issues": len(s.issues)})
    return out


def scenarios_view() -> View:
    rows = [[e["id"], e["title"], e["as_of"], f"{e['actors']} × {e['issues']}"]
            for e in embedded_index()]
    return View("", tables=(table("Embedded scenarios",
                                  ["id", "title", "as of", "actors × issues"], rows),))


def models_view() -> View:
    rows = [[info.name, info.title, info.deterministic, info.stepwise,
             ", ".join(f"{f.name}={f.default!r}" for f in dataclasses.fields(info.model.Options)),
             info.reference] for info in REGISTRY.values()]
    return View("", tables=(table("Registered models", [
        "name", "title", "deterministic", "stepwise", "options", "reference"], rows),),
        notes=("`detente sample -m settle` and `detente sensitivity -m settle` sample the "
               "settlement analysis instead of a model (options as -O settle.step=10).",))


__all__ = ["embedded_index", "models_view", "scenario_view", "scenarios_view"]
