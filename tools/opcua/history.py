"""HistoryRead on any OPC UA server: raw values (bounded, no bounding values) and client-side aggregates.

Aggregates are computed here from raw history (min/max/average/count per interval) because many servers,
asyncua's among them, implement no server-side aggregates. Results say when they were cut at the limit.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from asyncua import Client, ua

from tools.opcua.catalog import Signal

MAX_VALUES_PER_CALL = 10_000


@dataclass(slots=True)
class HistoryPoint:
    time: str
    value: Any
    status: str = "Good"


@dataclass(slots=True)
class SignalHistory:
    node_id: str
    stable_id: str
    path: str
    unit: str
    start: str
    end: str
    points: list[HistoryPoint] = field(default_factory=list)
    complete: bool = True
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _iso(ts: datetime) -> str:
    return (
        (ts if ts.tzinfo else ts.replace(tzinfo=UTC))
        .astimezone(UTC)
        .isoformat(timespec="seconds")
        .replace("+00:00", "Z")
    )


def _plain(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, ua.LocalizedText):
        return v.Text
    return v if isinstance(v, int | float | str | bool) or v is None else str(v)


async def read_raw(
    client: Client, signal: Signal, start: datetime, end: datetime, max_values: int = MAX_VALUES_PER_CALL
) -> SignalHistory:
    """Raw history of one signal in [start, end], at most ``max_values`` (``complete`` False when cut)."""
    out = SignalHistory(signal.node_id, signal.stable_id, "/".join(signal.path), signal.unit, _iso(start), _iso(end))
    node = client.get_node(signal.node_id)
    try:
        # one more than asked tells us whether the result was cut
        values = await node.read_raw_history(start, end, numvalues=max_values + 1, return_bounds=False)
    except ua.UaStatusCodeError as exc:
        out.error = f"the server refused history for {out.path}: {ua.StatusCode(exc.code).name}"
        out.complete = False
        return out
    if len(values) > max_values:
        values, out.complete = values[:max_values], False
    out.points = [
        HistoryPoint(_iso(dv.SourceTimestamp or dv.ServerTimestamp), _plain(dv.Value.Value if dv.Value else None),
                     dv.StatusCode.name)
        for dv in values
    ]  # fmt: skip
    return out


@dataclass(slots=True)
class Bucket:
    start: str
    count: int
    min: float | None
    max: float | None
    avg: float | None


def aggregate(history: SignalHistory, interval_s: float) -> list[Bucket]:
    """Min/max/average per ``interval_s`` bucket over numeric points; empty buckets are omitted."""
    buckets: dict[int, list[float]] = {}
    t0 = datetime.fromisoformat(history.start.replace("Z", "+00:00")).timestamp()
    for p in history.points:
        if not isinstance(p.value, int | float) or p.status != "Good":
            continue
        t = datetime.fromisoformat(p.time.replace("Z", "+00:00")).timestamp()
        buckets.setdefault(int((t - t0) // interval_s), []).append(float(p.value))
    return [
        Bucket(_iso(datetime.fromtimestamp(t0 + k * interval_s, UTC)), len(v), min(v), max(v), sum(v) / len(v))
        for k, v in sorted(buckets.items())
    ]
