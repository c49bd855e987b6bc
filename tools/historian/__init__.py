"""The historian: a time-series store (DuckDB embedded, ClickHouse scale-out), the OPC UA collector that fills
it, and the typed query tools the assistant calls. ``open_store(settings)`` picks the backend from settings."""

from __future__ import annotations

from pathlib import Path

from assistant.config import Settings
from tools.historian.store import HistorianError, HistorianStore, SampleBatch, SignalMeta, StoreUnavailable

__all__ = [
    "HistorianError",
    "HistorianStore",
    "SampleBatch",
    "SignalMeta",
    "StoreUnavailable",
    "duckdb_path",
    "open_store",
]


def duckdb_path(settings: Settings) -> Path:
    h = settings.historian
    return Path(h.duckdb_path).expanduser() if h.duckdb_path else settings.path("historian", "history.duckdb")


def open_store(settings: Settings, read_only: bool = False, hold: bool = True) -> HistorianStore:
    """The configured store, schema created when writable.

    ``read_only``: a reader in another process than the collector (DuckDB opens the file per query).
    ``hold``: keep the DuckDB file open (one process doing both writing and reading); the ``collect`` command
    passes ``hold=False`` so other processes can read between flushes.
    """
    h = settings.historian
    store: HistorianStore
    if h.backend == "clickhouse":
        from tools.historian.clickhouse_store import ClickHouseStore

        store = ClickHouseStore(h.clickhouse_url, h.clickhouse_database, h.clickhouse_user, h.clickhouse_password)
    else:
        from tools.historian.duckdb_store import DuckDBStore

        store = DuckDBStore(duckdb_path(settings), read_only=read_only, hold=hold and not read_only)
    if not read_only:
        store.ensure_schema()
    return store
