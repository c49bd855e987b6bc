"""Physics-like signal models of the demo plant's asset types, stepped in plant time, seeded and deterministic.

Quantities are coupled the way they are on a real machine: a pump's flow, head and power follow its speed
(affinity laws) and load; temperatures lag behind power; vibration grows with imbalance and with a bearing
defect; compressors cycle load/unload against a pressure band. Faults (see :data:`FAULTS`) change the physics,
never a flag: a clogged filter raises the differential pressure and drops flow, a leak makes the compressor load
more often, a drifting sensor adds a slowly growing offset, a stuck one freezes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, get_args

import numpy as np

from assistant.config import FaultSettings
from assistant.sim.layout import AssetSpec
from assistant.sim.production import RUNNING, STOPPED, ProductionCounter, ProductionSchedule, state_description

# the fault scenarios the settings accept (``sim.faults``) are the ones the physics knows
FAULTS: tuple[str, ...] = get_args(FaultSettings.model_fields["fault"].annotation)


@dataclass(frozen=True, slots=True)
class SignalSpec:
    name: str
    description: str
    unit_code: str = ""  # UNECE Rec. 20 common code
    unit: str = ""
    low: float | None = None
    high: float | None = None
    kind: str = "analog"  # analog | bool | counter | state (integer code) | text
    writable: bool = False


def ambient_c(t: float) -> float:
    """Hall temperature with a day cycle: coolest at 05:00, warmest at 15:00."""
    hour = (t / 3600.0) % 24
    return 21.0 + 4.0 * math.sin((hour - 9.0) / 24 * 2 * math.pi)


def production_load(t: float, days: int = 5) -> float:
    """Planned production load 0..1: two shifts on production days (the first ``days`` of the week, Monday first),
    reduced night shift, other days idle."""
    dt = datetime.fromtimestamp(t, UTC)
    if dt.weekday() >= days:
        return 0.0
    hour = dt.hour + dt.minute / 60
    if 6 <= hour < 22:
        # breaks at 09:30 and 18:00 for a quarter of an hour
        if 9.5 <= hour < 9.75 or 18.0 <= hour < 18.25:
            return 0.2
        return 0.9
    return 0.35


@dataclass
class AssetModel:
    """Base: holds state, RNG, active faults (name → start time in plant seconds), and sensor faults."""

    spec: AssetSpec
    seed: int
    faults: dict[str, float] = field(default_factory=dict)
    state: dict[str, float] = field(default_factory=dict)
    inputs: dict[str, float] = field(default_factory=dict)  # set-points written by clients
    signals: tuple[SignalSpec, ...] = ()
    production_days: int = 5  # days a week with production shifts, Monday first

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)
        self._stuck: dict[str, Any] = {}

    def noise(self, sigma: float) -> float:
        return float(self.rng.normal(0.0, sigma))

    def severity(self, fault: str, t: float, days_to_full: float = 5.0) -> float:
        """0 before a fault starts, then growing to 1 over ``days_to_full`` plant days."""
        start = self.faults.get(fault)
        if start is None or t < start:
            return 0.0
        return min(1.0, (t - start) / (days_to_full * 86400.0))

    def lag(self, key: str, target: float, dt: float, tau: float) -> float:
        """First-order lag of state ``key`` toward ``target`` with time constant ``tau`` seconds."""
        cur = self.state.get(key, target)
        cur += (target - cur) * (1.0 - math.exp(-dt / tau))
        self.state[key] = cur
        return cur

    def step(self, t: float, dt: float) -> dict[str, Any]:
        values = self.compute(t, dt)
        return self._sensor_faults(t, values)

    def compute(self, t: float, dt: float) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _sensor_faults(self, t: float, values: dict[str, Any]) -> dict[str, Any]:
        target = self.spec.params.get("faulty_sensor") or next(
            (s.name for s in self.signals if s.kind == "analog"), None
        )
        if target in values:
            drift = self.severity("sensor_drift", t, days_to_full=10.0)
            if drift:
                spec = next(s for s in self.signals if s.name == target)
                span = (spec.high or 1.0) - (spec.low or 0.0)
                values[target] = values[target] + 0.15 * span * drift
            if self.severity("sensor_stuck", t, days_to_full=1e-9):
                values[target] = self._stuck.setdefault(target, values[target])
        return values


def _clip(v: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, v))


def _machine_signals(what: str) -> tuple[SignalSpec, ...]:
    """The production signals every machine carries (appended after the physical ones)."""
    return (
        SignalSpec("MachineState", state_description(), kind="state"),
        SignalSpec("StopReason", f"Reason the {what} is not producing (empty while running)", kind="text"),
        SignalSpec("GoodParts", "Good parts produced (counter)", kind="counter"),
        SignalSpec("ScrapParts", "Scrap parts rejected by inspection (counter)", kind="counter"),
        SignalSpec("IdealCycleTime", "Ideal cycle time per part", "SEC", "s", 0, 600),
        SignalSpec("EnergyConsumption", f"Electrical energy consumed by the {what} (meter)", "KWH", "kWh", 0, 1e9,
                   kind="counter"),
    )  # fmt: skip


@dataclass
class PumpModel(AssetModel):
    signals: tuple[SignalSpec, ...] = (
        SignalSpec("Running", "Pump motor running", kind="bool"),
        SignalSpec("Speed", "Motor speed", "RPM", "rpm", 0, 3600),
        SignalSpec("Flow", "Volume flow at discharge", "MQH", "m³/h", 0, 250),
        SignalSpec("DischargePressure", "Discharge pressure", "BAR", "bar", 0, 16),
        SignalSpec("SuctionPressure", "Suction pressure (absolute)", "BAR", "bar", 0, 4),
        SignalSpec(
            "FilterDifferentialPressure", "Differential pressure across the suction strainer", "BAR", "bar", 0, 2
        ),
        SignalSpec("Power", "Electrical power input", "KWT", "kW", 0, 75),
        SignalSpec("Temperature", "Pump casing temperature", "CEL", "°C", 0, 120),
        SignalSpec("BearingTemperature", "Drive-end bearing temperature", "CEL", "°C", 0, 120),
        SignalSpec("Vibration", "Bearing housing vibration velocity RMS (ISO 10816)", "C16", "mm/s", 0, 25),
        SignalSpec("OperatingHours", "Operating hours counter", "HUR", "h", 0, 200000, kind="counter"),
    )

    def compute(self, t: float, dt: float) -> dict[str, Any]:
        p = self.spec.params
        n_nom = float(p.get("nominal_rpm", 2950))
        load = production_load(t, self.production_days)
        standby = bool(p.get("standby"))
        running = (load > 0.5) if standby else (load > 0.0)
        speed_target = n_nom * (0.55 + 0.45 * load) if running else 0.0
        speed = self.lag("speed", speed_target, dt, 8.0)
        r = speed / n_nom
        clog = self.severity("filter_clogging", t, 6.0)
        cav = self.severity("cavitation", t, 2.0)
        q_nom = 180.0 if n_nom > 2000 else 90.0
        flow = max(0.0, q_nom * r * (1.0 - 0.45 * clog) * (1.0 - 0.25 * cav) + self.noise(1.2) * r)
        suction = 1.8 - 0.9 * clog - 0.8 * cav + self.noise(0.01)
        head = 9.5 * r * r - 0.00004 * flow * flow
        discharge = max(0.0, suction + head - 1.0 * cav * (0.5 + 0.5 * math.sin(t / 7.0)) + self.noise(0.05))
        dp_filter = (0.08 + 1.2 * clog) * (flow / q_nom) ** 2 + abs(self.noise(0.005))
        power = (30.0 if n_nom > 2000 else 11.0) * r**3 * (1.0 + 0.1 * clog) + (0.3 if running else 0.0)
        temp = self.lag("temp", ambient_c(t) + 0.9 * power + 6.0 * cav, dt, 900.0) + self.noise(0.15)
        outer = self.severity("bearing_outer", t, 8.0)
        inner = self.severity("bearing_inner", t, 6.0)
        bearing = max(outer, inner)
        bearing_temp = self.lag("btemp", ambient_c(t) + 0.7 * power + 25.0 * bearing**2, dt, 1200.0) + self.noise(0.2)
        vib = (1.1 + 0.6 * r * r + 7.5 * bearing**1.5 + 3.5 * cav) * (1.0 if running else 0.05) + abs(self.noise(0.08))
        hours = self.state.get("hours", float(p.get("hours0", 12000.0))) + (dt / 3600.0 if running else 0.0)
        self.state["hours"] = hours
        return {
            "Running": running,
            "Speed": _clip(speed + self.noise(2.0) * r, 0, 3600),
            "Flow": flow,
            "DischargePressure": discharge,
            "SuctionPressure": max(0.0, suction),
            "FilterDifferentialPressure": dp_filter,
            "Power": power,
            "Temperature": temp,
            "BearingTemperature": bearing_temp,
            "Vibration": vib,
            "OperatingHours": hours,
        }


@dataclass
class CompressorModel(AssetModel):
    signals: tuple[SignalSpec, ...] = (
        SignalSpec("Running", "Compressor motor running", kind="bool"),
        SignalSpec("Loaded", "Compressor in load (air delivery)", kind="bool"),
        SignalSpec("Pressure", "Network pressure at outlet", "BAR", "bar", 0, 13),
        SignalSpec("Power", "Electrical power input", "KWT", "kW", 0, 90),
        SignalSpec("DischargeTemperature", "Air/oil discharge temperature", "CEL", "°C", 0, 120),
        SignalSpec("FreeAirDelivery", "Free air delivery", "MQH", "m³/h", 0, 800),
        SignalSpec("Vibration", "Motor vibration velocity RMS", "C16", "mm/s", 0, 25),
        SignalSpec("OperatingHours", "Operating hours counter", "HUR", "h", 0, 200000, kind="counter"),
    )

    def compute(self, t: float, dt: float) -> dict[str, Any]:
        """Load/unload control between 6.5 and 7.5 bar, as a duty cycle (stable for any step size).

        The compressor delivers its rated free air delivery while loaded; the share of time loaded is the air the
        network needs (``load_share`` of the plant's demand, plus leaks) over that delivery. Needing more than it
        can deliver pulls the network pressure below the band — that is what a leak looks like at full production.
        """
        p = self.spec.params
        rated = float(p.get("rated_kw", 45.0))
        share = float(p.get("load_share", 0.8))
        load = production_load(t, self.production_days)
        need = share * (0.3 + 0.65 * load) + 0.45 * self.severity("compressor_leak", t, 4.0)
        running = need > 0.02
        duty = min(1.0, need)
        cycle_s = 90.0 + 400.0 * (1.0 - duty)
        phase = (t % cycle_s) / cycle_s
        loaded = running and phase < duty
        if need <= 1.0 and running:
            rise = phase / duty if loaded else 1.0 - (phase - duty) / max(1e-6, 1.0 - duty)
            target = 6.5 + 1.0 * rise
            pressure = target if dt >= 5.0 else self.lag("pressure", target, dt, 20.0)
        else:
            pressure = self.lag("pressure", 7.0 - 8.0 * max(0.0, need - 1.0), dt, 900.0)
        self.state["pressure"] = pressure
        power = (rated * (0.98 if loaded else 0.28) + self.noise(0.3)) if running else 0.0
        temp = self.lag("temp", ambient_c(t) + (58.0 if loaded else 38.0 if running else 2.0), dt, 300.0)
        hours = self.state.get("hours", 21000.0) + (dt / 3600.0 if running else 0.0)
        self.state["hours"] = hours
        return {
            "Running": running, "Loaded": loaded, "Pressure": pressure + self.noise(0.01), "Power": max(0.0, power),
            "DischargeTemperature": temp + self.noise(0.2), "OperatingHours": hours,
            "FreeAirDelivery": (rated * 12.0 + self.noise(3.0)) if loaded else 0.0,
            "Vibration": (1.6 + (0.5 if loaded else 0.0)) * (1.0 if running else 0.05) + abs(self.noise(0.06)),
        }  # fmt: skip


@dataclass
class SpindleModel(AssetModel):
    signals: tuple[SignalSpec, ...] = (
        SignalSpec("Running", "Spindle rotating", kind="bool"),
        SignalSpec("Speed", "Spindle speed", "RPM", "rpm", 0, 24000),
        SignalSpec("Load", "Spindle load (share of rated torque)", "P1", "%", 0, 150),
        SignalSpec("Power", "Spindle drive power", "KWT", "kW", 0, 40),
        SignalSpec("BearingTemperature", "Front spindle bearing temperature", "CEL", "°C", 0, 100),
        SignalSpec("Vibration", "Spindle vibration velocity RMS", "C16", "mm/s", 0, 20),
        SignalSpec("PartsProduced", "Parts produced, good and scrap (counter)", kind="counter"),
        SignalSpec("OperatingHours", "Spindle operating hours counter", "HUR", "h", 0, 100000, kind="counter"),
        *(_machine_signals("machining centre")),
    )

    def compute(self, t: float, dt: float) -> dict[str, Any]:
        machine = _machine_state(self, t, dt, ideal_cycle_s=228.0, nominal_cycle_s=240.0)
        # a 4-minute machining cycle (longer in a slow period): cutting 75 %, tool change/loading 25 %
        cycle = _counter(self).progress
        cutting = machine["MachineState"] == RUNNING and cycle < 0.75
        speed = self.lag("speed", 12000.0 if cutting else 0.0, dt, 2.0)
        spindle_load = (55.0 + 15.0 * math.sin(cycle * 20)) if cutting else 0.0
        power = 22.0 * spindle_load / 100.0 + (0.4 if speed > 0 else 0.0)
        outer = self.severity("bearing_outer", t, 8.0)
        inner = self.severity("bearing_inner", t, 6.0)
        bearing = max(outer, inner)
        btemp = self.lag("btemp", ambient_c(t) + 0.0016 * speed + 22.0 * bearing**2, dt, 600.0) + self.noise(0.15)
        vib = (0.6 + 0.9 * (speed / 12000.0) + 6.0 * bearing**1.5) * (1.0 if speed > 100 else 0.1) + abs(
            self.noise(0.05)
        )
        hours = self.state.get("hours", 8000.0) + (dt / 3600.0 if speed > 100 else 0.0)
        self.state["hours"] = hours
        # the machining centre's meter: spindle drive plus auxiliaries (hydraulics, coolant, controls) when on
        _counter(self).meter(power + (2.5 if machine["MachineState"] != STOPPED else 0.3), dt)
        return {
            "Running": speed > 100,
            "Speed": speed,
            "Load": spindle_load + abs(self.noise(0.5)) * (speed > 100),
            "Power": power,
            "BearingTemperature": btemp,
            "Vibration": vib,
            "OperatingHours": hours,
            **machine,
            **_counter(self).values(),
        }


@dataclass
class PackerModel(AssetModel):
    """A case packer at the end of a line: short cycles, a main drive, the same state/counter/meter signals."""

    signals: tuple[SignalSpec, ...] = (
        SignalSpec("Running", "Packer main drive running", kind="bool"),
        SignalSpec("Power", "Electrical power input", "KWT", "kW", 0, 30),
        SignalSpec("MotorTemperature", "Main drive motor temperature", "CEL", "°C", 0, 150),
        SignalSpec("PartsProduced", "Cases packed, good and rejected (counter)", kind="counter"),
        *(_machine_signals("case packer")),
    )

    def compute(self, t: float, dt: float) -> dict[str, Any]:
        machine = _machine_state(self, t, dt, ideal_cycle_s=27.0, nominal_cycle_s=30.0)
        running = machine["MachineState"] == RUNNING
        state = machine["MachineState"]
        power = (6.5 + self.noise(0.15)) if running else (1.2 if state != STOPPED else 0.2)
        temp = self.lag("temp", ambient_c(t) + 4.0 * power, dt, 1200.0) + self.noise(0.2)
        _counter(self).meter(power, dt)
        return {"Running": running, "Power": max(0.0, power), "MotorTemperature": temp, **machine,
                **_counter(self).values()}  # fmt: skip


def _machine_state(
    model: AssetModel, t: float, dt: float, ideal_cycle_s: float, nominal_cycle_s: float
) -> dict[str, Any]:
    """State and reason from the machine's seeded schedule; advances its part counters."""
    if "production" not in model.__dict__:
        reasons = "packer_fault_reasons" if model.spec.kind == "packer" else "fault_reasons"
        model.__dict__["production"] = ProductionCounter(model.seed, ideal_cycle_s, nominal_cycle_s)
        model.__dict__["schedule"] = ProductionSchedule(model.seed, reasons)
    dtm = datetime.fromtimestamp(t, UTC)
    hour = dtm.hour + dtm.minute / 60
    load = production_load(t, model.production_days)  # 0.0 exactly on the days without production
    planned = load > 0.5
    on_break = load > 0.0 and 6 <= hour < 22  # a production day's day shift, when not planned: its breaks
    schedule: ProductionSchedule = model.__dict__["schedule"]
    code, reason, factor, scrap = schedule.at(t, planned, on_break)
    _counter(model).advance(code == RUNNING, dt, factor, scrap)
    return {"MachineState": code, "StopReason": reason}


def _counter(model: AssetModel) -> ProductionCounter:
    counter: ProductionCounter = model.__dict__["production"]
    return counter


@dataclass
class ConveyorModel(AssetModel):
    signals: tuple[SignalSpec, ...] = (
        SignalSpec("Running", "Conveyor drive running", kind="bool"),
        SignalSpec("BeltSpeed", "Belt speed", "MTS", "m/s", 0, 2.5),
        SignalSpec("MotorCurrent", "Drive motor current", "AMP", "A", 0, 40),
        SignalSpec("MotorTemperature", "Drive motor winding temperature", "CEL", "°C", 0, 150),
        SignalSpec("Vibration", "Gearbox vibration velocity RMS", "C16", "mm/s", 0, 20),
    )

    def compute(self, t: float, dt: float) -> dict[str, Any]:
        load = production_load(t, self.production_days)
        running = load > 0.0
        speed = self.lag("speed", 1.2 if running else 0.0, dt, 3.0)
        current = (6.0 + 14.0 * load) * (speed / 1.2) + self.noise(0.2) * running
        temp = self.lag("temp", ambient_c(t) + 1.9 * current, dt, 1500.0) + self.noise(0.2)
        vib = (0.9 + 0.8 * speed) * (1.0 if running else 0.05) + abs(self.noise(0.05))
        return {
            "Running": running,
            "BeltSpeed": max(0.0, speed),
            "MotorCurrent": max(0.0, current),
            "MotorTemperature": temp,
            "Vibration": vib,
        }


@dataclass
class TankModel(AssetModel):
    signals: tuple[SignalSpec, ...] = (
        SignalSpec("Level", "Fill level", "P1", "%", 0, 100),
        SignalSpec("LevelSetpoint", "Level controller set-point", "P1", "%", 0, 100, writable=True),
        SignalSpec("InletValvePosition", "Inlet control valve opening", "P1", "%", 0, 100),
        SignalSpec("Outflow", "Outflow to consumers", "MQH", "m³/h", 0, 400),
        SignalSpec("Temperature", "Water temperature in tank", "CEL", "°C", 0, 90),
    )

    def compute(self, t: float, dt: float) -> dict[str, Any]:
        """A PI level loop, modelled by its closed-loop response (stable for any step size)."""
        vol = float(self.spec.params.get("volume_m3", 40.0))
        setpoint = float(self.inputs.get("LevelSetpoint", 65.0))
        load = production_load(t, self.production_days)
        outflow = (0.03 * vol * 60) * (0.4 + 0.6 * load) + self.noise(0.5)
        level = self.lag("level", setpoint, dt, 300.0)
        valve = _clip(outflow / (0.03 * vol * 60 * 1.4) * 100.0 + 2.0 * (setpoint - level), 0.0, 100.0)
        temp = self.lag("temp", ambient_c(t) + 6.0 + 8.0 * load, dt, 2400.0) + self.noise(0.05)
        return {
            "Level": level + self.noise(0.1),
            "LevelSetpoint": setpoint,
            "InletValvePosition": valve,
            "Outflow": max(0.0, outflow),
            "Temperature": temp,
        }


MODELS: dict[str, type[AssetModel]] = {
    "pump": PumpModel,
    "compressor": CompressorModel,
    "spindle": SpindleModel,
    "conveyor": ConveyorModel,
    "tank": TankModel,
    "packer": PackerModel,
}


def make_model(spec: AssetSpec, seed: int, production_days: int = 5) -> AssetModel:
    # a stable per-asset seed: the same plant seed gives the same signals, whatever the asset order
    asset_seed = (seed * 1_000_003 + sum(ord(c) * 31**i for i, c in enumerate(spec.id))) % 2**32
    return MODELS[spec.kind](spec=spec, seed=asset_seed, production_days=production_days)
