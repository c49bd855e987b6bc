"""The historian tools on both engines, on data with known answers: values, units, windows, sample counts,
summarising, and the operator messages for bad input."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.config import Settings
from tests.historian_support import data
from tests.historian_support.backends import BACKENDS, make_store
from tools.historian.models import (
    CompareInput,
    DownsampleInput,
    LatestInput,
    StatsInput,
    ThresholdInput,
    TimeInStateInput,
    TrendInput,
)
from tools.historian.queries import Historian, parse_interval, run_tool, tool_schemas
from tools.historian.store import HistorianError, UnknownHistorianSignal


@pytest.fixture(params=BACKENDS, scope="module")
def hist(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    store = make_store(request.param, tmp_path_factory.mktemp(request.param))
    data.load(store)
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"))
    settings.plant.timezone = "Europe/Berlin"
    settings.historian.max_points = 100
    settings.historian.max_window_days = 30
    yield Historian(store, settings, now=lambda: data.NOW)
    store.close()


def test_stats_last_hour(hist: Historian) -> None:
    r = hist.stats(StatsInput(signal="P-101/Temperature", window="last hour"))
    assert r.signal == data.TEMP and r.unit == "°C"
    assert r.window.start == "2026-11-26T09:30:00+01:00" and r.window.end == "2026-11-26T10:30:00+01:00"
    assert r.window.timezone == "Europe/Berlin" and r.window.meaning == "last 1 hour"
    assert r.samples == 360 and r.max == 90.0 and r.min == 50.0
    assert r.avg == pytest.approx((60 * 90 + 300 * 50) / 360, rel=1e-6)
    assert r.max_time == "2026-11-26T09:30:00+01:00" and r.last_time == "2026-11-26T10:29:50+01:00"


def test_stats_in_german(hist: Historian) -> None:
    r = hist.stats(StatsInput(signal="k-2/pressure", window="in den letzten 2 Stunden"))
    assert r.signal == data.PRESSURE and r.unit == "bar" and r.samples == 720
    assert r.first == pytest.approx(6.0 + 0.5 * 4 + 2.0)


def test_downsample_and_summarising(hist: Historian) -> None:
    r = hist.downsample(DownsampleInput(signal=data.TEMP, window="last hour", interval="10 min"))
    assert r.interval_s == 600 and not r.summarised and r.samples == 360
    assert [p.time[11:16] for p in r.points] == ["09:30", "09:40", "09:50", "10:00", "10:10", "10:20"]
    assert [p.avg for p in r.points] == [90.0, 50.0, 50.0, 50.0, 50.0, 50.0]
    assert r.points[0].count == 60
    wide = hist.downsample(DownsampleInput(signal=data.TEMP, window="last 6 hours", interval="10s"))
    assert wide.summarised and len(wide.points) <= 100 and wide.interval_s == 300
    assert "widened from 10 s to 300 s" in (wide.note or "") and wide.samples == 2160
    auto = hist.downsample(DownsampleInput(signal=data.TEMP, window="since 6 am"))
    assert auto.interval_s == 300 and auto.points[0].time == "2026-11-26T06:00:00+01:00"


def test_threshold_periods(hist: Historian) -> None:
    r = hist.threshold_periods(ThresholdInput(signal="P-101/Temperature", window="this shift", threshold=75))
    assert r.period_count == 2 and r.unit == "°C" and r.samples == 4.5 * 360
    assert [(p.start[11:19], p.end[11:19], p.duration_s, p.peak) for p in r.periods] == [
        ("07:30:00", "08:00:00", 1800.0, 80.0),
        ("09:30:00", "09:40:00", 600.0, 90.0),
    ]
    assert r.total_duration_s == 2400 and r.longest is not None and r.longest.duration_s == 1800
    assert r.share_of_window == pytest.approx(2400 / (4.5 * 3600), abs=1e-4)
    below = hist.threshold_periods(
        ThresholdInput(signal=data.TEMP, window="last hour", threshold=60, direction="below", min_duration_s=60)
    )
    assert below.period_count == 1 and below.periods[0].start[11:19] == "09:40:00"
    assert below.periods[0].ongoing and below.periods[0].end == "2026-11-26T10:30:00+01:00"
    # a period already running when the window opens starts at the window start
    inside = hist.threshold_periods(
        ThresholdInput(signal=data.TEMP, window="2026-11-26T07:45/2026-11-26T09:00", threshold=75)
    )
    assert [(p.start[11:19], p.end[11:19], p.peak) for p in inside.periods] == [("07:45:00", "08:00:00", 80.0)]


def test_compare_signals_and_assets(hist: Historian) -> None:
    r = hist.compare(CompareInput(assets=["P-101", "P-102"], signal_name="Temperature", window="last hour"))
    assert [(i.signal, i.value, i.unit, i.samples) for i in r.items] == [
        (data.TEMP, pytest.approx(56.6667, rel=1e-4), "°C", 360),
        (data.TEMP2, 40.0, "°C", 360),
    ]
    assert r.highest == data.TEMP and r.lowest == data.TEMP2 and r.samples == 720 and r.note is None
    mixed = hist.compare(CompareInput(signals=[data.TEMP, data.PRESSURE], statistic="max", window="last hour"))
    assert mixed.items[0].value == 90.0 and "different units" in (mixed.note or "")


def test_trend_and_change_point(hist: Historian) -> None:
    r = hist.trend(TrendInput(signal=data.PRESSURE, window="2026-11-26T04:30/2026-11-26T08:30", per="hour"))
    assert r.slope == pytest.approx(0.5) and r.unit == "bar" and r.samples == 1440 and r.direction == "rising"
    assert r.change_point is None
    day = hist.trend(TrendInput(signal=data.PRESSURE, window="last 6 hours", per="day"))
    assert day.change_point is not None and day.change_point.time == "2026-11-26T08:30:00+01:00"
    assert day.change_point.shift == pytest.approx(2.0, abs=0.1) and day.per == "day"
    assert day.slope is not None and day.slope > 12  # 0.5 bar/h ramp plus the step
    flat = hist.trend(TrendInput(signal=data.TEMP2, window="last hour"))
    assert flat.slope == 0 and flat.direction == "flat"


def test_time_in_state(hist: Historian) -> None:
    r = hist.time_in_state(TimeInStateInput(signal="P-101/Running", window="last 6 hours"))
    assert [(s.state, s.duration_s) for s in r.states] == [("true", 5 * 3600), ("false", 3600)]
    assert r.transitions == 2 and r.unknown_s == 0 and r.samples == 2160
    mode = hist.time_in_state(TimeInStateInput(signal="P-101/Mode", window="this shift"))
    assert {s.state: s.duration_s for s in mode.states} == {"auto": 4 * 3600, "manual": 1800}
    with pytest.raises(HistorianError, match="is a measured value, not a state"):
        hist.time_in_state(TimeInStateInput(signal="K-2/Pressure", window="last hour"))


def test_latest(hist: Historian) -> None:
    r = hist.latest(LatestInput(signals=["P-101/Temperature", "P-101/Mode"]))
    assert [(i.signal, i.value, i.text, i.unit, i.timestamp, i.age_s) for i in r.items] == [
        (data.TEMP, 50.0, None, "°C", "2026-11-26T10:29:50+01:00", 10.0),
        (data.MODE, None, "auto", "", "2026-11-26T09:00:00+01:00", 5400.0),
    ]
    then = hist.latest(LatestInput(signals=["P-101/Temperature"], at="2026-11-26T09:35:00+01:00"))
    assert then.items[0].value == 90.0 and then.items[0].timestamp == "2026-11-26T09:35:00+01:00"


def test_bad_input_messages(hist: Historian) -> None:
    with pytest.raises(
        UnknownHistorianSignal, match=r"no historian signal 'P-101/Temprature'; closest: .*P-101/Temperature"
    ):
        hist.stats(StatsInput(signal="P-101/Temprature", window="last hour"))
    with pytest.raises(UnknownHistorianSignal, match="matches several historian signals"):
        hist.stats(StatsInput(signal="Temperature", window="last hour"))
    with pytest.raises(HistorianError, match=r"no stored values of .*P-101/Temperature in 2026-11-20 .*collector"):
        hist.stats(StatsInput(signal="P-101/Temperature", window="2026-11-20/2026-11-21"))
    with pytest.raises(HistorianError, match=r"spans 100\.0 days; the limit is 30 days \(historian.max_window_days\)"):
        hist.stats(StatsInput(signal="P-101/Temperature", window="last 100 days"))
    with pytest.raises(HistorianError, match="could not understand the time 'next blue moon'"):
        hist.stats(StatsInput(signal="P-101/Temperature", window="next blue moon"))
    with pytest.raises(HistorianError, match="'fortnightly' is not an interval"):
        parse_interval("fortnightly")


def test_run_tool_validates_and_returns_json(hist: Historian) -> None:
    out = run_tool(hist, "historian.stats", {"signal": "P-102/Temperature", "window": "letzte Stunde"})
    assert out["avg"] == 40.0 and out["unit"] == "°C" and out["samples"] == 360
    assert out["window"]["expression"] == "letzte Stunde"
    with pytest.raises(HistorianError, match=r"bad arguments for historian\.threshold_periods: threshold"):
        run_tool(hist, "historian.threshold_periods", {"signal": data.TEMP})
    with pytest.raises(HistorianError, match=r"no historian tool 'historian\.delete'"):
        run_tool(hist, "historian.delete", {})
    names = [t["name"] for t in tool_schemas()]
    assert names == [
        "historian.latest", "historian.stats", "historian.downsample", "historian.threshold_periods",
        "historian.compare", "historian.trend", "historian.time_in_state",
    ]  # fmt: skip
    assert all(t["parameters"]["type"] == "object" for t in tool_schemas())


def test_plant_time_formatting_in_bulk_matches_one_by_one(hist: Historian) -> None:
    rng = np.random.default_rng(7)
    winter = 1_795_600_000_000 + np.sort(rng.integers(0, 3 * 86_400, 500)) * 1000  # three days, whole seconds
    assert hist._ts_many(winter) == [hist._ts(int(x)) for x in winter]
    across_dst = np.array([1_774_742_400_000, 1_774_828_800_000])  # 2026-03-29 00:00 UTC and a day later
    assert hist._ts_many(across_dst) == [hist._ts(int(x)) for x in across_dst]
    assert hist._ts_many(across_dst)[0].endswith("+01:00") and hist._ts_many(across_dst)[1].endswith("+02:00")
    a_year = np.array([1_767_225_600_000, 1_782_864_000_000, 1_796_083_200_000])  # 2026-01-01, 07-01, 12-01 UTC
    assert [t[-6:] for t in hist._ts_many(a_year)] == ["+01:00", "+02:00", "+01:00"]
