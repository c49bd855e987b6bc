"""Training and validation of the maintenance models: data sets from the physics generator, held-out bearings
(split by bearing instance, never by window), unseen bearing types with a few-shot update, model cards.

``train_models`` fits and saves; ``validate`` regenerates every validation figure from fresh seeds; both are
behind ``iiot-assistant models train|evaluate``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from tools.maintenance import anomaly, diagnosis, features, rul
from tools.maintenance.physics import held_out_bearings, training_bearings
from tools.maintenance.registry import ModelBundle, save_bundle

# sizes: (instances or runs per type, snapshots per instance/run)
FULL = {"diag_train": (10, 4), "diag_test": (4, 4), "diag_new": (6, 4), "diag_fewshot": (2, 4),
        "rul_train": (40, 10), "rul_test": (6, 10), "rul_new": (8, 10), "rul_fewshot": (4, 10),
        "anomaly_runs": (3, 3)}  # fmt: skip
QUICK = {"diag_train": (4, 3), "diag_test": (2, 3), "diag_new": (2, 3), "diag_fewshot": (1, 3),
         "rul_train": (8, 8), "rul_test": (3, 8), "rul_new": (3, 8), "rul_fewshot": (2, 8),
         "anomaly_runs": (1, 1)}  # fmt: skip
TRAIN_SEEDS = {"diag": 101, "rul": 404, "diag_fewshot": 707, "rul_fewshot": 808}
EVAL_SEEDS = {"diag_test": 202, "diag_new": 303, "rul_test": 505, "rul_new": 606, "anomaly": 909}

Log = Callable[[str], None]


def _fit_diagnosis(sizes: dict[str, tuple[int, int]], log: Log) -> tuple[Any, diagnosis.Dataset]:
    t = time.perf_counter()
    data = diagnosis.make_dataset(training_bearings(), *sizes["diag_train"], seed=TRAIN_SEEDS["diag"])
    clf = diagnosis.fit_classifier(data)
    log(f"diagnosis: {data.y.size} waveforms of {len(set(data.groups))} bearings, {time.perf_counter() - t:.0f} s")
    return clf, data


def _fit_rul(sizes: dict[str, tuple[int, int]], log: Log) -> tuple[rul.RulModel, rul.RulDataset]:
    t = time.perf_counter()
    data = rul.make_rul_dataset(training_bearings(), *sizes["rul_train"], seed=TRAIN_SEEDS["rul"])
    model = rul.fit_rul(data)
    log(f"rul: {data.rul_h.size} snapshots of {len(set(data.groups))} run-to-failure lives, "
        f"{time.perf_counter() - t:.0f} s")  # fmt: skip
    return model, data


def validate_diagnosis(clf: Any, train: diagnosis.Dataset | None, sizes: dict[str, tuple[int, int]]) -> dict[str, Any]:
    test = diagnosis.make_dataset(training_bearings(), *sizes["diag_test"], seed=EVAL_SEEDS["diag_test"])
    new = diagnosis.make_dataset(held_out_bearings(), *sizes["diag_new"], seed=EVAL_SEEDS["diag_new"])
    out: dict[str, Any] = {"held_out_bearings": diagnosis.evaluate_classifier(clf, test),
                           "new_bearing_types": diagnosis.evaluate_classifier(clf, new)}  # fmt: skip
    if train is not None:
        few = diagnosis.make_dataset(held_out_bearings(), *sizes["diag_fewshot"], seed=TRAIN_SEEDS["diag_fewshot"])
        updated = diagnosis.fit_classifier(diagnosis.concat(train, few))
        out["new_bearing_types_after_fewshot"] = diagnosis.evaluate_classifier(updated, new)
        out["fewshot_labelled_bearings_per_type"] = sizes["diag_fewshot"][0]
    return out


def validate_rul(
    model: rul.RulModel, train: rul.RulDataset | None, sizes: dict[str, tuple[int, int]]
) -> dict[str, Any]:
    test = rul.make_rul_dataset(training_bearings(), *sizes["rul_test"], seed=EVAL_SEEDS["rul_test"])
    new = rul.make_rul_dataset(held_out_bearings(), *sizes["rul_new"], seed=EVAL_SEEDS["rul_new"])
    out: dict[str, Any] = {"held_out_bearings": rul.evaluate_rul(model, test),
                           "new_bearing_types": rul.evaluate_rul(model, new)}  # fmt: skip
    if train is not None:
        few = rul.make_rul_dataset(held_out_bearings(), *sizes["rul_fewshot"], seed=TRAIN_SEEDS["rul_fewshot"])
        out["new_bearing_types_after_fewshot"] = rul.evaluate_rul(rul.fit_rul(rul.concat(train, few)), new)
        out["fewshot_labelled_runs_per_type"] = sizes["rul_fewshot"][0]
    return out


def validate_anomaly(sizes: dict[str, tuple[int, int]]) -> dict[str, Any]:
    runs, normal = sizes["anomaly_runs"]
    return anomaly.evaluate_anomaly(seed=EVAL_SEEDS["anomaly"], runs_per_fault=runs, normal_runs=normal)


def _confusion_md(v: dict[str, Any]) -> str:
    labels = v["labels"]
    lines = ["| true \\ predicted | " + " | ".join(labels) + " |", "|" + "---|" * (len(labels) + 1)]
    lines += [f"| {lab} | " + " | ".join(str(c) for c in row) + " |" for lab, row in zip(labels, v["confusion"],
                                                                                           strict=True)]  # fmt: skip
    return "\n".join(lines)


def diagnosis_card(meta: dict[str, Any]) -> str:
    v = meta["validation"]
    h, n = v["held_out_bearings"], v["new_bearing_types"]
    few = v.get("new_bearing_types_after_fewshot")
    return f"""# Model card: bearing_diagnosis {meta["version"]}

Classifier of one housing acceleration waveform into {", ".join(h["labels"])}.
Histogram gradient boosting (80 iterations) on {len(meta["features"])} features (time statistics, shaft-order
velocity lines, envelope spectrum of the most impulsive band at FTF/1×/BPFO/BPFI/BSF/2×BSF and their harmonics,
envelope periodicity), probabilities calibrated (sigmoid on out-of-fold predictions, 3 folds grouped by bearing).
Features are relative to the kinematic defect frequencies of the given geometry and speed, so they mean the same
for any bearing type.

Training data: physics generator, {meta["training"]["n"]} waveforms of {meta["training"]["n_bearings"]} distinct bearing
instances, types {", ".join(meta["training"]["bearing_types"])}; fault severity {diagnosis.SEVERITY_RANGE[0]}-1.0.

## Held-out bearings (instances never seen in training; split by bearing, never by window)
macro-F1 **{h["macro_f1"]:.3f}**, accuracy {h["accuracy"]:.3f}, Brier {h["brier"]:.3f}, ECE {h["ece"]:.3f};
{h["n"]} waveforms of {h["n_bearings"]} bearings.

{_confusion_md(h)}

## New bearing types ({", ".join(n["bearing_types"])}: absent from training)
macro-F1 **{n["macro_f1"]:.3f}** (ECE {n["ece"]:.3f}); after adding {v.get("fewshot_labelled_bearings_per_type", "-")}
labelled bearing(s) per new type: macro-F1 **{few["macro_f1"] if few else float("nan"):.3f}**.

{_confusion_md(n)}

Limits: synthetic physics only (no real vibration data could be used here); a fault below severity
{diagnosis.SEVERITY_RANGE[0]} is often called normal; one sensor direction; constant speed within a waveform.
"""


def _fmt(x: float | None, spec: str = ".3f") -> str:
    return "-" if x is None else format(x, spec)


def rul_card(meta: dict[str, Any]) -> str:
    v = meta["validation"]
    h, n = v["held_out_bearings"], v["new_bearing_types"]
    few = v.get("new_bearing_types_after_fewshot", {})
    return f"""# Model card: bearing_rul {meta["version"]}

Remaining useful life (calendar hours at the current duty) of a rolling bearing once a defect is detectable.
Quantile gradient boosting (10/50/90 %) in log-hours on the current waveform's features, the growth of the
vibration RMS history (1/3/7/14-day ratios, time above 1.15/1.4/2× baseline, duty) and a degradation fit of that
history in operating time (RMS² = healthy level + excess power growing exponentially: excess power now, its
growth rate over the whole history and the last week, the physics estimate of the remaining operating and
calendar hours). The 80 % band is the 10/90 % quantiles widened by split-conformal calibration on out-of-fold
predictions ({rul.CONFORMAL_FOLDS} folds grouped by run, score scaled by the band's width so the coverage holds
early and late in the degradation alike). The point estimate is the median with each training snapshot
weighted by 1 / its P-F interval, so it minimises the error relative to the P-F interval: early after onset, when
the history cannot yet tell a fast from a slow degradation, it leans towards the fast ones (the band's upper end
covers the slow ones). Load what-if: ISO 281, RUL ∝ (P_now/P_new)³.

Training: {meta["training"]["n"]} snapshots of {meta["training"]["n_runs"]} generated run-to-failure lives
(exponential defect growth, P-F interval 80-4000 operating hours, shift patterns, load 50-100 %).

## Held-out bearings (scored from severity ≥ {h["scored_from_severity"]}; split by run, never by window)
- RMSE relative to the P-F interval (onset → failure): **{h["rmse_relative"]:.3f}**;
  same snapshots, best constant of the training data {_fmt(h.get("rmse_relative_constant"))}, always 0 h
  {_fmt(h.get("rmse_relative_zero"))}; median |error| / P-F {_fmt(h.get("median_abs_error_relative"))}
  (relative to total record: {h["rmse_relative_to_total_life"]:.3f}); MAE {h["mae_hours"]:.0f} h
- coverage of the 80 % band: **{h["band_coverage"]:.3f}**; median band width {h["median_band_width_relative"]:.2f} × P-F
- {h["n"]} snapshots of {h["n_runs"]} runs

## New bearing types ({", ".join(n["bearing_types"])})
RMSE relative {n["rmse_relative"]:.3f} (best constant {_fmt(n.get("rmse_relative_constant"))}), coverage
{n["band_coverage"]:.3f}; after {v.get("fewshot_labelled_runs_per_type", "-")} labelled run(s) per type:
RMSE relative {_fmt(few.get("rmse_relative"))}, coverage {_fmt(few.get("band_coverage"))}.

Limits: synthetic physics only. The error is dominated by snapshots shortly after the defect became detectable
(severity 0.1-0.2), where the RMS history has hardly risen and a fast degradation looks like a slow one; the
band is wide there. Trained and validated with {features.HISTORY_DAYS} days of hourly Vibration history (the fit
needs the healthy level and the rise): with only hours or a few days of history the features leave their
training range and neither the estimate nor the band is validated. Only the generator's growth law is learned
(exponential in operating time): a defect growing otherwise gets a biased estimate, e.g. on the demo plant's
linear 6-8-day severity ramp the estimate is 20-65 % shorter than the time to full severity 2-6 days after
onset. No RUL is given before a defect is detected.
"""


def anomaly_card(meta: dict[str, Any]) -> str:
    v = meta["validation"]
    return f"""# Model card: anomaly_nbm {meta["version"]}

Per-asset normal-behaviour model, fitted at query time on the asset's own reference period (default 10 days before
the window): every analog signal predicted from the others + time of day + loaded context by quadratic ridge
regression, and the hourly duty of each on/off state (a compressor's load share) from the time of day and week
alone (the demand on the machine: an air leak raises it; power and temperature follow it and would explain it
away); residual EWMA (λ={anomaly.LAMBDA}) alarms above max({anomaly.MIN_THRESHOLD_SIGMA} σ,
{anomaly.HOLDOUT_MARGIN} × the largest excursion on held-out normal data); flat-line check for stuck sensors.
Predictions (the reported expected value and the residuals) are clipped into each signal's range while running
in the reference period, widened by {anomaly.RANGE_MARGIN * 100:.0f} % of its span: outside its inputs' range a
quadratic model would extrapolate to physically meaningless values.

## Injected faults (generated pumps, compressors, spindles; {v["cases"]} cases incl. fault-free)
precision **{v["precision"]:.3f}**, recall **{v["recall"]:.3f}**, right signal named {v["named_right_signal"]:.3f},
median detection delay **{(v["detection_delay_s_median"] or 0) / 3600:.1f} h** after onset (faults grow from zero).
By fault (s): {json.dumps({k: round(x) for k, x in v["detection_delay_s_by_fault"].items()})}

Limits: a fault present during the reference period is learned as normal; ambient effects beyond a day cycle
are not modelled; outside the reference operating range the expected value is only bounded, not modelled.
"""


def train_models(out_dir: Path, *, quick: bool = False, log: Log = print) -> dict[str, ModelBundle]:
    sizes = QUICK if quick else FULL
    created = datetime.now(UTC).isoformat(timespec="seconds")
    clf, dtrain = _fit_diagnosis(sizes, log)
    dval = validate_diagnosis(clf, dtrain, sizes)
    dmeta = {
        "version": diagnosis.VERSION, "created": created, "quick": quick,
        "features": features.feature_names(),
        "training": {"n": int(dtrain.y.size), "n_bearings": len(set(dtrain.groups)),
                     "bearing_types": sorted(set(dtrain.bearing_type))},
        "validation": dval,
        "headline": {"macro_f1_held_out": round(dval["held_out_bearings"]["macro_f1"], 4),
                     "macro_f1_new_types": round(dval["new_bearing_types"]["macro_f1"], 4)},
    }  # fmt: skip
    dbundle = ModelBundle("bearing_diagnosis", diagnosis.VERSION, clf, dmeta)
    save_bundle(dbundle, out_dir, diagnosis_card(dmeta))
    log(f"diagnosis macro-F1 held-out bearings {dval['held_out_bearings']['macro_f1']:.3f}")
    model, rtrain = _fit_rul(sizes, log)
    rval = validate_rul(model, rtrain, sizes)
    rmeta = {
        "version": rul.VERSION, "created": created, "quick": quick,
        "training": {"n": int(rtrain.rul_h.size), "n_runs": len(set(rtrain.groups))},
        "validation": rval,
        "headline": {"rmse_relative": round(rval["held_out_bearings"]["rmse_relative"], 4),
                     "band_coverage": round(rval["held_out_bearings"]["band_coverage"], 4), "band": rul.BAND},
    }  # fmt: skip
    rbundle = ModelBundle("bearing_rul", rul.VERSION, model, rmeta)
    save_bundle(rbundle, out_dir, rul_card(rmeta))
    log(f"rul RMSE/P-F {rval['held_out_bearings']['rmse_relative']:.3f}, "
        f"coverage {rval['held_out_bearings']['band_coverage']:.3f}")  # fmt: skip
    aval = validate_anomaly(sizes)
    ameta = {
        "version": anomaly.VERSION, "created": created, "quick": quick, "validation": aval,
        "config": {"lambda": anomaly.LAMBDA, "min_threshold_sigma": anomaly.MIN_THRESHOLD_SIGMA,
                   "holdout_margin": anomaly.HOLDOUT_MARGIN, "range_margin": anomaly.RANGE_MARGIN},
        "headline": {"precision": round(aval["precision"], 3), "recall": round(aval["recall"], 3),
                     "detection_delay_s": aval["detection_delay_s_median"]},
    }  # fmt: skip
    abundle = ModelBundle("anomaly_nbm", anomaly.VERSION, ameta["config"], ameta)
    save_bundle(abundle, out_dir, anomaly_card(ameta))
    log(f"anomaly precision {aval['precision']:.3f} recall {aval['recall']:.3f}")
    return {"bearing_diagnosis": dbundle, "bearing_rul": rbundle, "anomaly_nbm": abundle}


def measure_latency(settings: Any | None = None, repeats: int = 5) -> dict[str, float]:
    """Milliseconds per asset for diagnose + remaining_useful_life over the in-memory demo source."""
    from tools.maintenance import tools as mtools
    from tools.maintenance.datasource import demo_source

    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    src = demo_source(now, {"P-101": ("bearing_outer", 96.0)}, days=21, assets=["P-101", "S-1"])
    mtools.diagnose(src, "P-101", settings=settings)  # warm-up: loads the models
    mtools.remaining_useful_life(src, "P-101", settings=settings)
    out = {}
    for name, fn in (("diagnose", mtools.diagnose), ("remaining_useful_life", mtools.remaining_useful_life)):
        times = []
        for _ in range(repeats):
            for aid in ("P-101", "S-1"):
                t = time.perf_counter()
                fn(src, aid, settings=settings)
                times.append((time.perf_counter() - t) * 1e3)
        out[name] = float(np.median(times))
    t = time.perf_counter()
    mtools.anomalies(src, "P-101", window_hours=48, settings=settings)
    out["anomalies_incl_fit"] = (time.perf_counter() - t) * 1e3
    return out
