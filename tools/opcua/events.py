"""Alarms and events from any OPC UA server: event history of event-notifier objects, and the active alarms.

Fields are read generically: the standard BaseEventType fields (Time, SourceName, Severity, Message) plus
whatever the event types a source declares (GeneratesEvent) add — e.g. an alarm code, an alarm state, or the
Alarms & Conditions fields (ConditionName, ActiveState, AckedState). Where a server gives no code field, a
code-like token in the message (E-42, A123) is taken.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from asyncua import Client, ua

_CODE_IN_TEXT = re.compile(r"\b[A-Z]{1,3}-?\d{1,4}\b")
_STANDARD = {"EventId", "EventType", "SourceNode", "SourceName", "Time", "ReceiveTime", "LocalTime", "Message",
             "Severity"}  # fmt: skip


@dataclass(slots=True)
class EventRecord:
    time: str
    source: str
    severity: int
    message: str
    code: str | None
    state: str | None
    fields: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _iso(ts: datetime | None) -> str:
    if ts is None:
        return ""
    return (ts if ts.tzinfo else ts.replace(tzinfo=UTC)).isoformat(timespec="seconds").replace("+00:00", "Z")


def _plain(v: Any) -> Any:
    if isinstance(v, ua.LocalizedText):
        return v.Text
    if isinstance(v, datetime):
        return _iso(v)
    if isinstance(v, bytes):
        return v.hex()
    return v if isinstance(v, int | float | str | bool) or v is None else str(v)


def _record(ev: Any) -> EventRecord:
    data = {k: _plain(v) for k, v in vars(ev).items() if not k.startswith("_") and k[:1].isupper()}
    message = str(data.get("Message") or "")
    code = data.get("AlarmCode") or data.get("ConditionName")
    if not code:
        m = _CODE_IN_TEXT.search(message)
        code = m.group(0) if m else None
    state = data.get("AlarmState") or data.get("ActiveState")
    if isinstance(state, str) and state in ("True", "False"):
        state = "Active" if state == "True" else "Cleared"
    extra = {k: v for k, v in data.items() if k not in _STANDARD and v is not None}
    return EventRecord(
        time=_iso(getattr(ev, "Time", None)), source=str(data.get("SourceName") or ""),
        severity=int(data.get("Severity") or 0), message=message, code=code, state=state, fields=extra,
    )  # fmt: skip


async def event_types_of(client: Client, source_node_id: str) -> list[ua.NodeId]:
    """BaseEventType plus the types the source declares it generates (GeneratesEvent references)."""
    node = client.get_node(source_node_id)
    types = [ua.NodeId(ua.ObjectIds.BaseEventType)]
    try:
        refs = await node.get_references(refs=ua.ObjectIds.GeneratesEvent, direction=ua.BrowseDirection.Forward)
        types += [r.NodeId for r in refs if r.NodeId not in types]
    except ua.UaError:
        pass
    return types


async def read_events(
    client: Client, source_node_id: str, start: datetime, end: datetime, max_events: int = 1000
) -> list[EventRecord]:
    """Event history of one notifier, oldest first, at most ``max_events``."""
    node = client.get_node(source_node_id)
    types = await event_types_of(client, source_node_id)
    events = await node.read_event_history(start, end, numvalues=max_events, evtypes=types)
    records = [_record(ev) for ev in events]
    records.sort(key=lambda r: r.time)
    return records


def active_alarms(history: list[EventRecord]) -> list[EventRecord]:
    """Alarms whose latest event (per source and code) is not a clear — i.e. still standing."""
    latest: dict[tuple[str, str], EventRecord] = {}
    for rec in history:
        if rec.code:
            latest[(rec.source, rec.code)] = rec
    standing = [r for r in latest.values() if (r.state or "Active") not in ("Cleared", "Inactive", "Normal")]
    return sorted(standing, key=lambda r: (-r.severity, r.time))
