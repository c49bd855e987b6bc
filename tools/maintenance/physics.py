"""Physics-based generator of rotating-machine vibration and of pump/compressor/spindle process degradation.

Owns: the bearing geometry catalogue (with held-out types), the kinematic defect frequencies (BPFO, BPFI, BSF,
FTF), the acceleration waveform of a bearing housing (shaft tones, imbalance, misalignment, localized bearing
defects as resonance-ringing impulse trains with slip, load-zone amplitude modulation, distributed damage,
nuisance tones, sensor noise), the scalar velocity RMS consistent with it (ISO 10816 band 10-1000 Hz),
run-to-failure lives with exponential defect growth on a shift calendar, and vectorised multivariate process
signals of pumps, compressors and spindles with the simulator's faults (cavitation, filter clogging, leaks,
sensor drift/stuck). Everything is seeded and vectorised with numpy/scipy.

The demo plant calls :func:`bearing_waveform` (array variable) and :func:`vibration_rms` (scalar) with a
:class:`MachineProfile` made once per asset by :func:`machine_profile`; the models are trained on the same code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.signal import fftconvolve, lfilter

BEARING_FAULTS = ("outer_race", "inner_race", "ball", "cage")
FAULT_CLASSES = ("normal", "outer_race", "inner_race", "ball", "cage", "imbalance", "misalignment")
# the demo plant's fault names → the waveform fault class they produce ("" = not visible in the waveform)
SIM_FAULT_MAP: dict[str, str] = {
    "bearing_outer": "outer_race",
    "bearing_inner": "inner_race",
    "cavitation": "cavitation",
    "filter_clogging": "normal",
    "compressor_leak": "normal",
    "sensor_drift": "normal",
    "sensor_stuck": "normal",
}

_SQRT2 = math.sqrt(2.0)


@dataclass(frozen=True, slots=True)
class BearingGeometry:
    """Rolling bearing kinematics. Dimensions in mm, contact angle in degrees."""

    name: str
    kind: str  # deep_groove | angular_contact | cylindrical_roller
    n_elements: int
    element_d_mm: float
    pitch_d_mm: float
    contact_angle_deg: float = 0.0
    rpm_range: tuple[float, float] = (600.0, 3600.0)
    held_out: bool = False  # never used in training: the "new bearing type" experiment

    def defect_frequencies(self, shaft_rpm: float) -> DefectFrequencies:
        return defect_frequencies(self, shaft_rpm)


@dataclass(frozen=True, slots=True)
class DefectFrequencies:
    """Characteristic frequencies in Hz at one shaft speed."""

    shaft: float
    ftf: float
    bpfo: float
    bpfi: float
    bsf: float

    def as_dict(self) -> dict[str, float]:
        return {"shaft": self.shaft, "ftf": self.ftf, "bpfo": self.bpfo, "bpfi": self.bpfi, "bsf": self.bsf}


def defect_frequencies(geometry: BearingGeometry, shaft_rpm: float) -> DefectFrequencies:
    """Kinematic defect frequencies (stationary outer ring, rotating inner ring, no slip)."""
    fr = shaft_rpm / 60.0
    ratio = geometry.element_d_mm / geometry.pitch_d_mm * math.cos(math.radians(geometry.contact_angle_deg))
    n = geometry.n_elements
    return DefectFrequencies(
        shaft=fr,
        ftf=fr / 2.0 * (1.0 - ratio),
        bpfo=n * fr / 2.0 * (1.0 - ratio),
        bpfi=n * fr / 2.0 * (1.0 + ratio),
        bsf=geometry.pitch_d_mm / (2.0 * geometry.element_d_mm) * fr * (1.0 - ratio * ratio),
    )


# catalogue-like geometries ("-like": public catalogue dimensions, rounded)
BEARINGS: dict[str, BearingGeometry] = {
    g.name: g
    for g in (
        BearingGeometry("6204", "deep_groove", 8, 7.94, 33.5, 0.0, (900, 3600)),
        BearingGeometry("6205", "deep_groove", 9, 7.94, 39.04, 0.0, (900, 3600)),
        BearingGeometry("6206", "deep_groove", 9, 9.53, 46.0, 0.0, (900, 3600)),
        BearingGeometry("6309", "deep_groove", 8, 17.46, 72.5, 0.0, (700, 3600)),
        BearingGeometry("6312", "deep_groove", 8, 22.23, 85.0, 0.0, (600, 3000)),
        BearingGeometry("7208-B", "angular_contact", 13, 12.7, 60.0, 40.0, (900, 3600)),
        BearingGeometry("7014-C", "angular_contact", 20, 11.11, 90.0, 15.0, (6000, 18000)),
        BearingGeometry("7010-C", "angular_contact", 19, 9.0, 65.0, 15.0, (8000, 20000)),
        # held-out types: absent from training (a roller bearing and a small high-speed spindle bearing)
        BearingGeometry("NU208", "cylindrical_roller", 12, 11.0, 60.0, 0.0, (600, 3000), held_out=True),
        BearingGeometry("7008-AC", "angular_contact", 17, 8.0, 54.0, 25.0, (10000, 24000), held_out=True),
    )
}
# what the demo plant fits: pumps by nominal speed, spindles
DEFAULT_BEARING_FOR_KIND: dict[str, str] = {"pump": "6309", "spindle": "7014-C", "compressor": "6312"}


def training_bearings() -> list[BearingGeometry]:
    return [g for g in BEARINGS.values() if not g.held_out]


def held_out_bearings() -> list[BearingGeometry]:
    return [g for g in BEARINGS.values() if g.held_out]


def get_bearing(geometry: BearingGeometry | str) -> BearingGeometry:
    if isinstance(geometry, BearingGeometry):
        return geometry
    try:
        return BEARINGS[geometry]
    except KeyError:
        raise KeyError(f"unknown bearing type '{geometry}' (known: {', '.join(BEARINGS)})") from None


def recommended_fs(shaft_rpm: float) -> float:
    """Sample rate covering the bearing resonance band: 12.8 kHz for pumps, 51.2 kHz for fast spindles."""
    return 51200.0 if shaft_rpm > 5000 else 12800.0


@dataclass(frozen=True, slots=True)
class MachineProfile:
    """Properties of one installed bearing/machine instance: what makes two machines of one type differ."""

    resonance_frac: float  # housing resonance as a share of the sample rate
    damping: float  # damping ratio of the resonance
    noise: float  # sensor/background noise, m/s² RMS at 3000 rpm
    v1: float  # residual imbalance, mm/s RMS at 1× and nominal speed
    v2_ratio: float  # residual misalignment: 2× relative to 1×
    nuisance_order: int  # vane pass / gear mesh order
    nuisance_v: float  # mm/s RMS of the nuisance tone
    path_gain: float  # impact transmission to the sensor
    slip: float  # relative deviation of the defect frequencies from kinematics
    defect_v_gain: float  # mm/s at the defect frequency at full severity
    phase_seed: int = 0

    @staticmethod
    def random(rng: np.random.Generator) -> MachineProfile:
        return MachineProfile(
            resonance_frac=float(rng.uniform(0.12, 0.36)),
            damping=float(rng.uniform(0.02, 0.08)),
            noise=float(rng.uniform(0.15, 0.8)),
            v1=float(rng.uniform(0.3, 1.2)),
            v2_ratio=float(rng.uniform(0.05, 0.35)),
            nuisance_order=int(rng.integers(5, 13)),
            nuisance_v=float(rng.uniform(0.05, 0.5)),
            path_gain=float(rng.uniform(0.5, 1.5)),
            slip=float(rng.uniform(-0.015, 0.008)),
            defect_v_gain=float(rng.uniform(3.0, 7.0)),
            phase_seed=int(rng.integers(0, 2**31)),
        )


def machine_profile(seed: int | str) -> MachineProfile:
    """A stable profile for one asset (seed: an int, or the asset id)."""
    if isinstance(seed, str):
        seed = sum(ord(c) * 31**i for i, c in enumerate(seed)) % 2**32
    return MachineProfile.random(np.random.default_rng(seed))


def _rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def normalize_fault(fault: str) -> str:
    """Accept a classifier label or a simulator fault name; returns a waveform fault class (or 'cavitation')."""
    f = SIM_FAULT_MAP.get(fault, fault)
    if f not in FAULT_CLASSES and f != "cavitation":
        raise ValueError(f"unknown fault '{fault}' (known: {', '.join(FAULT_CLASSES + tuple(SIM_FAULT_MAP))})")
    return f


def _tones(
    geometry: BearingGeometry, shaft_rpm: Any, fault: str, severity: Any, m: MachineProfile, nominal_rpm: Any
) -> list[tuple[Any, Any]]:
    """(frequency Hz, velocity mm/s RMS) of the deterministic tones (scalars or numpy arrays alike)."""
    f = defect_frequencies(geometry, shaft_rpm)
    fr = f.shaft
    speed = shaft_rpm / nominal_rpm
    v1 = m.v1 * speed
    v2 = v1 * m.v2_ratio
    v3 = v2 * 0.3
    s = severity
    if fault == "imbalance":
        v1 = v1 + (1.5 + 7.0 * s) * speed
    elif fault == "misalignment":
        v2 = v2 + 1.0 + 5.0 * s
        v3 = v3 + 0.4 + 2.0 * s
        v1 = v1 + 0.5 * s
    tones = [(fr, v1), (2 * fr, v2), (3 * fr, v3), (m.nuisance_order * fr, m.nuisance_v * speed)]
    if fault in BEARING_FAULTS:
        fd = {"outer_race": f.bpfo, "inner_race": f.bpfi, "ball": 2 * f.bsf, "cage": f.ftf}[fault] * (1 + m.slip)
        vd = m.defect_v_gain * s**1.5  # as the demo plant's RMS: ~7.5 mm/s × severity^1.5 at end of life
        # wear opens the clearance: shaft harmonics rise late in life (what a 10-1000 Hz RMS sees on spindles)
        tones[0] = (fr, np.hypot(v1, 0.7 * vd))
        tones[1] = (2 * fr, np.hypot(v2, 0.3 * vd))
        tones += [(fd, 0.5 * vd), (2 * fd, 0.3 * vd), (3 * fd, 0.15 * vd)]
        if fault == "cage":
            tones.append((fr - f.ftf, 0.5 * vd))
    return tones


def _noise_sigma(m: MachineProfile, shaft_rpm: float, fault: str, severity: float) -> float:
    sigma = m.noise * math.sqrt(max(shaft_rpm, 60.0) / 3000.0)
    if fault == "cavitation":
        sigma *= 1.0 + 4.0 * severity
    return sigma


def bearing_waveform(
    geometry: BearingGeometry | str,
    shaft_rpm: float,
    fault: str = "normal",
    severity: float = 0.0,
    fs_hz: float = 12800.0,
    n: int = 8192,
    rng: np.random.Generator | int | None = None,
    *,
    machine: MachineProfile | None = None,
    nominal_rpm: float | None = None,
) -> np.ndarray:
    """Acceleration (m/s²) at the bearing housing: ``n`` samples at ``fs_hz``.

    ``fault`` is a class of :data:`FAULT_CLASSES`, 'cavitation', or a simulator fault name (see
    :data:`SIM_FAULT_MAP`); ``severity`` 0..1 (1 = end of life). ``machine`` fixes the instance properties
    (resonance, noise, residual imbalance...); without it a random one is drawn from ``rng``.
    """
    g = get_bearing(geometry)
    rng = _rng(rng)
    fault = normalize_fault(fault)
    m = machine or MachineProfile.random(rng)
    nominal = nominal_rpm or float(np.clip(shaft_rpm, *g.rpm_range))
    s = float(np.clip(severity, 0.0, 1.0))
    t = np.arange(n) / fs_hz
    x = np.zeros(n)
    if shaft_rpm < 1.0:  # standing still: sensor noise only
        return rng.normal(0.0, 0.02, n)
    phase_rng = np.random.default_rng(m.phase_seed)
    for freq, v in _tones(g, shaft_rpm, fault, s, m, nominal):
        if v <= 0 or freq >= fs_hz / 2:
            continue
        amp = _SQRT2 * v * 1e-3 * 2 * math.pi * freq
        x += amp * np.sin(2 * math.pi * freq * t + phase_rng.uniform(0, 2 * math.pi) + rng.normal(0, 0.05))
    sigma = _noise_sigma(m, shaft_rpm, fault, s)
    x += rng.normal(0.0, sigma, n)
    f = defect_frequencies(g, shaft_rpm)
    # resonance impulse response of the housing
    fres = max(m.resonance_frac * fs_hz, 4.0 * f.bpfi)
    fres = min(fres, 0.42 * fs_hz)
    wn = 2 * math.pi * fres
    hl = min(n, int(8.0 / (m.damping * wn) * fs_hz) + 1)
    th = np.arange(hl) / fs_hz
    h = np.exp(-m.damping * wn * th) * np.sin(wn * math.sqrt(1 - m.damping**2) * th)
    # background "roughness": random micro-impacts at the resonance (every bearing has some)
    rough = rng.normal(0.0, 0.25 * sigma, n + hl)
    if fault in BEARING_FAULTS and s > 0:
        fd, q_freq, alt = {
            "outer_race": (f.bpfo, 0.0, False),
            "inner_race": (f.bpfi, f.shaft, False),
            "ball": (2 * f.bsf, f.ftf, True),
            "cage": (f.ftf, f.shaft - f.ftf, False),
        }[fault]
        fd *= 1 + m.slip
        period = 1.0 / fd
        t0 = -hl / fs_hz
        k = np.arange(int((n / fs_hz - t0) / period) + 2)
        times = t0 + rng.uniform(0, period) + k * period + rng.normal(0, 0.008 * period, k.size)
        amp = m.path_gain * 40.0 * s**1.5 * (shaft_rpm / 3000.0) ** 0.7 * rng.uniform(0.8, 1.2, k.size)
        if q_freq > 0:
            phi = rng.uniform(0, 2 * math.pi)
            amp = amp * (0.15 + 0.85 * (0.5 + 0.5 * np.cos(2 * math.pi * q_freq * times + phi)) ** 1.5)
        if alt:
            amp = amp * np.where(k % 2 == 0, 1.0, 0.5)
        if fault == "cage":
            amp = amp * 0.6
        idx = np.round((times - t0) * fs_hz).astype(int)
        keep = (idx >= 0) & (idx < n + hl)
        imp = np.zeros(n + hl)
        np.add.at(imp, idx[keep], amp[keep])
        # distributed damage late in life: broadband ringing modulated at the defect rate
        if s > 0.5:
            mod = 0.5 + 0.5 * np.cos(2 * math.pi * fd * (np.arange(n + hl) / fs_hz + t0))
            rough = rough + rng.normal(0.0, 1.0, n + hl) * sigma * 3.0 * (s - 0.5) * mod
        rough = rough + imp * math.sqrt(fs_hz / 12800.0)
    x += fftconvolve(rough, h)[hl : hl + n] * (2 * m.damping * wn / fs_hz) * 8.0
    return x


def vibration_rms_from_waveform(samples: np.ndarray, fs_hz: float, band: tuple[float, float] = (10.0, 1000.0)) -> float:
    """Velocity RMS in mm/s of an acceleration waveform (m/s²), integrated in the frequency domain."""
    n = samples.size
    spec = np.fft.rfft(samples - samples.mean())
    freqs = np.fft.rfftfreq(n, 1.0 / fs_hz)
    sel = (freqs >= band[0]) & (freqs <= band[1])
    v = spec[sel] / (2j * math.pi * freqs[sel])
    power = 2.0 * np.sum(np.abs(v) ** 2) / n**2
    return float(math.sqrt(power) * 1e3)


def vibration_rms(
    geometry: BearingGeometry | str,
    shaft_rpm: float | np.ndarray,
    fault: str = "normal",
    severity: float | np.ndarray = 0.0,
    machine: MachineProfile | None = None,
    *,
    nominal_rpm: float | None = None,
    fs_hz: float | None = None,
) -> float | np.ndarray:
    """Velocity RMS (mm/s, 10-1000 Hz) consistent with :func:`bearing_waveform`, computed analytically (fast).

    Vectorised over ``shaft_rpm``/``severity`` arrays (for histories); a standing machine reads ~0.02 mm/s.
    """
    g = get_bearing(geometry)
    fault = normalize_fault(fault)
    m = machine or machine_profile(0)
    rpm, sev = np.broadcast_arrays(np.asarray(shaft_rpm, float), np.clip(np.asarray(severity, float), 0, 1))
    moving = rpm >= 1.0
    rpm_s = np.where(moving, rpm, 60.0)
    nominal = nominal_rpm or np.clip(rpm_s, *g.rpm_range)
    fs = fs_hz or np.where(rpm_s > 5000, 51200.0, 12800.0)
    power = np.zeros(rpm.shape)
    for f, v in _tones(g, rpm_s, fault, sev, m, nominal):
        power = power + np.where((f >= 10) & (f <= 1000), np.asarray(v) ** 2, 0.0)
    sigma = m.noise * np.sqrt(np.maximum(rpm_s, 60.0) / 3000.0) * (1.0 + 4.0 * sev * (fault == "cavitation"))
    # white acceleration noise integrated to velocity over 10..1000 Hz
    noise_v2 = sigma**2 / (fs / 2) / (4 * math.pi**2) * (1 / 10.0 - 1 / 1000.0) * 1e6
    out = np.where(moving, np.sqrt(power + noise_v2), 0.02)
    return float(out) if out.ndim == 0 else out


# ---------------------------------------------------------------- run to failure


def severity_curve(tau: np.ndarray, shape_b: float) -> np.ndarray:
    """Defect severity over normalised degradation time tau (0 at onset, 1 at failure): exponential growth."""
    tau = np.clip(tau, 0.0, 1.0)
    return (np.exp(shape_b * tau) - 1.0) / (math.exp(shape_b) - 1.0)


SHIFT_PATTERNS: dict[str, tuple[tuple[float, float], ...]] = {
    "continuous": ((0.0, 24.0),),
    "two_shift": ((6.0, 22.0),),
    "one_shift": ((6.0, 14.0),),
}


def running_pattern(hours: np.ndarray, pattern: str, weekends_off: bool) -> np.ndarray:
    """Boolean running state at calendar hours since a Monday 00:00."""
    hod = hours % 24.0
    dow = (hours // 24.0) % 7
    on = np.zeros(hours.shape, bool)
    for a, b in SHIFT_PATTERNS[pattern]:
        on |= (hod >= a) & (hod < b)
    if weekends_off:
        on &= dow < 5
    return on


@dataclass
class RunToFailure:
    """One bearing's life on an hourly calendar grid: healthy lead-in, defect onset, growth to failure."""

    geometry: BearingGeometry
    machine: MachineProfile
    fault: str
    nominal_rpm: float
    load: float
    pattern: str
    weekends_off: bool
    shape_b: float
    degradation_op_h: float  # operating hours from onset to failure
    onset_h: float  # calendar hour of defect onset
    life_h: float  # calendar hour of failure
    hours: np.ndarray = field(repr=False)  # calendar hours 0..life
    running: np.ndarray = field(repr=False)
    rpm: np.ndarray = field(repr=False)
    severity: np.ndarray = field(repr=False)
    vib_rms: np.ndarray = field(repr=False)

    @property
    def duty(self) -> float:
        return float(self.running.mean())

    def index_at(self, hour: float) -> int:
        return int(np.clip(np.searchsorted(self.hours, hour), 0, self.hours.size - 1))

    def waveform_at(self, hour: float, rng: np.random.Generator, fs_hz: float | None = None, n: int = 8192):
        """The housing acceleration at ``hour`` (at the nominal speed, as when a snapshot is taken running)."""
        i = self.index_at(hour)
        rpm = self.rpm[i] if self.running[i] else self.nominal_rpm
        fs = fs_hz or recommended_fs(rpm)
        x = bearing_waveform(
            self.geometry, rpm, self.fault, float(self.severity[i]), fs, n, rng, machine=self.machine,
            nominal_rpm=self.nominal_rpm,
        )  # fmt: skip
        return x, fs, rpm


def run_to_failure(
    geometry: BearingGeometry | str,
    rng: np.random.Generator | int | None = None,
    *,
    fault: str | None = None,
    nominal_rpm: float | None = None,
    load: float | None = None,
    pattern: str | None = None,
    machine: MachineProfile | None = None,
    degradation_op_h: float | None = None,
) -> RunToFailure:
    """A seeded run-to-failure life. Unset arguments are drawn at random (many distinct bearings/conditions).

    Degradation lasts ``degradation_op_h`` operating hours from onset, scaled like ISO 281 life with load
    (∝ load⁻³) and speed (∝ rpm⁻¹); severity grows exponentially (shape b ∈ [2, 5]) and only while running.
    """
    g = get_bearing(geometry)
    rng = _rng(rng)
    fault = fault or str(rng.choice(BEARING_FAULTS))
    nominal = nominal_rpm or float(rng.uniform(*g.rpm_range))
    load = load if load is not None else float(rng.uniform(0.5, 1.0))
    pattern = pattern or str(rng.choice(list(SHIFT_PATTERNS)))
    weekends_off = pattern != "continuous" and bool(rng.random() < 0.7)
    m = machine or MachineProfile.random(rng)
    shape_b = float(rng.uniform(2.0, 5.0))
    if degradation_op_h is None:
        base = math.exp(rng.uniform(math.log(100.0), math.log(2000.0)))
        degradation_op_h = base * (0.75 / load) ** 3 * (float(np.mean(g.rpm_range)) / nominal) ** 0.5
        degradation_op_h = float(np.clip(degradation_op_h, 80.0, 4000.0))
    lead = float(rng.uniform(8 * 24, 20 * 24))
    horizon = int(lead + degradation_op_h * 8 + 24 * 14)
    hours = np.arange(horizon, dtype=float)
    running = running_pattern(hours, pattern, weekends_off)
    onset = int(lead)
    op = np.cumsum(np.where(hours >= onset, running, 0).astype(float))
    end = int(np.searchsorted(op, degradation_op_h)) + 1
    end = min(end, horizon)
    hours, running, op = hours[:end], running[:end], op[:end]
    severity = severity_curve(op / degradation_op_h, shape_b) * (hours >= onset)
    rpm = np.where(running, nominal * rng.uniform(0.9, 1.0, hours.size), 0.0)
    vib = vibration_rms(g, rpm, fault, severity, m, nominal_rpm=nominal)
    vib = np.asarray(vib) * rng.lognormal(0.0, 0.03, hours.size)
    return RunToFailure(
        g, m, fault, nominal, load, pattern, weekends_off, shape_b, float(degradation_op_h), float(onset),
        float(hours[-1]), hours, running, rpm, severity, vib,
    )  # fmt: skip


# ---------------------------------------------------------------- process signals (pumps, compressors, spindles)

PROCESS_SIGNALS: dict[str, tuple[str, ...]] = {
    "pump": (
        "Running", "Speed", "Flow", "DischargePressure", "SuctionPressure", "FilterDifferentialPressure",
        "Power", "Temperature", "BearingTemperature", "Vibration",
    ),
    "compressor": ("Running", "Loaded", "Pressure", "Power", "DischargeTemperature", "FreeAirDelivery", "Vibration"),
    "spindle": ("Running", "Speed", "Load", "Power", "BearingTemperature", "Vibration"),
}  # fmt: skip
# the simulator's sensor faults act on the first analog signal unless the asset names another
DRIFT_TARGET = {"pump": "Speed", "compressor": "Pressure", "spindle": "Speed"}


def production_load(t_s: np.ndarray) -> np.ndarray:
    """Planned load 0..1 at epoch seconds: two shifts on weekdays, reduced night, idle weekends (the demo's pattern)."""
    days = np.floor(t_s / 86400.0)
    dow = (days + 3) % 7  # 1970-01-01 was a Thursday
    hour = (t_s % 86400.0) / 3600.0
    load = np.where((hour >= 6) & (hour < 22), 0.9, 0.35)
    brk = ((hour >= 9.5) & (hour < 9.75)) | ((hour >= 18.0) & (hour < 18.25))
    load = np.where(brk & (hour >= 6) & (hour < 22), 0.2, load)
    return np.where(dow >= 5, 0.0, load)


def ambient_c(t_s: np.ndarray) -> np.ndarray:
    hour = (t_s / 3600.0) % 24
    return 21.0 + 4.0 * np.sin((hour - 9.0) / 24 * 2 * np.pi)


def _lag(x: np.ndarray, dt: float, tau: float) -> np.ndarray:
    a = 1.0 - math.exp(-dt / tau)
    y, _ = lfilter([a], [1.0, a - 1.0], x, zi=[x[0] * (1 - a)])
    return y


def _ramp(t_s: np.ndarray, onset: float | None, days_to_full: float) -> np.ndarray:
    if onset is None:
        return np.zeros_like(t_s)
    return np.clip((t_s - onset) / (days_to_full * 86400.0), 0.0, 1.0)


def process_signals(
    kind: str,
    t_s: np.ndarray,
    faults: dict[str, float] | None = None,
    rng: np.random.Generator | int | None = None,
    params: dict[str, Any] | None = None,
) -> dict[str, np.ndarray]:
    """Multivariate process signals on a uniform epoch-second grid, with faults {name: onset epoch s}.

    Same couplings as the demo plant: affinity laws for pumps (flow ∝ n, head ∝ n², power ∝ n³), lagged
    temperatures, a compressor's load/unload cycle against a pressure band, bearing damage heating the bearing
    and raising vibration, cavitation, filter clogging, leaks, sensor drift (+15 % of span over 10 days) and a
    stuck sensor (frozen value).
    """
    rng = _rng(rng)
    faults = faults or {}
    params = params or {}
    t_s = np.asarray(t_s, float)
    dt = float(t_s[1] - t_s[0]) if t_s.size > 1 else 1.0
    n = t_s.size
    load = production_load(t_s)
    amb = ambient_c(t_s)
    bearing = np.maximum(_ramp(t_s, faults.get("bearing_outer"), 8.0), _ramp(t_s, faults.get("bearing_inner"), 6.0))
    out: dict[str, np.ndarray]
    if kind == "pump":
        n_nom = float(params.get("nominal_rpm", 2950))
        running = load > (0.5 if params.get("standby") else 0.0)
        speed = _lag(np.where(running, n_nom * (0.55 + 0.45 * load), 0.0), dt, 8.0)
        r = speed / n_nom
        clog = _ramp(t_s, faults.get("filter_clogging"), 6.0)
        cav = _ramp(t_s, faults.get("cavitation"), 2.0)
        q_nom = 180.0 if n_nom > 2000 else 90.0
        flow = np.maximum(0, q_nom * r * (1 - 0.45 * clog) * (1 - 0.25 * cav) + rng.normal(0, 1.2, n) * r)
        suction = 1.8 - 0.9 * clog - 0.8 * cav + rng.normal(0, 0.01, n)
        head = 9.5 * r * r - 0.00004 * flow * flow
        discharge = np.maximum(
            0, suction + head - cav * (0.5 + 0.5 * np.sin(t_s / 7.0)) + rng.normal(0, 0.05, n)
        )  # fmt: skip
        dp = (0.08 + 1.2 * clog) * (flow / q_nom) ** 2 + np.abs(rng.normal(0, 0.005, n))
        power = (30.0 if n_nom > 2000 else 11.0) * r**3 * (1 + 0.1 * clog) + 0.3 * running
        temp = _lag(amb + 0.9 * power + 6 * cav, dt, 900.0) + rng.normal(0, 0.15, n)
        btemp = _lag(amb + 0.7 * power + 25 * bearing**2, dt, 1200.0) + rng.normal(0, 0.2, n)
        vib = (1.1 + 0.6 * r * r + 7.5 * bearing**1.5 + 3.5 * cav) * np.where(running, 1.0, 0.05)
        vib = vib + np.abs(rng.normal(0, 0.08, n))
        out = {
            "Running": running.astype(float), "Speed": np.clip(speed + rng.normal(0, 2, n) * r, 0, 3600),
            "Flow": flow, "DischargePressure": discharge, "SuctionPressure": np.maximum(0, suction),
            "FilterDifferentialPressure": dp, "Power": power, "Temperature": temp, "BearingTemperature": btemp,
            "Vibration": vib,
        }  # fmt: skip
        span = {"Speed": 3600.0}
    elif kind == "compressor":
        rated = float(params.get("rated_kw", 45.0))
        demand = 0.25 + 0.6 * load
        leak = 0.35 * _ramp(t_s, faults.get("compressor_leak"), 4.0)
        pressure = np.empty(n)
        loaded = np.empty(n, bool)
        p, ld = 7.2, True
        for i in range(n):  # hysteresis: inherently sequential, cheap at minute resolution
            delivery = rated * 12.0 if ld else 0.0
            p += dt * (delivery - (demand[i] + leak[i]) * rated * 12.0) / (rated * 40.0)
            if p >= 7.5:
                ld = False
            elif p <= 6.5:
                ld = True
            p = min(max(p, 4.0), 8.5)
            pressure[i], loaded[i] = p, ld
        power = rated * np.where(loaded, 0.98, 0.28) + rng.normal(0, 0.3, n)
        temp = _lag(amb + np.where(loaded, 58.0, 38.0), dt, 300.0) + rng.normal(0, 0.2, n)
        fad = np.where(loaded, rated * 12.0 + rng.normal(0, 3, n), 0.0)
        vib = 1.6 + 0.5 * loaded + 7.5 * bearing**1.5 + np.abs(rng.normal(0, 0.06, n))
        out = {
            "Running": np.ones(n), "Loaded": loaded.astype(float), "Pressure": pressure + rng.normal(0, 0.01, n),
            "Power": power, "DischargeTemperature": temp, "FreeAirDelivery": fad, "Vibration": vib,
        }  # fmt: skip
        span = {"Pressure": 13.0}
    elif kind == "spindle":
        cycle = (t_s % 240.0) / 240.0
        cutting = (load > 0.5) & (cycle < 0.75)
        speed = _lag(np.where(cutting, 12000.0, 0.0), dt, 2.0)
        sload = np.where(cutting, 55 + 15 * np.sin(cycle * 20), 0.0)
        power = 22 * sload / 100 + 0.4 * (speed > 0)
        btemp = _lag(amb + 0.0016 * speed + 22 * bearing**2, dt, 600.0) + rng.normal(0, 0.15, n)
        vib = (0.6 + 0.9 * speed / 12000 + 6 * bearing**1.5) * np.where(speed > 100, 1.0, 0.1)
        vib = vib + np.abs(rng.normal(0, 0.05, n))
        out = {
            "Running": (speed > 100).astype(float), "Speed": speed,
            "Load": sload + np.abs(rng.normal(0, 0.5, n)) * (speed > 100), "Power": power,
            "BearingTemperature": btemp, "Vibration": vib,
        }  # fmt: skip
        span = {"Speed": 24000.0}
    else:
        raise ValueError(f"no process model for asset kind '{kind}'")
    target = params.get("faulty_sensor") or DRIFT_TARGET[kind]
    if "sensor_drift" in faults:
        out[target] = out[target] + 0.15 * span.get(target, 1.0) * _ramp(t_s, faults["sensor_drift"], 10.0)
    if "sensor_stuck" in faults:
        stuck = t_s >= faults["sensor_stuck"]
        if stuck.any():
            first = int(np.argmax(stuck))
            out[target] = np.where(stuck, out[target][first], out[target])
    return out
