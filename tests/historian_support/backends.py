"""Store factories for tests: a DuckDB file in a temp folder, or a fresh database on the private ClickHouse."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tools.historian.clickhouse_store import ClickHouseStore
from tools.historian.duckdb_store import DuckDBStore
from tools.historian.store import HistorianStore

from . import clickhouse

BACKENDS = ["duckdb", "clickhouse"]


def make_store(backend: str, tmp_path: Path) -> HistorianStore:
    if backend == "duckdb":
        store: HistorianStore = DuckDBStore(tmp_path / "historian" / "history.duckdb")
    else:
        if clickhouse.binary() is None:
            pytest.skip("clickhouse-server binary not installed (Debian package clickhouse-server)")
        server = clickhouse.shared_server()
        store = ClickHouseStore(server.url, database=f"t_{uuid.uuid4().hex[:12]}")
    store.ensure_schema()
    return store
