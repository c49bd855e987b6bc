"""Maintenance planning: turn predictions into work orders scheduled on the plant's shift calendar within the
crew capacity per shift, preferring the asset's planned stops (shifts it normally does not run) before the
predicted failure (the early edge of the RUL band), earliest deadline first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

# action templates: (action, downtime hours, crew hours)
ACTIONS: dict[str, tuple[str, float, float]] = {
    "outer_race": ("replace bearing (outer race defect)", 4.0, 8.0),
    "inner_race": ("replace bearing (inner race defect)", 4.0, 8.0),
    "ball": ("replace bearing (rolling element defect)", 4.0, 8.0),
    "cage": ("replace bearing (cage defect)", 4.0, 8.0),
    "imbalance": ("balance rotor", 2.0, 3.0),
    "misalignment": ("align shaft coupling", 3.0, 4.0),
    # signal roles (tools.maintenance.roles), whatever the server calls the signals
    "filter_pressure": ("clean suction strainer", 1.0, 1.5),
    "suction_pressure": ("inspect suction side / NPSH (cavitation)", 2.0, 3.0),
    "loaded.duty": ("leak search on the compressed-air network", 0.0, 4.0),
    "sensor": ("check / recalibrate sensor", 0.5, 1.0),
    "vibration": ("inspect bearings and mounting", 1.0, 2.0),
    "bearing_temperature": ("inspect bearing lubrication", 1.0, 2.0),
    "other": ("inspect", 1.0, 2.0),
}
CONTROLLED = ("speed", "pressure")  # roles a control loop holds: a deviation upwards is a sensor suspect
SPINDLE_FACTOR = 2.0  # spindle bearing change: cartridge swap, run-in


@dataclass
class Task:
    asset: str
    key: str  # ACTIONS key
    reason: str
    deadline: datetime | None  # latest safe start (None: no failure predicted)
    predicted_failure: datetime | None = None
    priority: int = 2  # 1 urgent, 2 planned, 3 opportunistic
    kind: str = ""


@dataclass
class Slot:
    start: datetime
    end: datetime
    name: str
    capacity_h: float
    used_h: float = 0.0


@dataclass
class Scheduled:
    task: Task
    action: str
    slot: Slot | None
    downtime_h: float
    crew_h: float
    planned_stop: bool
    before_failure: bool | None
    note: str = ""


@dataclass
class Calendar:
    shifts: list[tuple[str, str, str]]  # (name, "HH:MM", "HH:MM")
    timezone: str
    crew_hours_per_shift: float
    running_profile: dict[str, np.ndarray] = field(default_factory=dict)  # asset → P(running) per hour of week

    def slots(self, start: datetime, end: datetime) -> list[Slot]:
        tz = ZoneInfo(self.timezone)
        local = start.astimezone(tz)
        day = local.date() - timedelta(days=1)
        out = []
        while datetime.combine(day, time(0), tz) < end:
            for name, a, b in self.shifts:
                ha, ma = map(int, a.split(":"))
                hb, mb = map(int, b.split(":"))
                s = datetime.combine(day, time(ha, ma), tz)
                e = datetime.combine(day + timedelta(days=1 if (hb, mb) <= (ha, ma) else 0), time(hb, mb), tz)
                if e > start and s < end:
                    out.append(Slot(max(s, start), min(e, end), name, self.crew_hours_per_shift))
            day += timedelta(days=1)
        return sorted(out, key=lambda s: s.start)

    def running_share(self, asset: str, slot: Slot) -> float:
        prof = self.running_profile.get(asset)
        if prof is None:
            return 1.0
        hours = []
        t = slot.start
        while t < slot.end:
            hours.append(t.weekday() * 24 + t.hour)
            t += timedelta(hours=1)
        return float(np.mean(prof[hours])) if hours else 1.0


def running_profile(t_epoch: np.ndarray, running: np.ndarray) -> np.ndarray:
    """P(running) per hour of the week (UTC) from a history; hours never seen count as running."""
    how = ((np.floor(t_epoch / 86400.0) + 3) % 7 * 24 + (t_epoch % 86400.0) // 3600).astype(int)
    prof = np.ones(168)
    for h in np.unique(how):
        prof[h] = float(np.mean(running[how == h]))
    return prof


def schedule(tasks: list[Task], calendar: Calendar, start: datetime, end: datetime) -> list[Scheduled]:
    """Earliest deadline first; each task takes the first planned-stop shift with room before its deadline,
    else the first shift with room before the deadline (production downtime), else the first with room."""
    slots = calendar.slots(start, end)
    order = sorted(tasks, key=lambda t: (t.deadline or end + timedelta(days=3650), t.priority))
    out = []
    for task in order:
        action, down, crew = ACTIONS.get(task.key, ACTIONS["other"])
        if task.kind == "spindle" and task.key in ("outer_race", "inner_race", "ball", "cage"):
            down, crew = down * SPINDLE_FACTOR, crew * SPINDLE_FACTOR
        fits = [s for s in slots if s.capacity_h - s.used_h >= crew - 1e-9 and
                (s.end - s.start).total_seconds() / 3600 >= min(down, 8.0) - 1e-9]  # fmt: skip
        deadline = task.deadline or end
        before = [s for s in fits if s.start + timedelta(hours=down) <= deadline]
        stops = [s for s in before if calendar.running_share(task.asset, s) < 0.2]
        chosen, note = None, ""
        if task.priority == 3 and not stops:
            chosen = None
            note = "no planned stop with free crew capacity in the horizon; do at the next stop"
        else:
            chosen = (stops or before or fits or [None])[0]
            if chosen is None:
                note = "no shift with free crew capacity in the horizon"
            elif not stops and chosen in before:
                note = "no planned stop before the predicted failure: production stop needed"
            elif chosen not in before:
                note = "no free shift before the predicted failure: the earliest free shift"
        planned = chosen is not None and calendar.running_share(task.asset, chosen) < 0.2
        if chosen is not None:
            chosen.used_h += crew
        out.append(Scheduled(task, action, chosen, 0.0 if planned else down, crew, planned,
                             None if task.deadline is None or chosen is None else chosen.start <= deadline,
                             note))  # fmt: skip
    return out
