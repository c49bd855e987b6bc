"""The embedded historian: one DuckDB file under the data folder.

DuckDB allows one process to open a file for writing, or many processes to open it read-only, never both at
once. Inside one process (the demo: collector and assistant together) the store holds one connection and
serialises access with a lock. Across processes (``iiot-assistant collect`` beside ``iiot-assistant ask``)
the writer opens with ``hold=False``: it opens the file per flush and closes it right after, and readers
open it read-only per query; either side waits (``lock_timeout_s``) while the other holds the file lock.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from tools.historian.store import Dialect, HistorianStore, SampleBatch, SignalMeta, StoreUnavailable

DUCKDB_DIALECT = Dialect(
    stddev="stddev_samp",
    covar="covar_pop",
    var="var_pop",
    arg_min="arg_min",
    arg_max="arg_max",
    is_nan="isnan({x})",
    bucket="(ts - (ts - {o}) % {n})",
)

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS samples (
        ts BIGINT NOT NULL, signal_id INTEGER NOT NULL, value DOUBLE, quality UINTEGER NOT NULL, text VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS current_values (
        signal_id INTEGER PRIMARY KEY, ts BIGINT NOT NULL, value DOUBLE, quality UINTEGER NOT NULL, text VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS signals (
        id INTEGER NOT NULL, key VARCHAR PRIMARY KEY, stable_id VARCHAR, node_id VARCHAR, endpoint VARCHAR,
        unit VARCHAR, description VARCHAR, asset_path VARCHAR, data_type VARCHAR)""",
]


def _is_lock_error(exc: Exception) -> bool:
    return "lock" in str(exc).lower()


class DuckDBStore(HistorianStore):
    dialect = DUCKDB_DIALECT
    name = "duckdb"

    def __init__(
        self, path: str | Path, read_only: bool = False, hold: bool = True, lock_timeout_s: float = 10.0
    ) -> None:
        self.path = Path(path).expanduser()
        self.read_only = read_only
        self.hold = hold
        self.lock_timeout_s = lock_timeout_s
        self._lock = threading.RLock()
        self._con: duckdb.DuckDBPyConnection | None = None
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        elif not self.path.exists():
            raise StoreUnavailable(f"no historian data yet: {self.path} does not exist (is the collector running?)")
        if hold:
            self._con = self._open()

    def describe(self) -> str:
        return f"duckdb {self.path}"

    def _open(self) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.lock_timeout_s
        delay = 0.02
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=self.read_only)
            except duckdb.Error as exc:
                if not _is_lock_error(exc) or time.monotonic() > deadline:
                    raise StoreUnavailable(f"the historian file {self.path} cannot be opened: {exc}") from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.25)

    @contextlib.contextmanager
    def _connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._lock:
            if self._con is not None:
                yield self._con
                return
            con = self._open()
            try:
                yield con
            finally:
                con.close()

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None

    def ensure_schema(self) -> None:
        if self.read_only:
            return
        with self._connection() as con:
            for stmt in SCHEMA:
                con.execute(stmt)

    def _execute(self, sql: str) -> None:
        with self._connection() as con:
            con.execute(sql)

    def _query(self, sql: str) -> list[tuple[Any, ...]]:
        try:
            with self._connection() as con:
                return con.execute(sql).fetchall()
        except duckdb.CatalogException as exc:
            raise StoreUnavailable(f"the historian file {self.path} has no data tables yet ({exc})") from exc

    def _columns(self, sql: str, dtypes: Sequence[Any]) -> list[np.ndarray]:
        with self._connection() as con:
            res = con.execute(sql).fetchnumpy()
        cols = list(res.values())
        out = []
        for col, dt in zip(cols, dtypes, strict=True):
            arr = np.ma.filled(col, np.nan) if np.ma.isMaskedArray(col) and np.dtype(dt).kind == "f" else col
            out.append(np.asarray(arr, dtype=dt))
        return out

    @staticmethod
    def _frame(batch: SampleBatch) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "ts": batch.ts,
                "signal_id": batch.signal_id,
                "value": batch.value,
                "quality": batch.quality,
                "text": pd.array(batch.text, dtype=object),
            }
        )

    def write(self, batch: SampleBatch) -> int:
        """Samples and current values in one transaction."""
        if not len(batch):
            return 0
        frame = self._frame(batch)
        newest = self._frame(self.newest_per_signal(batch))
        with self._connection() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                con.register("_batch", frame)
                con.execute("INSERT INTO samples SELECT ts, signal_id, value, quality, text FROM _batch")
                con.register("_newest", newest)
                con.execute(
                    "INSERT INTO current_values SELECT signal_id, ts, value, quality, text FROM _newest "
                    "ON CONFLICT (signal_id) DO UPDATE SET ts = excluded.ts, value = excluded.value, "
                    "quality = excluded.quality, text = excluded.text WHERE excluded.ts >= current_values.ts"
                )
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
            finally:
                con.unregister("_batch")
                con.unregister("_newest")
        return len(batch)

    def _insert_samples(self, batch: SampleBatch) -> None:  # pragma: no cover - write() does both in one go
        self.write(batch)

    def _upsert_current(self, batch: SampleBatch) -> None:  # pragma: no cover
        pass

    def _insert_signals(self, metas: Sequence[SignalMeta]) -> None:
        rows = [
            (m.id, m.key, m.stable_id, m.node_id, m.endpoint, m.unit, m.description, m.asset_path, m.data_type)
            for m in metas
        ]
        with self._connection() as con:
            con.executemany("INSERT OR REPLACE INTO signals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def compact(self) -> None:
        """Rewrite the samples table ordered by (signal, time): queries on one signal then skip most row groups."""
        with self._connection() as con:
            con.execute("CREATE OR REPLACE TABLE samples AS SELECT * FROM samples ORDER BY signal_id, ts")
            con.execute("CHECKPOINT")
