"""Typed inputs and results of the historian tools (the JSON schemas the planner sees, the shapes it gets back).

Every result names the signal(s), their unit, the exact window used (start/end in plant time, the expression and
how it was understood) and the number of samples it rests on. Series are capped by ``historian.max_points`` and
period lists by ``MAX_PERIODS``; ``summarised`` says when something was condensed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_PERIODS = 20

_WINDOW_HELP = (
    "time window in plant time, English or German: 'last hour', 'since 6 am', 'yesterday', 'this shift', "
    "'letzte Stunde', 'gestern zwischen 8 und 16 Uhr', or an ISO range 'START/END'"
)
_SIGNAL_HELP = "historian signal key (asset path/signal, e.g. a suffix like 'P-101/Temperature')"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WindowArgs(_In):
    window: str = Field("last hour", max_length=120, description=_WINDOW_HELP)


class LatestInput(_In):
    signals: list[str] = Field(min_length=1, max_length=50, description="signal keys")
    at: str | None = Field(None, max_length=40, description="ISO date-time: the value then instead of now")


class StatsInput(WindowArgs):
    signal: str = Field(max_length=300, description=_SIGNAL_HELP)


class DownsampleInput(WindowArgs):
    signal: str = Field(max_length=300, description=_SIGNAL_HELP)
    interval: str = Field("auto", max_length=20, description="bucket width: 'auto', '1 min', '15m', '1h', '1 day'")


class ThresholdInput(WindowArgs):
    signal: str = Field(max_length=300, description=_SIGNAL_HELP)
    threshold: float
    direction: Literal["above", "below"] = "above"
    min_duration_s: float = Field(0.0, ge=0, description="ignore periods shorter than this")


class CompareInput(WindowArgs):
    signals: list[str] = Field(
        default_factory=list, max_length=20, description="signal keys; or give assets + signal_name"
    )
    assets: list[str] = Field(default_factory=list, max_length=20, description="asset names or paths")
    signal_name: str | None = Field(None, max_length=80, description="the signal to compare on each asset")
    statistic: Literal["avg", "min", "max", "stddev", "first", "last", "count"] = "avg"


class TrendInput(WindowArgs):
    signal: str = Field(max_length=300, description=_SIGNAL_HELP)
    per: Literal["hour", "day"] = "hour"


class TimeInStateInput(WindowArgs):
    signal: str = Field(max_length=300, description=_SIGNAL_HELP)


# --- results -------------------------------------------------------------------------------------------------
class WindowInfo(BaseModel):
    start: str
    end: str
    timezone: str
    expression: str
    meaning: str
    seconds: float


class LatestItem(BaseModel):
    signal: str
    unit: str
    value: float | None
    text: str | None = None
    timestamp: str
    quality: str
    age_s: float


class LatestResult(BaseModel):
    items: list[LatestItem]
    missing: list[str] = Field(default_factory=list, description="signals without any stored value")
    at: str | None = None


class StatsResult(BaseModel):
    signal: str
    unit: str
    window: WindowInfo
    samples: int
    min: float | None
    max: float | None
    avg: float | None
    stddev: float | None
    first: float | None
    first_time: str | None
    last: float | None
    last_time: str | None
    min_time: str | None
    max_time: str | None


@dataclass(slots=True)
class Point:
    """One downsampled bucket. A plain dataclass: a day at one-minute buckets is 1,440 of them, and a pydantic
    model per bucket cost more than the query itself (measured with eval/bench_historian.py)."""

    time: str
    avg: float | None
    min: float | None
    max: float | None
    count: int


class DownsampleResult(BaseModel):
    signal: str
    unit: str
    window: WindowInfo
    samples: int
    interval_s: float
    requested_interval_s: float | None
    points: list[Point]
    summarised: bool = False
    note: str | None = None


class Period(BaseModel):
    start: str
    end: str
    duration_s: float
    peak: float | None
    ongoing: bool = False


class ThresholdResult(BaseModel):
    signal: str
    unit: str
    window: WindowInfo
    samples: int
    threshold: float
    direction: str
    period_count: int
    total_duration_s: float
    share_of_window: float
    longest: Period | None
    periods: list[Period]
    summarised: bool = False
    note: str | None = None


class CompareItem(BaseModel):
    signal: str
    unit: str
    samples: int
    value: float | None
    min: float | None
    max: float | None
    avg: float | None


class CompareResult(BaseModel):
    window: WindowInfo
    statistic: str
    items: list[CompareItem]
    highest: str | None
    lowest: str | None
    samples: int
    note: str | None = None


class ChangeInfo(BaseModel):
    time: str
    before_avg: float
    after_avg: float
    shift: float
    score: float = Field(description="shift divided by the residual spread; >= 3 counts as a real change")


class TrendResult(BaseModel):
    signal: str
    unit: str
    window: WindowInfo
    samples: int
    slope: float | None = Field(description="change of the value per `per` (least squares)")
    per: str
    change_over_window: float | None
    first_avg: float | None
    last_avg: float | None
    direction: Literal["rising", "falling", "flat", "unknown"]
    change_point: ChangeInfo | None


class StateShare(BaseModel):
    state: str
    duration_s: float
    share: float
    entered: int


class TimeInStateResult(BaseModel):
    signal: str
    unit: str
    window: WindowInfo
    samples: int
    states: list[StateShare]
    unknown_s: float
    transitions: int
