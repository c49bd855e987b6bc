"""Time to an alarm limit: the drift of the hourly envelope, extrapolated, with its band; a clogging strainer
from the physics generator gets a date, a healthy pump and a signal drifting away from its limit get none."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from tools.maintenance.datasource import demo_source
from tools.maintenance.limits import Limit, forecast, time_to_limits

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _series(drift_per_day: float, start: float, noise: float = 0.004) -> tuple[np.ndarray, np.ndarray, float]:
    rng = np.random.default_rng(3)
    now = NOW.timestamp()
    t = np.arange(now - 48 * 3600, now, 60.0)
    duty = np.where(((t / 3600) % 24) < 16, 1.0, 0.6)  # two shifts at full duty, a lighter night
    v = (start + drift_per_day * (t - now) / 86400) * duty + rng.normal(0, noise, len(t))
    return t, v, now


def test_a_rising_signal_reaches_its_high_limit_when_its_peak_drift_gets_there() -> None:
    t, v, now = _series(0.05, 0.30)
    f = forecast(t, v, 0.5, "high", now)
    assert f is not None and f.status == "approaching"
    # the peaks are at 0.30 now and rise 0.05 a day: 4 days to 0.5
    assert f.days == pytest.approx(4.0, rel=0.15)
    assert f.days_low is not None and f.days_high is not None and f.days_low <= f.days <= f.days_high
    assert f.towards_per_day == pytest.approx(0.05, rel=0.15)


def test_a_falling_signal_reaches_its_low_limit_and_a_flat_one_never() -> None:
    t, v, now = _series(-0.1, 1.5)
    low = forecast(t, v, 1.0, "low", now)
    assert low is not None and low.status == "approaching" and low.towards_per_day > 0
    flat = forecast(*_series(0.0, 0.3, noise=0.02)[:2], 0.5, "high", now)
    away = forecast(*_series(-0.05, 0.3)[:2], 0.5, "high", now)
    assert flat is not None and flat.status == "steady" and flat.days is None
    assert away is not None and away.status == "steady"


def test_beyond_the_limit_already_and_too_little_history() -> None:
    t, v, now = _series(0.01, 0.6)
    beyond = forecast(t, v, 0.5, "high", now)
    assert beyond is not None and beyond.status == "beyond" and beyond.days == 0.0
    assert forecast(t[-300:], v[-300:], 0.5, "high", now) is None  # five hours are not a drift


def test_clogging_strainer_gets_a_date_and_a_healthy_pump_none() -> None:
    src = demo_source(NOW, {"P-102": ("filter_clogging", 100.0)}, days=3, assets=["P-101", "P-102"])
    limits = [Limit(signal="FilterDifferentialPressure", high=0.5), Limit(signal="SuctionPressure", low=1.0)]
    sick = time_to_limits(src, "P-102", limits)
    assert sick.approaching, sick.forecasts
    first = sick.approaching[0]
    assert first.reached_around is not None and 0 < (first.days or 0) < 10
    healthy = time_to_limits(src, "P-101", limits)
    assert not healthy.approaching and {f.status for f in healthy.forecasts} == {"steady"}


def test_the_maintenance_plan_orders_work_before_a_limit_is_reached() -> None:
    from tools.maintenance.tools import maintenance_plan

    src = demo_source(NOW, {"P-102": ("filter_clogging", 100.0)}, days=3, assets=["P-101", "P-102"])
    limits = {a: [Limit(signal="SuctionPressure", low=1.0)] for a in ("P-101", "P-102")}
    plan = maintenance_plan(src, 7.0, include_anomalies=False, limits=limits)
    orders = {o.asset: o for o in plan.work_orders}
    assert set(orders) == {"P-102"}, plan.work_orders  # the healthy pump drifts nowhere
    order = orders["P-102"]
    assert "SuctionPressure" in order.reason and "limit 1" in order.reason
    assert order.scheduled_start is not None and order.predicted_failure is not None
    assert order.scheduled_start <= order.predicted_failure
