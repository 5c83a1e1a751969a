"""The brief: one page in plain words, generated from the numbers (issue 18, item 1).

:func:`make_brief` runs the forecast of every default model, the settlement search, the
guarantors' Shapley values and a sampled forecast, and writes what they say as sentences:
where bargaining is likely to land, which named deals can pass and who blocks them, the
best and the smallest acceptable deal, what each guarantor adds, how sure the numbers
are, and the caveats. No sentence is written for one scenario: each is built from the
numbers of the scenario it describes (tests change a number and see the sentence change).

Renderers: :meth:`Brief.view` (the terminal, through :mod:`detente.render`),
:meth:`Brief.to_markdown`, :meth:`Brief.to_html` (one self-contained page with the
glossary as hover titles), :meth:`Brief.to_dict` (JSON) and :func:`pdf_bytes` (Debian's
chromium printing the HTML headless).
"""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from detente.errors import option_error
from detente.glossary import GLOSSARY, with_terms
from detente.render import fmt
from detente.scenario import Issue, Scenario, load
from detente.view import View

PREFERRED_MODEL = "compromise"  # the best record on DEU III (docs/accuracy.md)


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class Brief:
    scenario_id: str
    title: str
    as_of: str
    sections: tuple[Section, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"format": "detente.brief", "scenario": self.scenario_id, "title": self.title,
                "as_of": self.as_of,
                "sections": [{"heading": s.heading, "paragraphs": list(s.paragraphs)}
                             for s in self.sections]}

    def view(self) -> View:
        notes: list[str] = []
        for section in self.sections:
            notes += ["", section.heading.upper(), *[f"  {p}" for p in section.paragraphs]]
        return View(f"{self.title}: the brief", self._dated(), notes=tuple(notes))

    def _dated(self) -> str:
        return f"As of {self.as_of}." if self.as_of else ""

    def to_markdown(self) -> str:
        lines = [f"# {self.title}: the brief", ""]
        if self.as_of:
            lines += [f"*{self._dated()}*", ""]
        for section in self.sections:
            lines += [f"## {section.heading}", ""]
            for p in section.paragraphs:
                lines += [p, ""]
        lines += ["Terms: docs/glossary.md.", ""]
        return "\n".join(lines)

    def to_html(self) -> str:
        from jinja2 import Environment, PackageLoader, select_autoescape

        env = Environment(loader=PackageLoader("detente", "report/templates"),
                          autoescape=select_autoescape(["j2"]))
        sections = [(s.heading, [with_terms(p) for p in s.paragraphs]) for s in self.sections]
        return env.get_template("brief.html.j2").render(
            title=self.title, dated=self._dated(), sections=sections)


# --- words for numbers -------------------------------------------------------------------


def _names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _anchor_words(issue: Issue, value: float) -> str:
    """Where ``value`` lies among the issue's labelled anchors: at one, or between two."""
    anchors = sorted(issue.anchors, key=lambda a: a.value)
    if not anchors:
        return f"{fmt(value)} {issue.units}"
    span = issue.scale.high - issue.scale.low
    nearest = min(anchors, key=lambda a: abs(a.value - value))
    if abs(nearest.value - value) <= 1e-9:
        return f"'{nearest.label}' ({fmt(value)})"
    if abs(nearest.value - value) <= 0.05 * span:
        return f"{fmt(value)}, close to '{nearest.label}'"
    below = [a for a in anchors if a.value < value]
    above = [a for a in anchors if a.value > value]
    if below and above:
        return f"{fmt(value)}, between '{below[-1].label}' and '{above[0].label}'"
    return f"{fmt(value)}, near '{nearest.label}'"


def anchor_steps(issue: Issue, start: float, end: float) -> int:
    """How many labelled anchors a move from ``start`` to ``end`` passes or reaches."""
    low, high = sorted((start, end))
    return sum(1 for a in issue.anchors if low < a.value <= high) if end > start else \
        sum(1 for a in issue.anchors if low <= a.value < high)


def _move_words(issue: Issue, start: float, end: float) -> str:
    steps = anchor_steps(issue, start, end)
    what = f"{steps} anchor step{'s' if steps != 1 else ''}" if steps else "less than an " \
        "anchor step"
    return (f"{issue.name}: from {fmt(start)} to {_anchor_words(issue, end)} ({what})")


def status_quo_losses(scenario: Scenario) -> dict[str, float]:
    """Each actor's loss at the status quo (utility points, settle's default quadratic
    loss): the yardstick a gain is compared with."""
    from detente.settlement.utility import status_quo_losses as losses

    return losses(scenario.compile(), "quadratic")


def _gain_words(name: str, gain: float, loss: float) -> str:
    share = f", {100 * gain / loss:.0f}% of what the status quo costs it" \
        if loss > 1e-9 and math.isfinite(gain) else ""
    return f"{name} {gain:+.1f}{share}"


# --- the brief ---------------------------------------------------------------------------


def make_brief(scenario: Scenario | str | Path | None = None, variation: Any = None, *,
               step: float | None = None, samples: int = 500, seed: int = 0,
               models: tuple[str, ...] | None = None, progress: Any = None) -> Brief:
    """Run the analyses a brief needs and write it. ``step``: grid step of the package
    search (default the settlement default); ``samples``: sampled scenarios for the
    forecast's interval; ``variation``: a counterfactual applied first."""
    from detente.forecast import forecast
    from detente.models import DEFAULT_MODELS
    from detente.settlement import settle
    from detente.settlement.contributions import contributions
    from detente.uncertainty import sample

    s = load(scenario)
    if variation is not None and variation.is_empty:
        variation = None
    names = list(models or DEFAULT_MODELS)
    f = forecast(s, models=names, rng=seed, variation=variation, combined=True)
    # settle shows a counterfactual beside the baseline: the brief reads the varied one.
    from detente.analyses.settling import beside

    # No sentence reads the per-issue zones or the persuasion plans: not computed.
    settled = settle(s, step=step, variations=beside(variation, False),  # type: ignore[arg-type]
                     zones=False, persuasion=False)
    outcome = settled.outcomes[-1]
    guarantors = contributions(s, step=step, rng=seed, variation=variation)
    primary = PREFERRED_MODEL if PREFERRED_MODEL in names else names[0]
    sampled = sample(s, model=primary, samples=samples, rng=seed, workers=1,
                     variation=variation)
    sections = (
        _bottom_line(s, outcome),
        _where_it_lands(s, f, primary),
        _named_deals(s, outcome),
        _found_deals(s, outcome),
        _guarantor_section(s, guarantors),
        _how_sure(s, f, sampled.summaries(), primary, samples),
        _caveats(s, settled, variation),
    )
    return Brief(s.id, s.title, str(s.as_of or ""), tuple(x for x in sections if x))


def _steps_words(issue: Issue, start: float, end: float) -> str:
    """'27 points (2 anchor steps) up': the move in units, and in anchors when it passes any."""
    steps = anchor_steps(issue, start, end)
    size = f"{fmt(abs(end - start))} {issue.units}"
    return size + (f" ({steps} anchor step{'s' if steps != 1 else ''})" if steps else "")


def _where_it_lands(s: Scenario, f: Any, primary: str) -> Section:
    from detente.report.style import model_label

    run = _names([model_label(m) for m in f.results])
    paragraphs = [f"Each issue as the {model_label(primary).lower()} model forecasts it (the "
                  f"best record on past negotiations, docs/accuracy.md), with the range over "
                  f"the {len(f.results)} models run ({run})."]
    combined = f.combined_values() if f.combined is not None else None
    if combined is not None:
        paragraphs.append("The combined forecast weighs the models by how well each predicted "
                          "the outcomes of 353 EU decisions; its 80% interval held 80% of "
                          "outcomes there that it had not been fitted on. On other "
                          "negotiations it is a yardstick, not a guarantee.")
    for issue in s.issues:
        values = {m: f.values(m)[issue.id] for m in f.results}
        low, high = min(values.values()), max(values.values())
        best = values[primary]
        sq = issue.status_quo.value
        text = f"{issue.name}: {_anchor_words(issue, best)}"
        if abs(best - sq) > 1e-9:
            text += (f", {_steps_words(issue, sq, best)} "
                     f"{'up' if best > sq else 'down'} from the status quo ({fmt(sq)})")
        else:
            text += ", where it stands today"
        if combined is not None:
            c = combined[issue.id]
            text += (f"; combined forecast {fmt(c['combined'])}, 80% interval "
                     f"{fmt(c['low80'])}–{fmt(c['high80'])}")
        text += (f"; the models range from {fmt(low)} to {fmt(high)} {issue.units}."
                 if high - low > 1e-9 else "; every model agrees.")
        paragraphs.append(text)
    return Section("Where bargaining is likely to land", tuple(paragraphs))


def _bottom_line(s: Scenario, outcome: Any) -> Section:
    status_quo = {i.id: i.status_quo.value for i in s.issues}
    proposals = [p for p in outcome.packages
                 if any(abs(v - status_quo[k]) > 1e-9 for k, v in p.values.items())]
    lines = []
    if outcome.zone_exists and outcome.best is not None:
        best = outcome.best
        moves = "; ".join(f"{s.issue(k).name}: {_anchor_words(s.issue(k), best.values[k])}"
                          for k in best.changed)
        lines.append(f"A deal that leaves every veto player better off than "
                     f"{_reference(outcome, 'today')} exists. "
                     f"The most balanced one moves {len(best.changed)} of {len(s.issues)} "
                     f"issues: {moves}.")
    else:
        lines.append("No deal on the search grid leaves every veto player better off than "
                     f"{_reference(outcome, 'today')}: any settlement needs someone to "
                     "accept a loss.")
    passing = [p.name for p in proposals if p.acceptable]
    blocked = sorted((p for p in proposals if not p.acceptable), key=lambda p: len(p.blockers))
    if passing:
        lines.append(f"Of the named proposals, {_names(passing)} can pass as written.")
    if blocked and not passing:
        closest = blocked[0]
        lines.append(f"None of the {len(proposals)} named proposals passes as written; "
                     f"{closest.name} comes closest, blocked by "
                     f"{_names([s.name_of(b) for b in closest.blockers])}.")
    return Section("Bottom line", tuple(lines))


def _reference(outcome: Any, plain: str) -> str:
    """What gains are measured from: the status quo (``plain``), or, where the scenario
    states walk-away points (docs/settle.md, issue 16), each actor's walk-away point."""
    if outcome.problem.mechanisms.walk_away:
        return "its walk-away point (what it has without a deal)"
    return plain


def _named_deals(s: Scenario, outcome: Any) -> Section | None:
    status_quo = {i.id: i.status_quo.value for i in s.issues}
    proposals = [p for p in outcome.packages
                 if any(abs(v - status_quo[k]) > 1e-9 for k, v in p.values.items())]
    if not proposals:
        return None
    paragraphs = []
    for p in proposals:
        if p.acceptable:
            paragraphs.append(f"{p.name} can pass: every veto player gains.")
            continue
        blockers = [s.name_of(b) for b in p.blockers]
        text = f"{p.name} is blocked by {_names(blockers)}."
        for b in p.blockers:
            costs = [s.issue(k).name for k, _ in p.why_not(b, 2)]
            ways = p.win_over.get(b, ())
            loss = max(-p.gains[b], 0.0)  # a blocker gains at most 0 (no signed zero)
            shown = "0.00" if loss < 0.005 else f"−{loss:.2f}" if loss < 0.05 \
                else f"−{loss:.1f}"
            text += f" {s.name_of(b)} ({shown} utility points"
            text += f", most on {_names(costs)})" if costs else ")"
            if ways:
                w = ways[0]
                issue = s.issue(w.issue)
                target = w.value if w.value is not None else w.threshold
                text += f" accepts with {issue.name} at {_anchor_words(issue, target)}"
                if w.then_blocking:
                    text += (f", though {_names([s.name_of(x) for x in w.then_blocking])} "
                             "would still block")
            else:
                needs = [t for t in p.trust_needed.get(b, ()) if t.needed is not None]
                text += (": no change of one issue wins it over" if not needs else
                         f" accepts if it trusts {s.name_of(needs[0].guarantor)}'s promises "
                         f"{needs[0].needed:.2f} instead of {needs[0].current:.2f}")
            text += "."
        paragraphs.append(text)
    return Section("Which proposals can pass", tuple(paragraphs))


def _found_deals(s: Scenario, outcome: Any) -> Section:
    losses = status_quo_losses(s)
    if not outcome.zone_exists or outcome.best is None:
        return Section("The best deal on offer", (
            "No deal on the search grid makes every veto player better off than "
            f"{_reference(outcome, 'the status quo')}: there is no zone of agreement.",))
    paragraphs = []
    size = outcome.zone_size
    count = (f"{size:,} deals on the search grid" if size is not None
             else "Deals on the search grid")
    paragraphs.append(f"{count} would leave every veto player better off than "
                      f"{_reference(outcome, 'the status quo')} (the zone of agreement).")
    for label, found in (("The best deal by Nash product", outcome.best),
                         ("The smallest acceptable deal", outcome.smallest)):
        if found is None:
            continue
        moves = [_move_words(s.issue(k), s.issue(k).status_quo.value, found.values[k])
                 for k in found.changed]
        worst = min(found.gains, key=lambda a: found.gains[a])
        gains = "; ".join(_gain_words(s.name_of(a), g, losses.get(a, 0.0))
                          for a, g in found.gains.items())
        paragraphs.append(f"{label} moves {len(found.changed)} issue(s): "
                          f"{'; '.join(moves)}. Gains in utility points: {gains}. "
                          f"{s.name_of(worst)} gains least.")
    return Section("The best deal on offer", tuple(paragraphs))


def _guarantor_section(s: Scenario, result: Any) -> Section | None:
    whole = result.grand_value - result.empty_value
    if not result.shapley or abs(whole) < 1e-12:
        return Section("What the guarantors add", (
            "No guarantor changes the best deal's worth on this grid: the deal does not "
            "depend on who guarantees it.",))
    ranked = sorted(result.shapley.items(), key=lambda kv: -kv[1])
    # Under half a percent prints as 0%: such an actor is said to add (almost) nothing.
    counted = [(a, v) for a, v in ranked if abs(v / whole) >= 0.005]
    parts = [f"{s.name_of(a)} {100 * v / whole:.0f}%" for a, v in counted]
    top, value = ranked[0]
    issues = [i.name for i in s.issues if top in i.guarantors]
    text = (f"As guarantors, {s.name_of(top)} adds most: {100 * value / whole:.0f}% of what "
            f"the guarantors together make possible (its Shapley value)"
            + (f", through {_names(issues)}" if issues else "") + ". Shares: "
            + "; ".join(parts) + ".")
    nobody = [s.name_of(a) for a, v in ranked if abs(v / whole) < 0.005]
    out = [text]
    if nobody:
        out.append(f"{_names(nobody)} add{'s' if len(nobody) == 1 else ''} (almost) nothing "
                   "as guarantor on this grid.")
    return Section("What the guarantors add", tuple(out))


def _how_sure(s: Scenario, f: Any, summaries: dict[str, Any], primary: str,
              samples: int) -> Section:
    from detente.report.style import model_label

    spreads = []
    for issue in s.issues:
        values = [f.values(m)[issue.id] for m in f.results]
        width = (max(values) - min(values)) / (issue.scale.high - issue.scale.low)
        spreads.append((width, issue))
    spreads.sort(key=lambda x: -x[0])
    widest, agreed = spreads[0], spreads[-1]
    paragraphs = [f"The models disagree most on {widest[1].name} (a spread of "
                  f"{100 * widest[0]:.0f}% of its scale) and least on {agreed[1].name} "
                  f"({100 * agreed[0]:.0f}%)."]
    if summaries:
        widths = sorted(((summaries[i.id].interval90[1] - summaries[i.id].interval90[0])
                         / (i.scale.high - i.scale.low), i) for i in s.issues
                        if i.id in summaries)
        loose, tight = widths[-1][1], widths[0][1]
        lo, hi = summaries[loose.id].interval90
        paragraphs.append(
            f"When the inputs vary within their uncertainty ({samples:,} sampled scenarios), "
            f"the {model_label(primary).lower()} forecast is least certain on {loose.name} "
            f"(90% interval {fmt(lo)} to {fmt(hi)} {loose.units}) and most certain on "
            f"{tight.name}.")
    return Section("How sure we are", tuple(paragraphs))


def _caveats(s: Scenario, settled: Any, variation: Any) -> Section:
    paragraphs = [f"The numbers are judgments about {len(s.actors)} actors on "
                  f"{len(s.issues)} issues, as of {s.as_of or 'the scenario date'}; the "
                  "scenario's sources say where each comes from (detente show).",
                  f"Deals are searched on a grid of {fmt(settled.step)} units; a finer grid "
                  "(--step) can find deals between its points.",
                  "Forecasts assume the actors and stakes stay as written: a new actor or a "
                  "shock is a counterfactual (--without, --position, ...)."]
    if variation is not None:
        paragraphs.append(f"This brief is a counterfactual: {variation.describe()}.")
    return Section("Caveats", tuple(paragraphs))


# --- PDF ---------------------------------------------------------------------------------

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def pdf_bytes(page: str, timeout: float = 120.0) -> bytes:
    """Print an HTML page to PDF with chromium in headless mode; refuse, saying how to
    install it, where none is on the PATH."""
    browser = find_chromium()
    if browser is None:
        raise option_error("--pdf", "no PDF renderer: chromium is not installed",
                           "install Debian's chromium (apt-get install chromium), or write "
                           "HTML with -f html and print it from a browser")
    with tempfile.TemporaryDirectory(prefix="detente-brief-") as folder:
        source = Path(folder) / "brief.html"
        target = Path(folder) / "brief.pdf"
        source.write_text(page, encoding="utf-8")
        done = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
             f"--print-to-pdf={target}", source.as_uri()],
            capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0 or not target.is_file():
            raise option_error("--pdf", f"chromium could not print the brief (exit "
                               f"{done.returncode}): {done.stderr.strip()[-300:]}",
                               "write HTML with -f html and print it from a browser")
        return target.read_bytes()


__all__ = ["GLOSSARY", "Brief", "Section", "anchor_steps", "find_chromium", "make_brief",
           "pdf_bytes", "status_quo_losses"]
