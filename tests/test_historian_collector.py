"""The collector against real OPC UA servers over TCP: subscription, HistoryRead backfill, a server restart
mid-collection (values buffered while it is down are kept, the gap is backfilled, collection resumes), and
`collect` as its own process beside readers in this one."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from assistant.config import Settings
from assistant.sim.server import PlantServer
from tests.conftest import ROOT, free_port
from tests.historian_support.opcua_server import HistoryPlant, write_history_offline
from tools.historian.collector import Collector
from tools.historian.duckdb_store import DuckDBStore
from tools.historian.models import LatestInput, StatsInput
from tools.historian.queries import Historian

KEY_TEMP = "Plant/Line1/P-7/Temperature"


async def until(cond: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for: {what}")
        await asyncio.sleep(0.05)


def ms(ts: datetime) -> int:
    return int(ts.timestamp() * 1000)


async def test_collector_survives_server_restart_and_backfills(tmp_path: Path) -> None:
    port = free_port()
    history = tmp_path / "server-history.sqlite3"
    plant, plant2 = HistoryPlant(port, history), HistoryPlant(port, history)
    store = DuckDBStore(tmp_path / "history.duckdb")
    store.ensure_schema()
    settings = Settings(data_dir=tmp_path / "data", opcua={"endpoints": [{"url": plant.url, "timeout_s": 1}]})
    h = settings.historian
    h.flush_interval_s, h.batch_size, h.sampling_interval_ms = 3600, 100_000, 50  # flushes only when we ask
    collector = Collector(settings, store, watch_interval_s=0.2, retry_max_s=0.5)
    await plant.start()
    try:
        await _restart_scenario(plant, plant2, history, collector, store, settings)
    finally:
        await collector.stop()
        for srv in (plant, plant2):
            with contextlib.suppress(Exception):
                await srv.stop()
        store.close()


async def _restart_scenario(
    plant: HistoryPlant,
    plant2: HistoryPlant,
    history: Path,
    collector: Collector,
    store: DuckDBStore,
    settings: Settings,
) -> None:
    # all timestamps come after the server's start (the value a variable is created with is historised then)
    t0 = datetime.now(UTC)
    for i in range(3):  # history from before the collector started: backfilled at the first connect
        await plant.write("Temperature", 10 + i, t0 + timedelta(milliseconds=10 * i))
    await asyncio.sleep(0.1)  # those are in the past now
    await collector.start()
    st = collector.status
    await until(lambda: plant.url in st and st[plant.url].connected, "first subscription")
    sid = {m.key: m.id for m in store.signals()}
    assert set(sid) == {KEY_TEMP, "Plant/Line1/P-7/Running", "Plant/Line1/P-7/Status"}

    t1 = datetime.now(UTC)
    for i in range(5):
        await plant.write("Temperature", 20 + i, t1 + timedelta(milliseconds=10 * i))
    now1 = t1
    await plant.write("Status", "Stopped", now1)
    await plant.write("Running", False, now1)
    w = collector.writer
    await until(lambda: w.last_ts.get(sid[KEY_TEMP]) == ms(t1 + timedelta(milliseconds=40)), "live values")
    await until(lambda: w.last_ts.get(sid["Plant/Line1/P-7/Status"]) == ms(now1), "status text")
    assert w.pending >= 10 and store.total_rows() == 0  # all still in the collector's buffer

    await plant.stop()  # the server goes away with values unflushed
    await until(lambda: not st[plant.url].connected and st[plant.url].last_error is not None, "noticing the loss")
    # while it is down, the server's history receives values the collector never saw (e.g. a buffering PLC)
    t2 = datetime.now(UTC)
    gap = [(t2 + timedelta(milliseconds=10 * i), 30.0 + i) for i in range(4)]
    await write_history_offline(history, plant.nodes["Temperature"], gap)

    await asyncio.sleep(0.1)  # the restarted server's own first value comes after the gap
    await plant2.start(temperature=99.0)
    await until(lambda: st[plant.url].connected and st[plant.url].reconnects >= 1, "resubscription")
    now2 = datetime.now(UTC) + timedelta(seconds=1)
    await plant2.write("Temperature", 41.0, now2)
    await until(lambda: w.last_ts.get(sid[KEY_TEMP]) == ms(now2), "live values after the restart")
    await collector.flush()

    series = store.series(sid[KEY_TEMP], 0, ms(now2) + 1)
    pairs = [(int(t), float(v)) for t, v in zip(series.ts, series.value, strict=True) if v != 99.0 and t >= ms(t0)]
    expected = (
        [(ms(t0 + timedelta(milliseconds=10 * i)), 10.0 + i) for i in range(3)]
        + [(ms(t1 + timedelta(milliseconds=10 * i)), 20.0 + i) for i in range(5)]
        + [(ms(t), v) for t, v in gap]
        + [(ms(now2), 41.0)]
    )
    assert pairs == expected
    assert len(set(series.ts.tolist())) == len(series.ts)  # nothing twice
    assert st[plant.url].backfilled >= 3 + 4
    hist = Historian(store, settings)
    latest = hist.latest(LatestInput(signals=["P-7/Status", "P-7/Running", "P-7/Temperature"]))
    # the restarted server starts its variables afresh: that is the current truth
    assert [(i.value, i.text, i.unit) for i in latest.items] == [
        (None, "Running", ""),
        (1.0, None, ""),
        (41.0, None, "°C"),
    ]
    status = store.text_series(sid["Plant/Line1/P-7/Status"], ms(t1) - 1, ms(now2) + 1)
    assert status.text == ["Stopped", "Running"]
    running = store.series(sid["Plant/Line1/P-7/Running"], ms(t1) - 1, ms(now2) + 1)
    assert running.value.tolist() == [0.0, 1.0]


def test_collect_command_beside_reader_processes(demo_plant: PlantServer, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("IIOT_")}
    env.update(
        IIOT_DATA_DIR=str(data_dir),
        IIOT_OPCUA__ENDPOINTS=f'["{demo_plant.endpoint}"]',
        IIOT_HISTORIAN__FLUSH_INTERVAL_S="0.3",
    )
    code = (
        "from assistant.config import load_settings\n"
        "from tools.historian.commands import collect_command\n"
        "collect_command(load_settings().settings)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        settings = Settings(data_dir=data_dir)
        path = data_dir / "historian" / "history.duckdb"
        deadline = time.monotonic() + 90
        result = None
        while result is None:
            assert proc.poll() is None, proc.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "no historian data from the collect process"
            time.sleep(0.3)
            if not path.exists():
                continue
            try:
                store = DuckDBStore(path, read_only=True, hold=False)
                hist = Historian(store, settings)
                result = hist.latest(LatestInput(signals=["P-101/Temperature"]))
            except Exception:
                continue
        assert result.items[0].unit == "°C" and result.items[0].signal.endswith("/P-101/Temperature")
        assert result.items[0].value is not None
        stats = hist.stats(StatsInput(signal="P-101/Temperature", window="last hour"))
        assert stats.samples >= 1 and stats.unit == "°C"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-2000:]
    assert "written" in err and "P-101" not in err  # the final status line, no traceback


async def test_collector_compacts_the_store_on_schedule_and_loses_nothing(
    demo_plant: PlantServer, tmp_path: Path
) -> None:
    store = DuckDBStore(tmp_path / "history.duckdb")
    store.ensure_schema()
    settings = Settings(data_dir=tmp_path / "data", opcua={"endpoints": [demo_plant.endpoint]})
    h = settings.historian
    h.initial_backfill_h, h.compact_interval_h, h.flush_interval_s = 0.05, 4 / 3600, 0.2
    collector = Collector(settings, store)
    assert collector.initial_backfill_s == 180 and collector.max_backfill_s == 7 * 86400
    count = lambda: store._query("SELECT count(*) FROM samples")[0][0]  # noqa: E731
    await collector.start()
    try:
        await until(lambda: count() > 0, "samples collected")
        await until(lambda: collector.compactions >= 1, "a scheduled compaction")
        await collector.flush()
        before = count()
        await until(lambda: count() > before, "collection goes on after the compaction")
    finally:
        await collector.stop()
    after = count()
    assert before > 0 and after >= before, "compaction keeps every sample"
    store.close()
