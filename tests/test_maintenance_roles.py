"""Signal roles: the maintenance models find an asset's vibration level, running state, strainer pressure drop …
by what its signals measure and the words in their names (any language), never by the demo plant's tag names.
The same generated machine under another plant's German tags gets the same remaining life and work orders."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from tools.maintenance import tools as mtools
from tools.maintenance.anomaly import NormalBehaviourModel
from tools.maintenance.datasource import AssetInfo, InMemorySource, demo_source, run_source
from tools.maintenance.limits import Limit
from tools.maintenance.physics import run_to_failure
from tools.maintenance.roles import role_of, roles_of_signals, signal_role
from tools.opcua.catalog import Signal

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
# the demo's tag → another plant's tag for the same measurement, its unit and data type
FOREIGN = {
    "Running": ("InBetrieb", "", "Boolean"),
    "Speed": ("Drehzahl_Ist", "rpm", "Double"),
    "Flow": ("Durchfluss", "m³/h", "Double"),
    "DischargePressure": ("Druck_Druckseite", "bar", "Double"),
    "SuctionPressure": ("Saugdruck", "bar", "Double"),
    "FilterDifferentialPressure": ("DP_Saugsieb", "bar", "Double"),
    "Power": ("Wirkleistung", "kW", "Double"),
    "Temperature": ("Mediumtemperatur", "°C", "Double"),
    "BearingTemperature": ("Lagertemp_AS", "°C", "Double"),
    "Vibration": ("VibRMS", "mm/s", "Double"),
}


def _signal(name: str, unit: str, data_type: str, value_rank: int = -1) -> Signal:
    return Signal(node_id=f"ns=3;s=X.{name}", namespace_uri="urn:other-plant", browse_name=name, display_name=name,
                  description="", path=["Werk", "X", name], asset_node_id="ns=3;s=X", data_type=data_type,
                  unit=unit, value_rank=value_rank)  # fmt: skip


@pytest.mark.parametrize(
    ("name", "unit", "data_type", "role"),
    [
        ("InBetrieb", "", "Boolean", "running"),
        ("Drehzahl_Ist", "rpm", "Double", "speed"),
        ("DP_Saugsieb", "bar", "Double", "filter_pressure"),
        ("Saugdruck", "bar", "Double", "suction_pressure"),
        ("Druck_Druckseite", "bar", "Double", "discharge_pressure"),
        ("Lagertemp_AS", "°C", "Double", "bearing_temperature"),
        ("VibRMS", "mm/s", "Double", "vibration"),
        ("Lastlauf", "", "Boolean", "loaded"),
        ("Auslastung", "%", "Double", "load"),
        ("Netzdruck", "bar", "Double", "pressure"),
        ("Mediumtemperatur", "°C", "Double", "temperature"),
        ("TempératurePalier", "°C", "Double", "bearing_temperature"),
        ("Vitesse", "1/min", "Double", "speed"),
    ],
)
def test_a_signal_role_comes_from_unit_type_and_name_words(name: str, unit: str, data_type: str, role: str) -> None:
    assert signal_role(_signal(name, unit, data_type)) == role


def test_a_vibration_waveform_is_an_array_of_acceleration_whatever_its_name() -> None:
    from tools.maintenance.roles import waveform_property

    assert signal_role(_signal("Beschleunigung_Zeitsignal", "m/s²", "Double", value_rank=1)) == "vibration_waveform"
    assert signal_role(_signal("Beschleunigung_Zeitsignal", "m/s²", "Double")) == "vibration"  # a scalar
    assert signal_role(_signal("Rohdaten", "", "Double", value_rank=1)) is None  # an array of what?
    props = ["SampleRateHz", "Abtastrate", "fs", "ShaftSpeedRpm", "Drehzahl_bei_Aufnahme", "Seriennummer"]
    assert [waveform_property(p) for p in props] == [
        "sample_rate", "sample_rate", "sample_rate", "shaft_speed", "shaft_speed", None
    ]  # fmt: skip


def test_the_demo_tags_read_by_name_alone() -> None:
    roles = {n: role_of(n) for n in ("Running", "Speed", "Vibration", "FilterDifferentialPressure", "Loaded", "Load",
                                     "BearingTemperature", "DischargeTemperature", "Pressure")}  # fmt: skip
    assert roles == {"Running": "running", "Speed": "speed", "Vibration": "vibration",
                     "FilterDifferentialPressure": "filter_pressure", "Loaded": "loaded", "Load": "load",
                     "BearingTemperature": "bearing_temperature", "DischargeTemperature": "temperature",
                     "Pressure": "pressure"}  # fmt: skip


def _renamed(src: InMemorySource, asset_id: str, new_id: str) -> InMemorySource:
    """The source's asset under another plant's tags, its roles read from the catalog signals (as over OPC UA)."""
    old = src._assets[asset_id]
    rename = {k: FOREIGN[k][0] for k in old.signals}
    signals = [_signal(*FOREIGN[k]) for k in old.signals]
    info = AssetInfo(new_id, old.info.kind, "Linie 3", tuple(rename.values()), old.info.nominal_rpm,
                     old.info.has_waveform, roles=roles_of_signals(signals))  # fmt: skip
    out = InMemorySource(src.clock)
    out.add(info, old.t, {rename[k]: v for k, v in old.signals.items()}, old.waveform)
    return out


def test_remaining_life_reads_a_vibration_tag_by_its_role() -> None:
    run = run_to_failure("6206", 2024, fault="outer_race", nominal_rpm=2900.0, load=0.8, pattern="continuous")
    now_h = float(run.hours[np.searchsorted(run.severity, 0.4)])
    demo = mtools.remaining_useful_life(run_source(run, now_h), "B-1")
    other = mtools.remaining_useful_life(_renamed(run_source(run, now_h), "B-1", "PU-7"), "PU-7")
    assert demo.status == other.status == "degrading"
    assert other.rul_hours == demo.rul_hours and other.duty == demo.duty


def test_a_clogging_strainer_under_foreign_tags_gets_the_strainer_work_order() -> None:
    src = _renamed(demo_source(NOW, {"P-102": ("filter_clogging", 100.0)}, days=3, assets=["P-102"]), "P-102", "PU-7")
    plan = mtools.maintenance_plan(src, 7.0, include_anomalies=False,
                                   limits={"PU-7": [Limit(signal="DP_Saugsieb", high=0.5)]})  # fmt: skip
    (order,) = plan.work_orders
    assert order.asset == "PU-7" and "DP_Saugsieb" in order.reason
    assert order.action == "clean suction strainer"  # not the generic "inspect"


def test_the_anomaly_model_judges_running_rows_by_the_running_role() -> None:
    src = _renamed(demo_source(NOW, {}, days=3, assets=["P-101"]), "P-101", "PU-7")
    a = src._assets["PU-7"]
    model = NormalBehaviourModel.fit(a.t, a.signals)
    assert model.running_signal == "InBetrieb"
    assert "InBetrieb.duty" not in model.targets  # running is the context, not a demand to judge
