"""Time until an on/off state that is on more and more of the time is on all the time at peak demand: the reserve
of a machine that loads and unloads (a compressor under a growing air leak) runs out.

The state's duty is measured hour by hour (time-weighted, sample-and-hold). Each hour is compared with the same
hour a day earlier (working days with working days, weekends with weekends), so the plant's daily rhythm of
demand cancels and what is left is the growth of one day: its median is the growth per day, with a distribution-
free confidence interval (order statistics of the median). Only growth that is clear at 95 % and at least
:data:`MIN_GROWTH` a day counts. The reserve is what the busiest hour of the last day, grown to now, leaves below
100 %; it is used up when the growth has covered it — the band is the same crossing for the two ends of the 80 %
interval.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field
from scipy.stats import binom

from tools.maintenance.anomaly import to_epoch
from tools.maintenance.datasource import MaintenanceDataSource, find_asset
from tools.maintenance.limits import TimeToLevel

BAND = 0.8  # confidence of the growth's interval, and so of the band of days
GATE = 0.95  # confidence at which the growth must be positive to count
MIN_GROWTH = 0.01  # a share growing by less than one point a day is within day-to-day variation
MIN_HOURS = 12  # day-over-day hour pairs needed before a growth is trusted
METHOD = "median day-over-day growth of the hourly duty, to 100 % at the busiest hour"


class CapacityForecast(TimeToLevel):
    state: str
    status: Literal["approaching", "exhausted", "steady", "no_data"]
    busiest_pct: float | None = Field(None, description="the duty of the last day's busiest hour, % of the hour")
    busiest_now_pct: float | None = Field(None, description="that hour's duty grown to now at the growth per day, %")
    growth_pct_per_day: float | None = Field(None, description="the duty's growth per day at the same hour, points")
    hours: int = Field(0, description="day-over-day hour pairs the growth is taken from")


class CapacityResult(BaseModel):
    asset: str
    method: str = METHOD
    band: float = BAND
    window_start: datetime
    window_end: datetime
    forecasts: list[CapacityForecast]


def hourly_duty(t: np.ndarray, on: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(hour start in epoch seconds, share of that hour the state was on) for every whole hour the samples cover;
    each sample holds until the next."""
    order = np.argsort(t, kind="stable")
    t, on = t[order], (on[order] > 0.5).astype(float)
    if t.size < 2:
        return np.zeros(0), np.zeros(0)
    cum = np.concatenate(([0.0], np.cumsum(on[:-1] * np.diff(t))))  # on-seconds up to each sample
    first, last = np.ceil(t[0] / 3600.0), np.floor(t[-1] / 3600.0)
    edges = np.arange(first, last + 1) * 3600.0
    if edges.size < 2:
        return np.zeros(0), np.zeros(0)
    c = np.interp(edges, t, cum)  # exact: the on-time grows linearly between samples
    return edges[:-1], np.diff(c) / 3600.0


def _weekend(hour_start: np.ndarray) -> np.ndarray:
    return ((np.floor(hour_start / 86400.0) + 3) % 7) >= 5  # the epoch began on a Thursday


def _median_interval(x: np.ndarray, confidence: float) -> tuple[float, float]:
    """A distribution-free confidence interval of the median of ``x`` (order statistics, binomial)."""
    xs = np.sort(x)
    k = int(binom.ppf((1.0 - confidence) / 2.0, xs.size, 0.5))
    k = min(max(k - 1, 0), (xs.size - 1) // 2)
    return float(xs[k]), float(xs[xs.size - 1 - k])


def forecast(t: np.ndarray, on: np.ndarray, now_s: float, state: str = "") -> CapacityForecast:
    """The state's reserve at peak demand and when it runs out, from its recent history (two days or more)."""
    hours, duty = hourly_duty(t, on)
    prev = np.arange(hours.size) - 24  # the hours are consecutive: the same hour a day earlier is 24 back
    same = prev >= 0
    same[same] = _weekend(hours[same]) == _weekend(hours[prev[same]])
    growth = duty[same] - duty[prev[same]]  # one day's growth, hour by hour
    if growth.size < MIN_HOURS:
        return CapacityForecast(state=state, status="no_data", hours=int(growth.size))
    rate = float(np.median(growth))
    sure_lo, _ = _median_interval(growth, GATE)
    lo, hi = _median_interval(growth, BAND)
    last_day = hours >= now_s - 86400.0
    if not last_day.any():
        return CapacityForecast(state=state, status="no_data", hours=int(growth.size))
    age = (now_s - hours[last_day] - 1800.0) / 86400.0  # days since the middle of each of the last day's hours
    peak_now = float(np.max(duty[last_day] + max(rate, 0.0) * age))
    busiest = float(np.max(duty[last_day]))
    reserve = 1.0 - peak_now
    base = dict(state=state, busiest_pct=round(100 * busiest, 1), busiest_now_pct=round(100 * min(peak_now, 1.0), 1),
                growth_pct_per_day=round(100 * rate, 1), hours=int(growth.size))  # fmt: skip
    if sure_lo <= 0 or rate < MIN_GROWTH:
        return CapacityForecast(**base, status="steady")
    if reserve <= 0:
        return CapacityForecast(**base, status="exhausted", days=0.0, days_low=0.0, days_high=0.0)
    # the 95 % interval's lower end is positive, so the narrower 80 % one's is too: both ends cross
    return CapacityForecast(**base, status="approaching", days=round(reserve / rate, 2),
                            days_low=round(reserve / hi, 2), days_high=round(reserve / lo, 2))  # fmt: skip


def time_to_capacity(
    source: MaintenanceDataSource,
    asset: str,
    states: list[str],
    window_hours: float = 48.0,
) -> CapacityResult:
    """When each of the asset's on/off ``states`` (e.g. 'Loaded') is on all the time at the usual peak hour."""
    info = find_asset(source, asset)
    end = source.now()
    start = end - timedelta(hours=window_hours)
    wanted = [s for s in states if s in info.signals]
    history = source.history(info.id, wanted, start, end)
    out = []
    for state in wanted:
        t, v = history.get(state, (np.array([]), np.array([])))
        f = forecast(to_epoch(t), np.asarray(v, float), end.timestamp(), state)
        if f.days is not None:
            f.reached_around = end + timedelta(days=f.days)
        out.append(f)
    return CapacityResult(asset=info.id, window_start=start, window_end=end, forecasts=out)
