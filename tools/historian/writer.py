"""The historian's single writer: buffers samples and writes them in batches; never drops a value it accepted.

Samples arrive as rows ``(ts_ms, signal_id, value, text, quality)``. Per signal, only samples newer than the
newest one already accepted are kept (so a resubscription's first notification and an overlapping backfill do
not duplicate rows). A flush takes everything pending; when the store is down the rows go back to the front of
the buffer and are retried at the next flush. Rows still pending at :meth:`close` (store down), or beyond
``max_pending``, are spooled to JSON-lines files in ``spool_dir`` and loaded again by the next writer.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from tools.historian.store import HistorianStore, SampleBatch

log = logging.getLogger(__name__)
Row = tuple[int, int, float, str | None, int]


class HistorianWriter:
    def __init__(
        self,
        store: HistorianStore,
        batch_size: int = 5000,
        spool_dir: Path | None = None,
        max_pending: int = 2_000_000,
    ) -> None:
        self.store = store
        self.batch_size = batch_size
        self.spool_dir = spool_dir
        self.max_pending = max_pending
        self._pending: list[Row] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self.last_ts: dict[int, int] = {}
        self.written = 0
        self.dropped_duplicates = 0
        self.failures = 0
        self.last_error: str | None = None

    # --- setup -------------------------------------------------------------------------------------------
    def load_state(self) -> None:
        """Newest stored timestamp per signal, then any spooled rows from an earlier run."""
        self.last_ts.update(self.store.last_timestamps())
        if self.spool_dir is None or not self.spool_dir.exists():
            return
        for f in sorted(self.spool_dir.glob("spool-*.jsonl")):
            rows = [tuple(json.loads(line)) for line in f.read_text(encoding="utf-8").splitlines() if line]
            with self._lock:
                self._pending.extend(
                    (int(r[0]), int(r[1]), float("nan") if r[2] is None else float(r[2]), r[3], int(r[4])) for r in rows
                )
            f.unlink()
            log.info("historian: %d spooled samples reloaded from %s", len(rows), f)

    # --- input ---------------------------------------------------------------------------------------------
    def add(self, rows: Iterable[Row]) -> int:
        """Accept rows; returns how many were new. Thread-safe."""
        accepted = 0
        with self._lock:
            last = self.last_ts
            for row in rows:
                ts, sid = row[0], row[1]
                if ts <= last.get(sid, -1):
                    self.dropped_duplicates += 1
                    continue
                last[sid] = ts
                self._pending.append(row)
                accepted += 1
            overflow = len(self._pending) - self.max_pending
        if overflow > 0:
            self._spool(overflow)
        return accepted

    def add_one(self, ts: int, sid: int, value: float, text: str | None, quality: int) -> bool:
        with self._lock:
            if ts <= self.last_ts.get(sid, -1):
                self.dropped_duplicates += 1
                return False
            self.last_ts[sid] = ts
            self._pending.append((ts, sid, value, text, quality))
            return True

    @property
    def pending(self) -> int:
        return len(self._pending)

    def due(self) -> bool:
        return len(self._pending) >= self.batch_size

    # --- output --------------------------------------------------------------------------------------------
    def flush(self) -> int:
        """Write everything pending (in batches of ``batch_size``). On failure the rows stay pending."""
        total = 0
        with self._flush_lock:
            while True:
                with self._lock:
                    rows, self._pending = self._pending, []
                if not rows:
                    return total
                done = 0
                try:
                    step = self.batch_size * 20
                    while done < len(rows):
                        chunk = rows[done : done + step]
                        self.store.write(SampleBatch.from_rows(chunk))
                        done += len(chunk)
                        total += len(chunk)
                        self.written += len(chunk)
                    self.last_error = None
                except Exception as exc:
                    with self._lock:
                        self._pending = rows[done:] + self._pending
                    self.failures += 1
                    self.last_error = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
                    log.warning("historian write failed (%d samples kept for retry): %s", len(rows) - done, exc)
                    return total

    def _spool(self, count: int | None = None) -> int:
        if self.spool_dir is None:
            return 0
        with self._lock:
            n = len(self._pending) if count is None else min(count, len(self._pending))
            rows, self._pending = self._pending[:n], self._pending[n:]
        if not rows:
            return 0
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        path = self.spool_dir / f"spool-{time.time_ns()}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for r in rows:
                v = None if not math.isfinite(r[2]) else r[2]
                fh.write(json.dumps([r[0], r[1], v, r[3], r[4]]) + "\n")
        log.warning("historian: %d samples spooled to %s until the store accepts them", len(rows), path)
        return len(rows)

    def close(self) -> int:
        """Final flush; whatever cannot be written is spooled. Returns the number of rows spooled."""
        self.flush()
        return self._spool() if self._pending else 0
