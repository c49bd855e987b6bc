"""Remaining useful life of rolling bearings: quantile gradient boosting on the current waveform's features, the
growth of the vibration RMS history and a degradation fit of that history (healthy level + excess power growing
exponentially in operating time, see :func:`features.degradation_features`), with a split-conformal correction
so the 80 % band holds its coverage on held-out bearings. Trained on generated run-to-failure lives (defect
onset → exponential growth → failure).

The band is the unweighted 10/90 % quantiles widened in proportion to its width by conformal calibration on
out-of-fold predictions (folds grouped by run; the scaled score keeps the coverage even across severities). The
point prediction is the median with every training snapshot weighted by 1 / its P-F interval: it minimises the
absolute error relative to the P-F interval, the scale RUL is scored on. Early after onset, when the history
cannot tell a fast from a slow degradation yet, it leans towards the faster ones while the band stays wide (its
upper end covers the slow ones).

RUL is in calendar hours at the asset's current duty (its running pattern); a load change scales it like the
ISO 281 rating life, L ∝ (C/P)³: RUL(new) = RUL · (load_now / load_new)³.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import GroupKFold

from tools.maintenance.features import trend_features, waveform_features
from tools.maintenance.physics import BearingGeometry, RunToFailure, run_to_failure

VERSION = "2.0.0"
QUANTILES = (0.1, 0.5, 0.9)
BAND = 0.8
CONFORMAL_LEVEL = 0.85  # calibrate a little above the nominal 80 %: snapshots of one run are not independent
CONFORMAL_FOLDS = 4
MIN_WIDTH_LOG = 0.05  # floor of the 10-90 % width (log-hours) that scales the conformal widening
MIN_SEVERITY_TRAIN = 0.05
MIN_SEVERITY_EVAL = 0.1  # "after the defect is detectable": where RUL is scored


@dataclass
class RulDataset:
    X: np.ndarray
    rul_h: np.ndarray
    degradation_h: np.ndarray  # calendar hours from onset to failure of the run
    life_h: np.ndarray  # calendar hours from start of the record to failure
    severity: np.ndarray
    groups: np.ndarray
    bearing_type: np.ndarray


def snapshot_features(run: RunToFailure, hour: float, rng: np.random.Generator) -> np.ndarray:
    x, fs, rpm = run.waveform_at(hour, rng)
    wf = waveform_features(x, fs, rpm, run.geometry, with_peaks=False).values
    tr = trend_features(run.hours, run.vib_rms, run.running, hour)
    return np.concatenate([wf, tr])


def _runs_for_type(g: BearingGeometry, runs: int, snapshots: int, seed: int) -> list[tuple[Any, ...]]:
    rng = np.random.default_rng([seed, sum(map(ord, g.name))])
    out = []
    for i in range(runs):
        run = run_to_failure(g, rng)
        ok = np.flatnonzero((run.severity >= MIN_SEVERITY_TRAIN) & run.running & (run.hours < run.life_h))
        if ok.size == 0:
            continue
        pick = np.sort(rng.choice(ok, size=min(snapshots, ok.size), replace=False))
        for j in pick:
            h = float(run.hours[j])
            out.append((snapshot_features(run, h, rng), run.life_h - h, run.life_h - run.onset_h, run.life_h,
                        float(run.severity[j]), f"{g.name}#{seed}-{i}", g.name))  # fmt: skip
    return out


def make_rul_dataset(
    bearings: list[BearingGeometry], runs_per_type: int, snapshots: int, seed: int, n_jobs: int = 2
) -> RulDataset:
    parts = Parallel(n_jobs=n_jobs)(delayed(_runs_for_type)(g, runs_per_type, snapshots, seed) for g in bearings)
    rows = [r for p in parts for r in p]
    cols = list(zip(*rows, strict=True))
    return RulDataset(np.array(cols[0]), *(np.array(c) for c in cols[1:]))


def concat(a: RulDataset, b: RulDataset) -> RulDataset:
    keys = ("X", "rul_h", "degradation_h", "life_h", "severity", "groups", "bearing_type")
    return RulDataset(*(np.concatenate([getattr(a, k), getattr(b, k)]) for k in keys))


@dataclass
class RulModel:
    """Quantile regressors in log-hours plus the conformal widening of the band.

    ``models[0.1]`` and ``models[0.9]`` bound the band; ``models[0.5]`` is the point prediction (the P-F-weighted
    median, see the module docstring). The band is widened by ``conformal_log`` + ``conformal_scale`` × its
    10-90 % width (log-hours; models of version 1 carry only the additive term). ``baseline_h``: the best
    constant prediction on the training data, the reference the validation reports beside the model's error.
    """

    models: dict[float, HistGradientBoostingRegressor]
    conformal_log: float
    baseline_h: float | None = None
    conformal_scale: float = 0.0

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(low, median, high) RUL in calendar hours; the band is the 80 % interval."""
        X = np.atleast_2d(X)
        # features are only ever appended: a model trained on fewer reads their prefix
        q = {k: m.predict(X[:, : getattr(m, "n_features_in_", X.shape[1])]) for k, m in self.models.items()}
        widen = self.conformal_log + getattr(self, "conformal_scale", 0.0) * np.maximum(q[0.9] - q[0.1], MIN_WIDTH_LOG)
        lo = np.minimum(q[0.1], q[0.5]) - widen
        hi = np.maximum(q[0.9], q[0.5]) + widen
        return np.expm1(np.maximum(lo, 0)), np.expm1(np.maximum(q[0.5], 0)), np.expm1(np.maximum(hi, 0))


def _regressor(q: float) -> HistGradientBoostingRegressor:
    return HistGradientBoostingRegressor(loss="quantile", quantile=q, max_iter=150, learning_rate=0.08,
                                         max_leaf_nodes=15, min_samples_leaf=20, random_state=0)  # fmt: skip


def _relative_weights(data: RulDataset) -> np.ndarray:
    w = 1.0 / np.maximum(data.degradation_h, 1.0)
    return w / w.mean()


def fit_rul(data: RulDataset, seed: int = 0) -> RulModel:
    """Fit the quantiles on all runs; calibrate the band on out-of-fold predictions (split conformal with the
    score scaled by the band's width, folds grouped by run, scored where RUL is scored: severity ≥
    MIN_SEVERITY_EVAL)."""
    y = np.log1p(data.rul_h)
    folds = GroupKFold(min(CONFORMAL_FOLDS, len(set(data.groups))), shuffle=True, random_state=seed)
    scores = []
    for fit_idx, cal_idx in folds.split(data.X, y, data.groups):
        cal_idx = cal_idx[data.severity[cal_idx] >= MIN_SEVERITY_EVAL]
        if cal_idx.size == 0:
            continue
        lo = _regressor(0.1).fit(data.X[fit_idx], y[fit_idx]).predict(data.X[cal_idx])
        hi = _regressor(0.9).fit(data.X[fit_idx], y[fit_idx]).predict(data.X[cal_idx])
        scores.append(np.maximum(lo - y[cal_idx], y[cal_idx] - hi) / np.maximum(hi - lo, MIN_WIDTH_LOG))
    score = np.concatenate(scores) if scores else np.zeros(1)
    k = min(1.0, CONFORMAL_LEVEL * (1 + 1 / max(score.size, 1)))
    models = {q: _regressor(q).fit(data.X, y, sample_weight=_relative_weights(data) if q == 0.5 else None)
              for q in QUANTILES}  # fmt: skip
    scored = data.severity >= MIN_SEVERITY_EVAL
    w2 = 1.0 / np.maximum(data.degradation_h[scored], 1.0) ** 2
    baseline = float(np.sum(w2 * data.rul_h[scored]) / np.sum(w2)) if scored.any() else None
    return RulModel(models, 0.0, baseline, max(float(np.quantile(score, k)), 0.0))


def evaluate_rul(model: RulModel, data: RulDataset) -> dict[str, Any]:
    sel = data.severity >= MIN_SEVERITY_EVAL
    lo, med, hi = model.predict(data.X[sel])
    truth = data.rul_h[sel]
    rel = (med - truth) / data.degradation_h[sel]
    rel_life = (med - truth) / data.life_h[sel]
    inside = (truth >= lo) & (truth <= hi)
    baseline = getattr(model, "baseline_h", None)
    # references on the same snapshots: the best constant of the training data, and "fails now" (0 h)
    const = None if baseline is None else float(math.sqrt(np.mean(((baseline - truth) / data.degradation_h[sel]) ** 2)))
    return {
        "rmse_relative": float(math.sqrt(np.mean(rel**2))),
        "rmse_relative_constant": const,
        "rmse_relative_zero": float(math.sqrt(np.mean((truth / data.degradation_h[sel]) ** 2))),
        "median_abs_error_relative": float(np.median(np.abs(rel))),
        "rmse_relative_to_total_life": float(math.sqrt(np.mean(rel_life**2))),
        "mae_hours": float(np.mean(np.abs(med - truth))),
        "band_coverage": float(inside.mean()),
        "band_nominal": BAND,
        "median_band_width_relative": float(np.median((hi - lo) / data.degradation_h[sel])),
        "n": int(sel.sum()),
        "n_runs": len(set(data.groups[sel])),
        "bearing_types": sorted(set(data.bearing_type)),
        "scored_from_severity": MIN_SEVERITY_EVAL,
    }


def load_scaling(load_now: float, load_new: float) -> float:
    """Factor on the remaining life when the bearing load changes (ISO 281: L ∝ P⁻³)."""
    return (max(load_now, 1e-3) / max(load_new, 1e-3)) ** 3
