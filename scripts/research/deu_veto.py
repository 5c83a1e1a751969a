"""Veto-aware models and the combined intervals on DEU III, out of sample (issue 17).

    PYTHONPATH=src python scripts/research/deu_veto.py [PATH]

1. The procedural model's Council quota chosen by 10-fold cross-validation grouped by
   proposal (grid 0.50-1.00), against the fixed default 0.71: CV MAE on the 253 issues with
   a reference point and the paired difference to the compromise model with a 95 % interval
   from resampling proposals.
2. The combined forecast's intervals with and without model disagreement: each share λ of
   the mixture on the stacked point (λ = 0: all on the models; 1: one Laplace law at the
   point), σ calibrated on the training folds; then λ chosen per fold by the training
   pinball loss (what `detente validate` does). Out-of-fold coverage and CRPS.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from detente import combine
from detente.validate import deu_cases, grouped_folds, resample_counts, validate

DEU = Path(__file__).resolve().parents[2].parent / "shared" / "research" / "data" / "deu"
QUOTAS = tuple(round(0.5 + 0.05 * k, 2) for k in range(11))


def paired(diff: np.ndarray, groups: list[str], seed: int = 0) -> tuple[float, float, float]:
    labels, index = np.unique(groups, return_inverse=True)
    counts = resample_counts(len(labels), 1000, np.random.default_rng(seed))[:, index]
    means = counts @ diff / counts.sum(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(diff.mean()), float(low), float(high)


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEU / "deu3_blksv.csv"
    cases, notes = deu_cases(path)
    from detente.models import get_model

    runs = {q: validate(cases, ["compromise", get_model("procedural", quota=q)], n_boot=0,
                        combine=False) for q in QUOTAS}
    first = runs[QUOTAS[0]]
    known = np.array(first.status_quo_known)
    rows = [r for r, k in zip(first.rows, known, strict=True) if k]
    groups = [r.group for r in rows]
    obs = first.observed[known]
    comp = np.abs(first.predictions["compromise"][known] - obs)
    err = {q: np.abs(runs[q].predictions["procedural"][known] - obs) for q in QUOTAS}
    print("1. procedural model, Council quota (253 issues with a reference point)")
    for q in QUOTAS:
        print(f"   quota {q:.2f}: MAE {err[q].mean():5.2f}")
    for seed in range(5):
        folds = grouped_folds(groups, 10, seed)
        cv = np.empty(len(rows))
        chosen = []
        for f in np.unique(folds):
            train = folds != f
            best = min(QUOTAS, key=lambda q: err[q][train].mean())
            chosen.append(best)
            cv[~train] = err[best][~train]
        d, lo, hi = paired(cv - comp, groups)
        print(f"   CV (fold seed {seed}): MAE {cv.mean():.2f}, quotas chosen "
              f"{sorted(set(chosen))}, minus compromise {d:+.2f} [{lo:+.2f}, {hi:+.2f}]")
    d, lo, hi = paired(err[0.7] - comp, groups)
    print(f"   quota 0.70 (≈ the fixed default): minus compromise {d:+.2f} [{lo:+.2f}, {hi:+.2f}]")

    print("2. combined intervals: share λ of the mixture on the stacked point")
    result = validate(cases, ["compromise", "median", "nash", "bdm", "constrained",
                              "procedural"], n_boot=0, notes=notes)
    names = [n for n, k in result.kinds.items() if k == "model"]
    kn = np.array(result.status_quo_known)
    span = np.array([r.high - r.low for r in result.rows])
    low = np.array([r.low for r in result.rows])
    unit = {n: (result.unmasked.get(n, result.predictions[n]) - low) / span for n in names}
    unit = {n: np.where(kn, u, np.nan) if n in result.unmasked else u for n, u in unit.items()}
    observed = (result.observed - low) / span
    all_groups = [r.group for r in result.rows]
    runs = {f"λ = {lam:g}": combine.cross_validate(unit, observed, kn, all_groups,
                                                  sorted(result.unmasked),
                                                  point_weights=(lam,))
            for lam in combine.POINT_WEIGHTS}
    chosen = combine.cross_validate(unit, observed, kn, all_groups, sorted(result.unmasked))
    runs[f"λ chosen per fold {sorted(set(chosen.fold_point_weight))}"] = chosen
    for label, cal in runs.items():
        cover = ", ".join(f"{100 * k:g}%→{100 * v:.1f}%" for k, v in cal.coverage.items())
        print(f"   {label:<22} {cover}; CRPS {cal.crps:.2f}; 80% width {cal.width[0.8]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
