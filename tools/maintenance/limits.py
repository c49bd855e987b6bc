"""Time until a process signal reaches its alarm limit: the remaining life of wear that shows in the process, not in
the bearing spectrum (a strainer clogging, a cooler fouling, a level creeping up).

For each signal with a limit (the server's ``HighLimit`` / ``LowLimit`` properties, see
:data:`tools.opcua.catalog.LIMIT_NAMES`), the recent history is cut into hours and the side of each hour that faces
the limit is kept (the hour's highest value for a high limit): the limit is reached first at the heaviest duty, and
the envelope is far less noisy than the raw samples. A Theil–Sen line through those hourly values (scipy) gives the
drift per day and its confidence interval; only a drift whose whole interval points towards the limit counts, and
the limit is reached when the line gets there — the band is the same crossing for the two ends of the interval.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field
from scipy.stats import theilslopes

from tools.maintenance.anomaly import to_epoch
from tools.maintenance.datasource import MaintenanceDataSource, find_asset

BAND = 0.8  # confidence of the drift's interval, and so of the band of days
MIN_HOURS = 12  # hourly values needed before a drift is trusted
METHOD = "Theil-Sen drift of the hourly envelope to the alarm limit"


class Limit(BaseModel):
    signal: str
    low: float | None = None
    high: float | None = None


class TimeToLevel(BaseModel):
    """Days until a level is reached at the present drift, the band of the drift's interval, and the date."""

    days: float | None = None
    days_low: float | None = None
    days_high: float | None = Field(None, description="None: the slow end of the band never gets there")
    reached_around: datetime | None = None


class LimitForecast(TimeToLevel):
    signal: str
    side: Literal["high", "low"]
    limit: float
    level: float | None = Field(None, description="the drift line's value now (hourly envelope)")
    drift_per_day: float
    towards_per_day: float = Field(0.0, description="the drift's speed towards the limit (negative: away from it)")
    status: Literal["approaching", "beyond", "steady", "no_data"]
    hours: int = Field(0, description="hourly values the drift line is fitted on")


class LimitsResult(BaseModel):
    asset: str
    method: str = METHOD
    band: float = BAND
    window_start: datetime
    window_end: datetime
    hours: int = Field(description="hourly values the drifts are fitted on")
    forecasts: list[LimitForecast]

    @property
    def approaching(self) -> list[LimitForecast]:
        """Signals drifting towards (or already beyond) their limit, the soonest first."""
        found = [f for f in self.forecasts if f.status in ("approaching", "beyond")]
        return sorted(found, key=lambda f: f.days if f.days is not None else 0.0)


def _envelope(t: np.ndarray, v: np.ndarray, side: str) -> tuple[np.ndarray, np.ndarray]:
    """(hour centre in days, the hour's extreme towards the limit) for every hour with data."""
    order = np.argsort(t, kind="stable")
    hour = np.floor(t[order] / 3600.0)
    keys, first = np.unique(hour, return_index=True)
    pick = np.maximum if side == "high" else np.minimum
    return (keys + 0.5) / 24.0, pick.reduceat(v[order], first)


def forecast(t: np.ndarray, v: np.ndarray, limit: float, side: str, now_s: float) -> LimitForecast | None:
    """The drift of one signal towards one limit (``side`` 'high' or 'low'); None without enough history."""
    ok = np.isfinite(v) & np.isfinite(t)
    t, v = t[ok], v[ok]
    if len(t) < 2:
        return None
    x, y = _envelope(t, v, side)
    if len(x) < MIN_HOURS:
        return None
    slope, intercept, lo, hi = theilslopes(y, x, alpha=BAND)
    now_d = now_s / 86400.0
    level = float(intercept + slope * now_d)
    sign = 1.0 if side == "high" else -1.0
    gap = sign * (limit - level)  # how far the line still is from the limit, positive while inside
    base = dict(signal="", side=side, limit=limit, level=round(level, 4), drift_per_day=round(float(slope), 5),
                towards_per_day=round(float(sign * slope), 5), hours=len(x))  # fmt: skip
    if gap <= 0:
        return LimitForecast(**base, status="beyond", days=0.0, days_low=0.0, days_high=0.0)
    towards = sorted(sign * s for s in (lo, hi))  # the interval's drifts, as speeds towards the limit
    if towards[0] <= 0 or sign * slope <= 0:
        return LimitForecast(**base, status="steady")
    days = gap / (sign * slope)
    return LimitForecast(**base, status="approaching", days=round(days, 2), days_low=round(gap / towards[1], 2),
                         days_high=round(gap / towards[0], 2))  # fmt: skip


def time_to_limits(
    source: MaintenanceDataSource, asset: str, limits: list[Limit], window_hours: float = 48.0
) -> LimitsResult:
    """When each of the asset's signals with an alarm limit gets there at its present drift."""
    info = find_asset(source, asset)
    end = source.now()
    start = end - timedelta(hours=window_hours)
    wanted = [lim for lim in limits if lim.signal in info.signals and (lim.low is not None or lim.high is not None)]
    history = source.history(info.id, [lim.signal for lim in wanted], start, end)
    out: list[LimitForecast] = []
    hours = 0
    for lim in wanted:
        t, v = history.get(lim.signal, (np.array([]), np.array([])))
        t, v = to_epoch(t), np.asarray(v, float)
        for side, level in (("high", lim.high), ("low", lim.low)):
            if level is None:
                continue
            f = forecast(t, v, float(level), side, end.timestamp())
            if f is None:
                out.append(LimitForecast(signal=lim.signal, side=side, limit=float(level), drift_per_day=0.0,  # type: ignore[arg-type]
                                         status="no_data"))  # fmt: skip
                continue
            f.signal = lim.signal
            if f.days is not None:
                f.reached_around = end + timedelta(days=f.days)
            out.append(f)
            hours = max(hours, f.hours)
    return LimitsResult(asset=info.id, window_start=start, window_end=end, hours=hours, forecasts=out)
