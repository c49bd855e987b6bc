"""Reserve of an on/off state at peak demand: a load/unload cycle whose duty grows day by day (an air leak) runs out
of reserve when the busiest hour is loaded all the time; a steady rhythm, too little history and a state already
on all the time at peak say so."""

from __future__ import annotations

import numpy as np
import pytest

from tools.maintenance.capacity import forecast, hourly_duty

T_END = 1_796_040_000.0  # a Monday, 12:00 UTC
CYCLE_S = 240.0


def _load_unload(days: float, growth_per_day: float, seed: int, end: float = T_END) -> tuple[np.ndarray, np.ndarray]:
    """A compressor-like state sampled every 10 s: loaded for ``duty`` of each 4-minute cycle; the duty follows a
    day rhythm (0.25 at night, 0.6 from 06 to 22) plus a growth per day and a little noise per cycle."""
    t = np.arange(end - days * 86400.0, end, 10.0)
    rng = np.random.default_rng(seed)
    hour = (t % 86400.0) / 3600.0
    base = np.where((hour >= 6) & (hour < 22), 0.6, 0.25)
    cycle = np.floor(t / CYCLE_S)
    noise = rng.normal(0, 0.03, int(cycle.max() - cycle.min()) + 1)[(cycle - cycle.min()).astype(int)]
    duty = np.clip(base + growth_per_day * (t - t[0]) / 86400.0 + noise, 0, 1)
    on = ((t % CYCLE_S) / CYCLE_S < duty).astype(float)
    return t, on


def test_hourly_duty_is_time_weighted() -> None:
    t = np.array([0.0, 900.0, 3600.0, 5400.0, 7200.0])
    on = np.array([1.0, 0.0, 1.0, 0.0, 0.0])
    hours, duty = hourly_duty(t, on)
    assert hours.tolist() == [0.0, 3600.0] and duty.tolist() == pytest.approx([0.25, 0.5])


def test_a_growing_duty_runs_out_of_reserve_at_the_busiest_hour() -> None:
    t, on = _load_unload(3.0, 0.05, seed=1)
    f = forecast(t, on, T_END, "Loaded")
    assert f.status == "approaching" and f.hours >= 12
    assert f.growth_pct_per_day == pytest.approx(5.0, abs=1.5)
    # the busiest hour was at 0.6 + 3 days of growth, 0.75; at 5 points a day the last 25 points take ~5 days
    assert f.busiest_pct == pytest.approx(75.0, abs=4.0)
    assert f.days is not None and 3.5 <= f.days <= 6.5
    assert f.days_low is not None and f.days_low <= f.days <= (f.days_high or np.inf)


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_a_steady_rhythm_has_no_forecast(seed: int) -> None:
    t, on = _load_unload(3.0, 0.0, seed=seed)
    f = forecast(t, on, T_END, "Loaded")
    assert f.status == "steady" and f.days is None


def test_too_little_history_and_no_reserve_left() -> None:
    t, on = _load_unload(1.0, 0.05, seed=5)
    assert forecast(t, on, T_END, "Loaded").status == "no_data"  # no hour has its hour of the day before
    t, on = _load_unload(3.0, 0.15, seed=6)
    f = forecast(t, on, T_END, "Loaded")
    assert f.status == "exhausted" and f.days == 0.0 and f.busiest_now_pct == 100.0
