"""History storage for the demo plant's OPC UA server: compact arrays per node, events in a list.

asyncua's in-memory HistoryDict keeps one DataValue object per sample, which is too heavy for days of
backfilled history; here timestamps and values live in ``array('d')`` per node and DataValues are built only for
the samples a HistoryRead asks for (bounded by ``max_history_data_response_size`` with a continuation point).
"""

from __future__ import annotations

import bisect
from array import array
from datetime import UTC, datetime, timedelta
from typing import Any

from asyncua import ua
from asyncua.server.history import HistoryStorageInterface


class _Series:
    __slots__ = ("texts", "ts", "values", "variant_type")

    def __init__(self, variant_type: ua.VariantType) -> None:
        self.ts = array("d")
        self.values = array("d")
        self.texts: list[str] = []  # String variables keep their values here (``values`` holds NaN)
        self.variant_type = variant_type


def _epoch(dt: datetime | None) -> float | None:
    if dt is None or dt <= ua.get_win_epoch().replace(tzinfo=dt.tzinfo):
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp()


class PlantHistory(HistoryStorageInterface):
    def __init__(self, max_history_data_response_size: int = 10000) -> None:
        super().__init__(max_history_data_response_size)
        self._series: dict[ua.NodeId, _Series] = {}
        self._events: dict[ua.NodeId, list[Any]] = {}

    async def init(self) -> None:
        return None

    def register(self, node_id: ua.NodeId, variant_type: ua.VariantType) -> None:
        self._series.setdefault(node_id, _Series(variant_type))

    def append(self, node_id: ua.NodeId, t: float, value: float | str) -> None:
        """Add one sample in time order (the simulator only moves forward)."""
        s = self._series[node_id]
        if s.ts and t <= s.ts[-1]:
            return
        s.ts.append(t)
        if s.variant_type == ua.VariantType.String:
            s.texts.append(str(value))
            s.values.append(float("nan"))
        else:
            s.values.append(float(value))

    def series(self, node_id: ua.NodeId) -> tuple[array[float], array[float], list[str]]:
        """(times, values, texts) of one node, as stored (for exporting the history to a historian)."""
        s = self._series[node_id]
        return s.ts, s.values, s.texts

    def sample_count(self) -> int:
        return sum(len(s.ts) for s in self._series.values())

    async def new_historized_node(self, node_id: ua.NodeId, period: timedelta | None, count: int = 0) -> None:
        self._series.setdefault(node_id, _Series(ua.VariantType.Double))

    async def save_node_value(self, node_id: ua.NodeId, datavalue: ua.DataValue) -> None:
        ts = datavalue.SourceTimestamp or datetime.now(UTC)
        if datavalue.Value is not None:
            v = datavalue.Value.Value
            self.append(node_id, ts.timestamp(), v if isinstance(v, str) else float(v))

    def _value(self, s: _Series, i: int) -> ua.Variant:
        if s.variant_type == ua.VariantType.String:
            return ua.Variant(s.texts[i], s.variant_type)
        v = s.values[i]
        if s.variant_type == ua.VariantType.Boolean:
            return ua.Variant(bool(v), s.variant_type)
        if s.variant_type in (ua.VariantType.UInt32, ua.VariantType.Int32, ua.VariantType.Int64):
            return ua.Variant(int(v), s.variant_type)
        return ua.Variant(v, s.variant_type)

    async def read_node_history(
        self, node_id: ua.NodeId, start: datetime | None, end: datetime | None, nb_values: int
    ) -> tuple[list[ua.DataValue], datetime | None]:
        s = self._series.get(node_id)
        if s is None:
            return [], None
        t0, t1 = _epoch(start), _epoch(end)
        backwards = (t0 is None and t1 is not None) or (t0 is not None and t1 is not None and t0 > t1)
        lo_t, hi_t = (t1, t0) if backwards else (t0, t1)
        lo = 0 if lo_t is None else bisect.bisect_left(s.ts, lo_t)
        hi = len(s.ts) if hi_t is None else bisect.bisect_right(s.ts, hi_t)
        idx = range(hi - 1, lo - 1, -1) if backwards else range(lo, hi)
        limit = (
            min(nb_values, self.max_history_data_response_size) if nb_values else self.max_history_data_response_size
        )
        cont = None
        if len(idx) > limit:
            cont = datetime.fromtimestamp(s.ts[idx[limit]], UTC)
            idx = idx[:limit]
        out = [
            ua.DataValue(
                self._value(s, i),
                SourceTimestamp=datetime.fromtimestamp(s.ts[i], UTC),
                ServerTimestamp=datetime.fromtimestamp(s.ts[i], UTC),
            )
            for i in idx
        ]
        return out, cont

    async def new_historized_event(
        self, source_id: ua.NodeId, evtypes: list[Any], period: timedelta | None, count: int = 0
    ) -> None:
        self._events.setdefault(source_id, [])

    def add_event(self, source_id: ua.NodeId, event: Any) -> None:
        self._events.setdefault(source_id, []).append(event)

    async def save_event(self, event: Any) -> None:
        self._events.setdefault(getattr(event, "emitting_node", None), []).append(event)

    async def read_event_history(
        self, source_id: ua.NodeId, start: datetime | None, end: datetime | None, nb_values: int, evfilter: Any
    ) -> tuple[list[Any], datetime | None]:
        events = self._events.get(source_id, [])
        t0, t1 = _epoch(start), _epoch(end)
        lo_t, hi_t = (t1, t0) if (t0 is not None and t1 is not None and t0 > t1) else (t0, t1)
        found = [
            ev
            for ev in events
            if (lo_t is None or ev.Time.timestamp() >= lo_t) and (hi_t is None or ev.Time.timestamp() <= hi_t)
        ]
        if (t0 is None and t1 is not None) or (t0 is not None and t1 is not None and t0 > t1):
            found.reverse()
        if nb_values:
            found = found[:nb_values]
        cont = None
        if len(found) > self.max_history_data_response_size:
            cont = found[self.max_history_data_response_size].Time
            found = found[: self.max_history_data_response_size]
        return found, cont

    async def stop(self) -> None:
        return None
