"""Short definitions of the terms detente's outputs use, for hover titles in HTML.

The long forms, with a sense of scale, are docs/glossary.md; these one-liners are what a
reader sees when the pointer rests on a dotted term (the brief, :func:`detente.render.view_html`).
Plain data: anything may import it.
"""

from __future__ import annotations

import html
import re

#: Term -> one-line definition.
GLOSSARY: dict[str, str] = {
    "status quo": "Where each issue stands today: the reference point gains are measured "
                  "from, unless the scenario states walk-away points.",
    "walk-away point": "What an actor has without a deal; where the scenario states one, "
                       "the actor's gains are measured from it.",
    "anchor": "A labelled point on an issue's scale, e.g. '50: verified freeze'.",
    "utility points": "How good a deal is for an actor: 0 = everything as it wants, −100 = "
                      "every issue at the far end of its scale.",
    "veto player": "An actor whose assent a settlement needs.",
    "blocks": "A veto player that does not gain from a deal blocks it.",
    "Nash product": "The capability-weighted geometric mean of the parties' gains; the best "
                    "deal by Nash product balances gains across all parties.",
    "zone of agreement": "Every deal on the search grid that every veto player accepts.",
    "Shapley value": "What an actor adds as a guarantor, averaged over every order in which "
                     "guarantors could join.",
    "90% interval": "The range holding nine tenths of the forecasts when the inputs vary "
                    "within their stated uncertainty.",
    "guarantor": "Who must deliver a move of an issue; a promise counts as far as the other "
                 "side trusts it.",
    "anchor step": "Moving past one labelled anchor of an issue's scale.",
    "max-min": "The deal whose smallest gain is largest: best for the worst-off.",
    "smallest accord": "The acceptable deal that moves the fewest issues.",
    "Pareto": "Efficient: no other deal is better for one party without being worse for "
              "another.",
    "banked": "Gains an actor has already received from completed stages of a roadmap.",
    "Sobol": "Share of a forecast's variance an input explains: first-order alone, total "
             "with its interactions (0-1).",
}


def with_terms(text: str) -> str:
    """Escaped HTML of ``text``, the first use of each glossary term wrapped in an
    ``<abbr title>`` with its definition. One pass over the text, so a definition never
    gets a term of its own wrapped inside its title."""
    escaped = {html.escape(term): meaning for term, meaning in GLOSSARY.items()}
    # Longest terms first, so that 'anchor step' wins over 'anchor'.
    alternatives = "|".join(re.escape(t) for t in sorted(escaped, key=len, reverse=True))
    # A plural ('anchor steps') is the term: without it 'anchor' alone would match.
    pattern = re.compile(rf"(?<![\w-])(?P<term>{alternatives})s?(?![\w-])")
    seen: set[str] = set()

    def wrap(match: re.Match[str]) -> str:
        word, term = match.group(0), match.group("term")
        if term in seen:
            return word
        seen.add(term)
        return f'<abbr title="{html.escape(escaped[term])}">{word}</abbr>'

    return pattern.sub(wrap, html.escape(text))


__all__ = ["GLOSSARY", "with_terms"]
