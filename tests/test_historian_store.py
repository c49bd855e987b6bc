"""The store on both engines: schema, signal metadata, batched writes, current values, window SQL; one writer
with readers in other processes (DuckDB); backend down → values kept and written later, spooled at close."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.historian_support import data
from tests.historian_support.backends import BACKENDS, make_store
from tools.historian.clickhouse_store import ClickHouseStore
from tools.historian.duckdb_store import DuckDBStore
from tools.historian.store import SampleBatch, SignalMeta, StoreUnavailable
from tools.historian.writer import HistorianWriter

H = 3600_000


@pytest.fixture(params=BACKENDS)
def loaded(request: pytest.FixtureRequest, tmp_path: Path):
    store = make_store(request.param, tmp_path)
    ids = data.load(store)
    yield store, ids
    store.close()


def test_signal_metadata_and_stable_ids(loaded) -> None:
    store, ids = loaded
    metas = {m.key: m for m in store.signals()}
    assert metas[data.TEMP].unit == "°C" and metas[data.TEMP].description == "casing temperature"
    assert metas[data.PRESSURE].asset_path == "Plant/Air/K-2"
    again = store.register_signals([SignalMeta(data.TEMP, unit="K", asset_path="Plant/Utilities/P-101")])
    assert again[data.TEMP] == ids[data.TEMP]
    assert {m.key: m for m in store.signals()}[data.TEMP].unit == "K"
    new = store.register_signals([SignalMeta("Plant/New/Signal")])
    assert new["Plant/New/Signal"] == max(ids.values()) + 1


def test_window_sql_on_known_data(loaded) -> None:
    store, ids = loaded
    n_per_signal = 6 * 360
    assert store.total_rows() == 4 * n_per_signal + 3
    st = store.stats(ids[data.TEMP], data.NOW_MS - 3 * H, data.NOW_MS - 2 * H)
    assert st.count == 360 and st.min == 50.0 and st.max == 80.0 and st.avg == pytest.approx(65.0)
    assert st.first_ts == data.NOW_MS - 3 * H and st.first == 80.0 and st.last == 50.0
    assert st.max_ts == data.NOW_MS - 3 * H and st.min_ts == data.NOW_MS - int(2.5 * H)
    bucket, count, mn, mx, avg = store.downsample(ids[data.TEMP], data.NOW_MS - 3 * H, data.NOW_MS - 2 * H, H // 2)
    assert bucket.tolist() == [data.NOW_MS - 3 * H, data.NOW_MS - int(2.5 * H)]
    assert (
        count.tolist() == [180, 180]
        and avg.tolist() == [80.0, 50.0]
        and mn.tolist() == [80.0, 50.0]
        and mx.tolist() == [80.0, 50.0]
    )
    n, slope, intercept = store.trend(ids[data.PRESSURE], data.T0_MS, data.NOW_MS - 2 * H)
    assert n == 4 * 360 and slope == pytest.approx(0.5) and intercept == pytest.approx(6.0)
    assert store.count(ids[data.TEMP2], data.T0_MS, data.NOW_MS) == n_per_signal
    assert store.stats(ids[data.TEMP], data.NOW_MS, data.NOW_MS + H).count == 0


def test_current_values_and_text(loaded) -> None:
    store, ids = loaded
    cur = {r[0]: r for r in store.current([ids[data.TEMP], ids[data.MODE], ids[data.RUNNING]])}
    assert cur[ids[data.TEMP]][1:3] == (data.NOW_MS - 10_000, 50.0)
    assert cur[ids[data.MODE]][1:4] == (data.NOW_MS - int(1.5 * H), None, "auto")
    assert cur[ids[data.RUNNING]][2] == 1.0
    assert store.last_timestamps()[ids[data.TEMP]] == data.NOW_MS - 10_000
    # an older sample arriving late does not move the current value back
    store.write(SampleBatch.numeric(np.array([data.T0_MS - H]), np.array([ids[data.TEMP]]), np.array([1.0])))
    assert store.current([ids[data.TEMP]])[0][1:3] == (data.NOW_MS - 10_000, 50.0)
    series = store.text_series(ids[data.MODE], data.T0_MS, data.NOW_MS)
    assert series.text == ["auto", "manual", "auto"] and all(math.isnan(v) for v in series.value)
    assert store.value_at(ids[data.TEMP], data.NOW_MS - H + 5_000, H) == (data.NOW_MS - H, 90.0, None)
    # the search for the value carried into a window widens day by day to its lookback, and stops there
    day = 24 * H
    old_sid = store.register_signals([SignalMeta("Plant/Old/Level")])["Plant/Old/Level"]
    store.write(SampleBatch.numeric(np.array([data.NOW_MS - 20 * day]), np.array([old_sid]), np.array([7.0])))
    assert store.value_at(old_sid, data.NOW_MS, 30 * day) == (data.NOW_MS - 20 * day, 7.0, None)
    assert store.value_at(old_sid, data.NOW_MS, 20 * day + 1) == (data.NOW_MS - 20 * day, 7.0, None)
    assert store.value_at(old_sid, data.NOW_MS, 20 * day) is None
    assert store.value_at(old_sid, data.NOW_MS - 20 * day - 1, 400 * day) is None


def test_duckdb_one_writer_many_reader_processes(tmp_path: Path) -> None:
    path = tmp_path / "h.duckdb"
    writer = DuckDBStore(path, hold=False)  # as `iiot-assistant collect` opens it
    writer.ensure_schema()
    ids = writer.register_signals([SignalMeta("A/B/Temp", unit="°C")])
    w = HistorianWriter(writer, batch_size=100)
    w.add([(1000 * i, ids["A/B/Temp"], float(i), None, 0) for i in range(1, 501)])
    assert w.flush() == 500
    code = (
        "from tools.historian.duckdb_store import DuckDBStore\n"
        f"s = DuckDBStore({str(path)!r}, read_only=True, hold=False)\n"
        "print(s.stats(1, 0, 10**9).count, s.signals()[0].unit)\n"
    )
    readers = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(3)]
    w.add([(1000 * i, ids["A/B/Temp"], float(i), None, 0) for i in range(501, 601)])
    w.flush()  # the writer waits while a reader holds the file, and vice versa
    outs = [r.communicate(timeout=60)[0].split() for r in readers]
    assert all(o[1] == "°C" and o[0] in ("500", "600") for o in outs), outs
    assert writer.stats(1, 0, 10**9).count == 600


def test_store_down_keeps_values_until_written(tmp_path: Path) -> None:
    down = ClickHouseStore("http://127.0.0.1:9", database="iiot", timeout_s=1)
    with pytest.raises(StoreUnavailable, match=r"ClickHouse historian at http://127.0.0.1:9 is not reachable"):
        down.ensure_schema()
    spool = tmp_path / "spool"
    w = HistorianWriter(down, batch_size=10, spool_dir=spool)
    w.add([(1000 * i, 1, float(i), None, 0) for i in range(1, 101)])
    w.add([(1000 * i, 2, math.nan, f"state {i}", 0) for i in range(1, 11)])
    assert w.flush() == 0 and w.pending == 110
    assert "not reachable" in (w.last_error or "")
    w.add([(50_000, 1, 0.0, None, 0)])  # older than accepted: a duplicate, not a new value
    assert w.pending == 110 and w.dropped_duplicates == 1
    # the store comes back: everything pending is written, nothing twice
    up = DuckDBStore(tmp_path / "up.duckdb")
    up.ensure_schema()
    w.store = up
    assert w.flush() == 110 and w.pending == 0
    assert up.stats(1, 0, 10**9).count == 100 and up.text_series(2, 0, 10**9).text[-1] == "state 10"
    # closing while the store is down spools to disk; the next writer loads the spool and writes it
    w2 = HistorianWriter(down, batch_size=10, spool_dir=spool)
    w2.add([(200_000 + i, 3, float(i), None, 0) for i in range(5)])
    assert w2.close() == 5 and len(list(spool.glob("spool-*.jsonl"))) == 1
    w3 = HistorianWriter(up, spool_dir=spool)
    w3.load_state()
    assert w3.pending == 5 and w3.flush() == 5 and not list(spool.glob("*.jsonl"))
    assert up.stats(3, 0, 10**9).count == 5
    assert w3.last_ts[1] == 100_000  # state from the store: later duplicates are recognised


def test_clickhouse_speaks_the_old_server(tmp_path: Path) -> None:
    store = make_store("clickhouse", tmp_path)
    assert isinstance(store, ClickHouseStore)
    version = store._query("SELECT version()")[0][0]
    assert version.split(".")[0].isdigit()
    assert store.describe().startswith("clickhouse http://127.0.0.1:")
