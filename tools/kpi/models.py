"""Typed inputs and results of the KPI tools (OEE, downtime, MTBF/MTTR, energy, top alarms).

Every result carries the exact window (plant time), the scope it covers (a line, an area, an asset or the plant),
the machines it found and the formula inputs with units, so an answer can show how a figure was computed. Where
a figure cannot be computed (no counters, no state, no data in the window) the value is ``None`` and ``missing``
says why — a KPI is never guessed.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tools.historian.models import WindowInfo

_SCOPE_HELP = (
    "what to compute the KPI for: a line, area or asset as the operator names it ('line 1', 'Linie 1', "
    "'packaging', an asset code), or empty for the whole plant"
)
_WINDOW_HELP = (
    "time window in plant time: a shift ('yesterday late shift', 'this shift', 'last shift'), 'yesterday', "
    "'last 8 hours', 'gestern Spätschicht', or an ISO range 'START/END'"
)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KpiInput(_In):
    scope: str = Field("", max_length=120, description=_SCOPE_HELP)
    window: str = Field("last shift", max_length=120, description=_WINDOW_HELP)


class OeeInput(KpiInput):
    ideal_cycle_s: float | None = Field(
        None, gt=0, le=86400, description="ideal cycle time per part in seconds, when the plant does not publish one"
    )


class TopAlarmsInput(KpiInput):
    limit: int = Field(5, ge=1, le=50)


class Machine(BaseModel):
    """A machine the KPI found in scope, and the signals (historian keys) it used."""

    asset: str
    path: str
    signals: dict[str, str] = Field(default_factory=dict, description="role → historian signal key")


class OeeFigures(BaseModel):
    """One asset's (or the scope's) OEE and its formula inputs."""

    asset: str
    oee: float | None = None
    availability: float | None = None
    performance: float | None = None
    quality: float | None = None
    planned_time_s: float | None = None
    run_time_s: float | None = None
    downtime_s: float | None = None
    good_parts: float | None = None
    scrap_parts: float | None = None
    total_parts: float | None = None
    ideal_cycle_s: float | None = None
    ideal_cycle_source: str = ""
    missing: list[str] = Field(default_factory=list)


class OeeResult(BaseModel):
    scope: str
    window: WindowInfo
    machines: list[Machine]
    total: OeeFigures
    assets: list[OeeFigures]
    formula: str = (
        "OEE = availability × performance × quality; availability = run time / planned time (window minus planned "
        "stops); performance = ideal cycle time × total parts / run time; quality = good parts / total parts"
    )
    units: dict[str, str] = Field(
        default_factory=lambda: {"time": "s", "parts": "pcs", "ideal_cycle_s": "s", "ratios": "0..1"}
    )
    missing: list[str] = Field(default_factory=list)


class StopEvent(BaseModel):
    asset: str
    state: str
    reason: str
    start: str
    end: str
    duration_s: float
    signal: str


class ReasonTotal(BaseModel):
    reason: str
    state: str
    count: int
    duration_s: float


class DowntimeResult(BaseModel):
    scope: str
    window: WindowInfo
    machines: list[Machine]
    downtime_s: float
    planned_time_s: float
    by_reason: list[ReasonTotal]
    events: list[StopEvent]
    longest: StopEvent | None = None
    summarised: bool = False
    units: dict[str, str] = Field(default_factory=lambda: {"duration_s": "s"})
    missing: list[str] = Field(default_factory=list)


class ReliabilityFigures(BaseModel):
    asset: str
    failures: int
    run_time_s: float
    repair_time_s: float
    mtbf_s: float | None = None
    mttr_s: float | None = None


class ReliabilityResult(BaseModel):
    scope: str
    window: WindowInfo
    machines: list[Machine]
    total: ReliabilityFigures
    assets: list[ReliabilityFigures]
    formula: str = (
        "MTBF = run time / failures; MTTR = time in fault / failures (failures = fault stops starting in the window)"
    )
    units: dict[str, str] = Field(default_factory=lambda: {"mtbf_s": "s", "mttr_s": "s", "run_time_s": "s"})
    missing: list[str] = Field(default_factory=list)


class EnergyFigures(BaseModel):
    asset: str
    energy_kwh: float | None = None
    source: str = ""  # meter | power (time-weighted integral)
    good_parts: float | None = None
    kwh_per_part: float | None = None
    signal: str = ""


class EnergyResult(BaseModel):
    scope: str
    window: WindowInfo
    machines: list[Machine]
    total: EnergyFigures
    assets: list[EnergyFigures]
    formula: str = "energy per part = energy in the window (meter increase, or ∫ power dt) / good parts"
    units: dict[str, str] = Field(default_factory=lambda: {"energy_kwh": "kWh", "kwh_per_part": "kWh/pcs"})
    missing: list[str] = Field(default_factory=list)


class AlarmTotal(BaseModel):
    code: str
    source: str
    message: str
    count: int
    duration_s: float
    first: str
    last: str


class TopAlarmsResult(BaseModel):
    scope: str
    window: WindowInfo
    by_count: list[AlarmTotal]
    by_duration: list[AlarmTotal]
    events: int
    units: dict[str, str] = Field(default_factory=lambda: {"duration_s": "s"})
    missing: list[str] = Field(default_factory=list)
