"""The collector: subscribes to every configured OPC UA endpoint and feeds value changes to the writer.

Per endpoint, a loop (re)builds the catalog through the OPC UA adapter, registers the signals in the store,
subscribes to their value changes (notifications are held back while the gap is backfilled), backfills the
gap since the newest stored sample from OPC UA HistoryRead for signals the server historises, then releases
the held notifications and watches the session. When the server goes away (restart) the loop waits, reconnects
and starts again; nothing already received is lost, because the writer keeps it until the store accepts it.
One flush task writes batches every ``flush_interval_s`` or when ``batch_size`` rows are pending.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from asyncua import Client, ua

from assistant.config import Settings
from assistant.errors import EndpointUnreachable
from tools.historian.store import HistorianStore, SignalMeta
from tools.historian.writer import HistorianWriter, Row
from tools.opcua.adapter import OpcUaAdapter
from tools.opcua.catalog import Signal

log = logging.getLogger(__name__)
_SKIP_TYPES = {"ByteString", "Structure", "ExtensionObject", "NodeId", "XmlElement", "Guid", "DataValue", "Variant"}


def signal_key(signal: Signal) -> str:
    return "/".join(signal.path)


def _ms(ts: datetime | None) -> int | None:
    if ts is None:
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return int(ts.timestamp() * 1000)


def to_row(sid: int, dv: ua.DataValue, fallback_ms: int) -> Row | None:
    """A store row from an OPC UA DataValue (None when the value has no numeric or text form)."""
    ts = _ms(dv.SourceTimestamp) or _ms(dv.ServerTimestamp) or fallback_ms
    quality = int(dv.StatusCode.value) if dv.StatusCode is not None else 0
    v: Any = dv.Value.Value if dv.Value is not None else None
    if isinstance(v, bool):
        return ts, sid, 1.0 if v else 0.0, None, quality
    if isinstance(v, int | float):
        f = float(v)
        return ts, sid, f if math.isfinite(f) else math.nan, None, quality
    if isinstance(v, ua.LocalizedText):
        return ts, sid, math.nan, v.Text or "", quality
    if isinstance(v, str):
        return ts, sid, math.nan, v, quality
    if v is None:
        return (ts, sid, math.nan, None, quality) if quality >= 0x40000000 else None
    if isinstance(v, datetime):
        return ts, sid, float(_ms(v) or 0), None, quality
    return None


@dataclass
class EndpointStatus:
    url: str
    connected: bool = False
    signals: int = 0
    notifications: int = 0
    backfilled: int = 0
    reconnects: int = 0
    sessions: int = 0
    last_error: str | None = None


class _Handler:
    """asyncua data-change handler: rows go to the writer, or are held while a backfill runs."""

    def __init__(self, collector: Collector, status: EndpointStatus, sids: dict[str, int], carry: list[Row]) -> None:
        self.collector = collector
        self.status = status
        self.sids = sids
        self.hold: list[Row] | None = carry

    def datachange_notification(self, node: Any, val: Any, data: Any) -> None:
        sid = self.sids.get(node.nodeid.to_string())
        if sid is None:
            return
        row = to_row(sid, data.monitored_item.Value, _ms(datetime.now(UTC)) or 0)
        if row is None:
            return
        self.status.notifications += 1
        if self.hold is not None:
            self.hold.append(row)
        else:
            self.collector.writer.add_one(*row)

    def release(self) -> None:
        held, self.hold = self.hold or [], None
        self.collector.writer.add(sorted(held))

    def status_change_notification(self, status: Any) -> None:
        log.info("subscription status on %s: %s", self.status.url, status)


@dataclass
class Collector:
    """Run with :meth:`run` (until :meth:`stop`), or :meth:`start` as a task."""

    settings: Settings
    store: HistorianStore
    adapter: OpcUaAdapter | None = None
    spool_dir: Path | None = None
    initial_backfill_s: float = field(init=False)  # from historian.initial_backfill_h
    max_backfill_s: float = field(init=False)  # from historian.max_backfill_days
    watch_interval_s: float = 1.0
    retry_max_s: float = 10.0
    queue_size: int = 100
    status: dict[str, EndpointStatus] = field(default_factory=dict)
    compactions: int = 0

    def __post_init__(self) -> None:
        h = self.settings.historian
        self.initial_backfill_s = h.initial_backfill_h * 3600.0
        self.max_backfill_s = h.max_backfill_days * 86400.0
        self.adapter = self.adapter or OpcUaAdapter(self.settings)
        if self.spool_dir is None:
            self.spool_dir = self.settings.path("historian", "spool", "x").parent
        self.writer = HistorianWriter(self.store, h.batch_size, self.spool_dir)
        self._stop = asyncio.Event()
        self._flushed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.started = asyncio.Event()
        self._carry: dict[str, list[Row]] = {}

    # --- lifecycle -------------------------------------------------------------------------------------
    async def start(self) -> None:
        self._task = asyncio.create_task(self.run())
        await self.started.wait()

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def run(self) -> None:
        assert self.adapter is not None
        await asyncio.to_thread(self.writer.load_state)
        tasks = [asyncio.create_task(self._endpoint_loop(e.url)) for e in self.adapter.endpoints]
        flusher = asyncio.create_task(self._flush_loop())
        compactor = asyncio.create_task(self._compact_loop())
        self.started.set()
        try:
            await self._stop.wait()
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for held in self._carry.values():
                self.writer.add(sorted(held))
            flusher.cancel()
            compactor.cancel()
            await asyncio.gather(flusher, compactor, return_exceptions=True)
            spooled = await asyncio.to_thread(self.writer.close)
            if spooled:
                log.warning("historian: %d samples spooled at shutdown (store unavailable)", spooled)
            with contextlib.suppress(Exception):
                await self.adapter.close()

    async def flush(self) -> int:
        return await asyncio.to_thread(self.writer.flush)

    async def _flush_loop(self) -> None:
        interval = self.settings.historian.flush_interval_s
        while True:
            waited = 0.0
            while waited < interval and not self.writer.due():
                await asyncio.sleep(min(0.05, interval))
                waited += min(0.05, interval)
            if self.writer.pending:
                await self.flush()

    async def _compact_loop(self) -> None:
        """Every ``historian.compact_interval_h``: rewrite the store ordered by signal and time, so queries on one
        signal skip most of the data (a collector writes in time order, interleaving all signals)."""
        interval = self.settings.historian.compact_interval_h * 3600.0
        if interval <= 0:
            return
        while True:
            await asyncio.sleep(interval)
            t0 = time.perf_counter()
            try:
                await self.flush()
                await asyncio.to_thread(self.store.compact)
            except Exception as exc:  # the store may be down: samples stay spooled, compaction waits a round
                log.warning("historian: compaction skipped: %s", exc)
            else:
                self.compactions += 1
                log.info("historian: store compacted in %.1f s", time.perf_counter() - t0)

    # --- one endpoint -----------------------------------------------------------------------------------
    async def _endpoint_loop(self, url: str) -> None:
        assert self.adapter is not None
        st = self.status.setdefault(url, EndpointStatus(url))
        delay = 0.2
        while not self._stop.is_set():
            handler: _Handler | None = None
            sub: Any = None
            try:
                cat = await self.adapter.catalog(url, refresh=True)
                signals = [s for a in cat.assets for s in a.signals if s.readable and s.data_type not in _SKIP_TYPES]
                metas = [
                    SignalMeta(
                        key=signal_key(s),
                        stable_id=s.stable_id,
                        node_id=s.node_id,
                        endpoint=url,
                        unit=s.unit,
                        description=s.description,
                        asset_path="/".join(s.path[:-1]),
                        data_type=s.data_type,
                    )
                    for s in signals
                ]
                ids = await asyncio.to_thread(self.store.register_signals, metas)
                sids = {s.node_id: ids[signal_key(s)] for s in signals}
                st.signals = len(signals)
                carry, self._carry[url] = self._carry.get(url, []), []
                handler = _Handler(self, st, sids, carry)
                client_box: list[Client] = []
                subscribe = functools.partial(self._subscribe, handler=handler, ids=list(sids), box=client_box)
                sub = await self.adapter.call(url, subscribe)
                await self._backfill(url, signals, sids, st)
                handler.release()
                if st.sessions:
                    st.reconnects += 1
                st.sessions += 1
                st.connected, st.last_error, delay = True, None, 0.2
                await self._watch(url, client_box[0])
            except asyncio.CancelledError:
                raise
            except EndpointUnreachable as exc:
                st.last_error = exc.message
            except Exception as exc:
                st.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("collector on %s: %s", url, st.last_error)
            finally:
                st.connected = False
                if handler is not None and handler.hold:
                    # received before the backfill finished: keep them for after the next backfill
                    self._carry[url] = handler.hold
                if sub is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(sub.delete(), 1.0)
            if self._stop.is_set():
                break
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stop.wait(), delay)
            delay = min(delay * 2, self.retry_max_s)

    async def _subscribe(self, client: Client, handler: _Handler, ids: list[str], box: list[Client]) -> Any:
        period = self.settings.historian.sampling_interval_ms
        sub = await client.create_subscription(period, handler)
        nodes = [client.get_node(nid) for nid in ids]
        for i in range(0, len(nodes), 500):
            chunk = nodes[i : i + 500]
            await sub.subscribe_data_change(chunk, queuesize=self.queue_size, sampling_interval=float(period))
        box.append(client)
        return sub

    async def _watch(self, url: str, client: Client) -> None:
        """Return when the session the subscription lives on is gone (the adapter reconnected or failed)."""
        assert self.adapter is not None
        while not self._stop.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.watch_interval_s)
            if self._stop.is_set():
                return
            same = await self.adapter.call(url, lambda c: self._same_session(c, client))
            if not same:
                return

    @staticmethod
    async def _same_session(c: Client, subscribed: Client) -> bool:
        await c.nodes.server_state.read_value()
        return c is subscribed

    async def _backfill(self, url: str, signals: list[Signal], sids: dict[str, int], st: EndpointStatus) -> None:
        """HistoryRead from the newest stored sample (or ``initial_backfill_s`` ago) up to now."""
        assert self.adapter is not None
        now = datetime.now(UTC)
        for s in signals:
            if not s.history_readable:
                continue
            sid = sids[s.node_id]
            last = self.writer.last_ts.get(sid)
            start = (
                datetime.fromtimestamp((last + 1) / 1000, UTC)
                if last is not None
                else now - timedelta(seconds=self.initial_backfill_s)
            )
            start = max(start, now - timedelta(seconds=self.max_backfill_s))
            if start >= now:
                continue

            async def read(client: Client, nid: str = s.node_id, a: datetime = start) -> list[ua.DataValue]:
                return await client.get_node(nid).read_raw_history(a, now, 0, return_bounds=False)

            try:
                values = await self.adapter.call(url, read)
            except EndpointUnreachable:
                raise
            except Exception as exc:  # the server has no (readable) history for it: collect live values only
                log.info("no history for %s on %s: %s: %s", s.node_id, url, type(exc).__name__, exc)
                st.last_error = f"HistoryRead of {s.node_id} failed: {type(exc).__name__}"
                continue
            fallback = _ms(now) or 0
            rows = [r for dv in values if (r := to_row(sid, dv, fallback)) is not None]
            rows.sort()
            st.backfilled += self.writer.add(rows)


async def collect(settings: Settings, store: HistorianStore, stop: asyncio.Event | None = None) -> Collector:
    """Run a collector until ``stop`` is set (or forever)."""
    c = Collector(settings, store)
    await c.start()
    try:
        await (stop or asyncio.Event()).wait()
    finally:
        await c.stop()
    return c
