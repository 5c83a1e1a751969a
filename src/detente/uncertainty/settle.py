"""Settlement analysis under uncertainty: the zone of agreement, named packages, blockers.

For each sampled scenario (a leading batch axis through :mod:`detente.settlement`):

* ``zone`` ``[B]``: whether some package on the grid makes every veto party gain (the zone
  of agreement is non-empty; exact search, :func:`detente.settlement.zone_exists`);
* ``acceptable`` ``[B, P]``: whether every party gains from each named package of the
  scenario (:func:`detente.settlement.acceptable` of the credibility-weighted gains);
* ``blocks`` ``[B, P, A]``: which parties do not gain from each named package;
* ``zone_stage`` ``[B]``: what decided each sample's zone (an index into
  :data:`detente.settlement.screen.STAGES`: a bound, an acceptable package found by the
  vectorised screen, or the exact search).

The shares of samples are the probabilities `detente sample -m settle` reports. The
equations (utilities, credibility of promises, the search) are in docs/settle.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from detente.arrays import Arrays
from detente.errors import given_inside, model_option_text, option_error
from detente.scenario import Scenario
from detente.settlement.defaults import GridStep

SETTLE = "settle"
SETTLE_OPTIONS = {"step": GridStep, "utility": str, "correlation": float, "losses": str,
                  "zone": bool, "method": str, "weighting": str, "max_packages": int}


@dataclass(frozen=True)
class SettleKernel:
    """Batched settlement analysis of sampled scenarios (picklable for worker processes).

    ``zone=False`` skips the package search (the costly part) and analyses only the named
    packages.
    """

    problem: Any  # detente.settlement.SettlementProblem (imported lazily)
    settings: Any  # detente.settlement.UtilitySettings
    zone: bool = True
    method: str = "auto"
    weighting: str = "capability"
    #: per sampled scenario (detente.settlement.search.MAX_PACKAGES when None)
    max_packages: int | None = None
    name: str = SETTLE
    deterministic: bool = True

    @property
    def package_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.problem.packages)

    def __call__(self, arrays: Arrays, rng: np.random.Generator) -> dict[str, np.ndarray]:
        from detente.settlement import acceptable, build_table, package_gains, parties
        from detente.settlement.screen import screened_zone_exists
        from detente.settlement.search import MAX_PACKAGES
        from detente.settlement.utility import GAIN_TOLERANCE

        out: dict[str, np.ndarray] = {}
        n = arrays.batch_shape[0]
        must = parties(arrays)  # [B, A]
        if self.zone:
            table = build_table(self.problem.replace(arrays=arrays), self.settings,
                                self.weighting)  # type: ignore[arg-type]
            limit = MAX_PACKAGES if self.max_packages is None else self.max_packages
            # Bounds and an incumbent decide most samples at once; only the rest are
            # searched (detente.settlement.screen; exact either way). A search past the
            # limit names the options as sample takes them, in a worker process too.
            with given_inside(SETTLE, SETTLE_OPTIONS):
                screen = screened_zone_exists(table, self.method, limit)  # type: ignore[arg-type]
            out["zone"] = np.asarray(screen.exists, dtype=bool)
            out["zone_stage"] = screen.stage
        packages = list(self.problem.packages)
        if packages:
            values = self.problem.package_values(packages)
            guarantees = self.problem.package_guarantees(packages)
            # the same model as the zone: verification, links, stakes, walk-away points
            gains = package_gains(arrays, values, guarantees, self.settings,
                                  self.problem.mechanisms)  # [B, P, A]
            out["acceptable"] = acceptable(gains, must[:, None, :])
            out["blocks"] = must[:, None, :] & ~(gains > GAIN_TOLERANCE)
        if not packages:
            # Every summary reads the packages' acceptance, none named included (without
            # this, a zone search of a scenario with no packages failed with a KeyError).
            out["acceptable"] = np.zeros((n, 0), dtype=bool)
        return out


@given_inside(SETTLE, SETTLE_OPTIONS)  # settle's refusals name -O settle.step, not --step
def settle_kernel(scenario: Scenario, options: Mapping[str, Any] | None) -> SettleKernel:
    """Build the settle kernel from ``-O settle.NAME=VALUE`` options, with clear errors."""
    try:
        from detente.settlement import SettlementProblem, UtilitySettings
        from detente.settlement.problem import check_step
        from detente.settlement.search import METHODS, check_max_packages
        from detente.settlement.utility import require_parties
    except ImportError:  # pragma: no cover - settle is part of detente once landed
        raise option_error("--model", "settlement analysis is not available in this version",
                           "use a forecasting model, see `detente models`") from None
    options = dict(options or {})
    unknown = sorted(set(options) - set(SETTLE_OPTIONS))
    if unknown:
        raise option_error(f"settle.{unknown[0]}", f"unknown option '{unknown[0]}' for settle",
                           f"options of settle: {', '.join(SETTLE_OPTIONS)}")
    try:
        settings = UtilitySettings(utility=options.get("utility", "quadratic"),
                                   correlation=float(options.get("correlation", 0.0)),
                                   losses=options.get("losses", "discounted"))
    except (TypeError, ValueError) as err:
        raise option_error("settle", str(err), "utility: linear or quadratic; correlation: "
                           "a number from 0 to 1") from None
    method = str(options.get("method", "auto"))
    if method not in METHODS:
        raise option_error("settle.method", f"unknown method '{method}'",
                           "use auto, brute, bnb or milp")
    weighting = str(options.get("weighting", "capability"))
    if weighting not in ("capability", "equal"):
        raise option_error("settle.weighting", f"unknown weighting '{weighting}'",
                           "use capability or equal")
    # check_step reads 5% (of each issue's scale) or issue units, and refuses a non-finite,
    # zero or negative step (and non-numbers) by name; float() here would have turned
    # "inf" into a two-value grid without a word.
    step = check_step(options.get("step"), "settle.step")
    problem = SettlementProblem.from_scenario(scenario, step)
    # As settle refuses it: with nobody who must agree, every sample's zone holds every
    # package and the probabilities would say so, 100 %.
    require_parties(problem.arrays, "sample -m settle")
    max_packages = options.get("max_packages")
    if max_packages is not None:
        max_packages = check_max_packages(max_packages, "settle.max_packages")
    zone = options.get("zone", True)
    if not isinstance(zone, bool):
        raise option_error("settle.zone", f"zone must be true or false, got {zone!r}",
                           f"write {model_option_text('settle', 'zone=false')} to skip the "
                           "package search")
    if not zone and not problem.packages:
        raise option_error("settle.zone", "nothing to analyse: no zone search and the "
                           "scenario names no packages", "drop settle.zone=false")
    return SettleKernel(problem=problem, settings=settings, zone=zone, method=method,
                        weighting=weighting, max_packages=max_packages)


@dataclass(frozen=True)
class SettlementSummary:
    """Probabilities over the samples: zone non-empty, each package acceptable, blockers."""

    zone: float | None
    acceptable: dict[str, float]
    blocks: dict[str, dict[str, float]]
    #: How many samples each stage of the zone screen decided (bound, incumbent, exact);
    #: shown beside the probability, not part of the JSON (pinned by the regression file).
    zone_stages: dict[str, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"zone_nonempty": self.zone, "packages": {
            p: {"acceptable": self.acceptable[p], "blocked_by": self.blocks[p]}
            for p in self.acceptable}}


def summarise_settlement(outputs: Mapping[str, np.ndarray], package_ids: tuple[str, ...],
                         actor_ids: tuple[str, ...]) -> SettlementSummary:
    zone = float(outputs["zone"].mean()) if "zone" in outputs else None
    acceptable = {p: float(v) for p, v in zip(package_ids, outputs["acceptable"].mean(axis=0),
                                              strict=True)}
    blocks: dict[str, dict[str, float]] = {}
    if "blocks" in outputs:
        share = outputs["blocks"].mean(axis=0)  # [P, A]
        blocks = {p: {a: float(share[k, j]) for j, a in enumerate(actor_ids)}
                  for k, p in enumerate(package_ids)}
    stages = None
    if "zone_stage" in outputs:
        from detente.settlement.screen import STAGES

        decided = np.bincount(np.asarray(outputs["zone_stage"], dtype=np.int64),
                              minlength=len(STAGES))
        stages = {name: int(n) for name, n in zip(STAGES, decided, strict=True)}
    return SettlementSummary(zone, acceptable, blocks, stages)
