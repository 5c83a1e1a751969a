"""Settlement design: which package can every veto player accept, who must guarantee it,
and what each actor is worth to it. Equations and sources: ``docs/settle.md``.

Layers, from arrays up:

* :mod:`~detente.settlement.utility`: package utilities, credibility of promises, gains
  (array functions with a leading batch axis, for Monte Carlo and roadmaps);
* :mod:`~detente.settlement.problem`: a scenario compiled for settlement;
* :mod:`~detente.settlement.search`: exact search (brute force, branch and bound);
* :mod:`~detente.settlement.analysis`: named packages, blockers, what wins them over;
* :mod:`~detente.settlement.api`: :func:`settle`, the API behind ``detente settle``;
* :mod:`~detente.settlement.contributions`: Shapley values of guarantors.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    from detente.settlement.analysis import PackageAnalysis, TrustNeed, WinOver, analyse_packages
    from detente.settlement.api import FoundPackage, Outcome, Settlement, analyse, settle
    from detente.settlement.problem import NamedPackage, SettlementProblem
    from detente.settlement.search import (
        GainTable,
        best_packages,
        brute_force,
        build_table,
        smallest_accords,
        zone_exists,
        zone_size,
    )
    from detente.settlement.utility import (
        Guarantees,
        UtilitySettings,
        acceptable,
        credibility,
        issue_gains,
        issue_utility,
        min_gain,
        nash_product,
        nash_weights,
        package_gains,
        package_issue_gains,
        package_utilities,
        parties,
        salience_shares,
    )

#: Public name -> the module that defines it, imported on first use (PEP 562), so that a
#: module needing one light part (``problem.DEFAULT_STEP`` for the options of the
#: analyses) does not load the whole search: ``detente forecast`` never searches packages.
_LAZY: dict[str, str] = {
    "PackageAnalysis": "detente.settlement.analysis",
    "TrustNeed": "detente.settlement.analysis",
    "WinOver": "detente.settlement.analysis",
    "analyse_packages": "detente.settlement.analysis",
    "FoundPackage": "detente.settlement.api",
    "Outcome": "detente.settlement.api",
    "Settlement": "detente.settlement.api",
    "analyse": "detente.settlement.api",
    "settle": "detente.settlement.api",
    "NamedPackage": "detente.settlement.problem",
    "SettlementProblem": "detente.settlement.problem",
    "GainTable": "detente.settlement.search",
    "best_packages": "detente.settlement.search",
    "brute_force": "detente.settlement.search",
    "build_table": "detente.settlement.search",
    "smallest_accords": "detente.settlement.search",
    "zone_exists": "detente.settlement.search",
    "zone_size": "detente.settlement.search",
    "Guarantees": "detente.settlement.utility",
    "UtilitySettings": "detente.settlement.utility",
    "acceptable": "detente.settlement.utility",
    "credibility": "detente.settlement.utility",
    "issue_gains": "detente.settlement.utility",
    "issue_utility": "detente.settlement.utility",
    "min_gain": "detente.settlement.utility",
    "nash_product": "detente.settlement.utility",
    "nash_weights": "detente.settlement.utility",
    "package_gains": "detente.settlement.utility",
    "package_issue_gains": "detente.settlement.utility",
    "package_utilities": "detente.settlement.utility",
    "parties": "detente.settlement.utility",
    "salience_shares": "detente.settlement.utility",
}

__all__ = [
    "FoundPackage",
    "GainTable",
    "Guarantees",
    "NamedPackage",
    "Outcome",
    "PackageAnalysis",
    "Settlement",
    "SettlementProblem",
    "TrustNeed",
    "UtilitySettings",
    "WinOver",
    "acceptable",
    "analyse",
    "analyse_packages",
    "best_packages",
    "brute_force",
    "build_table",
    "credibility",
    "issue_gains",
    "issue_utility",
    "min_gain",
    "nash_product",
    "nash_weights",
    "package_gains",
    "package_issue_gains",
    "package_utilities",
    "parties",
    "salience_shares",
    "settle",
    "smallest_accords",
    "zone_exists",
    "zone_size",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'detente.settlement' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
