"""The brief: one page in plain words, generated from the numbers (issue 18, item 1).

Two steps: :func:`compute_brief` runs the forecast of the standard models with their
combination, the settlement search, the guarantors' Shapley values and a sampled forecast
(:class:`BriefInputs`); :func:`compose_brief` writes what they say as sentences, and runs
nothing (the report hands over the results it already has; :func:`make_brief` does both):
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
import re
import shutil
import subprocess
import tempfile
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from detente.combine import fitted_on
from detente.errors import NOBODY_MUST_AGREE, NobodyMustAgree, option_error
from detente.glossary import GLOSSARY, with_terms
from detente.models import DEFAULT_MODELS
from detente.render import and_list, decimals_apart, fixed, fixed_toward, fmt, fmt_signed
from detente.scenario import Issue, Scenario, load
from detente.settlement.analysis import CLOSEST_RULE, broken_rules_text, closest_to_passing
from detente.settlement.defaults import GridStep, search_text
from detente.settlement.mechanisms import reference_losses
from detente.view import View

if TYPE_CHECKING:
    from detente.forecast import Forecast
    from detente.settlement import Settlement
    from detente.settlement.analysis import PackageAnalysis
    from detente.settlement.api import Outcome
    from detente.settlement.contributions import Contributions
    from detente.uncertainty import SampleResult
    from detente.variation import Variation

PREFERRED_MODEL = "compromise"  # the best record on DEU III (docs/accuracy.md)
#: The models whose forecasts and spread the brief reports: the standard set of `detente
#: forecast` (the report, which runs every model, hands over these of its forecast).
BRIEF_MODELS: tuple[str, ...] = tuple(DEFAULT_MODELS)


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


def _anchor_words(issue: Issue, value: float, between: bool = True) -> str:
    """Where ``value`` lies among the issue's labelled anchors: at one, close to one, or
    (``between``; else the bare number) between two."""
    anchors = sorted(issue.anchors, key=lambda a: a.value)
    shown = fmt(value, issue.scale.span)
    if not anchors:
        return f"{shown} {issue.units}"
    nearest = min(anchors, key=lambda a: abs(a.value - value))
    if issue.scale.same(nearest.value, value):
        return f"'{nearest.label}' ({shown})"
    if abs(nearest.value - value) <= 0.05 * issue.scale.span:
        return f"{shown}, close to '{nearest.label}'"
    if not between:
        return shown
    below = [a for a in anchors if a.value < value]
    above = [a for a in anchors if a.value > value]
    if below and above:
        return f"{shown}, between '{below[-1].label}' and '{above[0].label}'"
    return f"{shown}, near '{nearest.label}'"


def anchor_steps(issue: Issue, start: float, end: float) -> int:
    """How many labelled anchors a move from ``start`` to ``end`` passes or reaches."""
    low, high = sorted((start, end))
    return sum(1 for a in issue.anchors if low < a.value <= high) if end > start else \
        sum(1 for a in issue.anchors if low <= a.value < high)


def _move_words(issue: Issue, end: float) -> str:
    """'Sanctions on the DPRK 30 → 20, close to ...': an issue's move from the status quo."""
    return (f"{issue.name} {fmt(issue.status_quo.value, issue.scale.span)} → "
            f"{_anchor_words(issue, end, False)}")


def status_quo_losses(scenario: Scenario) -> dict[str, float]:
    """Each actor's loss at the status quo (utility points, settle's default quadratic
    loss)."""
    from detente.settlement.utility import status_quo_losses as losses

    return losses(scenario.compile(), "quadratic")


def _gain_words(name: str, gain: float, loss: float | None) -> str:
    """'China +6.2 (27%)': a gain in utility points and the share of the actor's loss at its
    reference point it closes (docs/glossary.md, *share*); no share without a loss."""
    share = f" ({fixed(100 * gain / loss, 0)}%)" if loss is not None and loss > 1e-9 \
        and math.isfinite(gain) else ""
    return f"{name} {_signed(gain)}{share}"


def _count(n: int, noun: str) -> str:
    """'1 issue', '8 issues', '158,373 deals'."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _signed(gain: float) -> str:
    """A gain with one decimal and its sign; one that rounds to zero gets none."""
    return fmt_signed(gain, 1).replace("-", "−")


def _loss_words(gain: float) -> str:
    """A blocker's loss (a gain at most 0) as a positive number: '4.2', '0.31', '0'."""
    loss = max(-gain, 0.0)
    return "0" if loss < 0.005 else fixed(loss) if loss < 0.05 else fixed(loss, 1)


# --- the brief: compute, then compose ----------------------------------------------------


@dataclass(frozen=True)
class BriefInputs:
    """The results a brief is written from. :func:`compute_brief` runs them; the report
    hands over the ones it has already computed (report/html.py), so that both write the
    same page from the same numbers without running anything twice.

    ``settlement``: its baseline is read, or, with a ``variation``, its last counterfactual
    (settle shows a counterfactual beside the baseline); None with ``contributions``
    where nobody must agree (settle refuses: :class:`~detente.errors.NobodyMustAgree`), and
    the brief says so where its deals would be. ``forecast``: the brief reads the models of
    :data:`BRIEF_MODELS` it holds (all of them where it holds none of those)."""

    scenario: Scenario
    forecast: Forecast
    settlement: Settlement | None
    contributions: Contributions | None
    sampled: SampleResult
    variation: Variation | None = None

    @property
    def outcome(self) -> Outcome:
        assert self.settlement is not None  # read only where a deal was searched
        return self.settlement.outcomes[-1] if self.variation is not None \
            else self.settlement.baseline

    @property
    def models(self) -> list[str]:
        chosen = [m for m in BRIEF_MODELS if m in self.forecast.results]
        return chosen or list(self.forecast.results)


def compute_brief(scenario: Scenario | str | Path | None = None, variation: Any = None, *,
                  step: GridStep | float | str | None = None, samples: int | None = None,
                  seed: int = 0) -> BriefInputs:
    """Run the analyses a brief needs: the forecast of :data:`BRIEF_MODELS` with their
    combination, the settlement search (``step``: grid step, default settle's), the
    guarantors' Shapley values and ``samples`` sampled scenarios of the preferred model
    (default `sample`'s); ``variation``: a counterfactual applied first. Every draw takes
    ``seed``."""
    from detente.analyses.options import DEFAULT_SAMPLES
    from detente.analyses.settling import beside
    from detente.forecast import forecast
    from detente.settlement import settle
    from detente.settlement.contributions import contributions
    from detente.uncertainty import sample

    s = load(scenario)
    if variation is not None and variation.is_empty:
        variation = None
    f = forecast(s, models=list(BRIEF_MODELS), rng=seed, variation=variation, combined=True)
    settled: Settlement | None = None
    guarantors: Contributions | None = None
    with suppress(NobodyMustAgree):  # the brief says so where its deals would be
        settled = settle(s, step=step, variations=beside(variation, False), zones=False,
                         persuasion=False)
        guarantors = contributions(s, step=step, rng=seed, variation=variation)
    sampled = sample(s, model=PREFERRED_MODEL, rng=seed, workers=1, variation=variation,
                     samples=DEFAULT_SAMPLES if samples is None else samples)
    return BriefInputs(s, f, settled, guarantors, sampled, variation)


def compose_brief(inputs: BriefInputs) -> Brief:
    """Write the brief from computed results: every sentence from their numbers."""
    s = inputs.scenario
    if inputs.settlement is None or inputs.contributions is None:
        # Nobody must agree: the sections about deals and guarantors are one sentence.
        deals: tuple[Section | None, ...] = (Section("Deals and guarantors", (
            f"No deal is searched and no guarantor weighed: {NOBODY_MUST_AGREE}.",)),)
        forecast_line = _forecast_line(s, inputs)
        bottom = Section("Bottom line", (forecast_line,)) if forecast_line else None
    else:
        outcome = inputs.outcome
        losses = reference_losses(outcome.problem.mechanisms, outcome.problem.arrays,
                                  inputs.settlement.settings)
        proposals = [p for p in outcome.packages if not p.is_reference]
        bottom = _bottom_line(s, inputs, proposals)
        deals = (_named_deals(s, proposals), _found_deals(s, inputs, losses),
                 _guarantor_section(s, inputs.contributions))
    sections = (bottom, _where_it_lands(s, inputs), *deals, _how_sure(s, inputs),
                _caveats(s, inputs))
    return Brief(s.id, s.title, str(s.as_of or ""), tuple(x for x in sections if x))


def make_brief(scenario: Scenario | str | Path | None = None, variation: Any = None, *,
               step: GridStep | float | str | None = None, samples: int | None = None,
               seed: int = 0) -> Brief:
    """Run the analyses a brief needs and write it (:func:`compute_brief`, then
    :func:`compose_brief`)."""
    return compose_brief(compute_brief(scenario, variation, step=step, samples=samples,
                                       seed=seed))


def _reference(outcome: Outcome, plain: str) -> str:
    """What gains are measured from: the status quo (``plain``), or, where the scenario
    states walk-away points (docs/settle.md, issue 16), each actor's walk-away point."""
    stated = {a for a, _ in outcome.problem.mechanisms.walk_away}
    if not stated:
        return plain
    if stated >= set(outcome.problem.arrays.actor_ids):
        return "its walk-away point"
    return "its walk-away point or else the status quo"


def _headline(s: Scenario, inputs: BriefInputs) -> tuple[str, dict[str, float]]:
    """The forecast the brief leads with, and its values: the combined forecast where it
    exists (docs/combine.md), else the preferred model's."""
    from detente.report.style import model_label

    f = inputs.forecast
    if f.combined is not None:
        combined = f.combined_values()
        return "combined forecast", {i.id: combined[i.id]["combined"] for i in s.issues}
    primary = PREFERRED_MODEL if PREFERRED_MODEL in inputs.models else inputs.models[0]
    return f"{model_label(primary).lower()} forecast", dict(f.values(primary))


def _bottom_line(s: Scenario, inputs: BriefInputs,
                 proposals: list[PackageAnalysis]) -> Section:
    outcome = inputs.outcome
    lines = []
    best = outcome.best if outcome.zone_exists else None
    passing = [p.name for p in proposals if p.acceptable]
    if best is not None:
        lines.append(f"A deal every veto player prefers to {_reference(outcome, 'today')} "
                     f"exists: the most balanced moves {len(best.changed)} of "
                     f"{_count(len(s.issues), 'issue')}.")
        if acceptable_today := _status_quo_acceptable(outcome):
            lines.append(f"{acceptable_today}.")
    elif passing:
        # The search weighs the grid's values only: a proposal passing with values off it
        # (or with guarantors of its own) is a deal nobody loses by, which the empty zone
        # must not be read as denying.
        lines.append(f"With {_searched(inputs)}, no package on the search's grid leaves every "
                     f"veto player better off than {_reference(outcome, 'today')}, but "
                     f"{and_list(passing)}, on the table, can pass as written.")
    else:
        lines.append(f"With {_searched(inputs)}, no deal leaves every veto player better off "
                     f"than {_reference(outcome, 'today')}: a settlement needs someone to "
                     "accept a loss.")
    closest = closest_to_passing(proposals)
    if passing:
        if best is not None:  # else the line above named them
            lines.append(f"Of the proposals on the table, {and_list(passing)} can pass as "
                         "written.")
    elif closest is not None:
        lines.append(f"None of the {len(proposals)} proposals on the table passes as "
                     f"written; {closest.name} comes closest ({CLOSEST_RULE}), blocked by "
                     f"{and_list([s.name_of(b) for b in closest.blockers])}"
                     + (f", and it breaks {broken_rules_text(closest)}"
                        if closest.broken_rules else "") + ".")
    lines.append(_forecast_line(s, inputs))
    return Section("Bottom line", (" ".join(line for line in lines if line),))


def _forecast_line(s: Scenario, inputs: BriefInputs) -> str:
    """The bottom line's forecast: the issue it moves furthest ("" where it moves none)."""
    what, values = _headline(s, inputs)
    furthest = max(s.issues, key=lambda i: abs(values[i.id] - i.status_quo.value)
                   / (i.scale.high - i.scale.low))
    if furthest.id not in s.moved_issues(values):
        return ""
    return (f"The {what} moves furthest on {furthest.name}, "
            f"{fmt(furthest.status_quo.value, furthest.scale.span)} → "
            f"{_anchor_words(furthest, values[furthest.id], False)}.")


def _where_it_lands(s: Scenario, inputs: BriefInputs) -> Section:
    from detente.report.style import model_label

    f = inputs.forecast
    models = inputs.models
    what, values = _headline(s, inputs)
    intro = (f"Today → the {what}, and the range of the {len(models)} models "
             f"({and_list([model_label(m) for m in models])}):")
    paragraphs = [intro]
    for issue in s.issues:
        value = values[issue.id]
        sq = issue.status_quo.value
        text = f"{issue.name}: {fmt(sq, issue.scale.span)} → {_anchor_words(issue, value)}"
        steps = anchor_steps(issue, sq, value)
        notes = []
        if issue.scale.same(value, sq):
            notes.append("no change")
        elif steps:
            notes.append(f"{steps} anchor step{'s' if steps != 1 else ''} "
                         f"{'up' if value > sq else 'down'}")
        column = [f.values(m)[issue.id] for m in models]
        low, high = min(column), max(column)
        notes.append("every model agrees"
                     if issue.scale.same(low, high)
                     else f"models {fmt(low, issue.scale.span)}–{fmt(high, issue.scale.span)} "
                          f"{issue.units}")
        paragraphs.append(f"{text} ({'; '.join(notes)}).")
    return Section("Where bargaining is likely to land", tuple(paragraphs))


def _named_deals(s: Scenario, proposals: list[PackageAnalysis]) -> Section | None:
    if not proposals:
        return None
    paragraphs = []
    for p in proposals:
        if p.acceptable:
            paragraphs.append(f"{p.name} can pass: every veto player gains.")
            continue
        if not p.blockers:
            paragraphs.append(f"{p.name}: every veto player gains, but it breaks "
                              f"{broken_rules_text(p)}, so it is not on the table.")
            continue
        losses = and_list([_loss_words(p.gains[b]) for b in p.blockers])
        text = (f"{p.name}: blocked by {and_list([s.name_of(b) for b in p.blockers])} "
                f"(loss{'es' if len(p.blockers) > 1 else ''} of {losses} utility points).")
        if p.broken_rules:
            text += f" As written, it also breaks {broken_rules_text(p)}."
        fixes, stuck = [], []
        # guarantor -> (blocker, its trust now, the trust it needs)
        trusting: dict[str, list[tuple[str, float, float]]] = {}
        for b in p.blockers:
            ways = p.win_over.get(b, ())
            needs = [(t.guarantor, t.current, t.needed) for t in p.trust_needed.get(b, ())
                     if t.needed is not None]
            if ways:
                issue = s.issue(ways[0].issue)
                fixes.append(f"{s.name_of(b)} with {issue.name} at "
                             f"{_anchor_words(issue, ways[0].target_shown, False)}")
            elif needs:
                guarantor, now, needed = needs[0]
                trusting.setdefault(guarantor, []).append((s.name_of(b), now, needed))
            else:
                stuck.append(s.name_of(b))
        fixes += [_trust_words(s.name_of(g), who) for g, who in trusting.items()]
        if fixes:
            text += " Would accept: " + "; ".join(fixes) + "."
        if stuck:
            text += f" No single change wins over {and_list(stuck)}."
        paragraphs.append(text)
    return Section("Which proposals can pass", tuple(paragraphs))


def _trust_words(guarantor: str, who: list[tuple[str, float, float]]) -> str:
    """'United States if its trust in X rose from 0.05 to 0.48', or for several blockers
    'A and B if their trust in X rose (A 0.05 → 0.48, B 0.20 → 0.45)'; 'fell' where the
    blockers accept only if they trust X less, 'moved' where some rise and some fall."""
    def rise(now: float, needed: float) -> tuple[str, str]:
        # Two decimals, more where a threshold would read as its start (0 to 0.001). The
        # needed trust is rounded past itself, away from the start (0.474 reads 0.48): the
        # nearest, 0.47, would be a trust that does not win the blocker over.
        places = decimals_apart(now, needed, 2)
        return f"{now:.{places}f}", fixed_toward(needed, places, needed > now)

    rising = {needed > now for _, now, needed in who}
    verb = "moved" if len(rising) > 1 else "rose" if rising == {True} else "fell"
    if len(who) == 1:
        name, now, needed = who[0]
        start, threshold = rise(now, needed)
        return f"{name} if its trust in {guarantor} {verb} from {start} to {threshold}"
    return (f"{and_list([w[0] for w in who])} if their trust in {guarantor} {verb} ("
            + ", ".join(f"{name} {' → '.join(rise(now, needed))}" for name, now, needed in who)
            + ")")


def _found_deals(s: Scenario, inputs: BriefInputs, losses: dict[str, float]) -> Section:
    outcome = inputs.outcome
    ref = _reference(outcome, "the status quo")
    if not outcome.zone_exists or outcome.best is None:
        passing = [p.name for p in outcome.packages if p.acceptable and not p.is_reference]
        return Section("The best and the smallest deal", (
            f"With {_searched(inputs)}, no package on the search's grid makes every veto "
            f"player better off than {ref}, though {and_list(passing)}, on the table, can "
            "pass as written." if passing else
            f"With {_searched(inputs)}, no deal makes every veto player better off than "
            f"{ref}: there is no zone of agreement.",))
    size = outcome.zone_size
    count = _count(size, "deal") if size is not None else "deals"
    paragraphs = [f"With {_searched(inputs)}, {count} {'leaves' if size == 1 else 'leave'} "
                  f"every veto player better off than {ref} (the zone of agreement)."]
    best = outcome.best
    moves = "; ".join(_move_words(s.issue(k), best.values[k]) for k in best.changed)
    gains = ", ".join(_gain_words(s.name_of(a), g, losses.get(a))
                      for a, g in sorted(best.gains.items(), key=lambda kv: -kv[1]))
    paragraphs[0] += (f" The most balanced (highest Nash product) moves "
                      f"{_count(len(best.changed), 'issue')}: "
                      f"{moves}. Gains in utility points (share of the way from {ref} to "
                      f"all it wants): {gains}.")
    small = outcome.smallest
    if small is not None:
        worst = outcome.worst_off(small)
        least = (f"of the veto players, {s.name_of(worst)} gains least, "
                 f"{_gain_words('', small.gains[worst], losses.get(worst)).strip()}.")
        if small.changed:
            moves = "; ".join(_move_words(s.issue(k), small.values[k]) for k in small.changed)
            paragraphs.append(f"The smallest acceptable deal moves "
                              f"{_count(len(small.changed), 'issue')}: {moves}; {least}")
        else:
            paragraphs.append(f"{_status_quo_acceptable(outcome)}; {least}")
    return Section("The best and the smallest deal", tuple(paragraphs))


def _status_quo_acceptable(outcome: Outcome) -> str:
    """The sentence that says the smallest acceptable deal changes nothing ("" where it
    changes something, or where there is none): every veto player already prefers today to
    walking away (docs/settle.md: the smallest accord then starts from 0 changes)."""
    small = outcome.smallest if outcome.zone_exists else None
    if small is None or small.changed:
        return ""
    return (f"Every veto player already prefers today to {_reference(outcome, 'today')}: "
            "the smallest acceptable deal is the status quo itself, with no issue moved")


def _guarantor_section(s: Scenario, result: Contributions) -> Section | None:
    if not result.shapley or result.adds_nothing:
        return Section("What the guarantors add", (
            "No guarantor changes the best deal's worth among the deals searched: the deal "
            "does not depend on who guarantees it.",))
    shares = {a: result.share(a) or 0.0 for a in result.shapley}
    ranked = sorted(shares, key=lambda a: -result.shapley[a])
    # Under half a percent prints as 0%: such an actor is said to add nothing.
    parts = [f"{s.name_of(a)} {fixed(100 * shares[a], 0)}%" for a in ranked
             if abs(shares[a]) >= 0.005]
    text = ("Share of what guarantees add to the best deal (Shapley values): "
            + ", ".join(parts) + ".")
    nobody = [s.name_of(a) for a in ranked if abs(shares[a]) < 0.005]
    if nobody:
        text += (f" {and_list(nobody)} add{'s' if len(nobody) == 1 else ''} nothing as "
                 "guarantor among the deals searched.")
    return Section("What the guarantors add", (text,))


def _how_sure(s: Scenario, inputs: BriefInputs) -> Section:
    from detente.report.style import model_label

    f, models = inputs.forecast, inputs.models
    spreads = [(width, issue) for issue, width in f.spread(models)]
    widest, least = spreads[0], spreads[-1]
    # Which models: the report beside this page shows more of them, and they may differ
    # most on another issue.
    who = f"The {len(models)} models ({and_list([model_label(m) for m in models])})"
    # A spread that reads 0% is agreement, said as such: "disagree most on X (0%)" claimed
    # a disagreement the numbers do not show.
    agreed = [issue.name for width, issue in spreads if fixed(100 * width, 0) == "0"]
    if len(agreed) == len(spreads):
        text = (f"{who} agree on {and_list(agreed) if len(agreed) < 3 else 'every issue'}"
                " (their forecasts within 0.5% of the scale).")
    elif len(spreads) == 1:
        text = f"{who} spread over {fixed(100 * widest[0], 0)}% of {widest[1].name}'s scale."
    else:
        # Issues whose spreads read alike are named together: "most on A (50%) and least
        # on B (50%)" worded a tie as a difference.
        widest_shown, least_shown = fixed(100 * widest[0], 0), fixed(100 * least[0], 0)
        most = [issue.name for width, issue in spreads
                if fixed(100 * width, 0) == widest_shown]
        fewest = [issue.name for width, issue in spreads
                  if fixed(100 * width, 0) == least_shown]
        scale = "its scale" if len(most) == 1 else "each one's scale"
        if len(most) == len(spreads):
            text = (f"{who} disagree equally on "
                    f"{and_list(most) if len(most) < 3 else 'every issue'} "
                    f"(a spread of {widest_shown}% of {scale}).")
        else:
            text = (f"{who} disagree most on {and_list(most)} (a spread of {widest_shown}% "
                    f"of {scale}) and "
                    + (f"agree on {and_list(agreed[::-1])}." if agreed else
                       f"least on {and_list(fewest)} ({least_shown}%)."))
    if f.combined is not None:
        f_combined = f.combined_values()
        spans = sorted((((f_combined[i.id]["high80"] - f_combined[i.id]["low80"])
                         / (i.scale.high - i.scale.low), i) for i in s.issues),
                       key=lambda t: t[0])
        (narrow_w, narrow), (wide_w, wide) = spans[0], spans[-1]
        alike = fixed(100 * narrow_w, 0) == fixed(100 * wide_w, 0)
        text += (" The combined forecast's 80% interval (the models weighted by their "
                 f"record on {fitted_on(f.combined.combination)}) covers "
                 + (f"{fixed(100 * wide_w, 0)}% of the scale" if len(spans) == 1 else
                    f"{fixed(100 * wide_w, 0)}% of each issue's scale" if alike else
                    f"from {fixed(100 * narrow_w, 0)}% of the scale ({narrow.name}) to "
                    f"{fixed(100 * wide_w, 0)}% ({wide.name})") + ".")
    summaries = inputs.sampled.summaries()
    if summaries:
        widths = sorted((((summaries[i.id].interval90[1] - summaries[i.id].interval90[0])
                          / (i.scale.high - i.scale.low), i) for i in s.issues
                         if i.id in summaries), key=lambda t: t[0])
        loose = widths[-1][1]
        lo, hi = summaries[loose.id].interval90
        text += (f" With the inputs varied within their uncertainty "
                 f"({inputs.sampled.samples:,} samples) the "
                 f"{model_label(inputs.sampled.model).lower()} forecast is least certain on "
                 f"{loose.name} (90% interval {fmt(lo, loose.scale.span)}–"
                 f"{fmt(hi, loose.scale.span)} {loose.units}).")
    return Section("How sure we are", (text,))


def _searched(inputs: BriefInputs) -> str:
    """What the package search ran over, as the settle headers name it (a grid step, or the
    issues' listed options where no grid applies)."""
    assert inputs.settlement is not None  # read only where a deal was searched
    return search_text(inputs.settlement.step, inputs.settlement.steps)


def _caveats(s: Scenario, inputs: BriefInputs) -> Section:
    dated = f", as of {s.as_of}" if s.as_of else ""
    # The run's actors and issues: a counterfactual's (--without, --add), not the file's.
    ran = inputs.forecast.arrays
    text = (f"The inputs are judgments about {_count(ran.n_actors, 'actor')} on "
            f"{_count(ran.n_issues, 'issue')}{dated}, taken to stay as written.")
    if inputs.settlement is not None:
        text += (f" Deals are searched with {_searched(inputs)}"
                 # No step to set where every issue lists its options.
                 # Said the same from every interface: the brief is a document.
                 + (" (set by the step option, or by each issue's options)." if any(
                     step is not None for step in inputs.settlement.steps.values())
                    else "."))
        if inputs.outcome.problem.mechanisms.walk_away:
            text += (" Gains are over what each actor has without a deal (its walk-away "
                     "point, where it states one), not over today.")
    if inputs.variation is not None:
        text += f" This brief is a counterfactual: {inputs.variation.describe()}."
    return Section("Caveats", (text,))


# --- PDF ---------------------------------------------------------------------------------

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def require_chromium() -> str:
    """The chromium to print with; refuse, saying how to install it, where none is on the
    PATH (the CLI asks before the brief's run, which takes a while)."""
    browser = find_chromium()
    if browser is None:
        raise option_error("--pdf", "no PDF renderer: chromium is not installed",
                           "install Debian's chromium (apt-get install chromium), or write "
                           "HTML with -f html and print it from a browser")
    return browser


def pdf_pages(data: bytes) -> int | None:
    """The number of pages of a PDF as chromium writes it (each page object uncompressed,
    ``/Type /Page``); None where none can be read (object streams)."""
    pages = len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", data))
    return pages or None


def pdf_bytes(page: str, timeout: float = 120.0) -> bytes:
    """Print an HTML page to PDF with chromium in headless mode (see
    :func:`require_chromium`)."""
    browser = require_chromium()
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


__all__ = ["BRIEF_MODELS", "GLOSSARY", "Brief", "BriefInputs", "Section", "anchor_steps",
           "compose_brief", "compute_brief", "find_chromium", "make_brief", "pdf_bytes",
           "pdf_pages", "require_chromium", "status_quo_losses"]
