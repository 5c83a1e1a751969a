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
