"""Vibration features: time-domain statistics, shaft-order velocity tones and envelope-spectrum band energies at
the bearing defect frequencies, plus the evidence (which peaks) behind them; and trend features of a scalar
vibration history for remaining-useful-life estimation.

All frequency features are taken relative to the kinematic defect frequencies of the given geometry and speed,
so the same features mean the same thing for any bearing type and shaft speed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from tools.maintenance.physics import BearingGeometry, DefectFrequencies, defect_frequencies

# envelope targets: (name, multiple of the named frequency)
ENVELOPE_TARGETS = ("ftf", "shaft", "bpfo", "bpfi", "bsf", "2bsf")
LABELS = {"ftf": "FTF", "shaft": "1×", "bpfo": "BPFO", "bpfi": "BPFI", "bsf": "BSF", "2bsf": "2×BSF"}
CANDIDATE_BANDS = ((0.05, 0.15), (0.1, 0.2), (0.15, 0.25), (0.2, 0.3), (0.25, 0.35), (0.3, 0.4), (0.35, 0.45))


@dataclass
class Peak:
    """A spectral line found near an expected frequency."""

    label: str
    harmonic: int
    expected_hz: float
    found_hz: float
    db_over_floor: float
    spectrum: str  # envelope | velocity


@dataclass
class FeatureSet:
    values: np.ndarray
    names: list[str]
    frequencies: DefectFrequencies
    peaks: list[Peak] = field(default_factory=list)
    band_hz: tuple[float, float] = (0.0, 0.0)
    velocity_rms_mm_s: float = 0.0
    order_velocity_mm_s: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, float]:
        return dict(zip(self.names, (float(v) for v in self.values), strict=True))


def _target_hz(f: DefectFrequencies, name: str) -> float:
    return 2 * f.bsf if name == "2bsf" else getattr(f, name)


def _peak(spec: np.ndarray, df: float, target: float, tol: float = 0.03) -> tuple[float, float]:
    """(amplitude, frequency) of the largest bin within ±tol of target (at least ±1.5 bins)."""
    half = max(tol * target, 1.5 * df)
    lo, hi = math.floor((target - half) / df), math.ceil((target + half) / df)
    lo, hi = max(lo, 1), min(hi, spec.size - 1)
    if hi < lo:
        return 0.0, target
    i = lo + int(np.argmax(spec[lo : hi + 1]))
    return float(spec[i]), i * df


def _kurt(a: np.ndarray) -> float:
    d = a - a.mean()
    v = float(np.mean(d * d)) + 1e-24
    return float(np.mean(d**4) / (v * v) - 3.0)


def envelope_spectrum(x: np.ndarray, fs: float) -> tuple[np.ndarray, float, tuple[float, float], float, np.ndarray]:
    """Envelope spectrum of the band with the most impulsive envelope (a coarse kurtogram).

    Each band is shifted to base band and demodulated at a reduced rate (n/2 points); the envelope spectrum keeps
    the resolution fs/n of the input.
    """
    n = x.size
    spec = np.fft.rfft(x - x.mean())
    m = n // 2
    best: tuple[float, np.ndarray, tuple[float, float]] | None = None
    for a, b in CANDIDATE_BANDS:
        lo, hi = int(a * n), min(int(b * n), spec.size)
        z = np.zeros(m, complex)
        z[: hi - lo] = spec[lo:hi]
        env = np.abs(np.fft.ifft(z)) * (2.0 * m / n)
        k = _kurt(env)
        if best is None or k > best[0]:
            best = (k, env, (a * fs, b * fs))
    assert best is not None
    env = best[1]
    es = np.abs(np.fft.rfft(env - env.mean())) / m
    return es, fs / n, best[2], best[0], env


def waveform_features(
    x: np.ndarray, fs: float, shaft_rpm: float, geometry: BearingGeometry, *, with_peaks: bool = True
) -> FeatureSet:
    """Features of one acceleration waveform (m/s²) at a known speed and bearing geometry."""
    x = np.asarray(x, float)
    n = x.size
    f = defect_frequencies(geometry, shaft_rpm)
    rms = float(np.sqrt(np.mean((x - x.mean()) ** 2))) + 1e-12
    feats: dict[str, float] = {
        "log_rms": math.log(rms),
        "kurtosis": _kurt(x),
        "crest": float(np.max(np.abs(x - x.mean())) / rms),
        "skew_abs": abs(float(np.mean((x - x.mean()) ** 3)) / rms**3),
    }
    # velocity spectrum (mm/s amplitude RMS per line)
    sp = np.fft.rfft(x - x.mean())
    freqs = np.fft.rfftfreq(n, 1.0 / fs)
    df = fs / n
    vel = np.zeros_like(freqs)
    vel[1:] = np.abs(sp[1:]) / (2 * math.pi * freqs[1:]) * 2.0 / n / math.sqrt(2) * 1e3
    band = (freqs >= 10) & (freqs <= 1000)
    vrms = float(np.sqrt(np.sum(vel[band] ** 2)))
    vfloor = float(np.median(vel[(freqs >= f.ftf * 0.5) & (freqs <= max(10 * f.shaft, 200.0))])) + 1e-9
    orders = {}
    for k in (1, 2, 3):
        # sum of the few bins around the line (window leakage)
        _, fh = _peak(vel, df, k * f.shaft, 0.01)
        i = round(fh / df)
        orders[f"{k}x"] = float(np.sqrt(np.sum(vel[max(i - 2, 0) : i + 3] ** 2)))
    a_ftf, _ = _peak(vel, df, f.ftf, 0.03)
    feats.update(
        log_vrms=math.log(vrms + 1e-6),
        log_v1=math.log(orders["1x"] + 1e-6),
        log_v2=math.log(orders["2x"] + 1e-6),
        log_v3=math.log(orders["3x"] + 1e-6),
        v2_v1=orders["2x"] / (orders["1x"] + 1e-6),
        v3_v1=orders["3x"] / (orders["1x"] + 1e-6),
        v1_share=orders["1x"] ** 2 / (vrms**2 + 1e-9),
        v_ftf_db=20 * math.log10(a_ftf / vfloor + 1e-9),
    )
    es, edf, band_hz, band_kurt, env = envelope_spectrum(x, fs)
    # periodicity of the envelope: circular autocorrelation at each defect period (robust with few impacts)
    e = env - env.mean()
    ac = np.fft.irfft(np.abs(np.fft.rfft(e, 2 * e.size)) ** 2)[: e.size]
    ac = ac / (ac[0] + 1e-24)
    env_fs = e.size / (n / fs)
    feats["env_band_kurtosis"] = math.log1p(max(band_kurt, 0.0))
    fmax = 3.5 * max(f.bpfi, 2 * f.bsf)
    floor_sel = slice(max(1, int(0.5 * f.ftf / edf)), min(es.size, int(fmax / edf) + 1))
    floor = float(np.median(es[floor_sel])) + 1e-12
    feats["env_kurtosis_band"] = float(band_hz[0] / fs)
    peaks: list[Peak] = []
    for name in ENVELOPE_TARGETS:
        target = _target_hz(f, name)
        dbs = []
        for h in (1, 2, 3):
            amp, fh = _peak(es, edf, h * target)
            db = 20 * math.log10(amp / floor + 1e-12)
            dbs.append(db)
            if with_peaks:
                peaks.append(Peak(LABELS[name], h, h * target, fh, db, "envelope"))
        feats[f"env_{name}_h1"] = dbs[0]
        lag = env_fs / target
        if name != "shaft" and lag < e.size - 2:
            i = round(lag)
            feats[f"env_{name}_ac"] = float(np.max(ac[max(i - 1, 1) : i + 2]))
        elif name != "shaft":
            feats[f"env_{name}_ac"] = 0.0
        feats[f"env_{name}_hsum"] = float(np.mean(dbs))
    # modulation sidebands: inner race ± shaft, ball ± cage
    for name, carrier, mod in (("bpfi_sb", f.bpfi, f.shaft), ("bsf_sb", 2 * f.bsf, f.ftf)):
        lo, _ = _peak(es, edf, carrier - mod, 0.02)
        hi, _ = _peak(es, edf, carrier + mod, 0.02)
        feats[f"env_{name}"] = 20 * math.log10((lo + hi) / 2 / floor + 1e-12)
    if with_peaks:
        for k in (1, 2, 3):
            peaks.append(
                Peak(f"{k}×", k, k * f.shaft, k * f.shaft, 20 * math.log10(orders[f"{k}x"] / vfloor), "velocity")
            )
    names = list(feats)
    return FeatureSet(
        np.array([feats[k] for k in names]), names, f, peaks, band_hz, vrms, {k: round(v, 3) for k, v in orders.items()}
    )


FEATURE_NAMES: list[str] = []  # filled lazily by feature_names()


def feature_names() -> list[str]:
    if not FEATURE_NAMES:
        from tools.maintenance.physics import BEARINGS

        x = np.random.default_rng(0).normal(size=4096)
        FEATURE_NAMES.extend(waveform_features(x, 12800.0, 1800.0, BEARINGS["6205"], with_peaks=False).names)
    return FEATURE_NAMES


# ---------------------------------------------------------------- history trend features (RUL)

TREND_NAMES = [
    "log_now_vs_1d", "log_now_vs_3d", "log_now_vs_7d", "log_now_vs_14d", "log_now_vs_base", "duty", "log_level",
    "days_above_1.15", "days_above_1.4", "days_above_2", "log_3h_vs_12h", "log_3h_vs_24h",
    "hours_above_1.15", "hours_above_1.4", "hours_above_2",
]  # fmt: skip
# appended (models trained on the first 15 trend features still read their prefix): a degradation fit of the
# RMS history, see degradation_features()
DEGRADATION_NAMES = [
    "fit_log_excess_power", "fit_log_excess_vs_base", "fit_log_rate", "fit_log_rul_op", "fit_log_rul_cal",
    "fit_residual", "fit_recent_log_rate", "fit_recent_log_rul_cal", "log_history_op_h", "duty_history",
]  # fmt: skip
TREND_NAMES += DEGRADATION_NAMES
HISTORY_DAYS = 60
FIT_BINS = 240  # the history is reduced to ≤ 240 medians of equal operating time before the fit
FIT_RATES = np.geomspace(1e-4, 1.0, 64)  # growth rates of the excess power tried, per operating hour
FIT_RECENT_OP_H = 168.0
DEFECT_POWER_MM2_S2 = 16.0  # typical excess velocity power (mm²/s²) of a bearing defect at end of life


def trend_features(hours: np.ndarray, values: np.ndarray, running: np.ndarray, now_h: float) -> np.ndarray:
    """Growth of a vibration RMS history up to ``now_h``: log ratios of the last day's running median to the
    medians 1, 3, 7 and 14 days earlier and to the healthy baseline (10th percentile of the history), duty,
    and how long (days) the daily median has stayed above 1.15×, 1.4× and 2× the baseline; then the
    :func:`degradation_features` of the same history.

    ``hours``: sample times in hours (any origin), ``running``: bool per sample. Scale-free, so it transfers
    between machines whose absolute vibration differs.
    """
    sel = (hours <= now_h) & (hours > now_h - HISTORY_DAYS * 24)
    h, v, r = hours[sel], values[sel], running[sel].astype(bool)
    hr, vr = h[r], v[r]
    if vr.size == 0:
        return np.zeros(len(TREND_NAMES))
    day = np.floor((now_h - hr) / 24.0).astype(int)  # 0 = the last 24 h
    ndays = int(day.max()) + 1
    daily = np.full(ndays, np.nan)
    for d in np.unique(day):
        daily[d] = np.median(vr[day == d])
    now = daily[0] if np.isfinite(daily[0]) else float(np.median(vr))
    base = float(np.nanpercentile(daily, 10)) if np.isfinite(daily).sum() >= 3 else now

    def past(lag: int) -> float:
        if lag >= ndays:
            return 0.0
        seg = daily[lag : lag + 2]
        seg = seg[np.isfinite(seg)]
        return math.log(now / float(seg[0])) if seg.size and seg[0] > 0 else 0.0

    out = [past(1), past(3), past(7), past(14), math.log(max(now, 1e-6) / max(base, 1e-6))]
    recent = day < 7
    out += [float(recent.sum() / max((h > now_h - 7 * 24).sum(), 1)), math.log(max(now, 1e-6))]
    for k in (1.15, 1.4, 2.0):
        above = np.isfinite(daily) & (daily > k * base)
        below = np.flatnonzero(np.isfinite(daily) & ~above)
        # days since the daily median last sat below k × baseline
        out.append(float(below[0]) if below.size else float(ndays))
    # the last day at sample resolution (fast degradations)
    age = now_h - hr

    def med_h(a: float, b: float) -> float:
        m = (age >= a) & (age < b)
        return float(np.median(vr[m])) if m.any() else float("nan")

    last = med_h(0, 3)
    for lag in (12, 24):
        p = med_h(lag, lag + 3)
        out.append(math.log(last / p) if math.isfinite(p) and math.isfinite(last) and p > 0 else 0.0)
    smooth = np.convolve(vr, np.ones(3) / 3, mode="same") if vr.size >= 3 else vr
    for k in (1.15, 1.4, 2.0):
        below = np.flatnonzero(smooth <= k * base)
        out.append(float(min(age[below[-1]], 24 * HISTORY_DAYS)) if below.size else 24.0 * HISTORY_DAYS)
    return np.concatenate([out, degradation_features(hours, values, running, now_h)])


def _fit_excess(age: np.ndarray, p: np.ndarray, base2: float | None = None) -> tuple[float, float, float, float]:
    """Least-squares fit of ``p(age) = B² + E·exp(-k·age)`` (RMS² against operating hours before now) for every
    rate k of :data:`FIT_RATES` (linear in B², E for a fixed k; B² fixed when given): (B², E, k, residual / B⁴)."""
    e_k = np.exp(-np.outer(FIT_RATES, age))
    w = 1.0 / age.size
    if base2 is None:
        s1, s2 = e_k.sum(1) * w, (e_k * e_k).sum(1) * w
        sy, s1y = float(p.sum()) * w, (e_k @ p) * w
        var = s2 - s1**2
        ex = np.maximum(np.where(var > 1e-12, (s1y - s1 * sy) / np.maximum(var, 1e-12), 0.0), 0.0)
        b2 = np.maximum(sy - ex * s1, 1e-6)
    else:
        b2 = np.full(FIT_RATES.size, base2)
        ex = np.maximum((e_k @ (p - base2)) / np.maximum((e_k * e_k).sum(1), 1e-12), 0.0)
    sse = ((b2[:, None] + ex[:, None] * e_k - p) ** 2).sum(1) * w
    i = int(np.argmin(sse))
    return float(b2[i]), max(float(ex[i]), 1e-4), float(FIT_RATES[i]), float(sse[i]) / max(float(b2[i]) ** 2, 1e-9)


def _rul_op_h(excess: float, rate: float, step_h: float) -> float:
    """Operating hours until a typical defect's excess power is reached at the fitted growth rate (severity ∝
    excess^⅓ grows at rate/3): a physics estimate the model refines."""
    severity = min((excess / DEFECT_POWER_MM2_S2) ** (1 / 3), 1.0)
    return min(math.log(1.0 / max(severity, 1e-3)) / (rate / 3.0) + step_h, 1e5)


def degradation_features(hours: np.ndarray, values: np.ndarray, running: np.ndarray, now_h: float) -> np.ndarray:
    """A degradation fit of a vibration RMS history (mm/s) up to ``now_h``, in operating time (a defect grows
    only while the machine runs): RMS² = B² + E·exp(-k·age) with B the healthy level, E the excess power of the
    defect now and k its growth rate, fitted on the whole history and (B fixed) on the last week of operation;
    from them a physics estimate of the remaining life in operating and calendar hours; the history's length in
    operating hours and its duty. Absolute levels matter here (the excess power measures the defect size).
    """
    sel = (hours <= now_h) & (hours > now_h - HISTORY_DAYS * 24) & np.isfinite(values)
    h, v, r = hours[sel], values[sel], running[sel].astype(bool)
    vr = v[r]
    n = vr.size
    if n < 8:
        return np.zeros(len(DEGRADATION_NAMES))
    step = max(float(np.median(np.diff(h))), 1e-6)
    m = max(n // FIT_BINS, 1)
    nb = n // m
    p = np.median((vr[n - nb * m :] ** 2).reshape(nb, m), axis=1)
    age = (nb - 1 - np.arange(nb)) * m * step + (m - 1) / 2 * step
    duty = float(r.mean())
    b2, excess, rate, residual = _fit_excess(age, p)
    rul_op = _rul_op_h(excess, rate, step)
    recent = age <= FIT_RECENT_OP_H
    rate_r, rul_r = rate, rul_op
    if recent.sum() >= 6:
        _, excess_r, rate_r, _ = _fit_excess(age[recent], p[recent], base2=b2)
        rul_r = _rul_op_h(excess_r, rate_r, step)
    d = max(duty, 0.05)
    return np.array([math.log(excess), math.log(excess / b2), math.log(rate), math.log(rul_op), math.log(rul_op / d),
                     residual, math.log(rate_r), math.log(rul_r / d), math.log(n * step), duty])  # fmt: skip
