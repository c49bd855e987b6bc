"""Alarm rules of the demo plant (``alarms.yaml``) and the engine that raises, clears and acknowledges them.

A rule fires when its signal crosses the limit and clears once it is back by the hysteresis. Each transition is
an :class:`AlarmTransition` the server turns into an OPC UA event; acknowledgement is tracked per alarm.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True, slots=True)
class AlarmRule:
    code: str
    kind: str
    signal: str
    severity: int
    en: str
    de: str
    above: float | None = None
    below: float | None = None
    hysteresis: float = 0.0

    def violated(self, value: float, active: bool) -> bool:
        slack = self.hysteresis if active else 0.0
        if self.above is not None:
            return value > self.above - slack
        if self.below is not None:
            return value < self.below + slack
        return False

    @property
    def latching(self) -> bool:
        """Trip-level alarms (severity 800 and above) stay active until reset."""
        return self.severity >= 800

    @property
    def limit(self) -> float:
        return float(self.above if self.above is not None else self.below)  # type: ignore[arg-type]


@functools.cache
def alarm_rules() -> tuple[AlarmRule, ...]:
    data = yaml.safe_load((Path(__file__).parent / "alarms.yaml").read_text(encoding="utf-8"))
    return tuple(AlarmRule(**row) for row in data)


def alarm_limits(kind: str, signal: str) -> dict[str, float]:
    """The rules' limits of one signal as the properties of OPC UA's LimitAlarmType: the nearer limit on each side
    is the warning level (HighLimit / LowLimit), a further one the trip level (HighHighLimit / LowLowLimit)."""
    rules = [r for r in alarm_rules() if r.kind == kind and r.signal == signal]
    highs = sorted(r.above for r in rules if r.above is not None)
    lows = sorted((r.below for r in rules if r.below is not None), reverse=True)
    out: dict[str, float] = {}
    for names, levels in ((("HighLimit", "HighHighLimit"), highs), (("LowLimit", "LowLowLimit"), lows)):
        out.update({name: float(level) for name, level in zip(names, levels, strict=False)})
    return out


@dataclass(slots=True)
class AlarmTransition:
    asset: str
    rule: AlarmRule
    state: str  # Active | Cleared | Acknowledged
    value: float
    time: float
    comment: str = ""


@dataclass
class AlarmEngine:
    """Tracks which alarms are active per asset; ``evaluate`` returns the transitions of one step."""

    active: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def evaluate(self, asset: str, kind: str, values: dict[str, Any], t: float) -> list[AlarmTransition]:
        out = []
        for rule in alarm_rules():
            if rule.kind != kind or rule.signal not in values:
                continue
            value = float(values[rule.signal])
            key = (asset, rule.code)
            is_active = key in self.active
            if rule.violated(value, is_active) and not is_active:
                self.active[key] = {"since": t, "acked": False, "value": value, "condition": True}
                out.append(AlarmTransition(asset, rule, "Active", value, t))
            elif is_active and not rule.violated(value, True):
                if rule.latching:
                    self.active[key]["condition"] = False  # a trip stays until reset
                    continue
                del self.active[key]
                out.append(AlarmTransition(asset, rule, "Cleared", value, t))
            elif is_active:
                self.active[key]["condition"] = True
        return out

    def reset(self, asset: str, code: str, t: float) -> AlarmTransition | None:
        """Reset a latched trip whose condition has gone; returns the Cleared transition."""
        state = self.active.get((asset, code))
        rule = next((r for r in alarm_rules() if r.code == code), None)
        if state is None or rule is None or not rule.latching or state.get("condition", True):
            return None
        del self.active[(asset, code)]
        return AlarmTransition(asset, rule, "Cleared", state["value"], t, "reset")

    def acknowledge(self, asset: str, code: str, t: float, comment: str = "") -> AlarmTransition | None:
        state = self.active.get((asset, code))
        if state is None or state["acked"]:
            return None
        state["acked"] = True
        rule = next(r for r in alarm_rules() if r.code == code)
        return AlarmTransition(asset, rule, "Acknowledged", state["value"], t, comment)
