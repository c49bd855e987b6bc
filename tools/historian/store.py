"""The historian store interface and the types every backend shares.

A store keeps three tables: ``samples`` (ts, signal_id, value, text, quality), ``current_values`` (the newest
sample per signal) and ``signals`` (metadata: key, stable id, node id, endpoint, unit, description, asset path).
Timestamps are integer milliseconds since the Unix epoch (UTC) in both engines: ClickHouse 18.16 has no
DateTime64 and plain integers keep the SQL identical. ``quality`` is the OPC UA StatusCode (0 = Good).
Numeric, boolean and integer values go to ``value`` (booleans as 0/1); strings go to ``text`` with ``value`` NaN.

Backends subclass :class:`HistorianStore` and supply a :class:`Dialect` plus three primitives (``_execute``,
``_query`` returning columns, ``_insert``); every query the tools need is written once here, in SQL that both
DuckDB and ClickHouse 18.16 run.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.errors import OperatorError

GOOD_LIMIT = 0x40000000  # StatusCodes below this are Good (the two severity bits are 00)
LOOKBACK_FIRST_MS = 86_400_000  # value_at searches the last day first


class HistorianError(OperatorError):
    """A historian failure an operator can read: unknown signal, empty or too large window, store down."""

    exit_code = 2


class UnknownHistorianSignal(HistorianError):
    exit_code = 4


class StoreUnavailable(HistorianError):
    exit_code = 3


@dataclass(slots=True)
class SignalMeta:
    """One historised signal. ``key`` is the signal's browse path joined with '/'."""

    key: str
    stable_id: str = ""
    node_id: str = ""
    endpoint: str = ""
    unit: str = ""
    description: str = ""
    asset_path: str = ""
    data_type: str = ""
    id: int = 0

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]


@dataclass(slots=True)
class SampleBatch:
    """Column-wise samples, ready for a bulk insert."""

    ts: np.ndarray  # int64 ms
    signal_id: np.ndarray  # int32
    value: np.ndarray  # float64 (NaN for text values)
    text: list[str | None]
    quality: np.ndarray  # uint32

    def __len__(self) -> int:
        return len(self.ts)

    @classmethod
    def from_rows(cls, rows: Sequence[tuple[int, int, float, str | None, int]]) -> SampleBatch:
        n = len(rows)
        ts = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
        sid = np.fromiter((r[1] for r in rows), dtype=np.int32, count=n)
        val = np.fromiter((r[2] for r in rows), dtype=np.float64, count=n)
        q = np.fromiter((r[4] for r in rows), dtype=np.uint32, count=n)
        return cls(ts, sid, val, [r[3] for r in rows], q)

    @classmethod
    def numeric(cls, ts: np.ndarray, signal_id: np.ndarray, value: np.ndarray) -> SampleBatch:
        n = len(ts)
        return cls(
            ts.astype(np.int64, copy=False),
            signal_id.astype(np.int32, copy=False),
            value.astype(np.float64, copy=False),
            [None] * n,
            np.zeros(n, dtype=np.uint32),
        )

    def rows(self) -> list[tuple[int, int, float, str | None, int]]:
        return [
            (int(t), int(s), float(v), x, int(q))
            for t, s, v, x, q in zip(self.ts, self.signal_id, self.value, self.text, self.quality, strict=True)
        ]


@dataclass(slots=True)
class WindowStats:
    count: int
    min: float | None = None
    max: float | None = None
    avg: float | None = None
    stddev: float | None = None
    first_ts: int | None = None
    first: float | None = None
    last_ts: int | None = None
    last: float | None = None
    min_ts: int | None = None
    max_ts: int | None = None


@dataclass(slots=True)
class Series:
    """Samples of one signal in time order."""

    ts: np.ndarray
    value: np.ndarray
    text: list[str | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ts)


@dataclass(frozen=True, slots=True)
class Dialect:
    """The few spellings that differ between DuckDB and ClickHouse."""

    stddev: str
    covar: str
    var: str
    arg_min: str
    arg_max: str
    is_nan: str  # template with {x}
    bucket: str  # template with {n} (bucket width) and {o} (an origin): the start of the bucket holding ts
    # SQL window functions and WITH-subqueries (DuckDB; ClickHouse only from 21.x — Debian ships 18.16): without
    # them, the KPI tools fetch the window's samples and do the lag/lead steps in numpy
    window_functions: bool = True
    int_literal: str = "{x}"  # a constant typed like the ts column (UNION ALL needs the same types)


def _clean(x: Any) -> float | None:
    if x is None:
        return None
    f = float(x)
    return f if math.isfinite(f) else None


def _opt_int(x: Any) -> int | None:
    return None if x is None else int(x)


class HistorianStore(ABC):
    """Same interface for every engine. Writers call :meth:`write`; readers call the query methods."""

    dialect: Dialect
    name: str = "store"

    # --- engine primitives -------------------------------------------------------------------------------
    @abstractmethod
    def _execute(self, sql: str) -> None: ...

    @abstractmethod
    def _query(self, sql: str) -> list[tuple[Any, ...]]: ...

    @abstractmethod
    def _columns(self, sql: str, dtypes: Sequence[Any]) -> list[np.ndarray]:
        """Run ``sql`` and return its result as numpy columns of the given dtypes."""

    @abstractmethod
    def _insert_samples(self, batch: SampleBatch) -> None: ...

    @abstractmethod
    def _upsert_current(self, batch: SampleBatch) -> None: ...

    @abstractmethod
    def _insert_signals(self, metas: Sequence[SignalMeta]) -> None: ...

    @abstractmethod
    def ensure_schema(self) -> None: ...

    def close(self) -> None:  # noqa: B027 - optional for backends
        """Release connections."""

    def describe(self) -> str:
        return self.name

    # --- metadata ---------------------------------------------------------------------------------------
    def signals(self) -> list[SignalMeta]:
        rows = self._query(
            "SELECT id, key, stable_id, node_id, endpoint, unit, description, asset_path, data_type "
            f"FROM signals{self._final()} ORDER BY id"
        )
        return [
            SignalMeta(
                id=int(r[0]),
                key=r[1],
                stable_id=r[2],
                node_id=r[3],
                endpoint=r[4],
                unit=r[5],
                description=r[6],
                asset_path=r[7],
                data_type=r[8],
            )
            for r in rows
        ]

    def _final(self) -> str:
        return ""

    def register_signals(self, metas: Iterable[SignalMeta]) -> dict[str, int]:
        """Add or update signal metadata; returns key → id for every given signal (ids are stable)."""
        known = {m.key: m for m in self.signals()}
        next_id = max((m.id for m in known.values()), default=0) + 1
        changed: list[SignalMeta] = []
        ids: dict[str, int] = {}
        for m in metas:
            old = known.get(m.key)
            if old is not None:
                m.id = old.id
                if (old.stable_id, old.node_id, old.endpoint, old.unit, old.description, old.asset_path) != (
                    m.stable_id,
                    m.node_id,
                    m.endpoint,
                    m.unit,
                    m.description,
                    m.asset_path,
                ):
                    changed.append(m)
            else:
                m.id = next_id
                next_id += 1
                changed.append(m)
                known[m.key] = m
            ids[m.key] = m.id
        if changed:
            self._insert_signals(changed)
        return ids

    # --- writing ------------------------------------------------------------------------------------------
    def write(self, batch: SampleBatch) -> int:
        """Insert a batch and refresh the current-values table. Raises StoreUnavailable when the engine is down."""
        if not len(batch):
            return 0
        self._insert_samples(batch)
        self._upsert_current(batch)
        return len(batch)

    @staticmethod
    def newest_per_signal(batch: SampleBatch) -> SampleBatch:
        """The newest sample of each signal in ``batch`` (for the current-values table)."""
        order = np.lexsort((batch.ts, batch.signal_id))
        sid = batch.signal_id[order]
        last = np.ones(len(sid), dtype=bool)
        last[:-1] = sid[1:] != sid[:-1]
        idx = order[last]
        return SampleBatch(
            batch.ts[idx], batch.signal_id[idx], batch.value[idx], [batch.text[i] for i in idx], batch.quality[idx]
        )

    # --- reading ------------------------------------------------------------------------------------------
    def last_timestamps(self) -> dict[int, int]:
        """signal id → newest stored timestamp (ms), from the current-values table."""
        rows = self._query("SELECT signal_id, max(ts) FROM current_values GROUP BY signal_id")
        return {int(a): int(b) for a, b in rows}

    def current(self, signal_ids: Sequence[int]) -> list[tuple[int, int, float | None, str | None, int]]:
        """(signal_id, ts, value, text, quality) for each id that has a value."""
        if not signal_ids:
            return []
        ids = ", ".join(str(int(i)) for i in signal_ids)
        d = self.dialect
        rows = self._query(
            f"SELECT signal_id, max(ts), {d.arg_max}(value, ts), {d.arg_max}(text, ts), {d.arg_max}(quality, ts) "
            f"FROM current_values WHERE signal_id IN ({ids}) GROUP BY signal_id"
        )
        return [(int(r[0]), int(r[1]), _clean(r[2]), r[3] or None, int(r[4])) for r in rows]

    def value_at(self, signal_id: int, ts: int, lookback_ms: int) -> tuple[int, float | None, str | None] | None:
        """The last good sample at or before ``ts`` (searching back ``lookback_ms``).

        The search starts with the day before ``ts`` and widens eightfold until ``lookback_ms``: neither engine
        reads a signal's rows backwards, so one query over the whole lookback would scan months of samples to
        find the one a few seconds old."""
        floor = int(ts - lookback_ms)
        hi, span = int(ts), LOOKBACK_FIRST_MS
        while True:
            lo = max(floor, hi - span)
            rows = self._query(
                f"SELECT ts, value, text FROM samples WHERE signal_id = {int(signal_id)} "
                f"AND ts <= {hi} AND ts > {lo} AND quality < {GOOD_LIMIT} ORDER BY ts DESC LIMIT 1"
            )
            if rows:
                return int(rows[0][0]), _clean(rows[0][1]), rows[0][2] or None
            if lo <= floor:
                return None
            hi, span = lo, span * 8

    def _where(self, signal_id: int, start: int, end: int) -> str:
        return (
            f"signal_id = {int(signal_id)} AND ts >= {int(start)} AND ts < {int(end)} AND quality < {GOOD_LIMIT} "
            f"AND NOT {self.dialect.is_nan.format(x='value')}"
        )

    def stats_sql(self, signal_id: int, start: int, end: int) -> str:
        d = self.dialect
        return (
            f"SELECT count(*), min(value), max(value), avg(value), {d.stddev}(value), "
            f"min(ts), {d.arg_min}(value, ts), max(ts), {d.arg_max}(value, ts), "
            f"{d.arg_min}(ts, value), {d.arg_max}(ts, value) "
            f"FROM samples WHERE {self._where(signal_id, start, end)}"
        )

    def stats(self, signal_id: int, start: int, end: int) -> WindowStats:
        r = self._query(self.stats_sql(signal_id, start, end))[0]
        n = int(r[0] or 0)
        if n == 0:
            return WindowStats(count=0)
        return WindowStats(
            count=n,
            min=_clean(r[1]),
            max=_clean(r[2]),
            avg=_clean(r[3]),
            stddev=_clean(r[4]) if n > 1 else None,
            first_ts=_opt_int(r[5]),
            first=_clean(r[6]),
            last_ts=_opt_int(r[7]),
            last=_clean(r[8]),
            min_ts=_opt_int(r[9]),
            max_ts=_opt_int(r[10]),
        )

    def count(self, signal_id: int, start: int, end: int) -> int:
        return int(self._query(f"SELECT count(*) FROM samples WHERE {self._where(signal_id, start, end)}")[0][0])

    def downsample_sql(self, signal_id: int, start: int, end: int, interval_ms: int, origin: int = 0) -> str:
        b = self.dialect.bucket.format(n=int(interval_ms), o=int(origin))
        return (
            f"SELECT {b} AS bucket, count(*), min(value), max(value), avg(value) "
            f"FROM samples WHERE {self._where(signal_id, start, end)} GROUP BY bucket ORDER BY bucket"
        )

    def downsample(
        self, signal_id: int, start: int, end: int, interval_ms: int, origin: int | None = None
    ) -> list[np.ndarray]:
        """Columns bucket start (ms), count, min, max, avg for each non-empty bucket; buckets start at
        ``origin + k * interval_ms`` (``origin`` defaults to the window start)."""
        return self._columns(
            self.downsample_sql(signal_id, start, end, interval_ms, start if origin is None else origin),
            (np.int64, np.int64, np.float64, np.float64, np.float64),
        )

    def trend_sql(self, signal_id: int, start: int, end: int) -> str:
        d = self.dialect
        # centre the time axis on the window start (ms → hours) so the regression stays well conditioned
        x = f"((ts - {int(start)}) / 3600000.0)"
        return (
            f"SELECT count(*), {d.covar}({x}, value), {d.var}({x}), avg({x}), avg(value) "
            f"FROM samples WHERE {self._where(signal_id, start, end)}"
        )

    def trend(self, signal_id: int, start: int, end: int) -> tuple[int, float | None, float | None]:
        """(samples, slope per hour, intercept at window start) by least squares."""
        r = self._query(self.trend_sql(signal_id, start, end))[0]
        n = int(r[0] or 0)
        cov, var, mx, my = _clean(r[1]), _clean(r[2]), _clean(r[3]), _clean(r[4])
        if n < 2 or not var or cov is None or mx is None or my is None:
            return n, None, None
        slope = cov / var
        return n, slope, my - slope * mx

    def series_sql(self, signal_id: int, start: int, end: int, limit: int | None = None) -> str:
        tail = f" LIMIT {int(limit)}" if limit else ""
        return f"SELECT ts, value FROM samples WHERE {self._where(signal_id, start, end)} ORDER BY ts{tail}"

    def series(self, signal_id: int, start: int, end: int, limit: int | None = None) -> Series:
        """Good numeric samples in the window, in time order (for run and state analysis, never for the prompt)."""
        ts, val = self._columns(self.series_sql(signal_id, start, end, limit), (np.int64, np.float64))
        return Series(ts, val)

    def text_series(self, signal_id: int, start: int, end: int, limit: int | None = None) -> Series:
        """Good samples including text values, in time order."""
        tail = f" LIMIT {int(limit)}" if limit else ""
        rows = self._query(
            f"SELECT ts, value, text FROM samples WHERE signal_id = {int(signal_id)} AND ts >= {int(start)} "
            f"AND ts < {int(end)} AND quality < {GOOD_LIMIT} ORDER BY ts{tail}"
        )
        return Series(
            np.array([r[0] for r in rows], dtype=np.int64),
            np.array([_clean(r[1]) if r[1] is not None else np.nan for r in rows], dtype=np.float64),
            [r[2] or None for r in rows],
        )

    def total_rows(self) -> int:
        return int(self._query("SELECT count(*) FROM samples")[0][0])
