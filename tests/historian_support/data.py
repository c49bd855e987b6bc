"""Synthetic historian data with answers known in advance, written through the real store interface."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from tools.historian.store import HistorianStore, SampleBatch, SignalMeta

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 26, 10, 30, tzinfo=TZ)  # a Thursday, in the early shift
NOW_MS = int(NOW.timestamp() * 1000)
T0_MS = NOW_MS - 6 * 3600 * 1000  # data covers the last six hours, one sample every 10 s
STEP_MS = 10_000

TEMP = "Plant/Utilities/P-101/Temperature"
TEMP2 = "Plant/Utilities/P-102/Temperature"
RUNNING = "Plant/Utilities/P-101/Running"
MODE = "Plant/Utilities/P-101/Mode"
PRESSURE = "Plant/Air/K-2/Pressure"


def load(store: HistorianStore) -> dict[str, int]:
    """Write six hours of data:

    - P-101 Temperature: 50 °C, except 80 °C from NOW-3h to NOW-2h30 and 90 °C from NOW-1h to NOW-50min
    - P-102 Temperature: constant 40 °C
    - K-2 Pressure: ramp 6.0 bar + 0.5 bar/h from T0, with a step of +2 bar at NOW-2h
    - P-101 Running: true except NOW-4h..NOW-3h (false)
    - P-101 Mode: text 'auto', 'manual' from NOW-2h to NOW-1h30
    """
    ids = store.register_signals(
        [
            SignalMeta(TEMP, unit="°C", description="casing temperature", asset_path="Plant/Utilities/P-101",
                       data_type="Double"),
            SignalMeta(TEMP2, unit="°C", asset_path="Plant/Utilities/P-102", data_type="Double"),
            SignalMeta(RUNNING, unit="", asset_path="Plant/Utilities/P-101", data_type="Boolean"),
            SignalMeta(MODE, unit="", asset_path="Plant/Utilities/P-101", data_type="String"),
            SignalMeta(PRESSURE, unit="bar", asset_path="Plant/Air/K-2", data_type="Double"),
        ]
    )  # fmt: skip
    ts = np.arange(T0_MS, NOW_MS, STEP_MS, dtype=np.int64)
    h = 3600_000
    temp = np.full(len(ts), 50.0)
    temp[(ts >= NOW_MS - 3 * h) & (ts < NOW_MS - int(2.5 * h))] = 80.0
    temp[(ts >= NOW_MS - h) & (ts < NOW_MS - 50 * 60_000)] = 90.0
    pressure = 6.0 + 0.5 * (ts - T0_MS) / h + np.where(ts >= NOW_MS - 2 * h, 2.0, 0.0)
    running = np.where((ts >= NOW_MS - 4 * h) & (ts < NOW_MS - 3 * h), 0.0, 1.0)
    n = len(ts)
    for key, values in ((TEMP, temp), (TEMP2, np.full(n, 40.0)), (PRESSURE, pressure), (RUNNING, running)):
        store.write(SampleBatch.numeric(ts, np.full(n, ids[key]), values))
    mode_ts = [T0_MS, NOW_MS - 2 * h, NOW_MS - int(1.5 * h)]
    store.write(
        SampleBatch.from_rows(
            [(t, ids[MODE], float("nan"), m, 0) for t, m in zip(mode_ts, ["auto", "manual", "auto"], strict=True)]
        )
    )
    return ids
