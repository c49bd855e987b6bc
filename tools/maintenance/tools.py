"""The maintenance tools with typed inputs and results: ``diagnose``, ``remaining_useful_life``, ``anomalies``,
``maintenance_plan``. Each takes a :class:`MaintenanceDataSource` (never the generator) and returns a pydantic
result carrying the model's name, version and validation figures.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field
from threadpoolctl import threadpool_limits

from tools.maintenance import anomaly as anomaly_mod
from tools.maintenance import diagnosis as diag_mod
from tools.maintenance import planning
from tools.maintenance.datasource import AssetInfo, MaintenanceDataSource, NoData, find_asset
from tools.maintenance.features import HISTORY_DAYS, trend_features, waveform_features
from tools.maintenance.limits import Limit, time_to_limits
from tools.maintenance.physics import BEARING_FAULTS, DEFAULT_BEARING_FOR_KIND, get_bearing
from tools.maintenance.registry import load_bundle
from tools.maintenance.rul import BAND, load_scaling

# ---------------------------------------------------------------- schemas


class ModelInfo(BaseModel):
    name: str
    version: str
    validation: dict[str, Any] = Field(default_factory=dict)


class DiagnoseInput(BaseModel):
    asset: str = Field(description="asset id, e.g. a pump or spindle", max_length=64)


class EvidenceLine(BaseModel):
    line: str = Field(description="BPFO, BPFI, BSF, 2×BSF, FTF, 1×, 2×... (harmonic prefix, e.g. 2×BPFO)")
    spectrum: Literal["envelope", "velocity"]
    expected_hz: float
    found_hz: float
    db_over_floor: float | None


class DiagnosisResult(BaseModel):
    asset: str
    timestamp: datetime
    fault: str = Field(description="normal | outer_race | inner_race | ball | cage | imbalance | misalignment")
    confidence: float
    probabilities: dict[str, float]
    evidence: list[EvidenceLine]
    shaft_rpm: float
    bearing: str
    bearing_assumed: bool
    defect_frequencies_hz: dict[str, float]
    velocity_rms_mm_s: float
    model: ModelInfo


class RulInput(BaseModel):
    asset: str = Field(max_length=64)
    load_percent: float | None = Field(None, gt=0, le=150, description="what-if: run the asset at this load")


class RulResult(BaseModel):
    asset: str
    timestamp: datetime
    status: Literal["degrading", "no_degradation_detected"]
    fault: str
    rul_hours: float | None = Field(
        None,
        description="point estimate of the remaining life (a median weighted by 1/P-F interval: early after onset "
        "it leans short), calendar hours at current duty",
    )
    rul_hours_low: float | None = None
    rul_hours_high: float | None = None
    band: float = BAND
    predicted_failure: datetime | None = None
    failure_earliest: datetime | None = None
    failure_latest: datetime | None = None
    duty: float = Field(description="share of time running over the last 7 days")
    load_percent_now: float | None = None
    what_if_load_percent: float | None = None
    what_if_factor: float | None = None
    note: str = ""
    model: ModelInfo


class AnomaliesInput(BaseModel):
    target: str = Field(description="asset id or line name", max_length=64)
    window_hours: float = Field(24.0, gt=0, le=24 * 60)
    reference_days: float = Field(10.0, gt=0.5, le=90)


class SignalDeviation(BaseModel):
    signal: str
    kind: Literal["deviation", "stuck"]
    since: datetime
    detected: datetime
    direction: Literal["higher", "lower", "flat"]
    score: float = Field(description="peak deviation / alarm threshold (≥ 1 = anomaly)")
    expected: float | None = None
    actual: float | None = None


class AssetAnomalies(BaseModel):
    asset: str
    status: Literal["normal", "anomalous", "no_data"]
    deviations: list[SignalDeviation] = Field(default_factory=list)
    note: str = ""


class AnomaliesResult(BaseModel):
    target: str
    start: datetime
    end: datetime
    assets: list[AssetAnomalies]
    model: ModelInfo


class WhatIf(BaseModel):
    asset: str = Field(max_length=64)
    load_percent: float = Field(gt=0, le=150)


class MaintenancePlanInput(BaseModel):
    horizon_days: float | None = Field(None, gt=0, le=90, description="default: settings.maintenance.horizon_days")
    what_if: list[WhatIf] = Field(default_factory=list)


class WorkOrder(BaseModel):
    asset: str
    action: str
    reason: str
    scheduled_start: datetime | None
    scheduled_end: datetime | None
    shift: str | None
    expected_downtime_h: float
    crew_hours: float
    planned_stop: bool
    predicted_failure: datetime | None
    before_predicted_failure: bool | None
    priority: int
    note: str = ""


class MaintenancePlanResult(BaseModel):
    start: datetime
    end: datetime
    work_orders: list[WorkOrder]
    crew_hours_per_shift: float
    assets_checked: list[str]
    what_if: list[WhatIf] = Field(default_factory=list)
    models: list[ModelInfo]


# ---------------------------------------------------------------- helpers


def _info(name: str, settings: Any | None) -> tuple[Any, ModelInfo]:
    b = load_bundle(name, settings)
    for cc in getattr(b.model, "calibrated_classifiers_", []):
        # one sample at a time: thread start-up of a parallel forest costs more than the trees
        if hasattr(cc.estimator, "n_jobs"):
            cc.estimator.n_jobs = 1
    return b.model, ModelInfo(**b.summary())


def _geometry(asset: AssetInfo, wave_bearing: Any) -> tuple[Any, bool]:
    if wave_bearing is not None:
        return get_bearing(wave_bearing), False
    name = DEFAULT_BEARING_FOR_KIND.get(asset.kind)
    if name is None:
        raise NoData(f"asset '{asset.id}' ({asset.kind}) has no known bearing geometry")
    return get_bearing(name), True


def _waveform(source: MaintenanceDataSource, asset: AssetInfo) -> Any:
    try:
        w = source.vibration_waveform(asset.id)
    except NoData:
        raise
    except LookupError as exc:
        raise NoData(f"asset '{asset.id}' has no vibration waveform ({exc})") from None
    if w is None or len(w.samples) < 1024:
        raise NoData(f"asset '{asset.id}' has no usable vibration waveform")
    if w.shaft_rpm < 60:
        raise NoData(f"asset '{asset.id}' is standing still: a waveform needs a running shaft")
    return w


# ---------------------------------------------------------------- tools


# one waveform at a time: OpenMP start-up per tree costs more than the trees (measured 300 ms → 40 ms per call)
_single_thread = threadpool_limits.wrap(limits=1)


@_single_thread
def diagnose(source: MaintenanceDataSource, asset: str, *, settings: Any | None = None) -> DiagnosisResult:
    """Fault class of the asset's bearing/shaft from its latest vibration waveform, with the evidence peaks."""
    info = find_asset(source, asset)
    w = _waveform(source, info)
    geom, assumed = _geometry(info, w.bearing)
    clf, model = _info("bearing_diagnosis", settings)
    d = diag_mod.diagnose_waveform(clf, np.asarray(w.samples, float), w.fs_hz, w.shaft_rpm, geom)
    return DiagnosisResult(
        asset=info.id, timestamp=w.timestamp, fault=d.label, confidence=round(d.probabilities[d.label], 3),
        probabilities={k: round(v, 3) for k, v in d.probabilities.items()},
        evidence=[EvidenceLine(**diag_mod.peak_to_dict(p)) for p in d.evidence],
        shaft_rpm=round(w.shaft_rpm, 1), bearing=geom.name, bearing_assumed=assumed,
        defect_frequencies_hz={k: round(v, 2) for k, v in d.features.frequencies.as_dict().items()},
        velocity_rms_mm_s=round(d.features.velocity_rms_mm_s, 3), model=model,
    )  # fmt: skip


def _running(hist: dict[str, tuple[np.ndarray, np.ndarray]], info: AssetInfo, n: int) -> np.ndarray:
    run, speed = info.signal("running"), info.signal("speed")
    if run in hist:
        return np.asarray(hist[run][1], float) > 0.5
    if speed in hist and info.nominal_rpm:
        return np.asarray(hist[speed][1], float) > 0.05 * info.nominal_rpm
    return np.ones(n, bool)


def _load_now(hist: dict[str, tuple[np.ndarray, np.ndarray]], info: AssetInfo, running: np.ndarray) -> float | None:
    load, speed = info.signal("load"), info.signal("speed")
    if load in hist:
        v = np.asarray(hist[load][1], float)[running]
        return float(np.mean(v)) if v.size else None
    if speed in hist and info.nominal_rpm:
        v = np.asarray(hist[speed][1], float)[running]
        return float(np.mean(v) / info.nominal_rpm * 100.0) if v.size else None
    return None


@_single_thread
def remaining_useful_life(
    source: MaintenanceDataSource, asset: str, load_percent: float | None = None, *, settings: Any | None = None
) -> RulResult:
    """Remaining useful life of the asset's bearing with an 80 % band and the predicted date at current duty."""
    info = find_asset(source, asset)
    w = _waveform(source, info)
    geom, _ = _geometry(info, w.bearing)
    now = source.now()
    vib = info.signal("vibration")
    signals = [s for s in (vib, *(info.signal(r) for r in ("running", "speed", "load"))) if s]
    hist = source.history(info.id, signals, now - timedelta(days=HISTORY_DAYS), now) if vib else {}
    if vib not in hist or len(hist[vib][0]) < 24:
        raise NoData(f"asset '{info.id}' has too little vibration history for a remaining-life estimate")
    t = anomaly_mod.to_epoch(hist[vib][0])
    v = np.asarray(hist[vib][1], float)
    running = _running({k: hv for k, hv in hist.items() if len(hv[0]) == t.size}, info, t.size)
    clf, _ = _info("bearing_diagnosis", settings)
    rul_model, model = _info("bearing_rul", settings)
    x = np.asarray(w.samples, float)
    fset = waveform_features(x, w.fs_hz, w.shaft_rpm, geom, with_peaks=False)
    probs = dict(zip(clf.classes_, clf.predict_proba(fset.values[None, :])[0], strict=True))
    label = str(max(probs, key=probs.__getitem__))
    p_bearing = float(sum(probs[c] for c in BEARING_FAULTS))
    trend = trend_features(t / 3600.0, v, running, now.timestamp() / 3600.0)
    duty = float(trend[5])
    load_now = _load_now({k: hv for k, hv in hist.items() if len(hv[0]) == t.size}, info, running)
    base = dict(asset=info.id, timestamp=now, fault=label, duty=round(duty, 3),
                load_percent_now=None if load_now is None else round(load_now, 1), model=model)  # fmt: skip
    if p_bearing < 0.5:
        return RulResult(**base, status="no_degradation_detected",
                         note=f"no bearing defect detected (P(bearing fault) = {p_bearing:.2f}); the remaining-life "
                              "model applies once a defect is detectable")  # fmt: skip
    lo, med, hi = (float(a[0]) for a in rul_model.predict(np.concatenate([fset.values, trend])[None, :]))
    factor = None
    if load_percent is not None and load_now:
        factor = load_scaling(load_now, load_percent)
        lo, med, hi = lo * factor, med * factor, hi * factor
    note = "" if duty > 0.0 else "the asset did not run in the last 7 days: dates assume it restarts at its usual duty"
    return RulResult(
        **base, status="degrading", rul_hours=round(med, 1), rul_hours_low=round(lo, 1), rul_hours_high=round(hi, 1),
        predicted_failure=now + timedelta(hours=med), failure_earliest=now + timedelta(hours=lo),
        failure_latest=now + timedelta(hours=hi), what_if_load_percent=load_percent,
        what_if_factor=None if factor is None else round(factor, 3), note=note,
    )  # fmt: skip


def _assets_of(source: MaintenanceDataSource, target: str) -> list[AssetInfo]:
    line = [a for a in source.assets() if a.line.lower() == target.lower()]
    return line or [find_asset(source, target)]


def anomalies(
    source: MaintenanceDataSource,
    target: str,
    window_hours: float = 24.0,
    reference_days: float = 10.0,
    *,
    settings: Any | None = None,
) -> AnomaliesResult:
    """Which signals of an asset (or of every asset on a line) deviate from normal operation, and since when.

    Normal operation is learned from the ``reference_days`` before the window."""
    b = load_bundle("anomaly_nbm", settings)
    now = source.now()
    start = now - timedelta(hours=window_hours)
    ref_start = start - timedelta(days=reference_days)
    out = []
    for info in _assets_of(source, target):
        sigs = list(info.signals)
        hist = source.history(info.id, sigs, ref_start, now)
        if not hist:
            out.append(AssetAnomalies(asset=info.id, status="no_data", note="no history in the period"))
            continue
        t, data = anomaly_mod.align(hist)
        ref = t < start.timestamp()
        try:
            model = anomaly_mod.NormalBehaviourModel.fit(
                t[ref], {k: v[ref] for k, v in data.items()}, running=info.signal("running")
            )
            devs = model.detect(t[~ref], {k: v[~ref] for k, v in data.items()})
        except ValueError as exc:
            out.append(AssetAnomalies(asset=info.id, status="no_data", note=str(exc)))
            continue
        tz = now.tzinfo
        out.append(AssetAnomalies(
            asset=info.id, status="anomalous" if devs else "normal",
            deviations=[SignalDeviation(signal=d.signal, kind=d.kind, since=datetime.fromtimestamp(d.since, tz),
                                        detected=datetime.fromtimestamp(d.detected, tz), direction=d.direction,
                                        score=round(min(d.score, 1e3), 2),
                                        expected=None if d.expected is None else round(d.expected, 3),
                                        actual=None if d.actual is None else round(d.actual, 3)) for d in devs],
        ))  # fmt: skip
    return AnomaliesResult(target=target, start=start, end=now, assets=out, model=ModelInfo(**b.summary()))


def _anomaly_task(info: AssetInfo, dev: SignalDeviation) -> planning.Task:
    role = info.role(dev.signal)
    key = role if role in planning.ACTIONS else "other"
    # a held speed or network pressure running high points at its sensor, not at the machine
    if dev.kind == "stuck" or (role in planning.CONTROLLED and dev.direction != "lower"):
        key = "sensor"
    what = "stuck" if dev.kind == "stuck" else dev.direction + " than expected"
    reason = f"{dev.signal} {what} since {dev.since:%Y-%m-%d %H:%M}"
    return planning.Task(info.id, key, reason, None, None, 3 if key != "filter_pressure" else 2, info.kind)


LIMIT_REACH = 2.0  # signals reaching their limit within this many horizons get a work order


def _limit_tasks(
    source: MaintenanceDataSource, info: AssetInfo, limits: list[Limit], now: datetime, horizon: float
) -> list[planning.Task]:
    """A work order for the signal that reaches its alarm limit first, when that is within reach of the horizon."""
    if not limits:
        return []
    try:
        found = time_to_limits(source, info.id, limits).approaching
    except NoData:
        return []
    tasks = []
    for f in found[:1]:
        if (f.days or 0.0) > LIMIT_REACH * horizon:
            continue
        if f.status == "beyond":
            reason = f"{f.signal} at or beyond its limit {f.limit:g} at the heaviest duty (now {f.level:g})"
        else:
            band = f"[{f.days_low:.1f}-{f.days_high:.1f} d, 80 %]"
            reason = (f"{f.signal} drifts {f.towards_per_day:.3g}/day towards its limit {f.limit:g} "
                      f"(now {f.level:g}): reached in {f.days:.1f} d {band}")  # fmt: skip
        deadline = now + timedelta(days=f.days_low or 0.0)
        urgent = deadline <= now + timedelta(days=horizon)
        role = info.role(f.signal)
        key = role if role in planning.ACTIONS else "other"
        tasks.append(planning.Task(info.id, key, reason, deadline, f.reached_around or now, 1 if urgent else 2,
                                   info.kind))  # fmt: skip
    return tasks


def maintenance_plan(
    source: MaintenanceDataSource,
    horizon_days: float | None = None,
    what_if: list[WhatIf] | None = None,
    *,
    settings: Any | None = None,
    include_anomalies: bool = True,
    limits: dict[str, list[Limit]] | None = None,
) -> MaintenancePlanResult:
    """Work orders for the horizon from diagnoses, remaining lives, signals drifting to their alarm limits
    (``limits``: per asset, from the catalog) and anomalies, on the shift calendar."""
    from assistant.config import Settings

    st = settings or Settings()
    horizon = horizon_days or st.maintenance.horizon_days
    now = source.now()
    end = now + timedelta(days=horizon)
    overrides = {w.asset: w.load_percent for w in (what_if or [])}
    for a in overrides:
        find_asset(source, a)
    cal = planning.Calendar([(s.name, s.start, s.end) for s in st.plant.shifts], st.plant.timezone,
                            st.maintenance.crew_hours_per_shift)  # fmt: skip
    tasks: list[planning.Task] = []
    models: dict[str, ModelInfo] = {}
    checked = []
    for info in source.assets():
        if run := info.signal("running"):
            h = source.history(info.id, [run], now - timedelta(days=14), now)
            if run in h:
                cal.running_profile[info.id] = planning.running_profile(
                    anomaly_mod.to_epoch(h[run][0]), np.asarray(h[run][1], float) > 0.5
                )
        if info.has_waveform:
            try:
                r = remaining_useful_life(source, info.id, overrides.get(info.id), settings=settings)
                d = diagnose(source, info.id, settings=settings)
            except NoData:
                r = d = None
            if r is not None and d is not None:
                checked.append(info.id)
                models[r.model.name], models[d.model.name] = r.model, d.model
                if r.status == "degrading" and r.failure_earliest is not None:
                    lines = ", ".join(f"{e.line} {e.found_hz:.1f} Hz" for e in d.evidence[:2])
                    band = f"[{r.rul_hours_low:.0f}-{r.rul_hours_high:.0f} h, 80 %]"
                    fault = d.fault.replace("_", " ")
                    reason = f"{fault} (p={d.confidence:.2f}; {lines}); remaining life {r.rul_hours:.0f} h {band}"
                    urgent = r.failure_earliest <= end
                    tasks.append(planning.Task(info.id, d.fault if d.fault in BEARING_FAULTS else "outer_race",
                                               reason, r.failure_earliest, r.predicted_failure, 1 if urgent else 2,
                                               info.kind))  # fmt: skip
                elif d.fault in ("imbalance", "misalignment") and d.confidence >= 0.6:
                    tasks.append(planning.Task(info.id, d.fault, f"{d.fault} (p={d.confidence:.2f})", None, None, 2,
                                               info.kind))  # fmt: skip
        limited = _limit_tasks(source, info, (limits or {}).get(info.id, []), now, horizon)
        tasks += limited
        if limited and info.id not in checked:
            checked.append(info.id)
        if include_anomalies and info.kind in ("pump", "compressor", "spindle"):
            try:
                an = anomalies(source, info.id, window_hours=24.0, settings=settings)
            except NoData:
                continue
            models[an.model.name] = an.model
            if info.id not in checked:
                checked.append(info.id)
            have = {t.asset for t in tasks}
            for dev in an.assets[0].deviations[:1]:
                if info.id in have and info.role(dev.signal) in ("vibration", "bearing_temperature"):
                    continue  # already covered by the bearing work order
                if any(t.asset == info.id and t.key == info.role(dev.signal) for t in limited):
                    continue  # already planned before it reaches its limit
                tasks.append(_anomaly_task(info, dev))
    plan = planning.schedule(tasks, cal, now, end)
    orders = []
    for s in plan:
        orders.append(WorkOrder(
            asset=s.task.asset, action=s.action, reason=s.task.reason,
            scheduled_start=s.slot.start if s.slot else None,
            scheduled_end=(s.slot.start + timedelta(hours=max(s.downtime_h, s.crew_h / 2))) if s.slot else None,
            shift=s.slot.name if s.slot else None, expected_downtime_h=round(s.downtime_h, 1),
            crew_hours=round(s.crew_h, 1), planned_stop=s.planned_stop, predicted_failure=s.task.predicted_failure,
            before_predicted_failure=s.before_failure, priority=s.task.priority, note=s.note,
        ))  # fmt: skip
    orders.sort(key=lambda o: (o.scheduled_start is None, o.scheduled_start or end, o.priority))
    return MaintenancePlanResult(start=now, end=end, work_orders=orders,
                                 crew_hours_per_shift=st.maintenance.crew_hours_per_shift, assets_checked=checked,
                                 what_if=list(what_if or []), models=list(models.values()))  # fmt: skip


TOOLS = {
    "diagnose": (diagnose, DiagnoseInput, DiagnosisResult),
    "remaining_useful_life": (remaining_useful_life, RulInput, RulResult),
    "anomalies": (anomalies, AnomaliesInput, AnomaliesResult),
    "maintenance_plan": (maintenance_plan, MaintenancePlanInput, MaintenancePlanResult),
}
