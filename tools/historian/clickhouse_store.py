"""The scale-out historian: ClickHouse over its HTTP interface, same tables and SQL as the DuckDB store.

We talk HTTP directly (httpx) rather than through clickhouse-connect: that client probes settings that the
ClickHouse Debian ships (18.16) does not know. Results come back as JSONCompact (rows) or RowBinary (numpy
columns, decoded with ``np.frombuffer``); inserts go as RowBinary. Tables are MergeTree ordered by
(signal_id, ts) and partitioned by month; ``current_values`` and ``signals`` are ReplacingMergeTree, read with
``argMax``/``FINAL`` so unmerged duplicates never show.
"""

from __future__ import annotations

import json
import struct
import time
from collections.abc import Sequence
from typing import Any

import httpx
import numpy as np

from tools.historian.store import Dialect, HistorianError, HistorianStore, SampleBatch, SignalMeta, StoreUnavailable

CLICKHOUSE_DIALECT = Dialect(
    stddev="stddevSamp",
    covar="covarPop",
    var="varPop",
    arg_min="argMin",
    arg_max="argMax",
    is_nan="isNaN({x})",
    # a bare literal would make ClickHouse type the remainder as the literal's (small) type
    bucket="(ts - (ts - toInt64({o})) % toInt64({n}))",
    window_functions=False,
    int_literal="toInt64({x})",
)

_ENGINE_SAMPLES = "MergeTree() PARTITION BY toYYYYMM(toDateTime(intDiv(ts, 1000))) ORDER BY (signal_id, ts)"


def _schema(db: str) -> list[str]:
    return [
        f"CREATE DATABASE IF NOT EXISTS {db}",
        f"""CREATE TABLE IF NOT EXISTS {db}.samples (ts Int64, signal_id UInt32, value Float64, quality UInt32,
            text String) ENGINE = {_ENGINE_SAMPLES}""",
        f"""CREATE TABLE IF NOT EXISTS {db}.current_values (signal_id UInt32, ts Int64, value Float64,
            quality UInt32, text String) ENGINE = ReplacingMergeTree(ts) ORDER BY signal_id""",
        f"""CREATE TABLE IF NOT EXISTS {db}.signals (id UInt32, key String, stable_id String, node_id String,
            endpoint String, unit String, description String, asset_path String, data_type String,
            version UInt64) ENGINE = ReplacingMergeTree(version) ORDER BY key""",
    ]


def _quote(s: str) -> str:
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


_ROW = np.dtype([("ts", "<i8"), ("sid", "<u4"), ("v", "<f8"), ("q", "<u4"), ("tlen", "u1")])


class ClickHouseStore(HistorianStore):
    dialect = CLICKHOUSE_DIALECT
    name = "clickhouse"

    def __init__(
        self, url: str, database: str = "iiot", user: str = "default", password: str = "", timeout_s: float = 30.0
    ) -> None:
        self.url = url.rstrip("/")
        self.database = database
        self._http = httpx.Client(
            base_url=self.url,
            timeout=timeout_s,
            headers={"X-ClickHouse-User": user, "X-ClickHouse-Key": password},
        )

    def describe(self) -> str:
        return f"clickhouse {self.url} database {self.database}"

    def close(self) -> None:
        self._http.close()

    def _post(self, sql: str, body: bytes | None = None, database: bool = True) -> bytes:
        params = {"database": self.database} if database else {}
        try:
            if body is None:
                resp = self._http.post("/", params=params, content=sql.encode())
            else:
                resp = self._http.post("/", params={**params, "query": sql}, content=body)
        except httpx.HTTPError as exc:
            raise StoreUnavailable(
                f"the ClickHouse historian at {self.url} is not reachable ({type(exc).__name__}); "
                "check historian.clickhouse_url and that the server runs"
            ) from exc
        if resp.status_code != 200:
            text = resp.text.strip().splitlines()[0] if resp.text.strip() else f"HTTP {resp.status_code}"
            if "UNKNOWN_DATABASE" in text or ("Database" in text and "doesn't exist" in text):
                raise StoreUnavailable(f"the ClickHouse historian has no database {self.database} yet: {text}")
            raise HistorianError(f"ClickHouse refused a historian query: {text[:300]}")
        return resp.content

    def ensure_schema(self) -> None:
        for i, stmt in enumerate(_schema(self.database)):
            self._post(stmt, database=i > 0)

    def _execute(self, sql: str) -> None:
        self._post(sql)

    def _query(self, sql: str) -> list[tuple[Any, ...]]:
        data = json.loads(self._post(sql + " FORMAT JSONCompact"))
        return [tuple(row) for row in data["data"]]

    def _columns(self, sql: str, dtypes: Sequence[Any]) -> list[np.ndarray]:
        raw = self._post(sql + " FORMAT RowBinary")
        dt = np.dtype([(f"c{i}", np.dtype(d).newbyteorder("<")) for i, d in enumerate(dtypes)])
        arr = np.frombuffer(raw, dtype=dt)
        return [np.ascontiguousarray(arr[f"c{i}"]) for i in range(len(dtypes))]

    @staticmethod
    def _row_binary(batch: SampleBatch) -> bytes:
        if all(t is None or t == "" for t in batch.text):
            rows = np.zeros(len(batch), dtype=_ROW)
            rows["ts"], rows["sid"], rows["v"], rows["q"] = batch.ts, batch.signal_id, batch.value, batch.quality
            return rows.tobytes()
        out = bytearray()
        pack = struct.Struct("<qIdI").pack
        for t, s, v, q, x in zip(batch.ts, batch.signal_id, batch.value, batch.quality, batch.text, strict=True):
            enc = (x or "").encode()
            out += pack(int(t), int(s), float(v), int(q)) + _varint(len(enc)) + enc
        return bytes(out)

    def _insert_samples(self, batch: SampleBatch) -> None:
        sql = "INSERT INTO samples (ts, signal_id, value, quality, text) FORMAT RowBinary"
        self._post(sql, self._row_binary(batch))

    def _upsert_current(self, batch: SampleBatch) -> None:
        newest = self.newest_per_signal(batch)
        self._post(
            "INSERT INTO current_values (ts, signal_id, value, quality, text) FORMAT RowBinary",
            self._row_binary(newest),
        )

    def _final(self) -> str:
        return " FINAL"

    def _insert_signals(self, metas: Sequence[SignalMeta]) -> None:
        version = time.time_ns()
        values = ", ".join(
            "("
            + ", ".join(
                [str(int(m.id))]
                + [_quote(x) for x in (m.key, m.stable_id, m.node_id, m.endpoint, m.unit, m.description)]
                + [_quote(m.asset_path), _quote(m.data_type), str(version)]
            )
            + ")"
            for m in metas
        )
        self._post(
            "INSERT INTO signals (id, key, stable_id, node_id, endpoint, unit, description, asset_path, data_type, "
            f"version) VALUES {values}"
        )

    def compact(self) -> None:
        self._post("OPTIMIZE TABLE samples FINAL")
