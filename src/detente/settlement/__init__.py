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

from typing import TYPE_CHECKING

from detente.lazy import lazy_exports

# For type checkers and IDEs: the same names, imported eagerly. ``name as name`` marks each
# as re-exported (strict type checkers read no __all__ built at run time).
if TYPE_CHECKING:
    from detente.settlement.analysis import PackageAnalysis as PackageAnalysis
    from detente.settlement.analysis import TrustNeed as TrustNeed
    from detente.settlement.analysis import WinOver as WinOver
    from detente.settlement.analysis import analyse_packages as analyse_packages
    from detente.settlement.api import FoundPackage as FoundPackage
    from detente.settlement.api import Outcome as Outcome
    from detente.settlement.api import Settlement as Settlement
    from detente.settlement.api import analyse as analyse
    from detente.settlement.api import settle as settle
    from detente.settlement.problem import NamedPackage as NamedPackage
    from detente.settlement.problem import SettlementProblem as SettlementProblem
    from detente.settlement.search import GainTable as GainTable
    from detente.settlement.search import best_packages as best_packages
    from detente.settlement.search import brute_force as brute_force
    from detente.settlement.search import build_table as build_table
    from detente.settlement.search import smallest_accords as smallest_accords
    from detente.settlement.search import zone_exists as zone_exists
    from detente.settlement.search import zone_size as zone_size
    from detente.settlement.utility import Guarantees as Guarantees
    from detente.settlement.utility import UtilitySettings as UtilitySettings
    from detente.settlement.utility import acceptable as acceptable
    from detente.settlement.utility import credibility as credibility
    from detente.settlement.utility import issue_gains as issue_gains
    from detente.settlement.utility import issue_utility as issue_utility
    from detente.settlement.utility import min_gain as min_gain
    from detente.settlement.utility import nash_product as nash_product
    from detente.settlement.utility import nash_weights as nash_weights
    from detente.settlement.utility import package_gains as package_gains
    from detente.settlement.utility import package_issue_gains as package_issue_gains
    from detente.settlement.utility import package_utilities as package_utilities
    from detente.settlement.utility import parties as parties
    from detente.settlement.utility import salience_shares as salience_shares

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

__all__ = sorted(_LAZY)
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
