"""Per-asset anomaly detection on multivariate signals, learned from the asset's own normal operation.

A normal-behaviour model: each analog signal is predicted from the asset's other signals (plus time of day and
running/loaded context) by a quadratic ridge regression fitted on a reference period, its prediction clipped into
the signal's reference range (plus a margin) so it never extrapolates to nonsense; residuals are scaled by
their out-of-sample spread, smoothed by an EWMA, and alarm above a threshold set on held-out normal data. The
result names the deviating signals, the direction, and since when (the last EWMA zero crossing before the alarm).
A flat-line check catches stuck sensors. Also: the validation on generated process data with injected faults.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.signal import lfilter
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from tools.maintenance.physics import process_signals

VERSION = "1.2.0"
LAMBDA = 0.05  # EWMA weight of the newest residual
MIN_THRESHOLD_SIGMA = 5.0  # alarm at ≥ 5 σ of the EWMA of white unit residuals
HOLDOUT_MARGIN = 1.8
COUNTER_HINTS = ("hours", "produced", "count", "counter")
DUTY_WINDOW_S = 3600.0
RANGE_MARGIN = 0.1  # the expected value stays within the reference range widened by 10 % of its span
TIME_CONTEXT = ("_tod_sin", "_tod_cos", "_weekend")  # time of day and weekend: the rhythm of the plant's demand


@dataclass
class Deviation:
    signal: str
    kind: str  # deviation | stuck
    since: float  # epoch seconds
    detected: float  # epoch seconds of the alarm
    direction: str  # higher | lower | flat
    score: float  # peak |EWMA| / threshold (≥ 1 means alarm)
    expected: float | None = None
    actual: float | None = None


def to_epoch(ts: Any) -> np.ndarray:
    """Timestamps (datetime64, datetime objects or epoch seconds) → float epoch seconds."""
    a = np.asarray(ts)
    if a.dtype.kind == "M":
        return a.astype("datetime64[ns]").astype(np.int64) / 1e9
    if a.dtype.kind == "O":
        return np.array([t.timestamp() for t in a], float)
    return a.astype(float)


def align(history: dict[str, tuple[Any, Any]], max_points: int = 6000) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Put signals sampled at their own times on one uniform grid (linear interpolation, bools rounded)."""
    series = {k: (to_epoch(t), np.asarray(v, float)) for k, (t, v) in history.items() if len(t) > 1}
    if not series:
        return np.zeros(0), {}
    start = max(t[0] for t, _ in series.values())
    end = min(t[-1] for t, _ in series.values())
    step = min(float(np.median(np.diff(t))) for t, _ in series.values())
    step = max(step, (end - start) / max_points, 1e-3)
    grid = np.arange(start, end + step / 2, step)
    out = {}
    for k, (t, v) in series.items():
        y = np.interp(grid, t, v)
        if set(np.unique(v[: min(v.size, 2000)])) <= {0.0, 1.0}:
            y = np.round(y)
        out[k] = y
    return grid, out


def _is_counter(name: str, v: np.ndarray) -> bool:
    return any(h in name.lower() for h in COUNTER_HINTS) or (v.size > 10 and bool(np.all(np.diff(v) >= 0)))


def _rolling_mean(x: np.ndarray, w: int) -> np.ndarray:
    c = np.cumsum(np.insert(x, 0, 0.0))
    out = np.empty_like(x)
    idx = np.arange(x.size)
    lo = np.maximum(idx - w + 1, 0)
    out[:] = (c[idx + 1] - c[lo]) / (idx + 1 - lo)
    return out


def _ewma(z: np.ndarray) -> np.ndarray:
    y, _ = lfilter([LAMBDA], [1.0, LAMBDA - 1.0], z, zi=[0.0])
    return y


@dataclass
class NormalBehaviourModel:
    targets: list[str]
    inputs: dict[str, list[str]]
    models: dict[str, Pipeline]
    sigma: dict[str, float]
    threshold: dict[str, float]
    flat_std: dict[str, float]
    bools: list[str]
    step_s: float
    n_reference: int
    meta: dict[str, Any] = field(default_factory=dict)
    # per target: the range seen while running in the reference period, widened by RANGE_MARGIN of its span;
    # predictions are clipped into it (a quadratic model extrapolates to nonsense outside its inputs' range)
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    running_signal: str | None = None  # the yes/no signal saying the machine runs: only running rows are judged

    def expected_range(self, target: str) -> tuple[float, float] | None:
        """The physically plausible range of a target's prediction (None: a model saved without ranges)."""
        return (getattr(self, "ranges", None) or {}).get(target)

    def predict(self, target: str, X: np.ndarray) -> np.ndarray:
        """The target's normal-behaviour prediction, clipped into its reference range."""
        pred = self.models[target].predict(X)
        rng = self.expected_range(target)
        return pred if rng is None else np.clip(pred, *rng)

    @staticmethod
    def _frame(
        t: np.ndarray, data: dict[str, np.ndarray], bools: list[str], step: float, running: str | None
    ) -> dict[str, np.ndarray]:
        hour = (t % 86400.0) / 3600.0
        dow = (np.floor(t / 86400.0) + 3) % 7
        frame = dict(data)
        frame["_tod_sin"] = np.sin(2 * math.pi * hour / 24)
        frame["_tod_cos"] = np.cos(2 * math.pi * hour / 24)
        frame["_weekend"] = (dow >= 5).astype(float)
        w = max(int(DUTY_WINDOW_S / step), 1)
        for b in bools:
            if b != running:
                frame[f"{b}.duty"] = _rolling_mean(data[b], w)
        return frame

    @classmethod
    def fit(cls, t: np.ndarray, data: dict[str, np.ndarray], running: str | None = None) -> NormalBehaviourModel:
        """Learn normal operation from reference data; ``running`` names the running state (default: the signal
        whose name says so, ``tools.maintenance.roles``)."""
        if running is None:
            from tools.maintenance.roles import roles_by_name

            running = next((k for k, role in roles_by_name(data).items() if role == "running"), None)
        if t.size < 50:
            raise ValueError(f"too little reference data to learn normal operation ({t.size} samples)")
        step = float(np.median(np.diff(t)))
        bools = [k for k, v in data.items() if set(np.unique(v)) <= {0.0, 1.0}]
        analog = [k for k, v in data.items() if k not in bools and not _is_counter(k, v) and np.std(v) > 0]
        frame = cls._frame(t, data, bools, step, running)
        runs = data[running] > 0.5 if running in data else np.ones(t.size, bool)
        if runs.sum() < 50:
            raise ValueError("the asset was hardly running in the reference period: no normal operation to learn")
        targets = analog + [f"{b}.duty" for b in bools if b != running]
        ctx = [*TIME_CONTEXT, *(b for b in bools if b != running)]
        idx = np.flatnonzero(runs)
        cut = idx[int(0.7 * idx.size)]
        fit_rows, hold_rows = idx[idx < cut], idx[idx >= cut]
        models, sigma, thr, inputs, flat, ranges = {}, {}, {}, {}, {}, {}
        for tgt in targets:
            src = tgt.split(".")[0]
            if tgt.endswith(".duty"):
                # how often a machine loads is the demand on it: judged against the time of day and week only,
                # never against the signals that follow from loading (power, temperature), which would explain
                # a leak's extra loading away
                ins = list(TIME_CONTEXT)
            else:
                ins = [a for a in analog if a != tgt] + [c for c in ctx if c != src]
            X = np.column_stack([frame[c] for c in ins])
            y = frame[tgt]
            lo, hi = float(np.min(y[idx])), float(np.max(y[idx]))
            ranges[tgt] = (lo - RANGE_MARGIN * (hi - lo), hi + RANGE_MARGIN * (hi - lo))
            model = make_pipeline(StandardScaler(), PolynomialFeatures(2, include_bias=False), Ridge(alpha=1.0))
            model.fit(X[fit_rows], y[fit_rows])
            res = y[hold_rows] - np.clip(model.predict(X[hold_rows]), *ranges[tgt])
            mad = float(np.median(np.abs(res - np.median(res)))) * 1.4826
            s = max(mad, float(np.std(res)) * 0.5, 1e-6 * (abs(float(np.mean(y))) + 1.0))
            e = _ewma((res - np.median(res)) / s)
            base_thr = MIN_THRESHOLD_SIGMA * math.sqrt(LAMBDA / (2 - LAMBDA))
            thr[tgt] = max(base_thr, HOLDOUT_MARGIN * float(np.max(np.abs(e[len(e) // 10 :]))))
            models[tgt], sigma[tgt], inputs[tgt] = model, s, ins
        w = max(int(1800.0 / step), 5)
        for a in analog:
            v = data[a][runs]
            rs = np.sqrt(np.maximum(_rolling_mean(v * v, w) - _rolling_mean(v, w) ** 2, 0))
            flat[a] = float(np.percentile(rs[w:], 1)) if rs.size > w else 0.0
        return cls(targets, inputs, models, sigma, thr, flat, bools, step, int(runs.sum()), ranges=ranges,
                   running_signal=running)  # fmt: skip

    def detect(self, t: np.ndarray, data: dict[str, np.ndarray]) -> list[Deviation]:
        missing = [s for s in {c for ins in self.inputs.values() for c in ins} | set(self.bools)
                   if not s.startswith("_") and s not in data]  # fmt: skip
        if missing:
            raise ValueError(f"signals missing in the window: {', '.join(sorted(missing))}")
        frame = self._frame(t, data, self.bools, self.step_s, self.running_signal)
        run = self.running_signal
        rows = np.flatnonzero(data[run] > 0.5 if run in data else np.ones(t.size, bool))
        out: list[Deviation] = []
        if rows.size < 5:
            return out
        tr = t[rows]
        for tgt in self.targets:
            X = np.column_stack([frame[c][rows] for c in self.inputs[tgt]])
            pred = self.predict(tgt, X)
            z = (frame[tgt][rows] - pred) / self.sigma[tgt]
            if tgt.endswith(".duty"):  # the rolling duty needs a full window first
                z[tr < t[0] + DUTY_WINDOW_S] = 0.0
            e = _ewma(np.clip(z, -50, 50))
            over = np.flatnonzero(np.abs(e) > self.threshold[tgt])
            if over.size == 0:
                continue
            first = int(over[0])
            sign = np.sign(e[first])
            before = np.flatnonzero(np.sign(e[:first]) != sign)
            onset = int(before[-1] + 1) if before.size else 0
            out.append(Deviation(tgt, "deviation", float(tr[onset]), float(tr[first]),
                                 "higher" if sign > 0 else "lower", float(np.max(np.abs(e)) / self.threshold[tgt]),
                                 float(pred[-1]), float(frame[tgt][rows][-1])))  # fmt: skip
        w = max(int(1800.0 / self.step_s), 5)
        for a, ref in self.flat_std.items():
            if ref <= 0 or a not in data:
                continue
            v = data[a][rows]
            if v.size <= w:
                continue
            rs = np.sqrt(np.maximum(_rolling_mean(v * v, w) - _rolling_mean(v, w) ** 2, 0))
            flat = np.flatnonzero((rs < 1e-3 * ref) & (np.arange(v.size) >= w))
            if flat.size:
                first = int(flat[0])
                same = np.flatnonzero(np.abs(v[:first] - v[first]) > 1e-12)
                onset = int(same[-1] + 1) if same.size else 0
                out.append(Deviation(a, "stuck", float(tr[onset]), float(tr[first]), "flat", 10.0, None, float(v[-1])))
        # strongest first; a stuck/drifting sensor outranks the signals it drags along
        out.sort(key=lambda d: (d.kind != "stuck", -min(d.score, 1e6), d.detected))
        return out


# ---------------------------------------------------------------- validation on injected faults

EVAL_FAULTS: dict[str, tuple[str, ...]] = {
    "pump": ("bearing_outer", "bearing_inner", "cavitation", "filter_clogging", "sensor_drift", "sensor_stuck"),
    "compressor": ("compressor_leak", "sensor_drift", "sensor_stuck"),
    "spindle": ("bearing_outer", "bearing_inner", "sensor_drift", "sensor_stuck"),
}
# which signals count as the right answer for each injected fault
EXPECTED_SIGNALS: dict[str, tuple[str, ...]] = {
    "bearing_outer": ("Vibration", "BearingTemperature"),
    "bearing_inner": ("Vibration", "BearingTemperature"),
    "cavitation": ("SuctionPressure", "DischargePressure", "Flow", "Vibration", "Temperature"),
    "filter_clogging": ("FilterDifferentialPressure", "Flow", "SuctionPressure", "Power"),
    "compressor_leak": ("Loaded.duty", "Pressure", "Power", "FreeAirDelivery", "DischargeTemperature"),
    "sensor_drift": ("Speed", "Pressure"),
    "sensor_stuck": ("Speed", "Pressure"),
}
T0 = 1_795_996_800.0  # 2026-11-30 00:00 UTC, a Monday


def evaluate_anomaly(
    seed: int = 7, runs_per_fault: int = 3, normal_runs: int = 3, step_s: float = 60.0
) -> dict[str, Any]:
    """Fit on 10 normal days, watch the next 7; faults start 1-4 days into the watch window."""
    rng = np.random.default_rng(seed)
    tp = fp = fn = named = 0
    delays: list[float] = []
    per_fault: dict[str, list[float]] = {}
    t = T0 + np.arange(-3 * 86400, 14 * 86400, step_s)  # from the Friday before: the reference sees a Monday start
    ref = t < T0 + 7 * 86400
    cases: list[tuple[str, str | None]] = []
    for kind, faults in EVAL_FAULTS.items():
        cases += [(kind, None)] * normal_runs
        cases += [(kind, f) for f in faults for _ in range(runs_per_fault)]
    for kind, fault in cases:
        onset = float(T0 + 7 * 86400 + rng.uniform(1, 4) * 86400) if fault else None
        params = {"nominal_rpm": float(rng.choice([1480, 2950]))} if kind == "pump" else {}
        data = process_signals(kind, t, {fault: onset} if fault else {}, rng, params)
        model = NormalBehaviourModel.fit(t[ref], {k: v[ref] for k, v in data.items()})
        devs = model.detect(t[~ref], {k: v[~ref] for k, v in data.items()})
        if fault is None:
            fp += bool(devs)
            continue
        early = [d for d in devs if d.detected < onset]
        late = [d for d in devs if d.detected >= onset]
        fp += bool(early)
        if late:
            tp += 1
            first = min(late, key=lambda d: d.detected)
            delays.append(first.detected - onset)
            per_fault.setdefault(fault, []).append(first.detected - onset)
            named += late[0].signal in EXPECTED_SIGNALS[fault] or first.signal in EXPECTED_SIGNALS[fault]
        else:
            fn += 1
    precision = tp / max(tp + fp, 1)
    recall = tp / max(tp + fn, 1)
    return {
        "precision": precision,
        "recall": recall,
        "named_right_signal": named / max(tp, 1),
        "detection_delay_s_median": float(np.median(delays)) if delays else None,
        "detection_delay_s_by_fault": {k: float(np.median(v)) for k, v in per_fault.items()},
        "cases": len(cases),
        "sample_step_s": step_s,
        "note": "faults grow from zero (as in the demo plant); delay = first alarm after onset",
    }
