"""Historian benchmark (a script, not a test): ingest rate through the collector's writer, and each query tool's
latency beside the same query as raw SQL on the same engine (overhead ratio), for DuckDB and ClickHouse.

    .venv/bin/python eval/bench_historian.py --rows 10000000 --signals 50
    .venv/bin/python eval/bench_historian.py --rows 200000 --backends duckdb     # quick run

Data: ``--signals`` signals sampled every 10 s in time order (as a collector writes them), the last one a 0/1
state signal. Queries cover the last day of data. ClickHouse runs when the ``clickhouse-server`` binary exists;
the script starts a private server on a free loopback port.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.config import Settings
from tools.historian.models import (
    CompareInput,
    DownsampleInput,
    LatestInput,
    StatsInput,
    ThresholdInput,
    TimeInStateInput,
    TrendInput,
)
from tools.historian.queries import Historian
from tools.historian.store import HistorianStore, SignalMeta
from tools.historian.writer import HistorianWriter

STEP_MS = 10_000


def ingest(store: HistorianStore, rows: int, signals: int, chunk: int) -> tuple[float, int, int]:
    """Rows through HistorianWriter.add + flush; returns (seconds spent in the writer, end ms, rows)."""
    ids = store.register_signals([SignalMeta(f"Bench/Area/A{i:02d}/Value", unit="bar") for i in range(signals)])
    sid = np.array([ids[f"Bench/Area/A{i:02d}/Value"] for i in range(signals)], dtype=np.int64)
    steps = rows // signals
    t_end = int(datetime(2026, 11, 26, tzinfo=UTC).timestamp() * 1000)
    t0 = t_end - steps * STEP_MS
    writer = HistorianWriter(store, batch_size=50_000)
    rng = np.random.default_rng(1)
    spent = 0.0
    per_chunk = max(1, chunk // signals)
    for s0 in range(0, steps, per_chunk):
        k = np.arange(s0, min(steps, s0 + per_chunk))
        ts = np.repeat(t0 + k * STEP_MS, signals)
        sig = np.tile(sid, len(k))
        val = 50 + 10 * np.sin(ts / 3.6e6) + rng.normal(0, 1, len(ts))
        val[sig == sid[-1]] = (np.sin(ts[sig == sid[-1]] / 5e6) > 0).astype(float)  # the state signal
        rows_chunk = list(zip(ts.tolist(), sig.tolist(), val.tolist(), [None] * len(ts), [0] * len(ts), strict=True))
        t = time.perf_counter()
        writer.add(rows_chunk)
        writer.flush()
        spent += time.perf_counter() - t
    return spent, t_end, steps * signals


def timed_pair(tool: Callable[[], object], raw: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median ms of the tool and of its raw SQL, called alternately so that the engine's background work
    (merges, caches) weighs on both alike."""
    tool(), raw()  # warm
    xs: list[float] = []
    ys: list[float] = []
    for _ in range(repeat):
        for fn, out in ((tool, xs), (raw, ys)):
            t = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t)
    return statistics.median(xs) * 1000, statistics.median(ys) * 1000


def bench_queries(store: HistorianStore, end_ms: int, signals: int, repeat: int) -> list[tuple[str, float, float]]:
    settings = Settings(data_dir=Path(tempfile.mkdtemp()))
    settings.historian.max_points = 2000
    now = datetime.fromtimestamp(end_ms / 1000, UTC)
    hist = Historian(store, settings, now=lambda: now)
    key = "Bench/Area/A07/Value"
    state_key = f"Bench/Area/A{signals - 1:02d}/Value"
    m = hist.resolve(key)
    st_id = hist.resolve(state_key).id
    a, b = end_ms - 86_400_000, end_ms
    origin = a
    others = [hist.resolve(f"Bench/Area/A{i:02d}/Value").id for i in range(5)]
    q = store._query
    cases: list[tuple[str, Callable[[], object], Callable[[], object]]] = [
        ("latest", lambda: hist.latest(LatestInput(signals=[key])), lambda: store.current([m.id])),
        (
            "stats (1 day)",
            lambda: hist.stats(StatsInput(signal=key, window="last 24 hours")),
            lambda: q(store.stats_sql(m.id, a, b)),
        ),
        (
            "downsample 1 min (1 day)",
            lambda: hist.downsample(DownsampleInput(signal=key, window="last 24 hours", interval="1 min")),
            lambda: store._columns(
                store.downsample_sql(m.id, a, b, 60_000, origin), (np.int64,) * 2 + (np.float64,) * 3
            ),
        ),
        (
            "threshold periods (1 day)",
            lambda: hist.threshold_periods(ThresholdInput(signal=key, window="last 24 hours", threshold=55)),
            lambda: (store.series(m.id, a, b), store.value_at(m.id, a - 1, 86_400_000)),
        ),
        (
            "compare 5 signals (1 day)",
            lambda: hist.compare(
                CompareInput(signals=[f"Bench/Area/A{i:02d}/Value" for i in range(5)], window="last 24 hours")
            ),
            lambda: [q(store.stats_sql(i, a, b)) for i in others],
        ),
        (
            "trend + change (1 day)",
            lambda: hist.trend(TrendInput(signal=key, window="last 24 hours")),
            lambda: (
                q(store.trend_sql(m.id, a, b)),
                store._columns(store.downsample_sql(m.id, a, b, 720_000, a), (np.int64,) * 2 + (np.float64,) * 3),
                q(store.stats_sql(m.id, a, b)),
            ),
        ),
        (
            "time in state (1 day)",
            lambda: hist.time_in_state(TimeInStateInput(signal=state_key, window="last 24 hours")),
            lambda: (store.text_series(st_id, a, b), store.value_at(st_id, a - 1, 86_400_000)),
        ),
    ]
    out = []
    for name, tool, raw in cases:
        out.append((name, *timed_pair(tool, raw, repeat)))
    return out


def report(name: str, secs: float, rows: int, results: list[tuple[str, float, float]]) -> None:
    print(f"\n== {name}: ingest {rows:,} values in {secs:.1f} s through HistorianWriter = {rows / secs:,.0f} values/s")
    print(f"{'query':28} {'tool ms':>9} {'raw SQL ms':>11} {'ratio':>6}")
    for q, t, r in results:
        print(f"{q:28} {t:9.2f} {r:11.2f} {t / r if r else float('nan'):6.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--signals", type=int, default=50)
    ap.add_argument("--chunk", type=int, default=500_000, help="values handed to the writer per add/flush")
    ap.add_argument("--repeat", type=int, default=31)
    ap.add_argument("--backends", default="duckdb,clickhouse")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="iiot-bench-"))
    print(f"historian benchmark: {args.rows:,} rows, {args.signals} signals, 10 s spacing, queries over the last day")
    if "duckdb" in args.backends:
        from tools.historian.duckdb_store import DuckDBStore

        store = DuckDBStore(tmp / "bench.duckdb")
        store.ensure_schema()
        secs, end_ms, rows = ingest(store, args.rows, args.signals, args.chunk)
        size = (tmp / "bench.duckdb").stat().st_size / 1e6
        report(f"DuckDB ({size:.0f} MB)", secs, rows, bench_queries(store, end_ms, args.signals, args.repeat))
        store.close()
    if "clickhouse" in args.backends:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from tests.historian_support import clickhouse
        from tools.historian.clickhouse_store import ClickHouseStore

        if clickhouse.binary() is None:
            print("\n== ClickHouse: skipped (clickhouse-server binary not installed)")
            return
        server = clickhouse.ClickHouseServer()
        try:
            ch = ClickHouseStore(server.url, database="bench")
            ch.ensure_schema()
            version = ch._query("SELECT version()")[0][0]
            secs, end_ms, rows = ingest(ch, args.rows, args.signals, args.chunk)
            ch.compact()  # let the merges that would run in the background finish before timing queries
            report(f"ClickHouse {version}", secs, rows, bench_queries(ch, end_ms, args.signals, args.repeat))
            ch.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
