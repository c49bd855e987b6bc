"""Shared set-up of the KPI and report tests: the demo plant with 4 days of simulated history exported into a
real DuckDB historian, the shift to look at, and expectations computed independently from the plant's arrays."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from assistant.config import EndpointSettings, Settings, SimSettings
from assistant.loop_thread import LoopThread
from assistant.sim.export import export_history
from assistant.sim.server import PlantServer
from tests.conftest import SHARED_CACHE, free_port
from tools.historian.duckdb_store import DuckDBStore
from tools.historian.queries import Historian
from tools.historian.timewindow import _parser
from tools.kpi.queries import KpiTools

LINE1 = ("S-1", "S-2", "S-5")  # the machines the demo layout puts on line 1 (test data, not assistant knowledge)


@dataclass
class KpiSetup:
    plant: PlantServer
    settings: Settings
    historian: Historian
    tools: KpiTools
    window: tuple[datetime, datetime]  # a completed production shift with a breakdown on line 1
    data_dir: Path


def _series(plant: PlantServer, asset: str, name: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    nid, _ = plant._bound[asset].nodes[name]
    ts, values, texts = plant.history.series(nid)
    return np.frombuffer(ts, dtype=np.float64).copy(), np.frombuffer(values, dtype=np.float64).copy(), list(texts)


def _segments(ts: np.ndarray, a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the samples that hold in [a, b) and how long each holds (the last one before a included)."""
    first = max(int(np.searchsorted(ts, a, side="right")) - 1, 0)
    last = int(np.searchsorted(ts, b, side="left"))
    idx = np.arange(first, last)
    starts = np.maximum(ts[idx], a)
    ends = np.minimum(np.append(ts[idx][1:], b), b)
    return idx, np.maximum(ends - starts, 0.0)


def state_seconds(plant: PlantServer, asset: str, a: float, b: float) -> dict[int, float]:
    ts, v, _ = _series(plant, asset, "MachineState")
    idx, dur = _segments(ts, a, b)
    out: dict[int, float] = {}
    for i, d in zip(idx, dur, strict=True):
        out[int(v[i])] = out.get(int(v[i]), 0.0) + float(d)
    return out


def increase(plant: PlantServer, asset: str, name: str, a: float, b: float) -> float:
    ts, v, _ = _series(plant, asset, name)
    before = int(np.searchsorted(ts, a, side="left")) - 1
    end = int(np.searchsorted(ts, b, side="left")) - 1
    return float(v[end] - v[before])


def expected_oee(plant: PlantServer, asset: str, a: float, b: float) -> dict[str, float]:
    st = state_seconds(plant, asset, a, b)
    planned = sum(st.values()) - st.get(0, 0.0)
    run = st.get(1, 0.0)
    good, scrap = increase(plant, asset, "GoodParts", a, b), increase(plant, asset, "ScrapParts", a, b)
    ict = float(_series(plant, asset, "IdealCycleTime")[1][-1])
    total = good + scrap
    return {"planned": planned, "run": run, "good": good, "scrap": scrap, "total": total, "ict": ict,
            "availability": run / planned, "performance": ict * total / run, "quality": good / total,
            "oee": (run / planned) * (ict * total / run) * (good / total)}  # fmt: skip


def _pick_shift(plant: PlantServer, settings: Settings) -> tuple[datetime, datetime]:
    """The latest completed early/late shift with data, preferring one with a breakdown on line 1."""
    parser = _parser(settings.plant)
    now = datetime.now(UTC)
    t0 = float(_series(plant, "S-1", "MachineState")[0][0]) + 3600
    shifts = [o for o in parser.shift_occurrences(now, days=5) if o.end <= now and o.start.timestamp() >= t0]
    shifts = [o for o in shifts if o.name in ("early", "late") and o.start.weekday() < 5]
    assert shifts, "the backfill holds no completed weekday production shift"
    for o in reversed(shifts):
        if any(state_seconds(plant, m, o.start.timestamp(), o.end.timestamp()).get(4) for m in LINE1):
            return o.start, o.end
    return shifts[-1].start, shifts[-1].end


@pytest.fixture(scope="session")
def kpi(server_loop: LoopThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[KpiSetup]:
    data = tmp_path_factory.mktemp("kpi")
    plant = PlantServer(SimSettings(port=free_port(), seed=11, backfill_days=4.0, history_interval_s=60), data)
    server_loop.run(plant.start())
    settings = Settings(
        data_dir=data, cache_dir=SHARED_CACHE, opcua={"endpoints": [EndpointSettings(url=plant.endpoint)]}
    )
    store = DuckDBStore(data / "kpi.duckdb")
    store.ensure_schema()
    export_history(plant, store)
    historian = Historian(store, settings)
    yield KpiSetup(plant, settings, historian, KpiTools(historian), _pick_shift(plant, settings), data)
    store.close()
    server_loop.run(plant.stop())
