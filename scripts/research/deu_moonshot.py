"""Can anything beat the compromise model on DEU III out of sample? Every idea we tried.

    PYTHONPATH=src python scripts/research/deu_moonshot.py [--seeds 5] [--folds 10]

Each candidate has free parameters (a grid, or stacking weights fitted by least absolute
deviations). Its score is out of sample: grouped k-fold cross-validation by proposal
(:func:`detente.validate.grouped_folds`) — the parameter is chosen on the other folds and the
held-out proposals are forecast with it. Printed per candidate: the mean CV MAE over several
fold seeds, and for seed 0 the paired MAE difference against the compromise model with a
95 % interval from resampling proposals. The results are discussed in docs/accuracy.md.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from detente.models import REGISTRY, get_model
from detente.models.anchored import lad_weights
from detente.models.median import weighted_median
from detente.validate import IssueRow, ValidationResult, deu_cases, grouped_folds, run_models

DEU = Path(__file__).resolve().parents[2].parent / "shared" / "research" / "data" / "deu"
Fit = Callable[[np.ndarray], object]
Predict = Callable[[object, np.ndarray], np.ndarray]


def grid_candidate(table: np.ndarray, outcome: np.ndarray) -> tuple[Fit, Predict]:
    """Choose the row of ``table`` (parameter value × issue) with the lowest training MAE."""
    def fit(train: np.ndarray) -> object:
        return int(np.argmin(np.mean(np.abs(table[:, train] - outcome[train]), axis=1)))

    def predict(row: object, test: np.ndarray) -> np.ndarray:
        return table[int(row), test]  # type: ignore[call-overload]

    return fit, predict


def stack_candidate(base: np.ndarray, members: np.ndarray, outcome: np.ndarray,
                    split: np.ndarray | None = None) -> tuple[Fit, Predict]:
    """x̂ = base + Σ β_k (member_k − base), β ≥ 0, Σβ ≤ 1, LAD-fitted (per ``split`` value)."""
    pulls = members - base[:, None]
    keys = np.zeros(len(base), dtype=int) if split is None else np.unique(
        split, return_inverse=True)[1]

    def fit(train: np.ndarray) -> object:
        return {key: lad_weights(pulls[train & (keys == key)],
                                 (outcome - base)[train & (keys == key)])
                for key in np.unique(keys[train])}

    def predict(weights: object, test: np.ndarray) -> np.ndarray:
        w = weights  # type: ignore[assignment]
        return np.array([base[i] + pulls[i] @ w[keys[i]] for i in np.flatnonzero(test)])

    return fit, predict


def cross_validate(fit: Fit, predict: Predict, groups: np.ndarray, k: int,
                   seed: int) -> np.ndarray:
    folds = grouped_folds(groups, k, seed)
    out = np.full(len(groups), np.nan)
    for fold in np.unique(folds):
        test = folds == fold
        out[test] = predict(fit(~test), test)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEU / "deu3_blksv.csv"))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--folds", type=int, default=10)
    args = parser.parse_args()
    if not Path(args.data).exists():
        print(f"DEU data not found at {args.data}", file=sys.stderr)
        return 1
    cases, _ = deu_cases(args.data)
    cases = [c for c in cases if c.scenario.outcomes]
    arrays = [c.scenario.compile() for c in cases]
    n = len(cases)
    outcome = np.array([c.scenario.outcomes["X"].value for c in cases])
    groups = np.array([c.group for c in cases])
    procedure = np.array([c.tags["procedure"] for c in cases])
    rule = np.array([c.tags["rule"] for c in cases])
    ids = [a.actor_ids for a in arrays]
    pos = [100 * a.position[:, 0] for a in arrays]
    cap = [a.capability for a in arrays]
    sal = [a.salience[:, 0] for a in arrays]

    def mean_with(weights: list[np.ndarray]) -> np.ndarray:
        return np.array([np.sum(w * p) / np.sum(w) for w, p in zip(weights, pos, strict=True)])

    compromise = mean_with([c * s for c, s in zip(cap, sal, strict=True)])
    model_names = [m for m in REGISTRY if m not in ("compromise", "anchored")]
    forecasts = run_models(arrays, [get_model(m) for m in model_names], 0)
    models = {m: 100 * np.array([f[0] for f in forecasts[m]]) for m in model_names}

    def actor_position(actor: str) -> np.ndarray:  # the compromise where the actor is absent
        return np.array([p[i.index(actor)] if actor in i else c
                         for p, i, c in zip(pos, ids, compromise, strict=True)])

    com, ep = actor_position("COM"), actor_position("EP")
    rp = np.array([100 * a.status_quo[0] if c.status_quo_known else np.nan
                   for a, c in zip(arrays, cases, strict=True)])

    candidates: dict[str, tuple[Fit, Predict]] = {}
    anchors = np.column_stack([com, ep])
    candidates["anchored: COM + EP pulls (registered)"] = stack_candidate(
        compromise, anchors, outcome)
    candidates["anchored, weights per procedure"] = stack_candidate(
        compromise, anchors, outcome, procedure)
    candidates["anchored, weights per Council rule"] = stack_candidate(
        compromise, anchors, outcome, rule)
    stack_members = np.column_stack([models[m] for m in model_names])
    candidates[f"stack of models ({', '.join(model_names)})"] = stack_candidate(
        compromise, stack_members, outcome)
    candidates["stack of models + COM + EP"] = stack_candidate(
        compromise, np.column_stack([stack_members, anchors]), outcome)
    lambdas = np.linspace(-0.3, 0.3, 13)
    candidates["status-quo anchoring λ∈[-0.3, 0.3]"] = grid_candidate(
        np.array([np.where(np.isnan(rp), compromise, (1 - lam) * compromise + lam * rp)
                  for lam in lambdas]), outcome)
    exponents = [(a, b) for a in (0, 0.25, 0.5, 0.75, 1, 1.5) for b in (0, 0.5, 1, 1.5, 2)]
    candidates["weights c^a s^b, (a, b) on a grid"] = grid_candidate(
        np.array([mean_with([c**a * np.maximum(s, 1e-12) ** b for c, s in
                             zip(cap, sal, strict=True)]) for a, b in exponents]), outcome)
    multipliers = (0.5, 1, 2, 4, 8)

    def institutions(com_cod: float, ep_cod: float, com_cns: float, ep_cns: float) -> np.ndarray:
        weights = []
        for c, s, i, proc in zip(cap, sal, ids, procedure, strict=True):
            w = c * s
            factor = {"COM": com_cod if proc == "COD" else com_cns,
                      "EP": ep_cod if proc == "COD" else ep_cns}
            weights.append(w * np.array([factor.get(a, 1.0) for a in i]))
        return mean_with(weights)

    combos = [(a, b, c, d) for a in multipliers for b in multipliers for c in multipliers
              for d in (0.5, 2)]
    candidates["Commission/Parliament capability × procedure, grid"] = grid_candidate(
        np.array([institutions(*x) for x in combos]), outcome)

    def snapped(tau: float) -> np.ndarray:
        out = compromise.copy()
        for k, (p, c, i) in enumerate(zip(pos, cap, ids, strict=True)):
            state = np.array([a not in ("COM", "EP") for a in i])
            votes = np.where(state, c, 0.0)
            values = np.unique(p)
            share = np.array([votes[p == v].sum() for v in values]) / votes.sum()
            if share.max() >= tau:
                out[k] = values[np.argmax(share)]
        return out

    candidates["QMV snap: a Council supermajority's position, τ grid"] = grid_candidate(
        np.array([snapped(t) for t in (0.6, 0.7, 0.8, 0.9, 1.0, 1.1)]), outcome)
    def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
        order = np.argsort(values)
        cum = np.cumsum(weights[order]) / weights.sum()
        return float(values[order][np.argmax(cum >= q - 1e-12)])

    def win_set_clip(tau: float, parliament_veto: bool) -> np.ndarray:
        """The compromise clipped to the points a Council majority of ``tau`` (all states
        under unanimity) and, under COD, the Parliament prefer to the reference point:
        the logic of the procedural models (Tsebelis 2002; Crombez 1996) in one dimension.
        Actor i prefers x to q iff |x − p_i| < |q − p_i|, i.e. x between q and 2 p_i − q."""
        out = compromise.copy()
        for k, (p, c, i) in enumerate(zip(pos, cap, ids, strict=True)):
            q = rp[k]
            if np.isnan(q):
                continue
            state = np.array([a not in ("COM", "EP") for a in i])
            weights = c[state] if rule[k] != "unanimity" else np.ones(int(state.sum()))
            share = 1.0 if rule[k] == "unanimity" else tau
            reach = 2 * p[state] - q  # how far each state accepts a move (either side)
            high = weighted_quantile(reach, weights, max(1.0 - share, 1e-9))
            low = weighted_quantile(reach, weights, share)
            if parliament_veto and procedure[k] == "COD" and "EP" in i:
                ep_reach = 2 * p[i.index("EP")] - q
                high, low = min(high, ep_reach), max(low, ep_reach)
            out[k] = np.clip(compromise[k], min(low, q), max(high, q))
        return out

    candidates["procedural win set: clip to what Council/EP prefer to rp"] = \
        grid_candidate(np.array([win_set_clip(t, v) for t in (0.5, 0.6, 0.7, 0.74)
                                 for v in (False, True)]), outcome)
    nearest = np.array([p[np.argmin(np.abs(p - c))] for p, c in zip(pos, compromise,
                                                                      strict=True)])
    candidates["blend toward the nearest stated position"] = grid_candidate(
        np.array([(1 - t) * compromise + t * nearest for t in np.linspace(0, 1, 11)]), outcome)
    candidates["extremise: 50 + k (x̄ − 50)"] = grid_candidate(
        np.array([np.clip(50 + k * (compromise - 50), 0, 100)
                  for k in (0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3)]), outcome)
    medians = np.array([weighted_median(p[:, None], (c * s)[:, None])[0]
                        for p, c, s in zip(pos, cap, sal, strict=True)])
    candidates["blend with the weighted median"] = grid_candidate(
        np.array([(1 - t) * compromise + t * medians for t in np.linspace(0, 1, 11)]),
        outcome)

    rows = tuple(IssueRow(c.scenario.id, "X", c.group, dict(c.tags), float(o), 0.0, 100.0)
                 for c, o in zip(cases, outcome, strict=True))
    print(f"{n} DEU III issues, {len(set(groups))} proposals; {args.folds}-fold CV grouped by "
          f"proposal, {args.seeds} fold seeds")
    print(f"{'candidate':<58}{'CV MAE':>8}{'seeds':>15}{'Δ vs compromise [95%]':>28}")
    print(f"{'compromise (no parameters)':<58}{np.mean(np.abs(compromise - outcome)):>8.2f}")
    for name, (fit, predict) in candidates.items():
        per_seed = [cross_validate(fit, predict, groups, args.folds, s)
                    for s in range(args.seeds)]
        maes = [float(np.mean(np.abs(p - outcome))) for p in per_seed]
        result = ValidationResult(rows=rows, predictions={"x": per_seed[0],
                                                          "compromise": compromise},
                                  kinds={"x": "model", "compromise": "model"}, seed=0,
                                  n_boot=1000)
        diff = result.compare("x")
        spread = f"{min(maes):.2f}-{max(maes):.2f}"
        print(f"{name:<58}{np.mean(maes):>8.2f}{spread:>15}"
              f"{diff.value['mae']:>+12.2f} [{diff.low['mae']:+.2f}, {diff.high['mae']:+.2f}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
