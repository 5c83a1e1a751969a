"""The defaults and names of the package search that options elsewhere quote.

A light home (no numpy, no search): the options of the analyses
(:mod:`detente.analyses.options`) read these for their defaults and choices, and every
command builds those options at start, ``detente forecast`` too, which never searches
packages. :mod:`~detente.settlement.problem` and :mod:`~detente.settlement.search` use and
re-export them.
"""

from __future__ import annotations

#: The one default grid step (issue units) of every package search: settle, contributions,
#: roadmap, sample -m settle, the report and the web (issue 14; settle used 5, the rest 10).
#: Pass a smaller step for a finer, slower search.
DEFAULT_STEP = 10.0

#: The search methods (:data:`detente.settlement.search.Method`).
METHODS = ("auto", "brute", "bnb", "milp")

#: The most packages one search may evaluate per scenario: packages enumerated by brute
#: force, or partial and complete packages expanded by branch and bound. Past it the search
#: refuses (brute force before it starts, branch and bound when it reaches it) with an
#: estimate, instead of running for hours. Lifted by ``max_packages`` (API), ``--max-packages``
#: (CLI) and ``-O settle.max_packages`` (``detente sample``).
MAX_PACKAGES = 50_000_000

__all__ = ["DEFAULT_STEP", "MAX_PACKAGES", "METHODS"]
