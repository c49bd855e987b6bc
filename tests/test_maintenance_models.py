"""Maintenance models as tools: physics, diagnosis with evidence, RUL band, anomalies, plan, errors.

Uses the shipped models in models/maintenance/ (or the data folder's, when trained there).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from assistant.errors import ModelMissing, UnknownAsset
from tools.maintenance import tools as mtools
from tools.maintenance.anomaly import EXPECTED_SIGNALS
from tools.maintenance.datasource import (
    AssetInfo,
    InMemorySource,
    MaintenanceDataSource,
    NoData,
    Waveform,
    demo_source,
    run_source,
)
from tools.maintenance.physics import (
    BEARINGS,
    bearing_waveform,
    defect_frequencies,
    machine_profile,
    run_to_failure,
    vibration_rms,
    vibration_rms_from_waveform,
)
from tools.maintenance.registry import load_bundle

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_defect_frequencies_of_a_6205_at_1797_rpm() -> None:
    # the classic CWRU drive-end bearing: BPFO 3.585×, BPFI 5.415×, BSF 2.357×, FTF 0.398× shaft speed
    f = defect_frequencies(BEARINGS["6205"], 1797.0)
    assert f.shaft == pytest.approx(29.95)
    assert f.bpfo == pytest.approx(107.36, abs=0.05)
    assert f.bpfi == pytest.approx(162.19, abs=0.05)
    assert f.bsf == pytest.approx(70.58, abs=0.05)
    assert f.ftf == pytest.approx(11.93, abs=0.02)


def test_scalar_rms_is_consistent_with_the_waveform() -> None:
    m = machine_profile("P-101")
    for fault, sev in (("normal", 0.0), ("bearing_outer", 0.7), ("imbalance", 0.5)):
        x = bearing_waveform("6309", 2950.0, fault, sev, 12800.0, 8192, 1, machine=m)
        assert vibration_rms_from_waveform(x, 12800.0) == pytest.approx(vibration_rms("6309", 2950.0, fault, sev, m),
                                                                       rel=0.15)  # fmt: skip


def _single(geometry: str, rpm: float, fault: str, severity: float, seed: int) -> InMemorySource:
    src = InMemorySource(NOW)
    g = BEARINGS[geometry]
    fs = 51200.0 if rpm > 5000 else 12800.0
    x = bearing_waveform(g, rpm, fault, severity, fs, 8192, seed)
    src.add(AssetInfo("X-1", "pump", "Test", ("Vibration",), rpm, True), np.array([NOW.timestamp()]),
            {"Vibration": np.array([1.0])}, lambda: Waveform(x, fs, rpm, g, NOW))  # fmt: skip
    return src


@pytest.mark.parametrize(("geometry", "rpm", "fault", "line"), [
    ("NU208", 1500.0, "outer_race", "BPFO"),  # a roller bearing type absent from training
    ("7008-AC", 15000.0, "inner_race", "BPFI"),  # a spindle bearing type absent from training
    ("6309", 2950.0, "inner_race", "BPFI"),
])  # fmt: skip
def test_diagnosis_finds_the_fault_on_a_held_out_bearing_with_the_evidence_peak(
    geometry: str, rpm: float, fault: str, line: str
) -> None:
    src = _single(geometry, rpm, fault, 0.6, seed=12345)
    assert isinstance(src, MaintenanceDataSource)
    d = mtools.diagnose(src, "X-1")
    assert d.fault == fault
    assert d.confidence > 0.5
    assert d.model.name == "bearing_diagnosis" and d.model.validation["macro_f1_held_out"] >= 0.95
    expected = d.defect_frequencies_hz[line.lower()]
    first = d.evidence[0]
    assert first.line == line and first.spectrum == "envelope"
    assert first.found_hz == pytest.approx(expected, rel=0.03)
    assert first.db_over_floor and first.db_over_floor > 10


def test_rul_band_contains_the_truth_for_a_generated_run() -> None:
    run = run_to_failure("6206", 2024, fault="outer_race", nominal_rpm=2900.0, load=0.8, pattern="continuous")
    now_h = float(run.hours[np.searchsorted(run.severity, 0.4)])
    truth = run.life_h - now_h
    r = mtools.remaining_useful_life(run_source(run, now_h), "B-1")
    assert r.status == "degrading"
    assert r.rul_hours_low <= truth <= r.rul_hours_high
    assert r.failure_earliest <= r.predicted_failure <= r.failure_latest
    assert r.predicted_failure == r.timestamp + timedelta(hours=r.rul_hours) or math.isclose(
        (r.predicted_failure - r.timestamp).total_seconds() / 3600, r.rul_hours, rel_tol=1e-3
    )
    assert r.model.validation["band_coverage"] >= 0.8
    # what-if: a higher load shortens the life (ISO 281, cube law)
    heavier = mtools.remaining_useful_life(run_source(run, now_h), "B-1", load_percent=100.0)
    assert heavier.rul_hours < r.rul_hours


def test_rul_healthy_bearing_reports_no_degradation() -> None:
    src = demo_source(NOW, {}, days=14, assets=["P-104"])
    r = mtools.remaining_useful_life(src, "P-104")
    assert r.status == "no_degradation_detected" and r.rul_hours is None


def test_anomalies_name_the_deviating_signal_and_onset() -> None:
    src = demo_source(NOW, {"P-102": ("filter_clogging", 12.0)}, days=14, assets=["P-101", "P-102"])
    res = mtools.anomalies(src, "P-102", window_hours=24)
    (p102,) = res.assets
    assert p102.status == "anomalous"
    top = p102.deviations[0]
    assert top.signal in EXPECTED_SIGNALS["filter_clogging"]
    onset = NOW - timedelta(hours=12)
    assert abs((top.since - onset).total_seconds()) < 6 * 3600
    assert top.detected >= onset
    # the line query covers the healthy neighbour too, and finds nothing there
    line = mtools.anomalies(src, "CoolingWater", window_hours=24)
    by_asset = {a.asset: a for a in line.assets}
    assert by_asset["P-101"].status == "normal"
    assert by_asset["P-102"].status == "anomalous"


def test_anomalies_catch_a_stuck_sensor() -> None:
    src = demo_source(NOW, {"K-1": ("sensor_stuck", 8.0)}, days=14, assets=["K-1"])
    dev = mtools.anomalies(src, "K-1", window_hours=24).assets[0].deviations
    stuck = [d for d in dev if d.kind == "stuck"]
    assert stuck and stuck[0].signal == "Pressure"
    assert abs((stuck[0].since - (NOW - timedelta(hours=8))).total_seconds()) < 1800


def test_plan_schedules_the_at_risk_asset_before_its_predicted_failure() -> None:
    from assistant.config import Settings

    settings = Settings()
    src = demo_source(NOW, {"S-1": ("bearing_outer", 150.0)}, days=14, assets=["S-1", "S-2"])
    plan = mtools.maintenance_plan(src, horizon_days=7, settings=settings)
    orders = [o for o in plan.work_orders if o.asset == "S-1" and "bearing" in o.action]
    assert orders, plan.work_orders
    o = orders[0]
    assert o.scheduled_start is not None and o.predicted_failure is not None
    assert o.before_predicted_failure is True
    assert o.scheduled_start < o.predicted_failure
    assert "BPFO" in o.reason
    per_slot: dict[object, float] = {}
    for w in plan.work_orders:
        if w.scheduled_start:
            per_slot[w.scheduled_start] = per_slot.get(w.scheduled_start, 0.0) + w.crew_hours
    assert max(per_slot.values()) <= settings.maintenance.crew_hours_per_shift
    assert {m.name for m in plan.models} >= {"bearing_diagnosis", "bearing_rul"}


def test_clear_errors_for_unknown_asset_no_data_and_missing_model() -> None:
    src = demo_source(NOW, {}, days=2, assets=["P-101"])
    with pytest.raises(UnknownAsset, match="P-999"):
        mtools.diagnose(src, "P-999")
    empty = InMemorySource(NOW)
    empty.add(AssetInfo("V-1", "pump", "L", ("Vibration",)), np.zeros(0), {"Vibration": np.zeros(0)})
    with pytest.raises(NoData, match="no vibration waveform"):
        mtools.diagnose(empty, "V-1")
    with pytest.raises(NoData):
        mtools.remaining_useful_life(empty, "V-1")
    with pytest.raises(ModelMissing, match="models train"):
        load_bundle("no_such_model")


def test_tool_inputs_are_typed() -> None:
    assert set(mtools.TOOLS) == {"diagnose", "remaining_useful_life", "anomalies", "maintenance_plan"}
    schema = mtools.RulInput.model_json_schema()
    assert schema["properties"]["load_percent"]["anyOf"][0]["maximum"] == 150
    with pytest.raises(ValueError):
        mtools.AnomaliesInput(target="P-101", window_hours=-1)


def test_rul_band_and_error_on_held_out_bearings_beat_the_best_constant() -> None:
    # fresh bearing instances (a seed used neither for training nor for the shipped validation), scored where the
    # validation scores them; the reference is the constant that minimises the same error on these very snapshots
    from tools.maintenance import rul
    from tools.maintenance.physics import training_bearings

    model = load_bundle("bearing_rul").model
    data = rul.make_rul_dataset(training_bearings(), 2, 6, seed=2027, n_jobs=1)
    sel = data.severity >= rul.MIN_SEVERITY_EVAL
    lo, med, hi = model.predict(data.X[sel])
    truth, pf = data.rul_h[sel], data.degradation_h[sel]
    assert len(set(data.groups[sel])) >= 12 and sel.sum() >= 50
    assert np.all((lo <= med) & (med <= hi))
    assert np.mean((truth >= lo) & (truth <= hi)) >= 0.75
    rmse = math.sqrt(np.mean(((med - truth) / pf) ** 2))
    w = 1.0 / pf**2
    best_constant = float(np.sum(w * truth) / np.sum(w))
    rmse_constant = math.sqrt(np.mean(((best_constant - truth) / pf) ** 2))
    assert rmse < 0.8 * rmse_constant, (rmse, rmse_constant)
    # the validation figures shipped with the model tell the same story
    held_out = load_bundle("bearing_rul").validation["held_out_bearings"]
    assert held_out["band_coverage"] >= 0.8
    assert held_out["rmse_relative"] < 0.8 * held_out["rmse_relative_constant"]


def test_anomaly_expected_value_stays_in_the_reference_range_when_inputs_extrapolate() -> None:
    from tools.maintenance.anomaly import RANGE_MARGIN, T0, NormalBehaviourModel
    from tools.maintenance.physics import process_signals

    t = T0 + np.arange(-3 * 86400, 3 * 86400, 120.0)
    data = process_signals("pump", t, {}, np.random.default_rng(3), {"nominal_rpm": 2950.0})
    ref = t < T0 + 86400
    model = NormalBehaviourModel.fit(t[ref], {k: v[ref] for k, v in data.items()})
    window = {k: v[~ref].copy() for k, v in data.items()}
    window["Vibration"] = window["Vibration"] * 5  # far beyond anything seen in the reference period
    devs = [d for d in model.detect(t[~ref], window) if d.kind == "deviation"]
    assert devs
    running = data["Running"][ref] > 0.5

    def reference_range(signal: str) -> tuple[float, float]:
        y = data[signal][ref][running]
        pad = RANGE_MARGIN * float(y.max() - y.min())
        return float(y.min()) - pad - 1e-6, float(y.max()) + pad + 1e-6

    for d in devs:
        lo, hi = reference_range(d.signal)
        assert d.expected is not None and lo <= d.expected <= hi, (d.signal, d.expected, lo, hi)
    # the quadratic model itself extrapolates (a bearing temperature far above anything seen): the clip matters
    temp = next(d for d in devs if d.signal == "BearingTemperature")
    frame = model._frame(t[~ref], window, model.bools, model.step_s, model.running_signal)
    rows = window["Running"] > 0.5
    raw = model.models["BearingTemperature"].predict(
        np.column_stack([frame[c][rows] for c in model.inputs["BearingTemperature"]])
    )
    assert raw[-1] > reference_range("BearingTemperature")[1] + 20.0
    assert temp.expected == pytest.approx(model.expected_range("BearingTemperature")[1])
    # a model object from before the reference ranges existed still detects (unclipped, as it used to)
    del model.ranges
    assert model.expected_range("BearingTemperature") is None
    assert [d.signal for d in model.detect(t[~ref], window)]


def test_an_air_leak_shows_as_loading_more_often_than_the_time_of_day_explains() -> None:
    from tools.maintenance.anomaly import T0, TIME_CONTEXT, NormalBehaviourModel
    from tools.maintenance.physics import process_signals

    t = T0 + np.arange(-10 * 86400, 86400, 60.0)
    onset = T0 - 6 * 3600.0
    data = process_signals("compressor", t, {"compressor_leak": onset}, np.random.default_rng(5))
    ref = t < T0 - 86400
    model = NormalBehaviourModel.fit(t[ref], {k: v[ref] for k, v in data.items()})
    # the duty is the demand on the machine: judged against the plant's rhythm, not against the power and
    # temperature that follow from loading (they would explain the extra loading away)
    assert model.inputs["Loaded.duty"] == list(TIME_CONTEXT)
    window = t >= T0 - 86400
    devs = {d.signal: d for d in model.detect(t[window], {k: v[window] for k, v in data.items()})}
    assert "Loaded.duty" in devs and devs["Loaded.duty"].direction == "higher"
    assert devs["Loaded.duty"].detected >= onset
