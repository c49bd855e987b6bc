"""Production behaviour of the demo plant's machines: machine state with a stop reason, good/scrap part counters,
ideal cycle time and an energy meter — what OEE, downtime, MTBF/MTTR and energy-per-part KPIs are made of.

Every machine gets a seeded, deterministic daily schedule (``production.yaml``): on production days a breakdown
(state *fault*, with a reason and the machine's fault alarm), a changeover (*setup*), a wait (*idle*), a slow period
(longer cycles) and a scrap burst happen at random times with set probabilities. Outside the plant's production
hours (nights, weekends, breaks; :func:`assistant.sim.physics.production_load`) the machine is *stopped* — a planned
stop. The same plant time always gives the same state, so backfilled history and live values agree.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import yaml

STOPPED, RUNNING, IDLE, SETUP, FAULT = 0, 1, 2, 3, 4


@functools.cache
def production_config() -> dict[str, Any]:
    return dict(yaml.safe_load((Path(__file__).parent / "production.yaml").read_text(encoding="utf-8")))


def state_names() -> dict[int, str]:
    return {int(k): str(v) for k, v in production_config()["states"].items()}


def state_description() -> str:
    """The MachineState variable's description: the code table, so any client can read the states."""
    table = ", ".join(f"{k} = {v}" for k, v in state_names().items())
    return f"Machine state code ({table}); the reason is in StopReason"


@dataclass(frozen=True, slots=True)
class Episode:
    kind: str  # fault | setup | idle | slow | scrap
    start: float
    end: float
    reason: str = ""
    factor: float = 1.0  # slow: cycle-time factor; scrap: reject share


@dataclass
class ProductionSchedule:
    """The seeded episodes of one machine, day by day (plant days in UTC)."""

    seed: int
    fault_reasons: str = "fault_reasons"
    _days: dict[int, list[Episode]] = field(default_factory=dict)

    def episodes(self, day: int) -> list[Episode]:
        if day not in self._days:
            self._days[day] = self._make(day)
            if len(self._days) > 64:
                self._days.pop(min(self._days))
        return self._days[day]

    def _make(self, day: int) -> list[Episode]:
        cfg = production_config()
        if datetime.fromtimestamp(day * 86400.0, UTC).weekday() >= 5:
            return []
        rng = np.random.default_rng([self.seed % 2**32, day])
        out: list[Episode] = []
        base = day * 86400.0
        for kind, spec in cfg["events"].items():
            draw = rng.random()
            lo, hi = spec["minutes"]
            minutes = float(rng.uniform(lo, hi))
            start = base + float(rng.uniform(6.5 * 3600, 21.5 * 3600 - minutes * 60))
            if draw >= float(spec["p"]):
                continue
            reason, factor = "", 1.0
            if kind == "fault":
                reasons = cfg[self.fault_reasons]
                reason = str(reasons[int(rng.integers(len(reasons)))])
            elif kind == "idle":
                reason = str(cfg["idle_reasons"][int(rng.integers(len(cfg["idle_reasons"])))])
            elif kind == "setup":
                reason = str(cfg["setup_reason"])
            elif kind == "slow":
                factor = float(rng.uniform(*spec["factor"]))
            elif kind == "scrap":
                factor = float(rng.uniform(*spec["rate"]))
            out.append(Episode(kind, start, start + minutes * 60.0, reason, factor))
        return out

    def at(self, t: float, planned: bool, on_break: bool) -> tuple[int, str, float, float]:
        """(state code, reason, cycle-time factor, scrap rate) at plant time ``t``."""
        cfg = production_config()
        if not planned:
            key = "break" if on_break else "not_scheduled"
            return STOPPED, str(cfg["planned_stop_reasons"][key]), 1.0, 0.0
        active = [e for e in self.episodes(int(t // 86400)) if e.start <= t < e.end]
        by_kind = {e.kind: e for e in active}
        factor = by_kind["slow"].factor if "slow" in by_kind else 1.0
        scrap = by_kind["scrap"].factor if "scrap" in by_kind else float(cfg["base_scrap_rate"])
        for kind, code in (("fault", FAULT), ("setup", SETUP), ("idle", IDLE)):
            if kind in by_kind:
                return code, by_kind[kind].reason, factor, scrap
        return RUNNING, "", factor, scrap


@dataclass
class ProductionCounter:
    """Cycle progress, good/scrap counters and the energy meter of one machine (its own RNG for rejects)."""

    seed: int
    ideal_cycle_s: float
    nominal_cycle_s: float
    progress: float = 0.0
    good: int = 0
    scrap: int = 0
    energy_kwh: float = 0.0

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng((self.seed + 7919) % 2**32)

    def advance(self, running: bool, dt: float, factor: float, scrap_rate: float) -> None:
        if not running:
            return
        self.progress += dt / (self.nominal_cycle_s * factor)
        done = int(self.progress)
        if done:
            self.progress -= done
            rejects = int((self.rng.random(done) < scrap_rate).sum())
            self.scrap += rejects
            self.good += done - rejects

    def meter(self, power_kw: float, dt: float) -> None:
        self.energy_kwh += max(0.0, power_kw) * dt / 3600.0

    def values(self) -> dict[str, Any]:
        return {
            "GoodParts": self.good,
            "ScrapParts": self.scrap,
            "PartsProduced": self.good + self.scrap,
            "IdealCycleTime": self.ideal_cycle_s,
            "EnergyConsumption": self.energy_kwh,
        }
